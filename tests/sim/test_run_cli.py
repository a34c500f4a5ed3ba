"""`desim run` on every shipped scenario; determinism; user errors exit 2 without a traceback."""

import json
from pathlib import Path

import pandas as pd
import pytest

from desim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


def _run(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def _ok(args):
    try:
        main(args)
    except SystemExit as exc:  # click may exit 0 explicitly
        assert exc.code in (0, None)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_runs_and_writes_its_outputs(path, tmp_path):
    out = tmp_path / path.stem
    _ok(["run", str(path), "-o", str(out), "-q"])
    for name in ("summary.json", "series.parquet", "prosumers.parquet"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    logs = sorted(out.glob("events.*"))
    assert logs
    log = (pd.read_parquet(logs[-1]) if logs[-1].suffix == ".parquet"
           else pd.read_csv(logs[0]) if logs[0].suffix == ".csv"
           else pd.read_json(logs[0], lines=True))
    assert summary["log_rows"] == len(log)
    assert {"t_h", "timestamp", "kind", "prosumer_id", "asset_id", "asset_type", "power_kw",
            "energy_kwh", "soc_percent", "detail", "cause_id", "event_id"} <= set(log.columns)
    assert log["t_h"].is_monotonic_increasing
    # a settlement row pays a delivery, not the float residue of a home that did nothing
    settled = log.loc[log["kind"] == "settlement", "energy_kwh"]
    assert (settled >= 1e-9).all(), settled.min()
    for event in summary.get("dispatch", []):
        rows = log[(log["kind"] == "settlement") & (log["detail"] == event["event_id"])]
        assert event["n_participants"] == len(rows)


def test_two_runs_of_one_scenario_write_byte_identical_logs(tmp_path):
    path = ROOT / "scenarios" / "ev_departure_stress.toml"
    for name in ("a", "b"):
        _ok(["run", str(path), "-o", str(tmp_path / name), "-q", "--format", "parquet",
             "--format", "csv"])
    for name in ("events.parquet", "events.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_an_existing_output_directory_is_kept_unless_overwrite(tmp_path, capsys):
    path = ROOT / "scenarios" / "one_home_day.toml"
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("previous run")
    code, _, err = _run(["run", str(path), "-o", str(out), "-q"], capsys)
    assert code == 2 and "--overwrite" in err and "Traceback" not in err
    assert (out / "keep.txt").read_text() == "previous run"
    code, _, err = _run(["run", str(path), "-o", str(out), "-q", "--overwrite"], capsys)
    assert code == 2 and "previous desim run" in err and "Traceback" not in err
    assert (out / "keep.txt").read_text() == "previous run"
    (out / "keep.txt").unlink()
    _ok(["run", str(path), "-o", str(out), "-q"])
    (out / "events.parquet").unlink()
    _ok(["run", str(path), "-o", str(out), "-q", "--overwrite"])
    assert (out / "events.parquet").exists()


def test_a_malformed_scenario_exits_2_naming_the_path_and_value(tmp_path, capsys):
    text = (ROOT / "scenarios" / "one_home_day.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("capacity_kw = 7.0", "capacity_kw = -7.0", 1))
    assert "capacity_kw = -7.0" in bad.read_text()
    code, _, err = _run(["run", str(bad), "-o", str(tmp_path / "o"), "-q"], capsys)
    assert code == 2
    assert "fleet.prosumers[0].solar.capacity_kw" in err and "-7" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_csv_and_json_lines_logs_hold_the_same_rows_as_parquet(tmp_path):
    path = ROOT / "scenarios" / "one_home_day.toml"
    _ok(["run", str(path), "-o", str(tmp_path / "r"), "-q", "--format", "parquet",
         "--format", "csv", "--format", "jsonl"])
    pq = pd.read_parquet(tmp_path / "r" / "events.parquet")
    csv = pd.read_csv(tmp_path / "r" / "events.csv")
    jl = pd.read_json(tmp_path / "r" / "events.jsonl", lines=True)
    assert len(pq) == len(csv) == len(jl)
    assert list(csv["kind"]) == list(pq["kind"].astype(str))
    pd.testing.assert_series_equal(csv["t_h"], pq["t_h"], check_names=False)
