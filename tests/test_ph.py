"""Progressive hedging (mpi-sppy) agrees with the extensive form on a hand-solved case."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.data import load_instance
from planner.solve.ph import PHOptions, progressive_hedging
from planner.solve.stochastic import single_scenario as one_scenario
from tests.conftest import MAKE_CHAIN, write_instance
from tests.test_scenarios import HEDGE, SETTINGS

pytest.importorskip("mpisppy")


def test_one_scenario_keeps_its_effects(tmp_path):
    instance = load_instance(write_instance(tmp_path, MAKE_CHAIN, HEDGE, settings=SETTINGS))
    ban = one_scenario(instance, "ban")
    assert ban.scenarios["probability"].tolist() == [1.0]
    assert ban.effects["scenario"].tolist() == ["ban"]
    assert one_scenario(instance, "normal").effects.empty


def test_progressive_hedging_finds_the_hedge(tmp_path):
    """The hedging case of test_scenarios: alone, `normal` would import (10000) and `ban`
    build (17000); PH must agree on building, the extensive form's 17000 (the wait-and-see
    bound is 11400)."""
    instance = load_instance(write_instance(tmp_path, MAKE_CHAIN, HEDGE, settings=SETTINGS))
    result = progressive_hedging(instance, ph=PHOptions(rho=1.0, iterations=50))
    assert result.converged and result.rank == 0
    plan = result.plan[["facility", "year", "modules"]].drop_duplicates()
    assert plan.values.tolist() == [["plant", 2025, 1]]
    assert result.trivial_bound == pytest.approx(11400)
    assert result.ph_objective == pytest.approx(17000)


def test_solve_decompose_ph_equals_the_extensive_form(tmp_path):
    folder = write_instance(tmp_path / "case", MAKE_CHAIN, HEDGE, settings=SETTINGS)
    runs = {}
    for name, extra in (("ef", []), ("ph", ["--decompose", "ph"])):
        out = tmp_path / name
        result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out),
                                           "--mip-gap", "0", *extra])
        assert result.exit_code == 0, result.output
        runs[name] = json.loads((out / "summary.json").read_text())
    assert runs["ph"]["objectives"]["cost"] == pytest.approx(runs["ef"]["objectives"]["cost"])
    assert runs["ph"]["decomposition"]["converged"] is True
    assert runs["ph"]["decisions"] == ["evaluate the build plan of progressive hedging"]
    bad = CliRunner().invoke(main, ["solve", str(folder), "--out", str(tmp_path / "x"),
                                    "--decompose", "ph", "--objective", "risk"])
    assert bad.exit_code == 2


def test_progressive_hedging_on_a_tree_waits_to_build(tmp_path):
    """The three-period tree of test_tree: PH (multi-stage: ROOT = 2025, then base and cut
    apart) builds in 2026 only in `cut`, and its evaluated plan costs the extensive form's
    15,400."""
    from tests.test_tree import case

    instance = load_instance(case(tmp_path / "case"))
    result = progressive_hedging(instance, ph=PHOptions(rho=1.0, iterations=100))
    assert result.converged and result.rank == 0
    assert result.plan.values.tolist() == [["plant", 2026, "cut", 1]]
    runner = CliRunner()
    out = tmp_path / "ph"
    done = runner.invoke(main, ["solve", str(tmp_path / "case"), "--out", str(out),
                                "--decompose", "ph", "--mip-gap", "0"])
    assert done.exit_code == 0, done.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objectives"]["cost"] == pytest.approx(15_400)


def test_progressive_hedging_on_a_tree_whose_branches_hold_different_decisions(tmp_path):
    """Three levels (base; cut from 2026; deep from cut in 2027, demand x1.5) where the plant
    cannot run in 2026 in cut and deep: their 2026 node holds fewer decisions than base's, as
    LCM's plants in the UK tree's escalation path, and the decisions of an idle old plant
    change position. PH mirrors each stage's decisions in one block per model (mpi-sppy wants
    the same names and lengths) and finds the extensive form's plan: build in 2026 in cut and
    deep.
      base 50 x 100 + 100 x 100 = 15,000;  cut 5,000 + 9,000 + 100 x 20 = 16,000;
      deep 16,000 + 50 t unmet x 100,000 = 5,016,000;
      expected 0.5 x 15,000 + 0.3 x 16,000 + 0.2 x 5,016,000 = 1,015,500."""
    from tests.test_tree import CASE, case

    # an idle old plant after `plant` in the model's order: its 2025 decision is at ROOT, and
    # `plant`'s missing 2026 row in cut and deep shifts its position there
    facilities = CASE["facilities.csv"] + "zz_old,make,H,0,0,0,1000,1,1,10,2025,2026\n"
    facilities = facilities.replace("lead_years\n", "lead_years,existing_t,existing_from,"
                                    "existing_until\n").replace("1,1\nzz", "1,1,,,\nzz")
    folder = case(tmp_path / "case", **{
        "facilities.csv": facilities,
        "scenarios.csv": "scenario,probability,parent,known_from\nbase,0.5,,\n"
                         "cut,0.3,base,2026\ndeep,0.2,cut,2027\n",
        "scenario_effects.csv": "scenario,target,attribute,from_year,to_year,multiply\n"
                                "cut,buy_a,max_t,2027,2027,0\ndeep,buy_a,max_t,2027,2027,0\n"
                                "deep,H,demand_t,2027,2027,1.5\n"
                                "cut,plant,availability,2026,2026,0\n"
                                "deep,plant,availability,2026,2026,0\n"})
    result = progressive_hedging(load_instance(folder), ph=PHOptions(rho=1.0, iterations=100))
    assert result.converged
    assert result.plan.values.tolist() == [["plant", 2026, "cut", 1], ["plant", 2026, "deep", 1]]
    out = tmp_path / "ph"
    done = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out), "--decompose",
                                     "ph", "--mip-gap", "0"])
    assert done.exit_code == 0, done.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objectives"]["cost"] == pytest.approx(1_015_500)
