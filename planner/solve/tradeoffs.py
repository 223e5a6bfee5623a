"""Several objectives: lexicographic optimisation, the payoff table, normalised weights, and the
Pareto front by the augmented epsilon-constraint method (AUGMECON2, Mavrotas and Florios 2013).

All of it re-solves one built model through one HiGHS session: objectives are swapped and the
epsilon bounds are mutable parameters, so only those changes reach HiGHS between points. The
rows, parameters and slacks added here are families of planner.formulation.families (stages
`limits` and `pareto`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo

from planner.errors import PlannerError
from planner.formulation.build import BUILD_FAMILIES, PlanningModel
from planner.formulation.families import Family, family_named
from planner.formulation.measures import Linear, measure, objective_of, set_objective
from planner.solve.highs import HighsSession, Solution, SolveOptions, Status

BOUND = family_named("bound_<measure>")
BOUND_VALUE = family_named("bound_<measure>_value")
SLACK = family_named("augmecon_slack_<measure>")
EPSILON = family_named("epsilon_<measure>")
EPSILON_VALUE = family_named("epsilon_<measure>_value")


class TradeoffError(PlannerError):
    """A step of a multi-objective run found no solution (reported as a plain message)."""


@dataclass(frozen=True)
class UnmetLimit:
    """A limit `measure <= limit` that cannot be met: `least` is the least value the measure
    reaches with every limit released."""

    measure: str
    limit: float
    least: float


@dataclass
class Optimiser:
    """A model and its HiGHS session, with objectives that can be bounded and swapped."""

    pm: PlanningModel
    options: SolveOptions
    session: HighsSession | None = None
    bounds: dict[str, pyo.Param] = field(default_factory=dict)
    handover_s: float = 0.0
    solves: list[dict] = field(default_factory=list)  # each solve's seconds, status and gap
    start: dict | None = None  # builds the first solve starts from (a partial MIP start)
    last: Solution | None = None

    def objective(self, linear: Linear) -> None:
        set_objective(self.pm, linear)
        if self.session is not None:
            self.session.set_objective()

    def upper_bound(self, rows: Family, values: Family, name: str, linear: Linear,
                    upper: float) -> pyo.Param:
        """`linear` <= upper as the row of family `rows` for measure `name`, its right-hand
        side (upper less the constant of `linear`) the mutable parameter of family `values`;
        handed to HiGHS at once when the session exists. Returns the parameter."""
        m = self.pm.model
        param = pyo.Param(mutable=True, initialize=upper - linear.constant)
        m.add_component(values.component(measure=name), param)
        constraint = pyo.Constraint(expr=linear.expression(self.pm) <= param)
        m.add_component(rows.component(measure=name), constraint)
        if self.session is not None:
            self.session.add_constraints([constraint])
        return param

    def bound(self, name: str, upper: float) -> None:
        """measure `name` <= upper (a mutable bound: later calls only move it)."""
        if name not in self.bounds:
            self.bounds[name] = self.upper_bound(BOUND, BOUND_VALUE, name,
                                                 measure(self.pm, name), upper)
            return
        self.bounds[name].set_value(upper - measure(self.pm, name).constant)
        if self.session is not None:
            self.session.update_parameters()

    def release(self, name: str) -> None:
        if name in self.bounds:
            self.bound(name, 1e20)

    def solve(self) -> Solution:
        """Solve, offering the previous solution as a MIP start (before the first, the builds
        of `start`, which HiGHS completes by LP)."""
        if self.session is None:
            self.session = HighsSession(self.pm, self.options)
            self.handover_s = self.session.handover_s
        solution = self.session.solve(start_from=self.last,
                                      partial=None if self.last else self.start)
        self.solves.append({"solve_s": round(solution.solve_s, 3), "status": solution.status.value,
                            "mip_gap": solution.mip_gap})
        if solution.has_solution:
            self.last = solution
        return solution

    def builds(self) -> dict | None:
        """The builds of the last plan found (a `start` for another Optimiser), or None."""
        return None if self.last is None else {f: self.last.values[f] for f in BUILD_FAMILIES}

    def value(self, name: str, solution: Solution) -> float:
        return measure(self.pm, name).value(self.pm, solution.values)


def usable(solution: Solution) -> bool:
    """Optimal, or stopped by the time limit with an incumbent (its gap is reported)."""
    return solution.has_solution and solution.status in (Status.optimal, Status.time_limit)


def _require(solution: Solution, what: str) -> Solution:
    if not usable(solution):
        raise TradeoffError(f"{what}: {solution.status.value} ({solution.termination})")
    return solution


def lexicographic(opt: Optimiser, order: list[str], tolerance: float = 1e-6,
                  release: bool = True) -> Solution:
    """Minimise order[0]; then order[1] with order[0] held within `tolerance` (relative) of its
    optimum; and so on. Bounds added here are released afterwards, unless `release` is false:
    then the session still holds the problem the returned solution solves (for its duals)."""
    solution = None
    for i, name in enumerate(order):
        opt.objective(objective_of(opt.pm, {name: 1.0}))
        solution = _require(opt.solve(), f"lexicographic step {name}")
        if i < len(order) - 1:
            best = opt.value(name, solution)
            opt.bound(name, best + tolerance * max(abs(best), 1.0))
    for name in order[:-1] if release else ():
        opt.release(name)
    return solution


def payoff_table(opt: Optimiser, names: list[str], tolerance: float = 1e-6
                 ) -> dict[str, dict[str, float]]:
    """row i: every objective's value at the lexicographic optimum of names[i] first (then the
    others in order), so that each row is efficient. The rows are solved last to first, so
    that the next solve starts from the plan of names[0]'s row (optimal at the loosest bounds)."""
    rows = {name: payoff_row(opt, names, name, tolerance) for name in reversed(names)}
    return {name: rows[name] for name in names}


