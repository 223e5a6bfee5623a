"""Scenario effects: targets (`id`, `country:CN`, `*`) resolved to the items they change.

Kinds of item, their id and the attributes an effect may multiply:
  offer     offers.offer                         max_t, price_per_t
  link      origin>destination:commodity         max_t, cost_per_t, tariff_per_t
  facility  facilities.facility                  availability, variable_cost_per_t
  region    regions.region                       demand_t (the region's demand)
  cap       export_caps.cap                      max_t (the group's yearly budget)
An effect whose scenario is `*` belongs to every scenario.
`country:CN` reaches the offers and facilities at CN's regions, the links leaving them and
their demand; `*` reaches every item of the kinds that have the attribute.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.data.network import link_ids
from planner.suggest import one_of

ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "offer": ("max_t", "price_per_t"),
    "link": ("max_t", "cost_per_t", "tariff_per_t"),
    "facility": ("availability", "variable_cost_per_t"),
    "region": ("demand_t",),
    "cap": ("max_t",),
}
EVERY = "*"  # an effect of every scenario (e.g. a price path all of them share)
COLUMNS = ["scenario", "kind", "item", "attribute", "from_year", "to_year", "multiply", "_line"]


def item_regions(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """kind -> (item, region) of every item: where it is (a link: where it leaves)."""
    links = tables["links"]
    return {
        "offer": pd.DataFrame({"item": tables["offers"]["offer"],
                               "region": tables["offers"]["region"]}),
        "link": pd.DataFrame({"item": link_ids(links["origin"], links["destination"],
                                          links["commodity"]), "region": links["origin"]}),
        "facility": pd.DataFrame({"item": tables["facilities"]["facility"],
                                  "region": tables["facilities"]["region"]}),
        "region": pd.DataFrame({"item": tables["regions"]["region"],
                                "region": tables["regions"]["region"]}),
        # a cap is nowhere: `country:XX` does not reach it, its id or `*` does
        "cap": pd.DataFrame({"item": pd.unique(caps["cap"]), "region": ""}) if (
            caps := tables.get("caps")) is not None else pd.DataFrame(columns=["item", "region"]),
    }


def resolve_effects(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, list[tuple]]:
    """(one row per effect and item it reaches, [(effect row, problem, expected), ...])."""
    effects = tables.get("effects")
    if effects is None or effects.empty:
        return pd.DataFrame(columns=COLUMNS), []
    items = item_regions(tables)
    country = tables["regions"].set_index("region")["country"]
    rows, problems = [], []
    for effect in effects.to_dict("records"):
        target, attribute = effect["target"], effect["attribute"]
        kinds = [k for k, attrs in ATTRIBUTES.items() if attribute in attrs]
        if not kinds:
            every = sorted({a for attrs in ATTRIBUTES.values() for a in attrs})
            problems.append((effect, "attribute", f"unknown attribute {attribute!r}",
                             one_of(attribute, every)))
            continue
        reached = []
        if target == "*":
            reached = [(k, i) for k in kinds for i in items[k]["item"]]
        elif target.startswith("country:"):
            code = target.split(":", 1)[1]
            if code not in set(country):
                problems.append((effect, "target", f"no region has country {code!r}",
                                 "country:XX with XX " + one_of(code, set(country))))
                continue
            for k in kinds:
                frame = items[k]
                reached += [(k, i) for i in frame.loc[frame["region"].map(country) == code,
                                                      "item"]]
        else:
            owners = [k for k, frame in items.items() if target in set(frame["item"])]
            if not owners:
                ids = {i for frame in items.values() for i in frame["item"]}
                problems.append((effect, "target", f"unknown target {target!r}",
                                 "an offer, link, facility, region or export cap id, "
                                 "country:XX or *: " + one_of(target, ids)))
                continue
            reached = [(k, target) for k in owners if k in kinds]
            if not reached:
                problems.append((effect, "attribute",
                                 f"{attribute!r} does not apply to {owners[0]} {target!r}",
                                 "one of " + ", ".join(ATTRIBUTES[owners[0]])))
                continue
        rows += [{**{c: effect[c] for c in COLUMNS if c in effect}, "kind": k, "item": i}
                 for k, i in reached]
    resolved = pd.DataFrame(rows, columns=COLUMNS)
    every = resolved["scenario"] == EVERY
    if every.any():
        scenarios = tables.get("scenarios")
        names = list(scenarios["scenario"]) if scenarios is not None and len(scenarios) else [
            "base"]
        resolved = pd.concat([resolved[~every], resolved[every].drop(columns="scenario").merge(
            pd.DataFrame({"scenario": names}), how="cross")], ignore_index=True)[COLUMNS]
    return resolved, problems


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
