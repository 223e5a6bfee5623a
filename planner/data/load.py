"""Load and validate an instance folder: every problem at once, nothing written, files unchanged."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import pandas as pd

from planner.chain import Chain, load_chain
from planner.data import schema
from planner.data.checks import (
    check_collection,
    check_product_options,
    check_reachability,
    check_references,
    check_scenarios,
    check_tree,
)
from planner.data.csvio import read_table
from planner.data.instance import Instance
from planner.data.settings import read_settings
from planner.data.yamlio import line_of
from planner.errors import InputError, Problem

TABLE_ATTR = {"regions.csv": "regions", "facilities.csv": "facilities", "links.csv": "links",
              "offers.csv": "offers", "demand.csv": "demand", "product_inflows.csv": "inflows",
              "scenarios.csv": "scenarios", "scenario_effects.csv": "effects",
              "grid.csv": "grid", "policies.csv": "policies", "collection.csv": "collection",
              "product_options.csv": "options", "storage.csv": "storage",
              "export_caps.csv": "caps"}
MODEL_SUFFIXES = (".yaml", ".yml")


def resolve_model(model: str, instance_dir: Path) -> tuple[Path | None, str | None]:
    """(the value-chain model file, None), or (None, what is wrong).

    A name (letters, digits, `_ - .`, no suffix) is `NAME.yaml` next to instance.yaml, else
    a bundled model (`planner.bundled.models_dir()`); it never reaches another folder. Anything
    else is a path, relative to the instance folder or absolute, that must name a readable
    `.yaml` or `.yml` file.
    """
    from planner.bundled import models_dir

    if model and all(ch.isalnum() or ch in "_-." for ch in model) and ".." not in model and \
            not model.endswith(MODEL_SUFFIXES):
        for base in (instance_dir, models_dir()):
            for suffix in MODEL_SUFFIXES:
                if (base / f"{model}{suffix}").is_file():
                    return base / f"{model}{suffix}", None
        return None, f"value-chain model {model!r} not found"
    path = Path(model)
    path = path if path.is_absolute() else instance_dir / path
    if not model.endswith(MODEL_SUFFIXES):
        return None, f"value-chain model {model!r} is not a .yaml file"
    if not path.is_file():
        return None, f"value-chain model file {model!r} not found"
    if not os.access(path, os.R_OK):
        return None, f"value-chain model file {model!r} is not readable"
    return path, None


def _in_order(problems: list[Problem]) -> list[Problem]:
    """Problems grouped by file (in reading order), then by line."""
    first = {}
    for p in problems:
        first.setdefault(p.file, len(first))
    return sorted(problems, key=lambda p: (first[p.file], p.line or 0))


def load_instance(path: str | Path) -> Instance:
    """Read `path` (an instance folder) and its value-chain model; raise InputError listing
    every error. Warnings are kept on the returned instance's `warnings`."""
    instance, problems = read_instance(path)
    if instance is None:
        raise InputError(problems)
    return instance


def read_instance(path: str | Path) -> tuple[Instance | None, list[Problem]]:
    """Like load_instance, but returns (instance or None, all problems including warnings)."""
    instance, problems = _read_instance(Path(path))
    return instance, _in_order(problems)


def _read_instance(folder: Path) -> tuple[Instance | None, list[Problem]]:
    if not folder.is_dir():
        return None, [Problem(str(folder), None, None, "not a folder",
                              "an instance folder with instance.yaml and CSV tables")]
    problems: list[Problem] = []
    read_files: list[Path] = []
    settings_file = folder / "instance.yaml"
    settings = None
    if not settings_file.is_file():
        problems.append(Problem(str(settings_file), None, None, "missing file",
                                "instance.yaml with name, model and years"))
    else:
        settings, marks, found = read_settings(settings_file, str(settings_file))
        problems += found
        read_files.append(settings_file)

    chain: Chain | None = None
    if settings is not None:
        model_file, wrong = resolve_model(settings.model, folder)
        if model_file is None:
            problems.append(Problem(str(settings_file), line_of(marks, ("model",)), "model",
                                    wrong, "a model name (e.g. ndfeb) or the path of a .yaml "
                                    "file, relative to the instance folder"))
        else:
            chain, found = load_chain(model_file, str(model_file))
            problems += found
            read_files.append(model_file)

    tables: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    for table in schema.TABLES:
        file = folder / table.file
        attr = TABLE_ATTR[table.file]
        files[attr] = str(file)
        if not file.is_file():
            if table.required:
                problems.append(Problem(str(file), None, None, "missing required table",
                                        "a CSV file with columns " + ", ".join(table.names)))
            else:
                tables[attr] = empty_table(table)
            continue
        frame, found = read_table(file, table, str(file))
        problems += found
        read_files.append(file)
        if frame is not None:
            tables[attr] = frame

    if chain is None or settings is None or any(p.severity == "error" for p in problems):
        if chain is not None and settings is not None:
            problems += check_references(tables, chain, settings, files)
        return None, problems

    regions = tables["regions"]
    eol_region = settings.eol_region
    if eol_region and eol_region not in set(regions["region"]):
        problems.append(Problem(str(settings_file), line_of(marks, ("eol_region",)), "eol_region",
                                f"unknown region {eol_region!r}", "a region of regions.csv"))
    if not eol_region:
        domestic = regions.loc[regions["domestic"], "region"]
        eol_region = domestic.iloc[0] if len(domestic) else ""
    problems += check_references(tables, chain, settings, files)
    problems += check_scenarios(tables, settings, files)
    problems += check_tree(tables, settings, files)
    if not any(p.severity == "error" for p in problems):
        problems += check_collection(tables, settings, eol_region, files)
    problems += check_product_options(tables, settings, files)
    if any(p.severity == "error" for p in problems):
        return None, problems
    problems += check_reachability(tables, chain, eol_region, files)
    if any(p.severity == "error" for p in problems):
        return None, problems

    inflows = tables["inflows"]
    inflows.loc[inflows["region"] == "", "region"] = eol_region
    if tables["scenarios"].empty:
        tables["scenarios"] = pd.DataFrame({"scenario": ["base"], "probability": [1.0],
                                            "description": ["the only scenario"],
                                            "parent": [""], "known_from": [None], "_line": [0]})
    instance = Instance(settings=replace(settings, eol_region=eol_region), chain=chain,
                        path=folder, files_sha256=files_hash(read_files, folder),
                        warnings=tuple(p for p in problems if p.severity == "warning"),
                        **{attr: tables[attr] for attr in TABLE_ATTR.values()})
    return instance, problems


def empty_table(table: schema.Table) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in table.names + ["_line"]})


def files_hash(files: list[Path], folder: Path) -> str:
    """sha256 over the names (relative to the folder where possible) and bytes of the inputs."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda p: p.name):
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()
