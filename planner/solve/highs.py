"""HiGHS: hand-over, solve and read-back, timed apart.

The model goes to HiGHS in memory (no files), by default as arrays made from the numbers the
formulation recorded (planner.solve.handover). Values are read back as numpy arrays straight
from the HiGHS solution, one array per variable family, in the order of the family's index frame.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum

import highspy
import numpy as np

from planner.data.instance import OBJECTIVES
from planner.formulation.build import PlanningModel
from planner.formulation.families import family_named, names
from planner.formulation.rows import alias_shares, specs_of
from planner.request import SolveOptions
from planner.solve.handover import HANDOVERS

# the row families of every built model (balance, capacity, build_limit, policy): their HiGHS
# rows are recorded, each described by pm.frames[name]; and the measure bounds
ROW_FAMILIES = tuple(names(when="model", kind="row"))
BOUND = family_named("bound_<measure>")


class Status(StrEnum):
    optimal = "optimal"
    time_limit = "time_limit"
    infeasible = "infeasible"
    unbounded = "unbounded"
    error = "error"


@dataclass
class Solution:
    status: Status
    termination: str
    has_solution: bool
    objective: float | None = None
    bound: float | None = None
    mip_gap: float | None = None
    values: dict[str, np.ndarray] = field(default_factory=dict)
    handover_s: float = 0.0
    solve_s: float = 0.0
    readback_s: float = 0.0
    stats: dict[str, int] = field(default_factory=dict)
    highs: object = None  # the highspy.Highs holding the model, for diagnosis and duals
    # HiGHS row of each constraint of ROW_FAMILIES (-1: none), in their frames' order, and of
    # each measure bound `bound_<measure>` (an array of one)
    rows: dict[str, np.ndarray] = field(default_factory=dict)
    # HiGHS column of each variable of a family (-1: fixed, so not in HiGHS), in frame order
    cols: dict[str, np.ndarray] = field(default_factory=dict)
    col_value: np.ndarray | None = None  # HiGHS's column values (a start for re-solves)
    # a scenario tree shares one column or row among the scenarios of a node: each frame
    # position's part of its dual (planner.formulation.rows.alias_shares; 1 when not shared)
    col_share: dict[str, np.ndarray] = field(default_factory=dict)
    row_share: dict[str, np.ndarray] = field(default_factory=dict)


STATUS = {
    highspy.HighsModelStatus.kOptimal: Status.optimal,
    highspy.HighsModelStatus.kTimeLimit: Status.time_limit,
    highspy.HighsModelStatus.kInfeasible: Status.infeasible,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: Status.infeasible,
    highspy.HighsModelStatus.kUnbounded: Status.unbounded,
}


class HighsSession:
    """One model handed to HiGHS once, solved as often as needed.

    Between solves the Pyomo model may gain constraints or change its objective or mutable
    parameters; tell the session (`add_constraints`, `set_objective`, `update_parameters`) and
    only those changes are pushed to the in-memory HiGHS model.
    """

    def __init__(self, pm: PlanningModel, options: SolveOptions = SolveOptions(),
                 handover: str = "arrays"):
        """`handover`: "arrays" (from the formulation's numbers) or "pyomo" (Pyomo's
        persistent interface, which walks every expression); both give HiGHS the same model."""
        self.pm, self.options = pm, options
        start = time.perf_counter()
        self.route = HANDOVERS[handover](pm)
        self.handover_s = time.perf_counter() - start
        self.highs: highspy.Highs = self.route.highs  # the in-memory HiGHS model
        self._configure()

    def _configure(self) -> None:
        o = self.options
        settings = {"mip_rel_gap": o.mip_gap, "output_flag": o.log}
        if o.time_limit is not None:
            settings["time_limit"] = float(o.time_limit)
        if o.threads:
            settings["threads"] = int(o.threads)
            # HiGHS's thread pool is process-wide: restart it so a new thread count takes effect
            highspy.Highs.resetGlobalScheduler(True)
        if o.seed is not None:
            settings["random_seed"] = int(o.seed)
        for key, value in settings.items():
            self.highs.setOptionValue(key, value)

    def add_constraints(self, constraints) -> None:
        self.route.add_constraints(constraints)

    def set_objective(self) -> None:
        self.route.set_objective()

    def update_parameters(self) -> None:
        self.route.update_parameters()

    def _run(self) -> None:
        self.highs.HandleKeyboardInterrupt = True  # Ctrl-C cancels the solve promptly
        self.highs.solve()
        if self.highs.getModelStatus() == highspy.HighsModelStatus.kInterrupt:
            raise KeyboardInterrupt

    def _consistent(self) -> bool:
        """Whether the solution HiGHS holds has the objective value it reports."""
        highs = self.highs
        if highs.getInfo().primal_solution_status != 2:
            return True
        lp = highs.getLp()
        value = float(np.dot(lp.col_cost_, highs.getSolution().col_value)) + lp.offset_
        reported = highs.getInfo().objective_function_value
        return abs(value - reported) <= 1e-7 * max(1.0, abs(reported))

    def column_map(self) -> dict[str, np.ndarray]:
        """The HiGHS column of each variable of every family (-1: fixed, so not in HiGHS, or
        in no row and not in the objective)."""
        return self.route.column_map()

    def row_map(self) -> dict[str, np.ndarray]:
        """The HiGHS row of each constraint of ROW_FAMILIES (-1: none, e.g. an empty row; a
        row added once for a node: the row that stands for it) and of each measure bound
        `bound_<measure>` (an array of one)."""
        pm = self.pm
        row_alias = specs_of(pm.model).row_alias
        rows = {}
        for name in ROW_FAMILIES:
            found = self.route.family_rows(name)
            if found is None:
                found = np.full(len(pm.frames[name]), -1, dtype=np.int64)
            rows[name] = found[row_alias[name]] if name in row_alias else found
        for measure in OBJECTIVES:
            bound = BOUND.component(measure=measure)
            component = pm.model.component(bound)
            if component is not None:
                rows[bound] = np.array([self.route.constraint_row(component)])
        return rows

    def solve(self, start_from: Solution | None = None,
              partial: dict[str, np.ndarray] | None = None) -> Solution:
        """Solve; `start_from` (an earlier solution of this session) is offered to HiGHS as a
        MIP start, so a re-solve that it still satisfies has an incumbent at once. Without
        it, `partial` (family -> value of each variable, e.g. planner.formulation.start) is
        offered for those columns only, and HiGHS completes the others."""
        highs = self.highs
        started = start_from is not None and start_from.col_value is not None
        if started:
            n = highs.getNumCol()
            values = np.zeros(n)
            values[:min(n, len(start_from.col_value))] = start_from.col_value[:n]
            highs.setSolution(n, np.arange(n, dtype=np.int32), values)
        elif partial:
            started = self._offer(partial)
        start = time.perf_counter()
        self._run()
        if started and not self._consistent():
            # HiGHS can keep a MIP start that looked better in its presolved space than it is
            # (its reported objective then disagrees with the solution; HiGHS issue #2439):
            # solve again from scratch
            highs.clearSolver()
            self._run()
        solve_s = time.perf_counter() - start

        start = time.perf_counter()
        info = highs.getInfo()
        status = STATUS.get(highs.getModelStatus(), Status.error)
        has_solution = info.primal_solution_status == 2
        solution = self._read(status, highs.modelStatusToString(highs.getModelStatus()),
                              np.asarray(highs.getSolution().col_value) if has_solution else None,
                              info.objective_function_value, info.mip_dual_bound,
                              float(info.mip_gap))
        solution.solve_s = solve_s
        solution.readback_s = time.perf_counter() - start
        return solution

    def _offer(self, partial: dict[str, np.ndarray]) -> bool:
        """Offer the columns of `partial` to HiGHS as a partial MIP start (one value per column:
        the first of the variables that share it); whether any column was offered."""
        columns = self.column_map()
        cols = np.concatenate([columns[f] for f in partial])
        values = np.concatenate([np.asarray(v, dtype=float) for v in partial.values()])
        cols, first = np.unique(cols, return_index=True)
        keep = cols >= 0
        if not keep.any():
            return False
        self.highs.setSolution(int(keep.sum()), cols[keep].astype(np.int32),
                               values[first][keep])
        return True

    def accept(self, col_value: np.ndarray, objective: float, bound: float,
               termination: str) -> Solution:
        """A solution found without a search (HiGHS's objective `objective` and dual bound
        `bound`, both without the model's constant), read back as `solve` reads HiGHS's own
        and offered to HiGHS as its current solution (for duals and the next start)."""
        start = time.perf_counter()
        n = len(col_value)
        self.highs.setSolution(n, np.arange(n, dtype=np.int32), col_value)
        gap = (objective - bound) / max(abs(objective), 1e-9)
        solution = self._read(Status.optimal, termination, col_value, objective, bound,
                              max(gap, 0.0))
        solution.readback_s = time.perf_counter() - start
        return solution

    def _read(self, status: Status, termination: str, col_value: np.ndarray | None,
              objective: float, bound: float, gap: float) -> Solution:
        """The Solution of HiGHS column values `col_value` (None: no solution), with HiGHS's
        objective, dual bound and relative gap."""
        pm = self.pm
        solution = Solution(status=status, termination=termination,
                            has_solution=col_value is not None, handover_s=self.handover_s,
                            highs=self.highs)
        solution.rows, solution.cols = self.row_map(), self.column_map()
        solution.col_share, solution.row_share = shares(pm)
        integers = integer_variables(pm)
        if col_value is not None:
            solution.col_value = col_value
            for family, objects in pm.variables.items():
                cols = solution.cols[family]
                values = np.where(cols >= 0, col_value[np.maximum(cols, 0)], 0.0)
                # fixed variables are not in HiGHS: they keep their fixed value
                fixed, fixed_values = self.route.fixed(family)
                values[fixed] = fixed_values[fixed]
                if len(objects) and objects[0].is_integer():
                    values = np.round(values)
                solution.values[family] = np.maximum(values, 0.0)
            solution.objective = objective + pm.objective_constant
            is_mip = not all(v.fixed for v in integers)
            solution.bound = (bound + pm.objective_constant) if is_mip else solution.objective
            solution.mip_gap = gap if is_mip else 0.0
            if status == Status.optimal and solution.mip_gap > 1e20:
                solution.mip_gap = 0.0
        highs = self.highs
        solution.stats = {
            "variables": int(highs.getNumCol()),
            "integer_variables": len(integers),
            "constraints": int(highs.getNumRow()), "nonzeros": int(highs.getNumNz()),
        }
        return solution


def integer_variables(pm: PlanningModel) -> list:
    """The distinct Pyomo variables of the integer families (fixed ones included)."""
    found: dict[int, object] = {}
    for objects in pm.variables.values():
        if len(objects) and objects[0].is_integer():
            found.update((id(v), v) for v in objects)
    return list(found.values())


def shares(pm: PlanningModel) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(per variable family, per row family) each frame position's part of the dual of the
    column or row it shares with the other scenarios of its node, by probability."""
    specs = specs_of(pm.model)
    probability = pm.sets.scenarios.set_index("scenario")["probability"]

    def weights(frame):
        if "scenario" not in frame:
            return np.ones(len(frame))
        return probability.reindex(frame["scenario"]).fillna(1.0).to_numpy()

    cols = {f: alias_shares(a, weights(pm.frames[f])) for f, a in specs.alias.items()
            if f in pm.frames}
    rows = {r: alias_shares(a, weights(pm.frames[r])) for r, a in specs.row_alias.items()
            if r in pm.frames}
    return cols, rows


def solve(pm: PlanningModel, options: SolveOptions = SolveOptions(),
          handover: str = "arrays") -> Solution:
    """Hand `pm` to HiGHS (HighsSession's `handover`) and solve it once."""
    return HighsSession(pm, options, handover).solve()
