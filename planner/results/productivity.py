"""What the resource-productivity levers of magnet making contribute: the Dy/Tb, NdPr and swarf
a lever route saved against the conventional recipe of the same output.

A lever route is a primary process whose first output c' some product accepts in place of its
placed commodity c (`accepts:` in the model); its conventional recipe is the one primary process
of the same stage whose first output is c. Per t of the route's activity (t of c', serving
demand for one t of c), with a = input and b = output coefficients and re = rare-earth content:

    dytb_saved    = sum_i a[conv,i] re[i,dytb] - sum_i a[route,i] re[i,dytb]   (Dy/Tb fed, t/t)
    ndpr_saved    = the same for NdPr                                           (t/t)
    swarf_avoided = sum_{o not first} b[conv,o] - sum_{o not first} b[route,o]  (by-products, t/t)

Savings are of the metal fed to the route's own step (upstream melt and separation losses are
not added); a negative value is a cost of the lever (more fed or more swarf).
"""

from __future__ import annotations

import pandas as pd

from planner.chain import Chain, Process
from planner.rare_earths import group_balance

COLUMNS = ["scenario", "year", "lever", "region", "activity_t", "dytb_saved_t", "ndpr_saved_t",
           "swarf_avoided_t"]
PER_T = ["dytb_saved_t", "ndpr_saved_t", "swarf_avoided_t"]


def _by_products(process: Process) -> float:
    """t of outputs other than the first (swarf, scrap) per t of activity."""
    return sum(list(process.outputs.values())[1:])


def _first(process: Process) -> str | None:
    return next(iter(process.outputs), None)


def lever_routes(chain: Chain) -> pd.DataFrame:
    """lever (the route's process), conventional (its conventional process) and the savings per
    t of the route's activity (t/t): dytb_saved_t, ndpr_saved_t, swarf_avoided_t."""
    stands_for = {c: p.placed_commodity for p in chain.products.values()
                  for c in p.accepts}
    primary = {n: p for n, p in chain.processes.items() if p.loop == "primary"}
    rows = []
    for name, route in primary.items():
        placed = stands_for.get(_first(route))
        conventional = [p for p in primary.values()
                        if _first(p) == placed and p.stage == route.stage]
        if placed is None or len(conventional) != 1:
            continue
        conv = conventional[0]
        saved = {g: group_balance(chain, conv)[g][0] - group_balance(chain, route)[g][0]
                 for g in ("dytb", "ndpr")}  # t of each group fed per t of activity
        rows.append((name, conv.name, saved["dytb"], saved["ndpr"],
                     _by_products(conv) - _by_products(route)))
    return pd.DataFrame(rows, columns=["lever", "conventional", *PER_T])


def productivity_table(activity: pd.DataFrame, chain: Chain) -> pd.DataFrame:
    """scenario, year, lever, region, activity_t, dytb_saved_t, ndpr_saved_t, swarf_avoided_t:
    each lever route's activity (t/yr, summed over its facilities in a region) and what it saved
    against making the same tonnes conventionally (t/yr). `activity` is the activity table."""
    routes = lever_routes(chain)
    table = activity.merge(routes, left_on="process", right_on="lever")
    table = table.groupby(["scenario", "year", "lever", "region"], as_index=False).agg(
        activity_t=("activity_t", "sum"), **{c: (c, "first") for c in PER_T})
    for c in PER_T:
        table[c] = table[c] * table["activity_t"]
    return table[COLUMNS].sort_values(["scenario", "year", "lever", "region"]).reset_index(
        drop=True)
