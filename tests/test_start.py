"""A build plan offered as a MIP start (planner.formulation.start, `--start`): the columns and
values HiGHS is offered, and an optimum that does not depend on them.

The case is test_tree.py's: build rows (plant, 2025) and (plant, 2026) in scenarios base and
cut; on the tree the 2025 build is one decision for both, the 2026 build one per scenario.
The tree's optimum builds in 2026 in `cut` only (15,400); the shared plan builds in 2026 for
both (16,000), a feasible but worse start.
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
from planner.formulation.start import plan_start
from tests.test_tree import case

SHARED_PLAN = "facility,year,modules\nplant,2026,1\n"


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


def test_solve_from_a_worse_plan_finds_the_same_optimum(tmp_path, monkeypatch):
    """--start offers the shared plan's build and module columns (the 2025 decision, shared
    by both scenarios, is one column); the optimum found is still the tree's."""
    folder = case(tmp_path)
    plan = tmp_path / "plan.csv"
    plan.write_text(SHARED_PLAN)
    offered = []
    original = highspy.Highs.setSolution

    def spy(self, *args):
        if len(args) == 3:
            offered.append(dict(zip(np.asarray(args[1]).tolist(), np.asarray(args[2]).tolist())))
        return original(self, *args)

    monkeypatch.setattr(highspy.Highs, "setSolution", spy)
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
    assert "does not exist: expected a run folder, a plan CSV or `none`" in result.output
    assert not (tmp_path / "x").exists()
