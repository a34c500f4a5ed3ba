"""Recorded EV sessions from files: a CSV or ACN-Data JSON, through one validator.

Both readers turn their rows into the same columns (``ev_id, arrival_h,
departure_h, kwh_requested, max_kw``; hours since the scenario start) and pass
them to `check_sessions`, which applies one set of rules to both formats:

- departure after arrival;
- energy a finite number >= 0 kWh, power limit a finite number > 0 kW;
- a session entirely outside the run (it ends at or before the start, or
  begins at or after the end) is dropped with a `DesimWarning`; one that
  straddles the start is replayed from the start; a file with no session
  inside the run is an error.

Every problem is reported at once, each naming the file, the row, the field as
the file spells it and the value given.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from desim.errors import ScenarioError, warn

__all__ = ["read_sessions_csv", "read_acn_json", "check_sessions", "SESSION_COLUMNS"]

SESSION_COLUMNS = ("ev_id", "arrival_h", "departure_h", "kwh_requested", "max_kw")
CSV_COLUMNS = ("ev_id", "arrival", "departure", "kwh_requested", "max_kw")
_ACN_TIME = "%a, %d %b %Y %H:%M:%S %Z"
_SHOWN = 10  # problems listed before "and N more"


def _hours(ts: pd.Timestamp, start: pd.Timestamp) -> float:
    return (ts - start) / pd.Timedelta(hours=1)


def _number(value) -> float | None:
    """A finite float, or None for anything else (text, bool, NaN, inf, missing)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return x if math.isfinite(x) else None


def _shown(value) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _raise(problems: list[str]) -> None:
    if not problems:
        return
    more = len(problems) - _SHOWN
    lines = problems[:_SHOWN] + ([f"... and {more} more"] if more > 0 else [])
    raise ScenarioError(lines[0] if len(lines) == 1 else
                        f"{len(problems)} problems in the sessions:\n  " + "\n  ".join(lines))


def check_sessions(rows: list[dict], source: str, horizon_h: float | None = None,
                   problems: list[str] | None = None) -> pd.DataFrame:
    """Apply the session rules (module docstring) to rows read from a file.

    Parameters
    ----------
    rows : list of dict
        One per session: the `SESSION_COLUMNS` (times in hours since the start,
        ``None`` when unreadable), ``where`` (``"row 7"``, ``"_items[3]"``),
        ``fields`` (each column's name in the file) and ``raw`` (the values as
        written, for messages).
    source : str
        The file, as named in messages.
    horizon_h : float, optional
        Length of the run; sessions outside ``[0, horizon_h)`` are dropped
        with a warning.
    problems : list of str, optional
        Problems the reader already found (reported together with these).

    Returns
    -------
    pandas.DataFrame
        The `SESSION_COLUMNS` of the sessions inside the run.

    Raises
    ------
    ScenarioError
        Listing every problem as ``file: row: field: expected ..., got ...``.
    """
    problems = list(problems or [])
    kept = []
    outside = 0
    for row in rows:
        at, names, raw = f"{source}: {row['where']}", row["fields"], row["raw"]
        ok = True
        for col, rule, good in (("kwh_requested", "a number >= 0", lambda x: x >= 0),
                                ("max_kw", "a number > 0", lambda x: x > 0)):
            x = row[col]
            if x is None or not good(x):
                problems.append(f"{at}: {names[col]}: expected {rule}, got {_shown(raw[col])}")
                ok = False
        arr, dep = row["arrival_h"], row["departure_h"]
        if arr is None or dep is None:
            continue
        if not dep > arr:
            problems.append(f"{at}: {names['departure_h']}: expected after {names['arrival_h']} "
                            f"({raw['arrival_h']}), got {_shown(raw['departure_h'])}")
            continue
        if not ok:
            continue
        if horizon_h is not None and (dep <= 0.0 or arr >= horizon_h):
            outside += 1
            continue
        kept.append({**{c: row[c] for c in SESSION_COLUMNS}, "arrival_h": max(arr, 0.0)})
    _raise(problems)
    if outside:
        if not kept:
            raise ScenarioError(f"{source}: expected at least one session inside the run "
                                f"(0 h to {horizon_h:g} h from the start), got none of "
                                f"{len(rows)}")
        warn(f"{source}: {outside} of {len(rows)} sessions lie outside the run (0 h to "
             f"{horizon_h:g} h from the start) and are not replayed", stacklevel=2)
    frame = pd.DataFrame(kept, columns=list(SESSION_COLUMNS))
    frame["ev_id"] = frame["ev_id"].astype(str)
    return frame.astype({c: float for c in SESSION_COLUMNS[1:]})


