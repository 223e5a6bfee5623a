"""YAML reading that remembers where every key is, so problems can name a line."""

from __future__ import annotations

from pathlib import Path

import yaml

from planner.errors import Problem

Marks = dict[tuple, int]  # key path -> 1-based line


def read_yaml(path: Path, shown: str) -> tuple[object, Marks, list[Problem]]:
    """Parse a YAML file into plain Python objects plus the line of every mapping key."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, {}, [Problem(shown, None, None, f"not UTF-8 text ({exc.reason})",
                                  "a UTF-8 YAML file")]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        what = getattr(exc, "problem", None) or str(exc)
        return None, {}, [Problem(shown, line, None, f"malformed YAML: {what}", "valid YAML")]
    if node is None:
        return None, {}, [Problem(shown, 1, None, "the file is empty", "a YAML mapping")]
    constructor = yaml.SafeLoader("")
    marks: Marks = {}

    def build(n, path):
        if isinstance(n, yaml.MappingNode):
            out = {}
            for k, v in n.value:
                key = constructor.construct_object(k, deep=True)
                marks[path + (key,)] = k.start_mark.line + 1
                out[key] = build(v, path + (key,))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(v, path + (i,)) for i, v in enumerate(n.value)]
        return constructor.construct_object(n, deep=True)

    try:
        return build(node, ()), marks, []
    except yaml.YAMLError as exc:
        return None, {}, [Problem(shown, None, None, f"malformed YAML: {exc}", "valid YAML")]


def yaml_number(value):
    """YAML 1.1 reads `1.0e6` as a string: accept any number written as text, else keep it."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def line_of(marks: Marks, path: tuple) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in marks:
            return marks[path]
        path = path[:-1]
    return 1
