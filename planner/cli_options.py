"""Options shared by the solving commands, and turning them into the API's arguments."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from planner.request import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT

if TYPE_CHECKING:
    from planner.request import RunRequest


class Number(click.FloatRange):
    """A finite number in a range (click's FloatRange lets nan and inf through)."""

    name = "number"

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class Seconds(Number):
    """A time limit in seconds, or `none` for no limit (None)."""

    name = "seconds"

    def convert(self, value, param, ctx):
        if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
            return None
        return super().convert(value, param, ctx)


class InstancePath(click.ParamType):
    """An instance folder, or the name of a bundled instance (`uk-baseline`, `toy`) when no
    such folder exists here. A missing folder is left for the loader to report (exit 3)."""

    name = "INSTANCE"

    def convert(self, value, param, ctx) -> Path:
        path = Path(value)
        if not path.exists():
            from planner.bundled import bundled_instance

            return bundled_instance(str(value)) or path
        return path


INSTANCE = InstancePath()


def stacked(*options):
    """A decorator applying `options` so that --help lists them in the order given."""
    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


# --time-limit, --mip-gap, --threads, --seed and --force, shared by solving commands.
solver_options = stacked(
    click.option("--time-limit", type=Seconds(min=0), default=DEFAULT_TIME_LIMIT,
                 show_default=True,
                 help="Solver time limit per solve, in seconds, or `none`; at the limit the "
                      "best plan found is kept with its gap (exit code 4)."),
    click.option("--mip-gap", type=Number(min=0, max=1, max_open=True), default=DEFAULT_MIP_GAP,
                 show_default=True,
                 help="Relative MIP gap at which a solve stops, a fraction below 1 "
                      "(0.01 = 1 %, 0.001 = 0.1 %)."),
    click.option("--threads", type=click.IntRange(min=0), default=0, show_default=True,
                 help="HiGHS threads (0: HiGHS's choice, half the cores)."),
    click.option("--seed", type=int, default=None,
                 help="HiGHS random seed [default: HiGHS's]."),
    click.option("--force", is_flag=True,
                 help="Replace the --out folder if it already exists."),
)


# --variant, --overlay and --set: changes to the instance, applied in that order.
change_options = stacked(
    click.option("--variant", "variants", multiple=True, metavar="NAME",
                 help="Apply a variant defined under `variants:` in instance.yaml "
                      "(repeatable; applied first, in order)."),
    click.option("--overlay", "overlays", multiple=True, metavar="FILE.yaml",
                 type=click.Path(path_type=Path, exists=True, dir_okay=False),
                 help="Apply a YAML file of PATH: VALUE changes (repeatable; after the "
                      "variants, in order)."),
    click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
                 help="Change a table cell or setting, e.g. "
                      "facilities.tyseley_hpms_shifts.max_modules=4, discount_rate=0.05, "
                      "'demand[region=GB_BHM].demand_t*=1.2' (repeatable; applied last, in "
                      "order; `*=` multiplies, `+=` adds). `@2027-2050` (or `@2030`, `@2027-`) "
                      "limits a change of an offer, link, facility or export cap to those "
                      "years. See docs/what-if.md."),
    click.option("--policy", "policies", multiple=True, metavar="NAME[.REGION]=VALUE[@YEAR]",
                 help="Add a policy from YEAR on (default: the first year), e.g. "
                      "min_recycled_share=0.2@2035, carbon_price_per_t=80@2030, "
                      "min_stock_days.GB_BHM=60@2028 (repeatable; as a row of policies.csv)."),
)


# --objective, --normalise and --limit.
objective_options = stacked(
    click.option("--objective", "objective_text", default=None, metavar="SPEC",
                 help="Objective, replacing instance.yaml's: a name (cost, emissions, risk, "
                      "responsible_sourcing, shortfall, cvar_shortfall, concentration), weights "
                      "'cost=1,risk=0.5', or a lexicographic order 'cost>risk'."),
    click.option("--normalise", is_flag=True,
                 help="Normalise the weights of --objective by the payoff table (each "
                      "objective scaled to 0 at its best and 1 at its worst)."),
    click.option("--limit", "limit_texts", multiple=True, metavar="MEASURE=VALUE",
                 help="Upper bound on a measure (cost, emissions, risk, "
                      "responsible_sourcing, shortfall, cvar_shortfall, concentration) in its "
                      "own unit; repeatable; adds to instance.yaml limits."),
)


