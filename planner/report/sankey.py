"""The value-stream map: one year and scenario of a solution as a Sankey graph of tonnes.

Nodes: purchases (commodity bought in a region), end-of-life arrivals, hubs (a commodity in a
region, where the model's mass balance holds), facilities, use (demand; where some is unmet it
splits into what is in use and the unmet demand, so unmet demand is a gap at the demand end,
never a source of supply), sales (commodity sold in a region: exports of scrap, say), disposal
and losses (in transport, and in processes whose outputs weigh less than their inputs).
Links carry tonnes: purchases and arrivals into hubs, hub to hub along links (delivered tonnes,
the loss in transit to the transport-loss node), hub to facility (inputs), facility to hub
(outputs), hub to use (met demand), use to in-use and to unmet, hub to sale, hub to disposal.
Every hub's inflow equals its outflow, as in the model.

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

from planner.chain import RECYCLED_LOOPS

TOL = 1e-9
OPTION_KINDS = {"life_extension": "kept_in_use", "substitution": "substituted"}
STOCK = "from_stock"  # drawn from a stockpile: a source of its own (years apart from its purchase)
LOOP_LABELS = ("primary", "collection", *RECYCLED_LOOPS, *OPTION_KINDS.values(), STOCK, "unmet",
               "disposal", "leakage", "loss")
LINK_KINDS = ("purchase", "arrival", "leakage", "uncollected", "transport", "transport_loss",
              "input", "output",
              "process_loss", "use", "in_use", "unmet", "sale", "disposal", "serve",
              *OPTION_KINDS.values(), "stock_in", "stock_out")


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


DETAILS = ("region", "country")


class _Builder:
    def __init__(self, dims: dict, detail: str):
        self.dims, self.detail = dims, detail
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

    def place(self, region: str) -> str:
        """Where a node sits: its region, or its region's country at country detail."""
        return self.country(region) if self.detail == "country" else region

    def where(self, region: str) -> str:
        """The place in words: the region's place name (its id in runs without names), or its
        country at country detail."""
        if self.detail == "country":
            code = self.country(region)
            return self.dims.get("countries", {}).get(code, code)
        return self.dims["regions"].get(region, {}).get("place", region)

    def name(self, commodity: str) -> str:
        """The commodity in words (its id in runs without names)."""
        return self.dims["commodities"].get(commodity, {}).get("name", commodity)

    def hub(self, region: str, commodity: str) -> int:
        stage = self.dims["commodities"].get(commodity, {}).get("stage", "other")
        at = self.place(region)
        return self.node(f"hub:{at}:{commodity}", f"{self.name(commodity)}, {self.where(region)}",
                         "hub", stage, self.country(region))

    def link(self, source: int, target: int, value: float, kind: str) -> None:
        if value > TOL:
            g = self.graph
            g.source.append(source)
            g.target.append(target)
            g.value.append(float(value))
            g.kind.append(kind)


class Slices:
    """The rows of each table the map uses, split once by scenario and year (a table without a
    scenario column, such as the end-of-life arrivals of runs before they depended on the plan,
    by year only)."""

    NAMES = ("purchases", "eol_arrivals", "collection", "flows", "process_flows", "demand",
             "sales", "disposal", "product_options", "inventory")

    def __init__(self, tables: dict[str, pd.DataFrame]):
        names = [n for n in self.NAMES if n in tables]
        self.empty = {n: tables[n].iloc[:0] for n in names}
        self.parts: dict[str, dict] = {}
        self.by_scenario = {n: "scenario" in tables[n] for n in names}
        for name in names:
            keys = ["scenario", "year"] if self.by_scenario[name] else ["year"]
            self.parts[name] = {k if isinstance(k, tuple) else (k,): part
                                for k, part in tables[name].groupby(keys, sort=False)}

    def has(self, name: str) -> bool:
        return name in self.parts

    def get(self, name: str, scenario: str, year: int) -> pd.DataFrame:
        key = (scenario, year) if self.by_scenario[name] else (year,)
        return self.parts[name].get(key, self.empty[name])


def rows(frame: pd.DataFrame, *columns: str):
    """The values of `columns`, row by row (faster than itertuples)."""
    return zip(*(frame[c].to_numpy() for c in columns))


