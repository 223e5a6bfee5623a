"""Plotly figures of a run, as plain dicts (drawn in the page by Plotly.js).

Every name taken from the data passes through `plot_text`. Colours are fixed per loop and
assigned to countries, processes and components in sorted order, so a rebuild is identical.
"""

from __future__ import annotations

import pandas as pd

from planner.chain import RECYCLED_LOOPS
from planner.data.network import is_import
from planner.report.html import plot_text
from planner.report.rundata import Run
from planner.report.sankey import (
    DETAILS,
    LOOP_LABELS,
    STOCK,
    Slices,
    coloured_links,
    value_stream,
)
from planner.results.wording import COST_NAMES, policy_text

LOOP_COLOURS = {"primary": "#4c78a8", "collection": "#9d755d", "reuse": "#2e8b57",
                "remanufacture": "#8cd17d", "short_loop": "#17becf", "long_loop": "#b279a2",
                "kept_in_use": "#bcbd22", "substituted": "#ff9da6", "from_stock": "#9467bd",
                "unmet": "#d62728", "disposal": "#6b6b6b", "leakage": "#e7ba52",
                "loss": "#c7c1bd"}
FATE_SHADES = {"collected": ("#1b7837", "#5aae61", "#a6dba0", "#d9f0d3"),
               "leaked": ("#b35806", "#e08214", "#fdb863", "#fee0b6"),
               "uncollected": ("#404040", "#7f7f7f", "#bababa", "#e0e0e0")}
PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2",
           "#ff9da6", "#9d755d", "#bab0ac", "#1f77b4", "#8c564b", "#17becf", "#bcbd22",
           "#7f7f7f", "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5", "#c49c94")
NEUTRAL = {"hub": "#9aa5b1", "use": "#12324a", "in_use": "#12324a", "loss": "#c7c1bd",
           "facility": "#4c78a8", "disposal": "#6b6b6b"}
GAP = "#ffffff"  # unmet demand in the value-stream map: a gap at the demand end, not a supply


def colours(names) -> dict[str, str]:
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(sorted(set(names)))}


def layout(title: str, ytitle: str = "", xtitle: str = "", **extra) -> dict:
    """A chart's layout: the title on the left (the toolbar sits on the right, clear of it),
    the legend in rows below the plot (it wraps, never scrolls), one y-axis."""
    base = {"title": {"text": title, "font": {"size": 15}, "x": 0.01, "xanchor": "left",
                      "y": 0.98, "yanchor": "top"},
            "margin": {"l": 70, "r": 20, "t": 60, "b": 50},
            "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.15,
                       "yanchor": "top"},
            "hovermode": "closest",
            "xaxis": {"title": {"text": xtitle}, "automargin": True},
            "yaxis": {"title": {"text": ytitle}, "automargin": True},
            "font": {"family": "system-ui, sans-serif", "size": 12}}
    base.update(extra)
    return base


def stacked(frame: pd.DataFrame, x: str, y: str, by: str, title: str, ytitle: str,
            palette: dict[str, str] | None = None, kind: str = "bar") -> dict:
    """Stacked bars (or areas) of `y` over `x`, one trace per value of `by`."""
    palette = palette or colours(frame[by])
    data = []
    for name, part in frame.groupby(by, sort=True):
        part = part.groupby(x, as_index=False)[y].sum().sort_values(x)
        trace = {"x": part[x].tolist(), "y": part[y].tolist(), "name": plot_text(name),
                 "marker": {"color": palette.get(name, "#9aa5b1")}}
        if kind == "area":
            trace.update(type="scatter", mode="lines", stackgroup="one",
                         line={"width": 0.5, "color": palette.get(name, "#9aa5b1")})
        else:
            trace["type"] = "bar"
        data.append(trace)
    return {"data": data, "layout": layout(title, ytitle, barmode="stack")}


def horizontal(series: pd.Series, title: str, xtitle: str, colour: str = "#4c78a8") -> dict:
    series = series.sort_values()
    return {"data": [{"type": "bar", "orientation": "h", "x": series.tolist(),
                      "y": [plot_text(i) for i in series.index], "marker": {"color": colour}}],
            "layout": layout(title, xtitle=xtitle, margin={"l": 160, "r": 20, "t": 50,
                                                           "b": 50})}


def pick(frame: pd.DataFrame, scenario: str) -> pd.DataFrame:
    return frame[frame["scenario"] == scenario] if "scenario" in frame else frame


# --- value-stream map ---------------------------------------------------------------------

