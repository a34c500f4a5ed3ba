"""Write and read fleets: CSV summary, JSON configs, Parquet.

All three formats load back into an equal `FleetTable` (`FleetTable.equals`,
floats exact): CSV and JSON write every float at round-trip precision
(float32 columns at float32 round-trip precision), Parquet keeps the dtypes.

- CSV (``fleet_summary.csv``) and Parquet: one wide row per prosumer, its
  preferences, then one block of columns per asset slot (``bess_*`` when no
  prosumer has two batteries, else ``bess1_*``, ``bess2_*``; ``ev1_*``,
  ``ev2_*``, ...; ``pv_*`` like ``bess``). Empty slots are blank / null.
- JSON (``prosumer_configs.json``): ``{"format": "desim.fleet", "version": 1,
  "prosumers": [{..., "bess": [...], "evs": [...], "pv": [...]}]}``.

Asset rows come back grouped by owner (in their original order within an
owner); a table whose asset rows are already grouped so (every generated
table) round-trips exactly. Outputs are written atomically (temporary file in
the same directory, then renamed).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from desim._io import atomic_write
from desim.errors import OutputError, ParameterError
from desim.fleet.table import (
    BESS_COLUMNS,
    EV_COLUMNS,
    EV_PRIORITY_NAMES,
    PROFILE_NAMES,
    PROSUMER_COLUMNS,
    PV_COLUMNS,
    FleetTable,
    check_unique_ids,
    owner_slots,
)

__all__ = [
    "FORMATS",
    "fleet_to_frame",
    "fleet_from_frame",
    "export_fleet",
    "export_fleet_csv",
    "export_fleet_json",
    "export_fleet_parquet",
    "load_fleet",
]

FORMATS = ("csv", "json", "parquet")
_KINDS = {"bess": BESS_COLUMNS, "ev": EV_COLUMNS, "pv": PV_COLUMNS}
_NAMED = {"profile": PROFILE_NAMES, "ev_priority": EV_PRIORITY_NAMES}
_JSON_FORMAT, _JSON_VERSION = "desim.fleet", 1


def _atomic_write(path: str | os.PathLike, write) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file onto `path`."""
    return atomic_write(path, write, "the fleet")




def _slot_prefix(kind: str, slot: int, n_slots: int) -> str:
    return f"{kind}{slot + 1}_" if (kind == "ev" or n_slots > 1) else f"{kind}_"


def fleet_to_frame(table: FleetTable) -> pd.DataFrame:
    """One row per prosumer: preferences (profile and EV priority by name),
    ``n_bess``/``n_evs``/``n_pv``, then the asset slot columns (see module)."""
    n = table.n_prosumers
    cols: dict[str, np.ndarray] = {}
    for name in PROSUMER_COLUMNS:
        value = getattr(table, name)
        cols[name] = (np.asarray(_NAMED[name], dtype=object)[value] if name in _NAMED
                      else value)
    for kind, columns in _KINDS.items():
        owner = getattr(table, f"{kind}_prosumer_index")
        cols[f"n_{kind}" if kind != "ev" else "n_evs"] = np.bincount(owner, minlength=n)
        order, slot = owner_slots(owner)
        n_slots = int(slot.max()) + 1 if len(slot) else 0
        for k in range(n_slots):
            rows = order[slot == k]
            where = owner[rows]
            prefix = _slot_prefix(kind, k, n_slots)
            for name in columns[1:]:
                src = getattr(table, name)[rows]
                if src.dtype == object:
                    dst = np.full(n, None, dtype=object)
                else:
                    dst = np.full(n, np.nan, dtype=src.dtype)
                dst[where] = src
                cols[prefix + name[len(kind) + 1:]] = dst
    return pd.DataFrame(cols)


def _column_map(frame_columns) -> dict[tuple[str, int], dict[str, str]]:
    """``(kind, slot) -> {table column: frame column}`` for the asset columns."""
    out: dict[tuple[str, int], dict[str, str]] = {}
    pattern = re.compile(r"^(bess|ev|pv)(\d*)_(.+)$")
    for col in frame_columns:
        if col in PROSUMER_COLUMNS:
            continue
        match = pattern.match(col)
        if match is None:
            continue
        kind, slot, rest = match.group(1), match.group(2), match.group(3)
        if f"{kind}_{rest}" in _KINDS[kind]:
            out.setdefault((kind, int(slot or 1) - 1), {})[f"{kind}_{rest}"] = col
    return out


