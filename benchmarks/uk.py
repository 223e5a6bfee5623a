"""Where the UK plan's solve time goes: the relaxation gap, which facilities' fractional builds
make it, and levers measured one by one (see benchmarks/README.md, "The UK instance").

    python benchmarks/uk.py [--instance instances/uk-baseline] [--mip-gap 0.01]
                            [--time-limit 300] [--levers cold,scaled,shared_start,...]
                            [--repeats 1] [--json FILE]

- relaxation: the LP relaxation's value, and the value with every build fixed to the plan that
  the first lever finds; their difference is the relaxation gap. For each candidate facility,
  the LP's rise when only that facility's builds are fixed to the plan: its part of the gap.
- levers (each a cold HiGHS solve to --mip-gap, timed apart from build and hand-over):
  - cold: as `planner solve` does it;
  - scaled: HiGHS's objective scaled by 1e-6 (costs in GBP m; HiGHS warns about 1e8 costs);
  - shared_start: the model with builds decided once for all scenarios (`builds: shared`, about
    an eighth of the integer columns) solved first, its builds offered as a MIP start to the
    tree model. Both solves are reported.
  - rens: the LP relaxation, then the MIP with every integer column whose LP value is whole
    fixed and the others boxed between floor and ceiling (RENS, to 0.5 %), its plan offered as
    a MIP start to the full model. The three phases are reported.
  - build_years: builds decided only in BUILD_YEARS (instance.yaml build_years): yearly to
    2030, then every five years.
One JSON line per lever and repeat is appended to --json (default benchmarks/results.jsonl).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from planner.data.load import load_instance
from planner.formulation.build import PlanningModel, build_model
from planner.request import SolveOptions
from planner.solve.highs import HighsSession

HERE = Path(__file__).resolve().parent
MILLION = 1e6
BUILD_YEARS = (2025, 2026, 2027, 2028, 2029, 2030, 2035, 2040, 2045)


def session(pm: PlanningModel, gap: float, limit: float) -> HighsSession:
    s = HighsSession(pm, SolveOptions(mip_gap=gap, time_limit=limit))
    s.highs.setOptionValue("output_flag", False)
    return s


def timed_solve(pm: PlanningModel, gap: float, limit: float, options: dict | None = None,
                start: pd.Series | None = None) -> dict:
    """One cold solve of `pm` (HiGHS `options` on top); `start`: module counts per (facility,
    year) offered as a MIP start to every scenario's build."""
    s = session(pm, gap, limit)
    for key, value in (options or {}).items():
        s.highs.setOptionValue(key, value)
    if start is not None:
        cols = s.column_map()["build"]
        keys = pd.MultiIndex.from_frame(pm.sets.build[["facility", "year"]])
        values = start.reindex(keys).fillna(0.0).to_numpy()
        cols, first = np.unique(cols, return_index=True)
        keep = cols >= 0
        s.highs.setSolution(int(keep.sum()), cols[keep].astype(np.int32), values[first][keep])
    began = time.perf_counter()
    sol = s.solve()
    return {"solve_s": round(time.perf_counter() - began, 2), "handover_s": round(s.handover_s, 2),
            "objective_m": sol.objective / MILLION, "bound_m": sol.bound / MILLION,
            "gap": sol.mip_gap, "status": str(sol.status), "integers": sol.stats[
                "integer_variables"], "nonzeros": sol.stats["nonzeros"],
            "builds": pm.sets.build.assign(modules=sol.values["build"])}


def rens_solve(pm: PlanningModel, gap: float, limit: float) -> dict:
    """The rens lever (module docstring): LP, the RENS sub-MIP, then the full MIP from it."""
    s = session(pm, gap, limit)
    highs = s.highs
    began = time.perf_counter()
    highs.setOptionValue("solve_relaxation", True)
    highs.run()
    out = {"lp_s": round(time.perf_counter() - began, 2)}
    lp = np.array(highs.getSolution().col_value)
    model = highs.getLp()
    lower, upper = np.array(model.col_lower_), np.array(model.col_upper_)
    ints = np.flatnonzero(np.array(model.integrality_) > 0).astype(np.int32)
    highs.setOptionValue("solve_relaxation", False)
    highs.setOptionValue("mip_rel_gap", 0.005)
    highs.changeColsBounds(len(ints), ints, np.floor(lp[ints] + 1e-6), np.ceil(lp[ints] - 1e-6))
    began = time.perf_counter()
    highs.run()
    out.update(rens_s=round(time.perf_counter() - began, 2), rens_fractional=int(
        (np.ceil(lp[ints] - 1e-6) > np.floor(lp[ints] + 1e-6)).sum()),
        rens_objective_m=(highs.getInfo().objective_function_value + pm.objective_constant) /
        MILLION)
    start = highs.getSolution()
    highs.changeColsBounds(len(ints), ints, lower[ints], upper[ints])
    highs.setOptionValue("mip_rel_gap", gap)
    highs.setSolution(start)
    began = time.perf_counter()
    sol = s.solve()
    return {**out, "solve_s": round(time.perf_counter() - began, 2),
            "objective_m": sol.objective / MILLION, "bound_m": sol.bound / MILLION,
            "gap": sol.mip_gap, "status": str(sol.status),
            "builds": pm.sets.build.assign(modules=sol.values["build"])}


