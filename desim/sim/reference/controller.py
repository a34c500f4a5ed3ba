"""The site controller of the reference: decisions at the contract's decision instants.

`Run` holds every asset's state, applies the asset events the processes
report, and decides every setpoint at each decision instant: profile
boundaries, dispatch start and end, and, in coupled runs (a finite site limit
or an event in progress), after the EV events of an instant. Decisions run
after every other event of their instant (a lower SimPy priority), so several
EV events at one instant make one decision.
"""

from __future__ import annotations

import bisect
import copy
import math

import numpy as np
import simpy
from simpy.events import Event

from desim.sim.reference import rules
from desim.sim.reference.assets import BessState, EVState, Reschedule
from desim.sim.reference.decision import decide

__all__ = ["Run", "controller_process"]

_LATE = 2                   # SimPy priority after NORMAL: after all events of the instant
SAME_KW = 1e-12             # a re-decided setpoint this close to the old one is not a change


class _Late(Event):
    """An event that fires at the current instant after every other event there."""

    def __init__(self, env):
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, _LATE)


class DispatchWindow:
    """One dispatch event and its homes' acceptance (drawn at its start)."""

    def __init__(self, k, event_id, start, end, target_kw, direction, price_per_mwh):
        self.k, self.event_id, self.start, self.end = k, event_id, start, end
        self.target_kw, self.direction, self.price_per_mwh = target_kw, direction, price_per_mwh
        self.accepted: np.ndarray | None = None


