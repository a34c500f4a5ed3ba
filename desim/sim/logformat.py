"""The event log's layout: kinds, columns, the canonical row order, Arrow batches.

Rows are held as *raw chunks*: dicts of equal-length numpy arrays keyed by
`RAW_COLUMNS` (indices into the fleet's id arrays, integer codes for kind,
asset type and detail). `canonical_order` sorts a chunk; `ArrowLayout` turns a
sorted chunk into a pyarrow record batch of the written schema (`LOG_COLUMNS`),
with the same dictionaries for every chunk of a log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["KINDS", "ASSET_TYPES", "ASSET_KEYS", "LOG_COLUMNS", "RAW_COLUMNS", "PARQUET_DICTIONARY",
           "canonical_order", "finished_order", "take_finished", "arrow_schema", "with_details",
           "ArrowLayout"]

# Canonical order of kinds at the same instant: state changes of assets first
# (in the order a one-process-per-asset simulation would produce them), then
# market signals, then the setpoints they cause.
KINDS = (
    "ev_target_reached", "ev_v2g_floor", "bess_full", "bess_empty", "hvac_on", "hvac_off",
    "water_heater_on", "water_heater_off",
    "ev_departure", "ev_arrival", "ev_plugged_in", "dispatch_end", "settlement", "price_update",
    "dispatch_start", "offer", "award", "setpoint", "clip", "site_limit_exceeded", "interval",
)
KIND_CODE = {k: i for i, k in enumerate(KINDS)}
ASSET_TYPES = ("", "ev", "bess", "pv", "home", "fleet", "market", "hvac", "water_heater")
ASSET_CODE = {k: i for i, k in enumerate(ASSET_TYPES)}
#: Asset types with ids of their own (the asset dictionary's blocks, in this order).
ASSET_KEYS = ("ev", "bess", "pv", "hvac", "water_heater")
FLOATS = ("power_kw", "energy_kwh", "soc_percent", "required_soc_percent", "shortfall_kwh",
          "price_usd_per_mwh", "temperature_c")
LOG_COLUMNS = ("event_id", "t_h", "timestamp", "kind", "prosumer_id", "asset_id", "asset_type",
               *FLOATS, "cause_id", "detail")
#: Raw chunk columns: (dtype, value of a row that does not give the column).
RAW_COLUMNS = {
    "event_id": (np.int64, -1), "t_h": (np.float64, np.nan), "kind": (np.int16, 0),
    "prosumer_index": (np.int64, -1), "asset_type": (np.int8, 0), "asset_index": (np.int64, -1),
    **{k: (np.float64, np.nan) for k in FLOATS}, "cause_id": (np.int64, -1),
    "detail": (np.int32, 0),
}
#: Parquet columns written with dictionary encoding (few distinct values).
PARQUET_DICTIONARY = ("kind", "asset_type", "detail")
#: The columns the canonical order reads.
SORT_COLUMNS = ("event_id", "t_h", "kind", "prosumer_index", "asset_type", "asset_index")

_KIND_BITS = 5    # len(KINDS) <= 32 (a test keeps it so)
_TYPE_BITS = 4    # len(ASSET_TYPES) <= 16
_DICT = pa.dictionary(pa.int32(), pa.string())


def canonical_order(cols: dict[str, np.ndarray]) -> np.ndarray:
    """Row order by (t_h, kind, prosumer, asset type, asset, event_id).

    Rows are held in recording order, which is ``event_id`` order, and the
    sorts are stable, so event_id needs no key of its own. Kind, prosumer,
    asset type and asset are packed into one integer. For a day's chunk the
    fast path sorts by time alone, numbers the distinct times (dense rank)
    and sorts once more by one integer of rank and packed key: that second
    sort meets data already in time order, which a stable (run-aware) sort
    handles quickly. When rank and packed key do not fit in 63 bits (a large
    chunk), or a time is NaN, a lexsort by packed key and time gives the same
    order; rows not in event_id order, or indices below -1, take a lexsort
    over every key.
    """
    t_h, p_idx, a_idx = cols["t_h"], cols["prosumer_index"], cols["asset_index"]
    n = len(t_h)
    if n < 2:
        return np.arange(n)
    in_order = bool((np.diff(cols["event_id"]) > 0).all())
    if in_order and int(p_idx.min()) >= -1 and int(a_idx.min()) >= -1:
        p_bits = int(p_idx.max() + 1).bit_length()
        a_bits = int(a_idx.max() + 1).bit_length()
        packed_bits = _KIND_BITS + p_bits + _TYPE_BITS + a_bits
        if n.bit_length() + packed_bits <= 63:
            # non-negative floats order as their bit patterns do (NaN and inf last, as
            # in a float sort): a stable integer sort is about a third faster
            bits = t_h.view(np.int64) if t_h.dtype == np.float64 else None
            by_time = (np.argsort(bits, kind="stable") if bits is not None and bits.min() >= 0
                       else np.argsort(t_h, kind="stable"))
            t_sorted = t_h[by_time]
            if not np.isnan(t_sorted[-1]):
                rank = np.zeros(n, dtype=np.int64)
                np.cumsum(t_sorted[1:] != t_sorted[:-1], out=rank[1:])
                key = _packed(rank, cols["kind"][by_time], p_idx[by_time], p_bits,
                              cols["asset_type"][by_time], a_idx[by_time], a_bits)
                return by_time[np.argsort(key, kind="stable")]
        if packed_bits <= 63:
            packed = _packed(0, cols["kind"], p_idx, p_bits, cols["asset_type"], a_idx, a_bits)
            return np.lexsort((packed, t_h))
    return np.lexsort((cols["event_id"], a_idx, cols["asset_type"], p_idx, cols["kind"], t_h))


def _packed(high, kind, p_idx, p_bits, asset_type, a_idx, a_bits) -> np.ndarray:
    """One int64 per row: `high`, kind, prosumer + 1, asset type, asset + 1 (high to low)."""
    key = (np.asarray(high, dtype=np.int64) << _KIND_BITS) | kind
    key = (key << p_bits) | (p_idx + 1)
    key = (key << _TYPE_BITS) | asset_type
    return (key << a_bits) | (a_idx + 1)


def finished_order(buf: dict[str, np.ndarray], n: int, before: float) -> np.ndarray:
    """Positions of the rows among the first `n` of `buf` earlier than `before`,
    in canonical order (`buf` holds raw columns in recording order)."""
    final = buf["t_h"][:n] < before
    rows = None if final.all() else np.flatnonzero(final)
    keys = {c: (buf[c][:n] if rows is None else buf[c][rows]) for c in SORT_COLUMNS}
    order = canonical_order(keys)
    return order if rows is None else rows[order]


def take_finished(buf: dict[str, np.ndarray], n: int, before: float) -> dict[str, np.ndarray]:
    """The rows among the first `n` of `buf` earlier than `before`, in canonical
    order, as a new raw chunk."""
    take = finished_order(buf, n, before)
    return {name: np.take(v, take) for name, v in buf.items()}


def arrow_schema(tz: str | None) -> pa.Schema:
    """The schema of the written log (`LOG_COLUMNS`)."""
    types = {"event_id": pa.int64(), "t_h": pa.float64(), "timestamp": pa.timestamp("ns", tz=tz),
             "kind": _DICT, "prosumer_id": _DICT, "asset_id": _DICT, "asset_type": _DICT,
             **dict.fromkeys(FLOATS, pa.float64()), "cause_id": pa.int64(), "detail": _DICT}
    return pa.schema([pa.field(name, types[name]) for name in LOG_COLUMNS])


class ArrowLayout:
    """Turns sorted raw chunks into record batches with one set of dictionaries.

    The kind, asset type, prosumer and asset dictionaries are built once; the
    detail dictionary grows while a run records new detail texts (codes never
    change), so each batch takes the detail names known when it is built.

    Parameters
    ----------
    prosumer_ids : array of str
        Ids by prosumer index.
    asset_ids : dict of str -> array of str
        Asset ids by asset index for each of `ASSET_KEYS`.
    """

    def __init__(self, prosumer_ids, asset_ids):
        self.n_prosumers = len(prosumer_ids)
        self.kind_dict = pa.array(KINDS, type=pa.string())
        self.asset_type_dict = pa.array(ASSET_TYPES, type=pa.string())
        self.prosumer_dict = pa.array(np.append(np.asarray(prosumer_ids, dtype=object), ""),
                                      type=pa.string())
        # One asset dictionary: ev ids, then bess ids, then pv ids, then "".
        offset = np.full(len(ASSET_TYPES), -1, dtype=np.int64)
        names: list[np.ndarray] = []
        n = 0
        for key in ASSET_KEYS:
            ids = np.asarray(asset_ids.get(key, ()), dtype=object)
            offset[ASSET_CODE[key]] = n
            names.append(ids)
            n += len(ids)
        self.n_assets = n
        self.asset_offset = offset
        self.asset_dict = pa.array(np.concatenate([*names, np.array([""], dtype=object)]),
                                   type=pa.string())
        self._details: tuple[int, pa.Array] | None = None

    def details_array(self, details) -> pa.Array:
        """The detail dictionary for the detail names `details` (code order)."""
        cached = self._details
        if cached is not None and cached[0] == len(details):
            return cached[1]
        arr = pa.array(list(details), type=pa.string())
        self._details = (len(details), arr)
        return arr

    def batch(self, cols: dict[str, np.ndarray], details: pa.Array,
              start: pd.Timestamp) -> pa.RecordBatch:
        """One record batch of the log schema from a sorted raw chunk.

        Parameters
        ----------
        cols : dict of str -> ndarray
            A raw chunk (`RAW_COLUMNS`), already in canonical order.
        details : pyarrow.Array
            The detail dictionary (`details_array`); every code in the chunk indexes it.
        start : pandas.Timestamp
            Scenario start (``t_h = 0``); the timestamp column is ``start + t_h``.
        """
        tz = str(start.tz) if start.tz is not None else None
        t_h = cols["t_h"]
        ts = start.value + np.round(t_h * 3.6e12).astype(np.int64)
        p_idx = cols["prosumer_index"]
        prosumer = np.where(p_idx < 0, self.n_prosumers, p_idx).astype(np.int32)
        a_idx = cols["asset_index"]
        off = self.asset_offset[cols["asset_type"]]
        asset = np.where((a_idx >= 0) & (off >= 0), a_idx + off, self.n_assets).astype(np.int32)

        def dictionary(indices, values):
            return pa.DictionaryArray.from_arrays(pa.array(indices), values)

        arrays = [
            pa.array(cols["event_id"]), pa.array(t_h),
            pa.array(ts, type=pa.timestamp("ns", tz=tz)),
            dictionary(cols["kind"].astype(np.int32), self.kind_dict),
            dictionary(prosumer, self.prosumer_dict),
            dictionary(asset, self.asset_dict),
            dictionary(cols["asset_type"].astype(np.int32), self.asset_type_dict),
            *(pa.array(cols[k]) for k in FLOATS),
            pa.array(cols["cause_id"]),
            dictionary(cols["detail"], details),
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=arrow_schema(tz))


def with_details(batch: pa.RecordBatch, details: pa.Array) -> pa.RecordBatch:
    """`batch` with its detail column re-keyed onto the (longer) dictionary `details`."""
    i = batch.schema.get_field_index("detail")
    col = batch.column(i)
    if col.dictionary is details or col.dictionary.equals(details):
        return batch
    fixed = pa.DictionaryArray.from_arrays(col.indices, details)
    return batch.set_column(i, batch.schema.field(i), fixed)
