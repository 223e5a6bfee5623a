"""A build plan offered as a MIP start (planner.formulation.start, `--start`): the columns and
values HiGHS is offered, and an optimum that does not depend on them.

The case is test_tree.py's: build rows (plant, 2025) and (plant, 2026) in scenarios base and
cut; on the tree the 2025 build is one decision for both, the 2026 build one per scenario.
The tree's optimum builds in 2026 in `cut` only (15,400); the shared plan builds in 2026 for
both (16,000), a feasible but worse start.

`--start ev` (the default of solve): with China's offer capped at 150 t a year, the
expected-value problem sees 0.6 x 150 = 90 t in 2027 (cut: 0 t), short of the 100 t demand, so
it builds the plant in 2026: 5,000 + 9,000 + 2,000 = 16,000, the shared plan again. The tree
(base imports its 100 t, cut builds) is unchanged: 15,400.
"""

from __future__ import annotations

import json

import highspy
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.data.load import load_instance
from planner.formulation.build import build_model
from planner.formulation.decisions import Decisions
from planner.formulation.start import plan_start
from planner.solve import SolveOptions
from planner.workflow import solve_instance
from tests.test_tree import CASE, case

SHARED_PLAN = "facility,year,modules\nplant,2026,1\n"
CAPPED = {"offers.csv": CASE["offers.csv"].replace(",1000", ",150")}


def test_a_plan_sets_builds_and_module_counts_per_build_row(tmp_path):
    pm = build_model(load_instance(case(tmp_path)))
    rows = list(pm.frames["build"][["year", "scenario"]].itertuples(index=False, name=None))
    assert rows == [(2025, "base"), (2025, "cut"), (2026, "base"), (2026, "cut")]
    per_scenario = pd.DataFrame({"facility": ["plant"], "year": [2025], "modules": [1],
                                 "scenario": ["cut"]})
    per_scenario.attrs["scenarios"] = ["base", "cut"]
    start = plan_start(pm, per_scenario)
    assert start["build"].tolist() == [0, 1, 0, 0]
    assert start["modules"].tolist() == [0, 1, 0, 1]  # built in 2025, counted from then on
    everywhere = plan_start(pm, pd.DataFrame({"facility": ["plant", "gone"],
                                              "year": [2026, 2026], "modules": [1, 3]}))
    assert everywhere["build"].tolist() == [0, 0, 1, 1]  # a facility not here is dropped
    # a plan of another scenario set: the most modules any of its scenarios decides
    other = pd.DataFrame({"facility": ["plant", "plant"], "year": [2026, 2026],
                          "modules": [1, 0], "scenario": ["x", "y"]})
    assert plan_start(pm, other)["build"].tolist() == [0, 0, 1, 1]


@pytest.fixture
def offered(monkeypatch) -> list[dict]:
    """The MIP starts offered to HiGHS: {column: value} per setSolution call."""
    calls = []
    original = highspy.Highs.setSolution

    def spy(self, *args):
        if len(args) == 3:
            calls.append(dict(zip(np.asarray(args[1]).tolist(), np.asarray(args[2]).tolist())))
        return original(self, *args)

    monkeypatch.setattr(highspy.Highs, "setSolution", spy)
    return calls


def test_the_expected_value_plan_starts_the_tree(tmp_path, offered):
    out = solve_instance(case(tmp_path, **CAPPED), SolveOptions(mip_gap=0.0), start="ev")
    start = out.summary["start"]
    assert (start["kind"], start["status"], start["builds"]) == ("expected_value", "optimal", 1)
    assert start["objective"] == pytest.approx(16_000)
    assert out.summary["objectives"]["cost"] == pytest.approx(15_400)
    p = out.tables["build_plan"]
    assert list(zip(p["scenarios"], p["year"], p["modules"])) == [("cut", 2026, 1)]
    # the expected-value problem's own solve offers nothing; the tree is offered its plan:
    # the 2026 build in both scenarios (2 columns) and the module counts (3 columns)
    assert len(offered) == 1
    assert sorted(offered[0].values()) == [0, 0, 1, 1, 1, 1]
    assert out.summary["timings"]["start_s"] > 0