def value_stream(tables: dict[str, pd.DataFrame] | Slices, dims: dict, scenario: str,
                 year: int, detail: str = "region") -> Graph:
    """The Sankey graph of `scenario` in `year` (tonnes in that year). At `detail` "country",
    the regions of a country are one place: its hubs, purchases, uses and disposal merge, its
    facilities of one process merge, and transport inside it is left out (its losses stay).
    Pass `Slices(tables)` when drawing many years and scenarios."""
    slices = tables if isinstance(tables, Slices) else Slices(tables)
    b = _Builder(dims, detail)

    def pick(name: str) -> pd.DataFrame:
        return slices.get(name, scenario, year)

    for region, commodity, t in rows(pick("purchases"), "region", "commodity", "bought_t"):
        hub, at = b.hub(region, commodity), b.place(region)
        src = b.node(f"buy:{at}:{commodity}", f"{b.name(commodity)} bought, {b.where(region)}",
                     "purchase",
                     b.graph.node_stage[hub], b.country(region))
        b.link(src, hub, t, "purchase")
    if slices.has("collection"):  # each product's end of life: collected, leaked, uncollected
        fate = pick("collection").groupby(["region", "commodity"], as_index=False, sort=True)[
            ["collected_t", "leaked_t", "uncollected_t"]].sum()
    else:  # a run from before collection was modelled: everything arriving is collected
        fate = pick("eol_arrivals").groupby(["region", "commodity"], as_index=False, sort=True)[
            "arrivals_t"].sum().rename(columns={"arrivals_t": "collected_t"}).assign(
            leaked_t=0.0, uncollected_t=0.0)
    for region, commodity, collected, leaked, uncollected in rows(
            fate, "region", "commodity", "collected_t", "leaked_t", "uncollected_t"):
        hub, at = b.hub(region, commodity), b.place(region)
        src = b.node(f"eol:{at}:{commodity}", f"{b.name(commodity)}, {b.where(region)}",
                     "arrival", "end of life", b.country(region))
        b.link(src, hub, collected, "arrival")
        if leaked > TOL:
            b.link(src, b.node("leakage", "leaked (exported, lost before collection)",
                               "loss", "end of life", ""), leaked, "leakage")
        if uncollected > TOL:
            sink = b.node(f"disposal:{at}", f"disposal, {b.where(region)}", "disposal",
                          "disposal", b.country(region))
            b.link(src, sink, uncollected, "uncollected")
    for origin, destination, commodity, sent, delivered in rows(
            pick("flows"), "origin", "destination", "commodity", "flow_t", "delivered_t"):
        source, target = b.hub(origin, commodity), b.hub(destination, commodity)
        if source != target:
            b.link(source, target, delivered, "transport")
        if sent - delivered > TOL:
            lost = b.node("loss:transport", "lost in transport", "loss", "transport", "")
            b.link(source, lost, sent - delivered, "transport_loss")
    pf = pick("process_flows")
    if detail == "country":
        pf = pf.assign(facility=[f"{p} in {b.country(r)}" for p, r in zip(pf["process"],
                                                                          pf["region"])])
    for facility, part in pf.groupby("facility", sort=True):
        process_name, region = part["process"].iloc[0], part["region"].iloc[0]
        process = dims["processes"].get(process_name, {"stage": "other", "loop": ""})
        named = dims.get("facilities", {}).get(facility, {}).get("name") or \
            process.get("name", process_name)
        label = (f"{process.get('name', process_name)}, {b.country(region)}"
                 if detail == "country" else f"{named}, {b.where(region)}")
        fac = b.node(f"facility:{facility}", label, "facility", process["stage"],
                     b.country(region), process["loop"])
        balance = 0.0
        for at, commodity, direction, t in rows(part, "region", "commodity", "direction", "t"):
            hub = b.hub(at, commodity)
            if direction == "in":
                b.link(hub, fac, t, "input")
                balance += t
            else:
                b.link(fac, hub, t, "output")
                balance -= t
        if balance > 1e-6:
            lost = b.node("loss:process", "process losses", "loss", "processing", "")
            b.link(fac, lost, balance, "process_loss")
    if slices.has("product_options"):  # runs from before product options have none
        for region, product, kind, commodity, placed, t in rows(
                pick("product_options"), "region", "product", "kind", "commodity", "placed", "t"):
            hub, at = b.hub(region, placed), b.place(region)
            if kind == "serve":  # an accepted commodity placed in the product's stead
                b.link(b.hub(region, commodity), hub, t, "serve")
                continue
            label = OPTION_KINDS[kind]
            named = b.dims.get("products", {}).get(product, {}).get("name", product)
            src = b.node(f"{label}:{at}:{product}", f"{named} {label.replace('_', ' ')}, "
                         f"{b.where(region)}", label, "use", b.country(region))
            b.link(src, hub, t, label)
    if slices.has("inventory"):  # runs from before stockpiles have none
        for region, commodity, added, drawn in rows(pick("inventory"), "region", "commodity",
                                                    "added_t", "drawn_t"):
            hub, at = b.hub(region, commodity), b.place(region)
            if drawn > TOL:
                src = b.node(f"stock_out:{at}:{commodity}", f"{b.name(commodity)} drawn from "
                             f"stock, {b.where(region)}", STOCK, b.graph.node_stage[hub], "")
                b.link(src, hub, drawn, "stock_out")
            if added > TOL:
                sink = b.node(f"stock_in:{at}:{commodity}", f"{b.name(commodity)} put into "
                              f"stock, {b.where(region)}", "stock_in", b.graph.node_stage[hub],
                              "")
                b.link(hub, sink, added, "stock_in")
    for region, commodity, met, short in rows(pick("demand"), "region", "commodity", "met_t",
                                              "shortfall_t"):
        at = b.place(region)
        use = b.node(f"use:{at}:{commodity}", f"{b.name(commodity)} demanded, "
                     f"{b.where(region)}", "use", "use", b.country(region))
        if met > TOL:
            b.link(b.hub(region, commodity), use, met, "use")
        if short > TOL:  # demand splits into what is used and what is not: a gap, not supply
            used = b.node(f"in_use:{at}:{commodity}", f"{b.name(commodity)} in use, "
                          f"{b.where(region)}", "in_use", "use", b.country(region))
            b.link(use, used, met, "in_use")
            unmet = b.node(f"unmet:{at}:{commodity}", f"unmet demand, {b.where(region)}",
                           "unmet", "use", b.country(region))
            b.link(use, unmet, short, "unmet")
    if slices.has("sales"):  # runs from before sell offers have no sales table
        for region, commodity, t in rows(pick("sales"), "region", "commodity", "sold_t"):
            hub, at = b.hub(region, commodity), b.place(region)
            sink = b.node(f"sale:{at}:{commodity}", f"{b.name(commodity)} sold, "
                          f"{b.where(region)}", "sale", b.graph.node_stage[hub],
                          b.country(region))
            b.link(hub, sink, t, "sale")
    for region, commodity, t in rows(pick("disposal"), "region", "commodity", "disposed_t"):
        at = b.place(region)
        sink = b.node(f"disposal:{at}", f"disposal, {b.where(region)}", "disposal",
                      "disposal", b.country(region))
        b.link(b.hub(region, commodity), sink, t, "disposal")
    return _tidy(b.graph)


