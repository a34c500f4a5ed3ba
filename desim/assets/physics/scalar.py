"""The closed forms of asset physics, each written once as a compiled function of floats.

Every function takes and returns plain floats (Python floats, or numpy float64
scalars inside compiled code) and is compiled by numba (``@njit``, cached beside
this file). The fleet kernels (`desim.sim.kernels`) call them row by row, the
seed API (`desim.assets.BESS`, `desim.assets.ElectricVehicle`) calls them
directly, and `desim.assets.physics` wraps them for numpy arrays; there is no
other copy of these equations.

Conventions (docs/assets.md):

- SOC is a fraction of usable capacity in [0, 1]; stored energy is
  ``soc * capacity_kwh``.
- Signed power uses the load convention at the asset's AC terminal: positive
  charges (imports), negative discharges (exports).
- Efficiencies are one-way fractions in (0, 1]: charging at ``p`` kW stores
  ``p * charge_efficiency`` kW; discharging ``p`` kW draws
  ``p / discharge_efficiency`` kW from storage.
- Self-discharge is a fraction of the stored energy lost per hour,
  ``dsoc/dt = stored_kw / capacity_kwh - self_discharge_per_h * soc``
  (a first-order leak, the usual storage model, e.g. NREL's SAM battery model,
  DiOrio et al., NREL/TP-6A20-64641, 2015).
- Durations are hours; ``inf`` means "never".

Division follows IEEE (``error_model="numpy"``): ``x / 0.0`` is ``inf`` or
``nan``, never an exception. No fast-math, so the same inputs give the same
bits wherever a function runs. Numba's cache does not notice when a function
here changes under a caller in another module that inlined it; after editing
this file, delete the ``*.nbi`` / ``*.nbc`` files under ``desim/sim/__pycache__``
(the scalar/kernel agreement test fails on a stale cache).
"""

from __future__ import annotations

import math

import numba

__all__ = [
    "K_NEGLIGIBLE_PER_H", "stored_power_kw", "terminal_power_kw", "soc_rate_per_h",
    "decay_factors", "soc_after_factors", "soc_after", "time_to_soc", "hold_power",
    "max_charge_power_kw", "max_discharge_power_kw", "clip_power_kw", "energy_needed_kwh",
    "laxity_h", "pv_power_kw", "guard_floor_kw",
]

#: Self-discharge rates (per hour) at or below this are treated as zero: over any
#: simulated horizon their effect is below float resolution, and dividing by a
#: subnormal rate would overflow.
K_NEGLIGIBLE_PER_H = 1e-12

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def stored_power_kw(power_kw, charge_efficiency, discharge_efficiency):
    """Rate of change of stored energy for a signed terminal power.

    Parameters
    ----------
    power_kw : float
        Terminal power, kW, load convention (> 0 charging, < 0 discharging).
    charge_efficiency, discharge_efficiency : float
        One-way efficiencies in (0, 1].

    Returns
    -------
    float
        kW into storage: ``p * charge_efficiency`` when charging,
        ``p / discharge_efficiency`` (more negative than `p`) when discharging.
        Source: the one-way efficiency definition of STYLE.md ("Names and units").
    """
    if power_kw > 0.0:
        return power_kw * charge_efficiency
    return power_kw / discharge_efficiency


@_jit
def terminal_power_kw(stored_kw, charge_efficiency, discharge_efficiency):
    """Terminal power for a rate of stored-energy change (inverse of `stored_power_kw`).

    Parameters
    ----------
    stored_kw : float
        kW into storage (> 0) or out of it (< 0).
    charge_efficiency, discharge_efficiency : float
        One-way efficiencies in (0, 1].

    Returns
    -------
    float
        Terminal power, kW, load convention: ``stored / charge_efficiency`` when
        charging, ``stored * discharge_efficiency`` when discharging (the inverse
        of the one-way efficiency definition, STYLE.md "Names and units").
    """
    if stored_kw > 0.0:
        return stored_kw / charge_efficiency
    return stored_kw * discharge_efficiency


