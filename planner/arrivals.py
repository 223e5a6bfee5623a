"""End-of-life arrivals of an instance: product inflows through their lifetimes (planner.stocks).

Inflows of product e at region r are its historic inflows (product_inflows.csv) before the first
model year and its demand rows (demand.csv with that product) from then on; with a year step > 1
a model year's demand is the yearly rate for the calendar years it stands for. Arrivals are the
mean yearly outflow over those calendar years, at the region where the product was placed, as
the product's end-of-life commodity. Inflows are exogenous: demand left unmet still counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.data.instance import Instance
from planner.stocks import dynamic_stock

COLUMNS = ["product", "region", "commodity", "year", "arrivals_t", "stock_t"]


def instance_arrivals(instance: Instance) -> pd.DataFrame:
    """One row per product, region and model year: arrivals_t (t/yr), stock_t (t, year end)."""
    s = instance.settings
    years = instance.years
    demand = instance.demand[instance.demand["product"] != ""]
    # future inflows on the calendar grid: each model year's rate repeated over its step
    future = demand.loc[demand.index.repeat(s.step)].copy()
    future["year"] = future["year"] + np.tile(np.arange(s.step), len(demand))
    future = future.rename(columns={"demand_t": "placed_t"})[["product", "region", "year",
                                                             "placed_t"]]
    inflows = pd.concat([instance.inflows[["product", "region", "year", "placed_t"]], future])
    if inflows.empty:
        return pd.DataFrame(columns=COLUMNS)
    inflows = inflows.astype({"year": int, "placed_t": float})
    first = min(int(inflows["year"].min()), s.start)
    calendar = np.arange(first, s.end + s.step)
    # the model year each calendar year belongs to
    block = np.searchsorted(years, calendar, side="right") - 1
    rows = []
    for (product, region), group in inflows.groupby(["product", "region"], sort=True):
        spec = instance.chain.products[product]
        series = group.groupby("year")["placed_t"].sum().reindex(calendar, fill_value=0.0)
        outflow, stock = dynamic_stock(series.to_numpy(), spec.lifetime)
        inside = block >= 0
        arrivals = np.bincount(block[inside], weights=outflow[inside], minlength=len(years))
        stock_end = stock[np.searchsorted(calendar, years)]
        rows.append(pd.DataFrame({
            "product": product, "region": region, "commodity": spec.eol_commodity,
            "year": years, "arrivals_t": arrivals / s.step, "stock_t": stock_end}))
    return pd.concat(rows, ignore_index=True)[COLUMNS]
