"""The event log: flushed chunks then pending rows are the canonical order of all rows."""

import math
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desim.sim import log as logmod
from desim.sim.log import ASSET_TYPES, KINDS, LOG_COLUMNS, EventLog
from desim.sim.logwriter import ParquetLogSink

START = pd.Timestamp("2026-01-01", tz="America/Los_Angeles")
PROSUMERS = [f"p{i}" for i in range(4)]
ASSETS = {"ev": [f"e{i}" for i in range(4)], "bess": [f"b{i}" for i in range(3)],
          "pv": [f"s{i}" for i in range(2)]}
# Few distinct times, so many rows are simultaneous, also with a flush cut.
GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25)


def _new_log(kinds=None):
    return EventLog(PROSUMERS, ASSETS, kinds=kinds)


@st.composite
def _calls(draw, grid_from):
    """One `record` call with times at or after `grid_from`."""
    kind = draw(st.sampled_from(KINDS))
    asset_type = draw(st.sampled_from(ASSET_TYPES))
    n_assets = len(ASSETS.get(asset_type, []))
    n = draw(st.integers(0, 4))
    times = st.sampled_from([g for g in GRID if g >= grid_from])
    if n == 1 and draw(st.booleans()):
        t_h = draw(times)                                   # a scalar time
    else:
        t_h = np.array(draw(st.lists(times, min_size=n, max_size=n)), dtype=float)
    size = 1 if np.ndim(t_h) == 0 else n
    args = {"prosumer_index": draw(st.one_of(
        st.just(-1), st.lists(st.integers(-1, len(PROSUMERS) - 1), min_size=size,
                              max_size=size).map(np.array)))}
    if n_assets:
        args["asset_index"] = np.array(draw(st.lists(
            st.integers(-1, n_assets - 1), min_size=size, max_size=size)), dtype=np.int64)
    args["power_kw"] = draw(st.one_of(
        st.just(np.nan), st.floats(-5, 5), st.lists(st.floats(-5, 5), min_size=size,
                                                    max_size=size).map(np.array)))
    args["detail"] = draw(st.sampled_from(["", "a", "b"]))
    return kind, t_h, asset_type, args


@st.composite
def _sessions(draw):
    """Record calls with flushes between them; no row is earlier than the last flush."""
    steps, cut = [], GRID[0]
    for _ in range(draw(st.integers(1, 5))):
        for _ in range(draw(st.integers(0, 5))):
            steps.append(("record", draw(_calls(cut))))
        cut = draw(st.sampled_from([g for g in GRID if g >= cut]))
        steps.append(("flush", cut))
    if draw(st.booleans()):
        steps.append(("flush", math.inf))
    return steps


def _replay(log, steps):
    """Play `steps` into `log`; return the rows a plain sort should give, in record order."""
    rows = []
    for step, arg in steps:
        if step == "flush":
            log.flush(arg)
            continue
        kind, t_h, asset_type, args = arg
        ids = log.record(kind, t_h, asset_type=asset_type, **args)
        n = len(ids)
        cols = {k: np.broadcast_to(v, n) if not isinstance(v, str) else [v] * n
                for k, v in {"t_h": t_h, "asset_index": -1, **args}.items()}
        for i in range(n):
            rows.append((float(cols["t_h"][i]), KINDS.index(kind), int(cols["prosumer_index"][i]),
                         ASSET_TYPES.index(asset_type), int(cols["asset_index"][i]),
                         int(ids[i]), float(cols["power_kw"][i]), cols["detail"][i]))
    return rows


def _check_table(table, rows):
    """`table` holds `rows` sorted by (t_h, kind, prosumer, asset type, asset, event_id)."""
    want = sorted(rows, key=lambda r: r[:6])
    df = table.to_pandas()
    assert list(df.columns) == list(LOG_COLUMNS)
    assert df["event_id"].tolist() == [r[5] for r in want]
    assert df["t_h"].tolist() == [r[0] for r in want]
    assert df["kind"].astype(str).tolist() == [KINDS[r[1]] for r in want]
    assert df["detail"].astype(str).tolist() == [r[7] for r in want]
    np.testing.assert_array_equal(df["power_kw"].to_numpy(), [r[6] for r in want])
    ids = {**dict(enumerate(PROSUMERS)), -1: ""}
    assert df["prosumer_id"].astype(str).tolist() == [ids[r[2]] for r in want]
    assets = [ASSETS[ASSET_TYPES[r[3]]][r[4]] if ASSET_TYPES[r[3]] in ASSETS and r[4] >= 0
              else "" for r in want]
    assert df["asset_id"].astype(str).tolist() == assets


