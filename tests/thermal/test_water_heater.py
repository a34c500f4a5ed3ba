"""Water heaters: a run's switches against an independent ODE integration, and the
tank's energy balance.

The reference integrates ``C dT/dt = UA (T_amb - T) - k (T - T_in) + s cop P`` with
scipy's `solve_ivp` and terminal events at the thermostat edges, written here from
the equation (no desim physics); only the run's hot-water draws (litres per
interval, data) are taken from the run's inputs.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from desim.scenario.loader import load_scenario
from desim.sim.run import simulate
from desim.sim.waterheater import WaterHeaterFleet, WaterHeaterTable

TIME_TOL_H = 1e-6
TEMP_TOL_C = 1e-6
CP_KWH_PER_L_C = 4.186 / 3600.0

SCENARIO = """
[scenario]
name = "one_tank"
start = "2026-01-10T00:00"
duration_days = 2
time_zone = "America/Los_Angeles"
seed = {seed}
interval_min = 15

[[fleet.prosumers]]
id = "tank-home"
annual_load_kwh = 5000

[fleet.prosumers.water_heater]
kind = "{kind}"
volume_l = {volume_l}
setpoint_c = 50
deadband_c = 5
element_kw = {element_kw}
standby_loss_kw_per_c = 0.0025
daily_draw_l = {daily_l}
initial_temperature_c = {t0}
inlet_temperature_c = 12
ambient_temperature_c = 18

