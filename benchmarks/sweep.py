"""Benchmark a price sweep: rebuilt for every point versus re-solved in place, 1 and 2 workers.

    python benchmarks/sweep.py [--instance instances/uk-baseline] [--points 20]
                               [--grid PATH=START:STOP] [--workers 1,2] [--mip-gap G]
                               [--time-limit S] [--evaluate RUN_DIR] [--modes rebuild,inplace]
                               [--json FILE]

With --evaluate every point holds the builds of RUN_DIR (the sweep is then a sequence of LPs).

Each configuration runs `planner sweep` in its own subprocess into benchmarks/generated/sweep-*
(git-ignored) and is timed from outside (wall clock); the per-point columns of sweep.csv give
the time per point and how many points were re-solved in place. One JSON line per configuration
is appended to --json (default benchmarks/results.jsonl).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def run(instance: str, grid: str, workers: int, rebuild: bool, mip_gap: float,
        time_limit: float, evaluate: str | None = None) -> dict:
    kind = "lp" if evaluate else "mip"
    out = HERE / "generated" / f"sweep-{kind}-w{workers}-{'rebuild' if rebuild else 'inplace'}"
    command = [sys.executable, "-m", "planner", "sweep", instance, "--grid", grid,
               "--workers", str(workers), "--out", str(out), "--force",
               "--mip-gap", str(mip_gap), "--time-limit", str(time_limit)]
    if rebuild:
        command.append("--rebuild")
    if evaluate:
        command += ["--evaluate", evaluate]
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    table = pd.read_csv(out / "sweep.csv")
    return {"benchmark": "sweep", "problem": kind, "instance": instance, "grid": grid,
            "points": len(table),
            "workers": workers, "mode": "rebuild" if rebuild else "in place", "wall_s": wall,
            "mean_point_s": float(table["seconds"].mean()),
            "in_place_points": int(table["in_place"].sum()),
            "carried_points": int(table["carried"].sum()) if "carried" in table else 0,
            "solved": int((table["status"] == "optimal").sum()),
            "cost_min": float(table["cost"].min()), "cost_max": float(table["cost"].max()),
            "mip_gap_target": mip_gap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", default="instances/uk-baseline")
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--grid", default="offers.cn_ndpr_oxide.price_per_t=60000:150000")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--mip-gap", type=float, default=1e-3)
    parser.add_argument("--time-limit", type=float, default=300)
    parser.add_argument("--evaluate", default=None,
                        help="a run folder whose builds every point holds (LPs)")
    parser.add_argument("--modes", default="rebuild,inplace",
                        help="rebuild (a cold solve per point), inplace, or both")
    parser.add_argument("--json", type=Path, default=HERE / "results.jsonl")
    args = parser.parse_args()
    modes = {m.strip() for m in args.modes.split(",")}
    grid = f"{args.grid}:{args.points}"
    rows = []
    for workers in (int(w) for w in args.workers.split(",")):
        for rebuild in [r for r, m in ((True, "rebuild"), (False, "inplace")) if m in modes]:
            row = run(args.instance, grid, workers, rebuild, args.mip_gap, args.time_limit,
                      args.evaluate)
            rows.append(row)
            with args.json.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(f"{workers} worker(s), {row['mode']:>8}: {row['wall_s']:7.1f} s wall, "
                  f"{row['mean_point_s']:6.2f} s per point, {row['in_place_points']} in place "
                  f"({row['carried_points']} carried), "
                  f"{row['solved']}/{row['points']} optimal", flush=True)


if __name__ == "__main__":
    main()
