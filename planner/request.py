"""What a run asks for, in one place: the instance, its changes, the decisions imposed, the
objective and limits, and the solver's options. solve, whatif, sweep, rerun and pareto all build
one `RunRequest`; a run folder records it in command.json in a versioned form
(`RunRequest.record` / `RunRequest.from_record`), so renaming a command-line option never breaks
a rerun of an old run. Records written before the versioned form (their `params` are the
command's option names) are still read.

This module is light (no solver, no pandas) so that the command line starts fast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import PlannerError

if TYPE_CHECKING:
    from planner.data.changes import Change
    from planner.data.instance import ObjectiveSpec
    from planner.formulation.decisions import Decisions

# The one default of every command and the API, chosen from measurements on the UK tree
# (README, "Solver defaults"): 1 % is reached in one to three minutes on 2 cores, and tighter
# gaps move the expected cost by under 0.1 % and only shift late builds by a year or two, while
# each further tenth of a percent costs many minutes. The time limit returns the best plan found
# with its gap (exit code 4) instead of running on for hours on larger cases.
DEFAULT_MIP_GAP = 1e-2  # relative (0.01 = 1 %)
DEFAULT_TIME_LIMIT = 600.0  # seconds per solve
RECORD_VERSION = 1
EV_START = "ev"  # --start ev: the expected-value problem's plan (planner.solve.ev_start)


@dataclass(frozen=True)
class SolveOptions:
    """time_limit in seconds per solve (None: none); mip_gap relative (0.01 = 1 %); threads None =
    HiGHS's choice; seed None = HiGHS's; log shows the HiGHS log."""

    time_limit: float | None = DEFAULT_TIME_LIMIT
    mip_gap: float = DEFAULT_MIP_GAP
    threads: int | None = None
    seed: int | None = None
    log: bool = False


@dataclass(frozen=True)
class RunRequest:
    """One run: solve `instance` with `changes` applied in order, the decisions imposed
    (`fix_builds` as `FACILITY=M[@YEAR]`, facilities and countries forbidden, the build plan of
    the run or plan CSV `evaluate` held), minimising `objective` (text as --objective takes it;
    None: the instance's, `normalise` by the payoff table) under `limits` (measure -> upper
    bound, in the measure's unit, added to the instance's), with `solver`'s options, the
    builds of the run or plan CSV `start` offered as a MIP start."""

    instance: Path
    changes: tuple[Change, ...] = ()
    objective: str | None = None
    normalise: bool = False
    limits: tuple[tuple[str, float], ...] = ()
    fix_builds: tuple[str, ...] = ()
    forbid_builds: tuple[str, ...] = ()
    forbid_countries: tuple[str, ...] = ()
    evaluate: Path | None = None
    solver: SolveOptions = field(default_factory=SolveOptions)
    stochastic_metrics: bool = False
    # a run folder or plan CSV whose builds start the MIP, or EV_START: the expected-value plan
    start: Path | str | None = None

    def objective_spec(self) -> ObjectiveSpec | None:
        """The objective to minimise (None: the instance's)."""
        from dataclasses import replace

        from planner.data.instance import parse_objective

        if self.objective is None:
            return None
        spec, message = parse_objective(self.objective)
        if spec is None:
            raise PlannerError(f"objective {self.objective!r}: {message}")
        return replace(spec, normalise=True) if self.normalise else spec

    def limit_bounds(self) -> dict[str, float]:
        """measure -> upper bound."""
        return dict(self.limits)

    def decisions(self) -> Decisions:
        """The decisions imposed on the built model (the plan of `evaluate` read now)."""
        from planner.formulation.decisions import Decisions

        return Decisions.from_options(self.fix_builds, self.forbid_builds,
                                      self.forbid_countries, self.evaluate)

    def start_plan(self):
        """The build plan of `start` (planner.formulation.decisions.read_plan), EV_START or
        None."""
        from planner.formulation.decisions import read_plan

        return read_plan(self.start) if isinstance(self.start, Path) else self.start

    def reads(self) -> list[Path]:
        """The paths the run reads (an --out may never replace them)."""
        return [p for p in (self.instance, self.evaluate, self.start) if isinstance(p, Path)]

    # --- the record in command.json and sweep.json ------------------------------------------

    def record(self) -> dict[str, Any]:
        """This request as plain JSON data (`RunRequest.from_record` reads it back)."""
        return {
            "instance": str(self.instance),
            "changes": [{"path": c.path, "op": c.op, "value": c.value, "source": c.source}
                        for c in self.changes],
            "objective": self.objective, "normalise": self.normalise,
            "limits": dict(self.limits),
            "decisions": {"fix_builds": list(self.fix_builds),
                          "forbid_builds": list(self.forbid_builds),
                          "forbid_countries": list(self.forbid_countries),
                          "evaluate": str(self.evaluate) if self.evaluate else None},
            "solver": {"time_limit": self.solver.time_limit, "mip_gap": self.solver.mip_gap,
                       "threads": self.solver.threads, "seed": self.solver.seed},
            "stochastic_metrics": self.stochastic_metrics,
            "start": str(self.start) if self.start else None,
        }

    @classmethod
    def from_record(cls, data: Any, where: str) -> RunRequest:
        """Read `record()`'s output back; `where` names the file in errors."""
        from planner.data.changes import Change

        try:
            decisions, solver = data["decisions"], data["solver"]
            request = cls(
                instance=Path(_text(data["instance"])),
                changes=tuple(Change(_text(c["path"]), _text(c["op"]), _text(c["value"]),
                                     _text(c["source"])) for c in data["changes"]),
                objective=_optional(data["objective"], _text),
                normalise=_flag(data["normalise"]),
                limits=tuple((_text(k), _number(v)) for k, v in data["limits"].items()),
                fix_builds=tuple(map(_text, decisions["fix_builds"])),
                forbid_builds=tuple(map(_text, decisions["forbid_builds"])),
                forbid_countries=tuple(map(_text, decisions["forbid_countries"])),
                evaluate=_optional(decisions["evaluate"], lambda v: Path(_text(v))),
                solver=SolveOptions(time_limit=_optional(solver["time_limit"], _number),
                                    mip_gap=_number(solver["mip_gap"]),
                                    threads=_optional(solver["threads"], _whole),
                                    seed=_optional(solver["seed"], _whole)),
                stochastic_metrics=_flag(data.get("stochastic_metrics", False)),
                start=_optional(data.get("start"), _start),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise PlannerError(f"{where}: not a run request planner can read ({exc!r} is "
                               "missing or wrong)") from None
        return request

    @classmethod
    def from_legacy(cls, params: dict[str, Any], where: str) -> RunRequest:
        """A request from a record without a version: the command's parameters by option name
        (as planner 0.1 wrote command.json), put in the record's form and read as one."""
        if not isinstance(params, dict):
            raise PlannerError(f"{where}: not a command record planner can repeat")
        limits = (str(t).partition("=") for t in params.get("limit_texts") or ())
        record = {
            "instance": params.get("instance_dir"), "changes": [],
            "objective": params.get("objective_text"),
            "normalise": params.get("normalise", False),
            "limits": {name.strip(): value for name, _, value in limits},
            "decisions": {key: list(params.get(key) or ()) for key in (
                "fix_builds", "forbid_builds", "forbid_countries")} | {
                "evaluate": params.get("evaluate")},
            "solver": {"time_limit": params.get("time_limit", DEFAULT_TIME_LIMIT),
                       "mip_gap": params.get("mip_gap", DEFAULT_MIP_GAP),
                       "threads": params.get("threads") or None, "seed": params.get("seed")},
            "stochastic_metrics": params.get("stochastic_metrics", False)}
        return cls.from_record(record, where)


def _text(value) -> str:
    if not isinstance(value, str):
        raise ValueError(value)
    return value


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(value)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _whole(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(value)
    return value


def _flag(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(value)
    return value


def _start(value) -> Path | str:
    """A recorded start: the keyword "ev" or a path."""
    return EV_START if _text(value) == EV_START else Path(value)


def _optional(value, read):
    return None if value is None else read(value)
