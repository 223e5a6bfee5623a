"""End-of-life arrivals of an instance: historic inflows, demand as future inflow, year steps."""

from __future__ import annotations

import pytest

from planner.arrivals import instance_arrivals
from planner.data import load_instance
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
    arrivals = instance_arrivals(load_instance(folder)).set_index("year")
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
