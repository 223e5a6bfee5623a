"""Progressive hedging (Rockafellar-Wets) with mpi-sppy: the stochastic programme decomposed by
scenario, for many scenarios or several machines.

The scenario creator is the ordinary model builder on the instance restricted to one scenario
(probability 1 inside its model; mpi-sppy weighs it by its real probability); the build
decisions are the nonanticipative first stage and their capital and fixed O&M charges its cost.
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

FIRST_STAGE_COST = family_named("first_stage_cost").component()


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


def _creator(name: str, instance: Instance, probability: dict[str, float]):
    import mpisppy.utils.sputils as sputils
    import pyomo.environ as pyo

    from planner.formulation.build import build_model

    pm = build_model(single_scenario(instance, name))
    model = pm.model
    first = pm.cost_parts["capital"]["build"] + pm.cost_parts["fixed_om"]["build"]
    cost = pyo.Expression(expr=sum(float(c) * v for c, v in zip(first, pm.variables["build"])
                                   if c))
    model.add_component(FIRST_STAGE_COST, cost)
    sputils.attach_root_node(model, cost, [model.build])
    model._mpisppy_probability = probability[name]
    model._planner_build = pm.frames["build"][["facility", "year"]]
    model._planner_first_cost = first
    return model


def _cost_proportional_rho(model, factor: float) -> list[tuple[int, float]]:
    """(id(variable), rho) for every build: `factor` times its first-stage cost (at least 1)."""
    return [(id(model.build[i]), factor * max(float(c), 1.0))
            for i, c in enumerate(model._planner_first_cost)]


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
    solver = mpisppy.opt.ph.PH(settings, list(probability), _creator,
                               scenario_creator_kwargs={"instance": instance,
                                                        "probability": probability},
                               rho_setter=_cost_proportional_rho)
    convergence, objective, trivial = solver.ph_main()
    # the probability-weighted mean of the builds over all scenarios (all ranks)
    local, keys = None, None
    for name, model in solver.local_scenarios.items():
        values = np.array([model.build[i].value or 0.0 for i in range(len(model.build))])
        local = probability[name] * values + (0.0 if local is None else local)
        keys = model._planner_build
    mean = np.zeros(len(keys)) if local is None else local
    comm = mpi.COMM_WORLD
    if comm.Get_size() > 1:
        total = np.zeros_like(mean)
        comm.Allreduce(mean, total, op=mpi.SUM)
        mean = total
    plan = keys.assign(modules=np.round(mean).astype(int))
    plan = plan[plan["modules"] > 0].reset_index(drop=True)
    return PHResult(plan, convergence <= ph.tolerance, int(solver._PHIter), float(convergence),
                    None if objective is None else float(objective),
                    None if trivial is None else float(trivial),
                    time.perf_counter() - start, comm.Get_rank())
