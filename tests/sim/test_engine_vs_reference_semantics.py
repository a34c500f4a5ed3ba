"""The fleet engine against the independent per-asset reference (docs/semantics.md).

The reference (`desim.sim.reference`) was written from the contract alone, one
SimPy process per asset and a site controller, sharing only the closed forms and
the session sources with the engine. Over random fleets, site limits, policies and
dispatch events the two must give the same asset events at the same times (1e-9 h),
the same SOCs, the same plug-in causes and the same delivery against the
counterfactual.
"""

import numpy as np
import pytest
from helpers import events, make_fleet, make_inputs, recorded
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desim.sim.engine import Engine
from desim.sim.reference import run_reference_full, settle

ASSET_KINDS = {"ev_arrival", "ev_plugged_in", "ev_target_reached", "ev_v2g_floor",
               "ev_departure", "bess_full", "bess_empty"}


def build(seed, n, v2g, with_bess, with_pv, willing, limit, policy, event, interval_min,
          guard, bess_policy, allocation):
    """A small case from plain parameters (so a failing example reads as one line)."""
    rng = np.random.default_rng(seed)
    fleet = make_fleet(n, rng=rng, v2g=v2g, with_bess=with_bess, with_pv=with_pv)
    fleet.participation_willingness[:] = willing
    fleet.ev_priority[:] = rng.integers(0, 3, n)
    sess = {"ev_index": [], "arrival_h": [], "departure_h": [], "arrival_soc": [],
            "target_soc": []}
    for e in range(n):
        t = float(rng.uniform(0.0, 6.0))
        for _ in range(int(rng.integers(1, 3))):
            arr = t + float(rng.uniform(0.1, 8.0))
            dep = arr + float(rng.uniform(0.5, 12.0))
            if dep > 44.0:
                break
            sess["ev_index"].append(e)
            sess["arrival_h"].append(arr)
            sess["departure_h"].append(dep)
            sess["arrival_soc"].append(float(rng.uniform(0.15, 0.85)))
            sess["target_soc"].append(float(rng.uniform(0.5, 0.95)))
            t = dep
    if not sess["ev_index"]:
        sess = {"ev_index": [0], "arrival_h": [1.0], "departure_h": [9.0],
                "arrival_soc": [0.3], "target_soc": [0.8]}
    rows = ()
    if event is not None:
        start, duration, direction = event
        # settlement reads the meter, so windows sit on its intervals (docs/semantics.md)
        start = np.floor(start * 60 / interval_min) * interval_min / 60
        rows = (("e1", start, duration, float(rng.uniform(1.0, 6.0 * n)), direction, 400.0),)
    kw = dict(days=2, seed=seed, ev_policy=policy, site_limit_kw=limit,
              interval_min=interval_min, departure_guard=guard, bess_policy=bess_policy,
              allocation=allocation)
    return fleet, sess, rows, kw


params = st.tuples(
    st.integers(0, 2**31 - 1), st.integers(1, 5), st.booleans(), st.booleans(), st.booleans(),
    st.sampled_from([1.0, 0.6]), st.sampled_from([np.inf, 6.0, 12.0, 25.0]),
    st.sampled_from(["smart", "uncontrolled"]),
    st.none() | st.tuples(st.sampled_from([14.0, 17.0, 18.25, 20.0]),
                          st.sampled_from([1.0, 2.0, 3.0]), st.sampled_from([-1, 1])),
    st.sampled_from([15, 60]), st.booleans(),
    st.sampled_from(["self_consumption", "follow_dispatch"]),
    st.sampled_from(["pro_rata", "merit"]))


def _inputs(fleet, sess, rows, kw, enabled=True):
    inp = make_inputs(fleet, sessions=recorded(**sess), events=events(*rows), **kw)
    inp.dispatch_enabled = enabled
    return inp


def _engine(fleet, sess, rows, kw):
    cf = None
    if rows:
        cf = Engine(_inputs(fleet, sess, rows, kw, enabled=False))
        cf.run()
    inp = _inputs(fleet, sess, rows, kw)
    if cf is not None:
        inp.baseline_net_kwh = cf.net_snapshots
    return inp, Engine(inp).run()


