"""Merging the event logs of shards, time window by time window.

Every shard's log is a sequence of rows in canonical order (its finished
chunks, then its pending rows), and every shard covers the same time range.
The merged log holds the rows of all shards with prosumer and asset indices
offset by the shards before them and event ids (and the cause ids pointing at
them) offset by the ids the shards before them handed out, so shard ``s``'s
ids all lie below shard ``s + 1``'s and causal links stay intact.

The merge never holds more than one window of merged rows: `merged_windows`
walks the shards together and cuts a window at a time ``edge`` such that
every row at or before ``edge`` that was not taken yet belongs to it (rows at
the same time in several shards always share a window). Inside a window
each shard's rows are already sorted, and the offsets keep that order, so
the rows are concatenated in shard order and sorted stably by (time, kind,
prosumer, asset type, asset): among equal keys, row order (shard, then event
id within the shard) is event-id order, the last key of the canonical order.
The windows, one after another, are therefore the merged log in canonical
order: `write_merged_log` streams them to a `ParquetLogSink`,
`desim.sim.shards.merge_logs` keeps them as the chunks of one `EventLog`.
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np
import pandas as pd

from desim.sim.log import EventLog
from desim.sim.logformat import ASSET_CODE, ASSET_KEYS, ASSET_TYPES, RAW_COLUMNS
from desim.sim.logwriter import ParquetLogSink

__all__ = ["merged_windows", "merged_log_ids", "write_merged_log", "WINDOW_ROWS"]

#: Rows taken from the shards for one window (a window holds more only when many
#: rows share one time).
WINDOW_ROWS = 1 << 20
_ASSET_KEYS = ASSET_KEYS
_KIND_BITS = 5
_TYPE_BITS = 4    # as desim.sim.logformat


def merged_log_ids(logs: list[EventLog]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Prosumer ids and asset ids (by type) of the merged log: the shards' ids in shard order."""
    prosumers = (np.concatenate([log.prosumer_ids for log in logs]) if logs
                 else np.zeros(0, dtype=object))
    assets = {key: np.concatenate([np.zeros(0, dtype=object),
                                   *(log.asset_ids.get(key, ()) for log in logs)])
              for key in _ASSET_KEYS}
    return prosumers, assets


def merged_details(logs: list[EventLog]) -> tuple[dict[str, int], list[np.ndarray]]:
    """Detail codes of the merged log (first seen, in shard order) and each shard's recoding."""
    codes: dict[str, int] = {"": 0}
    recode = []
    for log in logs:
        recode.append(np.array([codes.setdefault(d, len(codes)) for d in log.detail_names()],
                               dtype=np.int32))
    return codes, recode


