"""Shares counted on rare-earth content: the chain's `rare_earths:` and `rare_earth_loss:` keys,
the rare-earth balance check of `planner validate`, and loop shares and share policies on the
rare-earth basis (the default) against the mass basis.

The hand cases use one chain: a magnet `m` (25 % NdPr) made from NdPr metal `nd` (100 % NdPr,
0.25 t per t of magnet) and iron/boron `fe` (no rare earths, 0.75 t); a long loop recovers NdPr
metal from end-of-life magnets `eol` (4 t per t of metal, no loss).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.chain import load_chain
from planner.cli import main
from planner.data.load import read_instance
from planner.results.loops import loop_shares
from tests.conftest import ROOT, write_instance

CHAIN = """\
name: re
commodities:
  fe: {description: iron and boron, rare_earths: {ndpr: 0, dytb: 0}}
  nd: {description: NdPr metal, rare_earths: {ndpr: 1.0}}
  m: {description: magnet, rare_earths: {ndpr: 0.25}}
  eol: {description: end-of-life magnets, disposable: true, rare_earths: {ndpr: 0.25}}
processes:
  make: {stage: magnet, inputs: {nd: 0.25, fe: 0.75}, outputs: {m: 1.0}}
  recycle: {loop: long_loop, stage: recycling, inputs: {eol: 4.0}, outputs: {nd: 1.0}}