def relaxation(pm: PlanningModel, plan: pd.DataFrame) -> dict:
    """The LP relaxation, the LP with every build fixed to `plan` (facility, year, scenario,
    modules), and each facility's part of the difference (GBP m)."""
    s = session(pm, 0.0, 600.0)
    highs = s.highs
    highs.setOptionValue("solve_relaxation", True)

    def value() -> float:
        highs.run()
        return (highs.getInfo().objective_function_value + pm.objective_constant) / MILLION

    lp = value()
    lp_model = highs.getLp()
    lower, upper = np.array(lp_model.col_lower_), np.array(lp_model.col_upper_)
    fixed = pm.sets.build.assign(col=s.column_map()["build"]).merge(
        plan, on=["facility", "year", "scenario"], how="left").fillna({"modules": 0.0})
    fixed = fixed[fixed["col"] >= 0].sort_values("modules").drop_duplicates("col", keep="last")

    def with_fixed(rows: pd.DataFrame) -> float:
        cols = rows["col"].to_numpy(dtype=np.int32)
        modules = rows["modules"].to_numpy(dtype=float)
        highs.changeColsBounds(len(cols), cols, modules, modules)
        found = value()
        highs.changeColsBounds(len(cols), cols, lower[cols], upper[cols])
        return found

    all_fixed = with_fixed(fixed)
    parts = {f: round(with_fixed(rows) - lp, 2) for f, rows in fixed.groupby("facility")}
    return {"lp_m": round(lp, 2), "builds_fixed_m": round(all_fixed, 2),
            "relaxation_gap": (all_fixed - lp) / all_fixed,
            "by_facility_m": dict(sorted(parts.items(), key=lambda kv: -kv[1]))}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--instance", default="instances/uk-baseline")
    p.add_argument("--mip-gap", type=float, default=0.01)
    p.add_argument("--time-limit", type=float, default=300.0)
    p.add_argument("--levers", default="cold,scaled,shared_start")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--json", type=Path, default=HERE / "results.jsonl")
    args = p.parse_args()
    instance = load_instance(args.instance)
    shared = dataclasses.replace(instance, settings=dataclasses.replace(
        instance.settings, builds="shared"))
    rows, plan = [], None
    for repeat in range(args.repeats):
        for lever in args.levers.split(","):
            began = time.perf_counter()
            pm = build_model(instance)
            row = {"bench": "uk", "lever": lever, "repeat": repeat,
                   "build_s": round(pm.build_seconds, 2), "mip_gap_target": args.mip_gap}
            if lever == "cold":
                found = timed_solve(pm, args.mip_gap, args.time_limit)
            elif lever == "scaled":
                found = timed_solve(pm, args.mip_gap, args.time_limit,
                                    {"user_objective_scale": -6})
            elif lever == "shared_start":
                first = timed_solve(build_model(shared), args.mip_gap, args.time_limit)
                start = first.pop("builds").groupby(["facility", "year"])["modules"].max()
                row.update({f"shared_{k}": v for k, v in first.items()})
                found = timed_solve(pm, args.mip_gap, args.time_limit, start=start)
            elif lever == "rens":
                found = rens_solve(pm, args.mip_gap, args.time_limit)
            elif lever == "build_years":
                pm = build_model(dataclasses.replace(instance, settings=dataclasses.replace(
                    instance.settings, build_years=BUILD_YEARS)))
                found = timed_solve(pm, args.mip_gap, args.time_limit)
            else:
                raise SystemExit(f"unknown lever {lever!r}")
            builds = found.pop("builds")
            plan = builds[builds["modules"] > 0.5] if plan is None else plan
            row.update(found, wall_s=round(time.perf_counter() - began, 2))
            rows.append(row)
            print(json.dumps(row), flush=True)
    pm = build_model(instance)
    gap = {"bench": "uk", "lever": "relaxation", **relaxation(
        pm, plan[["facility", "year", "scenario", "modules"]])}
    print(json.dumps(gap), flush=True)
    with args.json.open("a", encoding="utf-8") as f:
        for row in [*rows, gap]:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
