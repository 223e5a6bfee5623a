"""End-of-life arrivals: what was placed in use, through each product's lifetime (planner.stocks).

Product e enters use at region r in two ways. Its inflows (product_inflows.csv, t/yr per
calendar year) enter without being supplied: historic placements before the first model year
and, in the horizon, magnets inside imported products; no scenario scales them and no shortfall
takes them back. And from the first model year what the plan places: its demand rows, scaled
by the scenario, less the demand left unmet (t/yr; with a year step > 1 a model year's
placement is the yearly rate of the calendar years it stands for, while an inflow row stays
one calendar year). Arrivals are the mean yearly outflow over a model year's calendar years, at
the region where the product was placed, as the product's end-of-life commodity; stocks are
those in use at the end of each model year's first calendar year, inflows included.

Arrivals are linear in the placements: for every scenario,

  arrivals[e,r,t,s] = inflows_out[e,r,t] + sum_tau K_e[t,tau] placed[e,r,tau,s]

with inflows_out the outflow of the inflows through e's lifetime and K_e the model-year kernel
of e's lifetime (`arrival_kernel`). The model holds the arrivals of the inflows and of full
demand as data and subtracts K_e[t,tau] short[e,r,tau,s]: demand left unmet is never placed,
so it never comes back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.data.instance import Instance
from planner.stocks import Lifetime, cohort_outflow_matrix, cohort_survival_matrix

COLUMNS = ["product", "region", "commodity", "year", "scenario", "arrivals_t", "stock_t"]
PLACED = ["product", "region", "year", "scenario", "placed_t"]


def arrival_kernel(lifetime: Lifetime, years: np.ndarray, step: int) -> np.ndarray:
    """K[t, tau]: t/yr arriving in model year years[t] per t/yr placed in model year years[tau]
    (lower triangular). A model year stands for `step` calendar years from itself on."""
    calendar = np.arange(years[0], years[-1] + step)
    block = (calendar - years[0]) // step  # the model year index of each calendar year
    spread = (block[:, None] == np.arange(len(years))[None, :]).astype(float)  # rate -> years
    return spread.T @ cohort_outflow_matrix(lifetime, len(calendar)) @ spread / step


def plan_arrivals(instance: Instance, placed: pd.DataFrame,
                  scenarios: list[str]) -> pd.DataFrame:
    """One row per product, region, model year and scenario: arrivals_t (t/yr) and stock_t (t,
    in use at the end of the model year's first calendar year) from the inflows and
    `placed` (PLACED columns: t/yr placed in each model year and scenario)."""
    s = instance.settings
    years = instance.years
    history = instance.inflows[["product", "region", "year", "placed_t"]]
    future = placed.loc[placed.index.repeat(s.step), PLACED].copy()
    future["year"] = future["year"] + np.tile(np.arange(s.step), len(placed))
    keys = pd.concat([history[["product", "region"]], placed[["product", "region"]]])
    if keys.empty:
        return pd.DataFrame(columns=COLUMNS)
    first = min(int(history["year"].min()) if len(history) else s.start, s.start)
    calendar = np.arange(first, s.end + s.step)
    block = np.searchsorted(years, calendar, side="right") - 1
    inside = block >= 0
    rows = []
    matrices: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # the stock model, per product
    for product, region in sorted(set(zip(keys["product"], keys["region"]))):
        spec = instance.chain.products[product]
        if product not in matrices:
            matrices[product] = (cohort_outflow_matrix(spec.lifetime, len(calendar)),
                                 cohort_survival_matrix(spec.lifetime, len(calendar)))
        outflow_of, stock_of = matrices[product]
        past = history[(history["product"] == product) & (history["region"] == region)]
        base = past.groupby("year")["placed_t"].sum().reindex(calendar, fill_value=0.0)
        mine = future[(future["product"] == product) & (future["region"] == region)]
        for scenario in scenarios:
            series = (base + mine[mine["scenario"] == scenario].groupby("year")[
                "placed_t"].sum().reindex(calendar, fill_value=0.0)).to_numpy(dtype=float)
            outflow, stock = outflow_of @ series, stock_of @ series
            arrivals = np.bincount(block[inside], weights=outflow[inside],
                                   minlength=len(years))
            rows.append(pd.DataFrame({
                "product": product, "region": region, "commodity": spec.eol_commodity,
                "year": years, "scenario": scenario, "arrivals_t": arrivals / s.step,
                "stock_t": stock[np.searchsorted(calendar, years)]}))
    return pd.concat(rows, ignore_index=True)[COLUMNS]
