"""Fused passes over the fleet for the engine's per-interval work (numba).

At every data interval the engine updates every battery and accounts every
home. Written as numpy expressions each of these is a dozen whole-fleet passes
with a temporary array each; here each is one compiled loop (numba, compiled
once per install and cached beside this file). The physics is not written
here: every row calls the closed forms of `desim.assets.physics.scalar`
(``soc_after_factors`` with the step's `decay_factors` computed once per step
length by the caller, `hold_power` for a battery that reaches a limit inside
the step, `time_to_soc` and `soc_after` for EVs), so a kernel's result is the
scalar result bit for bit (no fast-math).
"""

from __future__ import annotations

import numba
import numpy as np

from desim.assets.physics import scalar as phys
from desim.sim.tolerances import METER_ZERO_KW

__all__ = ["battery_step", "battery_edges", "account_interval", "ACCOUNT_COLUMNS",
           "open_homes",
           "battery_limits", "meter_add", "meter_due", "self_consumption", "self_consumption_limited", "ev_next_event_h", "ev_renew_next_h",
           "ev_renew_plugged_next_h",
           "ev_integrate"]

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _accrue(i, energy, duration_h, energy_step_kwh, charged_kwh, discharged_kwh, delta_kw,
            delta_kwh):
    """Add terminal `energy` (kWh) to battery `i`'s step energy and charged / discharged
    totals and, with `delta_kw` non-empty, ``delta_kw x duration_h`` to its delta
    energy; return that delta."""
    energy_step_kwh[i] += energy
    if energy > 0.0:
        charged_kwh[i] += energy
    else:
        discharged_kwh[i] -= energy
    if delta_kw.size == 0:
        return 0.0
    d = delta_kw[i] * duration_h
    delta_kwh[i] += d
    return d


@_jit
def battery_step(soc, power_kw, capacity_kwh, charge_efficiency, discharge_efficiency, e, g,
                 min_soc, max_soc, dt_h, energy_step_kwh, charged_kwh, discharged_kwh,
                 delta_kw, delta_kwh, edge):
    """Advance every battery by `dt_h` at its current power, in place.

    SOC ``phys.soc_after_factors(soc, phys.soc_rate_per_h(p, ...), e, g)`` with
    `e`, `g` the batteries' `phys.decay_factors` over `dt_h`. A battery at or past
    its limit in the direction of travel, at the start or the end of the step, is
    not touched; its index goes into `edge` (the caller redoes it with
    `battery_edges`, as `phys.hold_power` would). With `delta_kw`
    non-empty (a dispatch event), ``delta_kw dt_h`` is added to `delta_kwh`.
    Returns ``(number of edge rows, sum of the delta energy)``.
    """
    n_edge = 0
    delivered = 0.0
    for i in range(soc.size):
        p = power_kw[i]
        s0 = soc[i]
        rate = phys.soc_rate_per_h(p, capacity_kwh[i], charge_efficiency[i],
                                   discharge_efficiency[i])
        s = phys.soc_after_factors(s0, rate, e[i], g[i])
        # at or past a limit in the direction of travel, now or by the end of the step
        if (p > 0.0 and max(s, s0) >= max_soc[i]) or (p < 0.0 and min(s, s0) <= min_soc[i]):
            edge[n_edge] = i
            n_edge += 1
            continue
        soc[i] = s
        # `_accrue` written out: the battery pass is the engine's hottest loop, and a
        # compiled call passing six arrays cost five times the work here
        energy = p * dt_h
        energy_step_kwh[i] += energy
        if energy > 0.0:
            charged_kwh[i] += energy
        else:
            discharged_kwh[i] -= energy
        if delta_kw.size:
            d = delta_kw[i] * dt_h
            delta_kwh[i] += d
            delivered += d
    return n_edge, delivered


