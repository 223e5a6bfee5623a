"""Resource-productivity levers of magnet making (Dy-lean grain-boundary diffusion, near-net
shape) on cases solvable by hand, and the table of what they contribute."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.chain import load_chain
from planner.results.productivity import lever_routes
from tests.conftest import ROOT, write_instance

# Conventional magnets take 0.04 t Dy/Tb per t; Dy-lean (GBD) magnets 0.02 t. The motor accepts
# GBD magnets for up to 75 % of its demand; the generator (thick blocks) does not accept them.
GBD_CHAIN = """\
name: gbd
commodities:
  dy: {rare_earths: {dytb: 1.0}}
  fe: {}
  magnet: {rare_earths: {dytb: 0.04}}
  magnet_gbd: {rare_earths: {dytb: 0.02}}
  eol_motor: {disposable: true}
  eol_generator: {disposable: true}
processes:
  make: {stage: magnet, inputs: {dy: 0.04, fe: 0.96}, outputs: {magnet: 1.0}}
  make_gbd: {stage: magnet, inputs: {dy: 0.02, fe: 0.98}, outputs: {magnet_gbd: 1.0}}
products:
  motor:
    placed_commodity: magnet
    eol_commodity: eol_motor
    lifetime: {distribution: fixed, mean: 50}
    accepts: {magnet_gbd: {max_share: 0.75}}
  generator:
    placed_commodity: magnet
    eol_commodity: eol_generator
    lifetime: {distribution: fixed, mean: 50}
"""


def gbd_case(tmp_path: Path, dy_price: float) -> Path:
    """Both routes at H with ample capacity: conventional 100 per t, GBD 150 per t (the GBD
    premium); Dy/Tb at `dy_price`, iron free. Demand 100 t for each product."""
    return write_instance(tmp_path, GBD_CHAIN, {
        "offers.csv": f"offer,region,commodity,price_per_t\nbuy_dy,H,dy,{dy_price}\n"
                      "buy_fe,H,fe,0\n",
        "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                          "plant,make,H,1000,100\nplant_gbd,make_gbd,H,1000,150\n",
        "demand.csv": "region,commodity,year,demand_t,product\nH,magnet,2025,100,motor\n"
                      "H,magnet,2025,100,generator\n",
    })


def activity(outcome) -> dict[str, float]:
    act = outcome.tables["activity"]
    return act.groupby("process")["activity_t"].sum().to_dict()


def test_dy_lean_route_is_left_unused_while_dy_is_cheap(tmp_path, solve_case):
    """Per t of magnet: conventional 0.04 P + 100, GBD 0.02 P + 150: GBD pays only for
    P > 2500. At P = 2000 all 200 t are made conventionally: 200 x (80 + 100) = 36,000."""
    out = solve_case(gbd_case(tmp_path, 2000))
    assert out.summary["objectives"]["cost"] == pytest.approx(36000)
    assert activity(out) == pytest.approx({"make": 200})
    assert out.tables["productivity"].empty


def test_dy_lean_route_serves_its_share_of_the_accepting_segment_once_dy_is_dear(
        tmp_path, solve_case):
    """At P = 5000 GBD costs 250 per t against 300: it serves the motor up to its share (75 of
    100 t, the share binds); the generator does not accept it and the rest of the motor's
    demand is made conventionally (125 t). Cost 75 x 250 + 125 x 300 = 56,250. Dy/Tb saved
    75 x (0.04 - 0.02) = 1.5 t; no swarf in this chain."""
    out = solve_case(gbd_case(tmp_path, 5000))
    assert out.summary["objectives"]["cost"] == pytest.approx(56250)
    assert activity(out) == pytest.approx({"make": 125, "make_gbd": 75})
    assert out.tables["shortfall"].empty
    table = out.tables["productivity"]
    assert table.drop(columns=["dytb_saved_t", "ndpr_saved_t", "swarf_avoided_t"]).to_dict(
        "records") == [{"scenario": "base", "year": 2025, "lever": "make_gbd", "region": "H",
                        "activity_t": pytest.approx(75)}]
    assert table[["dytb_saved_t", "ndpr_saved_t", "swarf_avoided_t"]].iloc[0].tolist() == \
        pytest.approx([1.5, 0.0, 0.0])


# Near-net shape: 1.307 t alloy and 0.274 t swarf per t magnet instead of 1.48 and 0.444
# (models/ndfeb.yaml); the motor accepts near-net-shape magnets for up to half its demand.
NNS_CHAIN = """\
name: nns
commodities:
  alloy: {rare_earths: {ndpr: 0.29, dytb: 0.025}}
  magnet: {rare_earths: {ndpr: 0.29, dytb: 0.025}}
  magnet_nns: {rare_earths: {ndpr: 0.29, dytb: 0.025}}
  swarf: {disposable: true, rare_earths: {ndpr: 0.29, dytb: 0.025}}
  eol_motor: {disposable: true}
processes:
  sinter:
    stage: magnet
    inputs: {alloy: 1.48}
    outputs: {magnet: 1.0, swarf: 0.444}
    rare_earth_loss: 0.025
  sinter_nns:
    stage: magnet
    inputs: {alloy: 1.307}
    outputs: {magnet_nns: 1.0, swarf: 0.274}
    rare_earth_loss: 0.025
