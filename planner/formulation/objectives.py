"""Cost, emissions and risk as coefficient vectors per variable family, and the objective.

cost (discounted, currency) = sum_t DF_t w_t [capital charge + fixed O&M * capacity
  + variable cost * act + (transport + tariff) * flow + price * buy + collection cost * collect
  + option cost * (extend + substitute) - price * sell + disposal cost * (dispose + uncollected)
  + holding cost * stock + shortage penalty * short] + sum_tau DF_tau storage capex *
  store_build, every term of scenario s weighted by its probability pi_s (a decision shared by
  the scenarios of a node carries the node's probability: planner.tree).
Capital charge (module_charges, the one place it is computed; results/tables.py reads it too):
a module of facility f built in tau costs capex[f] * CRF(rate, life[f]) in every model year it
operates inside the horizon, so a one-year horizon with rate 0 and life 1 charges exactly the
capex, and a late build pays only for the years it serves inside the horizon. buy and sell are
the buy variables of buy and sell offers (offers.csv `side`): a sale's price is revenue, the
negative component `sales`; it carries no emissions (what is sold was made, and counted, in the
plan) and no risk.
carbon = sum_t DF_t carbon price[r,t] * emissions attributed to r (see policies.py).
emissions (t CO2e) = sum_t w_t pi_s [(direct + electricity * grid[r,t]) act / 1000
  + link kg/t * flow / 1000 + offer kg/t * buy / 1000 (buy offers only)
  + disposal kg/t * (dispose + uncollected) / 1000].
risk (t) = sum_t w_t pi_s risk[o(l)] flow[l] over links from a non-domestic region into a
  domestic one: imported tonnes weighted by the origin's risk score.
responsible_sourcing (t) = sum_t w_t pi_s (1 - score_k) w_c(k) buy[k] over buy offers: the
  responsible-sourcing deficit, tonnes bought (rare-earth content on that share basis) weighted
  by how far the offer's score (its own, else its region's, 0..1) falls short of 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.data.network import is_import, is_sale
from planner.formulation.policies import carbon_prices, emission_regions
from planner.formulation.sets import yearly_factor
from planner.rare_earths import weights

COST_COMPONENTS = ("capital", "fixed_om", "variable_om", "transport", "tariffs", "purchases",
                   "sales", "collection", "life_extension", "substitution", "storage_capital",
                   "storage_holding", "disposal", "carbon", "shortage")


def capital_recovery_factor(rate: float, life: np.ndarray) -> np.ndarray:
    """CRF(rate, n) = rate / (1 - (1 + rate)^-n), and 1/n at rate 0: the yearly annuity that
    repays one unit of capex over n years."""
    life = np.asarray(life, dtype=float)
    if rate == 0:
        return 1.0 / life
    return rate / (1.0 - (1.0 + rate) ** -life)


def module_charges(sets, rate: float) -> pd.DataFrame:
    """Per row of sets.online (a module of f built in tau, operating in model year t): its
    capital charge `capital` = capex_f CRF(rate, life_f) and its fixed O&M `fixed_om` =
    fixed_f module_f, both per module and calendar year, undiscounted (currency/yr).

    The capital-charge convention: a module pays the annuity of its overnight capex in every
    model year it operates inside the horizon; years after the horizon are not charged."""
    on = sets.online
    fac = sets.facilities.set_index("facility")
    crf = capital_recovery_factor(rate, fac["life_years"].loc[on["facility"]])
    return pd.DataFrame({
        "capital": fac["capex_per_module"].loc[on["facility"]].to_numpy() * crf,
        "fixed_om": (fac["fixed_cost_per_t"] * fac["module_t"]).loc[on["facility"]].to_numpy(),
    })


def existing_fixed_om(sets) -> np.ndarray:
    """Per row of sets.existing: the fixed O&M of existing capacity, fixed_f exist[f,t]
    (currency per calendar year, undiscounted; a constant of the cost, not a decision)."""
    ex = sets.existing
    unit = sets.facilities.set_index("facility")["fixed_cost_per_t"].loc[ex["facility"]]
    return unit.to_numpy() * ex["existing_t"].to_numpy()


def define_objective_coefficients(pm) -> None:
    """pm.emission_parts and pm.cost_parts (per source or component and family), their totals
    pm.coefficients per objective (cost, emissions, risk) and pm.constants, their constant
    parts. Needs pm.policy_schedule (carbon prices)."""
    pm.emission_parts = as_float(emission_coefficients(pm))
    pm.cost_parts = as_float(cost_coefficients(pm))
    pm.coefficients = {"cost": total(pm.cost_parts), "emissions": total(pm.emission_parts),
                       "risk": as_float({"risk": risk_coefficients(pm)})["risk"],
                       "responsible_sourcing": as_float(
                           {"r": responsibility_coefficients(pm)})["r"]}
    pm.constants = {"cost": fixed_cost_constant(pm), "emissions": 0.0, "risk": 0.0,
                    "responsible_sourcing": 0.0}


def cost_coefficients(pm) -> dict[str, dict[str, np.ndarray]]:
    """component -> family -> coefficient per variable (discounted, probability-weighted)."""
    sets, inst = pm.sets, pm.instance
    fac = sets.facilities.set_index("facility")
    n = {k: len(v) for k, v in pm.variables.items()}
    out = {c: {} for c in COST_COMPONENTS}

    on = sets.online
    df_on = yearly_factor(sets, on["year"], on["scenario"])
    charges = module_charges(sets, inst.settings.discount_rate)
    for component in ("capital", "fixed_om"):
        out[component]["build"] = np.bincount(on["b"], charges[component].to_numpy() * df_on,
                                              minlength=n["build"])

    act = sets.act
    f_act = yearly_factor(sets, act["year"], act["scenario"])
    out["variable_om"]["act"] = (fac["variable_cost_per_t"].loc[act["facility"]].to_numpy() *
                                 act["var_mult"].to_numpy() * f_act)
    flow = sets.flow.merge(pm.sets.links, on="link", how="left")
    f_flow = yearly_factor(sets, flow["year"], flow["scenario"])
    out["transport"]["flow"] = (flow["cost_per_t"] * flow["cost_mult"]).to_numpy() * f_flow
    out["tariffs"]["flow"] = (flow["tariff_per_t"] * flow["tariff_mult"]).to_numpy() * f_flow
    buy = sets.buy.merge(pm.sets.offers, on="offer", how="left")
    price = (buy["price_per_t"] * buy["price_mult"]).to_numpy(dtype=float) * yearly_factor(
        sets, buy["year"], buy["scenario"])
    sold = is_sale(buy)
    out["purchases"]["buy"] = np.where(sold, 0.0, price)
    out["sales"]["buy"] = np.where(sold, -price, 0.0)
    unit = pd.Series({c: k.disposal_cost_per_t for c, k in inst.chain.commodities.items()})
    for family in ("dispose", "uncollected"):
        dis = pm.frames[family]
        out["disposal"][family] = unit.loc[dis["commodity"]].to_numpy() * yearly_factor(
            sets, dis["year"], dis["scenario"])
    col = pm.frames["collect"]
    out["collection"]["collect"] = col["cost_per_t"].to_numpy(dtype=float) * yearly_factor(
        sets, col["year"], col["scenario"])
    for component, family in (("life_extension", "extend"), ("substitution", "substitute")):
        rows = pm.frames[family]
        out[component][family] = rows["cost_per_t"].to_numpy(dtype=float) * yearly_factor(
            sets, rows["year"], rows["scenario"])
    store = sets.storage_builds.merge(sets.storage.drop_duplicates("storage")[
        ["storage", "capex_per_t"]], on="storage", how="left")
    out["storage_capital"]["store_build"] = store["capex_per_t"].to_numpy(dtype=float) * \
        sets.discount.loc[store["year"]].to_numpy() * sets.scenarios.set_index("scenario")[
            "probability"].reindex(store["scenario"]).to_numpy(dtype=float)
    out["storage_holding"]["stock"] = sets.storage["holding_cost_per_t"].to_numpy(
        dtype=float) * yearly_factor(sets, sets.storage["year"], sets.storage["scenario"]) if len(
        sets.storage) else np.zeros(0)
    short = pm.frames["short"]
    out["shortage"]["short"] = inst.settings.shortage_penalty_per_t * yearly_factor(
        sets, short["year"], short["scenario"])
    regions = emission_regions(pm)
    for family in ("act", "flow", "buy", "dispose", "uncollected"):
        tonnes = sum(part[family] for part in pm.emission_parts.values() if family in part)
        years = pm.frames[family]["year"].to_numpy()
        price = carbon_prices(pm, regions[family], years)
        if np.any(price):
            out["carbon"][family] = tonnes * price * sets.discount.loc[years].to_numpy()
    return out


def fixed_cost_constant(pm) -> float:
    """Discounted fixed O&M of existing capacity (not a decision, but part of the cost)."""
    sets = pm.sets
    return float((existing_fixed_om(sets) * yearly_factor(sets, sets.existing["year"])).sum())


def emission_coefficients(pm) -> dict[str, dict[str, np.ndarray]]:
    """source -> family -> t CO2e per unit of the variable (year- and probability-weighted)."""
    sets, chain = pm.sets, pm.instance.chain
    act = sets.act.merge(sets.facilities[["facility", "process", "region"]], on="facility",
                         how="left")
    direct = pd.Series({p: q.direct_kgco2e_per_t for p, q in chain.processes.items()})
    kwh = pd.Series({p: q.electricity_kwh_per_t for p, q in chain.processes.items()})
    grid = pm.instance.grid_intensity(act["region"], act["year"])
    f_act = yearly_factor(sets, act["year"], act["scenario"], discounted=False) / 1000.0
    flow = sets.flow.merge(pm.sets.links, on="link", how="left")
    buy = sets.buy.merge(pm.sets.offers, on="offer", how="left")
    unit = pd.Series({c: k.disposal_kgco2e_per_t for c, k in chain.commodities.items()})
    return {
        "process_direct": {"act": direct.loc[act["process"]].to_numpy() * f_act},
        "process_electricity": {"act": kwh.loc[act["process"]].to_numpy() * grid * f_act},
        "transport": {"flow": flow["kgco2e_per_t"].to_numpy() * yearly_factor(
            sets, flow["year"], flow["scenario"], discounted=False) / 1000.0},
        "purchases": {"buy": np.where(is_sale(buy), 0.0, buy["kgco2e_per_t"].to_numpy(
            dtype=float)) * yearly_factor(sets, buy["year"], buy["scenario"],
                                          discounted=False) / 1000.0},
        "disposal": {family: unit.loc[pm.frames[family]["commodity"]].to_numpy() *
                     yearly_factor(sets, pm.frames[family]["year"],
                                   pm.frames[family]["scenario"], discounted=False) / 1000.0
                     for family in ("dispose", "uncollected")},
    }


def risk_coefficients(pm) -> dict[str, np.ndarray]:
    """Imported tonnes weighted by the origin region's risk score (year- and prob-weighted)."""
    regions = pm.instance.regions.set_index("region")
    flow = pm.sets.flow.merge(pm.sets.links, on="link", how="left")
    imported = is_import(flow["origin"], flow["destination"], regions["domestic"])
    risk = regions["risk"].loc[flow["origin"]].to_numpy() * imported
    return {"flow": risk * yearly_factor(pm.sets, flow["year"], flow["scenario"],
                                         discounted=False)}


