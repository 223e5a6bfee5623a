"""policy_status.csv: each policy in force, per year and scenario, with what it asks for and
what the plan achieves, measured exactly as its constraint counts (formulation/policies.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.formulation.build import PlanningModel
from planner.solve.highs import Solution

COLUMNS = ["policy", "region", "year", "scenario", "group", "target", "achieved", "unit",
           "holds"]
AT_MOST = ("max_country_share", "emissions_cap_t")  # the others are floors
TOLERANCE = 1e-6  # relative slack within which a target counts as met


def _row_totals(terms: pd.DataFrame, sol: Solution, n_rows: int) -> np.ndarray:
    """Per policy row: the sum of its terms' coefficients times the solution's values."""
    total = np.zeros(n_rows)
    for family, part in terms.groupby("family"):
        values = sol.values[family][part["pos"].to_numpy(dtype=int)]
        total += np.bincount(part["row"].to_numpy(dtype=int), part["coef"].to_numpy() * values,
                             minlength=n_rows)
    return total


def policy_status(pm: PlanningModel, sol: Solution) -> pd.DataFrame:
    """policy, region (empty: the policy's default scope), year, scenario, group
    (`country/stage` of a country share), target (the policy's value), achieved (the same
    measure on the solution: a share 0-1 of demand or of a stage's supply, days of demand held
    in stock, t CO2e), unit, holds (achieved meets the target). Empty without policies."""
    frame = pm.frames["policy"]
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    n = len(frame)
    base = frame["base"].to_numpy(dtype=float) + _row_totals(
        pm.policy_measure["denominator"], sol, n)
    numerator = _row_totals(pm.policy_measure["numerator"], sol, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        achieved = np.where(base > 0, numerator / base, np.nan)
    target = frame["target"].to_numpy(dtype=float)
    at_most = frame["policy"].isin(AT_MOST).to_numpy()
    slack = TOLERANCE * np.maximum(1.0, np.abs(target))
    holds = np.where(at_most, achieved <= target + slack, achieved >= target - slack)
    holds |= np.isnan(achieved) & ~at_most & (target <= 0)  # no demand: nothing to meet
    holds |= np.isnan(achieved) & at_most  # nothing imported or made: no share to exceed
    out = frame[["policy", "region", "year", "scenario", "group"]].assign(
        target=target, achieved=achieved, unit=frame["unit"].to_numpy(), holds=holds)
    return out[COLUMNS].reset_index(drop=True)