class Run:
    """State and decisions of one reference run."""

    def __init__(self, env, inp, control_events: bool):
        f = inp.fleet
        self.env, self.inp, self.fleet = env, inp, f
        self.sessions = copy.deepcopy(inp.sessions)
        self.horizon_h = inp.horizon_h
        self.limit = float(inp.site_limit_kw)
        self.ev_policy = inp.ev_policy.name
        self.order = getattr(inp.ev_policy, "order", "edf")
        self.bess_policy = inp.bess_policy.name
        if self.ev_policy not in ("uncontrolled", "smart"):
            raise NotImplementedError(f"reference: EV policy {self.ev_policy!r}")
        if self.bess_policy not in ("self_consumption", "follow_dispatch"):
            raise NotImplementedError(f"reference: battery policy {self.bess_policy!r}")
        self.guard_on = bool(inp.departure_guard) and self.ev_policy in rules.GUARDING
        self.profile_t = [k * inp.interval_h for k in range(inp.n_steps)]
        self.windows = [DispatchWindow(k, inp.events.event_id[j], float(inp.events.start_h[j]),
                                       float(inp.events.end_h[j]), float(inp.events.target_kw[j]),
                                       int(inp.events.direction[j]),
                                       float(inp.events.price_per_mwh[j]))
                        for k, j in enumerate(np.argsort(inp.events.start_h, kind="stable"))]
        if not (control_events and inp.dispatch_enabled):
            self.windows = []
        self.rng = np.random.default_rng(inp.dispatch_seed)
        marks = set(self.profile_t) | {self.horizon_h}
        for w in self.windows:
            marks |= {w.start, w.end}
        self.boundaries = sorted(m for m in marks if 0.0 <= m <= self.horizon_h)
        self.net_kw = _home_net_kw(inp)
        self.evs = [EVState(e, int(f.ev_prosumer_index[e]), float(f.ev_capacity_kwh[e]),
                            float(f.ev_max_charge_kw[e]), float(f.ev_charge_efficiency[e]),
                            float(f.ev_v2g_max_kw[e]), float(f.ev_v2g_min_soc[e]),
                            soc=float(f.ev_soc[e])) for e in range(f.n_evs)]
        self.bess = [_bess_state(f, b) for b in range(f.n_bess)]
        self.away_soc: dict[int, float] = {}
        self.pending: list[EVState] = []
        self.wake = env.event()
        self.rows: list = []
        self.departures: list = []
        self.ev_power: list = []
        self.bess_power: list = []
        self.clips: list = []
        self.limit_exceeded: list = []
        self.awards: list = []
        self.plugins: list = []
        self._last_ev: dict[int, float] = {}
        self._last_bess: dict[int, float] = {}

    # -- time ---------------------------------------------------------------------------
    def window_at(self, t):
        for w in self.windows:
            if w.start <= t < w.end:
                return w
        return None

    def coupled(self, t) -> bool:
        return math.isfinite(self.limit)

    def request_decision(self):
        if not self.wake.triggered:
            self.wake.succeed()

    # -- asset events (called by the processes) ------------------------------------------
    def _row(self, t, kind, home, asset_type, index, soc):
        self.rows.append((t, kind, home, asset_type, index, soc))

    def _set_ev_power(self, ev, t, p):
        if self._last_ev.get(ev.index, 0.0) != p:
            self.ev_power.append((t, ev.index, p))
            self._last_ev[ev.index] = p
        ev.p = p

    def _set_bess_power(self, b, t, p):
        if self._last_bess.get(b.index, 0.0) != p:
            self.bess_power.append((t, b.index, p))
            self._last_bess[b.index] = p
        b.p = p

    def plug_in(self, ev: EVState, t, dep, soc, tgt):
        ev.plugged, ev.plug_t, ev.dep, ev.tgt = True, t, dep, tgt
        ev.soc, ev.t0, ev.p, ev.shadow_k = soc, t, 0.0, -1
        ev.status, ev.rho, ev.rho_v2g = "", 0.0, 0.0
        self._row(t, "ev_arrival", ev.home, "ev", ev.index, soc)
        self._row(t, "ev_plugged_in", ev.home, "ev", ev.index, soc)
        if self.coupled(t):
            self.pending.append(ev)
            self.request_decision()
            return
        self._classify(ev, t)
        p = ev.pmax if soc < tgt else 0.0     # uncontrolled, and smart without a limit
        self._set_ev_power(ev, t, p)

    def ev_stopped(self, ev: EVState, t, kind):
        ev.soc = ev.tgt if kind == "ev_target_reached" else ev.v2g_min_soc
        ev.t0 = t
        self._set_ev_power(ev, t, 0.0)
        self._row(t, kind, ev.home, "ev", ev.index, ev.soc)
        if self.coupled(t):
            self.request_decision()

    def depart(self, ev: EVState, t) -> float:
        ev.rebase(t)
        soc = ev.soc
        short = max(0.0, (ev.tgt - soc) * ev.capacity_kwh)
        self._row(t, "ev_departure", ev.home, "ev", ev.index, soc)
        self.departures.append((t, ev.index, soc, ev.tgt, short, ev.status))
        self._set_ev_power(ev, t, 0.0)
        ev.plugged, ev.rho, ev.dep = False, 0.0, math.inf
        if ev in self.pending:
            self.pending.remove(ev)
        if self.coupled(t):
            self.request_decision()
        return soc

    def bess_stopped(self, b: BessState, t, limit, kind):
        b.soc, b.t0 = limit, t
        self._set_bess_power(b, t, 0.0)
        self._row(t, kind, b.home, "bess", b.index, limit)

    # -- plug-in classification ------------------------------------------------------------
    def _classify(self, ev: EVState, t):
        reserved = sum(o.rho for o in self.evs if o.guaranteed and o is not ev)
        need = rules.need_kwh(ev.soc, ev.tgt, ev.capacity_kwh)
        ev.status, ev.rho = rules.classify_plugin(t, ev.dep, need, ev.pmax, ev.eff,
                                                  self.limit, reserved, ev.v2g_max_kw)
        m = need / (ev.eff * (ev.dep - t)) if need > 0.0 else 0.0
        ev.rho_v2g = max(0.0, ev.rho - m) if ev.status == "feasible_at_plugin" else 0.0
        self.plugins.append((t, ev.index, ev.status, ev.rho))

    def _guarded(self, ev: EVState) -> bool:
        """The guard protects this EV (guard on and guaranteed at plug-in)."""
        return self.guard_on and ev.guaranteed

    def recharge_kw(self, ev: EVState) -> float:
        return ev.pmax if not math.isfinite(self.limit) else ev.rho

    # -- the decision ----------------------------------------------------------------------
    def decide(self, t):
        window = self.window_at(t)
        if window is not None and window.accepted is None:
            self._draw_acceptance(window)
        # departures and target / V2G-floor stops of this instant are already applied
        # (they run before this late decision); arrivals are classified in index order
        if self.pending and math.isfinite(self.limit):
            # reservations shrink to what each guaranteed EV still needs before new
            # EVs are admitted: its minimum rate now plus its V2G part
            for o in self.evs:
                if o.guaranteed and o.rho > 0.0:
                    need = rules.need_kwh(o.soc_at(t), o.tgt, o.capacity_kwh)
                    m = need / (o.eff * (o.dep - t)) if need > 0.0 else 0.0
                    o.rho = min(o.rho, m + o.rho_v2g)
        for ev in sorted(self.pending, key=lambda o: o.index):
            self._classify(ev, t)
        self.pending.clear()
        nxt = self.boundaries[bisect.bisect_right(self.boundaries, t)]
        ev_sp, bess_sp = decide(self, t, nxt - t, window)
        for ev in self.evs:
            if ev.plugged and abs(ev_sp[ev.index] - ev.p) > SAME_KW:
                ev.rebase(t)
                self._set_ev_power(ev, t, ev_sp[ev.index])
                ev.proc.interrupt(Reschedule())
        for b in self.bess:
            if abs(bess_sp[b.index] - b.p) > SAME_KW:
                b.rebase(t)
                self._set_bess_power(b, t, bess_sp[b.index])
                b.proc.interrupt(Reschedule())

    def _draw_acceptance(self, w: DispatchWindow):
        f = self.fleet
        u = self.rng.random(f.n_prosumers)
        price = w.price_per_mwh / 1000.0
        w.accepted = np.array([price >= float(f.min_compensation_per_kwh[i])
                               and u[i] < float(f.participation_willingness[i])
                               for i in range(f.n_prosumers)], dtype=bool)

    def interval_index(self, t) -> int:
        return bisect.bisect_right(self.profile_t, t) - 1


