"""What a change to an instance says, before it is applied: `--set PATH=VALUE` (`*=`
multiplies, `+=` adds, `@YEARS` limits it to some years), `--policy`, overlay files and variants.
planner.data.overrides applies them.

A path addresses a table cell or a setting:

- `TABLE.ID.COLUMN`: the row of TABLE (file name without .csv) whose id is ID: facility, offer,
  region or scenario id; a link's id is `origin>destination:commodity`
  (`facilities.tyseley_hpms.max_modules`);
- `TABLE[COL=VALUE,...].COLUMN`: every row whose cells match (`demand[region=GB_BHM].demand_t`),
  `TABLE[*].COLUMN` every row;
- `KEY` or `KEY.SUBKEY`: a setting of instance.yaml (`discount_rate`, `years.end`,
  `limits.cvar_shortfall`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from planner.data import schema
from planner.data.yamlio import read_yaml
from planner.errors import InputError, Problem

SUFFIX_OPS = {"*": "*=", "+": "+="}


@dataclass(frozen=True)
class Change:
    """One change: `path`, operator (`=`, `*=`, `+=`), the value as text, and where it came
    from (`--set`, `overlay.yaml:4`, `variant high_demand`)."""

    path: str
    op: str
    value: str
    source: str

    def __str__(self) -> str:
        return f"{self.path}{self.op}{self.value}"

    def problem(self, message: str, expected: str | None = None) -> Problem:
        file, _, line = self.source.rpartition(":")
        if not line.isdigit():
            file, line = self.source, ""
        return Problem(file, int(line) if line else None, None, f"{self}: {message}", expected)


def parse_change(text: str, source: str = "--set") -> Change:
    """`PATH=VALUE`, `PATH*=VALUE` or `PATH+=VALUE` (an `=` inside [...] belongs to a row
    selector)."""
    depth = 0
    for i, ch in enumerate(text):
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if ch == "=" and depth == 0:
            path, op = text[:i], "="
            if path[-1:] in SUFFIX_OPS:
                path, op = path[:-1], SUFFIX_OPS[path[-1]]
            if path.strip():
                return Change(path.strip(), op, text[i + 1:].strip(), source)
            break
    raise InputError([Problem(source, None, None, f"{text!r}: not a change",
                              "PATH=VALUE, PATH*=VALUE or PATH+=VALUE")])


YEARS = re.compile(r"^(\d{4})(-(\d{4})?)?$")


def split_years(change: Change) -> tuple[str, tuple[int, int | None] | None]:
    """(value, years) of a change whose value may end in `@YEAR`, `@FROM-TO` or `@FROM-`
    (years None without one): `@2030` is 2030 alone, `@2027-` 2027 to the horizon's end."""
    value, at, tail = change.value.rpartition("@")
    match = YEARS.match(tail.strip()) if at else None
    if not match:
        return change.value, None
    first = int(match[1])
    last = None if match[2] == "-" else int(match[3] or first)
    if last is not None and last < first:
        raise InputError([change.problem(f"years {tail.strip()} run backwards",
                                         "@YEAR, @FROM-TO with FROM <= TO, or @FROM-")])
    return value.strip(), (first, last)


def parse_policy(text: str) -> Change:
    """`--policy NAME[.REGION]=VALUE[@YEAR]` as a change: a row of policies.csv from YEAR
    (default: the first model year), region empty unless given."""
    name, eq, value = text.partition("=")
    if not eq or not name.strip() or not value.strip():
        raise InputError([Problem("--policy", None, None, f"{text!r}: not a policy",
                                  "NAME[.REGION]=VALUE[@YEAR], e.g. min_recycled_share=0.2@2035 "
                                  "(" + ", ".join(schema.POLICY_NAMES) + ")")])
    return Change(f"{POLICY_PATH}{name.strip()}", "=", value.strip(), "--policy")


POLICY_PATH = "policy."  # a change that adds a policy, as --policy does


def _as_text(value) -> str:
    """A YAML value as the text a CSV cell or --set would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return yaml.safe_dump(value, default_flow_style=True).strip()


def _changes_of(mapping, source: str, marks: dict, prefix: tuple) -> list[Change]:
    """Changes from a YAML mapping {path[*|+]: value}, in file order."""
    out = []
    for key, value in mapping.items():
        path, op = str(key), "="
        if path[-1:] in SUFFIX_OPS:
            path, op = path[:-1], SUFFIX_OPS[path[-1]]
        line = marks.get(prefix + (key,))
        out.append(Change(path.strip(), op, _as_text(value),
                          f"{source}:{line}" if line else source))
    return out


def read_overlay(file: Path) -> list[Change]:
    """An overlay file: a YAML mapping of path (ending in `*` to multiply, `+` to add) to
    value, applied in file order."""
    data, marks, problems = read_yaml(file, str(file))
    if not problems and not isinstance(data, dict):
        problems = [Problem(str(file), 1, None, "not a mapping",
                            "PATH: VALUE lines, e.g. facilities.tyseley_hpms.max_modules: 6")]
    if problems:
        raise InputError(problems)
    return _changes_of(data, str(file), marks, ())


def variant_changes(folder: Path, name: str) -> list[Change]:
    """The changes of variant `name` of instance.yaml's `variants:` mapping."""
    file = folder / "instance.yaml"
    data, marks, problems = read_yaml(file, str(file))
    if problems:
        raise InputError(problems)
    variants = data.get("variants") if isinstance(data, dict) else None
    variants = variants if isinstance(variants, dict) else {}
    if name not in variants:
        raise InputError([Problem(str(file), marks.get(("variants",)), "variants",
                                  f"no variant {name!r}",
                                  "one of " + (", ".join(map(str, variants)) or
                                               "the variants: mapping (none is defined)"))])
    body = variants[name]
    if not isinstance(body, dict):
        raise InputError([Problem(str(file), marks.get(("variants", name)), f"variants.{name}",
                                  "not a mapping", "PATH: VALUE entries")])
    return _changes_of(body, str(file), marks, ("variants", name))
