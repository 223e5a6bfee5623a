"""Tidy result tables: one row per index and value, units in column names.

Second-stage tables carry a `scenario` column and list non-zero values only (|x| > 1e-9).
Money columns are named after the instance currency; `value_*` is discounted and
probability-weighted (it sums to the cost objective), `undiscounted_*` is not discounted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.arrivals import plan_arrivals
from planner.chain import commodity_stages, process_stages
from planner.data.network import is_sale
from planner.formulation.balance import placed_shares
from planner.formulation.build import PlanningModel
from planner.formulation.collection import arrivals_in_solution
from planner.formulation.objectives import existing_fixed_om, module_charges
from planner.formulation.products import OPTION_FAMILY
from planner.solve import Solution

TOL = 1e-9


def _nonzero(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[frame[column].abs() > TOL].reset_index(drop=True)


def result_tables(pm: PlanningModel, sol: Solution) -> dict[str, pd.DataFrame]:
    sets, inst, x = pm.sets, pm.instance, sol.values
    fac = sets.facilities[["facility", "process", "region", "module_t", "lead_years"]]
    cur = inst.settings.currency

    builds = build_table(pm, sol)
    on = sets.online.assign(modules=x["build"][sets.online["b"]])
    on = on.merge(fac[["facility", "module_t"]], on="facility")
    built = (on.assign(built_t=on["modules"] * on["module_t"])
             .groupby(["facility", "year", "scenario"], as_index=False)["built_t"].sum())
    existing = sets.existing.merge(sets.scenarios[["scenario"]], how="cross")
    capacity = existing.merge(built, on=["facility", "year", "scenario"], how="outer").fillna(
        {"existing_t": 0.0, "built_t": 0.0})
    capacity["capacity_t"] = capacity["existing_t"] + capacity["built_t"]
    capacity = capacity.merge(fac[["facility", "process", "region"]], on="facility")
    capacity = capacity[capacity["capacity_t"] > TOL][
        ["scenario", "facility", "process", "region", "year", "existing_t", "built_t",
         "capacity_t"]].sort_values(["scenario", "facility", "year"]).reset_index(drop=True)

    activity = sets.act.assign(activity_t=x["act"]).merge(fac, on="facility")
    activity = _nonzero(activity[["scenario", "facility", "process", "region", "year",
                                  "activity_t", "avail"]], "activity_t")
    activity = activity.merge(capacity[["scenario", "facility", "year", "capacity_t"]],
                              on=["scenario", "facility", "year"], how="left")
    # share of the usable capacity (capacity x availability in that year and scenario)
    activity["utilisation"] = activity["activity_t"] / (activity["capacity_t"] *
                                                         activity["avail"])
    activity = activity.drop(columns=["capacity_t", "avail"])

    flows = sets.flow.assign(flow_t=x["flow"]).merge(pm.sets.links, on="link")
    flows["delivered_t"] = flows["flow_t"] * (1.0 - flows["loss"])
    flows = _nonzero(flows[["scenario", "origin", "destination", "commodity", "year", "flow_t",
                            "delivered_t"]], "flow_t")

    purchases, sales = trades(pm, sol)

    short = pm.frames["short"].assign(shortfall_t=x["short"]).merge(
        pm.frames["balance"][["region", "commodity", "year", "scenario", "demand_t"]])
    shortfall = _nonzero(short[["scenario", "region", "commodity", "year", "demand_t",
                                "shortfall_t"]], "shortfall_t")
    demand = pm.frames["balance"][["scenario", "region", "commodity", "year", "demand_t"]]
    demand = demand[demand["demand_t"] > TOL].merge(
        short[["scenario", "region", "commodity", "year", "shortfall_t"]], how="left",
        on=["scenario", "region", "commodity", "year"]).fillna({"shortfall_t": 0.0})
    demand["met_t"] = demand["demand_t"] - demand["shortfall_t"]
    demand = demand[["scenario", "region", "commodity", "year", "demand_t", "met_t",
                     "shortfall_t"]].reset_index(drop=True)
    disposal = _nonzero(pm.frames["dispose"].assign(disposed_t=x["dispose"])[
        ["scenario", "region", "commodity", "year", "disposed_t"]], "disposed_t")

    arrivals = eol_arrivals(pm, sol)
    collection = collection_table(pm, sol, arrivals)
    costs = cost_table(pm, sol)
    costs = costs.rename(columns={"value": f"value_{cur}", "undiscounted": f"undiscounted_{cur}"})
    return {
        "builds": builds, "build_plan": build_plan(pm, builds), "capacity": capacity,
        "activity": activity,
        "process_flows": process_flows(activity, inst.chain), "flows": flows,
        "purchases": purchases, "sales": sales, "demand": demand, "shortfall": shortfall,
        "disposal": disposal,
        "eol_arrivals": arrivals, "collection": collection,
        "product_options": product_option_table(pm, sol), "inventory": inventory_table(pm, sol),
        "costs": costs,
        "emissions": emission_table(pm, sol),
    }


def build_table(pm: PlanningModel, sol: Solution) -> pd.DataFrame:
    """scenario, facility, process, region, year (decided), online_year, modules,
    capacity_added_t, node: every build in every scenario; `node` is the scenario that stands
    for all that cannot yet be told apart in the decision year (planner.tree), so rows with
    the same node, year and facility are one decision."""
    sets = pm.sets
    fac = sets.facilities[["facility", "process", "region", "module_t", "lead_years"]]
    builds = sets.build.assign(modules=sol.values["build"].astype(int)).merge(fac, on="facility")
    # the first model year the modules operate in (build year + lead, rounded up to the grid)
    first = np.searchsorted(sets.years, builds["year"] + builds["lead_years"])
    builds["online_year"] = sets.years[np.minimum(first, len(sets.years) - 1)]
    builds["capacity_added_t"] = builds["modules"] * builds["module_t"]
    builds["node"] = pm.tree.node(builds["scenario"], builds["year"],
                                  shared=pm.tree.shared_builds)
    return builds[builds["modules"] > 0][
        ["scenario", "facility", "process", "region", "year", "online_year", "modules",
         "capacity_added_t", "node"]].reset_index(drop=True)


def build_plan(pm: PlanningModel, builds: pd.DataFrame) -> pd.DataFrame:
    """The build plan as a tree: one row per decision, node, scenarios (the scenarios it is
    taken for: "all scenarios" or their names), probability (of reaching it), year, facility,
    process, region, online_year, modules, capacity_added_t; decisions for all scenarios
    first, then by year."""
    columns = ["node", "scenarios", "probability", "year", "facility", "process", "region",
               "online_year", "modules", "capacity_added_t"]
    if builds.empty:
        return pd.DataFrame(columns=columns)
    prob = pm.sets.scenarios.set_index("scenario")["probability"]
    members = builds.groupby(["node", "year", "facility"])["scenario"].agg(list)
    plan = builds.drop_duplicates(["node", "year", "facility"]).copy()
    names = members.loc[pd.MultiIndex.from_frame(plan[["node", "year", "facility"]])]
    everyone = len(pm.sets.scenarios)
    plan["scenarios"] = [("all scenarios" if len(m) == everyone else ", ".join(m))
                         for m in names]
    plan["probability"] = [float(prob.loc[m].sum()) for m in names]
    plan = plan.sort_values(["probability", "year", "facility"], ascending=[False, True, True],
                            kind="stable")
    return plan[columns].reset_index(drop=True)


def inventory_table(pm: PlanningModel, sol: Solution) -> pd.DataFrame:
    """scenario, storage, region, commodity, year, stock_t (year end), added_t and drawn_t
    (t/yr), capacity_t (in place and built, online), built_t (capacity decided that year):
    every storage's stock in every scenario; rows where all are zero are left out."""
    columns = ["scenario", "storage", "region", "commodity", "year", "stock_t", "added_t",
               "drawn_t", "capacity_t", "built_t"]
    levels = pm.sets.storage
    if levels.empty:
        return pd.DataFrame(columns=columns)
    x = sol.values
    table = levels.assign(stock_t=x["stock"], added_t=x["stock_in"], drawn_t=x["stock_out"])
    built = pm.sets.storage_builds.assign(built_t=x["store_build"])
    table = table.merge(built, on=["storage", "year", "scenario"], how="left").fillna(
        {"built_t": 0.0})
    online = built.merge(levels[["storage", "lead_years"]].drop_duplicates("storage"),
                         on="storage")
    online = online.rename(columns={"year": "build_year"}).merge(
        levels[["storage", "year", "scenario"]], on=["storage", "scenario"])
    online = online[online["build_year"] + online["lead_years"] <= online["year"]]
    added = online.groupby(["storage", "year", "scenario"])["built_t"].sum()
    table["capacity_t"] = table["existing_t"].to_numpy() + added.reindex(
        pd.MultiIndex.from_frame(table[["storage", "year", "scenario"]]),
        fill_value=0.0).to_numpy()
    values = ["stock_t", "added_t", "drawn_t", "capacity_t", "built_t"]
    table = table[(table[values].abs() > TOL).any(axis=1)]
    return table[columns].sort_values(["scenario", "storage", "year"]).reset_index(drop=True)


