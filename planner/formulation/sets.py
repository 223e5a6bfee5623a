"""Sparse index sets of the model, computed once from the instance with pandas (no cross products).

Every variable family is a DataFrame whose row i describes variable i of that family:
  build  (facility, year, scenario)  modules commissioned-by-decision in `year` (in the
         facility's window and, if instance.yaml lists build_years, one of them)
  act    (facility, year, scenario)  activity, t of reference output; `avail` and `var_mult`
  flow   (link, year, scenario)      t shipped on a link; `cost_mult`, `tariff_mult`
  buy    (offer, year, scenario)     t bought from an offer; `price_mult`
  short  (region, commodity, year, scenario)  unmet demand, t
  dispose (region, commodity, year, scenario) t disposed
`online` pairs each build (facility, build year, scenario) with the model years its modules
operate in: build year tau counts in year t when tau + lead <= t < tau + lead + life.
Scenario effects enter as multipliers on these rows (bounds `ub`, costs, availability) and on
the demand, so every second-stage datum is indexed by scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.arrivals import arrival_kernel, plan_arrivals
from planner.data.effects import resolve_effects
from planner.data.instance import Instance
from planner.data.network import link_ids
from planner.formulation.collection import collection_sets
from planner.formulation.inventory import storage_sets
from planner.formulation.products import product_option_sets
from planner.formulation.scenarios import effect_table, multiplier

BIG_YEAR = 10_000


@dataclass(frozen=True)
class ModelSets:
    years: np.ndarray
    weight: pd.Series          # w_t, calendar years per model year
    discount: pd.Series        # DF_t
    scenarios: pd.DataFrame    # scenario, probability
    facilities: pd.DataFrame   # one row per facility, with its process data
    existing: pd.DataFrame     # facility, year, existing_t (only years with capacity)
    build: pd.DataFrame
    online: pd.DataFrame       # facility, build_year, scenario (-> build row `b`), year
    act: pd.DataFrame
    flow: pd.DataFrame
    buy: pd.DataFrame
    placements: pd.DataFrame   # region, commodity, year, product, scenario, demand_t
    demand: pd.DataFrame       # region, commodity, year, scenario, demand_t (over products)
    arrivals: pd.DataFrame     # planner.arrivals.COLUMNS: of full demand, per scenario
    kernels: dict              # product -> K[t, tau] (planner.arrivals.arrival_kernel)
    collection: pd.DataFrame   # leakage and tiers in force (formulation/collection.py)
    serve: pd.DataFrame        # accepted commodities per placement (formulation/products.py)
    options: pd.DataFrame      # life extension and substitution in force (products.py)
    links: pd.DataFrame        # links.csv with its id `link` = origin>destination:commodity
    offers: pd.DataFrame       # offers.csv
    storage: pd.DataFrame      # storage, model year, scenario (formulation/inventory.py)
    storage_builds: pd.DataFrame  # storage, build year, scenario


def yearly_factor(sets: ModelSets, years, scenarios=None, discounted: bool = True
                  ) -> np.ndarray:
    """w_t (x DF_t when `discounted`) (x pi_s when `scenarios` are given), for arrays of model
    years (and scenarios): what one unit of a yearly quantity of (t, s) counts for in an
    objective (calendar years represented, discounting, probability)."""
    f = sets.weight.loc[years].to_numpy()
    if discounted:
        f = f * sets.discount.loc[years].to_numpy()
    if scenarios is not None:
        f = f * sets.scenarios.set_index("scenario")["probability"].loc[scenarios].to_numpy()
    return f


def _cross(frame: pd.DataFrame, values, name: str) -> pd.DataFrame:
    return frame.merge(pd.DataFrame({name: values}), how="cross")


def resolved_effects(instance: Instance) -> pd.DataFrame:
    """The instance's scenario effects, one row per item each reaches."""
    return resolve_effects({
        "regions": instance.regions, "facilities": instance.facilities,
        "links": instance.links, "offers": instance.offers, "effects": instance.effects,
        "caps": instance.caps, "scenarios": instance.scenarios})[0]


