"""The `planner` command line: thin; parses options, calls the API, maps outcomes to exit codes.

Exit codes: 0 optimal; 1 unexpected error; 2 bad command-line usage; 3 invalid input data;
4 time limit reached with a solution (written, gap reported); 5 infeasible; 6 unbounded;
7 time limit reached without a solution; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
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
from planner.errors import InputError, PlannerError

EXIT = {"optimal": 0, "error": 1, "input": 3, "time_limit": 4, "infeasible": 5, "unbounded": 6,
        "time_limit_no_solution": 7, "interrupted": 130}


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextmanager
def user_errors():
    """Turn every failure into a plain message and its exit code (no traceback unless
    PLANNER_DEBUG is set); nothing is written when it fires."""
    try:
        yield
    except InputError as error:
        _report_problems(error)
    except PlannerError as error:
        _fail(str(error), EXIT["error"])
    except KeyboardInterrupt:
        _fail("interrupted; nothing was written", EXIT["interrupted"])
    except Exception as error:  # a bug: say so plainly; PLANNER_DEBUG=1 shows the traceback
        if os.environ.get("PLANNER_DEBUG"):
            raise
        _fail(f"unexpected {type(error).__name__}: {error} (set PLANNER_DEBUG=1 for the "
              "traceback); nothing was written", EXIT["error"])


def _report_problems(error: InputError) -> None:
    for problem in error.problems:
        click.echo(str(problem), err=True)
    n = sum(p.severity == "error" for p in error.problems)
    click.echo(f"{n} error(s); nothing was written", err=True)
    sys.exit(EXIT["input"])


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="planner")
def main() -> None:
    """Plan rare-earth magnet supply chains: sourcing, builds and circular loops, by MILP.

    Instances are folders of CSV tables plus instance.yaml (see docs/instance-format.md);
    value chains are YAML files in models/. Exit codes: 0 optimal, 1 error, 2 usage,
    3 invalid input, 4 time limit with a solution, 5 infeasible, 6 unbounded,
    7 time limit without a solution, 130 interrupted.
    """


@main.command()
@click.argument("instance_dir", type=click.Path(path_type=Path))
@change_options
def validate(instance_dir: Path, variants, overlays, sets) -> None:
    """Check INSTANCE_DIR (with any changes) and report every problem as
    file:line:column: message (expected ...).

    Exit 0 when the instance is valid (warnings are printed), 3 otherwise.
    """
    import tempfile

    from planner.data.overrides import read_changed_instance

    with user_errors(), tempfile.TemporaryDirectory() as tmp:
        changes = changes_of(instance_dir, variants, overlays, sets)
        if instance_dir.is_dir():
            instance, problems = read_changed_instance(instance_dir, changes,
                                                       Path(tmp) / "instance")
        else:
            from planner.data.load import read_instance
            instance, problems = read_instance(instance_dir)
        for problem in problems:
            click.echo(str(problem), err=True)
        if instance is None:
            n = sum(p.severity == "error" for p in problems)
            click.echo(f"{n} error(s) in {instance_dir}", err=True)
            sys.exit(EXIT["input"])
    changed = f", {len(changes)} change(s)" if changes else ""
    click.echo(f"{instance_dir}: valid ({len(instance.regions)} regions, "
               f"{len(instance.facilities)} facilities, {len(instance.links)} links, "
               f"{len(instance.offers)} offers, {len(instance.demand)} demand rows, "
               f"{len(problems)} warning(s){changed})")


@main.command()
@click.argument("instance_dir", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Run folder to create (must not exist unless --force).")
@solver_options
@click.option("--log", is_flag=True, help="Show the HiGHS log.")
@objective_options
@click.option("--json", "as_json", is_flag=True, help="Print summary.json instead of the text.")
@click.option("--stochastic-metrics", is_flag=True,
              help="Also solve each scenario alone and the expected-value problem, and report "
                   "the value of the stochastic solution (VSS) and of perfect information "
                   "(EVPI), in objective units.")
@click.option("--report", "with_report", is_flag=True,
              help="Also write report.html into the run folder (as planner report does).")
@change_options
@decision_options
@click.option("--decompose", type=click.Choice(["ph"]), default=None,
              help="Solve by progressive hedging over the scenarios (mpi-sppy; under "
                   "`mpiexec -n K` on K processes), then evaluate its consensus build plan "
                   "exactly on the extensive form. Needs the `decompose` extra.")
@click.option("--ph-rho", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True,
              help="PH penalty of each build, as a multiple of its first-stage cost per "
                   "module (cost-proportional rho).")
@click.option("--ph-iterations", type=click.IntRange(min=1), default=100, show_default=True,
              help="PH iteration limit.")
@click.option("--ph-tolerance", type=click.FloatRange(min=0), default=1e-4, show_default=True,
              help="PH convergence threshold.")
def solve(instance_dir: Path, out: Path, time_limit, mip_gap, threads, seed, force, log,
          objective_text, normalise, limit_texts, as_json, stochastic_metrics,
          with_report, variants, overlays, sets, fix_builds, forbid_builds, forbid_countries,
          evaluate, decompose, ph_rho, ph_iterations, ph_tolerance) -> None:
    """Build and solve INSTANCE_DIR; write results to the run folder --out.

    The run folder holds summary.json and tidy CSV tables (builds, capacity, activity, flows,
    purchases, shortfall, disposal, eol_arrivals, costs, emissions, loop_shares, concentration);
    it is written all at once, never half-written.
    """
    spec = objective_of(objective_text, normalise)
    limits = limits_of(limit_texts)
    if decompose and (evaluate or fix_builds or forbid_builds or forbid_countries or spec or
                      limits):
        raise click.UsageError("--decompose ph minimises cost with free builds: it takes no "
                               "--evaluate, --fix-build, --forbid-build, --forbid-country, "
                               "--objective or --limit")
    with user_errors():
        changes = changes_of(instance_dir, variants, overlays, sets)
        decisions = decisions_of(fix_builds, forbid_builds, forbid_countries, evaluate)
        options = solve_options_of(time_limit, mip_gap, threads, seed, log)
        extra = None
        if decompose:
            decisions, extra = _progressive_hedging(instance_dir, changes, decisions, options,
                                                    ph_rho, ph_iterations, ph_tolerance)
            if extra is None:
                return  # an MPI rank other than 0: rank 0 writes the run
        outcome = _solve_run(instance_dir, out, force, options, spec, limits, changes,
                             decisions, stochastic_metrics, with_report, annotate=extra)
    _finish(outcome, out, as_json, with_report)


def _progressive_hedging(instance_dir, changes, decisions, options, rho, iterations,
                         tolerance):
    """PH's consensus plan as the decisions to evaluate, and what to add to the summary
    (None on MPI ranks other than 0)."""
    from dataclasses import replace

    from planner.data.overrides import load_resolved
    from planner.formulation.build import build_model
    from planner.formulation.decisions import apply_decisions
    from planner.solve.ph import PHOptions, progressive_hedging

    instance, _ = load_resolved(instance_dir, changes)
    if decisions:
        apply_decisions(build_model(instance, dry=False), decisions)  # check them first
    result = progressive_hedging(instance, options, PHOptions(rho, iterations, tolerance))
    if result.rank != 0:
        return decisions, None
    summary = {"method": "progressive hedging (mpi-sppy)", "converged": bool(result.converged),
               "iterations": result.iterations, "convergence": result.convergence,
               "ph_objective": result.ph_objective, "trivial_bound": result.trivial_bound,
               "seconds": round(result.seconds, 3), "rho": rho,
               "plan": result.plan.to_dict("records")}
    return replace(decisions, plan=result.plan, plan_source="progressive hedging"), {
        "decomposition": summary}


def _solve_run(instance_dir, out, force, options, spec, limits, changes, decisions,
               stochastic_metrics, with_report, then=None, params=None, annotate=None):
    """Solve and write the run folder --out all at once (with the resolved instance, the
    command and its `params` (default: as parsed), an evaluated plan, the report and whatever
    `then(folder)` adds)."""
    from rich.console import Console

    from planner.runs import (
        atomic_folder,
        check_target,
        write_command,
        write_instance,
        write_tables,
    )
    from planner.workflow import solve_instance

    check_target(out, force)
    with Console(stderr=True).status(f"solving {instance_dir} ..."):
        outcome = solve_instance(instance_dir, options, stochastic_metrics, spec, limits,
                                 changes, decisions)
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


def _finish(outcome, out: Path, as_json: bool, with_report: bool) -> None:
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


@main.command()
@click.argument("instance_dir", type=click.Path(path_type=Path))
@click.option("--objectives", required=True, metavar="A,B[,C]",
              help="Two or three objectives to trade off, the first minimised directly and the "
                   "others bounded (cost, emissions, risk, shortfall, cvar_shortfall, "
                   "concentration).")
@click.option("--points", type=click.IntRange(min=2), default=10, show_default=True,
              help="Grid points per bounded objective (the front has at most this many points "
                   "per bounded objective; dominated and duplicate points are dropped).")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Folder to create: pareto.csv, payoff.csv, summary.json and point_NN/ with "
                   "each point's full results.")
@solver_options
@click.option("--json", "as_json", is_flag=True, help="Print the front as JSON.")
@click.option("--report", "with_report", is_flag=True,
              help="Also write report.html (the front, with each point's decisions).")
@change_options
def pareto(instance_dir: Path, objectives: str, points: int, out: Path, time_limit, mip_gap,
           threads, seed, force, as_json, with_report, variants, overlays, sets) -> None:
    """Trace the Pareto front of INSTANCE_DIR by the augmented epsilon-constraint method
    (AUGMECON2): efficient points only, each solved on the same built model."""
    from rich.console import Console
    from rich.progress import Progress

    from planner.data.instance import OBJECTIVES
    from planner.runs import (
        atomic_folder,
        check_target,
        write_command,
        write_instance,
        write_tables,
    )
    from planner.workflow import pareto_front

    names = [n.strip() for n in objectives.split(",")]
    if not 2 <= len(names) <= 3 or len(set(names)) != len(names) or any(
            n not in OBJECTIVES for n in names):
        raise click.BadParameter(f"{objectives!r}: expected 2 or 3 distinct of "
                                 + ", ".join(OBJECTIVES), param_hint="--objectives")
    options = solve_options_of(time_limit, mip_gap, threads, seed)
    with user_errors():
        check_target(out, force)
        changes = changes_of(instance_dir, variants, overlays, sets)
        total = len(names) ** 2 + points ** (len(names) - 1)
        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("Pareto front", total=total)
            outcome = pareto_front(instance_dir, names, points, options,
                                   progress=lambda: bar.advance(task), changes=changes)
        with atomic_folder(out, force) as tmp:
            outcome.front.to_csv(tmp / "pareto.csv", index=False, float_format="%.10g")
            outcome.payoff.to_csv(tmp / "payoff.csv", index=False, float_format="%.10g")
            (tmp / "summary.json").write_text(json.dumps(outcome.summary, indent=2) + "\n")
            write_instance(tmp, outcome.instance_files)
            write_command(tmp, click.get_current_context())
            for point in outcome.points:
                write_tables(tmp / f"point_{point.summary['pareto']['point']:02d}",
                             point.tables, point.summary)
            if with_report and outcome.points:
                from planner.report.solution import write_report
                write_report(tmp)
    if as_json:
        click.echo(outcome.front.to_json(orient="records", indent=2))
        return
    click.echo(f"Pareto front of {', '.join(names)}: {len(outcome.front)} efficient points "
               f"({outcome.summary['timings']['total_s']:.1f} s; model built once in "
               f"{outcome.summary['timings']['build_s']:.2f} s)")
    shown = ["point", "cost", "emissions_t_co2e", "risk", "shortfall_t", "cvar_shortfall_t",
             "max_country_t"]
    shown += [c for c in outcome.front.columns if c.startswith(("built_", "share_"))]
    click.echo(outcome.front[shown].to_string(index=False, float_format=lambda v: f"{v:,.6g}"))
    click.echo(f"results written to {out}")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--excel", is_flag=True,
              help="Also write results.xlsx: the summary and one sheet per results table.")
@click.option("--point", type=click.IntRange(min=1), default=None,
              help="For a Pareto folder: the point whose full results are shown [default: "
                   "the first].")
@click.option("--dependency-threshold", type=click.FloatRange(0, 1), default=0.5,
              show_default=True,
              help="Share of a stage's imports from one country above which it is listed as "
                   "a dependency.")
def report(run_dir: Path, excel: bool, point: int | None, dependency_threshold: float) -> None:
    """Write RUN_DIR/report.html: one self-contained page (no network needed) with the
    value-stream map, capacity timeline, sourcing mix, cost, emissions and risk breakdowns, the
    Pareto front where the folder has one, and the pain points.

    RUN_DIR is the --out folder of planner solve or planner pareto.
    """
    from planner.report.solution import write_report

    with user_errors():
        path = write_report(run_dir, point, dependency_threshold)
        click.echo(f"report written to {path}")
        if excel:
            from planner.report.excel import write_excel
            click.echo(f"workbook written to {write_excel(run_dir)}")


@main.command()
@click.argument("run_dirs", nargs=-1, required=True,
                type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Folder to create: compare.html and compare_*.csv.")
@click.option("--force", is_flag=True, help="Replace the --out folder if it already exists.")
def compare(run_dirs: tuple[Path, ...], out: Path, force: bool) -> None:
    """Compare two or more run folders side by side: objectives, builds, sourcing mix and loop
    shares; differences are against the first."""
    from planner.report.compare import write_compare

    if len(run_dirs) < 2:
        raise click.UsageError("compare needs at least two run folders")
    with user_errors():
        click.echo(f"comparison written to {write_compare(list(run_dirs), out, force)}")


# what a what-if takes from its baseline's command.json unless given on its own command line
INHERITED = ("time_limit", "mip_gap", "threads", "seed", "objective_text", "normalise",
             "limit_texts", "fix_builds", "forbid_builds", "forbid_countries")


@main.command()
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

        outcome = _solve_run(instance_dir, out, force, options, spec,
                             limits_of(given["limit_texts"]), changes, decisions, False,
                             with_report, then=compare, params=given)
    if deltas:
        click.echo(deltas["objectives"].to_string(index=False,
                                                  float_format=lambda v: f"{v:,.6g}"))
        click.echo(f"deltas written to {out / 'whatif.html'} and {out}/whatif_*.csv")
    _finish(outcome, out, False, with_report)


@main.command()
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
                _fail(f"interrupted; the points finished are kept in {out}: run the same "
                      "command with --resume to finish the sweep", EXIT["interrupted"])
    done = table[table["status"] != "pending"]
    click.echo(f"{len(done)} of {len(table)} points solved ({len(failed)} failed); "
               f"results in {out / 'sweep.csv'}")
    for row in failed[:5]:
        click.echo(f"point {row['point']} failed: {row['error'][:300]}", err=True)


@main.command()
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
        command = main.commands.get(name)
        if command is None or command.name not in ("solve", "pareto"):
            raise PlannerError(f"{record_file}: cannot repeat command {record.get('command')!r}")
        accepted = {p.name for p in command.params}
        params = {k: v for k, v in record["params"].items() if k in accepted}
        params.update(instance_dir=instance, out=out, force=force, sets=(), overlays=(),
                      variants=())
        if params.get("evaluate"):
            params["evaluate"] = run_dir / "plan.csv"
    ctx.invoke(command, **params)


if __name__ == "__main__":
    main()