class _ShardRows:
    """One shard's rows in canonical order with the merged log's offsets, read by window."""

    def __init__(self, chunks, p_off: int, a_off: np.ndarray, id_off: int, recode: np.ndarray):
        self.chunks = deque(c for c in chunks if len(c["t_h"]))
        self.pos = 0              # rows of the first chunk already taken
        self.p_off, self.a_off, self.id_off, self.recode = p_off, a_off, id_off, recode

    def time_ahead(self, m: int) -> float:
        """Time of the m-th row not taken yet (m >= 1); inf if fewer rows are left."""
        k = self.pos + m - 1
        for chunk in self.chunks:
            n = len(chunk["t_h"])
            if k < n:
                return float(chunk["t_h"][k])
            k -= n
        return np.inf

    def take_through(self, edge: float) -> list[dict[str, np.ndarray]]:
        """The rows not taken yet at or before `edge`, offset; finished chunks are let go."""
        out = []
        while self.chunks:
            chunk = self.chunks[0]
            t = chunk["t_h"]
            stop = len(t) if edge == np.inf else int(np.searchsorted(t, edge, side="right"))
            if stop > self.pos:
                out.append(self._offset({c: v[self.pos:stop] for c, v in chunk.items()}))
            if stop < len(t):
                self.pos = stop
                break
            self.chunks.popleft()
            self.pos = 0
        return out

    def _offset(self, rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows["event_id"] = rows["event_id"] + self.id_off
        cause = rows["cause_id"]
        rows["cause_id"] = np.where(cause >= 0, cause + self.id_off, -1)
        p_idx = rows["prosumer_index"]
        rows["prosumer_index"] = np.where(p_idx >= 0, p_idx + self.p_off, -1)
        a_idx = rows["asset_index"]
        rows["asset_index"] = np.where(a_idx >= 0, a_idx + self.a_off[rows["asset_type"]], -1)
        rows["detail"] = self.recode[rows["detail"]]
        return rows


def _sources(logs: list[EventLog], consume: bool) -> list[_ShardRows]:
    _, recode = merged_details(logs)
    sources = []
    p_off, id_off = 0, 0
    a_off = np.zeros(len(ASSET_TYPES), dtype=np.int64)
    for log, codes in zip(logs, recode, strict=True):
        chunks = log.take_chunks() if consume else list(log.chunks())
        sources.append(_ShardRows(chunks, p_off, a_off.copy(), id_off, codes))
        p_off += len(log.prosumer_ids)
        for key in _ASSET_KEYS:
            a_off[ASSET_CODE[key]] += len(log.asset_ids.get(key, ()))
        id_off += log.next_event_id
    return sources


def merged_windows(logs: list[EventLog], window_rows: int = WINDOW_ROWS, consume: bool = False):
    """Yield the merged log of `logs` (shard order) as raw chunks in canonical order.

    Parameters
    ----------
    logs : list of EventLog
        The shards' logs; each in canonical order, none streamed to a sink.
    window_rows : int, optional
        Rows taken from each shard per window, at most (>= 1), unless rows share a time.
    consume : bool, optional
        Hand the logs' rows over and let them go as they are merged (the logs are
        left empty; keeps memory low).

    Yields
    ------
    dict of str -> ndarray
        Raw chunks (`desim.sim.logformat.RAW_COLUMNS`) with merged indices, ids and
        detail codes (`merged_details`); one after another they are the merged log.
    """
    if window_rows < 1:
        raise ValueError(f"window_rows: expected >= 1, got {window_rows}")
    sources = _sources(logs, consume)
    per = max(1, window_rows // max(1, len(sources)))
    while True:
        edge = min((s.time_ahead(per) for s in sources), default=np.inf)
        pieces = [p for s in sources for p in s.take_through(edge)]
        if not pieces:
            return
        if len(pieces) == 1:
            yield pieces[0]
        else:
            rows = {c: np.concatenate([p[c] for p in pieces]) for c in RAW_COLUMNS}
            order = _merge_order(rows)
            yield {c: np.take(v, order) for c, v in rows.items()}
        if edge == np.inf:
            return


def _merge_order(rows: dict[str, np.ndarray]) -> np.ndarray:
    """Stable order by (t_h, kind, prosumer, asset type, asset) of runs already in that order."""
    t_h, p_idx, a_idx = rows["t_h"], rows["prosumer_index"], rows["asset_index"]
    n = len(t_h)
    p_bits = int(p_idx.max() + 1).bit_length()
    a_bits = int(a_idx.max() + 1).bit_length()
    key = rows["kind"].astype(np.int64)
    key = (key << p_bits) | (p_idx + 1)
    key = (key << _TYPE_BITS) | rows["asset_type"]
    key = (key << a_bits) | (a_idx + 1)
    packed_bits = _KIND_BITS + p_bits + _TYPE_BITS + a_bits
    # a stable sort by time meets sorted runs (one per shard) and merges them
    by_time = np.argsort(t_h, kind="stable")
    t_sorted = t_h[by_time]
    rank = np.zeros(n, dtype=np.int64)
    np.cumsum(t_sorted[1:] != t_sorted[:-1], out=rank[1:])
    if int(rank[-1]).bit_length() + packed_bits <= 63 and not np.isnan(t_sorted[-1]):
        return by_time[np.argsort((rank << packed_bits) | key[by_time], kind="stable")]
    return np.lexsort((key, t_h))


def write_merged_log(logs: list[EventLog], path, start: pd.Timestamp, *,
                     window_rows: int = WINDOW_ROWS, consume: bool = False,
                     **sink_options) -> dict:
    """Write the merged log of `logs` to Parquet, one window at a time.

    The file holds the same rows, in the same order, with the same values as
    ``merge_logs(logs).to_arrow(start)`` (`desim.sim.shards.merge_logs`), without
    the merged log ever being held whole: windows are merged here and written
    by a `ParquetLogSink` on its own thread (temporary file, renamed when done).

    Parameters
    ----------
    logs : list of EventLog
        The shards' logs, in shard order.
    path : str or path-like
        The Parquet file.
    start : pandas.Timestamp
        Scenario start (``t_h = 0``).
    window_rows : int, optional
        See `merged_windows`.
    consume : bool, optional
        See `merged_windows`.
    **sink_options
        Passed to `ParquetLogSink` (``row_group_rows``, ``compression``, ``max_queued``, ...).

    Returns
    -------
    dict
        ``rows``, ``row_groups``, ``merge_s`` (seconds merging windows and turning
        them into Arrow record batches here),
        ``writer_busy_s`` and ``writer_cpu_s`` (the writer thread),
        ``put_wait_s`` and ``close_wait_s`` (seconds waiting for the writer), ``total_s``.
    """
    t0 = time.perf_counter()
    codes, _ = merged_details(logs)
    details = tuple(codes)
    holder = EventLog(*merged_log_ids(logs))
    sink_options.setdefault("max_queued", 2)
    layout = holder.layout()
    details_array = layout.details_array(details)
    merge_s = 0.0
    with ParquetLogSink(path, start, **sink_options) as sink:
        holder.stream_to(sink)
        windows = merged_windows(logs, window_rows, consume)
        while True:
            # merged and turned into Arrow here; the writer thread compresses and writes
            t = time.perf_counter()
            window = next(windows, None)
            batch = None if window is None else layout.batch(window, details_array, start)
            window = None
            merge_s += time.perf_counter() - t
            if batch is None:
                break
            sink.put(_Batch(batch, details))
    return {"rows": sink.rows, "row_groups": sink.row_groups, "merge_s": merge_s,
            "writer_busy_s": sink.busy_s, "writer_cpu_s": sink.busy_cpu_s,
            "put_wait_s": sink.put_wait_s, "close_wait_s": sink.close_wait_s,
            "total_s": time.perf_counter() - t0}


class _Batch:
    """A record batch of rows in canonical order, handed to a sink a slice at a time."""

    __slots__ = ("batch", "detail_names")

    def __init__(self, batch, detail_names: tuple[str, ...]):
        self.batch, self.detail_names = batch, detail_names

    def parts(self, max_rows: int):
        batch = self.batch
        for lo in range(0, batch.num_rows, max_rows):
            yield batch.slice(lo, max_rows)
        self.batch = None