def read_sessions_csv(path, start: pd.Timestamp, horizon_h: float | None = None
                      ) -> pd.DataFrame:
    """Read sessions from a CSV with columns ev_id, arrival, departure, kwh_requested, max_kw.

    Times are ISO 8601; naive times are taken in the scenario's time zone
    (`start`'s). Returns the `SESSION_COLUMNS` (see `check_sessions`).
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            ValueError) as exc:
        raise ScenarioError(f"{path}: cannot read sessions CSV ({exc})") from exc
    missing = [c for c in CSV_COLUMNS if c not in raw.columns]
    if missing:
        raise ScenarioError(f"{path}: expected columns {', '.join(CSV_COLUMNS)}, missing "
                            f"{', '.join(missing)}")
    names = {"ev_id": "ev_id", "arrival_h": "arrival", "departure_h": "departure",
             "kwh_requested": "kwh_requested", "max_kw": "max_kw"}
    problems: list[str] = []
    rows = []
    for i, rec in enumerate(raw[list(CSV_COLUMNS)].itertuples(index=False)):
        where = f"row {i + 2}"  # the header is row 1
        row = {"ev_id": rec.ev_id, "where": where, "fields": names,
               "raw": {"arrival_h": rec.arrival, "departure_h": rec.departure,
                       "kwh_requested": rec.kwh_requested, "max_kw": rec.max_kw},
               "kwh_requested": _number(rec.kwh_requested), "max_kw": _number(rec.max_kw)}
        for col, text in (("arrival_h", rec.arrival), ("departure_h", rec.departure)):
            row[col] = None
            try:
                ts = pd.Timestamp(text)
                if pd.isna(ts):
                    raise ValueError(text)
                ts = ts.tz_localize(start.tz) if ts.tzinfo is None else ts
                row[col] = _hours(ts, start)
            except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
                problems.append(f"{path}: {where}: {names[col]}: expected an ISO 8601 time, "
                                f"got {_shown(text)}")
        rows.append(row)
    return check_sessions(rows, str(path), horizon_h, problems)


def read_acn_json(path, start: pd.Timestamp, default_max_kw: float = 6.656,
                  energy: str = "delivered", horizon_h: float | None = None) -> pd.DataFrame:
    """Read sessions in the ACN-Data JSON format.

    Uses ``connectionTime`` and ``disconnectTime`` (RFC 1123 dates), the energy
    ``kWhDelivered`` (``energy="delivered"``, as ACN-Sim does by default) or the
    driver's ``userInputs[-1].kWhRequested`` (``energy="requested"``). ACN-Data
    records no vehicle power limit, so `default_max_kw` (32 A at 208 V) applies.
    Returns the `SESSION_COLUMNS` (see `check_sessions`).
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{path}: cannot read ACN-Data JSON ({exc})") from exc
    items = doc.get("_items", doc) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ScenarioError(f'{path}: expected ACN-Data JSON (an "_items" array of sessions), '
                            f"got {type(items).__name__}")
    problems: list[str] = []
    rows = []
    for i, item in enumerate(items):
        where = f"_items[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{path}: {where}: expected a session object, got {_shown(item)}")
            continue
        energy_key = "kWhDelivered"
        kwh = item.get("kWhDelivered")
        inputs = item.get("userInputs")
        if energy == "requested" and isinstance(inputs, list) and inputs \
                and isinstance(inputs[-1], dict):
            energy_key, kwh = "userInputs[-1].kWhRequested", inputs[-1].get("kWhRequested")
        names = {"ev_id": "sessionID", "arrival_h": "connectionTime",
                 "departure_h": "disconnectTime", "kwh_requested": energy_key,
                 "max_kw": "max_kw (default)"}
        row = {"ev_id": str(item.get("sessionID", f"session-{i}")), "where": where,
               "fields": names,
               "raw": {"arrival_h": item.get("connectionTime"),
                       "departure_h": item.get("disconnectTime"),
                       "kwh_requested": kwh, "max_kw": default_max_kw},
               "kwh_requested": _number(kwh), "max_kw": _number(default_max_kw)}
        rows.append(row)
    # the dates of every session in one parse per column (one call per date costs
    # tens of microseconds each); a date that does not parse is reported by row
    for col, key in (("arrival_h", "connectionTime"), ("departure_h", "disconnectTime")):
        texts = [r["raw"][col] if isinstance(r["raw"][col], str) else "" for r in rows]
        stamps = pd.to_datetime(pd.Series(texts, dtype=object), format=_ACN_TIME,
                                errors="coerce", utc=True)
        hours = ((stamps - start.tz_convert("UTC")) / pd.Timedelta(hours=1)).to_numpy()
        for r, h in zip(rows, hours, strict=True):
            if np.isfinite(h):
                r[col] = float(h)
                continue
            r[col] = None
            raw = r["raw"][col]
            problems.append(f"{path}: {r['where']}: {key}: expected an RFC 1123 date such as "
                            f'"Wed, 25 Apr 2018 15:01:50 GMT", got '
                            + (_shown(raw) if raw is not None else "nothing"))
    return check_sessions(rows, str(path), horizon_h, problems)
