"""Turning term tables (row, family, pos, coef) into Pyomo variables and constraints, fast.

The formulation computes every coefficient with pandas; this module is the only place that loops
over rows in Python, creating one LinearExpression per constraint.
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
                  integer=False) -> np.ndarray:
    """Add `model.<name>[0..n-1] >= 0` with optional upper bounds (NaN: none); return the
    variables as a numpy object array, position i being row i of the family's index frame."""
    specs_of(model).vars[name] = (n, None if ub is None else np.asarray(ub, dtype=float),
                                  integer)
    if isinstance(model, DryModel):
        return np.empty(n, dtype=object)
    domain = pyo.NonNegativeIntegers if integer else pyo.NonNegativeReals
    var = pyo.Var(range(n), domain=domain)
    model.add_component(name, var)
    objects = np.empty(n, dtype=object)
    objects[:] = list(var.values())
    if ub is not None:
        ub = np.asarray(ub, dtype=float)
        for v, u in zip(objects[~np.isnan(ub)], ub[~np.isnan(ub)].tolist()):
            v.setub(u)
    return objects


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
    """Add constraints `lower[i] <= sum of row i's terms <= upper[i]` (NaN bound: none)."""
    table = table[table["coef"] != 0]
    specs_of(model).rows[name] = (table[["row", "family", "pos", "coef"]].reset_index(drop=True),
                                  np.asarray(lower, dtype=float), np.asarray(upper, dtype=float))
    if isinstance(model, DryModel):
        return
    objects = np.empty(len(table), dtype=object)
    for family, idx in table.groupby("family", sort=False).indices.items():
        objects[idx] = variables[family][table["pos"].to_numpy()[idx]]
    order = np.argsort(table["row"].to_numpy(), kind="stable")
    rows = table["row"].to_numpy()[order]
    objects, coefs = objects[order].tolist(), table["coef"].to_numpy()[order].tolist()
    starts = np.searchsorted(rows, np.arange(n_rows + 1)).tolist()
    lo = [None if np.isnan(x) else x for x in np.asarray(lower, dtype=float).tolist()]
    hi = [None if np.isnan(x) else x for x in np.asarray(upper, dtype=float).tolist()]
    # a row no variable touches but whose bounds exclude 0 cannot hold: keep it, on a variable
    # fixed at zero, so that HiGHS reports the infeasibility and diagnosis can name the row
    anchor = pyo.Var(initialize=0.0)
    model.add_component(family_named("<row>_anchor").component(row=name), anchor)
    anchor.fix(0.0)

    def rule(_, i):
        a, b = starts[i], starts[i + 1]
        if a == b:
            if (lo[i] or 0.0) <= 0.0 <= (hi[i] if hi[i] is not None else 0.0):
                return pyo.Constraint.Skip
            return (lo[i], linear_expression([anchor], [1.0]), hi[i])
        return (lo[i], linear_expression(objects[a:b], coefs[a:b]), hi[i])

    model.add_component(name, pyo.Constraint(range(n_rows), rule=rule))
