"""A run folder read back for reporting: summary.json and its tables (or a Pareto folder:
pareto.csv, payoff.csv and one run per point)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.errors import PlannerError

NEEDED = ("builds", "capacity", "process_flows", "flows", "purchases", "demand", "shortfall",
          "disposal", "eol_arrivals", "costs", "emissions", "loop_shares", "concentration")


@dataclass
class Run:
    path: Path
    summary: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return self.summary.get("currency", "")

    @property
    def dims(self) -> dict:
        return self.summary["dimensions"]

    @property
    def scenarios(self) -> list[str]:
        return [s["scenario"] for s in self.dims["scenarios"]]

    @property
    def probability(self) -> dict[str, float]:
        return {s["scenario"]: s["probability"] for s in self.dims["scenarios"]}

    @property
    def years(self) -> list[int]:
        years = set(self.tables["demand"]["year"]) | set(self.tables["capacity"]["year"])
        return sorted(int(y) for y in years)

    @property
    def name(self) -> str:
        return self.summary.get("instance", {}).get("name", self.path.name)


@dataclass
class Front:
    path: Path
    summary: dict
    front: pd.DataFrame
    payoff: pd.DataFrame
    points: dict[int, Run]


def _summary(path: Path) -> dict:
    file = path / "summary.json"
    if not file.is_file():
        raise PlannerError(f"{path} is not a run folder: it has no summary.json (expected the "
                           "--out folder of planner solve or planner pareto)")
    try:
        return json.loads(file.read_text("utf-8"))
    except json.JSONDecodeError as error:
        raise PlannerError(f"{file}: not valid JSON ({error})") from None


def load_run(path: str | Path) -> Run:
    """The run folder at `path`, with every results table read."""
    path = Path(path)
    summary = _summary(path)
    if not summary.get("objectives"):
        raise PlannerError(f"{path}: the run has no solution (status "
                           f"{summary.get('status', '?')}), so there is nothing to report")
    missing = [name for name in NEEDED if not (path / f"{name}.csv").is_file()]
    if missing or "dimensions" not in summary:
        raise PlannerError(f"{path}: missing {', '.join(missing) or 'summary dimensions'}; "
                           "the folder was written by an older planner or altered: solve again")
    tables = {p.stem: pd.read_csv(p, keep_default_na=False, na_values=[""])
              for p in sorted(path.glob("*.csv"))}
    return Run(path, summary, tables)


def is_front(path: str | Path) -> bool:
    return (Path(path) / "pareto.csv").is_file()


def load_front(path: str | Path) -> Front:
    path = Path(path)
    summary = _summary(path)
    front = pd.read_csv(path / "pareto.csv")
    payoff = pd.read_csv(path / "payoff.csv") if (path / "payoff.csv").is_file() else \
        pd.DataFrame()
    points = {int(p): load_run(path / f"point_{int(p):02d}") for p in front["point"]}
    return Front(path, summary, front, payoff, points)
