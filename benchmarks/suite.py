"""The whole benchmark suite in one command, and its table (benchmarks/latest.md).

    python benchmarks/suite.py [--quick] [--steps sizes,scaling,uk,sweep] [--out FILE]

Steps, each its own script in its own subprocess, in this order (one at a time, so that they do
not share the cores):
- sizes: `run.py` on small, medium, large and xlarge (2.45 M nonzeros), with the numpy-to-highspy
  floor and its solve (`--floor-solve`): phase times, overhead against solve and floor, memory;
- scaling: `scaling.py`, time and memory against regions, years and scenarios with exponents;
- uk: `uk_cli.py`, the UK instance as a user runs it (`planner solve` with HiGHS's thread choice
  and one thread, at 1 %) and a 10-point cost-risk Pareto front with two workers against one
  solve, 300 s per solve (the sequential front adds about an hour: `--pareto-workers 1,2`);
- sweep: `sweep.py`, a 10-point MILP price sweep at 1 %, rebuilt per point and in place.
Every step appends its JSON lines to a file of this run (benchmarks/generated/suite.jsonl), and
a full run (not --quick) adds them to benchmarks/results.jsonl. The table gathers the issue's
targets with their measured values, then every step's own output, and is written to --out
(default benchmarks/latest.md) with the machine and date. `--quick` runs small versions of
every step (about two minutes) to check the suite itself.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RUN_JSON = HERE / "generated" / "suite.jsonl"
MODELLING = {"load_s", "build_s", "handover_s", "readback_s", "modelling_s"}  # outside HiGHS

STEPS = {  # name: (full arguments, quick arguments)
    "sizes": (["run.py", "--sizes", "small,medium,large,xlarge", "--floor-solve"],
              ["run.py", "--sizes", "small", "--floor-solve"]),
    "scaling": (["scaling.py"], ["scaling.py", "--quick"]),
    "uk": (["uk_cli.py", "--pareto-points", "10", "--pareto-workers", "2", "--time-limit", "300"],
           ["uk_cli.py", "--instance", "instances/toy", "--pareto-points", "3",
            "--pareto-workers", "1,2"]),
    "sweep": (["sweep.py", "--points", "10", "--workers", "1", "--mip-gap", "0.01"],
              ["sweep.py", "--instance", "instances/toy", "--points", "3", "--workers", "1",
               "--grid", "offers.cn_magnets.price_per_t=60000:90000"]),
}


def run_step(name: str, quick: bool) -> str:
    """Run one step; its printed output."""
    args = STEPS[name][1 if quick else 0]
    command = [sys.executable, str(HERE / args[0]), *args[1:], "--json", str(RUN_JSON)]
    print(f"== {name}: {' '.join(args)}", flush=True)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    print(done.stdout, flush=True)
    if done.returncode:
        raise SystemExit(f"step {name} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def targets(rows: list[dict]) -> list[tuple[str, str, str]]:
    """(target, measured, met) for the issue's targets found in this run's JSON lines."""
    found = []
    sizes = [r for r in rows if r.get("size") and r.get("bench") != "scaling"
             and r.get("nonzeros", 0) >= 2_000_000]
    for r in sizes:
        modelling = r["overhead"] * r["solve_s"]
        found.append((f"modelling <= 0.5 x solve ({r['size']}, {r['nonzeros']:,} nonzeros)",
                      f"{modelling:.1f} s / {r['solve_s']:.1f} s = {r['overhead']:.2f}",
                      "yes" if r["overhead"] <= 0.5 else "no"))
        found.append(("modelling <= 3 x numpy-to-highspy floor",
                      f"{r['overhead_vs_floor']:.0f}x", "yes" if r["overhead_vs_floor"] <= 3
                      else "no"))
        if r.get("mb_vs_floor"):
            found.append(("memory up to hand-over <= 2 x floor", f"{r['mb_vs_floor']:.1f}x",
                          "yes" if r["mb_vs_floor"] <= 2 else "no"))
    solves = [r for r in rows if r.get("bench") == "uk_cli" and r["run"] == "solve"]
    for threads, start in sorted({(r["threads"], r.get("start", "none")) for r in solves}):
        mine = [r for r in solves if r["threads"] == threads and r.get("start", "none") == start]
        wall = statistics.median(r["wall_s"] for r in mine)
        gap = mine[0]["mip_gap_target"]
        found.append((f"`planner solve {mine[0]['instance']} --start {start}` to {gap:.1%}, "
                      f"threads {threads or 'auto'}"
                      " (target: 0.1 % in < 10 s)", f"{wall:.1f} s wall, HiGHS "
                      f"{statistics.median(r['solve_s'] for r in mine):.1f} s", "no"
                      if gap > 0.001 or wall >= 10 else "yes"))
    for r in (r for r in rows if r.get("bench") == "uk_cli" and r["run"] == "pareto"):
        ratio = r.get("vs_one_solve_wall")
        found.append((f"{r['points']}-point Pareto front of {r['instance']}, "
                      f"{r['workers']} worker(s) <= 3 x one solve",
                      f"{r['wall_s']:.0f} s, {ratio}x ({r['solves']} solves)",
                      "yes" if ratio is not None and ratio <= 3 else "no"))
    sweep = {r["mode"]: r for r in rows if r.get("benchmark") == "sweep"}
    if {"rebuild", "in place"} <= sweep.keys():
        ratio = sweep["in place"]["mean_point_s"] / sweep["rebuild"]["mean_point_s"]
        found.append(("MILP sweep point <= 1/3 of a cold solve",
                      f"{sweep['in place']['mean_point_s']:.1f} s against "
                      f"{sweep['rebuild']['mean_point_s']:.1f} s ({ratio:.2f}x; "
                      f"{sweep['in place'].get('carried_points', 0)} carried)",
                      "yes" if ratio <= 1 / 3 else "no"))
    exponents = [r for r in rows if r.get("bench") == "scaling" and r.get("kind") == "exponent"
                 and r["phase"] in MODELLING and r.get("exponent_vs_nonzeros") is not None]
    if exponents:
        worst = max(exponents, key=lambda r: r["exponent_vs_nonzeros"])
        found.append(("no super-linear phase outside the solver (b vs nonzeros <= 1.1)",
                      f"largest: {worst['label']} over {worst['series']}, "
                      f"b = {worst['exponent_vs_nonzeros']:.2f}",
                      "yes" if worst["exponent_vs_nonzeros"] <= 1.1 else "no"))
    return found


def machine() -> str:
    from importlib.metadata import version

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.processor()) \
        if Path("/proc/cpuinfo").exists() else platform.processor()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GB, Python {platform.python_version()}"
            f", Pyomo {version('pyomo')}, highspy {version('highspy')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small versions of every step")
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--out", type=Path, default=HERE / "latest.md")
    args = parser.parse_args()
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = sorted(set(steps) - STEPS.keys())
    if unknown:
        parser.error(f"unknown steps {', '.join(unknown)}: choose from {', '.join(STEPS)}")
    RUN_JSON.parent.mkdir(parents=True, exist_ok=True)
    RUN_JSON.write_text("")
    outputs = {name: run_step(name, args.quick) for name in steps}
    rows = [json.loads(line) for line in RUN_JSON.read_text().splitlines() if line.strip()]
    if not args.quick:  # the record of full runs only
        with (HERE / "results.jsonl").open("a", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)
    lines = [f"# Benchmark suite, {datetime.date.today()}{' (quick)' if args.quick else ''}",
             "", machine(), "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in targets(rows)]
    for name, text in outputs.items():
        lines += ["", f"## {name}: `python benchmarks/{' '.join(STEPS[name][args.quick])}`",
                  "", "```", text.strip(), "```"]
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:6 + len(targets(rows))]))
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()
