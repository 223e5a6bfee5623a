"""Two ways to hand a built model to HiGHS in memory, with the same model as the result.

  ArrayHandover  (the default) HiGHS's arrays straight from the numbers the formulation
                 recorded (planner.solve.matrix), passed in one passModel call; only what is
                 added later, and constraints made in Pyomo alone (a decision's module total, a
                 limit on a measure), are read from their Pyomo expressions
  PyomoHandover  Pyomo's contrib persistent HiGHS interface (set_instance), which walks every
                 Pyomo expression (made for it: pyomo_rows, pyomo_objective): kept to check
                 the arrays against

Both keep the model in HiGHS up to date as the Pyomo model changes: `add_constraints` (new
rows, and any variables they bring), `set_objective` (pm.objective, the Linear that the Pyomo
objective is made from), `update_parameters` (mutable parameters in the bounds of rows added
in Pyomo). Both say where each variable and row went: `column_map` (per variable family, the
HiGHS column of each frame position, -1 for a fixed or unused variable), `family_rows` (per row
family, the HiGHS row of each row, -1 for none, before row_alias) and `constraint_row`.
"""

from __future__ import annotations

from collections.abc import Iterable

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.core.expr.numvalue import is_constant
from pyomo.repn import generate_standard_repn

from planner.formulation.build import PlanningModel
from planner.formulation.measures import pyomo_objective
from planner.formulation.rows import pyomo_rows, specs_of
from planner.solve.matrix import (
    INF,
    Block,
    Layout,
    column_wise,
    concatenated,
    objective_costs,
    place_columns,
    row_wise,
    specs_blocks,
    used,
    variable_family,
)

COLWISE, MINIMIZE = 1, 1  # highspy's MatrixFormat.kColwise and ObjSense.kMinimize


