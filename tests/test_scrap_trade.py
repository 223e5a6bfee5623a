"""Scrap trade by hand: sell offers (offers.csv `side` sell) take surplus scrap out of a
region's balance and earn their price; bought scrap feeds a recycler; a sale is never supply,
risk, import or emissions of the plan."""

from __future__ import annotations

import pytest

from planner.chain import commodity_stages
from planner.results.balance import balance_residuals
from tests.conftest import write_instance

# magnets m made from nothing leave half a tonne of scrap s per tonne; s is recycled to m
CHAIN = """\
name: scrap
commodities:
  m: {description: magnet}
  s: {description: scrap, disposable: true, disposal_cost_per_t: 300}
processes:
  make: {outputs: {m: 1.0, s: 0.5}}
  recycle: {inputs: {s: 1.25}, outputs: {m: 1.0}, loop: short_loop}
"""
SETTINGS = "name: scrap\nmodel: chain.yaml\nyears: {start: 2025, end: 2025}\n" \
           "shortage_penalty_per_t: 100000\n"
REGIONS = ("region,country,domestic,risk,grid_kgco2e_per_kwh\nH,GB,true,0.2,0\n"
           "A,CN,false,0.6,0\nB,DE,false,0.3,0\n")
OFFERS = "offer,region,commodity,price_per_t,max_t,kgco2e_per_t,side\n"


def surplus_case(tmp_path, price, extra=None):
    """Demand 100 t of m at H, made there at 1000/t: 50 t of scrap arise. They can be
    disposed of (300/t) or shipped to A (400/t) and sold there at `price` for up to 40 t."""
    return write_instance(tmp_path, CHAIN, {
        "regions.csv": REGIONS,
        "offers.csv": OFFERS + f"cn_scrap,A,s,{price},40,,sell\n",
        "links.csv": "origin,destination,commodity,cost_per_t\nH,A,s,400\n",
        "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                          "plant,make,H,1000,1000\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
        **(extra or {}),
    }, settings=SETTINGS)


def test_surplus_scrap_is_sold_when_its_price_beats_disposal(tmp_path, solve_case):
    """At 150/t a sale nets 150 - 400 = -250/t against -300/t to dispose of: 40 t are sold
    (the offer's cap), 10 t disposed of. Cost 100 x 1000 + 40 x 400 - 40 x 150 + 10 x 300
    = 113000; the sales component is the revenue, -6000."""
    out = solve_case(surplus_case(tmp_path, 150))
    assert out.summary["objectives"]["cost"] == pytest.approx(113000)
    sales = out.tables["sales"]
    assert list(sales["offer"]) == ["cn_scrap"]
    assert sales["sold_t"].sum() == pytest.approx(40)
    assert out.tables["purchases"].empty
    assert out.tables["disposal"]["disposed_t"].sum() == pytest.approx(10)
    costs = out.tables["costs"].groupby("component")["value_GBP"].sum()
    assert costs["sales"] == pytest.approx(-6000)
    assert "purchases" not in costs
    assert costs["transport"] == pytest.approx(16000)
    assert out.summary["mass_balance_max_residual_t"] < 1e-6


def test_surplus_scrap_is_disposed_of_when_a_sale_pays_less(tmp_path, solve_case):
    """At 50/t a sale nets 50 - 400 = -350/t, worse than disposal (-300/t): all 50 t are
    disposed of. Cost 100 x 1000 + 50 x 300 = 115000."""
    out = solve_case(surplus_case(tmp_path, 50))
    assert out.summary["objectives"]["cost"] == pytest.approx(115000)
    assert out.tables["sales"].empty
    assert out.tables["disposal"]["disposed_t"].sum() == pytest.approx(50)


def test_scenario_effects_reach_sell_offers(tmp_path, solve_case):
    """Scenario `ban` (0.5) stops the sale (max_t x 0); scenario `dear` (0.5) doubles its
    price to 300/t: it then nets -100/t and takes its 40 t. Cost 0.5 x 115000 +
    0.5 x (100000 + 40 x 400 - 40 x 300 + 10 x 300) = 57500 + 53500 = 111000."""
    out = solve_case(surplus_case(tmp_path, 150, {
        "scenarios.csv": "scenario,probability\nban,0.5\ndear,0.5\n",
        "scenario_effects.csv": "scenario,target,attribute,multiply\n"
                                "ban,cn_scrap,max_t,0\ndear,country:CN,price_per_t,2\n",
    }))
    assert out.summary["objectives"]["cost"] == pytest.approx(111000)
    sold = out.tables["sales"].groupby("scenario")["sold_t"].sum()
    assert dict(sold) == pytest.approx({"dear": 40})
    disposed = out.tables["disposal"].groupby("scenario")["disposed_t"].sum()
    assert dict(disposed) == pytest.approx({"ban": 50, "dear": 10})


