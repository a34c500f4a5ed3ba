"""Profile intervals: switching solar, load and price, and the per-home meter
accounting at the data interval's resolution (a part of `desim.sim.engine.Engine`)."""

from __future__ import annotations

import numpy as np

from desim.sim import kernels

__all__ = ["IntervalAccounting"]


class IntervalAccounting:
    """Profile updates and interval accounting of `desim.sim.engine.Engine` (a mixin)."""

    def _init_profiles(self) -> None:
        """Per-run constants of the profile updates and the interval accounting."""
        inp, fleet = self.inp, self.fleet
        scale = fleet.pv_capacity_kw * (fleet.pv_system_efficiency if inp.pv_derate else 1.0)
        pv_bucket = np.asarray(inp.pv_bucket, dtype=np.int64)
        self._pv_scale = np.asarray(scale, dtype=float)
        self._pv_bucket = pv_bucket
        self._pv_home = np.asarray(fleet.pv_prosumer_index, dtype=np.int64)
        steps = inp.n_steps
        dt = inp.interval_h
        if fleet.n_pv and steps:
            per_bucket = np.bincount(pv_bucket, self._pv_scale,
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

    def _next_load_block(self, k: int) -> None:
        inp = self.inp
        n_block = min(int(round(24 / inp.interval_h)), inp.n_steps - k)
        block = inp.load.block(k, n_block)
        self._load_block = block
        self._load_block_start = k

    def open_interval(self, k: int) -> None:
        """Switch solar, load and price to interval `k`; log a price change."""
        inp = self.inp
        self.step = k
        # thermostat switches at the boundary itself (the start, a heat pump's mode)
        self.thermal.advance(self.t_h, k)
        self.water_heaters.advance(self.t_h, k)
        if inp.n_steps and (self._load_block is None or
                            k >= self._load_block_start + len(self._load_block)):
            self._next_load_block(k)
        self.load_kw = self._load_block[k - self._load_block_start]
        unit = inp.pv_kw_per_kwp
        kernels.home_pv_and_net(np.ascontiguousarray(unit[:, k], dtype=float) if unit.size
                                else self._empty,
                                self._pv_bucket, self._pv_scale, self._pv_home, self.load_kw,
                                self.pv_kw, self.home_net_kw)
        # EV energy of the interval if nothing changes (see the EV meter)
        np.multiply(self._meter_kw, inp.interval_h, out=self._ev_interval_kwh)
        price = float(inp.price_usd_per_kwh[k])
        if k == 0 or price != self.price:
            self.log.record("price_update", self.t_h, asset_type="market",
                            price_usd_per_mwh=price * 1000.0)
        self.price = price
        self.dirty = True

    def close_interval(self, k: int) -> None:
        """Account interval `k`: per-home energies, import/export at meter resolution.

        Import and export are netted per home over the interval (a meter with the
        data interval's resolution); ``import - export`` is the net, so only the
        net and the import are accumulated.
        """
        inp = self.inp
        dt = inp.interval_h
        self._meter_due((k + 1) * dt)
        price = float(inp.price_usd_per_kwh[k])
        hvac_kwh = self.thermal.interval_kwh
        wh_kwh = self.water_heaters.interval_kwh
        load_sum, net_sum, imp_sum, ev_sum, bess_sum, hvac_sum, wh_sum = \
            kernels.account_interval(
                self.load_kw, self.home_net_kw, self._ev_interval_kwh, self.bess.prosumer_index,
                self.bess.energy_step_kwh, dt, price, self._acc, self._scratch, hvac_kwh, wh_kwh)
        if self.thermal.n:
            hvac_kwh[:] = 0.0
        if self.water_heaters.n:
            wh_kwh[:] = 0.0
        s = self.series
        s["load_kw"][k] = load_sum
        s["hvac_kw"][k] = hvac_sum / dt
        s["water_heater_kw"][k] = wh_sum / dt
        s["ev_kw"][k] = ev_sum / dt
        s["bess_kw"][k] = bess_sum / dt
        s["import_kw"][k] = imp_sum / dt
        s["export_kw"][k] = (imp_sum - net_sum) / dt
        s["delivered_kw"][k] = self.delivered_step_kwh / dt
        self.delivered_step_kwh = 0.0
        self._snapshot(k + 1)
        self.log.record("interval", self.t_h, asset_type="fleet", power_kw=net_sum / dt,
                        energy_kwh=net_sum, price_usd_per_mwh=price * 1000)

    def _pv_totals_kwh(self) -> np.ndarray:
        """PV energy per home over the run (kWh)."""
        inp, fleet = self.inp, self.fleet
        if not fleet.n_pv or not inp.n_steps:
            return np.zeros(fleet.n_prosumers)
        unit_kwh = np.asarray(inp.pv_kw_per_kwp, dtype=float)[:, :inp.n_steps].sum(axis=1)
        per_pv = unit_kwh[self._pv_bucket] * self._pv_scale * inp.interval_h
        return np.bincount(fleet.pv_prosumer_index, per_pv, minlength=fleet.n_prosumers)