@_jit
def battery_edges(rows, soc, power_kw, capacity_kwh, min_soc, max_soc, charge_efficiency,
                  discharge_efficiency, self_discharge_per_h, dt_h, energy_step_kwh,
                  charged_kwh, discharged_kwh, delta_kw, delta_kwh, active_h, full):
    """`phys.hold_power` over `dt_h` for batteries `rows`, applied in place.

    Energy and, with `delta_kw` non-empty, the delta energy over the time at power
    are accumulated as in `battery_step`. A battery that reaches its limit inside
    the step, or exactly at its end while still pushing, stops (its power and delta
    set to 0) and is a *hit*: the hits are compacted to the front of `rows`, the full
    ones first, each group in the order of `rows`, with the hours at power in
    `active_h` and 1 in `full` for a full one (0: empty). Returns ``(sum of the delta
    energy, number of hits, number of full ones)``.
    """
    delivered = 0.0
    n_hit = 0
    for j in range(rows.size):
        i = rows[j]
        p = power_kw[i]
        s, energy, active = phys.hold_power(
            soc[i], p, dt_h, capacity_kwh[i], min_soc[i], max_soc[i],
            charge_efficiency[i], discharge_efficiency[i], self_discharge_per_h[i])
        soc[i] = s
        delivered += _accrue(i, energy, active, energy_step_kwh, charged_kwh, discharged_kwh,
                             delta_kw, delta_kwh)
        at_limit = s >= max_soc[i] if p > 0.0 else s <= min_soc[i]
        if active < dt_h or (at_limit and p != 0.0):
            rows[n_hit] = i
            active_h[n_hit] = active
            full[n_hit] = 1 if p > 0.0 else 0
            n_hit += 1
            power_kw[i] = 0.0
            if delta_kw.size:
                delta_kw[i] = 0.0
    n_full = 0
    for j in range(n_hit):
        n_full += full[j]
    if 0 < n_full < n_hit:
        # full ones first, each group in its order (the log records them so)
        r, a = rows[:n_hit].copy(), active_h[:n_hit].copy()
        f = full[:n_hit].copy()
        lo, hi = 0, n_full
        for j in range(n_hit):
            at = lo if f[j] == 1 else hi
            rows[at] = r[j]
            active_h[at] = a[j]
            full[at] = f[j]
            if f[j] == 1:
                lo += 1
            else:
                hi += 1
    return delivered, n_hit, n_full


@_jit
def battery_interval(soc, power_kw, capacity_kwh, charge_efficiency, discharge_efficiency, e, g,
                     min_soc, max_soc, self_discharge_per_h, dt_h, t0, energy_step_kwh,
                     charged_kwh, discharged_kwh, delta_kw, delta_kwh, prosumer_index, edge,
                     active_h, full, hit_t, hit_home, hit_soc_percent):
    """`battery_step`, then `battery_edges` on its edge rows, in one call.

    The hits are the first entries of `edge` (full ones first, as
    `battery_edges` orders them); for each, its log row goes into `hit_t`
    (``t0`` + hours at power), `hit_home` (its prosumer) and `hit_soc_percent`
    (the limit it stopped at, x 100). Returns ``(sum of the delta energy, number
    of hits, number of full ones)``.
    """
    n_edge, delivered = battery_step(
        soc, power_kw, capacity_kwh, charge_efficiency, discharge_efficiency, e, g, min_soc,
        max_soc, dt_h, energy_step_kwh, charged_kwh, discharged_kwh, delta_kw, delta_kwh, edge)
    if n_edge == 0:
        return delivered, 0, 0
    more, n_hit, n_full = battery_edges(
        edge[:n_edge], soc, power_kw, capacity_kwh, min_soc, max_soc, charge_efficiency,
        discharge_efficiency, self_discharge_per_h, dt_h, energy_step_kwh, charged_kwh,
        discharged_kwh, delta_kw, delta_kwh, active_h, full)
    for j in range(n_hit):
        i = edge[j]
        hit_t[j] = t0 + active_h[j]
        hit_home[j] = prosumer_index[i]
        hit_soc_percent[j] = (max_soc[i] if j < n_full else min_soc[i]) * 100.0
    return delivered + more, n_hit, n_full


@_jit
def meter_add(interval_kwh, meter_kw, homes, dp_kw, t_h, end_h):
    """Power changes `dp_kw` at times `t_h` (broadcast if length 1) into the EV meter:
    ``dp (end_h - t)`` to the interval's energy and ``dp`` to the power of each home
    (a home whose EVs all stopped is snapped to exactly zero)."""
    one_t = t_h.size == 1
    for j in range(homes.size):
        h = homes[j]
        t = t_h[0] if one_t else t_h[j]
        interval_kwh[h] += dp_kw[j] * (end_h - t)
        kw = meter_kw[h] + dp_kw[j]
        meter_kw[h] = 0.0 if abs(kw) < METER_ZERO_KW else kw


