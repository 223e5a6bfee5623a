"""Decisions imposed on the model (fix, force, forbid, evaluate a plan) and what-if runs."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.formulation.decisions import Decisions, FixBuild
from planner.solve import SolveOptions
from planner.workflow import solve_instance
from tests.conftest import MAKE_CHAIN, ROOT, write_instance
from tests.test_shadow_prices import CANDIDATE

TOY = ROOT / "instances/toy"
# CANDIDATE: a plant at H, 100 t modules at 5000 each (rate 0, life 1: charged once), making
# at 20/t; demand 150; imports at 100/t. One module: 5000 + 100 * 20 + 50 * 100 = 12000
# (optimal); two: 10000 + 150 * 20 = 13000; none: 150 * 100 = 15000.


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("decisions, cost, modules", [
    (Decisions(), 12000, 1),
    (Decisions(fix_build=(FixBuild("plant", 2),)), 13000, 2),
    (Decisions(fix_build=(FixBuild("plant", 2, 2025),)), 13000, 2),
    (Decisions(forbid_build=("plant",)), 15000, 0),
    # no imports (A is in CN): two modules make all 150 t, 10000 + 150 * 20
    (Decisions(forbid_country=("CN",)), 13000, 2),
])
def test_decisions_on_a_hand_solved_case(tmp_path, solve_case, decisions, cost, modules):
    folder = write_instance(tmp_path, MAKE_CHAIN, CANDIDATE)
    outcome = solve_instance(folder, SolveOptions(mip_gap=0.0), decisions=decisions)
    assert outcome.summary["objectives"]["cost"] == pytest.approx(cost)
    assert int(outcome.tables["build_plan"]["modules"].sum()) == modules
    assert outcome.summary["decisions"] == decisions.describe()


def test_forbidding_a_country_stops_its_supply(tmp_path):
    out = tmp_path / "run"
    result = run("solve", TOY, "--out", out, "--forbid-country", "CN", "--mip-gap", "0")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "purchases.csv").empty
    assert pd.read_csv(out / "flows.csv").empty
    assert json.loads((out / "summary.json").read_text())["decisions"] == ["forbid country CN"]


def test_evaluating_the_baselines_own_plan_reproduces_it(tmp_path):
    base, again = tmp_path / "base", tmp_path / "again"
    assert run("solve", TOY, "--out", base, "--mip-gap", "0").exit_code == 0
    result = run("solve", TOY, "--out", again, "--evaluate", base)
    assert result.exit_code == 0, result.output
    a, b = (json.loads((f / "summary.json").read_text()) for f in (base, again))
    assert b["objectives"]["cost"] == pytest.approx(a["objectives"]["cost"], rel=1e-12)
    assert (base / "builds.csv").read_text() == (again / "builds.csv").read_text()
    assert (again / "plan.csv").is_file() and b["mip_gap"] == 0.0
    # the plan against dearer magnets: same builds, operations re-optimised
    dear = tmp_path / "dear"
    assert run("solve", TOY, "--out", dear, "--evaluate", base, "--set",
               "offers.cn_magnets.price_per_t*=1.2").exit_code == 0
    assert (dear / "builds.csv").read_text() == (base / "builds.csv").read_text()
    assert run("rerun", dear, "--out", tmp_path / "dear2").exit_code == 0
    assert (tmp_path / "dear2" / "costs.csv").read_text() == (dear / "costs.csv").read_text()


def test_bad_decisions_are_all_named(tmp_path):
    result = run("solve", TOY, "--out", tmp_path / "run", "--fix-build", "uk_hpms=9",
                 "--fix-build", "uk_hpms=1@2040", "--forbid-build", "nope",
                 "--forbid-country", "XX", "--forbid-country", "GB")
    assert result.exit_code == 3
    assert result.output.splitlines()[:5] == [
        "--fix-build uk_hpms=9: 9 modules (expected 0 to max_modules 2)",
        "--fix-build uk_hpms=1@2040: uk_hpms cannot be built in 2040 (expected a build year "
        "from 2026 to 2029)",
        "--forbid-build nope: 'nope' has no candidate modules to build (expected a facility "
        "with module_t and max_modules: one of uk_magnets, uk_hpms)",
        "--forbid-country XX: no region is in country 'XX' (expected one of CN, GB)",
        "--forbid-country GB: GB is the planning country (its regions are domestic) (expected "
        "a country to stop sourcing from)"]
    assert not (tmp_path / "run").exists()
    assert run("solve", TOY, "--out", tmp_path / "r", "--fix-build", "x").exit_code == 3


def test_whatif_writes_deltas_against_the_baseline(tmp_path):
    base, changed = tmp_path / "base", tmp_path / "dear"
    assert run("solve", TOY, "--out", base, "--mip-gap", "0").exit_code == 0
    result = run("whatif", TOY, "--baseline", base, "--out", changed, "--set",
                 "offers.cn_magnets.price_per_t*=1.2")
    assert result.exit_code == 0, result.output
    a, b = (json.loads((f / "summary.json").read_text()) for f in (base, changed))
    deltas = pd.read_csv(changed / "whatif_objectives.csv").set_index("measure")
    assert deltas.loc["cost incl. penalty (GBP, discounted)", "what-if - baseline"] == \
        pytest.approx(b["objectives"]["cost"] - a["objectives"]["cost"])
    assert deltas.loc["system cost (GBP, discounted)", "what-if - baseline"] == \
        pytest.approx(b["system_cost"] - a["system_cost"])
    assert b["objectives"]["cost"] > a["objectives"]["cost"]
    assert (changed / "whatif.html").is_file()
    recorded = json.loads((changed / "command.json").read_text())["request"]
    assert recorded["solver"]["mip_gap"] == 0  # taken from the baseline's command
    assert b["instance"]["changes"] == ["offers.cn_magnets.price_per_t*=1.2"]
