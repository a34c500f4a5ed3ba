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

Both follow the benchmark scenario's policies: EVs charge at full power from
plug-in until their departure target (uncontrolled), using the same session
source (`MobilitySessions`, drawn per EV and day); batteries follow
self-consumption (cover the home's load net of PV, store its surplus); the
daily discharge event is allocated pro rata among the homes that accept it
(same acceptance draws as the engine), from offers of deferred EV charging and
V2G, re-allocated every step. Only the uncontrolled EV policy and the
self-consumption battery policy are modelled.

Stepping at the profile interval is exact for solar, load and batteries here
(all piecewise constant over the interval); EV sessions are charged over
their overlap with each step. What the step cannot see is a dispatch
allocation changing when an EV plugs in or leaves mid-step, so the energy
totals agree with the engine's to well within 1 %, not exactly.
"""

from __future__ import annotations

import time

import numpy as np
import simpy

from desim.assets import BESS, ElectricVehicle, SolarPV
from desim.sim import dispatch as dsp
from desim.sim.engine import SimInputs

__all__ = ["run_simpy_baseline", "run_loop_baseline", "TOTAL_KEYS"]

#: Fleet energy totals (kWh) both baselines and the engine report.
TOTAL_KEYS = ("load_kwh", "pv_kwh", "ev_charged_kwh", "ev_discharged_kwh", "bess_charged_kwh",
              "bess_discharged_kwh", "import_kwh", "export_kwh")


class _Car:
    """One EV object and its current session."""

    __slots__ = ("ev", "index", "plugged", "arr", "dep", "arr_soc", "target", "priority_ok",
                 "offer_kw", "power_kw", "sessions", "met")

    def __init__(self, ev: ElectricVehicle, index: int, sessions, priority_ok: bool):
        self.ev = ev
        self.index = index
        self.sessions = sessions
        self.priority_ok = priority_ok
        arr, dep, soc, tgt = (float(x[0]) for x in sessions.first(np.array([index]),
                                                                  np.array([ev.soc])))
        self.plugged = False
        self.arr, self.dep, self.arr_soc, self.target = arr, dep, soc, tgt
        self.offer_kw = 0.0
        self.power_kw = ev.max_charge_power_kw
        self.met = False            # at its departure target: charging has nothing to do

    def _hold(self, power_kw: float, duration_h: float, tot: dict) -> float:
        """Hold `power_kw` for `duration_h` (charging stops at the target); grid kWh."""
        ev = self.ev
        if duration_h <= 0.0:
            return 0.0
        if power_kw > 0.0:
            if self.met:
                return 0.0
            need = ev.get_charging_requirement_kwh()
            if need <= 0.0:
                self.met = True
                return 0.0
            rate = power_kw * ev.charge_efficiency
            duration_h = min(duration_h, need / rate)
            grid = ev.charge(power_kw, duration_h) / ev.charge_efficiency
            if need / rate <= duration_h:      # reached the target: land on it exactly
                ev.soc = ev.min_departure_soc
                self.met = True
            tot["ev_charged_kwh"] += grid
            return grid
        if power_kw < 0.0:
            self.met = False
            grid = -ev.discharge(-power_kw, duration_h)
            tot["ev_discharged_kwh"] -= grid
            return grid
        return 0.0

    def step(self, t0: float, t1: float, tot: dict) -> float:
        """Advance the car from `t0` to `t1`; grid energy (kWh, + charging)."""
        energy = 0.0
        t = t0
        while True:
            if self.plugged:
                end = min(t1, self.dep)
                energy += self._hold(self.power_kw, end - t, tot)
                if self.dep > t1:
                    return energy
                t = self.dep
                self.plugged = False
                arr, dep, soc, tgt = self.sessions.next_after_departure(
                    np.array([self.index]), np.array([self.ev.soc]))
                self.arr, self.dep = float(arr[0]), float(dep[0])
                self.arr_soc, self.target = float(soc[0]), float(tgt[0])
            if self.arr >= t1:
                return energy
            t = max(t, self.arr)
            self.plugged = True
            self.met = False
            self.ev.soc = self.arr_soc
            self.ev.min_departure_soc = self.target
            self.power_kw = self.ev.max_charge_power_kw   # uncontrolled, until the next step


class _Home:
    """One prosumer: its load series, PV, battery and cars."""

    __slots__ = ("load_kw", "pv", "pv_unit", "bess", "cars", "accepted")

    def __init__(self, load_kw, pv, pv_unit, bess, cars):
        self.load_kw = load_kw
        self.pv = pv
        self.pv_unit = pv_unit
        self.bess = bess
        self.cars = cars
        self.accepted = False

    def step(self, k: int, t0: float, t1: float, tot: dict) -> None:
        dt = t1 - t0
        load = self.load_kw[k]
        pv = 0.0
        for system, unit in zip(self.pv, self.pv_unit, strict=True):
            pv += system.get_generation_kw(unit[k])
        ev_kwh = 0.0
        for car in self.cars:
            ev_kwh += car.step(t0, t1, tot)
        bess_kwh = 0.0
        b = self.bess
        if b is not None:
            p = min(max(pv - load, -b.discharge_limit_kw), b.max_power_kw)
            if p > 0.0:
                bess_kwh = b.charge(p, dt) / b.efficiency
                tot["bess_charged_kwh"] += bess_kwh
            elif p < 0.0:
                bess_kwh = -b.discharge(-p, dt)
                tot["bess_discharged_kwh"] -= bess_kwh
            else:
                b.charge(0.0, dt)                  # self-discharge only
        net = (load - pv) * dt + ev_kwh + bess_kwh
        tot["load_kwh"] += load * dt
        tot["pv_kwh"] += pv * dt
        if net > 0.0:
            tot["import_kwh"] += net
        else:
            tot["export_kwh"] -= net


class _Aggregator:
    """Daily dispatch events: acceptance draws, pro-rata awards every step."""

    def __init__(self, inp: SimInputs, homes: list[_Home]):
        self.inp = inp
        self.homes = homes
        self.rng = np.random.default_rng(inp.dispatch_seed)
        self.active = -1
        self.next_event = 0

    def step(self, t0: float) -> None:
        ev_ = self.inp.events
        if not self.inp.dispatch_enabled:
            return
        if self.active >= 0 and t0 >= ev_.end_h[self.active]:
            self.active = -1
            for home in self.homes:
                for car in home.cars:
                    car.power_kw = car.ev.max_charge_power_kw
        if (self.active < 0 and self.next_event < len(ev_)
                and t0 >= ev_.start_h[self.next_event]):
            k = self.active = self.next_event
            self.next_event += 1
            accepted = dsp.decide(self.inp.fleet, ev_.price_per_mwh[k],
                                  self.rng.random(len(self.homes)))
            for home, ok in zip(self.homes, accepted.tolist(), strict=True):
                home.accepted = ok
        if self.active < 0:
            return
        k = self.active
        window_h = max(float(ev_.end_h[k]) - t0, 1e-9)
        total = 0.0
        for home in self.homes:
            for car in home.cars:
                car.offer_kw = 0.0
                if not (home.accepted and car.plugged and car.priority_ok):
                    continue
                ev = car.ev
                offer = ev.max_charge_power_kw if ev.get_charging_requirement_kwh() > 0 else 0.0
                if ev.v2g_max_discharge_kw > 0:
                    usable_kwh = max(0.0, ev.soc - ev.v2g_min_soc) * ev.battery_capacity_kwh
                    offer += min(ev.v2g_max_discharge_kw,
                                 usable_kwh * ev.charge_efficiency / window_h)
                car.offer_kw = offer
                total += offer
        target = float(ev_.target_kw[k])
        share = min(1.0, target / total) if total > 0 and target > 0 else 0.0
        for home in self.homes:
            for car in home.cars:
                ev = car.ev
                p = ev.max_charge_power_kw - share * car.offer_kw
                car.power_kw = min(max(p, -ev.v2g_max_discharge_kw), ev.max_charge_power_kw)


def build_homes(inp: SimInputs) -> list[_Home]:
    """Asset objects for every prosumer of `inp` (from its fleet table rows)."""
    f = inp.fleet
    load = inp.load.block(0, inp.n_steps).astype(np.float64)
    homes_pv: list[list] = [[] for _ in range(f.n_prosumers)]
    homes_unit: list[list] = [[] for _ in range(f.n_prosumers)]
    for i in range(f.n_pv):
        h = int(f.pv_prosumer_index[i])
        homes_pv[h].append(SolarPV(float(f.pv_capacity_kw[i]),
                                   float(f.pv_system_efficiency[i]) if inp.pv_derate else 1.0,
                                   float(f.pv_tilt_deg[i]), float(f.pv_azimuth_deg[i]) % 360.0))
        homes_unit[h].append(inp.pv_kw_per_kwp[inp.pv_bucket[i]].astype(np.float64).tolist())
    bess: list = [None] * f.n_prosumers
    for b in range(f.n_bess):
        bess[int(f.bess_prosumer_index[b])] = BESS(
            float(f.bess_capacity_kwh[b]), float(f.bess_max_charge_kw[b]),
            float(f.bess_charge_efficiency[b]), current_soc_percent=float(f.bess_soc[b]) * 100,
            min_soc_percent=float(f.bess_min_soc[b]) * 100,
            max_soc_percent=float(f.bess_max_soc[b]) * 100,
            max_discharge_power_kw=float(f.bess_max_discharge_kw[b]),
            self_discharge_per_h=float(f.bess_self_discharge_per_h[b]))
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
        cars[h].append(_Car(ev, e, inp.sessions, bool(f.ev_priority[h] < 2)))
    return [_Home(load[:, h].tolist(), homes_pv[h], homes_unit[h], bess[h], cars[h])
            for h in range(f.n_prosumers)]


def _empty_totals() -> dict[str, float]:
    return dict.fromkeys(TOTAL_KEYS, 0.0)


def _home_process(env, home: _Home, inp: SimInputs, tot: dict):
    dt = inp.interval_h
    for k in range(inp.n_steps):
        t0 = k * dt
        home.step(k, t0, t0 + dt, tot)
        yield env.timeout(t0 + dt - env.now)


def _aggregator_process(env, agg: _Aggregator, inp: SimInputs):
    for k in range(inp.n_steps):
        agg.step(k * inp.interval_h)
        yield env.timeout((k + 1) * inp.interval_h - env.now)


def run_simpy_baseline(inp: SimInputs) -> dict:
    """The obvious design: one SimPy process per prosumer, waking every interval.

    Returns
    -------
    dict
        ``{"totals": {key: kWh}, "build_s", "run_s", "run_cpu_s", "prosumer_steps"}``;
        `run_s` (wall) and `run_cpu_s` (this thread's CPU time) exclude building
        the objects.
    """
    t = time.perf_counter()
    homes = build_homes(inp)
    build_s = time.perf_counter() - t
    tot = _empty_totals()
    t = time.perf_counter()
    c = time.thread_time()
    env = simpy.Environment()
    env.process(_aggregator_process(env, _Aggregator(inp, homes), inp))  # first at each step
    for home in homes:
        env.process(_home_process(env, home, inp, tot))
    env.run(until=inp.horizon_h + 1e-9)
    run_s = time.perf_counter() - t
    return {"totals": tot, "build_s": build_s, "run_s": run_s,
            "run_cpu_s": time.thread_time() - c, "prosumer_steps": len(homes) * inp.n_steps}


def run_loop_baseline(inp: SimInputs) -> dict:
    """The same objects and steps as `run_simpy_baseline`, in a plain Python loop."""
    t = time.perf_counter()
    homes = build_homes(inp)
    build_s = time.perf_counter() - t
    tot = _empty_totals()
    t = time.perf_counter()
    c = time.thread_time()
    agg = _Aggregator(inp, homes)
    dt = inp.interval_h
    for k in range(inp.n_steps):
        t0 = k * dt
        agg.step(t0)
        for home in homes:
            home.step(k, t0, t0 + dt, tot)
    run_s = time.perf_counter() - t
    return {"totals": tot, "build_s": build_s, "run_s": run_s,
            "run_cpu_s": time.thread_time() - c, "prosumer_steps": len(homes) * inp.n_steps}
