"""summary.json: status, objectives, gap, timings, model size, instance, versions, key results."""

from __future__ import annotations

import platform
from datetime import UTC, datetime

import highspy
import numpy as np
import pandas as pd
import pyomo

import planner
from planner.chain import commodity_stages, process_stages
from planner.formulation.build import PlanningModel
from planner.formulation.objectives import purchased_content
from planner.rare_earths import effective_basis, re_content
from planner.results.wording import country_names, short
from planner.solve import Solution

REPORT_YEARS = (2030, 2035, 2050)
# the measures every summary reports, and their keys
MEASURE_KEYS = (("cost", "cost"), ("emissions", "emissions_t_co2e"), ("risk", "risk"),
                ("responsible_sourcing", "responsible_sourcing"))


def objective_values(pm: PlanningModel, sol: Solution) -> dict[str, float]:
    """cost (currency, discounted: the system cost plus the unmet-demand penalty, as the
    objective counts it), emissions_t_co2e, risk,
    responsible_sourcing (the deficit, t)."""
    out = {}
    for name, key in MEASURE_KEYS:
        coefs = pm.coefficients[name]
        out[key] = float(sum(np.dot(c, sol.values[f]) for f, c in coefs.items()) +
                         pm.constants[name])
    return out


def unmet_penalty(pm: PlanningModel, sol: Solution) -> np.ndarray:
    """Per `short` row: its share of the cost objective, the shortage penalty (currency,
    discounted, probability-weighted). The cost objective less its sum is the system cost:
    what the plan spends."""
    return pm.cost_parts["shortage"]["short"] * sol.values["short"]


def sourcing_score(pm: PlanningModel, sol: Solution) -> float | None:
    """The expected responsible-sourcing score of what the plan buys (0..1, weighted by
    tonnes on the share basis): 1 - deficit / tonnes bought; None when nothing is bought."""
    total = float(np.dot(purchased_content(pm), sol.values["buy"]))
    deficit = float(np.dot(pm.coefficients["responsible_sourcing"]["buy"], sol.values["buy"]))
    return None if total <= 0 else 1.0 - deficit / total


def scenario_objectives(pm: PlanningModel, sol: Solution) -> pd.DataFrame:
    """scenario, probability, cost, emissions_t_co2e, risk, responsible_sourcing, unmet_penalty,
    system_cost, unmet_t: each objective as if that
    scenario happened (first-stage terms in full, second-stage terms not probability-weighted).
    Their probability-weighted sums are the reported (expected) objectives."""
    scen = pm.sets.scenarios.set_index("scenario")["probability"]
    out = pd.DataFrame({"scenario": scen.index, "probability": scen.to_numpy()})
    for name, key in MEASURE_KEYS:
        totals = pd.Series(pm.constants[name], index=scen.index)
        for family, coef in pm.coefficients[name].items():
            contribution = coef * sol.values[family]
            frame = pm.frames[family]
            if "scenario" in frame:
                by = pd.Series(contribution).groupby(frame["scenario"].to_numpy()).sum()
                totals = totals.add(by / scen.loc[by.index], fill_value=0.0)
            else:
                totals += contribution.sum()
        out[key] = totals.loc[out["scenario"]].to_numpy()
    frame = pm.frames["short"]
    by_scenario = frame["scenario"].to_numpy()
    penalty = pd.Series(unmet_penalty(pm, sol)).groupby(by_scenario).sum()
    penalty = penalty.reindex(out["scenario"], fill_value=0.0).to_numpy() / out["probability"]
    out["unmet_penalty"] = penalty
    out["system_cost"] = out["cost"] - penalty
    tonnes = sol.values["short"] * pm.sets.weight.loc[frame["year"]].to_numpy()
    short = pd.Series(tonnes).groupby(by_scenario).sum()
    out["unmet_t"] = short.reindex(out["scenario"], fill_value=0.0).to_numpy()
    return out


