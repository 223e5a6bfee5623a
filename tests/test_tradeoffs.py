"""Several objectives: lexicographic, normalised weights, CVaR and concentration optimised, and
the AUGMECON2 Pareto front checked against brute-force enumeration of the build decisions."""

from __future__ import annotations

import itertools
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.data import load_instance
from planner.data.instance import parse_objective
from planner.formulation.build import build_model
from planner.solve import SolveOptions, solve
from tests.conftest import MAKE_CHAIN, write_instance

SETTINGS = """\
name: tradeoff
model: chain.yaml
years: {start: 2025, end: 2025}
shortage_penalty_per_t: 100000
"""
# import at 100/t from CN (risk 0.6) or build: `small` 30 t modules (charge 3000, 20/t, at
# most 2) and `big` one 50 t module (6000, 10/t); domestic use is both cheaper to run and
# riskless, so each build decision fixes the operations.
FRONT = {
    "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,100\n",
    "links.csv": "origin,destination,commodity\nA,H,m\n",
    "facilities.csv": "facility,process,region,module_t,max_modules,capex_per_module,"
                      "variable_cost_per_t,life_years\nsmall,make,H,30,2,3000,20,1\n"
                      "big,make,H,50,1,6000,10,1\n",
    "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
}


def brute_force_front(folder):
    """Every build decision, operations optimised for cost: the non-dominated (cost, risk)."""
    points = []
    for small, big in itertools.product(range(3), range(2)):
        pm = build_model(load_instance(folder))
        for var, modules in zip(pm.variables["build"], (small, big)):
            var.fix(modules)
        sol = solve(pm, SolveOptions(mip_gap=0))
        cost = sum(float(c @ sol.values[f]) for f, c in pm.coefficients["cost"].items())
        risk = sum(float(c @ sol.values[f]) for f, c in pm.coefficients["risk"].items())
        points.append((round(cost, 6), round(risk, 6)))
    return sorted(p for p in set(points)
                  if not any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in points))


def test_pareto_front_equals_brute_force(tmp_path):
    folder = write_instance(tmp_path / "case", MAKE_CHAIN, FRONT, settings=SETTINGS)
    expected = brute_force_front(folder)
    assert expected == [(10000, 60), (10600, 42), (11200, 24), (12100, 12), (13500, 0)]
    out = tmp_path / "front"
    result = CliRunner().invoke(main, ["pareto", str(folder), "--objectives", "cost,risk",
                                       "--points", "7", "--out", str(out), "--mip-gap", "0"])
    assert result.exit_code == 0, result.output
    front = pd.read_csv(out / "pareto.csv")
    assert sorted(zip(front["cost"].round(6), front["risk"].round(6))) == expected
    assert sorted(p.name for p in out.iterdir()) == [
        ".planner-run", "command.json", "instance", "pareto.csv", "payoff.csv", "point_01",
        "point_02", "point_03", "point_04", "point_05", "summary.json"]
    builds = pd.read_csv(out / "point_03" / "builds.csv")
    assert builds.set_index("facility")["modules"].to_dict() == {"small": 2}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["efficient_points"] == 5
    # 4 lexicographic solves for the payoff table, then one per grid point that is not skipped
    assert len(summary["solves"]) >= 4 + 5 and all(s["status"] == "optimal" for s in summary[
        "solves"][:4])
    assert summary["timings"]["solve_s"] == pytest.approx(
        sum(s["solve_s"] for s in summary["solves"]), abs=1e-3)
    payoff = pd.read_csv(out / "payoff.csv").set_index("optimised_first")
    assert payoff.loc["cost", "risk"] == pytest.approx(60)
    assert payoff.loc["risk", "cost"] == pytest.approx(13500)


def test_a_front_traced_by_two_workers_is_the_same_front(tmp_path):
    """The payoff table's two rows solved side by side, then the grid cut in two blocks, each
    traced by its own process: the same payoff table and five efficient points as the brute
    force, points numbered in grid order, and every solve recorded (4 for the payoff table
    here, the grid's in the workers)."""
    folder = write_instance(tmp_path / "case", MAKE_CHAIN, FRONT, settings=SETTINGS)
    out = tmp_path / "front"
    result = CliRunner().invoke(main, ["pareto", str(folder), "--objectives", "cost,risk",
                                       "--points", "7", "--out", str(out), "--mip-gap", "0",
                                       "--workers", "2"])
    assert result.exit_code == 0, result.output
    front = pd.read_csv(out / "pareto.csv")
    assert list(zip(front["cost"].round(6), front["risk"].round(6))) == [
        (10000, 60), (10600, 42), (11200, 24), (12100, 12), (13500, 0)]
    assert pd.read_csv(out / "point_03" / "builds.csv").set_index("facility")[
        "modules"].to_dict() == {"small": 2}
    payoff = pd.read_csv(out / "payoff.csv").set_index("optimised_first")
    assert payoff.loc["cost"].to_dict() == pytest.approx({"cost": 10000, "risk": 60})
    assert payoff.loc["risk"].to_dict() == pytest.approx({"cost": 13500, "risk": 0})
    summary = json.loads((out / "summary.json").read_text())
    assert summary["efficient_points"] == 5 and len(summary["solves"]) >= 4 + 5
    assert json.loads((out / "command.json").read_text())["options"]["workers"] == 2


