"""A build plan offered to HiGHS as a MIP start: the integer columns set, the rest left to HiGHS.

A plan (planner.formulation.decisions.read_plan: facility, year, modules, and scenario when it
differs by scenario) gives, for every build row (f, tau, s) of the model,

  build[f, tau, s]   = the plan's modules of f decided in tau (for s), 0 where it has none
  modules[f, tau, s] = sum of build[f, tau', s] over tau' <= tau (planner.formulation.capacity)

A plan per scenario applies where its scenarios are the model's; otherwise (a plan of other
scenarios, or none named) each (facility, year) takes the most modules the plan decides there
in any scenario. Builds the model does not have (another instance's facility or year) are
dropped: a start only suggests. HiGHS completes the continuous columns by solving the LP with
the integers fixed, and discards the start if that LP is infeasible (the plan breaks a limit
or a decision of this run); the optimum never depends on the start, only the time to reach it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def plan_start(pm, plan: pd.DataFrame) -> dict[str, np.ndarray]:
    """family -> value of each of its variables (build and modules, per row of
    pm.frames[family]) that the plan implies."""
    build = pm.frames["build"][["facility", "year", "scenario"]]
    scenarios = set(pm.sets.scenarios["scenario"])
    covered = set(plan.attrs.get("scenarios") or plan.get("scenario", ()))
    if covered and covered <= scenarios and (len(covered) > 1 or len(scenarios) == 1):
        keys = ["facility", "year", "scenario"]
        decided = plan.groupby(keys)["modules"].sum()
    else:
        keys = ["facility", "year"]
        decided = plan.groupby(keys + (["scenario"] if covered else []))["modules"].sum()
        decided = decided.groupby(level=keys).max()
    built = decided.reindex(pd.MultiIndex.from_frame(build[keys])).fillna(0.0).to_numpy(float)
    order = build.assign(built=built).sort_values(["facility", "scenario", "year"])
    counted = order.groupby(["facility", "scenario"])["built"].cumsum()
    return {"build": built, "modules": counted.reindex(build.index).to_numpy()}
