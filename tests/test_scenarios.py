"""Disruption scenarios: the two-stage extensive form, effects, VSS and EVPI, by hand."""

from __future__ import annotations

import pytest

from planner.data import load_instance
from planner.data.load import read_instance
from planner.solve import SolveOptions
from planner.solve.stochastic import stochastic_metrics
from tests.conftest import MAKE_CHAIN, write_instance

SETTINGS = """\
name: hedge
model: chain.yaml
years: {start: 2025, end: 2025}
discount_rate: 0
shortage_penalty_per_t: 1000
"""
HEDGE = {
    "offers.csv": "offer,region,commodity,price_per_t,max_t\nbuy_a,A,m,100,200\n",
    "links.csv": "origin,destination,commodity\nA,H,m\n",
    "facilities.csv": "facility,process,region,module_t,max_modules,capex_per_module,"
                      "variable_cost_per_t,life_years\nplant,make,H,100,1,15000,20,1\n",
    "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
    "scenarios.csv": "scenario,probability,description\nnormal,0.8,trade as usual\n"
                     "ban,0.2,exports from A stop\n",
    "scenario_effects.csv": "scenario,target,attribute,from_year,to_year,multiply\n"
                            "ban,buy_a,max_t,,,0\n",
}


def test_hedging_pays_only_under_the_stochastic_model(tmp_path, solve_case):
    """Demand 100 t; import at 100/t up to 200 t, or build a 100 t plant (capex 15000, one
    year, rate 0, life 1) and make at 20/t. With probability 0.2 the import stops and unmet
    demand costs 1000/t.
    RP: build, 15000 + 2000 = 17000 in both scenarios (not building: 0.8 * 10000 + 0.2 *
    100000 = 28000). EV (mean limit 160 t, still enough): import, 10000. EEV: no build in the
    real scenarios, 28000; VSS = 28000 - 17000 = 11000.
    WS: normal 10000 (import), ban 17000 (build): 0.8 * 10000 + 0.2 * 17000 = 11400;
    EVPI = 17000 - 11400 = 5600."""
    folder = write_instance(tmp_path, MAKE_CHAIN, HEDGE, settings=SETTINGS)
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(17000)
    assert out.tables["build_plan"]["modules"].tolist() == [1]
    per = {s["scenario"]: s for s in out.summary["scenarios"]}
    assert per["normal"]["cost"] == pytest.approx(17000)
    assert per["ban"]["cost"] == pytest.approx(17000)
    assert out.tables["purchases"].empty  # the plant covers demand in both scenarios

    metrics = stochastic_metrics(out.instance, out.summary["objective_value"],
                                 SolveOptions(mip_gap=0))
    assert metrics.ev == pytest.approx(10000)
    assert metrics.eev == pytest.approx(28000)
    assert metrics.vss == pytest.approx(11000)
    assert metrics.wait_and_see == pytest.approx({"normal": 10000, "ban": 17000})
    assert metrics.ws == pytest.approx(11400)
    assert metrics.evpi == pytest.approx(5600)


def test_without_the_disruption_importing_is_cheaper(tmp_path, solve_case):
    tables = {**HEDGE, "scenarios.csv": "scenario,probability\nnormal,1\n",
              "scenario_effects.csv": "scenario,target,attribute,multiply\n"}
    out = solve_case(write_instance(tmp_path, MAKE_CHAIN, tables, settings=SETTINGS))
    assert out.summary["objectives"]["cost"] == pytest.approx(10000)
    assert out.tables["build_plan"].empty


def test_country_effects_and_per_scenario_tables(tmp_path, solve_case):
    """Scenario `shock` doubles the prices and transport costs of everything from country CN
    (region A) and halves H's demand: 50 t at (200 + 2 * 5) = 10500; `base` pays 100 t at 105.
    Expected cost 0.5 * 10500 + 0.5 * 10500 = 10500."""
    tables = {
        "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,100\n",
        "links.csv": "origin,destination,commodity,cost_per_t\nA,H,m,5\n",
        "facilities.csv": "facility,process,region\nplant,make,A\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
        "scenarios.csv": "scenario,probability\nbase,0.5\nshock,0.5\n",
        "scenario_effects.csv": "scenario,target,attribute,multiply\n"
                                "shock,country:CN,price_per_t,2\nshock,country:CN,cost_per_t,2\n"
                                "shock,H,demand_t,0.5\n",
    }
    out = solve_case(write_instance(tmp_path, MAKE_CHAIN, tables, settings=SETTINGS))
    per = {s["scenario"]: s for s in out.summary["scenarios"]}
    assert per["base"]["cost"] == pytest.approx(10500)
    assert per["shock"]["cost"] == pytest.approx(10500)
    bought = out.tables["purchases"].set_index("scenario")["bought_t"]
    assert bought.to_dict() == pytest.approx({"base": 100, "shock": 50})
    costs = out.tables["costs"]
    assert (costs["probability"] * costs["value_GBP"]).sum() == pytest.approx(10500)
    shock = costs[costs["scenario"] == "shock"].set_index("component")["value_GBP"]
    assert shock.to_dict() == pytest.approx({"purchases": 10000, "transport": 500})


