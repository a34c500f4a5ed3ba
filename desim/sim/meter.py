"""The per-home EV meter and how far EVs may be handled ahead (a part of
`desim.sim.engine.Engine`)."""

from __future__ import annotations

import bisect
import math

import numpy as np

from desim.sim import kernels
from desim.sim import tolerances as tol

__all__ = ["EvMeter"]


class EvMeter:
    """EV meter of `desim.sim.engine.Engine` (a mixin)."""

    # -- the EV meter ----------------------------------------------------------------
    # Per home, the meter holds the EV power at the start of the current interval
    # (`_meter_kw`) and the EV energy of the interval so far (`_ev_interval_kwh`).
    # A power change ``dp`` at ``t`` adds ``dp * (interval end - t)`` to the energy
    # of the interval holding ``t`` and ``dp`` to the power of every later one:
    # exact for piecewise constant power, with no pass over the EVs at each boundary.
    # Changes at later intervals (EVs handled ahead, `_ev_horizon`) wait in a
    # time-sorted queue until their interval closes.
    def _meter_add(self, homes, dp, t_h) -> None:
        kernels.meter_add(self._ev_interval_kwh, self._meter_kw, homes,
                          np.ascontiguousarray(dp, dtype=float),
                          np.atleast_1d(np.asarray(t_h, dtype=float)),
                          (self.step + 1) * self.inp.interval_h)

    def _set_fleet_ev_power(self, power_kw, t_h: float) -> None:
        """Set every EV's power at one time `t_h` (every EV current at it); the changes
        go into the meter (`_meter_changes` for changes at their own times)."""
        ev = self.ev
        change = power_kw - ev.power_kw
        ev.power_kw = np.asarray(power_kw, dtype=float)
        c = np.flatnonzero(change != 0.0)
        if c.size:
            self._meter_add(ev.prosumer_index[c], change[c], t_h)

    def _meter_changes(self, t, homes, dp) -> None:
        """EV power changes `dp` (kW) of `homes` at times `t` into the meter: now if all
        are inside the current interval, else into the queue (`_meter_due`)."""
        if not t.size:
            return
        end_h = (self.step + 1) * self.inp.interval_h
        if t.max() < end_h:
            self._meter_add(homes, dp, t)
        else:
            order = np.argsort(t, kind="stable")
            self._ev_queue.append([t[order], homes[order], dp[order], 0])

    def _merge_queue(self) -> None:
        """One time-sorted queue item for every queued change (fewer lookups per interval)."""
        if len(self._ev_queue) > 1:
            parts = [(t[pos:], homes[pos:], dp[pos:]) for t, homes, dp, pos in self._ev_queue]
            t = np.concatenate([p[0] for p in parts])
            order = np.argsort(t, kind="stable")
            self._ev_queue = [[t[order], np.concatenate([p[1] for p in parts])[order],
                               np.concatenate([p[2] for p in parts])[order], 0]]

    def _meter_due(self, end_h: float) -> None:
        """Apply queued EV power changes before `end_h` to the interval ending there."""
        if not self._ev_queue:
            return
        keep = []
        for item in self._ev_queue:
            t, homes, dp, pos = item
            j = int(np.searchsorted(t, end_h, side="left"))
            if j > pos:
                self._meter_add(homes[pos:j], dp[pos:j], t[pos:j])
                item[3] = j
            if j < len(t):
                keep.append(item)
        self._ev_queue = keep

    def _ev_horizon(self, t1: float) -> float:
        """How far EVs can be handled now: past `t1` while nothing but their own
        events can change their power (a static policy without the guard, outside
        dispatch events), up to the next event start or the end of the lookahead period."""
        if not self._ev_independent or self.active >= 0 or self._ev_dispatch_dirty:
            return t1
        # to the end of the current lookahead period (`Engine.ev_lookahead_h`), not a
        # sliding window: one large round per period, not a small one per boundary
        period_h = self.ev_lookahead_h
        limit = min(period_h * (math.floor(self.t_h / period_h + tol.BOUNDARY_TOL) + 1.0),
                    self.inp.horizon_h)
        starts = self._event_starts_h
        if starts:
            j = bisect.bisect_left(starts, self.t_h)
            if j < len(starts):
                limit = min(limit, starts[j])
        return max(t1, limit)
