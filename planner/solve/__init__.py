"""Solving a built model with HiGHS (in memory, as arrays made from the formulation's numbers:
planner.solve.handover)."""

from planner.solve.highs import Solution, SolveOptions, Status, solve

__all__ = ["SolveOptions", "Solution", "Status", "solve"]
