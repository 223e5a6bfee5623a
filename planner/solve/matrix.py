"""The HiGHS model of a built planner model, from the numbers the formulation recorded.

The formulation computes every coefficient with pandas and records it in `Specs`
(planner.formulation.rows): per variable family its size, upper bounds and integrality, per row
family a term table (row, family, pos, coef) with lower and upper bounds, and the aliases of a
scenario tree. This module turns those numbers into HiGHS's arrays with numpy (column bounds,
integrality, costs and offset; row bounds; the matrix column-wise), so that no Pyomo expression
is walked. It gives HiGHS the model that Pyomo's persistent interface gives it:

  columns   one per distinct Pyomo variable that is not fixed and that a row or the objective
            uses (with nonzero coefficient); a fixed variable is a constant, not a column
            (Pyomo's interface adds it as an empty column fixed at its value, which HiGHS's
            presolve drops); bounds and integrality from the specs, with what a change to
            the Pyomo variables after the build can move read from them (variable_family)
  rows      one per Pyomo constraint of a row family: a row that stands for others (row_alias)
            once, an empty row only when its bounds exclude 0 (it cannot hold)
  bounds    a row's bounds less what its fixed variables contribute (coef x value); -inf/+inf
            for none (NaN in the specs)
  objective the costs of the Linear minimised (measures.Linear; its constant is kept apart by
            the caller), what its fixed variables contribute as the offset

Columns and rows are numbered family by family, in the order of `pm.variables` and of the
specs' row families; `Layout` says where each variable and row went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

import highspy
import numpy as np
import pandas as pd

from planner.formulation.rows import Specs, collapsed

INF = highspy.kHighsInf


@dataclass
class Family:
    """Where one variable family is in HiGHS. Pyomo variable j of the family is the element at
    frame position `own[j]`; frame position i holds variable `var[i]` (i itself without a
    scenario tree); `col[j]` is the HiGHS column of variable j (-1: none: fixed, or unused)."""

    own: np.ndarray
    var: np.ndarray
    col: np.ndarray
    fixed: np.ndarray  # per Pyomo variable: fixed when handed over
    value: np.ndarray  # per Pyomo variable: the fixed value (0 where not fixed)
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray

    def columns(self) -> np.ndarray:
        """The HiGHS column of each frame position (-1: none)."""
        return self.col[self.var]


@dataclass
class Layout:
    """Where the model's variables and rows are in HiGHS: `families` by variable family; `rows`
    the HiGHS row of each row of a row family (-1: none), in frame order before row_alias;
    `shift` what each such row's fixed variables contribute (taken off its bounds)."""

    families: dict[str, Family] = field(default_factory=dict)
    rows: dict[str, np.ndarray] = field(default_factory=dict)
    shift: dict[str, np.ndarray] = field(default_factory=dict)
    num_col: int = 0
    num_row: int = 0


@dataclass
class Block:
    """New columns and rows for HiGHS: column bounds and integrality, row bounds, and the
    matrix entries (row, col, value) by HiGHS index."""

    col_lower: np.ndarray
    col_upper: np.ndarray
    col_integer: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    entry_row: np.ndarray
    entry_col: np.ndarray
    entry_value: np.ndarray


