"""collection.csv in force: which leakage share and collection tiers hold for each product,
region and model year.

A row holds from its `from_year` until a later row of the same product, region and tier
(planner.data.in_force). A product and region with no row in force in a year is not
under collection control that year (its end of life is collected whole, at no cost).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.data.in_force import rows_in_force

LEAKAGE = "leakage"
COLUMNS = ["product", "region", "tier", "year", "share", "cost_per_t"]


def collection_in_force(collection: pd.DataFrame, places: pd.DataFrame,
                        years: np.ndarray) -> pd.DataFrame:
    """COLUMNS (and `_line`, the row's line in collection.csv): for each (product, region) of
    `places` and each model year, the leakage and tiers in force (share, cost_per_t); one row
    per tier, the leakage as tier `leakage`."""
    return rows_in_force(collection, places, years, "tier", ["share", "cost_per_t"])[
        COLUMNS + ["_line"]]
