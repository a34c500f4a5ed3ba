"""A stretch of quiet intervals in one compiled call.

Outside dispatch events, with a static EV policy that nothing but the EVs' own
events moves (no guard, no site limit) or no EVs, self-consumption batteries,
air conditioners, heat pumps or no thermal units (no setpoint moved), and water
heaters or none, an interval boundary does the same thing every time: the
batteries' setpoints from their homes' net load, the thermostat passes (thermal
units, then water heaters) and the batteries over the interval, the meter's
accounting, the next interval's heat pump modes, the tanks' draws, solar, load
and price. The EVs' events of the stretch are handled ahead
(`EvFleet.advance`), so the EV meter already holds their power changes. `walk`
does those boundaries one after another in one call, with the engine's own
compiled passes in the engine's order, and writes the log rows they would have
recorded (switches, battery full / empty, the fleet's interval row, price
updates) in the order they would have been recorded, so a run's log, event
ids, series and totals are the same to the bit with or without it
(tests/sim/test_walk.py). What it saves is the Python and SimPy work of every
boundary.

`desim.sim.quietwalk.QuietWalk` says how far a walk may go from a boundary and
runs it.
"""
from __future__ import annotations

import numba
import numpy as np

from desim.assets.physics import thermal as th
from desim.sim import kernels
from desim.sim.logformat import ASSET_CODE, KIND_CODE
from desim.sim.policies import TOP_UP_MARGIN_SOC
from desim.sim.thermal import advance_units, switches_on_first
from desim.sim.waterheater import interval_environment

__all__ = ["walk", "ROW_COLUMNS", "MODE_CHANGE", "DONE", "ROWS_FULL", "SWITCHES_FULL",
           "THERMAL_DONE"]

_jit = numba.njit(cache=True, nogil=True)

_FULL, _EMPTY = KIND_CODE["bess_full"], KIND_CODE["bess_empty"]
_INTERVAL, _PRICE = KIND_CODE["interval"], KIND_CODE["price_update"]
_HVAC_ON, _HVAC_OFF = KIND_CODE["hvac_on"], KIND_CODE["hvac_off"]
_BESS, _FLEET, _MARKET = ASSET_CODE["bess"], ASSET_CODE["fleet"], ASSET_CODE["market"]
_HVAC = ASSET_CODE["hvac"]
_WH_ON, _WH_OFF = KIND_CODE["water_heater_on"], KIND_CODE["water_heater_off"]
_WATER_HEATER = ASSET_CODE["water_heater"]
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


