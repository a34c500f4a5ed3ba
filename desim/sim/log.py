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
_VALUE_COLUMNS = ("t_h", "prosumer_index", "asset_index", *_FLOATS, "cause_id")
_DEFAULTS = (None, -1, -1, *(np.nan,) * len(_FLOATS), -1)
_COLUMN_TYPES = {
    "event_id": (np.int64, -1), "t_h": (np.float64, np.nan), "kind": (np.int16, 0),
    "prosumer_index": (np.int64, -1), "asset_type": (np.int8, 0), "asset_index": (np.int64, -1),
    **{k: (np.float64, np.nan) for k in _FLOATS}, "cause_id": (np.int64, -1),
    "detail": (np.int32, 0),
}


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
        values = (t_h, prosumer_index, asset_index, power_kw, energy_kwh, soc_percent,
                  required_soc_percent, shortfall_kwh, price_usd_per_mwh, cause_id)
        # Rows are stored as given (arrays or scalars) and expanded once, when the
        # table is built: broadcasting every column here cost more than the engine.
        n = 1
        for a in values:
            if isinstance(a, np.ndarray) and a.ndim:
                if a.ndim != 1 or (n != 1 and len(a) not in (1, n)):
                    raise RuntimeError(f"log.record({kind!r}): shapes do not broadcast")
                n = max(n, len(a)) if n == 1 else n
                if len(a) == 0:
                    n = 0
                    break
        if not isinstance(detail, str) and n == 1:
            n = len(detail)
        code = _KIND_CODE[kind]
        ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        self._next_id += n
        if n == 0 or (self.kinds is not None and code not in self.kinds):
            return ids
        given = {name: value for name, value, default in zip(
            _VALUE_COLUMNS, values, _DEFAULTS, strict=True) if value is not default}
        if isinstance(detail, np.ndarray) and detail.dtype.kind in "iu":
            given["detail"] = detail.astype(np.int32)     # codes from `detail_code`
        elif not isinstance(detail, str):
            given["detail"] = np.asarray([self.detail_code(d) for d in detail], dtype=np.int32)
        elif detail:
            given["detail"] = self.detail_code(detail)
        given["kind"] = code
        given["asset_type"] = _ASSET_CODE[asset_type]
        self._batches.append((int(ids[0]), n, given))
        self.n_rows += n
        return ids

    def _columns(self) -> dict[str, np.ndarray]:
        total = self.n_rows
        cols = {name: np.full(total, default, dtype=dtype)
                for name, (dtype, default) in _COLUMN_TYPES.items()}
        event_id = cols["event_id"]
        pos = 0
        for first_id, n, given in self._batches:
            end = pos + n
            event_id[pos:end] = np.arange(first_id, first_id + n)
            for name, value in given.items():
                cols[name][pos:end] = value
            pos = end
        if total:
            order = _canonical_order(cols)
            cols = {k: v[order] for k, v in cols.items()}
        return cols

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


def _canonical_order(cols: dict[str, np.ndarray]) -> np.ndarray:
    """Row order by (t_h, kind, prosumer, asset type, asset, event_id).

    Rows are held in recording order, which is ``event_id`` order, and the
    sort is stable, so event_id needs no key of its own; kind, prosumer, asset
    type and asset are packed into one integer when the indices fit (two
    sort keys instead of six give the same order, faster).
    """
    p_idx, a_idx = cols["prosumer_index"], cols["asset_index"]
    in_order = len(cols["event_id"]) < 2 or bool(np.all(np.diff(cols["event_id"]) > 0))
    if in_order and int(p_idx.max()) < _PACK and int(a_idx.max()) < _PACK:
        packed = ((((cols["kind"].astype(np.int64) << 24) | (p_idx + 1)) << 3
                   | cols["asset_type"].astype(np.int64)) << 24) | (a_idx + 1)
        return np.lexsort((packed, cols["t_h"]))
    return np.lexsort((cols["event_id"], a_idx, cols["asset_type"], p_idx, cols["kind"],
                       cols["t_h"]))


_PACK = (1 << 24) - 1


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
            pq.write_table(table, tmp, compression="zstd",
                           use_dictionary=["kind", "asset_type", "detail"])
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
