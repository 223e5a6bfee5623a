"""What planning for uncertainty is worth: VSS and EVPI of the stochastic programme (two-stage,
or a scenario tree).

  RP   recourse problem: the extensive form over all scenarios (the ordinary solve, with its
       tree: decisions wait for what each scenario reveals);
  WS   wait-and-see: sum_s pi_s (optimum of scenario s alone, its builds chosen knowing s);
  EV   expected-value problem: one scenario whose effects are the probability-weighted mean
       multipliers; EEV: its builds fixed in every scenario, the operations re-optimised over
       all scenarios (on the tree);
  VSS = EEV - RP >= 0 (what hedging saves);  EVPI = RP - WS >= 0 (what foresight is worth).
All values are the optimised objective (cost by default), as reported by the solver.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from planner.data.instance import Instance
from planner.formulation.build import build_model
from planner.formulation.scenarios import effect_table
from planner.formulation.sets import resolved_effects
from planner.solve.highs import Solution, SolveOptions, Status, solve


@dataclass(frozen=True)
class StochasticMetrics:
    rp: float
    ws: float
    ev: float
    eev: float
    vss: float
    evpi: float
    wait_and_see: dict[str, float]

    def as_dict(self) -> dict:
        return {"rp": self.rp, "ws": self.ws, "ev": self.ev, "eev": self.eev,
                "vss": self.vss, "evpi": self.evpi, "wait_and_see": self.wait_and_see}


def _optimum(instance: Instance, options: SolveOptions,
             fixed_builds: pd.DataFrame | None = None) -> tuple[Solution, pd.DataFrame]:
    """(the optimum, its builds: facility, year, scenario, modules); `fixed_builds`
    (facility, year, modules) held in every scenario."""
    pm = build_model(instance)
    frame = pm.frames["build"]
    if fixed_builds is not None:
        held = frame.merge(fixed_builds, on=["facility", "year"], how="left")["modules"]
        for var, modules in zip(pm.variables["build"], held.fillna(0.0)):
            var.fix(float(modules))
    sol = solve(pm, options)
    if sol.status != Status.optimal:
        raise RuntimeError(f"{instance.name}: {sol.status.value} ({sol.termination})")
    return sol, frame.assign(modules=sol.values["build"])


def single_scenario(instance: Instance, scenario: str) -> Instance:
    """The instance as if `scenario` were certain: only that scenario, at probability 1, and
    only its effects (a wait-and-see problem here; a subproblem of progressive hedging)."""
    scenarios = instance.scenarios[instance.scenarios["scenario"] == scenario].assign(
        probability=1.0, parent="", known_from=None)
    effects = instance.effects[instance.effects["scenario"].isin([scenario, "*"])]
    return replace(instance, scenarios=scenarios, effects=effects)


def expected_value_instance(instance: Instance) -> Instance:
    """One scenario, `expected`, whose multipliers are sum_s pi_s m_s for every item and year."""
    table = effect_table(resolved_effects(instance), instance.years)
    scen = instance.scenarios.set_index("scenario")["probability"]
    rows = []
    if not table.empty:
        keys = ["kind", "attribute", "item", "year"]
        wide = table.pivot_table(index=keys, columns="scenario", values="multiply",
                                 aggfunc="prod").reindex(columns=scen.index).fillna(1.0)
        mean = (wide * scen).sum(axis=1).rename("multiply").reset_index()
        rows = [{"scenario": "expected", "target": r.item, "attribute": r.attribute,
                 "from_year": r.year, "to_year": r.year, "multiply": r.multiply, "_line": 0}
                for r in mean.itertuples()]
    effects = pd.DataFrame(rows, columns=["scenario", "target", "attribute", "from_year",
                                          "to_year", "multiply", "_line"])
    scenarios = pd.DataFrame({"scenario": ["expected"], "probability": [1.0],
                              "description": ["probability-weighted mean of the scenarios"],
                              "_line": [0]})
    return replace(instance, scenarios=scenarios, effects=effects)


def stochastic_metrics(instance: Instance, rp: float,
                       options: SolveOptions = SolveOptions()) -> StochasticMetrics:
    """VSS and EVPI around the recourse-problem optimum `rp` (already solved)."""
    scen = instance.scenarios.set_index("scenario")["probability"]
    wait = {s: _optimum(single_scenario(instance, s), options)[0].objective
            for s in scen.index}
    ws = float(sum(scen[s] * v for s, v in wait.items()))
    ev_solution, ev_builds = _optimum(expected_value_instance(instance), options)
    eev = _optimum(instance, options, fixed_builds=ev_builds.drop(columns="scenario"))[0].objective
    return StochasticMetrics(rp=rp, ws=ws, ev=ev_solution.objective, eev=eev, vss=eev - rp,
                             evpi=rp - ws, wait_and_see=wait)
