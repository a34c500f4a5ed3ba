"""Field accuracy of a parser on a labelled set of descriptions.

A labelled set is JSON Lines: ``{"text": ..., "expected": {field: value}}``;
fields not listed are expected to be unset (None). A float is right when it
is within 1 % (or 0.011 absolute) of the label; other kinds must be equal.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from attrs import frozen

from desim.errors import ParseError
from desim.llm.config import CONFIG_FIELDS

__all__ = ["load_labelled", "field_matches", "evaluate", "Score"]


def load_labelled(path: str | Path) -> list[dict[str, Any]]:
    """Read a labelled JSON Lines file."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError(f"{path}:{n}: expected a JSON object, got invalid JSON ({exc})") from exc
        unknown = set(row.get("expected", {})) - set(CONFIG_FIELDS)
        if "text" not in row or unknown:
            raise ParseError(f"{path}:{n}: expected 'text' and known fields, got {sorted(row)} "
                             f"{sorted(unknown)}")
        rows.append(row)
    return rows


def field_matches(expected: Any, got: Any) -> bool:
    """Whether a parsed value equals its label (floats within 1 % or 0.011)."""
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return math.isclose(expected, got, rel_tol=0.01, abs_tol=0.011)
    return expected == got


@frozen
class Score:
    """Accuracy over all fields and over the fields the labels set."""

    n_descriptions: int
    n_fields: int
    n_right: int
    n_labelled: int
    n_labelled_right: int
    errors: tuple[tuple[int, str, Any, Any], ...]  # (row, field, expected, got)

    @property
    def accuracy(self) -> float:
        return self.n_right / self.n_fields if self.n_fields else 1.0

    @property
    def labelled_accuracy(self) -> float:
        return self.n_labelled_right / self.n_labelled if self.n_labelled else 1.0


def evaluate(parser: Any, rows: Iterable[dict[str, Any]]) -> Score:
    """Score `parser` (anything with ``parse(text) -> ProsumerConfig``) on labelled rows."""
    rows = list(rows)
    right = labelled = labelled_right = 0
    errors = []
    for i, row in enumerate(rows):
        got = parser.parse(row["text"]).to_dict()
        expected = row["expected"]
        for name in CONFIG_FIELDS:
            ok = field_matches(expected.get(name), got[name])
            right += ok
            if expected.get(name) is not None:
                labelled += 1
                labelled_right += ok
            if not ok:
                errors.append((i, name, expected.get(name), got[name]))
    return Score(len(rows), len(rows) * len(CONFIG_FIELDS), right, labelled, labelled_right,
                 tuple(errors))
