"""Hand-solvable cases: the exact optimum and the decisions, worked out in each docstring."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest

from planner.solve import SolveOptions, solve
from tests.conftest import MAKE_CHAIN, write_instance

IMPORT = {
    "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,100\n",
    "links.csv": "origin,destination,commodity,cost_per_t\nA,H,m,0\n",
}


# import at 100/t, or build a 100 t plant (capex 30000, life 10, rate 0) and make at 20/t;
# demand 10, 10, 100 t in 2025-2027
GROWING = {
    **IMPORT,
    "facilities.csv": "facility,process,region,module_t,max_modules,capex_per_module,"
                      "variable_cost_per_t,lead_years,life_years\n"
                      "plant,make,H,100,1,30000,20,0,10\n",
    "demand.csv": "region,commodity,year,demand_t\nH,m,2025,10\nH,m,2026,10\nH,m,2027,100\n",
}


def builds(outcome):
    b = outcome.tables["build_plan"]
    return sorted(zip(b["facility"], b["year"], b["modules"]))


def test_build_beats_import_only_after_demand_grows(tmp_path, solve_case):
    """Import at 100/t, or make at 20/t after building a 100 t module charged 30000/10 = 3000
    per operating year (rate 0). Demand 10, 10, 100. Building in 2025/2026/2027 costs
    9000+2400 / 6000+2200+1000 / 3000+2000+2000; importing everything costs 12000.
    Optimum: build in 2027, cost 2000 (imports) + 3000 + 2000 = 7000."""
    folder = write_instance(tmp_path, MAKE_CHAIN, GROWING, end=2027)
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(7000)
    assert builds(out) == [("plant", 2027, 1)]
    bought = out.tables["purchases"].set_index("year")["bought_t"]
    assert bought.to_dict() == pytest.approx({2025: 10, 2026: 10})


@pytest.mark.parametrize("build_years, cost, expected", [
    ("[2025, 2026]", 9200, [("plant", 2026, 1)]),   # 2027 is not a build year
    ("[2025]", 11400, [("plant", 2025, 1)]),
    ("[2025, 2027]", 7000, [("plant", 2027, 1)]),
])
def test_builds_only_in_build_years(tmp_path, solve_case, build_years, cost, expected):
    """The case above with builds decided only in instance.yaml's build_years: the best of
    the listed years (build in 2026: 6000 + 2200 + 1000; in 2025: 9000 + 2400)."""
    folder = write_instance(tmp_path, MAKE_CHAIN, GROWING, end=2027)
    settings = folder / "instance.yaml"
    settings.write_text(settings.read_text() + f"build_years: {build_years}\n")
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(cost)
    assert builds(out) == expected


@pytest.mark.parametrize("lead, earliest, cost, expected", [
    (1, 2025, 7000, [("plant", 2026, 1)]),   # decided a year ahead, online 2027
    (1, 2027, 12000, []),                    # earliest 2027 + lead 1 is past the horizon
    (0, 2027, 7000, [("plant", 2027, 1)]),
])
def test_lead_time_and_earliest_year(tmp_path, solve_case, lead, earliest, cost, expected):
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        **IMPORT,
        "facilities.csv": "facility,process,region,module_t,max_modules,capex_per_module,"
                          "variable_cost_per_t,lead_years,earliest_year,life_years\n"
                          f"plant,make,H,100,1,30000,20,{lead},{earliest},10\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,10\nH,m,2026,10\nH,m,2027,100\n",
    }, end=2027)
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(cost)
    assert builds(out) == expected
    if expected:
        online = out.tables["capacity"]
        assert online["year"].min() == 2027


def test_integer_modules_not_fractional(tmp_path, solve_case):
    """One year, rate 0, life 1: a module's charge is exactly its capex (3000 for 100 t).
    Demand 150, import 100/t, make 20/t. The LP relaxation builds 1.5 modules (4500 + 3000 =
    7500); with whole modules 2 modules (6000 + 3000 = 9000) beat 1 module + 50 t imported
    (3000 + 2000 + 5000 = 10000) and importing all (15000)."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        **IMPORT,
        "facilities.csv": "facility,process,region,module_t,max_modules,capex_per_module,"
                          "variable_cost_per_t,life_years\nplant,make,H,100,5,3000,20,1\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,150\n",
    })
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(9000)
    assert builds(out) == [("plant", 2025, 2)]
    assert out.tables["costs"].set_index("component")["value_GBP"]["capital"] == 6000

    pm = out.model
    pm.model.build.domain = pyo.NonNegativeReals
    pm.model.modules.domain = pyo.NonNegativeReals  # the modules decided so far, counted
    relaxed = solve(pm, SolveOptions())
    assert relaxed.objective == pytest.approx(7500)
    assert relaxed.values["build"][0] == pytest.approx(1.5)