@given(_sessions())
def test_chunks_then_pending_rows_are_one_global_sort(steps):
    log = _new_log()
    rows = _replay(log, steps)
    _check_table(log.to_arrow(START), rows)
    assert log.n_rows == len(rows)


@settings(max_examples=25)
@given(_sessions())
def test_streamed_file_holds_the_same_rows_as_the_kept_table(steps):
    kept = _new_log()
    rows = _replay(kept, steps)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.parquet"
        streamed = _new_log()
        with ParquetLogSink(path, START, row_group_rows=3) as sink:
            streamed.stream_to(sink)
            _replay(streamed, steps)
        _check_table(pq.read_table(path), rows)
        assert sink.rows == len(rows)


def test_a_row_earlier_than_the_last_flush_is_an_error():
    log = _new_log()
    log.record("interval", 1.0)
    log.flush(1.0)                       # the row at 1.0 stays pending
    log.record("price_update", 1.0)      # simultaneous with the cut: fine
    log.flush(2.0)
    log.record("interval", np.array([2.5, 1.5]))
    with pytest.raises(RuntimeError, match="t_h=1.5 was recorded after the log was flushed"):
        log.flush(3.0)


def test_a_flush_earlier_than_the_previous_one_is_an_error():
    log = _new_log()
    log.flush(2.0)
    with pytest.raises(RuntimeError, match="earlier than the previous flush"):
        log.flush(1.0)


def test_rows_at_the_cut_stay_pending_and_sort_with_later_simultaneous_rows():
    log = _new_log()
    log.record("interval", 1.0, asset_type="fleet")
    log.record("setpoint", np.array([0.5, 1.0]), np.array([1, 0]), "ev", np.array([1, 0]))
    assert log.flush(1.0) == 1
    log.record("price_update", 1.0, asset_type="market")
    df = log.to_pandas(START)
    assert list(zip(df["t_h"], df["kind"].astype(str), df["event_id"], strict=True)) == [
        (0.5, "setpoint", 1), (1.0, "price_update", 3), (1.0, "setpoint", 2),
        (1.0, "interval", 0)]


def test_kinds_not_kept_use_event_ids_but_leave_no_rows():
    log = _new_log(kinds=["interval"])
    assert log.record("setpoint", np.array([0.5, 0.7]), np.array([0, 1])).tolist() == [0, 1]
    assert log.record("interval", 1.0).tolist() == [2]
    log.flush(math.inf)
    df = log.to_pandas(START)
    assert df["event_id"].tolist() == [2] and log.n_rows == 1


def test_record_rejects_arrays_that_do_not_broadcast():
    log = _new_log()
    with pytest.raises(RuntimeError, match="shapes do not broadcast"):
        log.record("setpoint", np.array([0.5, 0.7]), np.array([0, 1, 2]))


def test_details_given_as_text_codes_or_sequences_read_back_as_text():
    log = _new_log()
    log.record("award", 0.5, np.array([0, 1]), "home", detail="re-allocated")
    code = log.detail_code("dropped out")
    log.record("award", 0.5, np.array([2, 3]), "home", detail=np.array([code, 0]))
    log.record("award", 0.75, np.array([0, 1]), "home", detail=["x", "y"])
    df = log.to_pandas(START)
    assert df["detail"].astype(str).tolist() == ["re-allocated", "re-allocated", "dropped out",
                                                 "", "x", "y"]


def test_an_empty_log_gives_an_empty_table_with_every_column():
    table = _new_log().to_arrow(START)
    assert table.num_rows == 0 and table.column_names == list(LOG_COLUMNS)