def recycler_case(tmp_path, scrap_price):
    """Demand 100 t of m at H: primary magnets from A at 5000/t, or recycled at H (1000/t, up
    to 60 t) from 1.25 t of scrap per t bought at B at `scrap_price` and shipped for 100/t."""
    return write_instance(tmp_path, CHAIN, {
        "regions.csv": REGIONS,
        "offers.csv": OFFERS + "cn_magnet,A,m,5000,,,\n"
                               f"de_scrap,B,s,{scrap_price},,,buy\n",
        "links.csv": "origin,destination,commodity,cost_per_t\nA,H,m,0\nB,H,s,100\n",
        "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                          "recycler,recycle,H,60,1000\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
    }, settings=SETTINGS)


def test_bought_scrap_feeds_a_recycler_when_cheaper_than_primary(tmp_path, solve_case):
    """At 2000/t a recycled tonne costs 1.25 x (2000 + 100) + 1000 = 3625 < 5000: the
    recycler runs full (60 t from 75 t of scrap), 40 t are bought primary.
    Cost 60 x 3625 + 40 x 5000 = 417500."""
    out = solve_case(recycler_case(tmp_path, 2000))
    assert out.summary["objectives"]["cost"] == pytest.approx(417500)
    bought = out.tables["purchases"].set_index("offer")["bought_t"]
    assert dict(bought) == pytest.approx({"de_scrap": 75, "cn_magnet": 40})
    loops = out.tables["loop_shares"].set_index("loop")["met_t"]
    assert loops["short_loop"] == pytest.approx(60)
    assert out.summary["mass_balance_max_residual_t"] < 1e-6


def test_bought_scrap_is_left_when_primary_is_cheaper(tmp_path, solve_case):
    """At 3200/t a recycled tonne costs 1.25 x 3300 + 1000 = 5125 > 5000: all 100 t are
    bought primary, cost 500000."""
    out = solve_case(recycler_case(tmp_path, 3200))
    assert out.summary["objectives"]["cost"] == pytest.approx(500000)
    assert list(out.tables["purchases"]["offer"]) == ["cn_magnet"]


def test_a_sale_is_neither_import_nor_risk_nor_emissions(tmp_path, solve_case):
    """H makes 60 t of m (capacity 60, 1000/t) and imports 40 t from A (2000/t, 1000 kg CO2e/t);
    its 30 t of scrap are shipped to A (100/t) and sold there (500/t). Risk counts only the
    import: 0.6 x 40 = 24; concentration: CN 40 t of magnets, nothing of scrap; emissions of
    purchases 40 t CO2e, none for the sale. Cost 60000 + 80000 + 3000 - 15000 = 128000."""
    folder = write_instance(tmp_path, CHAIN, {
        "regions.csv": REGIONS,
        "offers.csv": OFFERS + "cn_magnet,A,m,2000,,1000,buy\ncn_scrap,A,s,500,,,sell\n",
        "links.csv": "origin,destination,commodity,cost_per_t\nA,H,m,0\nH,A,s,100\n",
        "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                          "plant,make,H,60,1000\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
    }, settings=SETTINGS)
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(128000)
    assert out.tables["sales"]["sold_t"].sum() == pytest.approx(30)
    assert out.summary["objectives"]["risk"] == pytest.approx(24)
    assert out.summary["risk_measures"]["exposure"] == pytest.approx(24)
    conc = out.tables["concentration"]
    assert list(zip(conc["country"], conc["stage"], conc["imported_t"])) == [
        ("CN", conc["stage"].iloc[0], pytest.approx(40))]
    assert out.summary["risk_measures"]["max_country_t"] == pytest.approx(40)
    emissions = out.tables["emissions"].groupby("source")["t_co2e"].sum()
    assert emissions["purchases"] == pytest.approx(40)
    loops = out.tables["loop_shares"]
    assert loops.loc[loops["loop"] == "primary_import", "met_t"].sum() == pytest.approx(40)


def test_concentration_measure_leaves_sales_out(tmp_path, solve_case):
    """Minimising the largest single-country import: exports to A never count, so the
    optimum is the 40 t H cannot make (capacity 60)."""
    from planner.data.instance import ObjectiveSpec

    folder = write_instance(tmp_path, CHAIN, {
        "regions.csv": REGIONS,
        "offers.csv": OFFERS + "cn_magnet,A,m,2000,,,buy\ncn_scrap,A,s,500,,,sell\n",
        "links.csv": "origin,destination,commodity\nA,H,m\nH,A,s\n",
        "facilities.csv": "facility,process,region,existing_t\nplant,make,H,60\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
    }, settings=SETTINGS)
    out = solve_case(folder, objective=ObjectiveSpec(weights={"concentration": 1.0}))
    assert out.summary["risk_measures"]["max_country_t"] == pytest.approx(40)


