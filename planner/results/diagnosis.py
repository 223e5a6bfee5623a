"""Why a model has no solution, in domain words (summary.json `diagnosis`)."""

from __future__ import annotations

from planner.formulation.build import PlanningModel
from planner.rare_earths import effective_basis
from planner.results import wording
from planner.solve.diagnose import infeasible_rows
from planner.solve.highs import Solution


def explain_infeasibility(pm: PlanningModel, sol: Solution, limits_unmet: list | None = None,
                          limit: int = 20) -> list[str]:
    """What makes `pm` infeasible: the limits that cannot be met (`limits_unmet`, from
    planner.solve.tradeoffs.optimise, when the limits were to blame), else the commodity
    balances and policies that cannot hold (at most `limit` sentences)."""
    if limits_unmet is not None:
        return wording.unmet_limits(limits_unmet)
    basis = effective_basis(pm.instance.settings.share_basis, pm.instance.chain)
    return wording.infeasibility(infeasible_rows(pm, sol), limit, basis)


def explain_unbounded(pm: PlanningModel) -> list[str]:
    return [wording.UNBOUNDED]