def report_years(years) -> list[int]:
    years = list(years)
    chosen = [y for y in REPORT_YEARS if y in years]
    return chosen or sorted({years[0], years[len(years) // 2], years[-1]})


def versions() -> dict[str, str]:
    h = highspy.Highs()
    highs = f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"
    return {"planner": planner.__version__, "pyomo": pyomo.version.version, "highspy": highs,
            "python": platform.python_version()}


def dimensions(pm: PlanningModel) -> dict:
    """What a report needs to describe the tables without the instance: each process's stage and
    loop, each commodity's stage and rare-earth content (t/t), the basis shares are counted on
    (rare_earth or mass), each region's country, risk score and whether it is domestic,
    short human names (commodities, processes, products, facilities; a region's place;
    countries),
    the policy targets in force each year and the scenario probabilities."""
    inst = pm.instance
    stages = commodity_stages(inst.chain)
    process_stage = process_stages(inst.chain)
    regions = inst.regions.set_index("region")
    facilities = inst.facilities.set_index("facility")
    region_names = {r: {"country": str(row["country"]), "domestic": bool(row["domestic"]),
                        "risk": float(row["risk"]),
                        "place": short(row.get("description", ""), str(r))}
                    for r, row in regions.iterrows()}
    return {
        "processes": {n: {"stage": process_stage[n], "loop": p.loop,
                          "name": short(p.description, n)}
                      for n, p in inst.chain.processes.items()},
        "commodities": {c: {"stage": stages[c], "re_t_per_t": re_content(inst.chain, c),
                            "name": short(v.description, c)}
                        for c, v in inst.chain.commodities.items()},
        "products": {e: {"name": short(p.description, e)} for e, p in inst.chain.products.items()},
        "share_basis": effective_basis(inst.settings.share_basis, inst.chain),
        "regions": region_names,
        "countries": country_names(region_names),
        "facilities": {f: {"name": short(row.get("description", ""), ""),
                           "process": str(row["process"]), "region": str(row["region"])}
                       for f, row in facilities.iterrows()},
        "policy_targets": pm.policy_schedule.to_dict("records"),
        "scenarios": pm.tree.scenarios[["scenario", "probability", "parent", "known_from"]
                                       ].to_dict("records"),
        "builds_follow": "shared" if pm.tree.shared_builds else "tree",
    }


def in_use_stock(arrivals: pd.DataFrame, chain) -> list[dict]:
    """Per scenario, product and year (the first model year and the report years): stock_t, the
    t in use at the end of the year (eol_arrivals.csv: inflows and placements), and
    rare_earths_t, its contained rare-earth metal where the placed commodity states it (t/t from
    `rare_earths:` in the value-chain model; None where it states none)."""
    if arrivals.empty:
        return []
    years = sorted(arrivals["year"].unique())
    picked = arrivals[arrivals["year"].isin([years[0], *report_years(years)])]
    stock = picked.groupby(["scenario", "product", "year"], as_index=False)["stock_t"].sum()
    content = {e: re_content(chain, p.placed_commodity) for e, p in chain.products.items()}
    return [{"scenario": r.scenario, "product": r.product, "year": int(r.year),
             "stock_t": round(float(r.stock_t), 3),
             "rare_earths_t": round(float(r.stock_t) * content[r.product], 3)
             if content[r.product] else None} for r in stock.itertuples()]


def build_summary(pm: PlanningModel, sol: Solution, tables: dict[str, pd.DataFrame] | None,
                  loops: pd.DataFrame | None, timings: dict[str, float],
                  diagnosis: list[str] | None = None, max_residual: float | None = None) -> dict:
    inst = pm.instance
    summary: dict = {
        "status": sol.status.value,
        "termination": sol.termination,
        "objectives": objective_values(pm, sol) if sol.has_solution else None,
        "objective": str(inst.settings.objective),
        "objective_value": sol.objective,
        "best_bound": sol.bound,
        "mip_gap": sol.mip_gap,
        "currency": inst.settings.currency,
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "model": sol.stats,
        "instance": {"name": inst.name, "path": str(inst.path), "sha256": inst.files_sha256,
                     "description": inst.settings.description},
        "versions": versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "dimensions": dimensions(pm),
        "warnings": [str(w) for w in inst.warnings],
    }
    if diagnosis:
        summary["diagnosis"] = diagnosis
    if sol.has_solution:
        per = scenario_objectives(pm, sol)
        penalty = float(unmet_penalty(pm, sol).sum())
        summary["system_cost"] = summary["objectives"]["cost"] - penalty
        summary["unmet_penalty"] = penalty
        summary["expected_unmet_t"] = float(np.dot(per["probability"], per["unmet_t"]))
        summary["unmet_by_scenario_t"] = dict(zip(per["scenario"], per["unmet_t"].astype(float)))
        summary["scenarios"] = per.to_dict("records")
        summary["responsible_sourcing_score"] = sourcing_score(pm, sol)
    if tables is not None:
        summary["builds"] = tables["builds"].to_dict("records")
        summary["build_plan"] = tables["build_plan"].to_dict("records")
        summary["mass_balance_max_residual_t"] = max_residual
        summary["in_use_stock"] = in_use_stock(tables["eol_arrivals"], inst.chain)
    if loops is not None and len(loops):
        years = report_years(sorted(loops["year"].unique()))
        picked = loops[loops["year"].isin(years)]
        summary["share_basis"] = str(loops["basis"].iloc[0]) if "basis" in loops else "mass"
        summary["loop_shares"] = {
            f"{r.scenario}/{r.commodity}/{r.year}": {} for r in picked.itertuples()}
        for r in picked.itertuples():
            summary["loop_shares"][f"{r.scenario}/{r.commodity}/{r.year}"][r.loop] = round(
                float(r.share), 6)
    return summary
