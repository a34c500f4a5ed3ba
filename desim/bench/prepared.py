"""Inputs prepared before a timed comparison, the same for the engine and both baselines.

A comparison times how each design *simulates*, not how it generates its
inputs. The baselines have always drawn every EV session and read every home's
load before their clock starts; `prepare` does the same for the engine's inputs
so that none of the three is charged for it:

- the synthetic load is generated once for the whole horizon (`PreparedLoad`);
- every EV session up to the horizon is drawn ahead from the scenario's
  `MobilitySessions`, in one vectorized call per round of trips
  (`PlannedSessions`); the SOC an EV comes home with still depends on the SOC it
  left with, applied at each departure (`desim.sim.sessions.arrival_soc`).

The sessions replayed are the ones `MobilitySessions` would answer during the run
(it draws by (EV, day), whatever the order of the questions), so a prepared run
gives the same results as an unprepared one; a test holds them equal. The year
and the million-prosumer day are timed unprepared: their figures include
generating the inputs.
"""

from __future__ import annotations

import time

import numpy as np
from attrs import evolve

from desim.sim.engine import SimInputs
from desim.sim.sessions import MobilitySessions, arrival_soc

__all__ = ["PreparedLoad", "PlannedSessions", "prepare"]


class PreparedLoad:
    """Every home's load over the whole horizon, generated before the run."""

    def __init__(self, load, n_steps: int):
        self.kw = load.block(0, n_steps)       # (n_steps, n_homes)

    def block(self, start_index: int, n_steps: int) -> np.ndarray:
        """Rows ``start_index`` to ``start_index + n_steps - 1`` (kW, a view)."""
        return self.kw[start_index:start_index + n_steps]


class PlannedSessions:
    """Sessions of a `MobilitySessions` up to a horizon, drawn ahead and replayed.

    Parameters
    ----------
    sessions : MobilitySessions
        The scenario's source (fresh: nothing drawn from it yet).
    soc : numpy.ndarray
        Every EV's SOC at the start (fraction).
    horizon_h : float
        Sessions are drawn for every departure at or before this time (h).
    """

    def __init__(self, sessions: MobilitySessions, soc: np.ndarray, horizon_h: float):
        if not isinstance(sessions, MobilitySessions):
            raise NotImplementedError(f"only mobility sessions are drawn ahead, got "
                                      f"{type(sessions).__name__}")
        e = np.arange(len(soc))
        self.first_session = sessions.first(e, np.asarray(soc, dtype=float))
        rounds = []                          # (EVs, arrival, departure, used SOC, target)
        live = e[self.first_session[1] <= horizon_h]
        while live.size:
            arr, dep, used, target = sessions.next_trip(live)
            rounds.append((live, arr, dep, used, target))
            live = live[dep <= horizon_h]
        count = np.zeros(len(e), dtype=np.int64)
        width = len(rounds) + 1              # the last column: never back
        self.arrival_h = np.full((len(e), width), np.inf)
        self.departure_h = np.full((len(e), width), np.inf)
        self.used_soc = np.zeros((len(e), width))
        self.target_soc = np.zeros((len(e), width))
        for live, arr, dep, used, target in rounds:
            k = count[live]
            self.arrival_h[live, k] = arr
            self.departure_h[live, k] = dep
            self.used_soc[live, k] = used
            self.target_soc[live, k] = target
            count[live] += 1
        self.n_trips = count
        self._next = np.zeros(len(e), dtype=np.int64)

    def first(self, ev_index, soc):
        """First session of EVs `ev_index` (as `MobilitySessions.first`)."""
        arr, dep, _, target = self.first_session
        e = np.asarray(ev_index)
        return arr[e], dep[e], np.asarray(soc, dtype=float).copy(), target[e]

    def trips(self, ev: int) -> list[tuple]:
        """EV `ev`'s later sessions, ``[(arrival_h, departure_h, used_soc, target_soc)]``."""
        k = int(self.n_trips[ev])
        return list(zip(self.arrival_h[ev, :k].tolist(), self.departure_h[ev, :k].tolist(),
                        self.used_soc[ev, :k].tolist(), self.target_soc[ev, :k].tolist(),
                        strict=True))

    def next_after_departure(self, ev_index, soc):
        """Next session of EVs that just left with SOC `soc` (as
        `MobilitySessions.next_after_departure`)."""
        e = np.asarray(ev_index)
        k = self._next[e]
        if np.any(k > self.n_trips[e]):
            raise RuntimeError("PlannedSessions: asked past the sessions drawn ahead")
        self._next[e] = k + 1
        return (self.arrival_h[e, k], self.departure_h[e, k],
                arrival_soc(np.asarray(soc, dtype=float), self.used_soc[e, k]),
                self.target_soc[e, k])


def prepare(inp: SimInputs) -> tuple[SimInputs, float]:
    """`inp` with its load generated and its sessions drawn for the whole horizon, and
    the seconds that took."""
    t = time.perf_counter()
    fleet = inp.fleet
    out = evolve(inp, load=PreparedLoad(inp.load, inp.n_steps),
                 sessions=PlannedSessions(inp.sessions, fleet.ev_soc.astype(np.float64),
                                          inp.horizon_h))
    return out, time.perf_counter() - t
