"""End-of-life arrivals: historic inflows, demand as future inflow, year steps, and arrivals that
follow the plan (demand left unmet never comes back)."""

from __future__ import annotations

import numpy as np
import pytest

from planner.data import load_instance
from planner.formulation.sets import model_sets
from tests.conftest import write_instance

CHAIN = """\
name: arrivals
commodities:
  m: {}
  eol: {disposable: true}
processes:
  make: {outputs: {m: 1.0}}
products:
  motor: {placed_commodity: m, eol_commodity: eol, lifetime: {distribution: fixed, mean: 10}}
"""


def test_historic_gaps_future_demand_and_a_five_year_step(tmp_path):
    """Fixed life 10. Historic cohorts 2010 (100 t) and 2013 (50 t) leave in 2020 and 2023:
    in the 2020-2024 block (model year 2020) that is 150 t over 5 years = 30 t/yr. Demand of
    20 t/yr placed in the 2020 block (2020-2024) leaves in 2030-2034 (model year 2030): 20 t/yr.
    Stock at the end of 2020: 50 (2013 cohort) + 20 (2020 cohort) = 70 t."""
    folder = write_instance(tmp_path, CHAIN, {
        "facilities.csv": "facility,process,region,existing_t\nplant,make,H,100\n",
        "demand.csv": "region,commodity,year,demand_t,product\nH,m,2020,20,motor\n"
                      "H,m,2025,0,motor\nH,m,2030,0,motor\n",
        "product_inflows.csv": "product,year,placed_t\nmotor,2010,100\nmotor,2013,50\n",
    }, settings="name: s\nmodel: chain.yaml\nyears: {start: 2020, end: 2030, step: 5}\n")
    arrivals = model_sets(load_instance(folder)).arrivals.set_index("year")
    assert arrivals["arrivals_t"].to_dict() == pytest.approx({2020: 30, 2025: 0, 2030: 20})
    assert arrivals.loc[2020, "stock_t"] == pytest.approx(70)
    # end of 2030: the 2021-2024 cohorts (4 x 20 t) are still in use
    assert arrivals.loc[2030, "stock_t"] == pytest.approx(80)
    assert set(arrivals["region"]) == {"H"} and set(arrivals["commodity"]) == {"eol"}


def test_step_weights_costs(tmp_path, solve_case):
    """With a 5-year step each model year counts 5 times: 10 t/yr at 100/t over two model
    years (2025, 2030), rate 0, is 2 * 5 * 1000 = 10000."""
    chain = "name: c\ncommodities: {m: {}}\nprocesses: {make: {outputs: {m: 1.0}}}\n"
    folder = write_instance(tmp_path, chain, {
        "offers.csv": "offer,region,commodity,price_per_t\nbuy_h,H,m,100\n",
        "facilities.csv": "facility,process,region\nplant,make,A\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,10\nH,m,2030,10\n",
    }, settings="name: s\nmodel: chain.yaml\nyears: {start: 2025, end: 2030, step: 5}\n")
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(10000)


def test_unmet_demand_never_comes_back(tmp_path, solve_case):
    """Fixed life 2; demand 100 t/yr in 2025-2027 but the only plant makes 60 t/yr, so 40 t/yr
    are unmet (penalty 1000/t). What was placed in 2025 (60 t, not 100 t) arrives in 2027 and
    is disposed of (free). Cost 3 x 40 x 1000 = 120000. A scenario doubling demand places no
    more (the plant is full): its arrivals are the same 60 t."""
    folder = write_instance(tmp_path, CHAIN, {
        "facilities.csv": "facility,process,region,existing_t\nplant,make,H,60\n",
        "demand.csv": "region,commodity,year,demand_t,product\nH,m,2025,100,motor\n"
                      "H,m,2026,100,motor\nH,m,2027,100,motor\n",
        "scenarios.csv": "scenario,probability\nbase,0.5\nboom,0.5\n",
        "scenario_effects.csv": "scenario,target,attribute,multiply\nboom,H,demand_t,2\n",
    }, settings="name: s\nmodel: chain.yaml\nyears: {start: 2025, end: 2027}\n"
                "shortage_penalty_per_t: 1000\n")
    edit = (folder / "chain.yaml").read_text().replace("mean: 10", "mean: 2")
    (folder / "chain.yaml").write_text(edit)
    out = solve_case(folder)
    arrivals = out.tables["eol_arrivals"].set_index(["scenario", "year"])["arrivals_t"]
    assert arrivals.to_dict() == pytest.approx({("base", 2025): 0, ("base", 2026): 0,
                                                ("base", 2027): 60, ("boom", 2025): 0,
                                                ("boom", 2026): 0, ("boom", 2027): 60})
    assert out.summary["objectives"]["cost"] == pytest.approx(0.5 * 120000 + 0.5 * 420000)
    disposed = out.tables["disposal"].set_index(["scenario", "year"])["disposed_t"]
    assert disposed.to_dict() == pytest.approx({("base", 2027): 60, ("boom", 2027): 60})
    # full demand would have sent back 100 t (base) and 200 t (boom) in 2027
    full = out.model.sets.arrivals.set_index(["scenario", "year"])["arrivals_t"]
    assert full[("base", 2027)] == pytest.approx(100) and full[("boom", 2027)] == 200
    assert out.summary["mass_balance_max_residual_t"] < 1e-6


