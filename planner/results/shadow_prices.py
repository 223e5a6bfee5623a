"""shadow_prices.csv: the binding constraints of a solution and their shadow prices
(planner.solve.duals), each row with a sentence saying what relaxing it by one unit would save.
"""

from __future__ import annotations

import pandas as pd

from planner.formulation.build import PlanningModel
from planner.results.wording import saving
from planner.solve.duals import COLUMNS as DUAL_COLUMNS
from planner.solve.duals import shadow_prices
from planner.solve.highs import Solution

COLUMNS = [*DUAL_COLUMNS, "message"]


def shadow_price_table(pm: PlanningModel, sol: Solution) -> pd.DataFrame:
    """planner.solve.duals.shadow_prices with `message`, one sentence per row (money in the
    instance currency when the objective last minimised is plain cost)."""
    table = shadow_prices(pm, sol)
    settings = pm.instance.settings
    table["message"] = [saving(r, settings.currency, str(settings.objective))
                        for r in table.itertuples()]
    return table[COLUMNS]
