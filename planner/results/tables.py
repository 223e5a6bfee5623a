"""Tidy result tables: one row per index and value, units in column names.

Second-stage tables carry a `scenario` column and list non-zero values only (|x| > 1e-9).
Money columns are named after the instance currency; `value_*` is discounted and
probability-weighted (it sums to the cost objective), `undiscounted_*` is not discounted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.formulation.build import PlanningModel
from planner.formulation.objectives import capital_recovery_factor
from planner.solve import Solution

TOL = 1e-9


def _nonzero(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[frame[column].abs() > TOL].reset_index(drop=True)


def result_tables(pm: PlanningModel, sol: Solution) -> dict[str, pd.DataFrame]:
    sets, inst, x = pm.sets, pm.instance, sol.values
    fac = sets.facilities[["facility", "process", "region", "module_t", "lead_years"]]
    cur = inst.settings.currency

    builds = sets.build.assign(modules=x["build"].astype(int)).merge(fac, on="facility")
    # the first model year the modules operate in (build year + lead, rounded up to the grid)
    first = np.searchsorted(sets.years, builds["year"] + builds["lead_years"])
    builds["online_year"] = sets.years[np.minimum(first, len(sets.years) - 1)]
    builds["capacity_added_t"] = builds["modules"] * builds["module_t"]
    builds = builds[builds["modules"] > 0][["facility", "process", "region", "year", "online_year",
                                            "modules", "capacity_added_t"]].reset_index(drop=True)

    on = sets.online.assign(modules=x["build"][sets.online["b"]])
    on = on.merge(fac[["facility", "module_t"]], on="facility")
    built = (on.assign(built_t=on["modules"] * on["module_t"])
             .groupby(["facility", "year"], as_index=False)["built_t"].sum())
    capacity = sets.existing.merge(built, on=["facility", "year"], how="outer").fillna(0.0)
    capacity["capacity_t"] = capacity["existing_t"] + capacity["built_t"]
    capacity = capacity.merge(fac[["facility", "process", "region"]], on="facility")
    capacity = capacity[capacity["capacity_t"] > TOL][
        ["facility", "process", "region", "year", "existing_t", "built_t", "capacity_t"]
    ].sort_values(["facility", "year"]).reset_index(drop=True)

    activity = sets.act.assign(activity_t=x["act"]).merge(fac, on="facility")
    activity = _nonzero(activity[["scenario", "facility", "process", "region", "year",
                                  "activity_t", "avail"]], "activity_t")
    activity = activity.merge(capacity[["facility", "year", "capacity_t"]],
                              on=["facility", "year"], how="left")
    # share of the usable capacity (capacity x availability in that year and scenario)
    activity["utilisation"] = activity["activity_t"] / (activity["capacity_t"] *
                                                         activity["avail"])
    activity = activity.drop(columns=["capacity_t", "avail"])

    flows = sets.flow.assign(flow_t=x["flow"]).merge(pm.sets.links, on="link")
    flows["delivered_t"] = flows["flow_t"] * (1.0 - flows["loss"])
    flows = _nonzero(flows[["scenario", "origin", "destination", "commodity", "year", "flow_t",
                            "delivered_t"]], "flow_t")

    purchases = sets.buy.assign(bought_t=x["buy"]).merge(
        pm.sets.offers[["offer", "region", "commodity"]], on="offer")
    purchases = _nonzero(purchases[["scenario", "offer", "region", "commodity", "year",
                                    "bought_t"]], "bought_t")

    short = pm.frames["short"].assign(shortfall_t=x["short"]).merge(
        pm.frames["balance"][["region", "commodity", "year", "scenario", "demand_t"]])
    shortfall = _nonzero(short[["scenario", "region", "commodity", "year", "demand_t",
                                "shortfall_t"]], "shortfall_t")
    disposal = _nonzero(pm.frames["dispose"].assign(disposed_t=x["dispose"])[
        ["scenario", "region", "commodity", "year", "disposed_t"]], "disposed_t")

    arrivals = pm.arrivals.copy()
    costs = cost_table(pm, sol, on)
    costs = costs.rename(columns={"value": f"value_{cur}", "undiscounted": f"undiscounted_{cur}"})
    return {
        "builds": builds, "capacity": capacity, "activity": activity, "flows": flows,
        "purchases": purchases, "shortfall": shortfall, "disposal": disposal,
        "eol_arrivals": arrivals, "costs": costs, "emissions": emission_table(pm, sol),
    }



def _per_scenario(pm: PlanningModel, family: str, weighted: np.ndarray) -> pd.DataFrame:
    """scenario and value of each element, probability weight removed: what happens in that
    scenario. First-stage families (no scenario index) count in full in every scenario."""
    frame = pm.frames[family]
    prob = pm.sets.scenarios.set_index("scenario")["probability"]
    if "scenario" in frame:
        p = prob.loc[frame["scenario"]].to_numpy()
        return pd.DataFrame({"scenario": frame["scenario"].to_numpy(), "year": frame["year"],
                             "value": np.divide(weighted, p, out=np.zeros(len(p)), where=p > 0)})
    single = pd.DataFrame({"year": frame["year"], "value": weighted})
    return single.merge(pm.sets.scenarios[["scenario"]], how="cross")


def cost_table(pm: PlanningModel, sol: Solution, on: pd.DataFrame) -> pd.DataFrame:
    """scenario, probability, component, year, value (discounted), undiscounted: the cost of
    each component and year if that scenario happens; sum_s probability * value is the cost
    objective. First-stage costs (capital, fixed O&M) appear in every scenario."""
    sets, x = pm.sets, sol.values
    fac = sets.facilities.set_index("facility")
    df = sets.discount
    w = sets.weight
    first_stage = []
    # capital and fixed O&M of new modules are charged in the years they operate
    crf = capital_recovery_factor(pm.instance.settings.discount_rate,
                                  fac["life_years"].loc[on["facility"]])
    per_year = on["modules"].to_numpy() * w.loc[on["year"]].to_numpy()
    first_stage.append(pd.DataFrame({"component": "capital", "year": on["year"],
                                     "undiscounted": per_year * crf *
                                     fac["capex_per_module"].loc[on["facility"]].to_numpy()}))
    fixed = fac["fixed_cost_per_t"]
    first_stage.append(pd.DataFrame({"component": "fixed_om", "year": on["year"],
                                     "undiscounted": per_year * on["module_t"].to_numpy() *
                                     fixed.loc[on["facility"]].to_numpy()}))
    ex = sets.existing
    first_stage.append(pd.DataFrame({"component": "fixed_om", "year": ex["year"],
                                     "undiscounted": ex["existing_t"].to_numpy() *
                                     w.loc[ex["year"]].to_numpy() *
                                     fixed.loc[ex["facility"]].to_numpy()}))
    parts = [pd.concat(first_stage).merge(sets.scenarios[["scenario"]], how="cross")]
    for component, by_family in pm.cost_parts.items():
        if component in ("capital", "fixed_om"):
            continue
        for family, coef in by_family.items():
            part = _per_scenario(pm, family, coef * x[family])
            part["undiscounted"] = part.pop("value") / df.loc[part["year"]].to_numpy()
            parts.append(part.assign(component=component))
    table = pd.concat(parts, ignore_index=True).groupby(
        ["scenario", "component", "year"], as_index=False)["undiscounted"].sum()
    table["value"] = table["undiscounted"] * df.loc[table["year"]].to_numpy()
    table = table[table["undiscounted"].abs() > TOL]
    table = table.merge(sets.scenarios[["scenario", "probability"]], on="scenario")
    return table[["scenario", "probability", "component", "year", "value", "undiscounted"]
                 ].reset_index(drop=True)


def emission_table(pm: PlanningModel, sol: Solution) -> pd.DataFrame:
    """scenario, probability, source, region, year, t_co2e: emissions if that scenario happens;
    sum_s probability * t_co2e is the emissions objective."""
    parts = []
    region_of = {
        "act": pm.frames["act"].merge(pm.sets.facilities[["facility", "region"]], on="facility",
                                      how="left")["region"].to_numpy(),
        "flow": pm.frames["flow"].merge(pm.sets.links, on="link", how="left")["origin"].to_numpy(),
        "buy": pm.frames["buy"].merge(pm.sets.offers, on="offer", how="left")["region"].to_numpy(),
        "dispose": pm.frames["dispose"]["region"].to_numpy(),
    }
    for source, by_family in pm.emission_parts.items():
        for family, coef in by_family.items():
            part = _per_scenario(pm, family, coef * sol.values[family])
            parts.append(part.assign(source=source, region=region_of[family]))
    table = pd.concat(parts, ignore_index=True).groupby(
        ["scenario", "source", "region", "year"], as_index=False)["value"].sum()
    table = table.rename(columns={"value": "t_co2e"})
    table = table[table["t_co2e"].abs() > TOL]
    table = table.merge(pm.sets.scenarios[["scenario", "probability"]], on="scenario")
    return table[["scenario", "probability", "source", "region", "year", "t_co2e"]
                 ].reset_index(drop=True)
