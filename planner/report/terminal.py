"""The short human summary printed after a solve: the answer first (what it costs, where
supply comes from, shares against targets, whether each policy holds, unmet demand, what to
build), then the loop table and the model's size and timings."""

from __future__ import annotations

import pandas as pd

from planner.chain import RECYCLED_LOOPS
from planner.report.painpoints import policy_groups
from planner.report.units import money, percent
from planner.results.summary import report_years
from planner.results.wording import LOOP_NAMES

DOMESTIC_LOOPS = ("domestic_primary", *RECYCLED_LOOPS)
SHARE_GAP = 0.01  # a scenario's loop shares are listed when they differ by more than this
SITES_SHOWN = 4  # sites listed per branch of the build plan; the rest are counted


def format_summary(summary: dict, tables: dict[str, pd.DataFrame]) -> str:
    """The summary of a run, sites and processes named in words from its dimensions."""
    lines = [f"status: {summary['status']} ({summary['termination']})"]
    lines += _money_lines(summary, tables)
    for message in summary.get("diagnosis", []):
        lines.append(f"  - {message}")
    if tables:
        lines += _import_lines(summary, tables)
        lines += _share_lines(tables, summary)
        lines += _policy_lines(tables)
        lines += _unmet_lines(summary, tables)
        lines += _build_lines(summary, tables)
        lines += _loop_lines(tables)
        lines += _in_use_lines(summary.get("in_use_stock") or [])
    lines += _scenario_lines(summary)
    lines += _model_lines(summary)
    return "\n".join(lines)


def _money_lines(summary: dict, tables) -> list[str]:
    obj, cur = summary.get("objectives"), summary["currency"]
    if not obj:
        return []
    lines = []
    penalty = summary.get("unmet_penalty")
    if penalty is not None:
        spent = f"system cost: {money(summary['system_cost'], cur)} (what the plan spends, " \
                "discounted, expected over scenarios)"
        costs = (tables or {}).get("costs")
        if costs is not None and len(costs):
            value = [c for c in costs.columns if c.startswith("value_")][0]
            by = (costs["probability"] * costs[value]).groupby(costs["component"]).sum()
            parts = [f"{name} {money(by[key], cur)}" for key, name in (
                ("capital", "capital"), ("purchases", "purchases"),
                ("collection", "collection")) if abs(by.get(key, 0.0)) > 0.5]
            spent += "; of which " + ", ".join(parts) if parts else ""
        lines.append(spent)
        lines.append("unmet-demand penalty: " + (
            f"{money(penalty, cur)} (not spending: unmet t x the shortage penalty)"
            if penalty > 0.5 else "none"))
    gap = summary.get("mip_gap")
    lines.append(f"objective: {money(obj['cost'], cur)} (system cost + penalty)"
                 + (f"   MIP gap: {percent(gap, 2)}" if gap is not None else ""))
    score = summary.get("responsible_sourcing_score")
    lines.append(f"emissions: {obj['emissions_t_co2e']:,.0f} t CO2e   risk: {obj['risk']:,.0f} "
                 "risk-weighted imported t"
                 + (f"   responsible sourcing: score {score:.2f} (deficit "
                    f"{obj['responsible_sourcing']:,.0f} t)"
                    if score is not None and "responsible_sourcing" in obj else ""))
    return lines


def _expected(frame: pd.DataFrame, summary: dict) -> pd.Series:
    """Each row's scenario probability."""
    prob = {s["scenario"]: s["probability"] for s in summary.get("scenarios") or []}
    return frame["scenario"].map(prob).fillna(1.0 if len(prob) <= 1 else 0.0)


def _import_lines(summary: dict, tables) -> list[str]:
    """Where supply comes from: purchases by country on rare-earth content (mass where the
    chain has none), expected over scenarios, over the whole horizon."""
    bought = tables.get("purchases")
    dims = summary.get("dimensions") or {}
    if bought is None or not len(bought) or "regions" not in dims:
        return []
    names = dims.get("countries", {})
    country = {r: names.get(d["country"], d["country"]) for r, d in dims["regions"].items()}
    content = {c: d.get("re_t_per_t", 1.0) for c, d in dims.get("commodities", {}).items()}
    basis = "rare-earth content" if any(content.values()) else "t"
    weight = bought["commodity"].map(content).fillna(1.0) if any(content.values()) else 1.0
    tonnes = bought["bought_t"] * weight * _expected(bought, summary)
    by = tonnes.groupby(bought["region"].map(country)).sum().sort_values(ascending=False)
    by = by[by > 0]
    if by.empty:
        return ["bought: nothing"]
    shown = ", ".join(f"{k} {percent(v / by.sum(), 0)}" for k, v in by.head(6).items())
    rest = f", {len(by) - 6} more" if len(by) > 6 else ""
    return [f"bought by country ({basis}, expected, all years): {shown}{rest}"]


