"""The reference engine against hand-computed closed forms and the contract's invariants.

These check `desim.sim.reference` against docs/semantics.md directly (never
against the fleet engine): decision rules on hand cases, exact target times
under a site limit, the site limit at every instant, the departure guard,
dispatch awards and counterfactual settlement.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import events, make_fleet, make_inputs, recorded
from hypothesis import given, settings
from hypothesis import strategies as st

from desim.assets import physics
from desim.sim.reference import rules, run_reference, run_reference_full, settle

EFF = 0.9


def ev_fleet(cap, pmax, *, v2g=0.0, v2g_min=0.3, bess=False, min_comp=0.05, priority=None):
    """One home per EV with the given ratings (no PV; batteries from make_fleet if asked)."""
    n = len(cap)
    f = make_fleet(n_homes=n, with_bess=bess, with_pv=False)
    f.ev_capacity_kwh = np.asarray(cap, dtype=float)
    f.ev_max_charge_kw = np.asarray(pmax, dtype=float)
    f.ev_charge_efficiency = np.full(n, EFF)
    f.ev_v2g_max_kw = np.broadcast_to(np.asarray(v2g, dtype=float), (n,)).copy()
    f.ev_v2g_min_soc = np.full(n, v2g_min)
    f.min_compensation_per_kwh = np.broadcast_to(np.asarray(min_comp, dtype=float), (n,)).copy()
    if priority is not None:
        f.ev_priority = np.asarray(priority)
    return f


def power_at(changes, index, t):
    """Power of asset `index` at time `t` from (t, index, p) changes (right-continuous)."""
    p = 0.0
    for tc, i, pc in changes:
        if i == index and tc <= t:
            p = pc
    return p


def max_total_power(changes):
    """Largest total power over all instants, from (t, index, p) changes."""
    current, worst = {}, 0.0
    times = sorted({c[0] for c in changes})
    by_time = {}
    for t, i, p in changes:
        by_time.setdefault(t, []).append((i, p))
    for t in times:
        for i, p in by_time[t]:
            current[i] = p
        worst = max(worst, sum(current.values()))
    return worst


def rows_of(res, kind):
    return [(r[0], r[4]) for r in res.rows if r[1] == kind]


# -- rules on hand cases ---------------------------------------------------------------------

def test_guard_floor_must_charge_when_slack_after_h_is_negative():
    # S = 0.9 * 7 * (5 - 0.25) - 30 = -0.075 -> f = 0.075 / (0.9 * 0.25)
    f = rules.guard_floor_kw(0.0, 0.25, 5.0, 30.0, 0.2, 0.8, 7.0, 7.0, EFF, 0.0)
    assert f == pytest.approx(0.075 / (0.9 * 0.25), rel=1e-12)


def test_guard_floor_uses_time_to_departure_when_it_comes_before_the_boundary():
    # h = dep - t = 0.5, S = -need -> must charge need / (eff h)
    f = rules.guard_floor_kw(0.0, 1.0, 0.5, 2.0, 0.7, 0.8, 7.0, 7.0, EFF, 0.0)
    assert f == pytest.approx(2.0 / (0.9 * 0.5), rel=1e-12)


def test_guard_floor_with_slack_allows_v2g_that_full_power_can_recharge():
    t, dt, dep, need, pmax = 0.0, 0.25, 6.0, 30.0, 7.0
    f = rules.guard_floor_kw(t, dt, dep, need, 0.2, 0.8, pmax, pmax, EFF, 100.0)
    slack = EFF * pmax * (dep - t - dt) - need
    assert f == pytest.approx(-slack * EFF / dt, rel=1e-12)
    # without a site limit: laxity - h - E / (pmax eff eff_d) == 0 for E = -f h
    laxity = (dep - t) - need / (pmax * EFF)
    assert laxity - dt - (-f * dt) / (pmax * EFF * EFF) == pytest.approx(0.0, abs=1e-12)
    # clipped to the V2G rating, and 0 without V2G at the target
    assert rules.guard_floor_kw(t, dt, dep, need, 0.2, 0.8, pmax, pmax, EFF, 5.0) == -5.0
    assert rules.guard_floor_kw(t, dt, dep, 0.0, 0.9, 0.8, pmax, pmax, EFF, 0.0) == 0.0


def test_guard_floor_of_a_reserved_ev_never_exceeds_its_reservation():
    rho = 30.0 / (EFF * 10.0)      # need 30 kWh in 10 h
    f = rules.guard_floor_kw(0.0, 0.25, 10.0, 30.0, 0.2, 0.8, rho, 7.0, EFF, 0.0)
    assert f == pytest.approx(rho, rel=1e-12)


def test_classify_plugin_infeasible_congestion_and_guaranteed():
    inf = math.inf
    assert rules.classify_plugin(0.0, 2.0, 13.0, 7.0, EFF, inf, 0.0) == (rules.INFEASIBLE, 0.0)
    assert rules.classify_plugin(0.0, 2.0, 12.6, 7.0, EFF, inf, 0.0) == (rules.FEASIBLE, 0.0)
    status, rho = rules.classify_plugin(0.0, 10.0, 27.0, 7.0, EFF, 10.0, 6.0)
    assert status == rules.FEASIBLE and rho == pytest.approx(3.0)
    assert rules.classify_plugin(0.0, 10.0, 27.0, 7.0, EFF, 10.0, 7.5) == (rules.CONGESTION, 0.0)


def test_laxity_at_the_recharge_rate_and_its_conventions():
    assert rules.laxity_c_h(2.0, 10.0, 18.0, 4.0, EFF) == pytest.approx(8.0 - 18.0 / 3.6)
    assert rules.laxity_c_h(2.0, 10.0, 0.0, 0.0, EFF) == 8.0       # need = 0: dep - t
    assert rules.laxity_c_h(2.0, 10.0, 1.0, 0.0, EFF) == -math.inf  # c = 0, need > 0


def offer(direction=-1, baseline=7.0, *, need=10.0, soc=0.6, v2g=5.0, w=2.0, lax=5.0,
          guarded=True, c=7.0):
    return rules.ev_offer_kw(direction, baseline, need=need, soc=soc, capacity_kwh=60.0,
                             eff=EFF, pmax=7.0, v2g_max_kw=v2g, v2g_min_soc=0.3, window_h=w,
                             laxity_c=lax, guarded=guarded, c=c)


def test_ev_offers_follow_laxity_at_the_recharge_rate_under_a_guarded_policy():
    # deferral needs laxity_c >= w; V2G v = min(5, 0.3 x 60 x 0.9 / 2) = 5 costs
    # v w / (c eff eff_d) = 10 / (c 0.81) h of laxity
    assert offer(lax=2.0, v2g=0.0) == 7.0
    assert offer(lax=1.99, v2g=0.0) == 0.0
    assert offer(lax=1.99, v2g=0.0, guarded=False) == 7.0
    assert offer(lax=2.0 + 1e-9 + 10.0 / (7.0 * 0.81)) == pytest.approx(12.0)
    assert offer(lax=1.99 + 10.0 / (7.0 * 0.81)) == pytest.approx(7.0)
    assert offer(lax=2.0 + 1e-9 + 10.0 / (2.0 * 0.81), c=2.0) == pytest.approx(12.0)
    assert offer(lax=1.99 + 10.0 / (2.0 * 0.81), c=2.0) == pytest.approx(7.0)
    assert offer(lax=1e9, c=0.0) == 7.0                 # c = 0: nothing to recharge with
    assert offer(lax=-1.0, guarded=False) == pytest.approx(12.0)
    assert offer(+1, 3.0) == 4.0 and offer(+1, 3.0, need=0.0) == 0.0


def test_absorb_offers_are_scaled_to_the_headroom_the_baselines_leave():
    assert rules.absorb_scale([4.0, 2.0], [3.0, 4.0], 10.0) == pytest.approx(0.5)
    assert rules.absorb_scale([1.0, 1.0], [3.0, 4.0], 10.0) == 1.0
    assert rules.absorb_scale([1.0], [6.0, 6.0], 10.0) == 0.0
    assert rules.absorb_scale([4.0], [6.0], math.inf) == 1.0


def test_owner_floor_is_the_highest_of_the_three_reserves():
    # min 0.1; 1 - 0.8 = 0.2; backup 3 h of 8760 kWh/yr on 10 kWh = 0.1 + 0.3
    assert rules.owner_floor_soc(0.1, 0.95, 0.8, 3.0, 8760.0, 10.0) == pytest.approx(0.4)
    assert rules.owner_floor_soc(0.1, 0.95, 0.5, 0.0, 8760.0, 10.0) == pytest.approx(0.5)
    assert rules.owner_floor_soc(0.1, 0.95, 0.8, 100.0, 8760.0, 10.0) == pytest.approx(0.95)


def test_battery_offer_is_what_it_can_hold_minus_what_its_baseline_already_does():
    kw = dict(soc=0.6, capacity_kwh=10.0, max_charge_kw=5.0, max_discharge_kw=5.0,
              charge_eff=0.95, discharge_eff=0.95, floor_soc=0.2, max_soc=0.95, window_h=2.0)
    down = float(physics.max_discharge_power_kw(0.6, 10.0, 5.0, 2.0, 0.2, 0.95))
    up = float(physics.max_charge_power_kw(0.6, 10.0, 5.0, 2.0, 0.95, 0.95))
    assert rules.bess_offer_kw(-1, -1.0, **kw) == pytest.approx(down - 1.0)
    assert rules.bess_offer_kw(-1, 2.0, **kw) == pytest.approx(down)     # discharges nothing
    assert rules.bess_offer_kw(+1, 1.0, **kw) == pytest.approx(up - 1.0)
    assert rules.bess_offer_kw(+1, -2.0, **kw) == pytest.approx(up)      # charges nothing


def test_allocation_pro_rata_and_merit():
    offers = {0: 4.0, 1: 2.0, 2: 6.0}
    asks = {0: 0.10, 1: 0.05, 2: 0.10}
    pro = rules.allocate(6.0, offers, asks, "pro_rata")
    assert [pro[i] for i in range(3)] == pytest.approx([2.0, 1.0, 3.0])
    merit = rules.allocate(6.0, offers, asks, "merit")
    assert [merit[i] for i in range(3)] == pytest.approx([4.0, 2.0, 0.0])   # tie by index
    assert rules.allocate(20.0, offers, asks, "pro_rata") == offers


def test_site_cut_takes_latest_departure_first_and_keeps_floors():
    cut = rules.cut_to_limit([5.0, 5.0, 5.0], [1.0, 0.0, 4.0], [3.0, 5.0, 9.0], [0, 1, 2], 10.0)
    assert cut == pytest.approx([5.0, 1.0, 4.0])


# -- smart under a site limit: exact split and target times ----------------------------------

def two_evs(order="edf", policy="smart", limit=10.0):
    # EV0 needs 30 kWh by t = 13, EV1 15 kWh by t = 9; both plug in at t = 1
    f = ev_fleet([50.0, 50.0], [7.0, 7.0])
    s = recorded([0, 1], [1.0, 1.0], [13.0, 9.0], [0.2, 0.5], [0.8, 0.8])
    inp = make_inputs(f, days=1, ev_policy=policy, site_limit_kw=limit, sessions=s)
    if policy == "smart":
        inp.ev_policy.order = order
    return inp


def test_edf_under_a_site_limit_splits_and_reaches_targets_at_exact_times():
    res = run_reference_full(two_evs())
    assert power_at(res.ev_power, 1, 1.0) == pytest.approx(7.0)   # earliest deadline first
    assert power_at(res.ev_power, 0, 1.0) == pytest.approx(3.0)   # the rest of the limit
    t1 = 1.0 + 15.0 / (EFF * 7.0)
    t0 = t1 + (30.0 - EFF * 3.0 * (t1 - 1.0)) / (EFF * 7.0)
    targets = dict((e, t) for t, e in rows_of(res, "ev_target_reached"))
    assert targets[1] == pytest.approx(t1, abs=1e-9)
    assert targets[0] == pytest.approx(t0, abs=1e-9)
    assert power_at(res.ev_power, 0, targets[1]) == pytest.approx(7.0)   # takes over at once
    assert [d[5] for d in res.departures] == [rules.FEASIBLE] * 2
    assert all(d[4] == 0.0 for d in res.departures)
    rhos = {p[1]: p[3] for p in res.plugins}
    assert rhos == pytest.approx({0: 30.0 / (EFF * 12.0), 1: 15.0 / (EFF * 8.0)})


def test_llf_serves_the_least_laxity_first():
    f = ev_fleet([60.0, 50.0], [7.0, 7.0])
    # EV0: 48 kWh by t = 13 (laxity 12 - 48/6.3 = 4.38 h), reserves rho0 = 48 / (0.9 x 12);
    # EV1: 5 kWh by t = 9 (laxity 8 - 5/6.3 = 7.21 h), reserves rho1 = 5 / (0.9 x 8).
    # Floors at t = 1 equal the reservations; the rest of 10 kW goes first to EV1 (edf)
    # or to EV0 (llf).
    rho0, rho1 = 48.0 / (EFF * 12.0), 5.0 / (EFF * 8.0)
    s = recorded([0, 1], [1.0, 1.0], [13.0, 9.0], [0.1, 0.7], [0.9, 0.8])
    for order, expected in (("edf", (rho0, 10.0 - rho0)), ("llf", (7.0, 3.0))):
        inp = make_inputs(f, days=1, ev_policy="smart", site_limit_kw=10.0, sessions=s)
        inp.ev_policy.order = order
        res = run_reference_full(inp)
        got = (power_at(res.ev_power, 0, 1.0), power_at(res.ev_power, 1, 1.0))
        assert got == pytest.approx(expected, rel=1e-12)
    assert 10.0 - rho0 - rho1 > 7.0 - rho0      # (so llf's EV0 reaches its pmax)


def test_uncontrolled_ignores_the_site_limit_and_records_each_exceedance():
    res = run_reference_full(two_evs(policy="uncontrolled"))
    assert power_at(res.ev_power, 0, 1.0) == power_at(res.ev_power, 1, 1.0) == 7.0
    assert res.limit_exceeded[0] == (1.0, 14.0)
    targets = dict((e, t) for t, e in rows_of(res, "ev_target_reached"))
    assert targets[1] == pytest.approx(1.0 + 15.0 / 6.3, abs=1e-9)
    assert targets[0] == pytest.approx(1.0 + 30.0 / 6.3, abs=1e-9)


def test_an_ev_that_finds_no_headroom_is_congested_and_charges_from_what_is_left():
    f = ev_fleet([50.0, 50.0, 50.0], [7.0, 7.0, 7.0])
    # EV0 and EV1 each reserve 40 / (0.9 * 8) = 5.56 kW of a 10 kW limit... EV1 does not fit
    s = recorded([0, 1, 2], [1.0, 1.0, 2.0], [9.0, 9.0, 20.0], [0.0, 0.0, 0.5], [0.8, 0.8, 0.6])
    res = run_reference_full(make_inputs(f, days=1, ev_policy="smart", site_limit_kw=10.0,
                                         sessions=s))
    status = {p[1]: p[2] for p in res.plugins}
    assert status == {0: rules.FEASIBLE, 1: rules.CONGESTION, 2: rules.FEASIBLE}
    by_ev = {d[1]: d for d in res.departures}
    assert by_ev[0][4] == pytest.approx(0.0, abs=1e-6)
    assert by_ev[1][5] == rules.CONGESTION and by_ev[1][4] > 0.0
    assert max_total_power(res.ev_power) <= 10.0 + 1e-9


# -- dispatch --------------------------------------------------------------------------------

def v2g_event_inputs(interval_min):
    # one EV at its target all day, V2G 5 kW; discharge 3 kW for 1 h from t = 18
    f = ev_fleet([60.0], [7.0], v2g=5.0)
    s = recorded([0], [0.0], [40.0], [0.8], [0.8])
    return make_inputs(f, days=1, ev_policy="smart", sessions=s, interval_min=interval_min,
                       events=events(("v2g", 18.0, 1.0, 3.0, -1, 300.0)))


def test_v2g_only_event_with_ample_laxity_delivers_its_target():
    inp = v2g_event_inputs(60)
    res, cf = run_reference_full(inp), run_reference_full(inp, counterfactual=True)
    assert power_at(res.ev_power, 0, 18.0) == pytest.approx(-3.0)
    assert power_at(res.ev_power, 0, 19.0) > 0.0         # recharges after the window
    delivered = settle(res, cf, inp)["v2g"]["delivered"]
    assert delivered.sum() == pytest.approx(3.0, abs=1e-9)
    assert res.clips == []


def test_v2g_only_event_delivers_its_target_across_re_decisions():
    # the EV is at its target at the event start: its shadow SOC stays there, so its
    # baseline is 0 at every decision and the 3 kW award is all V2G
    inp = v2g_event_inputs(15)
    res, cf = run_reference_full(inp), run_reference_full(inp, counterfactual=True)
    for t in np.arange(18.0, 19.0, 0.25):
        assert power_at(res.ev_power, 0, t) == pytest.approx(-3.0)
    assert all(a[3] == pytest.approx(5.0) for a in res.awards)       # V2G only, no deferral
    assert rows_of(res, "ev_target_reached")[0][0] > 19.0
    assert settle(res, cf, inp)["v2g"]["delivered"].sum() == pytest.approx(3.0, abs=1e-6)


def test_evs_at_their_target_do_not_flip_between_charging_and_v2g_in_a_discharge_event():
    # two EVs at their targets, V2G 5 and 3 kW, 3 kW discharge for 2 h at 15-minute
    # decisions. Their baselines stay 0 (shadow SOC at the target), so each gives
    # 3 x v / 8 for the whole window; no target-reached row before the window ends,
    # then exactly one per EV while they recharge.
    f = ev_fleet([60.0, 50.0], [7.0, 11.0], v2g=[5.0, 3.0])
    s = recorded([0, 1], [0.0, 0.0], [40.0, 40.0], [0.8, 0.8], [0.8, 0.8])
    inp = make_inputs(f, days=1, ev_policy="smart", sessions=s, interval_min=15,
                      events=events(("v2g", 18.0, 2.0, 3.0, -1, 300.0)))
    res, cf = run_reference_full(inp), run_reference_full(inp, counterfactual=True)
    during = [c for c in res.ev_power if 18.0 <= c[0] < 20.0]
    assert during == [(18.0, 0, pytest.approx(-1.875)), (18.0, 1, pytest.approx(-1.125))]
    targets = rows_of(res, "ev_target_reached")
    assert sorted(e for _, e in targets) == [0, 1]
    assert all(t > 20.0 for t, _ in targets)
    assert targets == sorted(targets)
    assert targets[1][0] - targets[0][0] > 0.1
    assert res.clips == []
    np.testing.assert_allclose(settle(res, cf, inp)["v2g"]["delivered"], [3.75, 2.25],
                               atol=1e-9)


def battery_event_inputs(allocation, min_comp=(0.05, 0.10, 0.05)):
    f = make_fleet(n_homes=3, with_ev=False, with_pv=False, rng=np.random.default_rng(3))
    f.bess_soc = np.full(3, 0.9)
    f.min_compensation_per_kwh = np.asarray(min_comp)
    return make_inputs(f, days=1, bess_policy="follow_dispatch", allocation=allocation,
                       load_kw=0.0, events=events(("peak", 17.0, 2.0, 4.0, -1, 300.0)))


@pytest.mark.parametrize("allocation", ["pro_rata", "merit"])
def test_battery_awards_add_up_to_the_target_and_settle_against_the_counterfactual(allocation):
    inp = battery_event_inputs(allocation)
    res, cf = run_reference_full(inp), run_reference_full(inp, counterfactual=True)
    assert not any(r[1] == "bess_empty" for r in res.rows)
    awarded = np.zeros(3)
    instants = sorted({a[0] for a in res.awards}) + [19.0]
    for t0, t1 in zip(instants[:-1], instants[1:], strict=True):
        at = [a for a in res.awards if a[0] == t0]
        assert sum(a[4] for a in at) == pytest.approx(4.0)
        assert all(a[4] <= a[3] + 1e-12 for a in at)
        for a in at:
            awarded[a[2]] += a[4] * (t1 - t0)
    out = settle(res, cf, inp)["peak"]
    np.testing.assert_allclose(out["delivered"], awarded, atol=1e-9)
    assert out["delivered"].sum() == pytest.approx(8.0)
    if allocation == "merit":           # home 1 asks the most and is needed last
        assert awarded[1] <= awarded[0] and awarded[1] <= awarded[2]


def deferral_inputs(policy, plug_h, need_soc, min_comp=0.05, guard=True):
    # one EV from `plug_h` to t = 22 needing `need_soc` x 60 kWh at 7 kW (eff 0.9);
    # discharge 7 kW from 17 to 20
    f = ev_fleet([60.0], [7.0], min_comp=min_comp)
    s = recorded([0], [plug_h], [22.0], [0.3], [0.3 + need_soc])
    return make_inputs(f, days=1, ev_policy=policy, sessions=s, departure_guard=guard,
                       events=events(("shed", 17.0, 3.0, 7.0, -1, 300.0)))


def test_uncontrolled_charging_deferred_by_an_award_misses_a_feasible_target():
    res = run_reference_full(deferral_inputs("uncontrolled", 16.0, 0.6))
    assert power_at(res.ev_power, 0, 17.0) == 0.0
    (dep,) = res.departures
    assert dep[5] == rules.FEASIBLE
    assert dep[4] == pytest.approx(36.0 - 6.3 * 3.0, abs=1e-9)   # charged 16-17 and 20-22


def test_guarded_smart_ev_is_not_deferred_when_its_laxity_does_not_cover_the_window():
    res = run_reference_full(deferral_inputs("smart", 16.0, 0.6))
    assert power_at(res.ev_power, 0, 17.0) == 7.0         # laxity 0.29 h < 3 h
    (dep,) = res.departures
    assert dep[5] == rules.FEASIBLE and dep[4] == 0.0


def test_no_ev_is_deferred_whose_home_made_no_offer():
    # 12 kWh by 22 from 17: laxity 5 - 12/6.3 = 3.10 h covers the 3 h window
    cf = run_reference_full(deferral_inputs("smart", 17.0, 0.2), counterfactual=True)
    joined = run_reference_full(deferral_inputs("smart", 17.0, 0.2))
    refused = run_reference_full(deferral_inputs("smart", 17.0, 0.2, min_comp=1.0))
    assert power_at(joined.ev_power, 0, 17.0) == 0.0
    assert rows_of(joined, "ev_target_reached")[0][0] == pytest.approx(20.0 + 12.0 / 6.3)
    assert not refused.accepted["shed"][0]
    assert refused.ev_power == cf.ev_power


def test_ev_plugging_in_during_an_event_takes_part_when_the_offer_rules_give_it_an_offer():
    # at 18, 2 h of window left: 12 kWh -> laxity 4 - 1.90 = 2.10 h, joins (deferred)
    assert power_at(run_reference_full(deferral_inputs("smart", 18.0, 0.2)).ev_power,
                    0, 18.0) == 0.0
    # 18 kWh -> laxity 4 - 2.86 = 1.14 h < 2 h: charges at its baseline; at 19 (11.7 kWh
    # left, laxity 3 - 1.86 = 1.14 h >= the 1 h left) it is deferred: no separate gate
    res = run_reference_full(deferral_inputs("smart", 18.0, 0.3))
    assert [(t, p) for t, _, p in res.ev_power] == [
        (18.0, 7.0), (19.0, 0.0), (20.0, 7.0), (pytest.approx(20.0 + 11.7 / 6.3), 0.0)]
    assert res.departures[0][4] <= 1e-6
    # without the guard the policy is not guarded, so it takes part at once
    assert power_at(run_reference_full(deferral_inputs("smart", 18.0, 0.3, guard=False))
                    .ev_power, 0, 18.0) == 0.0


def test_laxity_for_offers_is_measured_at_the_reservation_under_a_site_limit():
    # 12 kWh from 17 to 22 under 10 kW: rho = 12 / (0.9 x 5), so laxity_c = 0 at plug-in
    # (laxity at pmax, 3.10 h, would have covered the 3 h window): no offer, it charges
    # at its smart setpoint (7 kW). At 18.25, 4.125 kWh left: laxity_c = 3.75 -
    # 4.125 / (0.9 rho) = 2.03 h >= 1.75 h, so its baseline is deferred from then on.
    inp = deferral_inputs("smart", 17.0, 0.2)
    inp.site_limit_kw = 10.0
    res = run_reference_full(inp)
    offers = {a[0]: a[3] for a in res.awards}
    assert offers[17.0] == offers[18.0] == 0.0
    assert offers[18.25] == pytest.approx(7.0)
    assert [(t, p) for t, _, p in res.ev_power][:3] == [(17.0, 7.0), (18.25, 0.0), (20.0, 7.0)]
    assert res.clips == []
    assert res.departures[0][4] <= 1e-6


def congested_pair(policy, guard=True):
    # limit 10 kW: EV0 reserves 30 / (0.9 x 20) = 1.67 kW; EV1 needs 85 kWh by 20
    # (m = 9.44 kW > 8.33 kW of headroom): congested. Discharge 20 kW from 11 to 12.
    f = ev_fleet([60.0, 100.0], [7.0, 11.0])
    s = recorded([0, 1], [10.0, 10.0], [30.0, 20.0], [0.3, 0.0], [0.8, 0.85])
    return make_inputs(f, days=1, ev_policy=policy, sessions=s, site_limit_kw=10.0,
                       departure_guard=guard,
                       events=events(("shed", 11.0, 1.0, 20.0, -1, 300.0)))


def test_under_a_guarded_policy_only_guaranteed_evs_offer():
    status = {p[1]: p[2] for p in run_reference_full(congested_pair("smart")).plugins}
    assert status == {0: rules.FEASIBLE, 1: rules.CONGESTION}
    for policy, guard, asked in (("smart", True, False), ("smart", False, True),
                                 ("uncontrolled", True, True)):
        inp = congested_pair(policy, guard)
        res, cf = run_reference_full(inp), run_reference_full(inp, counterfactual=True)
        offer1 = [a[3] for a in res.awards if a[0] == 11.0 and a[2] == 1][0]
        expected = power_at(cf.ev_power, 1, 11.0) if asked else 0.0
        assert expected > 0.0 or not asked
        assert offer1 == pytest.approx(expected), (policy, guard)


def test_a_departure_frees_its_reservation_for_an_arrival_at_the_same_instant():
    # EV0 holds rho = 27 / (0.9 x 5) = 6 kW until it leaves at 5; EV1 plugs in at 5
    # needing m = 36 / (0.9 x 5) = 8 kW of the 10 kW limit: it fits only once EV0 is gone
    f = ev_fleet([60.0, 60.0], [7.0, 11.0])
    s = recorded([0, 1], [0.0, 5.0], [5.0, 10.0], [0.2, 0.1], [0.65, 0.7])
    res = run_reference_full(make_inputs(f, days=1, ev_policy="smart", site_limit_kw=10.0,
                                         sessions=s))
    assert [(p[1], p[2]) for p in res.plugins] == [(0, rules.FEASIBLE), (1, rules.FEASIBLE)]
    assert res.plugins[1][3] == pytest.approx(8.0)
    assert all(d[4] <= 1e-6 for d in res.departures)


def test_battery_with_self_discharge_fills_at_the_closed_form_time_then_idles_near_full():
    f = make_fleet(n_homes=1, with_ev=False, with_pv=False)
    f.bess_self_discharge_per_h = np.array([0.01])
    f.bess_soc = np.array([0.5])
    inp = make_inputs(f, days=1, load_kw=-20.0)      # a steady surplus above any rating
    res = run_reference_full(inp)
    p = f.bess_max_charge_kw[0]
    args = (f.bess_capacity_kwh[0], 0.95, 0.95, 0.01)
    t_full = physics.time_to_soc(0.5, 0.95, p, *args)
    fulls = [t for t, _ in rows_of(res, "bess_full")]
    assert fulls[0] == pytest.approx(t_full, abs=1e-9)
    # idle from full until it has decayed 0.005 below its ceiling (checked at boundaries)
    t_decay = physics.time_to_soc(0.95, 0.945, 0.0, *args)
    restart = [t for t, _, q in res.bess_power if t > fulls[0] and q > 0.0][0]
    assert fulls[0] + t_decay <= restart < fulls[0] + t_decay + inp.interval_h


# -- invariants on random small fleets -------------------------------------------------------

@st.composite
def small_runs(draw):
    n = draw(st.integers(1, 4))
    fl = st.floats(0.0, 1.0)
    cap = [draw(st.floats(20.0, 80.0)) for _ in range(n)]
    pmax = [draw(st.floats(3.0, 11.0)) for _ in range(n)]
    f = ev_fleet(cap, pmax, v2g=draw(st.sampled_from([0.0, 5.0])), bess=draw(st.booleans()))
    ev, arr, dep, soc, tgt = [], [], [], [], []
    for e in range(n):
        t = 0.0
        for _ in range(draw(st.integers(1, 2))):
            a = t + draw(st.floats(0.0, 6.0))
            d = a + draw(st.floats(0.5, 14.0))
            ev.append(e), arr.append(a), dep.append(d)
            soc.append(draw(fl) * 0.6), tgt.append(0.5 + draw(fl) * 0.45)
            t = d + 1.0
    ev_events = []
    if draw(st.booleans()):
        start = draw(st.sampled_from([2.0, 6.5, 11.25]))
        ev_events.append(("e", start, draw(st.sampled_from([0.75, 2.0, 4.0])),
                          draw(st.floats(1.0, 20.0)), draw(st.sampled_from([-1, 1])), 300.0))
    inp = make_inputs(f, days=1, ev_policy="smart", sessions=recorded(ev, arr, dep, soc, tgt),
                      site_limit_kw=draw(st.sampled_from([math.inf, 6.0, 12.0, 25.0])),
                      bess_policy=draw(st.sampled_from(["self_consumption", "follow_dispatch"])),
                      events=events(*ev_events),
                      allocation=draw(st.sampled_from(["pro_rata", "merit"])))
    inp.ev_policy.order = draw(st.sampled_from(["edf", "llf"]))
    return inp


@settings(max_examples=60)
@given(small_runs())
def test_smart_never_exceeds_the_limit_and_no_guaranteed_ev_misses_its_target(inp):
    res = run_reference_full(inp)
    assert max_total_power(res.ev_power) <= inp.site_limit_kw + 1e-9
    assert res.limit_exceeded == []
    for _t, _e, _soc, _req, short, cause in res.departures:
        if cause == rules.FEASIBLE:
            assert short <= 1e-6
    for (kind, i), soc in res.final_soc.items():
        lo = 0.0 if kind == "ev" else inp.fleet.bess_min_soc[i] - 1e-9
        assert lo - 1e-9 <= soc <= 1.0 + 1e-9


def test_run_reference_keeps_its_rows_and_final_soc_form():
    inp = two_evs()
    rows, final = run_reference(inp)
    full = run_reference_full(two_evs())
    assert rows == full.rows and final == full.final_soc
    assert set(final) == {("ev", 0), ("ev", 1)}
