"""Run folders, written atomically: built in a temporary sibling folder, then renamed into place.

An existing folder is never replaced unless `force` is given; an interrupted write leaves nothing.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from planner.errors import PlannerError


def check_target(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise PlannerError(f"{out} already exists: choose another --out or pass --force")
    if out.exists() and not out.is_dir():
        raise PlannerError(f"{out} exists and is not a folder")


def write_run(out: Path, tables: Mapping[str, pd.DataFrame], summary: dict, force: bool,
              float_format: str = "%.10g") -> None:
    """Write `<name>.csv` for every table and summary.json into `out`, all or nothing."""
    check_target(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        for name, frame in tables.items():
            frame.to_csv(tmp / f"{name}.csv", index=False, float_format=float_format)
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