def test_availability_effect_over_a_year_range(tmp_path, solve_case):
    """An existing 100 t plant at H (make at 10/t) is down (availability x 0) in 2026 in
    scenario `outage`: that year 100 t are imported at 100/t."""
    tables = {
        "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,100\n",
        "links.csv": "origin,destination,commodity\nA,H,m\n",
        "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                          "plant,make,H,100,10\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\nH,m,2026,100\n",
        "scenarios.csv": "scenario,probability\ncalm,0.75\noutage,0.25\n",
        "scenario_effects.csv": "scenario,target,attribute,from_year,to_year,multiply\n"
                                "outage,plant,availability,2026,2026,0\n",
    }
    settings = SETTINGS.replace("end: 2025", "end: 2026")
    out = solve_case(write_instance(tmp_path, MAKE_CHAIN, tables, settings=settings))
    per = {s["scenario"]: s["cost"] for s in out.summary["scenarios"]}
    assert per == pytest.approx({"calm": 2000, "outage": 11000})
    assert out.summary["objectives"]["cost"] == pytest.approx(0.75 * 2000 + 0.25 * 11000)


@pytest.mark.parametrize("scenarios, effects, expected", [
    ("scenario,probability\na,0.5\nb,0.3\n", "scenario,target,attribute,multiply\n",
     "scenarios.csv:2:probability: probabilities sum to 0.8"),
    ("scenario,probability\na,1\n", "scenario,target,attribute,multiply\nz,buy_a,max_t,0\n",
     "scenario_effects.csv:2:scenario: unknown scenario 'z'"),
    ("scenario,probability\na,1\n", "scenario,target,attribute,multiply\na,buy_b,max_t,0\n",
     "scenario_effects.csv:2:target: unknown target 'buy_b'"),
    ("scenario,probability\na,1\n", "scenario,target,attribute,multiply\na,buy_a,demand_t,0\n",
     "scenario_effects.csv:2:attribute: 'demand_t' does not apply to offer 'buy_a'"),
    ("scenario,probability\na,1\n", "scenario,target,attribute,multiply\na,country:XX,max_t,0\n",
     "scenario_effects.csv:2:target: no region has country 'XX'"),
    ("scenario,probability\na,1\n",
     "scenario,target,attribute,from_year,multiply\na,buy_a,max_t,2031,0\n",
     "scenario_effects.csv:2:from_year: year 2031 outside the horizon"),
])
def test_bad_scenarios_are_named(tmp_path, scenarios, effects, expected):
    tables = {**HEDGE, "scenarios.csv": scenarios, "scenario_effects.csv": effects}
    folder = write_instance(tmp_path, MAKE_CHAIN, tables, settings=SETTINGS)
    instance, problems = read_instance(folder)
    assert instance is None
    assert any(str(p).startswith(f"{folder}/{expected}") for p in problems), problems


def test_instance_without_scenarios_has_base():
    from tests.conftest import ROOT

    instance = load_instance(ROOT / "instances/toy")
    assert instance.scenarios[["scenario", "probability"]].values.tolist() == [["base", 1.0]]


def test_stochastic_metrics_through_the_cli(tmp_path):
    import json

    from click.testing import CliRunner

    from planner.cli import main

    folder = write_instance(tmp_path / "case", MAKE_CHAIN, HEDGE, settings=SETTINGS)
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out), "--mip-gap", "0",
                                       "--stochastic-metrics"])
    assert result.exit_code == 0, result.output
    assert "(VSS): 11,000" in result.output and "(EVPI): 5,600" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stochastic"]["vss"] == pytest.approx(11000)
    assert [s["scenario"] for s in summary["scenarios"]] == ["normal", "ban"]


def test_scaling_an_unlimited_limit_is_a_warning(tmp_path):
    tables = {**HEDGE, "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,100\n"}
    folder = write_instance(tmp_path, MAKE_CHAIN, tables, settings=SETTINGS)
    instance, problems = read_instance(folder)
    assert instance is not None
    assert [str(p) for p in problems] == [
        f"{folder}/scenario_effects.csv:2:attribute: scales max_t of unlimited items only "
        "(buy_a): it has no effect (expected a finite max_t on the offers or links it should "
        "cut) [warning]"]


def test_a_zero_probability_scenario_is_refused(tmp_path):
    tables = {**HEDGE, "scenarios.csv": "scenario,probability\nnormal,1\nban,0\n"}
    folder = write_instance(tmp_path, MAKE_CHAIN, tables, settings=SETTINGS)
    instance, problems = read_instance(folder)
    assert instance is None
    assert str(problems[0]).startswith(f"{folder}/scenarios.csv:3:probability: scenario 'ban' "
                                       "has probability 0")


def test_an_effect_never_lifts_availability_above_one(tmp_path, solve_case):
    """An existing 100 t/yr plant at availability 0.8, demand 150 t, no other supply,
    shortfall 1000/t. An effect multiplying availability by 1.5 gives min(1, 1.2) = 1: the
    plant makes 100 t (not 120 t), 50 t are unmet, cost 50 x 1000 = 50000."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        "facilities.csv": "facility,process,region,existing_t,availability\n"
                          "plant,make,H,100,0.8\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,150\n",
        "scenarios.csv": "scenario,probability\nboost,1\n",
        "scenario_effects.csv": "scenario,target,attribute,multiply\n"
                                "boost,plant,availability,1.5\n",
    }, settings=SETTINGS)
    out = solve_case(folder)
    assert out.tables["activity"]["activity_t"].tolist() == pytest.approx([100])
    assert out.tables["shortfall"]["shortfall_t"].tolist() == pytest.approx([50])
    assert out.summary["objectives"]["cost"] == pytest.approx(50000)
