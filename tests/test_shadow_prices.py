"""Shadow prices of binding constraints, each case small enough to check the dual by hand.

All cases: one year (or two), discount rate 0, year weight 1, so a dual is the plain price
difference between the marginal source and the constrained one (times the scenario
probability). HiGHS's sign convention for a minimisation: a binding upper bound has dual <= 0,
a binding lower bound dual >= 0; saving_per_unit is positive either way.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.data import load_instance
from planner.data.instance import parse_objective
from planner.formulation.build import build_model
from planner.results.shadow_prices import COLUMNS
from planner.solve import SolveOptions
from planner.solve.duals import shadow_prices
from planner.solve.highs import HighsSession
from planner.workflow import solve_instance
from tests.conftest import MAKE_CHAIN, write_instance
from tests.test_policies import BASE as POLICY_BASE
from tests.test_policies import CHAIN as POLICY_CHAIN
from tests.test_policies import SETTINGS as POLICY_SETTINGS

IMPORT = {
    "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,100\n",
    "links.csv": "origin,destination,commodity,cost_per_t\nA,H,m,0\n",
}
# an existing 100 t/yr plant at H, 80 % available (80 t/yr), making at 10/t
EXISTING = {
    **IMPORT,
    "facilities.csv": "facility,process,region,existing_t,availability,variable_cost_per_t\n"
                      "plant,make,H,100,0.8,10\n",
    "demand.csv": "region,commodity,year,demand_t\nH,m,2025,90\n",
}
# a candidate plant at H: 100 t modules at 5000 each (rate 0, life 1: charged exactly once),
# making at 20/t; demand 150, imports at 100/t
CANDIDATE = {
    **IMPORT,
    "facilities.csv": "facility,process,region,module_t,max_modules,capex_per_module,"
                      "variable_cost_per_t,life_years\nplant,make,H,100,5,5000,20,1\n",
    "demand.csv": "region,commodity,year,demand_t\nH,m,2025,150\n",
}


def only(table: pd.DataFrame, kind: str) -> pd.Series:
    rows = table[table["kind"] == kind]
    assert len(rows) == 1, table
    return rows.iloc[0]


def test_existing_capacity_binds_while_the_rest_is_imported(tmp_path, solve_case):
    """80 t made at 10/t, 10 t imported at 100/t: cost 1800. The plant has no capacity row
    (no candidates): its activity sits at the bound 0.8 * 100, reduced cost 10 - 100 = -90
    per t of activity; one more t/yr of capacity is 0.8 t more activity: saves 72."""
    out = solve_case(write_instance(tmp_path, MAKE_CHAIN, EXISTING))
    assert out.summary["objectives"]["cost"] == pytest.approx(1800)
    assert out.tables["activity"]["activity_t"].tolist() == pytest.approx([0.8 * 100])
    table = out.tables["shadow_prices"]
    assert list(table.columns) == COLUMNS
    assert len(table) == 1
    row = only(table, "capacity")
    assert (row["item"], row["process"], row["region"], row["year"], row["scenario"]) == (
        "plant", "make", "H", 2025, "base")
    assert row["dual"] == pytest.approx(-90)
    assert row["saving_per_unit"] == pytest.approx(72)
    assert row["unit"] == "t/yr of capacity"
    assert row["message"] == ("one more tonne per year of make capacity at plant (H) in 2025 "
                              "would save GBP 72.00 (scenario base)")
    assert out.summary["timings"]["shadow_prices_s"] >= 0


def test_built_capacity_binds_on_the_fixed_integer_lp(tmp_path, solve_case):
    """One module (5000 + 100 * 20) and 50 t imported (5000): 12000, better than two modules
    (10000 + 3000 = 13000) or importing all (15000). With build fixed at 1 the capacity row
    act - 100 build <= 0 binds at 100 t, dual 20 - 100 = -80. (The LP relaxation would build
    1.5 modules and price capacity at the module cost, -50: the integers are fixed.) One
    module is below the 5 allowed: no build-limit row."""
    out = solve_case(write_instance(tmp_path, MAKE_CHAIN, CANDIDATE))
    assert out.summary["objectives"]["cost"] == pytest.approx(12000)
    assert out.tables["build_plan"]["modules"].tolist() == [1]
    assert out.tables["activity"]["activity_t"].tolist() == pytest.approx([100])
    table = out.tables["shadow_prices"]
    assert len(table) == 1
    row = only(table, "capacity")
    assert (row["item"], row["year"], row["scenario"]) == ("plant", 2025, "base")
    assert row["dual"] == pytest.approx(-80)
    assert row["saving_per_unit"] == pytest.approx(80)


def test_build_limit_binds(tmp_path, solve_case):
    """Demand 200 in 2025 and 2026; at most one 100 t module, 6000 (life 2, rate 0: 3000 per
    year it operates), making at 20/t, imports at 100/t. Building in 2025 costs 6000 + 4000 +
    20000 = 30000 (2026: 3000 + 2000 + 30000; none: 40000). Both capacity rows bind at -80.
    One more module built in 2025 makes 2 x 100 t more at 80/t saved for 6000: saves 10000 (a
    whole module, exactly: demand takes all of it)."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        **IMPORT,
        "facilities.csv": "facility,process,region,module_t,max_modules,capex_per_module,"
                          "variable_cost_per_t,life_years\nplant,make,H,100,1,6000,20,2\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,200\nH,m,2026,200\n",
    }, end=2026)
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(30000)
    table = out.tables["shadow_prices"]
    assert table["kind"].tolist() == ["build_limit", "capacity", "capacity"]
    limit = only(table, "build_limit")
    assert (limit["item"], limit["year"], limit["scenario"]) == ("plant", 2025, "base")
    assert limit["dual"] == pytest.approx(-10000)
    assert limit["saving_per_unit"] == pytest.approx(10000)
    assert limit["unit"] == "module"
    assert limit["message"] == ("allowing one more module of make at plant (H), built in 2025, "
                                "would save GBP 10,000 (scenario base)")
    capacity = table[table["kind"] == "capacity"]
    assert capacity["year"].tolist() == [2025, 2026]
    assert capacity["dual"].tolist() == pytest.approx([-80, -80])


