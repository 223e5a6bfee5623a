"""Reading, validating and holding input data: the only package that reads input files."""

from planner.data.instance import Instance
from planner.data.load import load_instance

__all__ = ["Instance", "load_instance"]
