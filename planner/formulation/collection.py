"""Collection of end-of-life products (collection.csv; planner.data.collection).

For product e arriving at region r in model year t where a leakage share or collection tiers
are in force (leak, share_k and cost_k of tier k), in scenario s:

  collect[e,r,t,k,s] >= 0          t collected by tier k (cost_k per t)
  uncollected[e,r,t,s] >= 0        t disposed of uncollected (e's end-of-life commodity's
                                   disposal cost and emissions)
  fate       sum_k collect[e,r,t,k,s] + uncollected[e,r,t,s] = (1 - leak) arrivals[e,r,t,s]
  ceiling k  collect[e,r,t,k,s] <= share_k arrivals[e,r,t,s]

with arrivals[e,r,t,s] = A[e,r,t,s] - sum_tau K_e[t,tau] share[r,e,tau,s] short[...] less what
product options take back or move (the arrivals of what the plan placed: planner.arrivals,
formulation/balance.py, formulation/products.py). The collected
tonnes enter the balance of e's end-of-life commodity at (r, t, s) in place of the arrivals;
leaked tonnes leave the system (used products exported, lost before any collection point).
Tiers need no order: each is bounded by its own share, so the cheapest are used first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.data.collection import LEAKAGE, collection_in_force
from planner.formulation.products import returns_terms
from planner.formulation.rows import add_rows, add_variables, terms

PLACE = ["product", "region", "year"]


def collection_sets(instance, arrivals: pd.DataFrame, years) -> pd.DataFrame:
    """product, region, commodity, year, tier, share, cost_per_t: the leakage and tiers in force
    where the product's end of life arrives (`arrivals`: planner.arrivals.COLUMNS)."""
    places = arrivals[["product", "region", "commodity"]].drop_duplicates()
    force = collection_in_force(instance.collection, places, years)
    return force.merge(places, on=["product", "region"]).drop(columns="_line")


def controlled(pm) -> pd.DataFrame:
    """product, region, year of the arrivals under collection control."""
    return pm.sets.collection[PLACE].drop_duplicates().reset_index(drop=True)


def define_collection_variables(pm) -> None:
    """collect (one per tier in force with a share > 0, and scenario) and uncollected (one per
    place under control and scenario); pm.frames describe them (product, region, commodity,
    year, scenario, and the tier, its share and cost_per_t)."""
    sets = pm.sets
    scen = sets.scenarios[["scenario"]]
    tiers = sets.collection[(sets.collection["tier"] != LEAKAGE) &
                            (sets.collection["share"] > 0)]
    collect = tiers.merge(scen, how="cross").reset_index(drop=True)
    places = sets.collection[PLACE + ["commodity"]].drop_duplicates()
    uncollected = places.merge(scen, how="cross").reset_index(drop=True)
    pm.frames["collect"], pm.frames["uncollected"] = collect, uncollected
    pm.variables["collect"] = add_variables(pm.model, "collect", len(collect),
                                            alias=pm.alias("collect", collect))
    pm.variables["uncollected"] = add_variables(pm.model, "uncollected", len(uncollected),
                                                alias=pm.alias("uncollected", uncollected))


def collected_into_balance(pm, row_of: pd.Series) -> pd.DataFrame:
    """+collect[e,r,t,k,s] in the balance of e's end-of-life commodity at (r, t, s)."""
    collect = pm.frames["collect"]
    rows = row_of.loc[pd.MultiIndex.from_frame(
        collect[["region", "commodity", "year", "scenario"]])].to_numpy()
    return terms(rows, "collect", np.arange(len(collect)), 1.0)


def define_collection_rows(pm) -> None:
    """The fate and ceiling rows; pm.frames["fate"] and ["ceiling"] describe them."""
    sets = pm.sets
    key = PLACE + ["scenario"]
    leak = sets.collection[sets.collection["tier"] == LEAKAGE].set_index(PLACE)["share"]
    unc = pm.frames["uncollected"]
    fate = unc.assign(keep=1.0 - leak.reindex(pd.MultiIndex.from_frame(unc[PLACE]),
                                              fill_value=0.0).to_numpy())
    full = sets.arrivals.set_index(key)["arrivals_t"]
    fate["arrivals_t"] = full.loc[pd.MultiIndex.from_frame(fate[key])].to_numpy()
    collect = pm.frames["collect"]
    fate_of = pd.Series(np.arange(len(fate)), index=pd.MultiIndex.from_frame(fate[key]))
    returns = pm.returns  # formulation/products.py RETURNS
    returns = returns.merge(fate[key + ["keep"]].reset_index(names="row"), on=key)
    fate_terms = pd.concat([
        terms(fate_of.loc[pd.MultiIndex.from_frame(collect[key])].to_numpy(), "collect",
              np.arange(len(collect)), 1.0),
        terms(np.arange(len(fate)), "uncollected", np.arange(len(fate)), 1.0),
        returns_terms(returns["row"], returns, returns["keep"].to_numpy()),
    ])
    rhs = fate["keep"].to_numpy() * fate["arrivals_t"].to_numpy()
    pm.frames["fate"] = fate
    add_rows(pm.model, "fate", fate_terms, len(fate), rhs, rhs, pm.variables)

    ceiling = collect.assign(arrivals_t=full.loc[pd.MultiIndex.from_frame(
        collect[key])].to_numpy())
    on = pm.returns.merge(ceiling[key + ["share"]].reset_index(names="row"), on=key)
    ceiling_terms = pd.concat([
        terms(np.arange(len(ceiling)), "collect", np.arange(len(ceiling)), 1.0),
        returns_terms(on["row"], on, on["share"].to_numpy()),
    ])
    pm.frames["ceiling"] = ceiling
    add_rows(pm.model, "ceiling", ceiling_terms, len(ceiling), np.full(len(ceiling), np.nan),
             ceiling["share"].to_numpy() * ceiling["arrivals_t"].to_numpy(), pm.variables)


def arrivals_in_solution(pm, values: dict[str, np.ndarray], frame: pd.DataFrame) -> np.ndarray:
    """The arrivals (t/yr) of what the solution placed, for each row of `frame` (product,
    region, year, scenario, arrivals_t of full demand): arrivals_t less what the shortfall and
    the product options took back or moved (pm.returns)."""
    key = PLACE + ["scenario"]
    returns = pm.returns
    value = np.zeros(len(returns))
    for family, rows in returns.groupby("family").indices.items():
        value[rows] = values[family][returns["pos"].to_numpy(dtype=np.int64)[rows]]
    taken = returns.assign(t=returns["k"].to_numpy() * value).groupby(key)["t"].sum()
    return frame["arrivals_t"].to_numpy() - taken.reindex(
        pd.MultiIndex.from_frame(frame[key]), fill_value=0.0).to_numpy()
