"""Malformed scenarios: every problem is reported with its path and bad value."""

import pytest

from desim.errors import DesimError, ScenarioError
from desim.scenario import load_scenario, scenario_from_dict, scenario_from_toml

BASE = """\
[scenario]
name = "t"
start = "2026-07-15T00:00"
duration_h = 24
time_zone = "America/Los_Angeles"
seed = 1

[site]
latitude = 34.05
longitude = -118.25

[[fleet.prosumers]]
id = "home-1"
[fleet.prosumers.bess]
capacity_kwh = 13.5
max_power_kw = 5.0
[[fleet.prosumers.evs]]
capacity_kwh = 75
max_charge_power_kw = 11.5
departure = "07:30"

[[fleet.prosumers]]
id = "home-2"

[[market.events]]
id = "dr-1"
start = "2026-07-15T17:00"
duration_h = 3
target_kw = 500
price_per_mwh = 250

[control]
departure_guard = true
"""


def error_of(text: str, **kwargs) -> str:
    with pytest.raises(ScenarioError) as info:
        scenario_from_toml(text, source="evening_peak.toml", **kwargs)
    return str(info.value)


def test_the_base_text_is_valid():
    scenario_from_toml(BASE)


def test_scenario_error_is_a_desim_error_and_a_value_error():
    assert issubclass(ScenarioError, DesimError)
    assert issubclass(ScenarioError, ValueError)


def test_negative_capacity_names_path_expected_and_got():
    msg = error_of(BASE.replace("capacity_kwh = 13.5", "capacity_kwh = -5"))
    assert "evening_peak.toml: fleet.prosumers[0].bess.capacity_kwh: expected > 0, got -5" in msg


def test_unknown_key_suggests_the_close_name():
    msg = error_of(BASE.replace("max_power_kw = 5.0", "max_power_kW = 5.0"))
    assert 'fleet.prosumers[0].bess.max_power_kW: unknown key (did you mean "max_power_kw"?)' in msg


def test_unknown_top_level_section_is_reported():
    msg = error_of(BASE + "\n[sites]\nlatitude = 1.0\n")
    assert 'sites: unknown key (did you mean "site"?)' in msg


def test_string_false_is_not_a_bool():
    msg = error_of(BASE.replace("departure_guard = true", 'departure_guard = "false"'))
    assert 'control.departure_guard: expected true or false, got "false"' in msg


def test_float_is_not_silently_truncated_to_int():
    msg = error_of(BASE.replace("seed = 1", "seed = 3.7"))
    assert "scenario.seed: expected an integer, got 3.7" in msg


def test_bool_is_not_a_number():
    msg = error_of(BASE.replace("latitude = 34.05", "latitude = true"))
    assert "site.latitude: expected a number, got true" in msg


def test_string_is_not_a_number():
    msg = error_of(BASE.replace("target_kw = 500", 'target_kw = "500"'))
    assert 'market.events[0].target_kw: expected a number, got "500"' in msg


def test_bad_clock_time_is_reported():
    msg = error_of(BASE.replace('departure = "07:30"', 'departure = "7:30"'))
    assert 'fleet.prosumers[0].evs[0].departure: expected a 24 h time "HH:MM"' in msg
    assert 'got "7:30"' in msg


def test_missing_required_section_is_reported():
    text = BASE.replace("[scenario]", "[scenari0]")
    assert "scenario: required section missing" in error_of(text)


def test_site_is_required_where_the_fleet_may_have_solar():
    no_site = BASE.replace("[site]\nlatitude = 34.05\nlongitude = -118.25\n", "")
    assert "site" not in error_of(no_site.replace("target_kw = 500", "target_kw = -5"))
    with_solar = no_site.replace("[[fleet.prosumers.evs]]",
                                 "[fleet.prosumers.solar]\ncapacity_kw = 5\n\n"
                                 "[[fleet.prosumers.evs]]", 1)
    assert "site: expected a [site] table with latitude and longitude" in error_of(with_solar)


def test_missing_required_key_is_reported():
    assert "scenario.time_zone: required key missing" in error_of(
        BASE.replace('time_zone = "America/Los_Angeles"\n', ""))


def test_duplicate_prosumer_id_names_both_positions():
    msg = error_of(BASE.replace('id = "home-2"', 'id = "home-1"'))
    assert 'fleet.prosumers[1].id: expected a unique id, got "home-1"' in msg
    assert "fleet.prosumers[0].id" in msg


def test_duplicate_event_id_is_reported():
    event = BASE[BASE.index("[[market.events]]"):BASE.index("[control]")]
    msg = error_of(BASE.replace("[control]", event + "[control]"))
    assert 'market.events[1].id: expected a unique id, got "dr-1"' in msg


def test_missing_sessions_csv_names_the_path(tmp_path):
    msg = error_of(BASE + '\n[sessions]\ncsv = "data/nope.csv"\n', base_dir=tmp_path)
    assert 'sessions.csv: expected an existing file (relative to the scenario file), got ' \
           '"data/nope.csv"' in msg


