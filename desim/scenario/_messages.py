"""Scenario problems as exceptions, and their desim messages.

Field checks and structure hooks raise `Invalid` (what was expected, what was
given) or `Problem` (a free-form message, optionally at a key below the one
being structured). The converter collects them in cattrs' detailed-validation
groups (`ClassValidationError`, `IterableValidationError`, each sub-error
annotated with the attribute or index); `messages` turns such a tree into
``path.in.file: expected ..., got ...`` lines.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ForbiddenExtraKeysError,
    IterableValidationNote,
)

from desim.errors import ScenarioError

__all__ = ["Invalid", "Problem", "Problems", "Skip", "as_given", "describe", "join",
           "messages"]


def describe(value: Any) -> str:
    """A value as the user typed it, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) + " (a string)"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return f"{value.isoformat()} (a TOML date-time)"
    return repr(value)


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Problem(ScenarioError):
    """A problem at the value being checked, or at `at` (a dotted path) below it.

    `also` names another key (relative like `at`) that the problem involves.
    """

    def __init__(self, detail: str, at: str = "", also: str = "") -> None:
        super().__init__(f"{at}: {detail}" if at else detail)
        self.detail = detail
        self.at = at
        self.also = also


class Invalid(Problem):
    """A value outside what the schema allows: ``expected ..., got ...``."""

    def __init__(self, expected: str, value: Any, at: str = "") -> None:
        super().__init__(f"expected {expected}, got {describe(value)}", at)
        self.expected = expected
        self.value = value


class Problems(Problem):
    """Several problems found by one check."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def as_given(exc: Problem, raw: Any) -> Problem:
    """`exc` naming the value as the user typed it (`raw`), not as structured."""
    if isinstance(exc, Problems):
        return Problems([as_given(p, raw) for p in exc.problems])
    if not isinstance(exc, Invalid):
        return exc
    if not exc.at:
        return Invalid(exc.expected, raw)
    if exc.at.startswith("[") and isinstance(raw, list):
        index = int(exc.at[1:exc.at.index("]")])
        return Invalid(exc.expected, raw[index], exc.at)
    return exc


class Skip(Exception):
    """A value that cannot be checked because of a problem reported elsewhere."""


def messages(exc: BaseException, path: str = "") -> list[str]:
    """Every problem in `exc` (a cattrs validation tree) as ``path: detail`` lines."""
    if isinstance(exc, BaseValidationError):
        out: list[str] = []
        for sub in exc.exceptions:
            out += messages(sub, join(path, _step(sub)) if _step(sub) is not None else path)
        return out
    if isinstance(exc, Skip):
        return []
    if isinstance(exc, ForbiddenExtraKeysError):
        problems = getattr(exc, "problems", None) or [
            Problem("unknown key", at=key) for key in sorted(exc.extra_fields)]
        return [line for p in problems for line in messages(p, path)]
    if isinstance(exc, Problems):
        return [line for p in exc.problems for line in messages(p, path)]
    if isinstance(exc, Problem):
        where = path + exc.at if exc.at.startswith("[") or not exc.at else join(path, exc.at)
        also = f" (also {join(path, exc.also)})" if exc.also else ""
        return [f"{where or '<top level>'}: {exc.detail}{also}"]
    raise exc  # not a problem of the input: a bug in a hook or a check


def _step(exc: BaseException) -> str | int | None:
    for note in getattr(exc, "__notes__", ()):
        if isinstance(note, AttributeValidationNote):
            return note.name
        if isinstance(note, IterableValidationNote):
            return note.index
    return None
