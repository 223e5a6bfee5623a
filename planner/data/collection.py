"""collection.csv in force: which leakage share and collection tiers hold for each product,
region and model year.

A row holds from its `from_year` until a later row of the same product, region and tier. For a
product arriving at region r, a tier's rows for r replace its rows for every region (empty
region) in the years they hold. A product and region with no row in force in a year is not
under collection control that year (its end of life is collected whole, at no cost).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LEAKAGE = "leakage"
COLUMNS = ["product", "region", "tier", "year", "share", "cost_per_t"]


def collection_in_force(collection: pd.DataFrame, places: pd.DataFrame,
                        years: np.ndarray) -> pd.DataFrame:
    """COLUMNS (and `_line`, the row's line in collection.csv): for each (product, region) of
    `places` and each model year, the leakage and tiers in force (share, cost_per_t); one row
    per tier, the leakage as tier `leakage`."""
    if collection.empty or places.empty:
        return pd.DataFrame(columns=COLUMNS + ["_line"])
    rows = collection[["product", "region", "from_year", "tier", "share", "cost_per_t",
                       "_line"]]
    grid = rows.merge(pd.DataFrame({"year": years}), how="cross")
    grid = grid[grid["year"] >= grid["from_year"]]
    latest = grid.sort_values("from_year").groupby(
        ["product", "region", "tier", "year"], as_index=False).tail(1)
    places = places[["product", "region"]].drop_duplicates()
    own = latest[latest["region"] != ""].merge(places, on=["product", "region"])
    every = latest[latest["region"] == ""].drop(columns="region").merge(places, on="product")
    every = every.merge(own[["product", "region", "tier", "year"]], how="left", indicator=True,
                        on=["product", "region", "tier", "year"])
    every = every[every["_merge"] == "left_only"].drop(columns="_merge")
    table = pd.concat([own, every], ignore_index=True)[COLUMNS + ["_line"]]
    return table.sort_values(["product", "region", "year", "tier"]).reset_index(drop=True)
