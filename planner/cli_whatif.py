"""The what-if commands: whatif, sweep and rerun."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from planner.cli_options import (
    INSTANCE,
    change_options,
    decision_options,
    objective_options,
    request_of,
    solver_options,
    start_option,
)
from planner.cli_run import EXIT, fail, finish, pareto_run, solve_run, user_errors
from planner.errors import PlannerError

if TYPE_CHECKING:
    from planner.request import RunRequest

# what a what-if takes from its baseline's request unless its own command line gives it:
# option name -> the request's field (solver.* for the solver's options)
INHERITED = {"time_limit": "solver.time_limit", "mip_gap": "solver.mip_gap",
             "threads": "solver.threads", "seed": "solver.seed", "objective_text": "objective",
             "normalise": "normalise", "limit_texts": "limits", "fix_builds": "fix_builds",
             "forbid_builds": "forbid_builds", "forbid_countries": "forbid_countries"}


def inherit(ctx: click.Context, given: RunRequest, base: RunRequest) -> RunRequest:
    """`given` with the fields of `base` whose options this command line left at their
    defaults (INHERITED)."""
    from click.core import ParameterSource

    own, solver = {}, {}
    for option, name in INHERITED.items():
        if ctx.get_parameter_source(option) != ParameterSource.DEFAULT:
            continue
        if name.startswith("solver."):
            solver[name[7:]] = getattr(base.solver, name[7:])
        else:
            own[name] = getattr(base, name)
    return replace(given, solver=replace(given.solver, **solver), **own)


@click.command()
@click.argument("instance_dir", type=INSTANCE)
@click.option("--baseline", required=True,
              type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="The run folder to compare with (from planner solve).")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Run folder to create for the changed case, with whatif.html and "
                   "whatif_*.csv: the deltas against the baseline.")
@solver_options
@objective_options
@click.option("--label", "labels", multiple=True, metavar="NAME",
              help="A name for the changed case in the deltas' headers, charts and title "
                   "(default what-if); given twice, the first names the baseline (default "
                   "baseline).")
@click.option("--report", "with_report", is_flag=True,
              help="Also write report.html into the run folder.")
@change_options
@decision_options
@start_option
@click.pass_context
def whatif(ctx: click.Context, instance_dir: Path, baseline: Path, out: Path, force: bool,
           labels: tuple[str, ...], with_report: bool, overlays, sets, policies=(),
           **_) -> None:
    """Solve INSTANCE_DIR as the baseline run was solved, with the changes and decisions
    given here on top, and write the deltas against the baseline: objectives, builds, sourcing
    mix and loop shares.

    The baseline's own changes apply first; its objective, limits, solver options and
    decisions are used unless this command line gives them. The baseline's builds start the
    search (a MIP start) unless --start says otherwise.
    """
    from planner.data.changes import parse_change
    from planner.report.compare import (
        change_column,
        numbered,
        objectives_text,
        plain_table,
        write_comparison,
    )
    from planner.report.rundata import load_run
    from planner.runs import read_record

    if len(labels) > 2:
        raise click.UsageError(f"{len(labels)} labels: give at most two, the what-if's, or "
                               "the baseline's and then the what-if's")
    # the labels given name the last runs: one names the what-if
    names = numbered([*("baseline", "what-if")[:2 - len(labels)], *labels])
    changes = ", ".join((*sets, *policies)) or "changed case"
    title = f"What if: {names[1]} ({changes})" if labels else f"What if: {changes}"
    with user_errors():
        base = load_run(baseline)
        request = request_of(ctx.params)
        if (baseline / "command.json").is_file():
            recorded = read_record(baseline).request
            request = inherit(ctx, request, recorded)
            base_changes = recorded.changes
        else:  # a run without its record: the changes its summary names
            base_changes = tuple(parse_change(text, "baseline") for text in
                                 base.summary.get("instance", {}).get("changes", []))
        request = replace(request, changes=base_changes + request.changes)
        if ctx.params["start"] is None and (baseline / "builds.csv").is_file():
            request = replace(request, start=baseline)
        deltas = {}

        def compare(folder: Path) -> None:
            deltas.update(write_comparison(folder, [base, load_run(folder)], "whatif", names,
                                           title))

        outcome = solve_run(request, out, force, command="whatif",
                            options={"report": with_report, "baseline": str(baseline)},
                            with_report=with_report, then=compare,
                            reads=[baseline, *overlays])
    if deltas:
        shown = objectives_text(deltas["objectives"], names, base.currency).rename(columns={
            f"{names[1]} - {names[0]}": "change", change_column(names[1], names[0]): "%"})
        click.echo(plain_table(shown))
        click.echo(f"deltas written to {out / 'whatif.html'} and {out}/whatif_*.csv")
    finish(outcome, out, False, with_report)


@click.command()
@click.argument("instance_dir", type=INSTANCE)
@click.option("--grid", "grids", multiple=True, required=True, metavar="PATH=START:STOP:N",
              help="An axis: N values from START to STOP, or PATH=A,B,C (`*=` multiplies, "
                   "`+=` adds), e.g. offers.cn_ndpr_oxide.price_per_t=60000:150000:10; "
                   "repeatable (the full factorial of all axes).")
@click.option("--samples", type=click.IntRange(min=1), default=None,
              help="Instead of the full factorial, this many points of a Latin hypercube over "
                   "the axes' ranges.")
@click.option("--sample-seed", type=int, default=0, show_default=True,
              help="Seed of the Latin hypercube.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Points solved at once (local processes, or Dask workers with "
                   "--scheduler local).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run the points on a Dask cluster: a scheduler address "
                   "(tcp://host:8786), or `local` for a LocalCluster of --workers processes.")
@click.option("--resume", is_flag=True,
              help="Finish an interrupted sweep in --out: points already solved are kept.")
@click.option("--rebuild", is_flag=True,
              help="Build every point's model afresh, instead of re-solving a worker's model "
                   "in place when a point changes only objective coefficients, bounds or "
                   "right-hand sides.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Folder to create: sweep.csv, sweep.json and points/point_NNNN/.")
@solver_options
@objective_options
@change_options
@decision_options
@click.pass_context
def sweep(ctx: click.Context, instance_dir: Path, grids, samples, sample_seed, workers,
          scheduler, resume, rebuild, out, force, **_) -> None:
    """Solve INSTANCE_DIR at every point of a grid of changes, in parallel, and tabulate the
    objectives, risk measures and key decisions in sweep.csv (one row per point; a failed
    point is recorded with its error). Every point is a full run folder.

    --threads applies per point (default here: 1 per worker). The --set, --overlay and
    --variant changes and the decisions apply to every point (the changes before its grid
    values).
    """
    from rich.console import Console
    from rich.progress import Progress

    from planner.sweep import Sweep, run_sweep

    with user_errors():
        request = request_of(ctx.params)
        request = replace(request, solver=replace(request.solver,
                                                  threads=request.solver.threads or 1),
                          evaluate=request.evaluate.resolve() if request.evaluate else None)
        spec = Sweep(request, tuple(grids), samples, sample_seed, reuse=not rebuild)
        failed = []
        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("sweep", total=len(spec.with_points().points))

            def advance(row: dict) -> None:
                if row.get("status") == "failed":
                    failed.append(row)
                bar.advance(task)

            try:
                table = run_sweep(spec, out, workers, scheduler, resume, force, advance)
            except KeyboardInterrupt:
                fail(f"interrupted; the points finished are kept in {out}: run the same "
                      "command with --resume to finish the sweep", EXIT["interrupted"])
    done = table[table["status"] != "pending"]
    click.echo(f"{len(done)} of {len(table)} points solved ({len(failed)} failed); "
               f"results in {out / 'sweep.csv'}")
    for row in failed[:5]:
        click.echo(f"point {row['point']} failed: {row['error'][:300]}", err=True)


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Folder for the repeated run (must not exist unless --force).")
@click.option("--force", is_flag=True, help="Replace the --out folder if it already exists.")
def rerun(run_dir: Path, out: Path, force: bool) -> None:
    """Repeat the run in RUN_DIR: the same command and options on the resolved instance it
    recorded (RUN_DIR/instance, every change already applied; RUN_DIR/command.json). A build
    plan the run held (RUN_DIR/plan.csv: an evaluated or hedged plan) is held again."""
    from planner.runs import read_record

    with user_errors():
        instance = run_dir / "instance"
        if not (run_dir / "command.json").is_file() or not instance.is_dir():
            raise PlannerError(f"{run_dir} has no command.json and instance/ to repeat (runs "
                               "written by planner solve or planner pareto have both)")
        record = read_record(run_dir)
        plan = run_dir / "plan.csv"
        request = replace(record.request, instance=instance, changes=(),
                          evaluate=plan if plan.is_file() else None)
        report = record.options.get("report") is True
        if record.command == "pareto":
            names, points = record.options.get("objectives"), record.options.get("points")
            if not isinstance(names, list) or not isinstance(points, int):
                raise PlannerError(f"{run_dir / 'command.json'}: a Pareto run without its "
                                   "objectives and points")
            workers = record.options.get("workers", 1)
            pareto_run(request, names, points, out, force, report, reads=[run_dir],
                       workers=workers if isinstance(workers, int) and workers > 0 else 1)
            click.echo(f"Pareto front repeated in {out}")
            return
        if record.command not in ("solve", "whatif"):  # a what-if repeats as a solve
            raise PlannerError(f"{run_dir / 'command.json'}: cannot repeat command "
                               f"{record.command!r}")
        outcome = solve_run(request, out, force, options={"report": report},
                            with_report=report, reads=[run_dir])
    finish(outcome, out, False, report)
