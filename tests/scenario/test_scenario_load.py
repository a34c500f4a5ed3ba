"""Shipped scenarios load, and the loaded values are what the files say."""

from pathlib import Path

import pandas as pd
import pytest

from desim.scenario import (
    FileSource,
    Scenario,
    dump_scenario,
    load_scenario,
    scenario_from_toml,
)

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.toml"))


def test_the_expected_examples_are_shipped():
    names = {p.stem for p in FILES}
    assert {"one_home_day", "evening_peak", "ev_departure_stress", "session_replay",
            "heatwave_sacramento"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_shipped_scenario_loads(path):
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.source == path.name
    assert scenario.start.tzinfo is not None
    assert scenario.end > scenario.start


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_shipped_scenario_round_trips_through_dump(path):
    scenario = load_scenario(path)
    again = scenario_from_toml(dump_scenario(scenario), base_dir=SCENARIOS)
    assert again == scenario


def test_evening_peak_has_a_three_hour_discharge_event_from_17_to_20_local():
    scenario = load_scenario(SCENARIOS / "evening_peak.toml")
    (event,) = scenario.market.events
    assert event.direction == "discharge"
    assert (event.start.hour, event.end.hour) == (17, 20)
    assert scenario.hours_since_start(event.start) == 17.0
    assert scenario.fleet.generate.n == 1000
    assert scenario.control.ev_policy == "smart"
    assert scenario.control.bess_policy == "follow_dispatch"


def test_one_home_day_keeps_product_names_and_numbers_as_written():
    scenario = load_scenario(SCENARIOS / "one_home_day.toml")
    (home,) = scenario.fleet.prosumers
    assert home.bess.product == "Tesla Powerwall 2"
    assert home.bess.capacity_kwh is None  # resolved later from the catalog
    assert home.solar.capacity_kw == 7.0
    assert len(home.evs) == 1
    assert home.evs[0].departure == "07:30"


def test_session_files_resolve_against_the_scenario_folder():
    scenario = load_scenario(SCENARIOS / "session_replay.toml")
    assert scenario.sessions.kind == "csv"
    assert scenario.resolve_path(scenario.sessions.path).is_file()
    assert scenario.duration_h == 72.0


def test_a_file_source_is_kept_with_its_kind_and_path(tmp_path):
    (tmp_path / "pv.csv").write_text("time,kw_per_kwp\n")
    text = _minimal() + '\n[profiles]\nsolar = { csv = "pv.csv" }\n'
    scenario = scenario_from_toml(text, base_dir=tmp_path)
    assert scenario.profiles.solar == FileSource(kind="csv", path="pv.csv")


def test_defaults_fill_every_optional_key():
    scenario = scenario_from_toml(_minimal())
    assert scenario.info.seed == 0
    assert scenario.info.interval_min == 15
    assert scenario.site.altitude_m == 0.0
    assert scenario.profiles.solar == "clearsky_markov"
    assert scenario.control.ev_policy == "smart"
    assert scenario.control.departure_guard is True
    assert scenario.output.formats == ("parquet",)
    assert scenario.market.events == ()
    assert scenario.sessions is None


def test_times_are_interval_starts_covering_the_run():
    scenario = scenario_from_toml(_minimal().replace("duration_h = 24", "duration_h = 2"))
    times = scenario.times()
    assert len(times) == 8
    assert times[0] == scenario.start
    assert times[-1] + pd.Timedelta(minutes=15) == scenario.end


def test_duration_days_and_utc_offsets_are_understood():
    text = _minimal().replace("duration_h = 24", "duration_days = 2").replace(
        '"2026-07-15T00:00"', '"2026-07-15T09:00+02:00"')
    scenario = scenario_from_toml(text)
    assert scenario.duration_h == 48.0
    assert scenario.start.hour == 0  # 07:00 UTC is midnight in Los Angeles
    assert str(scenario.start.tz) == "America/Los_Angeles"


def test_hours_since_start_reads_naive_times_as_local_wall_time():
    scenario = scenario_from_toml(_minimal())
    assert scenario.hours_since_start("2026-07-15T06:30") == 6.5
    assert scenario.hours_since_start(pd.Timestamp("2026-07-15T13:30Z")) == 6.5


def _minimal() -> str:
    return (
        '[scenario]\nname = "t"\nstart = "2026-07-15T00:00"\nduration_h = 24\n'
        'time_zone = "America/Los_Angeles"\n'
        "[site]\nlatitude = 34.05\nlongitude = -118.25\n"
        "[fleet.generate]\nn = 10\n"
    )


def test_sessions_csv_holds_about_fifty_plausible_sessions_over_two_days():
    frame = pd.read_csv(SCENARIOS / "data" / "sessions.csv")
    arrival = pd.to_datetime(frame["arrival"], format="ISO8601")
    departure = pd.to_datetime(frame["departure"], format="ISO8601")
    assert 40 <= len(frame) <= 60
    assert (departure > arrival).all()
    assert arrival.dt.date.nunique() == 2
    assert (frame["kwh_requested"] > 0).all() and (frame["max_kw"] > 0).all()
    scenario = load_scenario(SCENARIOS / "session_replay.toml")
    local = departure.dt.tz_localize(scenario.tz)
    assert (local <= scenario.end).all() and (arrival.dt.tz_localize(scenario.tz)
                                              >= scenario.start).all()


def test_acn_json_uses_acn_data_field_names_and_rfc_1123_dates():
    import json

    doc = json.loads((SCENARIOS / "data" / "acn_sessions.json").read_text())
    rfc_1123 = "%a, %d %b %Y %H:%M:%S GMT"
    for item in doc["_items"]:
        connected = pd.to_datetime(item["connectionTime"], format=rfc_1123)
        assert pd.to_datetime(item["disconnectTime"], format=rfc_1123) > connected
        assert item["kWhDelivered"] >= 0
        (inputs,) = item["userInputs"]
        assert inputs["kWhRequested"] > 0
        pd.to_datetime(inputs["requestedDeparture"], format=rfc_1123)
