"""Properties of the thermal fleet on random units and outdoor series.

The fleet is driven as the engine drives it (`thermal_fleet_driver`). Each unit's
trajectory is rebuilt here from its logged switches and the interval boundaries,
with the test's own exponential, and the envelope heat is integrated by
Gauss-Legendre quadrature on every piece: nothing is taken from desim's closed forms.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from thermal_fleet_driver import run_fleet

BALANCE_TOL_KWH = 1e-6
TEMP_TOL_C = 1e-6
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(24)

unit = st.fixed_dictionaries({
    "kind": st.sampled_from(["ac", "heat_pump"]),
    "thermal_resistance_c_per_kw": st.floats(1.5, 3.5),
    "thermal_capacitance_kwh_per_c": st.floats(1.0, 6.0),
    "rated_power_kw": st.floats(0.5, 5.0),
    "cop": st.floats(2.0, 4.5),
    "setpoint_c": st.floats(19.0, 26.0),
    "deadband_c": st.floats(0.3, 2.0),
    "initial_temperature_c": st.floats(15.0, 35.0),
})
outdoor_series = st.lists(st.floats(-10.0, 45.0), min_size=1, max_size=36)
intervals = st.sampled_from([0.25, 0.5, 1.0])


def _mode(u, outdoor_c):
    """-1 cooling, +1 heating (a heat pump heats below its setpoint)."""
    return 1.0 if u["kind"] == "heat_pump" and outdoor_c < u["setpoint_c"] else -1.0


def _unit_rows(rows, i):
    # time order; at one instant, recording order (a heat pump's mode-change stop
    # comes before a switch at once in the new mode)
    mine = rows[rows["asset_id"].astype(str) == f"home-{i}/hvac"].sort_values(
        ["t_h", "event_id"])
    return list(zip(mine["t_h"].to_numpy(float), mine["kind"].astype(str),
                    mine["temperature_c"].to_numpy(float), strict=True))


def _replay(u, outdoor, interval_h, switches):
    """Walk one unit through its switches and the boundaries with the test's exponential.

    Returns the end temperature, the envelope heat (quadrature), the heat the unit
    pumped in (kWh, signed), the hours on, and the temperature at each switch.
    """
    r, c = u["thermal_resistance_c_per_kw"], u["thermal_capacitance_kwh_per_c"]
    tau = r * c
    lift = u["cop"] * u["rated_power_kw"]
    horizon = len(outdoor) * interval_h
    cuts = sorted({k * interval_h for k in range(len(outdoor) + 1)}
                  | {t for t, _, _ in switches})
    temp, on, j = u["initial_temperature_c"], 0.0, 0
    envelope = pumped = hours_on = 0.0
    at_switch = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        while j < len(switches) and switches[j][0] <= a:
            on = 1.0 if switches[j][1] == "hvac_on" else 0.0
            at_switch.append(temp)
            j += 1
        k = min(int(a / interval_h + 1e-9), len(outdoor) - 1)
        if a >= (k + 1) * interval_h - 1e-12:
            k = min(k + 1, len(outdoor) - 1)
        out = outdoor[k]
        m = _mode(u, out)
        eq = out + m * on * lift * r
        half = 0.5 * (b - a)
        t = a + half * (_NODES + 1.0)
        traj = eq + (temp - eq) * np.exp(-(t - a) / tau)
        envelope += half * float(np.dot(_WEIGHTS, (out - traj) / r))
        pumped += m * on * lift * (b - a)
        hours_on += on * (b - a)
        temp = eq + (temp - eq) * math.exp(-(b - a) / tau)
    while j < len(switches) and switches[j][0] <= horizon:
        at_switch.append(temp)
        on = 1.0 if switches[j][1] == "hvac_on" else 0.0
        j += 1
    return temp, envelope, pumped, hours_on, at_switch, on


@settings(max_examples=40)
@given(units=st.lists(unit, min_size=1, max_size=4), outdoor=outdoor_series,
       interval_h=intervals)
def test_each_node_balances_its_energy_and_switches_alternate(units, outdoor, interval_h):
    fleet, rows = run_fleet(units, outdoor, interval_h)
    for i, u in enumerate(units):
        switches = _unit_rows(rows, i)
        kinds = [k for _, k, _ in switches]
        # (c) on, off, on, ... from an idle start
        assert kinds == ["hvac_on", "hvac_off"] * (len(kinds) // 2) + ["hvac_on"] * (
            len(kinds) % 2)
        end_c, envelope, pumped, hours_on, at_switch, on_end = _replay(
            u, outdoor, interval_h, switches)
        assert fleet.on[i] == on_end
        for (t, kind, logged), replayed in zip(switches, at_switch, strict=True):
            assert logged == pytest.approx(replayed, abs=TEMP_TOL_C), (t, kind)
        assert fleet.temperature_c[i] == pytest.approx(end_c, abs=TEMP_TOL_C)
        assert fleet.energy_kwh[i] == pytest.approx(u["rated_power_kw"] * hours_on, abs=1e-9)
        # (a) C (T_end - T_start) = envelope heat + heat pumped in
        stored = u["thermal_capacitance_kwh_per_c"] * (fleet.temperature_c[i]
                                                        - u["initial_temperature_c"])
        assert stored == pytest.approx(envelope + pumped, abs=BALANCE_TOL_KWH)


@st.composite
def holding_units(draw, outdoor):
    """A unit started inside its band whose off equilibrium (the outdoor temperature) is
    never beyond the band's far edge and whose on equilibrium is beyond its switch-off
    edge at every outdoor value: it can hold the band."""
    u = draw(unit)
    lo = u["setpoint_c"] - u["deadband_c"] / 2
    hi = u["setpoint_c"] + u["deadband_c"] / 2
    u["initial_temperature_c"] = draw(st.floats(lo, hi))
    if u["kind"] == "ac":
        outdoor = [max(v, lo) for v in outdoor]
        need = max(v - lo for v in outdoor)
    else:
        need = max(max(v - lo for v in outdoor), max(hi - v for v in outdoor))
    margin = draw(st.floats(1.05, 3.0))
    u["rated_power_kw"] = margin * need / (u["cop"] * u["thermal_resistance_c_per_kw"]) + 0.01
    return u, outdoor


@settings(max_examples=40)
@given(data=st.data(), outdoor=outdoor_series, interval_h=intervals)
def test_a_unit_that_can_hold_its_band_keeps_the_home_inside_it(data, outdoor, interval_h):
    u, outdoor = data.draw(holding_units(outdoor))
    lo = u["setpoint_c"] - u["deadband_c"] / 2
    hi = u["setpoint_c"] + u["deadband_c"] / 2
    ends = []
    fleet, rows = run_fleet([u], outdoor, interval_h,
                            on_interval_end=lambda k, f: ends.append(f.temperature_c[0]))
    seen = ends + rows["temperature_c"].tolist()
    assert len(ends) == len(outdoor)
    assert all(lo - 1e-9 <= t <= hi + 1e-9 for t in seen), (lo, hi, min(seen), max(seen))
    assert fleet.unit_totals(["home-0"]).loc[0, "degree_hours_beyond_c_h"] == pytest.approx(
        0.0, abs=1e-9)


def test_a_running_heat_pump_stops_at_a_mode_change_with_its_temperature():
    u = {"kind": "heat_pump", "thermal_resistance_c_per_kw": 2.0,
         "thermal_capacitance_kwh_per_c": 3.0, "rated_power_kw": 3.0, "cop": 3.0,
         "setpoint_c": 22.0, "deadband_c": 1.0, "initial_temperature_c": 30.0}
    fleet, rows = run_fleet([u], [30.0, 10.0], 1.0)
    # on at once (above 22.5), cooling towards 30 - 18 = 12 C with tau = 6 h; the
    # outdoor drops below the setpoint at 1 h: heating mode, it stops there
    assert rows["kind"].astype(str).tolist() == ["hvac_on", "hvac_off"]
    assert rows["t_h"].tolist() == [0.0, 1.0]
    assert rows["detail"].astype(str).tolist() == ["", "mode_change"]
    assert rows["temperature_c"].iloc[1] == pytest.approx(12.0 + 18.0 * math.exp(-1 / 6),
                                                          abs=1e-12)
    assert fleet.energy_kwh[0] == pytest.approx(3.0)


@settings(max_examples=30)
@given(units=st.lists(unit, min_size=1, max_size=6), outdoor=outdoor_series,
       interval_h=intervals, homes=st.integers(1, 3))
def test_each_homes_power_is_its_running_units_power(units, outdoor, interval_h, homes):
    """What a decision reads of the units (`home_power_kw`, kept by the thermostat pass)
    is, at every interval end, the rated power of the units running now summed per
    home, several units to a home and heat pumps switching mode included."""
    from thermal_fleet_driver import table_of

    from desim.sim.log import EventLog
    from desim.sim.thermal import ThermalFleet

    table = table_of(units)
    table = type(table)(np.arange(len(units)) % homes, table.kind,
                        table.resistance_c_per_kw, table.capacitance_kwh_per_c,
                        table.rated_power_kw, table.cop, table.setpoint_c, table.deadband_c,
                        table.initial_temperature_c)
    ids = np.array([f"home-{h}" for h in range(homes)], dtype=object)
    log = EventLog(ids, {"hvac": np.array([f"u{i}" for i in range(len(units))], dtype=object)})
    fleet = ThermalFleet(table, homes, np.asarray(outdoor, dtype=float), log)
    power = np.array([u["rated_power_kw"] for u in units])
    for k in range(len(outdoor)):
        fleet.advance(k * interval_h, k)
        fleet.advance((k + 1) * interval_h, k)
        want = np.zeros(homes)
        for i in range(len(units)):
            want[i % homes] += fleet.on[i] * power[i]
        np.testing.assert_array_equal(fleet.home_power_kw(homes), want)
