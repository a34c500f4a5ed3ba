"""The event log: one tidy table, recorded in vectorized batches.

Rows are appended as numpy batches (one call per kind per boundary, never one
per row) and turned into a pyarrow table at the end, sorted in a canonical
order (time, kind, prosumer, asset) so the log does not depend on the order in
which the engine happened to find simultaneous events. Each row has an
``event_id`` assigned when it was recorded; ``cause_id`` links a row to the
row that caused it (a setpoint to its dispatch event, a clip to its setpoint).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from desim._io import atomic_write
from desim.errors import OutputError

__all__ = ["EventLog", "KINDS", "ASSET_TYPES", "LOG_COLUMNS", "write_table"]

# Canonical order of kinds at the same instant: state changes of assets first
# (in the order a one-process-per-asset simulation would produce them), then
# market signals, then the setpoints they cause.
KINDS = (
    "ev_target_reached", "ev_v2g_floor", "bess_full", "bess_empty", "ev_departure", "ev_arrival",
    "ev_plugged_in", "dispatch_end", "settlement", "price_update", "dispatch_start",
    "offer", "award", "setpoint", "clip", "site_limit_exceeded", "interval",
)
_KIND_CODE = {k: i for i, k in enumerate(KINDS)}
ASSET_TYPES = ("", "ev", "bess", "pv", "home", "fleet", "market")
_ASSET_CODE = {k: i for i, k in enumerate(ASSET_TYPES)}
_FLOATS = ("power_kw", "energy_kwh", "soc_percent", "required_soc_percent", "shortfall_kwh",
           "price_usd_per_mwh")
LOG_COLUMNS = ("event_id", "t_h", "timestamp", "kind", "prosumer_id", "asset_id", "asset_type",
               *_FLOATS, "cause_id", "detail")


class EventLog:
    """Append-only event log held as numpy batches.

    Parameters
    ----------
    prosumer_ids : array of str
        Ids by prosumer index.
    asset_ids : dict of str -> array of str
        Asset ids by asset index for each asset type ("ev", "bess", "pv").
    kinds : iterable of str, optional
        Kinds to keep (None: all).
    """

    def __init__(self, prosumer_ids, asset_ids, kinds=None):
        self.prosumer_ids = np.asarray(prosumer_ids, dtype=object)
        self.asset_ids = {k: np.asarray(v, dtype=object) for k, v in asset_ids.items()}
        self.kinds = None if not kinds else {_KIND_CODE[k] for k in kinds}
        self._batches: list[dict[str, np.ndarray]] = []
        self._details: dict[str, int] = {"": 0}
        self._next_id = 0
        self.n_rows = 0

    def detail_code(self, text: str) -> int:
        """Integer code of a detail string (the detail column is dictionary-encoded)."""
        code = self._details.get(text)
        if code is None:
            code = self._details[text] = len(self._details)
        return code

    def record(self, kind, t_h, prosumer_index=-1, asset_type="", asset_index=-1, power_kw=np.nan,
               energy_kwh=np.nan, soc_percent=np.nan, required_soc_percent=np.nan,
               shortfall_kwh=np.nan, price_usd_per_mwh=np.nan, cause_id=-1, detail=""):
        """Record a batch of rows of one kind; every argument broadcasts against `t_h`.

        Returns the ``event_id`` array of the new rows (empty if the kind is not kept).
        """
        args = (t_h, prosumer_index, asset_index, power_kw, energy_kwh, soc_percent,
                required_soc_percent, shortfall_kwh, price_usd_per_mwh, cause_id)
        n = np.broadcast_shapes(*(np.shape(a) for a in args), (1,))[0]
        t_h = np.broadcast_to(np.asarray(t_h, dtype=np.float64), (n,))
        code = _KIND_CODE[kind]
        ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        self._next_id += n
        if n == 0 or (self.kinds is not None and code not in self.kinds):
            return ids

        def full(value, dtype):
            return np.broadcast_to(np.asarray(value, dtype=dtype), (n,))

        if isinstance(detail, str):
            detail_codes = full(self.detail_code(detail), np.int32)
        else:
            detail_codes = np.asarray([self.detail_code(d) for d in detail], dtype=np.int32)
        batch = {
            "event_id": ids, "t_h": t_h, "kind": full(code, np.int16),
            "prosumer_index": full(prosumer_index, np.int64),
            "asset_type": full(_ASSET_CODE[asset_type], np.int8),
            "asset_index": full(asset_index, np.int64),
            "power_kw": full(power_kw, np.float64), "energy_kwh": full(energy_kwh, np.float64),
            "soc_percent": full(soc_percent, np.float64),
            "required_soc_percent": full(required_soc_percent, np.float64),
            "shortfall_kwh": full(shortfall_kwh, np.float64),
            "price_usd_per_mwh": full(price_usd_per_mwh, np.float64),
            "cause_id": full(cause_id, np.int64), "detail": detail_codes,
        }
        self._batches.append(batch)
        self.n_rows += n
        return ids

    def _columns(self) -> dict[str, np.ndarray]:
        if not self._batches:
            empty = {"event_id": np.int64, "t_h": np.float64, "kind": np.int16,
                     "prosumer_index": np.int64, "asset_type": np.int8, "asset_index": np.int64,
                     "cause_id": np.int64, "detail": np.int32}
            cols = {k: np.zeros(0, dtype=v) for k, v in empty.items()}
            cols.update({k: np.zeros(0) for k in _FLOATS})
            return cols
        cols = {k: np.concatenate([b[k] for b in self._batches]) for k in self._batches[0]}
        order = np.lexsort((cols["event_id"], cols["asset_index"], cols["asset_type"],
                            cols["prosumer_index"], cols["kind"], cols["t_h"]))
        return {k: v[order] for k, v in cols.items()}

    def to_arrow(self, start: pd.Timestamp) -> pa.Table:
        """The log as a pyarrow table in canonical order (see module docstring)."""
        cols = self._columns()
        n = len(cols["t_h"])
        tz = str(start.tz) if start.tz is not None else None
        start_ns = start.value
        ts = start_ns + np.round(cols["t_h"] * 3.6e12).astype(np.int64)
        kind = pa.DictionaryArray.from_arrays(pa.array(cols["kind"].astype(np.int32)),
                                              pa.array(KINDS))
        p_idx = cols["prosumer_index"]
        p_dict = np.concatenate([self.prosumer_ids, np.array([""], dtype=object)])
        prosumer = pa.DictionaryArray.from_arrays(
            pa.array(np.where(p_idx < 0, len(p_dict) - 1, p_idx).astype(np.int32)),
            pa.array(list(p_dict), type=pa.string()))
        # One asset dictionary: ev ids, then bess ids, then pv ids, then "".
        offsets, names = {}, []
        for key in ("ev", "bess", "pv"):
            offsets[_ASSET_CODE[key]] = len(names)
            names.extend(self.asset_ids.get(key, []))
        names.append("")
        a_type, a_idx = cols["asset_type"], cols["asset_index"]
        flat = np.full(n, len(names) - 1, dtype=np.int64)
        for code, off in offsets.items():
            m = (a_type == code) & (a_idx >= 0)
            flat[m] = a_idx[m] + off
        asset = pa.DictionaryArray.from_arrays(pa.array(flat.astype(np.int32)),
                                               pa.array(names, type=pa.string()))
        a_type_arr = pa.DictionaryArray.from_arrays(pa.array(a_type.astype(np.int32)),
                                                    pa.array(ASSET_TYPES))
        details = sorted(self._details, key=self._details.get)
        detail = pa.DictionaryArray.from_arrays(pa.array(cols["detail"]), pa.array(details))
        arrays = {
            "event_id": pa.array(cols["event_id"]),
            "t_h": pa.array(cols["t_h"]),
            "timestamp": pa.array(ts, type=pa.timestamp("ns", tz=tz)),
            "kind": kind, "prosumer_id": prosumer, "asset_id": asset, "asset_type": a_type_arr,
        }
        for k in _FLOATS:
            arrays[k] = pa.array(cols[k])
        arrays["cause_id"] = pa.array(cols["cause_id"])
        arrays["detail"] = detail
        return pa.table(arrays)

    def to_pandas(self, start: pd.Timestamp) -> pd.DataFrame:
        """The log as a DataFrame (categorical string columns)."""
        return self.to_arrow(start).to_pandas()


def write_table(table: pa.Table, path: str | os.PathLike, fmt: str = "parquet") -> Path:
    """Write a table atomically: to a temporary file beside `path`, then rename.

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
            pq.write_table(table, tmp, compression="zstd")
        elif fmt == "csv":
            import pyarrow.csv as pcsv
            plain = table.cast(pa.schema([
                pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f
                for f in table.schema]))
            pcsv.write_csv(plain, tmp)
        else:
            df = table.to_pandas()
            for col in df.columns:
                if isinstance(df[col].dtype, pd.CategoricalDtype):
                    df[col] = df[col].astype(str)
            if "timestamp" in df:
                df["timestamp"] = df["timestamp"].map(lambda t: t.isoformat())
            df.to_json(tmp, orient="records", lines=True, double_precision=15)

    return atomic_write(path, write, f"the {fmt} table")