def test_modules_count_the_builds_so_far(tmp_path, solve_case):
    """Demand 100, 100, 200; make at 20/t or import at 100/t; 100 t modules charged 3000 a
    year each (30000 over 10 years, rate 0), online the year they are decided. The first
    module saves 8000 a year from 2025, the second 8000 in 2027 only: build one in 2025 and one
    in 2027, cost 3000 + 2000 + 3000 + 2000 + 6000 + 4000 = 20000. modules counts them: 1, 1,
    2, and every row that counts holds."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        **IMPORT,
        "facilities.csv": "facility,process,region,module_t,max_modules,capex_per_module,"
                          "variable_cost_per_t,lead_years,life_years\n"
                          "plant,make,H,100,2,30000,20,0,10\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\nH,m,2026,100\n"
                      "H,m,2027,200\n",
    }, end=2027)
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(20000)
    assert builds(out) == [("plant", 2025, 1), ("plant", 2027, 1)]
    frame = out.model.frames["modules"]
    modules = dict(zip(frame["year"], out.solution.values["modules"]))
    assert modules == pytest.approx({2025: 1, 2026: 1, 2027: 2})
    build = out.solution.values["build"]
    assert np.cumsum(build) == pytest.approx(list(modules.values()))


RECYCLE_CHAIN = """\
name: recycle
commodities:
  m: {description: magnet}
  eol: {description: end-of-life magnets, disposable: true}
processes:
  recycle: {loop: short_loop, inputs: {eol: 1.0}, outputs: {m: 1.0}}
products:
  motor: {placed_commodity: m, eol_commodity: eol, lifetime: {distribution: fixed, mean: 10}}
"""


def test_reverse_loop_pays_once_enough_material_arrives(tmp_path, solve_case):
    """Historic inflows 20/40/60/80 t (2015-18) with a fixed 10-year life arrive 2025-28.
    Recycling saves 100 - 10 = 90 per t; a module costs 50000/10 = 5000 per operating year.
    Build in 2025/26/27/28: charges 20000/15000/10000/5000 vs savings 18000/16200/12600/7200;
    the best net saving is 2600 in 2027. Cost = 100 * (800 - 140) + 10 * 140 + 10000 = 77400."""
    folder = write_instance(tmp_path, RECYCLE_CHAIN, {
        **IMPORT,
        "facilities.csv": "facility,process,region,module_t,max_modules,capex_per_module,"
                          "variable_cost_per_t,life_years\nrec,recycle,H,100,1,50000,10,10\n",
        "demand.csv": "region,commodity,year,demand_t,product\n"
                      + "".join(f"H,m,{y},200,motor\n" for y in range(2025, 2029)),
        "product_inflows.csv": "product,year,placed_t\nmotor,2015,20\nmotor,2016,40\n"
                               "motor,2017,60\nmotor,2018,80\n",
    }, end=2028)
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(77400)
    assert builds(out) == [("rec", 2027, 1)]
    arrivals = out.tables["eol_arrivals"].set_index("year")["arrivals_t"]
    assert arrivals.to_dict() == pytest.approx({2025: 20, 2026: 40, 2027: 60, 2028: 80})
    disposed = out.tables["disposal"].set_index("year")["disposed_t"]
    assert disposed.to_dict() == pytest.approx({2025: 20, 2026: 40})
    shares = out.tables["loop_shares"].set_index(["year", "loop"])["met_t"]
    assert shares[(2028, "short_loop")] == pytest.approx(80)
    assert shares[(2028, "primary_import")] == pytest.approx(120)


def test_disposal_cost_and_emissions(tmp_path, solve_case):
    """50 t of end-of-life material arrive and nothing can use it: all disposed at 150/t
    (7500) with 20 kg CO2e/t (1 t CO2e)."""
    chain = """\
    name: dispose
    commodities:
      m: {}
      eol: {disposable: true, disposal_cost_per_t: 150, disposal_kgco2e_per_t: 20}
    processes:
      make: {outputs: {m: 1.0}}
    products:
      motor: {placed_commodity: m, eol_commodity: eol, lifetime: {distribution: fixed, mean: 5}}
    """
    folder = write_instance(tmp_path, chain, {
        **IMPORT,
        "demand.csv": "region,commodity,year,demand_t,product\nH,m,2025,0,motor\n",
        "facilities.csv": "facility,process,region,existing_t\nplant,make,A,0\n",
        "product_inflows.csv": "product,year,placed_t\nmotor,2020,50\n",
    })
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(7500)
    assert out.summary["objectives"]["emissions_t_co2e"] == pytest.approx(1.0)
    assert out.tables["disposal"]["disposed_t"].tolist() == pytest.approx([50])


def test_shortage_when_nothing_can_supply(tmp_path, solve_case):
    """No offer, link or plant brings m to H: all 30 t are unmet at the 100000/t penalty, and
    validation warns about it."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        "facilities.csv": "facility,process,region,existing_t\nplant,make,A,100\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,30\n",
    })
    out = solve_case(folder)
    assert out.summary["status"] == "optimal"
    assert out.summary["expected_unmet_t"] == pytest.approx(30)
    assert out.summary["objectives"]["cost"] == pytest.approx(3_000_000)
    assert out.summary["unmet_penalty"] == pytest.approx(3_000_000)
    assert out.summary["system_cost"] == pytest.approx(0)
    short = out.tables["shortfall"]
    assert short[["region", "commodity", "year", "shortfall_t"]].values.tolist() == [
        ["H", "m", 2025, 30.0]]
    assert any("no route supplies m at H" in str(w) for w in out.instance.warnings)


