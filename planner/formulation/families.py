"""Every family of variables, rows and other components that can enter a planning model.

FAMILIES is the one list of them, in the order of docs/formulation.md (whose table of families
a test compares with it). Each family is named as its Pyomo component; a name with a part in
angle brackets stands for one component per item:

  <measure>   one of the objectives (planner.data.instance.OBJECTIVES)
  <facility>  a facility id
  <row>       a row family added through planner.formulation.rows.add_rows

`when` says what adds the family:

  model       build_model, every time (planner.formulation.build.ASSEMBLY, in this order)
  measure     planner.formulation.measures, the first time the measure is optimised or bounded
  limits      planner.solve.tradeoffs: a measure held at or below a value (`limits`, and the
              earlier objectives of a lexicographic order)
  pareto      planner.solve.tradeoffs.pareto (AUGMECON2)
  decisions   planner.formulation.decisions.apply_decisions
  ph          planner.solve.ph: a scenario subproblem of progressive hedging (mpi-sppy adds its
              own blocks to it)

The modules that add a family take its component name from here (family_named(name).component),
so a family cannot enter a model without being listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from planner.data.instance import OBJECTIVES

KINDS = ("variable", "row", "objective", "parameter", "expression", "block")
WHEN = ("model", "measure", "limits", "pareto", "decisions", "ph")


@dataclass(frozen=True)
class Family:
    """One family: `name` (its Pyomo component, or a pattern of them), `kind` (one of KINDS),
    `when` it enters the model (one of WHEN), the `module` that adds it (a path below planner/,
    or the library that does) and what it means."""

    name: str
    kind: str
    when: str
    module: str
    meaning: str
    # the columns of the family's frame that name one variable (variable families of the
    # model); a year and a scenario among them make it a decision of that year and scenario,
    # shared by the scenarios of one node of the tree (planner.tree)
    index: tuple[str, ...] = ()

    def component(self, **parts: str) -> str:
        """The component name for one item, e.g. "bound_risk" for bound_<measure> with
        measure="risk"."""
        name = self.name
        for key, value in parts.items():
            name = name.replace(f"<{key}>", value)
        if "<" in name:
            raise KeyError(f"{self.name}: name every part in angle brackets")
        return name


FAMILIES: tuple[Family, ...] = (
    # decisions (the variables of the extensive form)
    Family("build", "variable", "model", "formulation/capacity.py",
           "modules of candidate facility f decided in year tau, scenario s, online from "
           "tau + lead_f",
           index=("facility", "year", "scenario")),
    Family("modules", "variable", "model", "formulation/capacity.py",
           "modules of candidate facility f decided up to year tau, scenario s (integer; what "
           "branching splits on)",
           index=("facility", "year", "scenario")),
    Family("act", "variable", "model", "formulation/capacity.py",
           "activity of facility f in year t, scenario s (t of its reference output)",
           index=("facility", "year", "scenario")),
    Family("flow", "variable", "model", "formulation/balance.py",
           "t shipped on link l in year t, scenario s",
           index=("link", "year", "scenario")),
    Family("buy", "variable", "model", "formulation/balance.py",
           "t bought from offer k in year t, scenario s (sold to it, for a sell offer)",
           index=("offer", "year", "scenario")),
    Family("collect", "variable", "model", "formulation/collection.py",
           "t of product e's end of life collected by tier k at (r, t, s)",
           index=("product", "region", "tier", "year", "scenario")),
    Family("uncollected", "variable", "model", "formulation/collection.py",
           "t of product e's end of life at (r, t, s) neither leaked nor collected (disposed of)",
           index=("product", "region", "year", "scenario")),
    Family("serve", "variable", "model", "formulation/products.py",
           "t of commodity c accepted by product e placed in its place at (r, t, s)",
           index=("product", "commodity", "placed", "region", "year", "scenario")),
    Family("extend", "variable", "model", "formulation/products.py",
           "t of product e retiring at (r, t, s) kept in use longer by life-extension option o",
           index=("option", "product", "placed", "region", "year", "scenario")),
    Family("substitute", "variable", "model", "formulation/products.py",
           "t of product e's demand at (r, t, s) met by magnet-free substitution option o",
           index=("option", "product", "placed", "region", "year", "scenario")),
    Family("store_build", "variable", "model", "formulation/inventory.py",
           "t of storage capacity of k built in year tau, scenario s",
           index=("storage", "year", "scenario")),
    Family("stock", "variable", "model", "formulation/inventory.py",
           "t held in storage k at the end of year t, scenario s",
           index=("storage", "year", "scenario")),
    Family("stock_in", "variable", "model", "formulation/inventory.py",
           "t/yr put into storage k in year t, scenario s",
           index=("storage", "year", "scenario")),
    Family("stock_out", "variable", "model", "formulation/inventory.py",
           "t/yr drawn from storage k in year t, scenario s",
           index=("storage", "year", "scenario")),
    Family("short", "variable", "model", "formulation/balance.py",
           "unmet demand of (r, c, t, s), t",
           index=("region", "commodity", "year", "scenario")),
    Family("dispose", "variable", "model", "formulation/balance.py",
           "t of a disposable commodity disposed at (r, c, t, s)",
           index=("region", "commodity", "year", "scenario")),
    # constraints
    Family("balance", "row", "model", "formulation/balance.py",
           "commodity balance of (r, c, t, s): supply - use = demand - arrivals"),
    Family("fate", "row", "model", "formulation/collection.py",
           "collected + uncollected = (1 - leakage) x arrivals of product e at (r, t, s)"),
    Family("ceiling", "row", "model", "formulation/collection.py",
           "collected by tier k <= its share x arrivals of product e at (r, t, s)"),
    Family("retiring", "row", "model", "formulation/products.py",
           "kept in use by option o <= its share x arrivals of product e at (r, t, s)"),
    Family("segment", "row", "model", "formulation/products.py",
           "served + kept in use + substituted <= demand of product e at (r, t, s)"),
    Family("stock_level", "row", "model", "formulation/inventory.py",
           "stock of k at the end of t = kept last year's + w_t (put in - drawn)"),
    Family("stock_capacity", "row", "model", "formulation/inventory.py",
           "stock of k in (t, s) <= existing + capacity built online by t"),
    Family("storage_limit", "row", "model", "formulation/inventory.py",
           "storage capacity of k built over all years, scenario s <= max_build_t"),
    Family("capacity", "row", "model", "formulation/capacity.py",
           "activity of (f, t, s) within availability x (existing + built) capacity"),
    Family("build_limit", "row", "model", "formulation/capacity.py",
           "modules of f over all build years <= max_modules"),
    Family("modules_count", "row", "model", "formulation/capacity.py",
           "modules decided up to tau = those up to the year before + build[f,tau,s]"),
    Family("export_cap", "row", "model", "formulation/export_caps.py",
           "a group's offers and links in (t, s), on the share basis <= its yearly budget"),
    Family("<row>_anchor", "variable", "model", "formulation/rows.py",
           "one per row family, fixed at 0: holds a row without terms whose bounds exclude 0"),
    # policies
    Family("policy", "row", "model", "formulation/policies.py",
           "a policy of policies.csv in year t, scenario s (shares, country share, emission cap)"),
    # measures that can be optimised or bounded
    Family("cvar_eta", "variable", "measure", "formulation/measures.py",
           "eta of the CVaR of the shortfall (free)"),
    Family("cvar_excess", "variable", "measure", "formulation/measures.py",
           "z_s, the shortfall of scenario s above eta"),
    Family("cvar_rows", "row", "measure", "formulation/measures.py",
           "z_s >= L_s - eta per scenario s"),
    Family("concentration_max", "variable", "measure", "formulation/measures.py",
           "M, the largest tonnage imported from one country of one stage"),
    Family("concentration_rows", "row", "measure", "formulation/measures.py",
           "M >= the imports from one country of one stage in one year and scenario"),
    # the optimised objective
    Family("objective", "objective", "model", "formulation/measures.py",
           "the minimised measure or weighted sum of measures"),
    # limits
    Family("bound_<measure>", "row", "limits", "solve/tradeoffs.py",
           "measure <= value (a limit, or an earlier objective of a lexicographic order)"),
    Family("bound_<measure>_value", "parameter", "limits", "solve/tradeoffs.py",
           "the right-hand side of that row (mutable: moved between solves)"),
    # Pareto front
    Family("augmecon_slack_<measure>", "variable", "pareto", "solve/tradeoffs.py",
           "s_k, the slack of a bounded objective (rewarded in the objective)"),
    Family("epsilon_<measure>", "row", "pareto", "solve/tradeoffs.py",
           "f_k + s_k <= e_k"),
    Family("epsilon_<measure>_value", "parameter", "pareto", "solve/tradeoffs.py",
           "e_k, the grid value of that row (mutable)"),
    # imposed decisions
    Family("fixed_total_<facility>", "row", "decisions", "formulation/decisions.py",
           "modules of f over its build years = the number imposed (--fix-build F=M)"),
    # progressive hedging
    Family("first_stage_cost", "expression", "ph", "solve/ph.py",
           "capital and fixed O&M of the builds: the first-stage cost of a scenario subproblem"),
    Family("stage_cost", "expression", "ph", "solve/ph.py",
           "cost of the decisions of each stage of a scenario subproblem on a tree"),
    Family("nonant_<stage>", "variable", "ph", "solve/ph.py",
           "the decisions of stage k of a scenario subproblem on a tree, mirrored in one block "
           "of the same name and length in every scenario (padded with zeros): what mpi-sppy "
           "holds nonanticipative"),
    Family("nonant_<stage>_is", "row", "ph", "solve/ph.py",
           "nonant_<stage>[i] = the i-th decision of stage k"),
    Family("_mpisppy_data", "block", "ph", "mpisppy",
           "mpi-sppy's bookkeeping of the scenario (nonanticipative variables, probability)"),
    Family("_mpisppy_model", "block", "ph", "mpisppy",
           "mpi-sppy's additions: the weights W, averages xbar, rho and linearised proximal terms"),
)

_BY_NAME = {f.name: f for f in FAMILIES}
_PARTS = {
    "measure": "|".join(map(re.escape, OBJECTIVES)),
    "facility": ".+",
    "stage": "[0-9]+",
    "row": "|".join(re.escape(f.name) for f in FAMILIES if f.kind == "row" and "<" not in f.name),
}


def family_named(name: str) -> Family:
    """The family called `name` (as listed, angle brackets included)."""
    return _BY_NAME[name]


def names(when: str | None = None, kind: str | None = None) -> list[str]:
    """The families' names, in order, optionally only those added `when` and of `kind`."""
    return [f.name for f in FAMILIES if when in (None, f.when) and kind in (None, f.kind)]


def _pattern(f: Family) -> re.Pattern:
    text = re.escape(f.name)
    for part, alternatives in _PARTS.items():
        text = text.replace(re.escape(f"<{part}>"), f"(?:{alternatives})")
    return re.compile(text)


_PATTERNS = [(_pattern(f), f) for f in FAMILIES]


def family_of(component: str) -> Family | None:
    """The family a Pyomo component of that name belongs to (None: not a listed family)."""
    found = [f for pattern, f in _PATTERNS if pattern.fullmatch(component)]
    return found[0] if len(found) == 1 else None
