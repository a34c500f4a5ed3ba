"""Comfort degree-hours: the closed form and the fleet's totals against fine-step quadrature.

The quadrature here is a plain midpoint rule over the exponential written out in
the test, and the fleet's trajectory comes from the independent reference
(`hvac_reference`), so neither shares code with desim's closed form.
"""

import math

import numpy as np
import pytest
from hvac_reference import hvac_events
from hypothesis import given, settings
from hypothesis import strategies as st
from thermal_fleet_driver import run_fleet

from desim.assets.physics.thermal import degree_hours_beyond

TOL_C_H = 1e-6
STEPS = 1_000_000


def _quadrature(start_c, equilibrium_c, edge_c, duration_h, tau_h, sign, steps=STEPS):
    """Midpoint rule for the integral of max(sign (T(t) - edge), 0) over the stretch."""
    if duration_h <= 0:
        return 0.0
    h = duration_h / steps
    t = (np.arange(steps) + 0.5) * h
    temp = equilibrium_c + (start_c - equilibrium_c) * np.exp(-t / tau_h)
    return float(np.maximum(sign * (temp - edge_c), 0.0).sum() * h)


temps = st.floats(-10.0, 45.0, allow_nan=False)


@settings(max_examples=60)
@given(start=temps, eq=temps, edge=temps, duration=st.floats(0.0, 8.0),
       tau=st.floats(1.0, 30.0), sign=st.sampled_from([1.0, -1.0]))
def test_degree_hours_beyond_equals_fine_step_quadrature(start, eq, edge, duration, tau,
                                                         sign):
    got = degree_hours_beyond(start, eq, edge, duration, tau, sign)
    want = _quadrature(start, eq, edge, duration, tau, sign)
    assert got >= 0.0
    assert got == pytest.approx(want, abs=TOL_C_H)


@pytest.mark.parametrize(("start", "eq", "edge", "sign", "case"), [
    (30.0, 20.0, 25.0, 1.0, "beyond, then back inside"),
    (20.0, 30.0, 25.0, 1.0, "inside, then beyond"),
    (26.0, 30.0, 25.0, 1.0, "beyond all along"),
    (20.0, 24.0, 25.0, 1.0, "inside all along"),
    (25.0, 30.0, 25.0, 1.0, "starts on the edge, heading out"),
    (25.0, 20.0, 25.0, 1.0, "starts on the edge, heading in"),
    (15.0, 10.0, 18.0, -1.0, "heating: below the lower edge"),
])
def test_degree_hours_beyond_each_case(start, eq, edge, sign, case):
    got = degree_hours_beyond(start, eq, edge, 3.0, 2.0, sign)
    assert got == pytest.approx(_quadrature(start, eq, edge, 3.0, 2.0, sign), abs=TOL_C_H)


def test_degree_hours_beyond_is_zero_for_an_empty_stretch():
    assert degree_hours_beyond(30.0, 20.0, 25.0, 0.0, 2.0, 1.0) == 0.0


unit = st.fixed_dictionaries({
    "thermal_resistance_c_per_kw": st.floats(1.5, 3.5),
    "thermal_capacitance_kwh_per_c": st.floats(1.0, 6.0),
    "rated_power_kw": st.floats(0.5, 4.0),
    "cop": st.floats(2.0, 4.0),
    "setpoint_c": st.floats(20.0, 26.0),
    "deadband_c": st.floats(0.5, 2.0),
    "initial_temperature_c": st.floats(18.0, 32.0),
})


def _reference_degree_hours(params, outdoor, interval_h, heating):
    """Degree-hours beyond the comfort edge: the reference's trajectory, quadrature."""
    n = len(outdoor)
    run = hvac_events(params, [(k * interval_h, v) for k, v in enumerate(outdoor)],
                      end_h=n * interval_h, interval_h=interval_h,
                      mode="heat" if heating else "cool")
    half = params["deadband_c"] / 2
    edge, sign = ((params["setpoint_c"] - half, -1.0) if heating
                  else (params["setpoint_c"] + half, 1.0))
    tau = params["thermal_resistance_c_per_kw"] * params["thermal_capacitance_kwh_per_c"]
    total = 0.0
    for seg in run.segments:
        lift = params["cop"] * params["rated_power_kw"] * params["thermal_resistance_c_per_kw"]
        eq = seg.outdoor_c + (lift if heating else -lift) * seg.on
        steps = max(1000, int(20_000 * (seg.t1_h - seg.t0_h)))
        total += _quadrature(seg.t_start_c, eq, edge, seg.t1_h - seg.t0_h, tau, sign, steps)
    temps_seen = [params["initial_temperature_c"]] + [s.t_end_c for s in run.segments]
    return total, run, min(temps_seen), max(temps_seen)


@settings(max_examples=25)
@given(params=unit, heating=st.booleans(),
       outdoor=st.lists(st.floats(-5.0, 45.0), min_size=1, max_size=24),
       interval_h=st.sampled_from([0.25, 0.5, 1.0]))
def test_fleet_comfort_totals_equal_the_reference_and_quadrature(params, heating, outdoor,
                                                                 interval_h):
    if heating:   # a heat pump that heats all along: outdoor below its setpoint
        outdoor = [min(v, params["setpoint_c"] - 0.5) for v in outdoor]
    params = {**params, "kind": "heat_pump" if heating else "ac"}
    if not heating:
        outdoor = [max(v, 0.0) for v in outdoor]
    fleet, rows = run_fleet([params], outdoor, interval_h)
    want, run, lo, hi = _reference_degree_hours(params, outdoor, interval_h, heating)
    units = fleet.unit_totals(["home-0"])
    assert units.loc[0, "degree_hours_beyond_c_h"] == pytest.approx(want, abs=TOL_C_H)
    assert units.loc[0, "switches"] == len(run.events) == len(rows)
    assert units.loc[0, "energy_kwh"] == pytest.approx(run.energy_kwh, abs=1e-9)
    assert units.loc[0, "min_temperature_c"] == pytest.approx(lo, abs=1e-9)
    assert units.loc[0, "max_temperature_c"] == pytest.approx(hi, abs=1e-9)
    assert math.isfinite(units.loc[0, "degree_hours_beyond_c_h"])
