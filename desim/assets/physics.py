"""Asset physics as pure functions of numbers.

Every function here takes floats or numpy arrays (broadcast together) and
returns the same, so one battery and a fleet of a million use the same
equations. No attrs, SimPy, I/O or randomness. Conventions (see docs/assets.md):

- SOC is a fraction of usable capacity in [0, 1]; stored energy is
  ``soc * capacity_kwh``.
- Signed power uses the load convention: positive charges (imports),
  negative discharges (exports). Power is measured at the asset's AC terminal.
- Efficiencies are one-way fractions in (0, 1]: charging at ``p`` kW stores
  ``p * charge_efficiency`` kW; discharging ``p`` kW to the terminal draws
  ``p / discharge_efficiency`` kW from storage.
- Self-discharge is a fraction of the stored energy lost per hour
  (``dsoc/dt = stored_kw / capacity_kwh - self_discharge_per_h * soc``),
  integrated exactly.
- Durations are hours; ``np.inf`` means "never".
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "stored_power_kw",
    "terminal_power_kw",
    "soc_after",
    "decay_factors",
    "time_to_soc",
    "hold_power",
    "max_charge_power_kw",
    "max_discharge_power_kw",
    "clip_power_kw",
    "energy_needed_kwh",
    "laxity_h",
    "pv_power_kw",
]


# Self-discharge rates below this (per hour) are treated as zero: over any
# simulated horizon their effect is below float resolution, and dividing by a
# subnormal rate would overflow.
_K_NEGLIGIBLE_PER_H = 1e-12


def _out(value):
    """Return a Python float for 0-d results, the array otherwise."""
    value = np.asarray(value)
    return float(value) if value.ndim == 0 else value


def stored_power_kw(power_kw, charge_efficiency=0.95, discharge_efficiency=0.95):
    """Rate of change of stored energy (kW) for a signed terminal power (kW).

    ``p * charge_efficiency`` when charging (p > 0), ``p / discharge_efficiency``
    when discharging (p < 0).
    """
    power_kw = np.asarray(power_kw, dtype=float)
    return _out(np.where(power_kw > 0.0, power_kw * charge_efficiency,
                         power_kw / discharge_efficiency))


def terminal_power_kw(stored_kw, charge_efficiency=0.95, discharge_efficiency=0.95):
    """Inverse of `stored_power_kw`: terminal power for a rate of stored-energy change."""
    stored_kw = np.asarray(stored_kw, dtype=float)
    return _out(np.where(stored_kw > 0.0, stored_kw / charge_efficiency,
                         stored_kw * discharge_efficiency))


def decay_factors(self_discharge_per_h, duration_h):
    """``(E, G)`` with ``soc_after = soc * E + rate * G`` (see `soc_after`).

    ``E = exp(-k t)`` and ``G = (1 - E) / k`` (``G = t`` when k = 0), the exact
    solution of ``dsoc/dt = rate - k soc`` over `duration_h`. They depend only on
    the asset and the duration, so a fleet can compute them once per step length.
    """
    k = np.asarray(self_discharge_per_h, dtype=float)
    duration_h = np.asarray(duration_h, dtype=float)
    decays = k > _K_NEGLIGIBLE_PER_H
    safe_k = np.where(decays, k, 1.0)
    x = -safe_k * duration_h
    e = np.where(decays, np.exp(x), 1.0)
    g = np.where(decays, -np.expm1(x) / safe_k, duration_h)
    return _out(e), _out(g)


def soc_after(soc, power_kw, duration_h, capacity_kwh, charge_efficiency=0.95,
              discharge_efficiency=0.95, self_discharge_per_h=0.0):
    """SOC after holding a signed terminal power for `duration_h`, without limits.

    Exact solution of ``dsoc/dt = r - k soc`` with ``r = stored_kw / capacity_kwh``
    and ``k = self_discharge_per_h``: ``soc(t) = r t + soc0`` for k = 0, and
    ``soc_eq + (soc0 - soc_eq) exp(-k t)`` with ``soc_eq = r / k`` otherwise,
    written as ``soc0 E + r G`` (`decay_factors`). Floors and ceilings are not
    applied here; see `hold_power`.
    """
    soc = np.asarray(soc, dtype=float)
    rate = np.asarray(stored_power_kw(power_kw, charge_efficiency, discharge_efficiency),
                      dtype=float) / capacity_kwh
    e, g = decay_factors(self_discharge_per_h, duration_h)
    return _out(soc * e + rate * g)


def time_to_soc(soc, target_soc, power_kw, capacity_kwh, charge_efficiency=0.95,
                discharge_efficiency=0.95, self_discharge_per_h=0.0):
    """Hours until SOC reaches `target_soc` holding a constant terminal power.

    Closed form (the engine schedules state events with it): 0 if already at
    the target, ``np.inf`` if the SOC moves away from it or never gets there.
    """
    soc = np.asarray(soc, dtype=float)
    target_soc = np.asarray(target_soc, dtype=float)
    k = np.asarray(self_discharge_per_h, dtype=float)
    rate = np.asarray(stored_power_kw(power_kw, charge_efficiency, discharge_efficiency),
                      dtype=float) / capacity_kwh
    gap = target_soc - soc
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # k == 0: linear.
        linear = np.where((rate != 0.0) & (gap * rate > 0.0), gap / rate, np.inf)
        # k > 0: exponential approach to soc_eq = rate / k.
        safe_k = np.where(k > _K_NEGLIGIBLE_PER_H, k, 1.0)
        soc_eq = rate / safe_k
        ratio = (soc - soc_eq) / (target_soc - soc_eq)
        expo = np.where(np.isfinite(ratio) & (ratio > 1.0), np.log(ratio) / safe_k, np.inf)
    result = np.where(k > _K_NEGLIGIBLE_PER_H, expo, linear)
    return _out(np.where(gap == 0.0, 0.0, result))


def hold_power(soc, power_kw, duration_h, capacity_kwh, min_soc=0.0, max_soc=1.0,
               charge_efficiency=0.95, discharge_efficiency=0.95, self_discharge_per_h=0.0):
    """Hold a signed terminal power for up to `duration_h`, stopping at the floor or ceiling.

    The asset runs at `power_kw` until its SOC reaches `max_soc` (charging) or
    `min_soc` (discharging), then idles (power 0, self-discharge only) for the
    rest of the duration. An asset already beyond its limit in the direction of
    travel does not move.

    Returns
    -------
    soc_end : float or ndarray
        SOC at the end of the duration.
    energy_kwh : float or ndarray
        Signed energy through the terminal (positive charged from the grid).
    active_h : float or ndarray
        Hours spent at `power_kw` (``<= duration_h``); less than `duration_h`
        exactly when a limit was reached, at ``active_h`` after the start.
    """
    soc = np.asarray(soc, dtype=float)
    power_kw = np.asarray(power_kw, dtype=float)
    duration_h = np.asarray(duration_h, dtype=float)
    up = power_kw > 0.0
    limit = np.where(up, max_soc, min_soc)
    beyond = np.where(up, soc >= limit, soc <= limit) & (power_kw != 0.0)
    t_hit = np.where(beyond, 0.0, time_to_soc(soc, limit, power_kw, capacity_kwh,
                                              charge_efficiency, discharge_efficiency,
                                              self_discharge_per_h))
    active_h = np.minimum(duration_h, t_hit)
    stops = t_hit <= duration_h
    # after a stop: idle (self-discharge only) from the limit (or from where it
    # started, if it was already beyond) for the rest of the duration
    soc_end = soc_after(np.where(stops & ~beyond, limit, soc), np.where(stops, 0.0, power_kw),
                        duration_h - np.where(stops, active_h, 0.0), capacity_kwh,
                        charge_efficiency, discharge_efficiency, self_discharge_per_h)
    return _out(soc_end), _out(power_kw * active_h), _out(active_h)


def max_charge_power_kw(soc, capacity_kwh, max_power_kw, duration_h, max_soc=1.0,
                        charge_efficiency=0.95):
    """Largest constant charge power (kW, >= 0) sustainable for `duration_h` below `max_soc`.

    Self-discharge is neglected (it only adds room).
    """
    room_kwh = np.maximum(0.0, (np.asarray(max_soc) - np.asarray(soc)) * capacity_kwh)
    with np.errstate(divide="ignore"):
        energy_limited = room_kwh / (charge_efficiency * np.asarray(duration_h, dtype=float))
    return _out(np.minimum(max_power_kw, energy_limited))


def max_discharge_power_kw(soc, capacity_kwh, max_power_kw, duration_h, min_soc=0.0,
                           discharge_efficiency=0.95):
    """Largest constant discharge power (kW, >= 0) sustainable for `duration_h` above `min_soc`.

    Self-discharge is neglected here (over dispatch windows of hours it is
    orders of magnitude below the power figures).
    """
    usable_kwh = np.maximum(0.0, (np.asarray(soc) - np.asarray(min_soc)) * capacity_kwh)
    with np.errstate(divide="ignore"):
        energy_limited = usable_kwh * discharge_efficiency / np.asarray(duration_h, dtype=float)
    return _out(np.minimum(max_power_kw, energy_limited))


def clip_power_kw(power_kw, max_charge_kw, max_discharge_kw):
    """Clip a signed power to ``[-max_discharge_kw, max_charge_kw]``."""
    return _out(np.clip(np.asarray(power_kw, dtype=float), -np.asarray(max_discharge_kw),
                        np.asarray(max_charge_kw)))


def energy_needed_kwh(soc, target_soc, capacity_kwh):
    """Stored energy (kWh, >= 0) still needed to reach `target_soc`."""
    return _out(np.maximum(0.0, (np.asarray(target_soc) - np.asarray(soc)) * capacity_kwh))


def laxity_h(time_left_h, soc, target_soc, capacity_kwh, max_charge_power_kw,
             charge_efficiency=1.0):
    """How long charging can still wait and meet the target at full power (hours).

    ``time_left_h - energy_needed_kwh / (max_charge_power_kw * charge_efficiency)``;
    negative means the target can no longer be met.
    """
    needed = np.asarray(energy_needed_kwh(soc, target_soc, capacity_kwh), dtype=float)
    rate = np.asarray(max_charge_power_kw, dtype=float) * charge_efficiency
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        time_needed = np.where(needed > 0.0, needed / rate, 0.0)
    return _out(np.asarray(time_left_h, dtype=float) - time_needed)


def pv_power_kw(capacity_kw, irradiance_kw_per_m2, system_efficiency=0.86):
    """AC output (kW) of a PV system rated `capacity_kw` at STC (1 kW/m^2).

    Linear in plane-of-array irradiance; `system_efficiency` is the DC-to-AC
    derate (wiring, soiling, inverter; PVWatts' default 14 % loss gives 0.86).
    Clipped at zero below; never above the rating times the derate at STC.
    """
    g = np.maximum(0.0, np.asarray(irradiance_kw_per_m2, dtype=float))
    return _out(np.asarray(capacity_kw, dtype=float) * g * system_efficiency)
