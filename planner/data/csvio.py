"""Reading one instance table (CSV) against its schema, recording every problem with its line."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd

from planner.data.schema import MAX_MAGNITUDE, YEAR_RANGE, Column, Table
from planner.errors import Problem
from planner.suggest import one_of

TRUE = {"true", "yes", "1", "y", "t"}
FALSE = {"false", "no", "0", "n", "f"}
LINE = "_line"  # column holding each row's 1-based line in its file


def expected(col: Column) -> str:
    """What a valid cell of `col` looks like, in words."""
    kind = {
        "name": "an identifier (letters, digits, _ - .)",
        "text": "text",
        "float": "a number",
        "int": "a whole number",
        "year": "a year",
        "bool": "true or false",
    }[col.kind]
    if col.kind == "year":
        kind += f" in {YEAR_RANGE[0]}..{YEAR_RANGE[1]}"
    elif col.min is not None and col.max is not None:
        kind += f" in [{col.min:g}, {col.max:g}]"
    elif col.min is not None:
        kind += f" >= {col.min:g}"
    return kind


def parse_cell(text: str, col: Column) -> tuple[object, str | None]:
    """Return (value, error message or None) for one cell; empty cells give the column default."""
    if text == "":
        if col.required:
            return None, "missing value"
        return col.default, None
    if col.kind == "text":
        return text, None
    if col.kind == "name":
        ok = all(ch.isalnum() or ch in "_-." for ch in text)
        return (text, None) if ok else (None, f"invalid name {text!r}")
    if col.kind == "bool":
        low = text.lower()
        if low in TRUE or low in FALSE:
            return low in TRUE, None
        return None, f"invalid value {text!r}"
    try:
        number = float(text)
    except ValueError:
        return None, f"not a number: {text!r}"
    if not math.isfinite(number):
        return None, f"not a finite number: {text!r}"
    if abs(number) > MAX_MAGNITUDE:
        return None, f"value {text} is too large for the solver's numerics"
    if col.kind in ("int", "year"):
        if number != int(number):
            return None, f"not a whole number: {text!r}"
        number = int(number)
    low, high = YEAR_RANGE if col.kind == "year" else (col.min, col.max)
    if (low is not None and number < low) or (high is not None and number > high):
        return None, f"value {text} out of range"
    return number, None


def csv_rows(text: str) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]]]:
    """The rows of a CSV text as (1-based line, cells), skipping blank lines and lines starting
    with `#`, and the rows refused as (line, reason): a quoted cell that spans lines (each
    row must sit on one line, so that lines name rows)."""
    rows, refused = [], []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        reader = csv.reader([line], strict=True)
        try:
            rows.append((i, next(reader)))
        except csv.Error:
            refused.append((i, "a quoted cell is not closed on its line (a line break inside "
                               "quotes, or a stray quote)"))
    return rows, refused


def read_table(path: Path, table: Table, shown: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read `path` as `table`; `shown` is the file name used in messages.

    Lines starting with `#` and blank lines are skipped. Returns a DataFrame with one column per
    schema column (defaults filled) plus `_line`, or None when the file cannot be read at all.
    Rows with a bad cell are reported and left out; the ids of those rows are kept in
    `frame.attrs["dropped_ids"]`, so that references to them raise no second problem.
    """
    problems: list[Problem] = []

    def bad(line, column, message, expected=None):
        problems.append(Problem(shown, line, column, message, expected))

    try:
        raw = path.read_bytes()
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw:
            bad(None, None, "not UTF-8 text (UTF-16 or binary)", "a UTF-8 CSV file")
            return None, problems
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad(None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})", "a UTF-8 CSV file")
        return None, problems
    except OSError as exc:
        bad(None, None, f"cannot read the file ({exc.strerror})", "a readable CSV file")
        return None, problems
    lines, refused = csv_rows(text)
    for line, reason in refused:
        bad(line, None, reason, "each row on one line, quotes closed")
    if not lines:
        if not refused:
            bad(1, None, "the file is empty", "a header row: " + ", ".join(table.names))
        return None, problems
    header_line, header_cells = lines[0]
    header = [h.strip() for h in header_cells]
    if len(header) == 1 and any(d in header[0] for d in (";", "\t", "|")):
        sep = next(d for d in (";", "\t", "|") if d in header[0])
        bad(header_line, None, f"the header is not comma-separated (found {sep!r})",
            "comma-separated columns")
        return None, problems
    known = set(table.names)
    for pos, name in enumerate(header, start=1):
        if name not in known:
            bad(header_line, name, f"unknown column {name!r} (column {pos})",
                one_of(name, table.names, limit=len(table.names)))
    seen = set()
    for name in header:
        if name in seen:
            bad(header_line, name, f"column {name!r} appears twice", "each column once")
        seen.add(name)
    for col in table.columns:
        if col.required and col.name not in header:
            bad(header_line, col.name, f"required column {col.name!r} is missing",
                "a header with " + ", ".join(c.name for c in table.columns if c.required))
    if problems:
        return None, problems

    present = [(i, table.column(n)) for i, n in enumerate(header)]
    rows: dict[str, list] = {c.name: [] for c in table.columns}
    rows[LINE] = []
    dropped = set()  # ids of rows refused for a bad cell (other tables may still name them)
    for line, cells in lines[1:]:
        if len(cells) != len(header):
            bad(line, None, f"row has {len(cells)} fields", f"{len(header)} fields like the header")
            continue
        values = {c.name: c.default for c in table.columns}
        errors = 0
        for i, col in present:
            value, error = parse_cell(cells[i].strip(), col)
            if error:
                bad(line, col.name, error, expected(col))
                errors += 1
            values[col.name] = value
        if errors:  # said once; kept out of the checks across rows and tables
            if len(table.key) == 1 and values[table.key[0]] is not None:
                dropped.add(values[table.key[0]])
            continue
        for name, value in values.items():
            rows[name].append(value)
        rows[LINE].append(line)
    frame = pd.DataFrame({
        name: pd.Series(values, dtype=object if name != LINE and table.column(name).kind in (
            "name", "text") else None) for name, values in rows.items()})
    frame.attrs["dropped_ids"] = dropped
    problems += duplicate_keys(frame, table, shown)
    return frame, problems


def duplicate_keys(frame: pd.DataFrame, table: Table, shown: str) -> list[Problem]:
    """One problem per row whose key repeats an earlier row's."""
    key = list(table.key)
    first: dict[tuple, int] = {}
    out = []
    for values, line in zip(frame[key].itertuples(index=False, name=None), frame[LINE]):
        if values not in first:
            first[values] = line
            continue
        out.append(Problem(shown, line, key[0],
                           f"duplicate {'/'.join(key)} {'/'.join(map(str, values))!r} "
                           f"(first on line {first[values]})", "each id once"))
    return out
