"""Re-solving a model already in HiGHS for changed data, without rebuilding it.

The changed instance is formulated dry (numbers only, no Pyomo objects: build_model(dry=True))
and compared with the model in HiGHS. When the two have the same variables and the same
constraint matrix, and differ only in objective coefficients, variable bounds or right-hand
sides, those differences are written straight into HiGHS (changeColsCost, changeColsBounds,
changeRowsBounds) and the model is solved again from where it was: an LP from its last basis,
a MIP from its last solution as a start. Fixed variables (imposed decisions) are no columns:
their part of a row moves into its bounds and their costs into the objective's offset, and both
follow the changed numbers. Anything else (a new variable, a changed coefficient in a row, an
objective with auxiliary variables, a model not handed over as arrays) is reported as not
updatable, and the caller rebuilds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import highspy
import numpy as np

from planner.formulation.build import PlanningModel, build_model
from planner.formulation.decisions import Decisions, apply_decisions
from planner.formulation.rows import specs_of
from planner.solve.duals import integer_columns
from planner.solve.highs import HighsSession, Solution, SolveOptions
from planner.solve.matrix import objective_costs, used

INDEX_FRAMES = ("build", "act", "flow", "buy", "short", "dispose")
# the columns that name a variable's element (the others hold data: bounds, multipliers)
KEYS = ("facility", "offer", "link", "region", "commodity", "product", "year", "scenario")


@dataclass
class Update:
    """The differences written into HiGHS: columns whose cost or bounds changed, rows whose
    bounds changed. `tightened`: no bound moved outwards, so every plan of the new model was a
    plan of the old one; `cost_floor`: the least that HiGHS's objective (offset included) of any
    plan of the new model can have changed, -inf when a cost fell on an unbounded column."""

    costs: int = 0
    col_bounds: int = 0
    row_bounds: int = 0
    tightened: bool = True
    cost_floor: float = 0.0


def _same_structure(base: PlanningModel, new: PlanningModel) -> bool:
    a, b = specs_of(base.model), specs_of(new.model)
    if a.vars.keys() != b.vars.keys() or a.rows.keys() != b.rows.keys():
        return False
    if any(a.vars[k][0] != b.vars[k][0] or a.vars[k][2] != b.vars[k][2] for k in a.vars):
        return False
    for name in INDEX_FRAMES:
        fa, fb = base.frames.get(name), new.frames.get(name)
        if (fa is None) != (fb is None):
            return False
        if fa is not None:
            keys = [k for k in KEYS if k in fa.columns]
            if keys != [k for k in KEYS if k in fb.columns] or not fa[keys].equals(fb[keys]):
                return False
    for name, (ta, la, _) in a.rows.items():
        tb, lb, _ = b.rows[name]
        if len(la) != len(lb) or not ta.equals(tb):
            return False
    objective_a, objective_b = base.objective, new.objective
    return not objective_a.extra and not objective_b.extra


def _changed(a: np.ndarray | None, b: np.ndarray | None, n: int) -> np.ndarray:
    a = np.full(n, np.nan) if a is None else a
    b = np.full(n, np.nan) if b is None else b
    return np.flatnonzero(~((a == b) | (np.isnan(a) & np.isnan(b))))


def _bound(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), highspy.kHighsInf, values)


def update_in_place(session: HighsSession, base: PlanningModel,
                    new: PlanningModel) -> Update | None:
    """Write into `session` (which holds `base`) what differs in `new` (a dry build of the
    changed instance); None when `new` is not `base` with other numbers."""
    layout = getattr(session.route, "layout", None)  # the arrays hand-over's (handover.py)
    if layout is None or not _same_structure(base, new):
        return None
    wanted = used(layout, [], new.objective.coefs)
    if any((wanted[name] & ~f.fixed & (f.col < 0)).any() for name, f in layout.families.items()):
        return None  # a variable that was in no row and had no cost now has one
    highs, cols, rows = session.highs, session.column_map(), session.row_map()
    a, b = specs_of(base.model), specs_of(new.model)
    update = Update()
    for family, (n, _, _) in a.vars.items():
        changed = _changed(a.vars[family][1], b.vars[family][1], n)
        where = cols[family][changed]
        keep = where >= 0
        if keep.any():
            upper = b.vars[family][1]
            update.tightened &= _within(a.vars[family][1], upper, changed)
            highs.changeColsBounds(int(keep.sum()), where[keep].astype(np.int32),
                                   np.zeros(int(keep.sum())),
                                   _bound(upper[changed][keep]) if upper is not None else
                                   np.full(int(keep.sum()), highspy.kHighsInf))
            update.col_bounds += int(keep.sum())
    for name, (_, lower_a, upper_a) in a.rows.items():
        _, lower_b, upper_b = b.rows[name]
        changed = np.union1d(_changed(lower_a, lower_b, len(lower_a)),
                             _changed(upper_a, upper_b, len(upper_a)))
        if not len(changed):
            continue
        where = rows.get(name, np.full(len(lower_a), -1))[changed]
        if (where < 0).any():
            # a row that was empty and left out: fine only while 0 still satisfies it
            lo, hi = lower_b[changed][where < 0], upper_b[changed][where < 0]
            if np.any(np.nan_to_num(lo, nan=-np.inf) > 0) or np.any(
                    np.nan_to_num(hi, nan=np.inf) < 0):
                return None
        update.tightened &= _within(upper_a, upper_b, changed) and _within(
            -lower_a, -lower_b, changed)
        keep = where >= 0
        if keep.any():
            # HiGHS holds the bounds less what the row's fixed variables contribute
            shift = layout.shift[name][changed][keep]
            lo = np.where(np.isnan(lower_b[changed][keep]), -highspy.kHighsInf,
                          lower_b[changed][keep] - shift)
            highs.changeRowsBounds(int(keep.sum()), where[keep].astype(np.int32), lo,
                                   _bound(upper_b[changed][keep] - shift))
            update.row_bounds += int(keep.sum())
    # costs of the columns, and of the fixed variables (the offset)
    old_cost, old_offset = objective_costs(layout, base.objective.coefs)
    cost, offset = objective_costs(layout, new.objective.coefs)
    changed = np.flatnonzero(old_cost != cost)
    if len(changed):
        highs.changeColsCost(len(changed), changed.astype(np.int32), cost[changed])
        update.costs += len(changed)
    if offset != old_offset:
        highs.changeObjectiveOffset(offset)
    fall = cost[changed] - old_cost[changed]
    fell = changed[fall < 0].astype(np.int32)
    upper = highs.getCols(len(fell), fell)[4] if len(fell) else np.zeros(0)
    update.cost_floor = (offset - old_offset + float(np.dot(fall[fall < 0], upper))
                         if np.all(np.isfinite(upper)) else -np.inf)
    return update


def _within(old: np.ndarray | None, new: np.ndarray | None, changed: np.ndarray) -> bool:
    """Whether the upper bounds `new` (nan or None: none) are nowhere above `old` at
    `changed`."""
    def at(values):
        return highspy.kHighsInf if values is None else _bound(values[changed])

    return bool(np.all(at(new) <= at(old)))


class Resolver:
    """One model built and handed to HiGHS, re-solved for each changed instance it can be
    updated into, rebuilt for the others. `rebuilt` and `updated` count how each solve went,
    `carried` how many updated MIPs kept the last plan without a search (`carry`)."""

    def __init__(self, options: SolveOptions):
        self.options = options
        self.session: HighsSession | None = None  # holds the Pyomo model it was built from
        self.current: PlanningModel | None = None  # the numbers HiGHS holds now
        self.last: Solution | None = None
        self.mip = False
        self.rebuilt = self.updated = self.carried = 0

    def solve(self, instance, decisions: Decisions = Decisions()
              ) -> tuple[PlanningModel, Solution, dict]:
        """(the model to read the solution with, the solution, timings) for `instance` with
        `decisions` imposed (the same for every instance this resolver sees: fixed variables
        stay out of HiGHS, so updates pass them by)."""
        start = time.perf_counter()
        update = None
        if self.session is not None:  # the first solve has nothing to update: build at once
            new = build_model(instance, dry=True)
            update = update_in_place(self.session, self.current, new)
        if update is None:
            new = build_model(instance)
            apply_decisions(new, decisions)
            self.session = HighsSession(new, self.options)
            self.last, self.rebuilt = None, self.rebuilt + 1
            # an LP restarts from its basis, which HiGHS keeps; a MIP from the last solution
            self.mip = any(k != highspy.HighsVarType.kContinuous
                           for k in self.session.highs.getLp().integrality_)
        else:
            self.updated += 1
        self.current = new
        built = time.perf_counter()
        solution = self.carry(update) if update and self.mip else None
        if solution is None:
            solution = self.session.solve(start_from=self.last if self.mip else None)
        else:
            self.carried += 1
        if solution.has_solution:
            self.last = solution
            shift = new.objective_constant - self.session.pm.objective_constant
            solution = replace(solution, objective=solution.objective + shift,
                               bound=None if solution.bound is None else solution.bound + shift)
        timings = {"build_s": built - start,
                   "handover_s": 0.0 if update else self.session.handover_s,
                   "in_place": update is not None, "carried": solution.termination == CARRIED}
        return new, solution, timings

    def carry(self, update: Update) -> Solution | None:
        """The last plan as the solution of the updated model, without a search, when it proves
        itself within the MIP gap: it is still feasible, and its new objective is within the gap
        of a bound on the new optimum, the last bound moved by the least the change can do (the
        change only tightened bounds, so the new optimum is at least the old one plus the
        cost_floor). None when it does not."""
        last, highs = self.last, self.session.highs
        if last is None or last.col_value is None or last.bound is None or \
                not update.tightened or not np.isfinite(update.cost_floor):
            return None
        x = last.col_value
        lp = highs.getLp()
        if not feasible(lp, x):
            return None
        objective = float(np.dot(lp.col_cost_, x)) + lp.offset_
        bound = last.bound - self.session.pm.objective_constant + update.cost_floor
        if objective - bound > self.options.mip_gap * max(abs(objective), 1e-9):
            return None
        return self.session.accept(x, objective, min(bound, objective), CARRIED)


CARRIED = "the last plan, within the gap of the last bound"


def feasible(lp: highspy.HighsLp, x: np.ndarray, tolerance: float = 1e-6) -> bool:
    """Whether column values `x` satisfy the bounds, rows and integrality of `lp`, within
    `tolerance` (absolute, relative above 1)."""
    def inside(value, lower, upper):
        slack = tolerance * np.maximum(1.0, np.abs(value))
        return bool(np.all((value >= lower - slack) & (value <= upper + slack)))

    a = lp.a_matrix_
    starts = np.asarray(a.start_)
    if a.format_ != highspy.MatrixFormat.kColwise or len(x) != lp.num_col_:
        return False
    column = np.repeat(np.arange(lp.num_col_), np.diff(starts))
    activity = np.bincount(np.asarray(a.index_), weights=np.asarray(a.value_) * x[column],
                           minlength=lp.num_row_)
    integer, _ = integer_columns(lp)
    return inside(x, np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)) and inside(
        activity, np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)) and bool(
        np.all(np.abs(x[integer] - np.round(x[integer])) <= tolerance))