def trades(pm: PlanningModel, sol: Solution) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(purchases, sales): scenario, offer, region, commodity, year and bought_t (buy offers)
    or sold_t (sell offers, offers.csv `side`), t/yr, non-zero rows only."""
    table = pm.sets.buy.assign(t=sol.values["buy"]).merge(
        pm.sets.offers[["offer", "region", "commodity"]].assign(
            sold=is_sale(pm.sets.offers)), on="offer")
    columns = ["scenario", "offer", "region", "commodity", "year", "t"]
    return (_nonzero(table.loc[~table["sold"], columns].rename(columns={"t": "bought_t"}),
                     "bought_t"),
            _nonzero(table.loc[table["sold"], columns].rename(columns={"t": "sold_t"}),
                     "sold_t"))


def collection_table(pm: PlanningModel, sol: Solution, arrivals: pd.DataFrame) -> pd.DataFrame:
    """scenario, product, region, commodity, year, arrivals_t, leaked_t, collected_t,
    uncollected_t: the fate of each product's end of life (t/yr). Where no collection data is in
    force, everything that arrives is collected."""
    key = ["product", "region", "year", "scenario"]
    table = arrivals[key + ["commodity", "arrivals_t"]].copy()
    col = pm.frames["collect"].assign(t=sol.values["collect"]).groupby(key)["t"].sum()
    unc = pm.frames["uncollected"].assign(t=sol.values["uncollected"]).set_index(key)["t"]
    index = pd.MultiIndex.from_frame(table[key])
    held = index.isin(unc.index)
    table["collected_t"] = np.where(held, col.reindex(index, fill_value=0.0).to_numpy(),
                                    table["arrivals_t"].to_numpy())
    table["uncollected_t"] = unc.reindex(index, fill_value=0.0).to_numpy()
    table["leaked_t"] = np.where(held, table["arrivals_t"] - table["collected_t"] -
                                 table["uncollected_t"], 0.0)
    return table[["scenario", "product", "region", "commodity", "year", "arrivals_t",
                  "leaked_t", "collected_t", "uncollected_t"]].reset_index(drop=True)


def placed(pm: PlanningModel, sol: Solution) -> pd.DataFrame:
    """product, region, year, scenario, placed_t: what the plan placed in use (t/yr): each
    product's demand less its pro-rata part of the shortfall (formulation/balance.py) and less
    what its life extension and substitution options met (formulation/products.py)."""
    key = ["region", "commodity", "year", "scenario"]
    unmet = pd.Series(sol.values["short"], index=pd.MultiIndex.from_frame(
        pm.frames["short"][key]))
    rows = placed_shares(pm.sets)
    short = unmet.reindex(pd.MultiIndex.from_frame(rows[key]), fill_value=0.0).to_numpy()
    place = ["product", "region", "year", "scenario"]
    met = pd.concat([pm.frames[f][place].assign(t=sol.values[f]) for f in OPTION_FAMILY.values()]
                    ).groupby(place)["t"].sum()
    met = met.reindex(pd.MultiIndex.from_frame(rows[place]), fill_value=0.0).to_numpy()
    return rows.assign(placed_t=np.maximum(rows["demand_t"].to_numpy() -
                                           rows["share"].to_numpy() * short - met, 0.0))


def eol_arrivals(pm: PlanningModel, sol: Solution) -> pd.DataFrame:
    """planner.arrivals.COLUMNS of the solution: arrivals_t as the model counts them (those of
    full demand less what shortfall and product options took back or moved), stock_t of what
    was placed, plus the products kept in use by life extension (from their retiring year to
    the year they now retire)."""
    place = ["product", "region", "year", "scenario"]
    table = plan_arrivals(pm.instance, placed(pm, sol), list(pm.sets.scenarios["scenario"]))
    exact = pm.sets.arrivals.assign(arrivals_t=arrivals_in_solution(pm, sol.values,
                                                                    pm.sets.arrivals))
    table["arrivals_t"] = exact.set_index(place)["arrivals_t"].reindex(
        pd.MultiIndex.from_frame(table[place]), fill_value=0.0).to_numpy()
    ext = pm.frames["extend"].assign(t=sol.values["extend"])
    ext = ext[ext["t"] > TOL]
    if len(ext):
        kept = ext.merge(pd.DataFrame({"at": pm.sets.years}), how="cross")
        kept = kept[(kept["at"] >= kept["year"]) &
                    (kept["at"] < kept["year"] + kept["years_added"])]
        kept = kept.assign(year=kept["at"]).groupby(place)["t"].sum()
        table["stock_t"] += kept.reindex(pd.MultiIndex.from_frame(table[place]),
                                         fill_value=0.0).to_numpy()
    return table


def product_option_table(pm: PlanningModel, sol: Solution) -> pd.DataFrame:
    """scenario, product, region, year, kind (serve, life_extension, substitution), lever (the
    accepted commodity, or the option), commodity (what serving takes: the accepted commodity;
    empty for options), placed (the product's placed commodity), t: how much of each product's
    demand each product option met (t/yr)."""
    columns = ["scenario", "product", "region", "year", "kind", "lever", "commodity", "placed",
               "t"]
    serve = pm.frames["serve"]
    parts = [serve.assign(kind="serve", lever=serve["commodity"], t=sol.values["serve"])]
    for kind, family in OPTION_FAMILY.items():
        rows = pm.frames[family]
        parts.append(rows.assign(kind=kind, lever=rows["option"], commodity="",
                                 t=sol.values[family]))
    return _nonzero(pd.concat([p[columns] for p in parts], ignore_index=True), "t")


def process_flows(activity: pd.DataFrame, chain) -> pd.DataFrame:
    """scenario, facility, process, region, year, commodity, direction ("in" / "out"), t: the
    tonnes each facility takes in and puts out (activity times the chain's coefficients)."""
    rows = [(p, c, "in", a) for p, q in chain.processes.items() for c, a in q.inputs.items()]
    rows += [(p, c, "out", b) for p, q in chain.processes.items() for c, b in q.outputs.items()]
    coefs = pd.DataFrame(rows, columns=["process", "commodity", "direction", "t_per_t"])
    table = activity[["scenario", "facility", "process", "region", "year", "activity_t"]].merge(
        coefs, on="process")
    table["t"] = table.pop("activity_t") * table.pop("t_per_t")
    return _nonzero(table.sort_values(["scenario", "year", "facility", "direction",
                                       "commodity"]), "t")


def _element_keys(pm: PlanningModel, family: str) -> pd.DataFrame:
    """region and stage each element of a variable family is reported under: a facility's region
    and its process's stage; a link's destination (where transport and tariffs are paid) and a
    purchase's, shortfall's or disposal's region, with the commodity's stage."""
    sets, frame = pm.sets, pm.frames[family]
    commodity_stage = commodity_stages(pm.instance.chain)
    if family in ("act", "build"):
        return pd.DataFrame(_facility_keys(pm, frame["facility"]))
    if family == "flow":
        frame = frame.merge(sets.links, on="link", how="left")
        frame = frame.rename(columns={"destination": "region"})
    elif family == "buy":
        frame = frame.merge(sets.offers[["offer", "region", "commodity"]], on="offer",
                            how="left")
    elif family in ("extend", "substitute"):  # under the stage of the product's placed commodity
        frame = frame.rename(columns={"placed": "commodity"})
    elif family == "store_build":  # under the storage's region and commodity
        frame = frame.merge(sets.storage.drop_duplicates("storage")[
            ["storage", "region", "commodity"]], on="storage", how="left")
    return pd.DataFrame({"region": frame["region"].to_numpy(),
                         "stage": frame["commodity"].map(commodity_stage).to_numpy()})


def _per_scenario(pm: PlanningModel, family: str, weighted: np.ndarray) -> pd.DataFrame:
    """scenario, year, region, stage and value of each element, probability weight removed:
    what happens in that scenario. First-stage families (no scenario index) count in full in
    every scenario."""
    frame = pm.frames[family]
    keys = _element_keys(pm, family)
    prob = pm.sets.scenarios.set_index("scenario")["probability"]
    if "scenario" in frame:
        p = prob.loc[frame["scenario"]].to_numpy()
        return pd.DataFrame({"scenario": frame["scenario"].to_numpy(),
                             "year": frame["year"].to_numpy(), **keys,
                             "value": np.divide(weighted, p, out=np.zeros(len(p)),
                                                where=p > 0)})
    single = pd.DataFrame({"year": frame["year"].to_numpy(), **keys, "value": weighted})
    return single.merge(pm.sets.scenarios[["scenario"]], how="cross")


def _facility_keys(pm: PlanningModel, facilities: pd.Series) -> dict[str, np.ndarray]:
    fac = pm.sets.facilities.set_index("facility")
    stage = process_stages(pm.instance.chain)
    return {"region": fac["region"].loc[facilities].to_numpy(),
            "stage": fac["process"].loc[facilities].map(stage).to_numpy()}


def cost_table(pm: PlanningModel, sol: Solution) -> pd.DataFrame:
    """scenario, probability, component, region, stage, year, value (discounted), undiscounted:
    the cost of each component, region, stage and year if that scenario happens;
    sum_s probability * value is the cost objective. Capital and fixed O&M are those of the
    scenario's own builds; the fixed O&M of existing capacity appears in every scenario."""
    sets, x = pm.sets, sol.values
    df = sets.discount
    w = sets.weight
    # capital and fixed O&M of new modules are charged in the years they operate (the charges
    # per module and year are the objective's: formulation.objectives.module_charges)
    on, ex = sets.online, sets.existing
    charges = module_charges(sets, pm.instance.settings.discount_rate)
    per_year = x["build"][on["b"]] * w.loc[on["year"]].to_numpy()
    on_keys = _facility_keys(pm, on["facility"])
    parts = [pd.DataFrame({"component": component, "year": on["year"], **on_keys,
                           "scenario": on["scenario"],
                           "undiscounted": per_year * charges[component].to_numpy()})
             for component in ("capital", "fixed_om")]
    parts.append(pd.DataFrame({"component": "fixed_om", "year": ex["year"],
                               **_facility_keys(pm, ex["facility"]),
                               "undiscounted": existing_fixed_om(sets) *
                               w.loc[ex["year"]].to_numpy()}).merge(
        sets.scenarios[["scenario"]], how="cross"))
    for component, by_family in pm.cost_parts.items():
        if component in ("capital", "fixed_om"):
            continue
        for family, coef in by_family.items():
            part = _per_scenario(pm, family, coef * x[family])
            part["undiscounted"] = part.pop("value") / df.loc[part["year"]].to_numpy()
            parts.append(part.assign(component=component))
    table = pd.concat(parts, ignore_index=True).groupby(
        ["scenario", "component", "region", "stage", "year"], as_index=False)["undiscounted"].sum()
    table["value"] = table["undiscounted"] * df.loc[table["year"]].to_numpy()
    table = table[table["undiscounted"].abs() > TOL]
    table = table.merge(sets.scenarios[["scenario", "probability"]], on="scenario")
    return table[["scenario", "probability", "component", "region", "stage", "year", "value",
                  "undiscounted"]].reset_index(drop=True)


def emission_table(pm: PlanningModel, sol: Solution) -> pd.DataFrame:
    """scenario, probability, source, region, stage, year, t_co2e: emissions if that scenario
    happens; sum_s probability * t_co2e is the emissions objective. Transport is counted at the
    link's origin (where the carrier leaves)."""
    parts = []
    origin = pm.frames["flow"].merge(pm.sets.links, on="link", how="left")["origin"].to_numpy()
    for source, by_family in pm.emission_parts.items():
        for family, coef in by_family.items():
            part = _per_scenario(pm, family, coef * sol.values[family])
            if family == "flow":
                part["region"] = origin
            parts.append(part.assign(source=source))
    table = pd.concat(parts, ignore_index=True).groupby(
        ["scenario", "source", "region", "stage", "year"], as_index=False)["value"].sum()
    table = table.rename(columns={"value": "t_co2e"})
    table = table[table["t_co2e"].abs() > TOL]
    table = table.merge(pm.sets.scenarios[["scenario", "probability"]], on="scenario")
    return table[["scenario", "probability", "source", "region", "stage", "year", "t_co2e"]
                 ].reset_index(drop=True)