def fleet_from_frame(frame: pd.DataFrame, where: str = "fleet") -> FleetTable:
    """Inverse of `fleet_to_frame`.

    Raises
    ------
    ParameterError
        Naming `where` and the missing column or unknown profile / priority name.
    """
    problems = [f"{where}: expected column {c!r}, got none" for c in PROSUMER_COLUMNS
                if c not in frame.columns]
    if problems:
        raise ParameterError("; ".join(problems))
    cols: dict[str, np.ndarray] = {}
    for name in PROSUMER_COLUMNS:
        value = frame[name].to_numpy(dtype=object if name == "prosumer_id" else None)
        if name in _NAMED:
            lookup = {v: i for i, v in enumerate(_NAMED[name])}
            bad = sorted({str(v) for v in value} - set(lookup))
            if bad:
                raise ParameterError(f"{where}.{name}: expected one of "
                                     f"{', '.join(_NAMED[name])}, got {bad}")
            value = np.array([lookup[v] for v in value], dtype=np.int8)
        cols[name] = value
    mapping = _column_map(frame.columns)
    for kind, columns in _KINDS.items():
        parts: dict[str, list[np.ndarray]] = {c: [] for c in columns}
        slots = sorted(k for (kd, k) in mapping if kd == kind)
        for k in slots:
            names = mapping[(kind, k)]
            cap = f"{kind}_capacity_kwh" if kind != "pv" else "pv_capacity_kw"
            if cap not in names:
                raise ParameterError(f"{where}: expected column {cap} for {kind} slot {k + 1}")
            present = np.flatnonzero(frame[names[cap]].notna().to_numpy())
            parts[f"{kind}_prosumer_index"].append(present)
            for name in columns[1:]:
                if name not in names:
                    continue
                series = frame[names[name]]
                value = series.to_numpy(dtype=object if series.dtype == object
                                        or pd.api.types.is_string_dtype(series.dtype)
                                        else None)
                parts[name].append(value[present])
        owner = np.concatenate(parts[f"{kind}_prosumer_index"]) if slots else np.empty(0, int)
        slot_of_row = (np.concatenate([np.full(len(p), k) for k, p in
                                       zip(slots, parts[f"{kind}_prosumer_index"],
                                           strict=True)]) if slots else np.empty(0, int))
        order = np.lexsort((slot_of_row, owner))
        for name in columns:
            if parts[name]:
                cols[name] = np.concatenate(parts[name])[order]
            elif name == "ev_home_charge_share":
                cols[name] = None
            else:
                if slots:
                    raise ParameterError(f"{where}: expected a column for {name}, got none")
                cols[name] = np.empty(0, dtype=object if name.endswith(("_id", "_product"))
                                      else float)
    return FleetTable(**cols)


# --- CSV --------------------------------------------------------------------


