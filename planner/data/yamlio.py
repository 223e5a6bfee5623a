"""YAML reading that remembers where every key is, so problems can name a line.

Only plain data is read (the safe loader: tags such as `!!python/object` are refused, never
run). Aliases are refused when they are recursive or when they expand the document beyond
`MAX_VALUES` values (an alias bomb), and a key given twice in one mapping is an error.
"""

from __future__ import annotations

import math
from pathlib import Path

import yaml

from planner.errors import Problem

Marks = dict[tuple, int]  # key path -> 1-based line
MAX_VALUES = 100_000  # values a document may expand to, aliases counted at every use
MAX_DEPTH = 50  # levels of nested lists and mappings
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class _Refused(Exception):
    """A document planner will not read: `line` (1-based) and what is wrong."""

    def __init__(self, line: int | None, message: str,
                 expected: str = "plain YAML without recursive or deeply nested aliases"):
        super().__init__(message)
        self.line, self.message, self.expected = line, message, expected


def read_yaml(path: Path, shown: str) -> tuple[object, Marks, list[Problem]]:
    """Parse a YAML file into plain Python objects plus the line of every mapping key."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, {}, [Problem(shown, None, None, f"cannot read the file ({exc.strerror})",
                                  "a readable YAML file")]
    return parse_yaml(raw, shown)


def parse_yaml(raw: bytes | str, shown: str) -> tuple[object, Marks, list[Problem]]:
    """Like read_yaml, for the bytes (or text) of a file or a command-line value."""
    if isinstance(raw, bytes):
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:200]:
            return None, {}, [Problem(shown, None, None, "not UTF-8 text (UTF-16 or binary)",
                                      "a UTF-8 YAML file")]
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return None, {}, [Problem(shown, None, None, f"not UTF-8 text ({exc.reason} at "
                                      f"byte {exc.start})", "a UTF-8 YAML file")]
    else:
        text = raw
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        return None, {}, [_problem(shown, exc)]
    except RecursionError:
        return None, {}, [Problem(shown, None, None, "nested too deeply to read",
                                  f"at most {MAX_DEPTH} levels of lists and mappings")]
    if node is None:
        return None, {}, [Problem(shown, 1, None, "the file is empty", "a YAML mapping")]
    marks: Marks = {}
    try:
        return _Builder(marks).build(node, ()), marks, []
    except yaml.YAMLError as exc:
        return None, {}, [_problem(shown, exc)]
    except _Refused as exc:
        return None, {}, [Problem(shown, exc.line, None, exc.message, exc.expected)]


def _problem(shown: str, exc: yaml.YAMLError) -> Problem:
    """A YAML error as a problem with its line, without quoting the document."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    what = getattr(exc, "problem", None) or type(exc).__name__
    if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in what:
        what = what.split(" in ")[0]  # "could not determine a constructor for the tag ..."
    return Problem(shown, mark.line + 1 if mark else None, None, f"malformed YAML: {what}",
                   "valid YAML")


class _Builder:
    """Plain objects from a composed YAML node, counting values to stop alias bombs."""

    def __init__(self, marks: Marks):
        self.marks, self.count = marks, 0
        self.constructor = yaml.SafeLoader("")
        self.open: set[int] = set()  # ids of the collections being built (recursion check)

    def build(self, node, path: tuple):
        self.count += 1
        line = node.start_mark.line + 1
        if len(path) > MAX_DEPTH:
            raise _Refused(line, "nested too deeply to read",
                           f"at most {MAX_DEPTH} levels of lists and mappings")
        if self.count > MAX_VALUES:
            raise _Refused(line, f"the document expands to more than {MAX_VALUES:,} values "
                                 "(aliases nested too deeply)")
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if node.tag not in (_MAP, _SEQ):
                raise _Refused(line, f"the tag {node.tag!r} (only plain YAML is read)",
                               "plain YAML without tags")
            if id(node) in self.open:
                raise _Refused(line, "a recursive alias (a collection that contains itself)")
            self.open.add(id(node))
            try:
                return self._collection(node, path)
            finally:
                self.open.discard(id(node))
        return self.constructor.construct_object(node, deep=True)

    def _collection(self, node, path: tuple):
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, path + (i,)) for i, v in enumerate(node.value)]
        out = {}
        for k, v in node.value:
            if k.tag == "tag:yaml.org,2002:merge":
                raise _Refused(k.start_mark.line + 1, "a merge key (<<)", "each key written out")
            if not isinstance(k, yaml.ScalarNode):
                raise _Refused(k.start_mark.line + 1, "a key that is not a plain value",
                              "a name or number as key")
            key = self.constructor.construct_object(k, deep=True)
            if key in out:
                raise _Refused(k.start_mark.line + 1, f"key {key!r} appears twice",
                              "each key once in a mapping")
            self.marks[path + (key,)] = k.start_mark.line + 1
            out[key] = self.build(v, path + (key,))
        return out


def yaml_number(value):
    """YAML 1.1 reads `1.0e6` as a string: accept any number written as text, else keep it."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def finite_number(value) -> float | None:
    """`value` as a finite float (numbers written as text accepted), else None (booleans,
    text, .inf and .nan are not numbers here)."""
    value = yaml_number(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def line_of(marks: Marks, path: tuple) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in marks:
            return marks[path]
        path = path[:-1]
    return 1
