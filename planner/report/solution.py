"""The solution report: one self-contained HTML page per run folder (or Pareto folder)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.report import figures as fig
from planner.report.html import esc, page, table
from planner.report.painpoints import dependencies, policies, ranked_constraints, unmet_demand
from planner.report.rundata import Front, Run, is_front, load_front, load_run
from planner.report.units import money

SECTIONS = (("map", "Value-stream map"), ("capacity", "Capacity"), ("sourcing", "Sourcing mix"),
            ("outcomes", "Cost, emissions and risk"), ("pains", "Pain points"))


def header(run: Run, title: str, extra: list[tuple[str, str]] = ()) -> str:
    s = run.summary
    inst = s.get("instance", {})
    obj = s.get("objectives") or {}
    gap = s.get("mip_gap")
    facts = [("status", f"{s.get('status')} ({s.get('termination')})"),
             ("MIP gap", f"{gap:.3%}" if gap is not None else "n/a"),
             ("objective", s.get("objective", "")),
             ("system cost (spent, discounted)", money(s.get("system_cost", obj.get("cost")),
                                                        run.currency)),
             ("unmet-demand penalty", money(s["unmet_penalty"], run.currency)
              if s.get("unmet_penalty") else "none"),
             ("objective (cost + penalty)", money(obj.get("cost"), run.currency)),
             ("emissions (t CO2e)", f"{obj.get('emissions_t_co2e', 0):,.0f}"),
             ("risk (weighted t)", f"{obj.get('risk', 0):,.0f}"),
             ("responsible-sourcing score (0-1)",
              f"{s['responsible_sourcing_score']:.2f}" if s.get("responsible_sourcing_score")
              is not None else "n/a"),
             ("unmet demand, expected (t)", f"{s.get('expected_unmet_t', 0):,.1f}"),
             ("run date", s.get("created", "unknown")),
             ("instance sha256", str(inst.get("sha256", ""))[:12]),
             ("versions", ", ".join(f"{k} {v}" for k, v in sorted(s.get("versions",
                                                                          {}).items()))),
             *extra]
    facts_html = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts)
    return (f"<header><h1>{esc(title)}</h1>"
            f"<p>{esc(inst.get('description') or '')}</p><dl>{facts_html}</dl></header>")


def nav(run: Run, sections=SECTIONS) -> str:
    links = "".join(f'<a href="#{key}">{esc(name)}</a>' for key, name in sections)
    options = "".join(f'<option value="{esc(s)}">{esc(s)} (p = {run.probability[s]:.2f})'
                      "</option>" for s in run.scenarios)
    return (f'<nav>{links}<label>scenario <select id="scenario-select">{options}</select>'
            "</label></nav>")


def section(key: str, title: str, body: str, note: str = "") -> str:
    note_html = f'<p class="note">{note}</p>' if note else ""
    return f'<section id="{key}"><h2>{esc(title)}</h2>{note_html}{body}</section>'


def chart(element_id: str, tall: bool = False) -> str:
    return f'<div class="chart{" tall" if tall else ""}" id="{element_id}"></div>'


def value_stream_section(run: Run) -> str:
    years = run.years
    default = next((y for y in (2035, 2030) if y in years), years[len(years) // 2])
    year_options = "".join(f'<option value="{y}"{" selected" if y == default else ""}>{y}'
                           "</option>" for y in years)
    controls = (f'<div class="controls"><label>year <select id="sankey-year">{year_options}'
                '</select></label><label>colour by <select id="sankey-colour">'
                '<option value="loop">loop</option><option value="country">country of origin'
                '</option></select></label><label>places <select id="sankey-detail">'
                '<option value="region">regions and sites</option><option value="country">'
                "countries</option></select></label></div>")
    note = ("Tonnes in one year and scenario, from purchases and end-of-life arrivals through "
            "every stage of the chain to use, and back through the reverse loops (hover a node "
            "for its stage and country; drag nodes to rearrange). Bands are "
            "coloured by the loop that last made the material or by the country it was bought "
            "in or arrived at end of life (proportional flow tracing).")
    body = (controls + chart("chart-sankey", tall=True) +
            '<p class="note" id="sankey-caption"></p><div class="legend" id="sankey-legend">'
            "</div>")
    return section("map", "Value-stream map", body, note)


def capacity_section(run: Run) -> str:
    body = chart("chart-capacity") + build_plan_block(run)
    stock = run.tables.get("inventory")
    if stock is not None and not stock.empty:
        body += ("<h3>Stockpiles</h3><p class=\"note\">Stock held at the end of each year and "
                 "drawn in it, in the chosen scenario. Stock decisions obey the scenario tree: "
                 "a stockpile is filled in every scenario that cannot yet be told apart.</p>" +
                 chart("chart-stock"))
    body += productivity_block(run) + product_options_block(run)
    return section("capacity", "Capacity timeline", body,
                   "Capacity in place each year by site in the chosen scenario; triangles mark "
                   "the year new modules come online.")


def build_plan_block(run: Run) -> str:
    """The build plan as a decision tree: what to build now (for all scenarios), then what to
    build once each scenario is known, with the probability of getting there."""
    plan = run.tables.get("build_plan")
    if plan is None:  # a run folder written before build plans had a tree
        return "<h3>Builds</h3>" + table(run.tables["builds"], {"capacity_added_t": 0},
                                         empty="no new capacity is built")
    if plan.empty:
        return '<h3>Build plan</h3><p class="empty">no new capacity is built</p>'
    parts = ['<h3>Build plan</h3><p class="note">Each decision is taken for the scenarios '
             "that cannot yet be told apart in its year: first what to build whatever "
             "happens, then what to build once a scenario is known.</p>"]
    for (scenarios, probability), group in plan.groupby(["scenarios", "probability"],
                                                        sort=False):
        heading = ("Build whatever happens" if scenarios == "all scenarios" else
                   f"If {scenarios} (p = {probability:.2f})")
        parts.append(f"<h4>{esc(heading)}</h4>" + table(by_site(run, group),
                                                         {"capacity_added_t": 0}))
    return "".join(parts)


def by_site(run: Run, plan: pd.DataFrame) -> pd.DataFrame:
    """One row per site of a branch of the build plan: the site in words, where, the modules
    decided each year ("2032: 1, 2038: 2"), the capacity added and when it first comes
    online."""
    facilities = run.dims.get("facilities", {})
    places = {r: v.get("place", r) for r, v in run.dims["regions"].items()}
    rows = []
    for (facility, process, region), group in plan.groupby(["facility", "process", "region"],
                                                           sort=False):
        rows.append({"site": facilities.get(facility, {}).get("name") or process,
                     "facility": facility, "where": places.get(region, region),
                     "decided (year: modules)": ", ".join(
                         f"{y}: {m}" for y, m in zip(group["year"], group["modules"])),
                     "capacity_added_t": group["capacity_added_t"].sum(),
                     "first online": int(group["online_year"].min())})
    return pd.DataFrame(rows)


def productivity_block(run: Run) -> str:
    """What the resource-productivity levers saved over the horizon, per scenario and lever
    (productivity.csv summed over years and regions); nothing for runs without the table."""
    levers = run.tables.get("productivity")
    if levers is None:
        return ""
    totals = levers.groupby(["scenario", "lever"], as_index=False)[
        ["activity_t", "dytb_saved_t", "ndpr_saved_t", "swarf_avoided_t"]].sum()
    return ("<h3>Resource productivity</h3><p class=\"note\">Tonnes made by each lever route "
            "over the horizon and the Dy/Tb, NdPr and swarf it saved against making the same "
            "tonnes by the conventional recipe.</p>" +
            table(totals, {"dytb_saved_t": 1, "ndpr_saved_t": 1},
                  empty="no lever route (Dy-lean, near net shape) is used"))


def product_options_block(run: Run) -> str:
    """How much of each product's demand its options met (product_options.csv): reused and
    remanufactured magnets it accepts, life extension (kept in use) and magnet-free
    substitution, t summed over the horizon and t/yr in the last year, per scenario."""
    met = run.tables.get("product_options")
    if met is None:
        return ""
    last = met["year"].max() if len(met) else 0
    totals = met.groupby(["scenario", "product", "kind", "lever"], as_index=False)["t"].sum()
    final = met[met["year"] == last].groupby(["scenario", "product", "kind", "lever"])["t"].sum()
    totals[f"t_in_{last}"] = final.reindex(pd.MultiIndex.from_frame(
        totals[["scenario", "product", "kind", "lever"]]), fill_value=0.0).to_numpy()
    return ("<h3>Product options</h3><p class=\"note\">Demand met without new magnets: "
            "accepted reused or remanufactured magnets (serve), products kept in use longer "
            "(life_extension) and magnet-free designs (substitution); t over the horizon and "
            "in the last year.</p>" +
            table(totals.rename(columns={"t": "t_over_horizon"}),
                  {"t_over_horizon": 0, f"t_in_{last}": 0},
                  empty="no product option is used"))


def sourcing_section(run: Run) -> str:
    body = ('<div class="grid2">' + chart("chart-sourcing") + chart("chart-shares") +
            chart("chart-concentration") + chart("chart-collection") + "</div>")
    return section("sourcing", "Sourcing mix", body,
                   "Imports into domestic regions by origin country and stage; recycled and "
                   "domestic shares of domestic demand against the policy targets (dashed); "
                   "each product's end of life: collected, leaked (exported, lost before "
                   "collection) and left uncollected (disposed of).")


def outcomes_section(run: Run, front: Front | None) -> str:
    parts = ['<div class="grid2">', chart("chart-cost-year"), chart("chart-cost-stage"),
             chart("chart-cost-region"), chart("chart-emissions-year"),
             chart("chart-emissions-region"), chart("chart-risk-year"), "</div>"]
    scenarios = pd.DataFrame(run.summary.get("scenarios") or [])
    if len(scenarios) > 1:
        parts += ["<h3>Scenarios</h3>", chart("chart-scenarios"),
                  table(scenarios, {"probability": 3, "risk": 1, "unmet_t": 1})]
    risk = run.summary.get("risk_measures") or {}
    if risk:
        frame = pd.DataFrame({"measure": list(risk), "value": list(risk.values())})
        parts += ["<h3>Risk measures</h3>", table(frame, {"value": 3})]
    stochastic = run.summary.get("stochastic")
    if stochastic:
        frame = pd.DataFrame({"metric": list(stochastic), "value": list(stochastic.values())})
        parts += ["<h3>Value of the stochastic solution</h3>", table(frame, {"value": 0})]
    if front is not None:
        parts.append(pareto_block(front, run.currency))
    return section("outcomes", "Cost, emissions and risk", "".join(parts),
                   "Breakdowns for the scenario chosen at the top; costs are discounted "
                   "unless marked otherwise.")


def pareto_block(front: Front, currency: str) -> str:
    names = front.summary.get("objectives", [])
    blocks = []
    for i, (number, point) in enumerate(sorted(front.points.items())):
        row = front.front[front.front["point"] == number].T.reset_index()
        row.columns = ["quantity", "value"]
        shown = " shown" if i == 0 else ""
        blocks.append(f'<div class="pareto-point{shown}" id="pareto-point-{number}">'
                      f"<h3>Point {number}: key decisions</h3>"
                      + table(row, {"value": 3}) + "<h4>Builds</h4>" +
                      table(point.tables["builds"], empty="no builds") + "</div>")
    return ("<h3>Pareto front</h3>" + fig_chart("chart-pareto") + "".join(blocks) +
            "<h3>Payoff table</h3>" + table(front.payoff, {c: 3 for c in front.payoff}) +
            f'<p class="note">Objectives {esc(", ".join(names))}; {len(front.points)} efficient '
            f"points; money in {esc(currency)}.</p>")


def fig_chart(element_id: str) -> str:
    return chart(element_id)


def pains_section(run: Run, threshold: float) -> str:
    rules = policies(run)
    parts = (["<h3>Policies</h3>", '<ul class="pains" id="pain-policies">' +
              "".join(f"<li>{esc(line)}</li>" for line in rules) + "</ul>"] if rules else [])
    parts += ["<h3>Binding constraints, by shadow price</h3>", shadow_block(run),
             f"<h3>Single-country dependencies (at least {threshold:.0%} of a stage's imports)"
             "</h3>", '<div class="scroll">',
             table(dependencies(run, threshold), {"max_share": 3, "imported_t": 1},
                   empty="no country reaches the threshold"), "</div>",
             "<h3>Unmet demand</h3>", '<div class="scroll">',
             table(unmet_demand(run), {"demand_t": 1, "shortfall_t": 1},
                   empty="all demand is met in every scenario"), "</div>"]
    return section("pains", "Pain points", "".join(parts),
                   "What holds the plan back: every policy, whether it holds and what it costs "
                   "where it binds; the constraints whose relaxation would save most (from the "
                   "LP with the build decisions fixed), dependencies on one country, and demand "
                   "left unmet.")


def shadow_block(run: Run, top: int = 25) -> str:
    """The `top` constraints whose relaxation saves most, in words, per unit of each."""
    if "shadow_prices" not in run.tables:
        why = ("a Pareto point's duals would price its epsilon-constraint problem, not the "
               "plan's: solve the point's trade-off with planner solve --limit to rank them"
               if "pareto" in run.summary else "this run folder has no shadow_prices.csv")
        return f'<p class="empty">no shadow prices: {esc(why)}</p>'
    ranked = ranked_constraints(run)
    if ranked.empty:
        return '<p class="empty">no constraint binds with a non-zero shadow price</p>'
    items = "".join(f"<li>{esc(m)}</li>" for m in ranked["message"].head(top))
    more = (f'<p class="note">{len(ranked) - top} more constraints bind; every row, per '
            "scenario, is in shadow_prices.csv</p>" if len(ranked) > top else "")
    return f'<ol class="pains" id="pain-ranking">{items}</ol>{more}'


def report_data(run: Run, front: Front | None) -> dict:
    charts = {}
    if len(run.scenarios) > 1:
        charts["chart-scenarios"] = fig.scenario_figure(run)
    if front is not None:
        charts["chart-pareto"] = fig.pareto_figure(front.front, front.summary["objectives"],
                                                   run.currency)
    by_scenario: dict[str, dict] = {}
    for s in run.scenarios:
        figures = {"chart-capacity": fig.capacity_figure(run, s),
                   "chart-stock": fig.stock_figure(run, s),
                   "chart-sourcing": fig.sourcing_figure(run, s),
                   "chart-shares": fig.shares_figure(run, s),
                   "chart-concentration": fig.concentration_figure(run, s),
                   "chart-collection": fig.collection_figure(run, s),
                   "chart-risk-year": fig.risk_figure(run, s),
                   **fig.cost_figures(run, s), **fig.emission_figures(run, s)}
        for element_id, figure in figures.items():
            by_scenario.setdefault(element_id, {})[s] = figure
    return {"charts": charts, "by_scenario": by_scenario, "sankey": fig.sankey_data(run)}


def solution_report(run: Run, front: Front | None = None, threshold: float = 0.5) -> str:
    title = f"{run.name}: solution report"
    extra = []
    if front is not None:
        point = run.summary.get("pareto", {}).get("point")
        extra.append(("Pareto point shown", str(point)))
    body = "\n".join([
        header(run, title, extra), nav(run), "<main>",
        value_stream_section(run), capacity_section(run), sourcing_section(run),
        outcomes_section(run, front), pains_section(run, threshold), "</main>"])
    return page(title, body, report_data(run, front))


def write_report(run_dir: str | Path, point: int | None = None, threshold: float = 0.5,
                 out: str | Path | None = None) -> Path:
    """Write report.html into `run_dir` (or `out`); a Pareto folder is reported through one of
    its points (`point`, default the first) with the front and every point's decisions."""
    run_dir = Path(run_dir)
    front = None
    if is_front(run_dir):
        front = load_front(run_dir)
        chosen = point if point is not None else min(front.points)
        if chosen not in front.points:
            from planner.errors import PlannerError
            raise PlannerError(f"{run_dir} has no point {chosen}; points: "
                               + ", ".join(map(str, sorted(front.points))))
        run = front.points[chosen]
    else:
        run = load_run(run_dir)
    html = solution_report(run, front, threshold)
    target = Path(out) if out else run_dir / "report.html"
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(target)
    return target
