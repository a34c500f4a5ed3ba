"""How a prosumer takes part in dispatch: acceptance and what its assets offer.

One behaviour model for the whole of desim: these pure functions of floats or
numpy arrays (broadcast together) are what the engine applies to its fleet
arrays (`desim.sim.dispatch`, `desim.sim.market`) and what the scalar
`desim.assets.Prosumer` answers with, so a home asked on its own and the same
home in a fleet run give the same offer and the same chance of taking part
(docs/semantics.md, Dispatch; docs/assets.md, Prosumer).

Powers in kW (offers >= 0), energies in stored kWh, SOC as fractions, times in
hours; `direction` < 0 is a discharge (reduce-load) event, > 0 an absorb event.
"""

from __future__ import annotations

import numba
import numpy as np

from desim.assets import physics
from desim.assets.physics import scalar as _phys

__all__ = ["owner_floor_soc", "bess_offer_kw", "ev_offer_kw", "accepts",
           "participation_probability"]


def owner_floor_soc(min_soc, max_soc, capacity_kwh, max_discharge, backup_power_hours,
                    annual_load_kwh):
    """Lowest SOC a battery's owner lets the aggregator reach (floats or arrays).

    The highest of: the battery's own floor `min_soc`; ``1 - max_discharge`` (the
    owner's "never below X %"); the floor plus the backup reserve of
    ``backup_power_hours * annual_load_kwh / 8760`` kWh (hours of the home's
    average load, counted as stored energy), capped at `max_soc`.

    Parameters
    ----------
    min_soc, max_soc : float or array
        The battery's own floor and ceiling, fractions.
    capacity_kwh : float or array
        Usable capacity the backup reserve is spread over, kWh (> 0): the battery's
        own, or all the batteries of its home together (each then keeps the same
        share of its capacity, and the home the reserve once).
    max_discharge : float or array
        Share of the capacity the owner lets the aggregator use, fraction in [0, 1].
    backup_power_hours : float or array
        Hours of average load kept in reserve, h (>= 0).
    annual_load_kwh : float or array
        The home's yearly consumption, kWh (>= 0).

    Returns
    -------
    float or array
        The floor, a fraction of `capacity_kwh`.
    """
    backup_kwh = backup_power_hours * annual_load_kwh / 8760.0
    return np.maximum.reduce([min_soc, 1.0 - max_discharge,
                              np.minimum(max_soc, min_soc + backup_kwh / capacity_kwh)])


def bess_offer_kw(soc, capacity_kwh, max_charge_kw, max_discharge_kw, charge_efficiency,
                  discharge_efficiency, floor_soc, max_soc, baseline_kw, window_h, direction):
    """Extra power (kW, >= 0) a battery can hold for `window_h` beyond its baseline
    (floats or arrays; `direction` < 0 discharge, > 0 absorb).

    Discharge: the constant power it can hold above `floor_soc` (its owner's,
    `owner_floor_soc`) for the window (`physics.max_discharge_power_kw`), minus
    what its baseline already discharges (a charging baseline discharges
    nothing); absorb: likewise up to `max_soc` (`physics.max_charge_power_kw`)
    (docs/semantics.md).

    Parameters
    ----------
    soc, floor_soc, max_soc : float or array
        SOC now, the owner's floor and the ceiling, fractions (`floor_soc` is read
        for discharge only and may be None for absorb).
    capacity_kwh : float or array
        Usable capacity, kWh (> 0).
    max_charge_kw, max_discharge_kw : float or array
        Power ratings, kW (> 0).
    charge_efficiency, discharge_efficiency : float or array
        One-way efficiencies in (0, 1].
    baseline_kw : float or array
        What the battery would do with no event, kW, load convention (+ charging).
    window_h : float
        Rest of the event window, h (> 0).
    direction : int
        -1 discharge (reduce load), +1 absorb.

    Returns
    -------
    float or array
        The offer, kW (>= 0).
    """
    if direction < 0:
        sustain_kw = physics.max_discharge_power_kw(
            soc, capacity_kwh, max_discharge_kw, window_h, floor_soc, discharge_efficiency)
        return np.maximum(0.0, sustain_kw - np.maximum(0.0, -baseline_kw))
    sustain_kw = physics.max_charge_power_kw(soc, capacity_kwh, max_charge_kw, window_h,
                                             max_soc, charge_efficiency)
    return np.maximum(0.0, sustain_kw - np.maximum(0.0, baseline_kw))


