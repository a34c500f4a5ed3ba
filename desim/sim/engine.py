"""The fleet engine: a SimPy environment with a few fleet-level processes.

Processes decide *when* (profile interval boundaries, day starts, dispatch
starts and ends, settlements); between two boundaries every asset's power is
constant, so each asset event inside the interval (EV arrival, departure,
target reached, battery full or empty) is found in closed form and handled
at its exact time, in vectorized rounds over the assets that have one. No
SimPy event per asset and no Python loop over the fleet.

The engine owns a few components, each with its own arrays: the EV fleet
(`desim.sim.evfleet`), the battery fleet (`desim.sim.batteries`), the thermal
fleet and water heaters (`desim.sim.thermal`, `desim.sim.waterheater`), the
meter (`desim.sim.meter`) and the aggregator (`desim.sim.market`). At a decision
instant it calls the pure function `desim.sim.boundary.decide` (state and
signals in, setpoints out) and hands the setpoints to the components; the
processes here only say when.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import simpy
from attrs import define, field

from desim.errors import ScenarioError
from desim.fleet.table import FleetTable, first_duplicate, owner_slots
from desim.sim import boundary
from desim.sim import dispatch as dsp
from desim.sim import tolerances as tol
from desim.sim.batteries import BatteryFleet
from desim.sim.boundary import Rules
from desim.sim.evfleet import EvFleet
from desim.sim.log import EventLog
from desim.sim.market import SETTLEMENT_COLUMNS, Aggregator
from desim.sim.memory import fresh_memory_policy
from desim.sim.meter import Meter
from desim.sim.policies import Signals
from desim.sim.quietwalk import QuietWalk
from desim.sim.state import BessState, EvState
from desim.sim.thermal import HvacTable, ThermalFleet
from desim.sim.waterheater import WaterHeaterFleet, WaterHeaterTable

__all__ = ["SimInputs", "Engine", "SimResult", "run_inputs"]

_FUTURE_H = 48.0
_FLUSH_ROWS = 500_000          # log rows per finished chunk, roughly
_LOOKAHEAD_ROWS = 500_000      # log rows EVs handled ahead may leave waiting, roughly
_ROWS_PER_PROSUMER_DAY = 4.0   # about what the benchmark scenario logs
# switch rows per thermal unit and day: about what an air conditioner logs in a hot
# month (the benchmark's: 8.2); a water heater logs fewer, so its chunks come out
# smaller than _FLUSH_ROWS, not larger
_ROWS_PER_UNIT_DAY = 8.0
_NO_UNITS = np.zeros(0)        # per-home energies of a fleet without such units


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


class Engine:
    """The components of a run and the order in which they act; see the module docstring.

    Parameters
    ----------
    inputs : SimInputs
        The resolved run.
    ev_lookahead_h : float, optional
        Hours ahead EV events are handled at once while nothing but their own events
        can change their power (a static policy without guard or site limit, outside
        dispatch events). Results do not depend on it; memory and speed do. Default:
        a day, or fewer hours for a large fleet (about 500,000 log rows).
    quiet_walk : bool, optional
        Walk stretches of quiet intervals in one compiled call (`desim.sim.walk`).
        Results, the log and its event ids do not depend on it; speed does.
        Default True.
    """

    def __init__(self, inputs: SimInputs, ev_lookahead_h: float | None = None,
                 quiet_walk: bool = True):
        # the engine's arrays are allocated under the memory policy the run touches them
        # in (`desim.sim.memory`)
        with fresh_memory_policy(inputs.fleet.n_prosumers):
            self.inp = inp = inputs
            fleet = inp.fleet
            self.fleet = fleet
            for column in ("prosumer_id", "ev_id"):
                dup = first_duplicate(getattr(fleet, column))
                if dup is not None:
                    # the log names rows by these ids: refused before the run, not after
                    raise ScenarioError(f"fleet.{column}: expected unique ids, got {dup!r} "
                                        "more than once")
            hvac = inp.hvac if inp.hvac is not None else HvacTable.empty()
            whtr = inp.water_heaters if inp.water_heaters is not None else WaterHeaterTable.empty()
            n = fleet.n_prosumers
            rows_per_day = (_ROWS_PER_PROSUMER_DAY * max(1, n)
                            + _ROWS_PER_UNIT_DAY * (hvac.n + whtr.n))
            self.log = EventLog(
                fleet.prosumer_id,
                {"ev": fleet.ev_id,
                 "bess": asset_ids(fleet.prosumer_id, fleet.bess_prosumer_index, "/bess"),
                 "pv": asset_ids(fleet.prosumer_id, fleet.pv_prosumer_index, "/pv"),
                 "hvac": asset_ids(fleet.prosumer_id, hvac.prosumer_index, "/hvac"),
                 "water_heater": asset_ids(fleet.prosumer_id, whtr.prosumer_index,
                                           "/water_heater")},
                kinds=inp.event_kinds, first_event_id=inp.event_id_base,
                # rows pending between two flushes: a chunk's worth and the EVs handled ahead
                expected_rows=min(int(2 * rows_per_day), _FLUSH_ROWS + _LOOKAHEAD_ROWS))
            self.rules = Rules(inp.ev_policy, inp.bess_policy, inp.departure_guard,
                               float(inp.site_limit_kw), inp.allocation)
            # Finish the log in chunks of about _FLUSH_ROWS rows (a day, or a few hours for
            # a large fleet), so a streaming sink writes while the run goes on; the result
            # does not depend on when chunks are cut.
            steps_per_day = max(1, round(24.0 / inp.interval_h))
            self.flush_every = min(steps_per_day,
                                   max(1, round(steps_per_day * _FLUSH_ROWS / rows_per_day)))
            # How far ahead EV events are handled while nothing but their own events can
            # change their power (`EvFleet.horizon`): a day, or a few hours for a large
            # fleet so that about _LOOKAHEAD_ROWS rows wait for their chunk.
            if ev_lookahead_h is None:
                ev_lookahead_h = inp.interval_h * min(
                    steps_per_day, max(1, round(steps_per_day * _LOOKAHEAD_ROWS / rows_per_day)))
            if not ev_lookahead_h > 0:
                raise ValueError(f"ev_lookahead_h: expected > 0 hours, got {ev_lookahead_h}")
            self.ev_lookahead_h = float(ev_lookahead_h)
            # the components
            self.thermal = ThermalFleet(hvac, n, inp.outdoor_c if hvac.n else np.zeros(0),
                                        self.log)
            self.water_heaters = WaterHeaterFleet(
                whtr, n, inp.draw_l if whtr.n else np.zeros((0, 1)),
                inp.interval_h, self.log)
            self.aggregator = Aggregator(inp, self.log, self.thermal)
            self.meter = Meter(inp, self.log, self.aggregator.snapshot_at)
            self.evs = EvFleet(EvState.from_table(fleet), inp, self.rules, self.meter, self.log,
                               self.ev_lookahead_h)
            self.batteries = BatteryFleet(BessState.from_table(fleet), self.log)
            self.enable_walk = bool(quiet_walk)
            self.walk = QuietWalk(self)
            self.t_h = 0.0
            self.dirty = True            # setpoints are decided before time moves on
            self.delivered_kwh = 0.0     # delivery against the baselines, this interval
            self.evs.first_sessions()

    @property
    def ev(self) -> EvState:
        return self.evs.state

    @property
    def bess(self) -> BessState:
        return self.batteries.state

    @property
    def net_snapshots(self) -> dict:
        """Each home's cumulative net import at the meter boundaries settlement reads."""
        return self.meter.net_snapshots

    # -- the fleet advance ----------------------------------------------------------
    def advance_to(self, t1: float) -> None:
        """Bring every asset up to time `t1`, handling each asset event on the way."""
        if t1 < self.t_h:
            raise RuntimeError(f"engine time went backwards: {t1} < {self.t_h}")
        if self.dirty and t1 > self.t_h:
            # setpoints are recomputed once per instant, after every process that
            # wakes at this instant has updated the signals (with every asset as it is
            # at this instant: the thermal units move on in `_advance`)
            self._decide()
        evs = self.evs
        while t1 > self.t_h and evs.n and evs.coupled:
            # every EV event before t1 is a decision instant (docs/semantics.md)
            t_e = evs.due_h
            if t_e >= t1:
                break
            self._advance(t_e)
            self._decide()
        if t1 == self.t_h and not evs.due_h <= t1:
            return
        self._advance(t1)
        if evs.coupled:
            self.dirty = True   # EV events at t1 are decided with the boundary's changes

    def _advance(self, t1: float) -> None:
        """Thermal units, EVs (their events in rounds) and batteries from now to `t1`."""
        step = max(self.meter.step, 0)
        self.thermal.advance(t1, step)   # independent of the other assets
        self.water_heaters.advance(t1, step)
        dispatching = self.aggregator.active >= 0
        if self.evs.advance(self.t_h, t1, self._signals):
            self.dirty = True
        self.delivered_kwh += self.batteries.advance(self.t_h, t1, dispatching)
        self.t_h = t1

    # -- decisions -------------------------------------------------------------------
    def _signals(self, t_h: float) -> Signals:
        inp = self.inp
        k = max(self.meter.step, 0)
        n_future = int(_FUTURE_H / inp.interval_h)
        future = inp.price_usd_per_kwh[k:k + n_future]
        next_boundary = (k + 1) * inp.interval_h
        active = self.aggregator.active
        if active >= 0:
            next_boundary = min(next_boundary, inp.events.end_h[active])
        starts = inp.events.start_h                 # in time order (see `dispatch`)
        j = int(np.searchsorted(starts, t_h + tol.MIN_HORIZON_H, side="right"))
        if j < len(starts):
            next_boundary = min(next_boundary, float(starts[j]))
        return Signals(t_h=t_h, dt_h=max(next_boundary - t_h, tol.MIN_HORIZON_H),
                       interval_h=inp.interval_h, price_usd_per_kwh=float(self.meter.price),
                       future_price_usd_per_kwh=future, site_limit_kw=inp.site_limit_kw,
                       dispatch_direction=self.aggregator.direction,
                       home_net_load_kw=self._home_net_load_kw())

    def _home_net_load_kw(self) -> np.ndarray:
        """Each home's load less PV now, with its thermal units as they run now (kW)."""
        net = self.meter.home_net_kw
        if self.thermal.n:
            # a battery following self-consumption sees the thermal units as they run now
            net = net + self.thermal.home_power_kw(len(net))
        if self.water_heaters.n:
            net = net + self.water_heaters.home_power_kw(len(net))
        return net

    def _decide(self) -> None:
        """New setpoints for the whole fleet at the current time (`boundary.decide`),
        applied by the components."""
        self.dirty = False
        t = self.t_h
        evs, agg = self.evs, self.aggregator
        dispatching = agg.active >= 0
        # a static EV policy needs no EV decision outside events: plug-ins set their
        # own power (the first decision after an event still re-decides them)
        evs_hold = self.rules.static_ev_policy and not dispatching and not evs.decided_in_event
        quiet = (evs_hold and not dispatching
                 and hasattr(self.rules.bess_policy, "limited_setpoints"))
        if quiet:
            # outside events only the batteries change: no signals beyond the net load
            sp = boundary.decide(self.fleet, self.ev, self.bess,
                                 _QuietSignals(t, self._home_net_load_kw()), self.rules,
                                 evs_hold=True)
            self.batteries.apply(t, sp, 0, agg.award_ids)
            evs.check_site_limit(t)
            return
        evs.decided_in_event = dispatching
        if evs.n and not evs_hold:
            evs.sync(t)     # policies read the SOC of the whole fleet
        event = None
        if dispatching:
            evs.advance_shadow(t)
            k = agg.active
            event = boundary.ActiveEvent(agg.direction, float(self.inp.events.target_kw[k]),
                                         float(self.inp.events.end_h[k]), agg.accepted,
                                         evs.shadow_soc)
        sp = boundary.decide(self.fleet, self.ev, self.bess, self._signals(t), self.rules,
                             event, evs_hold)
        direction = agg.direction
        if dispatching:
            agg.record_awards(t, sp.home_offer_kw, sp.home_award_kw)
        self.batteries.apply(t, sp, direction, agg.award_ids)
        if sp.ev_kw is not None:
            evs.apply(t, sp, direction, agg.award_ids)
        else:
            evs.check_site_limit(t)

    # -- dispatch events ---------------------------------------------------------------
    def announce_dispatch(self, k: int) -> None:
        self.aggregator.announce(k, self.t_h)

    def start_dispatch(self, k: int) -> None:
        """Open dispatch event `k` now: delivery against the baselines accrues from here."""
        self.evs.sync(self.t_h)
        self.aggregator.start(k, self.t_h)
        self.evs.start_event(self.t_h)
        self.batteries.start_event()
        self.dirty = True

    def end_dispatch(self, k: int) -> None:
        """Close dispatch event `k` and hand it to settlement."""
        n = self.fleet.n_prosumers
        estimate = (np.bincount(self.ev.prosumer_index, self.evs.delta_kwh, minlength=n)
                    + self.batteries.per_home_kwh(self.batteries.delta_kwh, n))
        self.aggregator.end(k, self.t_h, estimate)
        self.evs.end_event()
        self.batteries.end_event()
        self.dirty = True

    def settle(self, k: int, estimate_kwh, accepted, cause_id: int) -> None:
        self.aggregator.settle(k, self.t_h, estimate_kwh, accepted, cause_id,
                               self.meter.net_snapshots, self.meter.tot)

    # -- intervals ------------------------------------------------------------------------
    def open_interval(self, k: int) -> None:
        """Switch solar, load and price to interval `k` (thermostats switch at it too)."""
        self.thermal.advance(self.t_h, k)
        self.water_heaters.advance(self.t_h, k)
        self.meter.open_interval(k, self.t_h)
        self.dirty = True

    def close_interval(self, k: int) -> None:
        """Account interval `k` at the meter."""
        # a fleet without thermal units or water heaters passes empty arrays: the
        # accounting then skips their streams
        hvac_kwh = self.thermal.interval_kwh if self.thermal.n else _NO_UNITS
        wh_kwh = self.water_heaters.interval_kwh if self.water_heaters.n else _NO_UNITS
        self.delivered_kwh += self.evs.delivered_kwh
        self.evs.delivered_kwh = 0.0
        # (the accounting zeroes the units' interval energies once read)
        self.meter.close_interval(k, self.t_h, self.bess, hvac_kwh, wh_kwh, self.delivered_kwh)
        self.delivered_kwh = 0.0

    # -- run ---------------------------------------------------------------------------
    def run(self, progress=None) -> SimResult:
        with fresh_memory_policy(self.fleet.n_prosumers):
            try:
                return self._run(progress)
            finally:
                self.meter.close()

    def _run(self, progress) -> SimResult:
        env = simpy.Environment()
        env.process(profile_updates(env, self, progress))
        env.process(ev_mobility(env, self))
        if self.inp.dispatch_enabled and len(self.inp.events):
            ended = simpy.Store(env)
            env.process(dispatch(env, self, ended))
            env.process(settlement(env, self, ended))
        env.run(until=self.inp.horizon_h + tol.TIME_TOL_H)
        self.evs.sync(self.t_h)
        self.aggregator.finish_settlements(self.meter.net_snapshots)
        self.log.flush(np.inf)
        result = self.result()
        self.log.wait()         # the rows are sorted on a worker meanwhile: the run owns them
        return result

    def result(self) -> SimResult:
        inp = self.inp
        t = np.arange(inp.n_steps) * inp.interval_h
        s = self.meter.series
        # one frame from columns in their order (no insert or column set afterwards)
        series = pd.DataFrame({"t_h": t, "timestamp": inp.start + pd.to_timedelta(t, unit="h"),
                               **s, "net_kw": s["import_kw"] - s["export_kw"]})
        n = self.fleet.n_prosumers
        tot = dict(self.meter.tot)
        tot["peak_import_kw"] = tot.pop("peak_import_kwh") / inp.interval_h
        tot["pv_kwh"] = self.meter.pv_totals_kwh()
        tot["bess_charged_kwh"] = self.batteries.per_home_kwh(self.batteries.in_kwh, n)
        tot["bess_discharged_kwh"] = self.batteries.per_home_kwh(self.batteries.out_kwh, n)
        # ids as Python strings (object column): no conversion of a million strings;
        # the arrays are taken as they are (the engine is done with them)
        ids = pd.Series(np.asarray(self.fleet.prosumer_id, dtype=object), dtype=object,
                        copy=False)
        totals = pd.DataFrame({"prosumer_id": ids, **tot}, copy=False)
        settlements = pd.DataFrame(self.aggregator.settlement_rows, columns=SETTLEMENT_COLUMNS)
        thermal = self.thermal.unit_totals(self.fleet.prosumer_id) if self.thermal.n else None
        whtr = (self.water_heaters.unit_totals(self.fleet.prosumer_id)
                if self.water_heaters.n else None)
        return SimResult(self.log, inp.start, series, totals, settlements, self.ev, self.bess,
                         thermal, whtr)