def variable_family(objects: np.ndarray, spec: tuple | None, alias: np.ndarray | None) -> Family:
    """The Family of `objects` (pm.variables[name]) with no columns yet.

    Read from the Pyomo variables: whether each is fixed, and at what value; the domain and
    bounds of every variable of an integer family (few: the builds) or of a family that
    add_variables did not make (single variables of a measure); the domain of a continuous
    family's first variable (integrality and lower bound, for a family relaxed or restricted
    as a whole after the build). A continuous family's upper bounds come from the specs."""
    n = len(objects)
    own = np.arange(n) if alias is None else np.unique(alias)
    var = np.arange(n) if alias is None else np.searchsorted(own, alias)
    distinct = objects[own]
    fixed = np.fromiter(map(attrgetter("fixed"), distinct), dtype=bool, count=len(own))
    value = np.zeros(len(own))
    if fixed.any():
        value[fixed] = [float(v.value) for v in distinct[fixed]]
    if spec is None or spec[2] or not len(own):
        lower = np.array([-INF if v.lb is None else v.lb for v in distinct], dtype=float)
        upper = np.array([INF if v.ub is None else v.ub for v in distinct], dtype=float)
        integer = np.fromiter((v.is_integer() for v in distinct), dtype=bool, count=len(own))
    else:
        low = distinct[0].domain.bounds()[0]
        lower = np.full(len(own), -INF if low is None else float(low))
        ub = spec[1]
        upper = np.full(len(own), INF) if ub is None else np.nan_to_num(ub[own], nan=INF)
        integer = np.full(len(own), distinct[0].is_integer())
    return Family(own, var, np.full(len(own), -1, dtype=np.int64), fixed, value, lower, upper,
                  integer)


def objective_costs(layout: Layout, coefs: dict[str, np.ndarray]) -> tuple[np.ndarray, float]:
    """(cost of every HiGHS column, offset): each family's coefficients moved onto the
    variables that stand for their positions; fixed variables go into the offset."""
    cost, offset = np.zeros(layout.num_col), 0.0
    for name, c in coefs.items():
        family = layout.families[name]
        per_var = collapsed(np.asarray(c, dtype=float), _alias(family))[family.own]
        placed = family.col >= 0
        cost[family.col[placed]] += per_var[placed]
        offset += float(np.dot(per_var[family.fixed], family.value[family.fixed]))
    return cost, offset


def _alias(family: Family) -> np.ndarray | None:
    """The frame position each position stands for (None: itself)."""
    if len(family.var) == len(family.own):
        return None
    return family.own[family.var]


