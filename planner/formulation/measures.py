"""Objectives and risk measures as linear expressions that can be optimised or constrained.

  cost, emissions, risk, responsible_sourcing   the objective coefficient vectors
                          (see objectives.py)
  shortfall               expected unmet demand, sum_s pi_s L_s, L_s = sum_t w_t short[.,t,s]
  cvar_shortfall          Rockafellar-Uryasev: eta + 1/(1 - alpha) sum_s pi_s z_s with
                          z_s >= L_s - eta, z_s >= 0 (alpha = cvar_alpha of the instance)
  concentration           M >= tonnes imported from one origin country of one stage in any year
                          and scenario (min-max of the largest single-country tonnage)
The auxiliary variables and rows of cvar_shortfall and concentration (families cvar_* and
concentration_* of planner.formulation.families, stage `measure`) are added to the model the
first time the measure is asked for. The measures are named as the objectives
(planner.data.instance.OBJECTIVES): every measure can be optimised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from planner.chain import commodity_stages
from planner.data.instance import OBJECTIVES
from planner.data.network import is_import
from planner.formulation.families import family_named
from planner.formulation.rows import (
    DryModel,
    add_rows,
    add_variables,
    collapsed,
    linear_expression,
    specs_of,
    terms,
)
from planner.formulation.sets import yearly_factor

# the components this module adds (each a family of planner.formulation.families)
CVAR_ETA, CVAR_EXCESS, CVAR_ROWS, CONCENTRATION_MAX, CONCENTRATION_ROWS, OBJECTIVE = (
    family_named(name).component() for name in (
        "cvar_eta", "cvar_excess", "cvar_rows", "concentration_max", "concentration_rows",
        "objective"))


@dataclass
class Linear:
    """sum_family coefs[family] . x[family] + sum extra coef * var + constant."""

    coefs: dict[str, np.ndarray]
    extra: list[tuple[object, float]] = field(default_factory=list)
    constant: float = 0.0

    def scaled(self, factor: float) -> Linear:
        return Linear({f: c * factor for f, c in self.coefs.items()},
                      [(v, c * factor) for v, c in self.extra], self.constant * factor)

    def __add__(self, other: Linear) -> Linear:
        coefs = dict(self.coefs)
        for f, c in other.coefs.items():
            coefs[f] = coefs[f] + c if f in coefs else c
        return Linear(coefs, self.extra + other.extra, self.constant + other.constant)

    def expression(self, pm):
        """The Pyomo expression without the constant (kept apart: see `constant`)."""
        variables, coefs = [], []
        alias = specs_of(pm.model).alias
        for family, c in self.coefs.items():
            c = collapsed(c, alias.get(family))
            nz = np.flatnonzero(c)
            variables += pm.variables[family][nz].tolist()
            coefs += c[nz].tolist()
        for var, c in self.extra:
            variables.append(var)
            coefs.append(c)
        return linear_expression(variables, coefs)

    def value(self, pm, values: dict[str, np.ndarray]) -> float:
        total = sum(float(np.dot(c, values[f])) for f, c in self.coefs.items())
        return total + sum(c * (v.value or 0.0) for v, c in self.extra) + self.constant


def _scenario_shortfall_rows(pm) -> pd.DataFrame:
    short = pm.frames["short"]
    return short.assign(w=pm.sets.weight.loc[short["year"]].to_numpy())


def measure(pm, name: str) -> Linear:
    """The measure `name` as a Linear (built once, then cached on the model)."""
    if name in pm.measures:
        return pm.measures[name]
    if name in ("cost", "emissions", "risk", "responsible_sourcing"):
        result = Linear(dict(pm.coefficients[name]), [], pm.constants[name])
    elif name == "shortfall":
        short = pm.frames["short"]
        result = Linear({"short": yearly_factor(pm.sets, short["year"], short["scenario"],
                                                discounted=False)})
    elif name == "cvar_shortfall":
        result = _cvar(pm)
    elif name == "concentration":
        result = _concentration(pm)
    else:
        raise KeyError(f"unknown measure {name!r}; expected one of {', '.join(OBJECTIVES)}")
    pm.measures[name] = result
    return result


def _cvar(pm) -> Linear:
    alpha = pm.instance.settings.cvar_alpha
    scen = pm.sets.scenarios.reset_index(drop=True)
    short = _scenario_shortfall_rows(pm)
    m = pm.model
    eta = pyo.Var(domain=pyo.Reals)
    m.add_component(CVAR_ETA, eta)
    pm.variables[CVAR_EXCESS] = add_variables(m, CVAR_EXCESS, len(scen))
    pm.frames[CVAR_EXCESS] = scen[["scenario"]]
    row = pd.Index(scen["scenario"]).get_indexer(short["scenario"])
    # z_s - sum_t w_t short[., t, s] + eta >= 0
    table = pd.concat([terms(np.arange(len(scen)), CVAR_EXCESS, np.arange(len(scen)), 1.0),
                       terms(row, "short", np.arange(len(short)), -short["w"].to_numpy()),
                       terms(np.arange(len(scen)), CVAR_ETA, np.zeros(len(scen), int), 1.0)])
    pm.variables[CVAR_ETA] = np.array([eta], dtype=object)
    add_rows(m, CVAR_ROWS, table, len(scen), np.zeros(len(scen)), np.full(len(scen), np.nan),
             pm.variables)
    weights = scen["probability"].to_numpy() / (1.0 - alpha)
    return Linear({CVAR_EXCESS: weights, CVAR_ETA: np.ones(1)})


def _concentration(pm) -> Linear:
    sets, inst = pm.sets, pm.instance
    reg = inst.regions.set_index("region")
    flow = sets.flow.reset_index(names="pos").merge(sets.links, on="link", how="left")
    flow = flow[is_import(flow["origin"], flow["destination"], reg["domestic"])]
    flow = flow.assign(country=reg["country"].loc[flow["origin"]].to_numpy(),
                       stage=flow["commodity"].map(commodity_stages(inst.chain)))
    groups = flow.groupby(["country", "stage", "year", "scenario"]).ngroup().to_numpy()
    n = int(groups.max()) + 1 if len(groups) else 0
    m = pm.model
    top = pyo.Var(domain=pyo.NonNegativeReals)
    m.add_component(CONCENTRATION_MAX, top)
    pm.variables[CONCENTRATION_MAX] = np.array([top], dtype=object)
    # M - sum of one country's imports of one stage in one year and scenario >= 0
    table = pd.concat([terms(groups, "flow", flow["pos"], -1.0),
                       terms(np.arange(n), CONCENTRATION_MAX, np.zeros(n, int), 1.0)])
    add_rows(m, CONCENTRATION_ROWS, table, n, np.zeros(n), np.full(n, np.nan), pm.variables)
    return Linear({CONCENTRATION_MAX: np.ones(1)})


def objective_of(pm, weights: dict[str, float],
                 scales: dict[str, tuple[float, float]] | None = None) -> Linear:
    """sum_i weight_i * measure_i, each normalised to (f_i - low_i) / (high_i - low_i) when
    `scales` gives (low_i, high_i). Unmet demand always carries the shortage penalty: it is
    part of cost, and is added on its own when cost has no weight."""
    total = Linear({})
    for name, w in weights.items():
        if not w:
            continue
        term = measure(pm, name)
        if scales and name in scales:
            low, high = scales[name]
            term = (term + Linear({}, [], -low)).scaled(1.0 / max(high - low, 1e-9))
        total = total + term.scaled(w)
    if not weights.get("cost"):
        total = total + Linear({"short": pm.cost_parts["shortage"]["short"]})
    return total


def set_objective(pm, objective: Linear) -> None:
    """Make `objective` the model's objective (minimised); its constant is kept apart. The
    Pyomo objective is made on demand (pyomo_objective): HiGHS gets the Linear's numbers."""
    pm.objective = objective
    pm.objective_constant = objective.constant
    if isinstance(pm.model, DryModel):
        return
    if pm.model.component(OBJECTIVE) is not None:
        pm.model.del_component(OBJECTIVE)


def pyomo_objective(pm) -> pyo.Objective:
    """The Pyomo objective of pm.objective (made now if missing), for what walks the Pyomo
    model (Pyomo's persistent interface, mpi-sppy)."""
    if pm.model.component(OBJECTIVE) is None:
        pm.model.add_component(OBJECTIVE, pyo.Objective(expr=pm.objective.expression(pm),
                                                        sense=pyo.minimize))
    return pm.model.component(OBJECTIVE)


def define_objective(pm) -> None:
    """The instance's objective: its weighted sum of measures, or the first measure of its
    lexicographic order (planner.solve.tradeoffs solves the later ones)."""
    spec = pm.instance.settings.objective
    set_objective(pm, objective_of(pm, {spec.names[0]: 1.0} if spec.order else spec.weights))
