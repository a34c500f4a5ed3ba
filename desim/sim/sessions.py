"""Where EV plug-in sessions come from: a mobility model or recorded sessions.

A session source answers, for any set of EVs that just left home, when each
comes back, with what SOC, and when it leaves next. Draws are keyed by (EV,
day), so the answer does not depend on which other EVs are asked at the same
time: the fleet engine (many EVs per call) and the one-process-per-EV
reference (one EV per call) see identical sessions.
"""

from __future__ import annotations

import numpy as np
from attrs import define, field

from desim.sim.session_input import read_acn_json, read_sessions_csv

__all__ = ["MobilitySessions", "RecordedSessions", "read_sessions_csv", "read_acn_json"]

# The file readers live in `desim.sim.session_input` (one validator for both formats).

# Assumptions (labelled as such): day-to-day spread of the clock times a driver
# leaves and comes back, and of the miles driven (lognormal with unit mean).
DEPARTURE_SPREAD_H = 0.5
ARRIVAL_SPREAD_H = 1.0
MILES_SIGMA = 0.5
# About 80 % of EV charging energy is delivered at home (issue facts); the rest
# is taken to be charged away from home, so only this share of a trip's energy
# is drawn from the home-charged battery.
HOME_CHARGING_SHARE = 0.8
MIN_ARRIVAL_SOC = 0.05


@define
class MobilitySessions:
    """Daily commute sessions drawn from each EV's habits in the fleet table.

    Every EV starts the run at home, plugged in, with its initial SOC. On day
    ``d`` (days counted from local midnight of the start date) it leaves at
    ``departure_hour + N(0, 0.5 h)``, returns at ``arrival_hour + N(0, 1 h)``
    (at least an hour later), having used ``home_share * miles * kwh_per_mile``
    of stored energy, and must reach ``departure_soc`` by the next morning's
    departure.
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
    _day: np.ndarray = field(init=False)
    _cache: dict = field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        self._day = np.zeros(len(self.departure_hour), dtype=np.int64)

    def _draws(self, day: int) -> dict[str, np.ndarray]:
        if day not in self._cache:
            if len(self._cache) > 4:
                self._cache.pop(min(self._cache))
            rng = np.random.default_rng(np.random.SeedSequence(
                self.seed.entropy, spawn_key=(*self.seed.spawn_key, day)))
            n = len(self.departure_hour)
            self._cache[day] = {
                "dep": rng.standard_normal(n) * DEPARTURE_SPREAD_H,
                "arr": rng.standard_normal(n) * ARRIVAL_SPREAD_H,
                "miles": np.exp(rng.standard_normal(n) * MILES_SIGMA - MILES_SIGMA ** 2 / 2),
            }
        return self._cache[day]

    def _day_start_h(self, day):
        return 24.0 * day - self.start_hour_of_day

    def _departure_h(self, ev_index, day):
        out = np.empty(len(ev_index))
        for d in np.unique(day):
            m = day == d
            e = ev_index[m]
            dep = np.clip(self.departure_hour[e] + self._draws(int(d))["dep"][e], 3.0, 12.0)
            out[m] = self._day_start_h(d) + dep
        return out

    def first(self, ev_index, soc):
        """First session of each EV: plugged in at t = 0 until its first departure."""
        ev_index = np.asarray(ev_index)
        day = np.zeros(len(ev_index), dtype=np.int64)
        dep = self._departure_h(ev_index, day)
        late = dep <= 0.0
        day[late] = 1
        dep[late] = self._departure_h(ev_index[late], day[late])
        self._day[ev_index] = day
        return (np.zeros(len(ev_index)), dep, np.asarray(soc, dtype=float),
                self.target_soc[ev_index])

    def next_after_departure(self, ev_index, soc):
        """Next session of EVs that just left with SOC `soc`: (arrival_h, departure_h,
        arrival_soc, target_soc)."""
        ev_index = np.asarray(ev_index)
        day = self._day[ev_index]
        arr = np.empty(len(ev_index))
        drop = np.empty(len(ev_index))
        for d in np.unique(day):
            m = day == d
            e = ev_index[m]
            draws = self._draws(int(d))
            dep_clock = np.clip(self.departure_hour[e] + draws["dep"][e], 3.0, 12.0)
            arr_clock = np.clip(self.arrival_hour[e] + draws["arr"][e], dep_clock + 1.0, 23.5)
            arr[m] = self._day_start_h(d) + arr_clock
            share = np.broadcast_to(np.asarray(self.home_share, dtype=float),
                                    self.departure_hour.shape)[e]
            drop[m] = (share * self.daily_miles[e] * draws["miles"][e]
                       * self.kwh_per_mile[e])
        arrival_soc = np.maximum(np.asarray(soc) - drop / self.capacity_kwh[ev_index],
                                 np.minimum(MIN_ARRIVAL_SOC, soc))
        self._day[ev_index] = day + 1
        dep = self._departure_h(ev_index, day + 1)
        return arr, dep, arrival_soc, self.target_soc[ev_index]


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
