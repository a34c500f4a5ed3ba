"""Dispatch events inside a run: offers, awards, re-allocation and settlement (a part
of `desim.sim.engine.Engine`; the allocation rules are in `desim.sim.dispatch`)."""

from __future__ import annotations

import numpy as np

from desim.sim import dispatch as dsp
from desim.sim import guard
from desim.sim import settlement as stl
from desim.sim import tolerances as tol

__all__ = ["Market"]


class Market:
    """Dispatch handling of `desim.sim.engine.Engine` (a mixin)."""

    def start_dispatch(self, k: int) -> None:
        """Open dispatch event `k`: log it, decide participants, collect offers."""
        ev_ = self.inp.events
        t = self.t_h
        self._sync_evs(t)   # delivery accrues from here on
        self.active = k
        self.dispatch_row_id = int(self.log.record(
            "dispatch_start", t, asset_type="market", power_kw=ev_.target_kw[k],
            price_usd_per_mwh=ev_.price_per_mwh[k], detail=str(ev_.event_id[k]))[0])
        self.accepted = self._decide(k)
        self.ev_delta_kwh[:] = 0.0
        self.bess_delta_kwh[:] = 0.0
        self.ev_shadow_soc = self.ev.soc.copy()
        self._shadow_base_kw = np.zeros(self.ev.n)
        self._shadow_plugged = self.ev.plugged.copy()
        self._shadow_t_h = t
        self._first_allocation = True
        self._thermal_setback(k)
        self.dirty = True

    def _decide(self, k: int) -> np.ndarray:
        """Which homes take part in event `k` (drawn once, at its announcement)."""
        if self._announced is not None and self._announced[0] == k:
            accepted = self._announced[1]
            self._announced = None
            return accepted
        uniform = self.dispatch_rng.random(self.fleet.n_prosumers)
        return dsp.decide(self.fleet, self.inp.events.price_per_mwh[k], uniform)

    def announce_dispatch(self, k: int) -> None:
        """Event `k` is announced ``precool_h`` before its start: homes decide, and the
        thermal units of those that accept a discharge event pre-cool (or pre-heat):
        their setpoints move by the home's comfort offset towards more consumption
        until the event starts (docs/thermal.md)."""
        self._announced = (k, self._decide(k))
        if int(self.inp.events.direction[k]) > 0:       # absorb: nothing to prepare
            return
        units = self._thermal_participants(self._announced[1])
        th = self.thermal
        away = np.where(th.mode[units] < 0, -1.0, 1.0)  # towards more consumption
        th.move_setpoints(units, away * th.table.comfort_offset_c[units], np.inf, self.t_h,
                          -1, f"precool: {self.inp.events.event_id[k]}")

    def _thermal_participants(self, accepted) -> np.ndarray:
        th = self.thermal
        if not th.n:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(accepted[th.home] & (th.table.comfort_offset_c > 0))

    def _thermal_setback(self, k: int) -> None:
        """Move the setpoints of the accepting homes' units for event `k`: away from
        consumption for a discharge event, towards it for an absorb event, by the
        home's comfort offset, for at most its ``comfort_max_h`` (the comfort guard)."""
        th = self.thermal
        units = self._thermal_participants(self.accepted)
        if not units.size:
            return
        ev_ = self.inp.events
        direction = int(ev_.direction[k])
        sign = np.where(th.mode[units] < 0, 1.0, -1.0) * (1.0 if direction < 0 else -1.0)
        until = self.t_h + th.table.comfort_max_h[units]
        until = np.where(until < ev_.end_h[k], until, np.inf)
        th.move_setpoints(units, sign * th.table.comfort_offset_c[units], until, self.t_h,
                          self.dispatch_row_id, "setback" if direction < 0 else "preload")

    def _allocate(self, base_b, base_ev) -> None:
        """Offers and awards for the rest of the active event. Re-run at every boundary
        inside the event, so a participant that drops out (an EV leaves, a battery
        reaches its floor) has its share re-allocated among the others."""
        k = self.active
        events = self.inp.events
        window_h = max(events.end_h[k] - self.t_h, tol.MIN_WINDOW_H)
        direction = int(events.direction[k])
        fleet, n = self.fleet, self.fleet.n_prosumers
        ev = self.ev
        offer_ev = dsp.ev_offers_kw(ev, fleet, base_ev, self.t_h, window_h, direction,
                                    self._guarded(),
                                    guard.recharge_kw(ev.max_charge_kw, ev.reservation_kw,
                                                      self.inp.site_limit_kw))
        limit = self.inp.site_limit_kw
        if direction > 0 and np.isfinite(limit) and self._honours_limit():
            # absorb: no more than the headroom the site limit leaves
            room = max(0.0, limit - float(base_ev.sum()))
            total = float(offer_ev.sum())
            if total > room:
                offer_ev = offer_ev * (room / total)
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
        estimate = (np.bincount(self.ev.prosumer_index, self.ev_delta_kwh, minlength=n)
                    + np.bincount(self.bess.prosumer_index, self.bess_delta_kwh, minlength=n))
        self.ended_events.append((k, estimate, self.accepted.copy(), self.dispatch_row_id))
        self.active = -1
        self.ev_award_kw[:] = 0.0
        self.bess_award_kw[:] = 0.0
        self.ev_delta_kw[:] = 0.0
        self.bess_delta_kw[:] = 0.0
        self.accepted[:] = False
        th = self.thermal
        th.restore_setpoints(np.flatnonzero(th.offset_c != 0.0), self.t_h, "setpoint",
                             "event_end")
        self.dirty = True

    def _init_settlement(self) -> None:
        """Meter boundaries the settlement reads (`desim.sim.settlement`)."""
        inp = self.inp
        ev_ = inp.events
        self._windows = stl.event_windows(ev_.start_h, ev_.end_h, inp.interval_h, inp.n_steps,
                                          inp.rebound_h)
        if inp.baseline == "caiso_10in10":
            self._like_days = [stl.program_days(inp.start, w, inp.interval_h)
                               for w in self._windows]
        else:
            self._like_days = [[] for _ in self._windows]
        self._snap_at = stl.snapshot_indices(self._windows, self._like_days)
        self.net_snapshots = {0: np.zeros(self.fleet.n_prosumers)}
        self._boundary_events: dict = {}

    def _snapshot(self, b: int) -> None:
        """Keep each home's cumulative net import at meter boundary `b` if it is read."""
        if b in self._snap_at:
            self.net_snapshots[b] = self._acc[3] - self._acc[4]
        ev = self._boundary_events.pop(b, None)
        if ev is not None:
            ev.succeed()

    def boundary_closed(self, env, b: int):
        """A SimPy event that fires once meter boundary `b` is accounted."""
        if b in self.net_snapshots or b <= self.step:
            return env.timeout(0)
        ev = self._boundary_events.get(b)
        if ev is None:
            ev = self._boundary_events[b] = env.event()
        return ev

    def settle(self, k: int, estimate_kwh, accepted, cause_id: int) -> None:
        """Pay event `k`'s accepting homes for what they delivered against the
        baseline (docs/semantics.md, Settlement); log one settlement row each."""
        inp = self.inp
        events = inp.events
        w = self._windows[k]
        direction = int(events.direction[k])
        cf = inp.baseline_net_kwh
        truth = stl.counterfactual_kwh(self.net_snapshots, cf, w, direction) \
            if cf is not None else None
        if inp.baseline == "caiso_10in10":
            delivered, _ = stl.caiso_10in10_kwh(self.net_snapshots, w, self._like_days[k],
                                                direction)
            name = "caiso_10in10"
        elif truth is not None:
            delivered, name = truth, "counterfactual"
        else:
            delivered, name = estimate_kwh, "setpoint"
        settled = np.where(accepted, np.maximum(delivered, 0.0), 0.0)
        price_kwh = events.price_per_mwh[k] / 1000.0
        target_kwh = events.target_kw[k] * (events.end_h[k] - events.start_h[k])
        paid = settled * price_kwh * inp.prosumer_share
        homes = np.flatnonzero(settled > 0)
        self.log.record("settlement", self.t_h, homes, "home", energy_kwh=settled[homes],
                        price_usd_per_mwh=events.price_per_mwh[k], cause_id=cause_id,
                        detail=str(events.event_id[k]))
        self.tot["settled_kwh"] += settled
        self.tot["payment_usd"] += paid
        settled_total = float(settled.sum())
        true_total = float(truth.sum()) if truth is not None else float("nan")
        credited = min(settled_total, target_kwh)
        self.settlement_rows.append({
            "event_id": str(events.event_id[k]), "start_h": float(events.start_h[k]),
            "end_h": float(events.end_h[k]), "direction": direction,
            "target_kw": float(events.target_kw[k]),
            "price_per_mwh": float(events.price_per_mwh[k]), "target_kwh": target_kwh,
            "baseline": name, "settled_kwh": settled_total,
            "delivered_vs_counterfactual_kwh": true_total,
            "baseline_error_kwh": settled_total - true_total,
            "rebound_kwh": float("nan"),     # filled at the end of the run
            "shortfall_kwh": max(0.0, target_kwh - (true_total if truth is not None
                                                    else settled_total)),
            "n_participants": int((settled > 0).sum()),
            "payments_usd": float(paid.sum()),
            "aggregator_revenue_usd": credited * price_kwh,
            "aggregator_profit_usd": credited * price_kwh - float(paid.sum()),
        })

    def finish_settlements(self) -> None:
        """Rebound after each settled event, once the run has passed it."""
        cf = self.inp.baseline_net_kwh
        for row, w in zip(self.settlement_rows, self._windows, strict=False):
            if cf is not None and w.rebound_end in self.net_snapshots:
                rebound = stl.rebound_kwh(self.net_snapshots, cf, w, int(row["direction"]))
                row["rebound_kwh"] = float(rebound.sum())