def test_capital_charge_is_an_annuity_inside_the_horizon(tmp_path, solve_case):
    """Rate 10 %, life 2: CRF = 0.1 / (1 - 1.1^-2) = 0.576190...; a 1000 module built in 2025
    (forced: only route) is charged 576.19 in 2025 and 576.19 / 1.1 in 2026."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        "facilities.csv": "facility,process,region,module_t,max_modules,capex_per_module,"
                          "life_years\nplant,make,H,10,1,1000,2\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,5\nH,m,2026,5\n",
    }, end=2026, rate=0.1)
    out = solve_case(folder)
    crf = 0.1 / (1 - 1.1 ** -2)
    assert out.summary["objectives"]["cost"] == pytest.approx(1000 * crf * (1 + 1 / 1.1))
    capital = out.tables["costs"].set_index(["component", "year"])["undiscounted_GBP"]
    assert capital[("capital", 2026)] == pytest.approx(1000 * crf)


def test_objective_weights_switch_to_emissions(tmp_path, solve_case):
    """Two offers of m at H: cheap and dirty (10/t, 2000 kg/t) or dear and clean (50/t,
    100 kg/t). Cost buys cheap (cost 1000 for 100 t); emissions buys clean (10 t CO2e)."""
    tables = {
        "offers.csv": "offer,region,commodity,price_per_t,kgco2e_per_t\n"
                      "dirty,H,m,10,2000\nclean,H,m,50,100\n",
        "facilities.csv": "facility,process,region\nplant,make,A\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
    }
    cost = solve_case(write_instance(tmp_path / "c", MAKE_CHAIN, tables))
    assert cost.summary["objectives"]["cost"] == pytest.approx(1000)
    assert cost.tables["purchases"]["offer"].tolist() == ["dirty"]
    green = solve_case(write_instance(tmp_path / "e", MAKE_CHAIN, tables, objective="emissions"))
    assert green.summary["objectives"]["emissions_t_co2e"] == pytest.approx(10)
    assert green.tables["purchases"]["offer"].tolist() == ["clean"]
    assert green.summary["objectives"]["cost"] == pytest.approx(5000)


def test_link_loss_tariff_and_risk(tmp_path, solve_case):
    """10 % of what leaves A is lost on the way: 100 t delivered needs 111.11 t bought and
    shipped. Cost per shipped t: price 100 + transport 5 + tariff 3 = 108 -> 12000.
    Risk = 0.6 (A's score) * 111.11 t imported = 66.67; transport emissions 2 kg/t."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,100\n",
        "links.csv": "origin,destination,commodity,cost_per_t,tariff_per_t,loss,kgco2e_per_t\n"
                     "A,H,m,5,3,0.1,2\n",
        "facilities.csv": "facility,process,region\nplant,make,A\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
    })
    out = solve_case(folder)
    shipped = 100 / 0.9
    assert out.tables["flows"]["flow_t"].tolist() == pytest.approx([shipped])
    assert out.tables["flows"]["delivered_t"].tolist() == pytest.approx([100])
    assert out.summary["objectives"]["cost"] == pytest.approx(108 * shipped)
    assert out.summary["objectives"]["risk"] == pytest.approx(0.6 * shipped)
    assert out.summary["objectives"]["emissions_t_co2e"] == pytest.approx(2 * shipped / 1000)
    costs = out.tables["costs"].set_index("component")["value_GBP"]
    assert costs["tariffs"] == pytest.approx(3 * shipped)


