"""Pain points of a solution: binding constraints ranked by shadow price, single-country
dependencies above a threshold, and every tonne of unmet demand."""

from __future__ import annotations

import pandas as pd

from planner.report.rundata import Run
from planner.results.wording import money, policy_text, relaxation


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
    """scenario, stage, country, years, max_share, imported_t: each origin country (in words)
    that supplies at least `threshold` of a stage's imports in some year (tonnes summed over
    those years)."""
    conc = run.tables["concentration"]
    high = conc[(conc["share"] >= threshold) & (conc["imported_t"] > 0)]
    if high.empty:
        return pd.DataFrame(columns=["scenario", "stage", "country", "years", "max_share",
                                     "imported_t"])
    out = high.groupby(["scenario", "stage", "country"], sort=True).agg(
        years=("year", year_ranges), max_share=("share", "max"),
        imported_t=("imported_t", "sum")).reset_index()
    names = run.dims.get("countries", {})
    out["country"] = out["country"].map(lambda c: names.get(c, c))
    return out.sort_values(["max_share", "imported_t"], ascending=False, kind="stable")


def unmet_demand(run: Run) -> pd.DataFrame:
    """scenario, commodity, region, year, demand_t, shortfall_t: every unmet tonne."""
    short = run.tables["shortfall"]
    return short[["scenario", "commodity", "region", "year", "demand_t", "shortfall_t"]
                 ].sort_values(["scenario", "commodity", "region", "year"]).reset_index(
        drop=True)


def policy_prices(prices: pd.DataFrame | None, policy: str, region: str,
                  group: str) -> pd.DataFrame:
    """The shadow-price rows of one policy (of one country/stage group), every binding year
    and scenario."""
    if prices is None or prices.empty:
        return pd.DataFrame(columns=["saving_per_unit"])
    item = f"{policy}:{group}" if group else policy
    return prices[(prices["kind"] == "policy") & (prices["item"] == item) &
                  (prices["region"].astype(object).fillna("") == region)]


def policy_groups(status: pd.DataFrame, prices: pd.DataFrame | None):
    """Per policy in force (and region, and country/stage group): its text in words, whether
    it holds in words, its rows of policy_status.csv and the shadow-price rows where it
    binds."""
    for (policy, region, group), rows in status.groupby(
            ["policy", status["region"].astype(object).fillna(""),
             status["group"].astype(object).fillna("")], sort=False):
        first = rows.sort_values("year").iloc[0]
        text = policy_text(policy, region, group, first["target"], first["unit"],
                           int(first["year"]))
        holds = rows["holds"].astype(bool)
        held = "holds in every scenario" if holds.all() else (
            f"fails in {int((~holds).sum())} scenario-years")
        yield text, held, rows, policy_prices(prices, policy, region, group)


def policies(run: Run) -> list[str]:
    """Every policy in force, in words: what it asks, whether it holds, and where it binds,
    what one unit more of it would cost (its shadow prices summed over years and
    scenarios, in the constraint's unit: t of recycled or domestic supply, t of a country's
    imports, t in stock, t CO2e)."""
    status = run.tables.get("policy_status")
    if status is None or status.empty:
        return []
    objective = str(run.summary.get("objective", ""))
    out = []
    for text, held, rows, binding in policy_groups(status, run.tables.get("shadow_prices")):
        if len(binding):
            unit = binding["unit"].iloc[0]
            cost = money(binding["saving_per_unit"].sum(), run.currency, objective)
            held += (f"; binds in {len(binding)} of {len(rows)} scenario-years, where one "
                     f"{unit} more of it would cost {cost} in expectation")
        else:
            held += "; never binds"
        out.append(f"{text}: {held}")
    return out


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
