"""Product options by hand: accepted commodities that fit a segment (reuse, remanufacture),
life extension (keeping products in use) and substitution."""

from __future__ import annotations

import pytest

from tests.conftest import write_instance

CHAIN = """\
name: options
commodities:
  m: {}
  reused: {}
  eol: {disposable: true}
processes: {}
products:
  motor:
    placed_commodity: m
    eol_commodity: eol
    lifetime: {distribution: fixed, mean: 1}
    accepts: {reused: {max_share: 0.3}}
  turbine: {placed_commodity: m, eol_commodity: eol, lifetime: {distribution: fixed, mean: 1}}
"""
SETTINGS = "name: p\nmodel: chain.yaml\nyears: {start: 2025, end: END}\n" \
           "shortage_penalty_per_t: 100000\n"
FACILITIES = "facility,process,region,existing_t\n"
OFFERS = "offer,region,commodity,price_per_t\nnew,H,m,1000\n"


def case(tmp_path, tables, end=2025):
    return write_instance(tmp_path, CHAIN, {"offers.csv": OFFERS, "facilities.csv": FACILITIES,
                                            **tables},
                          settings=SETTINGS.replace("END", str(end)))


def test_an_accepted_commodity_serves_only_its_segment_up_to_its_share(tmp_path, solve_case):
    """100 t of motors and 100 t of turbines; reused magnets cost 100/t against 1000/t new.
    The motor takes 30 t (its share binds), the turbine none (it does not accept them).
    Cost 30 x 100 + 170 x 1000 = 173000."""
    out = solve_case(case(tmp_path, {
        "offers.csv": OFFERS + "old,H,reused,100\n",
        "demand.csv": "region,commodity,year,demand_t,product\nH,m,2025,100,motor\n"
                      "H,m,2025,100,turbine\n"}))
    assert out.summary["objectives"]["cost"] == pytest.approx(173000)
    served = out.tables["product_options"]
    assert served[["product", "kind", "lever", "t"]].values.tolist() == [
        ["motor", "serve", "reused", pytest.approx(30)]]
    assert out.summary["mass_balance_max_residual_t"] < 1e-6


def extension_case(tmp_path, cost):
    """100 t of motors placed in 2024 retire in 2025 (fixed life 1); demand 100 t a year
    2025-2027, new magnets 1000/t. Life extension from 2025 (2 years, up to half of the
    retiring motors, `cost`/t), switched off from 2026."""
    return case(tmp_path, {
        "demand.csv": "region,commodity,year,demand_t,product\nH,m,2025,100,motor\n"
                      "H,m,2026,100,motor\nH,m,2027,100,motor\n",
        "product_inflows.csv": "product,year,placed_t,region\nmotor,2024,100,H\n",
        "product_options.csv": "option,product,kind,from_year,max_share,cost_per_t,years_added\n"
                               f"repair,motor,life_extension,2025,0.5,{cost},2\n"
                               f"repair,motor,life_extension,2026,0,{cost},2\n"}, end=2027)


def test_life_extension_is_chosen_when_cheaper_than_replacing(tmp_path, solve_case):
    """At 300/t, extending 50 t in 2025 saves 50 t of new magnets: 50 extended + 50 new in
    2025, 100 new in 2026 and 2027. Cost 50 x 300 + 250 x 1000 = 265000. The 50 t extended do
    not arrive in 2025 but in 2027; the 50 t not bought in 2025 are never placed, so 2026
    receives only the 50 t placed in 2025. Arrivals 50, 50, 150."""
    out = solve_case(extension_case(tmp_path, 300))
    assert out.summary["objectives"]["cost"] == pytest.approx(265000)
    kept = out.tables["product_options"]
    assert kept[["year", "kind", "lever", "t"]].values.tolist() == [
        [2025, "life_extension", "repair", pytest.approx(50)]]
    arrivals = out.tables["eol_arrivals"].set_index("year")["arrivals_t"]
    assert arrivals.loc[[2025, 2026, 2027]].tolist() == pytest.approx([50, 50, 150])
    costs = out.tables["costs"].groupby("component")["value_GBP"].sum()
    assert costs["life_extension"] == pytest.approx(15000)
    assert out.summary["mass_balance_max_residual_t"] < 1e-6


def test_life_extension_dearer_than_replacing_is_left_unused(tmp_path, solve_case):
    """At 1200/t extending costs more than a new tonne (1000): 300 t bought, arrivals as
    placed (100 a year)."""
    out = solve_case(extension_case(tmp_path, 1200))
    assert out.summary["objectives"]["cost"] == pytest.approx(300000)
    assert out.tables["product_options"].empty
    arrivals = out.tables["eol_arrivals"].set_index("year")["arrivals_t"]
    assert arrivals.loc[[2025, 2026, 2027]].tolist() == pytest.approx([100, 100, 100])


def test_extension_reaches_only_its_share_of_what_the_plan_placed(tmp_path, solve_case):
    """2025: only 60 t of new magnets on offer (demand 100; the option is off in 2025), so
    40 t are unmet and 60 t placed. 2026: the 60 t retire, half (30 t) can be kept in use at
    300/t, 70 t bought. Cost 60 x 1000 + 40 x 100000 + 30 x 300 + 70 x 1000 = 4139000."""
    out = solve_case(case(tmp_path, {
        "offers.csv": "offer,region,commodity,price_per_t,max_t,first_year,last_year\n"
                      "new,H,m,1000,60,2025,2025\nmore,H,m,1000,,2026,2026\n",
        "demand.csv": "region,commodity,year,demand_t,product\nH,m,2025,100,motor\n"
                      "H,m,2026,100,motor\n",
        "product_options.csv": "option,product,kind,from_year,max_share,cost_per_t,years_added\n"
                               "repair,motor,life_extension,2026,0.5,300,5\n"}, end=2026))
    assert out.summary["objectives"]["cost"] == pytest.approx(4139000)
    kept = out.tables["product_options"]
    assert kept[["year", "t"]].values.tolist() == [[2026, pytest.approx(30)]]