def test_to_arrow_leaves_pending_rows_pending():
    log = _new_log()
    log.record("interval", 0.5)
    assert log.to_arrow(START).num_rows == 1
    log.record("interval", 0.25)               # still allowed: nothing was flushed
    log.flush(math.inf)
    assert log.to_pandas(START)["t_h"].tolist() == [0.25, 0.5]


def test_timestamps_are_start_plus_time():
    log = _new_log()
    log.record("interval", np.array([0.0, 1.5]))
    ts = log.to_pandas(START)["timestamp"]
    assert ts.tolist() == [START, START + pd.Timedelta(hours=1.5)]


def test_kind_and_asset_type_codes_fit_the_packed_sort_key():
    from desim.sim import logformat

    assert len(KINDS) <= 1 << logformat._KIND_BITS
    assert len(ASSET_TYPES) <= 1 << logformat._TYPE_BITS


@given(st.data())
def test_every_sort_path_gives_the_canonical_order(data):
    from desim.sim.logformat import canonical_order

    n = data.draw(st.integers(0, 30))
    # the largest index picks the path: rank key, packed key with lexsort, or every key
    largest = data.draw(st.sampled_from([3, (1 << 25) - 1, 1 << 40]))
    ints = lambda lo, hi: st.lists(st.integers(lo, hi), min_size=n, max_size=n)  # noqa: E731
    # signed zeros, the smallest subnormal and inf order as floats do (the fast path
    # sorts non-negative times by their bit patterns)
    times = st.sampled_from(GRID + (-0.0, 5e-324, np.inf))
    t_h = np.array(data.draw(st.lists(times, min_size=n, max_size=n)), dtype=np.float64)
    kind = np.array(data.draw(ints(0, len(KINDS) - 1)), dtype=np.int16)
    p_idx = np.array(data.draw(ints(-1, largest)), dtype=np.int64)
    a_type = np.array(data.draw(ints(0, len(ASSET_TYPES) - 1)), dtype=np.int8)
    a_idx = np.array(data.draw(ints(-1, largest)), dtype=np.int64)
    if n:
        p_idx[0] = largest
    event_id = np.arange(n, dtype=np.int64)
    if data.draw(st.booleans()):                     # rows not in recording order
        event_id = np.array(data.draw(st.permutations(range(n))), dtype=np.int64)
    cols = {"event_id": event_id, "t_h": t_h, "kind": kind, "prosumer_index": p_idx,
            "asset_type": a_type, "asset_index": a_idx}
    want = sorted(range(n), key=lambda i: (t_h[i], kind[i], p_idx[i], a_type[i], a_idx[i],
                                           event_id[i]))
    assert canonical_order(cols).tolist() == want


def test_a_batch_of_two_kinds_equals_two_batches():
    t = np.array([0.25, 0.5, 0.5])
    homes = np.array([0, 1, 0])
    one, two = _new_log(), _new_log()
    ids = one.record((("bess_full", 1), ("bess_empty", 2)), t, homes, "bess", homes,
                     power_kw=0.0, soc_percent=np.array([95.0, 10.0, 12.0]))
    a = two.record("bess_full", t[:1], homes[:1], "bess", homes[:1], power_kw=0.0,
                   soc_percent=np.array([95.0]))
    b = two.record("bess_empty", t[1:], homes[1:], "bess", homes[1:], power_kw=0.0,
                   soc_percent=np.array([10.0, 12.0]))
    assert ids.tolist() == a.tolist() + b.tolist()
    pd.testing.assert_frame_equal(one.to_pandas(START), two.to_pandas(START))
    assert one.to_pandas(START)["kind"].tolist()[:1] == ["bess_full"]


def test_a_batch_of_two_kinds_must_count_its_rows_and_keep_its_kinds():
    with pytest.raises(RuntimeError, match="segments hold 2 rows"):
        _new_log().record((("bess_full", 1), ("bess_empty", 1)), np.array([0.0, 0.1, 0.2]))
    with pytest.raises(RuntimeError, match="not kept"):
        _new_log(kinds=["bess_full"]).record((("bess_full", 1), ("bess_empty", 1)),
                                             np.array([0.0, 0.1]))
    log = _new_log()
    with pytest.raises(RuntimeError):
        log.record((("bess_full", 2),), np.array([0.0]))
    assert log.n_rows == 0 and log.record("interval", 0.5).tolist() == [0]