def test_sessions_csv_without_the_needed_columns_is_reported(tmp_path):
    (tmp_path / "s.csv").write_text("ev_id,arrival\nA,2026-07-15T08:00\n")
    msg = error_of(BASE + '\n[sessions]\ncsv = "s.csv"\n', base_dir=tmp_path)
    assert "sessions.csv: expected a CSV with columns" in msg
    assert "without departure, kwh_requested, max_kw" in msg


def test_sessions_need_exactly_one_file():
    msg = error_of(BASE + "\n[sessions]\n")
    assert "sessions: expected exactly one of csv or acn_json, got neither" in msg


def test_missing_profile_file_is_reported(tmp_path):
    msg = error_of(BASE + '\n[profiles]\nload = { csv_dir = "loads" }\n', base_dir=tmp_path)
    assert 'profiles.load.csv_dir: expected an existing folder' in msg


def test_unknown_profile_name_lists_the_choices():
    msg = error_of(BASE + '\n[profiles]\nsolar = "sunny"\n')
    assert 'profiles.solar: expected "clearsky", "clearsky_markov" or { csv = "path" } or ' \
           '{ weather_file = "path" }, got "sunny"' in msg


def test_percent_out_of_range_is_reported():
    msg = error_of(BASE.replace("max_power_kw = 5.0", "max_power_kw = 5.0\nmin_soc_percent = 120"))
    assert "fleet.prosumers[0].bess.min_soc_percent: expected 0-100, got 120" in msg


def test_min_soc_must_be_below_max_soc():
    msg = error_of(BASE.replace(
        "max_power_kw = 5.0", "max_power_kw = 5.0\nmin_soc_percent = 90\nmax_soc_percent = 80"))
    assert "fleet.prosumers[0].bess.max_soc_percent: expected more than min_soc_percent (90), " \
           "got 80" in msg


def test_asset_without_product_needs_its_numbers():
    msg = error_of(BASE.replace("max_charge_power_kw = 11.5\n", ""))
    assert "fleet.prosumers[0].evs[0].max_charge_power_kw: expected a number when no product" in msg


def test_latitude_and_longitude_ranges():
    msg = error_of(BASE.replace("latitude = 34.05", "latitude = 95.0").replace(
        "longitude = -118.25", "longitude = -181"))
    assert "site.latitude: expected -90 to 90, got 95.0" in msg
    assert "site.longitude: expected -180 to 180, got -181" in msg


@pytest.mark.parametrize("minutes", [0, 7, 45, 90])
def test_interval_must_divide_an_hour(minutes):
    msg = error_of(BASE.replace("seed = 1", f"seed = 1\ninterval_min = {minutes}"))
    assert "scenario.interval_min: expected a divisor of 60" in msg
    assert f"got {minutes}" in msg


def test_exactly_one_duration_is_required():
    both = error_of(BASE.replace("duration_h = 24", "duration_h = 24\nduration_days = 1"))
    assert "expected exactly one of duration_h or duration_days, got both" in both
    neither = error_of(BASE.replace("duration_h = 24\n", ""))
    assert "scenario.duration_h: expected exactly one of duration_h or duration_days, " \
           "got neither" in neither


def test_duration_must_be_positive():
    assert "scenario.duration_h: expected > 0 and at most 175200 h (20 years), got 0" in error_of(
        BASE.replace("duration_h = 24", "duration_h = 0"))


def test_duration_is_at_least_one_interval_and_at_most_twenty_years():
    assert ("scenario.duration_h: expected at least one data interval (15 min), got 0.001"
            in error_of(BASE.replace("duration_h = 24", "duration_h = 0.001")))
    assert "scenario.duration_days: expected > 0 and at most 7300 days (20 years), got 1e+300" \
        in error_of(BASE.replace("duration_h = 24", "duration_days = 1e300"))


def test_date_times_outside_1900_to_2200_are_rejected_not_crashed_on():
    assert 'scenario.start: expected a date-time in the years 1900-2200, got 9999-12-31T23:59:00' \
        in error_of(BASE.replace('start = "2026-07-15T00:00"', "start = 9999-12-31T23:59:00", 1))


def test_a_file_name_too_long_for_the_file_system_is_a_clean_error():
    text = BASE.replace("[control]", '[sessions]\ncsv = "' + "a" * 5000 + '"\n\n[control]')
    assert "sessions.csv: expected an existing file" in error_of(text)


def test_event_outside_the_horizon_is_reported():
    msg = error_of(BASE.replace('"2026-07-15T17:00"', '"2026-07-15T23:00"'))
    assert "market.events[0]: expected inside the run" in msg
    assert "2026-07-16T02:00" in msg


def test_policy_must_be_known_or_a_callable_reference():
    msg = error_of(BASE.replace("[control]", '[control]\nev_policy = "greedy"'))
    assert 'control.ev_policy: expected one of "uncontrolled", "smart", "price_responsive" ' \
           'or a "package.module:callable" reference, got "greedy"' in msg
    ok = scenario_from_toml(BASE.replace("[control]", '[control]\nev_policy = "lab.pol:mine"'))
    assert ok.control.ev_policy == "lab.pol:mine"


