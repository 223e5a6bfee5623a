"""The bundled UK instance: valid, solves, and its solution balances every tonne."""

from __future__ import annotations

import pytest

from planner.data.load import read_instance
from planner.results.balance import balance_residuals
from tests.conftest import ROOT

UK = ROOT / "instances/uk-baseline"


@pytest.fixture
def uk(uk_outcome):
    return uk_outcome


def test_uk_instance_is_valid_without_warnings():
    instance, problems = read_instance(UK)
    assert instance is not None and problems == []
    domestic = set(instance.regions.loc[instance.regions["domestic"], "region"])
    assert {"GB_BHM", "GB_HUM", "GB_ELP", "GB_BFS"} <= domestic
    countries = set(instance.regions["country"])
    assert {"CN", "MY", "AU", "US", "MM", "EE", "JP", "AO", "MW", "BR"} <= countries
    assert (UK / "SOURCES.md").is_file()


def test_uk_solves_to_the_gap(uk):
    assert uk.summary["status"] == "optimal"
    assert uk.summary["mip_gap"] <= 1e-3 + 1e-9
    assert uk.summary["model"]["integer_variables"] > 0


def test_uk_mass_balance_closes_everywhere(uk):
    residuals = balance_residuals(uk.tables, uk.instance.chain, uk.model.sets.demand)
    # every region, commodity and year with demand or arrivals is checked, and balances
    rows = uk.model.frames["balance"]
    keys = set(zip(residuals["region"], residuals["commodity"], residuals["year"]))
    given = rows[rows["rhs"] != 0]
    assert set(zip(given["region"], given["commodity"], given["year"])) <= keys
    assert residuals["residual_t"].abs().max() < 1e-6


def test_uk_costs_and_loop_shares_add_up(uk):
    costs = uk.tables["costs"]
    expected = (costs["probability"] * costs["value_GBP"]).sum()
    assert expected == pytest.approx(uk.summary["objectives"]["cost"], rel=1e-9)
    shares = uk.tables["loop_shares"].groupby(["scenario", "year", "commodity"])["share"].sum()
    assert shares.to_numpy() == pytest.approx(1.0)
    met = uk.tables["loop_shares"].groupby("year")["met_t"].sum()
    demand = uk.model.sets.demand.groupby("year")["demand_t"].sum()
    assert met.to_numpy() == pytest.approx(demand.loc[met.index].to_numpy())


def test_uk_existing_tyseley_plant_runs(uk):
    activity = uk.tables["activity"]
    tyseley = activity[activity["facility"].str.contains("tyseley")]
    assert tyseley["activity_t"].sum() > 0