def test_no_expected_value_start_for_one_scenario_or_an_evaluated_plan(tmp_path, offered):
    one = case(tmp_path / "one", **{"scenarios.csv": "scenario,probability\nbase,1\n",
                                    "scenario_effects.csv": CASE["scenario_effects.csv"]
                                    .splitlines()[0] + "\n"})
    assert "start" not in solve_instance(one, SolveOptions(mip_gap=0.0), start="ev").summary
    plan = pd.DataFrame({"facility": ["plant"], "year": [2026], "modules": [1]})
    held = solve_instance(case(tmp_path / "tree"), SolveOptions(mip_gap=0.0), start="ev",
                          decisions=Decisions(plan=plan, plan_source="plan.csv"))
    assert "start" not in held.summary
    assert held.summary["objectives"]["cost"] == pytest.approx(16_000)
    assert offered == []


def test_an_expected_value_problem_without_a_plan_leaves_the_search_cold(tmp_path, offered):
    """Without the plant, the cap leaves 10 t unmet in the expected-value problem and 100 t in
    cut: a limit of no shortfall makes both infeasible; the start says so, and the tree's
    infeasibility is explained as without it."""
    folder = case(tmp_path, **CAPPED)
    out = solve_instance(folder, SolveOptions(mip_gap=0.0), start="ev", limits={"shortfall": 0},
                         decisions=Decisions(forbid_build=("plant",)))
    assert out.summary["start"]["status"] == "infeasible"
    assert out.summary["start"]["objective"] is None
    assert out.solution.status.value == "infeasible"
    assert offered == []


def test_solve_from_a_worse_plan_finds_the_same_optimum(tmp_path, offered):
    """--start offers the shared plan's build and module columns (the 2025 decision, shared
    by both scenarios, is one column); the optimum found is still the tree's."""
    folder = case(tmp_path)
    plan = tmp_path / "plan.csv"
    plan.write_text(SHARED_PLAN)
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out), "--mip-gap",
                                       "0", "--start", str(plan)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objectives"]["cost"] == pytest.approx(15_400)
    builds = pd.read_csv(out / "builds.csv")
    assert list(zip(builds["scenario"], builds["year"], builds["modules"])) == [("cut", 2026, 1)]
    assert len(offered) == 1
    assert sorted(offered[0].values()) == [0, 0, 1, 1, 1, 1]  # 3 builds and 3 counts
    record = json.loads((out / "command.json").read_text())["request"]
    assert record["start"] == str(plan)


def test_solve_starts_from_the_expected_value_plan_unless_told(tmp_path):
    folder = case(tmp_path, **CAPPED)
    runner = CliRunner()
    for extra, recorded in (([], "ev"), (["--start", "ev"], "ev"), (["--start", "none"], None)):
        out = tmp_path / f"run{len(extra)}{recorded}"
        result = runner.invoke(main, ["solve", str(folder), "--out", str(out), "--mip-gap", "0",
                                      *extra])
        assert result.exit_code == 0, result.output
        assert json.loads((out / "command.json").read_text())["request"]["start"] == recorded
        summary = json.loads((out / "summary.json").read_text())
        assert summary["objectives"]["cost"] == pytest.approx(15_400)
        assert ("start" in summary) == (recorded == "ev")
        assert ("start: the expected-value plan (the scenarios' mean as one path, GBP 16,000, "
                "1 builds" in result.output) == (recorded == "ev")


def test_whatif_starts_from_its_baseline_unless_told(tmp_path):
    folder = case(tmp_path)
    runner = CliRunner()
    base = tmp_path / "base"
    assert runner.invoke(main, ["solve", str(folder), "--out", str(base), "--mip-gap",
                                "0"]).exit_code == 0
    for extra, start in (([], str(base)), (["--start", "none"], None)):
        out = tmp_path / f"whatif{len(extra)}"
        result = runner.invoke(main, ["whatif", str(folder), "--baseline", str(base), "--out",
                                      str(out), "--set", "offers.buy_a.price_per_t*=1.1",
                                      *extra])
        assert result.exit_code == 0, result.output
        assert json.loads((out / "command.json").read_text())["request"]["start"] == start
        # imports 10 % dearer: base buys 150 t (+1,500), cut 50 t (+500), the plan stays
        assert json.loads((out / "summary.json").read_text())["objectives"]["cost"] == \
            pytest.approx(15_400 + 0.6 * 1_500 + 0.4 * 500)


def test_a_start_that_does_not_exist_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["solve", str(case(tmp_path)), "--out",
                                       str(tmp_path / "x"), "--start", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist: expected a run folder, a plan CSV, `ev` or `none`" in result.output
    assert not (tmp_path / "x").exists()
