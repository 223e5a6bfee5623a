"""Changes applied to an instance without editing it (what a change says: planner.data.changes).

`=` sets the value, `*=` multiplies and `+=` adds to a number. Values are read exactly like file
data (the column's type and range, then every cross-table check), and problems name the change
that caused them. Changes apply in order: variants, then overlays, then `--set`, each in the
order given. The result is a resolved copy of the instance (tables, instance.yaml and the
value-chain model), which a run folder keeps so the run can be repeated.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from planner.data import schema
from planner.data.changes import POLICY_PATH, Change, split_years
from planner.data.csvio import csv_rows, expected, parse_cell
from planner.data.network import split_link_id
from planner.data.settings import KEYS
from planner.data.yamlio import parse_yaml, read_yaml
from planner.errors import InputError, Problem
from planner.scratch import scratch
from planner.suggest import one_of

TABLES = {t.file.removesuffix(".csv"): t for t in schema.TABLES}


# --- applying changes ------------------------------------------------------------------------

@dataclass
class _Csv:
    """A CSV table as lines; rows parsed, comments and blank lines kept (so line numbers
    stay those of the original file)."""

    lines: list[str]
    header_at: int
    header: list[str]
    rows: dict[int, list[str]]  # line index -> cells

    @classmethod
    def read(cls, file: Path) -> _Csv | None:
        try:
            text = file.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None
        rows, _ = csv_rows(text)  # rows refused are kept as they are; the loader says why
        if not rows or "\x00" in text:
            return None
        (header_line, head), *body = rows
        return cls(text.splitlines(), header_line - 1, [h.strip() for h in head],
                   {line - 1: cells for line, cells in body})

    @classmethod
    def new(cls, header: list[str]) -> _Csv:
        return cls([_csv_line(header)], 0, list(header), {})

    def append(self, values: dict[str, str]) -> int:
        """Add a row of {column: text} (missing columns empty); returns its line (1-based)."""
        for name in values:
            if name not in self.header:
                self.header.append(name)
                for cells in self.rows.values():
                    cells.append("")
        self.lines.append("")
        self.rows[len(self.lines) - 1] = [values.get(name, "") for name in self.header]
        return len(self.lines)

    def text(self) -> str:
        out = list(self.lines)
        out[self.header_at] = _csv_line(self.header)
        for i, cells in self.rows.items():
            out[i] = _csv_line(cells)
        return "\n".join(out) + "\n"


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def _selector(change: Change, table: schema.Table, text: str) -> dict[str, str]:
    """{column: value} that rows must match ({} for `*`: every row)."""
    if text.strip() == "*":
        return {}
    out = {}
    for part in text.split(","):
        column, eq, value = part.partition("=")
        if not eq or column.strip() not in table.names:
            raise InputError([change.problem(
                f"bad row selector [{text}]",
                f"[COLUMN=VALUE,...] with columns of {table.file}: " + ", ".join(table.names))])
        out[column.strip()] = value.strip()
    return out


def _cell_target(change: Change) -> tuple[schema.Table, dict[str, str], str] | None:
    """(table, row selector, column) of a table path, or None for a setting."""
    path = change.path
    name = path.split("[", 1)[0].split(".", 1)[0]
    if name not in TABLES:
        return None
    table = TABLES[name]
    rest = path[len(name):]
    if rest.startswith("["):
        close = rest.find("]")
        if close < 0 or not rest[close + 1:].startswith("."):
            raise InputError([change.problem("bad path", f"{name}[COLUMN=VALUE,...].COLUMN")])
        selector = _selector(change, table, rest[1:close])
        column = rest[close + 2:]
    else:
        row_id, dot, column = rest[1:].rpartition(".")
        if not rest.startswith(".") or not dot or not row_id:
            raise InputError([change.problem("bad path", f"{name}.ID.COLUMN or "
                                                         f"{name}[COLUMN=VALUE,...].COLUMN")])
        if table.key == ("origin", "destination", "commodity"):
            selector = dict(zip(table.key, split_link_id(row_id)))
        elif len(table.key) == 1:
            selector = {table.key[0]: row_id}
        else:
            raise InputError([change.problem(
                f"rows of {table.file} have no single id",
                f"{name}[" + ",".join(f"{k}=..." for k in table.key) + "].COLUMN")])
    if column not in table.names:
        raise InputError([change.problem(f"unknown column {column!r} of {table.file}",
                                         one_of(column, table.names, limit=len(table.names)))])
    return table, selector, column


def _new_cell(change: Change, col: schema.Column, old: str) -> str:
    """The cell's new text, read as file data would be; raises InputError if it is not valid."""
    if change.op == "=":
        new = change.value
    else:
        if col.kind not in ("float", "int"):
            raise InputError([change.problem(f"{col.name} is not a number column",
                                             "= for this column")])
        try:
            by = float(change.value)
        except ValueError:
            raise InputError([change.problem(f"not a number: {change.value!r}",
                                             "a number")]) from None
        current, error = parse_cell(old.strip(), col)
        if error or current is None:
            verb = "multiply" if change.op == "*=" else "add to"
            raise InputError([change.problem(f"the cell holds {old.strip()!r}, nothing to {verb}",
                                             "a number in it")])
        value = current * by if change.op == "*=" else current + by
        new = f"{value:.15g}"
    _, error = parse_cell(new, col)
    if error:
        raise InputError([change.problem(error, expected(col))])
    return new


