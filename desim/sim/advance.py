"""Bringing the fleet's assets forward in time (a part of `desim.sim.engine.Engine`).

EVs are brought up to date lazily, at their own events (arrival, target
reached, departure) found in closed form and handled in vectorized rounds;
batteries are stepped at every boundary by one compiled pass, and the few that
reach a limit inside the step are redone exactly and logged at that time.
See docs/engine.md.
"""

from __future__ import annotations

import numpy as np

from desim.assets import physics
from desim.sim import guard, kernels
from desim.sim import tolerances as tol

__all__ = ["FleetAdvance"]


class FleetAdvance:
    """EV and battery advance of `desim.sim.engine.Engine` (a mixin: it uses the
    engine's state, log, meter and policies)."""

    def _ev_integrate(self, idx, t_end):
        """Bring EVs `idx` from their own ``t_last_h`` to `t_end` at their current power.

        Outside dispatch events EVs are brought up to date lazily: at their own
        events, before a policy that reads them, and at the end of the run; the
        meter does not need it (`EvMeter._meter_changes`).
        """
        ev = self.ev
        # delivery against the baseline accrues during an event whether or not the
        # EV is moving (a fully deferred EV delivers its whole baseline power)
        delta_kw = self.ev_delta_kw if self.active >= 0 else self._empty
        self.delivered_step_kwh += kernels.ev_integrate(
            np.asarray(idx, dtype=np.int64), np.atleast_1d(np.asarray(t_end, dtype=float)),
            ev.power_kw, ev.charge_efficiency, ev.capacity_kwh, ev.soc, ev.charged_kwh,
            ev.discharged_kwh, ev.t_last_h, delta_kw, self.ev_delta_kwh)

    def _sync_evs(self, t_h: float) -> None:
        """Bring every EV up to time `t_h` (see `_ev_integrate`)."""
        behind = np.flatnonzero(self.ev.t_last_h < t_h)
        if behind.size:
            self._ev_integrate(behind, t_h)

    def _set_ev_next(self, idx, t_h) -> None:
        """Set the next event time of EVs `idx` (`idx` None: every EV) and keep
        `ev_due_h`, the earliest of all, current."""
        if idx is None:
            self.ev_next_h = np.asarray(t_h, dtype=float)
        else:
            self.ev_next_h[idx] = t_h
        self.ev_due_h = float(self.ev_next_h.min()) if self.ev_next_h.size else np.inf

    def _ev_next(self, idx):
        """Next event time of EVs `idx` from their current state (closed form,
        `kernels.ev_next_event_h`)."""
        ev = self.ev
        idx = np.asarray(idx, dtype=np.int64)
        out = np.empty(len(idx))
        kernels.ev_next_event_h(idx, ev.power_kw, ev.charge_efficiency, ev.capacity_kwh,
                                ev.target_soc, ev.v2g_min_soc, ev.soc, ev.t_last_h, ev.plugged,
                                ev.departure_h, ev.arrival_h, out)
        return out

    def _advance_evs(self, t1: float) -> None:
        ev, log = self.ev, self.log
        t_ev = self._ev_horizon(t1)
        while self.ev_due_h <= t_ev:
            idx = np.flatnonzero(self.ev_next_h <= t_ev)
            te = self.ev_next_h[idx]
            self._ev_integrate(idx, te)
            kind = np.empty(idx.size, dtype=np.int8)
            shortfall = np.zeros(idx.size)
            change_t, change_kw = np.empty(idx.size), np.empty(idx.size)
            change_home = np.empty(idx.size, dtype=np.int64)
            n_stop, n_change = kernels.ev_events(
                idx, te, ev.plugged, ev.departure_h, ev.power_kw, ev.soc, ev.target_soc,
                ev.v2g_min_soc, ev.capacity_kwh, ev.next_arrival_soc, ev.reservation_kw,
                ev.reservation_v2g_kw, self.ev_delta_kw, ev.prosumer_index, guard.STOP_TOL_H,
                guard.MET_TOL_KWH, kind, shortfall, change_t, change_home, change_kw)
            for code, name in ((kernels.EV_TARGET, "ev_target_reached"),
                               (kernels.EV_FLOOR, "ev_v2g_floor")):
                sel = kind == code
                if np.any(sel):
                    e = idx[sel]
                    log.record(name, te[sel], ev.prosumer_index[e], "ev", e, power_kw=0.0,
                               soc_percent=ev.soc[e] * 100,
                               **({"required_soc_percent": ev.target_soc[e] * 100}
                                  if code == kernels.EV_TARGET else {}))
            self._meter_changes(change_t[:n_stop], change_home[:n_stop], change_kw[:n_stop])
            departing = kind == kernels.EV_DEPART
            if np.any(departing):
                d = idx[departing]
                td = te[departing]
                short = shortfall[departing]
                log.record("ev_departure", td, ev.prosumer_index[d], "ev", d, power_kw=0.0,
                           energy_kwh=short, soc_percent=ev.soc[d] * 100,
                           required_soc_percent=ev.target_soc[d] * 100, shortfall_kwh=short,
                           detail=self._cause_detail(ev.plugin_cause[d]))
                self._meter_changes(change_t[n_stop:n_change], change_home[n_stop:n_change],
                                    change_kw[n_stop:n_change])
                arr, dep, soc, tgt = self.inp.sessions.next_after_departure(d, ev.soc[d])
                ev.arrival_h[d] = arr
                ev.departure_h[d] = dep
                ev.next_arrival_soc[d] = soc
                ev.target_soc[d] = tgt
            arriving = kind == kernels.EV_ARRIVE
            if np.any(arriving):
                self._plug_in(idx[arriving], te[arriving])
            self._set_ev_next(idx, self._ev_next(idx))
        self._merge_queue()
        if self.active >= 0:
            # during an event delivery accrues continuously: keep every EV current
            moving = np.flatnonzero((ev.power_kw != 0.0) | (self.ev_delta_kw != 0.0))
            self._ev_integrate(moving, t1)
            ev.t_last_h[:] = t1

    def _plug_in(self, a, ta) -> None:
        """EVs `a`, just arrived at their times `ta`, plug in: admission (the site
        limit's reservations, `guard.admit`), their first setpoint (the policy's, or
        none yet in a coupled run: it is decided with the fleet, `advance_to`), the
        guard floor, and the ``ev_arrival`` / ``ev_plugged_in`` rows."""
        ev, log = self.ev, self.log
        limited = np.isfinite(self.inp.site_limit_kw)
        if limited:
            self._shrink_reservations(float(ta.max()))
            reserved = float(ev.reservation_kw[ev.plugged].sum())
            need_a = ev.needed_kwh_at(a)
            cause, rho = guard.admit(need_a, ev.departure_h[a] - ta, ev.max_charge_kw[a],
                                     ev.charge_efficiency[a], self.inp.site_limit_kw, reserved,
                                     ev.v2g_max_kw[a])
            ev.plugin_cause[a] = cause
            ev.reservation_kw[a] = rho
            with np.errstate(divide="ignore", invalid="ignore"):
                m_a = np.where(need_a > 0, need_a / (ev.charge_efficiency[a]
                                                     * (ev.departure_h[a] - ta)), 0.0)
            ev.reservation_v2g_kw[a] = np.maximum(0.0, rho - m_a)
        static = getattr(self.inp.ev_policy, "static", False)
        decided_later = self._coupled() and (self.active >= 0 or not static)
        if decided_later:
            p_in = np.zeros(len(a))
            self.dirty = True
        else:
            # a static policy's setpoints do not depend on the signals
            p_in = np.asarray(self.inp.ev_policy.plug_in_setpoints(
                ev, a, None if static else self._signals(ta.min())), dtype=float)
        n = len(a)
        p, soc_pct, target_pct = np.empty(n), np.empty(n), np.empty(n)
        change_t, change_kw, change_home = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
        n_change = kernels.ev_plug_in(
            a, np.ascontiguousarray(ta, dtype=float), np.broadcast_to(p_in, (n,)).astype(float),
            not limited, self._guarded() and not decided_later, self.inp.interval_h,
            tol.BOUNDARY_TOL, guard.MET_TOL_KWH, ev.soc, ev.target_soc, ev.capacity_kwh,
            ev.departure_h, ev.max_charge_kw, ev.charge_efficiency, ev.plugin_cause,
            ev.reservation_kw, ev.reservation_v2g_kw, ev.power_kw, ev.setpoint_kw,
            ev.prosumer_index, p, soc_pct, target_pct, change_t, change_home, change_kw)
        homes = ev.prosumer_index[a]
        log.record("ev_arrival", ta, homes, "ev", a, soc_percent=soc_pct,
                   required_soc_percent=target_pct)
        self._meter_changes(change_t[:n_change], change_home[:n_change], change_kw[:n_change])
        log.record("ev_plugged_in", ta, homes, "ev", a, power_kw=p, soc_percent=soc_pct,
                   required_soc_percent=target_pct,
                   detail=self._cause_detail(ev.plugin_cause[a]))

    def _shrink_reservations(self, t_h: float) -> None:
        """Before EVs are admitted at `t_h`, each guaranteed EV's reservation shrinks to
        what it still needs: its minimum rate now (plus its V2G part), never more than
        before (docs/semantics.md)."""
        ev = self.ev
        g = np.flatnonzero(ev.plugged & ev.guaranteed & (ev.reservation_kw > 0))
        if not g.size:
            return
        behind = g[ev.t_last_h[g] < t_h]
        if behind.size:
            self._ev_integrate(behind, t_h)
        need = ev.needed_kwh_at(g)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.where(need > 0, need / (ev.charge_efficiency[g] * (ev.departure_h[g] - t_h)),
                         0.0)
        ev.reservation_kw[g] = np.minimum(ev.reservation_kw[g],
                                          np.nan_to_num(m, posinf=np.inf)
                                          + ev.reservation_v2g_kw[g])

    def _cause_detail(self, cause):
        """Detail codes of plug-in causes (`desim.sim.guard.CAUSE_NAMES`)."""
        codes = self._cause_codes
        if codes is None:
            codes = self._cause_codes = np.array([self.log.detail_code(n)
                                                  for n in guard.CAUSE_NAMES])
        return codes[np.asarray(cause, dtype=np.int64)]

    def _coupled(self) -> bool:
        """Whether every EV event is a decision instant: under a site limit
        (docs/semantics.md)."""
        return bool(np.isfinite(self.inp.site_limit_kw))

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
        the few that reach a limit inside the step are redone by `kernels.battery_edges`
        and logged at the exact time they got there."""
        b = self.bess
        dt = t1 - self.t_h
        if b.n == 0 or dt <= 0:
            return
        e, g = self._bess_factors(dt)
        dispatching = self.active >= 0
        delta_kw = self.bess_delta_kw if dispatching else self._empty
        n_edge, delivered = kernels.battery_step(
            b.soc, b.power_kw, b.capacity_kwh, b.charge_efficiency, b.discharge_efficiency, e, g,
            b.min_soc, b.max_soc, dt,
            b.energy_step_kwh, self.bess_in_kwh, self.bess_out_kwh, delta_kw,
            self.bess_delta_kwh, self._edge)
        self.delivered_step_kwh += delivered
        if not n_edge:
            return
        # the few at a limit: redone by hold_power; those that reach it in the step
        # (or exactly at its end) stop and are logged at the time they got there
        delivered, n_hit = kernels.battery_edges(
            self._edge[:n_edge], b.soc, b.power_kw, b.capacity_kwh, b.min_soc, b.max_soc,
            b.charge_efficiency, b.discharge_efficiency, b.self_discharge_per_h, dt,
            b.energy_step_kwh, self.bess_in_kwh, self.bess_out_kwh, delta_kw,
            self.bess_delta_kwh, self._active, self._full)
        self.delivered_step_kwh += delivered
        if n_hit:
            h = self._edge[:n_hit]
            t_hit = self.t_h + self._active[:n_hit]
            full = self._full[:n_hit] == 1
            for kind, rows, soc in (("bess_full", full, b.max_soc),
                                    ("bess_empty", ~full, b.min_soc)):
                i = h[rows]
                if i.size:
                    self.log.record(kind, t_hit[rows], b.prosumer_index[i], "bess", i,
                                    power_kw=0.0, soc_percent=soc[i] * 100)
            if delta_kw.size == 0:
                self.bess_delta_kw[h] = 0.0


# -- processes ------------------------------------------------------------------------------
