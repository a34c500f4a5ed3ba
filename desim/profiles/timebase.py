"""The time base every profile lives on: a regular, tz-aware index of interval starts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from desim.errors import ParameterError, check_all

__all__ = ["make_times", "interval_min_of"]


def make_times(start, periods: int, interval_min: float = 15.0,
               time_zone: str = "America/Los_Angeles") -> pd.DatetimeIndex:
    """A regular, tz-aware `DatetimeIndex` of interval starts.

    Parameters
    ----------
    start : str, datetime or pandas.Timestamp
        First interval start. A naive value is local wall time in `time_zone`;
        an aware value is converted to `time_zone`.
    periods : int
        Number of intervals, >= 1.
    interval_min : float
        Interval length in minutes, > 0; 1440 must be a whole multiple of it
        so intervals tile the day (5, 10, 15, 30, 60, ...).
    time_zone : str
        IANA time zone name, e.g. "America/Los_Angeles".

    Returns
    -------
    pandas.DatetimeIndex
        `periods` starts spaced `interval_min` apart in absolute time (so a
        DST change shifts wall-clock labels, not the spacing).

    Raises
    ------
    ParameterError
        On a bad start, count, interval or time zone; the message lists all.
    """
    problems = []
    if not isinstance(periods, int | np.integer) or periods < 1:
        problems.append(f"make_times.periods: expected an integer >= 1, got {periods!r}")
    try:
        interval = float(interval_min)
    except (TypeError, ValueError):
        interval = float("nan")
    if not (interval > 0) or (1440.0 / interval) % 1 != 0 or (interval * 60) % 1 != 0:
        problems.append("make_times.interval_min: expected minutes > 0 dividing 1440 "
                        f"(5, 10, 15, 30, 60, ...), got {interval_min!r}")
    try:
        stamp = pd.Timestamp(start)
        stamp = stamp.tz_localize(time_zone) if stamp.tzinfo is None else stamp.tz_convert(time_zone)
    except Exception as exc:  # pandas raises several types for bad dates / zones
        problems.append(f"make_times.start/time_zone: expected a date-time and an IANA zone, "
                        f"got start={start!r}, time_zone={time_zone!r} ({exc})")
    check_all(problems)
    return pd.date_range(stamp, periods=int(periods), freq=pd.Timedelta(minutes=interval))


def interval_min_of(times, where: str = "times") -> float:
    """Interval length (minutes) of a regular, tz-aware `DatetimeIndex`.

    Raises `ParameterError` naming `where` if `times` is not a non-empty,
    tz-aware, strictly regular index (one element needs a `freq`).
    """
    if not isinstance(times, pd.DatetimeIndex) or len(times) == 0:
        raise ParameterError(f"{where}: expected a non-empty pandas.DatetimeIndex, "
                             f"got {type(times).__name__}")
    if times.tz is None:
        raise ParameterError(f"{where}: expected a tz-aware DatetimeIndex, got a naive one "
                             "(use desim.profiles.make_times)")
    if len(times) == 1:
        if times.freq is None:
            raise ParameterError(f"{where}: a single time needs a freq to define its interval")
        return pd.Timedelta(times.freq).total_seconds() / 60.0
    steps = np.diff(times.as_unit("ns").asi8)
    if np.any(steps != steps[0]) or steps[0] <= 0:
        raise ParameterError(f"{where}: expected regular, increasing interval starts, got "
                             f"steps from {steps.min() / 6e10:g} to {steps.max() / 6e10:g} min")
    return float(steps[0]) / 6e10