def _matching_rows(change: Change, doc: _Csv, table: schema.Table,
                   selector: dict[str, str]) -> list[int]:
    """Line indexes of the rows of `doc` that `selector` matches (at least one, else
    InputError naming the ids there are)."""
    pos = {name: doc.header.index(name) for name in doc.header}
    if any(name not in pos for name in selector):
        hits = []
    else:
        hits = [i for i, cells in doc.rows.items() if len(cells) == len(doc.header) and all(
            cells[pos[k]].strip() == v for k, v in selector.items())]
    if not hits:
        column, wanted = next(iter(selector.items())) if selector else (table.key[0], "")
        at = pos.get(column)
        known = {cells[at].strip() for cells in doc.rows.values()
                 if at is not None and len(cells) == len(doc.header)}
        what = " and ".join(f"{k} {v!r}" for k, v in selector.items())
        raise InputError([change.problem(f"no row of {table.file} has {what}",
                                         f"{column} {one_of(wanted, known, limit=12)}")])
    return hits


def _apply_cell(change: Change, doc: _Csv, table: schema.Table, selector: dict[str, str],
                column: str) -> list[int]:
    """Change the matching rows of `doc`; returns their line numbers (1-based)."""
    for name in selector:
        if name not in doc.header:
            doc.header.append(name)
            for cells in doc.rows.values():
                cells.append("")
    if column not in doc.header:
        doc.header.append(column)
        for cells in doc.rows.values():
            cells.append("")
    pos = {name: doc.header.index(name) for name in doc.header}
    hits = _matching_rows(change, doc, table, selector)
    col = table.column(column)
    for i in hits:
        doc.rows[i][pos[column]] = _new_cell(change, col, doc.rows[i][pos[column]])
    return [i + 1 for i in hits]


# what a change limited to some years may scale: the attributes scenario effects act on
EFFECT_KINDS = {"offers.csv": "offer", "links.csv": "link", "facilities.csv": "facility",
                "export_caps.csv": "cap"}
EFFECTS_HEADER = ["scenario", "target", "attribute", "from_year", "to_year", "multiply"]


def _effect_rows(change: Change, doc: _Csv, table: schema.Table, selector: dict[str, str],
                 column: str, value: str, years: tuple[int, int | None]) -> list[dict]:
    """Rows of scenario_effects.csv (scenario `*`, every scenario) that apply `change` in
    `years` only: the factor on each matching item's attribute that takes its table value
    where the change would (`*=` v: v; `=` v: v / old; `+=` v: (old + v) / old)."""
    from planner.data.effects import ATTRIBUTES

    kind = EFFECT_KINDS.get(table.file)
    if kind is None or column not in ATTRIBUTES[kind]:
        allowed = "; ".join(f"{file.removesuffix('.csv')}: {', '.join(ATTRIBUTES[k])}"
                            for file, k in EFFECT_KINDS.items())
        raise InputError([change.problem(
            f"{table.file.removesuffix('.csv')}.{column} cannot be limited to some years",
            f"a change without @years, or one of the attributes scenarios change ({allowed})")])
    try:
        by = float(value)
    except ValueError:
        raise InputError([change.problem(f"not a number: {value!r}", "a number")]) from None
    pos = {name: doc.header.index(name) for name in doc.header}
    col = table.column(column)
    rows, seen = [], set()
    for i in _matching_rows(change, doc, table, selector):
        cells = doc.rows[i]
        item = (f"{cells[pos['origin']].strip()}>{cells[pos['destination']].strip()}:"
                f"{cells[pos['commodity']].strip()}" if kind == "link"
                else cells[pos[table.key[0]]].strip())
        if item in seen:  # an export cap has one row per member
            continue
        seen.add(item)
        old, _ = parse_cell(cells[pos[column]].strip(), col) if column in pos else (None, None)
        if old is None and column == "availability":
            old = 1.0  # the column's default
        if change.op == "*=":
            factor = by
        elif old:
            factor = (by if change.op == "=" else old + by) / old
        else:
            raise InputError([change.problem(
                f"{item}'s {column} is {'empty' if old is None else 0} in {table.file}: no "
                "factor in some years can make it " + value,
                "*= (a factor), or a number set in the table without @years")])
        if factor < 0:
            raise InputError([change.problem(f"{item}'s {column} would fall below 0",
                                             "a value of 0 or more")])
        rows.append({"scenario": "*", "target": item, "attribute": column,
                     "from_year": str(years[0]),
                     "to_year": "" if years[1] is None else str(years[1]),
                     "multiply": f"{factor:.15g}"})
    return rows


