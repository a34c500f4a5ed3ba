"""Baselines for the engine benchmark: the obvious design, and a plain loop.

The obvious way to simulate a fleet with SimPy is one process per prosumer
that wakes every 15 minutes and steps its asset objects (`desim.assets.BESS`,
`desim.assets.ElectricVehicle`, `desim.assets.SolarPV`) through their own
methods (``charge``, ``discharge``, ``get_generation_kw``), which call the same
compiled closed forms as the engine's kernels (`desim.assets.physics.scalar`,
about a microsecond a call). `run_simpy_baseline` is that design;
`run_loop_baseline` steps the same objects with a plain Python loop. Both report
wall and CPU time per prosumer-step, so a reader can see the baselines are fast
for the right reasons.

Done competently, as a careful programmer of the obvious design would:

- each EV's sessions are drawn once, before the run, in one vectorized call per
  round of trips from the same session source as the engine
  (`MobilitySessions.next_trip`); the SOC it comes home with still depends on
  the SOC it left with (`desim.sim.sessions.arrival_soc`, at departure);
- an asset object is called only when it has work: a car that is away, or
  plugged in at its target, sleeps until its next arrival or departure; PV is
  not asked at night; a battery that would stay idle (at its floor with load to
  cover, full with surplus, or nothing to do) accumulates its idle time, and
  its self-discharge over that time is applied by one ``charge(0, idle_h)``
  before its next hold, the closed form composing exactly over time;
- the processes wake on one SimPy event per interval that all of them wait on
  (the fleet's clock), not on a timeout each: 10,000 timeouts due at the same
  instant cost SimPy a heap entry, a push and a pop each, 2.9-3.7 us a wake-up
  here against 0.4-1.1 us for a shared event (`simpy_floor` measures both);
- the model, once set up, is kept out of the cyclic garbage collector's walks
  (`_setup_frozen`): without it, full collections of every object in the
  process, set off by the processes' short-lived objects, take about half the
  SimPy baseline's time;
- per-step work is plain float arithmetic on locals and ``__slots__``
  attributes; energy totals accumulate in one fleet meter that every home and
  car adds to (`_Meter`), not in a float per object: at 10,000 homes the
  objects' own accumulators, each a new float per step scattered in memory,
  cost about a tenth of the loop's time in cache misses.

Both follow the benchmark scenario's policies: EVs charge at full power from
plug-in until their departure target (uncontrolled); batteries follow
self-consumption (cover the home's load net of PV, store its surplus) with the
engine's rules (`desim.sim.policies.SelfConsumption`: no charging of a
self-discharging battery within `TOP_UP_MARGIN_SOC` of full, nothing past a
limit); the daily discharge event is allocated pro rata among the homes that
accept it (same acceptance draws as the engine), from offers of deferred EV
charging and V2G, re-allocated every step. Only the uncontrolled EV policy, the
self-consumption battery policy and mobility sessions are modelled.

Stepping at the profile interval is exact for solar, load and batteries here
(all piecewise constant over the interval); EV sessions are charged over
their overlap with each step. What the step cannot see is a dispatch
allocation changing when an EV plugs in or leaves mid-step, so the energy
totals agree with the engine's to well within 1 %, not exactly.
"""

from __future__ import annotations

import gc
import math
import time
from contextlib import contextmanager

import numpy as np
import simpy

from desim.assets import BESS, ElectricVehicle, SolarPV
from desim.bench.prepared import PlannedSessions
from desim.sim import dispatch as dsp
from desim.sim.engine import SimInputs
from desim.sim.policies import TOP_UP_MARGIN_SOC
from desim.sim.sessions import arrival_soc

__all__ = ["run_simpy_baseline", "run_loop_baseline", "simpy_floor", "build_homes", "TOTAL_KEYS"]

#: Fleet energy totals (kWh) both baselines and the engine report.
TOTAL_KEYS = ("load_kwh", "pv_kwh", "ev_charged_kwh", "ev_discharged_kwh", "bess_charged_kwh",
              "bess_discharged_kwh", "import_kwh", "export_kwh")

_INF = math.inf
_NO_TRIP = (_INF, _INF, 0.0, 0.0)   # after the last drawn session: never back