# --fix-build, --forbid-build, --forbid-country and --evaluate: decisions imposed.
decision_options = stacked(
    click.option("--fix-build", "fix_builds", multiple=True, metavar="FACILITY=M[@YEAR]",
                 help="Build exactly M modules of FACILITY (in YEAR, or in all; "
                      "repeatable)."),
    click.option("--forbid-build", "forbid_builds", multiple=True, metavar="FACILITY",
                 help="Build nothing at FACILITY (repeatable)."),
    click.option("--forbid-country", "forbid_countries", multiple=True, metavar="CODE",
                 help="Buy nothing from, and ship nothing out of, the regions of this "
                      "country (repeatable)."),
    click.option("--evaluate", "evaluate", default=None, metavar="RUN_DIR|PLAN.csv",
                 type=click.Path(path_type=Path, exists=True),
                 help="Hold every build to the plan of a run (its builds.csv) and "
                      "re-optimise operations only: the plan tested against this data."),
)


def _start(ctx, param, value: str | None) -> str | None:
    from planner.request import EV_START

    if value not in (None, "none", EV_START) and not Path(value).exists():
        raise click.BadParameter(f"{value!r} does not exist: expected a run folder, a plan CSV, "
                                 "`ev` or `none`")
    return value


start_option = click.option(
    "--start", "start", default=None, metavar="RUN_DIR|PLAN.csv|ev|none", callback=_start,
    help="Offer the builds of a run (its builds.csv) or plan CSV to HiGHS as a MIP start: "
         "a plan near the optimum ends the search sooner, and the optimum does not depend "
         "on it. `ev` (the default of solve): the plan of the expected-value problem (the "
         "scenarios' mean as one path), solved first; for a scenario tree it is found in a "
         "fraction of the tree's time. `none`: no start.")


def changes_of(instance_dir: Path, variants, overlays, sets, policies=()) -> list:
    """The changes of --variant, --overlay, --set and --policy, in the order they apply."""
    from planner.data.changes import parse_change, parse_policy, read_overlay, variant_changes

    changes = [c for name in variants for c in variant_changes(instance_dir, name)]
    changes += [c for file in overlays for c in read_overlay(file)]
    return changes + [parse_change(text) for text in sets] + [parse_policy(text)
                                                              for text in policies]


def check_objective(text: str | None, normalise: bool) -> None:
    """--objective and --normalise make sense (else a usage error)."""
    from planner.data.instance import parse_objective

    if text is None:
        if normalise:
            raise click.UsageError("--normalise needs --objective with weights")
        return
    spec, message = parse_objective(text)
    if spec is None:
        raise click.BadParameter(message, param_hint="--objective")


def limits_of(texts) -> dict[str, float]:
    from planner.data.instance import OBJECTIVES

    limits = {}
    for text in texts:
        name, _, value = text.partition("=")
        try:
            limits[name.strip()] = float(value)
        except ValueError:
            raise click.BadParameter(f"{text!r}: expected MEASURE=NUMBER",
                                     param_hint="--limit") from None
        if not math.isfinite(limits[name.strip()]):
            raise click.BadParameter(f"{text!r}: the bound is not a finite number",
                                     param_hint="--limit")
        if name.strip() not in OBJECTIVES:
            raise click.BadParameter(f"unknown measure {name.strip()!r}; expected one of "
                                     + ", ".join(OBJECTIVES), param_hint="--limit")
    return limits


def start_of(value: str | None) -> Path | str | None:
    """The RunRequest start of --start's value: not given (None) or `ev`, the expected-value
    plan; `none`, no start; else a run folder or plan CSV."""
    from planner.request import EV_START

    if value in (None, EV_START):
        return EV_START
    return None if value == "none" else Path(value)


def request_of(params: Mapping[str, Any]) -> RunRequest:
    """The RunRequest of a command's parsed options (click's `ctx.params`): the instance, the
    changes of --variant, --overlay and --set, the objective options, the decisions and the
    solver options, as far as the command has them. Usage errors raise click's exceptions;
    bad changes or decisions raise InputError."""
    from planner.request import RunRequest, SolveOptions

    check_objective(params.get("objective_text"), params.get("normalise", False))
    limits = limits_of(params.get("limit_texts", ()))
    instance = params["instance_dir"]
    request = RunRequest(
        instance=instance,
        changes=tuple(changes_of(instance, params.get("variants", ()),
                                 params.get("overlays", ()), params.get("sets", ()),
                                 params.get("policies", ()))),
        objective=params.get("objective_text"), normalise=params.get("normalise", False),
        limits=tuple(limits.items()),
        fix_builds=tuple(params.get("fix_builds", ())),
        forbid_builds=tuple(params.get("forbid_builds", ())),
        forbid_countries=tuple(params.get("forbid_countries", ())),
        evaluate=params.get("evaluate"),
        solver=SolveOptions(time_limit=params.get("time_limit"),
                            mip_gap=params.get("mip_gap", DEFAULT_MIP_GAP),
                            threads=params.get("threads") or None, seed=params.get("seed"),
                            log=params.get("log", False)),
        stochastic_metrics=params.get("stochastic_metrics", False),
        start=start_of(params.get("start", "none")))
    request.decisions()  # checked now: a bad --fix-build is said before anything runs
    return request
