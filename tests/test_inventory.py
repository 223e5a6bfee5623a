"""Stockpiles (storage.csv, formulation/inventory.py) on cases solved by hand.

Magnets at H: demand 100 t a year 2025-2027, imported at 100/t (rate 0, penalty 100,000/t).
In `cut` (p = 0.4) China sells nothing in 2027, and nobody knows before 2027.
  stockpile: 100 t bought in 2026 (10,000), capacity 5/t (500), held a year at 10/t (1,000);
    drawn in 2027 in both scenarios (in `base` it replaces that year's import):
    each scenario 10,000 + 21,500 + 0 = 31,500
  new capacity: a 100 t plant decided in 2026 (lead 1 year) for all: 12,000 capex + 20/t:
    10,000 + 10,000 + 14,000 = 34,000, so the stockpile beats it by 2,500
  with foreknowledge (no tree) the stockpile would be filled only in `cut`:
    0.6 x 30,000 + 0.4 x 31,500 = 30,600
"""

from __future__ import annotations

import pytest

from tests.conftest import MAKE_CHAIN, write_instance

CASE = {
    "offers.csv": "offer,region,commodity,price_per_t,max_t\nbuy_a,A,m,100,1000\n",
    "links.csv": "origin,destination,commodity,cost_per_t\nA,H,m,0\n",
    "facilities.csv": "facility,process,region,module_t,max_modules,capex_per_module,"
                      "variable_cost_per_t,life_years,lead_years\n"
                      "plant,make,H,100,1,12000,20,1,1\n",
    "storage.csv": "storage,region,commodity,max_build_t,capex_per_t,holding_cost_per_t\n"
                   "depot,H,m,1000,5,10\n",
    "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\nH,m,2026,100\nH,m,2027,100\n",
    "scenarios.csv": "scenario,probability,parent,known_from\nbase,0.6,,\ncut,0.4,base,2027\n",
    "scenario_effects.csv": "scenario,target,attribute,from_year,to_year,multiply\n"
                            "cut,buy_a,max_t,2027,2027,0\n",
}


def stock(outcome) -> dict[tuple[str, int], float]:
    inv = outcome.tables["inventory"]
    return {(r.scenario, r.year): round(r.stock_t, 6) for r in inv.itertuples()
            if r.stock_t > 1e-9}


def test_a_stockpile_before_a_cut_beats_new_capacity(tmp_path, solve_case):
    out = solve_case(write_instance(tmp_path, MAKE_CHAIN, CASE, end=2027))
    assert out.summary["objectives"]["cost"] == pytest.approx(31_500)
    assert out.tables["build_plan"].empty
    # filled in 2026 in both scenarios (they cannot be told apart), drawn in 2027
    assert stock(out) == {("base", 2026): 100, ("cut", 2026): 100}
    inv = out.tables["inventory"].set_index(["scenario", "year"])
    assert inv.loc[("cut", 2027), "drawn_t"] == pytest.approx(100)
    assert inv.loc[("base", 2027), "drawn_t"] == pytest.approx(100)
    costs = out.tables["costs"]
    parts = costs[costs["scenario"] == "base"].groupby("component")["value_GBP"].sum()
    assert parts["storage_capital"] == pytest.approx(500)
    assert parts["storage_holding"] == pytest.approx(1_000)
    assert out.summary["mass_balance_max_residual_t"] < 1e-6
    loops = out.tables["loop_shares"]
    drawn = loops[(loops["year"] == 2027) & (loops["loop"] == "from_stock")]
    assert drawn.set_index("scenario")["share"].to_dict() == pytest.approx(
        {"base": 1.0, "cut": 1.0})
    assert out.summary["build_plan"] == []

    plant = solve_case(write_instance(tmp_path / "plant", MAKE_CHAIN, {
        **CASE, "storage.csv": "storage,region,commodity\n"}, end=2027))
    assert plant.summary["objectives"]["cost"] == pytest.approx(34_000)
    assert plant.summary["objectives"]["cost"] - out.summary["objectives"]["cost"] == \
        pytest.approx(2_500)


def test_without_the_tree_the_stockpile_would_know_the_future(tmp_path, solve_case):
    """The same case with both scenarios known from the start: `base` holds nothing. The tree
    forbids it: that is what keeps stocks from being filled on foreknowledge."""
    out = solve_case(write_instance(tmp_path, MAKE_CHAIN, {
        **CASE, "scenarios.csv": "scenario,probability\nbase,0.6\ncut,0.4\n"}, end=2027))
    assert out.summary["objectives"]["cost"] == pytest.approx(30_600)
    assert stock(out) == {("cut", 2026): 100}


def test_a_minimum_stock_policy_holds_days_of_demand(tmp_path, solve_case):
    """73 days of 100 t/yr = 20 t at the end of 2025: 20 t more bought (2,000), capacity
    (100) and a year's holding (200) on top of the 10,000 of demand; loss 10 %/yr does not
    touch stock put in during the year."""
    out = solve_case(write_instance(tmp_path, MAKE_CHAIN, {
        **CASE,
        "storage.csv": "storage,region,commodity,max_build_t,capex_per_t,holding_cost_per_t,"
                       "loss_share\ndepot,H,m,1000,5,10,0.1\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
        "scenarios.csv": "scenario,probability\nbase,1\n",
        "scenario_effects.csv": "scenario,target,attribute,from_year,to_year,multiply\n",
        "facilities.csv": "facility,process,region\n",
        "policies.csv": "policy,from_year,value\nmin_stock_days,2025,73\n"}))
    assert out.summary["objectives"]["cost"] == pytest.approx(12_300)
    assert stock(out) == {("base", 2025): 20}
    prices = out.tables["shadow_prices"]
    policy = prices[prices["kind"] == "policy"].iloc[0]
    assert policy["saving_per_unit"] == pytest.approx(100 + 5 + 10)