@_jit
def soc_rate_per_h(power_kw, capacity_kwh, charge_efficiency, discharge_efficiency):
    """SOC change per hour (1/h) from a signed terminal power, before self-discharge.

    Parameters
    ----------
    power_kw : float
        Terminal power, kW, load convention.
    capacity_kwh : float
        Usable capacity, kWh (> 0).
    charge_efficiency, discharge_efficiency : float
        One-way efficiencies in (0, 1].

    Returns
    -------
    float
        ``stored_power_kw(power_kw, ...) / capacity_kwh`` (SOC is stored energy
        over usable capacity, STYLE.md "Names and units").
    """
    return stored_power_kw(power_kw, charge_efficiency, discharge_efficiency) / capacity_kwh


@_jit
def decay_factors(self_discharge_per_h, duration_h):
    """``(E, G)`` with ``soc_after = soc * E + rate * G`` (see `soc_after_factors`).

    Parameters
    ----------
    self_discharge_per_h : float
        Fraction of stored energy lost per hour, 1/h (>= 0).
    duration_h : float
        Hold duration, h (>= 0).

    Returns
    -------
    E, G : float
        ``E = exp(-k t)`` (dimensionless) and ``G = (1 - E) / k`` (h), or
        ``(1, t)`` for ``k <= K_NEGLIGIBLE_PER_H``: the exact solution of the
        linear ODE ``dsoc/dt = rate - k soc`` (integrating factor; any ODE text,
        e.g. Boyce & DiPrima, "Elementary Differential Equations", sec. 2.1).
        They depend only on the asset and the duration, so a fleet computes
        them once per step length.
    """
    if self_discharge_per_h > K_NEGLIGIBLE_PER_H:
        x = -self_discharge_per_h * duration_h
        return math.exp(x), -math.expm1(x) / self_discharge_per_h
    return 1.0, duration_h


@_jit
def soc_after_factors(soc, rate_per_h, e, g):
    """SOC after a hold from its decay factors: ``soc * E + rate * G``.

    Parameters
    ----------
    soc : float
        SOC at the start, fraction.
    rate_per_h : float
        SOC change per hour from the terminal power, 1/h (`soc_rate_per_h`).
    e, g : float
        `decay_factors` of the asset's self-discharge over the duration.

    Returns
    -------
    float
        SOC at the end, fraction, limits not applied (the solution of
        `decay_factors`' ODE written with its factors).
    """
    return soc * e + rate_per_h * g


@_jit
def soc_after(soc, power_kw, duration_h, capacity_kwh, charge_efficiency,
              discharge_efficiency, self_discharge_per_h):
    """SOC after holding a signed terminal power for `duration_h`, without limits.

    Parameters
    ----------
    soc : float
        SOC at the start, fraction in [0, 1].
    power_kw : float
        Terminal power, kW, load convention.
    duration_h : float
        Hold duration, h (>= 0).
    capacity_kwh : float
        Usable capacity, kWh (> 0).
    charge_efficiency, discharge_efficiency : float
        One-way efficiencies in (0, 1].
    self_discharge_per_h : float
        Fraction of stored energy lost per hour, 1/h (>= 0).

    Returns
    -------
    float
        ``soc E + r G`` with ``r = soc_rate_per_h(...)`` and ``(E, G) =
        decay_factors(k, t)``: ``soc + r t`` without self-discharge,
        ``soc_eq + (soc - soc_eq) exp(-k t)`` with ``soc_eq = r / k`` otherwise.
        Floors and ceilings are not applied (`hold_power` does).
    """
    e, g = decay_factors(self_discharge_per_h, duration_h)
    rate = soc_rate_per_h(power_kw, capacity_kwh, charge_efficiency, discharge_efficiency)
    return soc_after_factors(soc, rate, e, g)


