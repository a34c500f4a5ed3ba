"""The aggregator inside a run: dispatch events, who takes part, the offer and award
rows, thermostat moves, and settlement (the allocation itself is part of a
decision, `desim.sim.boundary`; the rules are in `desim.sim.dispatch`)."""

from __future__ import annotations

import numpy as np

from desim.errors import ScenarioError, warn
from desim.sim import decisionkernels as dk
from desim.sim import dispatch as dsp
from desim.sim import settlement as stl
from desim.sim import tolerances as tol

__all__ = ["Aggregator"]

SETTLEMENT_COLUMNS = [
    "event_id", "start_h", "end_h", "direction", "target_kw", "price_per_mwh",
    "target_kwh", "baseline", "like_days", "settled_kwh", "delivered_vs_counterfactual_kwh",
    "baseline_error_kwh", "rebound_kwh", "shortfall_kwh", "n_participants",
    "payments_usd", "aggregator_revenue_usd", "aggregator_profit_usd"]


class Aggregator:
    """Dispatch events of a run and their settlement.

    Parameters
    ----------
    inp : desim.sim.engine.SimInputs
        The run (events, allocation, baseline, prosumer share, dispatch seed).
    log : desim.sim.log.EventLog
    thermal : desim.sim.thermal.ThermalFleet
        Whose setpoints accepting homes move for an event.
    """

    def __init__(self, inp, log, thermal):
        n = inp.fleet.n_prosumers
        self.inp = inp
        self.events = inp.events
        self.log = log
        self.thermal = thermal
        self.active = -1                                 # the event in force (-1: none)
        self.accepted = np.zeros(n, dtype=bool)          # homes taking part in it
        self.award_ids = np.full(n, -1, dtype=np.int64)  # each home's award row
        self.row_id = -1                                 # the event's dispatch_start row
        self._award_home = np.zeros(n)                   # award per home, last allocation
        self._first_allocation = False                   # the next allocation opens an event
        self._announced = None                           # (event, accepted) at announcement
        self._rng = np.random.default_rng(inp.dispatch_seed)
        self.ended: list[tuple] = []                     # (event, estimate, accepted, row)
        self.settlement_rows: list[dict] = []
        self.windows = stl.event_windows(self.events.start_h, self.events.end_h,
                                         inp.interval_h, inp.n_steps, inp.rebound_h)
        if inp.baseline == "caiso_10in10":
            self._like_days = [stl.program_days(inp.start, w, inp.interval_h)
                               for w in self.windows]
            # an event that cannot be settled fails here, not after the run (the
            # counterfactual run, which settles nothing, neither fails nor warns)
            if inp.dispatch_enabled:
                errors, short = stl.like_day_problems(self._like_days, self.events.event_id)
                if errors:
                    raise ScenarioError(errors[0])
                for message in short:
                    warn(message)
        else:
            self._like_days = [[] for _ in self.windows]
        self.snapshot_at = stl.snapshot_indices(self.windows, self._like_days)

    @property
    def direction(self) -> int:
        return int(self.events.direction[self.active]) if self.active >= 0 else 0

    # -- an event's course ------------------------------------------------------------
    def announce(self, k: int, t_h: float) -> None:
        """Event `k` is announced ``precool_h`` before its start: homes decide, and the
        thermal units of those that accept a discharge event pre-cool (or pre-heat):
        their setpoints move by the home's comfort offset towards more consumption
        until the event starts (docs/thermal.md)."""
        self._announced = (k, self._decide(k))
        if int(self.events.direction[k]) > 0:       # absorb: nothing to prepare
            return
        units = self._thermal_participants(self._announced[1])
        th = self.thermal
        away = np.where(th.mode[units] < 0, -1.0, 1.0)  # towards more consumption
        th.move_setpoints(units, away * th.table.comfort_offset_c[units], np.inf, t_h,
                          -1, f"precool: {self.events.event_id[k]}")

    def start(self, k: int, t_h: float) -> None:
        """Open event `k` at `t_h`: log it, decide participants, move their thermostats."""
        ev_ = self.events
        self.active = k
        self.row_id = int(self.log.record(
            "dispatch_start", t_h, asset_type="market", power_kw=ev_.target_kw[k],
            price_usd_per_mwh=ev_.price_per_mwh[k], detail=str(ev_.event_id[k]))[0])
        self.accepted = self._decide(k)
        self._first_allocation = True
        self._thermal_setback(k, t_h)

    def end(self, k: int, t_h: float, estimate_kwh) -> None:
        """Close event `k` at `t_h`; `estimate_kwh` (per home, against the setpoint
        baselines) goes with it to settlement."""
        self.log.record("dispatch_end", t_h, asset_type="market",
                        power_kw=self.events.target_kw[k], cause_id=self.row_id,
                        detail=str(self.events.event_id[k]))
        self.ended.append((k, estimate_kwh, self.accepted.copy(), self.row_id))
        self.active = -1
        self.accepted[:] = False
        th = self.thermal
        th.restore_setpoints(np.flatnonzero(th.offset_c != 0.0), t_h, "setpoint", "event_end")

    def _decide(self, k: int) -> np.ndarray:
        """Which homes take part in event `k` (drawn once, at its announcement)."""
        if self._announced is not None and self._announced[0] == k:
            accepted = self._announced[1]
            self._announced = None
            return accepted
        uniform = self._rng.random(self.inp.fleet.n_prosumers)
        return dsp.decide(self.inp.fleet, self.events.price_per_mwh[k], uniform)

    def _thermal_participants(self, accepted) -> np.ndarray:
        th = self.thermal
        if not th.n:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(accepted[th.home] & (th.table.comfort_offset_c > 0))

    def _thermal_setback(self, k: int, t_h: float) -> None:
        """Move the setpoints of the accepting homes' units for event `k`: away from
        consumption for a discharge event, towards it for an absorb event, by the
        home's comfort offset, for at most its ``comfort_max_h`` (the comfort guard)."""
        th = self.thermal
        units = self._thermal_participants(self.accepted)
        if not units.size:
            return
        ev_ = self.events
        direction = int(ev_.direction[k])
        sign = np.where(th.mode[units] < 0, 1.0, -1.0) * (1.0 if direction < 0 else -1.0)
        until = t_h + th.table.comfort_max_h[units]
        until = np.where(until < ev_.end_h[k], until, np.inf)
        th.move_setpoints(units, sign * th.table.comfort_offset_c[units], until, t_h,
                          self.row_id, "setback" if direction < 0 else "preload")

    def record_awards(self, t_h: float, offer_kw, award_kw) -> None:
        """Log a decision's offers and awards per home: all of them when the event
        opens; afterwards the homes that join (an EV arrived, headroom appeared) or drop
        out (an EV left, a battery reached its floor) on re-allocation."""
        k = self.active
        price = self.events.price_per_mwh[k]
        fleet = self.inp.fleet
        if self._first_allocation:
            self._first_allocation = False
            homes = np.flatnonzero(offer_kw > 0)
            self.log.record("offer", t_h, homes, "home", power_kw=offer_kw[homes],
                            price_usd_per_mwh=fleet.min_compensation_per_kwh[homes] * 1000.0,
                            cause_id=self.row_id)
            won = np.flatnonzero(award_kw > 0)
            ids = self.log.record("award", t_h, won, "home", power_kw=award_kw[won],
                                  price_usd_per_mwh=price, cause_id=self.row_id)
            self.award_ids[:] = -1
            self.award_ids[won] = ids
        else:
            joined, left = np.empty(len(award_kw), np.int64), np.empty(len(award_kw), np.int64)
            n_j, n_l = dk.award_moves(award_kw, self._award_home, joined, left)
            joined, left = joined[:n_j], left[:n_l]
            ids = self.log.record("award", t_h, joined, "home", power_kw=award_kw[joined],
                                  price_usd_per_mwh=price, cause_id=self.row_id,
                                  detail="re-allocated")
            self.award_ids[joined] = ids
            self.log.record("award", t_h, left, "home", power_kw=0.0, price_usd_per_mwh=price,
                            cause_id=self.row_id, detail="dropped out")
        self._award_home = award_kw

    # -- settlement --------------------------------------------------------------------
    def settle(self, k: int, t_h: float, estimate_kwh, accepted, cause_id: int,
               snapshots, tot) -> None:
        """Pay event `k`'s accepting homes for what they delivered against the
        baseline (docs/semantics.md, Settlement) from the meter's `snapshots`; log one
        settlement row each and add to the per-home totals `tot`."""
        inp = self.inp
        events = self.events
        w = self.windows[k]
        direction = int(events.direction[k])
        cf = inp.baseline_net_kwh
        truth = stl.counterfactual_kwh(snapshots, cf, w, direction) if cf is not None else None
        like_days = float("nan")       # a baseline that averages no like days
        if inp.baseline == "caiso_10in10":
            delivered, _ = stl.caiso_10in10_kwh(snapshots, w, self._like_days[k], direction)
            name = "caiso_10in10"
            like_days = len(self._like_days[k])
        elif truth is not None:
            delivered, name = truth, "counterfactual"
        else:
            delivered, name = estimate_kwh, "setpoint"
        settled = np.where(accepted & (delivered > tol.SETTLE_MIN_KWH), delivered, 0.0)
        price_kwh = events.price_per_mwh[k] / 1000.0
        target_kwh = events.target_kw[k] * (events.end_h[k] - events.start_h[k])
        paid = settled * price_kwh * inp.prosumer_share
        homes = np.flatnonzero(settled > 0)
        self.log.record("settlement", t_h, homes, "home", energy_kwh=settled[homes],
                        price_usd_per_mwh=events.price_per_mwh[k], cause_id=cause_id,
                        detail=str(events.event_id[k]))
        tot["settled_kwh"] += settled
        tot["payment_usd"] += paid
        settled_total = float(settled.sum())
        true_total = float(truth.sum()) if truth is not None else float("nan")
        credited = min(settled_total, target_kwh)
        self.settlement_rows.append({
            "event_id": str(events.event_id[k]), "start_h": float(events.start_h[k]),
            "end_h": float(events.end_h[k]), "direction": direction,
            "target_kw": float(events.target_kw[k]),
            "price_per_mwh": float(events.price_per_mwh[k]), "target_kwh": target_kwh,
            "baseline": name, "like_days": like_days, "settled_kwh": settled_total,
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

    def finish_settlements(self, snapshots) -> None:
        """Rebound after each settled event, once the run has passed it."""
        cf = self.inp.baseline_net_kwh
        for row, w in zip(self.settlement_rows, self.windows, strict=False):
            if cf is not None and w.rebound_end in snapshots:
                rebound = stl.rebound_kwh(snapshots, cf, w, int(row["direction"]))
                row["rebound_kwh"] = float(rebound.sum())
