"""The event log: one tidy table, recorded in vectorized batches, finished day by day.

Rows are written into growable column buffers that hold each column's
"not given" value (one call per kind per boundary, never one per row). The
engine never records a row earlier than its current time, so at a boundary it
calls ``flush(t)``: every row earlier than ``t`` is final and leaves the
buffers as a *chunk* sorted in a canonical order (time, kind, prosumer, asset;
`desim.sim.logformat.canonical_order`), so the log does not depend on the
order in which the engine happened to find simultaneous events. Chunks are
kept (``to_arrow`` turns them into record batches and concatenates them) or
handed to a sink that writes them while the run goes on
(`desim.sim.logwriter.ParquetLogSink`). Each row has an ``event_id``
assigned when it was recorded; ``cause_id`` links a row to the row that
caused it (a setpoint to its dispatch event, a clip to its setpoint).
"""

from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa

from desim.sim.logformat import (
    ASSET_CODE,
    ASSET_TYPES,
    FLOATS,
    KIND_CODE,
    KINDS,
    LOG_COLUMNS,
    RAW_COLUMNS,
    SORT_COLUMNS,
    ArrowLayout,
    arrow_schema,
    canonical_order,
    finished_order,
    take_finished,
)
from desim.sim.logwriter import write_table

__all__ = ["EventLog", "KINDS", "ASSET_TYPES", "LOG_COLUMNS", "write_table"]

#: A kept chunk of at least this many rows is sorted on a worker thread while the run
#: goes on (numpy's sort and take release the GIL); smaller ones on the caller's.
BACKGROUND_MIN_ROWS = 10_000

# Defaults of `record`, compared by identity (an argument left out is not written).
_NO_INDEX = -1
_NAN = np.nan
_NO_IDS = np.zeros(0, dtype=np.int64)
_NO_IDS.flags.writeable = False
_MIN_ROWS = 1 << 12
# The columns `record_row` writes besides the time.
_ROW_COLUMNS = frozenset(FLOATS)


