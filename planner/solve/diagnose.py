"""Explaining an infeasible model in domain words.

Only the commodity balances (equalities) and the policies can make the model infeasible: unmet
demand is always allowed. We copy the HiGHS model as an LP, add a surplus and a deficit column
to every balance and policy row, minimise their (weighted) sum, and report every row that
needs one:
which commodity, region and year cannot balance, or which policy cannot be met, and by how much.
"""

from __future__ import annotations

import highspy
import numpy as np

from planner.formulation.build import PlanningModel
from planner.solve.highs import Solution

POLICY_UNITS = {"min_recycled_share": "t of recycled supply",
                "min_domestic_share": "t of domestic supply",
                "max_country_share": "t imported", "emissions_cap_t": "t CO2e"}


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


def explain_infeasibility(pm: PlanningModel, sol: Solution, limit: int = 20) -> list[str]:
    frames = {name: pm.frames[name][sol.rows[name] >= 0] for name in ("balance", "policy")}
    index = np.concatenate([sol.rows[name][sol.rows[name] >= 0] for name in frames])
    if len(index) == 0:
        return ["the model is infeasible, but no commodity balance or policy is involved"]
    # a missed policy is a likelier explanation than matter appearing from nowhere: relaxing a
    # balance costs more, so policies are blamed first when either would do
    n_balance = len(frames["balance"])
    cost = np.where(np.arange(len(index)) < n_balance, 100.0, 1.0)
    slack = _elastic(sol, index, cost)
    if slack is None:
        return ["the model is infeasible even with every commodity balance and policy relaxed: "
                "check capacity and build limits"]
    messages = []
    balance = frames["balance"].assign(surplus=slack[0, :n_balance], deficit=slack[1, :n_balance])
    for r in balance[(balance["surplus"] > 1e-6) | (balance["deficit"] > 1e-6)].itertuples():
        if r.surplus > 1e-6:
            messages.append(
                f"{r.commodity} at {r.region} in {r.year} (scenario {r.scenario}): "
                f"{r.surplus:,.1f} t short and unmet demand is not allowed for it "
                "(it has no demand row); add supply or make it demand")
        else:
            messages.append(
                f"{r.commodity} at {r.region} in {r.year} (scenario {r.scenario}): "
                f"{r.deficit:,.1f} t too much that nothing can use, ship or dispose of; "
                "mark it disposable in the value-chain model or add a process that takes it")
    policy = frames["policy"].assign(gap=slack[0, n_balance:] + slack[1, n_balance:])
    for r in policy[policy["gap"] > 1e-6].itertuples():
        where = r.region or "all domestic regions"
        what = f" ({r.group})" if isinstance(r.group, str) and r.group else ""
        messages.append(
            f"policy {r.policy}{what} for {where} cannot be met in {r.year} (scenario "
            f"{r.scenario}): it misses by {r.gap:,.1f} {POLICY_UNITS[r.policy]}")
    if len(messages) > limit:
        messages = messages[:limit] + [f"... and {len(messages) - limit} more"]
    return messages


def explain_unbounded(pm: PlanningModel) -> list[str]:
    return ["the objective can decrease without limit: check for negative prices or costs"]