def _share_lines(tables, summary: dict) -> list[str]:
    """Recycled and domestic shares of the first scenario's demand in the report years, as
    traced through the loops (the policies' own measure is under policies)."""
    loops = tables.get("loop_shares")
    if loops is None or not len(loops):
        return []
    first = loops["scenario"].iloc[0]
    years = report_years(sorted(loops["year"].unique()))
    picked = loops[(loops["scenario"] == first) & loops["year"].isin(years)]
    lines = []
    for commodity, group in picked.groupby("commodity"):
        share = group.pivot_table(index="loop", columns="year", values="share", aggfunc="sum")
        recycled = share.reindex(list(RECYCLED_LOOPS)).sum()
        domestic = share.reindex(list(DOMESTIC_LOOPS)).sum()
        counted = "rare-earth content" if group["basis"].iloc[0] == "rare_earth" else "mass"
        named = (summary.get("dimensions") or {}).get("commodities", {}).get(
            commodity, {}).get("name", commodity)
        lines.append(f"shares of {named} demand (traced, {counted}, scenario {first}): "
                     + "; ".join(f"{y}: recycled {percent(recycled[y])}, UK primary and "
                                 f"recycled {percent(domestic[y])}" for y in share.columns))
    return lines


def _policy_lines(tables) -> list[str]:
    """Each policy: what it asks, whether it holds in every scenario, what is achieved in
    the report years (its own measure), and in how many scenario-years it binds."""
    status = tables.get("policy_status")
    if status is None or not len(status):
        return []
    lines = ["policies (measured as the constraint counts):"]
    for text, held, rows, binding in policy_groups(status, tables.get("shadow_prices")):
        unit = rows["unit"].iloc[0]
        years = report_years(sorted(rows["year"].unique()))
        got = rows[rows["year"].isin(years)].groupby("year")["achieved"].agg(["min", "max"])

        def fmt(v, unit=unit):
            return percent(v) if unit == "share" else f"{v:,.0f}"
        shown = "; ".join(f"{y}: {fmt(r['min'])}" + (f"-{fmt(r['max'])}" if
                          r["max"] - r["min"] > 1e-6 else "") for y, r in got.iterrows())
        shown += "" if unit == "share" else f" {unit}"
        lines.append(f"  {text}: {held}; achieved {shown}" +
                     (f"; binds in {len(binding)} scenario-years" if len(binding) else ""))
    return lines


def _unmet_lines(summary: dict, tables) -> list[str]:
    short = tables["shortfall"]
    if not len(short):
        return ["unmet demand: none"]
    by = summary.get("unmet_by_scenario_t") or {}
    named = ", ".join(f"{s} {t:,.1f} t" for s, t in by.items() if t > 0.05)
    lines = [f"unmet demand: expected {summary.get('expected_unmet_t', 0):,.1f} t "
             f"(probability-weighted); by scenario: {named}; largest:"]
    for r in short.sort_values("shortfall_t", ascending=False).head(5).itertuples():
        where = f" in scenario {r.scenario}" if "scenario" in short else ""
        lines.append(f"  {r.commodity} at {r.region} in {r.year}{where}: "
                     f"{r.shortfall_t:,.1f} t")
    return lines


def _build_lines(summary: dict, tables) -> list[str]:
    """What to build, in words: one line per site and branch of the tree, the first
    SITES_SHOWN sites of a branch (by their first decision), then how many more."""
    plan = tables.get("build_plan")
    if plan is None or not len(plan):
        return ["what to build: nothing"]
    dims = summary.get("dimensions") or {}
    facilities, regions = dims.get("facilities", {}), dims.get("regions", {})
    processes = dims.get("processes", {})
    lines = []
    for (scenarios, probability), decided in plan.groupby(["scenarios", "probability"],
                                                         sort=False):
        head = ("whatever happens" if scenarios == "all scenarios" else
                f"if {scenarios} (p = {probability:.2f})")
        lines.append(f"builds {head} (decision year: modules; capacity added):")
        sites = list(decided.groupby(["facility", "process", "region"], sort=False))
        for (facility, process, region), group in sites[:SITES_SHOWN]:
            if len(group) <= 3:
                years = ", ".join(f"{y}: {m}" for y, m in zip(group["year"], group["modules"]))
            else:
                years = (f"{group['modules'].sum()} modules in {len(group)} steps, "
                         f"{group['year'].min()}-{group['year'].max()}")
            name = (facilities.get(facility, {}).get("name") or
                    processes.get(process, {}).get("name", process))
            place = regions.get(region, {}).get("place", region)
            where = "" if place.lower() in name.lower() else f", {place}"
            lines.append(f"  {name}{where} ({facility}) {years}; "
                         f"+{group['capacity_added_t'].sum():,.0f} t/yr, first online "
                         f"{group['online_year'].min()}")
        if len(sites) > SITES_SHOWN:
            later = min(int(g["year"].min()) for _, g in sites[SITES_SHOWN:])
            lines.append(f"  and {len(sites) - SITES_SHOWN} more sites decided from {later} "
                         "(build_plan.csv, planner report)")
    return lines


