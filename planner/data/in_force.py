"""Rows that hold from a year on, per product and region: which row is in force in each model
year (collection.csv tiers, product_options.csv options).

A row holds from its `from_year` until a later row of the same product, region and item (the
tier, or the option). For a product at region r, an item's rows for r replace its rows for
every region (empty region) in the years they hold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def rows_in_force(rows: pd.DataFrame, places: pd.DataFrame, years: np.ndarray, item: str,
                  values: list[str]) -> pd.DataFrame:
    """product, region, `item`, year, *values, _line: for each (product, region) of `places`
    and each model year, the row of each item in force (`rows` carry product, region,
    from_year, item, values and `_line`, the row's line in its file)."""
    columns = ["product", "region", item, "year", *values, "_line"]
    if rows.empty or places.empty:
        return pd.DataFrame(columns=columns)
    grid = rows[["product", "region", "from_year", item, *values, "_line"]].merge(
        pd.DataFrame({"year": years}), how="cross")
    grid = grid[grid["year"] >= grid["from_year"]]
    latest = grid.sort_values("from_year").groupby(
        ["product", "region", item, "year"], as_index=False).tail(1)
    places = places[["product", "region"]].drop_duplicates()
    own = latest[latest["region"] != ""].merge(places, on=["product", "region"])
    every = latest[latest["region"] == ""].drop(columns="region").merge(places, on="product")
    every = every.merge(own[["product", "region", item, "year"]], how="left", indicator=True,
                        on=["product", "region", item, "year"])
    every = every[every["_merge"] == "left_only"].drop(columns="_merge")
    table = pd.concat([own, every], ignore_index=True)[columns]
    return table.sort_values(["product", "region", "year", item]).reset_index(drop=True)
