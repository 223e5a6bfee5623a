"""build_model: the planning MILP as a Pyomo ConcreteModel, assembled topic by topic."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from planner.arrivals import instance_arrivals
from planner.data.instance import Instance
from planner.formulation.balance import define_balance
from planner.formulation.capacity import define_capacity_constraints, define_capacity_variables
from planner.formulation.measures import objective_of, set_objective
from planner.formulation.objectives import (
    as_float,
    cost_coefficients,
    emission_coefficients,
    fixed_cost_constant,
    risk_coefficients,
    total,
)
from planner.formulation.policies import define_policies, policy_schedule
from planner.formulation.rows import DryModel, add_variables
from planner.formulation.sets import ModelSets, model_sets


@dataclass
class PlanningModel:
    """A built model and everything needed to read its solution back.

    `variables[family][i]` is the Pyomo variable described by row i of `frames[family]`.
    `coefficients[objective][family]` gives each objective's linear coefficients, and
    `constants[objective]` its constant part; `cost_parts` / `emission_parts` break them down.
    """

    instance: Instance
    sets: ModelSets
    arrivals: pd.DataFrame
    model: pyo.ConcreteModel = field(default_factory=pyo.ConcreteModel)
    variables: dict[str, np.ndarray] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    cost_parts: dict = field(default_factory=dict)
    emission_parts: dict = field(default_factory=dict)
    coefficients: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    constants: dict[str, float] = field(default_factory=dict)
    objective_constant: float = 0.0
    policy_schedule: pd.DataFrame | None = None
    measures: dict = field(default_factory=dict)  # measure name -> Linear (measures.py)
    objective: object = None  # the Linear minimised (measures.set_objective)
    build_seconds: float = 0.0


def build_model(instance: Instance, dry: bool = False) -> PlanningModel:
    """Sets, then variables and constraints by topic, then the objectives. `dry`: the numbers
    only, recorded in a DryModel (no Pyomo objects), to update a solved model in place."""
    start = time.perf_counter()
    arrivals = instance_arrivals(instance)
    pm = PlanningModel(instance, model_sets(instance, arrivals), arrivals)
    if dry:
        pm.model = DryModel()
    pm.model.name = instance.name
    sets = pm.sets
    pm.frames.update(build=sets.build, act=sets.act, flow=sets.flow, buy=sets.buy)

    define_capacity_variables(pm)
    pm.variables["flow"] = add_variables(pm.model, "flow", len(sets.flow), ub=sets.flow["ub"])
    pm.variables["buy"] = add_variables(pm.model, "buy", len(sets.buy), ub=sets.buy["ub"])
    define_balance(pm)
    define_capacity_constraints(pm)

    pm.policy_schedule = policy_schedule(instance.policies, sets.years)
    pm.emission_parts = as_float(emission_coefficients(pm))
    pm.cost_parts = as_float(cost_coefficients(pm))
    pm.coefficients = {"cost": total(pm.cost_parts), "emissions": total(pm.emission_parts),
                       "risk": as_float({"risk": risk_coefficients(pm)})["risk"]}
    define_policies(pm)
    pm.constants = {"cost": fixed_cost_constant(pm), "emissions": 0.0, "risk": 0.0}
    spec = instance.settings.objective
    set_objective(pm, objective_of(pm, {spec.names[0]: 1.0} if spec.order else spec.weights))
    pm.build_seconds = time.perf_counter() - start
    return pm
