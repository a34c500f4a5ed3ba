"""`desim run --shards`: a partitioned log equal to the serial run's, the target split,
failed shards reported by number, bad options refused without a traceback."""

import json
import warnings

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import desim
from desim.analysis import _shard_task
from desim.analysis.outputs import read_event_log
from desim.cli import main
from desim.errors import DesimWarning
from desim.sim.shardslice import SHARD_ID_BASE

SCENARIO = """
[scenario]
name = "shards"
start = "2026-07-01T00:00"
duration_h = {hours}
time_zone = "America/Los_Angeles"
seed = 3

[site]
latitude = 37.8
longitude = -122.3

[fleet.generate]
n = {n}
"""

EVENT = """
[market]
[[market.events]]
id = "peak"
start = "2026-07-01T17:00"
duration_h = 2
target_kw = 90
price_per_mwh = 400
"""


def _scenario(tmp_path, n=200, hours=24, extra="", name="s.toml"):
    path = tmp_path / name
    path.write_text(SCENARIO.format(n=n, hours=hours) + extra)
    return path


def _run(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def _ok(args):
    try:
        main(args)
    except SystemExit as exc:
        assert exc.code in (0, None)


def _rows(frame):
    """The log's rows without ids, as plain values, in one order."""
    frame = frame.drop(columns=["event_id", "cause_id", "shard"], errors="ignore").copy()
    for c in ("kind", "prosumer_id", "asset_id", "asset_type", "detail"):
        frame[c] = frame[c].astype(str)
    return frame.sort_values(["t_h", "kind", "prosumer_id", "asset_id", "power_kw"]
                             ).reset_index(drop=True)


def test_sharded_run_on_two_workers_writes_one_table_equal_to_the_serial_log(tmp_path):
    path = _scenario(tmp_path)
    _ok(["run", str(path), "-o", str(tmp_path / "serial"), "-q"])
    _ok(["run", str(path), "-o", str(tmp_path / "sharded"), "-q", "--shards", "3",
         "--workers", "2"])
    serial = pd.read_parquet(tmp_path / "serial" / "events.parquet")
    events = tmp_path / "sharded" / "events"
    parts = sorted(events.glob("shard=*/part-0.parquet"))
    assert len(parts) == 4                      # three shards and the fleet-wide rows
    sharded = pd.read_parquet(events)
    assert len(sharded) == len(serial)
    assert set(sharded.columns) == set(serial.columns) | {"shard"}
    assert pq.read_table(events).num_rows == len(serial)
    import dask.dataframe as dd
    with warnings.catch_warnings():
        # dask's parquet reader calls reset_index(inplace=True), deprecated in pandas 3.1
        warnings.filterwarnings("ignore", message="The inplace keyword")
        assert len(dd.read_parquet(events).compute()) == len(serial)
    # energy totals equal the serial run's
    e_serial = json.loads((tmp_path / "serial" / "summary.json").read_text())["energy"]
    e_sharded = json.loads((tmp_path / "sharded" / "summary.json").read_text())["energy"]
    for key, value in e_serial.items():
        assert e_sharded[key] == pytest.approx(value, rel=1e-9, abs=1e-6), key
    # the same rows: the homes' rows exactly, the fleet-wide rows to rounding
    a, b = _rows(serial), _rows(sharded)
    homes = a["prosumer_id"] != ""
    pd.testing.assert_frame_equal(a[homes].reset_index(drop=True),
                                  b[b["prosumer_id"] != ""].reset_index(drop=True))
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
    # global ids: unique, each shard's from its base, causes within the log
    assert sharded["event_id"].is_unique
    causes = sharded["cause_id"][sharded["cause_id"] >= 0]
    assert causes.isin(set(sharded["event_id"])).all()
    for s in range(3):
        ids = sharded.loc[sharded["shard"].astype(str) == str(s), "event_id"]
        assert ids.min() >= s * SHARD_ID_BASE and ids.max() < (s + 1) * SHARD_ID_BASE
    shards = json.loads((tmp_path / "sharded" / "shards.json").read_text())
    assert [s["status"] for s in shards] == ["ok"] * 3
    assert [(s["lo"], s["hi"]) for s in shards] == [(0, 66), (66, 133), (133, 200)]


def test_shards_run_here_one_after_another_give_the_serial_totals(tmp_path):
    path = _scenario(tmp_path, n=60, hours=12,
                     extra="\n[run]\nshards = 2\n")
    plain = _scenario(tmp_path, n=60, hours=12, name="plain.toml")
    _ok(["run", str(plain), "-o", str(tmp_path / "serial"), "-q"])
    _ok(["run", str(path), "-o", str(tmp_path / "sharded"), "-q"])   # [run] shards = 2
    serial = pd.read_parquet(tmp_path / "serial" / "prosumers.parquet")
    sharded = pd.read_parquet(tmp_path / "sharded" / "prosumers.parquet")
    pd.testing.assert_frame_equal(serial, sharded)
    assert len(read_event_log(tmp_path / "sharded")) == len(read_event_log(tmp_path / "serial"))
    _ok(["report", str(tmp_path / "sharded")])
    assert (tmp_path / "sharded" / "report.html").is_file()
    # the run directory is desim's own: --overwrite replaces it
    _ok(["run", str(path), "-o", str(tmp_path / "sharded"), "-q", "--overwrite"])


def test_each_shard_takes_the_target_share_of_its_homes(tmp_path):
    path = _scenario(tmp_path, n=50, hours=24, extra=EVENT)
    run = desim.run(path, shards=3, output=tmp_path / "out")
    by_shard = pd.read_csv(tmp_path / "out" / "settlements_by_shard.csv")
    homes = np.array([s["hi"] - s["lo"] for s in run.shards])
    assert homes.tolist() == [16, 17, 17]
    assert np.allclose(by_shard["target_kw"], 90.0 * homes / 50)
    assert run.settlements["target_kw"].iloc[0] == pytest.approx(90.0)
    starts = read_event_log(run.events, kinds=["dispatch_start"])
    assert np.allclose(np.sort(starts["power_kw"]), np.sort(90.0 * homes / 50))
    assert run.summary["dispatch"][0]["target_kw"] == pytest.approx(90.0)
    assert run.counterfactual_series is not None


def test_a_failed_shard_is_reported_by_number_and_the_others_are_kept(tmp_path, capsys,
                                                                      monkeypatch):
    real = _shard_task.run_shard

    def fail_second(task, progress=None):
        if task["shard"] == 1:
            raise RuntimeError("disk on fire")
        return real(task, progress)

    monkeypatch.setattr(_shard_task, "run_shard", fail_second)
    path = _scenario(tmp_path, n=30, hours=6)
    out = tmp_path / "out"
    code, _, err = _run(["run", str(path), "-o", str(out), "-q", "--shards", "3"], capsys)
    assert code == 1
    assert "shard 1 of 3 failed: RuntimeError: disk on fire" in err
    assert "Traceback" not in err
    assert sorted(p.parent.name for p in (out / "events").glob("*/part-0.parquet")) == [
        "shard=0", "shard=2"]
    status = json.loads((out / "shards.json").read_text())
    assert [s["status"] for s in status] == ["ok", "failed", "ok"]
    assert not (out / "summary.json").exists()


@pytest.mark.parametrize("args, expected", [
    (["--shards", "0"], "--shards: expected an integer >= 1, got 0"),
    (["--workers", "2"], "--workers 2: expected --shards greater than 1"),
    (["--shards", "1", "--workers", "2"], "got 1"),
    (["--shards", "2", "--workers", "0"], "--workers: expected an integer >= 1, got 0"),
    (["--shards", "2", "--workers", "1", "--scheduler", "tcp://x:1"], "at most one"),
    (["--shards", "2", "--format", "csv"], "--format csv: a sharded run writes"),
])
def test_bad_shard_options_name_the_option_and_value(tmp_path, capsys, args, expected):
    path = _scenario(tmp_path, n=5, hours=1)
    code, _, err = _run(["run", str(path), "-o", str(tmp_path / "o"), "-q", *args], capsys)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_a_site_limit_with_several_shards_is_refused(tmp_path, capsys):
    path = _scenario(tmp_path, n=5, hours=1, extra="\n[control]\nsite_limit_kw = 40\n")
    code, _, err = _run(["run", str(path), "-o", str(tmp_path / "o"), "--shards", "2"], capsys)
    assert code == 2
    assert "control.site_limit_kw" in err and "--shards 2" in err and "40 kW" in err


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, capsys, monkeypatch):
    from desim.analysis import _dask
    monkeypatch.setattr(_dask, "CONNECT_TIMEOUT", "1s")
    path = _scenario(tmp_path, n=5, hours=1)
    code, _, err = _run(["run", str(path), "-o", str(tmp_path / "o"), "--shards", "2",
                         "--scheduler", "tcp://127.0.0.1:9"], capsys)
    assert code == 2
    assert "--scheduler tcp://127.0.0.1:9: expected the address of a running Dask" in err
    assert "Traceback" not in err