def sankey_data(run: Run) -> dict:
    """Every scenario and year's Sankey graph, coloured by loop and by country; nodes are shared
    across views and referenced by index ([label, kind, country, loop, description])."""
    dims = run.dims
    countries = sorted({r["country"] for r in dims["regions"].values()}) + [STOCK, "unmet"]
    country_colours = [*colours(countries[:-2]).values(), LOOP_COLOURS[STOCK], GAP]
    nodes: dict[str, int] = {}
    node_rows: list[list] = []
    views: dict[str, dict] = {}
    slices = Slices(run.tables)
    for detail in DETAILS:
        for scenario in run.scenarios:
            for year in run.years:
                graph = value_stream(slices, dims, scenario, year, detail)
                ids = []
                for i, node_id in enumerate(graph.node_id):
                    key = f"{detail}:{node_id}"
                    if key not in nodes:
                        nodes[key] = len(node_rows)
                        node_rows.append(_node_row(graph, i))
                    ids.append(nodes[key])
                view = {"n": ids, "t": _throughput(graph), "caption": _caption(graph)}
                for mode in ("loop", "country"):
                    labels, bands = coloured_links(graph, mode)
                    to_global = [countries.index(lb) if mode == "country" else
                                 LOOP_LABELS.index(lb) for lb in labels]
                    view[mode] = [[s, t, v, to_global[c]] for s, t, v, c, _ in bands]
                views.setdefault(detail, {}).setdefault(scenario, {})[str(year)] = view
    return {"nodes": node_rows, "views": views,
            "labels": {"loop": list(LOOP_LABELS),
                       "country": [plot_text(country_name(run, c)) for c in countries]},
            "colours": {"loop": [GAP if k == "unmet" else LOOP_COLOURS[k] for k in LOOP_LABELS],
                        "country": country_colours},
            "neutral": NEUTRAL, "title": "Value-stream map (t)",
            "gap_band": "rgba(179,38,30,0.12)", "label_share": 0.03,
            # the right margin holds the labels of the demand nodes (drawn right of them)
            "layout": {"margin": {"l": 10, "r": 190, "t": 50, "b": 10}, "height": 860,
                       "font": {"family": "system-ui, sans-serif", "size": 11}}}


def _throughput(graph) -> list[float]:
    """Tonnes through each node: the larger of what enters and what leaves it."""
    inflow, outflow = [0.0] * len(graph.node_id), [0.0] * len(graph.node_id)
    for s, t, v in zip(graph.source, graph.target, graph.value):
        outflow[s] += v
        inflow[t] += v
    return [round(max(a, b), 1) for a, b in zip(inflow, outflow)]


def _node_row(graph, i: int) -> list:
    kind = graph.node_kind[i]
    loop_key = {"purchase": "primary", "arrival": "collection", "unmet": "unmet",
                "disposal": "disposal", "loss": "loss", "kept_in_use": "kept_in_use",
                "substituted": "substituted"}.get(kind, graph.node_loop[i])
    country = "unmet" if kind == "unmet" else graph.node_country[i]
    return [plot_text(graph.node_label[i]), kind, plot_text(country), loop_key,
            plot_text(", ".join(p for p in (kind, f"stage {graph.node_stage[i]}",
                                            graph.node_country[i]) if p))]


def _caption(graph) -> str:
    t = graph.totals()
    arrived = t.get("arrival", 0) + t.get("leakage", 0) + t.get("uncollected", 0)
    return (f"{t.get('purchase', 0):,.0f} t bought, {arrived:,.0f} t arrived at end of life "
            f"({t.get('arrival', 0):,.0f} collected, {t.get('leakage', 0):,.0f} leaked, "
            f"{t.get('uncollected', 0):,.0f} uncollected), {t.get('use', 0):,.0f} t to use, "
            f"{t.get('unmet', 0):,.0f} t unmet, {t.get('sale', 0):,.0f} t sold, "
            f"{t.get('kept_in_use', 0):,.0f} t of demand met by keeping products in use, "
            f"{t.get('substituted', 0):,.0f} t by magnet-free designs, "
            f"{t.get('disposal', 0) + t.get('uncollected', 0):,.0f} t disposed")


# --- capacity, sourcing, costs, emissions, risk ---------------------------------------------