@_jit
def time_to_soc(soc, target_soc, power_kw, capacity_kwh, charge_efficiency,
                discharge_efficiency, self_discharge_per_h):
    """Hours until the SOC reaches `target_soc` holding a constant terminal power.

    Parameters
    ----------
    soc, target_soc : float
        SOC now and the SOC to reach, fractions.
    power_kw : float
        Terminal power, kW, load convention.
    capacity_kwh : float
        Usable capacity, kWh (> 0).
    charge_efficiency, discharge_efficiency : float
        One-way efficiencies in (0, 1].
    self_discharge_per_h : float
        Fraction of stored energy lost per hour, 1/h (>= 0).

    Returns
    -------
    float
        Hours (>= 0): 0 at the target; ``inf`` if the SOC moves away from it
        or never gets there. Without self-discharge ``gap / r``; with it
        ``ln((soc - soc_eq) / (target - soc_eq)) / k``, ``soc_eq = r / k``
        (inverting `soc_after`).
    """
    gap = target_soc - soc
    if gap == 0.0:
        return 0.0
    rate = soc_rate_per_h(power_kw, capacity_kwh, charge_efficiency, discharge_efficiency)
    k = self_discharge_per_h
    if k > K_NEGLIGIBLE_PER_H:
        soc_eq = rate / k
        ratio = (soc - soc_eq) / (target_soc - soc_eq)
        if math.isfinite(ratio) and ratio > 1.0:
            return math.log(ratio) / k
        return math.inf
    if rate != 0.0 and gap * rate > 0.0:
        return gap / rate
    return math.inf


@_jit
def hold_power(soc, power_kw, duration_h, capacity_kwh, min_soc, max_soc, charge_efficiency,
               discharge_efficiency, self_discharge_per_h):
    """Hold a signed terminal power for up to `duration_h`, stopping at the floor or ceiling.

    The asset runs at `power_kw` until its SOC reaches `max_soc` (charging) or
    `min_soc` (discharging), then idles (power 0, self-discharge only) for the
    rest of the duration. An asset already at or beyond its limit in the
    direction of travel does not move; an idle one (power 0) only self-discharges.

    Parameters
    ----------
    soc : float
        SOC at the start, fraction.
    power_kw : float
        Terminal power, kW, load convention.
    duration_h : float
        Hold duration, h (>= 0).
    capacity_kwh : float
        Usable capacity, kWh (> 0).
    min_soc, max_soc : float
        Floor and ceiling, fractions (min_soc < max_soc).
    charge_efficiency, discharge_efficiency : float
        One-way efficiencies in (0, 1].
    self_discharge_per_h : float
        Fraction of stored energy lost per hour, 1/h (>= 0).

    Returns
    -------
    soc_end : float
        SOC at the end of the duration (`soc_after` of the two phases).
    energy_kwh : float
        Signed energy through the terminal, kWh (positive charged from the grid).
    active_h : float
        Hours spent at `power_kw` (``<= duration_h``); less than `duration_h`
        exactly when a limit was reached, at ``active_h`` after the start
        (`time_to_soc`).
    """
    if power_kw == 0.0:
        # idle: self-discharge only, nothing to stop at
        soc_end = soc_after(soc, power_kw, duration_h, capacity_kwh, charge_efficiency,
                            discharge_efficiency, self_discharge_per_h)
        return soc_end, power_kw * duration_h, duration_h
    if power_kw > 0.0:
        limit = max_soc
        beyond = soc >= limit
    else:
        limit = min_soc
        beyond = soc <= limit
    if beyond:
        t_hit = 0.0
    else:
        t_hit = time_to_soc(soc, limit, power_kw, capacity_kwh, charge_efficiency,
                            discharge_efficiency, self_discharge_per_h)
    if t_hit <= duration_h:
        # the limit is reached (or was already passed): idle from there for the rest
        start = soc if beyond else limit
        soc_end = soc_after(start, 0.0, duration_h - t_hit, capacity_kwh, charge_efficiency,
                            discharge_efficiency, self_discharge_per_h)
        return soc_end, power_kw * t_hit, t_hit
    soc_end = soc_after(soc, power_kw, duration_h, capacity_kwh, charge_efficiency,
                        discharge_efficiency, self_discharge_per_h)
    return soc_end, power_kw * duration_h, duration_h