class EventLog:
    """Append-only event log held in column buffers and finished chunks.

    Parameters
    ----------
    prosumer_ids : array of str
        Ids by prosumer index.
    asset_ids : dict of str -> array of str
        Asset ids by asset index for each asset type ("ev", "bess", "pv").
    kinds : iterable of str, optional
        Kinds to keep (None: all).
    first_event_id : int, optional
        The event id of the first row (>= 0; a shard's id base, see
        `desim.sim.shardslice.SHARD_ID_BASE`).
    expected_rows : int, optional
        Rows the buffers are first sized for (they grow as needed): about what is
        pending between two flushes saves growing them during the run. From
        `BACKGROUND_MIN_ROWS` a second set is allocated with the first, for the
        rows that go on while a finished chunk is sorted from the first.
    """

    def __init__(self, prosumer_ids, asset_ids, kinds=None, first_event_id: int = 0,
                 expected_rows: int = 0):
        self._min_rows = max(_MIN_ROWS, int(expected_rows))
        self.prosumer_ids = np.asarray(prosumer_ids, dtype=object)
        self.asset_ids = {k: np.asarray(v, dtype=object) for k, v in asset_ids.items()}
        self.kinds = None if not kinds else {KIND_CODE[k] for k in kinds}
        self._details: dict[str, int] = {"": 0}
        self._next_id = int(first_event_id)
        self.n_rows = 0
        self._n = 0               # rows in the buffers
        self._cap = 0             # their capacity (0: no buffers yet)
        self._buf: dict[str, np.ndarray] = {}
        self._spares: list[dict[str, np.ndarray]] = []    # buffers handed back by a sink
        self._meta: list[tuple[int, int, int, int]] = []   # (kind, asset type, first id, n)
        self._n_meta = 0          # buffer rows before this have kind, type and id filled in
        self._n_checked = 0       # buffer rows before this were checked against the cut
        self._cut = -math.inf     # every row earlier than this has been flushed
        self._chunks: list[dict[str, np.ndarray] | Future] = []   # futures: being sorted
        self._worker: ThreadPoolExecutor | None = None
        self._sink = None
        self._layout: ArrowLayout | None = None
        if expected_rows:
            self._grow(self._min_rows)   # the buffers, allocated with the log
            if expected_rows >= BACKGROUND_MIN_ROWS:
                # and a second set: the buffers a chunk is sorted from on the worker
                # (or a sink's thread) are the log's again only once it is done
                self._spares.append(self._new_buffer(self._min_rows))

    def detail_code(self, text: str) -> int:
        """Integer code of a detail string (the detail column is dictionary-encoded)."""
        code = self._details.get(text)
        if code is None:
            code = self._details[text] = len(self._details)
        return code

    def detail_names(self) -> tuple[str, ...]:
        """Detail strings in code order."""
        return tuple(self._details)

    def record(self, kind, t_h, prosumer_index=_NO_INDEX, asset_type="", asset_index=_NO_INDEX,
               power_kw=_NAN, energy_kwh=_NAN, soc_percent=_NAN, required_soc_percent=_NAN,
               shortfall_kwh=_NAN, price_usd_per_mwh=_NAN, cause_id=_NO_INDEX, detail="",
               temperature_c=_NAN):
        """Record a batch of rows of one kind; every argument broadcasts against `t_h`.

        `kind` may also be a tuple of ``(kind, rows)`` pairs: the batch's rows are of
        those kinds in that order (rows summing to the batch's size; every one of
        those kinds kept, see `keeps`). Returns the ``event_id`` array of the new rows.
        """
        # Called some 250,000 times in a simulated year, a third of them with no
        # rows: only the columns given are written (the buffers hold every
        # column's default), without loops over the columns that were not.
        segments = None
        if kind.__class__ is tuple:
            segments, kind = kind, kind[0][0]
        code = KIND_CODE[kind]
        if isinstance(t_h, np.ndarray) and t_h.shape == (0,):
            return _NO_IDS
        given = [("t_h", t_h)]
        if prosumer_index is not _NO_INDEX:
            given.append(("prosumer_index", prosumer_index))
        if asset_index is not _NO_INDEX:
            given.append(("asset_index", asset_index))
        if power_kw is not _NAN:
            given.append(("power_kw", power_kw))
        if energy_kwh is not _NAN:
            given.append(("energy_kwh", energy_kwh))
        if soc_percent is not _NAN:
            given.append(("soc_percent", soc_percent))
        if required_soc_percent is not _NAN:
            given.append(("required_soc_percent", required_soc_percent))
        if shortfall_kwh is not _NAN:
            given.append(("shortfall_kwh", shortfall_kwh))
        if price_usd_per_mwh is not _NAN:
            given.append(("price_usd_per_mwh", price_usd_per_mwh))
        if cause_id is not _NO_INDEX:
            given.append(("cause_id", cause_id))
        if temperature_c is not _NAN:
            given.append(("temperature_c", temperature_c))
        n = 1
        for _, a in given:
            if isinstance(a, np.ndarray) and a.ndim:
                m = a.shape[0]
                if a.ndim != 1 or (n != 1 and m != n and m != 1):
                    raise RuntimeError(f"log.record({kind!r}): shapes do not broadcast")
                if m == 0:
                    n = 0
                    break
                if n == 1:
                    n = m
        if n == 1 and detail.__class__ is not str:
            n = len(detail)
        first = self._next_id
        seg_meta = (None if segments is None
                    else self._segment_meta(segments, ASSET_CODE[asset_type], first, n))
        self._next_id = stop = first + n
        ids = np.arange(first, stop)
        if n == 0 or (self.kinds is not None and code not in self.kinds):
            return ids
        pos = self._n
        end = pos + n
        if end > self._cap:
            self._grow(end)
        buf = self._buf
        if n == 1:
            # one row (the fleet's interval rows, market rows): item assignment
            for name, value in given:
                buf[name][pos] = value[0] if isinstance(value, np.ndarray) and value.ndim \
                    else value
        else:
            for name, value in given:
                buf[name][pos:end] = value
        if detail.__class__ is str:
            if detail:
                buf["detail"][pos:end] = self.detail_code(detail)
        elif isinstance(detail, np.ndarray) and detail.dtype.kind in "iu":
            buf["detail"][pos:end] = detail             # codes from `detail_code`
        else:
            buf["detail"][pos:end] = [self.detail_code(d) for d in detail]
        if seg_meta is None:
            self._meta.append((code, ASSET_CODE[asset_type], first, n))
        else:
            self._meta.extend(seg_meta)
        self._n = end
        self.n_rows += n
        return ids

    def record_row(self, kind: str, t_h: float, asset_type: str = "", **values: float) -> int:
        """Record one row of scalar float columns (`values`, by column name): what
        ``record(kind, t_h, asset_type=asset_type, **values)`` records, without its
        broadcasting. Returns the row's ``event_id``.

        Hot path: the fleet's row of every interval (35,040 a simulated year).
        """
        code = KIND_CODE[kind]
        for name in values:
            if name not in _ROW_COLUMNS:
                raise TypeError(f"log.record_row({kind!r}): {name!r} is not a float column "
                                f"(expected one of {sorted(_ROW_COLUMNS)})")
        first = self._next_id
        self._next_id = first + 1
        if self.kinds is not None and code not in self.kinds:
            return first
        buf = self._buf
        pos = self._n
        if pos >= self._cap:
            self._grow(pos + 1)
            buf = self._buf
        buf["t_h"][pos] = t_h
        for name, value in values.items():
            buf[name][pos] = value
        self._meta.append((code, ASSET_CODE[asset_type], first, 1))
        self._n = pos + 1
        self.n_rows += 1
        return first

    def record_rows(self, kind_code, asset_code, columns: dict) -> None:
        """Record rows of several kinds and asset types at once, in the given order:
        what one ``record`` or ``record_row`` call per row would record (the same
        event ids, rows of kinds not kept dropped). `kind_code` and `asset_code` are
        per-row `KIND_CODE` / `ASSET_CODE` values; `columns` maps column names to
        per-row arrays holding each column's default (`RAW_COLUMNS`) where a row has
        no value. Used for the rows of a stretch of quiet intervals
        (`desim.sim.walk`)."""
        n = len(kind_code)
        if not n:
            return
        first = self._next_id
        self._next_id = first + n
        ids = np.arange(first, first + n)
        if self.kinds is not None:
            keep = np.isin(kind_code, np.fromiter(self.kinds, dtype=np.int64))
            if not keep.all():
                sel = np.flatnonzero(keep)
                kind_code, asset_code, ids = kind_code[sel], asset_code[sel], ids[sel]
                columns = {name: v[sel] for name, v in columns.items()}
                n = len(sel)
                if not n:
                    return
        pos = self._n
        end = pos + n
        if end > self._cap:
            self._grow(end)
        buf = self._buf
        for name, value in columns.items():
            buf[name][pos:end] = value
        # runs of one kind and asset type with consecutive ids: one meta entry each
        cut = np.flatnonzero((np.diff(kind_code) != 0) | (np.diff(asset_code) != 0)
                             | (np.diff(ids) != 1)) + 1
        starts = np.concatenate(([0], cut))
        counts = np.diff(np.concatenate((starts, [n])))
        self._meta.extend(zip(kind_code[starts].tolist(), asset_code[starts].tolist(),
                              ids[starts].tolist(), counts.tolist(), strict=True))
        self._n = end
        self.n_rows += n

    def keeps(self, kind: str) -> bool:
        """Whether rows of `kind` are kept (the log's `kinds`)."""
        return self.kinds is None or KIND_CODE[kind] in self.kinds

    def _segment_meta(self, segments, asset_code: int, first: int, n: int) -> list:
        """The meta entries of a batch of several kinds (checked before anything is
        written)."""
        out, start = [], first
        for name, rows in segments:
            if not self.keeps(name):
                raise RuntimeError(f"log.record: rows of {name!r} are not kept; record them "
                                   "on their own")
            if rows:
                out.append((KIND_CODE[name], asset_code, start, int(rows)))
                start += int(rows)
        if start - first != n:
            raise RuntimeError(f"log.record: kind segments hold {start - first} rows, the "
                               f"batch {n}")
        return out

    def _grow(self, need: int) -> None:
        cap = max(need, self._cap + self._cap // 2, self._min_rows)
        if not self._buf:
            self._buf = self._new_buffer(cap)
        else:
            # In place: realloc moves a large buffer without copying it, so growing
            # touches only the new rows (fresh memory is what growing costs). The
            # buffers are private and no view of them outlives a call.
            for name, v in self._buf.items():
                old = len(v)
                v.resize(cap, refcheck=False)
                v[old:] = RAW_COLUMNS[name][1]
        self._cap = len(self._buf["t_h"])

    def _new_buffer(self, rows: int) -> dict[str, np.ndarray]:
        """Column buffers of at least `rows` rows holding the "not given" values."""
        while self._spares:
            buf = self._spares.pop()
            if len(buf["t_h"]) >= rows:
                return buf
        return {name: np.full(rows, default, dtype=dtype)
                for name, (dtype, default) in RAW_COLUMNS.items()}

    def _fill_meta(self) -> None:
        """Write kind, asset type and event id of the rows recorded since the last call."""
        if not self._meta:
            return
        meta = np.array(self._meta, dtype=np.int64)
        self._meta = []
        counts = meta[:, 3]
        lo, hi = self._n_meta, self._n
        buf = self._buf
        buf["kind"][lo:hi] = np.repeat(meta[:, 0], counts)
        buf["asset_type"][lo:hi] = np.repeat(meta[:, 1], counts)
        starts = lo + np.cumsum(counts) - counts
        buf["event_id"][lo:hi] = np.repeat(meta[:, 2] - starts, counts) + np.arange(lo, hi)
        self._n_meta = hi

    def flush(self, before_t_h: float) -> int:
        """Finish every row earlier than `before_t_h` (hours since start).

        The finished rows leave the buffers as one chunk in canonical order,
        kept or handed to the sink (`stream_to`); a kept chunk of at least
        `BACKGROUND_MIN_ROWS` rows is sorted on a worker thread meanwhile, and
        reading the log (or `wait`) waits for it. Rows at or after `before_t_h`
        stay pending. The caller promises to record no row earlier than
        `before_t_h` afterwards.

        Returns
        -------
        int
            Number of rows finished.

        Raises
        ------
        RuntimeError
            If `before_t_h` is earlier than a previous flush, or a row recorded
            since the previous flush is earlier than it (or has no time).
        """
        before = float(before_t_h)
        if not before >= self._cut:
            raise RuntimeError(f"log.flush({before}): earlier than the previous flush "
                               f"({self._cut})")
        self._fill_meta()
        n, buf = self._n, self._buf
        if n == 0:
            self._cut = before
            return 0
        t = buf["t_h"][:n]
        unchecked = t[self._n_checked:]
        if unchecked.size and not unchecked.min() >= self._cut:
            bad = unchecked[~(unchecked >= self._cut)][0]
            raise RuntimeError(f"event log: a row at t_h={bad} was recorded after the log was "
                               f"flushed up to t_h={self._cut}")
        final = t < before
        k = int(np.count_nonzero(final))
        if k == 0:
            self._n_checked = n
            self._cut = before
            return 0
        pend = np.flatnonzero(~final) if k < n else None
        n_pend = 0 if pend is None else len(pend)
        last = before == math.inf
        if self._sink is None and n < BACKGROUND_MIN_ROWS:
            self._chunks.append(take_finished(buf, n, before))
            if last:
                self._buf, self._cap = {}, 0        # the last chunk: let the buffers go
            for name, v in self._buf.items():
                if n_pend:
                    v[:n_pend] = v[pend]
                v[n_pend:n] = RAW_COLUMNS[name][1]
        elif self._sink is None:
            # A large kept chunk: sorted and taken on the worker (as a sink's thread
            # does), which then hands the buffers back; the pending rows move on.
            self._move_pending(buf, pend, n_pend)
            if self._worker is None:
                self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="desim-log")
            self._chunks.append(self._worker.submit(
                _Handoff(buf, n, before, (), None if last else self._spares).chunk))
        else:
            # The buffers go to the sink whole (it sorts and takes the finished rows
            # on its own thread, then hands them back); the pending rows move on.
            self._move_pending(buf, pend, n_pend)
            spares = None if last else self._spares   # the last chunk: let go
            self._sink.put(_Handoff(buf, n, before, self.detail_names(), spares))
        self._n = self._n_meta = self._n_checked = n_pend
        self._cut = before
        return k

    def _move_pending(self, buf, pend, n_pend: int) -> None:
        """The pending rows of `buf` (handed away whole) into buffers of their own."""
        if n_pend:
            fresh = self._new_buffer(max(self._cap, self._min_rows))
            for name, v in buf.items():
                fresh[name][:n_pend] = v[pend]
            self._buf, self._cap = fresh, len(fresh["t_h"])
        else:
            self._buf, self._cap = {}, 0

    def __getstate__(self) -> dict:
        # a copy (another process, a shard's result) takes sorted chunks, not the worker
        self._kept()
        return {**self.__dict__, "_worker": None}

    def wait(self) -> None:
        """Wait until every kept chunk is sorted (the end of a run: its log is done)."""
        self._kept()

    def _kept(self) -> list[dict[str, np.ndarray]]:
        """The kept chunks, waiting for those being sorted (a worker's error is raised
        here); the worker stops once none is left."""
        chunks = self._chunks
        for i, chunk in enumerate(chunks):
            if isinstance(chunk, Future):
                chunks[i] = chunk.result()
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None
        return chunks

    def layout(self) -> ArrowLayout:
        """The Arrow dictionaries of this log (built once)."""
        if self._layout is None:
            self._layout = ArrowLayout(self.prosumer_ids, self.asset_ids)
        return self._layout

    def stream_to(self, sink) -> None:
        """Hand every chunk finished from now on to `sink` (chunks kept so far first).

        `sink` has ``attach(log)`` and ``put(item)``, e.g.
        `desim.sim.logwriter.ParquetLogSink`; each item has ``parts(max_rows)``
        (raw chunks in canonical order, for the sink's thread) and ``detail_names``. `to_arrow` is not
        available afterwards.
        """
        if self._sink is not None:
            raise RuntimeError("the event log already streams to a sink")
        sink.attach(self)
        self._sink = sink
        kept, self._chunks = self._kept(), []
        for chunk in kept:
            sink.put(_Handoff(chunk, len(chunk["t_h"]), math.inf, self.detail_names(), None))

    def chunks(self):
        """Yield the rows as raw chunks in canonical order: finished, then pending.

        The pending rows are sorted into a chunk of their own and stay pending.
        """
        if self._sink is not None:
            raise RuntimeError("the event log was streamed to a sink; read the written file")
        self._fill_meta()
        yield from self._kept()
        n = self._n
        if n:
            order = canonical_order({c: self._buf[c][:n] for c in SORT_COLUMNS})
            yield {c: np.take(v, order) for c, v in self._buf.items()}

    def take_chunks(self) -> list[dict[str, np.ndarray]]:
        """Hand over every row as raw chunks in canonical order (as `chunks`), leaving
        the log empty: the chunks are the caller's, and this log no longer holds them."""
        taken = list(self.chunks())
        self._chunks, self._buf, self._cap, self._spares = [], {}, 0, []
        self._n = self._n_meta = self._n_checked = 0
        self.n_rows = 0
        return taken

    def add_finished(self, chunk: dict[str, np.ndarray]) -> None:
        """Keep a raw chunk already in canonical order as finished rows.

        Its rows come after every row of this log (none pending) and use this
        log's event ids and detail codes; for building a log out of other logs
        (`desim.sim.shards.merge_logs`).
        """
        if self._n or self._sink is not None:
            raise RuntimeError("log.add_finished: the log has pending rows or streams to a sink")
        n = len(chunk["t_h"])
        if n == 0:
            return
        t0 = float(chunk["t_h"][0])
        if not t0 >= self._cut:
            raise RuntimeError(f"log.add_finished: a row at t_h={t0} comes before rows "
                               f"already finished (up to t_h={self._cut})")
        self._chunks.append(chunk)
        self._cut = float(chunk["t_h"][-1])
        self.n_rows += n

    @property
    def next_event_id(self) -> int:
        """The event id the next recorded row gets (ids handed out so far)."""
        return self._next_id

    def to_arrow(self, start: pd.Timestamp) -> pa.Table:
        """The log as a pyarrow table in canonical order (see module docstring)."""
        layout = self.layout()
        details = layout.details_array(self.detail_names())
        batches = [layout.batch(c, details, start) for c in self.chunks()]
        tz = str(start.tz) if start.tz is not None else None
        return pa.Table.from_batches(batches, schema=arrow_schema(tz))

    def to_pandas(self, start: pd.Timestamp) -> pd.DataFrame:
        """The log as a DataFrame (categorical string columns)."""
        return self.to_arrow(start).to_pandas()

    def add_rows(self, chunk: dict[str, np.ndarray]) -> None:
        """Append raw rows (`RAW_COLUMNS`, event ids and detail codes of this log) as pending.

        For building a log out of other logs (`desim.sim.shards.merge_logs`).
        """
        self._fill_meta()
        n = len(chunk["t_h"])
        if n == 0:
            return
        end = self._n + n
        if end > self._cap:
            self._grow(end)
        for name, v in chunk.items():
            self._buf[name][self._n:end] = v
        self._n = self._n_meta = end
        self.n_rows += n


