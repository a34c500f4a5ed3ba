"""Unit and property tests of the aggregator's rules (`desim.sim.dispatch`)."""

import numpy as np
import pytest
from helpers import make_fleet
from hypothesis import given, settings
from hypothesis import strategies as st

from desim.sim import dispatch as dsp
from desim.sim.state import EvState

offers = st.lists(st.floats(0.0, 50.0), min_size=1, max_size=30)


@settings(max_examples=200)
@given(offers, st.floats(0.0, 500.0), st.sampled_from(dsp.ALLOCATIONS),
       st.integers(0, 2**31 - 1))
def test_no_award_exceeds_its_offer_and_awards_never_exceed_the_target(o, target, method,
                                                                       seed):
    o = np.asarray(o)
    ask = np.random.default_rng(seed).uniform(0.05, 0.3, len(o))
    award = dsp.allocate(o, target, method, ask)
    assert (award >= 0).all() and (award <= o + 1e-12).all()
    assert award.sum() <= target + 1e-9
    # the whole target is awarded when the offers cover it
    assert award.sum() == pytest.approx(min(target, o.sum()), rel=1e-9, abs=1e-9)


def test_merit_fills_from_the_cheapest_ask_and_pro_rata_scales_every_offer():
    o = np.array([4.0, 4.0, 4.0])
    ask = np.array([0.20, 0.05, 0.10])
    np.testing.assert_allclose(dsp.allocate(o, 6.0, "merit", ask), [0.0, 4.0, 2.0])
    np.testing.assert_allclose(dsp.allocate(o, 6.0, "pro_rata", ask), [2.0, 2.0, 2.0])


def test_homes_decline_below_their_minimum_compensation_or_their_willingness():
    fleet = make_fleet(4)
    fleet.min_compensation_per_kwh[:] = [0.10, 0.30, 0.10, 0.10]
    fleet.participation_willingness[:] = [1.0, 1.0, 0.5, 0.5]
    accepted = dsp.decide(fleet, 200.0, np.array([0.9, 0.0, 0.4, 0.6]))
    assert accepted.tolist() == [True, False, True, False]


def _plugged(n=1, soc=0.5, target=0.8, dep=10.0, v2g=7.0, priority=1):
    fleet = make_fleet(n, with_bess=False, with_pv=False, v2g=True)
    fleet.ev_priority[:] = priority
    ev = EvState.from_table(fleet)
    ev.soc[:] = soc
    ev.target_soc[:] = target
    ev.departure_h[:] = dep
    ev.plugged[:] = True
    ev.v2g_max_kw[:] = v2g
    ev.v2g_min_soc[:] = 0.2
    return fleet, ev


@settings(max_examples=200)
@given(st.floats(0.2, 0.95), st.floats(0.3, 1.0), st.floats(0.5, 14.0), st.floats(0.25, 4.0),
       st.floats(0.0, 11.0), st.booleans())
def test_guarded_offers_never_exceed_what_laxity_covers(soc, target, dep, window, base,
                                                        guaranteed):
    fleet, ev = _plugged(soc=soc, target=target, dep=dep)
    ev.plugin_cause[:] = 0 if guaranteed else 2
    base = np.array([base if soc < target else 0.0])
    offer = dsp.ev_offers_kw(ev, fleet, base, 0.0, window, -1, True)[0]
    if not guaranteed:
        assert offer == 0.0
        return
    rate = ev.max_charge_kw[0] * ev.charge_efficiency[0]
    lax = dep - max(0.0, (target - soc) * ev.capacity_kwh[0]) / rate
    if lax < window:
        assert offer == 0.0
    else:
        # giving the offer for the whole window still leaves the target reachable
        v2g = max(0.0, offer - base[0])
        given_back_h = v2g * window / (rate * ev.charge_efficiency[0])
        assert lax - window - given_back_h >= -1e-9


def test_high_priority_and_unplugged_evs_offer_nothing_and_a_bool_guard_is_a_bool():
    fleet, ev = _plugged(priority=2)
    assert dsp.ev_offers_kw(ev, fleet, np.array([7.0]), 0.0, 1.0, -1, False)[0] == 0.0
    fleet, ev = _plugged(soc=0.3, target=0.9, dep=2.0)     # no laxity for a 1 h window
    assert dsp.ev_offers_kw(ev, fleet, np.array([7.0]), 0.0, 1.9, -1, True)[0] == 0.0
    assert dsp.ev_offers_kw(ev, fleet, np.array([7.0]), 0.0, 1.9, -1, False)[0] > 0.0
    ev.plugged[:] = False
    assert dsp.ev_offers_kw(ev, fleet, np.array([7.0]), 0.0, 1.0, -1, False)[0] == 0.0


def test_a_v2g_ev_at_its_target_with_ample_laxity_offers_its_v2g_power():
    fleet, ev = _plugged(soc=0.8, target=0.6, dep=14.0, v2g=7.0)
    assert dsp.ev_offers_kw(ev, fleet, np.array([0.0]), 0.0, 2.0, -1, True)[0] == \
        pytest.approx(7.0)


def test_battery_offers_respect_the_owners_floor():
    fleet = make_fleet(1, with_ev=False, with_pv=False)
    from desim.sim.state import BessState
    b = BessState.from_table(fleet)
    floor = dsp.bess_floor_soc(b, fleet)
    b.soc[:] = floor
    assert dsp.bess_offers_kw(b, fleet, np.zeros(1), 2.0, -1)[0] == 0.0
    b.soc[:] = floor + 0.1
    offer = dsp.bess_offers_kw(b, fleet, np.zeros(1), 2.0, -1)[0]
    stored = offer * 2.0 / b.discharge_efficiency[0]
    assert stored <= 0.1 * b.capacity_kwh[0] + 1e-9


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 6), st.integers(1, 10))
def test_a_homes_backup_reserve_is_kept_once_across_its_batteries(seed, n_homes, n_bess):
    """Each battery keeps ``backup kWh / home capacity`` above its floor, so the home's
    batteries together hold its backup hours once (written from docs/semantics.md); a
    battery alone in its home gets exactly its own floor form."""
    from types import SimpleNamespace

    from desim.assets.behaviour import owner_floor_soc
    from desim.sim.dispatch import bess_floor_soc

    rng = np.random.default_rng(seed)
    home = rng.integers(0, n_homes, n_bess)
    cap = rng.uniform(5.0, 20.0, n_bess)
    bess = SimpleNamespace(prosumer_index=home, capacity_kwh=cap, min_soc=np.full(n_bess, 0.1),
                           max_soc=np.full(n_bess, 1.0))
    fleet = SimpleNamespace(n_prosumers=n_homes, max_discharge=np.full(n_homes, 1.0),
                            backup_power_hours=rng.uniform(0.0, 4.0, n_homes),
                            annual_load_kwh=rng.uniform(3000.0, 9000.0, n_homes))
    got = bess_floor_soc(bess, fleet)
    for h in range(n_homes):
        mine = home == h
        if not mine.any():
            continue
        backup_kwh = fleet.backup_power_hours[h] * fleet.annual_load_kwh[h] / 8760.0
        held = float(((got[mine] - 0.1) * cap[mine]).sum())
        assert held == pytest.approx(min(backup_kwh, 0.9 * cap[mine].sum()), rel=1e-12)
        if mine.sum() == 1:
            b = int(np.flatnonzero(mine)[0])
            assert got[b] == owner_floor_soc(0.1, 1.0, cap[b], 1.0,
                                             fleet.backup_power_hours[h],
                                             fleet.annual_load_kwh[h])
