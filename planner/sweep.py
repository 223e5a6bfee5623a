"""Parameter sweeps: one changed instance per point, solved in parallel, tabulated.

An axis is a change path with a range of values:

  PATH=START:STOP:N     N values evenly from START to STOP (both included)
  PATH*=START:STOP:N    the same, multiplying the cell (or `+=`, adding to it)
  PATH=A,B,C            the values listed

The points are the full factorial of the axes, or `samples` points of a Latin hypercube over
their ranges (a listed axis is split into equal strata, one value each). Each point is solved
as `planner solve` would (its run folder in DIR/points/point_NNNN, point.json holding its row)
and one row of DIR/sweep.csv: the values, status, objectives, risk measures and key decisions,
or the error that stopped it. A failed point never stops the sweep. Points run in local worker
processes or on a Dask cluster (`scheduler`); the results come back to this process, which
writes every folder, so workers need no shared disk. A sweep started again with `resume`
skips the points whose folder is complete and solves the rest.
"""

from __future__ import annotations

import itertools
import json
import shutil
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from planner.data.changes import Change, parse_change
from planner.errors import InputError, PlannerError, Problem
from planner.request import RECORD_VERSION, RunRequest


@dataclass(frozen=True)
class Axis:
    path: str
    op: str
    values: tuple[str, ...]            # the grid's values (a range: N evenly spaced)
    low: float | None = None           # a range's ends (for Latin hypercube samples)
    high: float | None = None

    @property
    def name(self) -> str:
        """The axis's column in sweep.csv: the path, with `*` or `+` when it multiplies or adds
        (as in overlay files)."""
        return self.path + {"=": "", "*=": "*", "+=": "+"}[self.op]


def parse_axis(text: str) -> Axis:
    """`PATH=START:STOP:N`, `PATH*=START:STOP:N`, `PATH+=...` or `PATH=A,B,C`."""
    change = parse_change(text, "--grid")
    body = change.value
    try:
        if ":" in body:
            start, stop, n = body.split(":")
            low, high, count = float(start), float(stop), int(n)
            if count < 1:
                raise ValueError
            values = np.linspace(low, high, count) if count > 1 else np.array([low])
            return Axis(change.path, change.op, tuple(f"{v:.12g}" for v in values), low, high)
        values = tuple(v.strip() for v in body.split(",") if v.strip())
        if not values:
            raise ValueError
        return Axis(change.path, change.op, values)
    except ValueError:
        raise InputError([Problem("--grid", None, None, f"{text!r}: not a grid axis",
                                  "PATH=START:STOP:N (N >= 1 values) or PATH=A,B,C")]) from None


def grid_points(axes: list[Axis], samples: int | None = None,
                seed: int = 0) -> list[dict[str, str]]:
    """{axis name: value} per point: the full factorial, or a Latin hypercube of `samples`."""
    if samples is None:
        return [dict(zip((a.name for a in axes), combo))
                for combo in itertools.product(*(a.values for a in axes))]
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(axes), seed=seed).random(samples)
    points = []
    for row in unit:
        point = {}
        for axis, u in zip(axes, row):
            if axis.low is not None:
                point[axis.name] = f"{axis.low + u * (axis.high - axis.low):.12g}"
            else:
                point[axis.name] = axis.values[min(int(u * len(axis.values)),
                                                   len(axis.values) - 1)]
        points.append(point)
    return points


@dataclass(frozen=True)
class Sweep:
    """Everything that defines a sweep's results (kept as DIR/sweep.json for --resume): the
    run every point makes (its changes come before the point's values), the --grid texts, the
    Latin hypercube's size and seed, and whether workers re-solve in place."""

    request: RunRequest
    axes: tuple[str, ...]
    samples: int | None = None
    seed: int = 0
    reuse: bool = True
    points: list[dict[str, str]] = field(default_factory=list, compare=False)

    def record(self) -> dict:
        return {"version": RECORD_VERSION, "request": self.request.record(),
                "axes": list(self.axes), "samples": self.samples, "seed": self.seed,
                "reuse": self.reuse}

    @classmethod
    def from_record(cls, data: dict, where: str) -> Sweep:
        if not isinstance(data, dict) or data.get("version") != RECORD_VERSION:
            raise PlannerError(f"{where}: a sweep written by another version of planner: "
                               "start it again with --force, or choose another --out")
        return cls(RunRequest.from_record(data["request"], where), tuple(data["axes"]),
                   data["samples"], data["seed"], data["reuse"])

    def with_points(self) -> Sweep:
        axes = [parse_axis(t) for t in self.axes]
        return replace(self, points=grid_points(axes, self.samples, self.seed))


@dataclass(frozen=True)
class Task:
    """One point for a worker: the sweep and the point's number (1-based)."""

    sweep: Sweep
    number: int


def point_changes(sweep: Sweep, number: int) -> list[Change]:
    changes = list(sweep.request.changes)
    for name, value in sweep.points[number - 1].items():
        path, op = (name[:-1], name[-1] + "=") if name[-1:] in ("*", "+") else (name, "=")
        changes.append(Change(path, op, value, f"--grid point {number}"))
    return changes


_RESOLVERS: dict = {}  # per worker process: the model kept in HiGHS for each sweep