def capacity_figure(run: Run, scenario: str) -> dict:
    """Capacity in place by site in a scenario, as small multiples: one panel per stage of the
    chain (its own t/yr axis: dismantling, sintering and HPMS tonnes are not added up), sites
    stacked in distinct colours and named in words; triangles mark the year a build comes
    online."""
    cap = pick(run.tables["capacity"], scenario)
    stage_of = {p: v["stage"] for p, v in run.dims["processes"].items()}
    names = site_names(run)
    cap = cap.assign(stage=cap["process"].map(stage_of).fillna("other"))
    stages = sorted(cap["stage"].unique())
    builds = pick(run.tables["builds"], scenario)
    data, annotations = [], []
    for k, stage in enumerate(stages, start=1):
        axis = "" if k == 1 else str(k)
        part = cap[cap["stage"] == stage]
        palette = colours(part["facility"])
        for i, (facility, rows) in enumerate(part.groupby("facility", sort=True)):
            data.append({"type": "bar", "x": rows["year"].tolist(),
                         "y": rows["capacity_t"].tolist(), "xaxis": f"x{axis}",
                         "yaxis": f"y{axis}", "legendgroup": plot_text(stage),
                         "legendgrouptitle": {"text": plot_text(stage)} if i == 0 else {},
                         "name": plot_text(names.get(facility, facility)),
                         "hovertemplate": plot_text(f"{names.get(facility, facility)} "
                                                    f"({facility})") +
                         "<br>%{x}: %{y:,.0f} t/yr<extra></extra>",
                         "marker": {"color": palette[facility]}})
        built = builds[builds["facility"].isin(set(part["facility"]))]
        if len(built):
            total = part.groupby("year")["capacity_t"].sum()
            data.append({"type": "scatter", "mode": "markers", "showlegend": k == 1,
                         "name": "build comes online", "legendgroup": "builds",
                         "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                         "x": built["online_year"].tolist(),
                         "y": [float(total.get(y, 0.0)) for y in built["online_year"]],
                         "marker": {"symbol": "triangle-down", "size": 10, "color": "#b3261e"},
                         "text": [plot_text(f"{names.get(b.facility, b.facility)}: +{b.modules} "
                                            f"module(s), {b.capacity_added_t:,.0f} t/yr, "
                                            f"decided {b.year}, online {b.online_year}")
                                  for b in built.itertuples()],
                         "hovertemplate": "%{text}<extra></extra>"})
        annotations.append({"text": plot_text(f"{stage} (t/yr)"), "showarrow": False,
                            "xref": f"x{axis} domain", "yref": f"y{axis} domain", "x": 0,
                            "y": 1.02, "xanchor": "left", "yanchor": "bottom",
                            "font": {"size": 12}})
    panels = max(len(stages), 1)
    extra = {f"yaxis{'' if k == 1 else k}": {"rangemode": "tozero", "automargin": True}
             for k in range(1, panels + 1)}
    extra.update({f"xaxis{k}": {"matches": "x"} for k in range(2, panels + 1)})
    return {"data": data, "layout": layout(
        "Capacity in place by stage and site", barmode="stack", height=170 * panels + 160,
        grid={"rows": panels, "columns": 1, "pattern": "independent",
              "roworder": "top to bottom", "ygap": 0.35},
        annotations=annotations, **extra)}


def site_names(run: Run) -> dict[str, str]:
    """facility -> its name in words (from the data's descriptions; the id where it has none,
    or where two sites share a name)."""
    named = {f: v.get("name") or f for f, v in run.dims.get("facilities", {}).items()}
    taken = pd.Series(list(named.values())).value_counts()
    return {f: n if taken[n] == 1 else f"{n} ({f})" for f, n in named.items()}


def country_name(run: Run, code: str) -> str:
    """A country in words (its code in runs without names)."""
    return run.dims.get("countries", {}).get(code, code)


def sourcing_figure(run: Run, scenario: str) -> dict:
    """Imported tonnes (or shares) by origin country and year; menus pick the stage and the
    scale."""
    conc = pick(run.tables["concentration"], scenario)
    palette = colours({r["country"] for r in run.dims["regions"].values()})
    stages = ["all stages", *sorted(conc["stage"].unique())]
    data, groups = [], []
    for stage in stages:
        part = conc if stage == "all stages" else conc[conc["stage"] == stage]
        for country, rows in part.groupby("country", sort=True):
            rows = rows.groupby("year", as_index=False)["imported_t"].sum()
            data.append({"type": "bar", "x": rows["year"].tolist(),
                         "y": rows["imported_t"].tolist(),
                         "name": plot_text(country_name(run, country)),
                         "marker": {"color": palette.get(country, "#9aa5b1")},
                         "visible": stage == "all stages"})
            groups.append(stage)
    buttons = [{"label": plot_text(stage), "method": "update",
                "args": [{"visible": [g == stage for g in groups]}]} for stage in stages]
    scale = [{"label": "tonnes", "method": "relayout",
              "args": [{"barnorm": "", "yaxis.title.text": "t imported"}]},
             {"label": "shares", "method": "relayout",
              "args": [{"barnorm": "percent", "yaxis.title.text": "% of imports"}]}]
    return {"data": data, "layout": layout(
        "Imports by origin country", "t imported", barmode="stack", showlegend=True,
        updatemenus=[{"buttons": buttons, "x": 1.0, "xanchor": "right", "y": 1.15,
                      "yanchor": "top", "direction": "down"},
                     {"buttons": scale, "x": 0.0, "xanchor": "left", "y": 1.15,
                      "yanchor": "top", "direction": "down"}])}


