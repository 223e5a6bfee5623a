"""The command line end to end: solve, run folders, exit codes, help."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import main
from tests.conftest import ROOT, write_instance

RUN_FILES = {"summary.json", "builds.csv", "build_plan.csv", "capacity.csv", "activity.csv",
             "flows.csv", "purchases.csv", "shortfall.csv", "disposal.csv", "eol_arrivals.csv",
             "costs.csv", "emissions.csv", "loop_shares.csv", "concentration.csv",
             "shadow_prices.csv", "demand.csv", "process_flows.csv", "command.json", "instance",
             ".planner-run", "collection.csv", "productivity.csv", "sales.csv",
             "product_options.csv", "inventory.csv", "policy_status.csv"}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_dantzig_transportation_problem(tmp_path):
    out = tmp_path / "run"
    result = run("solve", ROOT / "tests/data/dantzig", "--out", out)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["objectives"]["cost"] == pytest.approx(153.675)
    flows = pd.read_csv(out / "flows.csv").set_index(["origin", "destination"])["flow_t"]
    # the optimal shipments; New York costs the same from both plants (an alternative optimum)
    assert flows[("seattle", "chicago")] == pytest.approx(300)
    assert flows[("san-diego", "topeka")] == pytest.approx(275)
    assert flows.xs("new-york", level="destination").sum() == pytest.approx(325)
    assert set(flows.index) <= {("seattle", "new-york"), ("seattle", "chicago"),
                                ("san-diego", "new-york"), ("san-diego", "topeka")}


def test_run_folder_contents_and_summary(tmp_path):
    out = tmp_path / "toy"
    result = run("solve", ROOT / "instances/toy", "--out", out, "--mip-gap", "0", "--threads",
                 "1", "--seed", "7", "--time-limit", "60")
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == RUN_FILES
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["objectives"]) == {"cost", "emissions_t_co2e", "risk",
                                          "responsible_sourcing"}
    assert set(summary["timings"]) >= {"load_s", "build_s", "solve_s", "total_s"}
    assert set(summary["model"]) == {"variables", "integer_variables", "constraints",
                                     "nonzeros"}
    assert set(summary["versions"]) == {"planner", "pyomo", "highspy", "python"}
    assert len(summary["instance"]["sha256"]) == 64
    assert summary["mass_balance_max_residual_t"] < 1e-6
    costs = pd.read_csv(out / "costs.csv")
    expected = (costs["probability"] * costs["value_GBP"]).sum()
    assert expected == pytest.approx(summary["objectives"]["cost"])
    assert list(pd.read_csv(out / "builds.csv").columns) == [
        "scenario", "facility", "process", "region", "year", "online_year", "modules",
        "capacity_added_t", "node"]
    assert list(pd.read_csv(out / "build_plan.csv").columns) == [
        "node", "scenarios", "probability", "year", "facility", "process", "region",
        "online_year", "modules", "capacity_added_t"]
    assert list(pd.read_csv(out / "eol_arrivals.csv").columns) == [
        "product", "region", "commodity", "year", "scenario", "arrivals_t", "stock_t"]
    assert "share of domestic magnet demand by loop" in result.output
    assert "builds whatever happens (decision year" in result.output
    assert "unmet demand: none" in result.output


def test_toy_loop_shares_by_hand(tmp_path):
    """2030: HPMS makes 80 t of magnets from end-of-life motors (short loop) and the UK plant
    120 t from imported oxide (domestic primary); nothing imported as magnets."""
    out = tmp_path / "toy"
    assert run("solve", ROOT / "instances/toy", "--out", out, "--mip-gap", "0").exit_code == 0
    shares = pd.read_csv(out / "loop_shares.csv")
    y2030 = shares[shares["year"] == 2030].set_index("loop")["met_t"]
    assert y2030["short_loop"] == pytest.approx(80)
    assert y2030["domestic_primary"] == pytest.approx(120)
    assert y2030["primary_import"] == pytest.approx(0)


def test_existing_run_folder_is_refused_unless_forced(tmp_path):
    out = tmp_path / "run"
    assert run("solve", ROOT / "instances/toy", "--out", out).exit_code == 0
    (out / "keep.csv").write_text("an old table")
    result = run("solve", ROOT / "instances/toy", "--out", out)
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert (out / "keep.csv").exists()
    result = run("solve", ROOT / "instances/toy", "--out", out, "--force")
    assert result.exit_code == 0
    assert not (out / "keep.csv").exists() and (out / "summary.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folders left


def test_interrupted_run_leaves_nothing(tmp_path, monkeypatch):
    import planner.workflow

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(planner.workflow, "solve_instance", interrupted)
    result = run("solve", ROOT / "instances/toy", "--out", tmp_path / "run")
    assert result.exit_code == 130
    assert list(tmp_path.iterdir()) == []


def test_infeasible_is_explained_in_domain_words(tmp_path):
    chain = """\
    name: stuck
    commodities:
      m: {}
      eol: {description: end-of-life magnets that nothing takes}
    processes:
      make: {outputs: {m: 1.0}}
    products:
      motor: {placed_commodity: m, eol_commodity: eol, lifetime: {distribution: fixed, mean: 3}}
    """
    folder = write_instance(tmp_path / "case", chain, {
        "facilities.csv": "facility,process,region,existing_t\nplant,make,H,100\n",
        "demand.csv": "region,commodity,year,demand_t,product\nH,m,2025,10,motor\n",
        "product_inflows.csv": "product,year,placed_t\nmotor,2022,40\n",
    })
    out = tmp_path / "run"
    result = run("solve", folder, "--out", out)
    assert result.exit_code == 5, result.output
    assert "status: infeasible" in result.output
    assert "eol at H in 2025" in result.output and "40.0 t too much" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "infeasible" and summary["diagnosis"]


def test_time_limit_exit_codes(tmp_path):
    """A zero time limit stops HiGHS at once: with an incumbent the run folder holds it and its
    gap (exit 4); without one only summary.json and the record of the run (exit 7)."""
    out = tmp_path / "run"
    result = run("solve", ROOT / "instances/uk-baseline", "--out", out, "--time-limit", "0")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "time_limit"
    assert "status: time_limit" in result.output
    if result.exit_code == 4:
        assert summary["mip_gap"] is not None and (out / "builds.csv").exists()
    else:
        assert result.exit_code == 7 and summary["objectives"] is None
        assert {p.name for p in out.iterdir()} == {"summary.json", "command.json", "instance",
                                                   ".planner-run"}


@pytest.mark.parametrize("given, recorded", [([], (600.0, 0.01)),
                                             (["--time-limit", "none"], (None, 0.01)),
                                             (["--time-limit", "30", "--mip-gap", "0"],
                                              (30.0, 0.0))])
def test_solver_defaults_are_recorded(tmp_path, given, recorded):
    """1 % and 600 s per solve unless told otherwise; `--time-limit none` lifts the limit."""
    out = tmp_path / "run"
    assert run("solve", ROOT / "instances/toy", "--out", out, *given).exit_code == 0
    solver = json.loads((out / "command.json").read_text())["request"]["solver"]
    assert (solver["time_limit"], solver["mip_gap"]) == recorded


@pytest.mark.parametrize("command", [[], ["validate"], ["solve"]])
def test_help_explains_options(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    if command == ["solve"]:
        for text in ("--time-limit", "seconds", "--mip-gap", "0.001", "--threads", "--force"):
            assert text in result.output


@pytest.mark.parametrize("command", [["solve"], ["pareto"]])
def test_help_names_every_objective(command):
    from planner.data.instance import OBJECTIVES

    text = " ".join(run(*command, "--help").output.split())
    missing = [name for name in OBJECTIVES if name not in text]
    assert not missing, f"{command[0]} --help does not name {missing}"


def test_help_from_the_console_script():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "planner", "--help"], capture_output=True,
                          text=True, cwd=Path(ROOT))
    assert done.returncode == 0 and "validate" in done.stdout and "solve" in done.stdout


def test_unknown_names_suggest_the_closest_and_rank_the_rest():
    missing = run("validate", "uk-basline")
    assert missing.exit_code == 3
    assert "did you mean 'uk-baseline'?" in missing.output
    assert "nothing was written" not in missing.output  # validate never writes
    typo = run("validate", ROOT / "instances/toy", "--set", "discount_rat=0.1",
               "--set", "offers.cn_magnet.price_per_t=1")
    assert "did you mean 'discount_rate'?" in typo.output
    assert "(expected offer one of cn_magnets, cn_oxide; did you mean 'cn_magnets'?)" in \
        typo.output
    far = run("validate", ROOT / "instances/toy", "--set", "offers.zzz.price_per_t=1")
    assert "did you mean" not in far.output  # nothing close: the names only


def test_the_terminal_summary_answers_first(tmp_path):
    """Spending and penalty apart, where supply comes from, shares, each policy against its
    target as the constraint counts it, what to build in words, then the loop table once and
    what to do next."""
    out = tmp_path / "toy"
    result = run("solve", ROOT / "instances/toy", "--out", out, "--mip-gap", "0",
                 "--policy", "min_recycled_share=0.2@2030")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].startswith("system cost: GBP ") and "of which capital GBP " in lines[1]
    assert lines[2] == "unmet-demand penalty: none"
    assert lines[3].startswith("objective: GBP ")
    assert "bought by country (rare-earth content, expected, all years): China 100 %" in lines
    assert ("  recycled share of demand at least 20 % from 2030, all domestic regions: holds "
            "in every scenario; achieved 2030: 40.0 %") in lines
    assert result.output.count("share of domestic magnet demand by loop") == 1
    assert lines[-1] == f"next: planner report {out}"
    status = pd.read_csv(out / "policy_status.csv")
    assert status["achieved"].tolist() == pytest.approx([0.4])


def test_a_long_build_plan_lists_the_first_sites_of_each_branch_and_counts_the_rest():
    from planner.report.terminal import SITES_SHOWN, format_summary

    plan = pd.DataFrame({"node": "base", "scenarios": "all scenarios", "probability": 1.0,
                         "year": range(2025, 2031), "facility": [f"f{i}" for i in range(6)],
                         "process": "make", "region": "H", "online_year": range(2026, 2032),
                         "modules": 1, "capacity_added_t": 10.0})
    summary = {"status": "optimal", "termination": "Optimal", "currency": "GBP",
               "timings": {k: 0.0 for k in ("load_s", "build_s", "handover_s", "solve_s",
                                            "total_s")}, "model": {}}
    lines = format_summary(summary, {"build_plan": plan, "shortfall": pd.DataFrame()}
                           ).splitlines()
    first = lines.index("builds whatever happens (decision year: modules; capacity added):")
    shown = lines[first + 1:first + 1 + SITES_SHOWN]
    assert [line.split("(")[1].split(")")[0] for line in shown] == ["f0", "f1", "f2", "f3"]
    assert lines[first + 1 + SITES_SHOWN] == ("  and 2 more sites decided from 2029 "
                                              "(build_plan.csv, planner report)")
