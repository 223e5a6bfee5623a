"""Re-solving in place: a model in HiGHS updated with changed numbers gives the optimum a
rebuild gives, and a changed structure is rebuilt."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.data.changes import parse_change
from planner.data.overrides import load_resolved
from planner.solve import SolveOptions
from planner.solve.inplace import Resolver
from planner.workflow import solve_instance, solve_reusing
from tests.conftest import ROOT

TOY = ROOT / "instances/toy"
EXACT = SolveOptions(mip_gap=0.0, threads=1)


@pytest.mark.parametrize("changes, in_place", [
    (["offers.cn_magnets.price_per_t=90000"], True),           # objective coefficients
    (["discount_rate=0.05"], True),                            # every cost coefficient
    (["demand[*].demand_t*=1.3"], True),                       # right-hand sides and bounds
    (["offers.cn_oxide.max_t=40"], True),                      # a variable bound
    (["facilities.uk_hpms.max_modules=1"], True),              # an integer bound
    (["facilities.uk_magnets.earliest_year=2027"], False),     # fewer build variables
    (["links.CN>UK:oxide.loss=0.1"], False),                   # a matrix coefficient
])
def test_a_resolve_in_place_equals_a_rebuild(changes, in_place):
    resolver = Resolver(EXACT)
    solve_reusing(resolver, TOY)
    changed = [parse_change(c) for c in changes]
    reused = solve_reusing(resolver, TOY, changed)
    fresh = solve_instance(TOY, EXACT, changes=changed)
    assert reused.summary["in_place"] is in_place
    assert reused.summary["objectives"]["cost"] == pytest.approx(
        fresh.summary["objectives"]["cost"], rel=1e-9)
    for name in ("builds", "costs"):
        pd.testing.assert_frame_equal(reused.tables[name], fresh.tables[name],
                                      check_exact=False, rtol=1e-7, atol=1e-6)
    assert reused.summary["mass_balance_max_residual_t"] < 1e-6
    assert (resolver.rebuilt, resolver.updated) == ((1, 1) if in_place else (2, 0))


def test_updates_accumulate_and_return():
    """Change, change again, and back: the model in HiGHS follows every step."""
    resolver = Resolver(EXACT)
    base = solve_reusing(resolver, TOY).summary["objectives"]["cost"]
    up = [parse_change("offers.cn_magnets.price_per_t*=1.3")]
    dear = solve_reusing(resolver, TOY, up).summary["objectives"]["cost"]
    assert dear == pytest.approx(solve_instance(TOY, EXACT, changes=up).summary[
        "objectives"]["cost"])
    assert solve_reusing(resolver, TOY).summary["objectives"]["cost"] == pytest.approx(base)
    assert resolver.rebuilt == 1 and resolver.updated == 2
    instance, _ = load_resolved(TOY)
    assert instance.name == "toy"


def test_a_sweep_in_place_equals_a_rebuilt_sweep(tmp_path):
    grid = ["--grid", "offers.cn_magnets.price_per_t=60000:90000:3", "--mip-gap", "0"]
    assert CliRunner().invoke(main, ["sweep", str(TOY), *grid, "--out",
                                     str(tmp_path / "a")]).exit_code == 0
    assert CliRunner().invoke(main, ["sweep", str(TOY), *grid, "--rebuild", "--out",
                                     str(tmp_path / "b")]).exit_code == 0
    a, b = (pd.read_csv(tmp_path / f / "sweep.csv") for f in ("a", "b"))
    assert list(a["in_place"]) == [False, True, True] and not b["in_place"].any()
    pd.testing.assert_frame_equal(a.drop(columns=["seconds", "in_place"]),
                                  b.drop(columns=["seconds", "in_place"]))


def test_a_plan_held_fixed_is_re_solved_in_place(tmp_path):
    """With every build held to a plan the model is an LP: each point updates it in place and
    restarts from its basis; the results equal a rebuilt sweep's."""
    base = tmp_path / "base"
    assert CliRunner().invoke(main, ["solve", str(TOY), "--out", str(base), "--mip-gap",
                                     "0"]).exit_code == 0
    grid = ["--grid", "offers.cn_magnets.price_per_t=60000:120000:4", "--evaluate", str(base)]
    for name, extra in (("a", []), ("b", ["--rebuild"])):
        result = CliRunner().invoke(main, ["sweep", str(TOY), *grid, *extra, "--out",
                                           str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    a, b = (pd.read_csv(tmp_path / f / "sweep.csv") for f in ("a", "b"))
    assert list(a["in_place"]) == [False, True, True, True]
    pd.testing.assert_frame_equal(a.drop(columns=["seconds", "in_place"]),
                                  b.drop(columns=["seconds", "in_place"]))
    builds = pd.read_csv(base / "builds.csv")
    for n in range(1, 5):
        held = pd.read_csv(tmp_path / "a" / "points" / f"point_{n:04d}" / "builds.csv")
        pd.testing.assert_frame_equal(held, builds)


def test_a_rising_price_carries_the_last_plan_within_the_gap():
    """At a 5 % gap, oxide at 61,000 instead of 60,000 GBP/t: the last plan stays feasible and
    costs 264 t x 1,000 GBP more (no discounting), within 5 % of the last bound, so it is kept
    without a search; and it is still the optimum. A fall on an unbounded purchase, a limit that
    cuts the plan and a demand that falls (a loosened bound) are searched again."""
    resolver = Resolver(SolveOptions(mip_gap=0.05, threads=1))
    base = solve_reusing(resolver, TOY)
    assert base.summary["objectives"]["cost"] == pytest.approx(24_896_722.666667)
    assert not base.summary["carried"]
    rise = [parse_change("offers.cn_oxide.price_per_t=61000")]
    carried = solve_reusing(resolver, TOY, rise)
    assert carried.summary["carried"] and resolver.carried == 1
    assert carried.summary["objectives"]["cost"] == pytest.approx(24_896_722.666667 + 264_000)
    assert carried.summary["objectives"]["cost"] == pytest.approx(
        solve_instance(TOY, EXACT, changes=rise).summary["objectives"]["cost"])
    assert 0 < carried.summary["mip_gap"] <= 0.05
    pd.testing.assert_frame_equal(carried.tables["builds"], base.tables["builds"])
    assert carried.summary["mass_balance_max_residual_t"] < 1e-6
    assert len(carried.tables["shadow_prices"])  # the fixed LP's duals from the carried plan
    for change in ("offers.cn_oxide.price_per_t=60500", "offers.cn_oxide.max_t=40",
                   "demand[*].demand_t*=0.9"):
        resolver = Resolver(SolveOptions(mip_gap=0.05, threads=1))
        solve_reusing(resolver, TOY, rise)
        changed = rise + [parse_change(change)]
        searched = solve_reusing(resolver, TOY, changed)
        assert searched.summary["in_place"] and not searched.summary["carried"], change
        assert searched.summary["objectives"]["cost"] == pytest.approx(
            solve_instance(TOY, EXACT, changes=changed).summary["objectives"]["cost"],
            rel=0.05)
