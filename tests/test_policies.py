"""Policies and emissions: each binds and changes the decision in a case built for it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.data.load import read_instance
from tests.conftest import write_instance

CHAIN = """\
name: policy
commodities:
  m: {description: magnet}
  eol: {disposable: true}
processes:
  make: {outputs: {m: 1.0}, electricity_kwh_per_t: 1000}
  recycle: {loop: short_loop, inputs: {eol: 1.0}, outputs: {m: 1.0}}
products:
  motor: {placed_commodity: m, eol_commodity: eol, lifetime: {distribution: fixed, mean: 5}}
"""
SETTINGS = """\
name: policy
model: chain.yaml
years: {start: 2025, end: 2025}
shortage_penalty_per_t: 100000
"""
REGIONS = ("region,country,domestic,risk,grid_kgco2e_per_kwh\nH,GB,true,0.2,0.3\n"
           "A,CN,false,0.6,0.5\nB,US,false,0.3,0.4\n")
BASE = {
    "regions.csv": REGIONS,
    "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,100\nbuy_b,B,m,130\n",
    "links.csv": "origin,destination,commodity\nA,H,m\nB,H,m\n",
    "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                      "recycler,recycle,H,100,150\nplant,make,H,100,120\n",
    "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
    "product_inflows.csv": "product,year,placed_t,region\nmotor,2020,50,H\n",
}


def run(tmp_path, solve_case, policies: str | None, **extra):
    tables = {**BASE, **extra}
    if policies is not None:
        tables["policies.csv"] = "policy,region,from_year,value\n" + policies
    return solve_case(write_instance(tmp_path, CHAIN, tables, settings=SETTINGS))


def status(out) -> list[tuple]:
    """(policy, group, target, achieved, unit, holds) of policy_status.csv."""
    table = out.tables["policy_status"]
    return [tuple(r) for r in table[["policy", "group", "target", "achieved", "unit",
                                     "holds"]].itertuples(index=False)]


def made(out, facility):
    act = out.tables["activity"]
    return float(act.loc[act["facility"] == facility, "activity_t"].sum())


def test_without_policies_everything_is_imported_from_the_cheapest_country(tmp_path,
                                                                             solve_case):
    out = run(tmp_path, solve_case, None)
    assert out.summary["objectives"]["cost"] == pytest.approx(10000)
    assert out.tables["purchases"]["offer"].tolist() == ["buy_a"]


def test_min_recycled_share_binds(tmp_path, solve_case):
    """30 % of the 100 t demand from recycling at 150/t: 30 * 150 + 70 * 100 = 11500."""
    out = run(tmp_path, solve_case, "min_recycled_share,,2025,0.3\n")
    assert out.summary["objectives"]["cost"] == pytest.approx(11500)
    assert made(out, "recycler") == pytest.approx(30)
    assert status(out) == [("min_recycled_share", "", 0.3, pytest.approx(0.3), "share", True)]


def test_min_domestic_share_binds(tmp_path, solve_case):
    """40 % made at home; the cheapest domestic route is the plant at 120/t (the recycler costs
    150): 40 * 120 + 60 * 100 = 10800."""
    out = run(tmp_path, solve_case, "min_domestic_share,H,2025,0.4\n")
    assert out.summary["objectives"]["cost"] == pytest.approx(10800)
    assert made(out, "plant") == pytest.approx(40)


def test_max_country_share_binds(tmp_path, solve_case):
    """At most 60 % of the magnet supply from one country, home output counting in the supply:
    60 t from CN at 100/t, and the other 40 t made at home at 120/t, cheaper than the US at
    130/t: 60 * 100 + 40 * 120 = 10800."""
    out = run(tmp_path, solve_case, "max_country_share,,2025,0.6\n")
    assert out.summary["objectives"]["cost"] == pytest.approx(10800)
    bought = out.tables["purchases"].set_index("offer")["bought_t"]
    assert bought.to_dict() == pytest.approx({"buy_a": 60})
    assert made(out, "plant") == pytest.approx(40)
    # each country's share of the supply of m's stage (`other`: the chain names none), as the
    # policy counts it: China 60 / (60 + 40), the US 0
    assert status(out) == [
        ("max_country_share", "CN/other", 0.6, pytest.approx(0.6), "share", True),
        ("max_country_share", "US/other", 0.6, pytest.approx(0.0), "share", True)]


def test_emissions_cap_binds(tmp_path, solve_case):
    """Buying from A embodies 2000 kg/t, from B 100 kg/t. A cap of 100 t CO2e on all regions:
    2 x + 0.1 (100 - x) <= 100, x = 90 / 1.9 t from A; cost 100 x + 130 (100 - x)."""
    offers = ("offer,region,commodity,price_per_t,kgco2e_per_t\nbuy_a,A,m,100,2000\n"
              "buy_b,B,m,130,100\n")
    out = run(tmp_path, solve_case, "emissions_cap_t,,2025,100\n", **{"offers.csv": offers,
              "facilities.csv": "facility,process,region\nplant,make,A\n"})
    x = 90 / 1.9
    assert out.summary["objectives"]["emissions_t_co2e"] == pytest.approx(100)
    assert out.summary["objectives"]["cost"] == pytest.approx(100 * x + 130 * (100 - x))
    assert status(out) == [("emissions_cap_t", "", 100, pytest.approx(100), "t CO2e", True)]


def test_two_policies_each_measured_as_their_constraint_counts(tmp_path, solve_case):
    """40 % made at home and 10 % recycled: the recycler (domestic too) makes 10 t at 150, the
    plant 30 t at 120, 60 t come from CN at 100: 1,500 + 3,600 + 6,000 = 11,100; achieved
    exactly 0.4 domestic (the recycler counts) and 0.1 recycled."""
    out = run(tmp_path, solve_case, "min_domestic_share,H,2025,0.4\n"
                                    "min_recycled_share,,2025,0.1\n")
    assert out.summary["objectives"]["cost"] == pytest.approx(11_100)
    got = {r[0]: r[3] for r in status(out)}
    assert got == pytest.approx({"min_domestic_share": 0.4, "min_recycled_share": 0.1})
    assert all(r[5] for r in status(out))


def test_carbon_price_changes_the_supplier(tmp_path, solve_case):
    """At 25 per t CO2e, A costs 100 + 50 = 150 per t and B 130 + 2.5: B wins; cost 13000 +
    250 of carbon."""
    offers = ("offer,region,commodity,price_per_t,kgco2e_per_t\nbuy_a,A,m,100,2000\n"
              "buy_b,B,m,130,100\n")
    out = run(tmp_path, solve_case, "carbon_price_per_t,,2025,25\n", **{"offers.csv": offers,
              "facilities.csv": "facility,process,region\nplant,make,A\n"})
    assert out.tables["purchases"]["offer"].tolist() == ["buy_b"]
    assert out.summary["objectives"]["cost"] == pytest.approx(13250)
    costs = out.tables["costs"].set_index("component")["value_GBP"]
    assert costs["carbon"] == pytest.approx(250)


def test_grid_decarbonises_over_the_years(tmp_path, solve_case):
    """The plant at H uses 1000 kWh/t; grid.csv: 0.4 kg/kWh in 2025, 0 in 2035: 0.2 in 2030.
    It makes the 10 t demanded each year (imports are dearer): 4 t CO2e in 2025, 2 in 2030."""
    settings = SETTINGS.replace("years: {start: 2025, end: 2025}",
                                "years: {start: 2025, end: 2030, step: 5}")
    tables = {**BASE, "demand.csv": "region,commodity,year,demand_t\nH,m,2025,10\nH,m,2030,10\n",
              "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,1000\n",
              "grid.csv": "region,year,kgco2e_per_kwh\nH,2025,0.4\nH,2035,0\n"}
    out = solve_case(write_instance(tmp_path, CHAIN, tables, settings=settings))
    emissions = out.tables["emissions"].set_index("year")["t_co2e"]
    assert emissions.to_dict() == pytest.approx({2025: 4 * 5, 2030: 2 * 5})  # 5-year steps


def test_a_policy_that_cannot_be_met_is_said_plainly(tmp_path):
    """Only 100 t of domestic capacity in all: 100 % recycled is impossible (50 t of end of
    life arrive), so the recycled-share policy misses by 50 t."""
    folder = write_instance(tmp_path / "case", CHAIN, {
        **BASE, "policies.csv": "policy,region,from_year,value\nmin_recycled_share,,2025,1\n"},
        settings=SETTINGS)
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(tmp_path / "run")])
    assert result.exit_code == 5, result.output
    assert ("policy min_recycled_share for all domestic regions cannot be met in 2025 "
            "(scenario base): it misses by 50.0 t of recycled supply") in result.output


def test_bad_policies_are_named(tmp_path):
    folder = write_instance(tmp_path, CHAIN, {
        **BASE, "policies.csv": "policy,region,from_year,value\nmin_magic_share,,2025,0.1\n"
                                "max_country_share,A,2025,0.6\nmin_domestic_share,,2025,1.5\n"},
        settings=SETTINGS)
    instance, problems = read_instance(folder)
    found = [str(p) for p in problems]
    assert instance is None
    assert any(m.startswith(f"{folder}/policies.csv:2:policy: unknown policy 'min_magic_share'")
               for m in found)
    assert any(m.startswith(f"{folder}/policies.csv:3:region: 'A' is not a domestic region")
               for m in found)
    assert any(m.startswith(f"{folder}/policies.csv:4:value: share 1.5 above 1") for m in found)


def test_every_policy_is_a_pain_point_with_its_cost_where_it_binds(tmp_path):
    """The 30 % recycled floor binds: each tonne more of recycled supply costs 150 - 100 = 50.
    The report's pain points and the terminal say so in words."""
    from planner.report.painpoints import policies
    from planner.report.rundata import load_run

    folder = write_instance(tmp_path / "case", CHAIN, {
        **BASE, "policies.csv": "policy,region,from_year,value\nmin_recycled_share,,2025,0.3\n"},
        settings=SETTINGS)
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out), "--mip-gap",
                                       "0"])
    assert result.exit_code == 0, result.output
    assert ("  recycled share of demand at least 30 % from 2025, all domestic regions: holds "
            "in every scenario; achieved 2025: 30.0 %; binds in 1 scenario-years") in \
        result.output.splitlines()
    assert policies(load_run(out)) == [
        "recycled share of demand at least 30 % from 2025, all domestic regions: holds in "
        "every scenario; binds in 1 of 1 scenario-years, where one t more of it would cost "
        "GBP 50.00 in expectation"]
