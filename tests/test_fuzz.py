"""Loader fuzzing: the bundled toy instance (and its model) mangled one way per case, then
`planner validate` (and, for a few that still validate, `planner solve`) run on it.

Every case must end as a user error or a success, never as a crash:
- exit code 0 or 3 for validate (always 3 for the classes marked `invalid`: non-finite numbers,
  python tags, a model that is not a model, alias bombs); 0, 3, 4, 5, 6 or 7 for solve;
- no "error: unexpected ..." crash message, no traceback, no exception escaping the CLI;
- on exit 3, every error line is `path[:line[:column]]: message` with `path` a file directly in
  the case folder (not a temporary resolved copy, not a file elsewhere);
- the contents of /etc/passwd never appear in the output.

Cases are seeded (case i uses random.Random(f"{SEED}-{i}")) and go round-robin over the
mutation classes (and each class's cases round-robin over its variants), so the run is the same
every time. YAML that expands exponentially (alias
bombs) runs in a subprocess with a time and memory cap, so a hang fails instead of blocking;
every other case runs in-process under a SIGALRM time limit. Each test fails listing every
failing mutation class with one reproduction; with `pytest -s` each prints a one-line count.
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEED = 20250
N_CASES = 300
N_SOLVES = 5
CASE_TIMEOUT_S = 10          # in-process cases (signal.alarm)
ISOLATED_TIMEOUT_S = 10      # subprocess cases (alias bombs, deep nesting)
ISOLATED_MEMORY = 2 << 30    # bytes of address space for a subprocess case
IN_PROCESS_MEMORY = 3 << 30  # bytes of address space an in-process case may add
PASSWD = "root:"             # the first field of /etc/passwd's first line

MODEL = "toy.yaml"           # the model copied next to instance.yaml (`model: toy` finds it)


# --- the case folder -------------------------------------------------------------------------

def make_case(folder: Path) -> Path:
    """A fresh copy of instances/toy with models/toy.yaml beside it."""
    shutil.copytree(ROOT / "instances/toy", folder)
    shutil.copyfile(ROOT / "models/toy.yaml", folder / MODEL)
    return folder


def csv_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.csv"))


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def short(value: str, limit: int = 40) -> str:
    """repr of a value, long ones abbreviated (`'x' * 100000`)."""
    if len(value) > limit:
        if len(set(value)) == 1:
            return f"{value[0]!r} * {len(value)}"
        return repr(value[:limit]) + f"... ({len(value)} chars)"
    return repr(value)


# --- CSV mutations: each changes one file of `folder` and says what it did -------------------

class CaseRandom(random.Random):
    """The random source of one case; `occurrence` counts the earlier cases of its class, so
    that the variants of a class take turns (pick) instead of repeating by chance."""

    def __init__(self, seed: str, occurrence: int = 0):
        super().__init__(seed)
        self.occurrence = occurrence


def pick(rng: random.Random, options):
    """The next variant of this class (round-robin over its cases), else a random one."""
    options = list(options)
    occurrence = getattr(rng, "occurrence", None)
    return options[occurrence % len(options)] if occurrence is not None else rng.choice(options)


def _pick_file(folder: Path, rng: random.Random) -> Path:
    return pick(rng, csv_files(folder))


def _data_rows(rows: list[list[str]]) -> list[int]:
    return [i for i in range(1, len(rows)) if rows[i]]


def csv_delete_row(folder, rng):
    path = _pick_file(folder, rng)
    rows = read_rows(path)
    i = rng.choice(_data_rows(rows))
    del rows[i]
    write_rows(path, rows)
    return f"{path.name}: line {i + 1} deleted"


def csv_duplicate_row(folder, rng):
    path = _pick_file(folder, rng)
    rows = read_rows(path)
    i = rng.choice(_data_rows(rows))
    rows.insert(i + 1, list(rows[i]))
    write_rows(path, rows)
    return f"{path.name}: line {i + 1} duplicated"


def csv_swap_rows(folder, rng):
    path = _pick_file(folder, rng)
    rows = read_rows(path)
    data = _data_rows(rows)
    i, j = (rng.sample(data, 2) if len(data) > 1 else (data[0], 0))
    rows[i], rows[j] = rows[j], rows[i]
    write_rows(path, rows)
    return f"{path.name}: lines {i + 1} and {j + 1} swapped"


def csv_delete_column(folder, rng):
    path = _pick_file(folder, rng)
    rows = read_rows(path)
    c = rng.randrange(len(rows[0]))
    name = rows[0][c]
    for row in rows:
        if len(row) > c:
            del row[c]
    write_rows(path, rows)
    return f"{path.name}: column {name!r} deleted"


def csv_duplicate_column(folder, rng):
    path = _pick_file(folder, rng)
    rows = read_rows(path)
    c = rng.randrange(len(rows[0]))
    for row in rows:
        if len(row) > c:
            row.append(row[c])
    write_rows(path, rows)
    return f"{path.name}: column {rows[0][c]!r} duplicated at the end"


def csv_swap_columns(folder, rng):
    """Whole columns swapped (header and cells): still the same table."""
    path = _pick_file(folder, rng)
    rows = read_rows(path)
    a, b = rng.sample(range(len(rows[0])), 2)
    for row in rows:
        if len(row) > max(a, b):
            row[a], row[b] = row[b], row[a]
    write_rows(path, rows)
    return f"{path.name}: columns {rows[0][b]!r} and {rows[0][a]!r} swapped"


def csv_swap_headers(folder, rng):
    """Only the header names swapped: cells end up under the wrong column."""
    path = _pick_file(folder, rng)
    rows = read_rows(path)
    a, b = rng.sample(range(len(rows[0])), 2)
    rows[0][a], rows[0][b] = rows[0][b], rows[0][a]
    write_rows(path, rows)
    return f"{path.name}: header names {rows[0][b]!r} and {rows[0][a]!r} swapped"


def _set_cell(folder, rng, values: list[str], numeric: bool = False, column=None):
    path = _pick_file(folder, rng)
    rows = read_rows(path)
    i = rng.choice(_data_rows(rows))
    columns = list(range(len(rows[i]))) if column is None else [column]
    if numeric:  # every data row of the toy tables has a number in it
        columns = [c for c in columns if _is_number(rows[i][c])]
    c = rng.choice(columns)
    old, new = rows[i][c], pick(rng, values)
    rows[i][c] = new
    write_rows(path, rows)
    return f"{path.name}: line {i + 1} column {rows[0][c]!r}: {short(old)} -> {short(new)}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def cell_values(values: list[str], numeric: bool = False, column: int | None = None) -> Callable:
    def mutate(folder, rng):
        return _set_cell(folder, rng, values, numeric, column)
    return mutate


def region_ids(values: list[str]) -> Callable:
    """A region id that is not a name (the other tables still refer to the old one)."""
    def mutate(folder, rng):
        path = folder / "regions.csv"
        rows = read_rows(path)
        i = rng.choice(_data_rows(rows))
        old, new = rows[i][0], pick(rng, values)
        rows[i][0] = new
        write_rows(path, rows)
        return f"regions.csv: line {i + 1} column 'region': {short(old)} -> {short(new)}"
    return mutate


def csv_unclosed_quote(folder, rng):
    path = _pick_file(folder, rng)
    lines = path.read_text(encoding="utf-8").splitlines()
    i = rng.randrange(len(lines))
    cut = rng.randrange(len(lines[i]) + 1)
    lines[i] = lines[i][:cut] + '"' + lines[i][cut:]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"{path.name}: a lone '\"' inserted in line {i + 1} at column {cut + 1}"


def csv_quoted_newline(folder, rng):
    path = _pick_file(folder, rng)
    rows = read_rows(path)
    i = rng.choice(_data_rows(rows))
    c = rng.randrange(len(rows[i]))
    old = rows[i][c]
    rows[i][c] = old[: len(old) // 2] + "\n" + old[len(old) // 2:]
    write_rows(path, rows)
    return f"{path.name}: line {i + 1} column {rows[0][c]!r}: a newline inside the quoted cell"


def csv_delimiter(folder, rng):
    path = _pick_file(folder, rng)
    sep = pick(rng, [";", "\t", "|", ", "])
    whole = rng.random() < 0.7
    text = path.read_text(encoding="utf-8")
    if whole:
        text = text.replace(",", sep)
    else:  # only the data rows
        head, _, body = text.partition("\n")
        text = head + "\n" + body.replace(",", sep)
    path.write_text(text, encoding="utf-8")
    return f"{path.name}: commas replaced by {sep!r} ({'whole file' if whole else 'data rows'})"


def csv_truncate(folder, rng):
    path = _pick_file(folder, rng)
    data = path.read_bytes()
    cut = rng.randrange(len(data))
    path.write_bytes(data[:cut])
    return f"{path.name}: truncated to {cut} of {len(data)} bytes"


def delete_file(pattern: str):
    def mutate(folder, rng):
        path = pick(rng, sorted(folder.glob(pattern)))
        path.unlink()
        return f"{path.name}: deleted"
    return mutate


def utf16(pattern: str):
    def mutate(folder, rng):
        path = pick(rng, sorted(folder.glob(pattern)))
        encoding = pick(rng, ["utf-16", "utf-16-le", "utf-32"])
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
        return f"{path.name}: re-encoded as {encoding}"
    return mutate


def binary(pattern: str):
    def mutate(folder, rng):
        path = pick(rng, sorted(folder.glob(pattern)))
        kind = pick(rng, ["random", "nul", "latin1", "gzip"])
        if kind == "random":
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 600)))
        elif kind == "nul":
            data = path.read_bytes().replace(b",", b"\x00", 3)
        elif kind == "latin1":
            data = path.read_text(encoding="utf-8").replace("o", "\u00f8").encode("latin-1")
        else:
            data = b"\x1f\x8b\x08\x00" + bytes(range(64))
        path.write_bytes(data)
        return f"{path.name}: replaced by {kind} bytes"
    return mutate


def empty(pattern: str):
    def mutate(folder, rng):
        path = pick(rng, sorted(folder.glob(pattern)))
        content = pick(rng, ["", "\n", "   \n\n", "# only a comment\n", "\ufeff"])
        path.write_text(content, encoding="utf-8")
        return f"{path.name}: replaced by {content!r}"
    return mutate


def csv_header_only(folder, rng):
    path = _pick_file(folder, rng)
    rows = read_rows(path)
    write_rows(path, rows[:1])
    return f"{path.name}: only the header row kept"


def csv_bom_crlf(folder, rng):
    """A byte-order mark and Windows line endings: a valid file."""
    path = _pick_file(folder, rng)
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    return f"{path.name}: UTF-8 BOM and CRLF line endings"


def csv_ragged_row(folder, rng):
    path = _pick_file(folder, rng)
    rows = read_rows(path)
    i = rng.choice(_data_rows(rows))
    if rng.random() < 0.5 and len(rows[i]) > 1:
        rows[i] = rows[i][:-1]
        what = "one field short"
    else:
        rows[i] = rows[i] + ["extra"]
        what = "one field too many"
    write_rows(path, rows)
    return f"{path.name}: line {i + 1} {what}"


# --- YAML mutations (instance.yaml and the model) ---------------------------------------------

INSTANCE_NUMBERS = [r"(shortage_penalty_per_t: )100000", r"(discount_rate: )0\.0",
                    r"(base_year: )2025", r"(start: )2025", r"(end: )2030"]
MODEL_NUMBERS = [r"(inputs: \{oxide: )0\.5", r"(inputs: \{eol_motor: )1\.25",
                 r"(mean: )5", r"(disposal_cost_per_t: )10", r"(disposal_cost_per_t: )50",
                 r"(electricity_kwh_per_t: )1000", r"(swarf: )0\.2", r"(magnet: )1\.0",
                 r"(direct_kgco2e_per_t: )100"]


def _edit(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(pattern, lambda m: m.group(1) + replacement if m.groups() else replacement,
                     text, count=1)
    assert n == 1, f"mutation pattern {pattern!r} not found in {path.name}"
    path.write_text(new, encoding="utf-8")


def yaml_number(file: str, values: list[str]):
    def mutate(folder, rng):
        patterns = INSTANCE_NUMBERS if file == "instance.yaml" else MODEL_NUMBERS
        k = getattr(rng, "occurrence", rng.randrange(len(patterns) * len(values)))
        pattern, value = patterns[k % len(patterns)], values[(k + k // len(patterns)) % len(values)]
        _edit(folder / file, pattern, value)
        return f"{file}: {pattern!r} value -> {value}"
    return mutate


def yaml_replace(file: str, variants: list):
    """Replace the first match of a regex by a text, one variant chosen per case; a variant
    is (pattern, text) or a list of them, applied in turn."""
    def mutate(folder, rng):
        edits = pick(rng, variants)
        edits = [edits] if isinstance(edits, tuple) else edits
        for pattern, replacement in edits:
            _edit(folder / file, pattern, replacement)
        return f"{file}: " + ", then ".join(f"{p!r} -> {r!r}" for p, r in edits)
    return mutate


def yaml_lines(file: str, how: str):
    def mutate(folder, rng):
        path = folder / file
        lines = path.read_text(encoding="utf-8").splitlines()
        i = rng.randrange(len(lines))
        if how == "delete":
            what = f"line {i + 1} deleted: {lines[i]!r}"
            del lines[i]
        elif how == "duplicate":
            keyed = [k for k, s in enumerate(lines) if re.match(r"^\s*[\w]+:", s)]
            i = rng.choice(keyed)
            what = f"line {i + 1} duplicated (a duplicate key): {lines[i]!r}"
            lines.insert(i + 1, lines[i])
        elif how == "tabs":
            i = rng.choice([k for k, s in enumerate(lines) if s.strip()])
            stripped = lines[i].lstrip(" ")
            depth = len(lines[i]) - len(stripped)
            lines[i] = "\t" * max(1, depth // 2) + stripped
            what = f"line {i + 1} indented with tabs: {lines[i]!r}"
        else:
            raise ValueError(how)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return f"{file}: {what}"
    return mutate


def yaml_truncate(file: str):
    def mutate(folder, rng):
        path = folder / file
        data = path.read_bytes()
        cut = rng.randrange(1, len(data))
        path.write_bytes(data[:cut])
        return f"{file}: truncated to {cut} of {len(data)} bytes"
    return mutate


def yaml_append(file: str, variants: list[str]):
    def mutate(folder, rng):
        path = folder / file
        extra = pick(rng, variants)
        path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
        return f"{file}: appended {short(extra, 80)}"
    return mutate


def yaml_whole(file: str, variants: list[str]):
    def mutate(folder, rng):
        text = pick(rng, variants)
        (folder / file).write_text(text, encoding="utf-8")
        return f"{file}: replaced by {short(text, 60)}"
    return mutate


def alias_bomb(levels: int = 9) -> str:
    """The 'billion laughs' document: 9 ** levels strings from a few hundred bytes."""
    lines = ['lol0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        lines.append(f"lol{n}: &l{n} [" + ",".join([f"*l{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def deep_nesting(depth: int, kind: str = "[") -> str:
    if kind == "[":
        return "deep: " + "[" * depth + "]" * depth + "\n"
    return "deep: " + "{a: " * depth + "1" + "}" * depth + "\n"


DEEP = [deep_nesting(n, k) for n in (300, 2_000, 20_000) for k in ("[", "{")]


PYTHON_TAGS = [
    '!!python/object/apply:os.system ["echo pwned > pwned.txt"]',
    "!!python/name:os.getcwd",
    "!!python/object:builtins.object {}",
    "!!python/tuple [2025, 2030]",
    "!custom thing",
]
STANDARD_TAGS = ["!!binary aGVsbG8=", "!!set {a, b}", "!!str 2025", "!!int '7'", "!!float 1",
                 "!!timestamp 2025-01-01", "!!null ''", "!!bool yes"]


def yaml_tag(file: str, key_patterns: list[str], tags: list[str]):
    def mutate(folder, rng):
        pattern, tag = rng.choice(key_patterns), pick(rng, tags)
        _edit(folder / file, pattern, tag)
        return f"{file}: {pattern!r} value -> {tag}"
    return mutate


INSTANCE_VALUES = [r"(name: )toy", r"(model: )toy", r"(currency: )GBP", r"(objective: )cost",
                   r"(years: )\{start: 2025, end: 2030\}", r"(discount_rate: )0\.0"]
MODEL_VALUES = [r"(name: )toy", r"(loop: )primary", r"(mean: )5", r"(stage: )magnet",
                r"(inputs: )\{oxide: 0\.5\}", r"(disposable: )true"]
NON_FINITE = [".inf", "-.inf", ".nan", ".NaN", ".Inf", "1e400", "-1e400", "1.0e+999"]
HUGE = ["1e308", "1.7976931348623157e+308", "99999999999999999999999", "1e-400", "1e20"]
NOT_A_MAPPING = ["- a\n- b\n", "just text\n", "42\n", "null\n", "~\n", "[1, 2, 3]\n", "'x'\n"]


@dataclass(frozen=True)
class Mutation:
    name: str
    apply: Callable[[Path, random.Random], str]
    isolated: bool = False   # run in a subprocess with a timeout (may hang or blow up)
    invalid: bool = False    # always invalid input: validate must exit 3


INST = "instance.yaml"

MUTATIONS = [
    # CSV tables
    Mutation("csv.delete_row", csv_delete_row),
    Mutation("csv.duplicate_row", csv_duplicate_row),
    Mutation("csv.swap_rows", csv_swap_rows),
    Mutation("csv.delete_column", csv_delete_column),
    Mutation("csv.duplicate_column", csv_duplicate_column),
    Mutation("csv.swap_columns", csv_swap_columns),
    Mutation("csv.swap_headers", csv_swap_headers),
    Mutation("csv.ragged_row", csv_ragged_row),
    Mutation("cell.blank", cell_values([""])),
    Mutation("cell.blank_id", cell_values(["", " "], column=0)),
    Mutation("regions.bad_id", region_ids(["", " ", "U K", "UK!", "\U0001f600", "UK,GB"])),
    Mutation("cell.garbage", cell_values(["abc", "??", "12abc", "0x1F", "1_000", "TRUE",
                                          "null", "[]", "1,5", "1.2.3"])),
    Mutation("cell.huge", cell_values(["1e308", "1.7976931348623157e308", "1e309", "9" * 400,
                                       "123456789012345678901234567890"], numeric=True)),
    Mutation("cell.negative", cell_values(["-1", "-0.5", "-1e-12", "-2025"], numeric=True)),
    Mutation("cell.nan", cell_values(["nan", "NaN", "-nan", "NAN"], numeric=True), invalid=True),
    Mutation("cell.inf", cell_values(["inf", "-inf", "Infinity", "+inf", "1e309"], numeric=True),
             invalid=True),
    Mutation("cell.minus_zero", cell_values(["-0", "-0.0", "+0", "0e0"], numeric=True)),
    Mutation("cell.unicode", cell_values(["\u03a9", "\uff35\uff2b", "\u0661\u0662",
                                          "\u200b", "\u00e9t\u00e9", "\U0001f600",
                                          "UK\u00a0", "\u202eKU"])),
    Mutation("cell.long_text", cell_values(["x" * 100_000, "UK" * 50_000, "1" * 5000])),
    Mutation("cell.control", cell_values(["\x00", "\x1b[31mred", "a\rb", "\x7f", "\x0c"])),
    Mutation("csv.unclosed_quote", csv_unclosed_quote),
    Mutation("csv.quoted_newline", csv_quoted_newline),
    Mutation("csv.delimiter", csv_delimiter),
    Mutation("csv.truncate", csv_truncate),
    Mutation("csv.delete_file", delete_file("*.csv")),
    Mutation("csv.utf16", utf16("*.csv")),
    Mutation("csv.binary", binary("*.csv")),
    Mutation("csv.empty", empty("*.csv")),
    Mutation("csv.header_only", csv_header_only),
    Mutation("csv.bom_crlf", csv_bom_crlf),
    # instance.yaml
    Mutation("instance.unclosed_brace", yaml_replace(INST, [
        (r"\{start: 2025, end: 2030\}", "{start: 2025, end: 2030"),
        (r"(objective: )cost", "{weights: {cost: 1}"),
        (r"(currency: )GBP", "[GBP"),
        (r"(name: )toy", '"toy')])),
    Mutation("instance.tabs", yaml_lines(INST, "tabs")),
    Mutation("instance.duplicate_key", yaml_lines(INST, "duplicate")),
    Mutation("instance.alias", yaml_replace(INST, [
        [(r"(name: )toy", "&n toy"), (r"(description: ).*", "*n")],
        [(r"(years: )", "&y "), (r"(objective: )cost", "cost\nlimits: *y")],
        (r"(description: )", "&d "),
        [(r"(currency: )GBP", "&c GBP"), (r"(objective: )cost", "cost\neol_region: *c")],
        [(r"(base_year: )2025", "&b 2025"), (r"(start: )2025", "*b")]])),
    Mutation("instance.merge_key", yaml_replace(INST, [
        (r"years: \{start: 2025, end: 2030\}", "years: {<<: {start: 2025}, end: 2030}"),
        (r"years: \{start: 2025, end: 2030\}", "years: {<<: *nothing, end: 2030}")])),
    Mutation("instance.python_tag", yaml_tag(INST, INSTANCE_VALUES, PYTHON_TAGS), invalid=True),
    Mutation("instance.standard_tag", yaml_tag(INST, INSTANCE_VALUES, STANDARD_TAGS)),
    Mutation("instance.years_end", yaml_replace(INST, [
        (r"(end: )2030", "12025"), (r"(end: )2030", "1e20"),
        (r"(end: )2030", "1.7976931348623157e+308"), (r"(end: )2030", "99999")])),
    Mutation("instance.model_passwd", yaml_replace(INST, [(r"(model: )toy", "/etc/passwd")]),
             invalid=True),
    Mutation("instance.model_escape", yaml_replace(INST, [
        (r"(model: )toy", "../../../etc/passwd"),
        (r"(model: )toy", "../" * 30 + "etc/passwd"),
        (r"(model: )toy", "../../models/../../../../../../../../../../etc/passwd")]),
             invalid=True),
    Mutation("instance.model_odd", yaml_replace(INST, [
        (r"(model: )toy", "."), (r"(model: )toy", "/etc"), (r"(model: )toy", "''"),
        (r"(model: )toy", "null"), (r"(model: )toy", "[toy]"), (r"(model: )toy", "42"),
        (r"(model: )toy", "toy.csv"), (r"(model: )toy", "regions.csv")])),
    Mutation("instance.non_finite", yaml_number(INST, NON_FINITE), invalid=True),
    Mutation("instance.huge_number", yaml_number(INST, HUGE)),
    Mutation("instance.wrong_types", yaml_replace(INST, [
        (r"years: \{start: 2025, end: 2030\}", "years: 2025"),
        (r"years: \{start: 2025, end: 2030\}", "years: [2025, 2030]"),
        (r"years: \{start: 2025, end: 2030\}", "years: {start: '2025', end: 2030.5}"),
        (r"(objective: )cost", "[cost]"), (r"(objective: )cost", "{weights: {cost: .nan}}"),
        (r"(name: )toy", "{a: 1}"), (r"(currency: )GBP", "{x: y}"),
        (r"(discount_rate: )0\.0", "'0.0'"), (r"(discount_rate: )0\.0", "true")])),
    Mutation("instance.extra_keys", yaml_append(INST, [
        "limits: {cost: .inf}\n", "limits: {nonsense: 1}\n", "limits: 5\n",
        "eol_region: Atlantis\n", "cvar_alpha: .nan\n", "variants: {x: {years.end: 12025}}\n",
        "unknown_key: 1\n", "? [complex, key]\n: value\n", "1: numeric key\n",
        "null: null key\n"])),
    Mutation("instance.delete_line", yaml_lines(INST, "delete")),
    Mutation("instance.truncate", yaml_truncate(INST)),
    Mutation("instance.utf16", utf16(INST)),
    Mutation("instance.binary", binary(INST)),
    Mutation("instance.empty", empty(INST)),
    Mutation("instance.not_mapping", yaml_whole(INST, NOT_A_MAPPING)),
    Mutation("instance.delete_file", delete_file(INST)),
    Mutation("instance.deep_nesting", yaml_append(INST, DEEP)),
    # the value-chain model
    Mutation("model.unclosed_brace", yaml_replace(MODEL, [
        (r"inputs: \{oxide: 0\.5\}", "inputs: {oxide: 0.5"),
        (r"lifetime: \{distribution: fixed, mean: 5\}", "lifetime: {distribution: fixed"),
        (r"(unit: t)\}", "[t}")])),
    Mutation("model.tabs", yaml_lines(MODEL, "tabs")),
    Mutation("model.duplicate_key", yaml_lines(MODEL, "duplicate")),
    Mutation("model.alias", yaml_replace(MODEL, [
        (r"(inputs: )\{oxide: 0\.5\}", "&in {oxide: 0.5}"),
        [(r"(unit: )t", "&u t"), (r"(magnet, unit: )t", "*u")],
        [(r"(stage: )magnet", "&s magnet"), (r"(stage: )recycling", "*s")],
        (r"(    inputs: )\{eol_motor: 1\.25\}", "*missing_anchor"),
        [(r"(lifetime: )", "&life "), (r"(products:)", "products:\n  spare: {placed_commodity: "
                                                     "magnet, eol_commodity: eol_motor, "
                                                     "lifetime: *life}")]])),
    Mutation("model.python_tag", yaml_tag(MODEL, MODEL_VALUES, PYTHON_TAGS), invalid=True),
    Mutation("model.standard_tag", yaml_tag(MODEL, MODEL_VALUES, STANDARD_TAGS)),
    Mutation("model.non_finite", yaml_number(MODEL, NON_FINITE), invalid=True),
    Mutation("model.huge_number", yaml_number(MODEL, HUGE)),
    Mutation("model.negative_or_zero", yaml_number(MODEL, ["-0.5", "0", "-0", "-1e-9", "-5"])),
    Mutation("model.wrong_types", yaml_replace(MODEL, [
        (r"inputs: \{oxide: 0\.5\}", "inputs: [oxide]"), (r"(    lifetime: ).*", "5"),
        (r"(outputs: )\{magnet: 1\.0\}", "magnet"), (r"(disposable: )true", "'yes'"),
        (r"(loop: )short_loop", "[short_loop]"), (r"(placed_commodity: )magnet", "{a: 1}"),
        (r"(distribution: )fixed", "weibull"), (r"(mean: )5", "'five'")])),
    Mutation("model.unknown_names", yaml_replace(MODEL, [
        (r"inputs: \{oxide: 0\.5\}", "inputs: {unobtainium: 0.5}"),
        (r"(eol_commodity: )eol_motor", "nothing"), (r"(loop: )primary", "sideways"),
        (r"(  magnet_making:)", "  magnet making:")])),
    Mutation("model.delete_line", yaml_lines(MODEL, "delete")),
    Mutation("model.truncate", yaml_truncate(MODEL)),
    Mutation("model.utf16", utf16(MODEL)),
    Mutation("model.binary", binary(MODEL)),
    Mutation("model.empty", empty(MODEL)),
    Mutation("model.not_mapping", yaml_whole(MODEL, NOT_A_MAPPING)),
    Mutation("model.delete_file", delete_file(MODEL)),
    Mutation("model.deep_nesting", yaml_append(MODEL, DEEP)),
    # may hang or exhaust memory: subprocess with a timeout
    Mutation("instance.alias_bomb", yaml_append(INST, [alias_bomb()]), isolated=True,
             invalid=True),
    Mutation("model.alias_bomb", yaml_append(MODEL, [alias_bomb()]), isolated=True,
             invalid=True),
]
IN_PROCESS = [m for m in MUTATIONS if not m.isolated]
ISOLATED = [m for m in MUTATIONS if m.isolated]


# --- running and judging a case --------------------------------------------------------------

class Hang(BaseException):
    """Raised by the alarm: a case ran longer than CASE_TIMEOUT_S (not caught by the CLI)."""


@dataclass
class Run:
    code: int | str          # exit code, or "timeout" / "crash"
    output: str              # stdout and stderr
    stderr: str
    exception: BaseException | None = None


def address_space() -> int:
    """Bytes of virtual memory this process holds now."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmSize:\s+(\d+) kB", status).group(1)) * 1024


