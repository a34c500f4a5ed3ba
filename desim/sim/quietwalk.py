"""When the engine may walk a stretch of quiet intervals, and the walk itself.

`QuietWalk` says how far a walk may go from a boundary (up to the next instant
anything else happens: another process's wake-up, a log flush, the end of the
EVs' lookahead period or of the load block, a meter boundary settlement reads),
runs the compiled walk over it (`desim.sim.walk.walk`, which says what a quiet
interval is) and records its rows.
"""

from __future__ import annotations

import math

import numpy as np

from desim.sim import walk as kernel
from desim.sim.logformat import RAW_COLUMNS
from desim.sim.policies import SelfConsumption
from desim.sim.walk import MODE_CHANGE, ROW_COLUMNS, SWITCHES_FULL, THERMAL_DONE

__all__ = ["QuietWalk"]

_MIN_WALK = 2          # boundaries: a shorter stretch goes the ordinary way


class QuietWalk:
    """When the engine may walk a stretch of quiet intervals, and the walk itself.

    Parameters
    ----------
    engine : desim.sim.engine.Engine
        The engine whose components the walk advances (it reads their arrays and
        hands the rows to its log).
    """

    def __init__(self, engine):
        self.engine = engine
        inp = engine.inp
        rules = engine.rules
        policy = rules.bess_policy
        # (without EVs any EV policy decides the batteries as the quiet case does)
        self.possible = bool(
            engine.enable_walk and (engine.evs.independent or engine.evs.n == 0)
            and getattr(type(policy), "limited_setpoints", None)
            is SelfConsumption.limited_setpoints)
        self._prices = np.asarray(inp.price_usd_per_kwh, dtype=np.float64)
        unit = np.asarray(inp.pv_kw_per_kwp, dtype=np.float64)
        self._unit = unit if unit.size else np.zeros((0, max(1, inp.n_steps)))
        self._snapshots = engine.meter.snapshot_boundaries()
        self._net = np.zeros(engine.fleet.n_prosumers
                             if engine.thermal.n or engine.water_heaters.n else 0)
        self._no_queue = (np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0))
        self._cap = 0
        self._rows: dict[str, np.ndarray] = {}
        self._kind = self._asset = np.zeros(0, dtype=np.int64)
        if self.possible:
            self._room()

    def _room(self) -> None:
        """Row buffers for a few intervals' rows: every battery stopping, a thermostat
        pass's switches, the fleet's and a price row, heat pumps' mode changes (the walk
        stops before an interval whose rows might not fit, and goes on after they are
        recorded)."""
        e = self.engine
        switches = len(e.thermal.walk_arrays()[16]) if e.thermal.n else 0
        modes = 2 * e.thermal.n if e.thermal.heat_pump.any() else 0
        wh = e.water_heaters
        tanks = len(wh.walk_arrays()[17]) + wh.n if wh.n else 0
        cap = 2 * (e.batteries.n + 2 + switches + modes + tanks) + 256
        if cap > self._cap:
            self._cap = cap
            self._rows = {name: np.empty(cap, dtype=RAW_COLUMNS[name][0])
                          for name in ROW_COLUMNS}
            self._kind = np.empty(cap, dtype=np.int64)
            self._asset = np.empty(cap, dtype=np.int64)

    def end(self, k: int, next_other_h: float) -> int:
        """The last boundary a walk from boundary `k` (interval `k` just opened) may
        reach: before `next_other_h` (another process's next wake-up) and no further
        than the next flush, lookahead period end, load block end or meter boundary
        settlement reads. `k` itself when no walk may start here."""
        e = self.engine
        if not (self.possible and e.dirty and e.aggregator.active < 0 and not e.evs.in_event
                and not e.evs.decided_in_event and e.thermal.walkable()):
            return k
        if e.thermal.heat_pump.any() and len(e.thermal.walk_arrays()[16]) < e.thermal.n:
            # a boundary's mode changes set off at most a switch a unit, taken in one
            # thermostat pass as the boundary takes them: the buffers must hold them all
            return k
        dt = e.inp.interval_h
        k1 = e.inp.n_steps
        if math.isfinite(next_other_h):
            k1 = min(k1, max(k, math.ceil(next_other_h / dt)))
            while k1 > k and k1 * dt >= next_other_h:
                k1 -= 1
        fe = e.flush_every
        k1 = min(k1, (k // fe + 1) * fe)
        if e.evs.n:
            limit = e.evs.horizon(e.t_h, e.t_h)
            k1 = min(k1, math.floor(limit / dt + 1e-9))
        k1 = min(k1, e.meter.load_block_end(k))
        j = np.searchsorted(self._snapshots, k, side="right")
        if j < len(self._snapshots):
            k1 = min(k1, self._snapshots[j])
        pending = [b for b in e.meter.pending_boundaries() if b > k]
        if pending:
            k1 = min(k1, min(pending))
        return k1 if k1 - k >= _MIN_WALK else k

    def _walk(self, k0: int, k1: int, resume: int = 0, thermal_only: bool = False) -> tuple:
        """`walk` calls over intervals ``k0 .. k1 - 1`` (from unit `resume` of interval
        `k0`'s thermostat pass), recording their rows, until they are done (or, with
        `thermal_only`, interval `k0`'s thermostat pass is). Returns ``(queue position,
        price)``, or ``(THERMAL_DONE, unit to resume at)`` with `thermal_only`."""
        e = self.engine
        inp, meter, bf, evs, thermal = e.inp, e.meter, e.batteries, e.evs, e.thermal
        dt = inp.interval_h
        b = bf.state
        ts = np.arange(k0, k1 + 1) * dt
        dts, dt_index = np.unique(np.diff(ts), return_inverse=True)
        factors = [bf.decay(float(d)) for d in dts]
        e_by_dt = np.array([f[0] for f in factors]).reshape(len(dts), b.n)
        g_by_dt = np.array([f[1] for f in factors]).reshape(len(dts), b.n)
        queue = None if thermal_only else meter.queue_item()
        q_t, q_homes, q_dp, q_pos = queue if queue is not None else (*self._no_queue, 0)
        block, block_start = meter.load_block()
        s = meter.series
        price = meter.price
        delivered, evs_delivered = e.delivered_kwh, evs.delivered_kwh
        j = k0
        while j < k1:
            done, n_rows, q_pos, price, status, resume = kernel.walk(
                j, k1, dt, price, delivered, evs_delivered, block, block_start, self._unit,
                *meter.pv_systems(), self._prices, meter.pv_kw,
                meter.home_net_kw, meter.ev_interval_kwh, meter.power_kw, q_t, q_homes, q_dp,
                q_pos, meter.acc, meter.home_scratch(), s["load_kw"], s["hvac_kw"],
                s["water_heater_kw"], s["ev_kw"],
                s["bess_kw"], s["import_kw"], s["export_kw"], s["delivered_kw"], b.soc,
                b.power_kw, b.capacity_kwh, b.charge_efficiency, b.discharge_efficiency,
                e_by_dt, g_by_dt, dt_index[j - k0:], b.min_soc, b.max_soc,
                b.self_discharge_per_h, b.max_charge_kw, b.max_discharge_kw, b.energy_step_kwh,
                bf.in_kwh, bf.out_kwh, bf.delta_kwh, b.prosumer_index, *bf.edge_scratch(),
                self._kind, self._asset, *(self._rows[name] for name in ROW_COLUMNS),
                thermal.walk_arrays(), e.water_heaters.walk_arrays(), resume, self._net,
                thermal_only)
            if done:
                delivered = evs_delivered = 0.0
            if n_rows:
                rows = {name: v[:n_rows] for name, v in self._rows.items()}
                self._mode_change_details(rows["detail"], self._kind[:n_rows])
                e.log.record_rows(self._kind[:n_rows], self._asset[:n_rows], rows)
            if status == THERMAL_DONE:
                return status, resume
            if status == SWITCHES_FULL:
                # the pass's units: thermal units first, then water heaters
                (thermal if resume < thermal.n else e.water_heaters).grow_switch_buffers()
                self._room()
            j += done
        return q_pos, price

    def _mode_change_details(self, detail: np.ndarray, kind: np.ndarray) -> None:
        """The log's code for ``mode_change`` in place of `MODE_CHANGE`, taken when the
        rows are kept, as ``log.record`` takes a detail's code."""
        changes = detail == MODE_CHANGE
        if changes.any():
            log = self.engine.log
            detail[changes] = log.detail_code("mode_change") if log.keeps("hvac_off") else 0

    def run(self, k0: int, k1: int) -> None:
        """Walk intervals ``k0 .. k1 - 1``: the engine ends at boundary `k1` with
        interval ``k1 - 1`` accounted (what ``advance_to`` and ``close_interval`` at
        every boundary up to `k1` would have left)."""
        e = self.engine
        meter, evs, thermal, tanks = e.meter, e.evs, e.thermal, e.water_heaters
        t1 = k1 * e.inp.interval_h
        b = e.batteries.state
        b.power_kw = b.power_kw.copy()    # each decision holds a fresh array
        resume = 0
        if thermal.n or tanks.n:
            # interval k0's thermostat passes, then the EVs' events (Engine._advance's order)
            resume = self._walk(k0, k1, thermal_only=True)[1]
        # the EVs' events up to the walk's end, as the first boundary would handle them
        evs.advance(e.t_h, t1, e._signals)
        q_pos, price = self._walk(k0, k1, resume=resume)
        queue = meter.queue_item()
        if queue is not None:
            meter.queue_done(q_pos)
        meter.opened(k1 - 1, price)
        evs.delivered_kwh = 0.0
        e.delivered_kwh = 0.0
        e.t_h = t1
        e.dirty = False
        if thermal.n:
            thermal.walked(t1, k1 - 1)
        if tanks.n:
            tanks.walked(t1, k1 - 1)
        meter.boundary_done(k1)
