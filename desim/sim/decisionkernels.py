"""Compiled passes of a decision instant (`desim.sim.boundary.decide`, `EvFleet.apply`).

Inside a dispatch event every decision runs over the whole fleet: each EV's
baseline, the homes' offers, their share of the award, each EV's requested and
guard-raised power, which EVs move, which rows change. Written as numpy
expressions each of these is several whole-fleet passes with a temporary
array each, and a decision made some forty of them (about 0.9 ms at 10,000
homes); here each is one loop. They hold no equations of their own: clips,
sums and masks only, as the numpy forms evaluate them, signed zeros included
(`_clip` is ``np.clip`` with array bounds; ``np.maximum(a, b)`` is ``a if a >
b else b``; a home's offer is its EVs' sum plus its batteries'
sum, each accumulated in index order as ``np.bincount`` does).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["ev_baseline_kw", "home_offers_kw", "award_parts_kw", "ev_requests_kw",
           "ev_moving_kw", "ev_power_changes", "shadow_soc", "ev_delta_kw", "award_moves"]

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _clip(p, lo, hi):
    """``np.clip(p, lo, hi)`` as numpy evaluates it with array bounds: ``max(p, lo)``
    then ``min(.., hi)``, each giving the bound when equal (signed zeros)."""
    m = p if p > lo else lo
    return m if m < hi else hi


@_jit
def ev_baseline_kw(policy_kw, plugged, soc, target_soc, max_charge_kw, out):
    """What each EV would draw with no event: its policy's setpoint within ``[0,
    max_charge_kw]`` while plugged and short of its target, else 0 (kW, into `out`)."""
    for i in range(out.size):
        if plugged[i] and soc[i] < target_soc[i]:
            out[i] = _clip(policy_kw[i], 0.0, max_charge_kw[i])
        else:
            out[i] = 0.0


@_jit
def home_offers_kw(ev_home, offer_ev, bess_home, offer_b, accepted, out):
    """Each home's offer: its EVs' offers plus its batteries', 0 for a home that did
    not accept the event (kW, into `out`)."""
    out[:] = 0.0
    from_b = np.zeros(out.size)
    for i in range(ev_home.size):
        out[ev_home[i]] += offer_ev[i]
    for j in range(bess_home.size):
        from_b[bess_home[j]] += offer_b[j]
    for h in range(out.size):
        out[h] = out[h] + from_b[h] if accepted[h] else 0.0


@_jit
def award_parts_kw(award_kw, home_offer_kw, ev_home, offer_ev, bess_home, offer_b, ev_award,
                   bess_award):
    """Each EV's and battery's part of its home's award: its offer times the home's
    ``award / offer`` (0 for a home that offers nothing), into `ev_award`, `bess_award`."""
    for i in range(ev_home.size):
        h = ev_home[i]
        ev_award[i] = offer_ev[i] * (award_kw[h] / home_offer_kw[h] if home_offer_kw[h] > 0.0
                                     else 0.0)
    for j in range(bess_home.size):
        h = bess_home[j]
        bess_award[j] = offer_b[j] * (award_kw[h] / home_offer_kw[h] if home_offer_kw[h] > 0.0
                                      else 0.0)


@_jit
def ev_requests_kw(base_kw, award_kw, direction, v2g_max_kw, max_charge_kw, floor_kw,
                   requested, raised):
    """Each EV's requested power, ``base + direction x award`` within ``[-v2g_max,
    max_charge]`` (`base` itself outside events, ``direction == 0``), and that raised to
    its guard floor (kW, into `requested`, `raised`)."""
    for i in range(base_kw.size):
        p = base_kw[i] if direction == 0 else base_kw[i] + direction * award_kw[i]
        r = _clip(p, -v2g_max_kw[i], max_charge_kw[i])
        requested[i] = r
        f = floor_kw[i]
        raised[i] = r if r > f else f


@_jit
def ev_moving_kw(p_kw, plugged, soc, target_soc, v2g_min_soc, out):
    """The power each EV holds for setpoint `p_kw`: the setpoint while plugged and
    charging below its target or discharging above its V2G floor, else 0 (kW)."""
    for i in range(out.size):
        p = p_kw[i]
        if plugged[i] and ((p > 0.0 and soc[i] < target_soc[i])
                           or (p < 0.0 and soc[i] > v2g_min_soc[i])):
            out[i] = p
        else:
            out[i] = 0.0


@_jit
def ev_power_changes(new_kw, power_kw, plugged, soc, target_soc, requested_kw, logged,
                     changed, change_kw):
    """Compare new EV powers with those held: `logged` gets the plugged EVs whose
    power changes while short of their target or asked to discharge (their
    ``setpoint`` rows), `changed` every EV whose power changes and `change_kw` by how
    much; `power_kw` takes the new powers. Returns the counts of both."""
    n_log = 0
    n_change = 0
    for i in range(new_kw.size):
        p = new_kw[i]
        old = power_kw[i]
        if plugged[i] and p != old and (soc[i] < target_soc[i] or requested_kw[i] < 0.0):
            logged[n_log] = i
            n_log += 1
        d = p - old
        if d != 0.0:
            changed[n_change] = i
            change_kw[n_change] = d
            n_change += 1
        power_kw[i] = p
    return n_log, n_change


@_jit
def shadow_soc(shadow, base_kw, plugged, was_plugged, soc, target_soc, charge_efficiency,
               capacity_kwh, dt_h, out):
    """Each EV's shadow SOC `dt_h` later (`EvFleet.advance_shadow`), into `out`: a plugged
    EV charging at its baseline `base_kw` gains ``base x eff x dt / capacity``, up to its
    target; an EV plugged in since (not `was_plugged`) starts from its SOC now."""
    for i in range(out.size):
        s = shadow[i]
        if plugged[i]:
            if not was_plugged[i]:
                s = soc[i]
            elif dt_h > 0.0 and base_kw[i] > 0.0:
                s2 = s + base_kw[i] * charge_efficiency[i] * dt_h / capacity_kwh[i]
                s = target_soc[i] if target_soc[i] < s2 else s2
        out[i] = s


@_jit
def ev_delta_kw(ev_kw, base_kw, plugged, direction, out):
    """Each EV's move against its baseline in the event's direction (kW, into `out`; 0
    for an EV not plugged in)."""
    for i in range(out.size):
        out[i] = direction * (ev_kw[i] - base_kw[i]) if plugged[i] else 0.0


@_jit
def award_moves(award_kw, previous_kw, joined, left):
    """Homes that win an award they did not hold (`joined`) and homes that lose one
    (`left`), in index order; returns both counts."""
    n_j = 0
    n_l = 0
    for h in range(award_kw.size):
        if award_kw[h] > 0.0:
            if previous_kw[h] <= 0.0:
                joined[n_j] = h
                n_j += 1
        elif award_kw[h] <= 0.0 and previous_kw[h] > 0.0:
            left[n_l] = h
            n_l += 1
    return n_j, n_l