@_jit
def meter_due(t_h, homes, dp_kw, pos, end_h, interval_kwh, meter_kw):
    """`meter_add` of the queued changes ``pos..`` (sorted by `t_h`) before `end_h`, into
    the interval ending there; returns the position of the first change left queued."""
    j = pos + np.searchsorted(t_h[pos:], end_h)      # side="left": at end_h stays queued
    meter_add(interval_kwh, meter_kw, homes[pos:j], dp_kw[pos:j], t_h[pos:j], end_h)
    return j


#: Columns of the per-home running sums that `account_interval` updates.
ACCOUNT_COLUMNS = ("load_kwh", "ev_kwh", "bess_kwh", "import_kwh", "export_kwh",
                   "import_cost_usd", "peak_import_kwh", "hvac_kwh", "water_heater_kwh")


@_jit
def account_interval(load_kw, home_net_kw, ev_kwh, bess_home, bess_step_kwh, dt_h, price, acc,
                     scratch, hvac_kwh, water_heater_kwh):
    """One interval of the per-home meter, in place; resets `bess_step_kwh`, `hvac_kwh`
    and `water_heater_kwh` to zero once read.

    Per home, into its column of `acc` (rows `ACCOUNT_COLUMNS`): load ``load dt``,
    EV, battery, thermal-unit and water-heater energy, import ``max(net, 0)`` with
    ``net = (load - pv) dt + ev + bess + hvac + water_heater`` (kWh), export ``import
    - net``, cost ``net x price``, the largest import so far. Returns ``(load kW, net,
    import, ev, bess, hvac, water_heater)`` summed over the fleet (energies in kWh).
    `scratch` (one float per home) is all zero on entry and is left so: only the
    batteries' homes are written and cleared (a pass over the whole fleet less).

    `hvac_kwh` or `water_heater_kwh` is empty for a fleet without such units: their
    rows of `acc` are then left alone and their sums are 0. Hot path: the pass
    (`_account`) is then compiled without that stream (None, its branches pruned at
    compile time), so its loop carries five running fleet sums instead of seven
    (about a fifth less time at 10,000 homes), with the same bits: a stream of
    zeros adds nothing to a sum that starts at +0.
    """
    args = (load_kw, home_net_kw, ev_kwh, bess_home, bess_step_kwh, dt_h, price, acc, scratch)
    if hvac_kwh.size and water_heater_kwh.size:
        return _account(*args, hvac_kwh, water_heater_kwh)
    if hvac_kwh.size:
        return _account(*args, hvac_kwh, None)
    if water_heater_kwh.size:
        return _account(*args, None, water_heater_kwh)
    return _account(*args, None, None)


@_jit
def _account(load_kw, home_net_kw, ev_kwh, bess_home, bess_step_kwh, dt_h, price, acc, scratch,
             hvac_kwh, water_heater_kwh):
    """`account_interval`'s pass; `hvac_kwh` / `water_heater_kwh` None: no such stream."""
    bess_sum = 0.0
    for j in range(bess_step_kwh.size):
        b = bess_step_kwh[j]
        scratch[bess_home[j]] += b
        bess_sum += b
        bess_step_kwh[j] = 0.0
    load_sum = 0.0
    net_sum = 0.0
    imp_sum = 0.0
    ev_sum = 0.0
    hvac_sum = 0.0
    wh_sum = 0.0
    # one contiguous row of `acc` per column: seven streams instead of one
    # strided row per home (about 40 % less time with the fleet out of cache)
    load_acc, ev_acc, bess_acc, imp_acc, exp_acc = acc[0], acc[1], acc[2], acc[3], acc[4]
    cost_acc, peak_acc, hvac_acc, wh_acc = acc[5], acc[6], acc[7], acc[8]
    for h in range(home_net_kw.size):
        load = np.float64(load_kw[h])
        b = scratch[h]
        ev = ev_kwh[h]
        net = home_net_kw[h] * dt_h + ev + b
        if hvac_kwh is not None:
            hv = hvac_kwh[h]
            hvac_kwh[h] = 0.0
            net += hv
            hvac_acc[h] += hv
            hvac_sum += hv
        if water_heater_kwh is not None:
            wh = water_heater_kwh[h]
            water_heater_kwh[h] = 0.0
            net += wh
            wh_acc[h] += wh
            wh_sum += wh
        imp = net if net > 0.0 else 0.0
        load_acc[h] += load * dt_h
        ev_acc[h] += ev
        bess_acc[h] += b
        imp_acc[h] += imp
        exp_acc[h] += imp - net
        cost_acc[h] += net * price
        if imp > peak_acc[h]:
            peak_acc[h] = imp
        load_sum += load
        net_sum += net
        imp_sum += imp
        ev_sum += ev
    for j in range(bess_home.size):
        scratch[bess_home[j]] = 0.0
    return load_sum, net_sum, imp_sum, ev_sum, bess_sum, hvac_sum, wh_sum