def run_cli(args: list[str], timeout: int = CASE_TIMEOUT_S) -> Run:
    """`planner ARGS` in-process, stopped by SIGALRM after `timeout` seconds, with at most
    IN_PROCESS_MEMORY more bytes of address space (a runaway allocation raises MemoryError
    instead of taking the machine down)."""
    def alarm(signum, frame):
        raise Hang()

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = address_space() + IN_PROCESS_MEMORY
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    previous = signal.signal(signal.SIGALRM, alarm)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    signal.alarm(timeout)
    try:
        result = CliRunner().invoke(main, args)
    except Hang:
        return Run("timeout", "", "")
    except MemoryError:
        return Run("out of memory", "", "")
    finally:
        signal.alarm(0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.signal(signal.SIGALRM, previous)
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    return Run(result.exit_code, result.output, result.stderr, escaped)


# the subprocess imports the CLI and the loader first, says so, and only then runs the command:
# the time limit covers the command, not Python's start-up (slow on a busy machine)
DRIVER = ("import sys, planner.cli, planner.data.load, planner.data.overrides; "
          "print('ready', flush=True); sys.argv[0] = 'planner'; planner.cli.main()")
STARTUP_TIMEOUT_S = 120


def run_isolated(commands: list[list[str]]) -> list[Run]:
    """`planner ARGS` for each command in parallel subprocesses, each stopped
    ISOLATED_TIMEOUT_S seconds after its start-up and capped at ISOLATED_MEMORY bytes of
    address space."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (ISOLATED_MEMORY, ISOLATED_MEMORY))

    env = {k: v for k, v in os.environ.items() if k != "PLANNER_DEBUG"}
    processes = [subprocess.Popen([sys.executable, "-c", DRIVER, *args], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, preexec_fn=limit, env=env,
                                  cwd=ROOT) for args in commands]
    ready: dict[int, float] = {}
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while len(ready) < len(processes) and time.monotonic() < deadline:
        waiting = {p.stdout: k for k, p in enumerate(processes) if k not in ready}
        readable, _, _ = select.select(list(waiting), [], [], 1.0)
        for stream in readable:
            stream.readline()  # "ready", or "" if it died first: its output follows anyway
            ready[waiting[stream]] = time.monotonic()
    runs = []
    for k, process in enumerate(processes):
        try:
            out, err = process.communicate(timeout=max(
                0.1, ready.get(k, time.monotonic()) + ISOLATED_TIMEOUT_S - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            runs.append(Run("timeout", out + err, err))
            continue
        runs.append(Run(process.returncode, out + err, err))
    return runs


CRASH = re.compile(r"(?m)^(error: )?unexpected \w+|Traceback \(most recent call last\)")
SUMMARY_LINE = re.compile(r"^\d+ error\(s\)")


def judge(folder: Path, run: Run, allowed: tuple) -> list[str]:
    """What is wrong with this run (empty when nothing is)."""
    wrong = []
    if run.code == "timeout":
        return ["no answer in time (hangs)"]
    if run.code == "out of memory":
        return [f"runs out of memory (more than {IN_PROCESS_MEMORY >> 30} GB)"]
    if run.exception is not None:
        wrong.append(f"exception escaped the CLI: {type(run.exception).__name__}: "
                     f"{str(run.exception)[:200]}")
    if run.code not in allowed:
        wrong.append(f"exit code {run.code}, expected one of {allowed}")
    if CRASH.search(run.output):
        wrong.append("crash message ('unexpected ...' or a traceback)")
    if PASSWD in run.output:
        wrong.append("echoes the contents of /etc/passwd")
    if any((where / "pwned.txt").exists() for where in (folder, Path.cwd())):
        wrong.append("ran the command of a !!python/object/apply tag (pwned.txt exists)")
    if "planner-instance-" in run.output:
        wrong.append("names a temporary copy (planner-instance-...)")
    lines = [s for s in run.stderr.splitlines() if s.strip()]
    problems = [s for s in lines if s.endswith("[warning]") or (
        run.code == 3 and not SUMMARY_LINE.match(s))]
    if run.code == 3 and not problems:
        wrong.append("exit 3 without any error line")
    if problems:
        prefix = str(folder) + os.sep
        for line in problems:
            if not line.startswith(prefix):
                wrong.append(f"error line names no file in the case folder: {line[:160]!r}")
                break
            file = line[len(prefix):].split(":", 1)[0]
            if os.sep in file or not line[len(prefix) + len(file):].startswith(":"):
                wrong.append(f"error line names a file outside the case folder: "
                             f"{line[:160]!r}")
                break
    return wrong


@dataclass
class Failure:
    mutation: str
    case: int
    description: str
    reasons: list[str]
    run: Run
    command: str


def report(title: str, counts: Counter, per_class: Counter, failures: list[Failure],
           seconds: float) -> str:
    by_class: dict[str, list[Failure]] = defaultdict(list)
    for f in failures:
        by_class[f.mutation].append(f)
    codes = ", ".join(f"exit {k}: {v}" for k, v in sorted(counts.items(), key=str))
    head = (f"{title}: {sum(counts.values())} cases in {seconds:.1f} s ({codes}); "
            f"{len(failures)} failing in {len(by_class)} mutation classes")
    if not failures:
        return head
    parts = [head]
    for name, fails in sorted(by_class.items()):
        f = min(fails, key=lambda f: (len(f.description), f.case))  # the shortest mutation
        output = f.run.output.strip()
        if len(output) > 600:
            output = output[:600] + f" ... ({len(f.run.output)} chars)"
        parts.append(
            f"\n[{name}] {len(fails)} of {per_class[name]} cases fail; e.g. case {f.case}:\n"
            f"  mutation: {f.description}\n  reasons:  {'; '.join(f.reasons)}\n"
            f"  repro:    cp -r instances/toy X && cp models/toy.yaml X/ && <mutation> && "
            f"{f.command}\n  exit {f.run.code}, output:\n    " +
            output.replace("\n", "\n    "))
    return "\n".join(parts)


def mutated_case(base: Path, i: int, mutation: Mutation, occurrence: int = 0
                 ) -> tuple[Path, str]:
    folder = make_case(base / f"case{i:03d}")
    return folder, mutation.apply(folder, CaseRandom(f"{SEED}-{i}", occurrence))


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch):
    monkeypatch.delenv("PLANNER_DEBUG", raising=False)


# --- the tests -------------------------------------------------------------------------------

def test_unmodified_toy_validates(tmp_path):
    folder = make_case(tmp_path / "toy")
    run = run_cli(["validate", str(folder)])
    assert run.code == 0 and not judge(folder, run, (0,)), run.output


def test_validate_survives_mutations(tmp_path):
    """N_CASES seeded mutations of the toy instance, round-robin over the in-process classes."""
    start = time.perf_counter()
    counts, per_class, failures = Counter(), Counter(), []
    for i in range(N_CASES):
        mutation = IN_PROCESS[i % len(IN_PROCESS)]
        folder, description = mutated_case(tmp_path, i, mutation, i // len(IN_PROCESS))
        run = run_cli(["validate", str(folder)])
        counts[run.code] += 1
        per_class[mutation.name] += 1
        if wrong := judge(folder, run, (3,) if mutation.invalid else (0, 3)):
            failures.append(Failure(mutation.name, i, description, wrong, run,
                                    "planner validate X"))
        shutil.rmtree(folder, ignore_errors=True)
    summary = report("fuzz validate", counts, per_class, failures, time.perf_counter() - start)
    print("\n" + summary.splitlines()[0])
    assert not failures, summary


def test_validate_survives_alias_bombs(tmp_path):
    """YAML whose aliases expand to 9 ** 9 strings: an error, in bounded time and memory."""
    start = time.perf_counter()
    counts, per_class, failures = Counter(), Counter(), []
    cases = [(N_CASES + k, m, *mutated_case(tmp_path, N_CASES + k, m))
             for k, m in enumerate(ISOLATED)]
    runs = run_isolated([["validate", str(folder)] for _, _, folder, _ in cases])
    for (i, mutation, folder, description), run in zip(cases, runs):
        counts[run.code] += 1
        per_class[mutation.name] += 1
        if wrong := judge(folder, run, (3,)):
            failures.append(Failure(mutation.name, i, description, wrong, run,
                                    "planner validate X"))
    summary = report("fuzz validate (subprocess)", counts, per_class, failures,
                     time.perf_counter() - start)
    print("\n" + summary.splitlines()[0])
    assert not failures, summary


def test_solve_survives_mutations_that_validate(tmp_path):
    """The first N_SOLVES mutated cases (seeded, round-robin) that validate are solved too."""
    start = time.perf_counter()
    counts, per_class, failures = Counter(), Counter(), []
    i = 0
    while sum(counts.values()) < N_SOLVES and i < N_CASES:
        mutation = IN_PROCESS[(i * 7) % len(IN_PROCESS)]
        folder, description = mutated_case(tmp_path, 1000 + i, mutation, i)
        i += 1
        if run_cli(["validate", str(folder)]).code != 0:
            continue
        run = run_cli(["solve", str(folder), "--out", str(tmp_path / f"run{i}"),
                       "--time-limit", "20"], timeout=60)
        counts[run.code] += 1
        per_class[mutation.name] += 1
        wrong = judge(folder, run, (0, 3, 4, 5, 6, 7))
        if wrong:
            failures.append(Failure(mutation.name, 1000 + i - 1, description, wrong, run,
                                    "planner solve X --out RUN"))
    summary = report("fuzz solve", counts, per_class, failures, time.perf_counter() - start)
    print("\n" + summary.splitlines()[0])
    assert sum(counts.values()) >= N_SOLVES // 2, f"only {sum(counts.values())} cases validated"
    assert not failures, summary
