"""instance.yaml -> Settings, with every problem named by line and key."""

from __future__ import annotations

from pathlib import Path

from planner.data.instance import OBJECTIVES, ObjectiveSpec, Settings, parse_objective
from planner.data.schema import MAX_MAGNITUDE, MAX_MODEL_YEARS, YEAR_RANGE
from planner.data.yamlio import Marks, finite_number, line_of, read_yaml, yaml_number
from planner.errors import Problem
from planner.rare_earths import BASES
from planner.suggest import one_of
from planner.tree import BUILD_MODES

KEYS = {"name", "description", "model", "currency", "years", "base_year", "discount_rate",
        "shortage_penalty_per_t", "objective", "eol_region", "cvar_alpha", "limits", "variants",
        "share_basis", "builds", "build_years"}


def read_settings(path: Path, shown: str) -> tuple[Settings | None, Marks, list[Problem]]:
    """(settings or None, the line of every key, problems)."""
    data, marks, problems = read_yaml(path, shown)
    if problems:
        return None, marks, problems
    if not isinstance(data, dict):
        return None, marks, [Problem(shown, 1, None, "not a mapping",
                                     "keys name, model, years, ...")]

    def bad(key_path, message, expected):
        problems.append(Problem(shown, line_of(marks, key_path), ".".join(map(str, key_path)),
                                message, expected))

    for k in data:
        if k not in KEYS:
            bad((k,), f"unknown key {k!r}", one_of(k, KEYS, limit=len(KEYS)))
    for k in ("name", "model", "years"):
        if k not in data:
            problems.append(Problem(shown, 1, k, f"required key {k!r} is missing",
                                    "name, model and years"))

    def number(key_path, value, minimum=None, integer=False, maximum=MAX_MAGNITUDE):
        x = finite_number(value)
        ok = x is not None and (not integer or x.is_integer())
        ok = ok and (minimum is None or x >= minimum) and abs(x) <= maximum
        if not ok:
            kind = "a whole number" if integer else "a number"
            shown = value if isinstance(value, int | float | bool) else str(value)[:40]
            if maximum < MAX_MAGNITUDE:
                kind += f" in [{minimum:g}, {maximum:g}]"
            elif minimum is not None:
                kind += f" >= {minimum:g}"
            bad(key_path, f"invalid value {shown!r}", kind)
            return None
        return int(x) if integer else x

    def year(key_path, value):
        return number(key_path, value, YEAR_RANGE[0], True, YEAR_RANGE[1])

    years = data.get("years", {})
    if not isinstance(years, dict):
        bad(("years",), f"invalid value {years!r}", "{start: YEAR, end: YEAR}")
        years = {}
    for k in years:
        if k not in ("start", "end", "step"):
            bad(("years", k), f"unknown key {k!r}", "start, end, step")
    start = year(("years", "start"), years.get("start"))
    end = year(("years", "end"), years.get("end"))
    step = number(("years", "step"), years.get("step", 1), 1, True, 50)
    if start is not None and end is not None and step is not None:
        if end < start:
            bad(("years", "end"), f"end {end} is before start {start}", "end >= start")
        elif (end - start) % step:
            bad(("years", "step"), f"step {step} does not reach end {end} from start {start}",
                "a step that divides end - start")
        elif (end - start) // step + 1 > MAX_MODEL_YEARS:
            bad(("years", "end"), f"{(end - start) // step + 1} model years",
                f"at most {MAX_MODEL_YEARS} model years (a larger years.step, or a nearer end)")
    base_year = year(("base_year",), data.get("base_year", start))
    rate = number(("discount_rate",), data.get("discount_rate", 0.0), 0.0)
    if rate is not None and rate >= 1:
        bad(("discount_rate",), f"discount rate {rate} is not a fraction", "a fraction like 0.035")
    penalty = number(("shortage_penalty_per_t",), data.get("shortage_penalty_per_t", 1.0e6), 0.0,
                     maximum=1e9)
    alpha = number(("cvar_alpha",), data.get("cvar_alpha", 0.9), 0.0)
    if alpha is not None and alpha >= 1:
        bad(("cvar_alpha",), f"CVaR level {alpha} is not below 1", "a level in [0, 1), e.g. 0.9")

    limits = {}
    raw_limits = data.get("limits", {})
    if not isinstance(raw_limits, dict):
        bad(("limits",), f"invalid limits {raw_limits!r}", "{cvar_shortfall: 100, ...}")
        raw_limits = {}
    for name, value in raw_limits.items():
        if name not in OBJECTIVES:
            bad(("limits", name), f"unknown measure {name!r}", "one of " + ", ".join(OBJECTIVES))
        elif (v := number(("limits", name), value)) is not None:
            limits[name] = v
    spec, message = _objective(data.get("objective", "cost"))
    if message:
        bad(("objective",), message,
            "cost, emissions, risk, responsible_sourcing, shortfall, cvar_shortfall or "
            "concentration; "
            "`cost=1,risk=0.5`; `cost>risk`; or {weights: {cost: 1, risk: 0.5}, normalise: true}")
    share_basis = data.get("share_basis", "rare_earth")
    if share_basis not in BASES:
        bad(("share_basis",), f"unknown share basis {share_basis!r}",
            "rare_earth (shares of contained NdPr and Dy/Tb) or mass (shares of tonnes)")
    builds = data.get("builds", "")
    if builds not in ("",) + BUILD_MODES:
        bad(("builds",), f"unknown build mode {builds!r}",
            "tree (builds wait for what each scenario reveals) or shared (all builds decided "
            "at the start, for every scenario)")
    build_years = _build_years(data.get("build_years", []), start, end, step, bad)
    for key in ("name", "description", "model", "currency", "eol_region"):
        value = data.get(key, "")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            bad((key,), f"{key} is not text", "a name or text on one line")
    if problems:
        return None, marks, problems
    return Settings(
        name=str(data["name"]), description=str(data.get("description", "")),
        model=str(data["model"]), currency=str(data.get("currency", "GBP")),
        start=start, end=end, step=step, base_year=base_year, discount_rate=rate,
        shortage_penalty_per_t=penalty, objective=spec,
        eol_region=str(data.get("eol_region", "")), cvar_alpha=alpha, limits=limits,
        share_basis=share_basis, builds=builds, build_years=build_years,
    ), marks, problems


