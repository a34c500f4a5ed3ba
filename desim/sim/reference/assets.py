"""Per-asset state and the one-process-per-asset SimPy processes of the reference.

An EV process waits for its arrival, then for the first of its target
crossing, its V2G floor crossing and its departure, each in closed form; the
site controller interrupts it when it changes its setpoint. A battery process
waits for its limit crossing likewise. The processes own *when*; the rules in
`desim.sim.reference.rules` and the controller own *how much*.
"""

from __future__ import annotations

import math

import numpy as np
import simpy
from attrs import define

from desim.assets import physics

__all__ = ["EVState", "BessState", "Reschedule", "ev_process", "bess_process"]


class Reschedule:
    """Interrupt cause: the controller changed this asset's setpoint."""


@define(eq=False)
class EVState:
    """One EV: its ratings, its current session and its setpoint since `t0`."""

    index: int
    home: int
    capacity_kwh: float
    pmax: float
    eff: float
    v2g_max_kw: float
    v2g_min_soc: float
    soc: float = 0.0            # SOC at t0
    t0: float = 0.0
    p: float = 0.0
    plugged: bool = False
    plug_t: float = math.nan
    dep: float = math.inf
    tgt: float = 0.0
    status: str = ""
    rho: float = 0.0
    rho_v2g: float = 0.0
    # shadow SOC during a dispatch event (docs/semantics.md, Baselines): its SOC at
    # the event start or at plug-in, advanced at the baseline decided at each decision
    shadow_k: int = -1          # the event it belongs to (-1: none yet this session)
    shadow_soc: float = 0.0
    shadow_t: float = 0.0
    shadow_p: float = 0.0
    proc: simpy.Process | None = None

    def soc_at(self, t: float) -> float:
        if self.p == 0.0 or t == self.t0:
            return self.soc
        return float(physics.soc_after(self.soc, self.p, t - self.t0, self.capacity_kwh,
                                       self.eff, self.eff))

    def rebase(self, t: float) -> None:
        self.soc = self.soc_at(t)
        self.t0 = t

    @property
    def guaranteed(self) -> bool:
        return self.plugged and self.status == "feasible_at_plugin"

    def next_event(self, horizon_h: float):
        """(time, kind) of the EV's next own event while plugged in."""
        args = (self.capacity_kwh, self.eff, self.eff)
        if self.p > 0.0 and self.soc < self.tgt:
            t = self.t0 + float(physics.time_to_soc(self.soc, self.tgt, self.p, *args))
            if t < self.dep - STOP_TOL_H and t <= horizon_h:
                return t, "ev_target_reached"
        if self.p < 0.0 and self.soc > self.v2g_min_soc:
            t = self.t0 + float(physics.time_to_soc(self.soc, self.v2g_min_soc, self.p, *args))
            if t < self.dep - STOP_TOL_H and t <= horizon_h:
                return t, "ev_v2g_floor"
        if self.dep <= horizon_h:
            return self.dep, "ev_departure"
        return math.inf, ""


# a stop this close to the departure is not an event of its own (docs/semantics.md)
STOP_TOL_H = 1e-9


@define(eq=False)
class BessState:
    """One battery: ratings, owner's floor and its setpoint since `t0`."""

    index: int
    home: int
    capacity_kwh: float
    max_charge_kw: float
    max_discharge_kw: float
    charge_eff: float
    discharge_eff: float
    min_soc: float
    max_soc: float
    self_discharge_per_h: float
    owner_floor_soc: float
    soc: float = 0.0
    t0: float = 0.0
    p: float = 0.0
    proc: simpy.Process | None = None

    def _args(self):
        return (self.capacity_kwh, self.charge_eff, self.discharge_eff,
                self.self_discharge_per_h)

    def soc_at(self, t: float) -> float:
        if t == self.t0:
            return self.soc
        return float(physics.soc_after(self.soc, self.p, t - self.t0, *self._args()))

    def rebase(self, t: float) -> None:
        self.soc = self.soc_at(t)
        self.t0 = t

    def next_limit(self):
        """(time, limit soc, kind) of the crossing of its ceiling or floor, or None."""
        if self.p == 0.0:
            return None
        limit, kind = (self.max_soc, "bess_full") if self.p > 0 else (self.min_soc, "bess_empty")
        dt = float(physics.time_to_soc(self.soc, limit, self.p, *self._args()))
        return (self.t0 + dt, limit, kind) if math.isfinite(dt) else None


def _wait(env, t):
    return env.timeout(t - env.now) if math.isfinite(t) else env.event()


def ev_process(env, run, ev: EVState):
    """Arrival, plug-in, own state events and departure of one EV, session after session."""
    idx = np.array([ev.index])
    arr, dep, soc, tgt = (float(x[0]) for x in run.sessions.first(idx, np.array([ev.soc])))
    run.away_soc[ev.index] = soc
    while arr < run.horizon_h:
        yield env.timeout(max(0.0, arr - env.now))
        run.plug_in(ev, env.now, dep, soc, tgt)
        while True:
            t_next, kind = ev.next_event(run.horizon_h)
            try:
                yield _wait(env, t_next)
            except simpy.Interrupt:
                continue
            if kind == "ev_departure":
                break
            run.ev_stopped(ev, env.now, kind)
        left = run.depart(ev, env.now)
        arr, dep, soc, tgt = (float(x[0]) for x in run.sessions.next_after_departure(
            idx, np.array([left])))
        run.away_soc[ev.index] = soc if math.isfinite(arr) else left


def bess_process(env, run, b: BessState):
    """Wait for the battery's limit crossing; the controller reschedules it."""
    while True:
        hit = b.next_limit()
        t = hit[0] if hit is not None and hit[0] < run.horizon_h else math.inf
        try:
            yield _wait(env, t)
        except simpy.Interrupt:
            continue
        run.bess_stopped(b, env.now, hit[1], hit[2])
