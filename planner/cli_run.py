"""What every command shares: exit codes, turning failures into messages, and solving into a
run folder written all at once."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from planner.errors import InputError, PlannerError, Problem
from planner.runs import atomic_folder, check_target, write_instance, write_record, write_tables

if TYPE_CHECKING:
    from planner.request import RunRequest

EXIT = {"optimal": 0, "error": 1, "input": 3, "time_limit": 4, "infeasible": 5, "unbounded": 6,
        "time_limit_no_solution": 7, "interrupted": 130}


def fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextmanager
def user_errors(writes: bool = True):
    """Turn every failure into a plain message and its exit code (no traceback unless
    PLANNER_DEBUG is set); nothing is written when it fires, which the message says for a
    command that `writes`."""
    unwritten = "; nothing was written" if writes else ""
    try:
        yield
    except InputError as error:
        report_problems(error.problems, writes)
    except click.ClickException:  # usage errors: click prints them (exit 2)
        raise
    except PlannerError as error:
        fail(str(error), EXIT["error"])
    except KeyboardInterrupt:
        fail(f"interrupted{unwritten}", EXIT["interrupted"])
    except Exception as error:  # a bug: say so plainly; PLANNER_DEBUG=1 shows the traceback
        if os.environ.get("PLANNER_DEBUG"):
            raise
        fail(f"unexpected {type(error).__name__}: {error} (set PLANNER_DEBUG=1 for the "
             f"traceback){unwritten}", EXIT["error"])


MAX_SHOWN = 50  # problems printed; the rest are counted by file


def print_problems(problems: list[Problem]) -> None:
    """Print problems as file:line:column: message, the first MAX_SHOWN of them (errors
    before warnings), then how many more each file has."""
    ordered = [p for p in problems if p.severity == "error"] + \
        [p for p in problems if p.severity != "error"]
    for problem in ordered[:MAX_SHOWN]:
        click.echo(str(problem), err=True)
    hidden = Counter(p.file for p in ordered[MAX_SHOWN:])
    for file, n in hidden.items():
        click.echo(f"{file}: {n:,} more problem(s) not shown", err=True)


def report_problems(problems: list[Problem], writes: bool = True) -> None:
    """Print the problems and exit with the code of invalid input."""
    print_problems(problems)
    n = sum(p.severity == "error" for p in problems)
    click.echo(f"{n:,} error(s)" + ("; nothing was written" if writes else ""), err=True)
    sys.exit(EXIT["input"])


def solve_run(request: RunRequest, out: Path, force: bool, *, command: str = "solve",
              options: dict | None = None, with_report: bool = False, then=None,
              annotate: dict | None = None, reads=(), write_model: Path | None = None,
              decisions=None):
    """Solve `request` and write the run folder `out` all at once: the tables, the resolved
    instance, command.json (the `command`, the request and the command's own `options`), an
    evaluated plan, the report and whatever `then(folder)` adds. `out` may not be, or contain,
    what the run reads (the request's paths and `reads`). `decisions` (e.g. a hedged plan)
    replace the request's; `annotate` adds to the summary. `write_model`: an .mps or .lp file
    (checked by `model_file`) to write the model to as solved, outside `out`."""
    from rich.console import Console

    from planner.workflow import solve_request

    reads = [*request.reads(), *reads]
    if write_model is not None and out.resolve() in write_model.resolve().parents:
        fail(f"--write-model {write_model} is inside the run folder --out {out}, which is "
             "written as a whole: choose a file outside it", 2)
    check_target(out, force, reads)
    decisions = request.decisions() if decisions is None else decisions
    with Console(stderr=True).status(f"solving {request.instance} ..."):
        outcome = solve_request(request, decisions, write_model=write_model)
    if write_model is not None:
        click.echo(f"model written to {write_model}", err=True)
    outcome.summary.update(annotate or {})
    with atomic_folder(out, force, reads) as tmp:
        write_tables(tmp, outcome.tables, outcome.summary)
        write_instance(tmp, outcome.instance_files)
        write_record(tmp, command, request, options)
        if decisions.plan is not None:  # kept, so that planner rerun can hold it again
            decisions.plan.to_csv(tmp / "plan.csv", index=False)
        if with_report and outcome.solution.has_solution:
            from planner.report.solution import write_report
            write_report(tmp)
        if then is not None and outcome.solution.has_solution:
            then(tmp)
    return outcome


def pareto_run(request: RunRequest, names: list[str], points: int, out: Path, force: bool,
               with_report: bool = False, reads=(), workers: int = 1):
    """The Pareto front of `names` over the request's instance (with its changes and solver
    options), written to the folder `out` all at once: pareto.csv, payoff.csv, summary.json,
    command.json, the resolved instance and point_NN/ with each point's results."""
    from rich.console import Console
    from rich.progress import Progress

    from planner.workflow import pareto_front

    reads = [*request.reads(), *reads]
    check_target(out, force, reads)
    total = len(names) ** 2 + points ** (len(names) - 1)
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Pareto front", total=total)
        outcome = pareto_front(request.instance, names, points, request.solver,
                               progress=lambda: bar.advance(task), changes=request.changes,
                               workers=workers)
    with atomic_folder(out, force, reads) as tmp:
        outcome.front.to_csv(tmp / "pareto.csv", index=False, float_format="%.10g")
        outcome.payoff.to_csv(tmp / "payoff.csv", index=False, float_format="%.10g")
        (tmp / "summary.json").write_text(json.dumps(outcome.summary, indent=2) + "\n")
        write_instance(tmp, outcome.instance_files)
        write_record(tmp, "pareto", request, {"objectives": names, "points": points,
                                              "report": with_report, "workers": workers})
        for point in outcome.points:
            write_tables(tmp / f"point_{point.summary['pareto']['point']:02d}",
                         point.tables, point.summary)
        if with_report and outcome.points:
            from planner.report.solution import write_report
            write_report(tmp)
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
    print_problems(list(outcome.instance.warnings))
    if as_json:
        click.echo(json.dumps(summary, indent=2, default=str))
    else:
        click.echo(format_summary(summary, outcome.tables))
        click.echo(f"results written to {out}")
        if with_report and outcome.solution.has_solution:
            click.echo(f"report written to {out / 'report.html'}")
        elif outcome.solution.has_solution:
            click.echo(f"next: planner report {out}")
    status = summary["status"]
    if status == "time_limit" and not outcome.solution.has_solution:
        status = "time_limit_no_solution"
    sys.exit(EXIT.get(status, EXIT["error"]))
