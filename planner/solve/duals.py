"""Shadow prices of the binding constraints ("pain points") of a solved model.

Method: the integer decisions (module builds) are fixed at their solution values and the
remaining LP is re-solved in the same HiGHS session; its row and column duals are the marginal
objective changes of each right-hand side and bound, with the builds held. Activity bounds that
the capacity rows imply once the builds are fixed are dropped for that LP, so that the dual
lands on the capacity row (a degenerate LP could put it on either). The session is put back as
it was afterwards (integrality, bounds, basis, and the solution as a MIP start), so it can be
solved again. The value of one more module, where a facility is built up to its limit, comes
from the reduced cost of its (fixed) build column: see _build_limit.

Sign convention (HiGHS, minimisation): the dual of a row or column at its upper bound is <= 0,
at its lower bound >= 0; `dual` is HiGHS's raw value (objective units per unit of right-hand
side or bound). `saving_per_unit` is the objective saving from relaxing the constraint by one
unit (raising an upper bound, lowering a lower bound), so it is positive for a binding
constraint: -dual for upper bounds, +dual for lower bounds, times the right-hand-side change
that one unit makes (avail for a tonne per year of capacity).

The objective is an expectation over scenarios with discounting and year weights inside its
coefficients, so the dual of a row of year t and scenario s already carries DF_t w_t pi_s: it
is the saving in the objective (not in that scenario alone), and summing one constraint's rows
over scenarios gives the saving of relaxing it in every scenario.

The table is numbers and names only; planner.results.shadow_prices adds a sentence per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd

from planner.data.instance import OBJECTIVES
from planner.data.network import is_sale
from planner.formulation.build import PlanningModel
from planner.formulation.collection import arrivals_in_solution
from planner.rare_earths import RARE_EARTH_UNIT, effective_basis
from planner.solve.highs import BOUND, Solution

COLUMNS = ["kind", "item", "process", "region", "commodity", "year", "scenario", "dual",
           "saving_per_unit", "unit"]
RELATIVE_TOL = 1e-9  # a saving counts when above RELATIVE_TOL * max(1, |objective|)
MEASURE_UNITS = {"emissions": "t CO2e", "risk": "t (risk-weighted)",
                 "responsible_sourcing": "t (responsibility deficit)", "shortfall": "t",
                 "cvar_shortfall": "t", "concentration": "t"}


@dataclass
class Duals:
    """Row and column duals of the LP with the integers fixed, and its objective (without the
    model's constant)."""

    row: np.ndarray
    col: np.ndarray
    objective: float


def integer_columns(lp) -> tuple[np.ndarray, list]:
    """Columns that are not continuous, and their integrality types."""
    kinds = list(lp.integrality_)
    cont = highspy.HighsVarType.kContinuous
    index = np.array([j for j, k in enumerate(kinds) if k != cont], dtype=np.int32)
    return index, [kinds[j] for j in index]


def _read(highs: highspy.Highs) -> Duals | None:
    solution = highs.getSolution()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal or not solution.dual_valid:
        return None
    return Duals(np.asarray(solution.row_dual), np.asarray(solution.col_dual),
                 float(highs.getInfo().objective_function_value))


def _run(highs: highspy.Highs) -> None:
    highs.solve()
    if highs.getModelStatus() == highspy.HighsModelStatus.kInterrupt:
        raise KeyboardInterrupt


def fixed_lp_duals(highs: highspy.Highs, relax: np.ndarray | None = None,
                   col_value: np.ndarray | None = None,
                   counters: np.ndarray | None = None) -> Duals | None:
    """Duals of the LP with every integer column fixed at its (rounded) value in `col_value`
    (default: HiGHS's current solution) and the upper bounds of the columns `relax` dropped
    (bounds that the fixed integers make redundant: dropping them puts the dual on the row
    that really binds); None if that LP has no optimal solution. Integer columns in `counters`
    only count other integer columns (modules decided so far): they are freed instead of
    fixed (continuous, no bounds), so the rows that count carry no dual. Without integer
    columns or bounds to drop, the model is solved as it is (or its duals read, when it was
    just solved). The session is restored afterwards: integrality, bounds, the basis (if it
    had one) and the solution, offered again as the start of the next solve."""
    lp = highs.getLp()
    every, every_kind = integer_columns(lp)
    free = np.intersect1d(np.asarray(counters if counters is not None else [],
                                     dtype=np.int32), every)
    fixed = ~np.isin(every, free)
    index, kinds = every[fixed], [k for k, f in zip(every_kind, fixed) if f]
    free_kinds = [k for k, f in zip(every_kind, fixed) if not f]
    relax = np.setdiff1d(np.asarray(relax if relax is not None else [], dtype=np.int32), every)
    if len(every) == 0 and len(relax) == 0:
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal or \
                not highs.getSolution().dual_valid:
            _run(highs)
        return _read(highs)
    saved, basis = highs.getSolution(), highs.getBasis()
    cols = np.concatenate([index, relax, free]).astype(np.int32)
    lower, upper = np.asarray(lp.col_lower_)[cols], np.asarray(lp.col_upper_)[cols]
    n, m = len(index), len(free)
    start = saved.col_value if col_value is None or len(col_value) != lp.num_col_ else col_value
    values = np.round(np.asarray(start)[index])
    try:
        if n:
            highs.changeColsBounds(n, index, values, values)
            highs.changeColsIntegrality(n, index, np.full(n, highspy.HighsVarType.kContinuous))
        if len(relax):
            highs.changeColsBounds(len(relax), relax, lower[n:n + len(relax)],
                                   np.full(len(relax), highspy.kHighsInf))
        if m:
            highs.changeColsBounds(m, free, np.full(m, -highspy.kHighsInf),
                                   np.full(m, highspy.kHighsInf))
            highs.changeColsIntegrality(m, free, np.full(m, highspy.HighsVarType.kContinuous))
        _run(highs)
        return _read(highs)
    finally:
        if n:
            highs.changeColsIntegrality(n, index, np.array(kinds))
        if m:
            highs.changeColsIntegrality(m, free, np.array(free_kinds))
        highs.changeColsBounds(len(cols), cols, lower, upper)
        highs.clearSolver()  # the fixed LP's basis and solution are no use to the MIP
        if basis.valid:
            highs.setBasis(basis)
        if saved.value_valid:
            highs.setSolution(saved)


def _frame(kind: str, item, dual, saving, unit: str, **columns) -> pd.DataFrame:
    n = len(dual)
    data = {"kind": kind, "item": item, "process": "", "region": "", "commodity": "",
            "year": pd.NA, "scenario": "", "dual": dual, "saving_per_unit": saving,
            "unit": unit, **columns}
    return pd.DataFrame({k: np.broadcast_to(np.asarray(v, dtype=object), n)
                         if np.ndim(v) == 0 else np.asarray(v) for k, v in data.items()},
                        index=range(n))


def _row_duals(rows: np.ndarray, duals: Duals, share: np.ndarray | None = None) -> np.ndarray:
    """The dual of each row (0 where the row is not in HiGHS); of a row shared by the
    scenarios of a node, each scenario's `share` of it."""
    if not len(rows):
        return np.zeros(0)
    dual = np.where(rows >= 0, duals.row[np.maximum(rows, 0)], 0.0)
    return dual if share is None else dual * share


def _family_row_duals(name: str, sol: Solution, duals: Duals) -> np.ndarray:
    return _row_duals(sol.rows[name], duals, sol.row_share.get(name))


def _col_duals(family: str, sol: Solution, duals: Duals) -> np.ndarray:
    """The reduced cost of each variable of a family (0 for columns not in HiGHS: fixed), a
    scenario's share of it where the scenarios of a node share the column."""
    cols = sol.cols[family]
    if len(cols) == 0:
        return np.zeros(0)
    d = np.where(cols >= 0, duals.col[np.maximum(cols, 0)], 0.0)
    share = sol.col_share.get(family)
    return d if share is None else d * share


def _upper_col_duals(family: str, sol: Solution, duals: Duals) -> np.ndarray:
    """The reduced cost of each variable where it is negative (at its upper bound), else 0."""
    return np.minimum(_col_duals(family, sol, duals), 0.0)


def _capacity(pm: PlanningModel, sol: Solution, duals: Duals) -> pd.DataFrame:
    """Per activity (f, t, s): capacity row dual plus the activity column's dual at its upper
    bound (where no row exists the bound avail * existing is the whole constraint; where both
    bind, one more t/yr moves both by avail)."""
    act = pm.frames["act"]
    dual = _upper_col_duals("act", sol, duals)
    cap = pm.frames["capacity"]
    np.add.at(dual, cap["act"].to_numpy(dtype=np.int64),
              _family_row_duals("capacity", sol, duals))
    fac = pm.sets.facilities.set_index("facility")
    return _frame("capacity", act["facility"].to_numpy(), dual,
                  -dual * act["avail"].to_numpy(), "t/yr of capacity",
                  process=fac["process"].loc[act["facility"]].to_numpy(),
                  region=fac["region"].loc[act["facility"]].to_numpy(),
                  year=act["year"].to_numpy(), scenario=act["scenario"].to_numpy())


def _build_limit(pm: PlanningModel, sol: Solution, duals: Duals) -> pd.DataFrame:
    """Facilities built up to max_modules (in a scenario): the saving of one more module,
    built in the best build year tau, at the margin. With the builds fixed, the limit row
    (present when there are several build years; else the column bound is the limit) only
    holds fixed columns, so its own dual says nothing: one more module moves the row's
    right-hand side and the column build[f,tau,s] together, dual = y_limit + d_build[f,tau,s]
    (d: the column's reduced cost, capex and fixed O&M less the capacity rows' duals times
    avail * module). It is the rate for a fraction of a module; a whole module saves that much
    only while every binding row it relieves stays binding. A build shared by the scenarios of
    a node counts for each its share."""
    frame = pm.frames["build"]
    build = frame.assign(
        value=sol.values["build"], col=sol.cols["build"], col_dual=_col_duals("build", sol, duals),
        max_modules=pm.sets.facilities.set_index("facility")["max_modules"].loc[
            frame["facility"]].to_numpy())
    build = build[build["col"] >= 0]
    keys = ["facility", "scenario"]
    used = build.groupby(keys)["value"].transform("sum")
    build = build[used >= build["max_modules"] - 0.5]
    limit = pm.frames["build_limit"].assign(
        limit=_family_row_duals("build_limit", sol, duals))
    build = build.merge(limit, on=keys, how="left").fillna({"limit": 0.0})
    build = build.assign(dual=build["col_dual"] + build["limit"])
    best = build.sort_values(["dual", "year"], kind="stable").groupby(keys).head(1)
    fac = pm.sets.facilities.set_index("facility")
    dual = best["dual"].to_numpy()
    return _frame("build_limit", best["facility"].to_numpy(), dual, -dual, "module",
                  process=fac["process"].loc[best["facility"]].to_numpy(),
                  region=fac["region"].loc[best["facility"]].to_numpy(),
                  year=best["year"].to_numpy(), scenario=best["scenario"].to_numpy())


def _supply_bound(kind: str | np.ndarray, family: str, sol: Solution, duals: Duals,
                  elements: pd.DataFrame, item: str, region: str) -> pd.DataFrame:
    """One more t per year and scenario from a bounded supply variable (an offer's buy, a
    link's flow) at its upper bound: saving = -reduced cost. `elements` is the family's frame
    with the item's region and commodity."""
    dual = _upper_col_duals(family, sol, duals)
    return _frame(kind, elements[item].to_numpy(), dual, -dual, "t",
                  region=elements[region].to_numpy(),
                  commodity=elements["commodity"].to_numpy(), year=elements["year"].to_numpy(),
                  scenario=elements["scenario"].to_numpy())


def _offers(pm: PlanningModel, sol: Solution, duals: Duals) -> pd.DataFrame:
    """kind `offer` (one more t bought) or, for a sell offer, `sale` (one more t sold)."""
    buy = pm.frames["buy"].merge(pm.sets.offers[["offer", "region", "commodity"]].assign(
        sold=is_sale(pm.sets.offers)), on="offer", how="left")
    kind = np.where(buy["sold"].to_numpy(dtype=bool), "sale", "offer")
    return _supply_bound(kind, "buy", sol, duals, buy, "offer", "region")


def _links(pm: PlanningModel, sol: Solution, duals: Duals) -> pd.DataFrame:
    """region: the link's destination."""
    flow = pm.frames["flow"].merge(pm.sets.links[["link", "destination", "commodity"]],
                                   on="link", how="left")
    return _supply_bound("link", "flow", sol, duals, flow, "link", "destination")


def _policies(pm: PlanningModel, sol: Solution, duals: Duals) -> pd.DataFrame:
    """Share minimums are lower bounds (relaxing lowers the required tonnes: saving = dual);
    country-share maximums and emission caps upper bounds (saving = -dual)."""
    frame = pm.frames["policy"]
    dual = _family_row_duals("policy", sol, duals)
    upper = frame["upper"].notna().to_numpy()
    group = frame["group"].fillna("").astype(str).to_numpy()
    item = np.where(group != "", frame["policy"].astype(str).to_numpy() + ":" + group,
                    frame["policy"].astype(str).to_numpy())
    shares = "t" if effective_basis(pm.instance.settings.share_basis,
                                    pm.instance.chain) == "mass" else RARE_EARTH_UNIT
    unit = np.where(frame["policy"].to_numpy() == "emissions_cap_t", "t CO2e", shares)
    return _frame("policy", item, dual, np.where(upper, -dual, dual), unit,
                  region=frame["region"].to_numpy(), year=frame["year"].to_numpy(),
                  scenario=frame["scenario"].to_numpy())


def _collection(pm: PlanningModel, sol: Solution, duals: Duals) -> pd.DataFrame:
    """Per collection ceiling (product e, region r, year t, tier k, scenario s): one more point
    of the tier's share (0.01) lets it collect 0.01 x arrivals more (an upper bound: saving =
    -dual x 0.01 x the arrivals of what the solution placed)."""
    frame = pm.frames["ceiling"]
    dual = _family_row_duals("ceiling", sol, duals)
    point = 0.01 * arrivals_in_solution(pm, sol.values, frame)
    return _frame("collection", (frame["product"] + ":" + frame["tier"]).to_numpy(), dual,
                  -dual * point, "point of collection share", region=frame["region"].to_numpy(),
                  commodity=frame["commodity"].to_numpy(), year=frame["year"].to_numpy(),
                  scenario=frame["scenario"].to_numpy())


def _export_caps(pm: PlanningModel, sol: Solution, duals: Duals) -> pd.DataFrame:
    """One more t (of rare earths, on that basis) in a group's yearly budget (an upper bound:
    saving = -dual)."""
    frame = pm.frames["export_cap"]
    dual = _family_row_duals("export_cap", sol, duals)
    unit = "t" if effective_basis(pm.instance.settings.share_basis,
                                  pm.instance.chain) == "mass" else RARE_EARTH_UNIT
    return _frame("export_cap", frame["cap"].to_numpy(), dual, -dual, unit,
                  year=frame["year"].to_numpy(), scenario=frame["scenario"].to_numpy())


def _limits(pm: PlanningModel, sol: Solution, duals: Duals) -> pd.DataFrame:
    names = [n for n in OBJECTIVES if BOUND.component(measure=n) in sol.rows]
    rows = np.array([sol.rows[BOUND.component(measure=n)][0] for n in names], dtype=np.int64)
    dual = _row_duals(rows, duals)
    units = [MEASURE_UNITS.get(n, pm.instance.settings.currency) for n in names]
    return _frame("limit", np.array(names, dtype=object), dual, -dual, np.array(units))


def shadow_prices(pm: PlanningModel, sol: Solution) -> pd.DataFrame:
    """The binding constraints and bounds of a solved model and what relaxing each by one unit
    would save, from the LP with the integer decisions fixed at the solution (see the module
    docstring for the sign convention; duals are probability-weighted and discounted, i.e.
    savings in the objective).

    Columns: kind (capacity, build_limit, offer, sale, link, policy, collection, export_cap,
    limit), item (facility, offer, link, policy[:group], product:tier, cap or measure),
    process, region,
    commodity, year, scenario (empty where not applicable), dual (HiGHS's raw dual, objective
    units per unit of right-hand side or bound), saving_per_unit (objective saving per
    `unit`), unit.
    Kept: rows with saving_per_unit > 1e-9 * max(1, |objective|); sorted by saving_per_unit
    descending, then kind, item, year, scenario. Empty when the fixed LP has no optimum.
    `sol` must be the latest solve of its session (HiGHS holds the rows it was solved with).
    """
    if not sol.has_solution or sol.highs is None:
        return pd.DataFrame(columns=COLUMNS)
    # with the builds fixed, a capacity row implies its activity's upper bound
    # avail * (existing + module * max_modules): drop the bound, so the row carries the dual
    relax = sol.cols["act"][pm.frames["capacity"]["act"].to_numpy(dtype=np.int64)]
    counters = sol.cols.get("modules", np.empty(0, dtype=np.int64))
    duals = fixed_lp_duals(sol.highs, relax[relax >= 0], sol.col_value, counters[counters >= 0])
    if duals is None:
        return pd.DataFrame(columns=COLUMNS)
    parts = [part(pm, sol, duals) for part in
             (_capacity, _build_limit, _offers, _links, _policies, _collection, _export_caps,
              _limits)]
    table = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(
        len(p) for p in parts) else pd.DataFrame(columns=COLUMNS)
    tol = RELATIVE_TOL * max(1.0, abs(sol.objective or 0.0))
    table = table[table["saving_per_unit"].astype(float) > tol].copy()
    table["dual"] = table["dual"].astype(float)
    table["saving_per_unit"] = table["saving_per_unit"].astype(float)
    table["year"] = table["year"].astype("Int64")
    table = table.sort_values(["saving_per_unit", "kind", "item", "year", "scenario"],
                              ascending=[False, True, True, True, True], kind="stable")
    return table[COLUMNS].reset_index(drop=True)