@_jit
def open_homes(unit_kw_per_kwp, pv_bucket, pv_scale, pv_home, load_kw, pv_kw, net_kw, meter_kw,
               dt_h, ev_interval_kwh):
    """An interval opens for every home: its PV (``sum of unit[bucket] x scale`` over
    its systems) into `pv_kw`, ``load - pv`` into `net_kw` (kW), and the energy its
    EVs take over the interval if their power `meter_kw` holds, ``meter_kw x dt_h``,
    into `ev_interval_kwh` (kWh).

    `pv_kw` of a home without PV is zero and stays so (only the PV homes' entries
    are rewritten: a pass over the fleet less).
    """
    for i in range(pv_bucket.size):
        pv_kw[pv_home[i]] = 0.0
    for i in range(pv_bucket.size):
        pv_kw[pv_home[i]] += unit_kw_per_kwp[pv_bucket[i]] * pv_scale[i]
    for h in range(load_kw.size):
        net_kw[h] = np.float64(load_kw[h]) - pv_kw[h]
        ev_interval_kwh[h] = meter_kw[h] * dt_h


@_jit
def battery_limits(power_kw, soc, min_soc, max_soc, max_charge_kw, max_discharge_kw):
    """Clip setpoints to the power ratings and stop batteries at their limits, in place."""
    for i in range(power_kw.size):
        p = phys.clip_power_kw(power_kw[i], max_charge_kw[i], max_discharge_kw[i])
        if (p > 0.0 and soc[i] >= max_soc[i]) or (p < 0.0 and soc[i] <= min_soc[i]):
            p = 0.0
        power_kw[i] = p


@_jit
def self_consumption_limited(home_net_kw, prosumer_index, max_charge_kw, max_discharge_kw, soc,
                             min_soc, max_soc, self_discharge_per_h, top_up_margin_soc, out):
    """`self_consumption` setpoints into `out`, then `battery_limits` on them (one call
    for the engine's interval boundaries)."""
    self_consumption(home_net_kw, prosumer_index, max_charge_kw, max_discharge_kw, soc,
                     min_soc, max_soc, self_discharge_per_h, top_up_margin_soc, out)
    battery_limits(out, soc, min_soc, max_soc, max_charge_kw, max_discharge_kw)


@_jit
def self_consumption(home_net_kw, prosumer_index, max_charge_kw, max_discharge_kw, soc,
                     min_soc, max_soc, self_discharge_per_h, top_up_margin_soc, out):
    """Self-consumption setpoints into `out`: ``-(load - pv)`` of the battery's home within
    its ratings, nothing in a direction its limits stop (full or empty, as
    `battery_limits`); a battery with self-discharge within `top_up_margin_soc` of full
    is not charged (see `desim.sim.policies.SelfConsumption`).

    A home with several batteries shares its net load among them in the order the
    fleet lists them: each takes what the ones before it left, so together they never
    hold more than the home's net load (no battery exports for self-consumption). Hot
    path: when every home has at most one battery (homes listed in increasing order, as
    a generated fleet lists them) no per-home sums are kept.
    """
    one_each = True
    for i in range(1, out.size):
        if prosumer_index[i] <= prosumer_index[i - 1]:
            one_each = False
            break
    if one_each:
        for i in range(out.size):
            out[i] = _self_consumption_one(-home_net_kw[prosumer_index[i]], max_charge_kw[i],
                                           max_discharge_kw[i], soc[i], min_soc[i], max_soc[i],
                                           self_discharge_per_h[i], top_up_margin_soc)
        return
    taken = np.zeros(home_net_kw.size)        # what the home's batteries so far hold, kW
    for i in range(out.size):
        h = prosumer_index[i]
        p = _self_consumption_one(-home_net_kw[h] - taken[h], max_charge_kw[i],
                                  max_discharge_kw[i], soc[i], min_soc[i], max_soc[i],
                                  self_discharge_per_h[i], top_up_margin_soc)
        out[i] = p
        taken[h] += p