def ev_offer_kw(allowed, need_kwh, baseline_kw, departure_h, now_h, window_h, direction,
                guarded, soc, v2g_min_soc, capacity_kwh, v2g_max_kw, max_charge_kw,
                charge_efficiency, recharge_kw=None):
    """Power (kW, >= 0) EVs can move for the rest of the window (floats or arrays).

    `allowed`: the EV takes part at all (plugged in, its home accepted, not of
    ``high`` priority; under a guarded policy also guaranteed). `need_kwh` is the
    stored energy it still needs, `baseline_kw` what it would draw now with no
    event. Discharge events: deferral of the baseline charging (an EV that needs
    energy) if not guarded or if ``laxity >= window``, with the laxity at the
    recharge rate ``c`` (`recharge_kw`, full power by default) ``laxity = (dep - now)
    - need / (c eff)``; plus V2G ``v = min(v2g_max, (soc - v2g_min_soc) C eff / w)``,
    which under a guarded policy also needs ``laxity - w - v w / (c eff eff) >= 0``.
    Absorb events: ``pmax - baseline`` for an EV that needs energy
    (docs/semantics.md).

    Parameters
    ----------
    allowed : bool or bool array
        The EV takes part at all.
    need_kwh : float or array
        Stored energy still needed for the departure target, kWh (>= 0).
    baseline_kw : float or array
        What the EV would draw now with no event, kW (+ charging).
    departure_h, now_h : float or array
        Departure time and now, h on one clock.
    window_h : float
        Rest of the event window, h (> 0).
    direction : int
        -1 discharge (reduce load), +1 absorb.
    guarded : bool
        The policy is guarded (departure guard on, ``smart`` or ``price_responsive``).
    soc, v2g_min_soc : float or array
        SOC now and the V2G floor, fractions.
    capacity_kwh : float or array
        Usable battery capacity, kWh (> 0).
    v2g_max_kw, max_charge_kw : float or array
        V2G limit (>= 0, 0 disables V2G) and charger power (> 0), kW.
    charge_efficiency : float or array
        One-way charger efficiency in (0, 1], also applied to V2G.
    recharge_kw : float or array, optional
        The rate the EV may count on to recover (default `max_charge_kw`), kW.

    Returns
    -------
    float or array
        The offer, kW (>= 0): deferral plus V2G, or the absorb offer.
    """
    recharge = max_charge_kw if recharge_kw is None else recharge_kw
    args = (allowed, need_kwh, baseline_kw, departure_h, soc, v2g_min_soc, capacity_kwh,
            v2g_max_kw, max_charge_kw, charge_efficiency, recharge)
    fixed = (float(now_h), float(window_h), int(direction), bool(guarded))
    if all(type(a) in (float, int, bool) for a in args):
        return _ev_offer_one(*(float(a) for a in args[1:]), *fixed, bool(args[0]))
    arrays = [np.asarray(a) for a in args]
    shape = arrays[1].shape
    if len(shape) == 1 and all(a.shape == shape and a.dtype == np.float64 for a in arrays[1:]):
        flat = arrays                        # the engine's fleet arrays: as they are
    else:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        flat = [np.ascontiguousarray(np.broadcast_to(a.astype(float), shape)).reshape(-1)
                for a in arrays]
    if flat[0].shape != flat[1].shape:
        flat[0] = np.broadcast_to(flat[0], flat[1].shape)
    out = _ev_offer_loop(*flat, *fixed)
    return out.reshape(shape) if shape else float(out[0])


