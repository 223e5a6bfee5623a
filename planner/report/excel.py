"""results.xlsx: the run's summary and every results table, one sheet each (units are in the
column names, as in the CSV files)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from planner.report.rundata import is_front, load_front, load_run


def summary_rows(summary: dict, prefix: str = "") -> list[tuple[str, object]]:
    """summary.json flattened to (key path, value) rows; lists of records are left to tables."""
    rows: list[tuple[str, object]] = []
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += summary_rows(value, f"{name}.")
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                rows.append((name, ", ".join(map(str, value))))
        else:
            rows.append((name, value))
    return rows


def write_excel(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write results.xlsx into `run_dir` (or to `out`): a summary sheet, then one sheet per
    table (a Pareto folder: the front, the payoff table and each point's builds)."""
    run_dir = Path(run_dir)
    if is_front(run_dir):
        front = load_front(run_dir)
        summary = front.summary
        sheets = {"pareto": front.front, "payoff": front.payoff}
        for number, point in sorted(front.points.items()):
            sheets[f"point_{number:02d}_builds"] = point.tables["builds"]
        created = next(iter(front.points.values())).summary.get("created")
    else:
        run = load_run(run_dir)
        summary, sheets, created = run.summary, dict(sorted(run.tables.items())), \
            run.summary.get("created")
    target = Path(out) if out else run_dir / "results.xlsx"
    tmp = target.with_name(f".{target.name}.tmp")
    with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        pd.DataFrame(summary_rows(summary), columns=["key", "value"]).to_excel(
            writer, sheet_name="summary", index=False)
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False, freeze_panes=(1, 0))
        if created:
            stamp = datetime.fromisoformat(created).replace(tzinfo=None)
            writer.book.properties.created = writer.book.properties.modified = stamp
    tmp.replace(target)
    return target
