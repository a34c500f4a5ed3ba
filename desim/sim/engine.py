"""The fleet engine: a SimPy environment with a few fleet-level processes.

Processes decide *when* (profile interval boundaries, day starts, dispatch
starts and ends, settlements); between two boundaries every asset's power is
constant, so each asset event inside the interval (EV arrival, departure,
target reached, battery full or empty) is found in closed form and handled
at its exact time, in vectorized rounds over the assets that have one. No
SimPy event per asset and no Python loop over the fleet.

The `Engine` class is assembled from parts: `desim.sim.advance` (EVs and
batteries forward in time), `desim.sim.meter` (the per-home EV meter),
`desim.sim.intervals` (profile updates and interval accounting) and
`desim.sim.market` (dispatch events and settlement); setpoints and the
processes are here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import simpy
from attrs import define, evolve, field

from desim.errors import ScenarioError
from desim.fleet.table import FleetTable
from desim.sim import dispatch as dsp
from desim.sim import guard, kernels
from desim.sim import tolerances as tol
from desim.sim.advance import FleetAdvance
from desim.sim.intervals import IntervalAccounting
from desim.sim.log import EventLog
from desim.sim.market import Market
from desim.sim.meter import EvMeter
from desim.sim.policies import Signals
from desim.sim.state import BessState, EvState
from desim.sim.thermal import HvacTable, ThermalFleet
from desim.sim.waterheater import WaterHeaterFleet, WaterHeaterTable

__all__ = ["SimInputs", "Engine", "SimResult", "run_inputs"]

_FUTURE_H = 48.0
_FLUSH_ROWS = 500_000          # log rows per finished chunk, roughly
_LOOKAHEAD_ROWS = 500_000      # log rows EVs handled ahead may leave waiting, roughly
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
    baseline: str = "counterfactual"   # settlement baseline (desim.sim.settlement)
    baseline_net_kwh: dict | None = None   # the counterfactual's meter snapshots
    rebound_h: float = 3.0
    hvac: HvacTable | None = None       # thermal units (desim.sim.thermal)
    outdoor_c: np.ndarray | None = None    # (n_steps,) outdoor temperature per interval, C
    water_heaters: WaterHeaterTable | None = None   # desim.sim.waterheater
    draw_l: np.ndarray | None = None   # (n water heaters, n_steps) hot water drawn, litres
    event_id_base: int = 0             # event id of the first log row (a shard's id base)
    precool_h: float = 0.0             # events are announced (homes decide) this long ahead

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
    thermal: pd.DataFrame | None = None   # one row per thermal unit (ThermalFleet.unit_totals)
    water_heaters: pd.DataFrame | None = None   # one row per water heater (unit_totals)


class Engine(FleetAdvance, EvMeter, Market, IntervalAccounting):
    """Fleet state plus the vectorized event handling; see the module docstring.

    Parameters
    ----------
    inputs : SimInputs
        The resolved run.
    ev_lookahead_h : float, optional
        Hours ahead EV events are handled at once while nothing but their own events
        can change their power (a static policy without guard or site limit, outside
        dispatch events). Results do not depend on it; memory and speed do. Default:
        a day, or fewer hours for a large fleet (about 500,000 log rows).
    """

    def __init__(self, inputs: SimInputs, ev_lookahead_h: float | None = None):
        self.inp = inp = inputs
        fleet = inp.fleet
        self.fleet = fleet
        self.ev = EvState.from_table(fleet)
        self.bess = BessState.from_table(fleet)
        hvac = inp.hvac if inp.hvac is not None else HvacTable.empty()
        whtr = inp.water_heaters if inp.water_heaters is not None else WaterHeaterTable.empty()
        n = fleet.n_prosumers
        self.log = EventLog(
            fleet.prosumer_id,
            {"ev": fleet.ev_id,
             "bess": _suffixed(fleet.prosumer_id[fleet.bess_prosumer_index], "/bess"),
             "pv": _suffixed(fleet.prosumer_id[fleet.pv_prosumer_index], "/pv"),
             "hvac": _suffixed(fleet.prosumer_id[hvac.prosumer_index], "/hvac"),
             "water_heater": _suffixed(fleet.prosumer_id[whtr.prosumer_index],
                                       "/water_heater")},
            kinds=inp.event_kinds, first_event_id=inp.event_id_base,
            # rows pending between two flushes: a chunk's worth and the EVs handled ahead
            expected_rows=min(int(2 * _ROWS_PER_PROSUMER_DAY * n), _FLUSH_ROWS + _LOOKAHEAD_ROWS))
        self.thermal = ThermalFleet(hvac, n, inp.outdoor_c if hvac.n else np.zeros(0), self.log)
        self.water_heaters = WaterHeaterFleet(
            whtr, n, inp.draw_l if whtr.n else np.zeros((0, 1)),
            inp.interval_h, self.log)
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
        self.ev_next_h = np.full(self.ev.n, np.inf)   # each EV's next own event, h
        self.ev_due_h = np.inf                          # the earliest of them
        self._cause_codes = None                        # log detail codes of plug-in causes
        # dispatch event starts (h, a list for bisect): EVs are not handled past one
        self._event_starts_h = (inp.events.start_h.astype(float).tolist()
                                if inp.dispatch_enabled else [])
        # dispatch
        self.active = -1
        self.accepted = np.zeros(n, dtype=bool)
        self.ev_award_kw = np.zeros(self.ev.n)
        self.bess_award_kw = np.zeros(self.bess.n)
        self.ev_delta_kwh = np.zeros(self.ev.n)
        self.bess_delta_kwh = np.zeros(self.bess.n)
        self.ev_delta_kw = np.zeros(self.ev.n)
        self.bess_delta_kw = np.zeros(self.bess.n)
        self.ev_shadow_soc = np.zeros(self.ev.n)   # see `_ev_baseline`
        self._shadow_base_kw = np.zeros(self.ev.n)
        self._shadow_plugged = np.zeros(self.ev.n, dtype=bool)
        self._shadow_t_h = 0.0
        self.award_ids = np.full(n, -1, dtype=np.int64)
        self._award_home = np.zeros(n)           # award per home at the last allocation
        self._first_allocation = False           # the next allocation opens an event
        self._announced = None                   # (event, accepted) drawn at announcement
        self.dispatch_row_id = -1
        self.dispatch_rng = np.random.default_rng(inp.dispatch_seed)
        self.ended_events: list[int] = []
        # accounting
        ns = inp.n_steps
        self.series = {k: np.zeros(ns) for k in (
            "load_kw", "pv_kw", "ev_kw", "bess_kw", "hvac_kw", "water_heater_kw", "import_kw", "export_kw",
            "price_usd_per_kwh", "target_kw", "delivered_kw")}
        # The meter's per-home running sums, one contiguous row per quantity
        # (`kernels.account_interval` streams through each).
        self._acc = np.zeros((len(kernels.ACCOUNT_COLUMNS), n))
        self.tot = {k: np.zeros(n) for k in ("pv_kwh", "settled_kwh", "payment_usd")}
        self.tot.update({k: self._acc[j] for j, k in enumerate(kernels.ACCOUNT_COLUMNS)})
        self.bess_in_kwh = np.zeros(self.bess.n)    # terminal energy charged, per battery
        self.bess_out_kwh = np.zeros(self.bess.n)   # terminal energy discharged, per battery
        b = self.bess
        self._bess_cache: dict[float, tuple] = {}
        self._edge = np.zeros(b.n, dtype=np.int64)      # scratch for kernels.battery_step
        self._active = np.zeros(b.n)                     # and kernels.battery_edges
        self._full = np.zeros(b.n, dtype=np.int8)
        self._empty = np.zeros(0)
        self._scratch = np.zeros(n)                     # scratch for kernels.account_interval
        self.settlement_rows: list[dict] = []
        self._init_profiles()
        self._init_settlement()
        self._ev_dispatch_dirty = True
        self.delivered_step_kwh = 0.0   # estimated delivery against baselines, this interval
        # Finish the log in chunks of about _FLUSH_ROWS rows (a day, or a few hours for
        # a large fleet), so a streaming sink writes while the run goes on; the result
        # does not depend on when chunks are cut.
        steps_per_day = max(1, round(24.0 / inp.interval_h))
        rows_per_day = _ROWS_PER_PROSUMER_DAY * max(1, n)
        self.flush_every = min(steps_per_day,
                               max(1, round(steps_per_day * _FLUSH_ROWS / rows_per_day)))
        # How far ahead EV events are handled while nothing but their own events can
        # change their power (`_ev_horizon`): a day, or a few hours for a large fleet
        # so that about _LOOKAHEAD_ROWS rows wait for their chunk.
        if ev_lookahead_h is None:
            ev_lookahead_h = inp.interval_h * min(
                steps_per_day, max(1, round(steps_per_day * _LOOKAHEAD_ROWS / rows_per_day)))
        if not ev_lookahead_h > 0:
            raise ValueError(f"ev_lookahead_h: expected > 0 hours, got {ev_lookahead_h}")
        self.ev_lookahead_h = float(ev_lookahead_h)
        self._ev_independent = bool(getattr(inp.ev_policy, "static", False)
                                    and not self._guarded()
                                    and not np.isfinite(inp.site_limit_kw))
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
        self._set_ev_next(None, np.where(at_home, 0.0, arr))

    # -- the fleet advance ----------------------------------------------------------
    def advance_to(self, t1: float) -> None:
        """Bring every asset up to time `t1`, handling each asset event on the way."""
        if t1 < self.t_h:
            raise RuntimeError(f"engine time went backwards: {t1} < {self.t_h}")
        self.thermal.advance(t1, max(self.step, 0))   # independent of the other assets
        self.water_heaters.advance(t1, max(self.step, 0))
        if self.dirty and t1 > self.t_h:
            # setpoints are recomputed once per instant, after every process that
            # wakes at this instant has updated the signals
            self._recompute()
        while t1 > self.t_h and self.ev.n and self._coupled():
            # every EV event before t1 is a decision instant (docs/semantics.md)
            t_e = self.ev_due_h
            if t_e >= t1:
                break
            self._advance_evs(t_e)
            self._advance_bess(t_e)
            self.t_h = t_e
            self._recompute()
        if t1 == self.t_h and not self.ev_due_h <= t1:
            return
        self._advance_evs(t1)
        self._advance_bess(t1)
        self.t_h = t1
        if self._coupled():
            self.dirty = True   # EV events at t1 are decided with the boundary's changes

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
        j = int(np.searchsorted(starts, t_h + tol.MIN_HORIZON_H, side="right"))
        if j < len(starts):
            next_boundary = min(next_boundary, float(starts[j]))
        direction = int(inp.events.direction[self.active]) if self.active >= 0 else 0
        net = self._home_net_load_kw()
        return Signals(t_h=t_h, dt_h=max(next_boundary - t_h, tol.MIN_HORIZON_H), interval_h=inp.interval_h,
                       price_usd_per_kwh=float(self.price), future_price_usd_per_kwh=future,
                       site_limit_kw=inp.site_limit_kw, dispatch_direction=direction,
                       home_net_load_kw=net)

    def _home_net_load_kw(self) -> np.ndarray:
        """Each home's load less PV now, with its thermal units as they run now (kW)."""
        net = self.home_net_kw
        if self.thermal.n:
            # a battery following self-consumption sees the thermal units as they run now
            net = net + self.thermal.home_power_kw(len(net))
        if self.water_heaters.n:
            net = net + self.water_heaters.home_power_kw(len(net))
        return net

    def _ev_floor(self, t: float, dt_h: float) -> np.ndarray:
        """The guard floor of every EV at `t` (-inf where the guard does not apply)."""
        ev = self.ev
        if not self._guarded():
            return np.full(ev.n, -np.inf)
        c = guard.recharge_kw(ev.max_charge_kw, ev.reservation_kw, self.inp.site_limit_kw)
        f = guard.floor_kw(ev.needed_kwh(), ev.departure_h - t, dt_h, c, ev.max_charge_kw,
                           ev.charge_efficiency, ev.v2g_max_kw)
        return np.where(ev.plugged & ev.guaranteed, f, -np.inf)

    def _recompute(self) -> None:
        """New setpoints for the whole fleet at the current time (vectorized)."""
        self.dirty = False
        t = self.t_h
        ev, b, log = self.ev, self.bess, self.log
        dispatching = self.active >= 0
        policy = self.inp.bess_policy
        if (not dispatching and not self._ev_dispatch_dirty and hasattr(policy, "limited_setpoints")
                and getattr(self.inp.ev_policy, "static", False)):
            # outside events with a static EV policy only the batteries change: the
            # same setpoints as below, in one compiled call
            if b.n:
                policy.limited_setpoints(b, self._home_net_load_kw(), b.power_kw)
            if ev.n:
                self._check_site_limit(t)
            return
        sig = self._signals(t)
        direction = sig.dispatch_direction
        base_b = (np.asarray(self.inp.bess_policy.setpoints(b, sig), dtype=float) if b.n
                  else np.zeros(0))
        if dispatching and b.n:
            # the baseline the battery would really hold: nothing past its limits
            base_b = np.where(((base_b > 0) & (b.soc >= b.max_soc))
                              | ((base_b < 0) & (b.soc <= b.min_soc)), 0.0,
                              np.clip(base_b, -b.max_discharge_kw, b.max_charge_kw))
        # A static policy (the same setpoint whatever the signals, e.g. uncontrolled)
        # needs no EV recompute outside dispatch: plug-ins set their own power.
        static = (getattr(self.inp.ev_policy, "static", False) and not dispatching
                  and not self._ev_dispatch_dirty)
        self._ev_dispatch_dirty = dispatching
        if ev.n and not static:
            self._sync_evs(t)     # policies read the SOC of the whole fleet
        floor = self._ev_floor(t, sig.dt_h) if ev.n and not static else np.zeros(0)
        if ev.n and not static:
            sig = evolve(sig, ev_floor_kw=np.where(np.isfinite(floor), floor, 0.0))
        base_ev = self._ev_baseline(sig, dispatching) if ev.n and not static else np.zeros(0)
        if dispatching:
            self._allocate(base_b, base_ev)
        # batteries
        if b.n:
            if dispatching:
                base_eff = base_b
                pb = base_eff + direction * self.bess_award_kw
            else:
                pb = base_b.copy()
            kernels.battery_limits(pb, b.soc, b.min_soc, b.max_soc, b.max_charge_kw,
                                   b.max_discharge_kw)
            if dispatching:
                self.bess_delta_kw = direction * (pb - base_eff)
                awarded = np.flatnonzero((self.bess_award_kw > 0) & (pb != b.power_kw))
                log.record("setpoint", t, b.prosumer_index[awarded], "bess", awarded,
                           power_kw=pb[awarded], soc_percent=b.soc[awarded] * 100,
                           cause_id=self.award_ids[b.prosumer_index[awarded]])
            b.power_kw = pb
        if ev.n and static:
            self._check_site_limit(t)
        if ev.n and not static:
            self._set_ev_setpoints(t, sig, base_ev, floor, direction, dispatching)

    def _ev_baseline(self, sig, dispatching: bool) -> np.ndarray:
        """What each EV would draw now with no event: its policy's setpoint while plugged
        and short of its target, within its charger. During an event the policy sees
        each EV's *shadow* SOC (where the EV would be had the event not moved it), so
        a deferred or discharged EV does not count its catch-up as baseline."""
        ev = self.ev
        soc = ev.soc
        if dispatching:
            self._advance_shadow(sig.t_h)
            ev.soc = self.ev_shadow_soc
        try:
            p = np.asarray(self.inp.ev_policy.setpoints(ev, sig), dtype=float)
            base = np.where(ev.plugged & (ev.soc < ev.target_soc),
                            np.clip(p, 0.0, ev.max_charge_kw), 0.0)
        finally:
            ev.soc = soc
        if dispatching:
            self._shadow_base_kw = base
        return base

    def _advance_shadow(self, t: float) -> None:
        """Bring the shadow SOCs from the last decision to `t` at the baseline then held."""
        ev = self.ev
        dt = t - self._shadow_t_h
        if dt > 0:
            moved = ev.plugged & (self._shadow_base_kw > 0)
            self.ev_shadow_soc = np.where(
                moved, np.minimum(ev.target_soc, self.ev_shadow_soc + self._shadow_base_kw
                                  * ev.charge_efficiency * dt / ev.capacity_kwh),
                self.ev_shadow_soc)
        # an EV plugged in since the last decision starts its shadow at its SOC now
        new = ev.plugged & ~self._shadow_plugged
        self.ev_shadow_soc[new] = ev.soc[new]
        self._shadow_plugged = ev.plugged.copy()
        self._shadow_t_h = t

    def _set_ev_setpoints(self, t, sig, base_ev, floor, direction, dispatching) -> None:
        """EV setpoints at `t`: baseline plus award, the guard floor, the site limit."""
        ev, log = self.ev, self.log
        p = base_ev + direction * self.ev_award_kw if dispatching else base_ev
        p = np.clip(p, -ev.v2g_max_kw, ev.max_charge_kw)
        requested = p
        p = np.maximum(p, floor)
        raised = p
        limit = sig.site_limit_kw
        if (np.isfinite(limit) and self._honours_limit()
                and np.maximum(p, 0.0).sum() > limit + guard.LIMIT_TOL_KW):
            # an absorb award beyond the limit: cut the parts above the floors, latest
            # departure first (the floors themselves fit: see docs/semantics.md)
            p = self._cut_to_limit(p, floor, limit)
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
            # a clip row for every setpoint the guard raised or the site limit cut, so
            # the log's last row per EV is always the power it holds
            clipped = new_power[changed] != requested[changed]
            if np.any(clipped):
                c = changed[clipped]
                reason = np.where(
                    new_power[c] != p[c], log.detail_code("at_limit"),
                    np.where(p[c] < raised[c], log.detail_code("site_limit"),
                             log.detail_code("departure_guard: laxity")))
                log.record("clip", t, ev.prosumer_index[c], "ev", c, power_kw=new_power[c],
                           soc_percent=ev.soc[c] * 100,
                           required_soc_percent=ev.target_soc[c] * 100,
                           cause_id=ids[clipped], detail=reason)
        if dispatching:
            self.ev_delta_kw = np.where(ev.plugged, direction * (new_power - base_ev), 0.0)
        else:
            self.ev_delta_kw = np.zeros(ev.n)
        ev.setpoint_kw = p
        self._set_fleet_ev_power(new_power, t)
        plugged = np.flatnonzero(ev.plugged)   # an EV away keeps its arrival as its next event
        self._set_ev_next(plugged, self._ev_next(plugged))
        self._check_site_limit(t)

    def _cut_to_limit(self, p, floor, limit):
        ev = self.ev
        lo = np.maximum(np.where(np.isfinite(floor), floor, 0.0), 0.0)
        above = np.maximum(p - lo, 0.0) * (p > 0)
        excess = np.maximum(p, 0.0).sum() - limit
        order = np.lexsort((-np.arange(ev.n), -ev.departure_h))   # latest departure first
        cum = np.cumsum(above[order])
        cut = np.clip(excess - (cum - above[order]), 0.0, above[order])
        out = p.copy()
        out[order] -= cut
        return out

    def _check_site_limit(self, t) -> None:
        """Log an instant at which the EVs' total charging exceeds the site limit
        (only a policy that ignores the limit can get there)."""
        limit = self.inp.site_limit_kw
        if not np.isfinite(limit):
            return
        total = float(np.maximum(self.ev.power_kw, 0.0).sum())
        if total > limit + guard.LIMIT_TOL_KW:
            if self._honours_limit():
                raise RuntimeError(f"site limit broken at t={t}: {total} > {limit} kW")
            self.log.record("site_limit_exceeded", t, asset_type="fleet", power_kw=total,
                            detail=self.inp.ev_policy.name)

    def _honours_limit(self) -> bool:
        return bool(getattr(self.inp.ev_policy, "honours_site_limit", False))

    # -- dispatch -------------------------------------------------------------------
    # -- run ---------------------------------------------------------------------------
    def run(self, progress=None) -> SimResult:
        env = simpy.Environment()
        env.process(profile_updates(env, self, progress))
        env.process(ev_mobility(env, self))
        if self.inp.dispatch_enabled and len(self.inp.events):
            ended = simpy.Store(env)
            env.process(dispatch(env, self, ended))
            env.process(settlement(env, self, ended))
        env.run(until=self.inp.horizon_h + tol.TIME_TOL_H)
        self._sync_evs(self.t_h)
        self.finish_settlements()
        self.log.flush(np.inf)
        return self.result()

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
            "target_kwh", "baseline", "settled_kwh", "delivered_vs_counterfactual_kwh",
            "baseline_error_kwh", "rebound_kwh", "shortfall_kwh", "n_participants",
            "payments_usd", "aggregator_revenue_usd", "aggregator_profit_usd"])
        thermal = self.thermal.unit_totals(self.fleet.prosumer_id) if self.thermal.n else None
        whtr = (self.water_heaters.unit_totals(self.fleet.prosumer_id)
                if self.water_heaters.n else None)
        return SimResult(self.log, inp.start, series, totals, settlements, self.ev, self.bess,
                         thermal, whtr)


