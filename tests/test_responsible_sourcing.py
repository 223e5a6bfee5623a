"""The responsible-sourcing measure (formulation/objectives.py): tonnes bought weighted by how
far each offer's score falls short of 1, optimised and bounded on a case solved by hand.

Demand 100 t of m at H. Offer A (in CN, score 0.2) at 100/t, offer B (in JP, score 0.9) at
150/t; the chain has no rare-earth content, so tonnes count by mass.
  cost first:        all from A: cost 10,000, deficit 100 x 0.8 = 80, score 0.2
  sourcing first:    all from B: deficit 10, cost 15,000, score 0.9
  deficit <= 45:     0.8 a + 0.1 (100 - a) <= 45 -> a = 50: cost 12,500; one more unit of
                     deficit lets 1/0.7 t more come from A at 50 less: 71.43 per unit
"""

from __future__ import annotations

import pytest

from planner.data.instance import parse_objective
from planner.request import SolveOptions
from planner.workflow import solve_instance
from tests.conftest import MAKE_CHAIN, write_instance

CASE = {
    "regions.csv": "region,country,domestic,risk,grid_kgco2e_per_kwh,responsibility\n"
                   "H,GB,true,0.2,0.1,0.8\nA,CN,false,0.6,0.5,0.2\nB,JP,false,0.3,0.4,0.9\n",
    "offers.csv": "offer,region,commodity,price_per_t\nbuy_a,A,m,100\nbuy_b,B,m,150\n",
    "links.csv": "origin,destination,commodity\nA,H,m\nB,H,m\n",
    "facilities.csv": "facility,process,region\n",
    "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
}


def test_cost_first_buys_the_least_responsible_offer(tmp_path, solve_case):
    out = solve_case(write_instance(tmp_path, MAKE_CHAIN, CASE))
    assert out.summary["objectives"]["cost"] == pytest.approx(10_000)
    assert out.summary["objectives"]["responsible_sourcing"] == pytest.approx(80)
    assert out.summary["responsible_sourcing_score"] == pytest.approx(0.2)


def test_responsible_sourcing_optimised(tmp_path, solve_case):
    out = solve_case(write_instance(tmp_path, MAKE_CHAIN, CASE),
                     objective=parse_objective("responsible_sourcing>cost")[0])
    assert out.summary["objectives"]["responsible_sourcing"] == pytest.approx(10, rel=1e-5)
    assert out.summary["objectives"]["cost"] == pytest.approx(15_000)
    assert out.summary["responsible_sourcing_score"] == pytest.approx(0.9)


def test_responsible_sourcing_bounded(tmp_path):
    out = solve_instance(write_instance(tmp_path, MAKE_CHAIN, CASE), SolveOptions(mip_gap=0.0),
                         limits={"responsible_sourcing": 45})
    assert out.summary["objectives"]["cost"] == pytest.approx(12_500)
    bought = out.tables["purchases"].set_index("offer")["bought_t"].to_dict()
    assert bought == pytest.approx({"buy_a": 50, "buy_b": 50})
    prices = out.tables["shadow_prices"]
    limit = prices[prices["kind"] == "limit"].iloc[0]
    assert limit["item"] == "responsible_sourcing"
    assert limit["saving_per_unit"] == pytest.approx(50 / 0.7)


def test_an_offer_score_overrides_its_region(tmp_path, solve_case):
    """buy_a certified at 0.7: deficit 100 x 0.3 = 30 at least cost."""
    offers = "offer,region,commodity,price_per_t,responsibility\nbuy_a,A,m,100,0.7\n" \
             "buy_b,B,m,150,\n"
    out = solve_case(write_instance(tmp_path, MAKE_CHAIN, {**CASE, "offers.csv": offers}))
    assert out.summary["objectives"]["responsible_sourcing"] == pytest.approx(30)
