"""Merging shard logs window by window: the same rows, order and values as one global sort."""

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desim.errors import OutputError
from desim.sim.log import ASSET_TYPES, KINDS, LOG_COLUMNS, EventLog
from desim.sim.logmerge import merged_windows, write_merged_log
from desim.sim.shards import merge_logs

START = pd.Timestamp("2026-01-01", tz="America/Los_Angeles")
# Few distinct times: rows at the same time in several shards, and at window edges.
GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
TYPES = ("", "ev", "bess", "pv", "fleet")


@st.composite
def _shard(draw, shard):
    """A shard's log: its ids and record calls with flushes between them."""
    n_p = draw(st.integers(0, 3))
    assets = {k: [f"s{shard}-{k}{i}" for i in range(draw(st.integers(0, 2)))]
              for k in ("ev", "bess", "pv")}
    log = EventLog([f"s{shard}-p{i}" for i in range(n_p)], assets)
    cut = GRID[0]
    for _ in range(draw(st.integers(0, 4))):
        for _ in range(draw(st.integers(0, 4))):
            kind = draw(st.sampled_from(KINDS))
            asset_type = draw(st.sampled_from(TYPES))
            n = draw(st.integers(1, 4))
            t_h = np.array(draw(st.lists(st.sampled_from([g for g in GRID if g >= cut]),
                                         min_size=n, max_size=n)))
            args = {"prosumer_index": np.array(draw(st.lists(
                st.integers(-1, n_p - 1), min_size=n, max_size=n)), dtype=np.int64)}
            n_a = len(assets.get(asset_type, ()))
            if n_a:
                args["asset_index"] = np.array(draw(st.lists(
                    st.integers(-1, n_a - 1), min_size=n, max_size=n)), dtype=np.int64)
            if log.next_event_id and draw(st.booleans()):
                args["cause_id"] = np.array(draw(st.lists(
                    st.integers(-1, log.next_event_id - 1), min_size=n, max_size=n)))
            args["power_kw"] = np.array(draw(st.lists(st.floats(-5, 5), min_size=n,
                                                      max_size=n)))
            args["detail"] = draw(st.sampled_from(["", "a", f"only-s{shard}"]))
            log.record(kind, t_h, asset_type=asset_type, **args)
        cut = draw(st.sampled_from([g for g in GRID if g >= cut]))
        log.flush(cut)
    return log


@st.composite
def _shards(draw):
    return [draw(_shard(s)) for s in range(draw(st.integers(1, 4)))]


def _plain(table) -> pd.DataFrame:
    """A table as a DataFrame of plain values (dictionary columns as strings)."""
    df = table.to_pandas()
    for col in ("kind", "prosumer_id", "asset_id", "asset_type", "detail"):
        df[col] = df[col].astype(str)
    return df


def _expected(logs) -> pd.DataFrame:
    """Every shard's rows with ids offset, sorted by the canonical key (a plain sort)."""
    prosumers = [p for log in logs for p in log.prosumer_ids]
    assets = {k: [a for log in logs for a in log.asset_ids[k]] for k in ("ev", "bess", "pv")}
    parts, id_off = [], 0
    for log in logs:
        df = _plain(log.to_arrow(START))
        df["event_id"] += id_off
        df["cause_id"] = df["cause_id"].where(df["cause_id"] < 0, df["cause_id"] + id_off)
        parts.append(df)
        id_off += log.next_event_id
    want = pd.concat([*parts, _plain(EventLog([], {}).to_arrow(START))], ignore_index=True)
    key = pd.DataFrame({
        "t": want["t_h"], "kind": want["kind"].map(KINDS.index),
        "p": want["prosumer_id"].map(lambda p: prosumers.index(p) if p else -1),
        "type": want["asset_type"].map(ASSET_TYPES.index),
        "a": [assets[t].index(a) if a else -1
              for t, a in zip(want["asset_type"], want["asset_id"], strict=True)],
        "id": want["event_id"]})
    order = key.sort_values(list(key.columns), kind="stable").index
    return want.iloc[order].reset_index(drop=True)


@given(_shards(), st.integers(1, 6))
def test_merged_log_file_is_the_global_sort_of_every_shard_row_with_ids_offset(logs, window):
    want = _expected(logs)
    kept = merge_logs(logs)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.parquet"
        stats = write_merged_log(logs, path, START, window_rows=window, row_group_rows=3)
        got = pq.read_table(path)
    assert stats["rows"] == len(want) == kept.n_rows
    assert got.column_names == list(LOG_COLUMNS)
    pd.testing.assert_frame_equal(_plain(got), want)
    pd.testing.assert_frame_equal(_plain(kept.to_arrow(START)), want)
    assert kept.next_event_id == sum(log.next_event_id for log in logs)


@given(_shards(), st.integers(1, 6))
def test_merge_windows_cover_disjoint_time_ranges_in_order(logs, window):
    n = sum(log.n_rows for log in logs)
    seen, last = 0, -np.inf
    for chunk in merged_windows(logs, window):
        t = chunk["t_h"]
        assert len(t) > 0
        assert t[0] > last                      # rows of one time never span two windows
        assert (np.diff(t) >= 0).all()
        last = t[-1]
        seen += len(t)
    assert seen == n


@given(_shards())
def test_consuming_merge_gives_the_same_log_and_empties_the_shards(logs):
    want = _plain(merge_logs(logs).to_arrow(START))
    got = merge_logs(logs, consume=True)
    pd.testing.assert_frame_equal(_plain(got.to_arrow(START)), want)
    assert all(log.n_rows == 0 and not list(log.chunks()) for log in logs)


def test_a_failed_merge_write_leaves_no_file(tmp_path):
    log = EventLog(["p"], {})
    log.record("interval", np.array([0.0, 1.0]), prosumer_index=0)
    target = tmp_path / "events.parquet"
    target.mkdir()
    with pytest.raises(OutputError):
        write_merged_log([log], target, START)
    assert list(tmp_path.iterdir()) == [target]


def test_window_rows_must_be_positive():
    with pytest.raises(ValueError, match="window_rows"):
        list(merged_windows([EventLog([], {})], 0))


@given(st.lists(st.tuples(st.sampled_from(GRID), st.integers(0, 3), st.integers(-1, 2),
                          st.integers(0, 3)), min_size=1, max_size=30),
       st.integers(1, 4), st.booleans())
def test_merge_order_is_a_stable_sort_by_the_canonical_key_for_large_indices(rows, runs, big):
    from desim.sim.logmerge import _merge_order

    # sorted runs, as the shards hand them over; large indices take the lexsort path
    scale = 1 << 29 if big else 1
    cut = np.array_split(np.arange(len(rows)), runs)
    parts = [sorted(rows[i] for i in part) for part in cut if len(part)]
    flat = [r for part in parts for r in part]
    t, kind, p, a = (np.array(col) for col in zip(*flat, strict=True))
    p = np.where(p >= 0, p * scale, -1)
    cols = {"t_h": t.astype(float), "kind": kind.astype(np.int16), "prosumer_index": p,
            "asset_type": np.zeros(len(t), dtype=np.int8), "asset_index": a.astype(np.int64)}
    want = np.lexsort((np.arange(len(t)), a, p, kind, t))
    np.testing.assert_array_equal(_merge_order(cols), want)
