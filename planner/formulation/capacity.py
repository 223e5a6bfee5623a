"""Capacity: integer build modules and activity bounded by existing plus built capacity.

  build[f,tau,s] in {0..max_modules[f]}                        (tau in f's build window)
  modules[f,tau,s] = modules[f,tau-1,s] + build[f,tau,s],  modules in {0..max_modules[f]}
  act[f,t,s] <= avail[f,t,s] * (existing[f,t] + module[f] * sum_{tau online at t} build[f,tau,s])
  sum_tau build[f,tau,s] <= max_modules[f]
modules counts the modules decided up to tau (tau-1: the year before in f's window; none before
its first year). It adds nothing to the relaxation, but branching on it splits the plans by how
many modules exist by a year instead of by the year each one is decided, which closes the MIP
gap of multi-year plans sooner (2.6x to 0.5 % on the UK tree: benchmarks/README.md).
build[f,tau,s] is the decision of the node of s in tau (planner.tree): one for all scenarios
when builds are shared, one per scenario once it is known when they follow the tree.
avail[f,t,s] is the facility's availability times the scenario's multiplier on it, at most 1.
Activity is bounded by avail * (existing + module * max_modules) where no build is online,
so facilities without candidates need no constraint rows at all.

pm.frames["capacity"] describes the capacity rows (facility, year, scenario, avail, and `act`,
the position of the row's activity variable); pm.frames["build_limit"] the build-limit rows
(facility, scenario); pm.frames["modules"] and pm.frames["modules_count"] the modules
variables and their count rows, one per build (as pm.frames["build"]).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.formulation.rows import add_rows, add_variables, terms


def define_capacity_variables(pm) -> None:
    """build and modules (integer, <= max_modules) and act (<= the most capacity possible,
    sets.act `ub`)."""
    sets = pm.sets
    max_modules = sets.facilities.set_index("facility")["max_modules"]
    most = max_modules.loc[sets.build["facility"]].to_numpy(dtype=float)
    for family in ("build", "modules"):
        pm.variables[family] = add_variables(pm.model, family, len(sets.build), ub=most,
                                             integer=True, alias=pm.alias(family, sets.build))
    pm.frames["modules"] = sets.build
    pm.variables["act"] = add_variables(pm.model, "act", len(sets.act), ub=sets.act["ub"],
                                        alias=pm.alias("act", sets.act))


def define_capacity_constraints(pm) -> None:
    """The capacity and build-limit rows (see the module docstring)."""
    sets = pm.sets
    fac = sets.facilities.set_index("facility")
    act = sets.act.reset_index(names="a")
    # capacity rows: activity of (f, t, s) where some module may be online
    pairs = act.merge(sets.online[["facility", "year", "scenario", "b"]],
                      on=["facility", "year", "scenario"])
    rows = pairs[["a"]].drop_duplicates().reset_index(drop=True).reset_index(names="row")
    pairs = pairs.merge(rows, on="a")
    module = fac["module_t"].loc[pairs["facility"]].to_numpy()
    table = pd.concat([terms(rows["row"], "act", rows["a"], 1.0),
                       terms(pairs["row"], "build", pairs["b"], -pairs["avail"] * module)])
    head = act.loc[rows["a"]]
    existing = head.merge(sets.existing, on=["facility", "year"], how="left")["existing_t"]
    upper = existing.fillna(0.0).to_numpy() * head["avail"].to_numpy()
    pm.frames["capacity"] = head[["facility", "year", "scenario", "avail"]].assign(
        act=rows["a"].to_numpy()).reset_index(drop=True)
    add_rows(pm.model, "capacity", table, len(rows), np.full(len(rows), np.nan), upper,
             pm.variables)

    build = sets.build.reset_index(names="b")
    counts = build.groupby(["facility", "scenario"])["b"].transform("size")
    limited = build[counts > 1]
    keys = limited[["facility", "scenario"]].drop_duplicates().reset_index(drop=True)
    row = pd.MultiIndex.from_frame(keys).get_indexer(
        pd.MultiIndex.from_frame(limited[["facility", "scenario"]]))
    pm.frames["build_limit"] = keys
    add_rows(pm.model, "build_limit", terms(row, "build", limited["b"], 1.0), len(keys),
             np.full(len(keys), np.nan),
             fac["max_modules"].loc[keys["facility"]].to_numpy(dtype=float), pm.variables)


def define_module_counts(pm) -> None:
    """modules[f,tau,s] - modules[f,tau-1,s] - build[f,tau,s] = 0, one row per build."""
    build = pm.sets.build.reset_index(names="b")
    earlier = build.sort_values("year").groupby(["facility", "scenario"])["b"].shift(1)
    earlier = earlier.reindex(build.index)
    has = earlier.notna().to_numpy()
    table = pd.concat([terms(build["b"], "modules", build["b"], 1.0),
                       terms(build["b"], "build", build["b"], -1.0),
                       terms(build["b"][has], "modules", earlier[has].astype(np.int64), -1.0)])
    zero = np.zeros(len(build))
    pm.frames["modules_count"] = pm.sets.build
    add_rows(pm.model, "modules_count", table, len(build), zero, zero, pm.variables)
