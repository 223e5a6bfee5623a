"""The model handed to HiGHS as arrays (planner.solve.handover.ArrayHandover, the default) is the
model Pyomo's persistent interface hands it: the same columns and rows (matched by the Pyomo
variables and constraints they stand for), matrix, column and row bounds, integrality,
objective and offset; on the toy instance, on scenario trees (aliased variables and rows), with
decisions imposed (fixed variables, module totals), and after rows, objectives and parameters
changed once the model is in HiGHS."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
import scipy.sparse as sp

from planner.data.load import load_instance
from planner.formulation.build import build_model
from planner.formulation.decisions import Decisions, FixBuild, apply_decisions
from planner.formulation.measures import Linear, measure, objective_of
from planner.formulation.rows import pyomo_rows
from planner.solve.duals import fixed_lp_duals
from planner.solve.highs import HighsSession, SolveOptions
from planner.solve.tradeoffs import EPSILON, EPSILON_VALUE, Optimiser
from tests.conftest import ROOT
from tests.test_tree import SHARED, case

TOY = ROOT / "instances/toy"
OPTIONS = SolveOptions(mip_gap=0.0)
DEEP = {  # three levels: `deep` branches from `cut` in 2027
    "scenarios.csv": "scenario,probability,parent,known_from\nbase,0.5,,\ncut,0.3,base,2026\n"
                     "deep,0.2,cut,2027\n",
    "scenario_effects.csv": "scenario,target,attribute,from_year,to_year,multiply\n"
                            "cut,buy_a,max_t,2027,2027,0\ndeep,buy_a,max_t,2027,2027,0\n"
                            "deep,H,demand_t,2027,2027,1.5\n",
}


def key(component_data) -> tuple[str, str]:
    """A Pyomo variable or constraint named so that two builds of one model agree."""
    return component_data.parent_component().name, str(component_data.index())


def held(session: HighsSession) -> dict:
    """The model HiGHS holds, its columns and rows ordered by the Pyomo objects they stand for.

    Pyomo's persistent interface also makes a column of each fixed variable that a row or the
    objective names, with no matrix entry and no cost, its bounds the fixed value (the value
    itself enters the row bounds and the offset): such columns are checked to be exactly that
    and left out, as the array route leaves them out."""
    model, route = session.pm.model, session.route
    pyomo_rows(model)  # made on demand: the arrays went to HiGHS without them
    variables = list(model.component_data_objects(pyo.Var, descend_into=True))
    cols = {key(v): route.variable_column(v) for v in variables}
    fixed = np.array([route.variable_column(v) for v in variables if v.fixed], dtype=int)
    fixed_values = np.array([v.value for v in variables if v.fixed], dtype=float)
    fixed_values, fixed = fixed_values[fixed >= 0], fixed[fixed >= 0]
    lp = session.highs.getLp()
    m = lp.a_matrix_
    kind = sp.csc_matrix if m.format_ == type(m.format_).kColwise else sp.csr_matrix
    shape = (lp.num_row_, lp.num_col_)
    matrix = kind((np.asarray(m.value_), np.asarray(m.index_), np.asarray(m.start_)), shape)
    if len(fixed):
        assert (matrix.getnnz(axis=0)[fixed] == 0).all()
        assert (np.asarray(lp.col_cost_)[fixed] == 0).all()
        np.testing.assert_array_equal(np.asarray(lp.col_lower_)[fixed], fixed_values)
        np.testing.assert_array_equal(np.asarray(lp.col_upper_)[fixed], fixed_values)
        cols = {k: j for (k, j), v in zip(cols.items(), variables) if not v.fixed}
    rows = {key(c): route.constraint_row(c)
            for c in model.component_data_objects(pyo.Constraint, active=True)}
    cols = dict(sorted((k, j) for k, j in cols.items() if j >= 0))
    rows = dict(sorted((k, i) for k, i in rows.items() if i >= 0))
    in_use = sorted([*cols.values(), *fixed])
    assert in_use == list(range(lp.num_col_))  # every column stands for one
    assert sorted(rows.values()) == list(range(lp.num_row_))  # variable, every row for one
    c, r = list(cols.values()), list(rows.values())
    integrality = np.array([int(k) for k in lp.integrality_] or [0] * lp.num_col_)
    return {
        "columns": list(cols), "rows": list(rows),
        "matrix": matrix.tocsr()[r][:, c].tocoo(),
        "col_lower": np.asarray(lp.col_lower_)[c], "col_upper": np.asarray(lp.col_upper_)[c],
        "integrality": integrality[c], "cost": np.asarray(lp.col_cost_)[c],
        "row_lower": np.asarray(lp.row_lower_)[r], "row_upper": np.asarray(lp.row_upper_)[r],
        "offset": lp.offset_, "sense": int(lp.sense_),
    }


def assert_same_model(arrays: HighsSession, pyomo: HighsSession) -> None:
    a, b = held(arrays), held(pyomo)
    assert a["columns"] == b["columns"]
    assert a["rows"] == b["rows"]
    assert (a["matrix"] != b["matrix"]).nnz == 0
    for name in ("col_lower", "col_upper", "integrality", "cost"):
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    for name in ("row_lower", "row_upper", "offset"):  # fixed values summed in another order
        np.testing.assert_allclose(a[name], b[name], rtol=1e-12, atol=1e-9, err_msg=name)
    assert a["sense"] == b["sense"]


def sessions(folder, decisions: Decisions = Decisions()) -> dict[str, HighsSession]:
    """The instance at `folder` built twice (once per route), decisions imposed, handed over."""
    instance = load_instance(folder)
    out = {}
    for route in ("arrays", "pyomo"):
        pm = build_model(instance)
        apply_decisions(pm, decisions)
        out[route] = HighsSession(pm, OPTIONS, handover=route)
    return out


def tree_case(tmp_path, variant: str):
    if variant == "shared builds":
        return case(tmp_path, SHARED)
    return case(tmp_path, **(DEEP if variant == "three levels" else {}))


@pytest.mark.parametrize("decisions", [
    Decisions(),
    # a module total (a row made in Pyomo alone) and a forbidden build (fixed at 0)
    Decisions(fix_build=(FixBuild("uk_magnets", 2),), forbid_build=("uk_hpms",)),
    # a build fixed in its year, a country's purchases and flows fixed at 0
    Decisions(fix_build=(FixBuild("uk_magnets", 1, 2026),), forbid_country=("CN",)),
], ids=["plain", "module total", "fixed year"])
def test_the_toy_model_is_handed_over_as_pyomo_would(decisions):
    s = sessions(TOY, decisions)
    assert_same_model(s["arrays"], s["pyomo"])
    assert s["arrays"].highs.getNumNz() > 0


def test_integers_relaxed_after_the_build_are_handed_over_continuous():
    """The integer families' domain changed on the Pyomo model (the LP relaxation) reaches
    HiGHS."""
    instance = load_instance(TOY)
    s = {}
    for route in ("arrays", "pyomo"):
        pm = build_model(instance)
        for objects in pm.variables.values():
            if len(objects) and objects[0].is_integer():
                objects[0].parent_component().domain = pyo.NonNegativeReals
        s[route] = HighsSession(pm, OPTIONS, handover=route)
    assert not any(int(k) for k in s["arrays"].highs.getLp().integrality_)
    assert_same_model(s["arrays"], s["pyomo"])


@pytest.mark.slow
def test_the_uk_model_is_handed_over_as_pyomo_would():
    """Every family of rows the bundled UK instance has (policies, products, stocks, six
    scenarios on a tree); slow: Pyomo's interface takes seconds on its 220 k nonzeros."""
    s = sessions(ROOT / "instances/uk-baseline")
    assert_same_model(s["arrays"], s["pyomo"])


