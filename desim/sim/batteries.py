"""The battery fleet: every home battery's state and its advance in time.

Batteries are stepped at every boundary by one compiled call
(`kernels.battery_interval`): a pass over all of them (`kernels.battery_step`),
then the few that reach a limit inside the step redone exactly
(`kernels.battery_edges`), with their log rows (at the time they got there)
written by the same call. See docs/engine.md.
"""

from __future__ import annotations

import numpy as np

from desim.assets import physics
from desim.sim import kernels
from desim.sim.state import BessState

__all__ = ["BatteryFleet"]

_FACTOR_CACHE_SIZE = 64   # step lengths whose decay factors are kept


class BatteryFleet:
    """Battery state (`BessState`), its terminal energy totals and, during a dispatch
    event, each battery's award and its move against its baseline.

    Parameters
    ----------
    state : BessState
        The batteries, one row each.
    log : desim.sim.log.EventLog
        Where ``bess_full``, ``bess_empty`` and awarded ``setpoint`` rows go.
    """

    def __init__(self, state: BessState, log):
        n = state.n
        self.state = state
        self.log = log
        self.in_kwh = np.zeros(n)          # terminal energy charged, per battery
        self.out_kwh = np.zeros(n)         # terminal energy discharged, per battery
        self.award_kw = np.zeros(n)        # share of the active event's award (kW)
        self.delta_kw = np.zeros(n)        # move against the baseline, event direction (kW)
        self.delta_kwh = np.zeros(n)       # the same, integrated over the event (kWh)
        self._factors: dict[float, tuple] = {}
        self._edge = np.zeros(n, dtype=np.int64)   # scratch for kernels.battery_interval
        self._active = np.zeros(n)
        self._full = np.zeros(n, dtype=np.int8)
        self._hit_t = np.zeros(n)                  # log rows of the batteries that stop
        self._hit_home = np.zeros(n, dtype=np.int64)
        self._hit_soc_percent = np.zeros(n)
        self._empty = np.zeros(0)
        # a step's full and empty rows go to the log as one batch when both are kept
        self._both_kept = log.keeps("bess_full") and log.keeps("bess_empty")

    @property
    def n(self) -> int:
        return self.state.n

    def decay(self, dt: float):
        """Per-battery constants of one step of length `dt` (cached by length)."""
        f = self._factors.get(dt)
        if f is None:
            if len(self._factors) > _FACTOR_CACHE_SIZE:
                self._factors.clear()
            f = self._factors[dt] = physics.decay_factors(self.state.self_discharge_per_h, dt)
        return f

    def advance(self, t0: float, t1: float, dispatching: bool) -> float:
        """Advance every battery from `t0` to `t1` at its current power; returns the
        energy delivered against the baselines meanwhile (kWh, during an event)."""
        b = self.state
        dt = t1 - t0
        if b.n == 0 or dt <= 0:
            return 0.0
        e, g = self.decay(dt)
        delta_kw = self.delta_kw if dispatching else self._empty
        delivered, n_hit, n_full = kernels.battery_interval(
            b.soc, b.power_kw, b.capacity_kwh, b.charge_efficiency, b.discharge_efficiency, e, g,
            b.min_soc, b.max_soc, b.self_discharge_per_h, dt, t0, b.energy_step_kwh,
            self.in_kwh, self.out_kwh, delta_kw, self.delta_kwh, b.prosumer_index, self._edge,
            self._active, self._full, self._hit_t, self._hit_home, self._hit_soc_percent)
        if n_hit:
            # those that reach a limit in the step (or exactly at its end) stopped there and
            # are logged at the time they got there, full ones first
            h = self._edge[:n_hit]
            t_hit, home, soc = (self._hit_t[:n_hit], self._hit_home[:n_hit],
                                self._hit_soc_percent[:n_hit])
            if self._both_kept:             # one batch of two kinds: full, then empty
                self.log.record((("bess_full", n_full), ("bess_empty", n_hit - n_full)),
                                t_hit, home, "bess", h, power_kw=0.0, soc_percent=soc)
            else:
                for kind, lo, hi in (("bess_full", 0, n_full), ("bess_empty", n_full, n_hit)):
                    if hi > lo:
                        self.log.record(kind, t_hit[lo:hi], home[lo:hi], "bess", h[lo:hi],
                                        power_kw=0.0, soc_percent=soc[lo:hi])
            if not dispatching:
                self.delta_kw[h] = 0.0
        return delivered

    def edge_scratch(self) -> tuple:
        """The scratch arrays `kernels.battery_interval` writes its edge rows and hits
        into (edge, active hours, full flags, hit times, homes, SOC %)."""
        return (self._edge, self._active, self._full, self._hit_t, self._hit_home,
                self._hit_soc_percent)

    def apply(self, t_h: float, sp, direction: int, award_ids) -> None:
        """Hold the batteries' powers of `sp` (`desim.sim.boundary.Setpoints`) from `t_h`;
        during an event keep the awards and log a ``setpoint`` row for each awarded
        battery whose power changes (`award_ids`: each home's award row)."""
        b = self.state
        if direction and b.n:
            self.award_kw = sp.bess_award_kw
            self.delta_kw = sp.bess_delta_kw(direction)
            awarded = np.flatnonzero((self.award_kw > 0) & (sp.bess_kw != b.power_kw))
            self.log.record("setpoint", t_h, b.prosumer_index[awarded], "bess", awarded,
                            power_kw=sp.bess_kw[awarded], soc_percent=b.soc[awarded] * 100,
                            cause_id=award_ids[b.prosumer_index[awarded]])
        b.power_kw = sp.bess_kw

    def start_event(self) -> None:
        self.delta_kwh[:] = 0.0

    def end_event(self) -> None:
        self.award_kw[:] = 0.0
        self.delta_kw[:] = 0.0

    def per_home_kwh(self, values, n_prosumers: int) -> np.ndarray:
        """Per-battery `values` summed per home."""
        return np.bincount(self.state.prosumer_index, values, minlength=n_prosumers)