[output]
formats = ["parquet"]
"""


def _ode_switches(t0_c, draw_l, interval_h, volume_l, ua, element_kw, cop, setpoint_c,
                  deadband_c, inlet_c, ambient_c):
    """(t_h, kind, temperature) of every switch, from a fine-step integration."""
    cap = CP_KWH_PER_L_C * volume_l
    lo, hi = setpoint_c - deadband_c / 2, setpoint_c + deadband_c / 2
    temp = t0_c
    on = temp <= lo
    out = [(0.0, "water_heater_on", temp)] if on else []
    for j, litres in enumerate(draw_l):
        k = litres / interval_h * CP_KWH_PER_L_C
        t, end = j * interval_h, (j + 1) * interval_h
        while True:
            def rhs(_t, y, on=on, k=k):
                return [(ua * (ambient_c - y[0]) - k * (y[0] - inlet_c)
                         + (cop * element_kw if on else 0.0)) / cap]

            def edge(_t, y, on=on):
                return y[0] - (hi if on else lo)
            edge.terminal = True
            edge.direction = 1 if on else -1
            sol = solve_ivp(rhs, (t, end), [temp], method="DOP853", events=edge,
                            rtol=1e-12, atol=1e-12)
            if sol.t_events[0].size:
                t = float(sol.t_events[0][0])
                temp = hi if on else lo
                on = not on
                out.append((t, "water_heater_on" if on else "water_heater_off", temp))
                continue
            temp = float(sol.y[0, -1])
            break
    return out


@pytest.mark.parametrize("kind, element_kw, cop, volume_l, daily_l, t0, seed", [
    ("resistance", 4.5, 1.0, 190, 200, 47.0, 3),
    ("heat_pump", 0.5, 3.0, 250, 250, 46.0, 11),
])
def test_run_switches_match_an_ode_integration(tmp_path, kind, element_kw, cop, volume_l,
                                               daily_l, t0, seed):
    path = tmp_path / "tank.toml"
    path.write_text(SCENARIO.format(kind=kind, element_kw=element_kw, volume_l=volume_l,
                                    daily_l=daily_l, t0=t0, seed=seed))
    run = simulate(load_scenario(path))
    log = run.result.log.to_pandas(run.result.start)
    rows = log[log["kind"].astype(str).isin(("water_heater_on", "water_heater_off"))]
    got = list(zip(rows["t_h"], rows["kind"].astype(str), rows["temperature_c"],
                   strict=True))
    assert set(rows["asset_id"].astype(str)) == {"tank-home/water_heater"}
    assert set(rows["asset_type"].astype(str)) == {"water_heater"}
    draw_l = run.inputs.draw_l[0]
    want = _ode_switches(t0, draw_l, 0.25, volume_l, 0.0025, element_kw, cop, 50.0, 5.0,
                         12.0, 18.0)
    assert len(got) == len(want) > 4
    for (tg, kg, Tg), (tw, kw, Tw) in zip(got, want, strict=True):
        assert kg == kw
        assert abs(tg - tw) < TIME_TOL_H, (tg, tw)
        assert abs(Tg - Tw) < TEMP_TOL_C
    # the meter holds the unit's energy: element power times the time on
    times = [t for t, _, _ in want] + [run.inputs.horizon_h]
    on_h = sum(b - a for (a, k, _), b in zip(want, times[1:], strict=True)
               if k == "water_heater_on")
    assert run.result.totals["water_heater_kwh"].sum() == pytest.approx(element_kw * on_h,
                                                                         abs=1e-6)
    assert run.result.series["water_heater_kw"].sum() * 0.25 == pytest.approx(
        element_kw * on_h, abs=1e-6)


class _Log:
    def __init__(self):
        self.rows = []

    def keeps(self, kind):
        return False        # one kind per call (no batches of two kinds)

    def record(self, kind, t, home, asset_type, unit, power_kw=None, temperature_c=None):
        for ti, ui, Ti in zip(np.atleast_1d(t), np.atleast_1d(unit),
                              np.atleast_1d(temperature_c), strict=True):
            self.rows.append((float(ti), int(ui), kind == "water_heater_on", float(Ti)))


def _segment_mean_gap(temp0, eq, d, tau):
    """Integral over `d` hours of T(t) for T = eq + (temp0 - eq) exp(-t / tau)."""
    return eq * d + (temp0 - eq) * tau * -math.expm1(-d / tau)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_tank_energy_balance(data):
    n_steps = data.draw(st.integers(1, 12))
    interval_h = data.draw(st.sampled_from([0.25, 0.5, 1.0]))
    volume_l = data.draw(st.floats(50, 400))
    ua = data.draw(st.floats(0.0005, 0.01))
    element_kw = data.draw(st.floats(0.3, 6.0))
    cop = data.draw(st.floats(1.0, 4.0))
    setpoint = data.draw(st.floats(40, 65))
    deadband = data.draw(st.floats(1, 10))
    t0 = data.draw(st.floats(setpoint - 8, setpoint + 3))
    inlet, ambient = data.draw(st.floats(5, 25)), data.draw(st.floats(5, 30))
    draws = data.draw(st.lists(st.floats(0, 60), min_size=n_steps, max_size=n_steps))
    table = WaterHeaterTable([0], [0], [CP_KWH_PER_L_C * volume_l], [ua], [element_kw], [cop],
                             [setpoint], [deadband], [t0], [inlet], [ambient])
    log = _Log()
    fleet = WaterHeaterFleet(table, 1, np.array([draws]), interval_h, log)
    cap = CP_KWH_PER_L_C * volume_l
    temp, on = t0, t0 <= setpoint - deadband / 2
    ua_loss = draw_loss = on_h = 0.0
    seen = 0
    for j in range(n_steps):
        a, b = j * interval_h, (j + 1) * interval_h
        fleet.advance(b, j)
        k = draws[j] / interval_h * CP_KWH_PER_L_C
        # recorded by kind; the log sorts them by time
        cuts = sorted([(t, s, T) for t, _, s, T in log.rows[seen:]], key=lambda c: c[0])
        seen = len(log.rows)
        t = a
        for tc, s_new, Tc in [*cuts, (b, None, None)]:
            d = tc - t
            if d > 0:
                # the segment's own closed form, from the equation
                env = (ua * ambient + k * inlet) / (ua + k)
                r = 1.0 / (ua + k)
                eq = env + (cop * element_kw * r if on else 0.0)
                mean = _segment_mean_gap(temp, eq, d, r * cap)
                ua_loss += ua * (ambient * d - mean)
                draw_loss += k * (inlet * d - mean)
                on_h += d if on else 0.0
            t = tc
            if s_new is None:
                temp = float(fleet.temperature_c[0])
            else:
                temp, on = Tc, s_new
    electric = float(fleet.energy_kwh[0])
    assert electric == pytest.approx(element_kw * on_h, abs=1e-9)
    heat = cap * (temp - t0)
    assert heat == pytest.approx(ua_loss + draw_loss + cop * electric, abs=1e-6)
