"""The decision at one instant, called directly on random fleet states (no SimPy).

What `desim.sim.boundary.decide` must give is checked against the rules as
docs/semantics.md states them, computed here on their own: ratings and SOC
limits, the site limit, the guard floor, the award never above an offer or the
target, and a decision that changes nothing it is given.
"""

from __future__ import annotations

import copy

import numpy as np
from helpers import make_fleet
from hypothesis import given, settings
from hypothesis import strategies as st

from desim.sim import boundary
from desim.sim.boundary import ActiveEvent, Rules, decide
from desim.sim.policies import Signals, get_bess_policy, get_ev_policy
from desim.sim.state import BessState, EvState

TOL_KW = 1e-9


def _state(seed, n_homes, v2g):
    rng = np.random.default_rng(seed)
    fleet = make_fleet(n_homes, rng=np.random.default_rng(seed), v2g=v2g)
    ev = EvState.from_table(fleet)
    ev.plugged[:] = rng.random(ev.n) < 0.8
    ev.soc[:] = rng.uniform(0.1, 0.95, ev.n)
    ev.target_soc[:] = rng.uniform(0.5, 0.95, ev.n)
    ev.departure_h[:] = rng.uniform(0.3, 14.0, ev.n)
    ev.plugin_cause[:] = np.where(rng.random(ev.n) < 0.8, 0, 1)
    ev.power_kw[:] = np.where(ev.plugged, rng.uniform(0, 7, ev.n), 0.0)
    bess = BessState.from_table(fleet)
    bess.soc[:] = rng.choice([0.1, 0.5, 0.95], bess.n)   # at the floor, between, full
    bess.power_kw[:] = rng.uniform(-3, 3, bess.n)
    accepted = rng.random(n_homes) < 0.7
    net = rng.uniform(-6, 4, n_homes)
    return fleet, ev, bess, accepted, net


def _signals(net, t_h=0.0, dt_h=0.25, limit=np.inf, direction=0):
    return Signals(t_h=t_h, dt_h=dt_h, interval_h=0.25, price_usd_per_kwh=0.3,
                   future_price_usd_per_kwh=np.array([0.3, 0.5, 0.2, 0.4] * 8),
                   site_limit_kw=limit, dispatch_direction=direction, home_net_load_kw=net)


def _arrays(obj):
    return {k: v.copy() for k, v in vars(obj).items() if isinstance(v, np.ndarray)} \
        if hasattr(obj, "__dict__") else {a.name: getattr(obj, a.name).copy()
                                          for a in type(obj).__attrs_attrs__}


class _Idle:
    """A guarded policy that asks for nothing: the guard floor is all that moves EVs."""

    name = "idle"
    guards_departure = True
    honours_site_limit = True

    def setpoints(self, ev, signals):
        return np.zeros(ev.n)

    def plug_in_setpoints(self, ev, index, signals):
        return np.zeros(len(index))


class _Greedy(_Idle):
    """A policy that says it honours the site limit but asks for full power: the
    decision itself must hold the limit."""

    name = "greedy"

    def setpoints(self, ev, signals):
        return ev.max_charge_kw.copy()


_POLICIES = {"idle": _Idle, "greedy": _Greedy}

cases = st.fixed_dictionaries({
    "seed": st.integers(0, 10_000), "n_homes": st.integers(1, 8), "v2g": st.booleans(),
    "ev_policy": st.sampled_from(["uncontrolled", "smart", "price_responsive", "idle",
                                  "greedy"]),
    "bess_policy": st.sampled_from(["self_consumption", "follow_dispatch"]),
    "guard": st.booleans(), "limit": st.sampled_from([np.inf, 4.0, 11.0, 30.0]),
    "allocation": st.sampled_from(["pro_rata", "merit"]),
    "event": st.sampled_from([None, -1, 1]), "target_kw": st.floats(0.0, 40.0),
})