def test_python_entry_needs_an_output_directory_for_shards(tmp_path):
    path = _scenario(tmp_path, n=5, hours=1)
    with pytest.raises(desim.DesimError, match="shards=2 writes a partitioned event log"):
        desim.run(path, shards=2)


def test_run_table_keys_are_checked_when_the_scenario_loads(tmp_path):
    path = _scenario(tmp_path, n=5, hours=1, extra="\n[run]\nworkers = 2\n")
    with pytest.raises(desim.ScenarioError, match="run.workers: expected shards greater than 1"):
        desim.load_scenario(path)


def test_a_file_asking_for_csv_runs_sharded_and_says_csv_is_not_written(tmp_path):
    """The file's own formats do not stop a sharded run: its log is the Parquet
    dataset, and a warning says what was not written (an explicit --format csv is
    refused above)."""
    path = _scenario(tmp_path, n=6, hours=2, extra='\n[output]\nformats = ["parquet", "csv"]\n')
    out = tmp_path / "o"
    with pytest.warns(DesimWarning, match="csv not written"):
        _ok(["run", str(path), "-o", str(out), "-q", "--shards", "2"])
    assert sorted(p.parent.name for p in (out / "events").glob("*/part-0.parquet"))[:2] == [
        "shard=0", "shard=1"]
    assert not list(out.rglob("*.csv.gz")) and not (out / "events.csv").exists()
