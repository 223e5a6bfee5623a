"""Problems found in input data, and the exceptions that carry them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Problem:
    """One problem in an input file: where it is, what is wrong and what was expected.

    `line` is the 1-based line of the file; `column` names the CSV column or the YAML key path.
    """

    file: str
    line: int | None
    column: str | None
    message: str
    expected: str | None = None
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line, self.column) if p not in (None, ""))
        text = f"{where}: {self.message}"
        if self.expected:
            text += f" (expected {self.expected})"
        if self.severity == "warning":
            text = f"{text} [warning]"
        return text


class InputError(Exception):
    """Raised when input data has one or more errors; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} problem(s) in the input data")


class PlannerError(Exception):
    """An error to report to the user in domain words (no traceback)."""
