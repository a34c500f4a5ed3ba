"""Streaming the event log to Parquet while the run goes on.

`ParquetLogSink` receives the chunks an `EventLog` finishes at each flush and
writes them from a background thread: the thread sorts each chunk into the
canonical order, turns it into an Arrow record batch and, once about
`row_group_rows` rows have gathered, writes them as one Parquet row group.
Sorting, Arrow and Parquet release the GIL for their heavy parts, so this
work runs on a second core beside the engine. The file is written to a
temporary name beside the target and renamed into place by `close` only when
everything was written; an error (in the thread or in the run) or an
interrupt removes the temporary file, so no half-written log is ever left.

Use it as a context manager around the run::

    with ParquetLogSink(path, inputs.start) as sink:
        engine.log.stream_to(sink)
        engine.run()

`write_table` writes a whole table (a kept log, or any other) atomically as
Parquet, CSV or JSON Lines.
"""

from __future__ import annotations

import math
import os
import queue
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from desim._io import atomic_write, file_mode
from desim.errors import OutputError
from desim.sim.logformat import PARQUET_DICTIONARY, arrow_schema, with_details

__all__ = ["ParquetLogSink", "write_table"]

_END = object()
# Dictionary-encode the id columns when a row group has this many rows per id or more.
_IDS_PER_ROW_GROUP = 16
_POLL_S = 0.1


