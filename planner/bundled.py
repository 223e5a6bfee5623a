"""The value-chain models and instances shipped with planner, wherever planner is installed.

The repository keeps them at its top level, in `models/` (value chains, `NAME.yaml`) and
`instances/` (one folder per instance: instance.yaml and CSV tables). A wheel carries the same
files as the data packages `planner._bundled.models` and `planner._bundled.instances`
(pyproject.toml maps them onto those folders), that is in `planner/_bundled/` next to this
module. In a checkout, or an editable install of one, they are read from the checkout itself.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_INSTALLED = _PACKAGE / "_bundled"     # an installed wheel
_CHECKOUT = _PACKAGE.parent            # a checkout: pyproject.toml, models/, instances/


def _folder(name: str) -> Path:
    """The bundled folder `name` ("models" or "instances"): the wheel's copy when installed,
    else the checkout's (returned even if missing; callers see no files in it then)."""
    installed = _INSTALLED / name
    if installed.is_dir():
        return installed
    return _CHECKOUT / name


def models_dir() -> Path:
    """The folder of the bundled value-chain models (`NAME.yaml`, e.g. ndfeb.yaml)."""
    return _folder("models")


def instances_dir() -> Path:
    """The folder holding the bundled instances, one sub-folder each (e.g. uk-baseline/)."""
    return _folder("instances")


def bundled_instances() -> list[str]:
    """The names of the bundled instances (folders holding instance.yaml), sorted."""
    folder = instances_dir()
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "instance.yaml").is_file())


def bundled_instance(name: str) -> Path | None:
    """The folder of the bundled instance called `name` (e.g. "uk-baseline"), else None.

    `name` must be a plain folder name (no path separators, not "." or ".."); anything else,
    or a name that is not bundled, gives None.
    """
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        return None
    folder = instances_dir() / name
    return folder if (folder / "instance.yaml").is_file() else None