def shares_figure(run: Run, scenario: str) -> dict:
    """Recycled and domestic shares of domestic demand by year, with the policy targets."""
    loops = pick(run.tables["loop_shares"], scenario)
    col = "met_re_t" if run.dims.get("share_basis") == "rare_earth" and "met_re_t" in loops \
        else "met_t"
    met = loops.groupby("year")[col].sum()
    recycled = loops[loops["loop"].isin(RECYCLED_LOOPS)].groupby("year")[col].sum()
    recycled = (recycled.reindex(met.index, fill_value=0.0) / met.where(met > 0)).fillna(0.0)
    domestic = domestic_share(run, scenario)
    counted = "rare-earth content" if run.dims.get("share_basis") == "rare_earth" else "mass"
    colour = {"min_recycled_share": LOOP_COLOURS["short_loop"], "min_domestic_share": "#12324a"}
    data = [{"type": "scatter", "mode": "lines+markers", "name": "recycled, traced through "
             "the loops", "x": recycled.index.tolist(), "y": recycled.tolist(),
             "line": {"color": colour["min_recycled_share"], "dash": "dot"}},
            {"type": "scatter", "mode": "lines+markers",
             "name": "made at domestic plants (the domestic-share policy's measure)",
             "x": domestic.index.tolist(), "y": domestic.tolist(),
             "line": {"color": colour["min_domestic_share"], "dash": "dot"}}]
    # each share policy: the share exactly as its constraint counts it, and its target
    status = run.tables.get("policy_status")
    status = pick(status, scenario) if status is not None and len(status) else None
    targets = pd.DataFrame(run.dims["policy_targets"], columns=["policy", "region", "year",
                                                                "value"])
    for (policy, region), part in targets.groupby(["policy", "region"], sort=True):
        if policy not in colour:
            continue
        first = part.sort_values("year").iloc[0]
        words = policy_text(policy, region, "", first["value"], "share", int(first["year"]))
        if status is not None:
            own = status[(status["policy"] == policy) &
                         (status["region"].astype(object).fillna("") == region)]
            data.append({"type": "scatter", "mode": "lines+markers", "name": plot_text(
                f"{words.split(' at least')[0]} as the target counts it ({counted})"),
                "x": own["year"].tolist(), "y": own["achieved"].tolist(),
                "line": {"color": colour[policy], "width": 3}})
        data.append({"type": "scatter", "mode": "lines", "line": {
            "dash": "dash", "shape": "hv", "color": colour[policy]},
            "name": plot_text(f"target: {words}"), "x": part["year"].tolist(),
            "y": part["value"].tolist()})
    return {"data": data, "layout": layout(f"Recycled and domestic shares of demand (on {counted})",
                                           "share",
                                           yaxis={"tickformat": ".0%", "rangemode": "tozero",
                                                  "title": {"text": "share of demand"}})}


def domestic_share(run: Run, scenario: str) -> pd.Series:
    """Demanded commodities made at domestic facilities / demand at domestic regions, by year,
    each tonne counted by its rare-earth content or its mass (the run's share basis; the measure
    of the min_domestic_share policy)."""
    domestic = {r for r, v in run.dims["regions"].items() if v["domestic"]}
    on_re = run.dims.get("share_basis") == "rare_earth"
    weight = {c: v.get("re_t_per_t", 0.0) if on_re else 1.0
              for c, v in run.dims["commodities"].items()}
    demand = pick(run.tables["demand"], scenario)
    demand = demand[demand["region"].isin(domestic)]
    made = pick(run.tables["process_flows"], scenario)
    made = made[(made["direction"] == "out") & made["region"].isin(domestic) &
                made["commodity"].isin(set(demand["commodity"]))]
    total = (demand["demand_t"] * demand["commodity"].map(weight)).groupby(demand["year"]).sum()
    made_w = (made["t"] * made["commodity"].map(weight)).groupby(made["year"]).sum()
    return (made_w.reindex(total.index, fill_value=0.0) / total.where(total > 0)).fillna(0.0)


