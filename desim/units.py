"""Conversions at the edges: percent <-> fraction, clock times <-> hours.

Inside desim SOC and efficiencies are fractions in [0, 1] and time is hours
since scenario start. Percentages and "HH:MM" clock strings live only where
people type or read, and are converted here, once.
"""

from __future__ import annotations

import re

import numpy as np

from desim.errors import ParameterError

__all__ = [
    "percent_to_fraction",
    "fraction_to_percent",
    "parse_hhmm",
    "format_hhmm",
    "hours_until",
    "usd_per_mwh_to_usd_per_kwh",
    "usd_per_kwh_to_usd_per_mwh",
]

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# Plain Python numbers skip numpy (a scalar call costs ~0.1 us instead of ~1 us).
_PLAIN = (float, int)


def percent_to_fraction(value_percent):
    """Percent (0-100) to a fraction (0-1); scalars and arrays alike."""
    if type(value_percent) in _PLAIN:
        return value_percent / 100.0
    return np.asarray(value_percent, dtype=float) / 100.0 if np.ndim(value_percent) else (
        float(value_percent) / 100.0)


def fraction_to_percent(value):
    """Fraction (0-1) to percent (0-100); scalars and arrays alike."""
    if type(value) in _PLAIN:
        return value * 100.0
    return np.asarray(value, dtype=float) * 100.0 if np.ndim(value) else float(value) * 100.0


def parse_hhmm(text: str, field: str = "time") -> float:
    """Parse a zero-padded 24 h "HH:MM" clock time into hours after midnight.

    Raises
    ------
    ParameterError
        If `text` is not of the form "HH:MM" with 00 <= HH <= 23, 00 <= MM <= 59.
    """
    match = _HHMM.match(text) if isinstance(text, str) else None
    if match is None:
        raise ParameterError(f"{field}: expected a 24 h time \"HH:MM\" (00:00-23:59), got {text!r}")
    return int(match.group(1)) + int(match.group(2)) / 60.0


def format_hhmm(hour_of_day: float) -> str:
    """Hours after midnight (any real, wrapped to one day) as "HH:MM"."""
    minutes = int(round((hour_of_day % 24.0) * 60.0)) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hours_until(now_hour_of_day, deadline_hour_of_day):
    """Hours from a clock time until the next occurrence of a deadline clock time.

    A deadline at or before `now` is taken to be on the next day, so 22:00 to
    07:00 is 9 h. Works on scalars and arrays.
    """
    if type(now_hour_of_day) in _PLAIN and type(deadline_hour_of_day) in _PLAIN:
        delta = (deadline_hour_of_day - now_hour_of_day) % 24.0   # np.mod's rule (sign of 24)
        return 24.0 if delta == 0.0 else float(delta)
    delta = np.mod(np.asarray(deadline_hour_of_day, dtype=float)
                   - np.asarray(now_hour_of_day, dtype=float), 24.0)
    delta = np.where(delta == 0.0, 24.0, delta)
    return float(delta) if np.ndim(delta) == 0 else delta


def usd_per_mwh_to_usd_per_kwh(price_per_mwh):
    """$/MWh to $/kWh."""
    return np.asarray(price_per_mwh, dtype=float) / 1000.0 if np.ndim(price_per_mwh) else (
        float(price_per_mwh) / 1000.0)


def usd_per_kwh_to_usd_per_mwh(price_per_kwh):
    """$/kWh to $/MWh."""
    return np.asarray(price_per_kwh, dtype=float) * 1000.0 if np.ndim(price_per_kwh) else (
        float(price_per_kwh) * 1000.0)
