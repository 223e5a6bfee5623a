"""Export caps (export_caps.csv): one yearly budget for a group of offers and links.

For cap g with members M_g (offers bought from; links carried on; `country:XX` = every link
from a region of XX to a region of another country), in year t and scenario s:

  sum_{k in M_g} w_c(k) buy[k,t,s] + sum_{l in M_g} w_c(l) flow[l,t,s] <= max_g m[g,t,s]

w_c is the commodity's weight on the share basis (its rare-earth content by default, 1 on the
mass basis: planner.rare_earths.weights), so a budget on China's exports caps oxide, metal,
alloy and magnets together, and a cut on magnets cannot be bypassed by buying alloy instead.
m[g,t,s] is the product of the scenario effects on the cap's id (attribute max_t). Sell
offers are not members (nothing leaves through them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.data.effects import effect_table
from planner.data.network import is_sale, link_ids
from planner.formulation.rows import add_rows, terms
from planner.formulation.scenarios import multiplier
from planner.formulation.sets import resolved_effects
from planner.rare_earths import weights

COUNTRY = "country:"


def cap_members(instance) -> pd.DataFrame:
    """cap, family (buy or flow), item (offer or link id), commodity: every member."""
    caps = instance.caps
    columns = ["cap", "family", "item", "commodity"]
    if caps.empty:
        return pd.DataFrame(columns=columns)
    links = instance.links.assign(link=link_ids(instance.links["origin"],
                                                instance.links["destination"],
                                                instance.links["commodity"]))
    country = instance.regions.set_index("region")["country"]
    offers = instance.offers[~is_sale(instance.offers)]
    parts = []
    for row in caps.itertuples():
        member = str(row.member)
        if member.startswith(COUNTRY):
            code = member[len(COUNTRY):]
            leaving = links[(links["origin"].map(country) == code) &
                            (links["destination"].map(country) != code)]
            parts.append(pd.DataFrame({"cap": row.cap, "family": "flow",
                                       "item": leaving["link"], "commodity":
                                       leaving["commodity"]}))
        elif member in set(offers["offer"]):
            pick = offers[offers["offer"] == member]
            parts.append(pd.DataFrame({"cap": row.cap, "family": "buy", "item": pick["offer"],
                                       "commodity": pick["commodity"]}))
        else:
            pick = links[links["link"] == member]
            parts.append(pd.DataFrame({"cap": row.cap, "family": "flow", "item": pick["link"],
                                       "commodity": pick["commodity"]}))
    return pd.concat(parts, ignore_index=True).drop_duplicates(["cap", "family", "item"])[
        columns].reset_index(drop=True)


def define_export_caps(pm) -> None:
    """The export_cap rows; pm.frames["export_cap"] describes them (cap, year, scenario,
    max_t: the budget in force)."""
    inst, sets = pm.instance, pm.sets
    members = cap_members(inst)
    budget = inst.caps.groupby("cap", sort=False)["max_t"].first()
    rows = pd.DataFrame({"cap": budget.index}).merge(
        pd.DataFrame({"year": sets.years}), how="cross").merge(
        sets.scenarios[["scenario"]], how="cross")
    effects = effect_table(resolved_effects(inst), sets.years)
    rows["max_t"] = budget.reindex(rows["cap"]).to_numpy(dtype=float) * multiplier(
        effects, "cap", "max_t", rows, "cap")
    pm.frames["export_cap"] = rows
    w = weights(inst.chain, inst.settings.share_basis)
    row_of = pd.Series(np.arange(len(rows)), index=pd.MultiIndex.from_frame(
        rows[["cap", "year", "scenario"]]))
    parts = [terms(np.zeros(0, dtype=int), "buy", np.zeros(0, dtype=int), 1.0)]
    for family, frame, item in (("buy", sets.buy, "offer"), ("flow", sets.flow, "link")):
        mine = members[members["family"] == family].rename(columns={"item": item})
        hit = frame.reset_index(names="pos").merge(mine, on=item)
        keys = pd.MultiIndex.from_frame(hit[["cap", "year", "scenario"]])
        parts.append(terms(row_of.loc[keys].to_numpy(), family, hit["pos"],
                           hit["commodity"].map(w).to_numpy(dtype=float)))
    add_rows(pm.model, "export_cap", pd.concat(parts), len(rows), np.full(len(rows), np.nan),
             rows["max_t"].to_numpy(), pm.variables)