def _loop_lines(tables) -> list[str]:
    """The loop table of the first scenario, once; then the scenarios whose shares differ
    from it by more than SHARE_GAP in a report year, with their largest difference."""
    loops = tables.get("loop_shares")
    if loops is None or not len(loops):
        return []
    years = report_years(sorted(loops["year"].unique()))
    picked = loops[loops["year"].isin(years)]
    first = picked["scenario"].iloc[0]
    lines = []
    for commodity, group in picked.groupby("commodity"):
        counted = "rare-earth content" if group["basis"].iloc[0] == "rare_earth" else "mass"
        pivot = group.pivot_table(index=["scenario", "loop"], columns="year", values="share")
        own = pivot.loc[first].reindex([k for k in LOOP_NAMES if k in pivot.loc[first].index])
        lines.append(f"share of domestic {commodity} demand by loop, on {counted} "
                     f"(scenario {first}):")
        lines.append("  " + f"{'loop':<18}" + "".join(f"{y:>9}" for y in own.columns))
        for loop, row in own.iterrows():
            lines.append("  " + f"{LOOP_NAMES[loop]:<18}" + "".join(f"{v:>9.1%}" for v in row))
        differ = []
        for scenario in pivot.index.get_level_values("scenario").unique():
            if scenario == first:
                continue
            delta = (pivot.loc[scenario].reindex(own.index).fillna(0.0) - own).abs()
            if delta.to_numpy().max() > SHARE_GAP:
                loop, year = delta.stack().idxmax()
                differ.append(f"{scenario} ({LOOP_NAMES[loop]} {year}: "
                              f"{percent(pivot.loc[(scenario, loop), year])} against "
                              f"{percent(own.loc[loop, year])})")
        if pivot.index.get_level_values("scenario").nunique() > 1:
            lines.append("  other scenarios: " + ("; ".join(differ) if differ else
                                                  f"within {percent(SHARE_GAP, 0)} of {first}"))
    return lines


def _scenario_lines(summary: dict) -> list[str]:
    scenarios = summary.get("scenarios") or []
    if len(scenarios) < 2:
        return []
    cur = summary["currency"]
    lines = ["per scenario (probability: system cost, penalty, emissions, risk, unmet):"]
    for s in scenarios:
        penalty = s.get("unmet_penalty", 0.0)
        lines.append(f"  {s['scenario']:<20} {s['probability']:>6.1%}: "
                     f"{money(s.get('system_cost', s['cost']), cur)}, "
                     f"penalty {money(penalty, cur) if penalty > 0.5 else 'none'}, "
                     f"{s['emissions_t_co2e']:,.0f} t CO2e, {s['risk']:,.0f}, "
                     f"{s['unmet_t']:,.1f} t unmet")
    if "stochastic" in summary:
        st = summary["stochastic"]
        lines.append(f"value of the stochastic solution (VSS): {st['vss']:,.0f}; expected value "
                     f"of perfect information (EVPI): {st['evpi']:,.0f} (RP {st['rp']:,.0f}, "
                     f"EEV {st['eev']:,.0f}, WS {st['ws']:,.0f})")
    return lines


def _start_lines(summary: dict) -> list[str]:
    start = summary.get("start")
    if not start:
        return []
    if start["objective"] is None:
        return [f"start: the expected-value problem has no plan ({start['status']}, "
                f"{start['seconds']:.1f} s): the search started cold"]
    return [f"start: the expected-value plan (the scenarios' mean as one path, "
            f"{money(start['objective'], summary['currency'])}, {start['builds']} builds, "
            f"{start['seconds']:.1f} s) offered to every scenario"]


def _model_lines(summary: dict) -> list[str]:
    t, m = summary["timings"], summary["model"]
    start = f"start {t['start_s']:.2f} s, " if t.get("start_s") else ""
    return _start_lines(summary) + [
        f"model: {m.get('variables', 0):,} variables ({m.get('integer_variables', 0):,} "
        f"integer), {m.get('constraints', 0):,} constraints, {m.get('nonzeros', 0):,} "
        f"nonzeros; load {t['load_s']:.2f} s, {start}build {t['build_s']:.2f} s, hand-over "
        f"{t['handover_s']:.2f} s, solve {t['solve_s']:.2f} s, total {t['total_s']:.2f} s"]


def _in_use_lines(stock: list[dict]) -> list[str]:
    """The in-use stock of the first scenario by product and year: t, and t of rare earths where
    known (from summary["in_use_stock"])."""
    if not stock:
        return []
    frame = pd.DataFrame(stock)
    frame = frame[frame["scenario"] == frame["scenario"].iloc[0]]
    lines = [f"in use at year end, t (scenario {frame['scenario'].iloc[0]}):"]
    pivot = frame.pivot(index="product", columns="year", values="stock_t")
    lines.append("  " + f"{'product':<18}" + "".join(f"{y:>9}" for y in pivot.columns))
    for product, row in pivot.iterrows():
        lines.append("  " + f"{product:<18}" + "".join(f"{v:>9,.0f}" for v in row))
    lines.append("  " + f"{'total':<18}" + "".join(f"{v:>9,.0f}" for v in pivot.sum()))
    if frame["rare_earths_t"].notna().all():
        ree = frame.groupby("year")["rare_earths_t"].sum()
        lines.append("  " + f"{'rare earths':<18}" + "".join(f"{v:>9,.0f}" for v in ree))
    return lines
