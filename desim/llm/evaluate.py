"""Field accuracy of a parser on a labelled set of descriptions.

A labelled set is JSON Lines: ``{"text": ..., "expected": {field: value}}``
(other keys, such as ``style``, are kept but not scored); fields not listed
are expected to be unset (None). The 18 seed-API fields are scored in every
set; a thermal field (`THERMAL_FIELDS`) only in a set where some row lists it
(a null label counts), so sets written before those fields existed are scored
as they were. A float is right when it is within 1 % (or
0.011 absolute) of the label; other kinds must be equal.

From the command line, any parser on any labelled set, per field::

    desim evaluate tests/llm/data/corpus_dev.jsonl --parser rules
    desim evaluate corpus.jsonl --parser hybrid --errors
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from attrs import frozen

from desim.errors import ParseError
from desim.llm.config import CONFIG_FIELDS, SEED_FIELDS, THERMAL_FIELDS

__all__ = ["load_labelled", "field_matches", "evaluate", "format_score", "Score", "scored_fields"]


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
    n_exact: int = 0  # descriptions with every field right
    fields: tuple[str, ...] = SEED_FIELDS  # the fields scored

    def per_field(self) -> dict[str, tuple[int, int]]:
        """field -> (right, total) over the descriptions."""
        wrong: dict[str, int] = {}
        for _, name, _, _ in self.errors:
            wrong[name] = wrong.get(name, 0) + 1
        return {n: (self.n_descriptions - wrong.get(n, 0), self.n_descriptions)
                for n in self.fields}

    @property
    def accuracy(self) -> float:
        return self.n_right / self.n_fields if self.n_fields else 1.0

    @property
    def labelled_accuracy(self) -> float:
        return self.n_labelled_right / self.n_labelled if self.n_labelled else 1.0


def scored_fields(rows: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    """The seed-API fields, then each thermal field some row lists (even as null)."""
    listed = set().union(*(r.get("expected", {}) for r in rows))
    return SEED_FIELDS + tuple(n for n in THERMAL_FIELDS if n in listed)


def evaluate(parser: Any, rows: Iterable[dict[str, Any]]) -> Score:
    """Score `parser` (anything with ``parse(text) -> ProsumerConfig``) on labelled rows."""
    rows = list(rows)
    fields = scored_fields(rows)
    right = labelled = labelled_right = 0
    errors = []
    configs = parser.parse_many([r["text"] for r in rows]) if hasattr(parser, "parse_many") \
        else [parser.parse(r["text"]) for r in rows]
    for i, row in enumerate(rows):
        got = configs[i].to_dict()
        expected = row["expected"]
        for name in fields:
            ok = field_matches(expected.get(name), got[name])
            right += ok
            if expected.get(name) is not None:
                labelled += 1
                labelled_right += ok
            if not ok:
                errors.append((i, name, expected.get(name), got[name]))
    exact = len(rows) - len({e[0] for e in errors})
    return Score(len(rows), len(rows) * len(fields), right, labelled, labelled_right,
                 tuple(errors), exact, fields)


def format_score(score: Score, name: str = "") -> str:
    """A plain-text report: overall, labelled, exact records, then each field."""
    lines = [f"{name}: {score.n_descriptions} descriptions",
             f"all fields       {score.n_right}/{score.n_fields} = {100 * score.accuracy:.1f} %",
             f"labelled fields  {score.n_labelled_right}/{score.n_labelled} = "
             f"{100 * score.labelled_accuracy:.1f} %",
             f"exact records    {score.n_exact}/{score.n_descriptions} = "
             f"{100 * score.n_exact / max(score.n_descriptions, 1):.1f} %"]
    for field, (ok, total) in score.per_field().items():
        lines.append(f"  {field:<30} {ok:>4}/{total:<4} {100 * ok / max(total, 1):6.1f} %")
    return "\n".join(lines)
