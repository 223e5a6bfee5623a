"""The what-if commands: whatif, sweep and rerun."""

from __future__ import annotations

import json
from pathlib import Path

import click

from planner.cli_options import (
    change_options,
    changes_of,
    decision_options,
    decisions_of,
    limits_of,
    objective_of,
    objective_options,
    solve_options_of,
    solver_options,
)
from planner.cli_run import EXIT, fail, finish, solve_run, user_errors
from planner.errors import PlannerError

# what a what-if takes from its baseline's command.json unless given on its own command line
INHERITED = ("time_limit", "mip_gap", "threads", "seed", "objective_text", "normalise",
             "limit_texts", "fix_builds", "forbid_builds", "forbid_countries")


@click.command()
@click.argument("instance_dir", type=click.Path(path_type=Path))
@click.option("--baseline", required=True,
              type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="The run folder to compare with (from planner solve).")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Run folder to create for the changed case, with whatif.html and "
                   "whatif_*.csv: the deltas against the baseline.")
@solver_options
@objective_options
@click.option("--report", "with_report", is_flag=True,
              help="Also write report.html into the run folder.")
@change_options
@decision_options
@click.pass_context
def whatif(ctx: click.Context, instance_dir: Path, baseline: Path, out: Path, time_limit,
           mip_gap, threads, seed, force, objective_text, normalise, limit_texts, with_report,
           variants, overlays, sets, fix_builds, forbid_builds, forbid_countries,
           evaluate) -> None:
    """Solve INSTANCE_DIR as the baseline run was solved, with the changes and decisions
    given here on top, and write the deltas against the baseline: objectives, builds, sourcing
    mix and loop shares.

    The baseline's own changes (its summary.json) apply first; its objective, limits, solver
    options and decisions are used unless this command line gives them.
    """
    from click.core import ParameterSource

    from planner.data.overrides import parse_change
    from planner.report.compare import write_comparison
    from planner.report.rundata import load_run

    with user_errors():
        base = load_run(baseline)
        record_file = baseline / "command.json"
        recorded = json.loads(record_file.read_text())["params"] if record_file.is_file() \
            else {}
        given = dict(ctx.params)
        for name in INHERITED:
            if name in recorded and ctx.get_parameter_source(name) == ParameterSource.DEFAULT:
                given[name] = recorded[name]
        changes = [parse_change(text, "baseline") for text in
                   base.summary.get("instance", {}).get("changes", [])]
        changes += changes_of(instance_dir, variants, overlays, sets)
        decisions = decisions_of(given["fix_builds"], given["forbid_builds"],
                                 given["forbid_countries"], evaluate)
        spec = objective_of(given["objective_text"], given["normalise"])
        options = solve_options_of(given["time_limit"], given["mip_gap"], given["threads"],
                                   given["seed"])
        deltas = {}

        def compare(folder: Path) -> None:
            deltas.update(write_comparison(folder, [base, load_run(folder)], "whatif",
                                           ["baseline", "what-if"],
                                           f"What if: {', '.join(sets) or 'changed case'}"))

        outcome = solve_run(instance_dir, out, force, options, spec,
                             limits_of(given["limit_texts"]), changes, decisions, False,
                             with_report, then=compare, params=given)
    if deltas:
        click.echo(deltas["objectives"].to_string(index=False,
                                                  float_format=lambda v: f"{v:,.6g}"))
        click.echo(f"deltas written to {out / 'whatif.html'} and {out}/whatif_*.csv")
    finish(outcome, out, False, with_report)


@click.command()
@click.argument("instance_dir", type=click.Path(path_type=Path))
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
def sweep(instance_dir: Path, grids, samples, sample_seed, workers, scheduler, resume, rebuild,
          out, time_limit, mip_gap, threads, seed, force, objective_text, normalise,
          limit_texts, variants, overlays, sets, fix_builds, forbid_builds, forbid_countries,
          evaluate) -> None:
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

    objective_of(objective_text, normalise)  # checked here, used by the workers
    limits_of(limit_texts)
    with user_errors():
        changes = changes_of(instance_dir, variants, overlays, sets)
        decisions_of(fix_builds, forbid_builds, forbid_countries, evaluate)  # checked here
        spec = Sweep(str(instance_dir), tuple(grids), samples, sample_seed,
                     tuple(str(c) for c in changes), objective_text, normalise,
                     tuple(limit_texts), time_limit, mip_gap, threads or 1, seed,
                     reuse=not rebuild, fix_builds=tuple(fix_builds),
                     forbid_builds=tuple(forbid_builds),
                     forbid_countries=tuple(forbid_countries),
                     evaluate=str(evaluate.resolve()) if evaluate else None)
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
@click.pass_context
def rerun(ctx: click.Context, run_dir: Path, out: Path, force: bool) -> None:
    """Repeat the run in RUN_DIR: the same command and options on the resolved instance it
    recorded (RUN_DIR/instance, every change already applied; RUN_DIR/command.json)."""
    with user_errors():
        record_file, instance = run_dir / "command.json", run_dir / "instance"
        if not record_file.is_file() or not instance.is_dir():
            raise PlannerError(f"{run_dir} has no command.json and instance/ to repeat (runs "
                               "written by planner solve or planner pareto have both)")
        record = json.loads(record_file.read_text())
        # a what-if repeats as a solve of its resolved instance with its effective options
        name = {"whatif": "solve"}.get(record.get("command", ""), record.get("command", ""))
        command = ctx.find_root().command.commands.get(name)
        if command is None or command.name not in ("solve", "pareto"):
            raise PlannerError(f"{record_file}: cannot repeat command {record.get('command')!r}")
        accepted = {p.name for p in command.params}
        params = {k: v for k, v in record["params"].items() if k in accepted}
        params.update(instance_dir=instance, out=out, force=force, sets=(), overlays=(),
                      variants=())
        if params.get("evaluate"):
            params["evaluate"] = run_dir / "plan.csv"
    ctx.invoke(command, **params)