def _suffixed(ids: np.ndarray, suffix: str) -> np.ndarray:
    """Asset ids ``<prosumer_id><suffix>``, built without a Python loop."""
    return np.char.add(ids.astype(str), suffix).astype(object)


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
        if events.start_h[k] < engine.t_h - tol.TIME_TOL_H:
            raise ScenarioError(f"market.events[{k}]: overlaps the previous event")
        lead = engine.inp.precool_h
        if lead > 0:
            # announced `lead` before its start (not before the previous event ended)
            yield env.timeout(max(0.0, events.start_h[k] - lead - env.now))
            engine.advance_to(env.now)
            engine.announce_dispatch(k)
        yield env.timeout(max(0.0, events.start_h[k] - env.now))
        engine.advance_to(float(events.start_h[k]))
        engine.start_dispatch(k)
        yield env.timeout(max(0.0, events.end_h[k] - env.now))
        engine.advance_to(float(events.end_h[k]))
        engine.end_dispatch(k)
        yield ended.put(engine.ended_events.pop())


def settlement(env, engine: Engine, ended):
    """Settle each event once the meter has accounted its window."""
    while True:
        k, estimate, accepted, cause = yield ended.get()
        yield engine.boundary_closed(env, engine._windows[k].end)
        engine.settle(k, estimate, accepted, cause)


def run_inputs(inputs: SimInputs, progress=None, ev_lookahead_h: float | None = None
               ) -> SimResult:
    """Run a simulation from resolved inputs (`Engine` for `ev_lookahead_h`)."""
    return Engine(inputs, ev_lookahead_h).run(progress)
