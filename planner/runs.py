"""Run folders, written atomically: built in a temporary sibling folder, then renamed into place.

An existing folder is never replaced unless `force` is given; an interrupted write leaves nothing.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from planner.errors import PlannerError


def check_target(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise PlannerError(f"{out} already exists: choose another --out or pass --force")
    if out.exists() and not out.is_dir():
        raise PlannerError(f"{out} exists and is not a folder")


@contextmanager
def atomic_folder(out: Path, force: bool) -> Iterator[Path]:
    """Yield a temporary folder; when the block ends without error, it becomes `out`."""
    check_target(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        yield tmp
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


def write_tables(folder: Path, tables: Mapping[str, pd.DataFrame], summary: dict,
                 float_format: str = "%.10g") -> None:
    """`<name>.csv` for every table and summary.json, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, float_format=float_format)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")


def write_run(out: Path, tables: Mapping[str, pd.DataFrame], summary: dict, force: bool) -> None:
    """A run folder with the tables and summary.json, all or nothing."""
    with atomic_folder(out, force) as tmp:
        write_tables(tmp, tables, summary)
