"""Session files (CSV and ACN-Data JSON) go through one validator."""

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from desim.cli import main
from desim.errors import DesimWarning, ScenarioError
from desim.sim.session_input import read_acn_json, read_sessions_csv

ROOT = Path(__file__).resolve().parents[2]
ACN = ROOT / "scenarios" / "data" / "acn_sessions.json"
START = pd.Timestamp("2018-04-25T00:00", tz="America/Los_Angeles")
CSV_START = pd.Timestamp("2026-05-11T00:00", tz="America/Los_Angeles")
HEADER = "ev_id,arrival,departure,kwh_requested,max_kw\n"


def _acn(tmp_path, change) -> Path:
    doc = json.loads(ACN.read_text())
    change(doc["_items"])
    path = tmp_path / "acn.json"
    path.write_text(json.dumps(doc))
    return path


def _csv(tmp_path, rows: str) -> Path:
    path = tmp_path / "s.csv"
    path.write_text(HEADER + rows)
    return path


def _swap(items):
    items[0]["connectionTime"], items[0]["disconnectTime"] = (items[0]["disconnectTime"],
                                                              items[0]["connectionTime"])


def test_acn_disconnect_before_connect_is_rejected_naming_file_item_field_and_value(tmp_path):
    path = _acn(tmp_path, _swap)
    with pytest.raises(ScenarioError) as info:
        read_acn_json(path, START)
    assert str(info.value) == (
        f'{path}: _items[0]: disconnectTime: expected after connectionTime (Wed, 25 Apr 2018 '
        '20:48:49 GMT), got "Wed, 25 Apr 2018 15:01:50 GMT"')


def test_csv_departure_before_arrival_is_rejected_the_same_way(tmp_path):
    path = _csv(tmp_path, "a,2026-05-11T09:00,2026-05-11T08:00,5,7\n")
    with pytest.raises(ScenarioError, match=r"s.csv: row 2: departure: expected after arrival "
                                            r"\(2026-05-11T09:00\), got \"2026-05-11T08:00\""):
        read_sessions_csv(path, CSV_START)


def test_negative_energy_and_power_are_rejected_in_both_formats(tmp_path):
    def negative(items):
        items[2]["kWhDelivered"] = -4.5
    with pytest.raises(ScenarioError, match=r"_items\[2\]: kWhDelivered: expected a number "
                                            r">= 0, got -4.5"):
        read_acn_json(_acn(tmp_path, negative), START)
    path = _csv(tmp_path, "a,2026-05-11T08:00,2026-05-11T09:00,-1,7\n"
                          "b,2026-05-11T08:00,2026-05-11T09:00,2,-7\n"
                          "c,2026-05-11T08:00,2026-05-11T09:00,nan,7\n")
    with pytest.raises(ScenarioError) as info:
        read_sessions_csv(path, CSV_START)
    text = str(info.value)
    assert "3 problems" in text
    assert 'row 2: kwh_requested: expected a number >= 0, got "-1"' in text
    assert 'row 3: max_kw: expected a number > 0, got "-7"' in text
    assert 'row 4: kwh_requested: expected a number >= 0, got "nan"' in text


def test_an_unreadable_time_names_the_row_and_value(tmp_path):
    path = _csv(tmp_path, "a,yesterday,2026-05-11T09:00,1,7\n")
    with pytest.raises(ScenarioError, match=r'row 2: arrival: expected an ISO 8601 time, '
                                            r'got "yesterday"'):
        read_sessions_csv(path, CSV_START)

    def missing(items):
        del items[1]["connectionTime"]
    with pytest.raises(ScenarioError, match=r"_items\[1\]: connectionTime: expected an RFC "
                                            r"1123 date .*got nothing"):
        read_acn_json(_acn(tmp_path, missing), START)


def test_sessions_outside_the_run_are_dropped_with_a_warning(tmp_path):
    path = _csv(tmp_path, "a,2026-05-11T08:00,2026-05-11T09:00,1,7\n"
                          "b,2026-05-20T08:00,2026-05-20T09:00,1,7\n"
                          "c,2026-05-10T23:00,2026-05-11T01:00,1,7\n")
    with pytest.warns(DesimWarning, match="1 of 3 sessions lie outside the run"):
        frame = read_sessions_csv(path, CSV_START, horizon_h=24.0)
    assert list(frame["ev_id"]) == ["a", "c"]
    assert list(frame["arrival_h"]) == [8.0, 0.0]  # c straddles the start: replayed from it


def test_a_file_with_no_session_inside_the_run_is_an_error(tmp_path):
    path = _csv(tmp_path, "b,2026-05-20T08:00,2026-05-20T09:00,1,7\n")
    with pytest.raises(ScenarioError, match="expected at least one session inside the run .*"
                                            "got none of 1"):
        read_sessions_csv(path, CSV_START, horizon_h=24.0)


def test_the_shipped_session_files_pass_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_acn_json(ACN, START, horizon_h=24.0)) == 10
        assert len(read_sessions_csv(ROOT / "scenarios" / "data" / "sessions.csv", CSV_START,
                                     horizon_h=72.0)) == 52


def test_cli_run_and_validate_exit_2_without_traceback_on_a_reversed_acn_session(tmp_path,
                                                                                capsys):
    (tmp_path / "data").mkdir()
    _acn(tmp_path, _swap).rename(tmp_path / "data" / "acn_sessions.json")
    scenario = tmp_path / "acn_replay.toml"
    scenario.write_text((ROOT / "scenarios" / "acn_replay.toml").read_text())
    for args in (["validate", str(scenario)], ["run", str(scenario), "-o", str(tmp_path / "o"),
                                               "-q"]):
        with pytest.raises(SystemExit) as info:
            main(args)
        err = capsys.readouterr().err
        assert info.value.code == 2, args
        assert "Traceback" not in err
        assert "_items[0]: disconnectTime: expected after connectionTime" in err
    assert not (tmp_path / "o").exists()
