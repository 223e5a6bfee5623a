"""Names close to a misspelt one: candidates ranked by similarity, for error messages."""

from __future__ import annotations

from difflib import SequenceMatcher

CLOSE = 0.7  # similarity (0..1) from which a name is offered as "did you mean"


def similarity(word: str, name: str) -> float:
    """How alike two names are (0..1), ignoring case."""
    return SequenceMatcher(None, word.lower(), name.lower()).ratio()


def ranked(word: str, names) -> list[str]:
    """`names` (strings only, once each), the most similar to `word` first, ties by name."""
    unique = sorted({n for n in names if isinstance(n, str)})
    return sorted(unique, key=lambda n: -similarity(str(word), n))


def one_of(word, names, limit: int = 8) -> str:
    """The `expected` text for an unknown `word`: "one of x, y, ...; did you mean 'x'?" with
    the candidates ranked by similarity (the question only when one is close)."""
    order = ranked(str(word), names)
    if not order:
        return "a defined name (none defined)"
    shown = ", ".join(order[:limit]) + (", ..." if len(order) > limit else "")
    best = order[0]
    question = f"; did you mean {best!r}?" if similarity(str(word), best) >= CLOSE else ""
    return f"one of {shown}{question}"
