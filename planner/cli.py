"""The `planner` command line: thin; parses options, calls the API, maps outcomes to exit codes.

Exit codes: 0 optimal; 1 unexpected error; 2 bad command-line usage; 3 invalid input data;
4 time limit reached with a solution (written, gap reported); 5 infeasible; 6 unbounded;
7 time limit reached without a solution; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from planner.cli_options import (
    INSTANCE,
    Number,
    change_options,
    changes_of,
    decision_options,
    objective_options,
    request_of,
    solver_options,
    start_option,
)
from planner.cli_run import (
    finish,
    model_file,
    pareto_run,
    print_problems,
    report_problems,
    solve_run,
    user_errors,
)
from planner.cli_whatif import rerun, sweep, whatif


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="planner")
def main() -> None:
    """Plan rare-earth magnet supply chains: sourcing, builds and circular loops, by MILP.

    Instances are folders of CSV tables plus instance.yaml (see docs/instance-format.md);
    value chains are YAML files in models/. Exit codes: 0 optimal, 1 error, 2 usage,
    3 invalid input, 4 time limit with a solution, 5 infeasible, 6 unbounded,
    7 time limit without a solution, 130 interrupted.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum, frame) -> None:
    """SIGTERM ends a command as Ctrl-C does: temporary folders removed, nothing written."""
    raise KeyboardInterrupt


@main.command()
@click.argument("instance_dir", type=INSTANCE)
@change_options
def validate(instance_dir: Path, variants, overlays, sets, policies) -> None:
    """Check INSTANCE_DIR (with any changes) and report every problem as
    file:line:column: message (expected ...).

    Exit 0 when the instance is valid (warnings are printed), 3 otherwise.
    """
    from planner.data.overrides import read_resolved

    with user_errors(writes=False):
        changes = changes_of(instance_dir, variants, overlays, sets, policies)
        instance, problems, _ = read_resolved(instance_dir, changes)
        if instance is None:
            report_problems(problems, writes=False)
        print_problems(problems)
    changed = f", {len(changes)} change(s)" if changes else ""
    click.echo(f"{instance_dir}: valid ({len(instance.regions)} regions, "
               f"{len(instance.facilities)} facilities, {len(instance.links)} links, "
               f"{len(instance.offers)} offers, {len(instance.demand)} demand rows, "
               f"{len(problems)} warning(s){changed})")


@main.command()
@click.argument("instance_dir", type=INSTANCE)
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
@start_option
@click.option("--decompose", type=click.Choice(["ph"]), default=None,
              help="Solve by progressive hedging over the scenarios (mpi-sppy; under "
                   "`mpiexec -n K` on K processes), then evaluate its consensus build plan "
                   "exactly on the extensive form. Needs the `decompose` extra.")
@click.option("--ph-rho", type=Number(min=0, min_open=True), default=1.0,
              show_default=True,
              help="PH penalty of each build, as a multiple of its first-stage cost per "
                   "module (cost-proportional rho).")
@click.option("--ph-iterations", type=click.IntRange(min=1), default=100, show_default=True,
              help="PH iteration limit.")
@click.option("--ph-tolerance", type=Number(min=0), default=1e-4, show_default=True,
              help="PH convergence threshold.")
@click.option("--write-model", type=click.Path(path_type=Path), default=None,
              callback=model_file, metavar="FILE.mps|FILE.lp",
              help="Also write the model as HiGHS solved it (decisions applied, named rows "
                   "and columns, objective constant included) to this MPS or LP file, for "
                   "inspection or another solver.")
@click.pass_context
def solve(ctx: click.Context, instance_dir: Path, out: Path, force: bool, as_json: bool,
          with_report: bool, decompose: str | None, ph_rho: float, ph_iterations: int,
          ph_tolerance: float, write_model: Path | None, overlays, **_) -> None:
    """Build and solve INSTANCE_DIR; write results to the run folder --out.

    The run folder holds summary.json and tidy CSV tables (builds, capacity, activity, flows,
    purchases, sales, shortfall, disposal, eol_arrivals, collection, product_options, costs,
    emissions, loop_shares, productivity, concentration); it is written all at once, never
    half-written.
    """
    p = ctx.params
    if decompose and (p["evaluate"] or p["fix_builds"] or p["forbid_builds"] or
                      p["forbid_countries"] or p["objective_text"] or p["limit_texts"] or
                      p["start"] not in (None, "none")):
        raise click.UsageError("--decompose ph minimises cost with free builds: it takes no "
                               "--evaluate, --fix-build, --forbid-build, --forbid-country, "
                               "--objective, --limit or --start")
    with user_errors():
        request = request_of(ctx.params)
        decisions = annotate = None
        if decompose:
            from planner.solve.ph import PHOptions
            from planner.workflow import hedged_plan

            decisions, annotate = hedged_plan(request.instance, request.changes,
                                              request.decisions(), request.solver,
                                              PHOptions(ph_rho, ph_iterations, ph_tolerance))
            if annotate is None:
                return  # an MPI rank other than 0: rank 0 writes the run
        options = {"report": with_report, "decompose": decompose,
                   "ph": {"rho": ph_rho, "iterations": ph_iterations,
                          "tolerance": ph_tolerance} if decompose else None}
        outcome = solve_run(request, out, force, options=options, with_report=with_report,
                            annotate=annotate, decisions=decisions, reads=overlays,
                            write_model=write_model)
    finish(outcome, out, as_json, with_report)