products:
  motor:
    placed_commodity: magnet
    eol_commodity: eol_motor
    lifetime: {distribution: fixed, mean: 50}
    accepts: {magnet_nns: {max_share: 0.5}}
"""


def test_near_net_shape_cuts_swarf_by_the_hand_computed_tonnes(tmp_path, solve_case):
    """Alloy at 1000 per t; conventional 1480 + 100 = 1580 per t of magnet, near net shape
    1307 + 150 = 1457: near net shape makes its share, 100 of 200 t. Cost 100 x 1457 +
    100 x 1580 = 303,700. Swarf 100 x 0.274 + 100 x 0.444 = 71.8 t instead of 200 x 0.444 =
    88.8 t: 17.0 t avoided = 100 x (0.444 - 0.274); alloy saved 100 x 0.173 = 17.3 t, holding
    0.4325 t Dy/Tb and 5.017 t NdPr."""
    folder = write_instance(tmp_path, NNS_CHAIN, {
        "offers.csv": "offer,region,commodity,price_per_t\nbuy_alloy,H,alloy,1000\n",
        "facilities.csv": "facility,process,region,existing_t,variable_cost_per_t\n"
                          "plant,sinter,H,1000,100\nplant_nns,sinter_nns,H,1000,150\n",
        "demand.csv": "region,commodity,year,demand_t,product\nH,magnet,2025,200,motor\n",
    })
    out = solve_case(folder)
    assert out.summary["objectives"]["cost"] == pytest.approx(303700)
    assert activity(out) == pytest.approx({"sinter": 100, "sinter_nns": 100})
    swarf = out.tables["disposal"].set_index("commodity")["disposed_t"]
    assert swarf["swarf"] == pytest.approx(71.8)
    row = out.tables["productivity"].iloc[0]
    assert (row["lever"], row["activity_t"]) == ("sinter_nns", pytest.approx(100))
    assert [row["swarf_avoided_t"], row["dytb_saved_t"], row["ndpr_saved_t"]] == pytest.approx(
        [17.0, 0.4325, 5.017])


def test_ndfeb_lever_routes_are_compared_with_conventional_magnet_making():
    """In models/ndfeb.yaml, per t of magnet: GBD feeds 1.476 x 0.010 + 0.005 = 0.01976 t Dy/Tb
    against 1.48 x 0.025 = 0.037 (0.01724 saved) and makes 0.443 t swarf against 0.444; near
    net shape feeds 1.307 t alloy (0.173 t less: 0.004325 t Dy/Tb, 0.05017 t NdPr) and makes
    0.274 t swarf (0.170 t less). Dy-lean casting and reuse are not lever routes."""
    chain, problems = load_chain(ROOT / "models/ndfeb.yaml")
    assert problems == []
    routes = lever_routes(chain).set_index("lever")
    if "magnet_sintering_gbd" not in routes.index:
        pytest.skip("models/ndfeb.yaml does not yet let products accept the lever magnets")
    assert set(routes.index) == {"magnet_sintering_gbd", "magnet_sintering_nns"}
    assert set(routes["conventional"]) == {"magnet_sintering"}
    gbd, nns = routes.loc["magnet_sintering_gbd"], routes.loc["magnet_sintering_nns"]
    assert [gbd["dytb_saved_t"], gbd["ndpr_saved_t"], gbd["swarf_avoided_t"]] == pytest.approx(
        [0.01724, 1.48 * 0.29 - 1.476 * 0.29, 0.001])
    assert [nns["dytb_saved_t"], nns["ndpr_saved_t"], nns["swarf_avoided_t"]] == pytest.approx(
        [0.004325, 0.05017, 0.170])


def test_report_lists_what_each_lever_saved(tmp_path, solve_case):
    """The run folder holds productivity.csv and the report a line per scenario and lever:
    75 t made Dy-lean, 1.5 t Dy/Tb saved (the case of the test above)."""
    from planner.report.solution import write_report
    from planner.runs import write_run

    out = solve_case(gbd_case(tmp_path / "case", 5000))
    run = tmp_path / "run"
    write_run(run, out.tables, out.summary, force=False)
    assert (run / "productivity.csv").read_text().splitlines() == [
        "scenario,year,lever,region,activity_t,dytb_saved_t,ndpr_saved_t,swarf_avoided_t",
        "base,2025,make_gbd,H,75,1.5,0,0"]
    html = write_report(run).read_text()
    assert "<h3>Resource productivity</h3>" in html
    assert ("<td>base</td><td>make_gbd</td><td class=\"n\">75</td><td class=\"n\">1.5</td>"
            in html)


def test_no_lever_route_gives_an_empty_table_with_its_columns(tmp_path, solve_case):
    out = solve_case(gbd_case(tmp_path, 2000))
    assert list(out.tables["productivity"].columns) == [
        "scenario", "year", "lever", "region", "activity_t", "dytb_saved_t", "ndpr_saved_t",
        "swarf_avoided_t"]