@_jit
def _self_consumption_one(want_kw, max_charge_kw, max_discharge_kw, soc, min_soc, max_soc,
                          self_discharge_per_h, top_up_margin_soc):
    """A battery's self-consumption setpoint for `want_kw` (kW, + charging) of its home
    (floats: a compiled helper given arrays pays their reference counts at every call)."""
    p = phys.clip_power_kw(want_kw, max_charge_kw, max_discharge_kw)
    if p > 0.0 and soc > max_soc - top_up_margin_soc and self_discharge_per_h > 0.0:
        p = 0.0
    if (p > 0.0 and soc >= max_soc) or (p < 0.0 and soc <= min_soc):
        p = 0.0
    return p


@_jit
def _next_event_one(plugged, arrival_h, departure_h, power_kw, target_soc, v2g_min_soc, soc,
                    t_last_h, capacity_kwh, charge_efficiency):
    """`ev_next_event_h` of one EV (floats: a compiled helper given arrays pays their
    reference counts at every call, many times the work here)."""
    if not plugged:
        return arrival_h
    t_stop = np.inf
    if power_kw != 0.0:
        limit = target_soc if power_kw > 0.0 else v2g_min_soc
        t_stop = t_last_h + phys.time_to_soc(soc, limit, power_kw, capacity_kwh,
                                             charge_efficiency, charge_efficiency, 0.0)
    return min(departure_h, t_stop)


@_jit
def ev_next_event_h(idx, power_kw, charge_efficiency, capacity_kwh, target_soc, v2g_min_soc,
                    soc, t_last_h, plugged, departure_h, arrival_h, out):
    """Next event time of EVs `idx` into `out` (h): the arrival of an EV away; for a
    plugged EV the earlier of its departure and the time its SOC reaches the target
    (charging) or its V2G floor (discharging), `phys.time_to_soc` without
    self-discharge, counted from its ``t_last_h``."""
    for j in range(idx.size):
        i = idx[j]
        out[j] = _next_event_one(plugged[i], arrival_h[i], departure_h[i], power_kw[i],
                                 target_soc[i], v2g_min_soc[i], soc[i], t_last_h[i],
                                 capacity_kwh[i], charge_efficiency[i])


@_jit
def ev_renew_next_h(idx, power_kw, charge_efficiency, capacity_kwh, target_soc, v2g_min_soc,
                    soc, t_last_h, plugged, departure_h, arrival_h, next_h):
    """`ev_next_event_h` of EVs `idx` written into their rows of `next_h`; returns the
    earliest next event time of all EVs (inf for none)."""
    for j in range(idx.size):
        i = idx[j]
        next_h[i] = _next_event_one(plugged[i], arrival_h[i], departure_h[i], power_kw[i],
                                    target_soc[i], v2g_min_soc[i], soc[i], t_last_h[i],
                                    capacity_kwh[i], charge_efficiency[i])
    due = np.inf
    for i in range(next_h.size):
        if next_h[i] < due:
            due = next_h[i]
    return due


@_jit
def ev_renew_plugged_next_h(power_kw, charge_efficiency, capacity_kwh, target_soc, v2g_min_soc,
                            soc, t_last_h, plugged, departure_h, arrival_h, next_h):
    """`ev_renew_next_h` of every plugged EV (an EV away keeps its arrival)."""
    due = np.inf
    for i in range(next_h.size):
        if plugged[i]:
            next_h[i] = _next_event_one(True, arrival_h[i], departure_h[i], power_kw[i],
                                        target_soc[i], v2g_min_soc[i], soc[i], t_last_h[i],
                                        capacity_kwh[i], charge_efficiency[i])
        if next_h[i] < due:
            due = next_h[i]
    return due


