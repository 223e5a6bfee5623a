"""Decisions imposed on a built model: fix, force or forbid builds, forbid a country, or hold a
whole build plan (evaluate a plan against other data and re-optimise operations only).

  --fix-build F=M@Y   build[F, Y, s] = M                 (decided in year Y, every scenario)
  --fix-build F=M     sum_Y build[F, Y, s] = M  for each s (M modules in all, years free)
  --forbid-build F    build[F, Y, s] = 0 for every Y and s
  --forbid-country C  buy[o, t, s] = 0 for offers in C's regions and
                      flow[l, t, s] = 0 for links leaving C's regions
  plan (evaluate)     build[F, Y, s] = the plan's modules, 0 for every build not in the plan
                      (a plan per scenario where it names the scenarios, else the same plan
                      in every scenario)

Fixed variables leave the problem HiGHS sees (Pyomo keeps their values); a module total is
one equality row. Every decision is checked against the model and all problems are reported
at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyomo.environ as pyo

from planner.errors import InputError, Problem
from planner.formulation.families import family_named
from planner.suggest import one_of


@dataclass(frozen=True)
class FixBuild:
    facility: str
    modules: int
    year: int | None = None  # None: the total over the build years

    def __str__(self) -> str:
        return f"{self.facility}={self.modules}" + (f"@{self.year}" if self.year else "")


@dataclass(frozen=True)
class Decisions:
    fix_build: tuple[FixBuild, ...] = ()
    forbid_build: tuple[str, ...] = ()
    forbid_country: tuple[str, ...] = ()
    plan: pd.DataFrame | None = field(default=None, compare=False)  # facility, year, modules
    plan_source: str = ""

    def __bool__(self) -> bool:
        return bool(self.fix_build or self.forbid_build or self.forbid_country or
                    self.plan is not None)

    @classmethod
    def from_options(cls, fix_builds=(), forbid_builds=(), forbid_countries=(),
                     evaluate: str | Path | None = None) -> Decisions:
        """From the command-line forms: `F=M[@Y]` texts, facility ids, country codes and a run
        folder or plan CSV."""
        return cls(tuple(parse_fix_build(t) for t in fix_builds), tuple(forbid_builds),
                   tuple(forbid_countries), read_plan(Path(evaluate)) if evaluate else None,
                   str(evaluate or ""))

    def describe(self) -> list[str]:
        out = [f"fix build {f}" for f in self.fix_build]
        out += [f"forbid build {f}" for f in self.forbid_build]
        out += [f"forbid country {c}" for c in self.forbid_country]
        if self.plan is not None:
            out.append(f"evaluate the build plan of {self.plan_source}")
        return out


def parse_fix_build(text: str) -> FixBuild:
    """`FACILITY=MODULES` or `FACILITY=MODULES@YEAR`."""
    facility, eq, rest = text.partition("=")
    modules, at, year = rest.partition("@")
    try:
        if not eq or not facility.strip():
            raise ValueError
        return FixBuild(facility.strip(), int(modules), int(year) if at else None)
    except ValueError:
        raise InputError([Problem("--fix-build", None, None, f"{text!r}: not a fixed build",
                                  "FACILITY=MODULES or FACILITY=MODULES@YEAR, e.g. "
                                  "tyseley_hpms_shifts=2@2027")]) from None


def read_plan(path: Path) -> pd.DataFrame:
    """The builds of a run folder (its builds.csv), or a CSV with facility, year, modules
    (and scenario, for a plan that differs by scenario)."""
    file = path / "builds.csv" if path.is_dir() else path
    if not file.is_file():
        raise InputError([Problem(str(path), None, None, "no build plan here",
                                  "a run folder with builds.csv, or a CSV with columns "
                                  "facility, year, modules")])
    plan = pd.read_csv(file)
    missing = {"facility", "year", "modules"} - set(plan.columns)
    if missing:
        raise InputError([Problem(str(file), 1, None, f"missing columns {sorted(missing)}",
                                  "facility, year, modules")])
    plan = plan[["facility", "year", "modules"] + (["scenario"] if "scenario" in plan else [])]
    summary = path / "summary.json" if path.is_dir() else None
    if summary is not None and summary.is_file():  # the scenarios the run's plan covers
        dims = json.loads(summary.read_text()).get("dimensions", {})
        plan.attrs["scenarios"] = [s["scenario"] for s in dims.get("scenarios", [])]
    return plan


def apply_decisions(pm, decisions: Decisions) -> None:
    """Fix, bound or constrain pm's variables as `decisions` say; InputError if one does not
    fit the model (unknown facility or country, a year outside the build window, more modules
    than allowed)."""
    problems: list[Problem] = []
    build = pm.frames["build"]
    variables = pm.variables["build"]
    facilities = pm.sets.facilities.set_index("facility")
    by_facility = build.groupby("facility").groups

    def bad(source, message, expected):
        problems.append(Problem(source, None, None, message, expected))

    def candidate(source, facility) -> bool:
        if facility in by_facility:
            return True
        known = one_of(facility, by_facility) if by_facility else "none in this instance"
        bad(source, f"{facility!r} has no candidate modules to build",
            f"a facility with module_t and max_modules: {known}")
        return False

    for fix in decisions.fix_build:
        source = f"--fix-build {fix}"
        if not candidate(source, fix.facility):
            continue
        rows = build.loc[by_facility[fix.facility]]
        limit = int(facilities.loc[fix.facility, "max_modules"])
        if not 0 <= fix.modules <= limit:
            bad(source, f"{fix.modules} modules", f"0 to max_modules {limit}")
            continue
        if fix.year is not None:
            pick = rows.index[rows["year"] == fix.year]
            if len(pick) == 0:
                bad(source, f"{fix.facility} cannot be built in {fix.year}",
                    "a build year " + _years(rows["year"]))
                continue
            for i in pick:
                variables[i].fix(fix.modules)
        elif rows["year"].nunique() == 1:
            for i in rows.index:
                variables[i].fix(fix.modules)
        else:
            # one row per scenario, once for the scenarios whose builds are the same variables
            totals = {}
            for _, part in rows.groupby("scenario", sort=False):
                distinct = {id(variables[i]): variables[i] for i in part.index}
                totals.setdefault(frozenset(distinct), list(distinct.values()))
            total = pyo.ConstraintList()
            pm.model.add_component(
                family_named("fixed_total_<facility>").component(facility=fix.facility), total)
            for body in totals.values():
                total.add(sum(body) == fix.modules)
    for facility in decisions.forbid_build:
        if candidate(f"--forbid-build {facility}", facility):
            for i in by_facility[facility]:
                variables[i].fix(0)
    if decisions.forbid_country:
        _forbid_countries(pm, decisions.forbid_country, bad)
    if decisions.plan is not None:
        _hold_plan(pm, decisions, bad)
    if problems:
        raise InputError(problems)


def _years(years) -> str:
    years = sorted(set(int(y) for y in years))
    if len(years) == years[-1] - years[0] + 1 > 1:
        return f"from {years[0]} to {years[-1]}"
    return "in " + ", ".join(map(str, years))


def _forbid_countries(pm, countries, bad) -> None:
    regions = pm.instance.regions
    for country in countries:
        source = f"--forbid-country {country}"
        members = regions.loc[regions["country"] == country]
        if members.empty:
            bad(source, f"no region is in country {country!r}",
                one_of(country, set(regions["country"]), limit=30))
            continue
        if members["domestic"].any():
            bad(source, f"{country} is the planning country (its regions are domestic)",
                "a country to stop sourcing from")
            continue
        places = set(members["region"])
        offers = pm.sets.offers.loc[pm.sets.offers["region"].isin(places), "offer"]
        for v in pm.variables["buy"][pm.frames["buy"]["offer"].isin(set(offers)).to_numpy()]:
            v.fix(0)
        links = pm.sets.links.loc[pm.sets.links["origin"].isin(places), "link"]
        for v in pm.variables["flow"][pm.frames["flow"]["link"].isin(set(links)).to_numpy()]:
            v.fix(0)


def _hold_plan(pm, decisions: Decisions, bad) -> None:
    build = pm.frames["build"].reset_index(names="b")
    plan = decisions.plan
    scenarios = set(pm.sets.scenarios["scenario"])
    if "scenario" in plan:
        covered = set(plan.attrs.get("scenarios") or plan["scenario"])
        per_scenario = covered <= scenarios and (len(covered) > 1 or len(scenarios) == 1)
        if not per_scenario:
            # a plan of one scenario, or of other scenarios, holds here only where it is the
            # same in all of them
            per = plan.groupby("scenario")[["facility", "year", "modules"]].apply(
                lambda p: tuple(sorted(map(tuple, p.to_numpy().tolist()))))
            if per.nunique() > 1:
                bad(decisions.plan_source, "the plan differs by scenario, and its scenarios ("
                    + ", ".join(sorted(per.index)) + ") are not this instance's",
                    "a plan for the scenarios " + ", ".join(sorted(scenarios)) +
                    ", or one shared by all")
                return
            plan = plan[plan["scenario"] == per.index[0]].drop(columns="scenario")
    keys = ["facility", "year"] + (["scenario"] if "scenario" in plan else [])
    if "scenario" not in plan:
        plan = plan.merge(pm.sets.scenarios[["scenario"]], how="cross")
    plan = plan.groupby(["facility", "year", "scenario"], as_index=False)["modules"].sum()
    merged = plan.merge(build, on=["facility", "year", "scenario"], how="left")
    shown = merged[merged["b"].isna()].drop_duplicates(keys)
    for r in shown.itertuples():
        bad(decisions.plan_source, f"the plan builds {r.modules} module(s) of {r.facility} in "
            f"{r.year}, which this instance does not allow",
            "builds within each facility's build window")
    modules = dict(zip(merged["b"].dropna().astype(int), merged["modules"].astype(int)))
    for b, variable in enumerate(pm.variables["build"]):
        variable.fix(modules.get(b, 0))