def test_mass_balance_closes_with_sales(tmp_path, solve_case):
    """Recomputed from the tables, every balance closes; leaving the sales out opens the scrap
    balance of A, where the 40 t shipped from H are sold, by 40 t."""
    out = solve_case(surplus_case(tmp_path, 150))
    from planner.data.load import load_instance
    from planner.formulation.build import build_model

    demand = build_model(load_instance(tmp_path)).sets.demand
    chain = load_instance(tmp_path).chain
    residuals = balance_residuals(out.tables, chain, demand)
    assert residuals["residual_t"].abs().max() < 1e-6
    without = {k: v for k, v in out.tables.items() if k != "sales"}
    open_rows = balance_residuals(without, chain, demand).set_index(["region", "commodity"])
    assert open_rows.loc[("A", "s"), "residual_t"] == pytest.approx(40)
    assert open_rows.loc[("H", "s"), "residual_t"] == pytest.approx(0)


@pytest.mark.parametrize("row, column, message", [
    ("cn_scrap,A,s,150,40,,export\n", "side", "unknown side 'export' (expected one of buy, "
                                              "sell)"),
    ("cn_scrap,Z,s,150,40,,sell\n", "region", "unknown region 'Z'"),
    ("cn_scrap,A,s,150,40,20,sell\n", "kgco2e_per_t", "emissions on a sell offer"),
])
def test_bad_sell_offers_are_named(tmp_path, row, column, message):
    from click.testing import CliRunner

    from planner.cli import main

    folder = surplus_case(tmp_path, 150)
    (folder / "offers.csv").write_text(OFFERS + row)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 3
    assert f"{folder}/offers.csv:2:{column}: {message}" in result.output


def test_the_value_stream_map_shows_sales(tmp_path, solve_case):
    """The 40 t sold leave the hub of scrap in A for a sale node; every hub still balances."""
    from planner.report.sankey import value_stream

    out = solve_case(surplus_case(tmp_path, 150))
    graph = value_stream(out.tables, out.summary["dimensions"], "base", 2025)
    sales = [(graph.node_label[s], graph.node_label[t], v) for s, t, v, k in zip(
        graph.source, graph.target, graph.value, graph.kind) if k == "sale"]
    assert sales == [("scrap, A", "scrap sold, A", pytest.approx(40))]  # named in words
    for i, kind in enumerate(graph.node_kind):
        if kind == "hub":
            into = sum(v for t, v in zip(graph.target, graph.value) if t == i)
            out_of = sum(v for s, v in zip(graph.source, graph.value) if s == i)
            assert into == pytest.approx(out_of)


def test_a_full_sale_has_a_shadow_price(tmp_path, solve_case):
    """The sale's cap binds at 150/t: one more tonne sold saves disposal (300) less the sale's
    net cost (400 - 150 = 250), 50."""
    out = solve_case(surplus_case(tmp_path, 150))
    prices = out.tables["shadow_prices"].set_index(["kind", "item"])
    assert prices.loc[("sale", "cn_scrap"), "saving_per_unit"] == pytest.approx(50)
    assert prices.loc[("sale", "cn_scrap"), "message"] == (
        "selling one more tonne of s to offer cn_scrap (A) in 2025 would save GBP 50.00 "
        "(scenario base)")


def test_uk_scrap_trade_follows_the_eu_restriction_and_never_counts_as_import(uk_outcome):
    """The UK instance (SOURCES section 13): EU scrap is bought only before the RESourceEU
    restriction (to 2026), every tonne sold reaches its buyer on a link from a UK region, and no
    sale appears among the imports (concentration) or the purchases."""
    tables = uk_outcome.tables
    bought = tables["purchases"]
    eu = bought[bought["offer"].isin(["ee_swarf", "de_eol_magnets"])]
    assert (eu["year"] <= 2026).all()
    sales = tables["sales"]
    assert len(sales) and set(sales["region"]) <= {"CN", "DE"}
    assert not set(sales["offer"]) & set(bought["offer"])
    flows = tables["flows"]
    key = ["scenario", "destination", "commodity", "year"]
    exported = flows[flows["origin"].str.startswith("GB_")].groupby(key)["delivered_t"].sum()
    sold = sales.groupby(["scenario", "region", "commodity", "year"])["sold_t"].sum()
    assert (sold.to_numpy() <= exported.reindex(sold.index).to_numpy() + 1e-6).all()
    stage = commodity_stages(uk_outcome.instance.chain)
    scrap_stages = {stage["magnet_scrap"], stage["recovered_magnet"]}
    conc = tables["concentration"]
    assert not (conc["country"].isin(["CN", "DE"]) & conc["stage"].isin(scrap_stages)).any()
