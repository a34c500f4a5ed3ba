"""The compiled passes of a decision equal the numpy expressions they replace, bit for bit
(signed zeros included), on random fleets with ties, zeros and unplugged EVs."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from desim.sim import decisionkernels as dk

# values that make ties and signed zeros likely
_VALUES = (0.0, -0.0, 1.0, -1.0, 3.5, -7.0, 11.5)


def _arr(rng, n, choices=_VALUES):
    pick = rng.integers(0, 2, n).astype(bool)
    return np.where(pick, rng.choice(choices, n), rng.normal(0.0, 5.0, n))


def _same(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    assert np.array_equal(a.view(np.int64), b.view(np.int64)), (a, b)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 40), direction=st.sampled_from([-1, 0, 1]))
def test_ev_passes_equal_their_numpy_forms(seed, n, direction):
    rng = np.random.default_rng(seed)
    plugged = rng.random(n) < 0.7
    soc, target, v2g_min = rng.random(n), rng.choice([0.5, 0.8, 1.0], n), rng.random(n) * 0.3
    soc = np.where(rng.random(n) < 0.2, target, soc)          # some at their target
    max_kw = np.abs(_arr(rng, n, (0.0, 7.0, 11.5))) + 0.0
    v2g_max = np.abs(_arr(rng, n, (0.0, 5.0)))
    policy = _arr(rng, n)
    floor = np.where(rng.random(n) < 0.5, -np.inf, _arr(rng, n))

    base = np.empty(n)
    dk.ev_baseline_kw(policy, plugged, soc, target, max_kw, base)
    _same(base, np.where(plugged & (soc < target), np.clip(policy, 0.0, max_kw), 0.0))

    award = np.abs(_arr(rng, n))
    requested, raised = np.empty(n), np.empty(n)
    dk.ev_requests_kw(base, award, direction, v2g_max, max_kw, floor, requested, raised)
    p = base + direction * award if direction else base
    want = np.clip(p, -v2g_max, max_kw)
    _same(requested, want)
    _same(raised, np.maximum(want, floor))

    out = np.empty(n)
    dk.ev_moving_kw(raised, plugged, soc, target, v2g_min, out)
    moving = plugged & (((raised > 0) & (soc < target)) | ((raised < 0) & (soc > v2g_min)))
    _same(out, np.where(moving, raised, 0.0))

    held = np.where(rng.random(n) < 0.5, out, _arr(rng, n))
    before = held.copy()
    logged, changed, change = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n)
    n_log, n_change = dk.ev_power_changes(out, held, plugged, soc, target, requested, logged,
                                          changed, change)
    want_log = np.flatnonzero(plugged & (out != before) & ((soc < target) | (requested < 0)))
    diff = out - before
    want_changed = np.flatnonzero(diff != 0.0)
    assert logged[:n_log].tolist() == want_log.tolist()
    assert changed[:n_change].tolist() == want_changed.tolist()
    _same(change[:n_change], diff[want_changed])
    _same(held, out)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_homes=st.integers(1, 12), n_ev=st.integers(0, 30),
       n_b=st.integers(0, 12))
def test_offer_and_award_passes_equal_their_numpy_forms(seed, n_homes, n_ev, n_b):
    rng = np.random.default_rng(seed)
    ev_home = np.sort(rng.integers(0, n_homes, n_ev))
    b_home = rng.integers(0, n_homes, n_b)
    offer_ev, offer_b = np.abs(_arr(rng, n_ev)), np.abs(_arr(rng, n_b))
    accepted = rng.random(n_homes) < 0.7

    per_home = np.empty(n_homes)
    dk.home_offers_kw(ev_home, offer_ev, b_home, offer_b, accepted, per_home)
    want = np.where(accepted, np.bincount(ev_home, offer_ev, minlength=n_homes)
                    + np.bincount(b_home, offer_b, minlength=n_homes), 0.0)
    _same(per_home, want)

    award = per_home * rng.random(n_homes)
    ev_award, b_award = np.empty(n_ev), np.empty(n_b)
    dk.award_parts_kw(award, per_home, ev_home, offer_ev, b_home, offer_b, ev_award, b_award)
    share = np.divide(award, per_home, out=np.zeros(n_homes), where=per_home > 0)
    _same(ev_award, offer_ev * share[ev_home])
    _same(b_award, offer_b * share[b_home])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 30), direction=st.sampled_from([-1, 1]),
       dt=st.sampled_from([0.0, 0.25, 1.0 / 3.0]))
def test_shadow_delta_and_award_moves_equal_their_numpy_forms(seed, n, direction, dt):
    rng = np.random.default_rng(seed)
    plugged, was = rng.random(n) < 0.7, rng.random(n) < 0.7
    shadow, soc, target = rng.random(n), rng.random(n), rng.choice([0.5, 0.9, 1.0], n)
    base = _arr(rng, n)
    eff, cap = rng.uniform(0.8, 1.0, n), rng.choice([40.0, 60.0, 77.4], n)
    out = np.empty(n)
    dk.shadow_soc(shadow, base, plugged, was, soc, target, eff, cap, dt, out)
    want = shadow.copy()
    if dt > 0:
        moved = plugged & (base > 0)
        want = np.where(moved, np.minimum(target, shadow + base * eff * dt / cap), shadow)
    new = plugged & ~was
    want[new] = soc[new]
    _same(out, want)

    ev_kw = _arr(rng, n)
    delta = np.empty(n)
    dk.ev_delta_kw(ev_kw, base, plugged, direction, delta)
    _same(delta, np.where(plugged, direction * (ev_kw - base), 0.0))

    award, prev = _arr(rng, n), _arr(rng, n)
    joined, left = np.empty(n, np.int64), np.empty(n, np.int64)
    n_j, n_l = dk.award_moves(award, prev, joined, left)
    assert joined[:n_j].tolist() == np.flatnonzero((award > 0) & (prev <= 0)).tolist()
    assert left[:n_l].tolist() == np.flatnonzero((award <= 0) & (prev > 0)).tolist()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 30), direction=st.sampled_from([-1, 1]),
       guarded=st.booleans(), with_recharge=st.booleans())
def test_fleet_offers_equal_the_offer_rule_per_ev(seed, n, direction, guarded, with_recharge):
    """`dispatch.ev_offers_kw` (one compiled pass) equals `behaviour.ev_offer_kw` applied to
    the participation mask built the way docs/semantics.md states it."""
    from types import SimpleNamespace

    from desim.assets.behaviour import ev_offer_kw
    from desim.assets.physics import energy_needed_kwh
    from desim.sim.dispatch import ev_offers_kw

    rng = np.random.default_rng(seed)
    n_homes = 8
    ev = SimpleNamespace(
        n=n, prosumer_index=rng.integers(0, n_homes, n), plugged=rng.random(n) < 0.7,
        guaranteed=rng.random(n) < 0.6, soc=rng.random(n), target_soc=rng.choice([0.6, 0.9], n),
        capacity_kwh=rng.choice([40.0, 75.0], n), departure_h=rng.uniform(18, 40, n),
        v2g_min_soc=rng.random(n) * 0.3, v2g_max_kw=rng.choice([0.0, 5.0, 7.0], n),
        max_charge_kw=rng.choice([7.2, 11.5], n), charge_efficiency=rng.uniform(0.85, 0.95, n))
    fleet = SimpleNamespace(ev_priority=rng.integers(0, 3, n_homes).astype(np.int8))
    base = np.where(ev.plugged, rng.choice([0.0, 7.2], n), 0.0)
    recharge = rng.uniform(1.0, 7.0, n) if with_recharge else None
    got = ev_offers_kw(ev, fleet, base, 18.0, 2.5, direction, guarded, recharge)
    allowed = ev.plugged & (fleet.ev_priority[ev.prosumer_index] < 2)
    if guarded:
        allowed &= ev.guaranteed
    want = ev_offer_kw(allowed, energy_needed_kwh(ev.soc, ev.target_soc, ev.capacity_kwh), base,
                       ev.departure_h, 18.0, 2.5, direction, guarded, ev.soc, ev.v2g_min_soc,
                       ev.capacity_kwh, ev.v2g_max_kw, ev.max_charge_kw, ev.charge_efficiency,
                       recharge)
    _same(got, np.asarray(want, dtype=float).reshape(n))
