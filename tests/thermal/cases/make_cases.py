"""Write the one-home HVAC scenario files of this folder and their outdoor CSVs.

Run from anywhere: ``python tests/thermal/cases/make_cases.py``. The outdoor temperature
is a diurnal cosine (peak at 15:00 local) rounded to 0.1 C; the files are committed, this
script only documents and reproduces them.
"""

import datetime as dt
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent

CASES = [
    dict(
        name="ac_hot_afternoon",
        comment="A light house (R C = 3 h) on a hot July day: the AC cycles all afternoon.",
        start="2026-07-15T00:00", tz="America/Los_Angeles", duration="duration_h = 24",
        hours=24, interval_min=15, site=(37.34, -121.89, 25),
        mean=28.0, amp=9.0, day2=0.0,
        hvac=dict(kind="ac", R=2.0, C=1.5, P=3.5, cop=3.0, sp=24.0, db=1.0, T0=24.0),
        load=6500,
    ),
    dict(
        name="ac_start_above_edge",
        comment="Starts at 26 C, above the upper edge 24.5 C: the AC is on from the start"
                " (5-minute data).",
        start="2026-07-16T00:00", tz="America/Los_Angeles", duration="duration_h = 24",
        hours=24, interval_min=5, site=(37.34, -121.89, 25),
        mean=27.0, amp=8.0, day2=0.0,
        hvac=dict(kind="ac", R=2.0, C=3.0, P=3.5, cop=3.0, sp=24.0, db=1.0, T0=26.0),
        load=6500,
    ),
    dict(
        name="ac_undersized",
        comment="An undersized AC (cop P R = 7.5 C) on a 42 C afternoon: it cannot reach the"
                " lower edge and stays on until the night.",
        start="2026-08-10T00:00", tz="America/Phoenix", duration="duration_h = 36",
        hours=36, interval_min=15, site=(33.45, -112.07, 331),
        mean=32.0, amp=10.0, day2=0.0,
        hvac=dict(kind="ac", R=2.0, C=3.0, P=1.5, cop=2.5, sp=24.0, db=1.0, T0=24.0),
        load=9000,
    ),
    dict(
        name="ac_cool_night",
        comment="A cool September night: the outdoor temperature stays below the upper edge,"
                " the AC never turns on.",
        start="2026-09-20T20:00", tz="America/Los_Angeles", duration="duration_h = 12",
        hours=12, interval_min=15, site=(37.34, -121.89, 25),
        mean=16.0, amp=5.0, day2=0.0,
        hvac=dict(kind="ac", R=2.0, C=3.0, P=3.5, cop=3.0, sp=24.0, db=1.0, T0=23.0),
        load=6500,
    ),
    dict(
        name="ac_two_days",
        comment="Two July days at 5-minute data, the second 2 C hotter.",
        start="2026-07-20T00:00", tz="America/Los_Angeles", duration="duration_days = 2",
        hours=48, interval_min=5, site=(37.34, -121.89, 25),
        mean=29.0, amp=8.0, day2=2.0,
        hvac=dict(kind="ac", R=2.5, C=4.0, P=3.0, cop=3.2, sp=25.0, db=1.5, T0=25.0),
        load=7000,
    ),
    dict(
        name="heat_pump_winter",
        comment="A heat pump over two January days in Denver.",
        start="2026-01-12T00:00", tz="America/Denver", duration="duration_days = 2",
        hours=48, interval_min=15, site=(39.74, -104.99, 1609),
        mean=3.0, amp=5.0, day2=-1.5,
        hvac=dict(kind="heat_pump", R=2.0, C=3.0, P=4.0, cop=3.0, sp=20.0, db=1.0, T0=20.0),
        load=8000,
    ),
]

TOML = """\
# {comment}
# Test case for the HVAC model: one home with household load and an {kind_text} only,
# no dispatch events. Expected events: tests/thermal/hvac_reference.py.

[scenario]
name = "{name}"
start = "{start}"
{duration}
time_zone = "{tz}"
seed = 1
interval_min = {interval_min}

[site]
latitude = {lat}
longitude = {lon}
altitude_m = {alt}

[[fleet.prosumers]]
id = "{name}-home"
annual_load_kwh = {load}

[fleet.prosumers.hvac]
kind = "{kind}"
thermal_resistance_c_per_kw = {R}
thermal_capacitance_kwh_per_c = {C}
rated_power_kw = {P}
cop = {cop}
setpoint_c = {sp}
deadband_c = {db}
initial_temperature_c = {T0}

[profiles]
outdoor_temperature = {{ csv = "outdoor_{name}.csv" }}

[output]
formats = ["parquet"]
event_kinds = []
"""


def outdoor_rows(case):
    start = dt.datetime.fromisoformat(case["start"])
    step = dt.timedelta(minutes=case["interval_min"])
    n = case["hours"] * 60 // case["interval_min"]
    rows = []
    for i in range(n):
        when = start + i * step           # local wall time (no DST change in these runs)
        hour = when.hour + when.minute / 60
        day = (when.date() - start.date()).days
        value = case["mean"] + case["amp"] * math.cos(2 * math.pi * (hour - 15) / 24)
        value += case["day2"] * (day >= 1)
        rows.append((when.strftime("%Y-%m-%d %H:%M"), round(value, 1)))
    return rows


def main():
    for case in CASES:
        h = case["hvac"]
        lat, lon, alt = case["site"]
        kind_text = "air conditioner" if h["kind"] == "ac" else "heat pump"
        text = TOML.format(comment=case["comment"], kind_text=kind_text, name=case["name"],
                           start=case["start"], duration=case["duration"], tz=case["tz"],
                           interval_min=case["interval_min"], lat=lat, lon=lon, alt=alt,
                           load=case["load"], kind=h["kind"], R=h["R"], C=h["C"], P=h["P"],
                           cop=h["cop"], sp=h["sp"], db=h["db"], T0=h["T0"])
        (HERE / f"{case['name']}.toml").write_text(text)
        lines = ["timestamp,temperature_c"]
        lines += [f"{ts},{v:.1f}" for ts, v in outdoor_rows(case)]
        (HERE / f"outdoor_{case['name']}.csv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