class _Meter:
    """The fleet's energy totals (kWh) that every home and car adds to as it steps."""

    __slots__ = ("pv_kwh", "ev_charged_kwh", "ev_discharged_kwh", "bess_charged_kwh",
                 "bess_discharged_kwh", "import_kwh", "export_kwh")

    def __init__(self):
        for key in self.__slots__:
            setattr(self, key, 0.0)


class _Car:
    """One EV object, its drawn sessions and the time it next needs attention."""

    __slots__ = ("ev", "trips", "plugged", "arr", "dep", "arr_soc", "target", "priority_ok",
                 "offer_kw", "power_kw", "max_kw", "eff", "met", "full_h", "wake_h", "meter")

    def __init__(self, ev: ElectricVehicle, first: tuple, trips: list, priority_ok: bool,
                 meter: _Meter):
        self.ev = ev
        self.arr, self.dep, self.arr_soc, self.target = first
        self.trips = iter(trips)            # (arrival_h, departure_h, used_soc, target_soc)
        self.priority_ok = priority_ok
        self.plugged = False
        self.offer_kw = 0.0
        self.max_kw = ev.max_charge_power_kw
        self.eff = ev.charge_efficiency
        self.power_kw = self.max_kw
        self.met = False            # at its departure target: charging has nothing to do
        self.full_h = _INF          # when charging at `power_kw` reaches the target
        self.wake_h = self.arr
        self.meter = meter

    def set_power(self, power_kw: float, t: float) -> None:
        """Hold `power_kw` from `t` on (the car is up to date at `t`)."""
        self.power_kw = power_kw
        self.met = False
        if power_kw > 0.0:
            # the seed API's requirement, once per setpoint: then plain arithmetic per step
            need = self.ev.get_charging_requirement_kwh()
            self.met = need <= 0.0
            self.full_h = t + need / (power_kw * self.eff)
        else:
            self.full_h = _INF

    def step(self, t0: float, t1: float) -> float:
        """Advance the car from `t0` to `t1`; grid energy (kWh, + charging)."""
        # hot path: one seed-API call per step while it charges or discharges
        energy = 0.0
        t = t0
        while True:
            if self.plugged:
                end = self.dep if self.dep < t1 else t1
                p = self.power_kw
                if end > t:
                    if p > 0.0 and not self.met:
                        ev = self.ev
                        if self.full_h <= end:      # reaches the target: land on it
                            grid = ev.charge(p, self.full_h - t) / self.eff
                            ev.soc = self.target
                            self.met = True
                        else:
                            grid = ev.charge(p, end - t) / self.eff
                        self.meter.ev_charged_kwh += grid
                        energy += grid
                    elif p < 0.0:
                        grid = self.ev.discharge(-p, end - t)
                        self.meter.ev_discharged_kwh += grid
                        energy -= grid
                if self.dep > t1:
                    break
                t = self.dep
                self.plugged = False
                arr, dep, used_soc, target = next(self.trips, _NO_TRIP)
                self.arr, self.dep, self.target = arr, dep, target
                self.arr_soc = float(arrival_soc(self.ev.soc, used_soc))
            if self.arr >= t1:
                break
            t = self.arr if self.arr > t else t
            self.plugged = True
            self.ev.soc = self.arr_soc
            self.ev.min_departure_soc = self.target
            self.set_power(self.max_kw, t)  # uncontrolled, until the next step
        p = self.power_kw
        if not self.plugged:
            self.wake_h = self.arr
        elif p < 0.0 or (p > 0.0 and not self.met):
            self.wake_h = t1                # holds a power: step it again next time
        else:
            self.wake_h = self.dep          # idle until it leaves (or a new setpoint)
        return energy