"""
SETTINGS = """\
name: re
model: chain.yaml
years: {{start: 2025, end: 2025}}
shortage_penalty_per_t: 100000
{extra}
"""
REGIONS = ("region,country,domestic,risk,grid_kgco2e_per_kwh\nH,GB,true,0.2,0.3\n"
           "A,CN,false,0.6,0.5\n")
DEMAND = "region,commodity,year,demand_t\nH,m,2025,100\n"


def case(tmp_path: Path, tables: dict[str, str], extra: str = "") -> Path:
    return write_instance(tmp_path, CHAIN, {"regions.csv": REGIONS, "demand.csv": DEMAND,
                                            **tables}, settings=SETTINGS.format(extra=extra))


def shares(out, basis: str) -> dict[str, float]:
    """loop -> share of the 2025 magnet demand, traced on `basis` from the solved tables."""
    inst = out.instance
    table = loop_shares(out.tables, inst.chain, inst.regions, out.model.sets.demand, basis)
    return {r.loop: r.share for r in table.itertuples() if r.share > 1e-12}


def activity(out, facility: str) -> float:
    act = out.tables["activity"]
    return float(act.loc[act["facility"] == facility, "activity_t"].sum())


# --- loop shares ---------------------------------------------------------------------------

def test_domestic_iron_boron_makes_no_magnet_domestic_on_rare_earth_content(tmp_path,
                                                                             solve_case):
    """Iron/boron bought at home (H) and NdPr metal bought in CN (A) are made into the 100 t of
    magnets in CN and shipped home. By mass the magnets are 75 % domestic primary (the iron and
    boron) and 25 % imported; by rare-earth content all their NdPr is imported."""
    folder = case(tmp_path, {
        "offers.csv": "offer,region,commodity,price_per_t\nbuy_fe,H,fe,1\nbuy_nd,A,nd,50\n",
        "links.csv": "origin,destination,commodity\nH,A,fe\nA,H,m\n",
        "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                          "plant,make,A,1000,10\n"})
    out = solve_case(folder)
    assert activity(out, "plant") == pytest.approx(100)
    assert out.summary["objectives"]["cost"] == pytest.approx(75 * 1 + 25 * 50 + 100 * 10)
    assert shares(out, "mass") == pytest.approx({"domestic_primary": 0.75,
                                                 "primary_import": 0.25})
    assert shares(out, "rare_earth") == pytest.approx({"primary_import": 1.0})
    table = out.tables["loop_shares"].set_index("loop")
    assert set(table["basis"]) == {"rare_earth"}      # the default basis
    assert table.loc["primary_import", "met_t"] == pytest.approx(100)      # t of magnet
    assert table.loc["primary_import", "met_re_t"] == pytest.approx(25)    # t of NdPr in it
    assert table.loc["domestic_primary", "met_t"] == pytest.approx(0)
    assert out.summary["share_basis"] == "rare_earth"


# --- the recycled-share policy -------------------------------------------------------------

RECYCLING = {
    "offers.csv": "offer,region,commodity,price_per_t\nbuy_m,A,m,20\nbuy_nd,A,nd,50\n"
                  "buy_fe,H,fe,1\nbuy_eol,H,eol,4\n",
    "links.csv": "origin,destination,commodity\nA,H,m\nA,H,nd\n",
    "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                      "maker,make,H,1000,10\nrecycler,recycle,H,1000,100\n",
    "policies.csv": "policy,region,from_year,value\nmin_recycled_share,,2025,0.2\n",
}


def test_recycled_share_policy_binds_on_rare_earth_content(tmp_path, solve_case):
    """20 % of the NdPr in the 100 t demand (25 t) is 5 t of recycled NdPr metal (recycle 5 at
    4 x 4 + 100 = 116/t); it makes 20 t of magnets at home (with 15 t of iron/boron at 1/t and
    10/t making); the other 80 t are imported at 20/t: 80 * 20 + 5 * 116 + 15 + 200 = 2395.
    Traced on rare earths, 20 % of the demand is long loop and none domestic primary; traced by
    mass the same plan is 5 % long loop and 15 % domestic primary (the iron and boron)."""
    out = solve_case(case(tmp_path, RECYCLING))
    assert activity(out, "recycler") == pytest.approx(5)
    assert activity(out, "maker") == pytest.approx(20)
    assert out.summary["objectives"]["cost"] == pytest.approx(2395)
    assert shares(out, "rare_earth") == pytest.approx({"long_loop": 0.2, "primary_import": 0.8})
    assert shares(out, "mass") == pytest.approx({"long_loop": 0.05, "domestic_primary": 0.15,
                                                 "primary_import": 0.8})


def test_recycled_share_policy_by_mass_on_request(tmp_path, solve_case):
    """share_basis: mass counts 1 t of recycled metal as 1 t of magnet: 20 t recycled, 80 t of
    magnets made, 20 t imported: 20 * 20 + 20 * 116 + 60 + 800 = 3580."""
    out = solve_case(case(tmp_path, RECYCLING, extra="share_basis: mass"))
    assert activity(out, "recycler") == pytest.approx(20)
    assert activity(out, "maker") == pytest.approx(80)
    assert out.summary["objectives"]["cost"] == pytest.approx(3580)
    assert set(out.tables["loop_shares"]["basis"]) == {"mass"}


def test_share_basis_can_be_set_on_the_command_line(tmp_path):
    folder = case(tmp_path / "in", RECYCLING)
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(tmp_path / "run"),
                                       "--set", "share_basis=mass", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["objectives"]["cost"] == pytest.approx(3580)
    assert summary["share_basis"] == "mass"


def test_max_country_share_weighs_imports_by_rare_earths(tmp_path, solve_case):
    """Iron/boron from CN (A) at 1/t and NdPr metal either from CN at 50/t or from the US (B)
    at 60/t, 100 t of magnets made at home. At most 50 % of a stage's imported rare earths from
    one country: iron/boron carries none, so only the 25 t of NdPr metal count and half of it
    comes from the US: 12.5 * 50 + 12.5 * 60 + 75 * 1 + 100 * 10 = 2450 (by mass the 75 t of
    iron/boron from CN alone would break the cap)."""
    regions = REGIONS + "B,US,false,0.3,0.4\n"
    folder = case(tmp_path, {
        "regions.csv": regions,
        "offers.csv": "offer,region,commodity,price_per_t\nbuy_fe,A,fe,1\nbuy_nd_a,A,nd,50\n"
                      "buy_nd_b,B,nd,60\n",
        "links.csv": "origin,destination,commodity\nA,H,fe\nA,H,nd\nB,H,nd\n",
        "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                          "maker,make,H,1000,10\n",
        "policies.csv": "policy,region,from_year,value\nmax_country_share,,2025,0.5\n"})
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(2450)
    buys = out.tables["purchases"].set_index("offer")["bought_t"]
    assert buys["buy_nd_a"] == pytest.approx(12.5)
    assert buys["buy_nd_b"] == pytest.approx(12.5)


# --- the rare-earth balance check ----------------------------------------------------------

def validate(folder: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", str(folder)])
    return result.exit_code, result.output


def test_validate_flags_a_process_that_creates_rare_earths_and_one_that_loses_too_much(
        tmp_path):
    chain = CHAIN.replace("inputs: {nd: 0.25, fe: 0.75}", "inputs: {nd: 0.2, fe: 0.8}")
    chain = chain.replace("inputs: {eol: 4.0}, outputs: {nd: 1.0}}",
                          "inputs: {eol: 5.0}, outputs: {nd: 1.0}, rare_earth_loss: 0.05}")
    folder = write_instance(tmp_path, chain, {
        "regions.csv": REGIONS, "demand.csv": DEMAND,
        "offers.csv": "offer,region,commodity,price_per_t\nbuy_m,A,m,20\n",
        "links.csv": "origin,destination,commodity\nA,H,m\n"},
        settings=SETTINGS.format(extra=""))
    code, output = validate(folder)
    assert code == 3, output
    assert (f"{folder}/chain.yaml:8:processes.make: process 'make' creates ndpr rare earths: "
            "0.2 t in, 0.25 t out per t of activity (stated rare_earth_loss 0)") in output
    assert (f"{folder}/chain.yaml:9:processes.recycle: process 'recycle' loses 20.0% of its "
            "ndpr rare earths: 1.25 t in, 1 t out per t of activity (stated rare_earth_loss "
            "0.05)") in output


def test_a_stated_loss_within_half_a_point_passes(tmp_path):
    """The recycler loses 1 - 1/(4.1 * 0.25) = 2.4 % of its NdPr; stated 2 %: within 0.5
    points."""
    path = tmp_path / "chain.yaml"
    path.write_text(CHAIN.replace("inputs: {eol: 4.0}, outputs: {nd: 1.0}}",
                                  "inputs: {eol: 4.1}, outputs: {nd: 1.0}, "
                                  "rare_earth_loss: 0.02}"))
    chain, problems = load_chain(path)
    assert problems == []
    assert chain.processes["recycle"].rare_earth_loss == 0.02


@pytest.mark.parametrize("model", ["ndfeb", "toy"])
def test_bundled_models_hold_their_rare_earths(model):
    chain, problems = load_chain(ROOT / "models" / f"{model}.yaml")
    assert problems == []
    magnet = "ndfeb_magnet" if model == "ndfeb" else "magnet"
    assert chain.commodities[magnet].rare_earths["ndpr"] == pytest.approx(
        0.29 if model == "ndfeb" else 0.3)


@pytest.mark.parametrize("instance", ["uk-baseline", "toy"])
def test_bundled_instances_validate_clean(instance):
    code, output = validate(ROOT / "instances" / instance)
    assert code == 0, output


# --- bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "message", "expected"), [
    ("{ndpr: -0.1}", "rare_earths.ndpr: invalid value -0.1", "a share in [0, 1]"),
    ("{ndpr: 1.5}", "rare_earths.ndpr: invalid value 1.5", "a share in [0, 1]"),
    ("{ndpr: lots}", "rare_earths.ndpr: invalid value 'lots'", "a share in [0, 1]"),
    ("{neodymium: 0.3}", "rare_earths.neodymium: unknown rare-earth group 'neodymium'",
     "one of ndpr, dytb"),
    ("{ndpr: 0.7, dytb: 0.6}", "rare_earths: rare-earth content 1.3 t/t is above 1",
     "t of contained metal per t of commodity, at most 1 in all"),
    ("0.3", "rare_earths: not a mapping: 0.3", "key: value pairs"),
])
def test_bad_rare_earth_content_is_named_by_file_and_line(tmp_path, content, message,
                                                         expected):
    path = tmp_path / "chain.yaml"
    path.write_text(CHAIN.replace("m: {description: magnet, rare_earths: {ndpr: 0.25}}",
                                  f"m: {{description: magnet, rare_earths: {content}}}"))
    _, problems = load_chain(path)
    assert [str(p) for p in problems] == [
        f"{path}:5:commodities.m.{message} (expected {expected})"]


def test_bad_rare_earth_loss_is_named(tmp_path):
    path = tmp_path / "chain.yaml"
    path.write_text(CHAIN.replace("outputs: {nd: 1.0}}", "outputs: {nd: 1.0}, "
                                  "rare_earth_loss: 1.2}"))
    _, problems = load_chain(path)
    assert [str(p) for p in problems] == [
        f"{path}:9:processes.recycle.rare_earth_loss: invalid value 1.2 "
        "(expected a share in [0, 1])"]


def test_unknown_share_basis_is_refused(tmp_path):
    folder = case(tmp_path, RECYCLING, extra="share_basis: tonnes")
    _, problems = read_instance(folder)
    assert [str(p) for p in problems] == [
        f"{folder}/instance.yaml:5:share_basis: unknown share basis 'tonnes' (expected "
        "rare_earth (shares of contained NdPr and Dy/Tb) or mass (shares of tonnes))"]


def test_share_policies_speak_in_tonnes_of_rare_earths(tmp_path, solve_case):
    """On the rare-earth basis the recycled-share row is in t of rare earths. Its shadow price:
    one t less of recycled NdPr makes 4 t fewer magnets at home (116 + 3 x 1 + 4 x 10 = 159) and
    imports them (4 x 20 = 80), saving 79. With end-of-life feed for 2 t of NdPr only, the
    policy misses its 5 t by 3 t of recycled rare earths."""
    out = solve_case(case(tmp_path / "a", RECYCLING))
    prices = out.tables["shadow_prices"].set_index("kind").loc[["policy"]]
    assert prices["unit"].tolist() == ["t of rare earths"]
    assert prices["saving_per_unit"].tolist() == pytest.approx([79])
    assert prices["message"].iloc[0].startswith(
        "requiring one tonne of rare earths less of recycled supply under min_recycled_share")
    short_feed = dict(RECYCLING, **{
        "offers.csv": "offer,region,commodity,price_per_t,max_t\nbuy_m,A,m,20,\n"
                      "buy_nd,A,nd,50,\nbuy_fe,H,fe,1,\nbuy_eol,H,eol,4,8\n"})
    failed = solve_case(case(tmp_path / "b", short_feed))
    assert failed.summary["status"] == "infeasible"
    assert any("misses by 3.0 t of recycled rare earths" in line
               for line in failed.summary["diagnosis"])