def _tidy(g: Graph) -> Graph:
    """One link per source, target and kind (tonnes added up); nodes no link touches (a loss
    node whose loss was zero, say) dropped and the rest renumbered."""
    merged: dict[tuple[int, int, str], float] = {}
    for key in zip(g.source, g.target, g.kind):
        merged[key] = 0.0
    for s, t, k, v in zip(g.source, g.target, g.kind, g.value):
        merged[(s, t, k)] += v
    used = sorted({s for s, _, _ in merged} | {t for _, t, _ in merged})
    new = {old: i for i, old in enumerate(used)}
    keep = [[column[i] for i in used] for column in (g.node_id, g.node_label, g.node_kind,
                                                     g.node_stage, g.node_country, g.node_loop)]
    return Graph(*keep, [new[s] for s, _, _ in merged], [new[t] for _, t, _ in merged],
                 list(merged.values()), [k for _, _, k in merged])


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
        start = {"purchase": "primary", "arrival": "collection", STOCK: STOCK,
                 **{v: v for v in OPTION_KINDS.values()}}
        origin = {i: start[k] for i, k in enumerate(kinds) if k in start}
        # the reverse-loop processes label what they make with their loop
        origin.update({i: loop for i, loop in enumerate(graph.node_loop)
                       if loop in RECYCLED_LOOPS})
        fixed_label = {"disposal": "disposal", "uncollected": "disposal", "leakage": "leakage",
                       "transport_loss": "loss", "process_loss": "loss", "unmet": "unmet"}
    else:
        sources = ("purchase", "arrival", *OPTION_KINDS.values())
        labels = sorted({graph.node_country[i] for i, k in enumerate(kinds)
                         if k in sources}) + [STOCK, "unmet"]
        origin = {i: graph.node_country[i] if k != STOCK else k
                  for i, k in enumerate(kinds) if k in (*sources, STOCK)}
        fixed_label = {"unmet": "unmet"}
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
