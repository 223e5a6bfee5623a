"""The main job as one function: load, build, solve, read back, check, summarise (no output)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.data import Instance, load_instance
from planner.formulation.build import PlanningModel, build_model
from planner.results.balance import balance_residuals
from planner.results.loops import loop_shares
from planner.results.risk import risk_measures
from planner.results.summary import build_summary, objective_values
from planner.results.tables import result_tables
from planner.solve import Solution, SolveOptions, Status, solve
from planner.solve.diagnose import explain_infeasibility, explain_unbounded
from planner.solve.stochastic import stochastic_metrics as metrics


@dataclass
class Outcome:
    instance: Instance
    model: PlanningModel
    solution: Solution
    summary: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def solve_instance(path: str | Path, options: SolveOptions = SolveOptions(),
                   stochastic_metrics: bool = False) -> Outcome:
    """Load, build, solve and read back; with `stochastic_metrics`, also the wait-and-see and
    expected-value problems for VSS and EVPI (summary key `stochastic`)."""
    t0 = time.perf_counter()
    instance = load_instance(path)
    t1 = time.perf_counter()
    pm = build_model(instance)
    sol = solve(pm, options)
    t2 = time.perf_counter()
    tables, loops, diagnosis, residual = {}, None, None, None
    if sol.has_solution:
        tables = result_tables(pm, sol)
        residuals = balance_residuals(tables, instance.chain, pm.sets.demand)
        residual = float(residuals["residual_t"].abs().max()) if len(residuals) else 0.0
        loops = loop_shares(tables, instance.chain, instance.regions, pm.sets.demand)
        tables["loop_shares"] = loops
        risk, tables["concentration"] = risk_measures(
            tables, pm.sets.scenarios, pm.sets.weight, instance.settings.cvar_alpha,
            objective_values(pm, sol)["risk"], instance.regions, instance.chain)
    elif sol.status == Status.infeasible:
        diagnosis = explain_infeasibility(pm, sol)
    elif sol.status == Status.unbounded:
        diagnosis = explain_unbounded(pm)
    t3 = time.perf_counter()
    timings = {"load_s": t1 - t0, "build_s": pm.build_seconds, "handover_s": sol.handover_s,
               "solve_s": sol.solve_s, "readback_s": sol.readback_s + (t3 - t2),
               "total_s": t3 - t0}
    summary = build_summary(pm, sol, tables or None, loops, timings, diagnosis, residual)
    if tables:
        summary["risk_measures"] = risk
    if stochastic_metrics and sol.status == Status.optimal:
        start = time.perf_counter()
        summary["stochastic"] = metrics(instance, sol.objective, options).as_dict()
        summary["timings"]["stochastic_metrics_s"] = round(time.perf_counter() - start, 4)
    return Outcome(instance, pm, sol, summary, tables)
