"""What the plan supplies (demand.csv) and what only enters use (product_inflows.csv in the
horizon: magnets inside imported products). Both come back at end of life; only demand is
bought, can go short, and loses its arrivals when it does."""

from __future__ import annotations

import pytest

from planner.data import load_instance
from planner.data.load import read_instance
from planner.formulation.sets import model_sets
from tests.conftest import write_instance

CHAIN = """\
name: split
commodities:
  m: {}
  eol: {disposable: true}
processes:
  make: {outputs: {m: 1.0}}
products:
  motor: {placed_commodity: m, eol_commodity: eol, lifetime: {distribution: fixed, mean: 2}}
"""

YEARLY = ("name: s\nmodel: chain.yaml\nyears: {start: 2025, end: 2028}\n"
          "shortage_penalty_per_t: 1000\n")
DEMAND = "region,commodity,year,demand_t,product\nH,m,2025,10,motor\n"
EMBEDDED = "product,year,placed_t,region\nmotor,2025,30,H\n"


def split_case(tmp_path, offer_max_t="", **tables):
    """Region H: makers buy 10 t of m in 2025 (offer at 100/t, at most offer_max_t); 30 t of
    m arrive inside imported motors in 2025. Fixed life 2: both leave use in 2027."""
    return write_instance(tmp_path, CHAIN, {
        "offers.csv": f"offer,region,commodity,price_per_t,max_t\nbuy_h,H,m,100,{offer_max_t}\n",
        "facilities.csv": "facility,process,region\n",
        "demand.csv": DEMAND, "product_inflows.csv": EMBEDDED, **tables}, settings=YEARLY)


def messages(folder) -> list[str]:
    """Every problem of the instance in `folder`, its file named relative to the folder."""
    return [str(p).removeprefix(f"{folder}/") for p in read_instance(folder)[1]]


def by_year(frame, column, **where):
    for key, value in where.items():
        frame = frame[frame[key] == value]
    return frame.groupby("year")[column].sum().to_dict()


def test_embedded_inflow_comes_back_but_is_not_supplied(tmp_path, solve_case):
    """The plan buys the 10 t of demand only (cost 10 x 100 = 1000), nothing goes short, and
    2027 receives 10 + 30 = 40 t. In use at the end of 2025 and 2026: 40 t; 2027: none. A
    scenario doubling demand buys 20 t (2000) and gets 20 + 30 = 50 t back: the embedded
    30 t are not scaled."""
    folder = split_case(tmp_path, **{
        "scenarios.csv": "scenario,probability\nbase,0.5\nboom,0.5\n",
        "scenario_effects.csv": "scenario,target,attribute,multiply\nboom,H,demand_t,2\n"})
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(0.5 * 1000 + 0.5 * 2000)
    bought = out.tables["purchases"]
    assert by_year(bought, "bought_t", scenario="base") == pytest.approx({2025: 10})
    assert by_year(bought, "bought_t", scenario="boom") == pytest.approx({2025: 20})
    assert out.tables["shortfall"].empty
    eol = out.tables["eol_arrivals"]
    assert by_year(eol, "arrivals_t", scenario="base") == pytest.approx(
        {2025: 0, 2026: 0, 2027: 40, 2028: 0})
    assert by_year(eol, "arrivals_t", scenario="boom") == pytest.approx(
        {2025: 0, 2026: 0, 2027: 50, 2028: 0})
    assert by_year(eol, "stock_t", scenario="base") == pytest.approx(
        {2025: 40, 2026: 40, 2027: 0, 2028: 0})
    stock = {(r["year"], r["scenario"]): r["stock_t"] for r in out.summary["in_use_stock"]}
    assert stock[(2025, "base")] == pytest.approx(40)
    assert stock[(2025, "boom")] == pytest.approx(50)


def test_unmet_demand_takes_back_only_the_arrivals_of_demand(tmp_path, solve_case):
    """The offer sells at most 4 t: 4 t bought (400), 6 t short (6000), cost 6400. 2027
    receives the 4 t placed and all 30 t of the embedded inflow: 34 t, disposed of."""
    out = solve_case(split_case(tmp_path, offer_max_t=4))
    assert out.summary["objectives"]["cost"] == pytest.approx(6400)
    assert by_year(out.tables["purchases"], "bought_t") == pytest.approx({2025: 4})
    assert by_year(out.tables["shortfall"], "shortfall_t") == pytest.approx({2025: 6})
    eol = out.tables["eol_arrivals"]
    assert by_year(eol, "arrivals_t") == pytest.approx({2025: 0, 2026: 0, 2027: 34, 2028: 0})
    assert by_year(out.tables["disposal"], "disposed_t") == pytest.approx({2027: 34})


def test_embedded_inflow_alone_is_never_bought(tmp_path, solve_case):
    """No demand at all: nothing is bought and nothing costs anything, yet the 30 t placed in
    2025 arrive in 2027."""
    folder = split_case(tmp_path, **{"demand.csv": "region,commodity,year,demand_t,product\n"})
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(0)
    assert out.tables["purchases"]["bought_t"].sum() == pytest.approx(0)
    assert by_year(out.tables["eol_arrivals"], "arrivals_t") == pytest.approx(
        {2025: 0, 2026: 0, 2027: 30, 2028: 0})


def test_inflow_rows_are_calendar_years_with_a_five_year_step(tmp_path):
    """Step 5 (model years 2025, 2030), fixed life 5. Inflows of 50 t in 2025 and 2027 leave
    in 2030 and 2032, both in the 2030 block: (50 + 50) / 5 = 20 t/yr. In use at the end of
    2025: 50 t; of 2030: 50 t (the 2027 cohort). 2026 has no row: a warning."""
    chain = CHAIN.replace("mean: 2", "mean: 5")
    folder = write_instance(tmp_path, chain, {
        "facilities.csv": "facility,process,region\n",
        "product_inflows.csv": "product,year,placed_t,region\nmotor,2025,50,H\n"
                               "motor,2027,50,H\n",
        "demand.csv": "region,commodity,year,demand_t,product\n"},
        settings="name: s\nmodel: chain.yaml\nyears: {start: 2025, end: 2030, step: 5}\n")
    assert messages(folder) == [
        "product_inflows.csv:2:year: 'motor' has no inflow in 2026: with step 5 each row is one "
        "calendar year's inflow, not a model year's rate (expected a row for every calendar "
        "year from its first to its last in the horizon) [warning]"]
    arrivals = model_sets(load_instance(folder)).arrivals.set_index("year")
    assert arrivals["arrivals_t"].to_dict() == pytest.approx({2025: 0, 2030: 20})
    assert arrivals["stock_t"].to_dict() == pytest.approx({2025: 50, 2030: 50})


def test_bad_inflow_rows_name_file_row_and_column(tmp_path):
    """A negative tonnage, an unknown product and a year after the horizon's last calendar
    year (2028) are each reported with file, line and column, all at once."""
    folder = split_case(tmp_path, **{"product_inflows.csv": (
        "product,year,placed_t,region\nmotor,2025,-5,H\npump,2026,5,H\nmotor,2029,5,H\n")})
    found = messages(folder)
    assert read_instance(folder)[0] is None
    assert any(m.startswith("product_inflows.csv:2:placed_t:") for m in found), found
    assert any(m.startswith("product_inflows.csv:3:product: unknown product 'pump'")
               for m in found), found
    assert ("product_inflows.csv:4:year: year 2029 is after the horizon (expected a calendar "
            "year up to 2028, the last the horizon covers)") in found
