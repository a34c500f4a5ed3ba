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

__all__ = ["check_output_dir", "write_run", "to_jsonable"]

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
