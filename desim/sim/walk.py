"""A stretch of quiet intervals in one compiled call.

Outside dispatch events, with a static EV policy that nothing but the EVs' own
events moves (no guard, no site limit) or no EVs, self-consumption batteries,
and air conditioners, heat pumps or no thermal units (no water heaters, no
setpoint moved), an interval boundary does the same thing every time: the
batteries' setpoints from their homes' net load, the thermostat pass and the
batteries over the interval, the meter's accounting, the next interval's heat
pump modes, solar, load and price. The EVs' events of the stretch are handled ahead
(`EvFleet.advance`), so the EV meter already holds their power changes. `walk`
does those boundaries one after another in one call, with the engine's own
compiled passes in the engine's order, and writes the log rows they would have
recorded (switches, battery full / empty, the fleet's interval row, price
updates) in the order they would have been recorded, so a run's log, event
ids, series and totals are the same to the bit with or without it
(tests/sim/test_walk.py). What it saves is the Python and SimPy work of every
boundary.

`QuietWalk` says how far a walk may go from a boundary (up to the next instant
anything else happens: another process's wake-up, a log flush, the end of the
EVs' lookahead period or of the load block, a meter boundary settlement reads)
and runs it.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from desim.assets.physics import thermal as th
from desim.sim import kernels
from desim.sim.logformat import ASSET_CODE, KIND_CODE, RAW_COLUMNS
from desim.sim.policies import TOP_UP_MARGIN_SOC, SelfConsumption
from desim.sim.thermal import advance_units, switches_on_first

__all__ = ["walk", "QuietWalk"]

_jit = numba.njit(cache=True, nogil=True)

_FULL, _EMPTY = KIND_CODE["bess_full"], KIND_CODE["bess_empty"]
_INTERVAL, _PRICE = KIND_CODE["interval"], KIND_CODE["price_update"]
_HVAC_ON, _HVAC_OFF = KIND_CODE["hvac_on"], KIND_CODE["hvac_off"]
_BESS, _FLEET, _MARKET = ASSET_CODE["bess"], ASSET_CODE["fleet"], ASSET_CODE["market"]
_HVAC = ASSET_CODE["hvac"]
#: The row columns a walk writes, each holding its default where a row has no value.
ROW_COLUMNS = ("t_h", "prosumer_index", "asset_index", "power_kw", "energy_kwh", "soc_percent",
               "price_usd_per_mwh", "temperature_c", "detail")
#: Detail code a walk writes on a heat pump's ``hvac_off`` row at a mode change; the
#: log's own code for ``mode_change`` replaces it when the rows are recorded (so the
#: log registers the detail when the boundary would have).
MODE_CHANGE = -2
#: What a walk call ends with: the stretch or its row buffers' room used up; or, inside
#: an interval's thermostat pass, the row buffers full or one unit's switches more
#: than the switch buffers hold (call again from that unit, with larger ones).
DONE, ROWS_FULL, SWITCHES_FULL, THERMAL_DONE = 0, 1, 2, 3
_MIN_WALK = 2          # boundaries: a shorter stretch goes the ordinary way


@_jit
def walk(j0, j1, interval_h, price, delivered_kwh, evs_delivered_kwh,
         load_block, block_start, unit_kw_per_kwp, pv_bucket, pv_scale, pv_home, prices,
         pv_kw, home_net_kw, ev_interval_kwh, meter_kw, q_t, q_homes, q_dp, q_pos,
         acc, scratch, s_load, s_hvac, s_ev, s_bess, s_import, s_export, s_delivered,
         soc, power_kw, capacity_kwh, charge_eff, discharge_eff, e_by_dt, g_by_dt, dt_index,
         min_soc, max_soc, self_discharge_per_h, max_charge_kw, max_discharge_kw,
         energy_step_kwh, in_kwh, out_kwh, delta_kwh, bess_home, edge, active_h,
         full, hit_t, hit_home, hit_soc_percent,
         r_kind, r_asset, r_t, r_home, r_index, r_power, r_energy, r_soc, r_price, r_temp,
         r_detail, thermal, thermal_start, net_scratch, thermal_only):
    """Intervals ``j0 .. j1 - 1`` (interval `j0` opened, the rest opened here), each as
    the engine's boundary does it: battery setpoints (`kernels.self_consumption_limited`
    into `power_kw`), the battery step (`kernels.battery_interval`), the EV meter's
    queued changes (`kernels.meter_due`) and the accounting
    (`kernels.account_interval`) at its end, then the next interval's PV, net load
    and EV meter energy (`kernels.open_homes`), after the heat pumps take its mode
    (`_heat_pump_modes`). Stops early, before an interval whose rows might not fit
    the row buffers (``r_*``, with `r_detail` the rows' detail codes).

    Thermal units (`thermal`: the `ThermalFleet` arrays the thermostat pass
    `desim.sim.thermal.advance_units` takes, then the outdoor temperature per interval
    and a per-unit scratch) are advanced first in each interval, as `Engine._advance`
    does: their switches, logged on first, then off, for each call of the pass. The
    batteries' setpoints see the homes' units as they run at the interval's start
    (the engine's ``home_net_load_kw`` at the decision). `thermal_start` > 0 resumes
    interval `j0`'s thermostat pass at that unit; with `thermal_only` the call ends
    after interval `j0`'s thermostat pass (status `THERMAL_DONE`): the engine handles
    the EVs' events after it.

    `price` is interval `j0`'s; `delivered_kwh` and `evs_delivered_kwh` the engine's
    and the EVs' delivery so far in interval `j0` (kWh). Returns ``(intervals done,
    rows written, queue position, price of the last opened interval, status, unit to
    resume the thermostat pass at)``; status `DONE`, `ROWS_FULL` or `SWITCHES_FULL`.
    """
    (temp, on, mode, tau, r, cop, rated_kw, setpoint, deadband, unit_home, home_kwh,
     unit_kwh, stats, decay, decay_h, ev_unit, ev_t, ev_on, ev_temp, home_on_kw, outdoor_c,
     outdoor, heat_pump) = thermal
    n_units = temp.size
    ev_cap = ev_t.size if n_units else 0
    any_hp = False
    for u in range(n_units):
        any_hp = any_hp or heat_pump[u]
    # rows an interval may need: every battery stopping, the fleet's and a price row, a
    # thermostat pass's switches and, with heat pumps, their mode changes at the next
    # boundary and the switches these set off (at most two rows a unit)
    nb = soc.size
    need = nb + 2 + ev_cap + (2 * n_units if any_hp else 0)
    th_start = thermal_start
    cap = r_kind.size
    no_units = np.zeros(0)
    hvac_kwh = home_kwh if n_units else no_units
    decide_net = net_scratch if n_units else home_net_kw
    no_delta = np.zeros(0)
    column = np.empty(unit_kw_per_kwp.shape[0])
    n_rows = 0
    j = j0
    while j < j1:
        t0 = j * interval_h
        t1 = (j + 1) * interval_h
        if th_start == 0:
            if cap - n_rows < need:
                break
            for u in range(n_units):
                outdoor[u] = outdoor_c[j]
            if n_units:
                # what the decision at the interval's start sees: the units as they run
                # at its start (kept in `net_scratch` should the pass below be resumed)
                for h in range(home_net_kw.size):
                    decide_net[h] = home_net_kw[h] + home_on_kw[h]
        # the thermal units over the interval (their rows first, as `Engine._advance`
        # records them), then the decision at its start, then the batteries over it
        while th_start < n_units:
            if cap - n_rows < need:
                return j - j0, n_rows, q_pos, price, ROWS_FULL, th_start
            nxt, n_ev = advance_units(
                th_start, t0, t1, outdoor, temp, on, mode, tau, r, cop, rated_kw, setpoint,
                deadband, unit_home, home_kwh, unit_kwh, stats, decay, decay_h, ev_unit, ev_t,
                ev_on, ev_temp, setpoint, setpoint, home_on_kw)
            if nxt < n_units and n_ev == 0:
                # units before `nxt` are done; unit `nxt` alone has more switches
                return j - j0, n_rows, q_pos, price, SWITCHES_FULL, nxt
            n_rows = _switch_rows(n_rows, n_ev, ev_unit, ev_t, ev_on, ev_temp, unit_home,
                                  rated_kw, r_kind, r_asset, r_t, r_home, r_index, r_power,
                                  r_energy, r_soc, r_price, r_temp, r_detail)
            th_start = nxt
        if thermal_only:
            return 0, n_rows, q_pos, price, THERMAL_DONE, n_units
        th_start = 0
        kernels.self_consumption_limited(decide_net, bess_home, max_charge_kw,
                                         max_discharge_kw, soc, min_soc, max_soc,
                                         self_discharge_per_h, TOP_UP_MARGIN_SOC, power_kw)
        dt = t1 - t0
        if nb and dt > 0.0:
            f = dt_index[j - j0]
            more, n_hit, n_full = kernels.battery_interval(
                soc, power_kw, capacity_kwh, charge_eff, discharge_eff, e_by_dt[f], g_by_dt[f],
                min_soc, max_soc, self_discharge_per_h, dt, t0, energy_step_kwh, in_kwh,
                out_kwh, no_delta, delta_kwh, bess_home, edge, active_h, full, hit_t, hit_home,
                hit_soc_percent)
            delivered_kwh += more
            for m in range(n_hit):
                b = edge[m]
                r_kind[n_rows] = _FULL if m < n_full else _EMPTY
                r_asset[n_rows] = _BESS
                r_t[n_rows] = hit_t[m]
                r_home[n_rows] = hit_home[m]
                r_index[n_rows] = b
                r_power[n_rows] = 0.0
                r_energy[n_rows] = np.nan
                r_soc[n_rows] = hit_soc_percent[m]
                r_price[n_rows] = np.nan
                r_temp[n_rows] = np.nan
                r_detail[n_rows] = 0
                n_rows += 1
        # the interval's accounting
        delivered_kwh += evs_delivered_kwh
        evs_delivered_kwh = 0.0
        q_pos = kernels.meter_due(q_t, q_homes, q_dp, q_pos, t1, ev_interval_kwh, meter_kw)
        load_row = load_block[j - block_start]
        load_sum, net_sum, imp_sum, ev_sum, bess_sum, hvac_sum, wh_sum = \
            kernels.account_interval(load_row, home_net_kw, ev_interval_kwh, bess_home,
                                     energy_step_kwh, interval_h, price, acc, scratch, hvac_kwh,
                                     no_units)
        s_load[j] = load_sum
        s_hvac[j] = hvac_sum / interval_h
        s_ev[j] = ev_sum / interval_h
        s_bess[j] = bess_sum / interval_h
        s_import[j] = imp_sum / interval_h
        s_export[j] = (imp_sum - net_sum) / interval_h
        s_delivered[j] = delivered_kwh / interval_h
        delivered_kwh = 0.0
        r_kind[n_rows] = _INTERVAL
        r_asset[n_rows] = _FLEET
        r_t[n_rows] = t1
        r_home[n_rows] = -1
        r_index[n_rows] = -1
        r_power[n_rows] = net_sum / interval_h
        r_energy[n_rows] = net_sum
        r_soc[n_rows] = np.nan
        r_price[n_rows] = price * 1000.0
        r_temp[n_rows] = np.nan
        r_detail[n_rows] = 0
        n_rows += 1
        j += 1
        if j < j1:
            # the next interval opens: heat pumps take its mode (their rows first, as
            # `Engine.open_interval` records them), then its PV, load and price
            if any_hp:
                n_rows = _heat_pump_modes(
                    j, t1, n_rows, outdoor_c, outdoor, heat_pump, temp, on, mode, tau, r, cop,
                    rated_kw, setpoint, deadband, unit_home, home_kwh, unit_kwh, stats, decay,
                    decay_h, ev_unit, ev_t, ev_on, ev_temp, home_on_kw, r_kind, r_asset, r_t,
                    r_home, r_index, r_power, r_energy, r_soc, r_price, r_temp, r_detail)
            for b in range(column.size):
                column[b] = unit_kw_per_kwp[b, j]
            kernels.open_homes(column, pv_bucket, pv_scale, pv_home, load_block[j - block_start],
                               pv_kw, home_net_kw, meter_kw, interval_h, ev_interval_kwh)
            p = prices[j]
            if p != price:
                r_kind[n_rows] = _PRICE
                r_asset[n_rows] = _MARKET
                r_t[n_rows] = t1
                r_home[n_rows] = -1
                r_index[n_rows] = -1
                r_power[n_rows] = np.nan
                r_energy[n_rows] = np.nan
                r_soc[n_rows] = np.nan
                r_price[n_rows] = p * 1000.0
                r_temp[n_rows] = np.nan
                r_detail[n_rows] = 0
                n_rows += 1
            price = p
    return j - j0, n_rows, q_pos, price, DONE, 0


@_jit
def _heat_pump_modes(j, t, n_rows, outdoor_c, outdoor, heat_pump, temp, on, mode, tau, r, cop,
                     rated_kw, setpoint, deadband, unit_home, home_kwh, unit_kwh, stats, decay,
                     decay_h, ev_unit, ev_t, ev_on, ev_temp, home_on_kw, r_kind, r_asset, r_t,
                     r_home, r_index, r_power, r_energy, r_soc, r_price, r_temp, r_detail):
    """Interval `j` opens at `t`: each heat pump heats if the outdoor temperature is
    below its setpoint and cools otherwise; one that runs when its mode changes stops
    (an ``hvac_off`` row, detail `MODE_CHANGE`), and if any mode changed the units
    take their edges at `t` (a thermostat pass of no length, its switches logged on
    first), as `ThermalFleet._set_interval` and ``_advance`` do at the boundary.
    Returns the row count. The switch buffers hold every unit (the caller checks)."""
    n_units = temp.size
    o = outdoor_c[j]
    changed = False
    for u in range(n_units):
        m = th.HEAT if heat_pump[u] and o < setpoint[u] else th.COOL
        if m == mode[u]:
            continue
        changed = True
        if on[u] > 0:
            on[u] = 0.0
            stats[u, 0] += 1
            r_kind[n_rows] = _HVAC_OFF
            r_asset[n_rows] = _HVAC
            r_t[n_rows] = t
            r_home[n_rows] = unit_home[u]
            r_index[n_rows] = u
            r_power[n_rows] = 0.0
            r_energy[n_rows] = np.nan
            r_soc[n_rows] = np.nan
            r_price[n_rows] = np.nan
            r_temp[n_rows] = temp[u]
            r_detail[n_rows] = MODE_CHANGE
            n_rows += 1
    if not changed:
        return n_rows
    # (`mode` is set after the stops: the stops read the old one only through `on`)
    for u in range(n_units):
        mode[u] = th.HEAT if heat_pump[u] and o < setpoint[u] else th.COOL
        outdoor[u] = o
    _, n_ev = advance_units(0, t, t, outdoor, temp, on, mode, tau, r, cop, rated_kw, setpoint,
                            deadband, unit_home, home_kwh, unit_kwh, stats, decay, decay_h,
                            ev_unit, ev_t, ev_on, ev_temp, setpoint, setpoint, home_on_kw)
    return _switch_rows(n_rows, n_ev, ev_unit, ev_t, ev_on, ev_temp, unit_home, rated_kw,
                        r_kind, r_asset, r_t, r_home, r_index, r_power, r_energy, r_soc,
                        r_price, r_temp, r_detail)


@_jit
def _switch_rows(n_rows, n_ev, ev_unit, ev_t, ev_on, ev_temp, unit_home, rated_kw, r_kind,
                 r_asset, r_t, r_home, r_index, r_power, r_energy, r_soc, r_price, r_temp,
                 r_detail):
    """A thermostat pass's `n_ev` switches as rows from `n_rows`, on ones first (each
    group in its order, as `desim.sim.thermal.record_switches` logs them); returns the
    row count."""
    switches_on_first(ev_unit[:n_ev], ev_t[:n_ev], ev_on[:n_ev], ev_temp[:n_ev])
    for m in range(n_ev):
        u = ev_unit[m]
        r_kind[n_rows] = _HVAC_ON if ev_on[m] > 0 else _HVAC_OFF
        r_asset[n_rows] = _HVAC
        r_t[n_rows] = ev_t[m]
        r_home[n_rows] = unit_home[u]
        r_index[n_rows] = u
        r_power[n_rows] = rated_kw[u] * ev_on[m]
        r_energy[n_rows] = np.nan
        r_soc[n_rows] = np.nan
        r_price[n_rows] = np.nan
        r_temp[n_rows] = ev_temp[m]
        r_detail[n_rows] = 0
        n_rows += 1
    return n_rows


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
            and engine.water_heaters.n == 0
            and getattr(type(policy), "limited_setpoints", None)
            is SelfConsumption.limited_setpoints)
        self._prices = np.asarray(inp.price_usd_per_kwh, dtype=np.float64)
        unit = np.asarray(inp.pv_kw_per_kwp, dtype=np.float64)
        self._unit = unit if unit.size else np.zeros((0, max(1, inp.n_steps)))
        self._snapshots = engine.meter.snapshot_boundaries()
        self._net = np.zeros(engine.fleet.n_prosumers if engine.thermal.n else 0)
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
        cap = 2 * (e.batteries.n + 2 + switches + modes) + 256
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
            done, n_rows, q_pos, price, status, resume = walk(
                j, k1, dt, price, delivered, evs_delivered, block, block_start, self._unit,
                *meter.pv_systems(), self._prices, meter.pv_kw,
                meter.home_net_kw, meter.ev_interval_kwh, meter.power_kw, q_t, q_homes, q_dp,
                q_pos, meter.acc, meter.home_scratch(), s["load_kw"], s["hvac_kw"], s["ev_kw"],
                s["bess_kw"], s["import_kw"], s["export_kw"], s["delivered_kw"], b.soc,
                b.power_kw, b.capacity_kwh, b.charge_efficiency, b.discharge_efficiency,
                e_by_dt, g_by_dt, dt_index[j - k0:], b.min_soc, b.max_soc,
                b.self_discharge_per_h, b.max_charge_kw, b.max_discharge_kw, b.energy_step_kwh,
                bf.in_kwh, bf.out_kwh, bf.delta_kwh, b.prosumer_index, *bf.edge_scratch(),
                self._kind, self._asset, *(self._rows[name] for name in ROW_COLUMNS),
                thermal.walk_arrays(), resume, self._net, thermal_only)
            if done:
                delivered = evs_delivered = 0.0
            if n_rows:
                rows = {name: v[:n_rows] for name, v in self._rows.items()}
                self._mode_change_details(rows["detail"], self._kind[:n_rows])
                e.log.record_rows(self._kind[:n_rows], self._asset[:n_rows], rows)
            if status == THERMAL_DONE:
                return status, resume
            if status == SWITCHES_FULL:
                thermal.grow_switch_buffers()
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
        meter, evs, thermal = e.meter, e.evs, e.thermal
        t1 = k1 * e.inp.interval_h
        b = e.batteries.state
        b.power_kw = b.power_kw.copy()    # each decision holds a fresh array
        resume = 0
        if thermal.n:
            # interval k0's thermostat pass, then the EVs' events (Engine._advance's order)
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
        meter.boundary_done(k1)