class ArrayHandover:
    """The model handed to HiGHS as arrays (module docstring)."""

    def __init__(self, pm: PlanningModel):
        self.pm = pm
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.layout = Layout()
        self._components: dict[int, str] = {}  # id(Pyomo Var component) -> variable family
        self._loose: dict[int, tuple[object, int]] = {}  # id(var) -> (var, column): no family
        self._constraints: dict[object, int] = {}  # constraint made in Pyomo alone -> row
        self._mutable: list[tuple[int, object, object]] = []  # (row, lower, upper) expressions
        self._pending: list[Block] = []  # columns given numbers but not yet in HiGHS
        self._register_families()
        specs = specs_of(pm.model)
        names = self._new_row_families()
        block = specs_blocks(self.layout, specs, names, pm.objective.coefs)
        start, index, value = column_wise(self.layout.num_col, block.entry_row,
                                          block.entry_col, block.entry_value)
        self.highs.passModel(
            self.layout.num_col, self.layout.num_row, len(value), COLWISE, MINIMIZE, 0.0,
            np.zeros(self.layout.num_col), block.col_lower, block.col_upper, block.row_lower,
            block.row_upper, start, index, value, block.col_integer.astype(np.int32))
        self.add_constraints(self._pyomo_only())
        self.set_objective()

    # --- what the Pyomo model holds beyond the handed-over numbers ------------------------------

    def _register_families(self) -> None:
        specs = specs_of(self.pm.model)
        for name, objects in self.pm.variables.items():
            if name not in self.layout.families:
                self.layout.families[name] = variable_family(
                    objects, specs.vars.get(name), specs.alias.get(name))
                if len(objects):
                    self._components[id(objects[0].parent_component())] = name

    def _new_row_families(self) -> list[str]:
        """Row families in the specs not yet in HiGHS."""
        return [name for name in specs_of(self.pm.model).rows if name not in self.layout.rows]

    def _pyomo_only(self) -> list:
        """The active constraints of the model that no row family describes."""
        model, specs = self.pm.model, specs_of(self.pm.model)
        out = []
        for component in model.component_objects(pyo.Constraint, active=True):
            if component.parent_block() is model and component.local_name in specs.rows:
                continue
            out += [con for con in component.values() if con.active]
        return out

    def _sync(self) -> None:
        """Hand over the variable and row families added to the model since (a measure's
        auxiliary variables and rows, made the first time the measure is asked for)."""
        self._register_families()
        names = self._new_row_families()
        if names:
            first = self.layout.num_row
            block = specs_blocks(self.layout, specs_of(self.pm.model), names, {})
            self._pending.append(block)
            self._flush_columns()
            self._add_rows(first, block)

    # --- columns ----------------------------------------------------------------------------------

    def _column(self, var) -> int:
        """The HiGHS column of an unfixed Pyomo variable, given one now if it has none."""
        name = self._components.get(id(var.parent_component()))
        if name is not None:
            family = self.layout.families[name]
            j = var.index() or 0  # a family's variables are indexed 0, 1, ... (a single: None)
            if family.col[j] < 0:
                family.fixed[j] = False
                family.col[j] = self._new_column(family.lower[j], family.upper[j],
                                                 bool(family.integer[j]))
            return int(family.col[j])
        if id(var) not in self._loose:
            column = self._new_column(-INF if var.lb is None else var.lb,
                                      INF if var.ub is None else var.ub, var.is_integer())
            self._loose[id(var)] = (var, column)
        return self._loose[id(var)][1]

    def _new_column(self, lower: float, upper: float, integer: bool) -> int:
        """Number a new column (added to HiGHS at the next flush)."""
        column = self.layout.num_col
        self.layout.num_col += 1
        none, index = np.zeros(0), np.zeros(0, np.int64)
        self._pending.append(Block(np.array([lower], dtype=float), np.array([upper], dtype=float),
                                   np.array([integer]), none, none, index, index, none))
        return column

    def _flush_columns(self) -> None:
        """Add the columns numbered since the last flush to HiGHS."""
        if not self._pending:
            return
        block, self._pending = concatenated(self._pending), []
        n = len(block.col_lower)
        if n:
            first = self.highs.getNumCol()
            self.highs.addVars(n, block.col_lower, block.col_upper)
            integer = np.flatnonzero(block.col_integer).astype(np.int32)
            if len(integer):
                self.highs.changeColsIntegrality(
                    len(integer), integer + first,
                    np.full(len(integer), int(highspy.HighsVarType.kInteger), np.uint8))

    def _add_rows(self, first: int, block: Block) -> None:
        n = len(block.row_lower)
        start, index, value = row_wise(first, n, block.entry_row, block.entry_col,
                                       block.entry_value)
        self.highs.addRows(n, block.row_lower, block.row_upper, len(value), start, index, value)

    # --- changes after the hand-over ----------------------------------------------------------

    def add_constraints(self, constraints: Iterable) -> None:
        """Rows for Pyomo constraints (linear; their fixed variables are constants)."""
        self._sync()
        lower, upper, rows, cols, values = [], [], [], [], []
        first = self.layout.num_row
        for con in constraints:
            repn = generate_standard_repn(con.body, quadratic=False, compute_values=False)
            if repn.nonlinear_expr is not None:
                raise ValueError(f"constraint {con.name} is not linear")
            row = self.layout.num_row
            self.layout.num_row += 1
            self._constraints[con] = row
            for coef, var in zip(repn.linear_coefs, repn.linear_vars):
                rows.append(row)
                cols.append(self._column(var))
                values.append(pyo.value(coef))
            low = con.lower - repn.constant if con.has_lb() else None
            high = con.upper - repn.constant if con.has_ub() else None
            if not (is_constant(low) and is_constant(high)):
                self._mutable.append((row, low, high))
            lower.append(-INF if low is None else pyo.value(low))
            upper.append(INF if high is None else pyo.value(high))
        self._flush_columns()
        if lower:
            self._add_rows(first, Block(
                np.zeros(0), np.zeros(0), np.zeros(0, bool), np.array(lower, dtype=float),
                np.array(upper, dtype=float), np.array(rows, dtype=np.int64),
                np.array(cols, dtype=np.int64), np.array(values, dtype=float)))

    def set_objective(self) -> None:
        """Minimise pm.objective (without its constant): every column's cost is set."""
        self._sync()
        objective = self.pm.objective
        self._pending.append(place_columns(self.layout, used(self.layout, [], objective.coefs)))
        extra = [(self._column(var), c) for var, c in objective.extra if not var.fixed]
        offset = sum(c * float(var.value) for var, c in objective.extra if var.fixed)
        self._flush_columns()
        cost, fixed = objective_costs(self.layout, objective.coefs)
        for column, c in extra:
            cost[column] += c
        n = self.layout.num_col
        self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        self.highs.changeObjectiveOffset(fixed + offset)

    def update_parameters(self) -> None:
        """Row bounds that hold mutable parameters, evaluated again."""
        if not self._mutable:
            return
        rows = np.array([row for row, _, _ in self._mutable], dtype=np.int32)
        lower = np.array([-INF if e is None else pyo.value(e) for _, e, _ in self._mutable])
        upper = np.array([INF if e is None else pyo.value(e) for _, _, e in self._mutable])
        self.highs.changeRowsBounds(len(rows), rows, lower, upper)

    # --- where things are ----------------------------------------------------------------------

    def column_map(self) -> dict[str, np.ndarray]:
        return {name: self.layout.families[name].columns() for name in self.pm.variables}

    def fixed(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(whether fixed, the fixed value) per frame position of variable family `name`."""
        family = self.layout.families[name]
        return family.fixed[family.var], family.value[family.var]

    def family_rows(self, name: str) -> np.ndarray | None:
        return self.layout.rows.get(name)

    def constraint_row(self, con) -> int:
        """The HiGHS row of a Pyomo constraint (-1: none)."""
        component = con.parent_component()
        rows = self.layout.rows.get(component.local_name)
        if rows is not None and component.parent_block() is self.pm.model:
            return int(rows[con.index()])
        return self._constraints.get(con, -1)

    def variable_column(self, var) -> int:
        """The HiGHS column of a Pyomo variable (-1: none)."""
        name = self._components.get(id(var.parent_component()))
        if name is not None:
            return int(self.layout.families[name].col[var.index() or 0])
        return self._loose.get(id(var), (None, -1))[1]


class PyomoHandover:
    """The model handed to HiGHS by Pyomo's contrib persistent interface (set_instance)."""

    def __init__(self, pm: PlanningModel):
        self.pm = pm
        pyomo_rows(pm.model)
        pyomo_objective(pm)
        self.opt = SolverFactory("highs")
        self.opt.set_instance(pm.model)
        self.highs: highspy.Highs = self.opt._solver_model

    def add_constraints(self, constraints: Iterable) -> None:
        self.opt.add_constraints(list(constraints))

    def set_objective(self) -> None:
        self.opt.set_objective(pyomo_objective(self.pm))

    def update_parameters(self) -> None:
        self.opt.update_parameters()

    def column_map(self) -> dict[str, np.ndarray]:
        var_map = self.opt._pyomo_var_to_solver_var_map
        return {family: np.fromiter((var_map.get(id(v), -1) for v in objects), dtype=np.int64,
                                    count=len(objects))
                for family, objects in self.pm.variables.items()}

    def fixed(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        objects = self.pm.variables[name]
        mask = np.fromiter((v.fixed for v in objects), dtype=bool, count=len(objects))
        values = np.zeros(len(objects))
        values[mask] = [v.value for v in objects[mask]]
        return mask, values

    def family_rows(self, name: str) -> np.ndarray | None:
        component = self.pm.model.component(name)
        if component is None:
            return None
        con_map = self.opt._pyomo_con_to_solver_con_map
        found = np.full(len(self.pm.frames[name]), -1, dtype=np.int64)
        for i, con in component.items():
            found[i] = con_map.get(con, -1)
        return found

    def constraint_row(self, con) -> int:
        return self.opt._pyomo_con_to_solver_con_map.get(con, -1)

    def variable_column(self, var) -> int:
        return self.opt._pyomo_var_to_solver_var_map.get(id(var), -1)


HANDOVERS = {"arrays": ArrayHandover, "pyomo": PyomoHandover}