def controller_process(env, run: Run):
    """Wake at every scheduled boundary and at every requested decision; decide last."""
    marks = iter(b for b in run.boundaries if b < run.horizon_h)
    nb = next(marks, math.inf)
    while True:
        timer = env.timeout(nb - env.now) if math.isfinite(nb) else env.event()
        yield simpy.AnyOf(env, [timer, run.wake])
        yield _Late(env)
        while nb <= env.now:
            nb = next(marks, math.inf)
        run.wake = env.event()
        if env.now < run.horizon_h:
            run.decide(env.now)


def _home_net_kw(inp) -> np.ndarray:
    """(n_steps, n_prosumers) home load minus PV (EVs and batteries not included)."""
    f = inp.fleet
    load = inp.load.block(0, inp.n_steps).astype(np.float64)
    pv = np.zeros((inp.n_steps, f.n_prosumers))
    for i in range(f.n_pv):
        kw = inp.pv_kw_per_kwp[inp.pv_bucket[i]] * f.pv_capacity_kw[i]
        pv[:, f.pv_prosumer_index[i]] += kw * f.pv_system_efficiency[i] if inp.pv_derate else kw
    return load - pv


def _bess_state(f, b) -> BessState:
    home = int(f.bess_prosumer_index[b])
    # the home's backup reserve is spread over all its batteries' capacity
    home_capacity = sum(float(f.bess_capacity_kwh[j]) for j in range(f.n_bess)
                        if int(f.bess_prosumer_index[j]) == home)
    floor = rules.owner_floor_soc(float(f.bess_min_soc[b]), float(f.bess_max_soc[b]),
                                  float(f.max_discharge[home]), float(f.backup_power_hours[home]),
                                  float(f.annual_load_kwh[home]), home_capacity)
    return BessState(b, home, float(f.bess_capacity_kwh[b]), float(f.bess_max_charge_kw[b]),
                     float(f.bess_max_discharge_kw[b]), float(f.bess_charge_efficiency[b]),
                     float(f.bess_discharge_efficiency[b]), float(f.bess_min_soc[b]),
                     float(f.bess_max_soc[b]), float(f.bess_self_discharge_per_h[b]), floor,
                     soc=float(f.bess_soc[b]))