def model_sets(instance: Instance) -> ModelSets:
    s = instance.settings
    years = instance.years
    effects = effect_table(resolved_effects(instance), years)
    scen = instance.scenarios[["scenario", "probability"]].reset_index(drop=True)
    fac = instance.facilities.copy()
    fac["earliest_year"] = fac["earliest_year"].fillna(s.start).astype(int)
    fac["existing_from"] = fac["existing_from"].fillna(s.start).astype(int)
    fac["existing_until"] = fac["existing_until"].fillna(BIG_YEAR).astype(int)
    fac["life_years"] = fac["life_years"].fillna(0).astype(int)
    fac["lead_years"] = fac["lead_years"].astype(int)
    fac["max_modules"] = fac["max_modules"].astype(int)
    fac = fac.reset_index(drop=True)

    fy = _cross(fac[["facility", "existing_t", "existing_from", "existing_until"]], years, "year")
    live = (fy["year"] >= fy["existing_from"]) & (fy["year"] <= fy["existing_until"]) & (
        fy["existing_t"] > 0)
    existing = fy.loc[live, ["facility", "year", "existing_t"]].reset_index(drop=True)

    cand = fac[(fac["module_t"] > 0) & (fac["max_modules"] > 0)]
    build = _cross(cand[["facility", "earliest_year", "lead_years"]], years, "year")
    build = build[(build["year"] >= build["earliest_year"]) &
                  (build["year"] + build["lead_years"] <= s.end)]
    if s.build_years:
        build = build[build["year"].isin(s.build_years)]
    build = _cross(build[["facility", "year"]], scen["scenario"], "scenario")

    pairs = build.rename(columns={"year": "build_year"}).reset_index(names="b")
    pairs = pairs.merge(fac[["facility", "lead_years", "life_years"]], on="facility")
    online = _cross(pairs, years, "year")
    first = online["build_year"] + online["lead_years"]
    online = online[(online["year"] >= first) & (online["year"] < first + online["life_years"])]
    online = online[["facility", "build_year", "scenario", "b", "year"]].reset_index(drop=True)

    # activity exists where some capacity may exist; its bound is the most capacity possible
    avail = fac.set_index("facility")["availability"]
    module = fac.set_index("facility")["module_t"] * fac.set_index("facility")["max_modules"]
    possible = pd.concat([
        existing.rename(columns={"existing_t": "cap_t"}),
        online[["facility", "year"]].drop_duplicates().assign(
            cap_t=lambda d: module.loc[d["facility"]].to_numpy()),
    ]).groupby(["facility", "year"], as_index=False)["cap_t"].sum()
    act = _cross(possible[["facility", "year", "cap_t"]], scen["scenario"], "scenario")
    # a share of the year: an effect may lower it, or restore it, but never beyond 1
    act["avail"] = np.minimum(1.0, avail.loc[act["facility"]].to_numpy() * multiplier(
        effects, "facility", "availability", act, "facility"))
    act["var_mult"] = multiplier(effects, "facility", "variable_cost_per_t", act, "facility")
    act["ub"] = act["cap_t"] * act["avail"]
    act = act[act["ub"] > 0].drop(columns="cap_t")

    links = instance.links.drop(columns="_line").reset_index(drop=True)
    links["link"] = link_ids(links["origin"], links["destination"], links["commodity"])
    flow = _cross(_cross(links[["link", "max_t"]], years, "year"), scen["scenario"], "scenario")
    flow["ub"] = flow["max_t"] * multiplier(effects, "link", "max_t", flow, "link")
    flow["cost_mult"] = multiplier(effects, "link", "cost_per_t", flow, "link")
    flow["tariff_mult"] = multiplier(effects, "link", "tariff_per_t", flow, "link")
    flow = flow.drop(columns="max_t")

    offers = instance.offers.drop(columns="_line").reset_index(drop=True)
    buy = _cross(offers[["offer", "first_year", "last_year", "max_t"]], years, "year")
    buy = buy[(buy["year"] >= buy["first_year"].fillna(s.start)) &
              (buy["year"] <= buy["last_year"].fillna(s.end))]
    buy = _cross(buy[["offer", "year", "max_t"]], scen["scenario"], "scenario")
    buy["ub"] = buy["max_t"] * multiplier(effects, "offer", "max_t", buy, "offer")
    buy["price_mult"] = multiplier(effects, "offer", "price_per_t", buy, "offer")
    buy = buy.drop(columns="max_t")

    placements = _cross(instance.demand.groupby(
        ["region", "commodity", "year", "product"], as_index=False)["demand_t"].sum(),
        scen["scenario"], "scenario")
    placements["demand_t"] *= multiplier(effects, "region", "demand_t", placements, "region")
    placements = placements[placements["demand_t"] > 0].reset_index(drop=True)
    demand = placements.groupby(["region", "commodity", "year", "scenario"], as_index=False,
                                sort=False)["demand_t"].sum()
    placed = placements[placements["product"] != ""].rename(columns={"demand_t": "placed_t"})
    arrivals = plan_arrivals(instance, placed, list(scen["scenario"]))
    kernels = {e: arrival_kernel(p.lifetime, years, s.step)
               for e, p in instance.chain.products.items()}
    serve, options = product_option_sets(instance, placements, years)
    storage, storage_builds = storage_sets(instance, years, scen["scenario"])
    return ModelSets(
        years=years, weight=instance.year_weight, discount=instance.discount_factor,
        scenarios=scen, facilities=fac, existing=existing, build=build, online=online,
        act=act.reset_index(drop=True), flow=flow.reset_index(drop=True),
        buy=buy.reset_index(drop=True), placements=placements, demand=demand,
        arrivals=arrivals, kernels=kernels,
        collection=collection_sets(instance, arrivals, years), serve=serve, options=options,
        links=links, offers=offers, storage=storage, storage_builds=storage_builds,
    )
