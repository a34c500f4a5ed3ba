"""The closed-form HVAC reference against hand-computed switches, the ODE and energy balance."""

import math
from itertools import pairwise

import pytest
from hvac_ode import ode_events
from hvac_reference import HvacParams, hvac_events, stretches_from_outdoor
from hypothesis import assume, given, settings
from hypothesis import strategies as st

TIME_TOL_H = 1e-6
TEMP_TOL_C = 1e-6

# The example home of the scenario format: R C = 6 h, cop P R = 21 C.
HOME = dict(kind="ac", thermal_resistance_c_per_kw=2.0, thermal_capacitance_kwh_per_c=3.0,
            rated_power_kw=3.5, cop=3.0, setpoint_c=24.0, deadband_c=1.0,
            initial_temperature_c=26.0)


def _flat(temperature, hours, interval_h=0.25):
    n = math.ceil(hours / interval_h - 1e-9)
    return [(i * interval_h, temperature) for i in range(n)]


def _times(run):
    return [t for t, _, _ in run.events]


def _kinds(run):
    return [k for _, k, _ in run.events]


# --------------------------------------------------------------------------------------
# Hand cases: switching times written out as their own closed forms.


def test_cooling_from_inside_the_band_cycles_with_hand_computed_times():
    home = {**HOME, "initial_temperature_c": 23.0}
    run = hvac_events(home, _flat(35.0, 12), end_h=12)
    # OFF: T -> 35 from 23, reaches 24.5; ON: T -> 35 - 21 = 14 from 24.5, reaches 23.5;
    # OFF again from 23.5 to 24.5.
    t1 = 6.0 * math.log((35 - 23) / (35 - 24.5))
    t2 = t1 + 6.0 * math.log((24.5 - 14) / (23.5 - 14))
    t3 = t2 + 6.0 * math.log((35 - 23.5) / (35 - 24.5))
    period = 6.0 * math.log(10.5 / 9.5) + 6.0 * math.log(11.5 / 10.5)
    assert not run.initial_event
    assert _kinds(run)[:4] == ["hvac_on", "hvac_off", "hvac_on", "hvac_off"]
    assert _times(run)[:3] == pytest.approx([t1, t2, t3], abs=1e-12)
    assert run.events[3][0] - run.events[1][0] == pytest.approx(period, abs=1e-12)
    assert [T for _, _, T in run.events[:3]] == [24.5, 23.5, 24.5]


def test_initial_temperature_above_the_upper_edge_starts_on_with_a_row_at_zero():
    run = hvac_events(HOME, _flat(35.0, 6), end_h=6)
    assert run.initial_event
    assert run.events[0] == (0.0, "hvac_on", 26.0)
    assert run.events[1][1] == "hvac_off"
    assert run.events[1][0] == pytest.approx(6.0 * math.log((26 - 14) / (23.5 - 14)), abs=1e-12)
    assert run.switch_events() == run.events[1:]


def test_initial_temperature_exactly_at_an_edge():
    at_upper = hvac_events({**HOME, "initial_temperature_c": 24.5}, _flat(30.0, 1), end_h=1)
    assert at_upper.initial_event and at_upper.events[0] == (0.0, "hvac_on", 24.5)
    # At the lower edge a cooler starts OFF: no row at the start.
    at_lower = hvac_events({**HOME, "initial_temperature_c": 23.5}, _flat(20.0, 1), end_h=1)
    assert not at_lower.initial_event and at_lower.events == []
    heat = {**HOME, "kind": "heat_pump", "setpoint_c": 20.0}
    at_lower_heat = hvac_events({**heat, "initial_temperature_c": 19.5}, _flat(0.0, 1), end_h=1)
    assert at_lower_heat.initial_event and at_lower_heat.events[0] == (0.0, "hvac_on", 19.5)
    at_upper_heat = hvac_events({**heat, "initial_temperature_c": 20.5}, _flat(25.0, 1),
                                end_h=1)
    assert at_upper_heat.events == []