def _policy_row(change: Change, settings, years: tuple[int, int | None] | None,
                value: str) -> dict:
    """The policies.csv row of a --policy change."""
    name, _, region = change.path.removeprefix(POLICY_PATH).partition(".")
    if years is not None and years[1] != years[0]:
        raise InputError([change.problem("a policy holds from one year on",
                                         "@YEAR (it holds until the horizon's end)")])
    if years is None:
        start = settings.get("years", {}).get("start") if isinstance(settings, dict) else None
        if not isinstance(start, int):
            raise InputError([change.problem("no @YEAR, and instance.yaml gives no first year",
                                             "NAME=VALUE@YEAR")])
        years = (start, start)
    return {"policy": name, "region": region, "from_year": str(years[0]), "value": value}


SETTING_KEYS = sorted(KEYS - {"variants"})  # variants hold changes; never changed


def _apply_setting(change: Change, settings: dict) -> None:
    keys = change.path.split(".")
    if keys[0] not in SETTING_KEYS:
        raise InputError([change.problem(
            f"unknown table or setting {keys[0]!r}",
            "a table or a setting: " + one_of(keys[0], [*TABLES, *SETTING_KEYS], limit=40))])
    node = settings
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise InputError([change.problem(f"{key} is not a mapping", "a path to a setting")])
    value = None
    if change.value:
        value, _, problems = parse_yaml(change.value, change.source)
        if problems:
            raise InputError([change.problem(f"not a value: {problems[0].message}",
                                             "a number, text, or a YAML list or mapping")])
    if change.op != "=":
        old = node.get(keys[-1])
        if not isinstance(old, int | float) or not isinstance(value, int | float):
            raise InputError([change.problem(f"{change.op} needs numbers, found {old!r}",
                                             "a numeric setting and a number")])
        value = old * value if change.op == "*=" else old + value
    node[keys[-1]] = value


def _instances_like(folder: Path) -> str:
    """Instance folders beside `folder` and the bundled instances, the likeliest first."""
    from planner.bundled import bundled_instances

    parent = folder.parent if folder.parent.is_dir() else Path(".")
    beside = [str(parent / d.name) if str(folder.parent) not in ("", ".") else d.name
              for d in parent.iterdir() if (d / "instance.yaml").is_file()]
    return one_of(str(folder), beside + bundled_instances())


@dataclass
class Resolution:
    """Where a resolved copy came from: the original folder and model file, the copy, which
    cell or setting each change set ({(file name, line, column): change}; settings with line
    None), and whether instance.yaml was rewritten (its lines then differ)."""

    folder: Path
    dest: Path
    model: Path | None
    touched: dict
    settings_rewritten: bool