def _csv_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Format floats at round-trip precision as strings (blank for missing)."""
    out = {}
    for name, series in frame.items():
        values = series.to_numpy()
        if values.dtype.kind == "f":
            text = values.astype(str).astype(object)  # shortest round-trip repr per dtype
            text[np.isnan(values)] = ""
            out[name] = text
        elif values.dtype == object:
            out[name] = np.where(pd.isna(series).to_numpy(), "", values.astype(str))
        else:
            out[name] = values
    return pd.DataFrame(out)


def export_fleet_csv(table: FleetTable, path: str | os.PathLike) -> Path:
    """Write ``fleet_summary.csv``: one row per prosumer (see `fleet_to_frame`)."""
    text = _csv_text(fleet_to_frame(_as_table(table)))
    return _atomic_write(path, lambda tmp: text.to_csv(tmp, index=False))


def _load_csv(path: Path) -> FleetTable:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = {}
    dtypes = {c: _dtype_of(c) for c in raw.columns}
    for name in raw.columns:
        values = raw[name].to_numpy(dtype=object)
        kind = dtypes[name]
        if kind == "str":
            # Blank asset strings become None here; products of filled slots are
            # set back to "" below.
            keep = name in PROSUMER_COLUMNS or name.endswith("_id")
            frame[name] = values if keep else np.where(values == "", None, values)
        else:
            text = np.where(values == "", "nan", values).astype(str)
            frame[name] = text.astype(np.float64).astype(kind)
    frame = pd.DataFrame(frame)
    mapping = _column_map(frame.columns)
    for (kind, _k), names in mapping.items():
        cap = names.get(f"{kind}_capacity_kwh" if kind != "pv" else "pv_capacity_kw")
        present = frame[cap].notna() if cap else None
        for tname, fname in names.items():
            if tname.endswith("_product") and present is not None:
                frame[fname] = np.where(present & frame[fname].isna(), "", frame[fname])
    return fleet_from_frame(frame, where=str(path))


def _dtype_of(column: str) -> str | type:
    """The dtype a wide-frame column parses to."""
    if column in ("prosumer_id", "profile", "ev_priority") or column.endswith(
            ("_id", "_product")):
        return "str"
    if column in ("participation_willingness", "min_compensation_per_kwh",
                  "backup_power_hours", "max_discharge"):
        return np.float32
    return np.float64


# --- JSON -------------------------------------------------------------------


def _json_values(array: np.ndarray) -> list:
    if array.dtype == np.float32:
        return [float(s) for s in array.astype(str)]
    return array.tolist()


def export_fleet_json(table: FleetTable, path: str | os.PathLike) -> Path:
    """Write ``prosumer_configs.json``: one record per prosumer with its assets."""
    table = _as_table(table)
    n = table.n_prosumers
    base = {name: (list(np.asarray(_NAMED[name])[getattr(table, name)]) if name in _NAMED
                   else _json_values(getattr(table, name))) for name in PROSUMER_COLUMNS}
    records = [{name: base[name][i] for name in PROSUMER_COLUMNS} for i in range(n)]
    for kind, key in (("bess", "bess"), ("ev", "evs"), ("pv", "pv")):
        for rec in records:
            rec[key] = []
        owner = getattr(table, f"{kind}_prosumer_index")
        order, _slot = owner_slots(owner)
        columns = _KINDS[kind][1:]
        values = {name: _json_values(getattr(table, name)[order]) for name in columns}
        short = [name[len(kind) + 1:] for name in columns]
        for j, p in enumerate(owner[order].tolist()):
            records[p][key].append({s: values[c][j] for s, c in zip(short, columns,
                                                                    strict=True)})
    doc = {"format": _JSON_FORMAT, "version": _JSON_VERSION, "n_prosumers": n,
           "prosumers": records}

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, allow_nan=False)
    return _atomic_write(path, write)


def _load_json(path: Path) -> FleetTable:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ParameterError(f"{path}: expected JSON, got {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != _JSON_FORMAT:
        raise ParameterError(f"{path}: expected a {_JSON_FORMAT!r} document, got format "
                             f"{doc.get('format') if isinstance(doc, dict) else type(doc)!r}")
    recs = doc["prosumers"]
    cols: dict[str, object] = {name: [r[name] for r in recs] for name in PROSUMER_COLUMNS}
    for name, names in _NAMED.items():
        lookup = {v: i for i, v in enumerate(names)}
        try:
            cols[name] = [lookup[v] for v in cols[name]]
        except KeyError as exc:
            raise ParameterError(f"{path}: {name}: expected one of {', '.join(names)}, "
                                 f"got {exc.args[0]!r}") from exc
    for kind, key in (("bess", "bess"), ("ev", "evs"), ("pv", "pv")):
        assets = [(i, a) for i, r in enumerate(recs) for a in r[key]]
        cols[f"{kind}_prosumer_index"] = [i for i, _ in assets]
        for name in _KINDS[kind][1:]:
            short = name[len(kind) + 1:]
            cols[name] = [a[short] for _, a in assets]
    return FleetTable(**cols)


# --- Parquet ----------------------------------------------------------------


def export_fleet_parquet(table: FleetTable, path: str | os.PathLike) -> Path:
    """Write the wide table (see `fleet_to_frame`) as Parquet, dtypes kept."""
    arrow = pa.Table.from_pandas(fleet_to_frame(_as_table(table)), preserve_index=False)
    return _atomic_write(path, lambda tmp: pq.write_table(arrow, tmp))


def _load_parquet(path: Path) -> FleetTable:
    frame = pq.read_table(path).to_pandas()
    for name in frame.columns:
        if _dtype_of(name) == "str":
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return fleet_from_frame(frame, where=str(path))


# --- dispatch ---------------------------------------------------------------

_WRITERS = {"csv": export_fleet_csv, "json": export_fleet_json,
            "parquet": export_fleet_parquet}
_READERS = {"csv": _load_csv, "json": _load_json, "parquet": _load_parquet}


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt is None:
        fmt = path.suffix.lower().lstrip(".")
        fmt = {"pq": "parquet"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise OutputError(f"{path}: expected a format among {', '.join(FORMATS)} (or a "
                          f".csv/.json/.parquet name), got {fmt!r}")
    return fmt


def export_fleet(table: FleetTable, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Write `table` as csv, json or parquet (`fmt`, default from the suffix).

    `table` may also be a list of `desim.assets.Prosumer` objects.
    """
    path = Path(path)
    return _WRITERS[_format_of(path, fmt)](_as_table(table), path)


def _as_table(fleet) -> FleetTable:
    if isinstance(fleet, FleetTable):
        return fleet
    from desim.fleet.convert import table_from_prosumers
    return table_from_prosumers(fleet)


def load_fleet(path: str | os.PathLike, fmt: str | None = None) -> FleetTable:
    """Read a fleet written by `export_fleet` (format from `fmt` or the suffix).

    Raises
    ------
    ParameterError
        If the file is not a desim fleet, or uses a prosumer or EV id twice;
        `OutputError` for an unknown format.
    """
    path = Path(path)
    fmt = _format_of(path, fmt)
    if not path.is_file():
        raise ParameterError(f"{path}: expected an existing fleet file, got none")
    table = _READERS[fmt](path)
    check_unique_ids(table, str(path))
    return table