@settings(max_examples=150, deadline=None)
@given(cases)
def test_a_decision_keeps_every_rule_at_the_instant(c):
    fleet, ev, bess, accepted, net = _state(c["seed"], c["n_homes"], c["v2g"])
    policy = (_POLICIES[c["ev_policy"]]() if c["ev_policy"] in _POLICIES
              else get_ev_policy(c["ev_policy"]))
    rules = Rules(policy, get_bess_policy(c["bess_policy"]), c["guard"], c["limit"],
                  c["allocation"])
    direction = c["event"] or 0
    event = None if direction == 0 else ActiveEvent(direction, c["target_kw"], 2.0, accepted,
                                                    ev.soc.copy())
    sig = _signals(net, limit=c["limit"], direction=direction)
    before_ev, before_b = _arrays(ev), _arrays(bess)
    before_accepted = accepted.copy()
    sp = decide(fleet, ev, bess, sig, rules, event)
    # nothing given is changed
    for name, arr in before_ev.items():
        np.testing.assert_array_equal(getattr(ev, name), arr, err_msg=name)
    for name, arr in before_b.items():
        np.testing.assert_array_equal(getattr(bess, name), arr, err_msg=name)
    np.testing.assert_array_equal(accepted, before_accepted)
    # the same state decides the same
    again = decide(fleet, ev, bess, sig, rules, event)
    np.testing.assert_array_equal(again.bess_kw, sp.bess_kw)
    np.testing.assert_array_equal(again.ev_kw, sp.ev_kw)
    # batteries: within their ratings; none charges when full or discharges when empty
    assert np.all(sp.bess_kw <= bess.max_charge_kw + TOL_KW)
    assert np.all(sp.bess_kw >= -bess.max_discharge_kw - TOL_KW)
    assert not np.any((sp.bess_kw > 0) & (bess.soc >= bess.max_soc))
    assert not np.any((sp.bess_kw < 0) & (bess.soc <= bess.min_soc))
    # EVs: only plugged ones draw, within the charger and V2G rating; charging only
    # below the target, discharging only above the V2G floor
    p = sp.ev_kw
    assert np.all(p[~ev.plugged] == 0.0)
    assert np.all(p <= ev.max_charge_kw + TOL_KW) and np.all(p >= -ev.v2g_max_kw - TOL_KW)
    assert not np.any((p > 0) & (ev.soc >= ev.target_soc))
    assert not np.any((p < 0) & (ev.soc <= ev.v2g_min_soc))
    # the guard floor, computed here from its closed form (docs/semantics.md)
    guarded = c["guard"] and rules.ev_policy.guards_departure
    if guarded:
        protected = ev.plugged & (ev.plugin_cause == 0)
        rate = ev.max_charge_kw if not np.isfinite(c["limit"]) else ev.reservation_kw
        need = np.maximum(ev.target_soc - ev.soc, 0.0) * ev.capacity_kwh
        left = ev.departure_h - sig.t_h
        h = np.minimum(sig.dt_h, left)
        slack = ev.charge_efficiency * rate * (left - h) - need
        floor = np.where(slack <= 0, -slack / (ev.charge_efficiency * h),
                         -slack * ev.charge_efficiency / h)
        floor = np.clip(floor, -ev.v2g_max_kw, ev.max_charge_kw)
        assert np.all(sp.ev_setpoint_kw[protected] >= floor[protected] - 1e-9)
    # the site limit holds for a policy that honours it, whenever the floors fit
    if np.isfinite(c["limit"]) and rules.honours_limit:
        floors = np.maximum(np.where(np.isfinite(sp.ev_floor_kw), sp.ev_floor_kw, 0.0), 0.0)
        if floors.sum() <= c["limit"]:
            assert np.maximum(p, 0.0).sum() <= c["limit"] + 1e-9
    # awards: none above an offer or to a home that declined; together the target, or
    # every offer if they fall short
    if event is not None:
        offer, award = sp.home_offer_kw, sp.home_award_kw
        assert np.all(offer[~accepted] == 0.0)
        assert np.all(award <= offer + TOL_KW) and np.all(award >= 0.0)
        np.testing.assert_allclose(award.sum(), min(c["target_kw"], offer.sum()),
                                   rtol=1e-12, atol=1e-9)
        per_home = (np.bincount(ev.prosumer_index, sp.ev_award_kw, minlength=c["n_homes"])
                    + np.bincount(bess.prosumer_index, sp.bess_award_kw,
                                  minlength=c["n_homes"]))
        np.testing.assert_allclose(per_home, award, rtol=1e-12, atol=1e-12)
    else:
        assert sp.home_award_kw is None


