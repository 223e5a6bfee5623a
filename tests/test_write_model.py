"""planner solve --write-model: the model as HiGHS solved it, in MPS or LP, re-readable by HiGHS
with the planner's optimum (objective constant included); bad targets refused before solving."""

from __future__ import annotations

import json

import highspy
import pytest
from click.testing import CliRunner

from planner.cli import main
from tests.conftest import ROOT

TOY = ROOT / "instances/toy"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("suffix", [".lp", ".mps"])
def test_written_model_solves_to_the_planners_objective(tmp_path, suffix):
    model, out = tmp_path / f"toy{suffix}", tmp_path / "run"
    result = run("solve", TOY, "--out", out, "--mip-gap", "0", "--write-model", model)
    assert result.exit_code == 0, result.output
    assert f"model written to {model}" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([model.name, "run"])
    summary = json.loads((out / "summary.json").read_text())

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    assert highs.readModel(str(model)) == highspy.HighsStatus.kOk
    lp = highs.getLp()
    assert (lp.num_col_, lp.num_row_) == (summary["model"]["variables"],
                                          summary["model"]["constraints"])
    assert sum(t == highspy.HighsVarType.kInteger for t in lp.integrality_) == \
        summary["model"]["integer_variables"]
    assert lp.offset_ != 0  # the toy's fixed costs: the objective constant is in the file
    assert any(name.startswith("build_uk_magnets_") for name in lp.col_names_)
    assert any(name.startswith("balance_UK_magnet_") for name in lp.row_names_)
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert highs.getInfo().objective_function_value == pytest.approx(
        summary["objective_value"], rel=1e-9)


@pytest.mark.parametrize("name, message", [
    ("model.txt", "must end in .mps or .lp"),
    ("model", "must end in .mps or .lp"),
    ("no-such-folder/model.lp", "does not exist"),
])
def test_bad_targets_are_usage_errors_before_solving(tmp_path, name, message):
    out = tmp_path / "run"
    result = run("solve", TOY, "--out", out, "--write-model", tmp_path / name)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_a_folder_is_refused(tmp_path):
    (tmp_path / "model.lp").mkdir()
    result = run("solve", TOY, "--out", tmp_path / "run", "--write-model", tmp_path / "model.lp")
    assert result.exit_code == 2, result.output
    assert "is a folder" in result.output


def test_a_model_inside_the_run_folder_is_refused(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    result = run("solve", TOY, "--out", out, "--force", "--write-model", out / "model.mps")
    assert result.exit_code == 2, result.output
    assert "inside the run folder" in result.output
    assert not (out / "model.mps").exists()