def family_groups(table: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """(family, the term table's positions of its terms) for each family in the table."""
    codes, names = pd.factorize(table["family"])
    if len(names) == 1:
        return [(names[0], np.arange(len(table)))]
    return [(name, np.flatnonzero(codes == k)) for k, name in enumerate(names)]


def used(layout: Layout, tables: list[tuple[pd.DataFrame, list]], coefs: dict[str, np.ndarray]
         ) -> dict[str, np.ndarray]:
    """Per family, which Pyomo variables the term tables (each with its family_groups) or the
    objective use."""
    out = {name: np.zeros(len(f.own), dtype=bool) for name, f in layout.families.items()}
    for table, groups in tables:
        pos = table["pos"].to_numpy()
        for name, idx in groups:
            family = layout.families[name]
            out[name][np.searchsorted(family.own, pos[idx])] = True
    for name, c in coefs.items():
        family = layout.families[name]
        out[name] |= collapsed(np.asarray(c, dtype=float), _alias(family))[family.own] != 0
    return out


def place_columns(layout: Layout, wanted: dict[str, np.ndarray]) -> Block:
    """Give a column to every wanted variable that is not fixed and has none yet, numbered on
    from layout.num_col; a Block of those columns (no rows)."""
    lower, upper, integer = [], [], []
    for name, family in layout.families.items():
        new = wanted.get(name, np.zeros(len(family.own), bool)) & ~family.fixed & (
            family.col < 0)
        count = int(new.sum())
        family.col[new] = np.arange(layout.num_col, layout.num_col + count)
        layout.num_col += count
        lower.append(family.lower[new])
        upper.append(family.upper[new])
        integer.append(family.integer[new])
    empty = np.zeros(0)
    return Block(_join(lower), _join(upper), _join(integer, bool), empty, empty,
                 np.zeros(0, np.int64), np.zeros(0, np.int64), empty)


def row_block(layout: Layout, name: str, table: pd.DataFrame, groups: list, lower: np.ndarray,
              upper: np.ndarray, row_alias: np.ndarray | None) -> Block:
    """The rows of row family `name` (its term table, aliased, with its family_groups, and
    bounds, NaN for none), numbered on from layout.num_row; records them in layout.rows[name].
    Every variable of a term needs its column (place_columns) unless it is fixed."""
    n = len(lower)
    row = table["row"].to_numpy()
    counts = np.bincount(row, minlength=n)
    stands = np.ones(n, dtype=bool) if row_alias is None else row_alias == np.arange(n)
    # a row without terms is left out, unless its bounds exclude 0 (it cannot hold)
    impossible = (np.nan_to_num(lower, nan=-np.inf) > 0) | (np.nan_to_num(upper, nan=np.inf) < 0)
    keep = stands & ((counts > 0) | impossible)
    where = np.full(n, -1, dtype=np.int64)
    where[keep] = np.arange(layout.num_row, layout.num_row + int(keep.sum()))
    layout.rows[name] = where
    layout.num_row += int(keep.sum())

    col = np.empty(len(table), dtype=np.int64)
    fixed_part = np.zeros(len(table))
    pos, coef = table["pos"].to_numpy(), table["coef"].to_numpy(dtype=float)
    for family_name, idx in groups:
        family = layout.families[family_name]
        j = np.searchsorted(family.own, pos[idx])
        col[idx] = family.col[j]
        fixed_part[idx] = np.where(family.fixed[j], coef[idx] * family.value[j], 0.0)
    shift = layout.shift[name] = np.bincount(row, weights=fixed_part, minlength=n)
    entry = keep[row] & (col >= 0)
    return Block(np.zeros(0), np.zeros(0), np.zeros(0, bool),
                 np.nan_to_num(lower[keep] - shift[keep], nan=-INF),
                 np.nan_to_num(upper[keep] - shift[keep], nan=INF),
                 where[row[entry]], col[entry], coef[entry])


def concatenated(blocks: list[Block]) -> Block:
    """One Block of several (columns and rows in order)."""
    return Block(*(_join([getattr(b, f) for b in blocks], getattr(blocks[0], f).dtype)
                   for f in Block.__dataclass_fields__))


def column_wise(num_col: int, rows: np.ndarray, cols: np.ndarray, values: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, index, value) of the matrix stored by columns: column j's entries are
    index[start[j]:start[j + 1]] (rows) with value[...]."""
    order = np.argsort(cols, kind="stable")
    start = np.zeros(num_col + 1, dtype=np.int32)
    np.cumsum(np.bincount(cols, minlength=num_col), out=start[1:])
    return start, rows[order].astype(np.int32), values[order]


def row_wise(first_row: int, num_row: int, rows: np.ndarray, cols: np.ndarray,
             values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, index, value) of rows first_row .. first_row + num_row - 1 stored by rows
    (start[i] is where row first_row + i begins; index holds columns)."""
    local = rows - first_row
    order = np.argsort(local, kind="stable")
    start = np.zeros(num_row + 1, dtype=np.int32)
    np.cumsum(np.bincount(local, minlength=num_row), out=start[1:])
    return start[:-1], cols[order].astype(np.int32), values[order]


def specs_blocks(layout: Layout, specs: Specs, names: list[str],
                 coefs: dict[str, np.ndarray]) -> Block:
    """The columns that the row families `names` and the objective `coefs` need, then those
    rows: one Block, its indices continuing the layout's."""
    tables = [(specs.rows[name][0], family_groups(specs.rows[name][0])) for name in names]
    blocks = [place_columns(layout, used(layout, tables, coefs))]
    for name, (table, groups) in zip(names, tables):
        _, lower, upper = specs.rows[name]
        blocks.append(row_block(layout, name, table, groups, lower, upper,
                                specs.row_alias.get(name)))
    return concatenated(blocks)


def _join(parts: list[np.ndarray], dtype=float) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
