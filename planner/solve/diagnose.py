"""Locating why a model is infeasible: which commodity balances and policies cannot hold, and
by how much (planner.results.diagnosis says it in words).

Only the commodity balances (equalities) and the policies can make the model infeasible: unmet
demand is always allowed. We copy the HiGHS model as an LP, add a surplus and a deficit column
to every balance and policy row, minimise their (weighted) sum, and keep every row that needs
one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd

from planner.formulation.build import PlanningModel
from planner.solve.highs import Solution

TOL = 1e-6  # t (or the policy's unit): a relaxation below this is no relaxation
# a missed policy is a likelier explanation than matter appearing from nowhere: relaxing a
# balance costs more, so policies are blamed first when either would do
BALANCE_WEIGHT, POLICY_WEIGHT = 100.0, 1.0


@dataclass
class Infeasibility:
    """What the elastic LP found. `cause`:

      rows     the rows below cannot hold together
      none     no commodity balance or policy is in the model: something else is infeasible
      beyond   even with every balance and policy relaxed the model stays infeasible
               (capacity or build limits)

    `balance`: the pm.frames["balance"] rows that need a `surplus` (t appearing from nowhere:
    supply missing) or a `deficit` (t that nothing can use); `policy`: the pm.frames["policy"]
    rows that are missed, by `gap` (in the policy's unit: t, or t CO2e for emission caps)."""

    cause: str
    balance: pd.DataFrame = field(default_factory=pd.DataFrame)
    policy: pd.DataFrame = field(default_factory=pd.DataFrame)


def _elastic(sol: Solution, index: np.ndarray, cost: np.ndarray) -> np.ndarray | None:
    """(surplus, deficit) needed on each row in `index`, at `cost` per unit, or None if even
    that fails."""
    elastic = highspy.Highs()
    elastic.setOptionValue("output_flag", False)
    lp = sol.highs.getLp()
    lp.col_cost_ = np.zeros(lp.num_col_)
    lp.integrality_ = []  # the LP relaxation is enough to locate the conflict
    elastic.passModel(lp)
    n = len(index)
    for sign in (1.0, -1.0):
        elastic.addCols(n, cost, np.zeros(n), np.full(n, highspy.kHighsInf), n,
                        np.arange(n, dtype=np.int32), index.astype(np.int32), np.full(n, sign))
    elastic.run()
    if elastic.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    values = np.asarray(elastic.getSolution().col_value)[lp.num_col_:]
    return values.reshape(2, n)


def infeasible_rows(pm: PlanningModel, sol: Solution) -> Infeasibility:
    """The balance and policy rows of an infeasible solve that cannot hold, and by how much."""
    frames = {name: pm.frames[name][sol.rows[name] >= 0] for name in ("balance", "policy")}
    index = np.concatenate([sol.rows[name][sol.rows[name] >= 0] for name in frames])
    if len(index) == 0:
        return Infeasibility("none")
    n_balance = len(frames["balance"])
    cost = np.where(np.arange(len(index)) < n_balance, BALANCE_WEIGHT, POLICY_WEIGHT)
    slack = _elastic(sol, index, cost)
    if slack is None:
        return Infeasibility("beyond")
    balance = frames["balance"].assign(surplus=slack[0, :n_balance], deficit=slack[1, :n_balance])
    policy = frames["policy"].assign(gap=slack[0, n_balance:] + slack[1, n_balance:])
    return Infeasibility(
        "rows", balance[(balance["surplus"] > TOL) | (balance["deficit"] > TOL)],
        policy[policy["gap"] > TOL])
