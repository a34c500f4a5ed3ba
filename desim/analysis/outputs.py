"""Writing a run's outputs: all into a temporary directory, renamed when complete.

An interrupted or failed run never leaves a half-written output directory,
and an existing run directory is replaced only when the caller says so.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa

from desim._io import atomic_directory
from desim._io import check_output_dir as _check_output_dir
from desim.sim.log import write_table

__all__ = ["check_output_dir", "write_run", "to_jsonable", "read_event_log", "event_log_path"]

_EXT = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}


def check_output_dir(out_dir, overwrite: bool, protect=()) -> Path:
    """Refuse an output directory that may not be written (see `desim._io.check_output_dir`)."""
    return _check_output_dir(out_dir, overwrite, protect=protect)


def to_jsonable(value):
    """Plain JSON types (NaN and inf become null)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_run(out_dir, run, summary: dict, formats=("parquet",), overwrite: bool = False,
              extra_files: dict | None = None, protect=()) -> Path:
    """Write events, summary, series, per-prosumer totals and settlements atomically.

    `extra_files` maps file names to text written beside them (e.g. resolved
    prosumers); `protect` as for `check_output_dir`.
    """
    out = check_output_dir(out_dir, overwrite, protect)
    def write(tmp: Path) -> None:
        res = run.result
        table = res.log.to_arrow(res.start)
        for fmt in formats:
            write_table(table, tmp / f"events.{_EXT[fmt]}", fmt)
        write_table(pa.Table.from_pandas(res.series, preserve_index=False),
                    tmp / "series.parquet")
        write_table(pa.Table.from_pandas(res.totals, preserve_index=False),
                    tmp / "prosumers.parquet")
        res.settlements.to_csv(tmp / "settlements.csv", index=False)
        if run.counterfactual is not None:
            write_table(pa.Table.from_pandas(run.counterfactual.series, preserve_index=False),
                        tmp / "counterfactual_series.parquet")
        (tmp / "summary.json").write_text(json.dumps(to_jsonable(summary), indent=2) + "\n")
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text)

    return atomic_directory(out, write, "outputs")


def event_log_path(run_dir) -> Path | None:
    """The Parquet event log of a run directory: the partitioned ``events/`` of a
    sharded run, else ``events.parquet``; None if there is neither."""
    root = Path(run_dir)
    for path in (root / "events", root / "events.parquet"):
        if path.is_dir() if path.suffix == "" else path.is_file():
            return path
    return None


def read_event_log(path, columns=None, kinds=None):
    """Read a Parquet event log as one DataFrame: a file, or a sharded run's ``events/``.

    Parameters
    ----------
    path : path
        ``events.parquet``, a partitioned ``events/`` folder, or a run directory
        holding one of them.
    columns : list of str, optional
        Columns to read (default: all; a partitioned log adds ``shard``).
    kinds : iterable of str, optional
        Read only rows of these kinds.

    Raises
    ------
    OutputError
        If there is no such log or it cannot be read.
    """
    import pandas as pd
    import pyarrow.dataset as ds

    from desim.errors import OutputError

    path = Path(path)
    if path.is_dir() and path.name != "events":
        found = event_log_path(path)
        if found is None:
            raise OutputError(f"{path}: expected a run directory with events.parquet or "
                              "events/, got neither")
        path = found
    try:
        data = ds.dataset(path, format="parquet",
                          partitioning="hive" if path.is_dir() else None)
        table = data.to_table(columns=columns, filter=None if kinds is None else
                              ds.field("kind").isin(list(kinds)))
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise OutputError(f"{path}: could not read the event log ({exc})") from exc
    frame = table.to_pandas()
    return frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
