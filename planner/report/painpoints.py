"""Pain points of a solution: binding constraints ranked by shadow price, single-country
dependencies above a threshold, and every tonne of unmet demand."""

from __future__ import annotations

import pandas as pd

from planner.report.rundata import Run
from planner.results.wording import money, relaxation


def year_ranges(years) -> str:
    """[2027, 2028, 2029, 2035] -> "2027-2029, 2035"."""
    years = sorted({int(y) for y in years})
    parts, start = [], None
    for i, y in enumerate(years):
        if start is None:
            start = y
        if i + 1 == len(years) or years[i + 1] != y + 1:
            parts.append(str(start) if start == y else f"{start}-{y}")
            start = None
    return ", ".join(parts)


def dependencies(run: Run, threshold: float) -> pd.DataFrame:
    """scenario, stage, country, years, max_share, imported_t: each origin country that supplies
    at least `threshold` of a stage's imports in some year (tonnes summed over those years)."""
    conc = run.tables["concentration"]
    high = conc[(conc["share"] >= threshold) & (conc["imported_t"] > 0)]
    if high.empty:
        return pd.DataFrame(columns=["scenario", "stage", "country", "years", "max_share",
                                     "imported_t"])
    out = high.groupby(["scenario", "stage", "country"], sort=True).agg(
        years=("year", year_ranges), max_share=("share", "max"),
        imported_t=("imported_t", "sum")).reset_index()
    return out.sort_values(["max_share", "imported_t"], ascending=False, kind="stable")


def unmet_demand(run: Run) -> pd.DataFrame:
    """scenario, commodity, region, year, demand_t, shortfall_t: every unmet tonne."""
    short = run.tables["shortfall"]
    return short[["scenario", "commodity", "region", "year", "demand_t", "shortfall_t"]
                 ].sort_values(["scenario", "commodity", "region", "year"]).reset_index(
        drop=True)


KEY = ["kind", "item", "process", "region", "commodity", "year", "unit"]


def ranked_constraints(run: Run) -> pd.DataFrame:
    """kind, item, ..., unit, saving (objective saving per unit, summed over scenarios: the
    data a constraint comes from holds in every scenario), scenarios (in how many it binds),
    most (the scenario where it saves most), message; largest saving first."""
    prices = run.tables.get("shadow_prices")
    if prices is None or prices.empty:
        return pd.DataFrame(columns=[*KEY, "saving", "scenarios", "most", "message"])
    text = ["item", "process", "region", "commodity", "scenario", "unit"]
    prices = prices.assign(**{c: prices[c].astype(object).fillna("") for c in text})
    prices = prices.assign(year=prices["year"].astype("Int64"))
    rows = []
    for key, group in prices.groupby(KEY, dropna=False, sort=True):
        first = next(group.itertuples())
        top = group.loc[group["saving_per_unit"].idxmax()]
        rows.append({**dict(zip(KEY, key)), "saving": group["saving_per_unit"].sum(),
                     "scenarios": int((group["scenario"] != "").sum()),
                     "most": top["scenario"], "what": relaxation(first)})
    table = pd.DataFrame(rows).sort_values(["saving", "kind", "item", "year"],
                                           ascending=[False, True, True, True], kind="stable")
    n = len(run.scenarios)
    objective = str(run.summary.get("objective", ""))

    def words(r) -> str:
        saving = money(r.saving, run.currency, objective)
        if n > 1 and r.scenarios > 1:
            where = f" in expectation (binding in {r.scenarios} of {n} scenarios, most in {r.most})"
        elif n > 1 and r.scenarios == 1:
            where = f" in expectation (binding only in scenario {r.most})"
        else:
            where = ""
        return f"{r.what} would save {saving}{where}"

    table["message"] = [words(r) for r in table.itertuples()]
    return table.drop(columns="what").reset_index(drop=True)
