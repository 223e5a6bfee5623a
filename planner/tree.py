"""The scenario tree: which scenarios can be told apart in which year, and what that means for
the decisions of a model (non-anticipativity).

scenarios.csv may give each scenario a `parent` and the year `known_from` from which it can be
told apart from that parent; a scenario without a parent is a root, known from the first model
year. Each scenario is a whole path 2025..2050; before its known_from year it is the same path
as its parent (its data must be the parent's: planner.data.checks.check_tree).

The node of scenario s in model year t is the scenario that represents everything that cannot
yet be told apart from s:

  node(s, t) = node(parent(s), t)   if s has a parent and t < known_from(s)
             = s                    otherwise

so two scenarios share a node in year t exactly when no one can tell them apart by then, and
(because known_from never precedes the parent's) scenarios that share a node in year t share it
in every earlier year too. Non-anticipativity: every decision of year t is the same in all
scenarios of one node. The model enforces it by aliasing (planner.formulation.rows): the
variable of (..., t, s) *is* the variable of (..., t, node(s, t)), so it exists once, with the
node's probability as its weight, and identical rows collapse into one.

Builds follow the tree (`builds: tree`, the default when scenarios.csv declares one) or are
all decided in the first year for every scenario (`builds: shared`, the two-stage programme,
the default without a tree).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

BUILD_MODES = ("tree", "shared")


@dataclass(frozen=True)
class ScenarioTree:
    """scenarios: scenario, probability, parent ("" for a root), known_from (int; the first
    model year for a root), in scenarios.csv order. `shared_builds`: builds are decided once,
    for all scenarios."""

    scenarios: pd.DataFrame
    years: np.ndarray
    shared_builds: bool

    @classmethod
    def of(cls, instance) -> ScenarioTree:
        s = instance.scenarios
        frame = pd.DataFrame({
            "scenario": s["scenario"].to_numpy(),
            "probability": s["probability"].astype(float).to_numpy(),
            "parent": (s["parent"].fillna("").astype(str).to_numpy() if "parent" in s
                       else np.full(len(s), "")),
        })
        first = int(instance.years[0])
        known = s["known_from"] if "known_from" in s else pd.Series(np.nan, index=s.index)
        frame["known_from"] = pd.to_numeric(known, errors="coerce").fillna(first).astype(
            int).to_numpy()
        frame.loc[frame["parent"] == "", "known_from"] = first
        mode = instance.settings.builds or ("tree" if (frame["parent"] != "").any()
                                            else "shared")
        return cls(frame, np.asarray(instance.years), mode == "shared")

    @property
    def branches(self) -> bool:
        """Whether some scenario shares a node with another in some year."""
        return bool((self.scenarios["parent"] != "").any())

    @property
    def stages(self) -> list[int]:
        """The first model year of each stage: the first year, then every year in which a
        scenario becomes known (rounded up to the model's years)."""
        years = self.years
        known = self.scenarios["known_from"].to_numpy()
        starts = years[np.minimum(np.searchsorted(years, known), len(years) - 1)]
        return sorted(set(starts.tolist()) | {int(years[0])})

    def node_table(self) -> pd.DataFrame:
        """scenario, year, node, node_probability: the node of every scenario in every model
        year, and the probability of reaching it."""
        parent = dict(zip(self.scenarios["scenario"], self.scenarios["parent"]))
        known = dict(zip(self.scenarios["scenario"], self.scenarios["known_from"]))
        rows = []
        for s in self.scenarios["scenario"]:
            for t in self.years.tolist():
                n = s
                while parent[n] and t < known[n]:
                    n = parent[n]
                rows.append((s, t, n))
        table = pd.DataFrame(rows, columns=["scenario", "year", "node"])
        p = self.scenarios.set_index("scenario")["probability"]
        table["node_probability"] = table.assign(p=p.loc[table["scenario"]].to_numpy()).groupby(
            ["year", "node"])["p"].transform("sum")
        return table

    def node(self, scenarios, years, shared: bool = False) -> np.ndarray:
        """node(s, t) for arrays of scenarios and model years; `shared`: the one node of a
        decision taken for all scenarios at once (the first scenario stands for it)."""
        scenarios = np.asarray(scenarios)
        if shared:
            return np.full(len(scenarios), self.scenarios["scenario"].iloc[0], dtype=object)
        table = self.node_table().set_index(["scenario", "year"])["node"]
        return table.reindex(pd.MultiIndex.from_arrays([scenarios, np.asarray(years)])
                             ).to_numpy()

    def alias(self, frame: pd.DataFrame, keys: tuple[str, ...], shared: bool = False
              ) -> np.ndarray | None:
        """For each row of a variable family's frame (columns `keys`, with year and scenario):
        the position of the row that stands for it, (same keys, year, node(s, t)). None when
        every row stands for itself."""
        if "scenario" not in keys or not (shared or self.branches) or frame.empty:
            return None
        own = [k for k in keys if k != "scenario"]
        node = self.node(frame["scenario"], frame["year"], shared)
        left = frame[own].assign(scenario=node)
        right = frame[own + ["scenario"]].reset_index(drop=True).reset_index(names="_pos")
        pos = left.merge(right, on=own + ["scenario"], how="left")["_pos"].to_numpy()
        own_pos = np.arange(len(frame))
        # a node's row that does not exist (data that differ within a node, which the checks
        # refuse) leaves the row standing for itself
        alias = np.where(np.isnan(pos), own_pos, pos).astype(np.int64)
        return None if (alias == own_pos).all() else alias