def test_the_kernel_is_the_stock_model_on_model_years(tmp_path):
    """K @ placements equals the dynamic stock model run on the calendar years, for a Weibull
    lifetime and a 5-year step (the stock model is linear): the model's K terms take back
    exactly the arrivals of what is not placed."""
    weibull = CHAIN.replace("{distribution: fixed, mean: 10}",
                            "{distribution: weibull, shape: 2, scale: 9}")
    folder = write_instance(tmp_path, weibull, {
        "facilities.csv": "facility,process,region,existing_t\nplant,make,H,100\n",
        "demand.csv": "region,commodity,year,demand_t,product\nH,m,2025,10,motor\n"
                      "H,m,2030,30,motor\nH,m,2035,5,motor\nH,m,2040,20,motor\n",
    }, settings="name: s\nmodel: chain.yaml\nyears: {start: 2025, end: 2040, step: 5}\n")
    sets = model_sets(load_instance(folder))
    kernel = sets.kernels["motor"]
    assert np.allclose(np.triu(kernel, 1), 0) and kernel[1, 0] > 0
    assert sets.arrivals["arrivals_t"].to_numpy() == pytest.approx(
        kernel @ np.array([10.0, 30.0, 5.0, 20.0]))


def test_a_shortfall_is_shared_among_products_pro_rata(tmp_path, solve_case):
    """Motors (life 2) want 60 t/yr and toys (life 1) 40 t/yr of m; the plant makes 50 t/yr,
    so 50 t/yr are unmet, 30 of the motors' and 20 of the toys'. Placed: motors 30, toys 20 a
    year. Arrivals: motor scrap 30 t in 2027 (from 2025); toy scrap 20 t in 2026 and 2027."""
    chain = CHAIN.replace("mean: 10}", "mean: 2}").replace(
        "  eol: {disposable: true}\n", "  eol: {disposable: true}\n  scrap: {disposable: true}\n"
    ) + "  toy: {placed_commodity: m, eol_commodity: scrap, lifetime: {distribution: fixed, " \
        "mean: 1}}\n"
    folder = write_instance(tmp_path, chain, {
        "facilities.csv": "facility,process,region,existing_t\nplant,make,H,50\n",
        "demand.csv": "region,commodity,year,demand_t,product\n" + "".join(
            f"H,m,{y},60,motor\nH,m,{y},40,toy\n" for y in (2025, 2026, 2027)),
    }, settings="name: s\nmodel: chain.yaml\nyears: {start: 2025, end: 2027}\n"
                "shortage_penalty_per_t: 1000\n")
    out = solve_case(folder)
    arrivals = out.tables["eol_arrivals"].set_index(["product", "year"])["arrivals_t"]
    assert arrivals.to_dict() == pytest.approx({
        ("motor", 2025): 0, ("motor", 2026): 0, ("motor", 2027): 30,
        ("toy", 2025): 0, ("toy", 2026): 20, ("toy", 2027): 20})
    assert out.tables["shortfall"]["shortfall_t"].tolist() == pytest.approx([50, 50, 50])
    assert out.summary["mass_balance_max_residual_t"] < 1e-6