class _Home:
    """One prosumer: its load series, PV, battery and cars."""

    __slots__ = ("loads", "h", "solar", "unit", "bess", "full_above", "leaks", "cars", "wake_h",
                 "accepted", "idle_h", "meter")

    def __init__(self, loads: list, h: int, solar: SolarPV | None, unit: list | None,
                 bess: BESS | None, cars: list, meter: _Meter):
        self.loads = loads          # the fleet's load, one list per step (kW per home)
        self.h = h                  # this home's column
        self.solar = solar          # at most one PV system per prosumer object
        self.unit = unit            # its kW per kWp per step
        self.bess = bess
        self.full_above = _INF      # the battery takes no charge above this SOC
        self.leaks = False
        if bess is not None:
            # self-consumption's rules (desim.sim.policies): a self-discharging battery
            # is not topped up within TOP_UP_MARGIN_SOC of full, none past its ceiling
            # (``soc >= max_soc``, i.e. ``soc > nextafter(max_soc, 0)``)
            self.leaks = bess.self_discharge_per_h > 0.0
            self.full_above = (bess.max_soc - TOP_UP_MARGIN_SOC if self.leaks
                               else math.nextafter(bess.max_soc, 0.0))
        self.cars = cars
        self.wake_h = min((car.wake_h for car in cars), default=_INF)
        self.accepted = False
        self.idle_h = 0.0           # battery idle time whose self-discharge is not applied yet
        self.meter = meter

    def step(self, k: int, t0: float, t1: float, dt: float) -> None:
        """Advance the home over step `k`, ``[t0, t1]`` (``dt = t1 - t0``, h)."""
        # hot path: plain floats, seed-API calls only for assets with work
        load = self.loads[k][self.h]
        m = self.meter
        pv = 0.0
        if self.solar is not None:
            g = self.unit[k]
            if g > 0.0:                     # not at night
                pv = self.solar.get_generation_kw(g)
                m.pv_kwh += pv * dt
        net = (load - pv) * dt
        if self.wake_h < t1:                # a car needs attention within this step
            wake = _INF
            for car in self.cars:
                if car.wake_h < t1:
                    net += car.step(t0, t1)
                if car.wake_h < wake:
                    wake = car.wake_h
            self.wake_h = wake
        b = self.bess
        if b is not None:
            # self-consumption: cover load - pv, store pv - load (the object clips to
            # its power limits); idle at a limit, and idle time is settled in one hold
            surplus = pv - load
            if surplus > 0.0:
                if b.soc > self.full_above and self.idle_h > 0.0:
                    self._settle_idle(b)        # the top-up rule reads the SOC now
                if b.soc > self.full_above:
                    surplus = 0.0
                else:
                    if self.idle_h > 0.0:
                        self._settle_idle(b)
                    grid = b.charge(surplus, dt) / b.efficiency
                    m.bess_charged_kwh += grid
                    net += grid
            elif surplus < 0.0:
                if b.soc <= b.min_soc:          # idling only lowers it: no need to settle
                    surplus = 0.0
                else:
                    if self.idle_h > 0.0:
                        self._settle_idle(b)
                    grid = b.discharge(-surplus, dt)
                    m.bess_discharged_kwh += grid
                    net -= grid
            if surplus == 0.0 and self.leaks:
                self.idle_h += dt
        if net > 0.0:
            m.import_kwh += net
        else:
            m.export_kwh -= net

    def _settle_idle(self, b: BESS) -> None:
        b.charge(0.0, self.idle_h)          # self-discharge over the idle time, one hold
        self.idle_h = 0.0

    def finish(self) -> None:
        """Apply the battery's pending idle time (the state at the end of the run)."""
        if self.bess is not None and self.idle_h > 0.0:
            self._settle_idle(self.bess)


