"""The expected-value problem's plan as the MIP start of a scenario tree (`--start ev`).

The expected-value problem (planner.solve.stochastic.expected_value_instance) is one path whose
effects are the scenarios' probability-weighted mean multipliers: about 1/S of the tree's
columns, solved in seconds where the tree takes a minute. Its builds (facility, year, modules)
are offered to the tree in every scenario (planner.formulation.start). On the UK tree that
plan is within the gap of the tree's bound after a few rounds of root cuts, so HiGHS stops
there instead of searching for an incumbent (benchmarks/README.md, "The UK instance").

The start only suggests: the expected-value problem is solved with the run's objective, limits,
decisions and solver options, and if it has no plan (infeasible, or no incumbent by the time
limit) the tree starts cold. The tree's optimum never depends on the start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.data.instance import Instance
from planner.formulation.build import build_model
from planner.formulation.decisions import Decisions, apply_decisions
from planner.solve.highs import SolveOptions
from planner.solve.stochastic import expected_value_instance
from planner.solve.tradeoffs import optimise, usable


@dataclass(frozen=True)
class StartRecord:
    """What the start was: `kind` ("expected_value"), the expected-value problem's status,
    objective (None without a plan) and seconds (build and solve), and how many builds its
    plan has."""

    kind: str
    status: str
    objective: float | None
    seconds: float
    builds: int

    def as_dict(self) -> dict:
        return {"kind": self.kind, "status": self.status, "objective": self.objective,
                "seconds": round(self.seconds, 4), "builds": self.builds}


def expected_value_start(instance: Instance, decisions: Decisions, options: SolveOptions
                         ) -> tuple[pd.DataFrame | None, StartRecord | None]:
    """(plan: facility, year, modules; the record) of the expected-value problem of
    `instance` under `decisions`, solved with `options`; (None, None) when there is nothing to
    gain: one scenario, or every build held by an evaluated plan."""
    if len(instance.scenarios) < 2 or decisions.plan is not None:
        return None, None
    t0 = time.perf_counter()
    ev = expected_value_instance(instance)
    pm = build_model(ev)
    apply_decisions(pm, decisions)
    solution, _ = optimise(pm, ev.settings.objective, options, ev.settings.limits)
    plan = None
    if usable(solution):
        modules = np.round(solution.values["build"])
        plan = pm.frames["build"][["facility", "year"]].assign(modules=modules)
        plan = plan[plan["modules"] > 0.5].reset_index(drop=True)
    record = StartRecord("expected_value", solution.status.value,
                         solution.objective if plan is not None else None,
                         time.perf_counter() - t0, 0 if plan is None else len(plan))
    return plan, record
