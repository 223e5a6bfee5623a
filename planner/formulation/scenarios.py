"""Scenario multipliers: the product of the effects reaching an item in a year and scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.data.effects import effect_table

__all__ = ["effect_table", "multiplier"]


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
