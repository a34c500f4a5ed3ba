"""The meter: each home's solar, load and net load over the data interval, the EV
energy of the interval, and the per-home accounting when the interval closes.

The EV meter holds, per home, the EV power at the start of the current interval
(`power_kw`) and the EV energy of the interval so far (`ev_interval_kwh`). A power
change ``dp`` at ``t`` adds ``dp * (interval end - t)`` to the energy of the
interval holding ``t`` and ``dp`` to the power of every later one: exact for
piecewise constant power, with no pass over the EVs at each boundary. Changes at
later intervals (EVs handled ahead) wait in a time-sorted queue until their
interval closes. Import and export are netted per home over the interval (a meter
with the data interval's resolution).
"""

from __future__ import annotations

import numpy as np

from desim.sim import kernels
from desim.sim.loadblocks import LoadBlocks

__all__ = ["Meter"]

SERIES = ("load_kw", "pv_kw", "ev_kw", "bess_kw", "hvac_kw", "water_heater_kw", "import_kw",
          "export_kw", "price_usd_per_kwh", "target_kw", "delivered_kw")


class Meter:
    """Profiles in force, the EV meter, per-home running sums and fleet series.

    Parameters
    ----------
    inp : desim.sim.engine.SimInputs
        The run (profiles, prices, interval length, events for the target series).
    log : desim.sim.log.EventLog
        Where ``price_update`` and ``interval`` rows go.
    snapshot_at : set of int
        Meter boundaries whose cumulative net import per home is kept (settlement).
    """

    def __init__(self, inp, log, snapshot_at):
        fleet = inp.fleet
        n = fleet.n_prosumers
        self.inp = inp
        self.log = log
        self.interval_h = float(inp.interval_h)
        self.step = -1                         # the interval in force
        self.price = 0.0                       # its price (USD/kWh)
        self.load_kw = np.zeros(n, dtype=np.float32)
        self.pv_kw = np.zeros(n)               # PV per home (kW; zero without PV)
        self.home_net_kw = np.zeros(n)         # load less PV per home (kW)
        self.ev_interval_kwh = np.zeros(n)     # EV energy of the interval per home
        self.power_kw = np.zeros(n)            # EV power per home at the interval's start
        self._queue: list[list] = []           # changes of later intervals, time-sorted
        self._loads = LoadBlocks(inp.load, n, inp.n_steps, self.interval_h)
        self.series = {k: np.zeros(inp.n_steps) for k in SERIES}
        # per-home running sums, one contiguous row per quantity (kernels.account_interval)
        self.acc = np.zeros((len(kernels.ACCOUNT_COLUMNS), n))
        self.tot = {k: np.zeros(n) for k in ("pv_kwh", "settled_kwh", "payment_usd")}
        self.tot.update({k: self.acc[j] for j, k in enumerate(kernels.ACCOUNT_COLUMNS)})
        self._scratch = np.zeros(n)     # all zero between account_interval calls
        self._empty = np.zeros(0)
        self._snapshot_at = snapshot_at
        self.net_snapshots = {0: np.zeros(n)}  # cumulative net import per home, by boundary
        self._boundary_events: dict = {}
        scale = fleet.pv_capacity_kw * (fleet.pv_system_efficiency if inp.pv_derate else 1.0)
        self._pv_scale = np.asarray(scale, dtype=float)
        self._pv_bucket = np.asarray(inp.pv_bucket, dtype=np.int64)
        self._pv_home = np.asarray(fleet.pv_prosumer_index, dtype=np.int64)
        self._fill_known_series()

    def _fill_known_series(self) -> None:
        """The fleet series known before the run: PV, price, dispatch target."""
        inp, fleet = self.inp, self.inp.fleet
        steps, dt = inp.n_steps, self.interval_h
        if fleet.n_pv and steps:
            per_bucket = np.bincount(self._pv_bucket, self._pv_scale,
                                     minlength=inp.pv_kw_per_kwp.shape[0])
            self.series["pv_kw"][:] = per_bucket @ np.asarray(inp.pv_kw_per_kwp,
                                                              dtype=float)[:, :steps]
        self.series["price_usd_per_kwh"][:] = inp.price_usd_per_kwh[:steps]
        ev_ = inp.events
        if len(ev_) and inp.dispatch_enabled and steps:
            t0 = np.arange(steps) * dt
            target = self.series["target_kw"]
            for j in range(len(ev_)):
                lo = max(0, int(np.floor(ev_.start_h[j] / dt)))
                hi = min(steps, int(np.ceil(ev_.end_h[j] / dt)) + 1)
                overlap = np.clip(np.minimum(ev_.end_h[j], t0[lo:hi] + dt)
                                  - np.maximum(ev_.start_h[j], t0[lo:hi]), 0.0, None)
                target[lo:hi] += overlap * ev_.target_kw[j] / dt

    @property
    def interval_end_h(self) -> float:
        return (self.step + 1) * self.interval_h

    # -- the EV meter ------------------------------------------------------------------
    def add(self, homes, dp, t_h) -> None:
        """EV power changes `dp` (kW) of `homes` at times `t_h` inside the interval."""
        kernels.meter_add(self.ev_interval_kwh, self.power_kw, homes,
                          np.ascontiguousarray(dp, dtype=float),
                          np.atleast_1d(np.asarray(t_h, dtype=float)), self.interval_end_h)

    def changes(self, t, homes, dp) -> None:
        """EV power changes `dp` (kW) of `homes` at times `t`: now if all are inside the
        current interval, else into the queue (`due`)."""
        if not t.size:
            return
        if t.max() < self.interval_end_h:
            self.add(homes, dp, t)
        else:
            order = np.argsort(t, kind="stable")
            self._queue.append([t[order], homes[order], dp[order], 0])

    def merge_queue(self) -> None:
        """One time-sorted queue item for every queued change (fewer lookups per interval)."""
        if len(self._queue) > 1:
            parts = [(t[pos:], homes[pos:], dp[pos:]) for t, homes, dp, pos in self._queue]
            t = np.concatenate([p[0] for p in parts])
            order = np.argsort(t, kind="stable")
            self._queue = [[t[order], np.concatenate([p[1] for p in parts])[order],
                            np.concatenate([p[2] for p in parts])[order], 0]]

    def _due(self, end_h: float) -> None:
        """Apply queued EV power changes before `end_h` to the interval ending there."""
        if not self._queue:
            return
        keep = []
        for item in self._queue:
            t, homes, dp, pos = item
            j = int(kernels.meter_due(t, homes, dp, pos, end_h, self.ev_interval_kwh,
                                      self.power_kw))
            item[3] = j
            if j < len(t):
                keep.append(item)
        self._queue = keep

    # -- intervals -----------------------------------------------------------------------
    def open_interval(self, k: int, t_h: float) -> None:
        """Switch solar, load and price to interval `k`; log a price change."""
        inp = self.inp
        self.step = k
        self.load_kw = self._loads.row(k)
        unit = inp.pv_kw_per_kwp
        # solar, net load and the EVs' energy of the interval if nothing changes
        kernels.open_homes(np.ascontiguousarray(unit[:, k], dtype=float) if unit.size
                           else self._empty,
                           self._pv_bucket, self._pv_scale, self._pv_home, self.load_kw,
                           self.pv_kw, self.home_net_kw, self.power_kw, self.interval_h,
                           self.ev_interval_kwh)
        price = float(inp.price_usd_per_kwh[k])
        if k == 0 or price != self.price:
            self.log.record("price_update", t_h, asset_type="market",
                            price_usd_per_mwh=price * 1000.0)
        self.price = price

    def close_interval(self, k: int, t_h: float, bess, hvac_kwh, water_heater_kwh,
                       delivered_kwh: float) -> None:
        """Account interval `k` (ending at `t_h`): per-home energies, import and export.

        `bess` is the battery state (its energy of the step), `hvac_kwh` and
        `water_heater_kwh` the thermal units' energies of the interval, each read
        once; `delivered_kwh` the fleet's delivery against the baselines.
        """
        dt = self.interval_h
        self._due((k + 1) * dt)
        price = float(self.inp.price_usd_per_kwh[k])
        load_sum, net_sum, imp_sum, ev_sum, bess_sum, hvac_sum, wh_sum = \
            kernels.account_interval(
                self.load_kw, self.home_net_kw, self.ev_interval_kwh, bess.prosumer_index,
                bess.energy_step_kwh, dt, price, self.acc, self._scratch, hvac_kwh,
                water_heater_kwh)
        s = self.series
        s["load_kw"][k] = load_sum
        s["hvac_kw"][k] = hvac_sum / dt
        s["water_heater_kw"][k] = wh_sum / dt
        s["ev_kw"][k] = ev_sum / dt
        s["bess_kw"][k] = bess_sum / dt
        s["import_kw"][k] = imp_sum / dt
        s["export_kw"][k] = (imp_sum - net_sum) / dt
        s["delivered_kw"][k] = delivered_kwh / dt
        self._snapshot(k + 1)
        self.log.record_row("interval", t_h, "fleet", power_kw=net_sum / dt,
                            energy_kwh=net_sum, price_usd_per_mwh=price * 1000)

    # -- what a walk of quiet intervals reads and leaves (`desim.sim.walk`) ---------------
    def pv_systems(self) -> tuple:
        """Each PV system's profile bucket, scale (kWp x derate) and home."""
        return self._pv_bucket, self._pv_scale, self._pv_home

    def home_scratch(self) -> np.ndarray:
        """The per-home scratch array `kernels.account_interval` uses."""
        return self._scratch

    def load_block(self) -> tuple:
        """The load block holding the interval in force and its first interval."""
        return self._loads.current_block()

    def load_block_end(self, k: int) -> int:
        """The first interval after the load block holding interval `k`."""
        return self._loads.block_end(k)

    def queue_item(self):
        """The EV meter's queued changes as one ``(t, homes, dp, position)`` item (None:
        nothing queued)."""
        self.merge_queue()
        return tuple(self._queue[0]) if self._queue else None

    def queue_done(self, pos: int) -> None:
        """The queued changes before `pos` have been applied."""
        item = self._queue[0]
        item[3] = pos
        if pos >= len(item[0]):
            self._queue = []

    def opened(self, k: int, price: float) -> None:
        """Interval `k` (price `price`) was opened by a walk."""
        self.step = k
        self.price = price
        self.load_kw = self._loads.row(k)

    def boundary_done(self, b: int) -> None:
        """Meter boundary `b` was accounted by a walk."""
        self._snapshot(b)

    def snapshot_boundaries(self) -> list:
        """The meter boundaries settlement reads, in order."""
        return sorted(self._snapshot_at)

    def pending_boundaries(self) -> list:
        """Meter boundaries a process waits for."""
        return list(self._boundary_events)

    # -- boundaries settlement reads -------------------------------------------------------
    def _snapshot(self, b: int) -> None:
        """Keep each home's cumulative net import at meter boundary `b` if it is read."""
        if b in self._snapshot_at:
            self.net_snapshots[b] = self.acc[3] - self.acc[4]
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

    def close(self) -> None:
        """Release what the meter holds beyond its arrays (the load worker thread)."""
        self._loads.close()

    def pv_totals_kwh(self) -> np.ndarray:
        """PV energy per home over the run (kWh)."""
        inp, fleet = self.inp, self.inp.fleet
        if not fleet.n_pv or not inp.n_steps:
            return np.zeros(fleet.n_prosumers)
        unit_kwh = np.asarray(inp.pv_kw_per_kwp, dtype=float)[:, :inp.n_steps].sum(axis=1)
        per_pv = unit_kwh[self._pv_bucket] * self._pv_scale * self.interval_h
        return np.bincount(fleet.pv_prosumer_index, per_pv, minlength=fleet.n_prosumers)
