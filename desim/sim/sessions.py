"""Where EV plug-in sessions come from: a mobility model or recorded sessions.

A session source answers, for any set of EVs that just left home, when each
comes back, with what SOC, and when it leaves next. Draws are keyed by (EV,
day), so the answer does not depend on which other EVs are asked at the same
time: the fleet engine (many EVs per call) and the one-process-per-EV
reference (one EV per call) see identical sessions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from attrs import define, field

from desim.errors import ScenarioError

__all__ = ["MobilitySessions", "RecordedSessions", "read_sessions_csv", "read_acn_json"]

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


def _hours(ts: pd.Series, start: pd.Timestamp) -> np.ndarray:
    return ((ts - start) / pd.Timedelta(hours=1)).to_numpy(dtype=float)


def read_sessions_csv(path, start: pd.Timestamp):
    """Read sessions from a CSV with columns ev_id, arrival, departure, kwh_requested, max_kw.

    Times are ISO 8601; naive times are taken in the scenario's time zone.
    Returns a DataFrame with ev_id, arrival_h, departure_h, kwh_requested, max_kw.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype={"ev_id": str})
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read sessions CSV ({exc})") from exc
    required = ["ev_id", "arrival", "departure", "kwh_requested", "max_kw"]
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise ScenarioError(f"{path}: expected columns {required}, missing {missing}")
    problems = []
    frame = pd.DataFrame({"ev_id": raw["ev_id"].astype(str)})
    for col in ("arrival", "departure"):
        ts = pd.to_datetime(raw[col], errors="coerce", format="ISO8601")
        bad = ts.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            problems.append(f"{path}: row {i + 2}: {col}: expected an ISO 8601 time, "
                            f"got {raw[col].iloc[i]!r}")
            continue
        if ts.dt.tz is None:
            ts = ts.dt.tz_localize(start.tz)
        frame[col + "_h"] = _hours(ts, start)
    for col in ("kwh_requested", "max_kw"):
        values = pd.to_numeric(raw[col], errors="coerce")
        bad = values.isna() | (values <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            problems.append(f"{path}: row {i + 2}: {col}: expected a number > 0, "
                            f"got {raw[col].iloc[i]!r}")
        frame[col] = values
    if not problems and (frame["departure_h"] <= frame["arrival_h"]).any():
        i = int(np.flatnonzero((frame["departure_h"] <= frame["arrival_h"]).to_numpy())[0])
        problems.append(f"{path}: row {i + 2}: departure: expected after arrival, "
                        f"got {raw['departure'].iloc[i]!r}")
    if problems:
        raise ScenarioError("\n".join(problems))
    return frame


def read_acn_json(path, start: pd.Timestamp, default_max_kw: float = 6.656,
                  energy: str = "delivered"):
    """Read sessions in the ACN-Data JSON format.

    Uses ``connectionTime`` and ``disconnectTime`` (RFC 1123 dates), the energy
    ``kWhDelivered`` (``energy="delivered"``, as ACN-Sim does by default) or the
    driver's ``userInputs[-1].kWhRequested`` (``energy="requested"``). ACN-Data
    records no vehicle power limit, so `default_max_kw` (32 A at 208 V) applies.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{path}: cannot read ACN-Data JSON ({exc})") from exc
    items = doc.get("_items", doc) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ScenarioError(f"{path}: expected a list of sessions under '_items'")
    rows, problems = [], []
    for i, item in enumerate(items):
        try:
            arrival = pd.to_datetime(item["connectionTime"], format="%a, %d %b %Y %H:%M:%S %Z")
            departure = pd.to_datetime(item["disconnectTime"],
                                       format="%a, %d %b %Y %H:%M:%S %Z")
            kwh = item["kWhDelivered"]
            if energy == "requested" and item.get("userInputs"):
                kwh = item["userInputs"][-1]["kWhRequested"]
            kwh = float(kwh)
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"{path}: _items[{i}]: expected connectionTime, disconnectTime "
                            f"(RFC 1123) and kWhDelivered, got a problem with {exc}")
            continue
        rows.append({"ev_id": str(item.get("sessionID", f"session-{i}")),
                     "arrival_h": (arrival.tz_convert(start.tz) - start) / pd.Timedelta(hours=1),
                     "departure_h": (departure.tz_convert(start.tz) - start)
                     / pd.Timedelta(hours=1),
                     "kwh_requested": kwh, "max_kw": default_max_kw})
    if problems:
        raise ScenarioError("\n".join(problems))
    return pd.DataFrame(rows, columns=["ev_id", "arrival_h", "departure_h", "kwh_requested",
                                       "max_kw"])