@pytest.mark.parametrize("variant", ["tree", "shared builds", "three levels"])
def test_a_scenario_tree_is_handed_over_as_pyomo_would(tmp_path, variant):
    s = sessions(tree_case(tmp_path, variant))
    pm = s["arrays"].pm
    assert any(len(np.unique(a)) < len(a) for a in pm.model._planner_specs.alias.values())
    assert_same_model(s["arrays"], s["pyomo"])


def test_a_plan_held_with_its_builds_fixed_is_handed_over_as_pyomo_would(tmp_path):
    """Every build fixed (evaluate a plan): builds leave the columns, their capacity moves
    into the bounds of the capacity rows."""
    folder = tree_case(tmp_path, "tree")
    plan = build_model(load_instance(folder)).frames["build"][["facility", "year"]]
    s = sessions(folder, Decisions(plan=plan.assign(modules=1)))
    assert (s["arrays"].column_map()["build"] == -1).all()
    assert_same_model(s["arrays"], s["pyomo"])


def test_rows_objectives_and_parameters_changed_later_reach_highs_alike():
    """A limit on a measure (a mutable bound), then moved; a slack variable in a new row and in
    the objective (as AUGMECON adds them); another objective."""
    s = sessions(TOY)
    for session in s.values():
        pm = session.pm
        opt = Optimiser(pm, OPTIONS, session=session)
        opt.bound("emissions", 1e6)
        opt.bound("emissions", 5e5)  # moves the parameter only
        slack = pyo.Var(domain=pyo.NonNegativeReals)
        pm.model.add_component("augmecon_slack_risk", slack)
        opt.upper_bound(EPSILON, EPSILON_VALUE, "risk",
                        measure(pm, "risk") + Linear({}, [(slack, 1.0)]), 1e4)
        opt.objective(objective_of(pm, {"cost": 1.0}) + Linear({}, [(slack, -1e-3)]))
    assert_same_model(s["arrays"], s["pyomo"])
    for session in s.values():
        Optimiser(session.pm, OPTIONS, session=session).objective(
            objective_of(session.pm, {"risk": 1.0}))
    assert_same_model(s["arrays"], s["pyomo"])


