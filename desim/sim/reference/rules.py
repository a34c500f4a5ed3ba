"""The control and market rules of docs/semantics.md, one EV or home at a time.

Plain functions of floats and small lists, written from the contract and
nothing else, so a test can check each against a hand computation. Powers use
the load convention (positive charges), energies are stored kWh unless named
otherwise, times are hours.
"""

from __future__ import annotations

import math

from desim.assets import physics

__all__ = [
    "FEASIBLE", "INFEASIBLE", "CONGESTION", "GUARDING", "HIGH_PRIORITY",
    "need_kwh", "laxity_h", "laxity_c_h", "classify_plugin", "guard_floor_kw", "smart_fill",
    "ev_offer_kw", "absorb_scale", "bess_offer_kw", "owner_floor_soc", "allocate",
    "cut_to_limit",
]

FEASIBLE = "feasible_at_plugin"
INFEASIBLE = "infeasible_at_plugin"
CONGESTION = "congestion_at_plugin"
GUARDING = ("smart", "price_responsive")   # EV policies the departure guard applies to
HIGH_PRIORITY = 2           # index of "high" in desim.fleet.table.EV_PRIORITY_NAMES
FEASIBLE_TOL_KWH = 1e-6
HEADROOM_TOL_KW = 1e-9


def need_kwh(soc: float, target_soc: float, capacity_kwh: float) -> float:
    """Stored energy still needed to reach the target, ``max(0, (soc_req - soc) C)``."""
    return max(0.0, (target_soc - soc) * capacity_kwh)


def laxity_h(t: float, dep: float, need: float, pmax: float, eff: float) -> float:
    """``(dep - t) - need / (pmax eff)``: how long charging can still wait at full power."""
    return (dep - t) - (need / (pmax * eff) if need > 0.0 else 0.0)


def laxity_c_h(t: float, dep: float, need: float, c: float, eff: float) -> float:
    """Laxity at the recharge rate `c`: ``(dep - t) - need / (c eff)`` (h).

    ``need = 0`` gives ``dep - t``; ``c = 0`` with ``need > 0`` gives ``-inf``.
    """
    if need <= 0.0:
        return dep - t
    if c <= 0.0:
        return -math.inf
    return (dep - t) - need / (c * eff)


def classify_plugin(t, dep, need, pmax, eff, site_limit_kw, reserved_kw, v2g_max_kw=0.0):
    """Feasibility at plug-in; returns ``(status, rho_kw)``.

    `reserved_kw` is the sum of the reservations of the guaranteed EVs still
    plugged in. Without a site limit a guaranteed EV's rho is reported as 0 (its
    recharge rate is then pmax, not rho).
    """
    stay = dep - t
    if need > pmax * eff * max(stay, 0.0) + FEASIBLE_TOL_KWH:
        return INFEASIBLE, 0.0
    if not math.isfinite(site_limit_kw):
        return FEASIBLE, 0.0
    m = need / (eff * stay) if need > 0.0 else 0.0
    headroom = site_limit_kw - reserved_kw
    if m <= headroom + HEADROOM_TOL_KW:
        # a V2G-capable EV also reserves room to recharge what it may give back
        return FEASIBLE, max(m, min(pmax, m + v2g_max_kw, headroom))
    return CONGESTION, 0.0


def guard_floor_kw(t, dt, dep, need, soc, target_soc, c, pmax, eff, v2g_max_kw):
    """The guard floor ``f`` of a guaranteed EV over ``[t, t + dt]`` (kW, may be < 0).

    ``S = eff c (dep - t - h) - need`` with ``h = min(dt, dep - t)``;
    ``f = -S / (eff h)`` if ``S <= 0`` else ``-S eff_d / h``; clipped to
    ``[-v2g_max, pmax]``; 0 for an EV at its target with slack and no V2G.
    """
    h = min(dt, dep - t)
    if h <= 0.0:
        return 0.0
    slack = eff * c * (dep - t - h) - need
    f = -slack / (eff * h) if slack <= 0.0 else -slack * eff / h
    f = min(max(f, -v2g_max_kw), pmax)
    if soc >= target_soc and slack > 0.0 and v2g_max_kw <= 0.0:
        f = 0.0
    return f


def smart_fill(active, floors, pmax, dep, lax, order, site_limit_kw):
    """Smart setpoints of the active EVs (lists indexed like `active`).

    Each active EV first gets ``floors[j]`` (already ``max(f, 0)`` or 0); the
    rest of the limit goes in order of departure (``edf``) or laxity (``llf``),
    ties by EV index (`active` holds the EV indices), each up to its pmax.
    Without a site limit every active EV gets pmax.
    """
    n = len(active)
    if not math.isfinite(site_limit_kw):
        return [pmax[j] for j in range(n)]
    power = [floors[j] for j in range(n)]
    rest = site_limit_kw - sum(floors)
    key = dep if order == "edf" else lax
    for j in sorted(range(n), key=lambda j: (key[j], active[j])):
        extra = min(pmax[j] - power[j], max(rest, 0.0))
        if extra > 0.0:
            power[j] += extra
            rest -= extra
    return power


