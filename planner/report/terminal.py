"""The short human summary printed after a solve."""

from __future__ import annotations

import pandas as pd

from planner.report.units import money, percent
from planner.results.summary import report_years

LOOP_NAMES = {"primary_import": "primary import", "domestic_primary": "domestic primary",
              "reuse": "reuse", "remanufacture": "remanufacture", "short_loop": "short loop",
              "long_loop": "long loop", "kept_in_use": "kept in use",
              "substituted": "substituted", "from_stock": "from stock", "unmet": "unmet"}


def format_summary(summary: dict, tables: dict[str, pd.DataFrame]) -> str:
    lines = [f"status: {summary['status']} ({summary['termination']})"]
    cur = summary["currency"]
    obj = summary.get("objectives")
    if obj:
        gap = summary.get("mip_gap")
        penalty = summary.get("unmet_penalty")
        if penalty is not None:
            lines.append(f"system cost: {money(summary['system_cost'], cur)} (what the plan "
                         "spends, discounted, expected over scenarios)")
            lines.append("unmet-demand penalty: " + (
                f"{money(penalty, cur)} (not spending: unmet tonnes x the shortage penalty)"
                if penalty > 0.5 else "none"))
        lines.append(f"objective: {money(obj['cost'], cur)} (system cost + penalty)"
                     + (f"   MIP gap: {percent(gap, 2)}" if gap is not None else ""))
        lines.append(f"emissions: {obj['emissions_t_co2e']:,.0f} t CO2e   risk: "
                     f"{obj['risk']:,.0f} risk-weighted imported t"
                     + (f"   responsible sourcing: score {score:.2f} (deficit "
                        f"{obj['responsible_sourcing']:,.0f} t)" if (
                            score := summary.get("responsible_sourcing_score")) is not None
                        and "responsible_sourcing" in obj else ""))
    t = summary["timings"]
    m = summary["model"]
    lines.append(f"model: {m.get('variables', 0):,} variables ({m.get('integer_variables', 0):,} "
                 f"integer), {m.get('constraints', 0):,} constraints, {m.get('nonzeros', 0):,} "
                 f"nonzeros; load {t['load_s']:.2f} s, build {t['build_s']:.2f} s, hand-over "
                 f"{t['handover_s']:.2f} s, solve {t['solve_s']:.2f} s, total {t['total_s']:.2f} s")
    scenarios = summary.get("scenarios") or []
    if len(scenarios) > 1:
        lines.append("per scenario (probability: system cost, penalty, emissions, risk, unmet):")
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
    for message in summary.get("diagnosis", []):
        lines.append(f"  - {message}")
    if not tables:
        return "\n".join(lines)
    plan = tables.get("build_plan")
    if plan is not None and len(plan):
        for (scenarios, probability), decided in plan.groupby(["scenarios", "probability"],
                                                             sort=False):
            head = ("whatever happens" if scenarios == "all scenarios" else
                    f"if {scenarios} (p = {probability:.2f})")
            lines.append(f"builds {head} (decision year: modules; capacity added):")
            for (facility, process, region), group in decided.groupby(
                    ["facility", "process", "region"], sort=False):
                years = ", ".join(f"{y}: {m}" for y, m in zip(group["year"], group["modules"]))
                lines.append(f"  {facility} ({process} at {region}) {years}; "
                             f"+{group['capacity_added_t'].sum():,.0f} t/yr, first online "
                             f"{group['online_year'].min()}")
    else:
        lines.append("builds: none")
    loops = tables.get("loop_shares")
    if loops is not None and len(loops):
        years = report_years(sorted(loops["year"].unique()))
        for (scenario, commodity), group in loops[loops["year"].isin(years)].groupby(
                ["scenario", "commodity"]):
            basis = group["basis"].iloc[0] if "basis" in group else "mass"
            counted = "rare-earth content" if basis == "rare_earth" else "mass"
            lines.append(f"share of domestic {commodity} demand by loop, on {counted} "
                         f"(scenario {scenario}):")
            pivot = group.pivot(index="loop", columns="year", values="share")
            pivot = pivot.reindex([k for k in LOOP_NAMES if k in pivot.index])
            lines.append("  " + f"{'loop':<18}" + "".join(f"{y:>9}" for y in pivot.columns))
            for loop, row in pivot.iterrows():
                lines.append("  " + f"{LOOP_NAMES[loop]:<18}" +
                             "".join(f"{v:>9.1%}" for v in row))
    lines += _in_use_lines(summary.get("in_use_stock") or [])
    short = tables["shortfall"]
    if len(short):
        by = summary.get("unmet_by_scenario_t") or {}
        named = ", ".join(f"{s} {t:,.1f} t" for s, t in by.items() if t > 0.05)
        lines.append(f"unmet demand: expected {summary.get('expected_unmet_t', 0):,.1f} t "
                     f"(probability-weighted); by scenario: {named}; largest:")
        for r in short.sort_values("shortfall_t", ascending=False).head(5).itertuples():
            where = f" in scenario {r.scenario}" if "scenario" in short else ""
            lines.append(f"  {r.commodity} at {r.region} in {r.year}{where}: "
                         f"{r.shortfall_t:,.1f} t")
    else:
        lines.append("unmet demand: none")
    return "\n".join(lines)


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