@given(_sessions())
def test_chunks_sorted_on_the_worker_are_the_same_global_sort(steps):
    """Every kept chunk goes to the worker thread (threshold 0): the same table."""
    used = []
    chunk = logmod._Handoff.chunk

    def spy(self):
        used.append(self.n)
        return chunk(self)

    with mock.patch.object(logmod, "BACKGROUND_MIN_ROWS", 0), \
            mock.patch.object(logmod._Handoff, "chunk", spy):
        log = _new_log()
        rows = _replay(log, steps)
        _check_table(log.to_arrow(START), rows)
    assert log.n_rows == len(rows)
    finite_flushes = [s for s in steps if s[0] == "flush" and s[1] != math.inf]
    if rows and finite_flushes and any(r[0] < finite_flushes[-1][1] for r in rows):
        assert used                 # rows finished before the last cut went to the worker


def test_an_engine_log_sorted_on_the_worker_equals_the_inline_one():
    from desim.bench.scenario import bench_inputs
    from desim.sim.engine import Engine

    inline = Engine(bench_inputs(150, 2, seed=4)).run().log.to_arrow(START)
    with mock.patch.object(logmod, "BACKGROUND_MIN_ROWS", 0):
        worker = Engine(bench_inputs(150, 2, seed=4)).run().log.to_arrow(START)
    assert inline.num_rows > 1000
    pd.testing.assert_frame_equal(worker.to_pandas(), inline.to_pandas())


def test_an_error_on_the_worker_reaches_the_reader():
    def fail(self):
        raise ValueError("sort failed")

    with mock.patch.object(logmod, "BACKGROUND_MIN_ROWS", 0), \
            mock.patch.object(logmod._Handoff, "chunk", fail):
        log = _new_log()
        log.record("interval", np.array([0.0, 0.25]), asset_type="fleet")
        log.flush(0.5)
        with pytest.raises(ValueError, match="sort failed"):
            log.to_arrow(START)


def test_a_log_with_chunks_on_the_worker_pickles_with_them_sorted():
    import pickle

    with mock.patch.object(logmod, "BACKGROUND_MIN_ROWS", 0):
        log = _new_log()
        log.record("interval", np.array([0.5, 0.0, 0.25]), asset_type="fleet")
        log.flush(0.75)
        log.record("interval", 1.0, asset_type="fleet")
        copy = pickle.loads(pickle.dumps(log))
    assert copy._worker is None
    pd.testing.assert_frame_equal(copy.to_pandas(START), log.to_pandas(START))
    assert copy.to_pandas(START)["t_h"].tolist() == [0.0, 0.25, 0.5, 1.0]


@given(st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(GRID),
                          st.sampled_from(ASSET_TYPES),
                          st.dictionaries(st.sampled_from(logmod.FLOATS),
                                          st.floats(-1e3, 1e3), max_size=3)),
                max_size=8),
       st.sampled_from([None, ["interval", "price_update"]]))
def test_one_row_recorded_by_record_row_equals_record(rows, kinds):
    """`record_row` (the interval rows' hot path) writes what `record` writes: the
    same rows, event ids and kept kinds, interleaved with batches of `record`."""
    one, two = _new_log(kinds), _new_log(kinds)
    for kind, t_h, asset_type, values in rows:
        a = one.record(kind, t_h, asset_type=asset_type, **values)
        b = two.record_row(kind, t_h, asset_type, **values)
        assert a.tolist() == [b]
        batch = np.array([t_h, t_h])
        assert (one.record("award", batch, np.array([0, 1])).tolist()
                == two.record("award", batch, np.array([0, 1])).tolist())
    assert one.n_rows == two.n_rows
    pd.testing.assert_frame_equal(one.to_pandas(START), two.to_pandas(START))


def test_record_row_takes_float_columns_only():
    log = _new_log()
    with pytest.raises(TypeError, match="'detail' is not a float column"):
        log.record_row("interval", 0.0, "fleet", detail=3.0)
    assert log.n_rows == 0 and log.record_row("interval", 0.0, "fleet") == 0
