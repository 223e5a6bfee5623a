"""Value-chain model files (models/<chain>.yaml) -> typed objects.

A chain lists commodities, processes (input and output coefficients per unit of activity) and
products in use. Activity of a process is measured in tonnes of its first output, whose
coefficient must be 1 (a sink with no outputs: tonnes of its first input).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from planner.data.yamlio import line_of, read_yaml, yaml_number
from planner.errors import Problem
from planner.stocks import Lifetime

LOOPS = ("primary", "collection", "reuse", "remanufacture", "short_loop", "long_loop", "disposal")


@dataclass(frozen=True)
class Commodity:
    name: str
    description: str = ""
    unit: str = "t"
    disposable: bool = False
    disposal_cost_per_t: float = 0.0
    disposal_kgco2e_per_t: float = 0.0


@dataclass(frozen=True)
class Process:
    name: str
    inputs: dict[str, float]
    outputs: dict[str, float]
    loop: str = "primary"
    stage: str = ""
    description: str = ""
    electricity_kwh_per_t: float = 0.0
    direct_kgco2e_per_t: float = 0.0

    def net(self) -> dict[str, float]:
        """Net output per unit of activity: outputs minus inputs, per commodity (t/t)."""
        out = dict(self.outputs)
        for c, a in self.inputs.items():
            out[c] = out.get(c, 0.0) - a
        return out


@dataclass(frozen=True)
class Product:
    name: str
    placed_commodity: str
    eol_commodity: str
    lifetime: Lifetime
    description: str = ""


@dataclass(frozen=True)
class Chain:
    name: str
    description: str
    commodities: dict[str, Commodity]
    processes: dict[str, Process]
    products: dict[str, Product]
    file: str = ""


def _number(value, problems, shown, line, key, minimum=0.0) -> float:
    value = yaml_number(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        problems.append(Problem(shown, line, key, f"invalid value {value!r}",
                                f"a number >= {minimum:g}"))
        return 0.0
    return float(value)


def _mapping(value, problems, shown, line, key) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(Problem(shown, line, key, f"not a mapping: {value!r}", "key: value pairs"))
        return {}
    return value


def _unknown_keys(entry: dict, allowed: set, problems, shown, marks, path):
    for k in entry:
        if k not in allowed:
            key = ".".join(map(str, path + (k,)))
            problems.append(Problem(shown, line_of(marks, path + (k,)), key,
                                    f"unknown key {k!r}", "one of " + ", ".join(sorted(allowed))))


def load_chain(path: Path, shown: str | None = None) -> tuple[Chain | None, list[Problem]]:
    """Read and check a value-chain model file; returns (chain or None, problems)."""
    shown = shown or str(path)
    data, marks, problems = read_yaml(path, shown)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [Problem(shown, 1, None, "not a mapping", "keys name, commodities, processes")]
    _unknown_keys(data, {"name", "description", "commodities", "processes", "products"},
                  problems, shown, marks, ())
    for key in ("name", "commodities", "processes"):
        if key not in data:
            problems.append(Problem(shown, 1, key, f"required key {key!r} is missing",
                                    "name, commodities and processes"))

    commodities: dict[str, Commodity] = {}
    for name, entry in _mapping(data.get("commodities"), problems, shown,
                                line_of(marks, ("commodities",)), "commodities").items():
        path = ("commodities", name)
        line, key = line_of(marks, path), f"commodities.{name}"
        entry = _mapping(entry, problems, shown, line, key)
        _unknown_keys(entry, {"description", "unit", "disposable", "disposal_cost_per_t",
                              "disposal_kgco2e_per_t"}, problems, shown, marks, path)
        disposable = entry.get("disposable", False)
        if not isinstance(disposable, bool):
            problems.append(Problem(shown, line, key + ".disposable", f"invalid {disposable!r}",
                                    "true or false"))
        commodities[name] = Commodity(
            str(name), str(entry.get("description", "")), str(entry.get("unit", "t")),
            disposable is True,
            _number(entry.get("disposal_cost_per_t", 0.0), problems, shown, line,
                    key + ".disposal_cost_per_t"),
            _number(entry.get("disposal_kgco2e_per_t", 0.0), problems, shown, line,
                    key + ".disposal_kgco2e_per_t"),
        )

    processes: dict[str, Process] = {}
    for name, entry in _mapping(data.get("processes"), problems, shown,
                                line_of(marks, ("processes",)), "processes").items():
        path = ("processes", name)
        line, key = line_of(marks, path), f"processes.{name}"
        entry = _mapping(entry, problems, shown, line, key)
        _unknown_keys(entry, {"description", "loop", "stage", "inputs", "outputs",
                              "electricity_kwh_per_t", "direct_kgco2e_per_t"},
                      problems, shown, marks, path)
        coefs = {}
        for side in ("inputs", "outputs"):
            side_map = _mapping(entry.get(side), problems, shown, line, f"{key}.{side}")
            coefs[side] = {}
            for c, a in side_map.items():
                cline = line_of(marks, path + (side, c))
                if c not in commodities:
                    problems.append(Problem(shown, cline, f"{key}.{side}.{c}",
                                            f"unknown commodity {c!r}",
                                            "a commodity listed under commodities"))
                value = _number(a, problems, shown, cline, f"{key}.{side}.{c}")
                if value <= 0:
                    problems.append(Problem(shown, cline, f"{key}.{side}.{c}",
                                            f"coefficient {a!r} is not positive", "a number > 0"))
                coefs[side][str(c)] = value
        if not coefs["inputs"] and not coefs["outputs"]:
            problems.append(Problem(shown, line, key, "process has neither inputs nor outputs",
                                    "at least one input or output"))
        reference = coefs["outputs"] or coefs["inputs"]
        if reference:
            first, value = next(iter(reference.items()))
            if value != 1.0:
                side = "outputs" if coefs["outputs"] else "inputs"
                problems.append(Problem(shown, line_of(marks, path + (side, first)),
                                        f"{key}.{side}.{first}",
                                        f"reference coefficient is {value:g}: activity is measured "
                                        "in tonnes of the first output", "1.0"))
        loop = entry.get("loop", "primary")
        if loop not in LOOPS:
            problems.append(Problem(shown, line_of(marks, path + ("loop",)), f"{key}.loop",
                                    f"unknown loop {loop!r}", "one of " + ", ".join(LOOPS)))
        processes[name] = Process(
            str(name), coefs["inputs"], coefs["outputs"], str(loop), str(entry.get("stage", "")),
            str(entry.get("description", "")),
            _number(entry.get("electricity_kwh_per_t", 0.0), problems, shown, line,
                    key + ".electricity_kwh_per_t"),
            _number(entry.get("direct_kgco2e_per_t", 0.0), problems, shown, line,
                    key + ".direct_kgco2e_per_t"),
        )

    products: dict[str, Product] = {}
    for name, entry in _mapping(data.get("products"), problems, shown,
                                line_of(marks, ("products",)), "products").items():
        path = ("products", name)
        line, key = line_of(marks, path), f"products.{name}"
        entry = _mapping(entry, problems, shown, line, key)
        _unknown_keys(entry, {"description", "placed_commodity", "eol_commodity", "lifetime"},
                      problems, shown, marks, path)
        for field in ("placed_commodity", "eol_commodity"):
            if entry.get(field) not in commodities:
                problems.append(Problem(shown, line_of(marks, path + (field,)), f"{key}.{field}",
                                        f"unknown commodity {entry.get(field)!r}",
                                        "a commodity listed under commodities"))
        lt = _mapping(entry.get("lifetime"), problems, shown, line, key + ".lifetime")
        lline = line_of(marks, path + ("lifetime",))
        lifetime = None
        if lt.get("distribution") not in ("fixed", "normal", "weibull"):
            problems.append(Problem(shown, lline, key + ".lifetime.distribution",
                                    f"unknown distribution {lt.get('distribution')!r}",
                                    "fixed, normal or weibull"))
        else:
            extra = set(lt) - {"distribution", "mean", "sd", "shape", "scale"}
            params = {k: yaml_number(lt.get(k)) for k in ("mean", "sd", "shape", "scale")}
            bad = [k for k, v in params.items()
                   if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)))]
            if extra or bad:
                problems.append(Problem(shown, lline, key + ".lifetime",
                                        f"invalid lifetime keys {sorted(extra | set(bad))}",
                                        "numbers under mean, sd, shape, scale"))
            else:
                lifetime = Lifetime(lt["distribution"], **params)
                problems += [Problem(shown, lline, key + ".lifetime", msg)
                             for msg in lifetime.problems()]
        products[name] = Product(str(name), str(entry.get("placed_commodity")),
                                 str(entry.get("eol_commodity")), lifetime,
                                 str(entry.get("description", "")))
    chain = Chain(str(data.get("name", "")), str(data.get("description", "")), commodities,
                  processes, products, shown)
    return chain, problems
