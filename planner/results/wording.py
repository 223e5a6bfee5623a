"""Every sentence the planner writes about a solution: shadow prices (what relaxing a constraint
by one unit would save, money in the objective's unit) and why a model has no solution.

The solver layer (planner.solve) computes numbers and structured records; they are put in words
here, and only here.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pandas as pd

from planner.rare_earths import RARE_EARTH_UNIT

POLICY_SUPPLY = {"min_recycled_share": "recycled", "min_domestic_share": "domestic"}
LOOP_NAMES = {"primary_import": "primary import", "domestic_primary": "domestic primary",
              "reuse": "reuse", "remanufacture": "remanufacture", "short_loop": "short loop",
              "long_loop": "long loop", "kept_in_use": "kept in use",
              "substituted": "substituted", "from_stock": "from stock", "unmet": "unmet"}
COST_NAMES = {"capital": "capital charges", "fixed_om": "fixed O&M", "variable_om": "variable O&M",
              "transport": "transport", "tariffs": "tariffs", "purchases": "purchases",
              "sales": "sales (revenue)", "collection": "collection",
              "life_extension": "life extension", "substitution": "substitution",
              "storage_capital": "stockpile capital", "storage_holding": "stockpile holding",
              "disposal": "disposal", "carbon": "carbon price",
              "shortage": "unmet-demand penalty"}
POLICY_UNITS = {"min_recycled_share": "t of recycled supply",
                "min_domestic_share": "t of domestic supply",
                "max_country_share": "t imported", "emissions_cap_t": "t CO2e",
                "min_stock_days": "t in stock"}
POLICY_RARE_EARTH_UNITS = {"min_recycled_share": "t of recycled rare earths",
                           "min_domestic_share": "t of domestic rare earths",
                           "max_country_share": "t of rare earths imported",
                           "min_stock_days": "t of rare earths in stock"}
COUNTRIES_FILE = Path(__file__).with_name("countries.csv")
UNBOUNDED = "the objective can decrease without limit: check for negative prices or costs"


def money(amount: float, currency: str, objective: str) -> str:
    """`GBP 1,234` when `objective` (ObjectiveSpec's text: "cost=1", "risk>cost") last
    minimises plain cost, else `1,234 objective units`."""
    number = f"{amount:,.2f}" if abs(amount) < 100 else f"{amount:,.0f}"
    if "normalised" in objective:
        return f"{number} objective units"
    last = objective.split(">")[-1]
    weights = {k: float(v) for k, _, v in (part.partition("=") for part in last.split(","))
               } if "=" in last else {last: 1.0}
    plain = {k: w for k, w in weights.items() if w} == {"cost": 1.0}
    return f"{currency} {number}" if plain else f"{number} objective units"


def short(description: str, fallback: str) -> str:
    """A description's first clause, up to its first comma, semicolon, bracket or " - "
    ("Birmingham - Tyseley Energy Park" -> "Birmingham"); `fallback` when there is none."""
    text = description if isinstance(description, str) else ""  # NaN: no description
    for mark in (" - ", ",", ";", " ("):
        text = text.split(mark)[0]
    return text.strip() or fallback


@cache
def iso_countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> short country name (countries.csv beside this module)."""
    with COUNTRIES_FILE.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {r["country"]: r["name"] for r in rows}


def country_names(regions: dict[str, dict]) -> dict[str, str]:
    """Each country code of `regions` (region -> {"country", "place"}) -> its name: the ISO
    short name, else the place of the region whose id is the code, else the code itself."""
    codes = sorted({v["country"] for v in regions.values()})
    return {c: iso_countries().get(c) or regions.get(c, {}).get("place") or c for c in codes}


POLICY_ASKS = {"min_recycled_share": "recycled share of demand at least",
               "min_domestic_share": "domestic share of demand at least",
               "max_country_share": "any one country's share of a stage's supply at most",
               "emissions_cap_t": "emissions at most", "min_stock_days": "stock of at least",
               "carbon_price_per_t": "carbon price of"}


def policy_text(policy: str, region: str, group: str, target: float, unit: str,
                from_year: int) -> str:
    """A policy in words: "recycled share of demand at least 20 % from 2035, all domestic
    regions" (`unit` as policy_status.csv gives it: share, days, t CO2e)."""
    value = f"{target * 100:.0f} %" if unit == "share" else f"{target:,.0f} {unit}"
    scope = region or ("all regions" if policy == "emissions_cap_t" else
                       "all domestic regions")
    asks = POLICY_ASKS.get(policy, policy)
    if policy == "max_country_share" and group:
        country, _, stage = group.partition("/")
        asks = f"{country}'s share of {stage}-stage supply at most"
    return f"{asks} {value} from {from_year}, {scope}"


def _policy_words(r) -> str:
    """What relaxing a policy row by one unit means, in words (without the year)."""
    policy, _, group = str(r.item).partition(":")
    if policy == "emissions_cap_t":
        return f"raising {policy} for {r.region or 'all regions'} by one t CO2e"
    scope = r.region or "all domestic regions"
    tonne = "tonne of rare earths" if r.unit == RARE_EARTH_UNIT else "tonne"
    if policy == "min_stock_days":
        return f"holding one {tonne} less in stock under {policy} for {scope}"
    if policy == "max_country_share":
        country, _, stage = group.partition("/")
        return (f"allowing one more {tonne} of {stage}-stage imports from {country} under "
                f"{policy} for {scope}")
    return (f"requiring one {tonne} less of {POLICY_SUPPLY[policy]} supply under {policy} for "
            f"{scope}")


def relaxation(r) -> str:
    """What relaxing the constraint of row `r` of a shadow-price table by one unit means."""
    when = f" in {r.year}" if not pd.isna(r.year) else ""
    if r.kind == "capacity":
        return (f"one more tonne per year of {r.process} capacity at {r.item} ({r.region})"
                f"{when}")
    if r.kind == "build_limit":
        return (f"allowing one more module of {r.process} at {r.item} ({r.region}), built in "
                f"{r.year},")
    if r.kind == "offer":
        return f"one more tonne of {r.commodity} from offer {r.item} ({r.region}){when}"
    if r.kind == "sale":
        return f"selling one more tonne of {r.commodity} to offer {r.item} ({r.region}){when}"
    if r.kind == "link":
        return f"one more tonne of {r.commodity} shipped on link {r.item}{when}"
    if r.kind == "policy":
        return _policy_words(r) + when
    if r.kind == "export_cap":
        tonne = "tonne of rare earths" if r.unit == RARE_EARTH_UNIT else "tonne"
        return f"one more {tonne} in the budget of export cap {r.item}{when}"
    if r.kind == "collection":
        product, _, tier = str(r.item).partition(":")
        return (f"one more point of the {tier} collection share of {product} end of life at "
                f"{r.region}{when}")
    return f"raising the limit on {r.item} by one {r.unit}"


def saving(r, currency: str, objective: str) -> str:
    """The sentence of one row `r` of a shadow-price table (planner.solve.duals): what relaxing
    its constraint by one unit would save, and in which scenario."""
    scenario = f" (scenario {r.scenario})" if r.scenario else ""
    return f"{relaxation(r)} would save {money(r.saving_per_unit, currency, objective)}{scenario}"


def infeasibility(found, limit: int = 20, basis: str = "mass") -> list[str]:
    """The sentences of an Infeasibility (planner.solve.diagnose): each balance that cannot
    hold, then each policy missed, at most `limit` of them; share policies' gaps in tonnes of
    rare earths on the `rare_earth` share basis."""
    units = {**POLICY_UNITS, **(POLICY_RARE_EARTH_UNITS if basis == "rare_earth" else {})}
    if found.cause == "none":
        return ["the model is infeasible, but no commodity balance or policy is involved"]
    if found.cause == "beyond":
        return ["the model is infeasible even with every commodity balance and policy relaxed: "
                "check capacity and build limits"]
    messages = []
    for r in found.balance.itertuples():
        if r.surplus > 1e-6:
            messages.append(
                f"{r.commodity} at {r.region} in {r.year} (scenario {r.scenario}): "
                f"{r.surplus:,.1f} t short and unmet demand is not allowed for it "
                "(it has no demand row); add supply or make it demand")
        else:
            messages.append(
                f"{r.commodity} at {r.region} in {r.year} (scenario {r.scenario}): "
                f"{r.deficit:,.1f} t too much that nothing can use, ship or dispose of; "
                "mark it disposable in the value-chain model or add a process that takes it")
    for r in found.policy.itertuples():
        where = r.region or "all domestic regions"
        what = f" ({r.group})" if isinstance(r.group, str) and r.group else ""
        messages.append(
            f"policy {r.policy}{what} for {where} cannot be met in {r.year} (scenario "
            f"{r.scenario}): it misses by {r.gap:,.1f} {units[r.policy]}")
    if len(messages) > limit:
        messages = messages[:limit] + [f"... and {len(messages) - limit} more"]
    return messages


def unmet_limits(unmet: Iterable) -> list[str]:
    """The sentences of the limits that cannot be met (planner.solve.tradeoffs.UnmetLimit:
    measure, limit, least); none found alone means they fail only together."""
    return [f"limit {u.measure} <= {u.limit:,.6g} cannot be met: the least {u.measure} "
            f"possible is {u.least:,.6g}" for u in unmet] or [
        "the limits together cannot be met, though each can alone"]