def collection_figure(run: Run, scenario: str) -> dict:
    """End of life by product and fate (collected, leaked, uncollected), t/yr, per year."""
    table = run.tables.get("collection")
    if table is None or table.empty:
        return {"data": [], "layout": layout("End of life: no collection table in this run")}
    fates = {"collected_t": "collected", "leaked_t": "leaked", "uncollected_t": "uncollected"}
    long = pick(table, scenario).melt(id_vars=["product", "year"], value_vars=list(fates),
                                      var_name="fate", value_name="t")
    long["series"] = long["fate"].map(fates) + ": " + long["product"]
    products = sorted(long["product"].unique())
    palette = {f"{fate}: {product}": shades[i % len(shades)]
               for fate, shades in FATE_SHADES.items() for i, product in enumerate(products)}
    return stacked(long[long["t"] > 0], "year", "t", "series",
                   "End of life by product: collected, leaked, uncollected", "t/yr", palette)


def stock_figure(run: Run, scenario: str) -> dict:
    """Year-end stock of every storage in a scenario (t), with what was drawn (t/yr) as
    bars: when a stockpile is filled and when it is used."""
    table = run.tables.get("inventory")
    if table is None or table.empty:
        return {"data": [], "layout": layout("Stockpiles: none in this run")}
    part = pick(table, scenario)
    palette = colours(table["storage"])
    data = []
    for storage, rows in part.groupby("storage", sort=True):
        data.append({"type": "scatter", "mode": "lines+markers", "name": plot_text(
            f"{storage}: stock at year end"), "x": rows["year"].tolist(),
            "y": rows["stock_t"].tolist(), "line": {"color": palette[storage]}})
        data.append({"type": "bar", "name": plot_text(f"{storage}: drawn"),
                     "x": rows["year"].tolist(), "y": rows["drawn_t"].tolist(),
                     "marker": {"color": palette[storage], "opacity": 0.45}})
    return {"data": data, "layout": layout("Stockpiles: stock held and drawn", "t")}


def concentration_figure(run: Run, scenario: str) -> dict:
    """The largest single-country share of each stage's imports, by year, with the cap."""
    conc = pick(run.tables["concentration"], scenario)
    top = conc.groupby(["stage", "year"], as_index=False)["share"].max()
    palette = colours(top["stage"])
    data = [{"type": "scatter", "mode": "lines+markers", "name": plot_text(stage),
             "x": part["year"].tolist(), "y": part["share"].tolist(),
             "line": {"color": palette[stage]}}
            for stage, part in top.groupby("stage", sort=True)]
    targets = pd.DataFrame(run.dims["policy_targets"], columns=["policy", "region", "year",
                                                                "value"])
    for region, part in targets[targets["policy"] == "max_country_share"].groupby("region"):
        data.append({"type": "scatter", "mode": "lines", "name": plot_text(f"cap ({region})"),
                     "x": part["year"].tolist(), "y": part["value"].tolist(),
                     "line": {"dash": "dash", "shape": "hv", "color": "#d62728"}})
    return {"data": data, "layout": layout("Largest single-country share of imports, by stage",
                                           yaxis={"tickformat": ".0%", "range": [0, 1.05],
                                                  "title": {"text": "share"}})}


def cost_figures(run: Run, scenario: str) -> dict[str, dict]:
    cur = run.currency
    costs = pick(run.tables["costs"], scenario)
    undiscounted, value = f"undiscounted_{cur}", f"value_{cur}"
    return {
        "chart-cost-year": stacked(costs.assign(component=costs["component"].map(
            COST_NAMES).fillna(costs["component"])), "year", undiscounted, "component",
            f"Cost by component and year ({cur}, undiscounted)", cur),
        "chart-cost-stage": horizontal(costs.groupby("stage")[value].sum(),
                                       f"Cost by stage ({cur}, discounted)", cur),
        "chart-cost-region": horizontal(costs.groupby("region")[value].sum(),
                                        f"Cost by region ({cur}, discounted)", cur),
    }