class _Aggregator:
    """Daily dispatch events: acceptance draws, pro-rata awards every step."""

    def __init__(self, inp: SimInputs, homes: list[_Home]):
        self.inp = inp
        self.homes = homes
        self.rng = np.random.default_rng(inp.dispatch_seed)
        self.active = -1
        self.next_event = 0
        self.cars: list[tuple] = []         # (home, car) of the homes that accepted the event

    def step(self, t0: float) -> None:
        ev_ = self.inp.events
        if not self.inp.dispatch_enabled:
            return
        if self.active >= 0 and t0 >= ev_.end_h[self.active]:
            self.active = -1
            for home, car in self.cars:
                if car.plugged and car.power_kw != car.max_kw:
                    car.set_power(car.max_kw, t0)
                    car.wake_h = home.wake_h = -_INF
                car.power_kw = car.max_kw
            self.cars = []
        if (self.active < 0 and self.next_event < len(ev_)
                and t0 >= ev_.start_h[self.next_event]):
            k = self.active = self.next_event
            self.next_event += 1
            accepted = dsp.decide(self.inp.fleet, ev_.price_per_mwh[k],
                                  self.rng.random(len(self.homes)))
            for home, ok in zip(self.homes, accepted.tolist(), strict=True):
                home.accepted = ok
                if ok:
                    self.cars.extend((home, car) for car in home.cars if car.priority_ok)
        if self.active < 0:
            return
        k = self.active
        window_h = max(float(ev_.end_h[k]) - t0, 1e-9)
        total = 0.0
        for _, car in self.cars:
            offer = 0.0
            if car.plugged:
                ev = car.ev
                if ev.get_charging_requirement_kwh() > 0.0:
                    offer = car.max_kw
                if ev.v2g_max_discharge_kw > 0.0:
                    offer += ev.get_available_discharge_capacity_kw(window_h)
            car.offer_kw = offer
            total += offer
        target = float(ev_.target_kw[k])
        share = min(1.0, target / total) if total > 0 and target > 0 else 0.0
        for home, car in self.cars:
            ev = car.ev
            p = car.max_kw - share * car.offer_kw
            if p < -ev.v2g_max_discharge_kw:
                p = -ev.v2g_max_discharge_kw
            if p != car.power_kw:
                if car.plugged:
                    car.set_power(p, t0)
                    car.wake_h = home.wake_h = -_INF
                else:
                    car.power_kw = p


def build_homes(inp: SimInputs) -> list[_Home]:
    """Asset objects for every prosumer of `inp` (from its fleet table rows), each EV
    with its sessions for the run drawn ahead."""
    f = inp.fleet
    load = inp.load.block(0, inp.n_steps).astype(np.float64)
    solar: list = [None] * f.n_prosumers
    unit: list = [None] * f.n_prosumers
    units: dict[int, list] = {}             # kW per kWp per step, one list per bucket
    for i in range(f.n_pv):
        h = int(f.pv_prosumer_index[i])
        if solar[h] is not None:
            raise NotImplementedError(f"prosumer {h} has more than one PV system; the "
                                      "baselines step one SolarPV object per home")
        bucket = int(inp.pv_bucket[i])
        if bucket not in units:
            units[bucket] = inp.pv_kw_per_kwp[bucket].astype(np.float64).tolist()
        solar[h] = SolarPV(float(f.pv_capacity_kw[i]),
                           float(f.pv_system_efficiency[i]) if inp.pv_derate else 1.0,
                           float(f.pv_tilt_deg[i]), float(f.pv_azimuth_deg[i]) % 360.0)
        unit[h] = units[bucket]
    bess: list = [None] * f.n_prosumers
    for b in range(f.n_bess):
        h = int(f.bess_prosumer_index[b])
        if bess[h] is not None:
            raise NotImplementedError(f"prosumer {h} has more than one battery; the "
                                      "baselines step one BESS object per home")
        bess[h] = BESS(
            float(f.bess_capacity_kwh[b]), float(f.bess_max_charge_kw[b]),
            float(f.bess_charge_efficiency[b]), current_soc_percent=float(f.bess_soc[b]) * 100,
            min_soc_percent=float(f.bess_min_soc[b]) * 100,
            max_soc_percent=float(f.bess_max_soc[b]) * 100,
            max_discharge_power_kw=float(f.bess_max_discharge_kw[b]),
            self_discharge_per_h=float(f.bess_self_discharge_per_h[b]))
    plans = inp.sessions
    if not isinstance(plans, PlannedSessions):
        plans = PlannedSessions(plans, f.ev_soc.astype(np.float64), inp.horizon_h)
    arr, dep, arr_soc, target = plans.first(np.arange(f.n_evs), f.ev_soc.astype(np.float64))
    first = list(zip(arr.tolist(), dep.tolist(), arr_soc.tolist(), target.tolist(),
                     strict=True))
    meter = _Meter()
    cars: list[list] = [[] for _ in range(f.n_prosumers)]
    for e in range(f.n_evs):
        h = int(f.ev_prosumer_index[e])
        ev = ElectricVehicle(float(f.ev_capacity_kwh[e]), float(f.ev_max_charge_kw[e]),
                             current_soc_percent=float(f.ev_soc[e]) * 100,
                             min_departure_soc_percent=float(f.ev_departure_soc[e]) * 100,
                             charge_efficiency=float(f.ev_charge_efficiency[e]),
                             v2g_max_discharge_kw=float(f.ev_v2g_max_kw[e]),
                             v2g_min_soc_percent=float(f.ev_v2g_min_soc[e]) * 100,
                             ev_id=str(f.ev_id[e]))
        ev.soc = float(f.ev_soc[e])            # exactly the engine's starting state
        cars[h].append(_Car(ev, first[e], plans.trips(e), bool(f.ev_priority[h] < 2), meter))
    # the load as one list per step, read by every home at its column: the loop reads
    # the homes of one step in turn, so the values it reads sit together in memory
    rows = load.tolist()
    return [_Home(rows, h, solar[h], unit[h], bess[h], cars[h], meter)
            for h in range(f.n_prosumers)]