def resolve_instance(folder: Path, changes: Iterable[Change], dest: Path) -> Resolution:
    """Write instance `folder` with `changes` applied into the new folder `dest`: the CSV
    tables (their line numbers kept), instance.yaml and the value-chain model next to it.
    Raises InputError naming every bad change at once."""
    from planner.data.load import resolve_model

    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, None, "not a folder" if folder.exists()
                                  else "no such folder", "an instance folder with "
                                  "instance.yaml and CSV tables, or a bundled instance name: "
                                  + _instances_like(folder))])
    problems: list[Problem] = []
    docs: dict[str, _Csv] = {}
    touched: dict[tuple, Change] = {}
    settings_file = folder / "instance.yaml"
    settings = read_yaml(settings_file, str(settings_file))[0] if settings_file.is_file() \
        else None  # when unreadable, copied as it is and its problems said by the loader
    settings_changed = False
    def doc_of(table: schema.Table, create: bool = False) -> _Csv:
        if table.file not in docs:
            file = folder / table.file
            doc = _Csv.read(file) if file.is_file() else None
            if doc is None and create and not file.exists():
                doc = _Csv.new([c.name for c in table.columns])
            if doc is None:
                raise InputError([change.problem(f"{table.file} is missing, empty or unreadable",
                                                 "the table in the instance")])
            docs[table.file] = doc
        return docs[table.file]

    def add_rows(table: schema.Table, rows: list[dict]) -> None:
        doc = doc_of(table, create=True)
        for row in rows:
            line = doc.append(row)
            for column in row:
                touched[(table.file, line, column)] = change

    for change in changes:
        try:
            value, years = split_years(change)
            if change.path.startswith(POLICY_PATH):
                add_rows(TABLES["policies"], [_policy_row(change, settings, years, value)])
                continue
            target = _cell_target(change)
            if target is not None and years is not None:
                table, selector, column = target
                add_rows(TABLES["scenario_effects"], _effect_rows(
                    change, doc_of(table), table, selector, column, value, years))
                continue
            if years is not None:
                raise InputError([change.problem(
                    "a setting cannot be limited to some years",
                    "@years on a table cell of offers, links, facilities or export_caps")])
            if target is None:
                if not isinstance(settings, dict):
                    raise InputError([change.problem("instance.yaml is missing or unreadable")])
                _apply_setting(change, settings)
                settings_changed = True
                touched[("instance.yaml", None, change.path.split(".")[0])] = change
                continue
            table, selector, column = target
            for line in _apply_cell(change, doc_of(table), table, selector, column):
                touched[(table.file, line, column)] = change
        except InputError as error:
            problems += error.problems
    if problems:
        raise InputError(problems)
    dest.mkdir(parents=True)
    for file in sorted(folder.iterdir()):
        if file.suffix == ".csv" and file.name not in docs and file.is_file():
            shutil.copyfile(file, dest / file.name)
    for name, doc in docs.items():
        (dest / name).write_text(doc.text(), encoding="utf-8")
    model = None
    if isinstance(settings, dict):
        model, _ = resolve_model(str(settings.get("model", "")), folder)
        if model is not None:
            # a bare name (`ndfeb`) finds `ndfeb.yaml` next to instance.yaml: no rewrite needed
            name = str(settings["model"])
            if "/" in name or "\\" in name:
                name = model.name
                settings_changed = True
            settings["model"] = name
            shutil.copyfile(model, dest / (name if name.endswith((".yaml", ".yml")) else
                                           f"{name}.yaml"))
    if settings_changed:
        (dest / "instance.yaml").write_text(
            yaml.safe_dump(settings, sort_keys=False, allow_unicode=True, width=100), "utf-8")
    elif settings_file.is_file():
        shutil.copyfile(settings_file, dest / "instance.yaml")
    return Resolution(folder, dest, model, touched, settings_changed)


def name_sources(problems: list[Problem], res: Resolution) -> list[Problem]:
    """Problems found in the resolved copy, told of the original files (and of the change that
    set the value a problem is about)."""
    out = []
    for p in problems:
        file, line, message = Path(p.file), p.line, p.message
        if file.parent == res.dest:
            change = res.touched.get((file.name, p.line, p.column)) or res.touched.get(
                (file.name, None, (p.column or "").split(".")[0]))
            row = [c for (f, n, _), c in res.touched.items() if f == file.name and n == p.line
                   and n is not None]
            if change is not None:
                message += f" (set by {change.source}: {change})"
            elif row:
                message += f" (in a row changed by {row[0].source}: {row[0]})"
            if file.name == "instance.yaml" and res.settings_rewritten:
                line = None
            if res.model is not None and file.suffix in (".yaml", ".yml") and \
                    file.name != "instance.yaml":
                file = res.model
            elif (res.folder / file.name).exists():
                file = res.folder / file.name
        message = message.replace(str(res.dest), str(res.folder))
        out.append(Problem(str(file).replace(str(res.dest), str(res.folder)), line, p.column,
                           message, p.expected, p.severity))
    return out


def read_changed_instance(folder: Path, changes: Iterable[Change], dest: Path):
    """(instance or None, problems) of `folder` with `changes`, resolved into `dest`. The
    instance's path is the original folder and its warnings name the original files."""
    from planner.data.load import read_instance

    res = resolve_instance(folder, list(changes), dest)
    instance, problems = read_instance(dest)
    problems = name_sources(problems, res)
    if instance is not None:
        instance = replace(instance, path=folder, warnings=tuple(
            p for p in problems if p.severity == "warning"))
    return instance, problems


def read_resolved(folder: str | Path, changes: Iterable[Change] = ()):
    """(instance or None, every problem, resolved files {name: bytes}) of `folder` with
    `changes` applied, resolved in a scratch folder that is gone when this returns."""
    with scratch("planner-instance-") as tmp:
        dest = tmp / "instance"
        instance, problems = read_changed_instance(Path(folder), changes, dest)
        files = {f.name: f.read_bytes() for f in sorted(dest.iterdir())} if instance else {}
    return instance, problems, files


def load_resolved(folder: str | Path, changes: Iterable[Change] = ()):
    """(instance, resolved files {name: bytes}) of `folder` with `changes` applied; raises
    InputError listing every problem."""
    instance, problems, files = read_resolved(folder, changes)
    if instance is None:
        raise InputError(problems)
    return instance, files