def payoff_row(opt: Optimiser, names: list[str], first: str, tolerance: float = 1e-6
               ) -> dict[str, float]:
    """The payoff table's row of `first`: every objective at the lexicographic optimum of
    `first`, then the others in order."""
    solution = lexicographic(opt, [first] + [n for n in names if n != first], tolerance)
    return {n: opt.value(n, solution) for n in names}


def ranges(table: dict[str, dict[str, float]]) -> dict[str, tuple[float, float]]:
    """(best, worst) of each objective over the payoff table (its ideal and nadir estimate)."""
    names = list(table)
    return {n: (min(table[r][n] for r in names), max(table[r][n] for r in names)) for n in names}


@dataclass
class ParetoPoint:
    objectives: dict[str, float]
    solution: Solution
    grid: tuple[int, ...]


def pareto(opt: Optimiser, names: list[str], points: int, eps: float = 1e-3,
           progress=None, table: dict[str, dict[str, float]] | None = None,
           block: range | None = None) -> tuple[list[ParetoPoint], dict]:
    """AUGMECON2 front of `names` (minimised), names[0] the primary objective.

    Each other objective k is bounded, f_k + s_k = e_k with s_k >= 0, on a grid of `points`
    values from its worst (payoff nadir) to its best; the primary is minimised with a reward
    eps * sum_k 10^-(k-1) s_k / r_k for the slacks, so every point is efficient. When the
    innermost slack exceeds a grid step, that many grid points are skipped (the bypass); when
    the innermost problem is infeasible, the tighter values of that loop are skipped too.
    Duplicate and dominated points are removed. Returns (points, payoff table).

    `table`: a payoff table already computed (then no lexicographic solves are made here);
    `block`: the grid positions of the first bounded objective to solve (default all), so that
    parallel workers sharing one payoff table each trace a part of the front.
    """
    table = payoff_table(opt, names) if table is None else table
    span = ranges(table)
    primary, others = names[0], names[1:]
    low1, high1 = span[primary]
    r1 = max(high1 - low1, 1e-9)
    m = opt.pm.model
    slacks = {}
    for name in others:
        low, high = span[name]
        r = max(high - low, 1e-9)
        var = pyo.Var(domain=pyo.NonNegativeReals)
        m.add_component(SLACK.component(measure=name), var)
        slacks[name] = (var, r)
        # f_k + s_k <= e_k (with s_k >= 0 rewarded, this holds with equality at the optimum)
        linear = measure(opt.pm, name) + Linear({}, [(var, 1.0)])
        opt.bounds[EPSILON.component(measure=name)] = opt.upper_bound(
            EPSILON, EPSILON_VALUE, name, linear, high)
    reward = Linear({}, [(var, -eps * 10.0 ** -k / r) for k, (var, r) in
                         enumerate(slacks.values())])
    objective = objective_of(opt.pm, {primary: 1.0}).scaled(1.0 / r1) + reward
    opt.objective(objective)

    grids = {n: np.linspace(span[n][1], span[n][0], points) for n in others}
    steps = {n: (span[n][1] - span[n][0]) / max(points - 1, 1) for n in others}
    found: list[ParetoPoint] = []

    def set_epsilon(name, value):
        opt.bounds[EPSILON.component(measure=name)].set_value(
            value - measure(opt.pm, name).constant)

    def run(level: int, index: tuple[int, ...]):
        name = others[level]
        i, stop = (block.start, block.stop) if level == 0 and block is not None else (0, points)
        while i < stop:
            set_epsilon(name, grids[name][i])
            if level + 1 < len(others):
                run(level + 1, index + (i,))
                i += 1
                continue
            if opt.session is not None:
                opt.session.update_parameters()
            solution = opt.solve()
            if progress:
                progress()
            if solution.status == Status.infeasible:
                break  # tighter bounds of this loop are infeasible too
            if not usable(solution):
                i += 1  # no solution within the limits: leave this grid point out
                continue
            values = {n: opt.value(n, solution) for n in names}
            found.append(ParetoPoint(values, solution, index + (i,)))
            slack = slacks[name][0].value or 0.0
            skip = int(np.floor(slack / steps[name] + 1e-9)) if steps[name] > 0 else points
            i += 1 + skip

    run(0, ())
    return efficient(found, names), table


