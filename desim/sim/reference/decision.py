"""One decision of the reference controller: every setpoint at one decision instant.

Order (docs/semantics.md): each asset's baseline (its policy's setpoint with no
event; inside an event an EV's baseline is its policy evaluated on its shadow
SOC), then, inside an event, offers, awards, ``baseline + direction * award``
clipped to the ratings; then the guard floor raises EV setpoints (a clip); then
the site-limit cut; then an EV at its target does not charge and an EV at its
V2G floor does not discharge, and a battery stops at its limits.
"""

from __future__ import annotations

import math

from desim.sim.reference import rules

__all__ = ["decide"]

NEAR_FULL_SOC = 0.005       # a battery with self-discharge this close to its ceiling idles
LIMIT_TOL_KW = 1e-9
SHADOW_AT_TARGET_SOC = 1e-12  # a shadow SOC this close below its target is at its target


def decide(run, t, dt, window):
    """Setpoints ``(ev_kw, bess_kw)`` (dicts by asset index) at decision instant `t`.

    `dt` is the time to the next scheduled boundary, `window` the dispatch event
    in progress (or None).
    """
    plugged = [ev for ev in run.evs if ev.plugged]
    soc = {ev.index: ev.soc_at(t) for ev in plugged}
    need = {ev.index: rules.need_kwh(soc[ev.index], ev.tgt, ev.capacity_kwh) for ev in plugged}
    floor = {}
    for ev in plugged:
        if run._guarded(ev):
            floor[ev.index] = rules.guard_floor_kw(
                t, dt, ev.dep, need[ev.index], soc[ev.index], ev.tgt, run.recharge_kw(ev),
                ev.pmax, ev.eff, ev.v2g_max_kw)
    if window is None:
        base = _ev_baseline(run, t, plugged, soc, need, floor)
    else:
        base = _shadow_baseline(run, t, dt, window, plugged)
    k = run.interval_index(t)
    bsoc = {b.index: b.soc_at(t) for b in run.bess}
    bbase = {}
    held: dict[int, float] = {}     # per home: what its batteries listed so far hold
    for b in run.bess:
        bbase[b.index] = _bess_baseline(run, b, bsoc[b.index], k, held.get(b.home, 0.0))
        held[b.home] = held.get(b.home, 0.0) + bbase[b.index]
    ev_sp, bess_sp = dict(base), dict(bbase)
    if window is not None:
        _dispatch(run, t, window, plugged, soc, need, base, bsoc, bbase, ev_sp, bess_sp)
    for ev in plugged:
        f = floor.get(ev.index)
        if f is not None and ev_sp[ev.index] < f:
            run.clips.append((t, ev.index, ev_sp[ev.index], f))
            ev_sp[ev.index] = f
    if run.ev_policy != "uncontrolled" and math.isfinite(run.limit) and plugged:
        cut = rules.cut_to_limit([ev_sp[ev.index] for ev in plugged],
                                 [max(floor.get(ev.index, 0.0), 0.0) for ev in plugged],
                                 [ev.dep for ev in plugged], [ev.index for ev in plugged],
                                 run.limit)
        ev_sp.update({ev.index: p for ev, p in zip(plugged, cut, strict=True)})
    for ev in plugged:
        e = ev.index
        if soc[e] >= ev.tgt:
            ev_sp[e] = min(ev_sp[e], 0.0)
        if soc[e] <= ev.v2g_min_soc:
            ev_sp[e] = max(ev_sp[e], 0.0)
    for b in run.bess:
        bess_sp[b.index] = _bess_limits(b, bsoc[b.index], bess_sp[b.index])
    total = sum(ev_sp[ev.index] for ev in plugged)
    if math.isfinite(run.limit) and total > run.limit + LIMIT_TOL_KW:
        run.limit_exceeded.append((t, total))
    return ev_sp, bess_sp


def _ev_baseline(run, t, plugged, soc, need, floor):
    """The EV policy's setpoints with no event."""
    if run.ev_policy == "uncontrolled":
        return {ev.index: (ev.pmax if soc[ev.index] < ev.tgt else 0.0) for ev in plugged}
    base = {ev.index: 0.0 for ev in plugged}
    active = [ev for ev in plugged if soc[ev.index] < ev.tgt]
    power = rules.smart_fill(
        [ev.index for ev in active],
        [max(floor.get(ev.index, 0.0), 0.0) for ev in active],
        [ev.pmax for ev in active], [ev.dep for ev in active],
        [rules.laxity_h(t, ev.dep, need[ev.index], ev.pmax, ev.eff) for ev in active],
        run.order, run.limit)
    base.update({ev.index: p for ev, p in zip(active, power, strict=True)})
    return base


