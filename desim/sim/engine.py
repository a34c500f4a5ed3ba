"""The fleet engine: a SimPy environment with a few fleet-level processes.

Processes decide *when* (profile interval boundaries, day starts, dispatch
starts and ends, settlements); between two boundaries every asset's power is
constant, so each asset event inside the interval (EV arrival, departure,
target reached, battery full or empty) is found in closed form and handled
at its exact time, in vectorized rounds over the assets that have one. No
SimPy event per asset and no Python loop over the fleet.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import simpy
from attrs import define, field

from desim.assets import physics
from desim.errors import ScenarioError
from desim.fleet.table import FleetTable
from desim.sim import dispatch as dsp
from desim.sim import kernels
from desim.sim.log import EventLog
from desim.sim.policies import Signals, guard_min_power_kw
from desim.sim.state import BessState, EvState

__all__ = ["SimInputs", "Engine", "SimResult", "run_inputs"]

_FUTURE_H = 48.0
_MET_TOL_KWH = 1e-6
_FLUSH_ROWS = 500_000          # log rows per finished chunk, roughly
_ROWS_PER_PROSUMER_DAY = 4.0   # about what the benchmark scenario logs


@define
class SimInputs:
    """Everything a run consumes, already resolved to arrays."""

    fleet: FleetTable
    start: pd.Timestamp
    interval_h: float
    n_steps: int
    pv_bucket: np.ndarray
    pv_kw_per_kwp: np.ndarray          # (n_buckets, n_steps), AC kW per kWp before derate
    load: Any                          # .block(start_index, n_steps) -> (n, n_prosumers) kW
    price_usd_per_kwh: np.ndarray      # (n_steps,)
    sessions: Any                      # MobilitySessions | RecordedSessions
    ev_policy: Any
    bess_policy: Any
    events: dsp.DispatchEvents = field(factory=dsp.DispatchEvents.empty)
    site_limit_kw: float = np.inf
    departure_guard: bool = True
    allocation: str = "pro_rata"
    prosumer_share: float = 0.7
    dispatch_seed: Any = None
    event_kinds: tuple | None = None
    dispatch_enabled: bool = True
    pv_derate: bool = True             # multiply the profile by each system's derate

    @property
    def horizon_h(self) -> float:
        return self.n_steps * self.interval_h


@define
class SimResult:
    """What a run produced: the log, per-interval fleet series and per-prosumer totals."""

    log: EventLog
    start: pd.Timestamp
    series: pd.DataFrame
    totals: pd.DataFrame
    settlements: pd.DataFrame
    ev: EvState
    bess: BessState


class Engine:
    """Fleet state plus the vectorized event handling; see the module docstring."""

    def __init__(self, inputs: SimInputs):
        self.inp = inp = inputs
        fleet = inp.fleet
        self.fleet = fleet
        self.ev = EvState.from_table(fleet)
        self.bess = BessState.from_table(fleet)
        n = fleet.n_prosumers
        self.log = EventLog(
            fleet.prosumer_id,
            {"ev": fleet.ev_id,
             "bess": _suffixed(fleet.prosumer_id[fleet.bess_prosumer_index], "/bess"),
             "pv": _suffixed(fleet.prosumer_id[fleet.pv_prosumer_index], "/pv")},
            kinds=inp.event_kinds)
        self.t_h = 0.0
        self.step = -1
        self.dirty = True
        self._load_block = None
        self._load_block_start = -1
        self.load_kw = np.zeros(n, dtype=np.float32)
        self.pv_kw = np.zeros(n)
        self.home_net_kw = np.zeros(n)
        self._ev_interval_kwh = np.zeros(n)   # the EV meter (see `_meter_add`)
        self._meter_kw = np.zeros(n)
        self._ev_queue: list[list] = []
        self.price = 0.0
        self.ev_next_h = np.full(self.ev.n, np.inf)
        # dispatch
        self.active = -1
        self.accepted = np.zeros(n, dtype=bool)
        self.ev_award_kw = np.zeros(self.ev.n)
        self.bess_award_kw = np.zeros(self.bess.n)
        self.ev_delta_kwh = np.zeros(self.ev.n)
        self.bess_delta_kwh = np.zeros(self.bess.n)
        self.ev_delta_kw = np.zeros(self.ev.n)
        self.bess_delta_kw = np.zeros(self.bess.n)
        self.award_ids = np.full(n, -1, dtype=np.int64)
        self.dispatch_row_id = -1
        self.dispatch_rng = np.random.default_rng(inp.dispatch_seed)
        self.ended_events: list[int] = []
        # accounting
        ns = inp.n_steps
        self.series = {k: np.zeros(ns) for k in (
            "load_kw", "pv_kw", "ev_kw", "bess_kw", "import_kw", "export_kw",
            "price_usd_per_kwh", "target_kw", "delivered_kw")}
        # The meter's per-home running sums, one row per home (they are updated
        # together at every interval: one cache line per home instead of seven).
        self._acc = np.zeros((n, len(kernels.ACCOUNT_COLUMNS)))
        self.tot = {k: np.zeros(n) for k in ("pv_kwh", "delivered_kwh", "payment_usd")}
        self.tot.update({k: self._acc[:, j] for j, k in enumerate(kernels.ACCOUNT_COLUMNS)})
        self.bess_in_kwh = np.zeros(self.bess.n)    # terminal energy charged, per battery
        self.bess_out_kwh = np.zeros(self.bess.n)   # terminal energy discharged, per battery
        b = self.bess
        self._bess_kc = b.charge_efficiency / b.capacity_kwh          # stored SOC/h per kW in
        self._bess_kd = 1.0 / (b.discharge_efficiency * b.capacity_kwh)  # per kW out
        self._bess_cache: dict[float, tuple] = {}
        self._edge = np.zeros(b.n, dtype=np.int64)      # scratch for kernels.battery_step
        self._active = np.zeros(b.n)                     # and kernels.battery_edges
        self._empty = np.zeros(0)
        self._scratch = np.zeros(n)                     # scratch for kernels.account_interval
        self.settlement_rows: list[dict] = []
        self._init_profiles()
        self._ev_dispatch_dirty = True
        self.delivered_step_kwh = 0.0   # estimated delivery against baselines, this interval
        # Finish the log in chunks of about _FLUSH_ROWS rows (a day, or a few hours for
        # a large fleet), so a streaming sink writes while the run goes on; the result
        # does not depend on when chunks are cut.
        steps_per_day = max(1, round(24.0 / inp.interval_h))
        rows_per_day = _ROWS_PER_PROSUMER_DAY * max(1, n)
        self.flush_every = min(steps_per_day,
                               max(1, round(steps_per_day * _FLUSH_ROWS / rows_per_day)))
        self._ev_independent = bool(getattr(inp.ev_policy, "static", False)
                                    and not self._guarded())
        self._init_sessions()

    # -- sessions -----------------------------------------------------------------
    def _init_sessions(self) -> None:
        ev = self.ev
        idx = np.arange(ev.n)
        arr, dep, soc, tgt = self.inp.sessions.first(idx, ev.soc)
        at_home = arr <= 0.0
        ev.arrival_h[:] = arr
        ev.departure_h[:] = dep
        ev.target_soc[:] = tgt
        ev.next_arrival_soc[:] = soc
        ev.plugged[:] = False
        self.ev_next_h[:] = np.where(at_home, 0.0, arr)

    # -- the fleet advance ----------------------------------------------------------
    def advance_to(self, t1: float) -> None:
        """Bring every asset up to time `t1`, handling each asset event on the way."""
        if t1 < self.t_h:
            raise RuntimeError(f"engine time went backwards: {t1} < {self.t_h}")
        if self.dirty and t1 > self.t_h:
            # setpoints are recomputed once per instant, after every process that
            # wakes at this instant has updated the signals
            self._recompute()
        if t1 == self.t_h and not np.any(self.ev_next_h <= t1):
            return
        self._advance_evs(t1)
        self._advance_bess(t1)
        self.t_h = t1

    def _ev_integrate(self, idx, t_end):
        """Bring EVs `idx` from their own ``t_last_h`` to `t_end` at their current power.

        Outside dispatch events EVs are brought up to date lazily: at their own
        events, before a policy that reads them, and at the end of the run; the
        meter does not need it (`_set_ev_power`).
        """
        ev = self.ev
        dt = t_end - ev.t_last_h[idx]
        p = ev.power_kw[idx]
        m = np.flatnonzero(p != 0.0)
        if m.size:
            mi, pm, dm = idx[m], p[m], dt[m] if np.ndim(dt) else dt
            eff = ev.charge_efficiency[mi]
            stored = np.where(pm > 0, pm * eff, pm / eff)
            ev.soc[mi] += stored * dm / ev.capacity_kwh[mi]
            energy = pm * dm
            ev.charged_kwh[mi] += np.maximum(energy, 0.0)
            ev.discharged_kwh[mi] += np.maximum(-energy, 0.0)
        if self.active >= 0:
            # delivery against the baseline accrues whether or not the EV is moving
            # (a fully deferred EV delivers its whole baseline power)
            delta = self.ev_delta_kw[idx] * dt
            self.ev_delta_kwh[idx] += delta
            self.delivered_step_kwh += float(delta.sum())
        ev.t_last_h[idx] = t_end

    def _sync_evs(self, t_h: float) -> None:
        """Bring every EV up to time `t_h` (see `_ev_integrate`)."""
        behind = np.flatnonzero(self.ev.t_last_h < t_h)
        if behind.size:
            self._ev_integrate(behind, t_h)

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
        """`_set_ev_power` for the whole fleet at one time (every EV current at `t_h`)."""
        ev = self.ev
        change = power_kw - ev.power_kw
        ev.power_kw = np.asarray(power_kw, dtype=float)
        c = np.flatnonzero(change != 0.0)
        if c.size:
            self._meter_add(ev.prosumer_index[c], change[c], t_h)

    def _set_ev_power(self, idx, power_kw, t_h) -> None:
        """Set the power of EVs `idx` from time(s) `t_h` on (see the EV meter above)."""
        ev = self.ev
        change = power_kw - ev.power_kw[idx]
        ev.power_kw[idx] = power_kw
        c = np.flatnonzero(change != 0.0)
        if not c.size:
            return
        homes, dp = ev.prosumer_index[idx[c]], change[c]
        t = np.broadcast_to(t_h, idx.shape)[c]
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
        dispatch events), up to the next event start or the end of the log chunk."""
        if not self._ev_independent or self.active >= 0 or self._ev_dispatch_dirty:
            return t1
        # to the end of the log's current chunk (a day, or a few hours for a large
        # fleet), not a sliding window: one large round per chunk, not a small one at
        # every boundary, and few rows wait past a flush
        period_h = self.flush_every * self.inp.interval_h
        limit = min(period_h * (np.floor(self.t_h / period_h + 1e-9) + 1.0), self.inp.horizon_h)
        ev_ = self.inp.events
        if self.inp.dispatch_enabled and len(ev_):
            j = int(np.searchsorted(ev_.start_h, self.t_h, side="left"))
            if j < len(ev_):
                limit = min(limit, float(ev_.start_h[j]))
        return max(t1, limit)

    def _ev_next(self, idx):
        """Next event time of EVs `idx` from their current state (closed form)."""
        ev = self.ev
        p = ev.power_kw[idx]
        # Only the EVs that move can reach a limit: the closed form runs on those alone.
        m = np.flatnonzero(p != 0.0)
        mi, pm = idx[m], p[m]
        t_stop = np.full(len(idx), np.inf)
        # physics.time_to_soc without self-discharge (EVs have none), same operations
        eff = ev.charge_efficiency[mi]
        rate = np.where(pm > 0.0, pm * eff, pm / eff) / ev.capacity_kwh[mi]
        gap = np.where(pm > 0, ev.target_soc[mi], ev.v2g_min_soc[mi]) - ev.soc[mi]
        with np.errstate(divide="ignore", invalid="ignore"):
            lin = np.where(gap * rate > 0.0, gap / rate, np.inf)
        t_stop[m] = ev.t_last_h[mi] + np.where(gap == 0.0, 0.0, lin)
        plugged = ev.plugged[idx]
        return np.where(plugged, np.minimum(ev.departure_h[idx], t_stop), ev.arrival_h[idx])

    def _advance_evs(self, t1: float) -> None:
        ev, log = self.ev, self.log
        t_ev = self._ev_horizon(t1)
        while True:
            idx = np.flatnonzero(self.ev_next_h <= t_ev)
            if idx.size == 0:
                break
            te = self.ev_next_h[idx]
            self._ev_integrate(idx, te)
            plugged = ev.plugged[idx]
            departing = plugged & (te >= ev.departure_h[idx])
            stopping = plugged & ~departing
            arriving = ~plugged
            if np.any(stopping):
                s = idx[stopping]
                up = ev.power_kw[s] > 0
                ev.soc[s] = np.where(up, ev.target_soc[s], ev.v2g_min_soc[s])
                ts = te[stopping]
                log.record("ev_target_reached", ts[up], ev.prosumer_index[s[up]], "ev", s[up],
                           power_kw=0.0, soc_percent=ev.soc[s[up]] * 100,
                           required_soc_percent=ev.target_soc[s[up]] * 100)
                log.record("ev_v2g_floor", ts[~up], ev.prosumer_index[s[~up]], "ev", s[~up],
                           power_kw=0.0, soc_percent=ev.soc[s[~up]] * 100)
                self._set_ev_power(s, 0.0, ts)
                self.ev_delta_kw[s] = 0.0
            if np.any(departing):
                d = idx[departing]
                td = te[departing]
                shortfall = ev.needed_kwh_at(d)
                shortfall = np.where(shortfall <= _MET_TOL_KWH, 0.0, shortfall)
                log.record("ev_departure", td, ev.prosumer_index[d], "ev", d, power_kw=0.0,
                           energy_kwh=shortfall, soc_percent=ev.soc[d] * 100,
                           required_soc_percent=ev.target_soc[d] * 100, shortfall_kwh=shortfall,
                           detail=np.where(ev.feasible_at_plugin[d],
                                           log.detail_code("feasible_at_plugin"),
                                           log.detail_code("infeasible_at_plugin")))
                ev.plugged[d] = False
                self._set_ev_power(d, 0.0, td)
                self.ev_delta_kw[d] = 0.0
                arr, dep, soc, tgt = self.inp.sessions.next_after_departure(d, ev.soc[d])
                ev.arrival_h[d] = arr
                ev.departure_h[d] = dep
                ev.next_arrival_soc[d] = soc
                ev.target_soc[d] = tgt
            if np.any(arriving):
                a = idx[arriving]
                ta = te[arriving]
                ev.soc[a] = ev.next_arrival_soc[a]
                ev.plugged[a] = True
                ev.feasible_at_plugin[a] = ev.needed_kwh_at(a) <= (
                    ev.max_charge_kw[a] * ev.charge_efficiency[a] * (ev.departure_h[a] - ta)
                    + _MET_TOL_KWH)
                log.record("ev_arrival", ta, ev.prosumer_index[a], "ev", a,
                           soc_percent=ev.soc[a] * 100, required_soc_percent=ev.target_soc[a] * 100)
                p = np.asarray(self.inp.ev_policy.plug_in_setpoints(
                    ev, a, self._signals(ta.min())), dtype=float)
                if self._guarded():
                    p = np.maximum(p, self._guard_at(a, ta))
                p = np.where(ev.soc[a] < ev.target_soc[a], np.minimum(p, ev.max_charge_kw[a]), 0.0)
                self._set_ev_power(a, p, ta)
                ev.setpoint_kw[a] = p
                log.record("ev_plugged_in", ta, ev.prosumer_index[a], "ev", a, power_kw=p,
                           soc_percent=ev.soc[a] * 100,
                           required_soc_percent=ev.target_soc[a] * 100)
            self.ev_next_h[idx] = self._ev_next(idx)
        self._merge_queue()
        if self.active >= 0:
            # during an event delivery accrues continuously: keep every EV current
            moving = np.flatnonzero((ev.power_kw != 0.0) | (self.ev_delta_kw != 0.0))
            self._ev_integrate(moving, t1)
            ev.t_last_h[:] = t1

    def _guard_at(self, idx, t_h):
        """Guard minimum power for EVs `idx` at their own times `t_h` until the next boundary."""
        ev = self.ev
        sub = _Subset(ev, idx)
        next_boundary = (np.floor(t_h / self.inp.interval_h + 1e-9) + 1) * self.inp.interval_h
        return guard_min_power_kw(sub, t_h, next_boundary - t_h)

    def _guarded(self) -> bool:
        return bool(self.inp.departure_guard and getattr(self.inp.ev_policy,
                                                         "guards_departure", False))

    def _bess_factors(self, dt: float):
        """Per-battery constants of one step of length `dt` (cached by length)."""
        f = self._bess_cache.get(dt)
        if f is None:
            if len(self._bess_cache) > 64:
                self._bess_cache.clear()
            f = self._bess_cache[dt] = physics.decay_factors(self.bess.self_discharge_per_h, dt)
        return f

    def _advance_bess(self, t1: float) -> None:
        """Advance every battery to `t1` at its current power (`kernels.battery_step`);
        the few that reach a limit inside the step are redone by `physics.hold_power`
        and logged at the exact time they got there."""
        b = self.bess
        dt = t1 - self.t_h
        if b.n == 0 or dt <= 0:
            return
        e, g = self._bess_factors(dt)
        dispatching = self.active >= 0
        delta_kw = self.bess_delta_kw if dispatching else self._empty
        n_edge, delivered = kernels.battery_step(
            b.soc, b.power_kw, self._bess_kc, self._bess_kd, e, g, b.min_soc, b.max_soc, dt,
            b.energy_step_kwh, self.bess_in_kwh, self.bess_out_kwh, delta_kw,
            self.bess_delta_kwh, self._edge)
        self.delivered_step_kwh += delivered
        if not n_edge:
            return
        h = self._edge[:n_edge]
        active = self._active[:n_edge]
        self.delivered_step_kwh += kernels.battery_edges(
            h, b.soc, b.power_kw, b.capacity_kwh, b.min_soc, b.max_soc, b.charge_efficiency,
            b.discharge_efficiency, b.self_discharge_per_h, dt, b.energy_step_kwh,
            self.bess_in_kwh, self.bess_out_kwh, delta_kw, self.bess_delta_kwh, active)
        hit = active < dt
        if np.any(hit):
            t_hit = self.t_h + active[hit]
            h = h[hit]
            full = b.power_kw[h] > 0
            self.log.record("bess_full", t_hit[full], b.prosumer_index[h[full]], "bess", h[full],
                            power_kw=0.0, soc_percent=b.max_soc[h[full]] * 100)
            self.log.record("bess_empty", t_hit[~full], b.prosumer_index[h[~full]], "bess",
                            h[~full], power_kw=0.0, soc_percent=b.min_soc[h[~full]] * 100)
            b.power_kw[h] = 0.0
            self.bess_delta_kw[h] = 0.0

    # -- signals and setpoints --------------------------------------------------------
    def _signals(self, t_h: float) -> Signals:
        inp = self.inp
        k = max(self.step, 0)
        n_future = int(_FUTURE_H / inp.interval_h)
        future = inp.price_usd_per_kwh[k:k + n_future]
        next_boundary = (k + 1) * inp.interval_h
        if self.active >= 0:
            next_boundary = min(next_boundary, inp.events.end_h[self.active])
        starts = inp.events.start_h                 # in time order (see `dispatch`)
        j = int(np.searchsorted(starts, t_h + 1e-12, side="right"))
        if j < len(starts):
            next_boundary = min(next_boundary, float(starts[j]))
        direction = int(inp.events.direction[self.active]) if self.active >= 0 else 0
        return Signals(t_h=t_h, dt_h=max(next_boundary - t_h, 1e-12), interval_h=inp.interval_h,
                       price_usd_per_kwh=float(self.price), future_price_usd_per_kwh=future,
                       site_limit_kw=inp.site_limit_kw, dispatch_direction=direction,
                       home_net_load_kw=self.home_net_kw)

    def _recompute(self) -> None:
        """New setpoints for the whole fleet at the current time (vectorized)."""
        self.dirty = False
        t = self.t_h
        sig = self._signals(t)
        ev, b, log = self.ev, self.bess, self.log
        direction = sig.dispatch_direction
        dispatching = self.active >= 0
        base_b = (np.asarray(self.inp.bess_policy.setpoints(b, sig), dtype=float) if b.n
                  else np.zeros(0))
        # A static policy (the same setpoint whatever the signals, e.g. uncontrolled)
        # needs no EV recompute outside dispatch: plug-ins set their own power.
        static = (getattr(self.inp.ev_policy, "static", False) and not dispatching
                  and not self._ev_dispatch_dirty)
        self._ev_dispatch_dirty = dispatching
        if ev.n and not static:
            self._sync_evs(t)     # policies read the SOC of the whole fleet
        base_ev = (np.asarray(self.inp.ev_policy.setpoints(ev, sig), dtype=float)
                   if ev.n and not static else np.zeros(0))
        if dispatching:
            self._allocate(base_b, base_ev)
        # batteries
        if b.n:
            pb = base_b + direction * self.bess_award_kw if dispatching else base_b.copy()
            kernels.battery_limits(pb, b.soc, b.min_soc, b.max_soc, b.max_charge_kw,
                                   b.max_discharge_kw)
            if dispatching:
                # baseline the battery would really hold: nothing past its limits
                base_eff = np.where(((base_b > 0) & (b.soc >= b.max_soc))
                                    | ((base_b < 0) & (b.soc <= b.min_soc)), 0.0,
                                    np.clip(base_b, -b.max_discharge_kw, b.max_charge_kw))
                self.bess_delta_kw = direction * (pb - base_eff)
                awarded = np.flatnonzero((self.bess_award_kw > 0) & (pb != b.power_kw))
                log.record("setpoint", t, b.prosumer_index[awarded], "bess", awarded,
                           power_kw=pb[awarded], soc_percent=b.soc[awarded] * 100,
                           cause_id=self.award_ids[b.prosumer_index[awarded]])
            b.power_kw = pb
        # EVs
        if ev.n and not static:
            p = base_ev + direction * self.ev_award_kw if dispatching else base_ev
            p = np.clip(p, -ev.v2g_max_kw, ev.max_charge_kw)
            requested = p
            if self._guarded():
                floor = np.where(ev.plugged, guard_min_power_kw(ev, t, sig.dt_h), -np.inf)
                p = np.maximum(p, floor)
            active_ev = ev.plugged & (((p > 0) & (ev.soc < ev.target_soc))
                                      | ((p < 0) & (ev.soc > ev.v2g_min_soc)))
            new_power = np.where(active_ev, p, 0.0)
            changed = np.flatnonzero(ev.plugged & (new_power != ev.power_kw)
                                     & ((ev.soc < ev.target_soc) | (requested < 0)))
            if changed.size:
                cause = np.where(self.ev_award_kw[changed] > 0,
                                 self.award_ids[ev.prosumer_index[changed]], -1)
                ids = log.record("setpoint", t, ev.prosumer_index[changed], "ev", changed,
                                 power_kw=requested[changed], soc_percent=ev.soc[changed] * 100,
                                 required_soc_percent=ev.target_soc[changed] * 100,
                                 cause_id=cause)
                clipped = requested[changed] < p[changed]
                if np.any(clipped):
                    c = changed[clipped]
                    log.record("clip", t, ev.prosumer_index[c], "ev", c, power_kw=p[c],
                               soc_percent=ev.soc[c] * 100,
                               required_soc_percent=ev.target_soc[c] * 100,
                               cause_id=ids[clipped], detail="departure_guard: laxity")
            if (self._guarded() and np.isfinite(sig.site_limit_kw)
                    and new_power.sum() > sig.site_limit_kw + 1e-9):
                log.record("site_limit_exceeded", t, asset_type="fleet",
                           power_kw=new_power.sum(),
                           detail="guard minimum powers exceed the site limit")
            if dispatching:
                # baseline each EV would really draw: only while plugged and short of its
                # target (or above its V2G floor), within its limits
                base_eff = np.clip(base_ev, -ev.v2g_max_kw, ev.max_charge_kw)
                base_eff = np.where(ev.plugged & (((base_eff > 0) & (ev.soc < ev.target_soc))
                                                  | ((base_eff < 0)
                                                     & (ev.soc > ev.v2g_min_soc))),
                                    base_eff, 0.0)
                self.ev_delta_kw = np.where(ev.plugged, direction * (new_power - base_eff), 0.0)
            else:
                self.ev_delta_kw = np.zeros(ev.n)
            ev.setpoint_kw = p
            self._set_fleet_ev_power(new_power, t)
            self.ev_next_h = self._ev_next(np.arange(ev.n))

    # -- dispatch -------------------------------------------------------------------
    def start_dispatch(self, k: int) -> None:
        """Open dispatch event `k`: log it, decide participants, collect offers."""
        ev_ = self.inp.events
        t = self.t_h
        self._sync_evs(t)   # delivery accrues from here on
        self.active = k
        self.dispatch_row_id = int(self.log.record(
            "dispatch_start", t, asset_type="market", power_kw=ev_.target_kw[k],
            price_usd_per_mwh=ev_.price_per_mwh[k], detail=str(ev_.event_id[k]))[0])
        uniform = self.dispatch_rng.random(self.fleet.n_prosumers)
        self.accepted = dsp.decide(self.fleet, ev_.price_per_mwh[k], uniform)
        self.ev_delta_kwh[:] = 0.0
        self.bess_delta_kwh[:] = 0.0
        self._first_allocation = True
        self.dirty = True

    def _allocate(self, base_b, base_ev) -> None:
        """Offers and awards for the rest of the active event. Re-run at every boundary
        inside the event, so a participant that drops out (an EV leaves, a battery
        reaches its floor) has its share re-allocated among the others."""
        k = self.active
        events = self.inp.events
        window_h = max(events.end_h[k] - self.t_h, 1e-9)
        direction = int(events.direction[k])
        fleet, n = self.fleet, self.fleet.n_prosumers
        offer_ev = dsp.ev_offers_kw(self.ev, fleet, base_ev, self.t_h, window_h, direction,
                                    self._guarded())
        if getattr(self.inp.bess_policy, "follows_dispatch", False):
            offer_b = dsp.bess_offers_kw(self.bess, fleet, base_b, window_h, direction)
        else:
            offer_b = np.zeros(self.bess.n)
        per_home = (np.bincount(self.ev.prosumer_index, offer_ev, minlength=n)
                    + np.bincount(self.bess.prosumer_index, offer_b, minlength=n))
        per_home = np.where(self.accepted, per_home, 0.0)
        award = dsp.allocate(per_home, float(events.target_kw[k]), self.inp.allocation,
                             fleet.min_compensation_per_kwh)
        share = np.divide(award, per_home, out=np.zeros(n), where=per_home > 0)
        self.ev_award_kw = offer_ev * share[self.ev.prosumer_index]
        self.bess_award_kw = offer_b * share[self.bess.prosumer_index]
        if self._first_allocation:
            self._first_allocation = False
            homes = np.flatnonzero(per_home > 0)
            self.log.record("offer", self.t_h, homes, "home", power_kw=per_home[homes],
                            price_usd_per_mwh=fleet.min_compensation_per_kwh[homes] * 1000.0,
                            cause_id=self.dispatch_row_id)
            won = np.flatnonzero(award > 0)
            ids = self.log.record("award", self.t_h, won, "home", power_kw=award[won],
                                  price_usd_per_mwh=events.price_per_mwh[k],
                                  cause_id=self.dispatch_row_id)
            self.award_ids[:] = -1
            self.award_ids[won] = ids
        else:
            # re-allocation: log the homes that join (an EV arrived, headroom appeared)
            # or drop out (an EV left, a battery reached its floor)
            prev = self._award_home
            joined = np.flatnonzero((award > 0) & (prev <= 0))
            left = np.flatnonzero((award <= 0) & (prev > 0))
            ids = self.log.record("award", self.t_h, joined, "home", power_kw=award[joined],
                                  price_usd_per_mwh=events.price_per_mwh[k],
                                  cause_id=self.dispatch_row_id, detail="re-allocated")
            self.award_ids[joined] = ids
            self.log.record("award", self.t_h, left, "home", power_kw=0.0,
                            price_usd_per_mwh=events.price_per_mwh[k],
                            cause_id=self.dispatch_row_id, detail="dropped out")
        self._award_home = award

    def end_dispatch(self, k: int) -> None:
        """Close dispatch event `k` and hand it to settlement."""
        events = self.inp.events
        self.log.record("dispatch_end", self.t_h, asset_type="market",
                        power_kw=events.target_kw[k], cause_id=self.dispatch_row_id,
                        detail=str(events.event_id[k]))
        n = self.fleet.n_prosumers
        delivered = (np.bincount(self.ev.prosumer_index, self.ev_delta_kwh, minlength=n)
                     + np.bincount(self.bess.prosumer_index, self.bess_delta_kwh, minlength=n))
        self.ended_events.append((k, np.maximum(delivered, 0.0), self.dispatch_row_id))
        self.active = -1
        self.ev_award_kw[:] = 0.0
        self.bess_award_kw[:] = 0.0
        self.ev_delta_kw[:] = 0.0
        self.bess_delta_kw[:] = 0.0
        self.accepted[:] = False
        self.dirty = True

    def settle(self, k: int, delivered_kwh: np.ndarray, cause_id: int) -> None:
        """Pay participants for what they delivered; log one settlement row each."""
        events = self.inp.events
        price_kwh = events.price_per_mwh[k] / 1000.0
        target_kwh = events.target_kw[k] * (events.end_h[k] - events.start_h[k])
        paid = delivered_kwh * price_kwh * self.inp.prosumer_share
        homes = np.flatnonzero(delivered_kwh > 0)
        self.log.record("settlement", self.t_h, homes, "home", energy_kwh=delivered_kwh[homes],
                        price_usd_per_mwh=events.price_per_mwh[k], cause_id=cause_id,
                        detail=str(events.event_id[k]))
        self.tot["delivered_kwh"] += delivered_kwh
        self.tot["payment_usd"] += paid
        total = float(delivered_kwh.sum())
        credited = min(total, target_kwh)
        self.settlement_rows.append({
            "event_id": str(events.event_id[k]), "start_h": float(events.start_h[k]),
            "end_h": float(events.end_h[k]), "direction": int(events.direction[k]),
            "target_kw": float(events.target_kw[k]), "price_per_mwh": float(
                events.price_per_mwh[k]),
            "target_kwh": target_kwh, "delivered_kwh": total,
            "shortfall_kwh": max(0.0, target_kwh - total),
            "n_participants": int((delivered_kwh > 0).sum()),
            "payments_usd": float(paid.sum()),
            "aggregator_revenue_usd": credited * price_kwh,
            "aggregator_profit_usd": credited * price_kwh - float(paid.sum()),
        })

    # -- profile intervals ---------------------------------------------------------------
    def _init_profiles(self) -> None:
        """Per-run constants of the profile updates and the interval accounting."""
        inp, fleet = self.inp, self.fleet
        scale = fleet.pv_capacity_kw * (fleet.pv_system_efficiency if inp.pv_derate else 1.0)
        pv_bucket = np.asarray(inp.pv_bucket, dtype=np.int64)
        self._pv_scale = np.asarray(scale, dtype=float)
        self._pv_bucket = pv_bucket
        self._pv_home = np.asarray(fleet.pv_prosumer_index, dtype=np.int64)
        steps = inp.n_steps
        dt = inp.interval_h
        if fleet.n_pv and steps:
            per_bucket = np.bincount(pv_bucket, self._pv_scale,
                                     minlength=inp.pv_kw_per_kwp.shape[0])
            self.series["pv_kw"][:] = per_bucket @ np.asarray(inp.pv_kw_per_kwp,
                                                              dtype=float)[:, :steps]
        self.series["price_usd_per_kwh"][:] = inp.price_usd_per_kwh[:steps]
        ev_ = inp.events
        if len(ev_) and inp.dispatch_enabled and steps:
            t0 = np.arange(steps) * dt
            target = self.series["target_kw"]
            for j in range(len(ev_)):
                lo = max(0, int(np.floor(ev_.start_h[j] / dt)))
                hi = min(steps, int(np.ceil(ev_.end_h[j] / dt)) + 1)
                overlap = np.clip(np.minimum(ev_.end_h[j], t0[lo:hi] + dt)
                                  - np.maximum(ev_.start_h[j], t0[lo:hi]), 0.0, None)
                target[lo:hi] += overlap * ev_.target_kw[j] / dt

    def _next_load_block(self, k: int) -> None:
        inp = self.inp
        n_block = min(int(round(24 / inp.interval_h)), inp.n_steps - k)
        block = inp.load.block(k, n_block)
        self._load_block = block
        self._load_block_start = k

    def open_interval(self, k: int) -> None:
        """Switch solar, load and price to interval `k`; log a price change."""
        inp = self.inp
        self.step = k
        if inp.n_steps and (self._load_block is None or
                            k >= self._load_block_start + len(self._load_block)):
            self._next_load_block(k)
        self.load_kw = self._load_block[k - self._load_block_start]
        unit = inp.pv_kw_per_kwp
        kernels.home_pv_and_net(np.ascontiguousarray(unit[:, k], dtype=float) if unit.size
                                else self._empty,
                                self._pv_bucket, self._pv_scale, self._pv_home, self.load_kw,
                                self.pv_kw, self.home_net_kw)
        # EV energy of the interval if nothing changes (see the EV meter)
        self._ev_interval_kwh = self._meter_kw * inp.interval_h
        price = float(inp.price_usd_per_kwh[k])
        if k == 0 or price != self.price:
            self.log.record("price_update", self.t_h, asset_type="market",
                            price_usd_per_mwh=price * 1000.0)
        self.price = price
        self.dirty = True

    def close_interval(self, k: int) -> None:
        """Account interval `k`: per-home energies, import/export at meter resolution.

        Import and export are netted per home over the interval (a meter with the
        data interval's resolution); ``import - export`` is the net, so only the
        net and the import are accumulated.
        """
        inp = self.inp
        dt = inp.interval_h
        self._meter_due((k + 1) * dt)
        price = float(inp.price_usd_per_kwh[k])
        load_sum, net_sum, imp_sum, ev_sum, bess_sum = kernels.account_interval(
            self.load_kw, self.home_net_kw, self._ev_interval_kwh, self.bess.prosumer_index,
            self.bess.energy_step_kwh, dt, price, self._acc, self._scratch)
        s = self.series
        s["load_kw"][k] = load_sum
        s["ev_kw"][k] = ev_sum / dt
        s["bess_kw"][k] = bess_sum / dt
        s["import_kw"][k] = imp_sum / dt
        s["export_kw"][k] = (imp_sum - net_sum) / dt
        s["delivered_kw"][k] = self.delivered_step_kwh / dt
        self.delivered_step_kwh = 0.0
        self.log.record("interval", self.t_h, asset_type="fleet", power_kw=net_sum / dt,
                        energy_kwh=net_sum, price_usd_per_mwh=price * 1000)

    # -- run ---------------------------------------------------------------------------
    def run(self, progress=None) -> SimResult:
        env = simpy.Environment()
        env.process(profile_updates(env, self, progress))
        env.process(ev_mobility(env, self))
        if self.inp.dispatch_enabled and len(self.inp.events):
            ended = simpy.Store(env)
            env.process(dispatch(env, self, ended))
            env.process(settlement(env, self, ended))
        env.run(until=self.inp.horizon_h + 1e-9)
        self._sync_evs(self.t_h)
        self.log.flush(np.inf)
        return self.result()

    def _pv_totals_kwh(self) -> np.ndarray:
        """PV energy per home over the run (kWh)."""
        inp, fleet = self.inp, self.fleet
        if not fleet.n_pv or not inp.n_steps:
            return np.zeros(fleet.n_prosumers)
        unit_kwh = np.asarray(inp.pv_kw_per_kwp, dtype=float)[:, :inp.n_steps].sum(axis=1)
        per_pv = unit_kwh[self._pv_bucket] * self._pv_scale * inp.interval_h
        return np.bincount(fleet.pv_prosumer_index, per_pv, minlength=fleet.n_prosumers)

    def result(self) -> SimResult:
        inp = self.inp
        t = np.arange(inp.n_steps) * inp.interval_h
        series = pd.DataFrame({"t_h": t, **self.series})
        series.insert(1, "timestamp", inp.start + pd.to_timedelta(t, unit="h"))
        series["net_kw"] = series["import_kw"] - series["export_kw"]
        n = self.fleet.n_prosumers
        tot = dict(self.tot)
        tot["peak_import_kw"] = tot.pop("peak_import_kwh") / inp.interval_h
        tot["pv_kwh"] = self._pv_totals_kwh()
        tot["bess_charged_kwh"] = np.bincount(self.bess.prosumer_index, self.bess_in_kwh,
                                              minlength=n)
        tot["bess_discharged_kwh"] = np.bincount(self.bess.prosumer_index, self.bess_out_kwh,
                                                 minlength=n)
        # ids as Python strings (object column): no conversion of a million strings;
        # the arrays are taken as they are (the engine is done with them)
        ids = pd.Series(np.asarray(self.fleet.prosumer_id, dtype=object), dtype=object,
                        copy=False)
        totals = pd.DataFrame({"prosumer_id": ids, **tot}, copy=False)
        settlements = pd.DataFrame(self.settlement_rows, columns=[
            "event_id", "start_h", "end_h", "direction", "target_kw", "price_per_mwh",
            "target_kwh", "delivered_kwh", "shortfall_kwh", "n_participants", "payments_usd",
            "aggregator_revenue_usd", "aggregator_profit_usd"])
        return SimResult(self.log, inp.start, series, totals, settlements, self.ev, self.bess)