def responsibility_scores(instance) -> pd.Series:
    """offer -> its responsible-sourcing score: the offer's own, else its region's (0..1)."""
    offers = instance.offers
    region = instance.regions.set_index("region")["responsibility"].astype(float)
    own = pd.to_numeric(offers["responsibility"], errors="coerce") if \
        "responsibility" in offers else pd.Series(np.nan, index=offers.index)
    return pd.Series(own.fillna(region.reindex(offers["region"]).reset_index(drop=True))
                     .to_numpy(dtype=float), index=offers["offer"].to_numpy())


def purchased_content(pm) -> np.ndarray:
    """Per buy variable: the tonnes it counts for on the share basis (rare-earth content, or
    1 per t), year- and probability-weighted; 0 for sell offers."""
    buy = pm.sets.buy.merge(pm.sets.offers[["offer", "commodity", "side"]], on="offer",
                            how="left")
    w = weights(pm.instance.chain, pm.instance.settings.share_basis)
    content = np.where(is_sale(buy), 0.0, buy["commodity"].map(w).to_numpy(dtype=float))
    return content * yearly_factor(pm.sets, buy["year"], buy["scenario"], discounted=False)


def responsibility_coefficients(pm) -> dict[str, np.ndarray]:
    """The responsible-sourcing deficit: purchased_content times (1 - the offer's score)."""
    deficit = 1.0 - responsibility_scores(pm.instance).reindex(
        pm.sets.buy["offer"]).to_numpy()
    return {"buy": deficit * purchased_content(pm)}


def as_float(parts: dict[str, dict[str, np.ndarray]]) -> dict[str, dict[str, np.ndarray]]:
    """Coefficient arrays as float64 (an empty table's columns may be of object dtype)."""
    return {k: {f: np.asarray(c, dtype=float) for f, c in v.items()} for k, v in parts.items()}


def total(parts: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Sum component coefficient vectors into one vector per family."""
    out: dict[str, np.ndarray] = {}
    for by_family in parts.values():
        for family, coef in by_family.items():
            out[family] = out[family] + coef if family in out else coef.copy()
    return out
