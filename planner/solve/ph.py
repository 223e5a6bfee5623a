"""Progressive hedging (Rockafellar-Wets) with mpi-sppy: the stochastic programme decomposed by
scenario, for many scenarios or several machines.

The scenario creator is the ordinary model builder on the instance restricted to one scenario
(probability 1 inside its model; mpi-sppy weighs it by its real probability). Without a tree
(two-stage) the build decisions are the nonanticipative first stage and their capital and
fixed O&M charges its cost. On a scenario tree (planner.tree) the problem is multi-stage: stage
k holds the decisions of the years from the k-th stage year (the first year, then each year in
which some scenario becomes known) to the next, and its node is the group of scenarios that
cannot yet be told apart then (mpi-sppy's ROOT, ROOT_0, ROOT_0_1, ...; conditional
probabilities from the paths'); every decision of those years is nonanticipative at that node,
builds too unless they are shared (then all of them sit at ROOT). The last stage, after the
last branch, holds leaves only.
HiGHS cannot take PH's quadratic proximal term with integer variables, so the term is
linearised (mpi-sppy's `linearize_proximal_terms`). After PH, the probability-weighted mean of
the scenarios' builds is rounded to whole modules (the consensus plan), and that plan is
evaluated exactly by the extensive form with every build held (an LP): its expected cost is the
decomposed solution's cost, directly comparable with the extensive form's optimum.

Under MPI (`mpiexec -n K planner solve ... --decompose ph`, with mpi4py installed) mpi-sppy
spreads the scenarios over the K ranks; without mpi4py it runs them in one process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.data.instance import Instance
from planner.errors import PlannerError
from planner.formulation.families import family_named
from planner.solve.highs import SolveOptions
from planner.solve.stochastic import single_scenario
from planner.tree import ScenarioTree

FIRST_STAGE_COST = family_named("first_stage_cost").component()
STAGE_COST = family_named("stage_cost").component()
MIRROR, MIRROR_IS = family_named("nonant_<stage>"), family_named("nonant_<stage>_is")


@dataclass(frozen=True)
class PHOptions:
    """rho is cost-proportional (Watson and Woodruff 2011): each build variable's penalty is
    `rho` times its first-stage cost per module (capital and fixed O&M, discounted), so one
    setting suits instances of any scale."""

    rho: float = 1.0             # multiple of each build's first-stage cost per module
    iterations: int = 100        # PH iteration limit
    tolerance: float = 1e-4      # convergence threshold (mpi-sppy's metric)


@dataclass
class PHResult:
    plan: pd.DataFrame           # facility, year, modules: the consensus build plan
    converged: bool
    iterations: int
    convergence: float
    ph_objective: float | None   # mpi-sppy's expected objective at the end
    trivial_bound: float | None  # the wait-and-see bound from iteration 0
    seconds: float
    rank: int                    # this process's MPI rank (0 writes the results)


@dataclass(frozen=True)
class Stages:
    """The stages of the tree for PH: `starts`, the first year of each stage; `paths`
    (scenario -> its node name at every stage, the last a leaf); `cond_prob` (non-leaf node
    -> its probability given its parent's); `order`, the scenarios in the order of their
    leaves (mpi-sppy assigns scenarios to leaves in that order); `shared_builds`."""

    starts: list[int]
    paths: dict[str, list[str]]
    cond_prob: dict[str, float]
    order: list[str]
    shared_builds: bool

    @property
    def all_nodenames(self) -> list[str] | None:
        """mpi-sppy's node names, leaves included (None for a two-stage problem)."""
        if len(self.starts) < 2:
            return None
        return sorted({n for path in self.paths.values() for n in path},
                      key=lambda n: [int(i) for i in n.split("_")[1:]])


def tree_stages(instance) -> Stages:
    """The stages and node names of `instance`'s scenario tree (module docstring)."""
    tree = ScenarioTree.of(instance)
    scenarios = list(tree.scenarios["scenario"])
    starts = tree.stages if tree.branches else [int(instance.years[0])]
    if len(starts) < 2:
        return Stages(starts, {s: ["ROOT"] for s in scenarios}, {"ROOT": 1.0}, scenarios,
                      tree.shared_builds)
    node_at = tree.node_table().set_index(["scenario", "year"])["node"]
    roots = sorted({node_at[(s, starts[0])] for s in scenarios})
    if len(roots) > 1:
        raise PlannerError("progressive hedging on a scenario tree needs one root scenario "
                           f"(the others branching from it); this tree has {len(roots)}: "
                           + ", ".join(roots))
    prob = tree.scenarios.set_index("scenario")["probability"]
    paths = {s: ["ROOT"] for s in scenarios}
    for year in starts[1:]:  # stage k + 1 is the partition in the k-th branch year
        children: dict[str, dict[str, str]] = {}
        for s in scenarios:
            kids = children.setdefault(paths[s][-1], {})
            paths[s].append(kids.setdefault(node_at[(s, year)], f"{paths[s][-1]}_{len(kids)}"))
    members: dict[str, list[str]] = {}
    for s, path in paths.items():
        for node in path:
            members.setdefault(node, []).append(s)
    cond = {"ROOT": 1.0}
    for path in paths.values():
        for parent, node in zip(path[:-2], path[1:-1]):
            cond[node] = float(prob.loc[members[node]].sum() / prob.loc[members[parent]].sum())
    order = sorted(scenarios, key=lambda s: [int(i) for i in paths[s][-1].split("_")[1:]])
    return Stages(starts, paths, cond, order, tree.shared_builds)


def _stage_of(years: np.ndarray, starts: list[int]) -> np.ndarray:
    """The stage (1-based) of each model year."""
    return np.searchsorted(np.asarray(starts), np.asarray(years), side="right")


def _scenario_model(name: str, instance: Instance, probability: dict[str, float],
                    stages: Stages):
    """The model of scenario `name` with its first-stage cost and, on a tree, its
    nonanticipative variables (`_planner_nonants`, stage -> variables) and their keys
    (`_planner_keys`, stage -> (family, index...) in the same order) and the cost of each
    stage's decisions."""
    import pyomo.environ as pyo

    from planner.formulation.build import BUILD_FAMILIES, build_model
    from planner.formulation.measures import pyomo_objective
    from planner.formulation.rows import pyomo_rows

    pm = build_model(single_scenario(instance, name))
    model = pm.model
    pyomo_rows(model)  # mpi-sppy walks the Pyomo constraints and objective
    pyomo_objective(pm)
    first = pm.cost_parts["capital"]["build"] + pm.cost_parts["fixed_om"]["build"]
    cost = pyo.Expression(expr=sum(float(c) * v for c, v in zip(first, pm.variables["build"])
                                   if c))
    model.add_component(FIRST_STAGE_COST, cost)
    model._mpisppy_probability = probability[name]
    model._planner_build = pm.frames["build"][["facility", "year"]]
    model._planner_first_cost = first
    model._planner_rho_cost = {}
    if len(stages.starts) < 2:
        return model
    # multi-stage: every decision of a stage's years is nonanticipative at its node
    nonants: dict[int, list] = {k: [] for k in range(1, len(stages.starts))}
    keys: dict[int, list] = {k: [] for k in nonants}
    stage_terms: dict[int, list] = {k: [] for k in nonants}
    coefficients = pm.objective.coefs
    for family, variables in pm.variables.items():
        frame = pm.frames.get(family)
        if frame is None or "year" not in frame or "scenario" not in frame:
            continue
        stage = _stage_of(frame["year"].to_numpy(), stages.starts)
        if family in BUILD_FAMILIES and stages.shared_builds:
            stage = np.ones(len(stage), dtype=int)
        coef = coefficients.get(family, np.zeros(len(variables)))
        index = [c for c in family_named(family).index if c != "scenario"]
        for k in nonants:
            pick = np.flatnonzero(stage == k)
            nonants[k] += variables[pick].tolist()
            keys[k] += [(family, *r) for r in frame.iloc[pick][index].itertuples(index=False)]
            stage_terms[k] += [(float(coef[i]), variables[i]) for i in pick if coef[i]]
            model._planner_rho_cost.update({id(variables[i]): abs(float(coef[i])) for i in pick})
    # what the decisions of each stage cost
    costs = pyo.Expression(list(stage_terms), rule=lambda _, k: sum(
        c * v for c, v in stage_terms[k]))
    model.add_component(STAGE_COST, costs)
    model._planner_nonants, model._planner_keys = nonants, keys
    return model


def aligned_nonants(models: dict, stages: Stages) -> None:
    """Make the nonanticipative lists of a tree's scenario models fit mpi-sppy, which wants
    the scenarios of a node to list the same variables, by name, in the same order, and every
    scenario the same number in all. Scenarios of one node hold the same decisions (their
    data agree up to the branch year, which `planner validate` checks; refused otherwise), but
    their sparse sets may differ in other years (a plant one path cannot use), which shifts
    the variables' names. So each stage's decisions are mirrored by a variable block of one
    name and length in every model, `nonant_k[i] == i-th decision`, padded with zeros to the
    stage's longest list."""
    import pyomo.environ as pyo

    for k in range(1, len(stages.starts)):
        nodes: dict[str, list[str]] = {}
        for name in models:
            nodes.setdefault(stages.paths[name][k - 1], []).append(name)
        for names in nodes.values():
            first = models[names[0]]._planner_keys[k]
            for other in names[1:]:
                if models[other]._planner_keys[k] != first:
                    raise PlannerError(
                        f"progressive hedging: scenarios {names[0]!r} and {other!r} share the "
                        f"decisions of {stages.starts[k - 1]} onwards but their models do "
                        "not hold the same ones (their data differ before they branch)")
        longest = max(len(m._planner_nonants[k]) for m in models.values())
        for model in models.values():
            real = model._planner_nonants[k]
            mirror = pyo.Var(range(longest))
            model.add_component(MIRROR.component(stage=str(k)), mirror)
            model.add_component(MIRROR_IS.component(stage=str(k)), pyo.Constraint(
                range(len(real)), rule=lambda _, i, real=real, mirror=mirror:
                mirror[i] == real[i]))
            for i in range(len(real), longest):
                mirror[i].fix(0)
            cost = model._planner_rho_cost
            cost.update({id(mirror[i]): cost.get(id(v), 1.0) for i, v in enumerate(real)})
            model._planner_nonants[k] = list(mirror.values())


def _creator(name: str, models: dict, stages: Stages, **build):
    """mpi-sppy's scenario creator: the model of `name` (from `models` when built ahead, on a
    tree; built here otherwise) with its node list attached."""
    import mpisppy.scenario_tree as scenario_tree
    import mpisppy.utils.sputils as sputils

    model = models[name] if name in models else _scenario_model(name, stages=stages, **build)
    if len(stages.starts) < 2:
        sputils.attach_root_node(model, model.component(FIRST_STAGE_COST), [model.build])
        return model
    costs, path = model.component(STAGE_COST), stages.paths[name]
    model._mpisppy_node_list = [
        scenario_tree.ScenarioNode(
            name=path[k - 1], cond_prob=stages.cond_prob[path[k - 1]], stage=k,
            cost_expression=costs[k], nonant_list=model._planner_nonants[k], scen_model=model,
            parent_name=None if k == 1 else path[k - 2])
        for k in model._planner_nonants]
    return model


def _cost_proportional_rho(model, factor: float) -> list[tuple[int, float]]:
    """(id(variable), rho) for every nonanticipative variable: `factor` times, for a build,
    its first-stage cost per module, for any other (on a tree) its objective coefficient; at
    least `factor`."""
    cost = {id(model.build[i]): float(c) for i, c in enumerate(model._planner_first_cost)}
    cost = {**model._planner_rho_cost, **cost}
    return [(v, factor * max(cost.get(v, 1.0), 1.0))
            for v in model._mpisppy_data.varid_to_nonant_index]


def consensus_plan(solver, probability: dict[str, float], stages: Stages, mpi) -> pd.DataFrame:
    """facility, year, scenario, modules: the probability-weighted mean of the builds of the
    scenarios of each node (all of them when builds are shared), rounded to whole modules,
    for every scenario (all ranks contribute)."""
    order = stages.order
    keys, values = None, None
    for name, model in solver.local_scenarios.items():
        row = np.array([model.build[i].value or 0.0 for i in range(len(model.build))])
        if values is None:
            keys = model._planner_build
            values = np.zeros((len(order), len(row)))
        values[order.index(name)] = row
    comm = mpi.COMM_WORLD
    if comm.Get_size() > 1:
        total = np.zeros_like(values)
        comm.Allreduce(values, total, op=mpi.SUM)
        values = total
    stage = _stage_of(keys["year"].to_numpy(), stages.starts)
    rows = []
    for s in order:
        node = ["ROOT"] * len(keys) if stages.shared_builds or len(stages.starts) < 2 else [
            stages.paths[s][k - 1] for k in stage]
        rows.append(keys.assign(scenario=s, node=node, value=values[order.index(s)],
                                weight=probability[s]))
    table = pd.concat(rows, ignore_index=True)
    table["weighted"] = table["value"] * table["weight"]
    group = table.groupby(["node", "facility", "year"])
    mean = group["weighted"].transform("sum") / group["weight"].transform("sum")
    plan = table.assign(modules=np.round(mean).astype(int))
    plan = plan[plan["modules"] > 0][["facility", "year", "scenario", "modules"]].reset_index(
        drop=True)
    plan.attrs["scenarios"] = list(order)  # the scenarios it covers, builds or none
    return plan


def progressive_hedging(instance: Instance, options: SolveOptions = SolveOptions(),
                        ph: PHOptions = PHOptions()) -> PHResult:
    """Run PH on `instance`'s scenarios and return the consensus build plan."""
    try:
        import mpisppy.MPI as mpi
        import mpisppy.opt.ph
        import mpisppy.utils.sputils as sputils
    except ImportError:
        raise PlannerError("--decompose ph needs mpi-sppy: pip install 'planner[decompose]' "
                           "(and mpi4py with an MPI library to run on several processes; "
                           "see docs/what-if.md)") from None
    start = time.perf_counter()
    probability = dict(zip(instance.scenarios["scenario"],
                           instance.scenarios["probability"].astype(float)))
    # HiGHS's own options for every subproblem (a time limit is per subproblem)
    solver_options = {"mip_rel_gap": options.mip_gap}
    if options.threads:
        solver_options["threads"] = options.threads
    if options.time_limit:
        solver_options["time_limit"] = float(options.time_limit)
    settings = {
        "solver_name": "appsi_highs", "PHIterLimit": ph.iterations,
        "defaultPHrho": ph.rho, "convthresh": ph.tolerance, "verbose": False,
        "rho_setter_kwargs": {"factor": ph.rho},
        "display_progress": False, "display_timing": False,
        "solver_options_layers": [sputils.solver_options_layer("default", solver_options)],
        "linearize_proximal_terms": True, "proximal_linearization_tolerance": 0.1,
    }
    stages = tree_stages(instance)
    models = {}
    if len(stages.starts) > 1:  # a tree: every rank builds every scenario, to align them
        models = {name: _scenario_model(name, instance, probability, stages)
                  for name in stages.order}
        aligned_nonants(models, stages)
    solver = mpisppy.opt.ph.PH(settings, stages.order, _creator,
                               scenario_creator_kwargs={"models": models, "stages": stages,
                                                        "instance": instance,
                                                        "probability": probability},
                               rho_setter=_cost_proportional_rho,
                               all_nodenames=stages.all_nodenames)
    convergence, objective, trivial = solver.ph_main()
    plan = consensus_plan(solver, probability, stages, mpi)
    return PHResult(plan, convergence <= ph.tolerance, int(solver._PHIter), float(convergence),
                    None if objective is None else float(objective),
                    None if trivial is None else float(trivial),
                    time.perf_counter() - start, mpi.COMM_WORLD.Get_rank())
