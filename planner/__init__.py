"""planner: an optimisation-based supply-chain planner for permanent-magnet value chains."""

__version__ = "0.1.0"
