"""Policies from policies.csv, per year t from the policy's year on and per scenario s.

A policy row holds from its `from_year` until a later row of the same policy and region.
Scope: the row's region, or (empty region) all domestic regions for shares and all regions
for emissions. Shares count each t of commodity c by its weight w_c: its rare-earth content
(t of NdPr + Dy/Tb metal per t) on the `rare_earth` share basis (instance.yaml `share_basis`,
the default), 1 on the `mass` basis (and for a chain without rare-earth content).
D[t,s] = sum_c w_c demand[c,t,s] over the scope's regions (all commodities with demand).

  min_recycled_share  sum_{f in scope} credit_p(f) act[f,t,s] >= value * D[t,s]
                      mass: credit = `recycled_credit` of the process, t of demand-commodity
                      equivalent per unit of activity (1 for reuse, remanufacture, short and
                      long loop processes unless the value chain says otherwise);
                      rare_earth: credit = recycled_credit x the rare earths of the process's
                      recycled outputs (planner.rare_earths.recycled_output_re: its first
                      output and any output no reverse loop takes in; scrap going round again
                      is not counted twice)
  min_domestic_share  sum_{f in scope} sum_{c with demand} w_c b[p(f),c] act[f,t,s]
                      >= value * D[t,s]
  max_country_share   for each origin country k and stage g:
                      imports_k,g <= value * (imports_g + domestic output_g), where imports are
                      w-weighted flows from non-domestic regions into the scope and domestic
                      output is what the scope's facilities make of commodities of stage g,
                      w-weighted
  min_stock_days      sum_{k in scope} w_c(k) stock[k,t,s] >= value / 365 * D[t,s]: year-end
                      stocks (formulation/inventory.py), on the share basis, cover `value`
                      days of the scope's demand
  emissions_cap_t     emissions attributed to the scope in year t, scenario s <= value
  carbon_price_per_t  adds value * emissions (attributed to the region, or all) to the cost
Emissions are attributed to the facility's region, the link's origin, the offer's region, the
disposal region.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.chain import commodity_stages
from planner.data.network import is_import
from planner.formulation.rows import add_rows, terms
from planner.formulation.sets import yearly_factor
from planner.rare_earths import effective_basis, recycled_output_re, weights

KEY = ["policy", "region", "year", "scenario"]
DAYS = 365.0  # days of demand in a year


def policy_schedule(policies: pd.DataFrame, years: np.ndarray) -> pd.DataFrame:
    """policy, region, year, value: the value in force in each model year (rows from their year
    until the next row of the same policy and region)."""
    if policies.empty:
        return pd.DataFrame(columns=["policy", "region", "year", "value"])
    grid = policies[["policy", "region", "from_year", "value"]].merge(
        pd.DataFrame({"year": years}), how="cross")
    grid = grid[grid["year"] >= grid["from_year"]]
    latest = grid.sort_values("from_year").groupby(["policy", "region", "year"]).tail(1)
    return latest[["policy", "region", "year", "value"]].reset_index(drop=True)


def schedule_policies(pm) -> None:
    """pm.policy_schedule: the value of every policy in force in each model year."""
    pm.policy_schedule = policy_schedule(pm.instance.policies, pm.sets.years)


def element_weights(pm, family: str) -> np.ndarray:
    """w_t pi_s of each element of a second-stage family."""
    frame = pm.frames[family]
    return yearly_factor(pm.sets, frame["year"], frame["scenario"], discounted=False)


def emission_regions(pm) -> dict[str, np.ndarray]:
    """The region each element's emissions are attributed to."""
    sets = pm.sets
    return {
        "act": sets.act.merge(sets.facilities[["facility", "region"]], on="facility",
                              how="left")["region"].to_numpy(),
        "flow": sets.flow.merge(sets.links, on="link", how="left")["origin"].to_numpy(),
        "buy": sets.buy.merge(sets.offers, on="offer", how="left")["region"].to_numpy(),
        "dispose": pm.frames["dispose"]["region"].to_numpy(),
        "uncollected": pm.frames["uncollected"]["region"].to_numpy(),
    }


