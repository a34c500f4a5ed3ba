"""The EV fleet: every EV's state, its sessions, and its events in time.

EVs are brought up to date lazily, at their own events (arrival, target reached,
V2G floor, departure) found in closed form and handled in vectorized rounds of
compiled passes (`kernels.ev_events`, `kernels.ev_plug_in`); their power changes
go to the meter at their exact times. See docs/engine.md.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from desim.sim import decisionkernels as dk
from desim.sim import guard, kernels
from desim.sim import tolerances as tol
from desim.sim.state import EvState

__all__ = ["EvFleet"]


class EvFleet:
    """EV state (`EvState`), next event times, and during a dispatch event each EV's
    award, its move against its baseline and its shadow SOC.

    Parameters
    ----------
    state : EvState
    inp : desim.sim.engine.SimInputs
        The run (session source, interval length, horizon, event starts).
    rules : desim.sim.boundary.Rules
    meter : desim.sim.meter.Meter
        Where power changes go.
    log : desim.sim.log.EventLog
    lookahead_h : float
        How far ahead EV events are handled while nothing but their own events can
        change their power (`horizon`).
    """

    def __init__(self, state: EvState, inp, rules, meter, log, lookahead_h: float):
        n = state.n
        self.state = state
        self.sessions = inp.sessions
        self.rules = rules
        self.meter = meter
        self.log = log
        self.interval_h = float(inp.interval_h)
        self.horizon_end_h = inp.n_steps * self.interval_h
        self.lookahead_h = float(lookahead_h)
        self.next_h = np.full(n, np.inf)       # each EV's next own event (h)
        self.due_h = np.inf                    # the earliest of them
        self.in_event = False                  # a dispatch event is in force
        self.decided_in_event = False          # set by an event's decisions until the next
        self.award_kw = np.zeros(n)            # share of the event's award (kW)
        self.delta_kw = np.zeros(n)            # move against the baseline, event direction
        self.delta_kwh = np.zeros(n)           # the same, integrated over the event (kWh)
        self.delivered_kwh = 0.0               # delivery accrued since the engine took it
        self.shadow_soc = np.zeros(n)          # SOC had the event not moved it
        self._shadow_base_kw = np.zeros(n)     # the baseline it moves at
        self._shadow_plugged = np.zeros(n, dtype=bool)
        self._shadow_t_h = 0.0
        self._cause_codes = np.array([log.detail_code(c) for c in guard.CAUSE_NAMES])
        # dispatch event starts (h, a list for bisect): EVs are not handled past one
        self._event_starts_h = (inp.events.start_h.astype(float).tolist()
                                if inp.dispatch_enabled else [])
        self.coupled = bool(np.isfinite(rules.site_limit_kw))   # every EV event decides
        # nothing but its own events changes an EV's power (EVs handled ahead)
        # outside dispatch events nothing but their own events moves the EVs: a static
        # policy, no site limit, and no guard that could raise a setpoint (a policy static
        # only without a limit holds every EV below its target at full power: the guard's
        # floor never binds there)
        self.independent = bool(rules.static_ev_policy and not self.coupled and (
            not rules.guarded or getattr(rules.ev_policy, "static_without_limit", False)))
        self._empty = np.zeros(0)

    @property
    def n(self) -> int:
        return self.state.n

    def first_sessions(self) -> None:
        """Each EV's first session from the session source."""
        ev = self.state
        arr, dep, soc, tgt = self.sessions.first(np.arange(ev.n), ev.soc)
        ev.arrival_h[:] = arr
        ev.departure_h[:] = dep
        ev.target_soc[:] = tgt
        ev.next_arrival_soc[:] = soc
        ev.plugged[:] = False
        self._set_next(None, np.where(arr <= 0.0, 0.0, arr))

    # -- bringing EVs forward ------------------------------------------------------------
    def integrate(self, idx, t_end) -> None:
        """Bring EVs `idx` from their own ``t_last_h`` to `t_end` at their current power."""
        ev = self.state
        # delivery against the baseline accrues during an event whether or not the
        # EV is moving (a fully deferred EV delivers its whole baseline power)
        delta_kw = self.delta_kw if self.in_event else self._empty
        self.delivered_kwh += kernels.ev_integrate(
            np.asarray(idx, dtype=np.int64), np.atleast_1d(np.asarray(t_end, dtype=float)),
            ev.power_kw, ev.charge_efficiency, ev.capacity_kwh, ev.soc, ev.charged_kwh,
            ev.discharged_kwh, ev.t_last_h, delta_kw, self.delta_kwh)

    def sync(self, t_h: float) -> None:
        """Bring every EV up to time `t_h`."""
        behind = np.flatnonzero(self.state.t_last_h < t_h)
        if behind.size:
            self.integrate(behind, t_h)

    def _set_next(self, idx, t_h) -> None:
        """Set the next event time of EVs `idx` (None: every EV); keep `due_h` current."""
        if idx is None:
            self.next_h = np.asarray(t_h, dtype=float)
        else:
            self.next_h[idx] = t_h
        self.due_h = float(self.next_h.min()) if self.next_h.size else np.inf

    def _renew_next(self, idx) -> None:
        """Recompute the next event time of EVs `idx` from their state; keep `due_h`
        current (`kernels.ev_renew_next_h`)."""
        ev = self.state
        self.due_h = float(kernels.ev_renew_next_h(
            np.asarray(idx, dtype=np.int64), ev.power_kw, ev.charge_efficiency, ev.capacity_kwh,
            ev.target_soc, ev.v2g_min_soc, ev.soc, ev.t_last_h, ev.plugged, ev.departure_h,
            ev.arrival_h, self.next_h))

    def horizon(self, t_h: float, t1: float) -> float:
        """How far EVs can be handled now (at `t_h`, going to `t1`): past `t1` while
        nothing but their own events can change their power (a static policy without
        the guard, outside dispatch events), up to the next event start or the end of
        the lookahead period."""
        if not self.independent or self.in_event or self.decided_in_event:
            return t1
        # to the end of the current lookahead period, not a sliding window: one large
        # round per period, not a small one per boundary
        period_h = self.lookahead_h
        limit = min(period_h * (math.floor(t_h / period_h + tol.BOUNDARY_TOL) + 1.0),
                    self.horizon_end_h)
        starts = self._event_starts_h
        if starts:
            j = bisect.bisect_left(starts, t_h)
            if j < len(starts):
                limit = min(limit, starts[j])
        return max(t1, limit)

    def advance(self, t_h: float, t1: float, signals_at) -> bool:
        """Handle every EV event up to `t1` (or further, `horizon`) in rounds; returns
        whether the fleet must be decided again (a plug-in decided with the fleet).
        `signals_at(t)` gives the signals a non-static policy's plug-in setpoint reads."""
        ev, log = self.state, self.log
        t_ev = self.horizon(t_h, t1)
        redecide = False
        while self.due_h <= t_ev:
            idx = np.flatnonzero(self.next_h <= t_ev)
            te = self.next_h[idx]
            self.integrate(idx, te)
            kind = np.empty(idx.size, dtype=np.int8)
            shortfall = np.zeros(idx.size)
            change_t, change_kw = np.empty(idx.size), np.empty(idx.size)
            change_home = np.empty(idx.size, dtype=np.int64)
            n_stop, n_change = kernels.ev_events(
                idx, te, ev.plugged, ev.departure_h, ev.power_kw, ev.soc, ev.target_soc,
                ev.v2g_min_soc, ev.capacity_kwh, ev.next_arrival_soc, ev.reservation_kw,
                ev.reservation_v2g_kw, self.delta_kw, ev.prosumer_index, tol.STOP_TOL_H,
                tol.MET_TOL_KWH, kind, shortfall, change_t, change_home, change_kw)
            count = np.bincount(kind, minlength=kernels.EV_ARRIVE + 1)   # events per kind
            for code, name in ((kernels.EV_TARGET, "ev_target_reached"),
                               (kernels.EV_FLOOR, "ev_v2g_floor")):
                if count[code]:
                    sel = kind == code
                    e = idx[sel]
                    log.record(name, te[sel], ev.prosumer_index[e], "ev", e, power_kw=0.0,
                               soc_percent=ev.soc[e] * 100,
                               **({"required_soc_percent": ev.target_soc[e] * 100}
                                  if code == kernels.EV_TARGET else {}))
            self.meter.changes(change_t[:n_stop], change_home[:n_stop], change_kw[:n_stop])
            if count[kernels.EV_DEPART]:
                departing = kind == kernels.EV_DEPART
                d = idx[departing]
                short = shortfall[departing]
                log.record("ev_departure", te[departing], ev.prosumer_index[d], "ev", d,
                           power_kw=0.0, energy_kwh=short, soc_percent=ev.soc[d] * 100,
                           required_soc_percent=ev.target_soc[d] * 100, shortfall_kwh=short,
                           detail=self._cause_codes[ev.plugin_cause[d]])
                self.meter.changes(change_t[n_stop:n_change], change_home[n_stop:n_change],
                                   change_kw[n_stop:n_change])
                arr, dep, soc, tgt = self.sessions.next_after_departure(d, ev.soc[d])
                ev.arrival_h[d] = arr
                ev.departure_h[d] = dep
                ev.next_arrival_soc[d] = soc
                ev.target_soc[d] = tgt
            if count[kernels.EV_ARRIVE]:
                arriving = kind == kernels.EV_ARRIVE
                redecide |= self._plug_in(idx[arriving], te[arriving], signals_at)
            self._renew_next(idx)
        self.meter.merge_queue()
        if self.in_event:
            # during an event delivery accrues continuously: keep every EV current
            moving = np.flatnonzero((ev.power_kw != 0.0) | (self.delta_kw != 0.0))
            self.integrate(moving, t1)
            ev.t_last_h[:] = t1
        return redecide

    def _plug_in(self, a, ta, signals_at) -> bool:
        """EVs `a`, just arrived at their times `ta`, plug in: admission (the site
        limit's reservations, `guard.admit`), their first setpoint (the policy's, or
        none yet in a coupled run: it is decided with the fleet), the guard floor, and
        the ``ev_arrival`` / ``ev_plugged_in`` rows. Returns whether the fleet must be
        decided again."""
        ev, log, rules = self.state, self.log, self.rules
        if self.coupled:
            self._shrink_reservations(float(ta.max()))
            reserved = float(ev.reservation_kw[ev.plugged].sum())
            need_a = ev.needed_kwh_at(a)
            cause, rho = guard.admit(need_a, ev.departure_h[a] - ta, ev.max_charge_kw[a],
                                     ev.charge_efficiency[a], rules.site_limit_kw, reserved,
                                     ev.v2g_max_kw[a])
            ev.plugin_cause[a] = cause
            ev.reservation_kw[a] = rho
            with np.errstate(divide="ignore", invalid="ignore"):
                m_a = np.where(need_a > 0, need_a / (ev.charge_efficiency[a]
                                                     * (ev.departure_h[a] - ta)), 0.0)
            ev.reservation_v2g_kw[a] = np.maximum(0.0, rho - m_a)
        static = rules.static_ev_policy
        decided_later = self.coupled and (self.in_event or not static)
        if decided_later:
            p_in = np.zeros(len(a))
        else:
            # a static policy's setpoints do not depend on the signals
            p_in = np.asarray(rules.ev_policy.plug_in_setpoints(
                ev, a, None if static else signals_at(ta.min())), dtype=float)
        n = len(a)
        p, soc_pct, target_pct = np.empty(n), np.empty(n), np.empty(n)
        change_t, change_kw, change_home = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
        n_change = kernels.ev_plug_in(
            a, np.ascontiguousarray(ta, dtype=float), np.broadcast_to(p_in, (n,)).astype(float),
            not self.coupled, rules.guarded and not decided_later, self.interval_h,
            tol.BOUNDARY_TOL, tol.MET_TOL_KWH, ev.soc, ev.target_soc, ev.capacity_kwh,
            ev.departure_h, ev.max_charge_kw, ev.charge_efficiency, ev.plugin_cause,
            ev.reservation_kw, ev.reservation_v2g_kw, ev.power_kw, ev.setpoint_kw,
            ev.prosumer_index, p, soc_pct, target_pct, change_t, change_home, change_kw)
        homes = ev.prosumer_index[a]
        log.record("ev_arrival", ta, homes, "ev", a, soc_percent=soc_pct,
                   required_soc_percent=target_pct)
        self.meter.changes(change_t[:n_change], change_home[:n_change], change_kw[:n_change])
        log.record("ev_plugged_in", ta, homes, "ev", a, power_kw=p, soc_percent=soc_pct,
                   required_soc_percent=target_pct,
                   detail=self._cause_codes[ev.plugin_cause[a]])
        return decided_later

    def _shrink_reservations(self, t_h: float) -> None:
        """Before EVs are admitted at `t_h`, each guaranteed EV's reservation shrinks to
        what it still needs: its minimum rate now (plus its V2G part), never more than
        before (docs/semantics.md)."""
        ev = self.state
        g = np.flatnonzero(ev.plugged & ev.guaranteed & (ev.reservation_kw > 0))
        if not g.size:
            return
        behind = g[ev.t_last_h[g] < t_h]
        if behind.size:
            self.integrate(behind, t_h)
        need = ev.needed_kwh_at(g)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.where(need > 0, need / (ev.charge_efficiency[g] * (ev.departure_h[g] - t_h)),
                         0.0)
        ev.reservation_kw[g] = np.minimum(ev.reservation_kw[g],
                                          np.nan_to_num(m, posinf=np.inf)
                                          + ev.reservation_v2g_kw[g])

    # -- decisions -----------------------------------------------------------------------
    def advance_shadow(self, t_h: float) -> None:
        """Bring the shadow SOCs from the last decision to `t_h` at the baseline then held;
        an EV plugged in since then starts its shadow at its SOC now."""
        ev = self.state
        out = np.empty(ev.n)
        dk.shadow_soc(self.shadow_soc, self._shadow_base_kw, ev.plugged, self._shadow_plugged,
                      ev.soc, ev.target_soc, ev.charge_efficiency, ev.capacity_kwh,
                      t_h - self._shadow_t_h, out)
        self.shadow_soc = out
        self._shadow_plugged = ev.plugged.copy()
        self._shadow_t_h = t_h

    def apply(self, t_h: float, sp, direction: int, award_ids) -> None:
        """Hold the EV powers of `sp` (`desim.sim.boundary.Setpoints`) from `t_h`: a
        ``setpoint`` row for each plugged EV whose power changes, a ``clip`` row where
        the guard raised or the site limit cut it (so an EV's last row is always the
        power it holds), the meter, the next events, the site limit check."""
        ev, log = self.state, self.log
        requested, raised, p, new_power = (sp.ev_requested_kw, sp.ev_raised_kw,
                                           sp.ev_setpoint_kw, sp.ev_kw)
        self.award_kw = sp.ev_award_kw
        # rows to log, EVs whose power changes (the meter), the new powers held
        changed, moved, change = (np.empty(ev.n, dtype=np.int64),
                                  np.empty(ev.n, dtype=np.int64), np.empty(ev.n))
        n_log, n_change = dk.ev_power_changes(np.asarray(new_power, dtype=float), ev.power_kw,
                                              ev.plugged, ev.soc, ev.target_soc, requested,
                                              changed, moved, change)
        changed, moved, change = changed[:n_log], moved[:n_change], change[:n_change]
        if changed.size:
            cause = np.where(self.award_kw[changed] > 0,
                             award_ids[ev.prosumer_index[changed]], -1)
            ids = log.record("setpoint", t_h, ev.prosumer_index[changed], "ev", changed,
                             power_kw=requested[changed], soc_percent=ev.soc[changed] * 100,
                             required_soc_percent=ev.target_soc[changed] * 100,
                             cause_id=cause)
            clipped = new_power[changed] != requested[changed]
            if clipped.any():
                c = changed[clipped]
                reason = np.where(
                    new_power[c] != p[c], log.detail_code("at_limit"),
                    np.where(p[c] < raised[c], log.detail_code("site_limit"),
                             log.detail_code("departure_guard: laxity")))
                log.record("clip", t_h, ev.prosumer_index[c], "ev", c, power_kw=new_power[c],
                           soc_percent=ev.soc[c] * 100,
                           required_soc_percent=ev.target_soc[c] * 100,
                           cause_id=ids[clipped], detail=reason)
        if direction:
            self.delta_kw = sp.ev_delta_kw(ev.plugged, direction)
            self._shadow_base_kw = sp.ev_base_kw
        else:
            self.delta_kw = np.zeros(ev.n)
        ev.setpoint_kw = p
        if moved.size:
            self.meter.add(ev.prosumer_index[moved], change, t_h)
        # every plugged EV's next event from its state now (an EV away keeps its arrival)
        self.due_h = float(kernels.ev_renew_plugged_next_h(
            ev.power_kw, ev.charge_efficiency, ev.capacity_kwh, ev.target_soc, ev.v2g_min_soc,
            ev.soc, ev.t_last_h, ev.plugged, ev.departure_h, ev.arrival_h, self.next_h))
        self.check_site_limit(t_h)

    def check_site_limit(self, t_h: float) -> None:
        """Log an instant at which the EVs' total charging exceeds the site limit
        (only a policy that ignores the limit can get there)."""
        if not self.coupled or not self.n:
            return
        limit = self.rules.site_limit_kw
        total = float(np.maximum(self.state.power_kw, 0.0).sum())
        if total > limit + tol.LIMIT_TOL_KW:
            if self.rules.honours_limit:
                raise RuntimeError(f"site limit broken at t={t_h}: {total} > {limit} kW")
            self.log.record("site_limit_exceeded", t_h, asset_type="fleet", power_kw=total,
                            detail=self.rules.ev_policy.name)

    # -- dispatch events -------------------------------------------------------------------
    def start_event(self, t_h: float) -> None:
        """An event opens at `t_h` (every EV current): delivery and shadows start."""
        ev = self.state
        self.in_event = True
        self.delta_kwh[:] = 0.0
        self.shadow_soc = ev.soc.copy()
        self._shadow_base_kw = np.zeros(ev.n)
        self._shadow_plugged = ev.plugged.copy()
        self._shadow_t_h = t_h

    def end_event(self) -> None:
        self.in_event = False
        self.award_kw[:] = 0.0
        self.delta_kw[:] = 0.0
