"""build_model: the planning MILP as a Pyomo ConcreteModel, assembled in the order of
docs/formulation.md.

Every family of variables and rows that can enter a model is listed, in that order, in
planner.formulation.families.FAMILIES. build_model adds the families of stage `model`, step by
step as ASSEMBLY declares (each step names the families it adds); the other families enter
later, each through the module the registry names:

  measure    formulation/measures.py: cvar_* and concentration_* the first time that measure is
             optimised or bounded
  limits     solve/tradeoffs.py: bound_<measure> (limits, lexicographic steps)
  pareto     solve/tradeoffs.py: augmecon_slack_<measure>, epsilon_<measure>
  decisions  formulation/decisions.py (apply_decisions): fixed_total_<facility>
  ph         solve/ph.py: first_stage_cost of a scenario subproblem (and mpi-sppy's blocks)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from planner.data.instance import Instance
from planner.formulation.balance import define_balance, define_trade_variables
from planner.formulation.capacity import (
    define_capacity_constraints,
    define_capacity_variables,
    define_module_counts,
)
from planner.formulation.collection import define_collection_rows, define_collection_variables
from planner.formulation.export_caps import define_export_caps
from planner.formulation.families import FAMILIES, family_named
from planner.formulation.inventory import define_inventory_rows, define_inventory_variables
from planner.formulation.measures import define_objective
from planner.formulation.objectives import define_objective_coefficients
from planner.formulation.policies import define_policies, schedule_policies
from planner.formulation.products import define_product_rows, define_product_variables
from planner.formulation.rows import DryModel
from planner.formulation.sets import ModelSets, model_sets
from planner.tree import ScenarioTree

# the families of build decisions: one for all scenarios when builds are shared
BUILD_FAMILIES = ("build", "modules")


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
    # what each policy row measures, as term tables (row, family, pos, coef): the measure of
    # row i is numerator_i / (frames["policy"].base_i + denominator_i) (policies.py)
    policy_measure: dict[str, pd.DataFrame] = field(default_factory=dict)
    returns: pd.DataFrame | None = None  # arrivals taken back or moved (products.RETURNS)
    measures: dict = field(default_factory=dict)  # measure name -> Linear (measures.py)
    objective: object = None  # the Linear minimised (measures.set_objective)
    build_seconds: float = 0.0
    tree: ScenarioTree | None = None

    def alias(self, family: str, frame: pd.DataFrame) -> np.ndarray | None:
        """The aliases of a variable family's elements (planner.tree): each decision of year
        t stands for the node of its scenario in t; builds for one node when shared."""
        shared = family in BUILD_FAMILIES and self.tree.shared_builds
        return self.tree.alias(frame, family_named(family).index, shared)


Step = Callable[["PlanningModel"], None]

# build_model's steps, in order, with the families each adds (planner.formulation.families):
# the variables, the rows they enter, then the objective. A step may add none (coefficients).
ASSEMBLY: tuple[tuple[tuple[str, ...], Step], ...] = (
    (("build", "modules", "act"), define_capacity_variables),
    (("flow", "buy"), define_trade_variables),
    (("collect", "uncollected"), define_collection_variables),
    (("serve", "extend", "substitute"), define_product_variables),
    (("store_build", "stock", "stock_in", "stock_out"), define_inventory_variables),
    (("short", "dispose", "balance"), define_balance),
    (("fate", "ceiling"), define_collection_rows),
    (("retiring", "segment"), define_product_rows),
    (("stock_level", "stock_capacity", "storage_limit"), define_inventory_rows),
    (("capacity", "build_limit"), define_capacity_constraints),
    (("modules_count",), define_module_counts),
    (("export_cap",), define_export_caps),
    ((), schedule_policies),              # the policy values in force each year
    ((), define_objective_coefficients),  # cost, emissions and risk per variable
    (("policy",), define_policies),
    (("objective",), define_objective),
)


def build_model(instance: Instance, dry: bool = False) -> PlanningModel:
    """Sets, then the steps of ASSEMBLY: variables and constraints by topic, then the
    objective. `dry`: the numbers only, recorded in a DryModel (no Pyomo objects), to update a
    solved model in place."""
    start = time.perf_counter()
    sets = model_sets(instance)
    pm = PlanningModel(instance, sets, sets.arrivals, tree=ScenarioTree.of(instance))
    if dry:
        pm.model = DryModel()
    pm.model.name = instance.name
    sets = pm.sets
    pm.frames.update(build=sets.build, act=sets.act, flow=sets.flow, buy=sets.buy)
    for _, step in ASSEMBLY:
        step(pm)
    pm.build_seconds = time.perf_counter() - start
    return pm


__all__ = ["ASSEMBLY", "FAMILIES", "PlanningModel", "build_model"]