@main.command()
@click.argument("instance_dir", type=INSTANCE)
@click.option("--objectives", required=True, metavar="A,B[,C]",
              help="Two or three objectives to trade off, the first minimised directly and the "
                   "others bounded (cost, emissions, risk, responsible_sourcing, shortfall, "
                   "cvar_shortfall, concentration).")
@click.option("--points", type=click.IntRange(min=2), default=10, show_default=True,
              help="Grid points per bounded objective (the front has at most this many points "
                   "per bounded objective; dominated and duplicate points are dropped).")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Folder to create: pareto.csv, payoff.csv, summary.json and point_NN/ with "
                   "each point's full results.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes that trace the front's grid in parallel after the payoff table "
                   "(one HiGHS thread each unless --threads is given).")
@solver_options
@click.option("--json", "as_json", is_flag=True, help="Print the front as JSON.")
@click.option("--report", "with_report", is_flag=True,
              help="Also write report.html (the front, with each point's decisions).")
@change_options
@click.pass_context
def pareto(ctx: click.Context, instance_dir: Path, objectives: str, points: int, out: Path,
           workers: int, force: bool, as_json: bool, with_report: bool, overlays, **_) -> None:
    """Trace the Pareto front of INSTANCE_DIR by the augmented epsilon-constraint method
    (AUGMECON2): efficient points only, each solved on the same built model."""
    from planner.data.instance import OBJECTIVES

    names = [n.strip() for n in objectives.split(",")]
    if not 2 <= len(names) <= 3 or len(set(names)) != len(names) or any(
            n not in OBJECTIVES for n in names):
        raise click.BadParameter(f"{objectives!r}: expected 2 or 3 distinct of "
                                 + ", ".join(OBJECTIVES), param_hint="--objectives")
    with user_errors():
        outcome = pareto_run(request_of(ctx.params), names, points, out, force, with_report,
                             reads=overlays, workers=workers)
    if as_json:
        click.echo(outcome.front.to_json(orient="records", indent=2))
        return
    click.echo(f"Pareto front of {', '.join(names)}: {len(outcome.front)} efficient points "
               f"({outcome.summary['timings']['total_s']:.1f} s; model built once in "
               f"{outcome.summary['timings']['build_s']:.2f} s)")
    shown = ["point", "cost", "emissions_t_co2e", "risk", "responsible_sourcing", "shortfall_t",
             "cvar_shortfall_t", "max_country_t"]
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
@click.option("--dependency-threshold", type=Number(0, 1), default=0.5,
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
@click.option("--label", "labels", multiple=True, metavar="NAME",
              help="A name for each run, in order (one per run, or none: the folder names), "
                   "in the tables' headers, the charts and the page's title.")
@click.option("--force", is_flag=True, help="Replace the --out folder if it already exists.")
def compare(run_dirs: tuple[Path, ...], out: Path, labels: tuple[str, ...], force: bool) -> None:
    """Compare two or more run folders side by side: objectives, builds, sourcing mix and loop
    shares; differences are against the first."""
    from planner.report.compare import write_compare

    if len(run_dirs) < 2:
        raise click.UsageError("compare needs at least two run folders")
    if labels and len(labels) != len(run_dirs):
        raise click.UsageError(f"{len(run_dirs)} runs but {len(labels)} label"
                               f"{'' if len(labels) == 1 else 's'}: give one --label per run, "
                               "in order, or none")
    with user_errors():
        path = write_compare(list(run_dirs), out, force, labels)
        click.echo(f"comparison written to {path}")




for command in (whatif, sweep, rerun):
    main.add_command(command)


if __name__ == "__main__":
    main()
