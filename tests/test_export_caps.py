"""Export caps (export_caps.csv, formulation/export_caps.py): one budget across stages.

Magnets m are made at H from alloy a (1 t of a per t of m, at 10/t). China (A) sells magnets
at 100/t and alloy at 60/t, each offer capped at 100 t; B sells magnets at 300/t. Demand 100 t
of m. Per-offer caps: a cut of China's magnets to 20 t is bypassed with Chinese alloy, which
was cheaper anyway: 100 x (60 + 10) = 7,000, as if nothing were cut.
One budget of 20 t on everything leaving China (both links; t, this chain has no rare-earth
content): each t of the budget serves one t of magnets, by the alloy route (70) rather than
as magnets (100); the rest from B: 20 x 70 + 80 x 300 = 25,400; one more t of budget saves
300 - 70 = 230.
"""

from __future__ import annotations

import pytest

from tests.conftest import write_instance

CHAIN = """\
name: alloy
commodities:
  a: {description: alloy}
  m: {description: magnet}
processes:
  make: {inputs: {a: 1.0}, outputs: {m: 1.0}}
"""
CASE = {
    "regions.csv": "region,country,domestic,risk,grid_kgco2e_per_kwh\nH,GB,true,0.2,0.1\n"
                   "A,CN,false,0.6,0.5\nB,JP,false,0.3,0.4\n",
    "offers.csv": "offer,region,commodity,price_per_t,max_t\ncn_magnet,A,m,100,100\n"
                  "cn_alloy,A,a,60,100\njp_magnet,B,m,300,1000\n",
    "links.csv": "origin,destination,commodity,cost_per_t\nA,H,m,0\nA,H,a,0\nB,H,m,0\n",
    "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                      "plant,make,H,1000,10\n",
    "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
    "scenarios.csv": "scenario,probability\nbase,1\n",
}


def test_a_cut_on_magnets_alone_is_bypassed_with_alloy(tmp_path, solve_case):
    out = solve_case(write_instance(tmp_path, CHAIN, {
        **CASE, "scenario_effects.csv": "scenario,target,attribute,multiply\n"
                                        "base,cn_magnet,max_t,0.2\n"}))
    assert out.summary["objectives"]["cost"] == pytest.approx(7_000)


def test_one_budget_on_everything_leaving_china_binds_across_stages(tmp_path, solve_case):
    out = solve_case(write_instance(tmp_path, CHAIN, {
        **CASE,
        "export_caps.csv": "cap,member,max_t\nchina,country:CN,100\n",
        "scenario_effects.csv": "scenario,target,attribute,multiply\nbase,china,max_t,0.2\n"}))
    assert out.summary["objectives"]["cost"] == pytest.approx(25_400)
    bought = out.tables["purchases"].set_index("offer")["bought_t"].to_dict()
    assert bought == pytest.approx({"cn_alloy": 20, "jp_magnet": 80})
    prices = out.tables["shadow_prices"]
    cap = prices[prices["kind"] == "export_cap"].iloc[0]
    assert (cap["item"], cap["saving_per_unit"]) == ("china", pytest.approx(230))
    assert "export cap china" in cap["message"]
