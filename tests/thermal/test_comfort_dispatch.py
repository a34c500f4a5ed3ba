"""Setpoint moves by a dispatch event (pre-cooling, setback, the comfort guard's clip)
against a fine-step ODE integration written here, with the setpoint schedule the rules
of docs/thermal.md give for this home: announced 1 h ahead (pre-cool by the offset), the
setback by the offset from the event start for `comfort_max_h`, then its own setpoint."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from desim.scenario.loader import load_scenario
from desim.sim.run import simulate

R, C, P, COP, SP, DB, T0 = 2.0, 3.0, 3.5, 3.0, 24.0, 1.0, 24.0
OFFSET, MAX_H, PRECOOL_H, START_H, DURATION_H = 2.0, 1.5, 1.0, 16.0, 3.0


def outdoor(k: int) -> float:
    """Outdoor temperature of 15-minute interval k (a hot afternoon), C."""
    return round(27.0 + 10.0 * math.sin(math.pi * (k / 4.0 - 8.0) / 14.0) ** 2, 2)


def scenario_text(tmp_path) -> str:
    rows = [f"2026-07-15 {k // 4:02d}:{15 * (k % 4):02d},{outdoor(k)}" for k in range(96)]
    (tmp_path / "outdoor.csv").write_text("timestamp,temperature_c\n" + "\n".join(rows) + "\n")
    return f"""
[scenario]
name = "comfort"
start = "2026-07-15T00:00"
duration_h = 24
time_zone = "America/Los_Angeles"
seed = 3

[[fleet.prosumers]]
id = "home"
annual_load_kwh = 5000

[fleet.prosumers.preferences]
participation_willingness = 1.0
min_compensation_per_kwh = 0.0
comfort_offset_c = {OFFSET}
comfort_max_h = {MAX_H}

[fleet.prosumers.hvac]
kind = "ac"
thermal_resistance_c_per_kw = {R}
thermal_capacitance_kwh_per_c = {C}
rated_power_kw = {P}
cop = {COP}
setpoint_c = {SP}
deadband_c = {DB}
initial_temperature_c = {T0}

[profiles]
outdoor_temperature = {{ csv = "outdoor.csv" }}

[market]
precool_h = {PRECOOL_H}

[[market.events]]
id = "shed"
start = "2026-07-15T16:00"
duration_h = {DURATION_H}
target_kw = 2
direction = "discharge"
price_per_mwh = 500
"""


def setpoint_at(t: float) -> float:
    """The setpoint in force at hour t by the rules, C."""
    if START_H - PRECOOL_H <= t < START_H:
        return SP - OFFSET
    if START_H <= t < START_H + MAX_H:
        return SP + OFFSET
    return SP


def ode_switches(end_h: float = 24.0):
    """Thermostat switches by integrating C dT/dt = (T_out - T)/R - s cop P piece by piece."""
    cuts = sorted({*np.arange(0.0, end_h + 1e-9, 0.25).tolist(), START_H - PRECOOL_H, START_H,
                   START_H + MAX_H})
    T, s, out = T0, 0.0, []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        t, tout, sp = a, outdoor(int(a // 0.25)), setpoint_at(a)
        while True:
            upper, lower = sp + DB / 2, sp - DB / 2
            if (s == 0.0 and T >= upper) or (s == 1.0 and T <= lower):   # at once
                s = 1.0 - s
                out.append((t, "hvac_on" if s else "hvac_off"))
                continue
            edge = upper if s == 0.0 else lower

            def hit(_t, y, edge=edge):
                return y[0] - edge
            hit.terminal = True

            sol = solve_ivp(lambda _t, y, s=s, tout=tout: [((tout - y[0]) / R - s * COP * P) / C],
                            (t, b), [T], events=hit, rtol=1e-11, atol=1e-12, method="DOP853")
            if sol.status == 1 and sol.t_events[0].size:
                t, T = float(sol.t_events[0][0]), edge
                s = 1.0 - s
                out.append((t, "hvac_on" if s else "hvac_off"))
                if t >= b:
                    break
                continue
            T = float(sol.y[0, -1])
            break
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("comfort")
    path = tmp / "comfort.toml"
    path.write_text(scenario_text(tmp))
    out = simulate(load_scenario(path))
    return out


def test_switches_follow_the_moved_setpoints_exactly(run):
    log = run.result.log.to_pandas(run.result.start)
    rows = log[log["kind"].isin(["hvac_on", "hvac_off"])]
    got = list(zip(rows["t_h"].to_numpy(float), rows["kind"].astype(str), strict=True))
    want = ode_switches()
    assert len(got) == len(want)
    for (tg, kg), (tw, kw) in zip(got, want, strict=True):
        assert kg == kw and tg == pytest.approx(tw, abs=1e-6)


def test_setpoint_rows_and_the_comfort_guard_clip(run):
    log = run.result.log.to_pandas(run.result.start)
    rows = log[log["asset_type"].astype(str) == "hvac"]
    moves = rows[rows["kind"].isin(["setpoint", "clip"])]
    got = [(round(float(t), 9), str(k), str(d).split(":")[0], float(temp)) for t, k, d, temp
           in zip(moves["t_h"], moves["kind"], moves["detail"], moves["temperature_c"],
                  strict=True)]
    assert got == [(START_H - PRECOOL_H, "setpoint", "precool", SP - OFFSET),
                   (START_H, "setpoint", "setback", SP + OFFSET),
                   (START_H + MAX_H, "clip", "comfort_guard", SP)]
    # the setback names the event that caused it
    setback = moves[moves["detail"].astype(str) == "setback"]
    start_row = log[log["kind"].astype(str) == "dispatch_start"]
    assert int(setback["cause_id"].iloc[0]) == int(start_row["event_id"].iloc[0])


def test_comfort_by_cause_the_unit_holds_the_band_the_home_accepts(run):
    """This unit can hold any band here: nothing outside the accepted band (capacity),
    and the setback's rise above its own band is counted as agreed discomfort, which a
    separate closed form bounds: at most OFFSET C for MAX_H hours."""
    units = run.result.thermal
    assert units["degree_hours_beyond_c_h"].sum() == pytest.approx(0.0, abs=1e-9)
    agreed = float(units["dispatch_degree_hours_c_h"].sum())
    assert 0.0 < agreed <= OFFSET * MAX_H
    # the counterfactual (same day, no event) keeps its own band all day
    assert run.counterfactual.thermal["dispatch_degree_hours_c_h"].sum() == 0.0
