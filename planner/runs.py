"""Run folders, written atomically: built in a temporary sibling folder, then renamed into place.

Every folder planner writes carries a marker file (`MARKER`). An existing folder is replaced
only with `force`, only when it is a run folder (it has the marker, or holds nothing but files
planner writes), and never when it is, or contains, a path the command reads (the instance,
a baseline run, a plan) or the working directory. An interrupted write leaves nothing; the
temporary folders of a killed process are removed by the next write into the same parent
(planner.scratch).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import planner
from planner.errors import PlannerError
from planner.request import RECORD_VERSION, RunRequest
from planner.scratch import make_scratch

if TYPE_CHECKING:
    import pandas as pd

MARKER = ".planner-run"
# what run, Pareto, sweep and comparison folders of earlier versions (without the marker) hold
_RUN_FILES = (".csv", ".json", ".html", ".xlsx")
_RUN_FOLDERS = ("instance", "points")
_RUN_SIGNS = ("summary.json", "sweep.json", "compare.html")


def is_run_folder(path: Path) -> bool:
    """Whether `path` is a folder planner wrote: it has the marker, or (an older run) it has a
    summary.json, sweep.json or compare.html and nothing but files and folders planner writes."""
    if not path.is_dir() or path.is_symlink():
        return False
    if (path / MARKER).is_file():
        return True
    entries = list(path.iterdir())
    ours = all(
        (e.is_file() and e.suffix in _RUN_FILES) or
        (e.is_dir() and (e.name in _RUN_FOLDERS or e.name.startswith("point_")))
        for e in entries)
    return ours and any(e.name in _RUN_SIGNS for e in entries)


def _within(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies inside it (both resolved, symlinks followed)."""
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def _writable_parent(out: Path) -> None:
    """Refuse an --out that cannot be created: its nearest existing ancestor must be a folder
    in which a folder can be made (tried, and removed at once)."""
    parent = out.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise PlannerError(f"cannot create {out}: {parent} is not a folder")
    try:
        make_scratch(parent, ".planner-probe.").rmdir()
    except OSError as exc:
        raise PlannerError(f"cannot create {out}: {parent} is not writable "
                           f"({exc.strerror})") from None


def check_target(out: Path, force: bool, reads: Iterable[Path | None] = ()) -> None:
    """Refuse to write `out` unless it can be created, or replaced under `force`.

    `reads` are the paths the command reads: `out` may never be one of them or contain one.
    """
    out = Path(out)
    protected = [Path(p) for p in reads if p] + [Path.cwd()]
    for path in protected:
        if path.exists() and _within(path, out):
            what = "the working directory" if path == Path.cwd() else str(path)
            raise PlannerError(f"--out {out} is or contains {what}, which this command reads "
                               "or runs in: choose another --out")
    if out.exists() or out.is_symlink():
        if not force:
            raise PlannerError(f"{out} already exists: choose another --out or pass --force")
        if not is_run_folder(out):
            raise PlannerError(
                f"{out} exists and is not a run folder of planner (it has no {MARKER} "
                "marker): --force replaces only folders planner wrote; choose another --out "
                "or remove it yourself")
    _writable_parent(out)


@contextmanager
def atomic_folder(out: Path, force: bool, reads: Iterable[Path | None] = ()) -> Iterator[Path]:
    """Yield a temporary folder, marked as a run folder; when the block ends without error,
    it becomes `out` (replacing it only as `check_target` allows)."""
    out = Path(out)
    reads = list(reads)
    check_target(out, force, reads)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_scratch(out.parent, f".{out.name}.", ".tmp")
    try:
        mark(tmp)
        yield tmp
        check_target(out, force, reads)  # the folder may have appeared meanwhile
        if out.exists():
            old = make_scratch(out.parent, f".{out.name}.", ".tmp")
            old.rmdir()
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def mark(folder: Path) -> None:
    """Write the marker that makes `folder` a run folder (which --force may replace)."""
    (folder / MARKER).write_text(json.dumps({"planner": planner.__version__}) + "\n")


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


def write_record(folder: Path, command: str, request: RunRequest | None,
                 options: dict | None = None) -> None:
    """command.json: the command that made the run, its request (versioned, see
    planner.request) and its own options (e.g. a Pareto front's objectives), the command line
    and where it ran. planner rerun repeats it; planner whatif starts from it."""
    record = {"version": RECORD_VERSION, "command": command,
              "request": request.record() if request else None, "options": options or {},
              "argv": sys.argv, "cwd": os.getcwd(), "planner": planner.__version__}
    (folder / "command.json").write_text(json.dumps(record, indent=2, default=str) + "\n")


def read_json(file: Path) -> Any:
    """The JSON data in `file`; PlannerError naming it when it cannot be read."""
    try:
        return json.loads(Path(file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlannerError(f"{file}: not readable JSON ({exc})") from None


@dataclass(frozen=True)
class RunRecord:
    """A run's command.json: the command, its request and its own options."""

    command: str
    request: RunRequest
    options: dict


# options of planner 0.1's command.json (parameters by option name) that are not the request's
_LEGACY_OPTIONS = {"with_report": "report", "objectives": "objectives", "points": "points"}


def read_record(run_dir: Path) -> RunRecord:
    """RUN_DIR/command.json, of this version or of planner 0.1 (no version; parameters by
    command-line option name). PlannerError when it is missing or damaged."""
    file = Path(run_dir) / "command.json"
    data = read_json(file)
    if not isinstance(data, dict) or not isinstance(data.get("command"), str):
        raise PlannerError(f"{file}: not a command record (expected command and request)")
    if "version" not in data:
        params = data.get("params")
        if not isinstance(params, dict):
            raise PlannerError(f"{file}: not a command record (expected command and params)")
        return RunRecord(data["command"], RunRequest.from_legacy(params, str(file)),
                         {new: params[old] for old, new in _LEGACY_OPTIONS.items()
                          if old in params})
    if data["version"] != RECORD_VERSION:
        raise PlannerError(f"{file}: written by a newer planner (record version "
                           f"{data['version']!r}; this one reads {RECORD_VERSION})")
    options = data.get("options")
    if not isinstance(options, dict):
        raise PlannerError(f"{file}: not a command record (options is not a mapping)")
    return RunRecord(data["command"], RunRequest.from_record(data.get("request"), str(file)),
                     options)


def write_run(out: Path, tables: Mapping[str, pd.DataFrame], summary: dict, force: bool,
              instance_files: Mapping[str, bytes] | None = None) -> None:
    """A run folder with the tables, summary.json and the resolved instance, all or nothing."""
    with atomic_folder(out, force) as tmp:
        write_tables(tmp, tables, summary)
        write_instance(tmp, instance_files or {})
