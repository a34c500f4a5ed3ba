"""Streaming the log to Parquet: the same table as the kept log, and never a partial file."""

import json
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import events, make_fleet, make_inputs

from desim.errors import OutputError
from desim.sim.engine import Engine, run_inputs
from desim.sim.logwriter import ParquetLogSink


def _inputs():
    # two dispatch events on different days: detail texts are added mid-run
    return make_inputs(make_fleet(6, rng=np.random.default_rng(4)), days=3, seed=4,
                       ev_policy="smart", bess_policy="follow_dispatch",
                       events=events(("first", 17.0, 2.0, 10.0, -1, 300.0),
                                     ("second", 41.0, 2.0, 10.0, -1, 250.0)))


def _plain(table: pa.Table) -> pd.DataFrame:
    """The table as a DataFrame with dictionary columns as plain strings."""
    return table.cast(pa.schema([
        pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f
        for f in table.schema])).to_pandas()


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


def test_streamed_file_equals_the_kept_table_across_many_row_groups(tmp_path):
    kept = run_inputs(_inputs())
    table = kept.log.to_arrow(kept.start)
    inp = _inputs()
    engine = Engine(inp)
    path = tmp_path / "events.parquet"
    with ParquetLogSink(path, inp.start, row_group_rows=100) as sink:
        engine.log.stream_to(sink)
        engine.run()
    written = pq.read_table(path)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups == sink.row_groups > 3
    assert all(meta.row_group(i).num_rows < 200 for i in range(meta.num_row_groups))
    assert written.schema.equals(table.schema)
    pd.testing.assert_frame_equal(_plain(written), _plain(table))
    assert set(_plain(table)["detail"]) >= {"first", "second"}
    assert _leftovers(tmp_path) == ["events.parquet"]


def test_an_interrupted_run_leaves_no_file_and_an_old_file_untouched(tmp_path):
    path = tmp_path / "events.parquet"
    path.write_bytes(b"previous run")
    inp = _inputs()
    engine = Engine(inp)

    def progress(fraction):
        if fraction > 0.6:
            # interrupt once the temporary file holds a row group (the writer is a thread)
            deadline = time.monotonic() + 30
            while sink.rows == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        with ParquetLogSink(path, inp.start, row_group_rows=100) as sink:
            engine.log.stream_to(sink)
            engine.run(progress)
    assert sink.rows > 0                    # something had been written to the temporary file
    assert path.read_bytes() == b"previous run"
    assert _leftovers(tmp_path) == ["events.parquet"]


def test_a_failing_writer_raises_output_error_and_leaves_nothing(tmp_path, monkeypatch):
    def fail(self, table, row_group_size=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", fail)
    inp = _inputs()
    engine = Engine(inp)
    with pytest.raises(OutputError, match="events.parquet: could not write the event log"):
        with ParquetLogSink(tmp_path / "events.parquet", inp.start, row_group_rows=50) as sink:
            engine.log.stream_to(sink)
            engine.run()
    assert _leftovers(tmp_path) == []


def test_a_streamed_log_has_no_table_in_memory(tmp_path):
    inp = _inputs()
    engine = Engine(inp)
    with ParquetLogSink(tmp_path / "events.parquet", inp.start) as sink:
        engine.log.stream_to(sink)
        engine.run()
    with pytest.raises(RuntimeError, match="streamed to a sink"):
        engine.log.to_arrow(inp.start)
    assert engine.log.n_rows == sink.rows


def test_chunks_kept_before_streaming_are_written_too(tmp_path):
    kept = run_inputs(_inputs())
    path = tmp_path / "events.parquet"
    with ParquetLogSink(path, kept.start) as sink:
        kept.log.stream_to(sink)            # every chunk was finished before
    assert pq.read_table(path).num_rows == kept.log.n_rows


def test_a_directory_is_not_a_log_path(tmp_path):
    with pytest.raises(OutputError, match="expected a file path"):
        ParquetLogSink(tmp_path, pd.Timestamp("2026-01-01"))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_text_logs_write_utc_timestamps_that_pandas_parses_across_a_dst_change(tmp_path, fmt):
    from desim.sim.logwriter import write_table

    stamps = pd.date_range("2026-11-01 00:30", periods=6, freq="30min", tz="America/Los_Angeles")
    table = pa.table({"t_h": np.arange(6) / 2.0,
                      "timestamp": pa.array(stamps, type=pa.timestamp("ns", tz=str(stamps.tz)))})
    path = write_table(table, tmp_path / f"events.{fmt}", fmt)
    frame = (pd.read_csv(path) if fmt == "csv" else
             pd.DataFrame([json.loads(line) for line in path.read_text().splitlines()]))
    assert frame["timestamp"].str.endswith("Z").all()
    parsed = pd.to_datetime(frame["timestamp"])
    assert list(parsed.dt.tz_convert(stamps.tz)) == list(stamps)
