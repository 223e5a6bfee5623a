"""Scratch folders that a killed process cannot leave behind for long.

Each scratch folder's name carries the id of the process that made it; any later scratch
folder made in the same place first removes those whose process is gone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale(parent: Path, prefix: str) -> None:
    """Remove the folders `<prefix><pid>.*` in `parent` whose process has ended."""
    for path in Path(parent).glob(f"{prefix}*"):
        pid = path.name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)) and \
                path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


def make_scratch(parent: Path | None = None, prefix: str = "planner-", suffix: str = "") -> Path:
    """A new empty folder `<prefix><pid>.<random><suffix>` in `parent` (default: the system's
    temporary folder), after removing stale ones of the same prefix."""
    parent = Path(parent or tempfile.gettempdir())
    remove_stale(parent, prefix)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}.", suffix=suffix, dir=parent))


@contextmanager
def scratch(prefix: str = "planner-") -> Iterator[Path]:
    """A scratch folder in the system's temporary folder, removed when the block ends."""
    path = make_scratch(prefix=prefix)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
