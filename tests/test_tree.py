"""The scenario tree (planner.tree): decisions wait for what each scenario reveals, and every
decision of a year is the same in all scenarios that cannot yet be told apart.

The case: magnets at H, demand 50 t in 2026 and 100 t in 2027, imported at 100/t (rate 0,
penalty 100,000/t). A plant can be built: one 100 t module, capex 9,000 (life 1, so charged
once, in the one year it operates), lead 1 year, making at 20/t. In `cut` (p = 0.4, known
from 2026) China sells nothing in 2027; `base` (p = 0.6) goes on as before.

  tree (build in 2026 once the cut is known, only in `cut`):
    base 5,000 + 10,000 = 15,000;  cut 5,000 + 9,000 + 2,000 = 16,000
    expected 0.6 x 15,000 + 0.4 x 16,000 = 15,400
  two-stage (builds shared): build for all: 5,000 + 11,000 = 16,000 in both scenarios
    (not building costs 0.4 x 100 t x 100,000 of unmet demand)
  value of waiting: 16,000 - 15,400 = 600 = 0.6 x (11,000 - 10,000)
"""

from __future__ import annotations

import pytest

from planner.data.load import load_instance
from planner.errors import InputError
from planner.tree import ScenarioTree
from tests.conftest import MAKE_CHAIN, write_instance

CASE = {
    "offers.csv": "offer,region,commodity,price_per_t,max_t\nbuy_a,A,m,100,1000\n",
    "links.csv": "origin,destination,commodity,cost_per_t\nA,H,m,0\n",
    "facilities.csv": "facility,process,region,module_t,max_modules,capex_per_module,"
                      "variable_cost_per_t,life_years,lead_years\nplant,make,H,100,1,9000,20,1,1\n",
    "demand.csv": "region,commodity,year,demand_t\nH,m,2026,50\nH,m,2027,100\n",
    "scenarios.csv": "scenario,probability,parent,known_from\nbase,0.6,,\ncut,0.4,base,2026\n",
    "scenario_effects.csv": "scenario,target,attribute,from_year,to_year,multiply\n"
                            "cut,buy_a,max_t,2027,2027,0\n",
}
SHARED = "builds: shared\n"


def case(tmp_path, extra: str = "", **tables):
    folder = write_instance(tmp_path, MAKE_CHAIN, {**CASE, **tables}, end=2027)
    if extra:
        with open(folder / "instance.yaml", "a") as f:
            f.write(extra)
    return folder


def plan(outcome) -> list[tuple]:
    p = outcome.tables["build_plan"]
    return sorted(zip(p["scenarios"], p["year"], p["facility"], p["modules"]))


def test_waiting_to_build_is_optimal_on_the_tree(tmp_path, solve_case):
    out = solve_case(case(tmp_path))
    assert out.summary["objectives"]["cost"] == pytest.approx(15_400)
    assert plan(out) == [("cut", 2026, "plant", 1)]
    per = {s["scenario"]: s["cost"] for s in out.summary["scenarios"]}
    assert per == pytest.approx({"base": 15_000, "cut": 16_000})
    assert out.summary["expected_unmet_t"] == 0


def test_system_cost_and_unmet_penalty_apart(tmp_path, solve_case):
    """Without the plant, cut leaves 100 t unmet in 2027 at the 100,000/t penalty:
    base 5,000 + 10,000 = 15,000 spent; cut 5,000 spent + 10,000,000 of penalty.
    Objective 0.6 x 15,000 + 0.4 x 10,005,000 = 4,011,000 = system cost 0.6 x 15,000 +
    0.4 x 5,000 = 11,000 + penalty 0.4 x 10,000,000 = 4,000,000; expected unmet 0.4 x 100 =
    40 t, named by scenario."""
    no_plant = CASE["facilities.csv"].splitlines()[0] + "\n"
    out = solve_case(case(tmp_path, **{"facilities.csv": no_plant}))
    s = out.summary
    assert s["objectives"]["cost"] == pytest.approx(4_011_000)
    assert s["system_cost"] == pytest.approx(11_000)
    assert s["unmet_penalty"] == pytest.approx(4_000_000)
    assert s["system_cost"] + s["unmet_penalty"] == pytest.approx(s["objectives"]["cost"])
    assert s["expected_unmet_t"] == pytest.approx(40)
    assert s["unmet_by_scenario_t"] == pytest.approx({"base": 0, "cut": 100})
    per = {(r["scenario"], k): r[k] for r in s["scenarios"]
           for k in ("system_cost", "unmet_penalty")}
    assert per == pytest.approx({("base", "system_cost"): 15_000, ("base", "unmet_penalty"): 0,
                                 ("cut", "system_cost"): 5_000,
                                 ("cut", "unmet_penalty"): 10_000_000})


def test_shared_builds_cost_the_value_of_waiting_more(tmp_path, solve_case):
    shared = solve_case(case(tmp_path / "shared", SHARED))
    assert shared.summary["objectives"]["cost"] == pytest.approx(16_000)
    assert plan(shared) == [("all scenarios", 2026, "plant", 1)]
    tree = solve_case(case(tmp_path / "tree"))
    assert shared.summary["objectives"]["cost"] - tree.summary["objectives"]["cost"] == \
        pytest.approx(600)


