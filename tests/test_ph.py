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