class ParquetLogSink:
    """Writes an event log's chunks to a Parquet file from a background thread.

    Parameters
    ----------
    path : str or path-like
        The Parquet file to write (replaced only when the write completes).
    start : pandas.Timestamp
        Scenario start (``t_h = 0``), for the timestamp column.
    row_group_rows : int, optional
        Rows gathered before a row group is written (>= 1); row groups hold
        between this and twice this many rows (the last one fewer).
    compression : str, optional
        Parquet codec.
    compression_level : int, optional
        Codec level (None: the codec's default).
    use_dictionary : sequence of str or bool, optional
        Columns written with Parquet dictionary encoding. The default is the
        columns with few values, plus ``prosumer_id`` and ``asset_id`` when the
        fleet's ids are few against a row group (each row group carries the
        whole id dictionary: smaller and faster for 10,000 homes, much larger
        and slower for 1,000,000).
    write_statistics : sequence of str or bool, optional
        Columns with min/max statistics per row group (default: time and
        event id, what readers filter on; the value columns' statistics cost
        about a tenth of the write time and serve no filter).
    max_queued : int, optional
        Chunks waiting for the thread before `put` blocks (bounds memory).

    Attributes
    ----------
    rows, row_groups : int
        Rows and row groups written so far.
    busy_s, busy_cpu_s : float
        Wall and CPU seconds the background thread spent sorting, converting and writing.
    put_wait_s : float
        Seconds the caller's thread waited in `put` for room in the queue.
    close_wait_s : float
        Seconds the caller's thread waited in `close` for the writer to finish.
    """

    def __init__(self, path, start: pd.Timestamp, *, row_group_rows: int = 1 << 19,
                 compression: str = "zstd", compression_level: int | None = None,
                 use_dictionary=None, write_statistics=("t_h", "timestamp", "event_id"),
                 max_queued: int = 8):
        self.path = Path(path)
        if self.path.is_dir():
            raise OutputError(f"{self.path}: expected a file path, got an existing directory")
        if row_group_rows < 1:
            raise ValueError(f"row_group_rows: expected >= 1, got {row_group_rows}")
        self.start = start
        self.row_group_rows = int(row_group_rows)
        self._options = {"compression": compression, "compression_level": compression_level,
                         "use_dictionary": _option(use_dictionary),
                         "write_statistics": _option(write_statistics)}
        self._queue: queue.Queue = queue.Queue(maxsize=max_queued)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._writer: pq.ParquetWriter | None = None
        self._tmp: str | None = None
        self._log = None
        self._layout = None
        self._error: BaseException | None = None
        self._state = "new"
        self.rows = 0
        self.row_groups = 0
        self.busy_s = 0.0
        self.busy_cpu_s = 0.0
        self.put_wait_s = 0.0
        self.close_wait_s = 0.0

    # -- the caller's side --------------------------------------------------------------
    def attach(self, log) -> None:
        """Bind to `log` (called by `EventLog.stream_to`): open the file, start the thread."""
        if self._state != "new":
            raise RuntimeError(f"log sink for {self.path}: already {self._state}")
        self._log = log
        self._layout = layout = log.layout()
        if self._options["use_dictionary"] is None:
            few_ids = max(layout.n_prosumers, layout.n_assets) * _IDS_PER_ROW_GROUP
            self._options["use_dictionary"] = list(PARQUET_DICTIONARY) + (
                ["prosumer_id", "asset_id"] if few_ids <= self.row_group_rows else [])
        tz = str(self.start.tz) if self.start.tz is not None else None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                             dir=self.path.parent)
            os.close(fd)
            self._writer = pq.ParquetWriter(self._tmp, arrow_schema(tz), **self._options)
        except OSError as exc:
            self._remove_tmp()
            raise OutputError(f"{self.path}: could not write the event log "
                              f"({exc.strerror or exc})") from exc
        self._state = "open"
        self._thread = threading.Thread(target=self._run, name="desim-log-writer", daemon=True)
        self._thread.start()

    def put(self, item) -> None:
        """Queue finished rows (waits while the queue is full).

        `item` has ``parts(max_rows)`` (raw chunks in canonical order, at most
        `max_rows` rows each; called on the writer's thread) and ``detail_names``
        (detail strings in code order). A part may also be a record batch of the
        log schema already built (`desim.sim.logformat.ArrowLayout.batch` of the
        attached log's layout), which is written as it is.
        """
        if self._state != "open":
            raise RuntimeError(f"log sink for {self.path}: not open ({self._state})")
        t0 = time.perf_counter()
        try:
            while True:
                self._raise_thread_error()
                try:
                    self._queue.put(item, timeout=_POLL_S)
                    return
                except queue.Full:
                    continue
        finally:
            self.put_wait_s += time.perf_counter() - t0

    def close(self) -> Path:
        """Flush the log's last rows, wait for the writer, rename the file into place.

        Raises
        ------
        OutputError
            If the file could not be written (nothing is left behind then).
        """
        if self._state != "open":
            self.abort()
            raise RuntimeError(f"log sink for {self.path}: nothing streams to it "
                               f"({self._state}; see EventLog.stream_to)")
        try:
            self._log.flush(math.inf)
            self.put_end()
            t0 = time.perf_counter()
            self._thread.join()
            self.close_wait_s += time.perf_counter() - t0
            self._raise_thread_error()
            os.chmod(self._tmp, file_mode())
            os.replace(self._tmp, self.path)
        except BaseException as exc:
            self.abort()
            if isinstance(exc, OSError):
                raise OutputError(f"{self.path}: could not write the event log "
                                  f"({exc.strerror or exc})") from exc
            raise
        self._state = "closed"
        return self.path

    def put_end(self) -> None:
        """Tell the thread no more chunks follow (`close` does this)."""
        while self._thread.is_alive():
            try:
                self._queue.put(_END, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def abort(self) -> None:
        """Stop the thread and remove the temporary file (nothing is written)."""
        if self._state in ("aborted", "closed"):
            return
        self._state = "aborted"
        self._stop.set()
        if self._thread is not None:
            try:
                self._queue.put_nowait(_END)
            except queue.Full:
                pass
            self._thread.join()
        self._remove_tmp()

    def __enter__(self) -> ParquetLogSink:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False

    def _raise_thread_error(self) -> None:
        err = self._error
        if err is None:
            return
        if isinstance(err, OSError):
            raise OutputError(f"{self.path}: could not write the event log "
                              f"({err.strerror or err})") from err
        raise RuntimeError(f"log sink for {self.path}: the writer failed") from err

    def _remove_tmp(self) -> None:
        if self._tmp is not None and os.path.exists(self._tmp):
            os.unlink(self._tmp)

    # -- the background thread ----------------------------------------------------------
    def _run(self) -> None:
        group: list[pa.RecordBatch] = []
        n_group = 0
        layout = self._layout
        cpu0 = time.thread_time()
        try:
            while not self._stop.is_set():
                item = self._queue.get()
                if item is _END or self._stop.is_set():
                    break
                t0 = time.perf_counter()
                details = layout.details_array(item.detail_names)
                for part in item.parts(self.row_group_rows):
                    if self._stop.is_set():
                        break
                    if not isinstance(part, pa.RecordBatch):
                        part = layout.batch(part, details, self.start)
                    group.append(part)
                    n_group += part.num_rows
                    if n_group >= self.row_group_rows:
                        self._write(group)
                        group, n_group = [], 0
                self.busy_s += time.perf_counter() - t0
            if not self._stop.is_set():
                t0 = time.perf_counter()
                if group:
                    self._write(group)
                self._writer.close()
                self.busy_s += time.perf_counter() - t0
        except BaseException as exc:      # handed to the caller's thread
            self._error = exc
        finally:
            self.busy_cpu_s = time.thread_time() - cpu0
            if self._error is not None or self._stop.is_set():
                try:
                    self._writer.close()
                except Exception:  # noqa: BLE001 - the first error is the one to report
                    pass

    def _write(self, group: list[pa.RecordBatch]) -> None:
        # one detail dictionary per row group: the longest, which extends the others
        details = max((b.column("detail").dictionary for b in group), key=len)
        table = pa.Table.from_batches([with_details(b, details) for b in group])
        self._writer.write_table(table, row_group_size=table.num_rows)
        self.rows += table.num_rows
        self.row_groups += 1


def _option(value):
    """A pyarrow column option: None and bools as they are, column names as a list."""
    return value if value is None or isinstance(value, bool) else list(value)


def _utc_text(table: pa.Table) -> pa.Table:
    """Timestamp columns as ISO 8601 text in UTC (``2026-11-01T08:30:00.000000000Z``).

    Local times with offsets would change offset across a daylight-saving change, which
    `pandas.to_datetime` refuses to parse as one column ("Mixed timezones"); UTC text
    parses as one tz-aware column (convert with ``.dt.tz_convert(zone)``).
    """
    import pyarrow.compute as pc

    columns = []
    for column, f in zip(table.columns, table.schema, strict=True):
        if pa.types.is_timestamp(f.type):
            utc = column.cast(pa.timestamp(f.type.unit, tz="UTC"))
            column = pc.strftime(utc, format="%Y-%m-%dT%H:%M:%SZ")
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def write_table(table: pa.Table, path: str | os.PathLike, fmt: str = "parquet") -> Path:
    """Write a table atomically: to a temporary file beside `path`, then rename.

    In CSV and JSON Lines, timestamps are ISO 8601 text in UTC (see `_utc_text`).

    Raises
    ------
    OutputError
        If `fmt` is unknown or the file cannot be written.
    """
    if fmt not in ("parquet", "csv", "jsonl"):
        raise OutputError(f"output.formats: expected parquet, csv or jsonl, got {fmt!r}")

    def write(tmp: str) -> None:
        if fmt == "parquet":
            import pyarrow.parquet as pq
            pq.write_table(table, tmp, compression="zstd",
                           use_dictionary=list(PARQUET_DICTIONARY))
        elif fmt == "csv":
            import pyarrow.csv as pcsv
            plain = table.cast(pa.schema([
                pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f
                for f in table.schema]))
            pcsv.write_csv(_utc_text(plain), tmp)
        else:
            df = _utc_text(table).to_pandas()
            for col in df.columns:
                if isinstance(df[col].dtype, pd.CategoricalDtype):
                    df[col] = df[col].astype(str)
            df.to_json(tmp, orient="records", lines=True, double_precision=15)

    return atomic_write(path, write, f"the {fmt} table")