class _PlainSelfConsumption:
    """The self-consumption policy without its one-pass form: the general path."""

    name = "plain"
    follows_dispatch = False

    def __init__(self):
        self._inner = get_bess_policy("self_consumption")

    def setpoints(self, bess, signals):
        return self._inner.setpoints(bess, signals)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 8))
def test_quiet_batteries_equal_the_general_decision(seed, n_homes):
    fleet, ev, bess, _, net = _state(seed, n_homes, False)
    sig = _signals(net)
    quiet = decide(fleet, ev, bess, sig, Rules(get_ev_policy("uncontrolled"),
                                               get_bess_policy("self_consumption")),
                   evs_hold=True)
    general = decide(fleet, ev, bess, sig, Rules(get_ev_policy("uncontrolled"),
                                                 _PlainSelfConsumption()), evs_hold=True)
    np.testing.assert_array_equal(quiet.bess_kw, general.bess_kw)
    assert quiet.ev_kw is None and general.ev_kw is None


def test_a_deferral_award_by_hand():
    """One home, one EV charging at 7 kW uncontrolled, a 5 kW discharge event: the
    award is 5 kW of deferral, so the EV holds 2 kW; its battery (self-consumption)
    offers nothing."""
    fleet, ev, bess, _, _ = _state(3, 1, False)
    ev.plugged[:] = True
    ev.soc[:] = 0.3
    ev.target_soc[:] = 0.9
    ev.departure_h[:] = 10.0
    ev.max_charge_kw[:] = 7.0
    accepted = np.array([True])
    rules = Rules(get_ev_policy("uncontrolled"), get_bess_policy("self_consumption"),
                  departure_guard=False)
    event = ActiveEvent(-1, 5.0, 1.0, accepted, ev.soc.copy())
    sp = decide(fleet, ev, bess, _signals(np.array([1.0]), direction=-1), rules, event)
    assert sp.ev_base_kw[0] == 7.0
    assert sp.home_offer_kw[0] == 7.0 and sp.home_award_kw[0] == 5.0
    assert sp.ev_kw[0] == 2.0
    assert sp.bess_award_kw[0] == 0.0


def test_the_site_limit_cut_by_hand():
    """Three EVs at 7 kW each above a 10 kW limit, no floors: the cut takes the
    latest departure first (docs/semantics.md), leaving 7, 3 and 0 kW."""
    p = np.array([7.0, 7.0, 7.0])
    out = boundary.cut_to_limit(p, np.full(3, -np.inf), 10.0, np.array([5.0, 8.0, 12.0]))
    np.testing.assert_array_equal(out, [7.0, 3.0, 0.0])
    # a floor is never cut
    out = boundary.cut_to_limit(p, np.array([-np.inf, -np.inf, 6.0]), 10.0,
                                np.array([5.0, 8.0, 12.0]))
    np.testing.assert_array_equal(out, [4.0, 0.0, 6.0])


def test_the_engine_decides_through_the_pure_function():
    """The engine's decisions are `decide`'s: a run with `decide` replaced by a spy
    sees every call, and the spy's inputs are never changed by the call."""
    from helpers import events, make_inputs

    from desim.sim import engine as eng

    calls = []
    real = boundary.decide

    def spy(fleet, ev, bess, sig, rules, event=None, evs_hold=False):
        snap = copy.deepcopy((_arrays(ev), _arrays(bess)))
        out = real(fleet, ev, bess, sig, rules, event, evs_hold)
        assert all(np.array_equal(getattr(ev, k), v, equal_nan=True)
                   for k, v in snap[0].items())
        calls.append(event is not None)
        return out

    inp = make_inputs(make_fleet(4, v2g=True), days=1, ev_policy="smart",
                      bess_policy="follow_dispatch", site_limit_kw=15.0,
                      events=events(("e1", 18.0, 2.0, 6.0, -1, 300.0)))
    boundary.decide = spy
    try:
        result = eng.Engine(inp).run()
    finally:
        boundary.decide = real
    assert len(calls) >= inp.n_steps
    assert any(calls) and not all(calls)   # decisions inside and outside the event
    assert len(result.settlements) == 1
