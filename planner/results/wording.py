"""Shadow-price rows in words: what relaxing a constraint by one unit means, and money in the
objective's unit."""

from __future__ import annotations

import pandas as pd

POLICY_SUPPLY = {"min_recycled_share": "recycled", "min_domestic_share": "domestic"}


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


def _policy_words(r) -> str:
    """What relaxing a policy row by one unit means, in words (without the year)."""
    policy, _, group = str(r.item).partition(":")
    if policy == "emissions_cap_t":
        return f"raising {policy} for {r.region or 'all regions'} by one t CO2e"
    scope = r.region or "all domestic regions"
    if policy == "max_country_share":
        country, _, stage = group.partition("/")
        return (f"allowing one more tonne of {stage}-stage imports from {country} under "
                f"{policy} for {scope}")
    return f"requiring one tonne less of {POLICY_SUPPLY[policy]} supply under {policy} for {scope}"


def relaxation(r) -> str:
    """What relaxing the constraint of row `r` of the table by one unit means, in words."""
    when = f" in {r.year}" if not pd.isna(r.year) else ""
    if r.kind == "capacity":
        return (f"one more tonne per year of {r.process} capacity at {r.item} ({r.region})"
                f"{when}")
    if r.kind == "build_limit":
        return (f"allowing one more module of {r.process} at {r.item} ({r.region}), built in "
                f"{r.year},")
    if r.kind == "offer":
        return f"one more tonne of {r.commodity} from offer {r.item} ({r.region}){when}"
    if r.kind == "link":
        return f"one more tonne of {r.commodity} shipped on link {r.item}{when}"
    if r.kind == "policy":
        return _policy_words(r) + when
    return f"raising the limit on {r.item} by one {r.unit}"
