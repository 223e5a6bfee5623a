"""Scenario multipliers: the product of the effects reaching an item in a year and scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd


def effect_table(effects: pd.DataFrame, years: np.ndarray) -> pd.DataFrame:
    """Resolved effects -> kind, attribute, item, year, scenario, multiply (multiplied out)."""
    if effects.empty:
        return pd.DataFrame(columns=["kind", "attribute", "item", "year", "scenario", "multiply"])
    e = effects.copy()
    e["from_year"] = e["from_year"].fillna(years[0]).astype(int)
    e["to_year"] = e["to_year"].fillna(years[-1]).astype(int)
    e = e.merge(pd.DataFrame({"year": years}), how="cross")
    e = e[(e["year"] >= e["from_year"]) & (e["year"] <= e["to_year"])]
    return e.groupby(["kind", "attribute", "item", "year", "scenario"], as_index=False)[
        "multiply"].prod()


def multiplier(table: pd.DataFrame, kind: str, attribute: str, frame: pd.DataFrame,
               item: str) -> np.ndarray:
    """For each row of `frame` (columns `item`, year, scenario): the factor on `attribute`."""
    pick = table[(table["kind"] == kind) & (table["attribute"] == attribute)]
    if pick.empty:
        return np.ones(len(frame))
    keyed = pick.rename(columns={"item": item})[[item, "year", "scenario", "multiply"]]
    merged = frame[[item, "year", "scenario"]].merge(keyed, how="left",
                                                     on=[item, "year", "scenario"])
    return merged["multiply"].fillna(1.0).to_numpy()