def check_same(fleet, sess, rows, kw):
    inp, res = _engine(fleet, sess, rows, kw)
    ref = run_reference_full(_inputs(fleet, sess, rows, kw))
    log = res.log.to_pandas(inp.start)
    got = log[log["kind"].isin(ASSET_KINDS)]
    want = [r for r in ref.rows if r[1] in ASSET_KINDS]
    assert list(zip(got["kind"].astype(str), got["asset_type"].astype(str), strict=True)) == \
        [(r[1], r[3]) for r in want]
    np.testing.assert_allclose(got["t_h"].to_numpy(), [r[0] for r in want], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got["soc_percent"].to_numpy(), [100 * r[5] for r in want],
                               rtol=0, atol=1e-7)
    dep = log[log["kind"] == "ev_departure"]
    assert list(dep["detail"].astype(str)) == [d[5] for d in ref.departures]
    if rows:
        cf_ref = run_reference_full(_inputs(fleet, sess, rows, kw, enabled=False),
                                    counterfactual=True)
        truth = settle(ref, cf_ref, inp)
        for row in res.settlements.to_dict("records"):
            assert row["delivered_vs_counterfactual_kwh"] == pytest.approx(
                float(truth[row["event_id"]]["delivered"].sum()), abs=1e-6)
    return log, ref


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params)
def test_engine_and_reference_agree_on_random_fleets_limits_and_events(p):
    check_same(*build(*p))


def test_a_v2g_only_event_with_ample_laxity_agrees_and_delivers():
    """20 EVs at 80 % needing 60 % by morning, 7 kW V2G each, 100 kW asked for 2 h."""
    n = 20
    fleet = make_fleet(n, with_bess=False, with_pv=False, v2g=True)
    fleet.ev_v2g_max_kw[:] = 7.0
    fleet.ev_v2g_min_soc[:] = 0.2
    fleet.ev_capacity_kwh[:] = 75.0
    sess = {"ev_index": list(range(n)), "arrival_h": [17.0] * n,
            "departure_h": [31.5] * n, "arrival_soc": [0.8] * n, "target_soc": [0.6] * n}
    rows = (("v2g", 18.0, 2.0, 100.0, -1, 400.0),)
    kw = dict(days=2, seed=3, ev_policy="smart", interval_min=15)
    log, ref = check_same(fleet, sess, rows, kw)
    inp, res = _engine(fleet, sess, rows, kw)
    delivered = res.settlements["delivered_vs_counterfactual_kwh"].iloc[0]
    assert delivered >= 0.9 * 200.0
    assert (log.loc[log["kind"] == "ev_departure", "shortfall_kwh"] <= 1e-6).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params, st.integers(0, 2**31 - 1))
def test_engine_and_reference_agree_when_homes_have_several_batteries(p, owners_seed):
    """Batteries moved between homes at random (a home with two or three, homes with none,
    listed in any order): each shares its home's net load with the ones listed before it
    (docs/semantics.md, "Batteries"), the same in both."""
    fleet, sess, rows, kw = build(*p)
    if fleet.n_bess < 2:
        fleet, sess, rows, kw = build(*p[:3], True, *p[4:])
    rng = np.random.default_rng(owners_seed)
    n = fleet.n_prosumers
    fleet.bess_prosumer_index[:] = rng.integers(0, max(1, n // 2 + 1), fleet.n_bess)
    check_same(fleet, sess, rows, kw)


def test_two_batteries_of_a_home_without_pv_never_export():
    """Two batteries in each of three homes with no PV and no EV: self-consumption covers
    the load and nothing more, so the homes export nothing, and the batteries together
    deliver the load they cover (both reach their floor in turn)."""
    fleet = make_fleet(6, with_ev=False, with_pv=False, rng=np.random.default_rng(4))
    fleet.bess_prosumer_index[:] = [0, 0, 1, 1, 2, 2]
    fleet.bess_soc[:] = 0.9
    inp = make_inputs(fleet, days=2, seed=4)
    res = Engine(inp).run()
    t = res.totals.set_index("prosumer_id")
    homes = [f"home-{i:03d}" for i in range(3)]
    assert (t.loc[homes, "export_kwh"] == 0.0).all()
    assert (t.loc[homes, "bess_discharged_kwh"] <= t.loc[homes, "load_kwh"] + 1e-9).all()
    assert (t.loc[homes, "bess_discharged_kwh"] > 0).all()
    log = res.log.to_pandas(res.start)
    empty = log[log["kind"] == "bess_empty"]
    assert {f"home-{i:03d}/bess{k}" for i in range(3) for k in (1, 2)} <= set(
        empty["asset_id"].astype(str))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params, st.integers(0, 2**31 - 1))
def test_engine_and_reference_agree_when_homes_have_several_evs(p, owners_seed):
    """EVs moved between homes at random (two or three in a home, homes with none): a
    home's offer is its EVs' together and its award is split among them by their offers
    (docs/semantics.md), under the guard and the site limit, the same in both."""
    fleet, sess, rows, kw = build(*p)
    rng = np.random.default_rng(owners_seed)
    n = fleet.n_prosumers
    owner = rng.integers(0, max(1, n // 2 + 1), fleet.n_evs)     # in any order
    fleet.ev_prosumer_index[:] = owner
    check_same(fleet, sess, rows, kw)