def _build_years(value, start, end, step, bad) -> tuple[int, ...]:
    """instance.yaml `build_years:` (a list of model years) -> sorted years; problems to bad."""
    expected = "a list of model years, e.g. [2025, 2026, 2027, 2030, 2035, 2040]"
    if not isinstance(value, list):
        bad(("build_years",), f"invalid value {str(value)[:40]!r}", expected)
        return ()
    years = []
    for i, y in enumerate(value):
        ok = isinstance(y, int) and not isinstance(y, bool)
        on_grid = ok and None not in (start, end, step) and start <= y <= end and \
            (y - start) % step == 0
        if not on_grid:
            grid = f"a model year from {start} to {end}" + (f", every {step}" if step and
                                                            step > 1 else "")
            bad(("build_years", i), f"{y!r} is not a model year", grid)
        elif y in years:
            bad(("build_years", i), f"{y} is listed twice", "each year once")
        else:
            years.append(y)
    return tuple(sorted(years))


def _objective(value) -> tuple[ObjectiveSpec | None, str | None]:
    """instance.yaml `objective:` -> (spec, None) or (None, what is wrong)."""
    if isinstance(value, str):
        return parse_objective(value)
    if isinstance(value, dict) and "lexicographic" in value and set(value) == {"lexicographic"}:
        order = value["lexicographic"]
        if isinstance(order, list):
            return parse_objective(">".join(map(str, order)))
        return None, f"invalid lexicographic order {order!r}"
    if isinstance(value, dict) and "weights" in value and set(value) <= {"weights", "normalise"}:
        weights, normalise = value["weights"], value.get("normalise", False)
        if not isinstance(weights, dict) or not isinstance(normalise, bool):
            return None, f"invalid objective {value!r}"
        text = ",".join(f"{k}={yaml_number(v)}" for k, v in weights.items())
        spec, message = parse_objective(text)
        return (ObjectiveSpec(spec.weights, normalise=normalise), None) if spec else (
            None, message)
    return None, f"invalid objective {value!r}"