def test_too_hot_outside_the_ac_stays_on():
    # T_eq = 46 - 21 = 25 C is above the lower edge 23.5 C: never switches off.
    run = hvac_events(HOME, _flat(46.0, 10), end_h=10)
    assert run.events == [(0.0, "hvac_on", 26.0)]
    assert run.on_at_end
    assert run.energy_kwh == pytest.approx(3.5 * 10, abs=1e-12)
    assert run.end_temperature_c == pytest.approx(25 + (26 - 25) * math.exp(-10 / 6), abs=1e-12)


def test_cool_night_never_turns_on():
    home = {**HOME, "initial_temperature_c": 22.0}
    run = hvac_events(home, _flat(20.0, 24), end_h=24)
    assert run.events == [] and run.energy_kwh == 0.0
    assert run.end_temperature_c == pytest.approx(20 + 2 * math.exp(-24 / 6), abs=1e-12)


def test_heat_pump_heats_with_hand_computed_times():
    home = {**HOME, "kind": "heat_pump", "setpoint_c": 20.0, "rated_power_kw": 4.0,
            "initial_temperature_c": 21.0}
    run = hvac_events(home, _flat(0.0, 8), end_h=8)
    # OFF: T -> 0 from 21, reaches 19.5; ON: T -> 0 + 3*4*2 = 24, reaches 20.5.
    t1 = 6.0 * math.log(21 / 19.5)
    t2 = t1 + 6.0 * math.log((24 - 19.5) / (24 - 20.5))
    assert _kinds(run)[:2] == ["hvac_on", "hvac_off"]
    assert _times(run)[:2] == pytest.approx([t1, t2], abs=1e-12)
    # The same home with an explicit mode argument.
    ac_table = {**home, "kind": "ac"}
    assert hvac_events(ac_table, _flat(0.0, 8), end_h=8, mode="heat").events == run.events


def test_outdoor_step_between_stretches():
    home = {**HOME, "initial_temperature_c": 23.0}
    outdoor = [(0.0, 30.0), (1.0, 40.0), (2.0, 40.0)]
    run = hvac_events(home, outdoor, end_h=3)
    # Not reached in the first hour (6 ln(7/5.5) > 1 h); T(1) = 30 - 7 e^(-1/6).
    t_at_1 = 30 - 7 * math.exp(-1 / 6)
    t_on = 1 + 6.0 * math.log((40 - t_at_1) / (40 - 24.5))
    assert run.events[0][1] == "hvac_on"
    assert run.events[0][0] == pytest.approx(t_on, abs=1e-12)


def test_a_run_starting_inside_a_data_interval():
    home = {**HOME, "initial_temperature_c": 23.0}
    run = hvac_events(home, [(0.0, 35.0), (1.0, 35.0)], start_h=0.4, end_h=2.0)
    assert run.events[0][0] == pytest.approx(0.4 + 6.0 * math.log(12 / 10.5), abs=1e-12)


def test_outdoor_rows_must_cover_the_run():
    with pytest.raises(ValueError, match="cover"):
        stretches_from_outdoor([(0.0, 20.0), (0.25, 20.0)], start_h=0.0, end_h=1.0)
    with pytest.raises(ValueError, match="apart"):
        stretches_from_outdoor([(0.0, 20.0), (0.25, 20.0), (0.75, 1.0)], start_h=0.0,
                               end_h=0.5)


# --------------------------------------------------------------------------------------
# Random cases: closed form against the ODE; energy balance.


@st.composite
def cases(draw):
    mode = draw(st.sampled_from(["cool", "heat"]))
    setpoint = draw(st.floats(16.0, 28.0))
    params = dict(
        mode=mode,
        thermal_resistance_c_per_kw=draw(st.floats(0.5, 5.0)),
        thermal_capacitance_kwh_per_c=draw(st.floats(0.3, 10.0)),
        rated_power_kw=draw(st.floats(0.5, 8.0)),
        cop=draw(st.floats(1.5, 5.0)),
        setpoint_c=setpoint,
        deadband_c=draw(st.floats(0.2, 3.0)),
        initial_temperature_c=setpoint + draw(st.floats(-6.0, 6.0)),
    )
    interval_h = draw(st.sampled_from([5, 15, 30, 60])) / 60
    lo, hi = (-10.0, 25.0) if mode == "cool" else (-25.0, 8.0)
    temps = draw(st.lists(st.floats(setpoint + lo, setpoint + hi), min_size=1, max_size=60))
    outdoor = [(i * interval_h, v) for i, v in enumerate(temps)]
    end_h = len(temps) * interval_h * draw(st.sampled_from([1.0, 1.0, 0.7]))
    return params, outdoor, interval_h, end_h


