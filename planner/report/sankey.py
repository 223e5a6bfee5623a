"""The value-stream map: one year and scenario of a solution as a Sankey graph of tonnes.

Nodes: purchases (commodity bought in a region), end-of-life arrivals, hubs (a commodity in a
region, where the model's mass balance holds), facilities, use (met demand), unmet demand,
disposal and losses (in transport, and in processes whose outputs weigh less than their inputs).
Links carry tonnes: purchases and arrivals into hubs, hub to hub along links (delivered tonnes,
the loss in transit to the transport-loss node), hub to facility (inputs), facility to hub
(outputs), hub to use (met demand), unmet to use, hub to disposal. Every hub's inflow equals its
outflow, as in the model.

Colours trace where tonnes came from by proportional flow tracing on this graph (each node mixes
all it receives and passes that mix on): by loop (primary purchase, end-of-life collection, or
the reuse / remanufacture / short-loop / long-loop process that last made them) or by country of
origin (where they were bought or arrived at end of life). A link whose source node carries a
mix is split into one band per label, so the bands of a link add up to its tonnes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

TOL = 1e-9
RECYCLED_LOOPS = ("reuse", "remanufacture", "short_loop", "long_loop")  # as planner.chain
LOOP_LABELS = ("primary", "collection", *RECYCLED_LOOPS, "unmet", "disposal", "loss")
LINK_KINDS = ("purchase", "arrival", "transport", "transport_loss", "input", "output",
              "process_loss", "use", "unmet", "disposal")


@dataclass
class Graph:
    """Nodes (ids, labels, kinds, stages, countries) and links (source and target node
    positions, tonnes, kind) of one year and scenario."""

    node_id: list[str]
    node_label: list[str]
    node_kind: list[str]
    node_stage: list[str]
    node_country: list[str]
    node_loop: list[str]  # a facility's process loop, "" for other nodes
    source: list[int]
    target: list[int]
    value: list[float]
    kind: list[str]

    def totals(self) -> dict[str, float]:
        """Tonnes by link kind."""
        out: dict[str, float] = {}
        for k, v in zip(self.kind, self.value):
            out[k] = out.get(k, 0.0) + v
        return out


class _Builder:
    def __init__(self, dims: dict):
        self.dims = dims
        self.index: dict[str, int] = {}
        self.graph = Graph([], [], [], [], [], [], [], [], [], [])

    def node(self, node_id: str, label: str, kind: str, stage: str, country: str,
             loop: str = "") -> int:
        if node_id not in self.index:
            g = self.graph
            self.index[node_id] = len(g.node_id)
            g.node_id.append(node_id)
            g.node_label.append(label)
            g.node_kind.append(kind)
            g.node_stage.append(stage)
            g.node_country.append(country)
            g.node_loop.append(loop)
        return self.index[node_id]

    def country(self, region: str) -> str:
        return self.dims["regions"].get(region, {}).get("country", region)

    def hub(self, region: str, commodity: str) -> int:
        stage = self.dims["commodities"].get(commodity, {}).get("stage", "other")
        return self.node(f"hub:{region}:{commodity}", f"{commodity} in {region}", "hub", stage,
                         self.country(region))

    def link(self, source: int, target: int, value: float, kind: str) -> None:
        if value > TOL:
            g = self.graph
            g.source.append(source)
            g.target.append(target)
            g.value.append(float(value))
            g.kind.append(kind)


def value_stream(tables: dict[str, pd.DataFrame], dims: dict, scenario: str,
                 year: int) -> Graph:
    """The Sankey graph of `scenario` in `year` (tonnes in that year)."""
    b = _Builder(dims)

    def pick(name: str) -> pd.DataFrame:
        frame = tables[name]
        frame = frame[frame["year"] == year]
        return frame[frame["scenario"] == scenario] if "scenario" in frame else frame

    for r in pick("purchases").itertuples():
        hub = b.hub(r.region, r.commodity)
        src = b.node(f"buy:{r.region}:{r.commodity}", f"{r.commodity} bought in {r.region}",
                     "purchase", b.graph.node_stage[hub], b.country(r.region))
        b.link(src, hub, r.bought_t, "purchase")
    for r in pick("eol_arrivals").groupby(["region", "commodity"], as_index=False,
                                          sort=True)["arrivals_t"].sum().itertuples():
        hub = b.hub(r.region, r.commodity)
        src = b.node(f"eol:{r.region}:{r.commodity}", f"end-of-life {r.commodity} in {r.region}",
                     "arrival", "end of life", b.country(r.region))
        b.link(src, hub, r.arrivals_t, "arrival")
    for r in pick("flows").itertuples():
        origin, dest = b.hub(r.origin, r.commodity), b.hub(r.destination, r.commodity)
        b.link(origin, dest, r.delivered_t, "transport")
        lost = b.node("loss:transport", "lost in transport", "loss", "transport", "")
        b.link(origin, lost, r.flow_t - r.delivered_t, "transport_loss")
    pf = pick("process_flows")
    for facility, rows in pf.groupby("facility", sort=True):
        first = rows.iloc[0]
        process = dims["processes"].get(first["process"], {"stage": "other", "loop": ""})
        fac = b.node(f"facility:{facility}", f"{facility} ({first['process']})", "facility",
                     process["stage"], b.country(first["region"]),
                     process["loop"])
        t_in = t_out = 0.0
        for r in rows.itertuples():
            hub = b.hub(r.region, r.commodity)
            if r.direction == "in":
                b.link(hub, fac, r.t, "input")
                t_in += r.t
            else:
                b.link(fac, hub, r.t, "output")
                t_out += r.t
        if t_in - t_out > 1e-6:
            lost = b.node("loss:process", "process losses", "loss", "processing", "")
            b.link(fac, lost, t_in - t_out, "process_loss")
    for r in pick("demand").itertuples():
        use = b.node(f"use:{r.region}:{r.commodity}", f"{r.commodity} used in {r.region}", "use",
                     "use", b.country(r.region))
        if r.met_t > TOL:
            b.link(b.hub(r.region, r.commodity), use, r.met_t, "use")
        if r.shortfall_t > TOL:
            unmet = b.node(f"unmet:{r.region}:{r.commodity}", f"unmet {r.commodity} in {r.region}",
                           "unmet", "use", b.country(r.region))
            b.link(unmet, use, r.shortfall_t, "unmet")
    for r in pick("disposal").itertuples():
        sink = b.node(f"disposal:{r.region}", f"disposal in {r.region}", "disposal",
                      "disposal", b.country(r.region))
        b.link(b.hub(r.region, r.commodity), sink, r.disposed_t, "disposal")
    return _without_idle_nodes(b.graph)


def _without_idle_nodes(g: Graph) -> Graph:
    """Drop nodes no link touches (a loss node whose loss was zero, say), renumbering links."""
    used = sorted(set(g.source) | set(g.target))
    new = {old: i for i, old in enumerate(used)}
    keep = [[column[i] for i in used] for column in (g.node_id, g.node_label, g.node_kind,
                                                     g.node_stage, g.node_country, g.node_loop)]
    return Graph(*keep, [new[i] for i in g.source], [new[i] for i in g.target], g.value, g.kind)


def trace(graph: Graph, origin: dict[int, str], labels: list[str]) -> np.ndarray:
    """Mix over `labels` of every node: nodes in `origin` emit their label; every other node
    mixes what it receives in proportion to tonnes. Returns an (n_nodes, n_labels) array."""
    n, m = len(graph.node_id), len(labels)
    inflow = np.zeros(n)
    np.add.at(inflow, graph.target, graph.value)
    fixed = np.zeros((n, m))
    for node, label in origin.items():
        fixed[node, labels.index(label)] = 1.0
    free = np.array([i not in origin for i in range(n)])
    keep = [k for k in range(len(graph.value)) if free[graph.target[k]]]
    src = np.array([graph.source[k] for k in keep], dtype=int)
    tgt = np.array([graph.target[k] for k in keep], dtype=int)
    val = np.array([graph.value[k] for k in keep])
    # inflow_i mix_i - sum_{k into i} v_k mix_src(k) = 0 for free nodes; mix_i = fixed_i otherwise
    diag = np.where(free & (inflow > 0), inflow, 1.0)
    coupling = sp.csr_matrix((val, (tgt, src)), shape=(n, n))
    coupling = sp.diags(free.astype(float)) @ coupling
    matrix = (sp.diags(diag) - coupling).tocsc()
    mix = np.atleast_2d(spsolve(matrix, fixed)) if n else np.zeros((0, m))
    return np.clip(mix.reshape(n, m), 0.0, None)


def coloured_links(graph: Graph, colour_by: str) -> tuple[list[str], list[tuple]]:
    """(labels, bands): bands are (source, target, tonnes, label index, link index), one per
    label of the source node's mix, by `colour_by` "loop" or "country"."""
    kinds = graph.node_kind
    if colour_by == "loop":
        labels = list(LOOP_LABELS)
        start = {"purchase": "primary", "arrival": "collection", "unmet": "unmet"}
        origin = {i: start[k] for i, k in enumerate(kinds) if k in start}
        # the reverse-loop processes label what they make with their loop
        origin.update({i: loop for i, loop in enumerate(graph.node_loop)
                       if loop in RECYCLED_LOOPS})
        fixed_label = {"disposal": "disposal", "transport_loss": "loss", "process_loss": "loss"}
    else:
        labels = sorted({graph.node_country[i] for i, k in enumerate(kinds)
                         if k in ("purchase", "arrival")}) + ["unmet"]
        origin = {i: graph.node_country[i] if k != "unmet" else "unmet"
                  for i, k in enumerate(kinds) if k in ("purchase", "arrival", "unmet")}
        fixed_label = {}
    mix = trace(graph, origin, labels)
    bands = []
    for k, (s, t, v, kind) in enumerate(zip(graph.source, graph.target, graph.value,
                                            graph.kind)):
        shares = mix[s]
        total = shares.sum()
        if kind in fixed_label or total <= TOL:
            label = fixed_label.get(kind, "unmet")
            bands.append((s, t, v, labels.index(label), k))
            continue
        for j in np.flatnonzero(shares > 1e-9 * total):
            bands.append((s, t, v * shares[j] / total, int(j), k))
    return labels, bands