def _suffixed(ids: np.ndarray, suffix: str) -> np.ndarray:
    """Asset ids ``<prosumer_id><suffix>``, built without a Python loop."""
    return np.char.add(ids.astype(str), suffix).astype(object)


class _Subset:
    """A read-only view of some EV rows with the attributes the guard reads."""

    def __init__(self, ev: EvState, idx: np.ndarray):
        self.departure_h = ev.departure_h[idx]
        self.max_charge_kw = ev.max_charge_kw[idx]
        self.charge_efficiency = ev.charge_efficiency[idx]
        self._need = ev.needed_kwh_at(idx)

    def needed_kwh(self):
        return self._need


# -- processes ------------------------------------------------------------------------------
def profile_updates(env, engine: Engine, progress=None):
    """Solar, load and price updates at every data interval (and the interval accounting)."""
    inp = engine.inp
    every = max(1, inp.n_steps // 200)
    flush_every = engine.flush_every
    for k in range(inp.n_steps):
        t = k * inp.interval_h
        yield env.timeout(max(0.0, t - env.now))
        engine.advance_to(t)
        if k > 0:
            engine.close_interval(k - 1)
        engine.open_interval(k)
        if k % flush_every == 0:
            engine.log.flush(t)
        if progress is not None and k % every == 0:
            progress(k / inp.n_steps)
    yield env.timeout(max(0.0, inp.horizon_h - env.now))
    engine.advance_to(inp.horizon_h)
    if inp.n_steps:
        engine.close_interval(inp.n_steps - 1)
    if progress is not None:
        progress(1.0)


def ev_mobility(env, engine: Engine):
    """Draw each day's trips for the whole fleet ahead of the day (one vectorized draw)."""
    sessions = engine.inp.sessions
    prepare = getattr(sessions, "prepare_day", None)
    if prepare is None:
        return
    day = 0
    while True:
        prepare(day + 1)
        yield env.timeout(24.0)
        day += 1


def dispatch(env, engine: Engine, ended):
    """Start and end each dispatch event at its exact time."""
    events = engine.inp.events
    for k in range(len(events)):
        if events.start_h[k] < engine.t_h - 1e-9:
            raise ScenarioError(f"market.events[{k}]: overlaps the previous event")
        yield env.timeout(max(0.0, events.start_h[k] - env.now))
        engine.advance_to(float(events.start_h[k]))
        engine.start_dispatch(k)
        yield env.timeout(max(0.0, events.end_h[k] - env.now))
        engine.advance_to(float(events.end_h[k]))
        engine.end_dispatch(k)
        yield ended.put(engine.ended_events.pop())


def settlement(env, engine: Engine, ended):
    """Settle each event as soon as it ends."""
    while True:
        k, delivered, cause = yield ended.get()
        engine.settle(k, delivered, cause)


def run_inputs(inputs: SimInputs, progress=None) -> SimResult:
    """Run a simulation from resolved inputs."""
    return Engine(inputs).run(progress)
