"""The departure guard: reservations at plug-in and the guard floor (docs/semantics.md).

Pure functions of arrays (one entry per EV); the engine decides when they are
called. A *guaranteed* EV is one whose target was reachable at plug-in, alone and
within the site headroom left by the reservations of the EVs already plugged in.
"""

from __future__ import annotations

import numpy as np

from desim.assets import physics
from desim.sim import kernels
from desim.sim.tolerances import LIMIT_TOL_KW, MET_TOL_KWH, STOP_TOL_H

__all__ = ["FEASIBLE", "INFEASIBLE", "CONGESTION", "CAUSE_NAMES", "MET_TOL_KWH",
           "LIMIT_TOL_KW", "STOP_TOL_H", "admit", "floor_kw", "recharge_kw"]

FEASIBLE, INFEASIBLE, CONGESTION = 0, 1, 2
CAUSE_NAMES = ("feasible_at_plugin", "infeasible_at_plugin", "congestion_at_plugin")
# the tolerances the guard uses (units and meaning in desim.sim.tolerances)


def admit(need_kwh, time_left_h, max_charge_kw, charge_efficiency, site_limit_kw,
          reserved_kw, v2g_max_kw=0.0):
    """Feasibility at plug-in of EVs that plug in together at one instant.

    Parameters
    ----------
    need_kwh, time_left_h, max_charge_kw, charge_efficiency : array
        Stored energy still needed (kWh, >= 0), hours to departure, charger power
        (kW) and one-way charge efficiency of each plugging EV.
    site_limit_kw : float
        The site limit (``inf`` without one).
    reserved_kw : float
        Sum of the reservations of the guaranteed EVs already plugged in (kW).

    Returns
    -------
    cause : int array
        `FEASIBLE`, `INFEASIBLE` (not reachable alone at full power) or `CONGESTION`
        (reachable alone, not within the headroom left).
    reservation_kw : array
        What each guaranteed EV reserves under a site limit: its minimum constant
        rate ``m = need / (eff * time_left)``, and for a V2G-capable EV also room to
        recharge what it may give back, ``max(m, min(pmax, m + v2g_max, headroom))``;
        0 without a limit and for EVs not guaranteed. EVs plugging at the same
        instant are admitted in the order given.
    """
    need = np.asarray(need_kwh, dtype=float)
    left = np.maximum(np.asarray(time_left_h, dtype=float), 0.0)
    shape = need.shape
    alone = kernels.reachable_alone_all(
        need, np.broadcast_to(left, shape).astype(float),
        np.broadcast_to(np.asarray(max_charge_kw, dtype=float), shape).astype(float),
        np.broadcast_to(np.asarray(charge_efficiency, dtype=float), shape).astype(float),
        MET_TOL_KWH)
    cause = np.where(alone, FEASIBLE, INFEASIBLE).astype(np.int8)
    rho = np.zeros(len(need))
    if not np.isfinite(site_limit_kw):
        return cause, rho
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(need > MET_TOL_KWH, need / (charge_efficiency * left), 0.0)
    headroom = site_limit_kw - reserved_kw
    v2g = np.broadcast_to(np.asarray(v2g_max_kw, dtype=float), need.shape)
    pmax = np.broadcast_to(np.asarray(max_charge_kw, dtype=float), need.shape)
    for j in np.flatnonzero(alone):     # few EVs plug in at one instant
        if rate[j] <= headroom + LIMIT_TOL_KW:
            rho[j] = max(rate[j], min(pmax[j], rate[j] + v2g[j], headroom))
            headroom -= rho[j]
        else:
            cause[j] = CONGESTION
    return cause, rho


def recharge_kw(max_charge_kw, reservation_kw, site_limit_kw):
    """The rate a guaranteed EV may count on to recover: full power without a site
    limit, its reservation under one."""
    return max_charge_kw if not np.isfinite(site_limit_kw) else reservation_kw


def floor_kw(need_kwh, time_left_h, dt_h, recharge_kw, max_charge_kw, charge_efficiency,
             v2g_max_kw, discharge_efficiency=None):
    """The guard floor: least power over the next `dt_h` that keeps the target reachable.

    With ``h = min(dt, time_left)`` and the slack ``S = eff * c * (time_left - h) -
    need`` (stored kWh left over if the EV then recharges at ``c``):
    ``f = -S / (eff * h)`` when ``S <= 0`` (it must charge), ``f = -S * eff_d / h``
    when ``S > 0`` (it may discharge that much, V2G, round-trip losses included),
    clipped to ``[-v2g_max_kw, max_charge_kw]``. For an EV already at its departure
    time the floor is 0.

    The equation is `desim.assets.physics.scalar.guard_floor_kw`.

    Returns
    -------
    array of kW (load convention; negative means the EV may discharge).
    """
    eff_d = charge_efficiency if discharge_efficiency is None else discharge_efficiency
    return physics.guard_floor_kw(need_kwh, time_left_h, dt_h, recharge_kw, max_charge_kw,
                                  charge_efficiency, eff_d, v2g_max_kw)
