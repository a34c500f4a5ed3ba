"""The exception tree: one root, `DesimError`, for everything a user can fix."""

from __future__ import annotations

import warnings

__all__ = [
    "DesimError",
    "ParameterError",
    "ScenarioError",
    "CatalogError",
    "ParseError",
    "OutputError",
    "PolicyError",
    "ShardError",
    "DesimWarning",
    "warn",
]


class DesimError(Exception):
    """Root of every error caused by input the user can fix."""


class ParameterError(DesimError, ValueError):
    """An asset or model parameter is outside its allowed range."""


class ScenarioError(DesimError, ValueError):
    """A scenario file is malformed; the message names each bad path and value."""


class CatalogError(DesimError, LookupError):
    """A product name is unknown to the catalog; the message lists close names."""


class ParseError(DesimError, ValueError):
    """A text description could not be turned into a valid prosumer config."""


class OutputError(DesimError, OSError):
    """An output could not be written (existing directory, bad format, ...)."""


class PolicyError(DesimError, ValueError):
    """A custom control policy could not be built or returned invalid setpoints."""


class ShardError(DesimError, RuntimeError):
    """Shards of a sharded run failed; the message names each by number with its error.

    ``failed`` holds one dict per failed shard (``shard``, ``error``, and the
    worker's ``traceback`` when there is one); ``output`` is the run directory
    that holds the other shards' parts of the log.
    """

    def __init__(self, message: str, failed=(), output=None) -> None:
        super().__init__(message)
        self.failed = list(failed)
        self.output = output


class DesimWarning(UserWarning):
    """Doubtful but legal input."""


def warn(message: str, stacklevel: int = 2) -> None:
    """Emit a `DesimWarning`."""
    warnings.warn(message, DesimWarning, stacklevel=stacklevel + 1)


def check_all(problems: list[str], error: type[DesimError] = ParameterError) -> None:
    """Raise `error` once listing every problem, or do nothing if there are none."""
    if problems:
        raise error("; ".join(problems) if len(problems) == 1 else
                    f"{len(problems)} problems:\n  " + "\n  ".join(problems))