def _well_conditioned(params, outdoor):
    """No stretch whose equilibrium sits within 1e-3 C of an edge (ill-conditioned)."""
    p = HvacParams.from_mapping(params)
    for _, t_out in outdoor:
        for on in (False, True):
            if abs(p.t_eq(t_out, on) - p.switching_edge(on)) < 1e-3:
                return False
    return True


@settings(max_examples=50, deadline=None)
@given(cases())
def test_closed_form_and_ode_agree(case):
    params, outdoor, interval_h, end_h = case
    assume(_well_conditioned(params, outdoor))
    ref = hvac_events(params, outdoor, end_h=end_h, interval_h=interval_h)
    ode = ode_events(params, outdoor, end_h=end_h, interval_h=interval_h)
    assert ref.initial_event == ode.initial_event
    assert _kinds(ref) == [k for _, k, _ in ode.events]
    for (t_r, _, temp_r), (t_o, _, temp_o) in zip(ref.events, ode.events, strict=True):
        assert abs(t_r - t_o) <= TIME_TOL_H
        assert abs(temp_r - temp_o) <= TEMP_TOL_C
    assert ref.end_temperature_c == pytest.approx(ode.end_temperature_c, abs=TEMP_TOL_C)
    assert ref.energy_kwh == pytest.approx(ode.energy_kwh, abs=1e-6)
    assert _envelope_heat(ref, params) == pytest.approx(ode.envelope_heat_kwh, abs=1e-6)


def _envelope_heat(run, params):
    """Integral of (T_out - T)/R dt over the run, in closed form per segment."""
    p = HvacParams.from_mapping(params)
    tau, r = p.tau_h, p.thermal_resistance_c_per_kw
    total = 0.0
    for seg in run.segments:
        d = seg.t1_h - seg.t0_h
        cop_p_r = p.cop * p.rated_power_kw * r if seg.on else 0.0
        t_eq = seg.outdoor_c + (cop_p_r if p.mode == "heat" else -cop_p_r)
        integral_t = t_eq * d + (seg.t_start_c - t_eq) * tau * -math.expm1(-d / tau)
        total += (seg.outdoor_c * d - integral_t) / r
    return total


@settings(max_examples=50, deadline=None)
@given(cases())
def test_energy_balance_of_the_thermal_node(case):
    params, outdoor, interval_h, end_h = case
    run = hvac_events(params, outdoor, end_h=end_h, interval_h=interval_h)
    p = HvacParams.from_mapping(params)
    # The segments tile the run and the temperature is continuous.
    assert run.segments[0].t0_h == 0.0 and run.segments[-1].t1_h == end_h
    for a, b in pairwise(run.segments):
        assert a.t1_h == b.t0_h and a.t_end_c == b.t_start_c
    assert run.energy_kwh == pytest.approx(
        sum(p.rated_power_kw * (s.t1_h - s.t0_h) for s in run.segments if s.on), abs=1e-12)
    stored = p.thermal_capacitance_kwh_per_c * (run.end_temperature_c - p.initial_temperature_c)
    pumped = p.cop * run.energy_kwh * (1.0 if p.mode == "heat" else -1.0)
    assert stored == pytest.approx(_envelope_heat(run, params) + pumped, abs=1e-9)
    # Events alternate and every switch after the start is at an edge.
    kinds = _kinds(run)
    assert all(a != b for a, b in pairwise(kinds))
    for t, _, temp in run.switch_events():
        assert temp in (p.lower_c, p.upper_c)
        assert 0.0 <= t <= end_h
