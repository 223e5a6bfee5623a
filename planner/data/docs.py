"""Render the table part of docs/instance-format.md from the schema.

`python -m planner.data.docs docs/instance-format.md` rewrites the part between the markers;
a test checks that the committed document matches, so docs and validation never disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from planner.data.schema import TABLES, YEAR_RANGE, Column

KINDS = {"name": "name", "text": "text", "float": "number", "int": "integer", "year": "year",
         "bool": "true/false"}


def _range(col: Column) -> str:
    if col.kind == "year":
        return f"{YEAR_RANGE[0]} to {YEAR_RANGE[1]}"
    if col.min is not None and col.max is not None:
        return f"{col.min:g} to {col.max:g}"
    if col.min is not None:
        return f">= {col.min:g}"
    return ""


def _default(col: Column) -> str:
    if col.required:
        return "required"
    if col.default is None:
        return "empty (see meaning)"
    if col.default == "":
        return '""'
    return f"{col.default:g}" if isinstance(col.default, float) else str(col.default)


def render_tables() -> str:
    parts = []
    for table in TABLES:
        parts.append(f"### `{table.file}` ({'required' if table.required else 'optional'})\n")
        parts.append(f"{table.doc} Rows are unique by {', '.join(table.key)}.\n")
        parts.append("| column | type | range | default | meaning |")
        parts.append("|---|---|---|---|---|")
        for col in table.columns:
            parts.append(f"| `{col.name}` | {KINDS[col.kind]} | {_range(col)} | {_default(col)} "
                         f"| {col.doc} |")
        parts.append("")
    return "\n".join(parts)


BEGIN = "<!-- BEGIN GENERATED TABLES (python -m planner.data.docs) -->\n"
END = "<!-- END GENERATED TABLES -->"


def update(path: Path) -> None:
    text = path.read_text()
    head, rest = text.split(BEGIN)
    path.write_text(head + BEGIN + render_tables() + "\n" + END + rest.split(END)[1])


if __name__ == "__main__":
    update(Path(sys.argv[1]))