def ev_offer_kw(direction, baseline_kw, *, need, soc, capacity_kwh, eff, pmax, v2g_max_kw,
                v2g_min_soc, window_h, laxity_c, guarded, c):
    """One plugged, participating EV's offer for the rest of the window (kW, >= 0).

    `guarded`: the policy is guarded (guard on, ``smart`` or ``price_responsive``);
    the caller then asks only guaranteed EVs. `laxity_c` is the laxity at the
    recharge rate `c` (`laxity_c_h`). Discharge events (`direction` < 0):
    deferral of the baseline charging (if not guarded, or if ``laxity_c >= w``)
    plus V2G ``v = min(v2g_max, (soc - v2g_min_soc) C eff_d / w)``, which under a
    guarded policy needs ``laxity_c - w - v w / (c eff eff_d) >= 0`` (never met
    with ``c = 0``). Absorb events: ``pmax - baseline`` for an EV with ``need > 0``.
    """
    w = window_h
    if direction > 0:
        return max(0.0, pmax - baseline_kw) if need > 0.0 else 0.0
    deferral = max(0.0, baseline_kw) if (not guarded or laxity_c >= w) else 0.0
    v2g = 0.0
    if v2g_max_kw > 0.0:
        v2g = max(0.0, min(v2g_max_kw, (soc - v2g_min_soc) * capacity_kwh * eff / w))
        if guarded and v2g > 0.0:
            cost_h = v2g * w / (c * eff * eff) if c > 0.0 else math.inf
            if laxity_c - w - cost_h < 0.0:
                v2g = 0.0
    return deferral + v2g


def absorb_scale(offers_kw, baselines_kw, site_limit_kw) -> float:
    """Factor (0..1) scaling the EV absorb offers together to the headroom the
    baselines leave under the site limit: ``(limit - sum(baselines)) / sum(offers)``."""
    total = sum(offers_kw)
    if not math.isfinite(site_limit_kw) or total <= 0.0:
        return 1.0
    headroom = max(0.0, site_limit_kw - sum(baselines_kw))
    return min(1.0, headroom / total)


def owner_floor_soc(min_soc, max_soc, max_discharge, backup_hours, annual_load_kwh,
                    capacity_kwh):
    """Lowest SOC the owner lets an aggregator take a battery to."""
    backup = min(max_soc, min_soc + backup_hours * annual_load_kwh / 8760.0 / capacity_kwh)
    return max(min_soc, 1.0 - max_discharge, backup)


def bess_offer_kw(direction, baseline_kw, *, soc, capacity_kwh, max_charge_kw,
                  max_discharge_kw, charge_eff, discharge_eff, floor_soc, max_soc, window_h):
    """A follow_dispatch battery's offer (kW, >= 0) beyond its baseline for the window.

    Discharge: the constant power it can hold above the owner's floor for the
    window, minus what its baseline already discharges (``max(0, -baseline)``; a
    charging baseline discharges nothing). Absorb: likewise up to its ceiling,
    minus what its baseline already charges (``max(0, baseline)``).
    """
    if direction < 0:
        hold = float(physics.max_discharge_power_kw(soc, capacity_kwh, max_discharge_kw,
                                                    window_h, floor_soc, discharge_eff))
        return max(0.0, hold - max(0.0, -baseline_kw))
    hold = float(physics.max_charge_power_kw(soc, capacity_kwh, max_charge_kw, window_h,
                                             max_soc, charge_eff))
    return max(0.0, hold - max(0.0, baseline_kw))


def allocate(target_kw, offers, asks, allocation):
    """Awards per home (dict home -> kW) for `offers` (dict home -> kW).

    ``pro_rata``: the same fraction of every offer; ``merit``: cheapest ask
    first, ties by home index. No award exceeds its offer; the sum never
    exceeds the target.
    """
    total = sum(offers.values())
    if allocation == "pro_rata":
        frac = min(1.0, target_kw / total) if total > 0.0 else 0.0
        return {i: frac * o for i, o in offers.items()}
    if allocation == "merit":
        rest = target_kw
        awards = {}
        for i in sorted(offers, key=lambda i: (asks[i], i)):
            awards[i] = min(offers[i], max(rest, 0.0))
            rest -= awards[i]
        return awards
    raise NotImplementedError(f"allocation {allocation!r}")


def cut_to_limit(power, floors, dep, evs, site_limit_kw):
    """Cut the parts above the floors, latest departure first, to the site limit.

    `power`, `floors`, `dep` and `evs` (EV indices) are parallel lists; returns
    the new powers. Ties in departure: the higher EV index is cut first.
    """
    power = list(power)
    excess = sum(power) - site_limit_kw
    if not math.isfinite(site_limit_kw) or excess <= 0.0:
        return power
    for j in sorted(range(len(power)), key=lambda j: (dep[j], evs[j]), reverse=True):
        room = power[j] - max(floors[j], 0.0)
        if room > 0.0:
            cut = min(room, excess)
            power[j] -= cut
            excess -= cut
            if excess <= 0.0:
                break
    return power