def test_weighted_objective_trades_cost_for_risk(tmp_path, solve_case):
    """m comes from A (risk 0.6, 100/t) or, dearer, from a domestic offer at H (130/t, no
    import risk). With weights cost 1, risk 60, importing costs 100 + 60 * 0.6 = 136 > 130 per
    t, so the domestic offer wins; with cost alone the import wins."""
    tables = {
        "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,100\nbuy_h,H,m,130\n",
        "links.csv": "origin,destination,commodity\nA,H,m\n",
        "facilities.csv": "facility,process,region\nplant,make,A\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,10\n",
    }
    cheap = solve_case(write_instance(tmp_path / "c", MAKE_CHAIN, tables))
    assert cheap.tables["purchases"]["offer"].tolist() == ["buy_a"]
    assert cheap.summary["objectives"]["risk"] == pytest.approx(6)
    safe = solve_case(write_instance(tmp_path / "r", MAKE_CHAIN, tables,
                                     objective="{weights: {cost: 1, risk: 60}}"))
    assert safe.tables["purchases"]["offer"].tolist() == ["buy_h"]
    assert safe.summary["objectives"] == pytest.approx(
        {"cost": 1300, "emissions_t_co2e": 0, "risk": 0, "responsible_sourcing": 0})
    assert safe.summary["objective_value"] == pytest.approx(1300)


def test_existing_capacity_window_and_availability(tmp_path, solve_case):
    """An existing 100 t/yr plant at H (80 % available, so 80 t/yr) runs 2026-2027 only;
    demand 50 t/yr in 2025-2028 is otherwise imported at 100/t; making costs 10/t and fixed
    O&M is 1 per t/yr of capacity per year in the years it exists.
    Cost = 2 * 50 * 100 (2025, 2028 imported) + 2 * 50 * 10 (made) + 2 * 100 (fixed) = 11200."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        **IMPORT,
        "facilities.csv": "facility,process,region,existing_t,availability,variable_cost_per_t,"
                          "fixed_cost_per_t,existing_from,existing_until\n"
                          "plant,make,H,100,0.8,10,1,2026,2027\n",
        "demand.csv": "region,commodity,year,demand_t\n"
                      + "".join(f"H,m,{y},50\n" for y in range(2025, 2029)),
    }, end=2028)
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(11200)
    made = out.tables["activity"].set_index("year")["activity_t"]
    assert made.to_dict() == pytest.approx({2026: 50, 2027: 50})
    assert out.tables["capacity"]["year"].tolist() == [2026, 2027]


def test_availability_caps_activity(tmp_path, solve_case):
    """The same plant always there but 80 % available: demand 90 t, only 80 t can be made
    (10/t) and 10 t are imported (100/t): cost 800 + 1000 = 1800."""
    folder = write_instance(tmp_path, MAKE_CHAIN, {
        **IMPORT,
        "facilities.csv": "facility,process,region,existing_t,availability,variable_cost_per_t\n"
                          "plant,make,H,100,0.8,10\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,90\n",
    })
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(1800)
    assert out.tables["activity"]["utilisation"].tolist() == pytest.approx([1.0])