@_jit
def max_charge_power_kw(soc, capacity_kwh, max_power_kw, duration_h, max_soc,
                        charge_efficiency):
    """Largest constant charge power sustainable for `duration_h` below `max_soc`.

    Parameters
    ----------
    soc : float
        SOC now, fraction.
    capacity_kwh : float
        Usable capacity, kWh (> 0).
    max_power_kw : float
        Charge power rating, kW (>= 0).
    duration_h : float
        Window, h (> 0).
    max_soc : float
        Ceiling, fraction.
    charge_efficiency : float
        One-way efficiency in (0, 1].

    Returns
    -------
    float
        kW (>= 0): ``min(max_power_kw, room_kwh / (charge_efficiency *
        duration_h))`` with ``room_kwh = max(0, (max_soc - soc) capacity_kwh)``:
        the energy balance of a constant hold (`soc_after` without self-discharge,
        solved for the power). Self-discharge is neglected (it only adds room).
    """
    room_kwh = (max_soc - soc) * capacity_kwh
    if not room_kwh > 0.0:
        room_kwh = 0.0
    energy_limited = room_kwh / (charge_efficiency * duration_h)
    return max_power_kw if energy_limited > max_power_kw else energy_limited


@_jit
def max_discharge_power_kw(soc, capacity_kwh, max_power_kw, duration_h, min_soc,
                           discharge_efficiency):
    """Largest constant discharge power sustainable for `duration_h` above `min_soc`.

    Parameters
    ----------
    soc : float
        SOC now, fraction.
    capacity_kwh : float
        Usable capacity, kWh (> 0).
    max_power_kw : float
        Discharge power rating, kW (>= 0, a magnitude).
    duration_h : float
        Window, h (> 0).
    min_soc : float
        Floor, fraction.
    discharge_efficiency : float
        One-way efficiency in (0, 1].

    Returns
    -------
    float
        kW (>= 0, a magnitude): ``min(max_power_kw, usable_kwh *
        discharge_efficiency / duration_h)`` with ``usable_kwh = max(0, (soc -
        min_soc) capacity_kwh)``: the energy balance of a constant hold
        (`soc_after` without self-discharge, solved for the power). Self-discharge
        is neglected (over dispatch windows of hours it is orders of magnitude
        below the power figures).
    """
    usable_kwh = (soc - min_soc) * capacity_kwh
    if not usable_kwh > 0.0:
        usable_kwh = 0.0
    energy_limited = usable_kwh * discharge_efficiency / duration_h
    return max_power_kw if energy_limited > max_power_kw else energy_limited


@_jit
def clip_power_kw(power_kw, max_charge_kw, max_discharge_kw):
    """Clip a signed power to ``[-max_discharge_kw, max_charge_kw]``.

    Parameters
    ----------
    power_kw : float
        Signed power, kW, load convention.
    max_charge_kw, max_discharge_kw : float
        Ratings, kW (>= 0, magnitudes).

    Returns
    -------
    float
        The clipped power, kW: the continuous ratings of the datasheet bound the
        power in each direction.
    """
    if power_kw > max_charge_kw:
        return max_charge_kw
    if power_kw < -max_discharge_kw:
        return -max_discharge_kw
    return power_kw


@_jit
def energy_needed_kwh(soc, target_soc, capacity_kwh):
    """Stored energy still needed to reach `target_soc`.

    Parameters
    ----------
    soc, target_soc : float
        SOC now and the target, fractions.
    capacity_kwh : float
        Usable capacity, kWh (> 0).

    Returns
    -------
    float
        kWh (>= 0) into storage: ``max(0, (target_soc - soc) capacity_kwh)``
        (SOC as a fraction of usable capacity); grid energy is this over the
        charge efficiency.
    """
    need = (target_soc - soc) * capacity_kwh
    return need if need > 0.0 else 0.0