def emission_figures(run: Run, scenario: str) -> dict[str, dict]:
    em = pick(run.tables["emissions"], scenario)
    return {
        "chart-emissions-year": stacked(em, "year", "t_co2e", "stage",
                                        "Emissions by stage and year (t CO2e)", "t CO2e"),
        "chart-emissions-region": horizontal(em.groupby("region")["t_co2e"].sum(),
                                             "Emissions by region (t CO2e, whole horizon)",
                                             "t CO2e", "#54a24b"),
    }


def risk_figure(run: Run, scenario: str) -> dict:
    """Supply-risk exposure (the risk objective's terms: tonnes imported into domestic regions
    times the origin region's risk score) by stage and year."""
    regions = run.dims["regions"]
    flows = pick(run.tables["flows"], scenario)
    domestic = {r: v["domestic"] for r, v in regions.items()}
    imported = flows[is_import(flows["origin"], flows["destination"], domestic)]
    risk = imported["origin"].map({r: v.get("risk", 0.0) for r, v in regions.items()})
    stage = imported["commodity"].map({c: v["stage"] for c, v in run.dims["commodities"].items()})
    exposure = pd.DataFrame({"year": imported["year"], "stage": stage,
                             "exposure": imported["flow_t"] * risk})
    return stacked(exposure, "year", "exposure", "stage",
                   "Supply-risk exposure by stage (imported t x origin risk score)",
                   "risk-weighted t")


def scenario_figure(run: Run) -> dict:
    """What each scenario costs, on one axis (currency m): the system cost and, stacked on it,
    the unmet-demand penalty; the unmet tonnes in the hover and on the penalty bar."""
    rows = pd.DataFrame(run.summary.get("scenarios") or [])
    names = [plot_text(s) for s in rows["scenario"]]
    spent = rows["system_cost"] if "system_cost" in rows else rows["cost"]
    penalty = rows["unmet_penalty"] if "unmet_penalty" in rows else 0.0 * rows["cost"]
    unmet = [f"{t:,.0f} t unmet" if t > 0.05 else "" for t in rows["unmet_t"]]
    return {"data": [
        {"type": "bar", "x": names, "y": (spent / 1e6).tolist(),
         "name": f"system cost ({run.currency} m)", "marker": {"color": "#4c78a8"},
         "hovertemplate": "%{x}: %{y:,.1f} m<extra>system cost</extra>"},
        {"type": "bar", "x": names, "y": (penalty / 1e6).tolist(), "text": unmet,
         "textposition": "outside", "name": f"unmet-demand penalty ({run.currency} m)",
         "marker": {"color": "#e0e0e0", "line": {"color": "#b3261e", "width": 1}},
         "hovertemplate": "%{x}: %{y:,.1f} m, %{text}<extra>penalty</extra>"}],
        "layout": layout("Cost by scenario", f"{run.currency} m", barmode="stack",
                         # below the scenarios' names, which may be turned
                         legend={"orientation": "h", "x": 0, "y": -0.5, "yanchor": "top"},
                         margin={"l": 70, "r": 20, "t": 60, "b": 110})}


OBJECTIVE_COLUMNS = {"cost": "cost", "emissions": "emissions_t_co2e", "risk": "risk",
                     "responsible_sourcing": "responsible_sourcing",
                     "shortfall": "shortfall_t", "cvar_shortfall": "cvar_shortfall_t",
                     "concentration": "max_country_t"}


def pareto_figure(front: pd.DataFrame, objectives: list[str], currency: str) -> dict:
    """The efficient points, first objective against the second (colour: the third); each point
    carries its number for the click that shows its decisions."""
    cols = [OBJECTIVE_COLUMNS[o] for o in objectives]
    front = front.sort_values(cols[1])
    marker: dict = {"size": 12, "color": "#1f5f8b", "line": {"width": 1, "color": "#fff"}}
    if len(cols) > 2:
        marker.update(color=front[cols[2]].tolist(), colorscale="Viridis", showscale=True,
                      colorbar={"title": {"text": cols[2]}})
    text = [f"point {int(p)}" for p in front["point"]]
    return {"data": [{"type": "scatter", "mode": "lines+markers+text", "x": front[cols[1]].tolist(),
                      "y": front[cols[0]].tolist(), "customdata": front["point"].tolist(),
                      "text": text, "textposition": "top right", "marker": marker,
                      "line": {"color": "#9aa5b1", "dash": "dot"},
                      "hovertemplate": "%{text}<br>" + cols[1] + ": %{x:,.4g}<br>" + cols[0] +
                      ": %{y:,.4g}<extra>click for its decisions</extra>"}],
            "layout": layout("Pareto front (click a point)", cols[0], cols[1])}
