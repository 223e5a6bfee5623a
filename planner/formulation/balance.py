"""Commodity balance per region r, commodity c, year t, scenario s (an equality):

  sum_f at r net[p(f),c] act[f,t,s] + sum_{l into r} (1 - loss_l) flow[l,t,s]
  - sum_{l out of r} flow[l,t,s] + sum_{k at r} side_k buy[k,t,s] + short[r,c,t,s]
  - sum_{e: eol(e) = c} sum_tau K_e[t,tau] share[r,e,tau,s] short[r,placed(e),tau,s]
  + sum_{e, k} collect[e,r,t,k,s] - dispose[r,c,t,s]
  = demand[r,c,t,s] - arrivals[r,c,t,s]

net = outputs - inputs per unit of activity. short exists where demand > 0; dispose where c
is disposable. arrivals are those of historic inflows and full demand (planner.arrivals); the
K terms take back those of demand left unmet, shared among the products placing it pro rata
(share = the product's part of the demand). For a product under collection control in year t
(formulation/collection.py) its arrivals and K terms leave this row and its collected tonnes
enter instead. Rows exist only for (r, c, t, s) that some term or datum touches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.data.network import is_sale
from planner.formulation.collection import collected_into_balance, controlled
from planner.formulation.inventory import inventory_entries
from planner.formulation.products import (
    kernel_returns,
    option_returns,
    product_entries,
    returns_terms,
)
from planner.formulation.rows import add_rows, add_variables, terms

KEY = ["region", "commodity", "year", "scenario"]


def process_coefficients(chain) -> pd.DataFrame:
    """process, commodity, net: outputs minus inputs per unit of activity."""
    return pd.DataFrame([(p, c, a) for p, proc in chain.processes.items()
                         for c, a in proc.net().items() if a != 0],
                        columns=["process", "commodity", "net"])


def define_trade_variables(pm) -> None:
    """flow[l,t,s] <= max_l m[l,t,s] and buy[k,t,s] <= max_k m[k,t,s]: what links carry and
    offers sell, in t (bounds from sets.flow and sets.buy, NaN: none)."""
    sets = pm.sets
    pm.variables["flow"] = add_variables(pm.model, "flow", len(sets.flow), ub=sets.flow["ub"],
                                         alias=pm.alias("flow", sets.flow))
    pm.variables["buy"] = add_variables(pm.model, "buy", len(sets.buy), ub=sets.buy["ub"],
                                        alias=pm.alias("buy", sets.buy))


def balance_entries(pm) -> pd.DataFrame:
    """Every term of every balance row, keyed by region, commodity, year, scenario. An offer's
    term is side_k buy[k,t,s]: side_k = +1 for a buy offer, -1 for a sell offer (offers.csv
    `side`), whose tonnes leave its region's balance."""
    sets, chain = pm.sets, pm.instance.chain
    act = sets.act.reset_index(names="pos").merge(
        sets.facilities[["facility", "process", "region"]], on="facility")
    act = act.merge(process_coefficients(chain), on="process")
    links = pm.sets.links
    flow = sets.flow.reset_index(names="pos").merge(links, on="link")
    offers = sets.buy.reset_index(names="pos").merge(
        pm.sets.offers[["offer", "region", "commodity"]].assign(
            sign=np.where(is_sale(pm.sets.offers), -1.0, 1.0)), on="offer")
    parts = [
        act.assign(family="act", coef=act["net"]),
        flow.assign(family="flow", region=flow["destination"], coef=1.0 - flow["loss"]),
        flow.assign(family="flow", region=flow["origin"], coef=-1.0),
        offers.assign(family="buy", coef=offers["sign"]),  # +1 bought, -1 sold
    ]
    return pd.concat([p[KEY + ["family", "pos", "coef"]] for p in parts], ignore_index=True)