def test_lexicographic_and_normalised_weights(tmp_path, solve_case):
    """risk first: no imports, then the cheapest way to 0 risk, 13500. Normalised equal
    weights: (cost - 10000) / 3500 + risk / 60 is least at 2 small modules (0.743)."""
    folder = write_instance(tmp_path, MAKE_CHAIN, FRONT, settings=SETTINGS)
    lex = solve_case(folder, objective=parse_objective("risk>cost")[0])
    assert lex.summary["objectives"]["risk"] == pytest.approx(0)
    assert lex.summary["objectives"]["cost"] == pytest.approx(13500)
    assert lex.summary["lexicographic"] == pytest.approx({"risk": 0, "cost": 13500})
    spec = parse_objective("cost=1,risk=1")[0]
    from dataclasses import replace
    normal = solve_case(folder, objective=replace(spec, normalise=True))
    assert normal.summary["objectives"]["cost"] == pytest.approx(11200)
    assert normal.summary["payoff_table"]["cost"] == pytest.approx({"cost": 10000, "risk": 60})
    assert normal.tables["build_plan"].set_index("facility")["modules"].to_dict() == {"small": 2}


SCENARIO_CASE = {
    "regions.csv": "region,country,domestic,risk,grid_kgco2e_per_kwh\nH,GB,true,0.2,0\n"
                   "A,CN,false,0.6,0\nB,US,false,0.3,0\n",
    "offers.csv": "offer,region,commodity,price_per_t,max_t\nbuy_a,A,m,100,100\n"
                  "buy_b,B,m,150,50\n",
    "links.csv": "origin,destination,commodity\nA,H,m\nB,H,m\n",
    "facilities.csv": "facility,process,region,module_t,max_modules,capex_per_module,"
                      "variable_cost_per_t,life_years\nplant,make,H,50,1,20000,10,1\n",
    "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
    "scenarios.csv": "scenario,probability\nbase,0.5\ncut,0.3\nban,0.2\n",
    "scenario_effects.csv": "scenario,target,attribute,multiply\ncut,buy_a,max_t,0.5\n"
                            "ban,country:CN,max_t,0\n",
}
RISKY_SETTINGS = SETTINGS.replace("100000", "1000") + "cvar_alpha: 0.75\n"


def test_cvar_of_shortfall_optimised(tmp_path, solve_case):
    """Cost first: no plant; expected cost 0.5 * 10000 + 0.3 * 12500 + 0.2 * (7500 + 50000)
    = 20250 and 50 t short in `ban`: CVaR_0.75 = 40 t. CVaR first: the plant (20000) leaves no
    shortfall: 20000 + 0.5 * 5500 + 0.3 * 5500 + 0.2 * 8000 = 26000."""
    folder = write_instance(tmp_path, MAKE_CHAIN, SCENARIO_CASE, settings=RISKY_SETTINGS)
    cheap = solve_case(folder)
    assert cheap.summary["objectives"]["cost"] == pytest.approx(20250)
    assert cheap.summary["risk_measures"]["cvar_shortfall_t"] == pytest.approx(40)
    safe = solve_case(folder, objective=parse_objective("cvar_shortfall>cost")[0])
    assert safe.summary["risk_measures"]["cvar_shortfall_t"] == pytest.approx(0)
    assert safe.summary["objectives"]["cost"] == pytest.approx(26000)
    assert safe.tables["build_plan"]["modules"].tolist() == [1]


def test_concentration_optimised(tmp_path, solve_case):
    """Least largest single-country tonnage: 50 t (in `ban` only B can ship, 50 t), reached
    without the plant by splitting 50/50 between CN and US in the other scenarios: expected
    cost 0.5 * 12500 + 0.3 * 12500 + 0.2 * 57500 = 21500."""
    folder = write_instance(tmp_path, MAKE_CHAIN, SCENARIO_CASE, settings=RISKY_SETTINGS)
    out = solve_case(folder, objective=parse_objective("concentration>cost")[0])
    # the second step may use the lexicographic tolerance (1e-6 relative) on the first
    assert out.summary["risk_measures"]["max_country_t"] == pytest.approx(50, rel=1e-5)
    assert out.summary["objectives"]["cost"] == pytest.approx(21500)
    assert out.tables["build_plan"].empty


@pytest.mark.parametrize("text, message", [
    ("cheapest", "unknown objective 'cheapest'"),
    ("cost>cost", "invalid lexicographic order 'cost>cost'"),
    ("cost=-1", "negative weight for cost"),
])
def test_bad_objective_option(tmp_path, text, message):
    folder = write_instance(tmp_path / "case", MAKE_CHAIN, FRONT, settings=SETTINGS)
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(tmp_path / "run"),
                                       "--objective", text])
    assert result.exit_code == 2 and message in result.output


def test_limits_bound_a_measure_and_explain_when_they_cannot_hold(tmp_path):
    """cvar_shortfall <= 0 forces the plant (cost 26000); <= -1 cannot hold, and the message
    gives the least CVaR possible, 0."""
    folder = write_instance(tmp_path / "case", MAKE_CHAIN, SCENARIO_CASE, settings=RISKY_SETTINGS)
    runner = CliRunner()
    result = runner.invoke(main, ["solve", str(folder), "--out", str(tmp_path / "a"),
                                  "--mip-gap", "0", "--limit", "cvar_shortfall=0"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["objectives"]["cost"] == pytest.approx(26000)
    result = runner.invoke(main, ["solve", str(folder), "--out", str(tmp_path / "b"),
                                  "--limit", "cvar_shortfall=-1"])
    assert result.exit_code == 5
    assert "limit cvar_shortfall <= -1 cannot be met: the least cvar_shortfall possible is 0" \
        in result.output
