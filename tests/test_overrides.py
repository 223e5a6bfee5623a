"""Changes without editing the instance: --set paths, overlays, variants, the resolved copy a
run keeps, and planner rerun."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.data.changes import parse_change
from planner.data.overrides import SETTING_KEYS, TABLES, load_resolved
from planner.data.schema import FACILITIES
from planner.errors import InputError
from planner.suggest import ranked
from tests.conftest import ROOT

TOY = ROOT / "instances/toy"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def changed(*texts: str, folder: Path = TOY):
    instance, _ = load_resolved(folder, [parse_change(t) for t in texts])
    return instance


@pytest.mark.parametrize("text, check", [
    ("facilities.uk_hpms.max_modules=4",
     lambda i: i.facilities.set_index("facility").loc["uk_hpms", "max_modules"] == 4),
    ("offers.cn_oxide.price_per_t*=1.5",
     lambda i: i.offers.set_index("offer").loc["cn_oxide", "price_per_t"] == 90000),
    ("offers.cn_oxide.max_t=500",  # a cell that was empty (unlimited)
     lambda i: i.offers.set_index("offer").loc["cn_oxide", "max_t"] == 500),
    ("links.CN>UK:magnet.cost_per_t+=50",
     lambda i: i.links.set_index("commodity").loc["magnet", "cost_per_t"] == 350),
    ("demand[region=UK,year=2026].demand_t=200",
     lambda i: i.demand.set_index("year").loc[2026, "demand_t"] == 200
     and i.demand.set_index("year").loc[2025, "demand_t"] == 100),
    ("demand[*].demand_t*=2",
     lambda i: i.demand["demand_t"].tolist()[:2] == [200, 240]),
    ("regions.CN.risk=0.9", lambda i: i.regions.set_index("region").loc["CN", "risk"] == 0.9),
    ("discount_rate=0.05", lambda i: i.settings.discount_rate == 0.05),
    ("shortage_penalty_per_t*=2", lambda i: i.settings.shortage_penalty_per_t == 200000),
    ("limits.risk=150", lambda i: i.settings.limits == {"risk": 150.0}),
    ("objective=cost>risk", lambda i: i.settings.objective.order == ("cost", "risk")),
])
def test_every_path_form(text, check):
    assert check(changed(text))


def test_bad_changes_are_all_named_at_once():
    with pytest.raises(InputError) as error:
        changed("facilities.nope.max_modules=4", "facilities.uk_hpms.capacity=1",
                "facilities.uk_hpms.max_modules=two", "facilities.uk_hpms.max_modules*=1.25",
                "offers.cn_oxide.max_t*=2", "demand[plant=UK].demand_t=1",
                "demand.UK.demand_t=1", "discount=0.1", "regions.UK.risk=1.5",
                "facilities.uk_hpms.process+=1")
    messages = [str(p) for p in error.value.problems]
    assert messages == [
        "--set: facilities.nope.max_modules=4: no row of facilities.csv has facility 'nope' "
        "(expected facility one of uk_magnets, uk_hpms)",
        "--set: facilities.uk_hpms.capacity=1: unknown column 'capacity' of facilities.csv "
        "(expected one of " + ", ".join(ranked("capacity", FACILITIES.names)) + ")",
        "--set: facilities.uk_hpms.max_modules=two: not a number: 'two' (expected a whole "
        "number >= 0)",
        "--set: facilities.uk_hpms.max_modules*=1.25: not a whole number: '2.5' (expected a whole "
        "number >= 0)",
        "--set: offers.cn_oxide.max_t*=2: the cell holds '', nothing to multiply (expected a "
        "number in it)",
        "--set: demand[plant=UK].demand_t=1: bad row selector [plant=UK] (expected "
        "[COLUMN=VALUE,...] with columns of demand.csv: region, commodity, year, demand_t, "
        "product)",
        "--set: demand.UK.demand_t=1: rows of demand.csv have no single id (expected "
        "demand[region=...,commodity=...,year=...,product=...].COLUMN)",
        "--set: discount=0.1: unknown table or setting 'discount' (expected a table or a "
        "setting: one of " + ", ".join(ranked("discount", [*TABLES, *SETTING_KEYS])) +
        "; did you mean 'discount_rate'?)",
        "--set: regions.UK.risk=1.5: value 1.5 out of range (expected a number in [0, 1])",
        "--set: facilities.uk_hpms.process+=1: process is not a number column (expected = for "
        "this column)",
    ]


def test_a_change_that_breaks_a_reference_is_named(tmp_path):
    result = run("solve", TOY, "--out", tmp_path / "run", "--set",
                 "facilities.uk_hpms.region=MARS")
    assert result.exit_code == 3
    assert (f"{TOY / 'facilities.csv'}:3:region: unknown region 'MARS' (set by --set: "
            "facilities.uk_hpms.region=MARS)") in result.output
    assert "nothing was written" in result.output and not (tmp_path / "run").exists()


def test_variants_overlays_and_sets_apply_in_that_order(tmp_path):
    folder = tmp_path / "toy"
    shutil.copytree(TOY, folder)
    with open(folder / "instance.yaml", "a") as f:
        f.write("variants:\n  double: {'demand[*].demand_t*': 2}\n"
                "  later: {'demand[*].demand_t+': 1}\n")
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("# more demand\n'demand[*].demand_t+': 10\ndiscount_rate: 0.02\n")
    out = tmp_path / "run"
    result = run("solve", folder, "--out", out, "--variant", "double", "--variant", "later",
                 "--overlay", overlay, "--set", "demand[*].demand_t*=3")
    assert result.exit_code == 0, result.output
    demand = pd.read_csv(out / "instance" / "demand.csv").set_index("year")["demand_t"]
    assert demand[2025] == ((100 * 2 + 1) + 10) * 3
    summary = json.loads((out / "summary.json").read_text())
    assert summary["instance"]["changes"] == [
        "demand[*].demand_t*=2", "demand[*].demand_t+=1", "demand[*].demand_t+=10",
        "discount_rate=0.02", "demand[*].demand_t*=3"]
    assert summary["instance"]["path"] == str(folder)
    assert run("validate", folder, "--variant", "missing").exit_code == 3


def test_a_bad_overlay_line_is_named(tmp_path):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("discount_rate: 0.02\nfacilities.uk_hpms.max_modules: lots\n")
    result = run("validate", TOY, "--overlay", overlay)
    assert result.exit_code == 3
    assert (f"{overlay}:2: facilities.uk_hpms.max_modules=lots: not a number: 'lots'"
            in result.output)


def test_rerun_repeats_a_run_bit_for_bit(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    result = run("solve", TOY, "--out", first, "--set", "offers.cn_magnets.price_per_t*=1.2",
                 "--threads", "1", "--mip-gap", "0")
    assert result.exit_code == 0, result.output
    assert (first / "instance" / "toy.yaml").is_file()  # the value-chain model goes along
    record = json.loads((first / "command.json").read_text())
    assert record["command"] == "solve" and record["version"] == 1
    assert record["request"]["changes"] == [{"path": "offers.cn_magnets.price_per_t",
                                             "op": "*=", "value": "1.2", "source": "--set"}]
    assert record["request"]["solver"] == {"time_limit": 600.0, "mip_gap": 0.0, "threads": 1,
                                           "seed": None}
    result = run("rerun", first, "--out", second)
    assert result.exit_code == 0, result.output
    tables = sorted(p.name for p in first.glob("*.csv"))
    assert tables == sorted(p.name for p in second.glob("*.csv")) and len(tables) > 10
    for name in tables:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    a, b = (json.loads((f / "summary.json").read_text()) for f in (first, second))
    assert a["objectives"] == b["objectives"]
    assert a["instance"]["sha256"] == b["instance"]["sha256"]
    assert run("rerun", tmp_path, "--out", tmp_path / "x").exit_code == 1


# --- changes limited to some years, and policies from the command line ---------------------

def tree_case(tmp_path: Path, **tables) -> Path:
    """test_tree's case with one scenario: buy_a sells 1,000 t/yr at 100/t; demand 50 t in
    2026 and 100 t in 2027; a 100 t plant (capex 9,000, lead 1, 20/t) may be built."""
    from tests.conftest import MAKE_CHAIN, write_instance
    from tests.test_tree import CASE

    return write_instance(tmp_path, MAKE_CHAIN, {
        **CASE, "scenarios.csv": "scenario,probability\nbase,1\n",
        "scenario_effects.csv": "scenario,target,attribute,from_year,to_year,multiply\n",
        **tables}, end=2027)


def solved(folder: Path, out: Path, *args) -> dict:
    result = run("solve", folder, "--out", out, "--mip-gap", "0", *args)
    assert result.exit_code == 0, result.output
    return json.loads((out / "summary.json").read_text())


def test_a_change_limited_to_years_binds_only_inside_them(tmp_path):
    """buy_a's max_t x 0.02 in 2027 only: 20 t there, so the plant is built in 2026 and,
    once built, makes all 100 t of 2027 (20/t against 100/t): 50 x 100 + 9,000 + 100 x 20 =
    16,000 (15,000 unchanged: buying 100 t costs 10,000 < 11,000). In 2026 the offer still
    sells the 50 t needed, above the 20 t of 2027."""
    folder = tree_case(tmp_path / "case")
    assert solved(folder, tmp_path / "plain")["objectives"]["cost"] == pytest.approx(15_000)
    summary = solved(folder, tmp_path / "cut", "--set", "offers.buy_a.max_t*=0.02@2027")
    assert summary["objectives"]["cost"] == pytest.approx(16_000)
    bought = pd.read_csv(tmp_path / "cut/purchases.csv").groupby("year")["bought_t"].sum()
    assert bought[bought > 1e-9].to_dict() == pytest.approx({2026: 50})
    built = pd.read_csv(tmp_path / "cut/builds.csv")
    assert built[["facility", "year", "modules"]].values.tolist() == [["plant", 2026, 1]]
    # `=` and `@FROM-` give the same factor (20 / 1,000) from 2027 to the end
    same = solved(folder, tmp_path / "set", "--set", "offers.buy_a.max_t=20@2027-")
    assert same["objectives"]["cost"] == pytest.approx(16_000)
    effects = pd.read_csv(tmp_path / "set/instance/scenario_effects.csv", dtype=str,
                          keep_default_na=False)
    assert effects.to_dict("records") == [{
        "scenario": "*", "target": "buy_a", "attribute": "max_t", "from_year": "2027",
        "to_year": "", "multiply": "0.02"}]


def test_policy_from_the_command_line_equals_the_same_row_in_policies_csv(tmp_path):
    """test_inventory's 73 days of stock cost 12,300, written in policies.csv or given as
    --policy."""
    from tests.test_inventory import CASE as STOCK

    tables = {**STOCK,
              "storage.csv": "storage,region,commodity,max_build_t,capex_per_t,"
                             "holding_cost_per_t,loss_share\ndepot,H,m,1000,5,10,0.1\n",
              "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
              "scenarios.csv": "scenario,probability\nbase,1\n",
              "scenario_effects.csv": "scenario,target,attribute,from_year,to_year,multiply\n",
              "facilities.csv": "facility,process,region\n"}
    from tests.conftest import MAKE_CHAIN, write_instance

    written = write_instance(tmp_path / "written", MAKE_CHAIN, {
        **tables, "policies.csv": "policy,from_year,value\nmin_stock_days,2025,73\n"})
    given = write_instance(tmp_path / "given", MAKE_CHAIN, tables)
    a = solved(written, tmp_path / "a")
    b = solved(given, tmp_path / "b", "--policy", "min_stock_days=73@2025")
    assert a["objectives"]["cost"] == pytest.approx(12_300)
    assert b["objectives"]["cost"] == pytest.approx(12_300)
    # without a year it holds from the first model year; a region is named after a dot
    c = solved(given, tmp_path / "c", "--policy", "min_stock_days.H=73")
    assert c["objectives"]["cost"] == pytest.approx(12_300)
    rows = pd.read_csv(tmp_path / "c/instance/policies.csv", keep_default_na=False)
    assert rows.to_dict("records") == [{"policy": "min_stock_days", "region": "H",
                                        "from_year": 2025, "value": 73}]


def test_bad_years_and_policies_are_named_all_at_once(tmp_path):
    result = run("validate", TOY, "--set", "offers.cn_magnets.price_per_t*=2@2030-2027",
                 "--set", "discount_rate=0.1@2030", "--set", "demand[*].demand_t*=2@2030",
                 "--policy", "min_recycled_share=0.2@2027-2030")
    assert result.exit_code == 3
    for text in ("run backwards", "a setting cannot be limited to some years",
                 "demand.demand_t cannot be limited", "a policy holds from one year on"):
        assert text in result.output, result.output
    bad = run("validate", TOY, "--policy", "min_recycled_share")
    assert bad.exit_code == 3 and "not a policy" in bad.output
