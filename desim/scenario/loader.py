"""Load, check and write scenario files.

`load_scenario` reads TOML with `tomllib` and structures it with desim's one
cattrs converter (`desim.scenario._convert`: strict hooks,
``forbid_extra_keys=True``, detailed validation, field checks as attrs
validators, cross-field rules in `desim.scenario._rules`); every problem is
reported at once, each as ``file: path.in.file: expected ..., got ...``. `dump_scenario` writes a
scenario back as TOML that loads to an equal `Scenario`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import attrs
import cattrs

from desim.errors import ScenarioError
from desim.scenario._convert import BASE_DIR, converter
from desim.scenario._messages import Problem, messages
from desim.scenario._toml import dumps as _toml_dumps
from desim.scenario.schema import Scenario

__all__ = [
    "load_scenario",
    "scenario_from_toml",
    "scenario_from_dict",
    "scenario_to_dict",
    "dump_scenario",
    "converter",
]


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
    token = BASE_DIR.set(base)
    try:
        scenario = converter.structure(raw, Scenario)
    except (cattrs.BaseValidationError, Problem) as exc:
        raise _error(source, messages(exc)) from exc
    finally:
        BASE_DIR.reset(token)
    return attrs.evolve(scenario, source=source, base_dir=base)


def _error(source: str, problems: list[str]) -> ScenarioError:
    if not problems:  # a value was skipped for a problem that was not reported
        raise RuntimeError(f"{source}: the scenario was rejected without a message")
    lines = [f"{source}: {p}" for p in problems]
    if len(lines) == 1:
        return ScenarioError(lines[0])
    return ScenarioError(f"{len(lines)} problems in {source}:\n  " + "\n  ".join(lines))


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
