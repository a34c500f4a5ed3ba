"""One physics: the scalar closed forms, their array wrappers and the fleet kernels agree
bit for bit (the same compiled function runs in each)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from desim.assets import BESS, ElectricVehicle, SolarPV, physics
from desim.assets.physics import scalar
from desim.sim import kernels

seeds = st.integers(0, 2**31 - 1)


def bits(x):
    """The IEEE bit patterns of `x` (so 0.0 and -0.0, or two NaNs, are told apart)."""
    return np.asarray(x, dtype=np.float64).view(np.int64)


def _cases(rng, n):
    """Random battery rows, with exact limits, idle rows and tiny self-discharge mixed in."""
    cap = rng.uniform(1.0, 120.0, n)
    lo = rng.uniform(0.0, 0.3, n)
    hi = rng.uniform(0.7, 1.0, n)
    soc = rng.uniform(0.0, 1.0, n)
    pick = rng.random(n)
    soc = np.where(pick < 0.1, hi, np.where(pick < 0.2, lo, soc))
    p = rng.normal(0.0, 6.0, n)
    p[rng.random(n) < 0.15] = 0.0
    k = rng.choice([0.0, 1e-13, 1e-4, 0.02], n)
    ce = rng.uniform(0.8, 1.0, n)
    de = rng.uniform(0.8, 1.0, n)
    dt = rng.choice([0.0, 0.25, 1.0, 7.3], n) * rng.uniform(0.5, 1.5, n)
    return soc, p, dt, cap, lo, hi, ce, de, k


def _per_row(fn, *cols):
    """`fn` (a scalar function) called once per row from Python; tuples become columns."""
    rows = [fn(*(float(c[i]) for c in cols)) for i in range(len(cols[0]))]
    if rows and isinstance(rows[0], tuple):
        return tuple(np.array(col) for col in zip(*rows, strict=True))
    return np.array(rows)


@settings(max_examples=60)
@given(seeds, st.integers(1, 40))
def test_scalar_and_array_forms_are_equal_bit_for_bit(seed, n):
    soc, p, dt, cap, lo, hi, ce, de, k = _cases(np.random.default_rng(seed), n)
    target = np.where(p > 0, hi, lo)
    checks = [
        (scalar.stored_power_kw, physics.stored_power_kw, (p, ce, de)),
        (scalar.terminal_power_kw, physics.terminal_power_kw, (p, ce, de)),
        (scalar.soc_after, physics.soc_after, (soc, p, dt, cap, ce, de, k)),
        (scalar.time_to_soc, physics.time_to_soc, (soc, target, p, cap, ce, de, k)),
        (scalar.max_charge_power_kw, physics.max_charge_power_kw, (soc, cap, ce * 5, dt + 0.1,
                                                                   hi, ce)),
        (scalar.max_discharge_power_kw, physics.max_discharge_power_kw, (soc, cap, de * 5,
                                                                         dt + 0.1, lo, de)),
        (scalar.clip_power_kw, physics.clip_power_kw, (p, ce * 5, de * 5)),
        (scalar.energy_needed_kwh, physics.energy_needed_kwh, (soc, hi, cap)),
        (scalar.laxity_h, physics.laxity_h, (dt, soc, hi, cap, de * 7, ce)),
        (scalar.pv_power_kw, physics.pv_power_kw, (cap, p / 6, ce)),
        (scalar.guard_floor_kw, physics.guard_floor_kw,
         (cap * (hi - soc), dt * 40 - 5, dt, ce * 7, de * 7, ce, de, k * 1e3)),
    ]
    for one, many, cols in checks:
        np.testing.assert_array_equal(bits(many(*cols)), bits(_per_row(one, *cols)),
                                      err_msg=one.__name__)
    for one, many, cols in ((scalar.decay_factors, physics.decay_factors, (k, dt)),
                            (scalar.hold_power, physics.hold_power,
                             (soc, p, dt, cap, lo, hi, ce, de, k))):
        for got, want in zip(many(*cols), _per_row(one, *cols), strict=True):
            np.testing.assert_array_equal(bits(got), bits(want), err_msg=one.__name__)


@settings(max_examples=60)
@given(seeds, st.integers(1, 40), st.sampled_from([0.25, 1.0, 3.7]))
def test_battery_kernels_equal_the_scalar_hold_bit_for_bit(seed, n, dt):
    soc, p, _, cap, lo, hi, ce, de, k = _cases(np.random.default_rng(seed), n)
    want = _per_row(lambda *row: scalar.hold_power(row[0], row[1], dt, *row[2:]),
                    soc, p, cap, lo, hi, ce, de, k)
    got_soc = soc.copy()
    step, charged, discharged = np.zeros(n), np.zeros(n), np.zeros(n)
    edge, none = np.zeros(n, dtype=np.int64), np.zeros(0)
    e, g = physics.decay_factors(k, dt)
    n_edge, _ = kernels.battery_step(got_soc, p, cap, ce, de, e, g, lo, hi, dt, step, charged,
                                     discharged, none, none, edge)
    active = np.full(n, dt)
    out_active, full = np.empty(n_edge), np.empty(n_edge, dtype=np.int8)
    _, n_hit, _ = kernels.battery_edges(edge[:n_edge], got_soc, p.copy(), cap, lo, hi, ce, de, k,
                                     dt, step, charged, discharged, none, none, out_active, full)
    active[edge[:n_hit]] = out_active[:n_hit]      # the rest held their power all step
    # `step` accumulates from 0.0, which turns an energy of -0.0 into 0.0; the time at
    # power of an idle battery is not reported (nothing can be reached at zero power)
    moving = p != 0
    for got, w in zip((got_soc, step, active[moving]),
                      (want[0], 0.0 + want[1], want[2][moving]), strict=True):
        np.testing.assert_array_equal(bits(got), bits(w))


@settings(max_examples=40)
@given(seeds, st.integers(1, 40))
def test_ev_kernels_equal_the_scalar_forms_bit_for_bit(seed, n):
    rng = np.random.default_rng(seed)
    p = rng.choice([-7.0, 0.0, 3.3, 11.0], n) * rng.uniform(0.5, 1.0, n)
    eff, cap = rng.uniform(0.85, 1.0, n), rng.uniform(20, 120, n)
    soc, target, floor = rng.uniform(0, 1, n), rng.uniform(0.5, 1, n), rng.uniform(0, 0.3, n)
    t_last, t_end = rng.uniform(0, 5, n), rng.uniform(5, 9, n)
    out = np.empty(n)
    kernels.ev_next_event_h(np.arange(n), p, eff, cap, target, floor, soc, t_last,
                            np.ones(n, dtype=bool), np.full(n, np.inf), t_end, out)
    limit = np.where(p > 0, target, floor)
    t_hit = _per_row(lambda s, lim, q, c, e: scalar.time_to_soc(s, lim, q, c, e, e, 0.0),
                     soc, limit, p, cap, eff)
    np.testing.assert_array_equal(bits(out), bits(np.where(p != 0, t_last + t_hit, np.inf)))
    got = soc.copy()
    none = np.zeros(0)
    kernels.ev_integrate(np.arange(n), t_end, p, eff, cap, got, np.zeros(n), np.zeros(n),
                         t_last.copy(), none, none)
    want = _per_row(lambda s, q, t, c, e: scalar.soc_after(s, q, t, c, e, e, 0.0),
                    soc, p, t_end - t_last, cap, eff)
    np.testing.assert_array_equal(bits(got), bits(np.where(p != 0, want, soc)))


@settings(max_examples=40)
@given(st.floats(0.0, 30.0), st.floats(0.0, 5.0), st.floats(5.0, 95.0), st.booleans())
def test_seed_objects_call_the_scalar_hold(power_kw, hours, soc_percent, leaky):
    k = 1e-3 if leaky else 0.0
    b = BESS(13.5, 5.0, 0.9, soc_percent, 5.0, 100.0, self_discharge_per_h=k)
    want = scalar.hold_power(b.soc, min(power_kw, 5.0), hours, 13.5, 0.05, 1.0, 0.9, 0.9, k)
    assert b.charge(power_kw, hours) == want[1] * 0.9
    assert b.soc == want[0]             # the closed form's SOC, unclamped, as in the engine
    start = b.soc
    want = scalar.hold_power(start, -min(power_kw, 5.0), hours, 13.5, 0.05, 1.0, 0.9, 0.9, k)
    assert b.discharge(power_kw, hours) == -want[1]
    assert b.soc == want[0]
    ev = ElectricVehicle(60.0, 7.2, soc_percent, charge_efficiency=0.92)
    want = scalar.hold_power(ev.soc, min(power_kw, 7.2), hours, 60.0, 0.0, 1.0, 0.92, 0.92, 0.0)
    assert ev.charge(power_kw, hours) == want[1] * 0.92
    assert ev.soc == min(want[0], 1.0)
    pv = SolarPV(6.0, 0.86)
    assert pv.get_generation_kw(power_kw / 30) == physics.pv_power_kw(6.0, power_kw / 30, 0.86)


@settings(max_examples=60)
@given(seeds, st.integers(1, 40))
def test_guard_floor_equals_its_closed_form_written_with_numpy(seed, n):
    """The floor of docs/semantics.md, written here separately with numpy."""
    rng = np.random.default_rng(seed)
    need = rng.uniform(0.0, 40.0, n) * (rng.random(n) < 0.8)
    left = np.where(rng.random(n) < 0.1, np.inf, rng.uniform(-1.0, 14.0, n))
    dt = rng.uniform(0.01, 1.0, n)
    c = rng.uniform(0.0, 11.0, n)
    pmax = c + rng.uniform(0.0, 3.0, n)
    ce, de = rng.uniform(0.85, 1.0, n), rng.uniform(0.85, 1.0, n)
    v2g = np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0.0, 7.0, n))
    lft = np.maximum(left, 0.0)
    h = np.minimum(dt, lft)
    with np.errstate(divide="ignore", invalid="ignore"):
        slack = np.where(np.isfinite(lft), ce * c * (lft - h) - need, 0.0)
        f = np.where(slack <= 0.0, -slack / (ce * h), -slack * de / h)
    want = np.clip(np.nan_to_num(np.where(h > 0.0, f, 0.0), nan=0.0), -v2g, pmax)
    got = physics.guard_floor_kw(need, left, dt, c, pmax, ce, de, v2g)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@settings(max_examples=60)
@given(st.lists(st.floats(-1e3, 1e3), min_size=9, max_size=9))
def test_seed_hot_path_entry_points_equal_the_dispatched_closed_forms(args):
    from desim.assets import _fast

    fixed = [args[0], args[1], abs(args[2]), abs(args[3]) + 1.0, 0.1, 0.9,
             0.5 + abs(args[6]) % 0.5, 0.5 + abs(args[7]) % 0.5, abs(args[8]) % 0.01]
    for name, n_args, call in (("hold_power", 9, fixed), ("energy_needed_kwh", 3, args[:3]),
                               ("pv_power_kw", 3, args[:3])):
        entry = _fast.entry_point(getattr(scalar, name), n_args)
        assert entry is not getattr(scalar, name)           # the entry point, not the dispatcher
        np.testing.assert_array_equal(bits(entry(*call)), bits(getattr(scalar, name)(*call)))
        np.testing.assert_array_equal(bits(getattr(_fast, name)(*call)), bits(entry(*call)))