def test_output_format_and_event_kind_must_be_known():
    msg = error_of(BASE + '\n[output]\nformats = ["xlsx"]\nevent_kinds = ["bogus"]\n')
    assert 'output.formats[0]: expected one of "parquet", "csv", "jsonl", got "xlsx"' in msg
    assert 'output.event_kinds[0]: expected one of' in msg
    assert 'got "bogus"' in msg


def test_unknown_time_zone_is_reported():
    msg = error_of(BASE.replace("America/Los_Angeles", "America/Springfield"))
    assert 'scenario.time_zone: expected an IANA time zone name' in msg
    assert '"America/Springfield"' in msg


def test_wall_time_in_a_daylight_saving_gap_is_reported():
    msg = error_of(BASE.replace('"2026-07-15T00:00"', '"2026-03-08T02:30"').replace(
        "duration_h = 24", "duration_h = 4000"))
    assert "scenario.start: expected a wall time that exists once in America/Los_Angeles" in msg


def test_table_where_a_value_belongs_is_reported():
    msg = error_of(BASE.replace("[control]", "[control.ev_policy]\nname = 1\n[control.x]"))
    assert "control.ev_policy: expected a string, got a table" in msg


def test_no_fleet_and_no_sessions_is_reported():
    start = BASE.index("[[fleet.prosumers]]")
    text = BASE[:start] + BASE[BASE.index("[control]"):]
    assert "fleet: expected [fleet.generate], fleet.file, at least one [[fleet.prosumers]] or a " \
           "[sessions] file, got none" in error_of(text)


def test_all_problems_are_reported_at_once():
    text = (BASE.replace("capacity_kwh = 13.5", "capacity_kwh = -5")
            .replace("seed = 1", "seed = 3.7")
            .replace('departure = "07:30"', 'departure = "25:00"')
            .replace("departure_guard = true", 'departure_guard = "false"')
            .replace('id = "home-2"', 'id = "home-1"\ncolour = "red"'))
    msg = error_of(text)
    assert msg.startswith("6 problems in evening_peak.toml:")
    for where in ("fleet.prosumers[0].bess.capacity_kwh", "scenario.seed",
                  "fleet.prosumers[0].evs[0].departure", "control.departure_guard",
                  "fleet.prosumers[1].id", "fleet.prosumers[1].colour"):
        assert f"evening_peak.toml: {where}:" in msg


def test_toml_syntax_error_gives_line_and_column():
    msg = error_of(BASE.replace("seed = 1", "seed = = 1"))
    assert "evening_peak.toml: not valid TOML" in msg
    assert "line 6" in msg and "column" in msg


def test_top_level_must_be_a_table_when_given_a_dict():
    with pytest.raises(ScenarioError, match=r"<top level>: expected a table, got an array"):
        scenario_from_dict([], source="x")  # type: ignore[arg-type]


def test_unreadable_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read the scenario file"):
        load_scenario(tmp_path / "missing.toml")


def test_load_scenario_names_the_file(tmp_path):
    path = tmp_path / "evening_peak.toml"
    path.write_text(BASE.replace("capacity_kwh = 13.5", "capacity_kwh = -5"))
    with pytest.raises(ScenarioError, match=r"^evening_peak\.toml: fleet\.prosumers\[0\]"):
        load_scenario(path)


def test_the_converter_itself_is_strict():
    import cattrs

    from desim.scenario import ControlSpec, GenerateSpec, converter

    with pytest.raises(cattrs.BaseValidationError):
        converter.structure({"n": 3.7}, GenerateSpec)
    with pytest.raises(cattrs.BaseValidationError):
        converter.structure({"departure_guard": "false"}, ControlSpec)
    with pytest.raises(cattrs.BaseValidationError):
        converter.structure({"n": 3, "colour": "red"}, GenerateSpec)


def test_a_toml_local_time_is_read_as_a_clock_time():
    scenario = scenario_from_toml(BASE.replace('departure = "07:30"', "departure = 07:30:00"))
    assert scenario.fleet.prosumers[0].evs[0].departure == "07:30"
    msg = error_of(BASE.replace('departure = "07:30"', "departure = 07:30:15"))
    assert "fleet.prosumers[0].evs[0].departure: expected a string" in msg


def test_overlapping_events_are_reported():
    event = BASE[BASE.index("[[market.events]]"):BASE.index("[control]")]
    second = event.replace('"dr-1"', '"dr-2"').replace("17:00", "19:00")
    msg = error_of(BASE.replace("[control]", second + "[control]"))
    assert "market.events[1]: expected no overlap with market.events[0]" in msg


def test_market_allocation_and_share_are_checked():
    msg = error_of(BASE.replace("[[market.events]]",
                                '[market]\nallocation = "lottery"\nprosumer_share = 1.5\n'
                                "[[market.events]]"))
    assert 'market.allocation: expected one of "pro_rata", "merit", got "lottery"' in msg
    assert "market.prosumer_share: expected 0-1, got 1.5" in msg