def test_offer_at_its_maximum(tmp_path, solve_case):
    """60 t from the cheap offer at A (100/t, max 60), the other 40 t from a dearer one at H
    (130/t): 11200. One more tonne of the cheap offer saves 30."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        **IMPORT,
        "offers.csv": "offer,region,commodity,price_per_t,max_t\ncheap,A,m,100,60\n"
                      "dear,H,m,130,\n",
        "facilities.csv": "facility,process,region\nplant,make,A\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
    })
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(11200)
    bought = out.tables["purchases"].set_index("offer")["bought_t"]
    assert bought["cheap"] == pytest.approx(60)
    row = only(out.tables["shadow_prices"], "offer")
    assert (row["item"], row["region"], row["commodity"], row["year"]) == ("cheap", "A", "m",
                                                                           2025)
    assert row["dual"] == pytest.approx(-30)
    assert row["saving_per_unit"] == pytest.approx(30)
    assert row["unit"] == "t"
    assert row["message"] == ("one more tonne of m from offer cheap (A) in 2025 would save "
                              "GBP 30.00 (scenario base)")


def test_link_at_its_maximum(tmp_path, solve_case):
    """The link from A carries at most 60 t of the 100/t offer; the other 40 t come from H at
    130/t. One more tonne of link capacity saves 30."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,100\ndear,H,m,130\n",
        "links.csv": "origin,destination,commodity,max_t\nA,H,m,60\n",
        "facilities.csv": "facility,process,region\nplant,make,A\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
    })
    out = solve_case(folder)
    assert out.tables["flows"]["flow_t"].tolist() == pytest.approx([60])
    table = out.tables["shadow_prices"]
    assert len(table) == 1
    row = only(table, "link")
    assert (row["item"], row["region"], row["commodity"]) == ("A>H:m", "H", "m")
    assert row["dual"] == pytest.approx(-30)
    assert row["saving_per_unit"] == pytest.approx(30)


LOW_CARBON = {"offers.csv": "offer,region,commodity,price_per_t,kgco2e_per_t\n"
                            "buy_a,A,m,100,2000\nbuy_b,B,m,130,100\n",
              "facilities.csv": "facility,process,region\nplant,make,A\n"}


