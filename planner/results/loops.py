"""Which loop met demand: tonnes traced from their origin through every process and link.

Each tonne carries a label: bought at a non-domestic region -> primary_import; bought at a
domestic region or arriving at end of life -> domestic_primary; made by a reuse, remanufacture,
short_loop or long_loop process -> that loop; other processes pass on the mix of their inputs
(a domestic primary process turns primary_import into domestic_primary: the last transformation
was domestic); unmet demand -> unmet. Every (region, commodity) node mixes all it receives, and
everything leaving it carries that mix (proportional flow tracing); the mixes solve one sparse
linear system per year and scenario, so loops through recycling are handled exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from planner.chain import RECYCLED_LOOPS, Chain
from planner.results.balance import collected

LABELS = ("primary_import", "domestic_primary", *RECYCLED_LOOPS, "unmet")


def loop_shares(tables: dict[str, pd.DataFrame], chain: Chain, regions: pd.DataFrame,
                demand: pd.DataFrame) -> pd.DataFrame:
    """scenario, year, commodity, loop, met_t, share: how domestic demand was met, by loop."""
    domestic = regions.set_index("region")["domestic"]
    dom_dem = demand[demand["region"].map(domestic) & (demand["demand_t"] > 0)]
    out = []
    act, flows, buys = tables["activity"], tables["flows"], tables["purchases"]
    arr = collected(tables)
    short = tables["shortfall"]
    for scenario in dom_dem["scenario"].unique():
        for year in sorted(dom_dem["year"].unique()):
            def pick(f, scenario=scenario, year=year):
                return f[(f["scenario"] == scenario) & (f["year"] == year)]

            mix = _node_mixes(pick(act), pick(flows), pick(buys), pick(arr), chain,
                              domestic)
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
    totals = table.groupby(["scenario", "year", "commodity"])["met_t"].transform("sum")
    table["share"] = np.where(totals > 0, table["met_t"] / totals.where(totals > 0, 1.0), 0.0)
    return table


def _node_mixes(act, flows, buys, arrivals, chain: Chain, domestic: pd.Series):
    """Label mix (a vector over LABELS summing to 1) of every node with inflow, for one year."""
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
        label = "domestic_primary" if domestic[b.region] else "primary_import"
        add_source(node(b.region, b.commodity), unit[label], b.bought_t)
    for a in arrivals.itertuples():
        add_source(node(a.region, a.commodity), unit["domestic_primary"], a.arrivals_t)
    for f in flows.itertuples():
        n, m = node(f.destination, f.commodity), node(f.origin, f.commodity)
        inflow[n] = inflow.get(n, 0.0) + f.delivered_t
        for k in range(L):
            rows.append(n * L + k)
            cols.append(m * L + k)
            vals.append(f.delivered_t)
    convert = np.eye(L)
    convert[LABELS.index("primary_import")] = unit["domestic_primary"]
    for a in act.itertuples():
        process = chain.processes[a.process]
        for c, b in process.outputs.items():
            n = node(a.region, c)
            t = a.activity_t * b
            if process.loop in RECYCLED_LOOPS or not process.inputs:
                label = process.loop if process.loop in RECYCLED_LOOPS else (
                    "domestic_primary" if domestic[a.region] else "primary_import")
                add_source(n, unit[label], t)
                continue
            inflow[n] = inflow.get(n, 0.0) + t
            total_in = sum(process.inputs.values())
            transform = convert if domestic[a.region] else np.eye(L)
            for ci, ai in process.inputs.items():
                m = node(a.region, ci)
                # mix_n[k] gets t * share_ci * sum_j mix_m[j] * transform[j, k]
                for j in range(L):
                    for k in np.flatnonzero(transform[j]):
                        rows.append(n * L + k)
                        cols.append(m * L + j)
                        vals.append(t * ai / total_in * transform[j, k])
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
