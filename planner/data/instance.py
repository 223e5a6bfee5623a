"""The loaded, validated instance: settings, value chain, tables. Nothing downstream reads files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.chain import Chain

OBJECTIVES = ("cost", "emissions", "risk", "responsible_sourcing", "shortfall", "cvar_shortfall",
              "concentration")


@dataclass(frozen=True)
class ObjectiveSpec:
    """What to minimise: a weighted sum of objectives (normalised by the payoff table when
    `normalise`), or, when `order` is given, the objectives lexicographically in that order."""

    weights: dict[str, float]
    normalise: bool = False
    order: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return list(self.order) or [n for n, w in self.weights.items() if w]

    def __str__(self) -> str:
        if self.order:
            return ">".join(self.order)
        text = ",".join(f"{n}={w:g}" for n, w in self.weights.items())
        return text + (" (normalised)" if self.normalise else "")


def parse_objective(text: str) -> tuple[ObjectiveSpec | None, str | None]:
    """`cost`, `cost=1,risk=0.5` (weighted) or `cost>risk>emissions` (lexicographic) ->
    (spec, None), or (None, what is wrong)."""
    text = text.strip()
    if ">" in text:
        order = tuple(p.strip() for p in text.split(">"))
        unknown = [p for p in order if p not in OBJECTIVES]
        if unknown or len(set(order)) != len(order):
            return None, f"invalid lexicographic order {text!r}"
        return ObjectiveSpec({order[0]: 1.0}, order=order), None
    weights: dict[str, float] = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        name = name.strip()
        if name not in OBJECTIVES:
            return None, f"unknown objective {name!r}"
        try:
            weights[name] = float(weight) if weight.strip() else 1.0
        except ValueError:
            return None, f"invalid weight {weight!r} for {name}"
        if weights[name] < 0:
            return None, f"negative weight for {name}"
        if weights[name] == float("inf") or weights[name] != weights[name]:
            return None, f"weight {weight.strip()} for {name} is not a finite number"
    if not any(weights.values()):
        return None, "all weights are zero"
    return ObjectiveSpec(weights), None


@dataclass(frozen=True)
class Settings:
    """instance.yaml. Money is in `currency`; years are calendar years, inclusive."""

    name: str
    description: str
    model: str
    currency: str
    start: int
    end: int
    step: int
    base_year: int
    discount_rate: float
    shortage_penalty_per_t: float
    objective: ObjectiveSpec
    eol_region: str
    cvar_alpha: float = 0.9
    limits: dict[str, float] = field(default_factory=dict)  # measure -> upper bound
    share_basis: str = "rare_earth"  # shares and share policies: rare-earth content or mass
    # builds follow the scenario tree ("tree") or are decided once for all ("shared", the
    # two-stage programme); "" : tree when scenarios.csv declares one (planner.tree)
    builds: str = ""
    # the years in which plant modules may be decided (investment years); () : every model year
    build_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class Instance:
    """A validated case. Tables are pandas DataFrames with the columns of `planner.data.schema`
    (defaults filled in), plus `_line`, each row's line in its file."""

    settings: Settings
    chain: Chain
    regions: pd.DataFrame
    facilities: pd.DataFrame
    links: pd.DataFrame
    offers: pd.DataFrame
    demand: pd.DataFrame
    inflows: pd.DataFrame
    scenarios: pd.DataFrame   # scenario, probability, description (one `base` row by default)
    effects: pd.DataFrame     # scenario_effects.csv
    grid: pd.DataFrame        # grid.csv
    policies: pd.DataFrame    # policies.csv
    collection: pd.DataFrame  # collection.csv
    options: pd.DataFrame     # product_options.csv
    storage: pd.DataFrame     # storage.csv
    caps: pd.DataFrame        # export_caps.csv
    path: Path
    files_sha256: str
    warnings: tuple = ()

    @property
    def years(self) -> np.ndarray:
        """Model years (each stands for `step` calendar years from itself on)."""
        s = self.settings
        return np.arange(s.start, s.end + 1, s.step)

    @property
    def year_weight(self) -> pd.Series:
        """w_t: calendar years represented by model year t."""
        return pd.Series(float(self.settings.step), index=self.years)

    @property
    def discount_factor(self) -> pd.Series:
        """DF_t = (1 + discount rate)^-(t - base year)."""
        s = self.settings
        return pd.Series((1.0 + s.discount_rate) ** -(self.years - s.base_year).astype(float),
                         index=self.years)

    def grid_intensity(self, regions, years) -> np.ndarray:
        """kg CO2e/kWh of each (region, year) pair: grid.csv interpolated, else regions.csv."""
        regions, years = np.asarray(regions), np.asarray(years, dtype=float)
        out = self.regions.set_index("region")["grid_kgco2e_per_kwh"].loc[regions].to_numpy(
            dtype=float, copy=True)
        for region, rows in self.grid.groupby("region"):
            rows = rows.sort_values("year")
            pick = regions == region
            out[pick] = np.interp(years[pick], rows["year"].to_numpy(dtype=float),
                                  rows["kgco2e_per_kwh"].to_numpy(dtype=float))
        return out

    @property
    def name(self) -> str:
        return self.settings.name