@pytest.mark.parametrize("policy, extra, item, region, dual, unit, words", [
    # 30 t recycled at 150/t instead of imported at 100/t: a tonne less required saves 50
    ("min_recycled_share,,2025,0.3", {}, "min_recycled_share", "", 50, "t",
     "requiring one tonne less of recycled supply under min_recycled_share for all domestic "
     "regions in 2025 would save GBP 50.00"),
    # 40 t made at H at 120/t instead of imported at 100/t: saves 20 per tonne
    ("min_domestic_share,H,2025,0.4", {}, "min_domestic_share", "H", 20, "t",
     "requiring one tonne less of domestic supply under min_domestic_share for H in 2025 "
     "would save GBP 20.00"),
    # row: CN imports - 0.6 (imports + home output) <= 0, i.e. CN imports <= 60 t here; one
    # more unit of right-hand side is one more tonne from CN (100/t) instead of the plant (120)
    ("max_country_share,,2025,0.6", {}, "max_country_share:CN/other", "", -20, "t",
     "allowing one more tonne of other-stage imports from CN under max_country_share for all "
     "domestic regions in 2025 would save GBP 20.00"),
    # 2 x + 0.1 (100 - x) <= cap: one more t CO2e buys 1/1.9 t more from A, 30/t cheaper
    ("emissions_cap_t,,2025,100", LOW_CARBON, "emissions_cap_t", "", -30 / 1.9, "t CO2e",
     "raising emissions_cap_t for all regions by one t CO2e in 2025 would save GBP 15.79"),
])
def test_policy_binds(tmp_path, solve_case, policy, extra, item, region, dual, unit, words):
    tables = {**POLICY_BASE, **extra, "policies.csv": "policy,region,from_year,value\n" + policy}
    out = solve_case(write_instance(tmp_path, POLICY_CHAIN, tables, settings=POLICY_SETTINGS))
    row = only(out.tables["shadow_prices"], "policy")
    assert (row["item"], row["region"], row["year"], row["scenario"]) == (item, region, 2025,
                                                                          "base")
    assert row["dual"] == pytest.approx(dual)
    assert row["saving_per_unit"] == pytest.approx(abs(dual))
    assert row["unit"] == unit
    assert row["message"] == words + " (scenario base)"


def test_limit_on_emissions_binds(tmp_path):
    """The emissions cap above as a limit on the emissions measure: same dual, -30/1.9 per t
    CO2e."""
    folder = write_instance(tmp_path, POLICY_CHAIN, {**POLICY_BASE, **LOW_CARBON},
                            settings=POLICY_SETTINGS)
    out = solve_instance(folder, SolveOptions(mip_gap=0.0), limits={"emissions": 100})
    assert out.summary["objectives"]["emissions_t_co2e"] == pytest.approx(100)
    table = out.tables["shadow_prices"]
    assert len(table) == 1
    row = only(table, "limit")
    assert (row["item"], row["unit"]) == ("emissions", "t CO2e")
    assert row["dual"] == pytest.approx(-30 / 1.9)
    assert row["saving_per_unit"] == pytest.approx(30 / 1.9)
    assert row["message"] == "raising the limit on emissions by one t CO2e would save GBP 15.79"