@_jit
def ev_integrate(idx, t_end_h, power_kw, charge_efficiency, capacity_kwh, soc, charged_kwh,
                 discharged_kwh, t_last_h, delta_kw, delta_kwh):
    """Bring EVs `idx` from their ``t_last_h`` to `t_end_h` (one time, or one per EV) at
    their current power, in place: SOC (`phys.soc_after`, no self-discharge), terminal
    energy charged / discharged, and with `delta_kw` non-empty the delta energy of a
    dispatch event. Returns the sum of the delta energy (kWh)."""
    one_t = t_end_h.size == 1
    track = delta_kw.size > 0
    delivered = 0.0
    for j in range(idx.size):
        i = idx[j]
        t_end = t_end_h[0] if one_t else t_end_h[j]
        dt = t_end - t_last_h[i]
        p = power_kw[i]
        if p != 0.0:
            eff = charge_efficiency[i]
            soc[i] = phys.soc_after(soc[i], p, dt, capacity_kwh[i], eff, eff, 0.0)
            energy = p * dt
            if energy > 0.0:
                charged_kwh[i] += energy
            else:
                discharged_kwh[i] -= energy
        if track:
            d = delta_kw[i] * dt
            delta_kwh[i] += d
            delivered += d
        t_last_h[i] = t_end
    return delivered


#: What `ev_events` found for each EV of a round.
EV_TARGET, EV_FLOOR, EV_STOP_AT_DEPARTURE, EV_DEPART, EV_ARRIVE = 0, 1, 2, 3, 4


@_jit
def ev_events(idx, te, plugged, departure_h, power_kw, soc, target_soc, v2g_min_soc,
              capacity_kwh, next_arrival_soc, reservation_kw, reservation_v2g_kw, delta_kw,
              prosumer_index, stop_tol_h, met_tol_kwh, kind, shortfall_kwh, change_t_h,
              change_home, change_kw):
    """The state changes of one round of EV events, in place (EVs `idx`, each at its
    own event time `te`, already brought up to it).

    Per EV, into `kind`: a plugged EV at or past its departure leaves (`EV_DEPART`:
    unplugged, reservations released, its shortfall ``energy_needed`` into
    `shortfall_kwh`, 0 within `met_tol_kwh`); another plugged EV stops at its target
    (charging) or its V2G floor (discharging), its SOC set exactly there
    (`EV_TARGET`, `EV_FLOOR`, or `EV_STOP_AT_DEPARTURE` within `stop_tol_h` of its
    departure: part of the departure); an EV away arrives (`EV_ARRIVE`: plugged, SOC
    its arrival SOC). Stops and departures hold no power from their time on (and
    deliver nothing against a dispatch baseline): their power changes ``(time, home,
    kW)`` go to ``change_*``, the stops' first, then the departures', in the order
    of `idx`. Returns ``(number of stop changes, number of changes)``.
    """
    n_change = 0
    for phase in range(2):          # 0: stops, 1: departures
        for j in range(idx.size):
            i = idx[j]
            if not plugged[i]:
                if phase == 1:
                    kind[j] = EV_ARRIVE
                continue
            t = te[j]
            departs = t >= departure_h[i]
            if departs != (phase == 1):
                continue
            if departs:
                need = phys.energy_needed_kwh(soc[i], target_soc[i], capacity_kwh[i])
                shortfall_kwh[j] = 0.0 if need <= met_tol_kwh else need
                kind[j] = EV_DEPART
            else:
                up = power_kw[i] > 0.0
                soc[i] = target_soc[i] if up else v2g_min_soc[i]
                if departure_h[i] - t > stop_tol_h:
                    kind[j] = EV_TARGET if up else EV_FLOOR
                else:
                    kind[j] = EV_STOP_AT_DEPARTURE
            p = power_kw[i]
            if p != 0.0:
                change_t_h[n_change] = t
                change_home[n_change] = prosumer_index[i]
                change_kw[n_change] = -p
                n_change += 1
            power_kw[i] = 0.0
            if delta_kw.size:
                delta_kw[i] = 0.0
        if phase == 0:
            n_stop = n_change
    # arrivals last: their SOC is set once the departures of this round are done
    for j in range(idx.size):
        if kind[j] == EV_ARRIVE:
            i = idx[j]
            soc[i] = next_arrival_soc[i]
            plugged[i] = True
    for j in range(idx.size):
        if kind[j] == EV_DEPART:
            i = idx[j]
            plugged[i] = False
            reservation_kw[i] = 0.0
            reservation_v2g_kw[i] = 0.0
    return n_stop, n_change


