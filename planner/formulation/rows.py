"""Turning term tables (row, family, pos, coef) into Pyomo variables and constraints, fast.

The formulation computes every coefficient with pandas; this module is the only place that loops
over rows in Python, creating one LinearExpression per constraint. Those Pyomo constraints are
made on demand (`pyomo_rows`), for what walks the Pyomo model (Pyomo's persistent interface,
mpi-sppy): HiGHS gets the numbers recorded in the specs (planner.solve.matrix), and making a
Pyomo object per row and term costs more than everything else the hand-over does.

Non-anticipativity (planner.tree) enters here as aliasing: a family's `alias[i]` is the
position of the element that element i stands for (the same decision in the node of its year),
and both positions hold the same Pyomo variable. Rows that become identical once their
variables are aliased (the same constraint of one node, once per scenario of the node) are
added once; `row_alias[i]` is the row that stands for row i.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from planner.formulation.families import family_named


@dataclass
class Specs:
    """What add_variables and add_rows were asked for: per family (size, upper bounds or None,
    integer) and per row family (term table, lower, upper). Comparing two models' specs tells
    whether one can be updated into the other in place."""

    vars: dict[str, tuple[int, np.ndarray | None, bool]] = field(default_factory=dict)
    rows: dict[str, tuple[pd.DataFrame, np.ndarray, np.ndarray]] = field(default_factory=dict)
    alias: dict[str, np.ndarray] = field(default_factory=dict)      # variable families
    row_alias: dict[str, np.ndarray] = field(default_factory=dict)  # row families


def pyomo_rows(model: pyo.ConcreteModel) -> None:
    """Make the Pyomo constraints of every row family added so far that has none yet."""
    pending = getattr(model, "_planner_pending_rows", None) or {}
    while pending:
        pending.pop(next(iter(pending)))()


def specs_of(model) -> Specs:
    """The Specs recorded on `model` (a Pyomo model or a DryModel)."""
    if getattr(model, "_planner_specs", None) is None:
        model._planner_specs = Specs()
    return model._planner_specs


class DryModel:
    """Stands in for the Pyomo model when only the numbers of a formulation are wanted (to
    update a model already in HiGHS in place): nothing is built, the specs are recorded."""

    def __init__(self, name: str = ""):
        self.name = name
        self._planner_specs = Specs()


def add_variables(model: pyo.ConcreteModel | DryModel, name: str, n: int, ub=None,
                  integer=False, alias: np.ndarray | None = None) -> np.ndarray:
    """Add `model.<name>[...] >= 0` with optional upper bounds (NaN: none); return the
    variables as a numpy object array, position i being row i of the family's index frame.
    With `alias`, position i holds the variable of position alias[i] (one Pyomo variable per
    distinct alias, bounded as that position)."""
    specs = specs_of(model)
    specs.vars[name] = (n, None if ub is None else np.asarray(ub, dtype=float), integer)
    if alias is not None:
        specs.alias[name] = alias
    if isinstance(model, DryModel):
        return np.empty(n, dtype=object)
    own = np.arange(n) if alias is None else np.unique(alias)
    domain = pyo.NonNegativeIntegers if integer else pyo.NonNegativeReals
    var = pyo.Var(range(len(own)), domain=domain)
    model.add_component(name, var)
    created = np.empty(len(own), dtype=object)
    created[:] = list(var.values())
    if ub is not None:
        ub = np.asarray(ub, dtype=float)[own]
        for v, u in zip(created[~np.isnan(ub)], ub[~np.isnan(ub)].tolist()):
            v.setub(u)
    return created if alias is None else created[np.searchsorted(own, alias)]


def aliased_terms(table: pd.DataFrame, alias: dict[str, np.ndarray]) -> pd.DataFrame:
    """The term table with every position replaced by its alias, and the terms of one row on
    one variable added up."""
    if not alias or not table["family"].isin(list(alias)).any():
        return table
    pos = table["pos"].to_numpy().copy()
    for family, idx in table.groupby("family", sort=False).indices.items():
        if family in alias:
            pos[idx] = alias[family][pos[idx]]
    table = table.assign(pos=pos)
    return table.groupby(["row", "family", "pos"], as_index=False, sort=False)["coef"].sum()


def collapsed(coefs: np.ndarray, alias: np.ndarray | None) -> np.ndarray:
    """Coefficients per position moved onto the positions that stand for them (summed):
    what the one variable of a node carries."""
    if alias is None:
        return coefs
    return np.bincount(alias, weights=coefs, minlength=len(coefs))


def alias_shares(alias: np.ndarray | None, weights: np.ndarray) -> np.ndarray:
    """Each position's part of what its alias carries (a dual of the one variable or row of a
    node), in proportion to `weights` (the scenarios' probabilities): they add up to 1 over
    the positions of one alias."""
    weights = np.asarray(weights, dtype=float)
    if alias is None:
        return np.ones(len(weights))
    total = np.bincount(alias, weights=weights, minlength=len(weights))
    return np.divide(weights, total[alias], out=np.zeros(len(weights)), where=total[alias] > 0)


def duplicate_rows(table: pd.DataFrame, n_rows: int, lower, upper) -> np.ndarray | None:
    """row_alias: for each row the first row with the same terms and bounds (None: all
    distinct). Rows without terms stand for themselves."""
    t = table.sort_values(["row", "family", "pos"], kind="stable")
    rows = t["row"].to_numpy()
    family = t["family"].to_numpy().astype(str)
    pos, coef = t["pos"].to_numpy(dtype=np.int64), t["coef"].to_numpy(dtype=float)
    starts = np.searchsorted(rows, np.arange(n_rows + 1))
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    seen: dict[tuple, int] = {}
    out = np.arange(n_rows)
    for i in range(n_rows):
        a, b = starts[i], starts[i + 1]
        if a == b:
            continue
        key = (lower[i].tobytes(), upper[i].tobytes(), tuple(family[a:b]), pos[a:b].tobytes(),
               coef[a:b].tobytes())
        out[i] = seen.setdefault(key, i)
    return None if (out == np.arange(n_rows)).all() else out


def terms(row, family: str, pos, coef) -> pd.DataFrame:
    """A term table: variable `family[pos]` enters row `row` with coefficient `coef`."""
    row = np.asarray(row)
    return pd.DataFrame({"row": row, "family": family, "pos": np.asarray(pos),
                         "coef": np.broadcast_to(np.asarray(coef, dtype=float), row.shape)})


def linear_expression(variables, coefs) -> LinearExpression:
    """sum_i coefs[i] * variables[i]; unit coefficients enter as bare variables, which keeps
    the expression tree (and Pyomo's later walks over it) small."""
    return LinearExpression([v if c == 1.0 else MonomialTermExpression((c, v))
                             for c, v in zip(coefs, variables)])


def add_rows(model: pyo.ConcreteModel, name: str, table: pd.DataFrame, n_rows: int,
             lower, upper, variables: dict[str, np.ndarray]) -> None:
    """Add constraints `lower[i] <= sum of row i's terms <= upper[i]` (NaN bound: none), each
    distinct row once: recorded in the specs now, made in Pyomo by pyomo_rows (module
    docstring)."""
    specs = specs_of(model)
    table = aliased_terms(table[table["coef"] != 0], specs.alias)
    table = table[table["coef"] != 0][["row", "family", "pos", "coef"]].reset_index(drop=True)
    specs.rows[name] = (table, np.asarray(lower, dtype=float), np.asarray(upper, dtype=float))
    same = duplicate_rows(table, n_rows, lower, upper) if specs.alias else None
    if same is not None:
        specs.row_alias[name] = same
    if isinstance(model, DryModel):
        return
    # a row no variable touches but whose bounds exclude 0 cannot hold: keep it, on a variable
    # fixed at zero, so that HiGHS reports the infeasibility and diagnosis can name the row
    anchor = pyo.Var(initialize=0.0)
    model.add_component(family_named("<row>_anchor").component(row=name), anchor)
    anchor.fix(0.0)
    if getattr(model, "_planner_pending_rows", None) is None:
        model._planner_pending_rows = {}
    model._planner_pending_rows[name] = lambda: _make_rows(
        model, name, table, n_rows, lower, upper, variables, same, anchor)


def _make_rows(model: pyo.ConcreteModel, name: str, table: pd.DataFrame, n_rows: int, lower,
               upper, variables: dict[str, np.ndarray], same: np.ndarray | None, anchor) -> None:
    """The Pyomo constraints of add_rows: one LinearExpression per distinct row."""
    objects = np.empty(len(table), dtype=object)
    for family, idx in table.groupby("family", sort=False).indices.items():
        objects[idx] = variables[family][table["pos"].to_numpy()[idx]]
    order = np.argsort(table["row"].to_numpy(), kind="stable")
    rows = table["row"].to_numpy()[order]
    objects, coefs = objects[order].tolist(), table["coef"].to_numpy()[order].tolist()
    starts = np.searchsorted(rows, np.arange(n_rows + 1)).tolist()
    lo = [None if np.isnan(x) else x for x in np.asarray(lower, dtype=float).tolist()]
    hi = [None if np.isnan(x) else x for x in np.asarray(upper, dtype=float).tolist()]

    def rule(_, i):
        if same is not None and same[i] != i:
            return pyo.Constraint.Skip
        a, b = starts[i], starts[i + 1]
        if a == b:
            if (lo[i] or 0.0) <= 0.0 <= (hi[i] if hi[i] is not None else 0.0):
                return pyo.Constraint.Skip
            return (lo[i], linear_expression([anchor], [1.0]), hi[i])
        return (lo[i], linear_expression(objects[a:b], coefs[a:b]), hi[i])

    model.add_component(name, pyo.Constraint(range(n_rows), rule=rule))
