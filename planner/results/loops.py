"""Which loop met demand: tonnes traced from their origin through every process and link.

Each tonne carries a label: bought at a non-domestic region -> primary_import; bought at a
domestic region or arriving at end of life -> domestic_primary; made by a reuse, remanufacture,
short_loop or long_loop process -> that loop; a product kept in use longer -> kept_in_use; a
product's demand met by a magnet-free design -> substituted; drawn from a stockpile ->
from_stock (stock links years, which the tracing of one year does not follow back to the year
it was bought in); other processes pass on the mix of
their inputs (a domestic primary process turns primary_import into domestic_primary: the last
transformation was domestic); unmet demand -> unmet. Every (region, commodity) node mixes all
it receives, and everything leaving it carries that mix (proportional flow tracing); the mixes
solve one sparse linear system per year and scenario, so loops through recycling are handled
exactly.

What is traced is set by the share basis (instance.yaml `share_basis`): on `rare_earth` (the
default) every tonne counts by its contained rare earths (planner.rare_earths.weights: t of
NdPr + Dy/Tb metal per t), so a process passes on the mix of its inputs weighted by their rare
earths (iron and boron carry none and never make a magnet domestic); on `mass` by its tonnes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from planner.chain import RECYCLED_LOOPS, Chain
from planner.rare_earths import effective_basis, re_content, weights
from planner.results.balance import collected

OPTION_LABELS = {"life_extension": "kept_in_use", "substitution": "substituted"}
STOCK_LABEL = "from_stock"  # drawn from a stockpile or inventory (formulation/inventory.py)
LABELS = ("primary_import", "domestic_primary", *RECYCLED_LOOPS, *OPTION_LABELS.values(),
          STOCK_LABEL, "unmet")


def purchase_label(domestic: bool) -> str:
    """The label of a bought tonne."""
    return "domestic_primary" if domestic else "primary_import"


ARRIVAL_LABEL = "domestic_primary"  # end-of-life arrivals: the products were in use at home


def process_label(loop: str, domestic: bool) -> str | None:
    """The label of what a process makes, or None where it passes on the mix of its inputs."""
    return loop if loop in RECYCLED_LOOPS else None


def loop_shares(tables: dict[str, pd.DataFrame], chain: Chain, regions: pd.DataFrame,
                demand: pd.DataFrame, basis: str = "rare_earth") -> pd.DataFrame:
    """scenario, year, commodity, loop, met_t, met_re_t, share, basis: how domestic demand was
    met, by loop. met_t: t of the demanded commodity credited to the loop; met_re_t: its
    contained rare earths (t NdPr + Dy/Tb metal); share: of the commodity's demand that year,
    traced on `basis` (`rare_earth`, or `mass`; a chain without rare-earth content is traced by
    mass)."""
    basis = effective_basis(basis, chain)
    weight = weights(chain, basis)
    domestic = regions.set_index("region")["domestic"]
    dom_dem = demand[demand["region"].map(domestic) & (demand["demand_t"] > 0)]
    out = []
    act, flows, buys = tables["activity"], tables["flows"], tables["purchases"]
    arr = collected(tables)
    short = tables["shortfall"]
    options = tables.get("product_options", pd.DataFrame(columns=[
        "scenario", "year", "region", "kind", "commodity", "placed", "t"]))
    stocks = tables.get("inventory", pd.DataFrame(columns=[
        "scenario", "year", "region", "commodity", "drawn_t"]))
    for scenario in dom_dem["scenario"].unique():
        for year in sorted(dom_dem["year"].unique()):
            def pick(f, scenario=scenario, year=year):
                return f[(f["scenario"] == scenario) & (f["year"] == year)]

            mix = _node_mixes(pick(act), pick(flows), pick(buys), pick(arr), chain,
                              domestic, weight, pick(options), pick(stocks))
            for (region, commodity), d in pick(dom_dem).groupby(
                    ["region", "commodity"])["demand_t"].sum().items():
                unmet = pick(short)
                unmet = unmet[(unmet["region"] == region) & (unmet["commodity"] == commodity)]
                unmet_t = float(unmet["shortfall_t"].sum())
                met = mix.get((region, commodity), np.zeros(len(LABELS)))
                vector = met * (d - unmet_t)
                vector[LABELS.index("unmet")] += unmet_t
                out += [(scenario, year, commodity, label, v) for label, v in zip(LABELS, vector)]
    table = pd.DataFrame(out, columns=["scenario", "year", "commodity", "loop", "met_t"])
    table = table.groupby(["scenario", "year", "commodity", "loop"], as_index=False,
                          sort=False)["met_t"].sum()
    table["met_re_t"] = table["met_t"] * table["commodity"].map(
        lambda c: re_content(chain, c)).astype(float)
    totals = table.groupby(["scenario", "year", "commodity"])["met_t"].transform("sum")
    table["share"] = np.where(totals > 0, table["met_t"] / totals.where(totals > 0, 1.0), 0.0)
    table["basis"] = basis
    return table


def _node_mixes(act, flows, buys, arrivals, chain: Chain, domestic: pd.Series,
                weight: dict[str, float], options: pd.DataFrame, stocks: pd.DataFrame):
    """Label mix (a vector over LABELS summing to 1) of every node with inflow, for one year;
    `weight`: what one t of each commodity counts (its rare earths, or 1). Product options
    (results/tables.py product_option_table) enter the node of the product's placed commodity:
    a served commodity passes on its mix, life extension and substitution are sources of their
    own labels."""
    nodes: dict[tuple[str, str], int] = {}

    def node(r, c):
        return nodes.setdefault((r, c), len(nodes))

    L = len(LABELS)
    rows, cols, vals = [], [], []      # inflow-weighted coupling between (node, label) unknowns
    rhs: dict[int, np.ndarray] = {}
    inflow: dict[int, float] = {}

    def add_source(n, label_vector, t):
        rhs[n] = rhs.get(n, np.zeros(L)) + t * label_vector
        inflow[n] = inflow.get(n, 0.0) + t

    unit = {label: np.eye(L)[i] for i, label in enumerate(LABELS)}
    for b in buys.itertuples():
        add_source(node(b.region, b.commodity), unit[purchase_label(domestic[b.region])],
                   b.bought_t * weight[b.commodity])
    for a in arrivals.itertuples():
        add_source(node(a.region, a.commodity), unit[ARRIVAL_LABEL],
                   a.arrivals_t * weight[a.commodity])
    for k in stocks[stocks["drawn_t"] > 0].itertuples():
        add_source(node(k.region, k.commodity), unit[STOCK_LABEL], k.drawn_t * weight[k.commodity])
    for f in flows.itertuples():
        n, m = node(f.destination, f.commodity), node(f.origin, f.commodity)
        t = f.delivered_t * weight[f.commodity]
        inflow[n] = inflow.get(n, 0.0) + t
        for k in range(L):
            rows.append(n * L + k)
            cols.append(m * L + k)
            vals.append(t)
    for o in options.itertuples():
        n = node(o.region, o.placed)
        t = o.t * weight[o.placed]
        if o.kind in OPTION_LABELS:
            add_source(n, unit[OPTION_LABELS[o.kind]], t)
            continue
        m = node(o.region, o.commodity)
        inflow[n] = inflow.get(n, 0.0) + t
        for k in range(L):
            rows.append(n * L + k)
            cols.append(m * L + k)
            vals.append(t)
    convert = np.eye(L)
    convert[LABELS.index("primary_import")] = unit["domestic_primary"]
    for a in act.itertuples():
        process = chain.processes[a.process]
        home = bool(domestic[a.region])
        total_in = sum(ai * weight[ci] for ci, ai in process.inputs.items())
        label = process_label(process.loop, home)
        if label is None and total_in <= 0:  # a source, or inputs that count for nothing
            label = purchase_label(home)
        for c, b in process.outputs.items():
            n = node(a.region, c)
            t = a.activity_t * b * weight[c]
            if label is not None:
                add_source(n, unit[label], t)
                continue
            inflow[n] = inflow.get(n, 0.0) + t
            transform = convert if home else np.eye(L)
            for ci, ai in process.inputs.items():
                if weight[ci] <= 0:
                    continue
                m = node(a.region, ci)
                # mix_n[k] gets t * share_ci * sum_j mix_m[j] * transform[j, k]
                for j in range(L):
                    for k in np.flatnonzero(transform[j]):
                        rows.append(n * L + k)
                        cols.append(m * L + j)
                        vals.append(t * ai * weight[ci] / total_in * transform[j, k])
    size = len(nodes) * L
    if size == 0:
        return {}
    diag = np.repeat([inflow.get(n, 0.0) for n in range(len(nodes))], L)
    empty = diag <= 0
    diag[empty] = 1.0
    matrix = sp.diags(diag) - sp.csr_matrix((vals, (rows, cols)), shape=(size, size))
    b = np.zeros(size)
    for n, v in rhs.items():
        b[n * L:(n + 1) * L] = v
    x = np.atleast_1d(spsolve(matrix.tocsc(), b)).reshape(len(nodes), L)
    x[empty.reshape(len(nodes), L)[:, 0]] = 0.0
    return {key: np.clip(x[n], 0.0, None) for key, n in nodes.items()}
