"""The UK instance as a user runs it: `planner solve` (HiGHS's thread choice and one thread) and
`planner pareto`, each in its own subprocess, timed from outside and from its summary.json.

    python benchmarks/uk_cli.py [--instance instances/uk-baseline] [--mip-gap 0.01]
                                [--time-limit 600] [--repeats 1] [--threads 0,1]
                                [--starts ev,none]
                                [--pareto-points 10] [--objectives cost,risk]
                                [--pareto-workers 1,2] [--json FILE]

Each solve runs once per `--starts` value (`planner solve --start`: `ev`, the default, from the
expected-value plan; `none`, a cold search). The Pareto front is set beside one solve: its wall
time over the median wall time of the default solves with HiGHS's thread choice (the issue's
"within 3x one solve"), and its HiGHS time over theirs; the front is traced once per
`--pareto-workers` count (`planner pareto --workers`; the HiGHS time is then summed over the
workers). `--pareto-points 0` leaves the front out. One JSON line per run is appended to --json
(default benchmarks/results.jsonl), tagged "bench": "uk_cli".
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "generated" / "uk-cli"


def planner(*args: str) -> tuple[float, int]:
    """Run `planner ARGS` from the project root; (wall seconds, exit code)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "planner", *args], cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode not in (0, 4):  # 4: time limit with a solution
        raise SystemExit(f"planner {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return time.perf_counter() - start, done.returncode


def solve(instance: str, gap: float, limit: float, threads: int, repeat: int,
          start: str) -> dict:
    out = OUT / f"solve-t{threads}-{start}-{repeat}"
    wall, code = planner("solve", instance, "--out", str(out), "--force", "--mip-gap", str(gap),
                         "--time-limit", str(limit), "--threads", str(threads),
                         "--start", start)
    summary = json.loads((out / "summary.json").read_text())
    return {"bench": "uk_cli", "run": "solve", "instance": instance, "threads": threads,
            "repeat": repeat, "start": start,
            "wall_s": round(wall, 2), **{k: summary["timings"].get(k) for k in (
                "load_s", "start_s", "build_s", "handover_s", "solve_s", "readback_s", "total_s")},
            "objective_m": summary["objective_value"] / 1e6, "mip_gap": summary["mip_gap"],
            "exit_code": code, "mip_gap_target": gap}


def pareto(instance: str, gap: float, limit: float, points: int, objectives: str,
           workers: int) -> dict:
    out = OUT / f"pareto-w{workers}"
    wall, code = planner("pareto", instance, "--out", str(out), "--force", "--mip-gap", str(gap),
                         "--time-limit", str(limit), "--objectives", objectives,
                         "--points", str(points), "--workers", str(workers))
    summary = json.loads((out / "summary.json").read_text())
    solves = summary["solves"]
    payoff = len(objectives.split(",")) ** 2  # one lexicographic run of k solves per objective
    return {"bench": "uk_cli", "run": "pareto", "instance": instance, "objectives": objectives,
            "points": points, "workers": workers,
            "wall_s": round(wall, 2), "efficient_points": summary["efficient_points"],
            "solves": len(solves), "solve_s": summary["timings"]["solve_s"],
            "payoff_solve_s": round(sum(s["solve_s"] for s in solves[:payoff]), 2),
            "solve_seconds": [s["solve_s"] for s in solves],
            "exit_code": code, "mip_gap_target": gap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", default="instances/uk-baseline")
    parser.add_argument("--mip-gap", type=float, default=0.01)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--threads", default="0,1", help="HiGHS threads of the solves")
    parser.add_argument("--starts", default="ev,none", help="--start of the solves")
    parser.add_argument("--pareto-points", type=int, default=10)
    parser.add_argument("--objectives", default="cost,risk")
    parser.add_argument("--pareto-workers", default="1,2",
                        help="the front once per worker count (planner pareto --workers)")
    parser.add_argument("--json", type=Path, default=HERE / "results.jsonl")
    args = parser.parse_args()
    rows = []
    for repeat in range(args.repeats):
        for threads in (int(t) for t in args.threads.split(",")):
            for start in args.starts.split(","):
                rows.append(solve(args.instance, args.mip_gap, args.time_limit, threads, repeat,
                                  start))
                print(json.dumps(rows[-1]), flush=True)
    one = args.starts.split(",")[0]
    reference = [r for r in rows if r["threads"] == 0 and r["start"] == one] or rows
    for workers in (int(w) for w in args.pareto_workers.split(",") if args.pareto_points):
        row = pareto(args.instance, args.mip_gap, args.time_limit, args.pareto_points,
                     args.objectives, workers)
        if reference:
            row["vs_one_solve_wall"] = round(row["wall_s"] / statistics.median(
                r["wall_s"] for r in reference), 2)
            row["vs_one_solve_highs"] = round(row["solve_s"] / statistics.median(
                r["solve_s"] for r in reference), 2)
        rows.append(row)
        print(json.dumps(row), flush=True)
    with args.json.open("a", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
