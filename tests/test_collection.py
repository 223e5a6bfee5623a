"""Collection of end-of-life products: leakage, tiered collection ceilings and costs, and the
disposal of what is not collected, by hand."""

from __future__ import annotations

import pytest

from tests.conftest import write_instance

CHAIN = """\
name: collection
commodities:
  m: {}
  eol: {disposable: true, disposal_cost_per_t: 20, disposal_kgco2e_per_t: 500}
processes:
  recover: {inputs: {eol: 1.0}, outputs: {m: 1.0}, loop: short_loop}
products:
  motor: {placed_commodity: m, eol_commodity: eol, lifetime: {distribution: fixed, mean: 1}}
"""
SETTINGS = "name: c\nmodel: chain.yaml\nyears: {start: 2025, end: 2025}\n" \
           "shortage_penalty_per_t: 100000\n"


def case(tmp_path, dear_cost=600, cheap_share=0.3, extra=""):
    """100 t of motors placed in 2024 come back in 2025 (fixed life 1). Demand 100 t of m:
    bought at 1000/t, or recovered from collected motors at 100/t. 10 % leaks; a cheap tier
    collects up to 30 % at 50/t, a dear one up to 40 % at `dear_cost`/t; disposal 20/t."""
    return write_instance(tmp_path, CHAIN, {
        "offers.csv": "offer,region,commodity,price_per_t\nbuy,H,m,1000\n",
        "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                          "plant,recover,H,1000,100\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
        "product_inflows.csv": "product,year,placed_t,region\nmotor,2024,100,H\n",
        "collection.csv": "product,region,from_year,tier,share,cost_per_t\n"
                          f"motor,,2025,leakage,0.1,0\nmotor,,2025,cheap,{cheap_share},50\n"
                          f"motor,,2025,dear,0.4,{dear_cost}\n" + extra,
    }, settings=SETTINGS)


def test_tiers_are_used_while_they_pay_and_the_rest_is_disposed_of(tmp_path, solve_case):
    """Collecting and recovering costs 50 + 100 (cheap) or 600 + 100 (dear) against 1000 to
    buy: both tiers are full, 30 + 40 = 70 t; 10 t leak, 20 t are disposed of (20/t).
    Cost 30 x 50 + 40 x 600 + 70 x 100 + 30 x 1000 + 20 x 20 = 62900."""
    out = solve_case(case(tmp_path))
    fate = out.tables["collection"].iloc[0]
    assert (fate["arrivals_t"], fate["leaked_t"], fate["collected_t"],
            fate["uncollected_t"]) == pytest.approx((100, 10, 70, 20))
    assert out.summary["objectives"]["cost"] == pytest.approx(62900)
    costs = out.tables["costs"].groupby("component")["value_GBP"].sum()
    assert costs["collection"] == pytest.approx(25500)
    assert costs["disposal"] == pytest.approx(400)
    emissions = out.tables["emissions"].groupby("source")["t_co2e"].sum()
    assert emissions["disposal"] == pytest.approx(20 * 0.5)
    assert out.summary["mass_balance_max_residual_t"] < 1e-6


def test_a_tier_dearer_than_buying_is_left_unused(tmp_path, solve_case):
    """The dear tier at 1200/t (+100 to recover, less 20 of disposal avoided) loses to buying
    at 1000: only the cheap 30 t are collected, 60 t are disposed of.
    Cost 30 x 50 + 30 x 100 + 70 x 1000 + 60 x 20 = 75700."""
    out = solve_case(case(tmp_path, dear_cost=1200))
    fate = out.tables["collection"].iloc[0]
    assert (fate["collected_t"], fate["uncollected_t"]) == pytest.approx((30, 60))
    assert out.summary["objectives"]["cost"] == pytest.approx(75700)


def test_one_more_point_of_the_cheap_share_is_worth_what_it_replaces(tmp_path, solve_case):
    """Both ceilings bind. One more point of the cheap share (1 t of the 100 t arriving)
    replaces a tonne bought (1000) by one collected and recovered (50 + 100) and disposes of a
    tonne less (20): it saves 870."""
    base = solve_case(case(tmp_path / "a"))
    more = solve_case(case(tmp_path / "b", cheap_share=0.31))
    assert base.summary["objectives"]["cost"] - more.summary["objectives"]["cost"] == \
        pytest.approx(870)
    prices = base.tables["shadow_prices"].set_index(["kind", "item"])
    assert prices.loc[("collection", "motor:cheap"), "saving_per_unit"] == pytest.approx(870)
    assert prices.loc[("collection", "motor:cheap"), "message"] == (
        "one more point of the cheap collection share of motor end of life at H in 2025 would "
        "save GBP 870 (scenario base)")