class _Handoff:
    """Finished rows handed to a sink or a kept log's worker: the rows of `buf` earlier
    than `before`.

    `parts` runs on the sink's thread: it yields those rows in canonical order,
    in raw chunks of at most `max_rows` rows (a large chunk is taken a slice at
    a time, so its copies stay small), then refills the buffers with "not
    given" values and hands them back to the log through `spares` (None: the
    buffers are not the log's, or no longer needed).
    """

    __slots__ = ("buf", "n", "before", "detail_names", "spares")

    def __init__(self, buf, n, before, detail_names, spares):
        self.buf, self.n, self.before = buf, n, before
        self.detail_names, self.spares = detail_names, spares

    def parts(self, max_rows: int):
        buf = self.buf
        order = finished_order(buf, self.n, self.before)
        for lo in range(0, len(order), max_rows):
            take = order[lo:lo + max_rows]
            yield {c: np.take(v, take) for c, v in buf.items()}
        self._release()

    def chunk(self) -> dict[str, np.ndarray]:
        """The rows in canonical order as one raw chunk (a kept log's worker)."""
        chunk = take_finished(self.buf, self.n, self.before)
        self._release()
        return chunk

    def _release(self) -> None:
        buf = self.buf
        if self.spares is not None:
            for name, v in buf.items():
                v[:self.n] = RAW_COLUMNS[name][1]
            self.spares.append(buf)
        self.buf = None
