"""Value-chain model files (models/<chain>.yaml) -> typed objects.

A chain lists commodities, processes (input and output coefficients per unit of activity) and
products in use. Activity of a process is measured in tonnes of its first output, whose
coefficient must be 1 (a sink with no outputs: tonnes of its first input).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from planner.data.schema import MAX_MAGNITUDE
from planner.data.yamlio import finite_number, line_of, read_yaml, yaml_number
from planner.errors import Problem
from planner.rare_earths import GROUPS, TOLERANCE, imbalances
from planner.stocks import Lifetime

LOOPS = ("primary", "collection", "reuse", "remanufacture", "short_loop", "long_loop", "disposal")
RECYCLED_LOOPS = ("reuse", "remanufacture", "short_loop", "long_loop")


@dataclass(frozen=True)
class Commodity:
    name: str
    description: str = ""
    unit: str = "t"
    disposable: bool = False
    disposal_cost_per_t: float = 0.0
    disposal_kgco2e_per_t: float = 0.0
    # group (planner.rare_earths.GROUPS) -> t of contained rare-earth metal per t of commodity
    rare_earths: dict[str, float] = field(default_factory=dict)


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
    recycled_credit: float = 0.0  # t of demand-commodity equivalent per unit of activity
    rare_earth_loss: float = 0.0  # largest share of the input rare earths (each group) lost

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
    # commodity -> largest share of this product's demand it may serve instead of the placed
    # commodity (qualification: e.g. reused magnets of the right grade and geometry)
    accepts: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Chain:
    name: str
    description: str
    commodities: dict[str, Commodity]
    processes: dict[str, Process]
    products: dict[str, Product]
    file: str = ""


def process_stages(chain: Chain) -> dict[str, str]:
    """process -> its stage ("other" where the chain gives none)."""
    return {name: process.stage or "other" for name, process in chain.processes.items()}


def commodity_stages(chain: Chain) -> dict[str, str]:
    """commodity -> its stage: the stage of the first process whose first output it is
    ("other" if none)."""
    stage_of = process_stages(chain)
    stages: dict[str, str] = {}
    for name, process in chain.processes.items():
        if process.outputs:
            stages.setdefault(next(iter(process.outputs)), stage_of[name])
    return {c: stages.get(c, "other") for c in chain.commodities}


class _Reader:
    """Reads typed values out of a parsed YAML file, recording each problem with its line and
    key path (`processes.separation.inputs.mixed_reo`)."""

    def __init__(self, shown: str, marks, problems: list[Problem]):
        self.shown, self.marks, self.problems = shown, marks, problems

    def bad(self, path: tuple, message: str, expected: str | None = None) -> None:
        key = ".".join(map(str, path)) or None
        self.problems.append(Problem(self.shown, line_of(self.marks, path), key, message,
                                     expected))

    def mapping(self, value, path: tuple) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.bad(path, f"not a mapping: {value!r}", "key: value pairs")
            return {}
        return value

    def entries(self, data: dict, section: str, allowed: set[str]):
        """(name, entry, path) for each entry of a top-level section, unknown keys reported."""
        for name, entry in self.mapping(data.get(section), (section,)).items():
            path = (section, name)
            if entry is not None and not isinstance(entry, dict):
                self.mapping(entry, path)  # said once; the entry is left out
                continue
            entry = self.mapping(entry, path)
            self.known_keys(entry, allowed, path)
            yield str(name), entry, path

    def known_keys(self, entry: dict, allowed: set[str], path: tuple) -> None:
        for k in entry:
            if k not in allowed:
                self.bad(path + (k,), f"unknown key {k!r}", "one of " + ", ".join(sorted(allowed)))

    def number(self, entry: dict, key: str, path: tuple, default: float = 0.0) -> float:
        value = finite_number(entry.get(key, default))
        if value is None or not 0 <= value <= MAX_MAGNITUDE:
            shown = entry.get(key)
            shown = shown if isinstance(shown, int | float) else str(shown)[:40]
            self.bad(path + (key,), f"invalid value {shown!r}",
                     f"a finite number in [0, {MAX_MAGNITUDE:g}]")
            return 0.0
        return value


def load_chain(path: Path, shown: str | None = None) -> tuple[Chain | None, list[Problem]]:
    """Read and check a value-chain model file; returns (chain or None, problems)."""
    shown = shown or str(path)
    data, marks, problems = read_yaml(path, shown)
    if problems:
        return None, problems
    if not isinstance(data, dict) or not {"commodities", "processes"} & set(map(str, data)):
        # not echoed: a file that is not a value-chain model may hold anything
        return None, [Problem(shown, 1, None, "not a value-chain model (no commodities or "
                              "processes)", "a mapping with keys name, commodities, processes")]
    read = _Reader(shown, marks, problems)
    read.known_keys(data, {"name", "description", "commodities", "processes", "products"}, ())
    for key in ("name", "commodities", "processes"):
        if key not in data:
            read.bad((key,), f"required key {key!r} is missing", "name, commodities, processes")

    commodities: dict[str, Commodity] = {}
    for name, entry, at in read.entries(data, "commodities", {
            "description", "unit", "disposable", "disposal_cost_per_t", "disposal_kgco2e_per_t",
            "rare_earths"}):
        disposable = entry.get("disposable", False)
        if not isinstance(disposable, bool):
            read.bad(at + ("disposable",), f"invalid value {disposable!r}", "true or false")
        commodities[name] = Commodity(
            name, str(entry.get("description", "")), str(entry.get("unit", "t")),
            disposable is True, read.number(entry, "disposal_cost_per_t", at),
            read.number(entry, "disposal_kgco2e_per_t", at), _rare_earths(read, entry, at))

    processes: dict[str, Process] = {}
    for name, entry, at in read.entries(data, "processes", {
            "description", "loop", "stage", "inputs", "outputs", "electricity_kwh_per_t",
            "direct_kgco2e_per_t", "recycled_credit", "rare_earth_loss"}):
        coefs: dict[str, dict[str, float]] = {}
        for side in ("inputs", "outputs"):
            side_map = read.mapping(entry.get(side), at + (side,))
            coefs[side] = {}
            for c in side_map:
                where = at + (side, c)
                if c not in commodities:
                    read.bad(where, f"unknown commodity {c!r}",
                             "a commodity listed under commodities")
                value = read.number(side_map, c, at + (side,))
                if value <= 0:
                    read.bad(where, f"coefficient {side_map[c]!r} is not positive", "a number > 0")
                coefs[side][str(c)] = value
        reference_side = "outputs" if coefs["outputs"] else "inputs"
        if not coefs[reference_side]:
            read.bad(at, "process has neither inputs nor outputs", "at least one input or output")
        else:
            first, value = next(iter(coefs[reference_side].items()))
            if value != 1.0:
                read.bad(at + (reference_side, first),
                         f"reference coefficient is {value:g}: activity is measured in tonnes "
                         "of the first output", "1.0")
        loop = entry.get("loop", "primary")
        if loop not in LOOPS:
            read.bad(at + ("loop",), f"unknown loop {loop!r}", "one of " + ", ".join(LOOPS))
        processes[name] = Process(
            name, coefs["inputs"], coefs["outputs"], str(loop), str(entry.get("stage", "")),
            str(entry.get("description", "")), read.number(entry, "electricity_kwh_per_t", at),
            read.number(entry, "direct_kgco2e_per_t", at),
            read.number(entry, "recycled_credit", at,
                        default=1.0 if loop in RECYCLED_LOOPS else 0.0),
            _share(read, entry, "rare_earth_loss", at))

    products: dict[str, Product] = {}
    for name, entry, at in read.entries(data, "products", {
            "description", "placed_commodity", "eol_commodity", "lifetime", "accepts"}):
        for key in ("placed_commodity", "eol_commodity"):
            if key not in entry:
                read.bad(at + (key,), f"required key {key!r} is missing",
                         "a commodity listed under commodities")
            elif not isinstance(entry[key], str) or entry[key] not in commodities:
                read.bad(at + (key,), f"unknown commodity {entry[key]!r}",
                         "a commodity listed under commodities")
        products[name] = Product(name, str(entry.get("placed_commodity")),
                                 str(entry.get("eol_commodity")),
                                 _lifetime(read, entry.get("lifetime"), at + ("lifetime",)),
                                 str(entry.get("description", "")),
                                 _accepts(read, entry, at, commodities))
    chain = Chain(str(data.get("name", "")), str(data.get("description", "")), commodities,
                  processes, products, shown)
    if not problems:
        for wrong in imbalances(chain):
            read.bad(("processes", wrong.process), wrong.message(),
                     "outputs holding the input rare earths of each group less at most the "
                     f"stated rare_earth_loss (+{TOLERANCE:.1%} of the input)")
    return chain, problems


def _accepts(read: _Reader, entry: dict, at: tuple, commodities) -> dict[str, float]:
    """commodity -> max_share from `accepts: {commodity: {max_share: x}}` (x in [0, 1])."""
    accepts = {}
    at = at + ("accepts",)
    for c, spec in read.mapping(entry.get("accepts"), at).items():
        where = at + (c,)
        if c not in commodities:
            read.bad(where, f"unknown commodity {c!r}", "a commodity listed under commodities")
        elif c == entry.get("placed_commodity"):
            read.bad(where, f"{c!r} is the product's placed commodity",
                     "another commodity that may serve the product's demand")
        spec = read.mapping(spec, where)
        read.known_keys(spec, {"max_share"}, where)
        share = read.number(spec, "max_share", where, default=None)
        if share > 1:
            read.bad(where + ("max_share",), f"share {share:g} is above 1", "a share in [0, 1]")
        accepts[str(c)] = min(share, 1.0)
    return accepts


def _share(read: _Reader, entry: dict, key: str, at: tuple) -> float:
    """A share in [0, 1] (0 when not given)."""
    value = finite_number(entry.get(key, 0.0))
    if value is None or not 0 <= value <= 1:
        shown = entry.get(key)
        shown = shown if isinstance(shown, int | float) else str(shown)[:40]
        read.bad(at + (key,), f"invalid value {shown!r}", "a share in [0, 1]")
        return 0.0
    return value


def _rare_earths(read: _Reader, entry: dict, at: tuple) -> dict[str, float]:
    """group -> t of contained metal per t from `rare_earths: {ndpr: x, dytb: y}` (each share
    in [0, 1], their sum at most 1)."""
    at = at + ("rare_earths",)
    content = {}
    for group in read.mapping(entry.get("rare_earths"), at):
        if group not in GROUPS:
            read.bad(at + (group,), f"unknown rare-earth group {group!r}",
                     "one of " + ", ".join(GROUPS))
            continue
        content[str(group)] = _share(read, entry["rare_earths"], group, at)
    if sum(content.values()) > 1:
        read.bad(at, f"rare-earth content {sum(content.values()):g} t/t is above 1",
                 "t of contained metal per t of commodity, at most 1 in all")
    return {g: x for g, x in content.items() if x > 0}


def _lifetime(read: _Reader, spec, at: tuple) -> Lifetime | None:
    spec = read.mapping(spec, at)
    if spec.get("distribution") not in ("fixed", "normal", "weibull"):
        read.bad(at + ("distribution",), f"unknown distribution {spec.get('distribution')!r}",
                 "fixed, normal or weibull")
        return None
    extra = set(spec) - {"distribution", "mean", "sd", "shape", "scale"}
    params = {k: yaml_number(spec.get(k)) for k in ("mean", "sd", "shape", "scale")}
    bad = [k for k, v in params.items()
           if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)))]
    bad += [k for k, v in params.items() if k not in bad and v is not None and v > 1000]
    if extra or bad:
        read.bad(at, f"invalid lifetime keys {sorted(map(str, extra | set(bad)))}",
                 "numbers up to 1000 (years) under mean, sd, shape, scale")
        return None
    lifetime = Lifetime(spec["distribution"], **params)
    for message in lifetime.problems():
        read.bad(at, message)
    return lifetime