def define_balance(pm) -> None:
    """short and dispose (where they can be non-zero) and the balance rows;
    pm.frames["balance"] describes the rows (region, commodity, year, scenario, demand_t,
    arrivals_t, rhs), pm.frames["short"] and ["dispose"] the variables (with their `row`), and
    pm.returns the arrivals each shortfall takes back (unplaced_returns). Arrivals under
    collection control (formulation/collection.py) stay out of the rows: their collected tonnes
    enter instead, and their returns go to the collection rows."""
    sets, chain = pm.sets, pm.instance.chain
    entries = pd.concat([balance_entries(pm), product_entries(pm), inventory_entries(pm)],
                        ignore_index=True)
    demand = sets.demand
    places = ["product", "region", "year"]
    under_control = pd.MultiIndex.from_frame(controlled(pm))
    held = pd.MultiIndex.from_frame(sets.arrivals[places]).isin(under_control)
    arrivals = sets.arrivals.assign(arrivals_t=np.where(held, 0.0, sets.arrivals["arrivals_t"]))
    arrivals = arrivals.groupby(KEY, as_index=False, sort=False)["arrivals_t"].sum()
    rows = pd.concat([entries[KEY], demand[KEY], arrivals[KEY]]).drop_duplicates()
    rows = rows.sort_values(KEY).reset_index(drop=True)
    rows = rows.merge(demand[KEY + ["demand_t"]], on=KEY, how="left").merge(
        arrivals[KEY + ["arrivals_t"]], on=KEY, how="left").fillna(
        {"demand_t": 0.0, "arrivals_t": 0.0})
    rows["rhs"] = rows["demand_t"] - rows["arrivals_t"]
    row_of = pd.Series(np.arange(len(rows)), index=pd.MultiIndex.from_frame(rows[KEY]))
    entries["row"] = row_of.loc[pd.MultiIndex.from_frame(entries[KEY])].to_numpy()

    short = rows[rows["demand_t"] > 0].reset_index(names="row")
    disposable = {c for c, com in chain.commodities.items() if com.disposable}
    dispose = rows[rows["commodity"].isin(disposable)].reset_index(names="row")
    pm.frames["short"] = short[KEY + ["row"]].reset_index(drop=True)
    pm.frames["dispose"] = dispose[KEY + ["row"]].reset_index(drop=True)
    pm.variables["short"] = add_variables(pm.model, "short", len(short), ub=short["demand_t"],
                                          alias=pm.alias("short", short))
    pm.variables["dispose"] = add_variables(pm.model, "dispose", len(dispose),
                                            alias=pm.alias("dispose", dispose))
    pm.returns = returns = pd.concat([unplaced_returns(pm, short), option_returns(pm)],
                                     ignore_index=True)
    free = ~pd.MultiIndex.from_frame(returns[places]).isin(under_control)
    table = pd.concat([
        entries[["row", "family", "pos", "coef"]],
        terms(short["row"], "short", np.arange(len(short)), 1.0),
        returns_terms(row_of.loc[pd.MultiIndex.from_frame(returns.loc[free, KEY])].to_numpy(),
                      returns[free], -1.0),
        collected_into_balance(pm, row_of),
        terms(dispose["row"], "dispose", np.arange(len(dispose)), -1.0),
    ])
    pm.frames["balance"] = rows
    add_rows(pm.model, "balance", table, len(rows), rows["rhs"], rows["rhs"], pm.variables)


def placed_shares(sets) -> pd.DataFrame:
    """The demand rows of products (sets.placements) with `share`: their part of the demand of
    their (r, c, t, s), by which the shortfall of that demand is shared among them (pro rata)."""
    rows = sets.placements[sets.placements["product"] != ""]
    total = sets.demand.set_index(KEY)["demand_t"]
    return rows.assign(share=rows["demand_t"].to_numpy() /
                       total.loc[pd.MultiIndex.from_frame(rows[KEY])].to_numpy())


def unplaced_returns(pm, short: pd.DataFrame) -> pd.DataFrame:
    """RETURNS (formulation/products.py) of the shortfall: one tonne of short[pos] takes back
    K_e[t,tau] share of the arrivals of e's end-of-life commodity at (r, t, s). Demand left
    unmet is never placed in use, so the arrivals it would have caused do not come (the rows
    hold the arrivals of full demand on their right-hand side). The shortfall of (r, c, tau, s)
    is shared among the products placing c there pro rata."""
    placed = placed_shares(pm.sets)
    placed["pos"] = pd.Series(np.arange(len(short)), index=pd.MultiIndex.from_frame(
        short[KEY])).loc[pd.MultiIndex.from_frame(placed[KEY])].to_numpy()
    return kernel_returns(pm.sets, pm.instance.chain, placed, "short")
