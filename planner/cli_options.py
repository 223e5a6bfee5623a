"""Options shared by the solving commands, and turning them into the API's arguments."""

from __future__ import annotations

from pathlib import Path

import click


def stacked(*options):
    """A decorator applying `options` so that --help lists them in the order given."""
    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


# --time-limit, --mip-gap, --threads, --seed and --force, shared by solving commands.
solver_options = stacked(
    click.option("--time-limit", type=click.FloatRange(min=0), default=None,
                 help="Solver time limit per solve, in seconds [default: none]."),
    click.option("--mip-gap", type=click.FloatRange(min=0), default=1e-3, show_default=True,
                 help="Relative MIP gap at which a solve stops (0.001 = 0.1 %)."),
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
                      "order; `*=` multiplies, `+=` adds). See docs/what-if.md."),
)


# --objective, --normalise and --limit.
objective_options = stacked(
    click.option("--objective", "objective_text", default=None, metavar="SPEC",
                 help="Objective, replacing instance.yaml's: a name (cost, emissions, risk, "
                      "shortfall, cvar_shortfall, concentration), weights "
                      "'cost=1,risk=0.5', or a lexicographic order 'cost>risk'."),
    click.option("--normalise", is_flag=True,
                 help="Normalise the weights of --objective by the payoff table (each "
                      "objective scaled to 0 at its best and 1 at its worst)."),
    click.option("--limit", "limit_texts", multiple=True, metavar="MEASURE=VALUE",
                 help="Upper bound on a measure (cost, emissions, risk, shortfall, "
                      "cvar_shortfall, concentration) in its own unit; repeatable; adds to "
                      "instance.yaml limits."),
)


def solve_options_of(time_limit, mip_gap, threads, seed, log=False):
    """SolveOptions from the solver options (threads 0: HiGHS's choice)."""
    from planner.solve import SolveOptions

    return SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads or None,
                        seed=seed, log=log)


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


def decisions_of(fix_builds, forbid_builds, forbid_countries, evaluate):
    from planner.formulation.decisions import Decisions

    return Decisions.from_options(fix_builds, forbid_builds, forbid_countries, evaluate)


def changes_of(instance_dir: Path, variants, overlays, sets) -> list:
    """The changes of --variant, --overlay and --set, in the order they apply."""
    from planner.data.overrides import parse_change, read_overlay, variant_changes

    changes = [c for name in variants for c in variant_changes(instance_dir, name)]
    changes += [c for file in overlays for c in read_overlay(file)]
    return changes + [parse_change(text) for text in sets]


def objective_of(text: str | None, normalise: bool):
    """--objective / --normalise -> ObjectiveSpec (None: keep the instance's)."""
    from dataclasses import replace

    from planner.data.instance import parse_objective

    if text is None:
        if normalise:
            raise click.UsageError("--normalise needs --objective with weights")
        return None
    spec, message = parse_objective(text)
    if spec is None:
        raise click.BadParameter(message, param_hint="--objective")
    return replace(spec, normalise=True) if normalise else spec


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
        if name.strip() not in OBJECTIVES:
            raise click.BadParameter(f"unknown measure {name.strip()!r}; expected one of "
                                     + ", ".join(OBJECTIVES), param_hint="--limit")
    return limits
