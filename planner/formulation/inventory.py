"""Stockpiles and inventories (storage.csv): stock carried between years, filled and drawn
through the balance of its region and commodity, within capacity in place and built.

For storage k of commodity c in region r, model year t (w_t calendar years), scenario s:

  stock[k,t,s] = (1 - loss_k)^w_t stock[k,t-1,s] + w_t (stock_in[k,t,s] - stock_out[k,t,s])
                 (stock[k,t-1,s] = initial_k before the first model year)
  stock[k,t,s] <= existing_k + sum_{tau + lead_k <= t} store_build[k,tau,s]
  sum_tau store_build[k,tau,s] <= max_build_k
  balance of (r, c, t, s):  + stock_out[k,t,s] - stock_in[k,t,s]

stock is the level at the end of year t; stock_in and stock_out are t/yr, as every flow.
Cost: capex_k per t of capacity built, in its build year (discounted, probability-weighted);
holding_k per t held per year, on the year-end level. Stock left at the end of the horizon has
no value in the objective. Every variable is a decision of its year and scenario, so the tree
(planner.tree) keeps stock decisions non-anticipative: a stockpile is filled before a cut only
as far as it pays over all the scenarios that cannot yet be told apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.formulation.rows import add_rows, add_variables, terms


def storage_sets(instance, years: np.ndarray, scenarios: pd.Series) -> tuple[pd.DataFrame,
                                                                            pd.DataFrame]:
    """(levels, builds): one row per storage, model year and scenario (with the storage's
    data), and one per storage, build year and scenario where capacity can be built."""
    st = instance.storage.drop(columns="_line", errors="ignore").reset_index(drop=True)
    start = instance.settings.start
    st["earliest_year"] = pd.to_numeric(st["earliest_year"]).fillna(start).astype(int)
    st["lead_years"] = st["lead_years"].astype(int)
    for column in ("existing_t", "initial_t", "max_build_t", "capex_per_t", "holding_cost_per_t",
                   "loss_share"):
        st[column] = st[column].astype(float)
    levels = st.merge(pd.DataFrame({"year": years}), how="cross").merge(
        pd.DataFrame({"scenario": scenarios}), how="cross")
    buildable = st[st["max_build_t"] > 0]
    builds = buildable[["storage", "earliest_year", "lead_years"]].merge(
        pd.DataFrame({"year": years}), how="cross")
    builds = builds[(builds["year"] >= builds["earliest_year"]) &
                    (builds["year"] + builds["lead_years"] <= instance.settings.end)]
    builds = builds[["storage", "year"]].merge(pd.DataFrame({"scenario": scenarios}),
                                               how="cross")
    return levels.reset_index(drop=True), builds.reset_index(drop=True)


def define_inventory_variables(pm) -> None:
    """store_build (t of capacity, at most max_build_t), stock (t, at most the most capacity
    possible), stock_in and stock_out (t/yr); pm.frames describe them."""
    levels, builds = pm.sets.storage, pm.sets.storage_builds
    most = (levels["existing_t"] + levels["max_build_t"]).to_numpy(dtype=float) if len(
        levels) else None
    pm.frames["store_build"] = builds
    pm.frames["stock"] = pm.frames["stock_in"] = pm.frames["stock_out"] = levels
    cap = pm.sets.storage.drop_duplicates("storage").set_index("storage")
    pm.variables["store_build"] = add_variables(
        pm.model, "store_build", len(builds),
        ub=cap["max_build_t"].reindex(builds["storage"]).to_numpy(dtype=float),
        alias=pm.alias("store_build", builds))
    pm.variables["stock"] = add_variables(pm.model, "stock", len(levels), ub=most,
                                          alias=pm.alias("stock", levels))
    for family in ("stock_in", "stock_out"):
        pm.variables[family] = add_variables(pm.model, family, len(levels),
                                             alias=pm.alias(family, levels))


def inventory_entries(pm) -> pd.DataFrame:
    """The balance terms of the stocks (region, commodity, year, scenario, family, pos, coef):
    drawn stock supplies the balance, stock put in uses it."""
    levels = pm.sets.storage.reset_index(names="pos")
    key = ["region", "commodity", "year", "scenario"]
    return pd.concat([levels.assign(family="stock_out", coef=1.0),
                      levels.assign(family="stock_in", coef=-1.0)])[
        key + ["family", "pos", "coef"]]


def define_inventory_rows(pm) -> None:
    """stock_level, stock_capacity and storage_limit rows (module docstring)."""
    levels, builds = pm.sets.storage, pm.sets.storage_builds
    n = len(levels)
    pm.frames["stock_level"] = pm.frames["stock_capacity"] = levels
    years = pm.sets.years
    w = pm.sets.weight.loc[levels["year"]].to_numpy()
    keep = (1.0 - levels["loss_share"].to_numpy(dtype=float)) ** w
    rows = np.arange(n)
    position = pd.Series(rows, index=pd.MultiIndex.from_frame(
        levels[["storage", "year", "scenario"]]))
    first = levels["year"].to_numpy() == years[0]
    previous = np.searchsorted(years, levels["year"].to_numpy()) - 1
    prev_keys = pd.MultiIndex.from_arrays([levels["storage"].to_numpy()[~first],
                                           years[previous[~first]],
                                           levels["scenario"].to_numpy()[~first]])
    table = pd.concat([
        terms(rows, "stock", rows, 1.0),
        terms(rows[~first], "stock", position.loc[prev_keys].to_numpy(), -keep[~first]),
        terms(rows, "stock_in", rows, -w),
        terms(rows, "stock_out", rows, w),
    ])
    rhs = np.where(first, keep * levels["initial_t"].to_numpy(dtype=float), 0.0)
    add_rows(pm.model, "stock_level", table, n, rhs, rhs, pm.variables)

    # capacity: stock <= existing + capacity built online by t
    online = builds.reset_index(names="b").merge(
        levels[["storage", "lead_years"]].drop_duplicates("storage"), on="storage")
    online = online.rename(columns={"year": "build_year"}).merge(
        levels[["storage", "year", "scenario"]].reset_index(names="row"),
        on=["storage", "scenario"])
    online = online[online["build_year"] + online["lead_years"] <= online["year"]]
    table = pd.concat([terms(rows, "stock", rows, 1.0),
                       terms(online["row"], "store_build", online["b"], -1.0)])
    add_rows(pm.model, "stock_capacity", table, n, np.full(n, np.nan),
             levels["existing_t"].to_numpy(dtype=float), pm.variables)

    keys = builds[["storage", "scenario"]].drop_duplicates().reset_index(drop=True)
    row = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(
        builds[["storage", "scenario"]]))
    pm.frames["storage_limit"] = keys
    limit = levels.drop_duplicates("storage").set_index("storage")["max_build_t"]
    add_rows(pm.model, "storage_limit", terms(row, "store_build", np.arange(len(builds)), 1.0),
             len(keys), np.full(len(keys), np.nan),
             limit.reindex(keys["storage"]).to_numpy(dtype=float), pm.variables)
