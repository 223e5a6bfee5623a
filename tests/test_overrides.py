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
from planner.data.overrides import load_resolved, parse_change
from planner.data.schema import FACILITIES
from planner.errors import InputError
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
        "(expected facility one of uk_hpms, uk_magnets)",
        "--set: facilities.uk_hpms.capacity=1: unknown column 'capacity' of facilities.csv "
        "(expected one of " + ", ".join(FACILITIES.names) + ")",
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
        "--set: discount=0.1: unknown table or setting 'discount' (expected a table (regions, "
        "facilities, links, offers, demand, product_inflows, scenarios, scenario_effects, grid, "
        "policies, collection, product_options, storage, export_caps) or a setting (base_year, "
        "builds, currency, cvar_alpha, description, discount_rate, eol_region, limits, model, "
        "name, objective, share_basis, "
        "shortage_penalty_per_t, years))",
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
    assert record["request"]["solver"] == {"time_limit": None, "mip_gap": 0.0, "threads": 1,
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
