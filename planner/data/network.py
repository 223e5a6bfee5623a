"""Regions and links as a network: what a link is called, and which flows are imports.

A link is named `origin>destination:commodity` wherever one is named (scenario effect targets,
the model's flow variables, result tables, shadow prices). A flow is an import when it leaves a
non-domestic region for a domestic one (regions.csv `domestic`): the tonnes the risk objective
weighs, concentration counts by country and the country-share policy caps. An offer is a
sale when its `side` is `sell` (offers.csv): its tonnes leave the plan, never supply it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd


def link_ids(origin, destination, commodity):
    """`origin>destination:commodity`, for strings or element-wise for pandas Series."""
    return origin + ">" + destination + ":" + commodity


def split_link_id(text: str) -> tuple[str, str, str]:
    """(origin, destination, commodity) of `origin>destination:commodity` (parts left empty
    where the text lacks them)."""
    origin, _, tail = text.partition(">")
    destination, _, commodity = tail.partition(":")
    return origin, destination, commodity


def is_import(origin: Iterable[str], destination: Iterable[str],
              domestic: Mapping[str, bool] | pd.Series) -> np.ndarray:
    """Per flow from origin[i] to destination[i]: whether it is an import, i.e. leaves a
    non-domestic region and arrives at a domestic one. `domestic` maps each region to whether
    it is domestic (a region it does not list counts as non-domestic)."""
    home = [region for region, is_home in domestic.items() if is_home]
    leaves_abroad = ~pd.Series(origin, dtype=object).isin(home).to_numpy()
    arrives_home = pd.Series(destination, dtype=object).isin(home).to_numpy()
    return leaves_abroad & arrives_home


def is_sale(offers: pd.DataFrame) -> np.ndarray:
    """Per offer (a frame with offers.csv's columns): whether it is a sell offer (side `sell`),
    whose tonnes leave its region's balance and earn its price. Without a `side` column every
    offer is bought."""
    if "side" not in offers:
        return np.zeros(len(offers), dtype=bool)
    return (offers["side"] == "sell").to_numpy()
