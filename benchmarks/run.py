"""Benchmark the planner on synthetic instances of growing size (see benchmarks/README.md).

    python benchmarks/run.py [--sizes small,medium,large,xlarge] [--time-limit S] [--mip-gap G]
                             [--threads N] [--handover arrays|pyomo] [--floor-solve]
                             [--json FILE] [--profile DIR]

Each size is generated (benchmarks/generate.py) into benchmarks/generated/<size>/ (git-ignored),
then loaded, built, solved and read back in its own subprocess, so that the peak resident memory
reported is that of one size alone. A size is a name below or `R:F:Y:C` (regions, facilities per
region, years, commodities).

The floor: the same HiGHS model built from numbers already known, with numpy and highspy alone.
The planner's subprocess saves the model it handed over as plain arrays (matrix entries as row,
column, value; bounds, costs, integrality); a third subprocess loads them, then times building
the column-wise matrix and passModel, and reports its peak memory. What the planner spends in
load + build + hand-over + read-back is compared with that floor. With --floor-solve the floor
also solves, so that the peak memory of a whole run can be set beside the floor's.
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
    "xlarge": {"regions": 180, "facilities_per_region": 3, "years": 26, "commodities": 8},
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
    ("floor_s", "floor_s", "{:.2f}"),
    ("overhead", "ovh/solve", "{:.2f}"),
    ("overhead_vs_floor", "ovh/floor", "{:.1f}"),
    ("rss_mb_after_handover", "MB_handover", "{:.0f}"),
    ("peak_rss_mb", "peak_MB", "{:.0f}"),
    ("floor_peak_mb", "floor_MB", "{:.0f}"),
    ("mb_vs_floor", "MB/floor", "{:.2f}"),
    ("peak_vs_floor_solved", "peak/floor_solved", "{:.2f}"),
    ("status", "status", "{}"),
    ("mip_gap", "gap", "{:.2%}"),
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

def peak_mb() -> float:
    """Peak resident memory of this process so far, MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def measure(instance_dir: Path, time_limit: float | None, mip_gap: float, threads: int,
            handover: str, profile: Path | None) -> dict:
    """Load, build, hand over, solve and read back one instance; return timings, sizes and
    peak memory. The model handed over is saved to instance_dir/model.npz for the floor."""
    from planner.data import load_instance
    from planner.formulation.build import build_model
    from planner.results.tables import result_tables
    from planner.solve import SolveOptions
    from planner.solve.highs import HighsSession

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
    session = HighsSession(pm, options, handover)
    rss_handover = peak_mb()
    sol = session.solve()
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
    modelling = load_s + pm.build_seconds + sol.handover_s + readback_s
    result = {
        **sol.stats,
        "handover": handover,
        "load_s": load_s, "build_s": pm.build_seconds, "handover_s": sol.handover_s,
        "solve_s": sol.solve_s, "readback_s": readback_s, "modelling_s": modelling,
        "solution_readback_s": sol.readback_s, "tables_s": tables_s, "total_s": total_s,
        "peak_rss_mb": peak_mb(), "rss_mb_after_load": rss_load,
        "rss_mb_after_build": rss_build, "rss_mb_after_handover": rss_handover,
        "rss_mb_after_solve": rss_solve,
        "status": str(sol.status), "termination": sol.termination,
        "objective": sol.objective, "mip_gap": sol.mip_gap,
        "overhead": modelling / sol.solve_s if sol.solve_s > 0 else None,
        "result_rows": sum(len(t) for t in tables.values()),
    }
    save_model(session.highs, instance_dir / "model.npz")
    return result


def save_model(highs, path: Path) -> None:
    """The model HiGHS holds as plain arrays: matrix entries (row, col, value), column and row
    bounds, costs, offset and integrality."""
    import numpy as np

    lp = highs.getLp()
    matrix = lp.a_matrix_
    start, index = np.asarray(matrix.start_), np.asarray(matrix.index_)
    outer = np.repeat(np.arange(len(start) - 1, dtype=np.int32), np.diff(start))
    colwise = matrix.format_ == type(matrix.format_).kColwise
    rows, cols = (index, outer) if colwise else (outer, index)
    integrality = np.array([int(k) for k in lp.integrality_] or [0] * lp.num_col_, np.uint8)
    np.savez(path, row=rows.astype(np.int32), col=cols.astype(np.int32),
             value=np.asarray(matrix.value_), col_cost=np.asarray(lp.col_cost_),
             col_lower=np.asarray(lp.col_lower_), col_upper=np.asarray(lp.col_upper_),
             row_lower=np.asarray(lp.row_lower_), row_upper=np.asarray(lp.row_upper_),
             offset=np.array(lp.offset_), integrality=integrality)


