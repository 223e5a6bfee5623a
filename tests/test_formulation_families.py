"""One place names what can enter a model: planner.formulation.families.FAMILIES.

docs/formulation.md lists the same families in the same order; build_model's ASSEMBLY adds those
of stage `model` in that order; each family's module names it; and every component of a model
built, bounded, traced as a Pareto front, given decisions or decomposed belongs to a listed
family (and each family shows up in one of those models).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.data import load_instance
from planner.formulation.build import ASSEMBLY, build_model
from planner.formulation.decisions import Decisions, FixBuild, apply_decisions
from planner.formulation.families import FAMILIES, KINDS, WHEN, family_of, names
from planner.formulation.measures import measure, pyomo_objective
from planner.formulation.rows import pyomo_rows
from planner.solve import SolveOptions
from planner.solve.tradeoffs import Optimiser, pareto
from tests.conftest import ROOT

DOC = ROOT / "docs" / "formulation.md"
HEADER = "| family | kind | when | added by | meaning |"


def documented() -> list[tuple[str, ...]]:
    """The rows of the table of families in docs/formulation.md, backticks removed."""
    lines = DOC.read_text().splitlines()
    start = lines.index(HEADER) + 2  # past the header and its |---| line
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(tuple(cell.strip().strip("`") for cell in line.strip("|").split("|")))
    return rows


def test_the_document_lists_the_families_of_the_code():
    listed = [(f.name, f.kind, f.when, f.module, f.meaning) for f in FAMILIES]
    assert documented() == listed


def test_families_are_well_formed():
    assert len({f.name for f in FAMILIES}) == len(FAMILIES)
    assert {f.kind for f in FAMILIES} <= set(KINDS)
    assert {f.when for f in FAMILIES} <= set(WHEN)


def test_build_model_adds_the_model_families_in_their_order():
    """ASSEMBLY's steps name the families of stage `model` (the anchors come with the rows)."""
    assembled = [name for families, _ in ASSEMBLY for name in families]
    assert assembled == [n for n in names(when="model") if n != "<row>_anchor"]


@pytest.mark.parametrize("f", [f for f in FAMILIES if f.module.endswith(".py")],
                         ids=lambda f: f.name)
def test_the_module_of_a_family_names_it(f):
    text = (ROOT / "planner" / f.module).read_text()
    assert f'"{f.name}"' in text


def components(model) -> set[str]:
    return {c.local_name for c in model.component_objects(descend_into=False)}


@pytest.fixture
def toy_with_a_policy(tmp_path) -> Path:
    folder = tmp_path / "toy"
    shutil.copytree(ROOT / "instances" / "toy", folder)
    (folder / "policies.csv").write_text("policy,region,from_year,value\n"
                                         "min_recycled_share,,2026,0.01\n")
    return folder


def test_every_component_of_a_model_is_a_listed_family(toy_with_a_policy):
    """The toy instance (with a policy), built; every measure asked for; a module total
    imposed; a limit; a two-objective Pareto front."""
    pm = build_model(load_instance(toy_with_a_policy))
    for name in ("cvar_shortfall", "concentration"):
        measure(pm, name)
    apply_decisions(pm, Decisions(fix_build=(FixBuild("uk_magnets", 1),)))
    opt = Optimiser(pm, SolveOptions(mip_gap=0.0))
    opt.bound("risk", 1e12)
    pareto(opt, ["cost", "emissions"], points=2)
    pyomo_rows(pm.model)  # the Pyomo constraints and objective, made on demand
    pyomo_objective(pm)
    found = components(pm.model)
    assert {c for c in found if family_of(c) is None} == set()
    seen = {family_of(c).name for c in found}
    assert set(names()) - seen == set(names(when="ph"))


def test_a_progressive_hedging_subproblem_holds_listed_families_only(tmp_path, monkeypatch):
    """A scenario subproblem of a tree (multi-stage) as mpi-sppy leaves it after a few
    iterations."""
    pytest.importorskip("mpisppy")
    import mpisppy.opt.ph

    from planner.solve.ph import PHOptions, progressive_hedging

    seen: dict[str, set[str]] = {}

    class Watched(mpisppy.opt.ph.PH):
        def ph_main(self, *args, **kwargs):
            result = super().ph_main(*args, **kwargs)
            for name, model in self.local_scenarios.items():
                seen[name] = components(model)
            return result

    from tests.test_tree import case

    monkeypatch.setattr(mpisppy.opt.ph, "PH", Watched)
    progressive_hedging(load_instance(case(tmp_path / "tree")), ph=PHOptions(iterations=2))
    assert set(seen) == {"base", "cut"}
    for found in seen.values():
        assert {c for c in found if family_of(c) is None} == set()
        assert set(names(when="ph")) <= {family_of(c).name for c in found}