#: Plug-in causes (`desim.sim.guard`).
FEASIBLE, INFEASIBLE = 0, 1


@_jit
def reachable_alone(need_kwh, time_left_h, max_charge_kw, charge_efficiency, met_tol_kwh):
    """Whether an EV reaches its target by its departure charging alone at full power:
    ``need <= pmax eff max(time_left, 0) + met_tol`` (floats; kWh, h, kW)."""
    left = time_left_h if time_left_h > 0.0 else 0.0
    return need_kwh <= max_charge_kw * charge_efficiency * left + met_tol_kwh


@_jit
def reachable_alone_all(need_kwh, time_left_h, max_charge_kw, charge_efficiency, met_tol_kwh):
    """`reachable_alone` of each EV (arrays of one length)."""
    out = np.empty(need_kwh.size, dtype=np.bool_)
    for j in range(need_kwh.size):
        out[j] = reachable_alone(need_kwh[j], time_left_h[j], max_charge_kw[j],
                                 charge_efficiency[j], met_tol_kwh)
    return out


@_jit
def ev_plug_in(a, ta, p_in, admit, guard_floor, interval_h, boundary_tol, met_tol_kwh, soc,
               target_soc, capacity_kwh, departure_h, max_charge_kw, charge_efficiency,
               plugin_cause, reservation_kw, reservation_v2g_kw, power_kw, setpoint_kw,
               prosumer_index, p_out, soc_percent, target_percent, change_t_h, change_home,
               change_kw):
    """EVs `a` plug in at their times `ta` with the policy's setpoints `p_in`, in place.

    With `admit` (no site limit) each is classified feasible or not
    (`reachable_alone`) and reserves nothing; else its cause and reservations are
    already set (`desim.sim.guard.admit`). With `guard_floor` a feasible EV holds at
    least its guard floor until the next profile boundary
    (`phys.guard_floor_kw`, recharging at full power, no V2G). An EV at or above its
    target holds 0, others their setpoint within ``[0, max_charge_kw]``. Writes
    the power held (`p_out`, also `power_kw` and `setpoint_kw`), SOC and target in
    percent for the log, and the power changes ``(time, home, kW)`` to ``change_*``;
    returns their number.
    """
    n_change = 0
    for j in range(a.size):
        i = a[j]
        t = ta[j]
        s = soc[i]
        target = target_soc[i]
        pmax = max_charge_kw[i]
        eff = charge_efficiency[i]
        need = phys.energy_needed_kwh(s, target, capacity_kwh[i])
        if admit:
            feasible = reachable_alone(need, departure_h[i] - t, pmax, eff, met_tol_kwh)
            plugin_cause[i] = FEASIBLE if feasible else INFEASIBLE
            reservation_kw[i] = 0.0
            reservation_v2g_kw[i] = 0.0
        p = p_in[j]
        if guard_floor:
            floor = 0.0
            if plugin_cause[i] == FEASIBLE:
                boundary = (np.floor(t / interval_h + boundary_tol) + 1.0) * interval_h
                floor = phys.guard_floor_kw(need, departure_h[i] - t, boundary - t, pmax, pmax,
                                            eff, eff, 0.0)
            p = max(p, floor)
        if s < target:
            p = min(max(p, 0.0), pmax)
        else:
            p = 0.0
        dp = p - power_kw[i]
        if dp != 0.0:
            change_t_h[n_change] = t
            change_home[n_change] = prosumer_index[i]
            change_kw[n_change] = dp
            n_change += 1
        power_kw[i] = p
        setpoint_kw[i] = p
        p_out[j] = p
        soc_percent[j] = s * 100
        target_percent[j] = target * 100
    return n_change
