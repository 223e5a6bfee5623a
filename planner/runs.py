"""Run folders, written atomically: built in a temporary sibling folder, then renamed into place.

An existing folder is never replaced unless `force` is given; an interrupted write leaves nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

import planner
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


def write_instance(folder: Path, files: Mapping[str, bytes]) -> None:
    """The resolved instance a run solved, as `folder/instance/` (planner rerun solves it)."""
    if files:
        (folder / "instance").mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (folder / "instance" / name).write_bytes(data)


def write_command(folder: Path, ctx, params: dict | None = None) -> None:
    """command.json: the command (click context `ctx`) that made the run: its name and every
    parameter (as parsed, or `params`; planner rerun replays them), the command line and where
    it ran."""
    params = {k: [str(x) for x in v] if isinstance(v, tuple | list) else
              str(v) if isinstance(v, Path) else v for k, v in (params or ctx.params).items()}
    record = {"command": ctx.info_name, "params": params, "argv": sys.argv,
              "cwd": os.getcwd(), "planner": planner.__version__}
    (folder / "command.json").write_text(json.dumps(record, indent=2) + "\n")


def write_run(out: Path, tables: Mapping[str, pd.DataFrame], summary: dict, force: bool,
              instance_files: Mapping[str, bytes] | None = None) -> None:
    """A run folder with the tables, summary.json and the resolved instance, all or nothing."""
    with atomic_folder(out, force) as tmp:
        write_tables(tmp, tables, summary)
        write_instance(tmp, instance_files or {})
