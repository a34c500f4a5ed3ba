"""Load, check and write scenario files.

`load_scenario` reads TOML with `tomllib`, checks the whole file against the
schema (every problem at once, each as ``file: path.in.file: expected ...,
got ...``) and structures it with desim's cattrs converter
(``forbid_extra_keys=True``, strict primitive types). `dump_scenario` writes a
scenario back as TOML that loads to an equal `Scenario`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import attrs
import cattrs
import pandas as pd
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from desim.errors import ScenarioError
from desim.scenario import _validate
from desim.scenario._toml import dumps as _toml_dumps
from desim.scenario.schema import FileSource, Scenario

__all__ = [
    "load_scenario",
    "scenario_from_toml",
    "scenario_from_dict",
    "scenario_to_dict",
    "dump_scenario",
    "converter",
]


# --- the converter: strict primitives, no extra keys

def _strict(tp: type):
    def hook(value: Any, _: type) -> Any:
        if type(value) is not tp:
            raise TypeError(f"expected {tp.__name__}, got {value!r}")
        return value
    return hook


def _float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _timestamp(value: Any, _: type) -> pd.Timestamp:
    if not isinstance(value, pd.Timestamp) or value.tzinfo is None:
        raise TypeError(f"expected a tz-aware pandas.Timestamp, got {value!r}")
    return value


def _source(value: Any, _: type) -> str | FileSource:
    if isinstance(value, str | FileSource):
        return value
    if isinstance(value, dict) and len(value) == 1:
        kind, path = next(iter(value.items()))
        if isinstance(path, str):
            return FileSource(kind=kind, path=path)
    raise TypeError(f"expected a name or a one-key table, got {value!r}")


def _unstructure_timestamp(ts: pd.Timestamp) -> str:
    local = ts.tz_localize(None)
    text = local.isoformat(timespec="seconds" if local.microsecond == 0 else "microseconds")
    try:  # an ambiguous wall time (autumn DST overlap) keeps its UTC offset
        local.tz_localize(ts.tzinfo, ambiguous="raise", nonexistent="raise")
    except ValueError:
        text = ts.isoformat()
    return text


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(str, _strict(str))
    conv.register_structure_hook(int, _strict(int))
    conv.register_structure_hook(bool, _strict(bool))
    conv.register_structure_hook(float, _float)
    conv.register_structure_hook(pd.Timestamp, _timestamp)
    conv.register_structure_hook_func(lambda t: t == str | FileSource, _source)
    conv.register_structure_hook_func(lambda t: t == dict[str, Any], lambda v, _: dict(v))
    conv.register_unstructure_hook(pd.Timestamp, _unstructure_timestamp)
    conv.register_unstructure_hook(FileSource, lambda f: {f.kind: f.path})
    skip = {"source": override(omit=True), "base_dir": override(omit=True)}
    conv.register_structure_hook(Scenario, make_dict_structure_fn(
        Scenario, conv, info=override(rename="scenario"), **skip, _cattrs_forbid_extra_keys=True))
    conv.register_unstructure_hook(Scenario, make_dict_unstructure_fn(
        Scenario, conv, info=override(rename="scenario"), **skip))
    return conv


converter = _make_converter()


# --- loading

def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file.

    Parameters
    ----------
    path : str or Path
        A TOML scenario file. Relative paths inside it are read from its folder.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        If the file is missing, is not valid TOML (with line and column), or
        breaks any rule of the schema; the message lists every problem, each
        as ``name.toml: path.in.file: expected ..., got ...``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file ({exc})") from exc
    return scenario_from_toml(text, source=path.name, base_dir=path.resolve().parent)


def scenario_from_toml(text: str, source: str = "<string>",
                       base_dir: str | Path | None = None) -> Scenario:
    """Check and structure scenario TOML text (see `load_scenario`)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from exc
    return scenario_from_dict(raw, source=source, base_dir=base_dir)


def scenario_from_dict(raw: dict[str, Any], source: str = "<dict>",
                       base_dir: str | Path | None = None) -> Scenario:
    """Check and structure a scenario given as a dict (as `tomllib` returns it).

    Parameters
    ----------
    raw : dict
        The parsed file.
    source : str
        The name used in messages.
    base_dir : str or Path, optional
        Folder that relative file paths are read from (default: the current one).

    Raises
    ------
    ScenarioError
        Listing every problem, each as ``source: path: expected ..., got ...``.
    """
    base = Path(base_dir) if base_dir is not None else None
    ctx = _validate.Context(base)
    cleaned = _validate.walk(raw, Scenario, "", ctx)
    if not ctx.problems:
        try:
            scenario = converter.structure(cleaned, Scenario)
        except cattrs.BaseValidationError as exc:  # the walk missed something
            ctx.problems.extend(_from_cattrs(exc))
    if ctx.problems:
        _raise(source, ctx.problems)
    return attrs.evolve(scenario, source=source, base_dir=base)


def _from_cattrs(exc: cattrs.BaseValidationError) -> list[str]:
    problems = []
    for line in cattrs.transform_error(exc, path="$"):
        message, _, where = line.rpartition(" @ ")
        where = where.removeprefix("$").removeprefix(".")
        problems.append(f"{where}: {message}")
    return problems


def _raise(source: str, problems: list[str]) -> None:
    lines = [f"{source}: {p}" for p in problems]
    if len(lines) == 1:
        raise ScenarioError(lines[0])
    raise ScenarioError(f"{len(lines)} problems in {source}:\n  " + "\n  ".join(lines))


# --- writing

def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as a TOML-ready dict: file keys, no ``None`` values, lists."""
    return _clean(converter.unstructure(scenario))


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as TOML text; `scenario_from_toml` of it equals `scenario`."""
    return _toml_dumps(scenario_to_dict(scenario))