def test_substitution_meets_its_share_and_places_no_magnets(tmp_path, solve_case):
    """Up to 20 % of the 2025 motor demand met by a magnet-free design at 400/t, cheaper than
    new magnets (1000/t): 20 t substituted, 80 t bought. Cost 20 x 400 + 80 x 1000 = 88000.
    Only the 80 t placed come back in 2026."""
    out = solve_case(case(tmp_path, {
        "demand.csv": "region,commodity,year,demand_t,product\nH,m,2025,100,motor\n",
        "product_options.csv": "option,product,kind,from_year,max_share,cost_per_t\n"
                               "ferrite,motor,substitution,2025,0.2,400\n"}, end=2026))
    assert out.summary["objectives"]["cost"] == pytest.approx(88000)
    arrivals = out.tables["eol_arrivals"].set_index("year")["arrivals_t"]
    assert arrivals.loc[2026] == pytest.approx(80)
    costs = out.tables["costs"].groupby("component")["value_GBP"].sum()
    assert costs["substitution"] == pytest.approx(8000)


def test_bad_options_are_named_by_file_row_and_column(tmp_path):
    from click.testing import CliRunner

    from planner.cli import main

    folder = case(tmp_path, {
        "demand.csv": "region,commodity,year,demand_t,product\nH,m,2025,100,motor\n",
        "product_options.csv": "option,product,kind,from_year,max_share,cost_per_t,years_added\n"
                               "a,motor,repair,2025,0.2,400,\nb,motor,life_extension,2025,0.2,4,\n"
                               "c,pump,substitution,2025,0.2,400,\n"})
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 3
    for line in ("product_options.csv:2:kind: unknown kind 'repair'",
                 "product_options.csv:3:years_added: a life extension adds no years",
                 "product_options.csv:4:product: unknown product 'pump'"):
        assert line in result.output


def test_an_accepted_commodity_must_exist(tmp_path):
    from click.testing import CliRunner

    from planner.cli import main

    folder = write_instance(tmp_path, CHAIN.replace("{reused: {max_share: 0.3}}",
                                                    "{scrap: {max_share: 1.5}}"), {
        "offers.csv": OFFERS, "facilities.csv": FACILITIES,
        "demand.csv": "region,commodity,year,demand_t,product\nH,m,2025,100,motor\n"},
        settings=SETTINGS.replace("END", "2025"))
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 3
    assert "products.motor.accepts.scrap: unknown commodity 'scrap'" in result.output
    assert "products.motor.accepts.scrap.max_share: share 1.5 is above 1" in result.output


def test_extension_reaches_only_the_retiring_products_the_plan_would_replace(tmp_path,
                                                                          solve_case):
    """As test_life_extension_is_chosen_when_cheaper_than_replacing, with 100 t of motors
    arriving inside imports in 2025 (product_inflows.csv in the horizon): the plan supplies
    100 of the 200 t placed, so half the retiring motors are its to replace and the option
    reaches 0.5 x 0.5 x 100 = 25 t. Cost 25 x 300 + 275 x 1000 = 282500. Arrivals 75 (2025),
    75 placed + 100 imported (2026), 100 + 25 extended (2027)."""
    folder = extension_case(tmp_path, 300)
    (folder / "product_inflows.csv").write_text(
        "product,year,placed_t,region\nmotor,2024,100,H\nmotor,2025,100,H\n")
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(282500)
    assert out.tables["product_options"]["t"].tolist() == pytest.approx([25])
    arrivals = out.tables["eol_arrivals"].set_index("year")["arrivals_t"]
    assert arrivals.loc[[2025, 2026, 2027]].tolist() == pytest.approx([75, 175, 125])


def test_accepted_shares_above_one_never_spill_into_another_segment(tmp_path, solve_case):
    """The motor accepts `reused` (0.8) and `refurb` (0.8), both at 100/t: together they may
    meet all 100 t of motors but not one tonne of the turbine (which accepts neither), so the
    turbine's 100 t are new (1000/t). Cost 100 x 100 + 100 x 1000 = 110000."""
    chain = CHAIN.replace("  reused: {}\n", "  reused: {}\n  refurb: {}\n").replace(
        "{reused: {max_share: 0.3}}", "{reused: {max_share: 0.8}, refurb: {max_share: 0.8}}")
    folder = write_instance(tmp_path, chain, {
        "facilities.csv": FACILITIES,
        "offers.csv": OFFERS + "old,H,reused,100\nfix,H,refurb,100\n",
        "demand.csv": "region,commodity,year,demand_t,product\nH,m,2025,100,motor\n"
                      "H,m,2025,100,turbine\n"}, settings=SETTINGS.replace("END", "2025"))
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(110000)
    served = out.tables["product_options"]
    assert served["t"].sum() == pytest.approx(100)
    assert out.tables["purchases"].set_index("offer").loc["new", "bought_t"] == pytest.approx(100)