@define
class _QuietSignals:
    """What a decision reads outside events with EVs holding: the time and net load."""

    t_h: float
    home_net_load_kw: np.ndarray


def asset_ids(prosumer_id: np.ndarray, owner: np.ndarray, suffix: str) -> np.ndarray:
    """Asset ids of the assets owned by homes `owner` (one entry per asset):
    ``<prosumer_id><suffix>`` (``prosumer_000001/pv``), and for a home with several
    assets of the kind (two roof arrays, two batteries) ``<suffix>1``, ``<suffix>2``, ...
    in the order they are listed. Built without a Python loop over the assets."""
    owner = np.asarray(owner, dtype=np.int64)
    base = np.char.add(np.asarray(prosumer_id)[owner].astype(str), suffix)
    ids = base.astype(object)
    if owner.size:
        many = np.bincount(owner)[owner] > 1
        if many.any():
            order, slot = owner_slots(owner)
            rank = np.empty(owner.size, dtype=np.int64)
            rank[order] = slot
            ids[many] = np.char.add(base[many], (rank[many] + 1).astype(str)).astype(object)
    return ids


def profile_updates(env, engine: Engine, progress=None):
    """Solar, load and price updates at every data interval (and the interval accounting);
    stretches of quiet intervals in one walk (`desim.sim.walk`)."""
    inp = engine.inp
    every = max(1, inp.n_steps // 200)
    reported = -1
    flush_every = engine.flush_every
    walked = False     # the walk has advanced to this boundary and accounted the interval
    k = 0
    while k < inp.n_steps:
        t = k * inp.interval_h
        yield env.timeout(max(0.0, t - env.now))
        if not walked:
            engine.advance_to(t)
            if k > 0:
                engine.close_interval(k - 1)
        engine.open_interval(k)
        if k % flush_every == 0:
            engine.log.flush(t)
        if progress is not None and k // every != reported:
            reported = k // every
            progress(k / inp.n_steps)
        k1 = engine.walk.end(k, env.peek())
        walked = k1 > k
        if walked:
            engine.walk.run(k, k1)
            k = k1
        else:
            k += 1
    yield env.timeout(max(0.0, inp.horizon_h - env.now))
    if not walked:
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
        yield ended.put(engine.aggregator.ended.pop())


def settlement(env, engine: Engine, ended):
    """Settle each event once the meter has accounted its window."""
    while True:
        k, estimate, accepted, cause = yield ended.get()
        yield engine.meter.boundary_closed(env, engine.aggregator.windows[k].end)
        engine.settle(k, estimate, accepted, cause)


def run_inputs(inputs: SimInputs, progress=None, ev_lookahead_h: float | None = None,
               quiet_walk: bool = True) -> SimResult:
    """Run a simulation from resolved inputs (`Engine` for `ev_lookahead_h` and
    `quiet_walk`)."""
    return Engine(inputs, ev_lookahead_h, quiet_walk).run(progress)
