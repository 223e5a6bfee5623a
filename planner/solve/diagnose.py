"""Explaining an infeasible model in domain words.

The commodity balances are the only equalities, so infeasibility means some (region, commodity,
year) can neither be balanced nor left short. We copy the HiGHS model, add a surplus and a
deficit column to every balance row, minimise their sum, and report every row that needs one.
"""

from __future__ import annotations

import highspy
import numpy as np

from planner.formulation.build import PlanningModel
from planner.solve.highs import Solution


def explain_infeasibility(pm: PlanningModel, sol: Solution, limit: int = 20) -> list[str]:
    rows = sol.balance_rows
    balance = pm.frames["balance"]
    keep = rows >= 0
    if not keep.any():
        return ["the model is infeasible, but no commodity balance is involved"]
    elastic = highspy.Highs()
    elastic.setOptionValue("output_flag", False)
    lp = sol.highs.getLp()
    lp.col_cost_ = np.zeros(lp.num_col_)
    lp.integrality_ = []  # the LP relaxation is enough to locate the imbalance
    elastic.passModel(lp)
    index = rows[keep].astype(np.int32)
    n = len(index)
    for sign in (1.0, -1.0):
        elastic.addCols(n, np.ones(n), np.zeros(n), np.full(n, highspy.kHighsInf), n,
                        np.arange(n, dtype=np.int32), index, np.full(n, sign))
    elastic.run()
    if elastic.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return ["the model is infeasible even with every commodity balance relaxed: check "
                "capacity and build limits"]
    values = np.asarray(elastic.getSolution().col_value)[lp.num_col_:]
    surplus, deficit = values[:n], values[n:]
    table = balance[keep].assign(surplus=surplus, deficit=deficit)
    table = table[(table["surplus"] > 1e-6) | (table["deficit"] > 1e-6)]
    messages = []
    for r in table.head(limit).itertuples():
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
    if len(table) > limit:
        messages.append(f"... and {len(table) - limit} more")
    return messages


def explain_unbounded(pm: PlanningModel) -> list[str]:
    return ["the objective can decrease without limit: check for negative prices or costs"]