def carbon_prices(pm, regions: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Carbon price of each (region, year): the region's own row, else the all-regions row."""
    sched = pm.policy_schedule
    sched = sched[sched["policy"] == "carbon_price_per_t"].set_index(["region", "year"])["value"]
    if sched.empty:
        return np.zeros(len(regions))
    own = sched.reindex(pd.MultiIndex.from_arrays([regions, years])).to_numpy()
    every = sched.reindex(pd.MultiIndex.from_arrays([np.full(len(regions), ""), years]))
    return np.where(np.isnan(own), every.fillna(0.0).to_numpy(), own)


def _scope(pm, region: str, kind: str) -> set[str]:
    regions = pm.instance.regions
    if region:
        return {region}
    if kind == "emissions":
        return set(regions["region"])
    return set(regions.loc[regions["domestic"], "region"])


def recycled_credits(chain, basis: str) -> dict[str, float]:
    """process -> what one unit of its activity counts towards min_recycled_share: its
    recycled_credit (t of demand-commodity equivalent) on the mass basis; on the rare-earth basis
    recycled_credit x the rare earths of its recycled outputs (t of rare earths)."""
    if effective_basis(basis, chain) == "mass":
        return {n: p.recycled_credit for n, p in chain.processes.items()}
    return {n: p.recycled_credit * recycled_output_re(chain, p)
            for n, p in chain.processes.items()}


def _no_terms() -> pd.DataFrame:
    return terms(np.zeros(0, dtype=int), "act", np.zeros(0, dtype=int), np.zeros(0))


def define_policies(pm) -> None:
    """The policy rows; pm.frames["policy"] describes them (policy, region, year, scenario,
    group, lower, upper; group is `country/stage` for max_country_share; target, the policy's
    value; base and unit of what it measures) and pm.policy_measure what each measures:
    the recycled or domestic share of demand, a country's share of its stage, days of demand
    in stock, t CO2e (numerator / (base + denominator), on the solution's values)."""
    sched = pm.policy_schedule
    sched = sched[sched["policy"] != "carbon_price_per_t"]
    if sched.empty:
        pm.frames["policy"] = pd.DataFrame(columns=KEY + ["group", "lower", "upper", "target",
                                                          "base", "unit"])
        pm.policy_measure = {"numerator": _no_terms(), "denominator": _no_terms()}
        return
    sets, chain = pm.sets, pm.instance.chain
    scen = sets.scenarios["scenario"].to_numpy()
    fac = sets.facilities.set_index("facility")
    act = sets.act.reset_index(names="pos").assign(
        region=lambda d: fac["region"].loc[d["facility"]].to_numpy(),
        process=lambda d: fac["process"].loc[d["facility"]].to_numpy())
    flow = sets.flow.reset_index(names="pos").merge(sets.links, on="link", how="left")
    imported = is_import(flow["origin"], flow["destination"],
                         pm.instance.regions.set_index("region")["domestic"])
    country = pm.instance.regions.set_index("region")["country"]
    demand = sets.demand
    demand_commodities = set(demand.loc[demand["demand_t"] > 0, "commodity"])
    stage_of = commodity_stages(chain)
    emission_region = emission_regions(pm)
    w = weights(chain, pm.instance.settings.share_basis)
    credits = recycled_credits(chain, pm.instance.settings.share_basis)
    stock = sets.storage.reset_index(names="pos")

    rows, parts, numerator, denominator = [], [], [], []

    def new_row(policy, region, year, s, group, lower, upper, target, base, unit):
        rows.append((policy, region, year, s, group, lower, upper, target, base, unit))
        return len(rows) - 1

    for p in sched.itertuples():
        kind = "emissions" if p.policy == "emissions_cap_t" else "share"
        scope = _scope(pm, p.region, kind)
        for s in scen:
            a = act[(act["year"] == p.year) & (act["scenario"] == s) & act["region"].isin(scope)]
            d_rows = demand[(demand["year"] == p.year) & (demand["scenario"] == s) &
                            demand["region"].isin(scope)]
            d = (d_rows["demand_t"] * d_rows["commodity"].map(w)).sum()
            if p.policy == "min_recycled_share":
                credit = a["process"].map(credits).to_numpy()
                r = new_row(p.policy, p.region, p.year, s, "", p.value * d, np.nan, p.value, d,
                            "share")
                parts.append(terms(np.full(len(a), r), "act", a["pos"], credit))
                numerator.append(parts[-1])
            elif p.policy == "min_domestic_share":
                made = a["process"].map({k: sum(v.outputs.get(c, 0.0) * w[c] for c in
                                                demand_commodities)
                                         for k, v in chain.processes.items()}).to_numpy()
                r = new_row(p.policy, p.region, p.year, s, "", p.value * d, np.nan, p.value, d,
                            "share")
                parts.append(terms(np.full(len(a), r), "act", a["pos"], made))
                numerator.append(parts[-1])
            elif p.policy == "max_country_share":
                f = flow[(flow["year"] == p.year) & (flow["scenario"] == s) &
                         flow["destination"].isin(scope) & imported]
                f = f.assign(country=f["origin"].map(country).to_numpy(),
                             stage=f["commodity"].map(stage_of).to_numpy(),
                             w=f["commodity"].map(w).to_numpy())
                for (k, g), own in f.groupby(["country", "stage"]):
                    others = f[(f["stage"] == g) & (f["country"] != k)]
                    made = a.assign(out=a["process"].map(
                        {n: sum(b * w[c] for c, b in v.outputs.items() if stage_of[c] == g)
                         for n, v in chain.processes.items()}))
                    made = made[made["out"] > 0]
                    r = new_row(p.policy, p.region, p.year, s, f"{k}/{g}", np.nan, 0.0,
                                p.value, 0.0, "share")
                    parts += [terms(np.full(len(own), r), "flow", own["pos"],
                                    (1.0 - p.value) * own["w"].to_numpy()),
                              terms(np.full(len(others), r), "flow", others["pos"],
                                    -p.value * others["w"].to_numpy()),
                              terms(np.full(len(made), r), "act", made["pos"],
                                    -p.value * made["out"].to_numpy())]
                    # the share: k's imports over all imports and domestic output of stage g
                    numerator.append(terms(np.full(len(own), r), "flow", own["pos"],
                                           own["w"].to_numpy()))
                    denominator += [
                        numerator[-1],
                        terms(np.full(len(others), r), "flow", others["pos"],
                              others["w"].to_numpy()),
                        terms(np.full(len(made), r), "act", made["pos"], made["out"].to_numpy())]
            elif p.policy == "min_stock_days":
                held = stock[(stock["year"] == p.year) & (stock["scenario"] == s) &
                             stock["region"].isin(scope)]
                r = new_row(p.policy, p.region, p.year, s, "", p.value / DAYS * d, np.nan,
                            p.value, d / DAYS, "days")
                parts.append(terms(np.full(len(held), r), "stock", held["pos"],
                                   held["commodity"].map(w).to_numpy(dtype=float)))
                numerator.append(parts[-1])
            elif p.policy == "emissions_cap_t":
                r = new_row(p.policy, p.region, p.year, s, "", np.nan, p.value, p.value, 1.0,
                            "t CO2e")
                for family, coef in pm.coefficients["emissions"].items():
                    frame = pm.frames[family]
                    pick = ((frame["year"] == p.year) & (frame["scenario"] == s)).to_numpy() & \
                        np.isin(emission_region[family], list(scope))
                    per_year = coef[pick] / element_weights(pm, family)[pick]
                    parts.append(terms(np.full(pick.sum(), r), family, np.flatnonzero(pick),
                                       per_year))
                    numerator.append(parts[-1])
    table = pd.DataFrame(rows, columns=KEY + ["group", "lower", "upper", "target", "base",
                                              "unit"])
    pm.frames["policy"] = table
    pm.policy_measure = {"numerator": pd.concat([_no_terms(), *numerator]),
                         "denominator": pd.concat([_no_terms(), *denominator])}
    add_rows(pm.model, "policy", pd.concat(parts), len(table), table["lower"], table["upper"],
             pm.variables)