def test_a_region_row_replaces_the_all_regions_row(tmp_path, solve_case):
    """A row for region H (cheap share 0.5) replaces the empty-region row (0.3) there:
    collected 50 + 40 = 90 t, nothing disposed of."""
    out = solve_case(case(tmp_path, extra="motor,H,2025,cheap,0.5,50\n"))
    fate = out.tables["collection"].iloc[0]
    assert (fate["collected_t"], fate["uncollected_t"]) == pytest.approx((90, 0))


def test_shares_above_one_are_refused(tmp_path):
    from click.testing import CliRunner

    from planner.cli import main

    folder = case(tmp_path, extra="motor,,2025,scheme,0.3,800\n")
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 3
    assert f"{folder}/collection.csv:5:share: leakage and collection tiers of motor at H add " \
           "up to 1.1 of its end of life in 2025" in result.output


def test_collection_works_on_what_the_plan_placed(tmp_path, solve_case):
    """2025: demand 100 t of motors, only 60 t on offer (1000/t): 40 t unmet (penalty
    100000/t), so 60 t are placed and come back in 2026 (life 1), not 100 t. 2026: demand 100 t
    of m; of the 60 t arriving 6 leak, the cheap tier collects 18 and the dear one 24 (both pay
    against buying), 12 are disposed of, 58 t are bought.
    Cost 60 x 1000 + 40 x 100000 + 18 x 50 + 24 x 600 + 42 x 100 + 58 x 1000 + 12 x 20."""
    folder = write_instance(tmp_path, CHAIN, {
        "offers.csv": "offer,region,commodity,price_per_t,max_t\nbuy,H,m,1000,60\n",
        "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                          "plant,recover,H,1000,100\n",
        "demand.csv": "region,commodity,year,demand_t,product\nH,m,2025,100,motor\n"
                      "H,m,2026,100,\n",
        "collection.csv": "product,region,from_year,tier,share,cost_per_t\n"
                          "motor,,2025,leakage,0.1,0\nmotor,,2025,cheap,0.3,50\n"
                          "motor,,2025,dear,0.4,600\n",
    }, settings=SETTINGS.replace("end: 2025", "end: 2026"))
    out = solve_case(folder)
    fate = out.tables["collection"].set_index("year").loc[2026]
    assert (fate["arrivals_t"], fate["leaked_t"], fate["collected_t"],
            fate["uncollected_t"]) == pytest.approx((60, 6, 42, 12))
    assert out.summary["objectives"]["cost"] == pytest.approx(
        60 * 1000 + 40 * 100000 + 18 * 50 + 24 * 600 + 42 * 100 + 58 * 1000 + 12 * 20)
    assert out.summary["mass_balance_max_residual_t"] < 1e-6


def test_bad_collection_rows_are_named_at_once(tmp_path):
    """Unknown product and region, a year outside the horizon, a share above 1 and a negative
    cost: each named by line and column, all at once."""
    from click.testing import CliRunner

    from planner.cli import main

    folder = case(tmp_path)
    (folder / "collection.csv").write_text(
        "product,region,from_year,tier,share,cost_per_t\n"
        "motr,,2025,cheap,0.3,50\nmotor,XX,2025,cheap,0.3,50\nmotor,,2031,cheap,0.3,50\n"
        "motor,,2025,dear,1.3,50\nmotor,,2025,odd,0.1,-5\n")
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 3, result.output
    for expected in ("collection.csv:5:share: value 1.3 out of range",
                     "collection.csv:6:cost_per_t: value -5 out of range",
                     "collection.csv:2:product: unknown product 'motr'",
                     "collection.csv:3:region: unknown region 'XX'"):
        assert expected in result.output, result.output
    (folder / "collection.csv").write_text(
        "product,region,from_year,tier,share,cost_per_t\nmotor,,2031,cheap,0.3,50\n")
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 3
    assert "collection.csv:2:from_year: year 2031 outside the horizon" in result.output
