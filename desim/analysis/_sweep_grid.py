"""Sweep grids: ``--set`` parsing, dotted paths into a raw scenario dict, expansion.

A ``--set`` names a key of the scenario file by a dotted path with ``[i]``
list indices (``market.events[0].target_kw``) and a comma-separated list of
values, each read like a TOML scalar: integers and floats, ``true``/``false``,
quoted strings (which may hold commas) and bare words (kept as strings, so
``smart`` or ``pkg.module:callable`` need no quotes).
"""

from __future__ import annotations

import copy
import itertools
import re
import tomllib
from typing import Any

from attrs import frozen

from desim.errors import ScenarioError

__all__ = ["parse_set", "parse_path", "parse_value", "set_path", "SweepPoint", "expand_grid",
           "format_value", "apply_point"]

_SEGMENT = re.compile(r"([A-Za-z0-9_-]+)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")


def parse_path(path: str) -> tuple[str | int, ...]:
    """Split ``a.b[0].c`` into ``("a", "b", 0, "c")``.

    Raises
    ------
    ScenarioError
        If the path is empty or not of dotted keys with ``[i]`` indices.
    """
    tokens: list[str | int] = []
    text = path.strip()
    for segment in text.split(".") if text else [""]:
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            raise ScenarioError(f"--set {path!r}: expected a dotted path of keys with [i] list "
                                f"indices (e.g. market.events[0].target_kw), got {path!r}")
        tokens.append(match.group(1))
        tokens.extend(int(i) for i in _INDEX.findall(match.group(2)))
    return tuple(tokens)


def _split_items(text: str) -> list[str]:
    """Split on commas outside double or single quotes."""
    items, current, quote = [], [], None
    for ch in text:
        if quote is not None:
            current.append(ch)
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
            current.append(ch)
        elif ch == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return [item.strip() for item in items]


def parse_value(text: str) -> Any:
    """One value read like a TOML scalar; a bare word or a date-time stays a string."""
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value
    return text  # dates, times, arrays, tables: keep what was typed


def parse_set(text: str) -> tuple[str, list]:
    """Parse ``path=v1,v2,...`` into the path and its list of values.

    Parameters
    ----------
    text : str
        E.g. ``"market.events[0].target_kw=200,400,800"``.

    Returns
    -------
    (str, list)
        The path as given (whitespace stripped) and the values, parsed like
        TOML scalars (see the module docstring).

    Raises
    ------
    ScenarioError
        If there is no ``=``, the path is malformed, a value is empty or
        repeated.
    """
    path, sep, rhs = text.partition("=")
    path = path.strip()
    if not sep:
        raise ScenarioError(f"--set {text!r}: expected path=value[,value...], got no '='")
    parse_path(path)
    items = _split_items(rhs)
    if any(item == "" for item in items):
        raise ScenarioError(f"--set {path}: expected comma-separated non-empty values, "
                            f"got {rhs!r}")
    values = [parse_value(item) for item in items]
    seen: list = []
    for value in values:
        if any(type(value) is type(s) and value == s for s in seen):
            raise ScenarioError(f"--set {path}: expected distinct values, got {value!r} twice")
        seen.append(value)
    return path, values


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    return f"the value {value!r}"


def set_path(raw: dict, path: str, value: Any) -> None:
    """Set `value` at `path` in `raw` in place, creating missing tables.

    List indices must exist; a missing key is created (the scenario checks
    then report unknown keys with a suggestion).

    Raises
    ------
    ScenarioError
        Naming the path when an index is out of range or a step is not a
        table or an array.
    """
    tokens = parse_path(path)
    node: Any = raw
    walked = ""
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        if isinstance(token, int):
            if not isinstance(node, list):
                raise ScenarioError(f"--set {path}: expected an array at {walked}, got "
                                    f"{_describe(node)}")
            if token >= len(node):
                raise ScenarioError(f"--set {path}: expected an index 0-{len(node) - 1} into "
                                    f"{walked} ({len(node)} {'entry' if len(node) == 1 else 'entries'}), "
                                    f"got {token}"
                                    if node else f"--set {path}: {walked} is empty, got "
                                    f"index {token}")
            here = f"{walked}[{token}]"
            if last:
                node[token] = value
            else:
                node = node[token]
        else:
            if not isinstance(node, dict):
                raise ScenarioError(f"--set {path}: expected a table at {walked}, got "
                                    f"{_describe(node)}")
            here = f"{walked}.{token}" if walked else token
            if last:
                node[token] = value
            else:
                if token not in node:
                    if isinstance(tokens[i + 1], int):
                        raise ScenarioError(f"--set {path}: {here} is not in the scenario, so "
                                            f"it has no entry [{tokens[i + 1]}]")
                    node[token] = {}
                node = node[token]
        walked = here


def format_value(value: Any) -> str:
    """A value as it would be typed in ``--set``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@frozen
class SweepPoint:
    """One run of a sweep: grid case `case` (row-major over the sets) at `seed`."""

    index: int
    case: int
    params: tuple[tuple[str, Any], ...]
    seed: int


def _seed_of(raw: dict) -> int:
    seed = raw.get("scenario", {}).get("seed", 0) if isinstance(raw.get("scenario"),
                                                                 dict) else 0
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else 0


def apply_point(raw: dict, params, seed: int | None = None) -> dict:
    """A deep copy of `raw` with the point's values (and seed, if given) set."""
    out = copy.deepcopy(raw)
    for path, value in params:
        set_path(out, path, value)
    if seed is not None:
        set_path(out, "scenario.seed", seed)
    return out


def expand_grid(raw: dict, sets: dict[str, list], seeds=1) -> list[SweepPoint]:
    """The cartesian product of `sets` (first path slowest) times the seeds.

    Parameters
    ----------
    raw : dict
        The scenario file as a dict (only ``scenario.seed`` is read, after the
        case's values are applied, so a swept ``scenario.seed`` is the base).
    sets : dict of str to list
        Path to its values, in grid order.
    seeds : int or sequence of int
        An int ``n`` runs seeds ``base + 0 .. base + n - 1`` (``base`` is the
        case's ``scenario.seed``); a sequence gives the seeds explicitly.

    Returns
    -------
    list of SweepPoint
        Indexed ``case * n_seeds + seed_position``.
    """
    paths = list(sets)
    grids = [list(sets[p]) for p in paths]
    points = []
    for case, combo in enumerate(itertools.product(*grids)):
        params = tuple(zip(paths, combo, strict=True))
        if isinstance(seeds, int):
            base = _seed_of(apply_point(raw, params))
            case_seeds = [base + k for k in range(seeds)]
        else:
            case_seeds = list(seeds)
        for seed in case_seeds:
            points.append(SweepPoint(len(points), case, params, seed))
    return points
