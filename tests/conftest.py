"""Shared helpers: write small instances to a temporary folder and solve them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from planner.solve import SolveOptions
from planner.workflow import solve_instance

ROOT = Path(__file__).resolve().parents[1]

# one commodity `m` made from nothing: the smallest chain, shared by the hand-solved cases
MAKE_CHAIN = """\
name: make
commodities:
  m: {description: magnet}
processes:
  make: {outputs: {m: 1.0}}
"""

SETTINGS = """\
name: {name}
model: chain.yaml
currency: GBP
years: {{start: {start}, end: {end}}}
base_year: {start}
discount_rate: {rate}
shortage_penalty_per_t: 100000
objective: {objective}
"""

REGIONS = """\
region,country,domestic,risk,grid_kgco2e_per_kwh
H,GB,true,0.2,0.1
A,CN,false,0.6,0.5
"""


def write_instance(folder: Path, chain: str, tables: dict[str, str], start=2025, end=2025,
                   rate=0.0, objective="cost", name="case", settings: str | None = None) -> Path:
    """Write instance.yaml, chain.yaml and the given CSV tables (regions.csv by default)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chain.yaml").write_text(textwrap.dedent(chain))
    (folder / "instance.yaml").write_text(settings or SETTINGS.format(
        name=name, start=start, end=end, rate=rate, objective=objective))
    tables = {"regions.csv": REGIONS, "links.csv": "origin,destination,commodity\n", **tables}
    for file, text in tables.items():
        (folder / file).write_text(textwrap.dedent(text))
    return folder


@pytest.fixture
def solve_case():
    def run(folder: Path, objective=None, **options):
        return solve_instance(folder, SolveOptions(mip_gap=0.0, **options), objective=objective)
    return run


@pytest.fixture(scope="session")
def uk_outcome():
    """The bundled UK instance with all its scenarios, solved once per test session as
    `planner solve` does it: to a 1 % gap, from the expected-value plan (about 15 s on 2 cores;
    cold, the tree takes about a minute to 1 % and many minutes to 0.1 %); the tests check
    plausibility and balances, not the last 0.1 %."""
    return solve_instance(ROOT / "instances/uk-baseline",
                          SolveOptions(mip_gap=0.01, time_limit=900), start="ev")


@pytest.fixture(scope="session")
def uk_run(uk_outcome, tmp_path_factory) -> Path:
    """uk_outcome written as a run folder."""
    from planner.runs import write_run

    out = tmp_path_factory.mktemp("runs") / "uk"
    write_run(out, uk_outcome.tables, uk_outcome.summary, force=False)
    return out


@pytest.fixture(scope="session")
def toy_run(tmp_path_factory) -> Path:
    """The bundled toy instance solved and written as a run folder."""
    from planner.runs import write_run

    outcome = solve_instance(ROOT / "instances/toy", SolveOptions(mip_gap=0.0))
    out = tmp_path_factory.mktemp("runs") / "toy"
    write_run(out, outcome.tables, outcome.summary, force=False)
    return out