def efficient(points: list[ParetoPoint], names: list[str], tol: float = 1e-6
              ) -> list[ParetoPoint]:
    """Drop duplicates and dominated points (minimisation), keeping the first of equals."""
    def scale(n):
        return max(abs(p.objectives[n]) for p in points) or 1.0

    if not points:
        return []
    scales = {n: scale(n) for n in names}
    vec = np.array([[p.objectives[n] / scales[n] for n in names] for p in points])
    keep = []
    for i in range(len(points)):
        dominated = any(
            np.all(vec[j] <= vec[i] + tol) and np.any(vec[j] < vec[i] - tol)
            for j in range(len(points)) if j != i)
        duplicate = any(np.all(np.abs(vec[j] - vec[i]) <= tol) for j in keep)
        if not dominated and not duplicate:
            keep.append(i)
    return [points[i] for i in keep]


def least_values(opt: Optimiser, limits: dict[str, float]) -> list[UnmetLimit]:
    """The limits that cannot be met even alone, each with the least value its measure can
    reach (limits released); empty when each can be met alone (they fail only together)."""
    for name in limits:
        opt.release(name)
    unmet = []
    for name, upper in limits.items():
        opt.objective(objective_of(opt.pm, {name: 1.0}))
        solution = opt.solve()
        if usable(solution):
            best = opt.value(name, solution)
            if best > upper + 1e-9 * max(1.0, abs(upper)):
                unmet.append(UnmetLimit(name, upper, best))
    return unmet


def optimise(pm: PlanningModel, spec, options: SolveOptions,
             limits: dict[str, float] | None = None, start: dict | None = None
             ) -> tuple[Solution, dict]:
    """Solve `pm` for an ObjectiveSpec, with each measure in `limits` held at or below its
    bound: a plain (weighted) objective is one solve; normalised weights first compute the
    payoff table; a lexicographic order solves once per objective. Returns the final solution
    and what was learnt on the way (payoff table, per-step optima, or `limits_unmet`: the
    UnmetLimit list when the limits make the model infeasible). `start`: a partial MIP start
    for the first solve (planner.formulation.start)."""
    opt = Optimiser(pm, options, start=start)
    for name, upper in (limits or {}).items():
        opt.bound(name, upper)
    first = opt.solve()
    if first.status == Status.infeasible and limits:
        return first, {"limits_unmet": least_values(opt, limits)}
    if not usable(first) or not (spec.order or spec.normalise):
        return first, {}
    tolerance = max(options.mip_gap, 1e-6)
    if spec.order:
        solution = lexicographic(opt, list(spec.order), tolerance, release=False)
        return solution, {"lexicographic": {n: opt.value(n, solution) for n in spec.order}}
    names = spec.names
    table = payoff_table(opt, names, tolerance)
    opt.objective(objective_of(pm, spec.weights, scales=ranges(table)))
    solution = opt.solve()
    return solution, {"payoff_table": table}