def floor(path: Path, solve: dict | None = None) -> dict:
    """The floor for the model saved at `path`: seconds to build the column-wise matrix from
    its entries with numpy and pass the model to HiGHS, and this process's peak memory (MB).
    With `solve` (HiGHS options), the model is then solved too, and the peak memory with the
    solve is reported apart."""
    import highspy
    import numpy as np

    known = dict(np.load(path))
    rss_loaded = peak_mb()
    t0 = time.perf_counter()
    num_col, num_row = len(known["col_cost"]), len(known["row_lower"])
    order = np.argsort(known["col"], kind="stable")
    start = np.zeros(num_col + 1, dtype=np.int32)
    np.cumsum(np.bincount(known["col"], minlength=num_col), out=start[1:])
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(num_col, num_row, len(order), 1, 1, float(known["offset"]),
                    known["col_cost"], known["col_lower"], known["col_upper"],
                    known["row_lower"], known["row_upper"], start, known["row"][order],
                    known["value"][order], known["integrality"].astype(np.int32))
    floor_s = time.perf_counter() - t0
    assert highs.getNumNz() == len(order)
    result = {"floor_s": floor_s, "floor_peak_mb": peak_mb(), "floor_rss_mb_loaded": rss_loaded}
    if solve is not None:
        for key, value in solve.items():
            highs.setOptionValue(key, value)
        t0 = time.perf_counter()
        highs.run()
        result.update(floor_solve_s=time.perf_counter() - t0,
                      floor_solved_peak_mb=peak_mb())
    return result


def floor_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path)
    parser.add_argument("--solve", default=None, help="HiGHS options as JSON: solve too")
    args = parser.parse_args(argv)
    result = floor(args.model, None if args.solve is None else json.loads(args.solve))
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("instance_dir", type=Path)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--mip-gap", type=float, required=True)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--handover", default="arrays")
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args(argv)
    result = measure(args.instance_dir, args.time_limit, args.mip_gap, args.threads,
                     args.handover, args.profile)
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def run_child(command: list[str]) -> tuple[dict | None, str]:
    """(the RESULT a subprocess printed, or None; its error output)."""
    proc = subprocess.run(command, capture_output=True, text=True)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        return None, f"exit {proc.returncode}:\n{proc.stderr[-4000:]}"
    return json.loads(lines[-1][len("RESULT "):]), ""


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
    script = str(Path(__file__).resolve())
    command = [sys.executable, script, "--child", str(folder), "--mip-gap", repr(args.mip_gap),
               "--threads", str(args.threads), "--handover", args.handover]
    if args.time_limit is not None:
        command += ["--time-limit", repr(args.time_limit)]
    if args.profile is not None:
        command += ["--profile", str(args.profile / f"{name.replace(':', 'x')}.prof")]
    print(f"[{name}] {counts['links']:,} links, {counts['facilities']:,} facilities, "
          f"generated in {gen_s:.1f} s; solving ...", flush=True)
    t0 = time.perf_counter()
    result, error = run_child(command)
    wall_s = time.perf_counter() - t0
    row = {"size": name, **params, "domestic": counts["domestic"], "links": counts["links"],
           "facilities": counts["facilities"], "generate_s": gen_s, "wall_s": wall_s,
           "time_limit": args.time_limit, "mip_gap_target": args.mip_gap,
           "threads": args.threads, "seed": args.seed}
    if result is None:
        print(f"[{name}] failed ({error})", file=sys.stderr)
        row.update(status="failed", error=error)
        return row
    row.update(result)
    command = [sys.executable, script, "--floor", str(folder / "model.npz")]
    if args.floor_solve:
        options = {"mip_rel_gap": args.mip_gap, "threads": args.threads}
        if args.time_limit is not None:
            options["time_limit"] = args.time_limit
        command += ["--solve", json.dumps(options)]
    floor_result, error = run_child(command)
    if floor_result is None:
        print(f"[{name}] floor failed ({error})", file=sys.stderr)
    else:
        row.update(floor_result)
        row["overhead_vs_floor"] = row["modelling_s"] / row["floor_s"]
        row["mb_vs_floor"] = row["rss_mb_after_handover"] / row["floor_peak_mb"]
        if args.floor_solve:
            row["peak_vs_floor_solved"] = row["peak_rss_mb"] / row["floor_solved_peak_mb"]
    print(f"[{name}] {row['status']} in {wall_s:.1f} s (solve {row['solve_s']:.1f} s, "
          f"{row['nonzeros']:,} nonzeros, peak {row['peak_rss_mb']:.0f} MB)", flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main(argv[1:])
    if argv[:1] == ["--floor"]:
        return floor_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="small,medium,large,xlarge",
                        help="comma-separated sizes: " + ", ".join(SIZES) + " or R:F:Y:C")
    parser.add_argument("--time-limit", type=float, default=600.0,
                        help="HiGHS time limit per size, seconds (default 600)")
    parser.add_argument("--mip-gap", type=float, default=0.01,
                        help="relative MIP gap to stop at (default 0.01 = 1 %%)")
    parser.add_argument("--threads", type=int, default=0,
                        help="HiGHS threads (default 0: HiGHS's choice)")
    parser.add_argument("--handover", choices=("arrays", "pyomo"), default="arrays",
                        help="how the model reaches HiGHS: arrays from the formulation's "
                             "numbers (default) or Pyomo's persistent interface")
    parser.add_argument("--floor-solve", action="store_true",
                        help="the floor also solves its model: peak memory with a solve")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--json", type=Path, default=None,
                        help="also append one JSON line per size to this file")
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
        if args.json is not None:  # appended, as the other benchmarks do
            args.json.parent.mkdir(parents=True, exist_ok=True)
            with args.json.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(rows[-1]) + "\n")
    print()
    print_table(rows)
    print("\novh/solve = (load_s + build_s + handover_s + readback_s) / solve_s, "
          "readback_s including result_tables; ovh/floor: the same over floor_s (numpy "
          "arrays to passModel); MB/floor = peak MB up to the hand-over / the floor's; "
          "peak/floor_solved = peak MB / the floor's with a solve (--floor-solve)")
    return 0 if all(r["status"] != "failed" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
