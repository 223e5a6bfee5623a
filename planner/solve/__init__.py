"""Solving a built model with HiGHS (in memory, through Pyomo's persistent interface)."""

from planner.solve.highs import Solution, SolveOptions, Status, solve

__all__ = ["SolveOptions", "Solution", "Status", "solve"]
