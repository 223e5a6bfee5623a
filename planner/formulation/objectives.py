"""Cost, emissions and risk as coefficient vectors per variable family, and the objective.

cost (discounted, currency) = sum_t DF_t w_t [capital charge + fixed O&M * capacity
  + variable cost * act + (transport + tariff) * flow + price * buy + disposal cost * dispose
  + shortage penalty * short], second-stage terms weighted by scenario probability pi_s.
Capital charge: a module of facility f built in tau costs capex[f] * CRF(rate, life[f]) in every
model year it operates inside the horizon (CRF = rate / (1 - (1 + rate)^-life); 1/life at rate 0),
so a one-year horizon with rate 0 and life 1 charges exactly the capex, and a late build pays only
for the years it serves inside the horizon.
carbon = sum_t DF_t carbon price[r,t] * emissions attributed to r (see policies.py).
emissions (t CO2e) = sum_t w_t pi_s [(direct + electricity * grid[r,t]) act / 1000
  + link kg/t * flow / 1000 + offer kg/t * buy / 1000 + disposal kg/t * dispose / 1000].
risk (t) = sum_t w_t pi_s risk[o(l)] flow[l] over links from a non-domestic region into a
  domestic one: imported tonnes weighted by the origin's risk score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.formulation.policies import carbon_prices, emission_regions

COST_COMPONENTS = ("capital", "fixed_om", "variable_om", "transport", "tariffs", "purchases",
                   "disposal", "carbon", "shortage")


def capital_recovery_factor(rate: float, life: np.ndarray) -> np.ndarray:
    life = np.asarray(life, dtype=float)
    if rate == 0:
        return 1.0 / life
    return rate / (1.0 - (1.0 + rate) ** -life)


def yearly_factor(sets, years, scenarios=None, discounted=True) -> np.ndarray:
    """w_t (* DF_t) (* pi_s) for arrays of years (and scenarios)."""
    f = sets.weight.loc[years].to_numpy()
    if discounted:
        f = f * sets.discount.loc[years].to_numpy()
    if scenarios is not None:
        f = f * sets.scenarios.set_index("scenario")["probability"].loc[scenarios].to_numpy()
    return f


def cost_coefficients(pm) -> dict[str, dict[str, np.ndarray]]:
    """component -> family -> coefficient per variable (discounted, probability-weighted)."""
    sets, inst = pm.sets, pm.instance
    fac = sets.facilities.set_index("facility")
    n = {k: len(v) for k, v in pm.variables.items()}
    out = {c: {} for c in COST_COMPONENTS}

    on = sets.online
    df_on = yearly_factor(sets, on["year"])
    life = fac["life_years"].loc[on["facility"]]
    crf = capital_recovery_factor(inst.settings.discount_rate, life)
    capex = fac["capex_per_module"].loc[on["facility"]].to_numpy() * crf
    fixed = (fac["fixed_cost_per_t"] * fac["module_t"]).loc[on["facility"]].to_numpy()
    out["capital"]["build"] = np.bincount(on["b"], capex * df_on, minlength=n["build"])
    out["fixed_om"]["build"] = np.bincount(on["b"], fixed * df_on, minlength=n["build"])

    act = sets.act
    f_act = yearly_factor(sets, act["year"], act["scenario"])
    out["variable_om"]["act"] = (fac["variable_cost_per_t"].loc[act["facility"]].to_numpy() *
                                 act["var_mult"].to_numpy() * f_act)
    flow = sets.flow.merge(pm.sets.links, on="link", how="left")
    f_flow = yearly_factor(sets, flow["year"], flow["scenario"])
    out["transport"]["flow"] = (flow["cost_per_t"] * flow["cost_mult"]).to_numpy() * f_flow
    out["tariffs"]["flow"] = (flow["tariff_per_t"] * flow["tariff_mult"]).to_numpy() * f_flow
    buy = sets.buy.merge(pm.sets.offers, on="offer", how="left")
    out["purchases"]["buy"] = (buy["price_per_t"] * buy["price_mult"]).to_numpy(
        dtype=float) * yearly_factor(
        sets, buy["year"], buy["scenario"])
    dis = pm.frames["dispose"]
    unit = pd.Series({c: k.disposal_cost_per_t for c, k in inst.chain.commodities.items()})
    out["disposal"]["dispose"] = unit.loc[dis["commodity"]].to_numpy() * yearly_factor(
        sets, dis["year"], dis["scenario"])
    short = pm.frames["short"]
    out["shortage"]["short"] = inst.settings.shortage_penalty_per_t * yearly_factor(
        sets, short["year"], short["scenario"])
    regions = emission_regions(pm)
    for family in ("act", "flow", "buy", "dispose"):
        tonnes = sum(part[family] for part in pm.emission_parts.values() if family in part)
        years = pm.frames[family]["year"].to_numpy()
        price = carbon_prices(pm, regions[family], years)
        if np.any(price):
            out["carbon"][family] = tonnes * price * sets.discount.loc[years].to_numpy()
    return out


def fixed_cost_constant(pm) -> float:
    """Discounted fixed O&M of existing capacity (not a decision, but part of the cost)."""
    sets = pm.sets
    ex = sets.existing
    unit = sets.facilities.set_index("facility")["fixed_cost_per_t"].loc[ex["facility"]]
    return float((unit.to_numpy() * ex["existing_t"].to_numpy() *
                  yearly_factor(sets, ex["year"])).sum())


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
    dis = pm.frames["dispose"]
    unit = pd.Series({c: k.disposal_kgco2e_per_t for c, k in chain.commodities.items()})
    return {
        "process_direct": {"act": direct.loc[act["process"]].to_numpy() * f_act},
        "process_electricity": {"act": kwh.loc[act["process"]].to_numpy() * grid * f_act},
        "transport": {"flow": flow["kgco2e_per_t"].to_numpy() * yearly_factor(
            sets, flow["year"], flow["scenario"], discounted=False) / 1000.0},
        "purchases": {"buy": buy["kgco2e_per_t"].to_numpy(dtype=float) * yearly_factor(
            sets, buy["year"], buy["scenario"], discounted=False) / 1000.0},
        "disposal": {"dispose": unit.loc[dis["commodity"]].to_numpy() * yearly_factor(
            sets, dis["year"], dis["scenario"], discounted=False) / 1000.0},
    }


def risk_coefficients(pm) -> dict[str, np.ndarray]:
    """Imported tonnes weighted by the origin region's risk score (year- and prob-weighted)."""
    regions = pm.instance.regions.set_index("region")
    flow = pm.sets.flow.merge(pm.sets.links, on="link", how="left")
    imported = (~regions["domestic"].loc[flow["origin"]].to_numpy()) & (
        regions["domestic"].loc[flow["destination"]].to_numpy())
    risk = regions["risk"].loc[flow["origin"]].to_numpy() * imported
    return {"flow": risk * yearly_factor(pm.sets, flow["year"], flow["scenario"],
                                         discounted=False)}


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
