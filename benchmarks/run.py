"""Benchmark the planner on synthetic instances of growing size (see benchmarks/README.md).

    python benchmarks/run.py [--sizes small,medium,large] [--time-limit S] [--mip-gap G]
                             [--threads N] [--json FILE] [--profile DIR]

Each size is generated (benchmarks/generate.py) into benchmarks/generated/<size>/ (git-ignored),
then loaded, built, solved and read back in its own subprocess, so that the peak resident memory
reported is that of one size alone. A size is a name below or `R:F:Y:C` (regions, facilities per
region, years, commodities).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

SIZES: dict[str, dict[str, int]] = {
    "small": {"regions": 20, "facilities_per_region": 2, "years": 13, "commodities": 4},
    "medium": {"regions": 50, "facilities_per_region": 3, "years": 20, "commodities": 6},
    "large": {"regions": 130, "facilities_per_region": 3, "years": 26, "commodities": 8},
}

COLUMNS = [  # (key, header, format)
    ("size", "size", "{}"),
    ("regions", "R", "{}"),
    ("facilities_per_region", "F", "{}"),
    ("years", "Y", "{}"),
    ("commodities", "C", "{}"),
    ("variables", "vars", "{:,}"),
    ("integer_variables", "ints", "{:,}"),
    ("constraints", "cons", "{:,}"),
    ("nonzeros", "nonzeros", "{:,}"),
    ("load_s", "load_s", "{:.2f}"),
    ("build_s", "build_s", "{:.2f}"),
    ("handover_s", "handover_s", "{:.2f}"),
    ("solve_s", "solve_s", "{:.2f}"),
    ("readback_s", "readback_s", "{:.2f}"),
    ("peak_rss_mb", "peak_MB", "{:.0f}"),
    ("status", "status", "{}"),
    ("mip_gap", "gap", "{:.2%}"),
    ("overhead", "overhead", "{:.2f}"),
]


def size_parameters(name: str) -> dict[str, int]:
    if name in SIZES:
        return dict(SIZES[name])
    parts = name.split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(
            f"unknown size {name!r}: one of {', '.join(SIZES)} or R:F:Y:C")
    keys = ("regions", "facilities_per_region", "years", "commodities")
    return dict(zip(keys, map(int, parts)))


# --- child: one size, in its own process -------------------------------------------------------

def measure(instance_dir: Path, time_limit: float | None, mip_gap: float, threads: int,
            profile: Path | None) -> dict:
    """Load, build, solve and read back one instance; return timings, sizes and peak memory."""
    import resource

    from planner.data import load_instance
    from planner.formulation.build import build_model
    from planner.results.tables import result_tables
    from planner.solve import SolveOptions, solve

    def peak_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux

    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    t0 = time.perf_counter()
    instance = load_instance(instance_dir)
    load_s = time.perf_counter() - t0
    rss_load = peak_mb()
    pm = build_model(instance)
    rss_build = peak_mb()
    options = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads or None)
    sol = solve(pm, options)
    rss_solve = peak_mb()
    t0 = time.perf_counter()
    tables = result_tables(pm, sol) if sol.has_solution else {}
    tables_s = time.perf_counter() - t0
    total_s = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
        profile.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(profile))
    readback_s = sol.readback_s + tables_s
    modelling = pm.build_seconds + sol.handover_s + readback_s
    return {
        **sol.stats,
        "load_s": load_s, "build_s": pm.build_seconds, "handover_s": sol.handover_s,
        "solve_s": sol.solve_s, "readback_s": readback_s,
        "solution_readback_s": sol.readback_s, "tables_s": tables_s, "total_s": total_s,
        "peak_rss_mb": peak_mb(), "rss_mb_after_load": rss_load,
        "rss_mb_after_build": rss_build, "rss_mb_after_solve": rss_solve,
        "status": str(sol.status), "termination": sol.termination,
        "objective": sol.objective, "mip_gap": sol.mip_gap,
        "overhead": modelling / sol.solve_s if sol.solve_s > 0 else None,
        "result_rows": sum(len(t) for t in tables.values()),
    }


def child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("instance_dir", type=Path)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--mip-gap", type=float, required=True)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args(argv)
    result = measure(args.instance_dir, args.time_limit, args.mip_gap, args.threads,
                     args.profile)
    print("RESULT " + json.dumps(result), flush=True)
    return 0


# --- parent: generate, run each size in a subprocess, tabulate -----------------------------------

def format_row(row: dict) -> list[str]:
    out = []
    for key, _, fmt in COLUMNS:
        value = row.get(key)
        out.append("-" if value is None else fmt.format(value))
    return out


def print_table(rows: list[dict]) -> None:
    cells = [[h for _, h, _ in COLUMNS]] + [format_row(r) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    for n, line in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(line, widths)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def run_size(name: str, params: dict[str, int], args) -> dict:
    folder = args.out_dir / name.replace(":", "x")
    t0 = time.perf_counter()
    counts = generate(folder, seed=args.seed, **params)
    gen_s = time.perf_counter() - t0
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(folder),
               "--mip-gap", repr(args.mip_gap), "--threads", str(args.threads)]
    if args.time_limit is not None:
        command += ["--time-limit", repr(args.time_limit)]
    if args.profile is not None:
        command += ["--profile", str(args.profile / f"{name.replace(':', 'x')}.prof")]
    print(f"[{name}] {counts['links']:,} links, {counts['facilities']:,} facilities, "
          f"generated in {gen_s:.1f} s; solving ...", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    wall_s = time.perf_counter() - t0
    row = {"size": name, **params, "domestic": counts["domestic"], "links": counts["links"],
           "facilities": counts["facilities"], "generate_s": gen_s, "wall_s": wall_s,
           "time_limit": args.time_limit, "mip_gap_target": args.mip_gap,
           "threads": args.threads, "seed": args.seed}
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        print(f"[{name}] failed (exit {proc.returncode}):\n{proc.stderr}", file=sys.stderr)
        row.update(status="failed", error=proc.stderr[-4000:])
        return row
    row.update(json.loads(lines[-1][len("RESULT "):]))
    print(f"[{name}] {row['status']} in {wall_s:.1f} s (solve {row['solve_s']:.1f} s, "
          f"{row['nonzeros']:,} nonzeros, peak {row['peak_rss_mb']:.0f} MB)", flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="small,medium,large",
                        help="comma-separated sizes: " + ", ".join(SIZES) + " or R:F:Y:C")
    parser.add_argument("--time-limit", type=float, default=600.0,
                        help="HiGHS time limit per size, seconds (default 600)")
    parser.add_argument("--mip-gap", type=float, default=0.01,
                        help="relative MIP gap to stop at (default 0.01 = 1 %%)")
    parser.add_argument("--threads", type=int, default=0,
                        help="HiGHS threads (default 0: HiGHS's choice)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--json", type=Path, default=None,
                        help="also write one JSON line per size to this file")
    parser.add_argument("--out-dir", type=Path, default=HERE / "generated",
                        help="where instances are generated (default benchmarks/generated)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write a cProfile of each size (load to tables) to DIR/<size>.prof")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    try:
        plan = [(s, size_parameters(s)) for s in sizes]
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    rows = []
    for name, params in plan:
        rows.append(run_size(name, params, args))
        if args.json is not None:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            with args.json.open("w", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(json.dumps(row) + "\n")
    print()
    print_table(rows)
    print("\noverhead = (build_s + handover_s + readback_s) / solve_s; "
          "readback_s includes result_tables")
    return 0 if all(r["status"] != "failed" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
