"""Where EV plug-in sessions come from: a mobility model or recorded sessions.

A session source answers, for any set of EVs that just left home, when each
comes back, with what SOC, and when it leaves next. Draws are keyed by (EV,
day), so the answer does not depend on which other EVs are asked at the same
time: the fleet engine (many EVs per call) and the one-process-per-EV
reference (one EV per call) see identical sessions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from attrs import define, field

from desim.sim.calendar import LocalDays
from desim.sim.session_input import read_acn_json, read_sessions_csv

__all__ = ["MobilitySessions", "RecordedSessions", "arrival_soc", "read_sessions_csv",
           "read_acn_json"]

# The file readers live in `desim.sim.session_input` (one validator for both formats).

# Assumptions (labelled as such): day-to-day spread of the clock times a driver
# leaves and comes back, and of the miles driven (lognormal with unit mean).
DEPARTURE_SPREAD_H = 0.5
ARRIVAL_SPREAD_H = 1.0
MILES_SIGMA = 0.5
# About 80 % of EV charging energy is delivered at home (U.S. DOE Alternative Fuels
# Data Center, "Charging at Home": most drivers do over 80 % of their charging there); the rest
# is taken to be charged away from home, so only this share of a trip's energy
# is drawn from the home-charged battery.
HOME_CHARGING_SHARE = 0.8
MIN_ARRIVAL_SOC = 0.05
_MIN_AWAY_H = 0.25          # a spread-out trip lasts at least this long
_LAST_CLOCK_H = 23.99       # spread clock times stay within their day
_FIRST_DRAW_DAY = -2        # draws are keyed by day - this (seed spawn keys are >= 0)


@define
class MobilitySessions:
    """Daily commute sessions drawn from each EV's habits in the fleet table.

    Days follow the local calendar (`desim.sim.calendar.LocalDays`, when `start`
    is given): on day ``d`` an EV leaves at its ``departure_hour`` local time and is
    back at the next ``arrival_hour`` after it (the same day if the arrival hour is
    later, else the next day), having used ``home_share * miles * kwh_per_mile``
    of stored energy, and must reach ``departure_soc`` by its next departure. With
    ``spread > 0`` (generated fleets; explicit EVs only on request) the clock
    times vary from day to day by ``N(0, 0.5 h) * spread`` (departure) and
    ``N(0, 1 h) * spread`` (arrival), kept within the day; miles always vary.

    At the start each EV is where its schedule puts it: at home and plugged in if
    the start falls between an arrival and the next departure, else away until
    its next arrival. Its initial SOC is its SOC at that first plug-in.
    """

    departure_hour: np.ndarray
    arrival_hour: np.ndarray
    daily_miles: np.ndarray
    kwh_per_mile: np.ndarray
    capacity_kwh: np.ndarray
    target_soc: np.ndarray
    start_hour_of_day: float
    seed: np.random.SeedSequence
    home_share: np.ndarray | float = HOME_CHARGING_SHARE
    spread: np.ndarray | float = 1.0
    start: pd.Timestamp | None = None
    _day: np.ndarray = field(init=False)
    _cache: dict = field(init=False, factory=dict)
    _days: LocalDays = field(init=False)
    _spread_of: np.ndarray = field(init=False)
    _share_of: np.ndarray = field(init=False)

    def __attrs_post_init__(self) -> None:
        self._day = np.zeros(len(self.departure_hour), dtype=np.int64)
        self._days = LocalDays(self.start, self.start_hour_of_day)
        shape = self.departure_hour.shape
        self._spread_of = np.broadcast_to(np.asarray(self.spread, dtype=float), shape)
        self._share_of = np.broadcast_to(np.asarray(self.home_share, dtype=float), shape)

    def _draws(self, day: int) -> dict[str, np.ndarray]:
        if day not in self._cache:
            if len(self._cache) > 6:
                self._cache.pop(min(self._cache))
            rng = np.random.default_rng(np.random.SeedSequence(
                self.seed.entropy, spawn_key=(*self.seed.spawn_key, day - _FIRST_DRAW_DAY)))
            n = len(self.departure_hour)
            self._cache[day] = {
                "dep": rng.standard_normal(n) * DEPARTURE_SPREAD_H,
                "arr": rng.standard_normal(n) * ARRIVAL_SPREAD_H,
                "miles": np.exp(rng.standard_normal(n) * MILES_SIGMA - MILES_SIGMA ** 2 / 2),
            }
        return self._cache[day]

    def _per_day(self, ev_index, day, fn):
        """``fn(ev_rows, draws_of_day)`` for EVs grouped by their day."""
        if day.size and day.min() == day.max():          # usually: one day
            return np.asarray(fn(ev_index, self._draws(int(day[0]))), dtype=float)
        out = np.empty(len(ev_index))
        for d in np.unique(day):
            m = day == d
            out[m] = fn(ev_index[m], self._draws(int(d)))
        return out

    def _clock(self, hour, e, noise):
        spread = self._spread_of[e]
        return np.where(spread > 0, np.clip(hour[e] + spread * noise[e], 0.0, _LAST_CLOCK_H),
                        hour[e])

    def _departure_h(self, ev_index, day):
        clock = self._per_day(ev_index, day,
                              lambda e, dr: self._clock(self.departure_hour, e, dr["dep"]))
        return self._days.hours(day, clock)

    def _trip(self, ev_index, day):
        """Arrival time (h) and stored energy used (kWh) of the trip leaving on `day`."""
        dep_clock = self._per_day(ev_index, day,
                                  lambda e, dr: self._clock(self.departure_hour, e, dr["dep"]))
        arr_clock = self._per_day(ev_index, day,
                                  lambda e, dr: self._clock(self.arrival_hour, e, dr["arr"]))
        arr_day = np.where(arr_clock > dep_clock, day, day + 1)
        leave = self._days.hours(day, dep_clock)
        back = np.maximum(self._days.hours(arr_day, arr_clock), leave + _MIN_AWAY_H)
        share = self._share_of
        used = self._per_day(ev_index, day, lambda e, dr: share[e] * self.daily_miles[e]
                             * dr["miles"][e] * self.kwh_per_mile[e])
        return back, used, arr_day

    def _next_departure(self, ev_index, after_h, first_day):
        """First departure strictly after `after_h`, from day `first_day` on: (h, day)."""
        day = np.asarray(first_day, dtype=np.int64).copy()
        dep = self._departure_h(ev_index, day)
        for _ in range(3):
            late = dep <= after_h
            if not late.any():
                break
            day[late] += 1
            dep[late] = self._departure_h(ev_index[late], day[late])
        return dep, day

    def first(self, ev_index, soc):
        """First session of each EV: (arrival_h, departure_h, arrival_soc, target_soc);
        an EV at home at the start has ``arrival_h = 0``."""
        e = np.asarray(ev_index)
        soc = np.asarray(soc, dtype=float)
        zero = np.zeros(len(e), dtype=np.int64)
        last = np.where(self._departure_h(e, zero) <= 0.0, zero, zero - 1)
        back, _, arr_day = self._trip(e, last)
        away = back > 0.0
        arrival = np.where(away, back, 0.0)
        dep, day = self._next_departure(e, arrival, np.where(away, arr_day, zero))
        self._day[e] = day
        return arrival, dep, soc.copy(), self.target_soc[e]

    def next_after_departure(self, ev_index, soc):
        """Next session of EVs that just left with SOC `soc`: (arrival_h, departure_h,
        arrival_soc, target_soc)."""
        back, dep, used_soc, target = self.next_trip(ev_index)
        return back, dep, arrival_soc(np.asarray(soc, dtype=float), used_soc), target

    def next_trip(self, ev_index):
        """Next session of EVs that just left, before knowing the SOC they left with:
        (arrival_h, departure_h, used_soc, target_soc).

        `used_soc` is the share of capacity the trip uses; the arrival SOC is
        ``arrival_soc(soc at departure, used_soc)``. Advances each EV to its next
        session exactly as `next_after_departure` does (which is this plus
        `arrival_soc`), so a caller can draw every EV's sessions ahead of time.
        """
        e = np.asarray(ev_index)
        day = self._day[e]
        back, used, arr_day = self._trip(e, day)
        dep, nday = self._next_departure(e, back, arr_day)
        self._day[e] = nday
        return back, dep, used / self.capacity_kwh[e], self.target_soc[e]


def arrival_soc(departure_soc, used_soc):
    """SOC at the end of a trip (fractions; floats or arrays).

    What the EV left with less what the trip used (`used_soc`), but not below
    `MIN_ARRIVAL_SOC` (an assumption: drivers recharge away from home before
    running flat), nor above what it left with.
    """
    return np.maximum(departure_soc - used_soc, np.minimum(MIN_ARRIVAL_SOC, departure_soc))


@define
class RecordedSessions:
    """Recorded sessions, one EV row per vehicle, replayed in order.

    Arrays are sorted by (ev_index, arrival_h). An EV with no further session
    gets an arrival at ``np.inf``.
    """

    ev_index: np.ndarray
    arrival_h: np.ndarray
    departure_h: np.ndarray
    arrival_soc: np.ndarray
    target_soc: np.ndarray
    _ptr: np.ndarray = field(init=False)
    _end: np.ndarray = field(init=False)

    def __attrs_post_init__(self) -> None:
        n_evs = int(self.ev_index.max()) + 1 if len(self.ev_index) else 0
        counts = np.bincount(self.ev_index, minlength=n_evs)
        self._end = np.cumsum(counts)
        self._ptr = self._end - counts

    def _take(self, ev_index):
        ptr = self._ptr[ev_index]
        has = ptr < self._end[ev_index]
        safe = np.where(has, ptr, 0)
        arr = np.where(has, self.arrival_h[safe], np.inf)
        dep = np.where(has, self.departure_h[safe], np.inf)
        soc = np.where(has, self.arrival_soc[safe], 0.0)
        tgt = np.where(has, self.target_soc[safe], 0.0)
        self._ptr[ev_index] = ptr + has
        return arr, dep, soc, tgt

    def first(self, ev_index, soc):
        """First recorded session of each EV (it is away until then)."""
        return self._take(np.asarray(ev_index))

    def next_after_departure(self, ev_index, soc):
        """Next recorded session of EVs that just left."""
        return self._take(np.asarray(ev_index))
