"""Risk measures by hand: CVaR of the shortfall over scenarios, concentration by country."""

from __future__ import annotations

import numpy as np
import pytest

from planner.results.risk import cvar
from tests.conftest import MAKE_CHAIN, write_instance

SETTINGS = """\
name: risk
model: chain.yaml
years: {start: 2025, end: 2025}
shortage_penalty_per_t: 1000
cvar_alpha: 0.75
"""


def test_cvar_of_a_discrete_distribution():
    """Losses 0, 10, 40 with probabilities 0.5, 0.3, 0.2. At alpha 0.75 the worst 25 % is 0.2
    of loss 40 and 0.05 of loss 10: CVaR = (0.2 * 40 + 0.05 * 10) / 0.25 = 34. At alpha 0 it
    is the mean, 11; at alpha 0.8 the worst 20 %, 40."""
    losses, p = np.array([0.0, 10.0, 40.0]), np.array([0.5, 0.3, 0.2])
    assert cvar(losses, p, 0.75) == pytest.approx(34)
    assert cvar(losses, p, 0.0) == pytest.approx(11)
    assert cvar(losses, p, 0.8) == pytest.approx(40)


def test_shortfall_measures_and_concentration_in_a_run(tmp_path, solve_case):
    """Demand 100 t at H, supplied only from A (CN) up to 100 t and B (US) up to 50 t; scenario
    `cut` (0.3) halves A's offer, `ban` (0.2) stops it. Shortfalls: 0, 0 (50 + 50), 50 t.
    Expected 0.2 * 50 = 10 t; CVaR_0.75 = (0.2 * 50 + 0.05 * 0) / 0.25 = 40 t.
    In the base scenario A (cheaper) ships all 100 t: CN's share of magnet imports is 1."""
    regions = ("region,country,domestic,risk,grid_kgco2e_per_kwh\nH,GB,true,0.2,0\n"
               "A,CN,false,0.6,0\nB,US,false,0.3,0\n")
    tables = {
        "regions.csv": regions,
        "offers.csv": "offer,region,commodity,price_per_t,max_t\nbuy_a,A,m,100,100\n"
                      "buy_b,B,m,150,50\n",
        "links.csv": "origin,destination,commodity\nA,H,m\nB,H,m\n",
        "facilities.csv": "facility,process,region\nplant,make,A\n",
        "demand.csv": "region,commodity,year,demand_t\nH,m,2025,100\n",
        "scenarios.csv": "scenario,probability\nbase,0.5\ncut,0.3\nban,0.2\n",
        "scenario_effects.csv": "scenario,target,attribute,multiply\ncut,buy_a,max_t,0.5\n"
                                "ban,country:CN,max_t,0\n",
    }
    out = solve_case(write_instance(tmp_path, MAKE_CHAIN, tables, settings=SETTINGS))
    measures = out.summary["risk_measures"]
    assert measures["expected_shortfall_t"] == pytest.approx(10)
    assert measures["cvar_shortfall_t"] == pytest.approx(40)
    assert measures["exposure"] == pytest.approx(
        0.5 * 0.6 * 100 + 0.3 * (0.6 * 50 + 0.3 * 50) + 0.2 * 0.3 * 50)
    conc = out.tables["concentration"].set_index(["scenario", "country"])
    assert conc.loc[("base", "CN"), "share"] == pytest.approx(1.0)
    assert conc.loc[("cut", "CN"), "imported_t"] == pytest.approx(50)
    assert conc.loc[("cut", "US"), "share"] == pytest.approx(0.5)
    assert measures["max_country_t"] == pytest.approx(100)
    assert measures["max_country"]["country"] == "CN"
