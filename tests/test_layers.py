"""Layers that point one way: every module imports on its own, and only from layers below it.

The layer map, lowest first. A module may import planner modules of its own layer and of the
layers before it, never of a later one:

  base         planner, planner.errors, planner.scratch, planner.bundled, planner.suggest:
               errors, scratch folders, bundled files, names like a misspelt one
  data         planner.data.*, planner.chain, planner.rare_earths, planner.stocks,
               planner.arrivals, planner.tree: reading, checking and holding input; the value
               chain and its rare-earth content; end-of-life arrivals; the scenario tree
  formulation  planner.formulation.*: the model (sets, variables, rows, measures, decisions)
  runs         planner.request, planner.runs: what a run asks for (instance, changes,
               decisions, objective, solver options; defaults shared by the solver and every
               command) and the run folders it is written to
  solve        planner.solve.*: HiGHS, duals, infeasibility, tradeoffs, stochastic metrics,
               progressive hedging; numbers and records, no sentences for users
  results      planner.results.*: result tables, summary, loop shares, risk measures, and every
               sentence about a solution (wording.py)
  report       planner.report.*: terminal summary, HTML and Excel reports, comparisons
  workflow     planner.workflow, planner.sweep: the jobs (load, build, solve, read back)
  cli          planner.cli, planner.cli_*, planner.__main__: the command line

Besides: only the cli layer imports click, and it goes through the workflow: it never imports a
model builder or a solver (BUILDERS) itself.
"""

from __future__ import annotations

import ast
import fnmatch
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "planner"

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("planner", "planner.errors", "planner.scratch", "planner.bundled",
              "planner.suggest")),
    ("data", ("planner.data", "planner.data.*", "planner.chain", "planner.rare_earths",
              "planner.stocks", "planner.arrivals", "planner.tree")),
    ("formulation", ("planner.formulation", "planner.formulation.*")),
    ("runs", ("planner.request", "planner.runs")),
    ("solve", ("planner.solve", "planner.solve.*")),
    ("results", ("planner.results", "planner.results.*")),
    ("report", ("planner.report", "planner.report.*")),
    ("workflow", ("planner.workflow", "planner.sweep")),
    ("cli", ("planner.cli", "planner.cli_*", "planner.__main__")),
)
RANK = {name: i for i, (name, _) in enumerate(LAYERS)}
# what the command line must leave to the workflow: building, changing and solving models
BUILDERS = {"build_model", "apply_decisions", "set_objective", "solve", "HighsSession",
            "Optimiser", "optimise", "pareto", "progressive_hedging", "Resolver"}


def module_names() -> list[str]:
    """Every module of the package, from its files."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def layer_of(module: str) -> str | None:
    for name, patterns in LAYERS:
        if any(fnmatch.fnmatchcase(module, p) for p in patterns):
            return name
    return None


def imports(module: str) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) of every import in `module`'s file,
    wherever it stands (inside functions too: a lazy import is a dependency all the same)."""
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = PACKAGE.parent / module.replace(".", "/") / "__init__.py"
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, "", node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found += [(base, alias.name, node.lineno) for alias in node.names]
    return found


def target(imported: str, name: str, known: set[str]) -> str:
    """The planner module an import reaches: `from planner.report import figures` reaches
    planner.report.figures."""
    return f"{imported}.{name}" if f"{imported}.{name}" in known else imported


def test_every_module_has_a_layer():
    assert [m for m in module_names() if layer_of(m) is None] == []


def test_layers_point_one_way():
    known = set(module_names())
    wrong = []
    for module in sorted(known):
        for imported, name, line in imports(module):
            reached = target(imported, name, known)
            if reached != "planner" and not reached.startswith("planner."):
                continue
            below = layer_of(reached)
            if below is None or RANK[below] > RANK[layer_of(module)]:
                wrong.append(f"{module}:{line} ({layer_of(module)}) imports {reached} ({below})")
    assert wrong == []


def test_only_the_command_line_imports_click():
    users = {m for m in module_names() for imported, _, _ in imports(m)
             if imported == "click" or imported.startswith("click.")}
    assert {m for m in users if layer_of(m) != "cli"} == set()


def test_the_command_line_builds_and_solves_nothing_itself():
    """Models are built, changed and solved by the workflow; the CLI passes options along."""
    found = [f"{m}:{line} imports {name} from {imported}"
             for m in module_names() if layer_of(m) == "cli"
             for imported, name, line in imports(m)
             if imported.startswith("planner.") and name in BUILDERS]
    assert found == []


# Run in a fresh interpreter: the heavy third-party libraries are loaded once, then each planner
# module is imported first thing in a forked child (no planner module loaded before it), so an
# import cycle shows as it would for a user whose first import is that module.
FIRST_IMPORTS = r"""
import importlib, os, sys, traceback
import numpy, pandas, scipy.sparse, scipy.sparse.linalg, scipy.stats, yaml, click, highspy
import pyomo.environ
from pyomo.contrib.solver.common.factory import SolverFactory
assert not [m for m in sys.modules if m == "planner" or m.startswith("planner.")]
failed = []
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            sys.argv = ["planner", "--version"]  # planner.__main__ runs the CLI
            importlib.import_module(name)
        except SystemExit as stop:
            code = 0 if stop.code in (0, None) else 3
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if os.waitpid(pid, 0)[1]:
        failed.append(name)
print("FAILED:" + ",".join(failed))
"""


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_every_module_imports_first_in_a_fresh_interpreter():
    names = module_names()
    run = subprocess.run([sys.executable, "-c", FIRST_IMPORTS, *names], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    failed = run.stdout.strip().splitlines()[-1].removeprefix("FAILED:")
    assert failed == "", f"first import fails for {failed}:\n{run.stderr[-4000:]}"