def _totals(homes: list[_Home], inp: SimInputs) -> dict[str, float]:
    """The fleet's energy totals (kWh) from its meter, after each home's pending
    battery idle time is applied."""
    for home in homes:
        home.finish()
    meter = homes[0].meter if homes else _Meter()
    # the load is input, the same whatever the stepping: summed once, not per step
    load_kwh = (math.fsum(math.fsum(row) for row in homes[0].loads) * inp.interval_h
                if homes else 0.0)
    return {"load_kwh": load_kwh, **{key: getattr(meter, key) for key in _Meter.__slots__}}


@contextmanager
def _setup_frozen():
    """Keep the cyclic garbage collector off the objects built so far while the run
    goes on (``gc.freeze``; released after it).

    Every wake-up of a SimPy process leaves a young object behind that lives until
    the next tick (its resumption waiting on the clock), so the collector's young
    collections keep promoting thousands of objects, and a full collection, which
    walks every object of the process, followed every few steps: about half the
    SimPy baseline's time at 10,000 homes (4.3-4.8 us per prosumer-step against
    2.2-2.6 frozen). A careful programmer of the obvious design freezes the model
    once it is set up; the engine's time does not change either way (its state is
    a few hundred arrays). Skipped when the caller has frozen objects of its own
    (releasing them is not ours to do).
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class _Clock:
    """The fleet's wake-up call: one SimPy event per interval that every prosumer
    process waits on (``tick``), and the step it opens (``k``)."""

    __slots__ = ("tick", "k")

    def __init__(self, env):
        self.tick = env.event()
        self.k = -1

    def ring(self, env, k: int) -> None:
        """Open step `k`: wake every process waiting on the tick, set the next one."""
        self.k = k
        tick, self.tick = self.tick, env.event()
        tick.succeed()


def _clock_process(env, clock: _Clock, agg: _Aggregator, inp: SimInputs):
    # the aggregator steps first, then every prosumer process waiting on the tick wakes
    dt = inp.interval_h
    for k in range(inp.n_steps):
        agg.step(k * dt)
        clock.ring(env, k)
        yield env.timeout(dt)


def _home_process(env, home: _Home, clock: _Clock, inp: SimInputs):
    # wakes at every tick of the fleet's clock, in the order the processes were started
    dt = inp.interval_h
    step = home.step
    while True:
        yield clock.tick
        k = clock.k
        t0 = k * dt
        step(k, t0, t0 + dt, dt)


def run_simpy_baseline(inp: SimInputs) -> dict:
    """The obvious design: one SimPy process per prosumer, waking every interval.

    The processes wake on the fleet's clock (`_Clock`: one SimPy event per interval
    that all of them wait on, triggered after the aggregator's step), not on a
    timeout each: the same processes and steps, a third or less of SimPy's cost
    per wake-up (`simpy_floor`).

    Returns
    -------
    dict
        ``{"totals": {key: kWh}, "build_s", "run_s", "run_cpu_s", "prosumer_steps"}``;
        `run_s` (wall) and `run_cpu_s` (this thread's CPU time) exclude building
        the objects and drawing the sessions (`build_s`).
    """
    t = time.perf_counter()
    homes = build_homes(inp)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    c = time.thread_time()
    env = simpy.Environment()
    clock = _Clock(env)
    for home in homes:                  # started first: all wait on the first tick
        env.process(_home_process(env, home, clock, inp))
    env.process(_clock_process(env, clock, _Aggregator(inp, homes), inp))
    with _setup_frozen():
        env.run(until=inp.horizon_h + 1e-9)
    run_s = time.perf_counter() - t
    run_cpu_s = time.thread_time() - c
    return {"totals": _totals(homes, inp), "build_s": build_s, "run_s": run_s,
            "run_cpu_s": run_cpu_s, "prosumer_steps": len(homes) * inp.n_steps}


def run_loop_baseline(inp: SimInputs) -> dict:
    """The same objects and steps as `run_simpy_baseline`, in a plain Python loop."""
    t = time.perf_counter()
    homes = build_homes(inp)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    c = time.thread_time()
    agg = _Aggregator(inp, homes)
    dt = inp.interval_h
    steps = [home.step for home in homes]
    with _setup_frozen():
        for k in range(inp.n_steps):
            t0 = k * dt
            t1 = t0 + dt
            agg.step(t0)
            for step in steps:
                step(k, t0, t1, dt)
    run_s = time.perf_counter() - t
    run_cpu_s = time.thread_time() - c
    return {"totals": _totals(homes, inp), "build_s": build_s, "run_s": run_s,
            "run_cpu_s": run_cpu_s, "prosumer_steps": len(homes) * inp.n_steps}


def _idle_process(env, n_steps: int, dt: float):
    timeout = env.timeout
    for _ in range(n_steps):
        yield timeout(dt)
    return n_steps


def _idle_waiter(clock: _Clock, n_steps: int):
    for _ in range(n_steps):
        yield clock.tick
    return n_steps


def _idle_clock(env, clock: _Clock, n_steps: int, dt: float):
    for k in range(n_steps):
        yield env.timeout(dt)
        clock.ring(env, k)


#: How `simpy_floor`'s processes wake: on the fleet's clock (`run_simpy_baseline`'s
#: way) or on a timeout each.
FLOOR_WAKES = ("clock", "timeout")


def simpy_floor(n_processes: int, n_steps: int, dt: float = 0.25, wake: str = "clock") -> dict:
    """What SimPy alone costs the obvious design: `n_processes` processes that do
    nothing but wake every `dt` hours, `n_steps` times, as `run_simpy_baseline`'s
    do around their step: on one shared event per interval (``wake="clock"``, the
    baseline's way), or each on its own timeout (``wake="timeout"``); set up
    processes frozen as the baseline's are (`_setup_frozen`).

    Returns
    -------
    dict
        ``{"run_s", "run_cpu_s", "us_per_process_step", "cpu_us_per_process_step",
        "end_h", "wakes"}`` (wall, this thread's CPU, each per process-step; the clock
        at the end, ``n_steps x dt``; the wake-ups the processes counted).
    """
    if wake not in FLOOR_WAKES:
        raise ValueError(f"simpy_floor(wake={wake!r}): expected one of {FLOOR_WAKES}")
    env = simpy.Environment()
    if wake == "clock":
        clock = _Clock(env)
        procs = [env.process(_idle_waiter(clock, n_steps)) for _ in range(n_processes)]
        env.process(_idle_clock(env, clock, n_steps, dt))
    else:
        procs = [env.process(_idle_process(env, n_steps, dt)) for _ in range(n_processes)]
    t = time.perf_counter()
    c = time.thread_time()
    with _setup_frozen():
        env.run()
    run_s = time.perf_counter() - t
    run_cpu_s = time.thread_time() - c
    steps = max(1, n_processes * n_steps)
    return {"run_s": run_s, "run_cpu_s": run_cpu_s, "us_per_process_step": run_s / steps * 1e6,
            "cpu_us_per_process_step": run_cpu_s / steps * 1e6, "end_h": env.now,
            "wakes": sum(p.value for p in procs)}
