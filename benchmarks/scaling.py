"""Scaling of every phase (time, memory, model size) against regions, years and scenarios.

    python benchmarks/scaling.py [--series regions,years,scenarios] [--repeats N]
                                 [--time-limit S] [--mip-gap G] [--threads N] [--quick]
                                 [--base R:F:Y:C:S] [--regions 15,30,...] [--years ...]
                                 [--scenarios ...] [--json FILE] [--profile DIR]

Three one-dimensional series around one base size: each varies one generator parameter (regions
R, model years Y, scenarios S) and keeps the others at the base. Every point is generated once
(benchmarks/generate.py) and measured in a fresh subprocess by run.py's child (`run.py --child`),
so its peak memory is its own; with --repeats N the median of N runs is kept. A point shared by
several series (the base) is measured once.

For each series and phase, the growth exponent b of t = a * x^b is fitted by least squares on
log-log, against the varied parameter and against the number of nonzeros; a phase outside the
solver whose exponent against nonzeros exceeds 1.1 grows faster than the model itself. Values
below 0.01 s are left out of the fits (timer noise). Point rows and exponents are appended as
JSON lines tagged "bench": "scaling" to --json (default benchmarks/results.jsonl).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402
from run import run_child  # noqa: E402

KEYS = ("regions", "facilities_per_region", "years", "commodities", "scenarios")
BASE = "30:3:20:6:1"
GRID = {"regions": "15,30,60,120", "years": "10,20,40,80", "scenarios": "1,2,5,10,20,50"}
QUICK_BASE = "12:2:8:4:1"
QUICK_GRID = {"regions": "8,12,18", "years": "5,8,12", "scenarios": "1,2,4"}
NOISE_S = 0.01  # times below this are left out of the fits
SUPER_LINEAR = 1.1  # exponent against nonzeros above which a phase outgrows the model
PHASES = [  # (key, label, is a time)
    ("load_s", "load", True), ("build_s", "build", True), ("handover_s", "handover", True),
    ("solve_s", "solve", True), ("readback_s", "readback", True),
    ("modelling_s", "modelling (load+build+handover+readback)", True),
    ("peak_rss_mb", "peak MB", False), ("mb_above_load", "peak MB above load", False),
    ("nonzeros", "nonzeros", False),
]
MODELLING = {"load_s", "build_s", "handover_s", "readback_s", "modelling_s"}
POINT_COLUMNS = [  # (key, header, format)
    ("regions", "R", "{}"), ("years", "Y", "{}"), ("scenarios", "S", "{}"),
    ("variables", "vars", "{:,}"), ("constraints", "rows", "{:,}"),
    ("nonzeros", "nonzeros", "{:,}"), ("load_s", "load s", "{:.2f}"),
    ("build_s", "build s", "{:.2f}"), ("handover_s", "handover s", "{:.3f}"),
    ("solve_s", "solve s", "{:.2f}"), ("readback_s", "readback s", "{:.2f}"),
    ("modelling_s", "modelling s", "{:.2f}"), ("rss_mb_after_build", "MB after build", "{:,.0f}"),
    ("peak_rss_mb", "peak MB", "{:,.0f}"), ("status", "status", "{}"),
    ("mip_gap", "gap", "{:.2%}"),
]


def parse_size(text: str) -> dict[str, int]:
    parts = text.split(":")
    if len(parts) != 5 or not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"size {text!r} is not R:F:Y:C:S")
    return dict(zip(KEYS, map(int, parts)))


def label(params: dict[str, int]) -> str:
    return "x".join(str(params[k]) for k in KEYS)


def measure_point(params: dict[str, int], args) -> dict:
    """Generate one size and measure it `args.repeats` times in fresh subprocesses (run.py's
    child); numbers are the medians over the repeats."""
    folder = args.out_dir / label(params)
    counts = generate(folder, seed=args.seed, **params)
    command = [sys.executable, str(HERE / "run.py"), "--child", str(folder),
               "--mip-gap", repr(args.mip_gap), "--threads", str(args.threads)]
    if args.time_limit is not None:
        command += ["--time-limit", repr(args.time_limit)]
    runs, walls = [], []
    for n in range(args.repeats):
        extra = []
        if args.profile is not None:
            extra = ["--profile", str(args.profile / f"{label(params)}-{n}.prof")]
        t0 = time.perf_counter()
        result, error = run_child(command + extra)
        walls.append(time.perf_counter() - t0)
        if result is None:
            print(f"[{label(params)}] failed ({error})", file=sys.stderr)
            return {**params, "status": "failed", "error": error}
        result["mb_above_load"] = result["peak_rss_mb"] - result["rss_mb_after_load"]
        runs.append(result)
    row = {**params, **{k: counts[k] for k in ("domestic", "links", "facilities")},
           **runs[0], "wall_s": statistics.median(walls), "repeats": args.repeats}
    for key, value in runs[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            values = [r[key] for r in runs if r.get(key) is not None]
            row[key] = statistics.median(values) if values else None
    print(f"[{label(params)}] {row['status']}: {row['nonzeros']:,} nonzeros, modelling "
          f"{row['modelling_s']:.2f} s, solve {row['solve_s']:.2f} s, peak "
          f"{row['peak_rss_mb']:,.0f} MB (median of {args.repeats}, wall "
          f"{row['wall_s']:.1f} s)", flush=True)
    return row


def fit(xs: list[float], ys: list[float]) -> float | None:
    """b of y = a * x^b by least squares on log-log; None with fewer than two distinct x."""
    if len(set(xs)) < 2:
        return None
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def exponents(series: str, rows: list[dict]) -> list[dict]:
    """One fit per phase of a series: against the varied parameter and against nonzeros."""
    good = [r for r in rows if r.get("status") != "failed"]
    out = []
    for key, name, is_time in PHASES:
        used = [r for r in good if r.get(key) is not None and (not is_time or r[key] >= NOISE_S)]
        skipped = len(good) - len(used)
        ys = [r[key] for r in used]
        by_param = fit([r[series] for r in used], ys)
        by_nz = fit([r["nonzeros"] for r in used], ys)
        top = sorted(used, key=lambda r: r["nonzeros"])[-2:]  # the local slope at the top end
        top_nz = fit([r["nonzeros"] for r in top], [r[key] for r in top])
        out.append({"series": series, "phase": key, "label": name, "points": len(used),
                    "skipped_below_noise": skipped, "exponent": by_param,
                    "exponent_vs_nonzeros": by_nz, "exponent_vs_nonzeros_top2": top_nz,
                    "super_linear": bool(key in MODELLING and by_nz is not None
                                         and by_nz > SUPER_LINEAR)})
    return out


def cell(value, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def print_points(series: str, rows: list[dict]) -> None:
    print(f"\n### Series: {series}\n")
    print("| " + " | ".join(h for _, h, _ in POINT_COLUMNS) + " |")
    print("|" + "---|" * len(POINT_COLUMNS))
    for row in rows:
        print("| " + " | ".join(cell(row.get(k), f) for k, _, f in POINT_COLUMNS) + " |")


def print_exponents(fits: list[dict]) -> None:
    print("\n### Growth exponents b in t = a * x^b (least squares on log-log)\n")
    print("| series | phase | b vs parameter | b vs nonzeros | b vs nonzeros, two largest "
          "| points |")
    print("|---|---|---|---|---|---|")
    for f in fits:
        note = f" ({f['skipped_below_noise']} below {NOISE_S} s left out)" \
            if f["skipped_below_noise"] else ""
        flag = " **super-linear**" if f["super_linear"] else ""
        print(f"| {f['series']} | {f['label']} | {cell(f['exponent'], '{:.2f}')} | "
              f"{cell(f['exponent_vs_nonzeros'], '{:.2f}')}{flag} | "
              f"{cell(f['exponent_vs_nonzeros_top2'], '{:.2f}')} | {f['points']}{note} |")
    print(f"\nTimes under {NOISE_S} s are timer noise and left out of the fits. A phase outside "
          f"the solver with b vs nonzeros > {SUPER_LINEAR} grows faster than the model. "
          "Peak MB includes the interpreter and imports (about 160 MB); 'peak MB above load' "
          "is the peak less the resident memory after loading the instance. 'Two largest': "
          "the slope between the two largest points alone, where fixed costs weigh least.")


def values(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", default="regions,years,scenarios",
                        help="comma-separated series among regions, years, scenarios")
    parser.add_argument("--base", type=parse_size, default=None,
                        help=f"base size R:F:Y:C:S (default {BASE}; {QUICK_BASE} with --quick)")
    for name in GRID:
        parser.add_argument(f"--{name}", default=None,
                            help=f"values of the {name} series (default {GRID[name]}; "
                                 f"{QUICK_GRID[name]} with --quick)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per point, median kept")
    parser.add_argument("--time-limit", type=float, default=300.0,
                        help="HiGHS time limit per run, seconds (default 300)")
    parser.add_argument("--mip-gap", type=float, default=0.01,
                        help="relative MIP gap (default 0.01 = 1 %%)")
    parser.add_argument("--threads", type=int, default=1,
                        help="HiGHS threads (default 1; 0 = HiGHS's choice)")
    parser.add_argument("--quick", action="store_true",
                        help="a small grid (under a minute) to check that the script works")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--json", type=Path, default=HERE / "results.jsonl",
                        help="append JSON lines here (default benchmarks/results.jsonl)")
    parser.add_argument("--out-dir", type=Path, default=HERE / "generated" / "scaling",
                        help="where instances are generated (default benchmarks/generated/"
                             "scaling)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="cProfile each run (load to tables) to DIR/<R>x<F>x<Y>x<C>x<S>-N"
                             ".prof")
    args = parser.parse_args(argv)
    series = [s.strip() for s in args.series.split(",") if s.strip()]
    unknown = [s for s in series if s not in GRID]
    if unknown or args.repeats < 1:
        parser.error(f"unknown series {unknown}" if unknown else "--repeats must be >= 1")
    base = args.base or parse_size(QUICK_BASE if args.quick else BASE)
    grid = QUICK_GRID if args.quick else GRID
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    measured: dict[str, dict] = {}  # by label: a point shared by series is measured once
    tables: dict[str, list[dict]] = {}
    for name in series:
        tables[name] = []
        for value in values(getattr(args, name) or grid[name]):
            params = {**base, name: value}
            if label(params) not in measured:
                measured[label(params)] = measure_point(params, args)
            tables[name].append(measured[label(params)])
    fits = [f for name in series for f in exponents(name, tables[name])]
    for name in series:
        print_points(name, tables[name])
    print_exponents(fits)
    common = {"bench": "scaling", "time": stamp, "base": label(base), "mip_gap_target":
              args.mip_gap, "time_limit": args.time_limit, "threads": args.threads,
              "seed": args.seed, "quick": args.quick}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    with args.json.open("a", encoding="utf-8") as handle:
        for name in series:
            for row in tables[name]:
                handle.write(json.dumps({**common, "kind": "point", "series": name, **row})
                             + "\n")
        for f in fits:
            handle.write(json.dumps({**common, "kind": "exponent", **f}) + "\n")
    flagged = [f for f in fits if f["super_linear"]]
    for f in flagged:
        print(f"super-linear: {f['label']} on the {f['series']} series "
              f"(b vs nonzeros {f['exponent_vs_nonzeros']:.2f})")
    return 0 if all(r.get("status") != "failed" for r in measured.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