@numba.njit(cache=True, nogil=True)
def _ev_offer_one(need, baseline_kw, departure_h, soc, v2g_min_soc, capacity_kwh, v2g_max_kw,
                  max_charge_kw, eff, recharge_kw, now_h, window_h, direction, guarded,
                  allowed):
    """`ev_offer_kw` of one EV (floats; the equations are written here once)."""
    if not allowed:
        return 0.0
    charging = baseline_kw if (baseline_kw > 0.0 and need > 0.0) else 0.0
    if direction >= 0:
        if need <= 0.0:
            return 0.0
        room = max_charge_kw - (baseline_kw if baseline_kw > 0.0 else 0.0)
        return room if room > 0.0 else 0.0
    rate = recharge_kw * eff
    if need > 0.0:
        lax = (departure_h - now_h) - (need / rate if rate > 0.0 else np.inf)
    else:
        lax = departure_h - now_h
    if lax != lax:                      # inf - inf: no laxity to count on
        lax = -np.inf
    above = soc - v2g_min_soc
    v2g_kw = min(v2g_max_kw, (above if above > 0.0 else 0.0) * capacity_kwh * eff / window_h)
    defer_ok = True
    v2g_ok = True
    if guarded:
        defer_ok = lax >= window_h
        recover_h = 0.0
        if v2g_kw > 0.0:
            recover_h = v2g_kw * window_h / (rate * eff) if rate * eff > 0.0 else np.inf
        v2g_ok = defer_ok and (lax - window_h - recover_h >= 0.0)
    return (charging if defer_ok else 0.0) + (v2g_kw if v2g_ok else 0.0)


@numba.njit(cache=True, nogil=True)
def ev_fleet_offers_kw(plugged, home_priority, ev_home, guaranteed, soc, target_soc,
                       capacity_kwh, baseline_kw, departure_h, v2g_min_soc, v2g_max_kw,
                       max_charge_kw, eff, recharge_kw, now_h, window_h, direction, guarded,
                       out):
    """`ev_offer_kw` of every EV of a fleet, into `out` (kW): an EV takes part when
    plugged in and its home's ``ev_priority`` is below ``high`` (2), under a guarded
    policy also when guaranteed; its need is `physics.scalar.energy_needed_kwh`."""
    for i in range(out.size):
        allowed = plugged[i] and home_priority[ev_home[i]] < 2 and (not guarded
                                                                    or guaranteed[i])
        need = _phys.energy_needed_kwh(soc[i], target_soc[i], capacity_kwh[i])
        out[i] = _ev_offer_one(need, baseline_kw[i], departure_h[i], soc[i], v2g_min_soc[i],
                               capacity_kwh[i], v2g_max_kw[i], max_charge_kw[i], eff[i],
                               recharge_kw[i], now_h, window_h, direction, guarded, allowed)


@numba.njit(cache=True, nogil=True)
def _ev_offer_loop(allowed, need, baseline_kw, departure_h, soc, v2g_min_soc, capacity_kwh,
                   v2g_max_kw, max_charge_kw, eff, recharge_kw, now_h, window_h, direction,
                   guarded):
    out = np.empty(need.size)
    for i in range(need.size):
        out[i] = _ev_offer_one(need[i], baseline_kw[i], departure_h[i], soc[i],
                               v2g_min_soc[i], capacity_kwh[i], v2g_max_kw[i],
                               max_charge_kw[i], eff[i], recharge_kw[i], now_h, window_h,
                               direction, guarded, allowed[i] != 0)
    return out


def accepts(price_per_mwh, min_compensation_per_kwh, participation_willingness, uniform):
    """Whether a home accepts an event: the price covers its minimum compensation and
    its willingness draw succeeds.

    Parameters
    ----------
    price_per_mwh : float
        Event price, $/MWh (>= 0).
    min_compensation_per_kwh : float or array
        The home's lowest acceptable price, $/kWh (>= 0).
    participation_willingness : float or array
        Fraction in [0, 1].
    uniform : float or array
        The home's draw, uniform in [0, 1).

    Returns
    -------
    bool or bool array
        ``price / 1000 >= min_compensation and uniform < willingness``.
    """
    price_per_kwh = price_per_mwh / 1000.0
    return (price_per_kwh >= min_compensation_per_kwh) & (uniform < participation_willingness)


def participation_probability(price_per_mwh, min_compensation_per_kwh,
                              participation_willingness):
    """Probability that `accepts` is true over a uniform draw in [0, 1).

    Parameters
    ----------
    price_per_mwh : float
        Event price, $/MWh (>= 0).
    min_compensation_per_kwh : float or array
        The home's lowest acceptable price, $/kWh (>= 0).
    participation_willingness : float or array
        Fraction in [0, 1].

    Returns
    -------
    float array (0-d for floats)
        The willingness (clipped to [0, 1]) when ``price / 1000`` covers the minimum
        compensation, else 0.
    """
    price_per_kwh = price_per_mwh / 1000.0
    return np.where(price_per_kwh >= min_compensation_per_kwh,
                    np.clip(participation_willingness, 0.0, 1.0), 0.0)
