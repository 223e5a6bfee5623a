"""Writing the model HiGHS holds to an MPS or LP file, for inspection or another solver.

The file is the model exactly as HiGHS solved it (imposed decisions applied: fixed variables
are not columns; any limit rows and the final objective of a multi-objective run included),
minimised, with the objective's constant part as its offset, so that its optimum equals the
planner's objective (in the instance's currency for cost, t CO2e for emissions, and so on).
Columns and rows are named after their family and the fields that describe them (e.g.
`build_uk_magnets_2030`, `flow_CN_UK_oxide_2030_base`, `balance_UK_magnet_2030_base`): letters,
digits, `_` and `.` only; a family whose descriptions would not be unique is named by position
instead (`flow_12`: row 12 of that family's index); anything else `c<j>` or `r<i>`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import highspy
import numpy as np
import pandas as pd

from planner.errors import PlannerError
from planner.formulation.build import PlanningModel
from planner.solve.highs import Solution

MODEL_SUFFIXES = (".mps", ".lp")  # the formats HiGHS writes, chosen by the file's suffix


def model_file_problem(path: Path) -> str | None:
    """Why `path` cannot take a written model (wrong suffix, a folder, a missing or read-only
    folder or file), else None. Checked before solving, so no solve is wasted."""
    if path.suffix not in MODEL_SUFFIXES:
        return f"{path} must end in {' or '.join(MODEL_SUFFIXES)} (the format to write)"
    if path.is_dir():
        return f"{path} is a folder"
    folder = path.parent
    if not folder.is_dir():
        return f"folder {folder} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and
                                                     not os.access(path, os.W_OK)):
        return f"{path} cannot be written (permission denied)"
    return None


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]", "_", text)


def _labels(name: str, count: int, frame: pd.DataFrame | None) -> list[str]:
    """Names for the `count` items of family `name`, from the text fields and year of its
    index `frame`, or by position when those are missing or not unique."""
    if count == 1 and frame is None:
        return [_safe(name)]
    if frame is not None and len(frame) == count:
        keys = [c for c in frame.columns if c == "year" or
                pd.api.types.infer_dtype(frame[c], skipna=False) == "string"]
        if keys:
            parts = frame[keys].astype(str)
            labels = [_safe("_".join((name, *row))) for row in parts.itertuples(index=False)]
            if len(set(labels)) == count:
                return labels
    return [_safe(f"{name}_{i}") for i in range(count)]


def _names(total: int, default: str, positions: dict[str, np.ndarray],
           frames: dict[str, pd.DataFrame]) -> list[str]:
    """One name per HiGHS column (or row): `positions[family][i]` is the HiGHS index of item i
    of that family (-1: not in HiGHS)."""
    out = [f"{default}{j}" for j in range(total)]
    for name, where in positions.items():
        for index, label in zip(where, _labels(name, len(where), frames.get(name))):
            if 0 <= index < total:
                out[index] = label
    return out if len(set(out)) == total else [f"{default}{j}" for j in range(total)]


def write_model(pm: PlanningModel, solution: Solution, path: Path) -> None:
    """Write the model held by `solution.highs` to `path` (.mps or .lp, see MODEL_SUFFIXES),
    with names and the objective constant (module docstring). The file appears complete or
    not at all; the solved HiGHS model is left untouched (a copy is written)."""
    problem = model_file_problem(path)
    if problem:
        raise PlannerError(f"cannot write the model: {problem}")
    lp = solution.highs.getLp()
    lp.offset_ = float(lp.offset_) + float(pm.objective_constant)
    lp.col_names_ = _names(lp.num_col_, "c", solution.cols, pm.frames)
    lp.row_names_ = _names(lp.num_row_, "r", solution.rows, pm.frames)
    copy = highspy.Highs()
    copy.setOptionValue("output_flag", False)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        if copy.passModel(lp) == highspy.HighsStatus.kError or \
                copy.writeModel(str(partial)) == highspy.HighsStatus.kError:
            raise PlannerError(f"HiGHS could not write the model to {path}")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