@_jit
def laxity_h(time_left_h, soc, target_soc, capacity_kwh, max_charge_power_kw,
             charge_efficiency):
    """How long charging can still wait and meet the target at full power.

    Parameters
    ----------
    time_left_h : float
        Hours until departure (>= 0).
    soc, target_soc : float
        SOC now and the departure target, fractions.
    capacity_kwh : float
        Usable capacity, kWh (> 0).
    max_charge_power_kw : float
        Charger rating, kW (> 0).
    charge_efficiency : float
        One-way efficiency in (0, 1].

    Returns
    -------
    float
        Hours: ``time_left_h - energy_needed_kwh / (max_charge_power_kw *
        charge_efficiency)``; negative means the target can no longer be met.
        Laxity as in least-laxity-first scheduling (Dertouzos & Mok, IEEE TSE
        15(12), 1989); used for EV charging e.g. by ACN-Sim (Lee et al., 2019).
    """
    needed = energy_needed_kwh(soc, target_soc, capacity_kwh)
    if needed > 0.0:
        return time_left_h - needed / (max_charge_power_kw * charge_efficiency)
    return time_left_h


@_jit
def pv_power_kw(capacity_kw, irradiance_kw_per_m2, system_efficiency):
    """AC output of a PV system rated `capacity_kw` at STC (1 kW/m^2).

    Parameters
    ----------
    capacity_kw : float
        DC rating at STC, kWp (> 0).
    irradiance_kw_per_m2 : float
        Plane-of-array irradiance, kW/m^2 (negative counts as 0).
    system_efficiency : float
        DC-to-AC derate in (0, 1] (wiring, soiling, inverter; PVWatts' default
        14 % loss gives 0.86: Dobos, "PVWatts Version 5 Manual",
        NREL/TP-6A20-62641, 2014).

    Returns
    -------
    float
        kW (>= 0): ``capacity_kw * irradiance * system_efficiency``, linear in
        irradiance, no temperature effect.
    """
    g = irradiance_kw_per_m2 if irradiance_kw_per_m2 > 0.0 else 0.0
    return capacity_kw * g * system_efficiency


@_jit
def guard_floor_kw(need_kwh, time_left_h, dt_h, recharge_kw, max_charge_kw, charge_efficiency,
                   discharge_efficiency, v2g_max_kw):
    """The departure guard's floor: least power over the next `dt_h` after which an EV
    can still reach its target by recharging at `recharge_kw` (docs/semantics.md).

    With ``h = min(dt, time_left)`` and the slack ``S = eff * c * (time_left - h) -
    need`` (stored kWh left over if the EV then recharges at ``c``): the floor is
    ``-S / (eff * h)`` when ``S <= 0`` (it must charge that much), ``-S * eff_d / h``
    when ``S > 0`` (it may discharge that much, round-trip losses included), clipped
    to ``[-v2g_max_kw, max_charge_kw]``; 0 for an EV at its departure time, and with
    no departure ahead (``time_left = inf``) the slack is 0.

    Parameters
    ----------
    need_kwh : float
        Stored energy still needed, kWh (>= 0).
    time_left_h : float
        Hours to departure (negative counts as 0; ``inf``: none ahead).
    dt_h : float
        Hours to the next decision boundary, > 0.
    recharge_kw : float
        Rate the EV may count on to recover, kW: its charger without a site limit,
        its reservation under one.
    max_charge_kw : float
        Charger power, kW.
    charge_efficiency, discharge_efficiency : float
        One-way efficiencies, fractions in (0, 1].
    v2g_max_kw : float
        Largest discharge, kW (0: no V2G).

    Returns
    -------
    float
        kW in the load convention (negative: the EV may discharge).
    """
    left = max(time_left_h, 0.0)
    h = min(dt_h, left)
    if not h > 0.0:
        return 0.0
    if math.isinf(left):
        slack = 0.0
    else:
        slack = charge_efficiency * recharge_kw * (left - h) - need_kwh
    if slack <= 0.0:
        f = -slack / (charge_efficiency * h)
    else:
        f = -slack * discharge_efficiency / h
    if math.isnan(f):
        f = 0.0
    return min(max(f, -v2g_max_kw), max_charge_kw)
