"""Parameter checks shared by the asset classes: collect every problem, raise once.

Each check appends a message of the form ``where.field: expected ..., got ...``
to a list; the caller raises one `ParameterError` listing them all.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from desim.errors import ParameterError, check_all

__all__ = ["is_real", "positive", "non_negative", "in_range", "fraction", "one_of",
           "raise_if_any"]


#: Number types the seed API's hot calls convert with ``float()`` on a fast path: Python
#: ints and the usual numpy scalars (not bools: the full checks name them).
PLAIN_NUMBERS = frozenset({float, int, np.float64, np.float32, np.int64, np.int32})


def is_real(value) -> bool:
    """True for a finite real number (bools excluded; an int beyond float's range is
    not finite)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _got(value) -> str:
    return f"{value:g}" if is_real(value) else repr(value)


def positive(problems: list[str], where: str, value) -> None:
    """`value` must be a finite number > 0."""
    if not (is_real(value) and value > 0):
        problems.append(f"{where}: expected a number > 0, got {_got(value)}")


def non_negative(problems: list[str], where: str, value) -> None:
    """`value` must be a finite number >= 0."""
    if not (is_real(value) and value >= 0):
        problems.append(f"{where}: expected a number >= 0, got {_got(value)}")


def in_range(problems: list[str], where: str, value, lo: float, hi: float,
             lo_open: bool = False) -> None:
    """`value` must lie in [lo, hi] (or (lo, hi] with `lo_open`)."""
    ok = is_real(value) and (value > lo if lo_open else value >= lo) and value <= hi
    if not ok:
        left = "(" if lo_open else "["
        problems.append(f"{where}: expected a number in {left}{lo:g}, {hi:g}], "
                        f"got {_got(value)}")


def fraction(problems: list[str], where: str, value) -> None:
    """A fraction in [0, 1]."""
    in_range(problems, where, value, 0.0, 1.0)


def one_of(problems: list[str], where: str, value, allowed) -> None:
    """`value` must be one of `allowed`."""
    if value not in allowed:
        problems.append(f"{where}: expected one of {', '.join(map(repr, allowed))}, "
                        f"got {value!r}")


def raise_if_any(problems: list[str]) -> None:
    """Raise one `ParameterError` listing every problem, if there are any."""
    check_all(problems, ParameterError)