@_jit
def walk(j0, j1, interval_h, price, delivered_kwh, evs_delivered_kwh,
         load_block, block_start, unit_kw_per_kwp, pv_bucket, pv_scale, pv_home, prices,
         pv_kw, home_net_kw, ev_interval_kwh, meter_kw, q_t, q_homes, q_dp, q_pos,
         acc, scratch, s_load, s_hvac, s_wh, s_ev, s_bess, s_import, s_export, s_delivered,
         soc, power_kw, capacity_kwh, charge_eff, discharge_eff, e_by_dt, g_by_dt, dt_index,
         min_soc, max_soc, self_discharge_per_h, max_charge_kw, max_discharge_kw,
         energy_step_kwh, in_kwh, out_kwh, delta_kwh, bess_home, edge, active_h,
         full, hit_t, hit_home, hit_soc_percent,
         r_kind, r_asset, r_t, r_home, r_index, r_power, r_energy, r_soc, r_price, r_temp,
         r_detail, thermal, water, thermal_start, net_scratch, thermal_only):
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
    (w_env, w_temp, w_on, w_mode, w_tau, w_r, w_cop, w_kw, w_setpoint, w_deadband, w_home,
     w_home_kwh, w_unit_kwh, w_stats, w_decay, w_decay_h, w_unit, w_t, w_sw_on, w_sw_temp,
     w_home_on_kw, w_ambient, w_ua, w_inlet, w_draw, w_capacitance) = water
    n_units = temp.size
    n_wh = w_temp.size
    n_passes = n_units + n_wh       # the thermostat passes' units: air/heat pumps, then tanks
    ev_cap = ev_t.size if n_units else 0
    w_cap = w_t.size if n_wh else 0
    any_hp = False
    for u in range(n_units):
        any_hp = any_hp or heat_pump[u]
    # rows an interval may need: every battery stopping, the fleet's and a price row, a
    # thermostat pass's switches and, with heat pumps, their mode changes at the next
    # boundary and the switches these set off (at most two rows a unit); a water heater
    # pass's switches and those of the tanks' pass of no length at the next boundary (at
    # most one a tank)
    nb = soc.size
    need = nb + 2 + ev_cap + (2 * n_units if any_hp else 0) + w_cap + n_wh
    th_start = thermal_start
    cap = r_kind.size
    no_units = np.zeros(0)
    hvac_kwh = home_kwh if n_units else no_units
    wh_kwh = w_home_kwh if n_wh else no_units
    decide_net = net_scratch if n_passes else home_net_kw
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
            if n_passes:
                # what the decision at the interval's start sees: the units and tanks as
                # they run at its start, added in `Engine._home_net_load_kw`'s order (kept
                # in `net_scratch` should a pass below be resumed)
                for h in range(home_net_kw.size):
                    x = home_net_kw[h]
                    if n_units:
                        x = x + home_on_kw[h]
                    if n_wh:
                        x = x + w_home_on_kw[h]
                    decide_net[h] = x
        # the thermal units, then the water heaters, over the interval (their rows first,
        # as `Engine._advance` records them), then the decision at its start, then the
        # batteries over it; `th_start` counts the units of both passes
        while th_start < n_passes:
            if cap - n_rows < need:
                return j - j0, n_rows, q_pos, price, ROWS_FULL, th_start
            if th_start < n_units:
                nxt, n_ev = advance_units(
                    th_start, t0, t1, outdoor, temp, on, mode, tau, r, cop, rated_kw,
                    setpoint, deadband, unit_home, home_kwh, unit_kwh, stats, decay, decay_h,
                    ev_unit, ev_t, ev_on, ev_temp, setpoint, setpoint, home_on_kw)
                if nxt < n_units and n_ev == 0:
                    # units before `nxt` are done; unit `nxt` alone has more switches
                    return j - j0, n_rows, q_pos, price, SWITCHES_FULL, nxt
                n_rows = _switch_rows(n_rows, n_ev, ev_unit, ev_t, ev_on, ev_temp, unit_home,
                                      rated_kw, _HVAC_ON, _HVAC_OFF, _HVAC, r_kind, r_asset,
                                      r_t, r_home, r_index, r_power, r_energy, r_soc, r_price,
                                      r_temp, r_detail)
                th_start = nxt
            else:
                nxt, n_ev = advance_units(
                    th_start - n_units, t0, t1, w_env, w_temp, w_on, w_mode, w_tau, w_r, w_cop,
                    w_kw, w_setpoint, w_deadband, w_home, w_home_kwh, w_unit_kwh, w_stats,
                    w_decay, w_decay_h, w_unit, w_t, w_sw_on, w_sw_temp, w_setpoint, w_setpoint,
                    w_home_on_kw)
                if nxt < n_wh and n_ev == 0:
                    return j - j0, n_rows, q_pos, price, SWITCHES_FULL, n_units + nxt
                n_rows = _switch_rows(n_rows, n_ev, w_unit, w_t, w_sw_on, w_sw_temp, w_home,
                                      w_kw, _WH_ON, _WH_OFF, _WATER_HEATER, r_kind, r_asset,
                                      r_t, r_home, r_index, r_power, r_energy, r_soc, r_price,
                                      r_temp, r_detail)
                th_start = n_units + nxt
        if thermal_only:
            return 0, n_rows, q_pos, price, THERMAL_DONE, n_passes
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
                                     wh_kwh)
        s_load[j] = load_sum
        s_hvac[j] = hvac_sum / interval_h
        s_wh[j] = wh_sum / interval_h
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
            if n_wh:
                # the tanks take the interval's draws, and their edges at `t1` in a pass of
                # no length (`WaterHeaterFleet.advance` at `Engine.open_interval`)
                interval_environment(w_ambient, w_ua, w_inlet, w_draw, j, w_capacitance, w_env,
                                     w_r, w_tau, w_decay_h)
                _, n_ev = advance_units(
                    0, t1, t1, w_env, w_temp, w_on, w_mode, w_tau, w_r, w_cop, w_kw, w_setpoint,
                    w_deadband, w_home, w_home_kwh, w_unit_kwh, w_stats, w_decay, w_decay_h,
                    w_unit, w_t, w_sw_on, w_sw_temp, w_setpoint, w_setpoint, w_home_on_kw)
                n_rows = _switch_rows(n_rows, n_ev, w_unit, w_t, w_sw_on, w_sw_temp, w_home,
                                      w_kw, _WH_ON, _WH_OFF, _WATER_HEATER, r_kind, r_asset,
                                      r_t, r_home, r_index, r_power, r_energy, r_soc, r_price,
                                      r_temp, r_detail)
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
                        _HVAC_ON, _HVAC_OFF, _HVAC, r_kind, r_asset, r_t, r_home, r_index,
                        r_power, r_energy, r_soc, r_price, r_temp, r_detail)


@_jit
def _switch_rows(n_rows, n_ev, ev_unit, ev_t, ev_on, ev_temp, unit_home, rated_kw, kind_on,
                 kind_off, asset, r_kind, r_asset, r_t, r_home, r_index, r_power, r_energy,
                 r_soc, r_price, r_temp, r_detail):
    """A thermostat pass's `n_ev` switches as rows from `n_rows` (of kinds `kind_on`,
    `kind_off` and asset type `asset`), on ones first (each group in its order, as
    `desim.sim.thermal.record_switches` logs them); returns the row count."""
    switches_on_first(ev_unit[:n_ev], ev_t[:n_ev], ev_on[:n_ev], ev_temp[:n_ev])
    for m in range(n_ev):
        u = ev_unit[m]
        r_kind[n_rows] = kind_on if ev_on[m] > 0 else kind_off
        r_asset[n_rows] = asset
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
