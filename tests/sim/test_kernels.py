"""The compiled fleet passes agree with the physics functions and the array forms."""

import numpy as np
from helpers import events, make_fleet, make_inputs
from hypothesis import given, settings
from hypothesis import strategies as st

from desim.assets import physics
from desim.sim import kernels
from desim.sim.engine import run_inputs

seeds = st.integers(0, 2**31 - 1)


def _batteries(rng, n):
    cap = rng.uniform(2.0, 20.0, n)
    lo = rng.uniform(0.0, 0.2, n)
    hi = rng.uniform(0.8, 1.0, n)
    soc = rng.uniform(0.0, 1.0, n)
    # some rows exactly at a limit, some idle
    soc[rng.random(n) < 0.1] = hi[0]
    p = rng.normal(0.0, 4.0, n)
    p[rng.random(n) < 0.2] = 0.0
    k = np.where(rng.random(n) < 0.5, rng.uniform(0.0, 0.05, n), 0.0)
    ec = rng.uniform(0.85, 1.0, n)
    ed = rng.uniform(0.85, 1.0, n)
    return soc, p, cap, lo, hi, ec, ed, k


@settings(max_examples=60)
@given(seeds, st.integers(1, 60), st.floats(1e-3, 2.0))
def test_battery_step_and_edges_equal_hold_power(seed, n, dt):
    rng = np.random.default_rng(seed)
    soc, p, cap, lo, hi, ec, ed, k = _batteries(rng, n)
    want_soc, want_energy, want_active = physics.hold_power(soc, p, dt, cap, lo, hi, ec, ed, k)

    e, g = physics.decay_factors(k, dt)
    got_soc = soc.copy()
    step, charged, discharged = np.zeros(n), np.zeros(n), np.zeros(n)
    delta_kw = rng.normal(0.0, 1.0, n)
    delta_kwh = np.zeros(n)
    edge = np.zeros(n, dtype=np.int64)
    n_edge, delivered = kernels.battery_step(got_soc, p, cap, ec, ed, e, g, lo, hi, dt, step,
                                             charged, discharged, delta_kw, delta_kwh, edge)
    rows = edge[:n_edge]
    active = np.full(n, dt)
    got_soc[rows] = soc[rows]                   # battery_step leaves edge rows alone
    out_active, full = np.empty(n_edge), np.empty(n_edge, dtype=np.int8)
    power, delta_held = p.copy(), delta_kw.copy()
    compact = rows.copy()
    more, n_hit, n_full = kernels.battery_edges(compact, got_soc, power, cap, lo, hi, ec, ed, k, dt, step,
                                        charged, discharged, delta_held, delta_kwh, out_active,
                                        full)
    delivered += more
    hits = compact[:n_hit]
    active[hits] = out_active[:n_hit]          # the rest held their power all step
    # a battery that reached its limit stops, and says which one
    assert np.all(power[hits] == 0.0) and np.all(delta_held[hits] == 0.0)
    np.testing.assert_array_equal(full[:n_hit] == 1, p[hits] > 0)
    # full ones first, each group in the order the rows came in
    assert n_full == int((p[hits] > 0).sum()) and np.all(full[:n_full] == 1)
    order = {r: j for j, r in enumerate(rows.tolist())}
    for group in (hits[:n_full], hits[n_full:]):
        assert all(order[a] < order[b] for a, b in zip(group[:-1], group[1:], strict=True))
    # the kernels call the same scalar closed forms: equal bit for bit
    np.testing.assert_array_equal(got_soc, want_soc)
    np.testing.assert_array_equal(step, want_energy)
    np.testing.assert_array_equal(active, want_active)
    np.testing.assert_allclose(charged - discharged, step, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(delta_kwh, delta_kw * active, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(delivered, (delta_kw * active).sum(), rtol=1e-12, atol=1e-12)
    # rows that stay inside their limits: the plain closed form
    inside = np.setdiff1d(np.arange(n), rows)
    np.testing.assert_array_equal(got_soc[inside], physics.soc_after(
        soc, p, dt, cap, ec, ed, k)[inside])


@settings(max_examples=40)
@given(seeds, st.integers(1, 50), st.integers(0, 30))
def test_interval_accounting_equals_the_array_form(seed, n_homes, n_bess):
    rng = np.random.default_rng(seed)
    dt, price = 0.25, 0.31
    load = rng.uniform(0.0, 3.0, n_homes).astype(np.float32)
    net_kw = load - rng.uniform(0.0, 5.0, n_homes)
    ev = rng.uniform(0.0, 2.0, n_homes)
    home = rng.integers(0, n_homes, n_bess)
    bess_step = rng.normal(0.0, 1.0, n_bess)
    hvac = rng.uniform(0.0, 1.0, n_homes) * (rng.random(n_homes) < 0.5)
    wh = rng.uniform(0.0, 1.0, n_homes) * (rng.random(n_homes) < 0.5)
    tots = [rng.uniform(0.0, 5.0, n_homes) for _ in range(9)]
    acc = np.stack(tots, axis=0)
    step_in, hvac_in, wh_in = bess_step.copy(), hvac.copy(), wh.copy()
    sums = kernels.account_interval(load, net_kw, ev, home, step_in, dt, price, acc,
                                    np.zeros(n_homes), hvac_in, wh_in)
    # the interval's energies are reset once read
    assert not step_in.any() and not hvac_in.any() and not wh_in.any()
    got = list(acc)
    b = np.bincount(home, bess_step, minlength=n_homes)
    net = net_kw * dt + ev + b + hvac + wh
    imp = np.maximum(net, 0.0)
    want = [tots[0] + load.astype(float) * dt, tots[1] + ev, tots[2] + b, tots[3] + imp,
            tots[4] + np.maximum(-net, 0.0), tots[5] + net * price, np.maximum(tots[6], imp),
            tots[7] + hvac, tots[8] + wh]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sums, (load.astype(float).sum(), net.sum(), imp.sum(), ev.sum(),
                                      bess_step.sum(), hvac.sum(), wh.sum()), rtol=1e-12,
                               atol=1e-12)

    # the fleet sums are home by home, in home order (battery by battery for batteries):
    # the same bits as a plain sequential sum of the per-home values
    def in_order(values):
        total = 0.0
        for x in values.tolist():
            total += x
        return total

    assert sums == (in_order(load.astype(float)), in_order(net), in_order(imp), in_order(ev),
                    in_order(bess_step), in_order(hvac), in_order(wh))


@settings(max_examples=20)
@given(seeds, st.integers(1, 6), st.booleans())
def test_ev_meter_equals_each_evs_own_energy(seed, n, v2g):
    """The per-home EV meter (corrected at each power change) and each EV's own
    integrated energy are computed independently; they must agree."""
    fleet = make_fleet(n, rng=np.random.default_rng(seed), v2g=v2g)
    for ev_policy, kw in (("uncontrolled", {}), ("smart", {"events": events(
            ("e1", 17.0, 3.0, 4.0 * n, -1, 400.0))})):
        res = run_inputs(make_inputs(fleet, days=2, seed=seed, ev_policy=ev_policy,
                                     bess_policy="follow_dispatch", **kw))
        own = np.bincount(res.ev.prosumer_index, res.ev.charged_kwh - res.ev.discharged_kwh,
                          minlength=fleet.n_prosumers)
        np.testing.assert_allclose(res.totals["ev_kwh"], own, rtol=1e-9, atol=1e-9)
        assert abs(res.series["ev_kw"].sum() * 0.25 - own.sum()) < 1e-6 * max(1.0, own.sum())


@settings(max_examples=60)
@given(seeds, st.integers(1, 40), st.integers(1, 60), st.booleans())
def test_self_consumption_setpoints_share_each_homes_net_load(seed, n_homes, n_bess, one_each):
    """Against a loop written from docs/semantics.md: each battery covers (or stores) what
    its home's batteries listed before it left, within its ratings, nothing past its
    limits or against the top-up rule; a home's batteries never hold more than its net
    load. With one battery a home (`one_each`) that is the clip of ``-net`` where no limit
    stops it."""
    from types import SimpleNamespace

    from desim.sim.policies import TOP_UP_MARGIN_SOC, SelfConsumption

    rng = np.random.default_rng(seed)
    net = rng.normal(0.0, 3.0, n_homes)
    if one_each:
        n_bess = min(n_bess, n_homes)
        owner = np.sort(rng.choice(n_homes, n_bess, replace=False))
    else:
        owner = rng.integers(0, n_homes, n_bess)
    b = SimpleNamespace(prosumer_index=owner, max_charge_kw=rng.uniform(1, 6, n_bess),
                        max_discharge_kw=rng.uniform(1, 6, n_bess),
                        soc=rng.choice([0.1, 0.5, 0.95, 0.9995, 1.0], n_bess),
                        min_soc=np.full(n_bess, 0.1), max_soc=np.full(n_bess, 0.999),
                        self_discharge_per_h=np.where(rng.random(n_bess) < 0.5, 1e-4, 0.0))
    got = SelfConsumption().setpoints(b, SimpleNamespace(home_net_load_kw=net))
    taken = {}
    want = []
    for i, h in enumerate(owner.tolist()):
        p = min(max(-net[h] - taken.get(h, 0.0), -b.max_discharge_kw[i]), b.max_charge_kw[i])
        if p > 0 and b.soc[i] > b.max_soc[i] - TOP_UP_MARGIN_SOC and b.self_discharge_per_h[i]:
            p = 0.0
        if (p > 0 and b.soc[i] >= b.max_soc[i]) or (p < 0 and b.soc[i] <= b.min_soc[i]):
            p = 0.0
        want.append(p)
        taken[h] = taken.get(h, 0.0) + p
    np.testing.assert_array_equal(got, np.array(want))
    if one_each:        # the array form
        p = np.clip(-net[owner], -b.max_discharge_kw, b.max_charge_kw)
        idle = (((p > 0) & (b.soc > b.max_soc - TOP_UP_MARGIN_SOC) & (b.self_discharge_per_h > 0))
                | ((p > 0) & (b.soc >= b.max_soc)) | ((p < 0) & (b.soc <= b.min_soc)))
        np.testing.assert_array_equal(got, np.where(idle, 0.0, p))
    held = np.bincount(owner, got, minlength=n_homes)
    assert np.all(held * -net >= 0) and np.all(np.abs(held) <= np.abs(net) + 1e-12)


@settings(max_examples=40)
@given(seeds, st.integers(1, 50))
def test_next_ev_event_is_the_earlier_of_departure_and_time_to_soc(seed, n):
    rng = np.random.default_rng(seed)
    p = rng.choice([-7.0, 0.0, 3.3, 11.0], n)
    eff, cap = rng.uniform(0.85, 0.95, n), rng.uniform(40, 100, n)
    soc, target, floor = rng.uniform(0, 1, n), rng.uniform(0.5, 1, n), rng.uniform(0, 0.3, n)
    soc[rng.random(n) < 0.1] = target[0]
    t_last, dep, arr = rng.uniform(0, 5, n), rng.uniform(5, 30, n), rng.uniform(0, 30, n)
    plugged = rng.random(n) < 0.8
    out = np.empty(n)
    kernels.ev_next_event_h(np.arange(n), p, eff, cap, target, floor, soc, t_last, plugged, dep,
                            arr, out)
    limit = np.where(p > 0, target, floor)
    t_stop = np.where(p != 0, t_last + physics.time_to_soc(soc, limit, p, cap, eff, eff),
                      np.inf)
    want = np.where(plugged, np.minimum(dep, t_stop), arr)
    np.testing.assert_array_equal(out, want)
    # renewing some rows in place: those rows take the same times, the others stay,
    # and the earliest of all comes back
    some = np.flatnonzero(rng.random(n) < 0.5)
    next_h = rng.uniform(0, 30, n)
    kept = next_h.copy()
    due = kernels.ev_renew_next_h(some, p, eff, cap, target, floor, soc, t_last, plugged, dep,
                                  arr, next_h)
    kept[some] = want[some]
    np.testing.assert_array_equal(next_h, kept)
    assert due == kept.min()
    # every plugged EV renewed, the others keep theirs
    due = kernels.ev_renew_plugged_next_h(p, eff, cap, target, floor, soc, t_last, plugged, dep,
                                          arr, next_h)
    kept[plugged] = want[plugged]
    np.testing.assert_array_equal(next_h, kept)
    assert due == kept.min()


@settings(max_examples=40)
@given(seeds, st.integers(1, 40), st.booleans(), st.booleans())
def test_ev_integration_is_linear_in_time_with_efficiency_losses(seed, n, one_time, event):
    rng = np.random.default_rng(seed)
    p = rng.choice([-7.0, 0.0, 3.3, 11.0], n)
    eff, cap = rng.uniform(0.85, 0.95, n), rng.uniform(40, 100, n)
    soc0, t_last = rng.uniform(0.2, 0.8, n), rng.uniform(0, 2, n)
    t_end = np.array([3.0]) if one_time else rng.uniform(2, 4, n)
    delta_kw = rng.normal(0, 2, n) if event else np.zeros(0)
    soc, charged, discharged = soc0.copy(), np.zeros(n), np.zeros(n)
    t, delta_kwh = t_last.copy(), np.zeros(n)
    got = kernels.ev_integrate(np.arange(n), t_end, p, eff, cap, soc, charged, discharged, t,
                               delta_kw, delta_kwh)
    dt = np.broadcast_to(t_end, (n,)) - t_last
    stored = np.where(p > 0, p * eff, p / eff)
    np.testing.assert_allclose(soc, soc0 + stored * dt / cap, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(soc, physics.soc_after(soc0, p, dt, cap, eff, eff, 0.0))
    np.testing.assert_allclose(charged - discharged, p * dt, rtol=1e-13, atol=1e-15)
    assert (charged >= 0).all() and (discharged >= 0).all()
    np.testing.assert_array_equal(t, np.broadcast_to(t_end, (n,)))
    if event:
        np.testing.assert_allclose(delta_kwh, delta_kw * dt, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(got, (delta_kw * dt).sum(), rtol=1e-12, atol=1e-12)
    else:
        assert got == 0.0


@settings(max_examples=40)
@given(seeds, st.integers(0, 30), st.integers(0, 10))
def test_queued_meter_changes_before_the_interval_end_are_added_as_meter_add_does(seed, n, pos):
    rng = np.random.default_rng(seed)
    t = np.sort(rng.choice([0.1, 0.25, 0.3, 0.5, 0.7], n))
    homes, dp = rng.integers(0, 4, n), rng.choice([-7.0, -3.3, 3.3, 7.0], n)
    pos = min(pos, n)
    end_h = 0.5
    got_e, got_p = rng.uniform(0, 1, 4), rng.choice([0.0, 3.3, 7.0], 4)
    want_e, want_p = got_e.copy(), got_p.copy()
    j = kernels.meter_due(t, homes, dp, pos, end_h, got_e, got_p)
    # what is due: the changes from `pos` strictly before the end (one at the end waits)
    want_j = pos + int(np.searchsorted(t[pos:], end_h, side="left"))
    assert j == want_j
    kernels.meter_add(want_e, want_p, homes[pos:j], dp[pos:j], t[pos:j], end_h)
    np.testing.assert_array_equal(got_e, want_e)
    np.testing.assert_array_equal(got_p, want_p)


@settings(max_examples=40)
@given(seeds, st.integers(1, 60), st.integers(0, 30), st.booleans(), st.booleans())
def test_accounting_without_a_unit_stream_is_the_same_bits_as_with_a_stream_of_zeros(
        seed, n_homes, n_bess, hvac_empty, wh_empty):
    # an empty stream compiles the pass without it (fewer running sums); a stream of
    # zeros goes through every addition: the per-home sums and fleet sums agree exactly
    rng = np.random.default_rng(seed)
    load = rng.uniform(0.0, 3.0, n_homes).astype(np.float32)
    net_kw = load - rng.uniform(0.0, 5.0, n_homes)
    net_kw[rng.random(n_homes) < 0.2] = -0.0          # signed zeros on the way
    ev = rng.uniform(0.0, 2.0, n_homes) * (rng.random(n_homes) < 0.5)
    home = rng.integers(0, n_homes, n_bess)
    bess_step = rng.normal(0.0, 1.0, n_bess)
    units = rng.uniform(0.0, 1.0, n_homes)
    acc0 = np.stack([rng.uniform(0.0, 5.0, n_homes) for _ in range(9)], axis=0)

    def run(hvac, wh):
        acc = acc0.copy()
        sums = kernels.account_interval(load, net_kw, ev, home, bess_step.copy(), 0.25, 0.31,
                                        acc, np.zeros(n_homes), hvac, wh)
        return acc, sums

    hvac = np.zeros(0) if hvac_empty else units.copy()
    wh = np.zeros(0) if wh_empty else units[::-1].copy()
    got_acc, got = run(hvac.copy(), wh.copy())
    full_acc, full = run(np.zeros(n_homes) if hvac_empty else hvac.copy(),
                         np.zeros(n_homes) if wh_empty else wh.copy())
    assert got == full
    rows = [r for r in range(9) if not (r == 7 and hvac_empty) and not (r == 8 and wh_empty)]
    np.testing.assert_array_equal(got_acc[rows].view(np.int64), full_acc[rows].view(np.int64))
    if hvac_empty:
        np.testing.assert_array_equal(got_acc[7], acc0[7])     # left alone
    if wh_empty:
        np.testing.assert_array_equal(got_acc[8], acc0[8])