def _shadow_baseline(run, t, dt, window, plugged):
    """EV baselines inside `window`: the policy evaluated on each EV's shadow SOC.

    The shadow SOC starts at the EV's SOC at its first decision in the event (the
    event start, or its plug-in during the event), then advances at the baseline
    decided at the previous decision, capped at the target. The baseline is the
    policy's setpoint on the shadow states, clipped to ``[0, pmax]``, while the
    shadow SOC is below the target; else 0.
    """
    for ev in plugged:
        if ev.shadow_k != window.k:
            ev.shadow_k, ev.shadow_soc, ev.shadow_p = window.k, ev.soc_at(t), 0.0
        elif ev.shadow_p > 0.0 and ev.shadow_soc < ev.tgt:
            s = ev.shadow_soc + ev.eff * ev.shadow_p * (t - ev.shadow_t) / ev.capacity_kwh
            ev.shadow_soc = ev.tgt if s >= ev.tgt - SHADOW_AT_TARGET_SOC else s
        ev.shadow_t = t
    ssoc = {ev.index: ev.shadow_soc for ev in plugged}
    sneed = {ev.index: rules.need_kwh(ssoc[ev.index], ev.tgt, ev.capacity_kwh)
             for ev in plugged}
    sfloor = {}
    for ev in plugged:
        if run._guarded(ev):
            sfloor[ev.index] = rules.guard_floor_kw(
                t, dt, ev.dep, sneed[ev.index], ssoc[ev.index], ev.tgt, run.recharge_kw(ev),
                ev.pmax, ev.eff, ev.v2g_max_kw)
    base = _ev_baseline(run, t, plugged, ssoc, sneed, sfloor)
    for ev in plugged:
        e = ev.index
        base[e] = min(max(base[e], 0.0), ev.pmax) if ssoc[e] < ev.tgt else 0.0
        ev.shadow_p = base[e]
    return base


def _bess_limits(b, soc, p):
    near_full = b.self_discharge_per_h > 0.0 and soc >= b.max_soc - NEAR_FULL_SOC
    if p > 0.0 and (soc >= b.max_soc or near_full):
        return 0.0
    if p < 0.0 and soc <= b.min_soc:
        return 0.0
    return p


def _bess_baseline(run, b, soc, k, held_kw):
    """self_consumption (and follow_dispatch outside events): cover the home's net load,
    less what the home's batteries listed before this one hold (`held_kw`)."""
    p = min(max(-float(run.net_kw[k, b.home]) - held_kw, -b.max_discharge_kw),
            b.max_charge_kw)
    return _bess_limits(b, soc, p)


def _dispatch(run, t, window, plugged, soc, need, base, bsoc, bbase, ev_sp, bess_sp):
    """Offers, awards and the event setpoints ``baseline + direction * award``."""
    f = run.fleet
    w = window.end - t
    direction = window.direction
    accepted = window.accepted
    guarded_policy = run.guard_on
    home_offer = {i: 0.0 for i in range(f.n_prosumers) if accepted[i]}
    ev_offer, bess_offer = {}, {}
    for ev in plugged:
        i = ev.home
        if not accepted[i] or int(f.ev_priority[i]) == rules.HIGH_PRIORITY:
            continue
        if guarded_policy and not ev.guaranteed:
            continue                # the guard does not protect it: not asked for more
        e = ev.index
        c = run.recharge_kw(ev)
        ev_offer[e] = rules.ev_offer_kw(
            direction, base[e], need=need[e], soc=soc[e], capacity_kwh=ev.capacity_kwh,
            eff=ev.eff, pmax=ev.pmax, v2g_max_kw=ev.v2g_max_kw, v2g_min_soc=ev.v2g_min_soc,
            window_h=w, laxity_c=rules.laxity_c_h(t, ev.dep, need[e], c, ev.eff),
            guarded=guarded_policy, c=c)
    if direction > 0 and run.ev_policy in rules.GUARDING and math.isfinite(run.limit):
        k = rules.absorb_scale(list(ev_offer.values()), [base[ev.index] for ev in plugged],
                               run.limit)
        ev_offer = {e: k * o for e, o in ev_offer.items()}
    for ev in plugged:
        if ev.index in ev_offer:
            home_offer[ev.home] += ev_offer[ev.index]
    if run.bess_policy == "follow_dispatch":
        for b in run.bess:
            if not accepted[b.home]:
                continue
            s = bsoc[b.index]
            o = rules.bess_offer_kw(direction, bbase[b.index], soc=s,
                                    capacity_kwh=b.capacity_kwh, max_charge_kw=b.max_charge_kw,
                                    max_discharge_kw=b.max_discharge_kw,
                                    charge_eff=b.charge_eff, discharge_eff=b.discharge_eff,
                                    floor_soc=b.owner_floor_soc, max_soc=b.max_soc, window_h=w)
            if direction > 0 and _bess_limits(b, s, 1.0) == 0.0:
                o = 0.0
            bess_offer[b.index] = o
            home_offer[b.home] += o
    asks = {i: float(f.min_compensation_per_kwh[i]) for i in home_offer}
    awards = rules.allocate(window.target_kw, home_offer, asks, run.inp.allocation)
    for i in sorted(home_offer):
        run.awards.append((t, window.event_id, i, home_offer[i], awards[i]))

    def share(i, o):
        return awards[i] * o / home_offer[i] if home_offer[i] > 0.0 else 0.0

    for ev in plugged:
        if ev.index in ev_offer:
            p = base[ev.index] + direction * share(ev.home, ev_offer[ev.index])
            ev_sp[ev.index] = min(max(p, -ev.v2g_max_kw), ev.pmax)
    for b in run.bess:
        if b.index in bess_offer:
            p = bbase[b.index] + direction * share(b.home, bess_offer[b.index])
            bess_sp[b.index] = min(max(p, -b.max_discharge_kw), b.max_charge_kw)
