"""Reports: the value-stream map's tonnes, escaping, identical rebuilds, Excel, comparisons."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.report.painpoints import dependencies, year_ranges
from planner.report.rundata import load_run
from planner.report.sankey import coloured_links, value_stream
from planner.report.solution import write_report
from planner.results.wording import country_names
from tests.conftest import ROOT


def run_cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def frame(columns: str, *rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=columns.split())


# Oxide bought in CN (100 t) is shipped to UK losing 10 %, made into 90 t of magnets; 50 t of
# scrap arrives at end of life and a short-loop recycler makes 40 t of magnets from it; 140 t are
# demanded, 130 t met and 10 t unmet.
HAND_TABLES = {
    "purchases": frame("scenario offer region commodity year bought_t",
                       ("s", "o", "CN", "oxide", 2030, 100.0)),
    "eol_arrivals": frame("product region commodity year arrivals_t stock_t",
                          ("p", "UK", "scrap", 2030, 50.0, 0.0)),
    "flows": frame("scenario origin destination commodity year flow_t delivered_t",
                   ("s", "CN", "UK", "oxide", 2030, 100.0, 90.0)),
    "process_flows": frame("scenario facility process region year commodity direction t",
                           ("s", "maker", "make", "UK", 2030, "oxide", "in", 90.0),
                           ("s", "maker", "make", "UK", 2030, "magnet", "out", 90.0),
                           ("s", "rec", "recycle", "UK", 2030, "scrap", "in", 50.0),
                           ("s", "rec", "recycle", "UK", 2030, "magnet", "out", 40.0)),
    "demand": frame("scenario region commodity year demand_t met_t shortfall_t",
                    ("s", "UK", "magnet", 2030, 140.0, 130.0, 10.0)),
    "disposal": frame("scenario region commodity year disposed_t"),
}
HAND_DIMS = {
    "processes": {"make": {"stage": "magnet", "loop": "primary"},
                  "recycle": {"stage": "recycling", "loop": "short_loop"}},
    "commodities": {"oxide": {"stage": "refining"}, "magnet": {"stage": "magnet"},
                    "scrap": {"stage": "other"}},
    "regions": {"CN": {"country": "CN", "domestic": False},
                "UK": {"country": "GB", "domestic": True}},
}


def bands_by(graph, mode: str, target: str) -> dict[str, float]:
    labels, bands = coloured_links(graph, mode)
    out: dict[str, float] = {}
    for _, t, v, c, _ in bands:
        if graph.node_id[t] == target:
            out[labels[c]] = out.get(labels[c], 0.0) + v
    return out


def test_value_stream_of_a_hand_built_year():
    g = value_stream(HAND_TABLES, HAND_DIMS, "s", 2030)
    assert len(g.node_id) == 13 and len(g.value) == 12
    assert g.totals() == pytest.approx({
        "purchase": 100, "arrival": 50, "transport": 90, "transport_loss": 10, "input": 140,
        "output": 130, "process_loss": 10, "use": 130, "in_use": 130, "unmet": 10})
    # what reaches the demand: 90 t primary (bought in CN) and 40 t short loop (arrived in GB);
    # the 10 t unmet leave the demand node as a gap of their own, never as supply
    assert bands_by(g, "loop", "use:UK:magnet") == pytest.approx(
        {"primary": 90, "short_loop": 40})
    assert bands_by(g, "country", "use:UK:magnet") == pytest.approx({"CN": 90, "GB": 40})
    for mode in ("loop", "country"):
        assert bands_by(g, mode, "unmet:UK:magnet") == pytest.approx({"unmet": 10})
        assert bands_by(g, mode, "in_use:UK:magnet") == pytest.approx(
            bands_by(g, mode, "use:UK:magnet"))
    assert g.node_kind[g.node_id.index("unmet:UK:magnet")] == "unmet"
    assert g.node_id.index("unmet:UK:magnet") not in g.source  # a sink: no supply leaves it
    assert bands_by(g, "loop", "loss:transport") == {"loss": pytest.approx(10)}


def hub_imbalance(graph) -> float:
    inflow = np.zeros(len(graph.node_id))
    outflow = np.zeros(len(graph.node_id))
    np.add.at(inflow, graph.target, graph.value)
    np.add.at(outflow, graph.source, graph.value)
    hubs = [i for i, k in enumerate(graph.node_kind) if k == "hub"]
    return float(np.max(np.abs(inflow[hubs] - outflow[hubs]), initial=0.0))


@pytest.mark.slow
@pytest.mark.parametrize("detail", ["region", "country"])
def test_value_stream_carries_every_tonne_of_the_uk_solution(uk_run, detail):
    """Every scenario and year: tonnes by link kind equal the run's tables (at country detail,
    transport inside a country is left out), every hub balances, and the coloured bands of
    each link add up to it."""
    run = load_run(uk_run)
    t = run.tables
    country = {r: v["country"] for r, v in run.dims["regions"].items()}
    for scenario in run.scenarios:
        for year in run.years:
            def pick(name, scenario=scenario, year=year):
                f = t[name][t[name]["year"] == year]
                return f[f["scenario"] == scenario] if "scenario" in f else f

            g = value_stream(t, run.dims, scenario, year, detail)
            flows, pf = pick("flows"), pick("process_flows")
            crossing = flows["origin"].map(country) != flows["destination"].map(country)
            expected = {
                "purchase": pick("purchases")["bought_t"].sum(),
                "arrival": pick("collection")["collected_t"].sum(),
                "leakage": pick("collection")["leaked_t"].sum(),
                "uncollected": pick("collection")["uncollected_t"].sum(),
                "transport": flows.loc[crossing | (detail == "region"), "delivered_t"].sum(),
                "transport_loss": (flows["flow_t"] - flows["delivered_t"]).sum(),
                "input": pf.loc[pf["direction"] == "in", "t"].sum(),
                "output": pf.loc[pf["direction"] == "out", "t"].sum(),
                "use": pick("demand")["met_t"].sum(),
                "unmet": pick("demand")["shortfall_t"].sum(),
                "disposal": pick("disposal")["disposed_t"].sum(),
                "stock_out": pick("inventory")["drawn_t"].sum(),
                "stock_in": pick("inventory")["added_t"].sum(),
                **{kind: pick("product_options").query("kind == @option")["t"].sum()
                   for option, kind in (("serve", "serve"), ("life_extension", "kept_in_use"),
                                        ("substitution", "substituted"))}}
            totals = g.totals()
            for kind, tonnes in expected.items():
                assert totals.get(kind, 0.0) == pytest.approx(tonnes, abs=1e-6), (scenario, year,
                                                                                  kind)
            assert hub_imbalance(g) < 1e-6
            for mode in ("loop", "country"):
                _, bands = coloured_links(g, mode)
                per_link = np.zeros(len(g.value))
                np.add.at(per_link, [b[4] for b in bands], [b[2] for b in bands])
                assert per_link == pytest.approx(np.array(g.value), rel=1e-9, abs=1e-9)


def test_report_has_every_section_and_the_sankey_data(toy_run):
    html = write_report(toy_run).read_text()
    for key in ("map", "capacity", "sourcing", "outcomes", "pains"):
        assert f'<section id="{key}">' in html
    assert "http://" not in html.split("<script>")[0] and "https://" not in html.split(
        "<script>")[0]
    data = json.loads(html.split('<script type="application/json" id="report-data">')[1]
                      .split("</script>")[0])
    run = load_run(toy_run)
    view = data["sankey"]["views"]["region"]["base"]["2030"]
    g = value_stream(run.tables, run.dims, "base", 2030)
    assert len(view["n"]) == len(g.node_id)
    assert sum(b[2] for b in view["loop"]) == pytest.approx(sum(g.value), abs=1e-4)
    assert set(data["by_scenario"]) >= {"chart-sourcing", "chart-cost-year", "chart-shares"}


HOSTILE = "<script>window.pwned=1</script><img src=x onerror=alert(1)>"


def hostile_run(source: Path, target: Path) -> Path:
    """A copy of a run folder whose instance name and description and a facility id are
    hostile HTML."""
    target.mkdir()
    for file in source.iterdir():
        if file.suffix == ".csv":
            (target / file.name).write_text(file.read_text().replace("uk_magnets", HOSTILE))
    summary = json.loads((source / "summary.json").read_text())
    summary["instance"].update(name=HOSTILE, description=HOSTILE)
    (target / "summary.json").write_text(json.dumps(summary))
    return target


def test_hostile_names_are_escaped(toy_run, tmp_path):
    html = write_report(hostile_run(toy_run, tmp_path / "run")).read_text()
    assert HOSTILE not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html  # shown as text
    # in the embedded data: entity-escaped for Plotly, then & escaped for the script element
    assert "\\u0026lt;script\\u0026gt;window.pwned" in html


def test_reports_are_byte_identical_when_rebuilt(toy_run, tmp_path):
    """Rebuilt in fresh processes with different hash seeds: the same bytes."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"report{seed}.html"
        code = ("import sys; from planner.report.solution import write_report; "
                "write_report(sys.argv[1], out=sys.argv[2])")
        subprocess.run([sys.executable, "-c", code, str(toy_run), str(out)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_report_command_and_excel(toy_run, tmp_path):
    result = run_cli("report", toy_run, "--excel")
    assert result.exit_code == 0, result.output
    assert (toy_run / "report.html").is_file()
    book = openpyxl.load_workbook(toy_run / "results.xlsx", read_only=True)
    run = load_run(toy_run)
    assert book.sheetnames == ["summary", *sorted(run.tables)]
    costs = list(book["costs"].iter_rows(values_only=True))
    assert costs[0] == tuple(run.tables["costs"].columns)
    assert "value_GBP" in costs[0] and len(costs) == len(run.tables["costs"]) + 1


def test_report_of_a_folder_without_a_run_is_a_plain_error(tmp_path):
    result = run_cli("report", tmp_path)
    assert result.exit_code == 1
    assert "not a run folder" in result.output


def test_solve_with_report_writes_it_in_the_run_folder(tmp_path):
    out = tmp_path / "run"
    result = run_cli("solve", ROOT / "instances/toy", "--out", out, "--report")
    assert result.exit_code == 0, result.output
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_pareto_report_has_the_front_and_each_point(tmp_path):
    out = tmp_path / "front"
    result = run_cli("pareto", ROOT / "instances/toy", "--objectives", "cost,emissions",
                     "--points", "3", "--out", out, "--report")
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    points = pd.read_csv(out / "pareto.csv")["point"]
    assert '<div class="chart" id="chart-pareto">' in html
    for p in points:
        assert f'id="pareto-point-{p}"' in html


def test_countries_are_named_in_words(toy_run):
    """ISO names first (Namibia's code NA is not a missing value), then the place of the region
    whose id is the code, then the code; the run's summary carries the names of its countries."""
    regions = {"CN": {"country": "CN", "place": "Chinese mainland"},
               "GB_BHM": {"country": "GB", "place": "Birmingham"},
               "NA": {"country": "NA", "place": "Walvis Bay"},
               "XQ": {"country": "XQ", "place": "Atlantis"}, "XZ_1": {"country": "XZ"}}
    assert country_names(regions) == {"CN": "China", "GB": "United Kingdom", "NA": "Namibia",
                                      "XQ": "Atlantis", "XZ": "XZ"}
    assert load_run(toy_run).dims["countries"]["CN"] == "China"


def test_dependencies_and_year_ranges(toy_run):
    assert year_ranges([2027, 2028, 2029, 2035, 2037, 2038]) == "2027-2029, 2035, 2037-2038"
    run = load_run(toy_run)
    deps = dependencies(run, 0.5)
    conc = run.tables["concentration"]
    assert set(deps["country"]) == {"China"}  # the toy imports only from China
    assert deps["imported_t"].sum() == pytest.approx(conc["imported_t"].sum())
    assert dependencies(run, 1.0 + 1e-9).empty


def test_compare_two_runs(toy_run, tmp_path):
    second = tmp_path / "emissions"
    assert run_cli("solve", ROOT / "instances/toy", "--objective", "emissions",
                   "--out", second).exit_code == 0
    out = tmp_path / "cmp"
    result = run_cli("compare", toy_run, second, "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "compare.html").is_file()
    objectives = pd.read_csv(out / "compare_objectives.csv").set_index("measure")
    a = json.loads((toy_run / "summary.json").read_text())["objectives"]
    b = json.loads((second / "summary.json").read_text())["objectives"]
    delta = objectives[f"emissions - {toy_run.name}"]
    assert delta["cost incl. penalty (GBP, discounted)"] == pytest.approx(b["cost"] - a["cost"])
    assert delta["emissions (t CO2e)"] == pytest.approx(b["emissions_t_co2e"] -
                                                        a["emissions_t_co2e"])
    assert b["emissions_t_co2e"] <= a["emissions_t_co2e"] and b["cost"] >= a["cost"]
    builds = pd.read_csv(out / "compare_builds.csv")
    for column in builds.filter(like="built_t"):
        assert (builds[column] >= 0).all()
    assert run_cli("compare", toy_run, "--out", tmp_path / "x").exit_code == 2


def test_pain_points_rank_constraints_over_scenarios(tmp_path, solve_case):
    """The 100 t/yr plant (10/t) binds in both scenarios; the rest of the 150 t demand is bought
    at 100/t, or 200/t in the dear scenario (probability 0.25). One more t/yr of plant saves
    0.75 * 90 = 67.5 in normal and 0.25 * 190 = 47.5 in dear: 115 in expectation."""
    from planner.report.painpoints import ranked_constraints
    from planner.runs import write_run
    from tests.conftest import MAKE_CHAIN, write_instance

    folder = write_instance(tmp_path / "case", MAKE_CHAIN, {
        "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,100\n",
        "links.csv": "origin,destination,commodity,cost_per_t\nA,H,m,0\n",
        "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                          "plant,make,H,100,10\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,150\n",
        "scenarios.csv": "scenario,probability\nnormal,0.75\ndear,0.25\n",
        "scenario_effects.csv": "scenario,target,attribute,multiply\n"
                                "dear,buy_a,price_per_t,2\n",
    })
    outcome = solve_case(folder)
    write_run(tmp_path / "run", outcome.tables, outcome.summary, force=False)
    ranked = ranked_constraints(load_run(tmp_path / "run"))
    top = ranked.iloc[0]
    assert (top["kind"], top["item"], top["year"]) == ("capacity", "plant", 2025)
    assert top["saving"] == pytest.approx(115.0)
    assert top["message"] == ("one more tonne per year of make capacity at plant (H) in 2025 "
                              "would save GBP 115 in expectation (binding in 2 of 2 scenarios, "
                              "most in normal)")
    html = write_report(tmp_path / "run").read_text()
    assert '<ol class="pains" id="pain-ranking"><li>one more tonne per year of make' in html


def test_report_of_a_run_without_a_solution_is_a_plain_error(toy_run, tmp_path):
    folder = tmp_path / "infeasible"
    folder.mkdir()
    summary = json.loads((toy_run / "summary.json").read_text())
    summary.update(status="infeasible", objectives=None)
    (folder / "summary.json").write_text(json.dumps(summary))
    result = run_cli("report", folder)
    assert result.exit_code == 1
    assert "has no solution (status infeasible)" in result.output
    assert not (folder / "report.html").exists()


def test_report_breakdowns_add_up_to_the_objectives(uk_run):
    """Cost by stage, emissions by region and risk exposure by stage and year, each weighted by
    its scenario's probability, sum to the run's expected objectives."""
    from planner.report import figures

    run = load_run(uk_run)
    objectives = run.summary["objectives"]
    totals = {"cost": 0.0, "emissions": 0.0, "risk": 0.0}
    for scenario, p in run.probability.items():
        cost = figures.cost_figures(run, scenario)["chart-cost-stage"]
        totals["cost"] += p * sum(cost["data"][0]["x"])
        emissions = figures.emission_figures(run, scenario)["chart-emissions-region"]
        totals["emissions"] += p * sum(emissions["data"][0]["x"])
        risk = figures.risk_figure(run, scenario)
        totals["risk"] += p * sum(sum(trace["y"]) for trace in risk["data"])
    assert totals["cost"] == pytest.approx(objectives["cost"], rel=1e-9)
    assert totals["emissions"] == pytest.approx(objectives["emissions_t_co2e"], rel=1e-9)
    assert totals["risk"] == pytest.approx(objectives["risk"], rel=1e-9)


def test_uk_report_lists_what_product_options_met(uk_run):
    """The capacity section's product-options table names the loops the UK plan uses:
    products kept in use and reused magnets serving the segments that accept them."""
    from planner.report.solution import product_options_block

    html = product_options_block(load_run(uk_run))
    assert "<h3>Product options</h3>" in html
    assert "life_extension" in html and "industrial_repair" in html
    assert "reused_industrial_magnet" in html


def test_a_share_plotted_against_its_target_is_the_measure_the_target_constrains(tmp_path):
    """The toy with a 30 % recycled floor from 2030: the chart's policy series is the share
    policy_status.csv gives (the constraint's own measure), next to the target in words; the
    traced share is labelled as such."""
    from planner.report.figures import shares_figure

    out = tmp_path / "run"
    assert run_cli("solve", ROOT / "instances/toy", "--out", out, "--mip-gap", "0",
                   "--policy", "min_recycled_share=0.3@2030").exit_code == 0
    run = load_run(out)
    figure = shares_figure(run, "base")
    series = {t["name"]: t for t in figure["data"]}
    counted = series["recycled share of demand as the target counts it (rare-earth content)"]
    status = pd.read_csv(out / "policy_status.csv")
    assert counted["x"] == status["year"].tolist()
    assert counted["y"] == pytest.approx(status["achieved"].tolist())
    target = series["target: recycled share of demand at least 30 % from 2030, all domestic "
                    "regions"]
    assert target["y"] == [0.3]
    assert "recycled, traced through the loops" in series


def test_capacity_is_drawn_per_stage_and_scenarios_on_one_axis(toy_run):
    """Capacity as small multiples: one panel (its own y-axis) per stage, so tonnes of
    different stages are never stacked together; the scenario chart has a single axis."""
    from planner.report.figures import capacity_figure, scenario_figure, site_names

    run = load_run(toy_run)
    figure = capacity_figure(run, "base")
    cap = run.tables["capacity"]
    stage_of = {p: v["stage"] for p, v in run.dims["processes"].items()}
    stage_of_site = {site_names(run)[f]: stage_of[p] for f, p in zip(cap["facility"],
                                                                       cap["process"])}
    stages = sorted(set(stage_of_site.values()))
    assert figure["layout"]["grid"]["rows"] == len(stages) >= 2
    panels: dict[str, set] = {}
    for trace in figure["data"]:
        if trace["type"] == "bar":
            panels.setdefault(trace["yaxis"], set()).add(stage_of_site[trace["name"]])
    assert len(panels) == len(stages) and all(len(s) == 1 for s in panels.values())
    assert "yaxis2" not in scenario_figure(run)["layout"]
