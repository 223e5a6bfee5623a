"""The `planner` command line: thin; parses options, calls the API, maps outcomes to exit codes.

Exit codes: 0 optimal; 1 unexpected error; 2 bad command-line usage; 3 invalid input data;
4 time limit reached with a solution (written, gap reported); 5 infeasible; 6 unbounded;
7 time limit reached without a solution; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import json
import sys
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
from planner.cli_run import EXIT, finish, model_file, solve_run, user_errors
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
@click.option("--write-model", type=click.Path(path_type=Path), default=None,
              callback=model_file, metavar="FILE.mps|FILE.lp",
              help="Also write the model as HiGHS solved it (decisions applied, named rows "
                   "and columns, objective constant included) to this MPS or LP file, for "
                   "inspection or another solver.")
def solve(instance_dir: Path, out: Path, time_limit, mip_gap, threads, seed, force, log,
          objective_text, normalise, limit_texts, as_json, stochastic_metrics,
          with_report, variants, overlays, sets, fix_builds, forbid_builds, forbid_countries,
          evaluate, decompose, ph_rho, ph_iterations, ph_tolerance, write_model) -> None:
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
        outcome = solve_run(instance_dir, out, force, options, spec, limits, changes,
                             decisions, stochastic_metrics, with_report, annotate=extra,
                             write_model=write_model)
    finish(outcome, out, as_json, with_report)


def _progressive_hedging(instance_dir, changes, decisions, options, rho, iterations,
                         tolerance):
    """PH's consensus plan as the decisions to evaluate, and what to add to the summary
    (None on MPI ranks other than 0): planner.workflow.hedged_plan."""
    from planner.solve.ph import PHOptions
    from planner.workflow import hedged_plan

    return hedged_plan(instance_dir, changes, decisions, options,
                       PHOptions(rho, iterations, tolerance))


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




for command in (whatif, sweep, rerun):
    main.add_command(command)


if __name__ == "__main__":
    main()