def test_scenario_duals_are_probability_weighted(tmp_path, solve_case):
    """The plant (100 t/yr, fully available) covers the 90 t demand, except in the outage
    scenario (probability 0.25), where it is half available: 50 t made, 40 t imported. The
    outage row's dual is 0.25 * (10 - 100) = -22.5; one more t/yr of capacity is 0.5 t more
    activity there: saves 11.25 in the expected cost."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        **EXISTING,
        "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                          "plant,make,H,100,10\n",
        "scenarios.csv": "scenario,probability\nnormal,0.75\noutage,0.25\n",
        "scenario_effects.csv": "scenario,target,attribute,multiply\n"
                                "outage,plant,availability,0.5\n",
    })
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(0.75 * 900 + 0.25 * 4500)
    row = only(out.tables["shadow_prices"], "capacity")
    assert row["scenario"] == "outage"
    assert row["dual"] == pytest.approx(-22.5)
    assert row["saving_per_unit"] == pytest.approx(11.25)


def test_other_objectives_are_in_objective_units(tmp_path, solve_case):
    """Cost weighted 2: every dual doubles and the message no longer says GBP."""
    folder = write_instance(tmp_path, MAKE_CHAIN, EXISTING, objective="{weights: {cost: 2}}")
    row = only(solve_case(folder).tables["shadow_prices"], "capacity")
    assert row["dual"] == pytest.approx(-180)
    assert row["message"] == ("one more tonne per year of make capacity at plant (H) in 2025 "
                              "would save 144 objective units (scenario base)")


def test_largest_saving_first(tmp_path, solve_case):
    """Demand 200 at H. The existing plant (50 t/yr, 10/t), the offer at A (100/t, max 60) and
    the offer at H (120/t, max 40) are all used up; the rest comes from the unlimited offer at
    H at 130/t, the marginal price. Savings: 120 per t/yr of the plant, 30 per t from A, 10
    per t of the 120/t offer."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        **IMPORT,
        "offers.csv": "offer,region,commodity,price_per_t,max_t\ncheap,A,m,100,60\n"
                      "mid,H,m,120,40\ndear,H,m,130,\n",
        "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                          "plant,make,H,50,10\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,200\n",
    })
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(500 + 6000 + 4800 + 6500)
    table = out.tables["shadow_prices"]
    assert list(zip(table["kind"], table["item"])) == [
        ("capacity", "plant"), ("offer", "cheap"), ("offer", "mid")]
    assert table["saving_per_unit"].tolist() == pytest.approx([120, 30, 10])


def lp_state(highs):
    lp = highs.getLp()
    return ([int(k) for k in lp.integrality_], np.asarray(lp.col_lower_).copy(),
            np.asarray(lp.col_upper_).copy())


def test_session_solves_the_same_after_shadow_prices(tmp_path):
    """Fixing the integers and restoring them leaves the session as it was: the same
    integrality and bounds, and a re-solve finds the same MIP optimum (12000, one module;
    the LP relaxation would give 10500)."""
    pm = build_model(load_instance(write_instance(tmp_path, MAKE_CHAIN, CANDIDATE)))
    session = HighsSession(pm, SolveOptions(mip_gap=0.0))
    first = session.solve()
    before = lp_state(session.highs)
    table = shadow_prices(pm, first)
    after = lp_state(session.highs)
    assert after[0] == before[0] and 1 in after[0]
    np.testing.assert_array_equal(after[1], before[1])
    np.testing.assert_array_equal(after[2], before[2])
    again = session.solve()
    assert again.status.value == "optimal"
    assert again.objective == pytest.approx(first.objective) == pytest.approx(12000)
    assert again.values["build"].tolist() == first.values["build"].tolist() == [1.0]
    pd.testing.assert_frame_equal(shadow_prices(pm, again), table)


def test_run_folder_holds_shadow_prices(tmp_path):
    folder = write_instance(tmp_path / "case", MAKE_CHAIN, EXISTING)
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "shadow_prices.csv")
    assert list(table.columns) == COLUMNS
    assert table[["kind", "item", "year", "saving_per_unit"]].values.tolist() == [
        ["capacity", "plant", 2025, 72.0]]
    summary = json.loads((out / "summary.json").read_text())
    assert "shadow_prices_s" in summary["timings"]


def test_lexicographic_bound_is_a_limit(tmp_path, solve_case):
    """risk>cost: no imports first (risk 0), then the least cost with risk held within 1e-6 of
    0; that bound stays in place for the duals. One more unit of risk is 1/0.6 t imported from
    A (100/t) instead of bought at H (130/t): saves 50 in the cost, the last objective."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        **IMPORT,
        "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,100\nbuy_h,H,m,130\n",
        "facilities.csv": "facility,process,region\nplant,make,A\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,10\n",
    })
    out = solve_case(folder, objective=parse_objective("risk>cost")[0])
    assert out.summary["objectives"]["cost"] == pytest.approx(1300)
    row = only(out.tables["shadow_prices"], "limit")
    assert (row["item"], row["unit"]) == ("risk", "t (risk-weighted)")
    assert row["dual"] == pytest.approx(-50)
    assert row["message"] == ("raising the limit on risk by one t (risk-weighted) would save "
                              "GBP 50.00")
