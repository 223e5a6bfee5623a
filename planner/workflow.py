"""The main job as one function: load, build, solve, read back, check, summarise (no output)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from planner.chain import process_stages
from planner.data import Instance
from planner.data.changes import Change
from planner.data.instance import ObjectiveSpec
from planner.data.overrides import load_resolved
from planner.errors import PlannerError
from planner.formulation.build import PlanningModel, build_model
from planner.formulation.decisions import Decisions, apply_decisions
from planner.formulation.start import plan_start
from planner.request import EV_START, RunRequest
from planner.results.balance import balance_residuals
from planner.results.diagnosis import explain_infeasibility, explain_unbounded
from planner.results.loops import loop_shares
from planner.results.policies import policy_status
from planner.results.productivity import productivity_table
from planner.results.risk import risk_measures
from planner.results.shadow_prices import shadow_price_table
from planner.results.summary import build_summary, objective_values
from planner.results.tables import result_tables
from planner.solve import Solution, SolveOptions, Status
from planner.solve.ev_start import expected_value_start
from planner.solve.export import write_model as write_model_file
from planner.solve.inplace import Resolver
from planner.solve.ph import PHOptions, progressive_hedging
from planner.solve.stochastic import stochastic_metrics as metrics
from planner.solve.tradeoffs import (
    Optimiser,
    ParetoPoint,
    efficient,
    optimise,
    pareto,
    payoff_row,
)


@dataclass
class Outcome:
    instance: Instance
    model: PlanningModel
    solution: Solution
    summary: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    instance_files: dict[str, bytes] = field(default_factory=dict)  # the resolved instance


def solve_instance(path: str | Path, options: SolveOptions = SolveOptions(),
                   stochastic_metrics: bool = False, objective: ObjectiveSpec | None = None,
                   limits: dict[str, float] | None = None,
                   changes: Sequence[Change] = (),
                   decisions: Decisions = Decisions(),
                   write_model: Path | None = None,
                   start: pd.DataFrame | str | None = None) -> Outcome:
    """Load (with `changes` applied: planner.data.overrides), build (with `decisions` imposed:
    planner.formulation.decisions), solve (then write the model as solved to `write_model`, an
    .mps or .lp file: planner.solve.export) and read back;
    `objective` replaces the instance's and `limits` add to (or replace) its upper bounds on
    measures; with
    `stochastic_metrics`, also the wait-and-see and expected-value problems for VSS and EVPI
    (summary key `stochastic`). With a solution, `tables["shadow_prices"]` holds the duals
    of the binding constraints (solve/duals.py). `start`: a build plan (read_plan) offered to
    HiGHS as a MIP start (planner.formulation.start), or "ev": the plan of the expected-value
    problem, solved first (planner.solve.ev_start; summary key `start`)."""
    t0 = time.perf_counter()
    instance, files = load_resolved(path, changes)
    if objective is not None:
        instance = replace(instance, settings=replace(instance.settings, objective=objective))
    if limits:
        merged = {**instance.settings.limits, **limits}
        instance = replace(instance, settings=replace(instance.settings, limits=merged))
    t1 = time.perf_counter()
    started = None
    if isinstance(start, str) and start == EV_START:
        start, started = expected_value_start(instance, decisions, options)
    t_start = time.perf_counter()
    pm = build_model(instance)
    apply_decisions(pm, decisions)
    t_build = time.perf_counter()
    sol, learnt = optimise(pm, instance.settings.objective, options, instance.settings.limits,
                           start=None if start is None else plan_start(pm, start))
    t2 = time.perf_counter()
    if write_model is not None:  # before read_back, whose duals re-solve the HiGHS model
        write_model_file(pm, sol, write_model)
    timings = {"load_s": t1 - t0, "start_s": t_start - t1, "build_s": pm.build_seconds,
               "handover_s": sol.handover_s,
               "solve_s": (t2 - t_build) - sol.handover_s - sol.readback_s,
               "readback_s": sol.readback_s}
    outcome = read_back(instance, pm, sol, learnt, timings, t0, files, changes, decisions)
    if started is not None:
        outcome.summary["start"] = started.as_dict()
    if stochastic_metrics and sol.status == Status.optimal:
        start = time.perf_counter()
        outcome.summary["stochastic"] = metrics(instance, sol.objective, options).as_dict()
        outcome.summary["timings"]["stochastic_metrics_s"] = round(time.perf_counter() - start,
                                                                   4)
    return outcome


def solve_request(request: RunRequest, decisions: Decisions | None = None,
                  write_model: Path | None = None) -> Outcome:
    """solve_instance for a RunRequest (`decisions`, e.g. a hedged plan, replace the
    request's own)."""
    return solve_instance(request.instance, request.solver, request.stochastic_metrics,
                          request.objective_spec(), request.limit_bounds(), request.changes,
                          request.decisions() if decisions is None else decisions,
                          write_model=write_model, start=request.start_plan())


def reusable(objective: ObjectiveSpec | None, limits: dict | None) -> bool:
    """Whether solve_reusing can serve these options: a weighted objective, not normalised,
    and no limits (those add rows and re-solves of their own)."""
    return not limits and (objective is None or (not objective.order and
                                                 not objective.normalise))


def solve_reusing(resolver: Resolver, path: str | Path, changes: Sequence[Change] = (),
                  objective: ObjectiveSpec | None = None,
                  decisions: Decisions = Decisions()) -> Outcome:
    """solve_instance for many changed versions of one instance: `resolver` keeps the model in
    HiGHS and updates it in place when only numbers changed (see solve/inplace.py), else
    rebuilds. For weighted objectives without limits (`reusable`)."""
    t0 = time.perf_counter()
    instance, files = load_resolved(path, changes)
    if objective is not None:
        instance = replace(instance, settings=replace(instance.settings, objective=objective))
    if not reusable(instance.settings.objective, instance.settings.limits):
        raise PlannerError("a re-solve in place needs a weighted objective without limits")
    t1 = time.perf_counter()
    pm, sol, timings = resolver.solve(instance, decisions)
    outcome = read_back(instance, pm, sol, {}, {
        "load_s": t1 - t0, "build_s": timings["build_s"], "handover_s": timings["handover_s"],
        "solve_s": sol.solve_s, "readback_s": sol.readback_s}, t0, files, changes, decisions)
    outcome.summary["in_place"] = timings["in_place"]
    outcome.summary["carried"] = timings["carried"]
    return outcome


def solution_tables(instance: Instance, pm: PlanningModel, sol: Solution
                    ) -> tuple[dict[str, pd.DataFrame], dict]:
    """The result tables of a solution with those derived from them (loop_shares,
    productivity, concentration), and the risk measures."""
    tables = result_tables(pm, sol)
    basis = instance.settings.share_basis
    tables["loop_shares"] = loop_shares(tables, instance.chain, instance.regions,
                                        pm.sets.demand, basis)
    tables["productivity"] = productivity_table(tables["activity"], instance.chain)
    tables["policy_status"] = policy_status(pm, sol)
    risk, tables["concentration"] = risk_measures(
        tables, pm.sets.scenarios, pm.sets.weight, instance.settings.cvar_alpha,
        objective_values(pm, sol)["risk"], instance.regions, instance.chain, basis)
    return tables, risk


def read_back(instance: Instance, pm: PlanningModel, sol: Solution, learnt: dict,
              timings: dict, t0: float, files: dict[str, bytes], changes: Sequence[Change] = (),
              decisions: Decisions = Decisions()) -> Outcome:
    """The Outcome of a solve: result tables, mass-balance check, loop shares, risk measures,
    shadow prices and summary (`timings` gains read-back and total, counted from `t0`)."""
    t2 = time.perf_counter()
    tables, loops, diagnosis, residual = {}, None, None, None
    if sol.has_solution:
        tables, risk = solution_tables(instance, pm, sol)
        loops = tables["loop_shares"]
        residuals = balance_residuals(tables, instance.chain, pm.sets.demand)
        residual = float(residuals["residual_t"].abs().max()) if len(residuals) else 0.0
    elif sol.status == Status.infeasible:
        diagnosis = explain_infeasibility(pm, sol, learnt.pop("limits_unmet", None))
    elif sol.status == Status.unbounded:
        diagnosis = explain_unbounded(pm)
    t3 = time.perf_counter()
    timings = {**timings, "readback_s": timings.get("readback_s", 0.0) + (t3 - t2),
               "total_s": t3 - t0}
    summary = build_summary(pm, sol, tables or None, loops, timings, diagnosis, residual)
    summary["instance"]["changes"] = [str(c) for c in changes]
    summary["decisions"] = decisions.describe()
    summary.update(learnt)
    if tables:
        summary["risk_measures"] = risk
        start = time.perf_counter()
        tables["shadow_prices"] = shadow_price_table(pm, sol)
        summary["timings"]["shadow_prices_s"] = round(time.perf_counter() - start, 4)
    return Outcome(instance, pm, sol, summary, tables, files)


def hedged_plan(path: str | Path, changes: Sequence[Change] = (),
                decisions: Decisions = Decisions(), options: SolveOptions = SolveOptions(),
                ph: PHOptions = PHOptions()) -> tuple[Decisions, dict | None]:
    """Progressive hedging on the instance at `path` (with `changes`): `decisions` with PH's
    consensus build plan to evaluate, and the summary's `decomposition` record (None on MPI
    ranks other than 0, which write nothing). `decisions` are checked against the model first,
    so a mistake in them is reported before PH runs."""
    instance, _ = load_resolved(path, changes)
    if decisions:
        apply_decisions(build_model(instance), decisions)
    result = progressive_hedging(instance, options, ph)
    if result.rank != 0:
        return decisions, None
    record = {"method": "progressive hedging (mpi-sppy)", "converged": bool(result.converged),
              "iterations": result.iterations, "convergence": result.convergence,
              "ph_objective": result.ph_objective, "trivial_bound": result.trivial_bound,
              "seconds": round(result.seconds, 3), "rho": ph.rho,
              "plan": result.plan.to_dict("records")}
    return replace(decisions, plan=result.plan, plan_source="progressive hedging"), {
        "decomposition": record}


@dataclass
class ParetoOutcome:
    instance: Instance
    front: pd.DataFrame            # one row per efficient point
    payoff: pd.DataFrame           # the payoff table
    points: list[Outcome]          # each point's full solution
    summary: dict
    instance_files: dict[str, bytes] = field(default_factory=dict)  # the resolved instance


def key_decisions(pm: PlanningModel, tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Capacity built by stage (t/yr) and each origin country's share of imported tonnes
    (both expected over scenarios, whole horizon)."""
    out: dict[str, float] = {}
    builds = tables["builds"]
    stage = process_stages(pm.instance.chain)
    prob = pm.sets.scenarios.set_index("scenario")["probability"]
    expected = builds["capacity_added_t"] * prob.loc[builds["scenario"]].to_numpy()
    for name, t in expected.groupby(builds["process"].map(stage)).sum().items():
        out[f"built_{name}_t"] = float(t)
    conc = tables["concentration"]
    if len(conc):
        weighted = conc["imported_t"] * prob.loc[conc["scenario"]].to_numpy()
        by_country = weighted.groupby(conc["country"]).sum()
        for country, t in (by_country / by_country.sum()).items():
            out[f"share_{country}"] = float(t)
    return out


@dataclass(frozen=True)
class FrontBlock:
    """A part of a Pareto front for a worker: grid positions `block` of the first bounded
    objective, with the payoff table computed once before; or one row of that table."""

    path: str | Path
    changes: tuple[Change, ...]
    names: tuple[str, ...]
    points: int
    options: SolveOptions
    table: dict
    block: range
    first: str = ""  # set: solve the payoff table's row of this objective, not a block
    start: dict | None = None  # the builds the block's first solve starts from


def trace_block(task: FrontBlock) -> tuple[list[ParetoPoint], list[dict]]:
    """Solve one block of a front in this process (its own model and HiGHS session): the points
    found, their HiGHS sessions dropped so that they can go back to the parent, and the solves.
    A task with `first` solves that row of the payoff table instead: ((first, row, the builds
    of its plan), solves)."""
    instance, _ = load_resolved(task.path, task.changes)
    opt = Optimiser(build_model(instance), task.options, start=task.start)
    if task.first:
        row = payoff_row(opt, list(task.names), task.first)
        return (task.first, row, opt.builds()), opt.solves
    found, _ = pareto(opt, list(task.names), task.points, table=task.table, block=task.block)
    for point in found:
        point.solution.highs = None
    return found, opt.solves


def pareto_front(path: str | Path, names: list[str], points: int,
                 options: SolveOptions = SolveOptions(), progress=None,
                 changes: Sequence[Change] = (), workers: int = 1) -> ParetoOutcome:
    """The AUGMECON2 front of `names` on one built model, with every point read back. With
    `workers` > 1 the payoff table's rows are solved side by side, then the grid of the first
    bounded objective is cut into `workers` contiguous blocks, each traced by its own process
    (one HiGHS thread each unless `options` sets threads) and read back here."""
    t0 = time.perf_counter()
    instance, files = load_resolved(path, changes)
    pm = build_model(instance)
    opt = Optimiser(pm, options)
    if workers > 1:
        found, table = trace_in_parallel(opt, path, changes, names, points, workers, progress)
    else:
        found, table = pareto(opt, names, points, progress=progress)
    outcomes, rows = [], []
    for i, point in enumerate(found, start=1):
        tables, risk = solution_tables(instance, pm, point.solution)
        objectives = objective_values(pm, point.solution)
        summary = build_summary(pm, point.solution, tables, tables["loop_shares"], {})
        summary["risk_measures"] = risk
        summary["pareto"] = {"point": i, "grid": list(point.grid), "objectives": names}
        outcomes.append(Outcome(instance, pm, point.solution, summary, tables))
        rows.append({"point": i, "status": point.solution.status.value,
                     "mip_gap": point.solution.mip_gap, **objectives,
                     "shortfall_t": risk["expected_shortfall_t"],
                     "cvar_shortfall_t": risk["cvar_shortfall_t"],
                     "max_country_t": risk["max_country_t"], **key_decisions(pm, tables)})
    front = pd.DataFrame(rows).fillna(0.0)
    payoff = pd.DataFrame(table).T.rename_axis("optimised_first").reset_index()
    summary = {"objectives": names, "points_requested": points, "efficient_points": len(found),
               "timings": {"build_s": round(pm.build_seconds, 4),
                           "handover_s": round(opt.handover_s, 4),
                           "solve_s": round(sum(s["solve_s"] for s in opt.solves), 4),
                           "total_s": round(time.perf_counter() - t0, 4)},
               "solves": opt.solves,
               "instance": {"name": instance.name, "sha256": instance.files_sha256,
                            "path": str(instance.path), "changes": [str(c) for c in changes]}}
    return ParetoOutcome(instance, front, payoff, outcomes, summary, files)


def trace_in_parallel(opt: Optimiser, path: str | Path, changes: Sequence[Change],
                      names: list[str], points: int, workers: int, progress=None
                      ) -> tuple[list[ParetoPoint], dict]:
    """pareto() with the payoff table's rows, then blocks of the grid, shared among `workers`
    processes (see pareto_front); their solves are added to opt.solves."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    options = opt.options if opt.options.threads else replace(opt.options, threads=1)
    blocks = [range(int(b[0]), int(b[-1]) + 1) for b in np.array_split(np.arange(points),
                                                                       min(workers, points))]

    def task(table: dict, block: range, first: str = "", start=None) -> FrontBlock:
        return FrontBlock(path, tuple(changes), tuple(names), points, options, table, block,
                          first, start)

    def gather(futures) -> list:
        out = []
        for future in as_completed(futures):
            result, solves = future.result()
            out.append(result)
            opt.solves += solves
            for _ in solves if progress else ():
                progress()
        return out

    # spawned, not forked: this process already runs HiGHS, whose threads a fork would not copy
    with ProcessPoolExecutor(min(workers, max(points, len(names))),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        rows = {first: (row, start) for first, row, start in
                gather([pool.submit(trace_block, task({}, range(0), n)) for n in names])}
        table = {n: rows[n][0] for n in names}
        # every block starts from the plan of the primary objective's row (optimal at the
        # loosest bounds)
        found = [p for block in gather([pool.submit(trace_block, task(
            table, block, start=rows[names[0]][1])) for block in blocks]) for p in block]
    found.sort(key=lambda p: p.grid)
    return efficient(found, names), table