def test_without_a_tree_builds_are_shared_as_in_the_two_stage_programme(tmp_path, solve_case):
    """scenarios.csv without parent and known_from: two roots, known from the start, builds
    shared (today's two-stage programme)."""
    out = solve_case(case(tmp_path, **{
        "scenarios.csv": "scenario,probability\nbase,0.6\ncut,0.4\n"}))
    assert out.summary["objectives"]["cost"] == pytest.approx(16_000)
    assert plan(out)[0][0] == "all scenarios"


def test_decisions_before_the_branch_are_equal_across_its_scenarios(tmp_path, solve_case):
    """Three levels: deep branches from cut in 2027. Every variable of a year holds one value
    in the scenarios that share its node, and the model holds each such decision once."""
    tables = {
        "scenarios.csv": "scenario,probability,parent,known_from\nbase,0.5,,\ncut,0.3,base,2026\n"
                         "deep,0.2,cut,2027\n",
        "scenario_effects.csv": "scenario,target,attribute,from_year,to_year,multiply\n"
                                "cut,buy_a,max_t,2027,2027,0\ndeep,buy_a,max_t,2027,2027,0\n"
                                "deep,H,demand_t,2027,2027,1.5\n",
    }
    out = solve_case(case(tmp_path, **tables))
    tree = ScenarioTree.of(load_instance(case(tmp_path / "again", **tables)))
    nodes = tree.node_table()
    assert nodes.set_index(["scenario", "year"])["node"].to_dict() == {
        ("base", 2025): "base", ("base", 2026): "base", ("base", 2027): "base",
        ("cut", 2025): "base", ("cut", 2026): "cut", ("cut", 2027): "cut",
        ("deep", 2025): "base", ("deep", 2026): "cut", ("deep", 2027): "deep"}
    assert tree.stages == [2025, 2026, 2027]
    for name in ("purchases", "flows", "activity"):
        table = out.tables[name]
        value = [c for c in table.columns if c.endswith("_t")][0]
        keyed = table.merge(nodes, on=["scenario", "year"])
        keys = [c for c in table.columns if c not in ("scenario", value) and
                not c.endswith("_t") and c != "utilisation"]
        spread = keyed.groupby(keys + ["node"])[value].agg(["min", "max", "size"])
        assert (spread["max"] - spread["min"]).abs().max() < 1e-9, name
    # 2026: base alone; cut and deep together: one build decision for both
    assert plan(out) == [("cut, deep", 2026, "plant", 1)]


def test_a_tree_that_knows_too_early_is_refused(tmp_path):
    """An effect of a scenario in a year before it is known would let decisions see it."""
    folder = case(tmp_path, **{
        "scenarios.csv": "scenario,probability,parent,known_from\nbase,0.6,,\ncut,0.4,base,2027\n",
        "scenario_effects.csv": "scenario,target,attribute,from_year,to_year,multiply\n"
                                "cut,buy_a,max_t,2026,2027,0\n"})
    with pytest.raises(InputError) as err:
        load_instance(folder)
    text = " ".join(str(p) for p in err.value.problems)
    assert "scenario_effects.csv" in text and "before it is known (2027)" in text


def test_bad_trees_are_named_all_at_once(tmp_path):
    folder = case(tmp_path, **{
        "scenarios.csv": "scenario,probability,parent,known_from\nbase,0.4,,\n"
                         "a,0.2,nowhere,2026\nb,0.2,base,\nc,0.2,,2026\n",
        "scenario_effects.csv": "scenario,target,attribute,from_year,to_year,multiply\n"})
    with pytest.raises(InputError) as err:
        load_instance(folder)
    text = " ".join(str(p) for p in err.value.problems)
    assert "unknown parent 'nowhere'" in text
    assert "'b' branches from 'base' but has no known_from" in text
    assert "'c' has known_from 2026 but no parent" in text


def test_an_effect_of_every_scenario(tmp_path, solve_case):
    """scenario `*`: a price path all scenarios share (x1.1 on imports in 2026) adds 500 to
    the tree's 15,400 (50 t at 10 more) in both scenarios."""
    effects = CASE["scenario_effects.csv"] + "*,buy_a,price_per_t,2026,2026,1.1\n"
    out = solve_case(case(tmp_path, **{"scenario_effects.csv": effects}))
    assert out.summary["objectives"]["cost"] == pytest.approx(15_900)


def test_stochastic_metrics_of_the_tree(tmp_path):
    """VSS and EVPI for the tree. Wait-and-see: base alone 15,000, cut alone 16,000, so
    WS = 15,400 = RP: the cut is known in 2026, in time to build, and foresight is worth
    nothing (EVPI 0). The expected-value problem (2027 imports capped at 0.6 x 1000 t) never
    builds; held in the tree, `cut` goes 100 t short in 2027: EEV = 0.6 x 15,000 + 0.4 x
    (5,000 + 100 x 100,000) = 4,011,000, VSS = 3,995,600."""
    from planner.solve.stochastic import stochastic_metrics

    metrics = stochastic_metrics(load_instance(case(tmp_path)), rp=15_400)
    assert metrics.wait_and_see == pytest.approx({"base": 15_000, "cut": 16_000})
    assert metrics.evpi == pytest.approx(0, abs=1e-6)
    assert metrics.eev == pytest.approx(4_011_000)
    assert metrics.vss == pytest.approx(3_995_600)
