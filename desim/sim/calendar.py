"""Local calendar days in hours since the scenario start, across DST changes.

A local clock time ``c`` (hours, 0-24) on calendar day ``d`` (0 is the start's
local date, negative days before it) is ``day_start_h[d] + elapsed`` where
``elapsed = c`` before the day's clock change and ``max(c + shift, tx)`` after it
(``shift`` is -1 on a spring-forward day, +1 on a fall-back day, 0 otherwise;
``tx`` the old clock time of the change). A clock time inside a skipped hour is
read as the end of the gap; an ambiguous one as its first occurrence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from desim.sim.tolerances import TIME_TOL_H

__all__ = ["LocalDays"]

_FIRST_DAY = -2      # days before the start's date kept in the table


class LocalDays:
    """Day table of a run: start of each local day and its clock change, if any."""

    def __init__(self, start: pd.Timestamp | None, start_hour_of_day: float = 0.0):
        self.start = start
        self.start_hour_of_day = start_hour_of_day
        self.day_start_h = np.zeros(0)
        self.shift_h = np.zeros(0)
        self.change_clock_h = np.zeros(0)
        self._extend(64)

    def _extend(self, n_days: int) -> None:
        """Make the table cover days `_FIRST_DAY` .. `_FIRST_DAY + n_days - 1`."""
        days = np.arange(_FIRST_DAY, _FIRST_DAY + n_days + 1)
        if self.start is None or self.start.tz is None:
            starts = 24.0 * days - self.start_hour_of_day
            shift = np.zeros(n_days)
            change = np.full(n_days, np.inf)
        else:
            date0 = self.start.tz_localize(None).normalize()
            naive = date0 + pd.to_timedelta(days, unit="D")
            local = naive.tz_localize(self.start.tz, nonexistent="shift_forward",
                                      ambiguous=np.ones(len(naive), dtype=bool))
            starts = ((local - self.start) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
            shift = np.diff(starts) - 24.0
            change = np.full(n_days, np.inf)
            for j in np.flatnonzero(np.abs(shift) > TIME_TOL_H):   # a few days a year
                change[j] = self._change_clock(local[j], len_h=24.0 + shift[j])
        self.day_start_h = np.asarray(starts[:-1], dtype=float)
        self.shift_h = np.asarray(shift, dtype=float)
        self.change_clock_h = change

    def _change_clock(self, midnight: pd.Timestamp, len_h: float) -> float:
        """Old-offset clock time at which the day's UTC offset changes (h)."""
        off0 = midnight.utcoffset()
        for k in range(1, int(np.ceil(len_h)) + 1):
            if (midnight + pd.Timedelta(hours=k)).utcoffset() != off0:
                return float(k)
        return np.inf

    def hours(self, day, clock_h) -> np.ndarray:
        """Hours since the start of local clock time `clock_h` on day `day` (arrays)."""
        day = np.asarray(day, dtype=np.int64)
        need = int(day.max()) - _FIRST_DAY + 2 if day.size else 0
        if need > len(self.shift_h):
            self._extend(max(need, 2 * len(self.shift_h)))
        j = day - _FIRST_DAY
        clock = np.asarray(clock_h, dtype=float)
        tx = self.change_clock_h[j]
        elapsed = np.where(clock < tx, clock, np.maximum(clock + self.shift_h[j], tx))
        return self.day_start_h[j] + elapsed