def solve_point(task: Task) -> dict:
    """Solve one point (in a worker): its row, and the run folder's contents to write, or the
    error that stopped it. With `reuse`, a worker keeps its last model in HiGHS and re-solves
    it in place when the point changes only numbers (objective, bounds, right-hand sides)."""
    from planner.solve.inplace import Resolver
    from planner.workflow import key_decisions, reusable, solve_request, solve_reusing

    sweep, start = task.sweep, time.perf_counter()
    row: dict = {"point": task.number, **sweep.points[task.number - 1]}
    try:
        request = replace(sweep.request, changes=tuple(point_changes(sweep, task.number)))
        if sweep.reuse and reusable(request.objective_spec(), request.limit_bounds()):
            resolver = _RESOLVERS.setdefault(sweep.request, Resolver(request.solver))
            outcome = solve_reusing(resolver, request.instance, request.changes,
                                    request.objective_spec(), request.decisions())
        else:
            outcome = solve_request(request)
        summary = outcome.summary
        row.update(status=summary["status"], mip_gap=summary.get("mip_gap"), error="")
        row.update(summary.get("objectives") or {})
        risk = summary.get("risk_measures") or {}
        row.update({k: risk.get(k) for k in ("expected_shortfall_t", "cvar_shortfall_t",
                                              "max_country_share")})
        row["system_cost"] = summary.get("system_cost")
        row["unmet_penalty"] = summary.get("unmet_penalty")
        row["expected_unmet_t"] = summary.get("expected_unmet_t")
        row["in_place"] = bool(summary.get("in_place", False))
        row["carried"] = bool(summary.get("carried", False))
        if outcome.tables:
            row.update(key_decisions(outcome.model, outcome.tables))
        row["seconds"] = round(time.perf_counter() - start, 3)
        return {"row": row, "tables": outcome.tables, "summary": summary,
                "files": outcome.instance_files}
    except InputError as error:
        message = "; ".join(str(p) for p in error.problems if p.severity == "error")
    except PlannerError as error:
        message = str(error)
    except Exception as error:  # a bug or a solver failure: recorded, the sweep goes on
        message = f"{type(error).__name__}: {error} | " + traceback.format_exc(limit=3)
    row.update(status="failed", error=message, seconds=round(time.perf_counter() - start, 3))
    return {"row": row}


def point_folder(out: Path, number: int) -> Path:
    return out / "points" / f"point_{number:04d}"


def finished_rows(out: Path, sweep: Sweep) -> dict[int, dict]:
    """Rows of the points whose folder is complete (point.json written last)."""
    from planner.runs import read_json

    rows = {}
    for number in range(1, len(sweep.points) + 1):
        record = point_folder(out, number) / "point.json"
        if record.is_file():
            try:
                rows[number] = read_json(record)
            except PlannerError:  # damaged: solved again
                continue
    return rows


def _executor(workers: int, scheduler: str | None):
    """submit(fn, arg) -> future, the completion iterator, and a close function."""
    if scheduler:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed

        if scheduler == "local":
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            cluster, client = None, Client(scheduler)

        def close():
            client.close()
            if cluster is not None:
                cluster.close()
        return client.submit, dask_completed, close
    pool = ProcessPoolExecutor(max_workers=workers)
    return pool.submit, as_completed, lambda: pool.shutdown(wait=False, cancel_futures=True)


def run_sweep(sweep: Sweep, out: Path, workers: int = 1, scheduler: str | None = None,
              resume: bool = False, force: bool = False,
              progress: Callable[[dict], None] | None = None) -> pd.DataFrame:
    """Solve every point of `sweep` not yet finished in `out`; write the point folders as
    they finish and sweep.csv at the end (also when interrupted). Returns sweep.csv's rows."""
    from planner.runs import (
        atomic_folder,
        check_target,
        mark,
        read_json,
        write_instance,
        write_tables,
    )

    sweep = sweep.with_points()
    spec_file = out / "sweep.json"
    reads = sweep.request.reads()
    if out.exists():
        if resume and spec_file.is_file():
            recorded = Sweep.from_record(read_json(spec_file), str(spec_file))
            if recorded != sweep:
                raise PlannerError(f"{out} holds a different sweep ({spec_file}): resume it "
                                   "with the same instance, grid and options, or choose "
                                   "another --out")
        elif not force:
            raise PlannerError(f"{out} already exists: pass --resume to finish that sweep, "
                               "--force to replace it, or choose another --out")
        elif not resume:
            check_target(out, force, reads)
            shutil.rmtree(out)
    check_target(out, True, reads)
    out.mkdir(parents=True, exist_ok=True)
    mark(out)
    spec_file.write_text(json.dumps(sweep.record(), indent=2) + "\n")
    rows = finished_rows(out, sweep) if resume else {}
    todo = [n for n in range(1, len(sweep.points) + 1) if n not in rows]
    for row in rows.values():
        if progress:
            progress(row)
    try:
        if todo:
            submit, completed, close = _executor(min(workers, len(todo)), scheduler)
            try:
                futures = [submit(solve_point, Task(sweep, n)) for n in todo]
                for future in completed(futures):
                    result = future.result()
                    row = result["row"]
                    if "tables" in result:
                        folder = point_folder(out, row["point"])
                        with atomic_folder(folder, force=True) as tmp:
                            write_tables(tmp, result["tables"], result["summary"])
                            write_instance(tmp, result["files"])
                            (tmp / "point.json").write_text(json.dumps(row, default=str) + "\n")
                    rows[row["point"]] = row
                    if progress:
                        progress(row)
            finally:
                close()
    finally:
        table = sweep_table(sweep, rows)
        table.to_csv(out / "sweep.csv", index=False, float_format="%.10g")
    return table


def sweep_table(sweep: Sweep, rows: dict[int, dict]) -> pd.DataFrame:
    """sweep.csv: a row per point in point order (unsolved points have status `pending`)."""
    records = [rows.get(n, {"point": n, **p, "status": "pending"})
               for n, p in enumerate(sweep.points, start=1)]
    table = pd.DataFrame(records)
    first = ["point", *sweep.points[0].keys(), "status", "error"] if sweep.points else []
    rest = [c for c in table.columns if c not in first]
    return table[[c for c in first if c in table.columns] + rest]

