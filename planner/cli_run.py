"""What every command shares: exit codes, turning failures into messages, and solving into a
run folder written all at once."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from planner.errors import InputError, PlannerError

EXIT = {"optimal": 0, "error": 1, "input": 3, "time_limit": 4, "infeasible": 5, "unbounded": 6,
        "time_limit_no_solution": 7, "interrupted": 130}


def fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextmanager
def user_errors():
    """Turn every failure into a plain message and its exit code (no traceback unless
    PLANNER_DEBUG is set); nothing is written when it fires."""
    try:
        yield
    except InputError as error:
        report_problems(error)
    except PlannerError as error:
        fail(str(error), EXIT["error"])
    except KeyboardInterrupt:
        fail("interrupted; nothing was written", EXIT["interrupted"])
    except Exception as error:  # a bug: say so plainly; PLANNER_DEBUG=1 shows the traceback
        if os.environ.get("PLANNER_DEBUG"):
            raise
        fail(f"unexpected {type(error).__name__}: {error} (set PLANNER_DEBUG=1 for the "
              "traceback); nothing was written", EXIT["error"])


def report_problems(error: InputError) -> None:
    for problem in error.problems:
        click.echo(str(problem), err=True)
    n = sum(p.severity == "error" for p in error.problems)
    click.echo(f"{n} error(s); nothing was written", err=True)
    sys.exit(EXIT["input"])


def solve_run(instance_dir, out, force, options, spec, limits, changes, decisions,
               stochastic_metrics, with_report, then=None, params=None, annotate=None,
               write_model=None):
    """Solve and write the run folder --out all at once (with the resolved instance, the
    command and its `params` (default: as parsed), an evaluated plan, the report and whatever
    `then(folder)` adds). `write_model`: an .mps or .lp file (checked by `model_file`) to
    write the model to as solved, outside --out."""
    from rich.console import Console

    from planner.runs import (
        atomic_folder,
        check_target,
        write_command,
        write_instance,
        write_tables,
    )
    from planner.workflow import solve_instance

    if write_model is not None and out.resolve() in write_model.resolve().parents:
        fail(f"--write-model {write_model} is inside the run folder --out {out}, which is "
             "written as a whole: choose a file outside it", 2)
    check_target(out, force)
    with Console(stderr=True).status(f"solving {instance_dir} ..."):
        outcome = solve_instance(instance_dir, options, stochastic_metrics, spec, limits,
                                 changes, decisions, write_model=write_model)
    if write_model is not None:
        click.echo(f"model written to {write_model}", err=True)
    outcome.summary.update(annotate or {})
    with atomic_folder(out, force) as tmp:
        write_tables(tmp, outcome.tables, outcome.summary)
        write_instance(tmp, outcome.instance_files)
        write_command(tmp, click.get_current_context(), params)
        if decisions.plan is not None:  # kept, so that planner rerun can hold it again
            decisions.plan.to_csv(tmp / "plan.csv", index=False)
        if with_report and outcome.solution.has_solution:
            from planner.report.solution import write_report
            write_report(tmp)
        if then is not None and outcome.solution.has_solution:
            then(tmp)
    return outcome


def model_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Option callback of --write-model: an .mps or .lp file whose folder exists and can be
    written, checked before solving (else a usage error, exit 2)."""
    if value is None:
        return None
    from planner.solve.export import model_file_problem

    problem = model_file_problem(value)
    if problem:
        raise click.BadParameter(problem, ctx, param)
    return value


def finish(outcome, out: Path, as_json: bool, with_report: bool) -> None:
    """Print the run's summary and exit with its status's code."""
    from planner.report.terminal import format_summary

    summary = outcome.summary
    for warning in outcome.instance.warnings:
        click.echo(str(warning), err=True)
    if as_json:
        click.echo(json.dumps(summary, indent=2, default=str))
    else:
        click.echo(format_summary(summary, outcome.tables))
        click.echo(f"results written to {out}")
        if with_report and outcome.solution.has_solution:
            click.echo(f"report written to {out / 'report.html'}")
    status = summary["status"]
    if status == "time_limit" and not outcome.solution.has_solution:
        status = "time_limit_no_solution"
    sys.exit(EXIT.get(status, EXIT["error"]))