def test_a_measure_first_asked_for_after_the_hand_over_brings_its_rows():
    """CVaR of shortfall made after the model is in HiGHS: its variables and rows reach HiGHS
    with the objective that needs them (the model a fresh hand-over would give)."""
    instance = load_instance(TOY)
    late = HighsSession(build_model(instance), OPTIONS)
    Optimiser(late.pm, OPTIONS, session=late).objective(
        objective_of(late.pm, {"cvar_shortfall": 1.0, "cost": 1.0}))
    pm = build_model(instance)
    Optimiser(pm, OPTIONS).objective(objective_of(pm, {"cvar_shortfall": 1.0, "cost": 1.0}))
    assert_same_model(late, HighsSession(pm, OPTIONS, handover="pyomo"))


def test_both_routes_solve_to_the_same_plan_duals_and_maps():
    """The same optimum, values, and row duals (of the LP with the builds fixed) by row."""
    s = sessions(TOY, Decisions(forbid_build=("uk_hpms",)))
    solutions = {route: session.solve() for route, session in s.items()}
    a, b = solutions["arrays"], solutions["pyomo"]
    assert a.objective == pytest.approx(b.objective, rel=1e-9)
    for family in a.values:
        np.testing.assert_allclose(a.values[family], b.values[family], atol=1e-6)
        # fixed variables are no columns here; Pyomo's route gives them empty fixed columns
        fixed = np.array([v.fixed for v in s["arrays"].pm.variables[family]], dtype=bool)
        assert ((a.cols[family] >= 0) == ((b.cols[family] >= 0) & ~fixed)).all()
    duals = {r: fixed_lp_duals(sol.highs, col_value=sol.col_value)
             for r, sol in solutions.items()}
    for name in a.rows:
        assert ((a.rows[name] >= 0) == (b.rows[name] >= 0)).all()
        ra, rb = a.rows[name], b.rows[name]
        np.testing.assert_allclose(duals["arrays"].row[ra[ra >= 0]],
                                   duals["pyomo"].row[rb[rb >= 0]], atol=1e-6)


@pytest.mark.parametrize("change", [
    "discount_rate=0.05",                   # the costs of the held (fixed) builds
    "facilities.uk_hpms.existing_t=30",     # capacity rows that hold fixed builds
])
def test_an_update_in_place_reaches_the_fixed_part_of_the_model(change):
    """With builds held, a change to their costs moves the objective's offset, and a change
    to a row they enter moves its bounds less their fixed part: as a rebuild gives."""
    from planner.data.changes import parse_change
    from planner.solve.inplace import Resolver
    from planner.workflow import solve_instance, solve_reusing

    plan = build_model(load_instance(TOY)).frames["build"][["facility", "year"]]
    first = ~plan["facility"].duplicated()  # one module of each facility, first year
    held = Decisions(plan=plan.assign(modules=first.astype(int)))
    resolver = Resolver(OPTIONS)
    solve_reusing(resolver, TOY, decisions=held)
    changed = [parse_change(change)]
    reused = solve_reusing(resolver, TOY, changed, decisions=held)
    fresh = solve_instance(TOY, OPTIONS, changes=changed, decisions=held)
    assert reused.summary["in_place"]
    assert reused.summary["objectives"]["cost"] == pytest.approx(
        fresh.summary["objectives"]["cost"], rel=1e-9)
    assert reused.solution.objective == pytest.approx(fresh.solution.objective, rel=1e-9)
