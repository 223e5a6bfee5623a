"""Reading, validating and holding input data: the only package that reads input files.

`Instance` and `load_instance` are looked up on first use (PEP 562), not imported with the
package: planner.chain reads YAML through planner.data.yamlio, and planner.data.instance and
planner.data.load need planner.chain, so importing them here would make `import planner.chain`
circular when it comes first.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.data.instance import Instance
    from planner.data.load import load_instance

__all__ = ["Instance", "load_instance"]

_HOME = {"Instance": "planner.data.instance", "load_instance": "planner.data.load"}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(import_module(_HOME[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
