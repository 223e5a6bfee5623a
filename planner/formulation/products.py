"""Product options: a product's demand met without new magnets of its placed commodity.

For product e placed at region r in model year t and scenario s, with demand D[e,r,t,s] (the
placements of planner.formulation.sets) and end-of-life arrivals A[e,r,t,s] of what the plan
placed (planner.arrivals; formulation/balance.py):

  serve[e,c,r,t,s]   in [0, q[e,c] D[e,r,t,s]]  t of commodity c that e accepts (`accepts` in
                     the value-chain model: reused magnets of the right grade and geometry,
                     remanufactured motors of its own kind) placed in use in place of e's
                     placed commodity: -serve in the balance of c at (r, t, s), +serve in that
                     of placed(e). Served tonnes are placed in use like new magnets.
  substitute[o,r,t,s] in [0, m_o D[e,r,t,s]]   t of e's demand met by a magnet-free design
                     (option o of kind substitution, cost_o per t): +substitute in the balance
                     of placed(e). Nothing is placed, so the arrivals it would have caused are
                     taken back: K_e[t',t] substitute at every later t' (as for shortfall).
  extend[o,r,t,s]    in [0, D[e,r,t,s]]  t of e's products retiring in t kept in use k_o
                     years longer (option o of kind life_extension, cost_o per t): the demand
                     that replaced them is not needed (+extend in the balance of placed(e)) and
                     not placed (its arrivals are taken back, K_e[t',t] extend), the extended
                     products do not arrive in t (-extend) but in the model year holding t + k_o
                     (+extend; after the horizon: gone).
  segment            sum_c serve[e,c,r,t,s] + sum_o (extend + substitute)[o,r,t,s]
                     <= D[e,r,t,s]: together they meet at most the product's own demand.
  retiring           extend[o,r,t,s] <= m_o u[e,r,t,s] A[e,r,t,s]: at most a share m_o of the
                     year's retiring products can be reached, of those the plan would replace:
                     u = D / (D + I), with I the inflows of e that enter use without being
                     supplied (product_inflows.csv in the horizon: magnets inside imports), so
                     retiring products are taken to be replaced in the mix placed that year.

Every change of arrivals is a row of pm.returns (product, region, commodity, year, scenario,
family, pos, k: the arrivals of e at (r, year, s) fall by k x family[pos]), which the balance
and collection rows read. Extending keeps the stock in use as it was until t + k_o; as demand
is data, the replacement is not placed later either, so the stock is lower by the extended
tonnes from t + k_o on (a conservative reading of the lever).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.data.in_force import rows_in_force
from planner.formulation.rows import add_rows, add_variables, terms

KEY = ["region", "commodity", "year", "scenario"]
PLACE = ["product", "region", "year", "scenario"]
RETURNS = ["product", "region", "commodity", "year", "scenario", "family", "pos", "k"]
OPTION_FAMILY = {"life_extension": "extend", "substitution": "substitute"}
KERNEL_TOL = 1e-9  # arrival shares below this (t per t placed) are left out of the rows


def product_option_sets(instance, placements: pd.DataFrame, years) -> tuple[pd.DataFrame,
                                                                           pd.DataFrame]:
    """(serve, options): the rows of serve (product, commodity = what is accepted, placed =
    the product's placed commodity, region, year, scenario, ub) and of the options in force
    (option, kind, product, placed, region, year, scenario, max_share, cost_per_t,
    years_added, demand_t), one per placement of the product with demand."""
    chain = instance.chain
    rows = placements[placements["product"] != ""].rename(columns={"commodity": "placed"})
    accepts = pd.DataFrame([(e, c, q) for e, p in chain.products.items()
                            for c, q in p.accepts.items() if q > 0],
                           columns=["product", "commodity", "share"])
    serve = rows.merge(accepts, on="product")
    serve = serve.assign(ub=serve["share"] * serve["demand_t"])[
        ["product", "commodity", "placed", "region", "year", "scenario", "ub"]]
    force = rows_in_force(instance.options, rows[["product", "region"]], years, "option",
                          ["kind", "max_share", "cost_per_t", "years_added"])
    options = force[force["max_share"] > 0].drop(columns="_line").merge(
        rows, on=["product", "region", "year"])
    embedded = embedded_inflows(instance, years).reindex(
        pd.MultiIndex.from_frame(options[["product", "region", "year"]]), fill_value=0.0)
    options["supplied"] = options["demand_t"] / (options["demand_t"] + embedded.to_numpy())
    columns = ["option", "kind", "product", "placed", "region", "year", "scenario",
               "max_share", "supplied", "cost_per_t", "years_added", "demand_t"]
    return serve.reset_index(drop=True), options[columns].reset_index(drop=True)


def embedded_inflows(instance, years) -> pd.Series:
    """t/yr of each product placed in use at each region in each model year without being
    supplied by the plan (product_inflows.csv rows in the horizon: magnets inside imported
    products), the mean over the calendar years the model year stands for."""
    step = instance.settings.step
    rows = instance.inflows[instance.inflows["year"] >= years[0]]
    block = years[np.searchsorted(years, rows["year"].to_numpy(), side="right") - 1]
    return rows.assign(year=block).groupby(["product", "region", "year"])["placed_t"].sum() / step


def define_product_variables(pm) -> None:
    """serve, extend and substitute; pm.frames describe them (the rows of sets.serve and of
    sets.options of each kind, with their upper bound `ub`, t)."""
    sets = pm.sets
    pm.frames["serve"] = sets.serve
    pm.variables["serve"] = add_variables(pm.model, "serve", len(sets.serve), ub=sets.serve["ub"],
                                          alias=pm.alias("serve", sets.serve))
    for kind, family in OPTION_FAMILY.items():
        rows = sets.options[sets.options["kind"] == kind].reset_index(drop=True)
        share = rows["max_share"] if kind == "substitution" else 1.0
        pm.frames[family] = rows = rows.assign(ub=share * rows["demand_t"])
        pm.variables[family] = add_variables(pm.model, family, len(rows), ub=rows["ub"],
                                             alias=pm.alias(family, rows))


def product_entries(pm) -> pd.DataFrame:
    """The balance terms of serve, extend and substitute (KEY, family, pos, coef)."""
    serve = pm.frames["serve"].reset_index(names="pos")
    parts = [serve.assign(family="serve", coef=-1.0),
             serve.assign(family="serve", commodity=serve["placed"], coef=1.0)]
    for family in OPTION_FAMILY.values():
        rows = pm.frames[family].reset_index(names="pos")
        parts.append(rows.assign(family=family, commodity=rows["placed"], coef=1.0))
    return pd.concat([p[KEY + ["family", "pos", "coef"]] for p in parts], ignore_index=True)


def kernel_returns(sets, chain, rows: pd.DataFrame, family: str) -> pd.DataFrame:
    """RETURNS of `rows` (product, region, year, scenario, pos, and `share`: the part of the
    variable that falls on the product): one tonne of family[pos] not placed in model year tau
    takes back K_e[t, tau] share of e's arrivals at every t."""
    parts = [pd.DataFrame({c: pd.Series(dtype=float if c == "k" else int if c in (
        "year", "pos") else object) for c in RETURNS})]
    tau = np.searchsorted(sets.years, rows["year"].to_numpy())
    for product, group in rows.groupby("product", sort=False):
        at = tau[rows["product"].to_numpy() == product]
        shares = sets.kernels[product][:, at]  # (arrival year, row)
        t, j = np.nonzero(shares > KERNEL_TOL)
        parts.append(pd.DataFrame({
            "product": product, "region": group["region"].to_numpy()[j],
            "commodity": chain.products[product].eol_commodity, "year": sets.years[t],
            "scenario": group["scenario"].to_numpy()[j], "family": family,
            "pos": group["pos"].to_numpy()[j],
            "k": shares[t, j] * group["share"].to_numpy()[j]}))
    table = pd.concat(parts, ignore_index=True)
    return table.groupby(RETURNS[:-1], as_index=False, sort=False)["k"].sum()


def option_returns(pm) -> pd.DataFrame:
    """RETURNS of substitute and extend: what they do not place, and where extended products
    arrive instead (-1 in their year, +1 in the model year holding year + years_added)."""
    sets, chain = pm.sets, pm.instance.chain
    parts = []
    for family in OPTION_FAMILY.values():
        rows = pm.frames[family].reset_index(names="pos").assign(share=1.0)
        parts.append(kernel_returns(sets, chain, rows, family))
    ext = pm.frames["extend"].reset_index(names="pos")
    eol = ext["product"].map({e: p.eol_commodity for e, p in chain.products.items()})
    later = np.searchsorted(sets.years, ext["year"] + ext["years_added"], side="right") - 1
    inside = (ext["year"] + ext["years_added"] <= sets.years[-1] + pm.instance.settings.step - 1
              ).to_numpy()
    base = ext.assign(commodity=eol, family="extend")
    parts.append(base.assign(k=1.0)[RETURNS])
    parts.append(base[inside].assign(year=sets.years[later[inside]], k=-1.0)[RETURNS])
    table = pd.concat(parts, ignore_index=True)
    return table.groupby(RETURNS[:-1], as_index=False, sort=False)["k"].sum()


def returns_terms(rows, returns: pd.DataFrame, scale=1.0) -> pd.DataFrame:
    """scale x k x family[pos] in `rows` (one per row of `returns`), summed per row and
    variable."""
    table = pd.DataFrame({"row": np.asarray(rows), "family": returns["family"].to_numpy(),
                          "pos": returns["pos"].to_numpy(),
                          "coef": np.asarray(scale, dtype=float) * returns["k"].to_numpy()})
    return table.groupby(["row", "family", "pos"], as_index=False, sort=False)["coef"].sum()


def define_product_rows(pm) -> None:
    """The retiring and segment rows (define_retiring_rows, define_segment_rows)."""
    define_retiring_rows(pm)
    define_segment_rows(pm)


def define_segment_rows(pm) -> None:
    """segment: sum_c serve[e,c,r,t,s] + sum_o (extend + substitute)[o,r,t,s] <= D[e,r,t,s],
    so what a product's options meet never exceeds its own demand (and never spills into the
    demand of a product that does not accept it). Only where their bounds add up to more than
    D (elsewhere the row cannot bind); pm.frames["segment"] describes the rows."""
    table = pd.concat([pm.frames[f][PLACE + ["ub"]].assign(family=f)
                       .reset_index(names="pos") for f in ("serve", *OPTION_FAMILY.values())],
                      ignore_index=True)
    demand = pm.sets.placements.groupby(PLACE)["demand_t"].sum()
    table["demand_t"] = demand.reindex(pd.MultiIndex.from_frame(table[PLACE])).to_numpy()
    bound = table.groupby(PLACE)["ub"].transform("sum")
    table = table[bound > table["demand_t"] + 1e-9]
    segment = table[PLACE + ["demand_t"]].drop_duplicates(PLACE).reset_index(drop=True)
    row_of = pd.Series(np.arange(len(segment)), index=pd.MultiIndex.from_frame(segment[PLACE]))
    rows = row_of.loc[pd.MultiIndex.from_frame(table[PLACE])].to_numpy()
    pm.frames["segment"] = segment
    add_rows(pm.model, "segment", terms(rows, table["family"].to_numpy(), table["pos"], 1.0),
             len(segment), np.full(len(segment), np.nan), segment["demand_t"].to_numpy(),
             pm.variables)


def define_retiring_rows(pm) -> None:
    """The retiring rows; pm.frames["retiring"] describes them (the extend rows with the
    arrivals_t of full demand they bound). The rows bound what arrives before any extension of
    the same year: the -1 each extension there puts on that year's arrivals is left out."""
    ext = pm.frames["extend"]
    full = pm.sets.arrivals.set_index(PLACE)["arrivals_t"]
    retiring = ext.assign(arrivals_t=full.reindex(pd.MultiIndex.from_frame(ext[PLACE]),
                                                  fill_value=0.0).to_numpy())
    reach = retiring["max_share"] * retiring["supplied"]
    rows = retiring[PLACE].assign(reach=reach).reset_index(names="row")
    on = pm.returns.merge(rows, on=PLACE)
    same_year = rows.merge(ext[PLACE].reset_index(names="pos"), on=PLACE)
    table = pd.concat([terms(np.arange(len(ext)), "extend", np.arange(len(ext)), 1.0),
                       returns_terms(on["row"], on, on["reach"].to_numpy()),
                       terms(same_year["row"], "extend", same_year["pos"],
                             -same_year["reach"].to_numpy())])
    table = table.groupby(["row", "family", "pos"], as_index=False, sort=False)["coef"].sum()
    pm.frames["retiring"] = retiring
    add_rows(pm.model, "retiring", table, len(ext), np.full(len(ext), np.nan),
             reach.to_numpy() * retiring["arrivals_t"].to_numpy(), pm.variables)
