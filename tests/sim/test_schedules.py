"""EV schedules as written: exact clock times, the local calendar across DST, and
where each EV is at the start (docs/semantics.md, EV schedules)."""

import numpy as np
import pandas as pd
import pytest

import desim
from desim.sim.calendar import LocalDays

SCENARIO = """
[scenario]
name = "dst"
start = "{start}"
duration_h = {hours}
time_zone = "America/Los_Angeles"
seed = 4
interval_min = 15

[site]
latitude = 34.05
longitude = -118.25
altitude_m = 90
{generate}
[[fleet.prosumers]]
id = "commuter"
annual_load_kwh = 6500
[[fleet.prosumers.evs]]
capacity_kwh = 75
max_charge_power_kw = 11.5
initial_soc_percent = 40
departure_soc_percent = 80
arrival = "{arrival}"
departure = "{departure}"
daily_miles = 30

[control]
ev_policy = "smart"
"""


def _run(tmp_path, start="2026-03-03T00:00", hours=24 * 12, arrival="18:15",
         departure="07:30", generate=""):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.format(start=start, hours=hours, arrival=arrival,
                                    departure=departure, generate=generate))
    out = desim.run(str(path))
    return out.result.log.to_pandas(out.result.start)


def _local_hour(rows):
    ts = pd.DatetimeIndex(rows["timestamp"])
    return np.asarray(ts.hour + ts.minute / 60 + ts.second / 3600, dtype=float)


def test_explicit_departures_keep_their_local_clock_time_across_the_spring_dst_change(
        tmp_path):
    log = _run(tmp_path)
    mine = log["asset_id"].astype(str) == "commuter-ev1"
    dep = log[mine & (log["kind"] == "ev_departure")]
    arr = log[mine & (log["kind"] == "ev_arrival")]
    assert len(dep) >= 11
    np.testing.assert_allclose(_local_hour(dep), 7.5, atol=1e-6)
    assert arr["t_h"].iloc[0] == 0.0           # home at midnight: plugged in at the start
    np.testing.assert_allclose(_local_hour(arr.iloc[1:]), 18.25, atol=1e-6)


def test_a_generated_fleets_mean_local_departure_hour_holds_across_dst(tmp_path):
    log = _run(tmp_path, generate='\n[fleet.generate]\nn = 300\nadoption = "california"\n')
    dep = log[log["kind"] == "ev_departure"]
    change = pd.Timestamp("2026-03-08T03:00", tz="America/Los_Angeles")
    ts = pd.DatetimeIndex(dep["timestamp"])
    hour = _local_hour(dep)
    before, after = hour[ts < change], hour[ts >= change]
    assert len(before) > 200 and len(after) > 200
    assert abs(before.mean() - after.mean()) <= 0.25


def test_an_ev_away_at_the_start_arrives_first_with_its_initial_soc(tmp_path):
    log = _run(tmp_path, start="2026-08-20T12:00", hours=24, arrival="23:00",
               departure="05:00")
    first = log[log["kind"].isin(["ev_arrival", "ev_plugged_in", "ev_departure"])].iloc[0]
    assert first["kind"] == "ev_arrival"
    assert _local_hour(pd.DataFrame([first]))[0] == pytest.approx(23.0)
    assert first["soc_percent"] == pytest.approx(40.0)


def test_an_ev_home_at_the_start_is_plugged_in_then_leaves_at_its_time(tmp_path):
    log = _run(tmp_path, start="2026-08-20T00:00", hours=24)
    ev = log[log["kind"].isin(["ev_arrival", "ev_departure"])]
    assert ev.iloc[0]["kind"] == "ev_arrival" and ev.iloc[0]["t_h"] == 0.0
    assert ev.iloc[1]["kind"] == "ev_departure" and ev.iloc[1]["t_h"] == pytest.approx(7.5)


def test_local_days_across_both_dst_changes():
    days = LocalDays(pd.Timestamp("2026-03-07T00:00", tz="America/Los_Angeles"))
    # 07:30 on 8 March (a 23-hour day) is 30.5 h after the start, not 31.5 h
    assert days.hours(np.array([1]), np.array([7.5]))[0] == pytest.approx(30.5)
    # a clock time in the skipped hour is read as the end of the gap
    assert days.hours(np.array([1]), np.array([2.5]))[0] == pytest.approx(26.0)
    fall = LocalDays(pd.Timestamp("2026-10-31T00:00", tz="America/Los_Angeles"))
    assert fall.hours(np.array([1]), np.array([7.5]))[0] == pytest.approx(32.5)
    assert fall.hours(np.array([1]), np.array([1.5]))[0] == pytest.approx(25.5)
