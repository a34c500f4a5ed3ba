"""Check a raw scenario dict against the schema, collecting every problem.

The walk follows the attrs classes of `desim.scenario.schema`: it reports
unknown keys (with a "did you mean"), missing keys, wrong types (strictly: no
string to number or bool, no float to int, no bool as a number), values out
of range, and the rules that span several keys. It returns a cleaned copy of
the data (numbers as float where the schema says float, date-times as
tz-aware `pandas.Timestamp`) that the cattrs converter then structures.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import json
import math
import types
import typing
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pandas as pd

from desim.scenario import schema as s

BAD = object()  # marks a value that failed its check


class Context:
    """Problems found so far, and what later checks need (time zone, folder)."""

    def __init__(self, base_dir: Path | None) -> None:
        self.problems: list[str] = []
        self.tz: ZoneInfo | None = None
        self.base_dir = base_dir

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path or '<top level>'}: {message}")

    def bad(self, path: str, expected: str, got: Any) -> Any:
        self.add(path, f"expected {expected}, got {describe(got)}")
        return BAD


def describe(value: Any) -> str:
    """A value as the user typed it, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) + " (a string)"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return f"{value.isoformat()} (a TOML date-time)"
    return repr(value)


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def file_key(f: attrs.Attribute) -> str:
    return f.metadata.get("key", f.name)


def file_fields(cls: type) -> list[attrs.Attribute]:
    return [f for f in attrs.fields(cls) if f.metadata.get("file", True)]


def default_of(f: attrs.Attribute) -> Any:
    if isinstance(f.default, attrs.Factory):
        return f.default.factory()
    return f.default


# --- the walk

def walk(value: Any, tp: Any, path: str, ctx: Context, meta: dict | None = None) -> Any:
    """Check `value` against type `tp`; return the cleaned value or `BAD`."""
    meta = meta or {}
    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        if s.FileSource in args:
            return _file_source_or_name(value, path, ctx, meta)
        tp = next(a for a in args if a is not type(None))
        return walk(value, tp, path, ctx, meta)
    if origin is tuple:
        if not isinstance(value, list):
            return ctx.bad(path, "an array", value)
        items = [walk(v, args[0], f"{path}[{i}]", ctx, meta) for i, v in enumerate(value)]
        return BAD if any(v is BAD for v in items) else items
    if origin is dict:
        return dict(value) if isinstance(value, dict) else ctx.bad(path, "a table", value)
    if attrs.has(tp):
        return walk_class(value, tp, path, ctx)
    if tp is pd.Timestamp:
        return _timestamp(value, path, ctx)
    if meta.get("check") is s.hhmm and isinstance(value, dt.time) and value.tzinfo is None \
            and value.second == 0 and value.microsecond == 0:
        value = value.strftime("%H:%M")  # a TOML local time such as 07:30:00
    cleaned = _primitive(value, tp, path, ctx)
    check = meta.get("check")
    if cleaned is not BAD and check is not None:
        expected = check(cleaned)
        if expected is not None:
            return ctx.bad(path, expected, value)
    return cleaned


def _primitive(value: Any, tp: type, path: str, ctx: Context) -> Any:
    if tp is bool:
        return value if isinstance(value, bool) else ctx.bad(path, "true or false", value)
    if tp is str:
        return value if isinstance(value, str) else ctx.bad(path, "a string", value)
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return ctx.bad(path, "an integer", value)
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                return ctx.bad(path, "a finite number", value)
            return float(value)
        return ctx.bad(path, "a number", value)
    raise TypeError(f"schema type {tp!r} at {path} has no check")  # a bug in the schema


def walk_class(value: Any, cls: type, path: str, ctx: Context) -> Any:
    """Check a table against an attrs class; return a dict of cleaned values."""
    if not isinstance(value, dict):
        return ctx.bad(path, "a table", value)
    fields = file_fields(cls)
    keys = {file_key(f): f for f in fields}
    for key in value:
        if key not in keys:
            close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.6)
            hint = (f' (did you mean "{close[0]}"?)' if close
                    else "; expected one of " + ", ".join(keys))
            ctx.add(join(path, key), "unknown key" + hint)
    cleaned: dict[str, Any] = {}
    effective: dict[str, Any] = {}
    for key, f in keys.items():
        where = join(path, key)
        if key in value:
            cleaned[key] = walk(value[key], f.type, where, ctx, dict(f.metadata))
            effective[f.name] = cleaned[key]
        elif f.default is attrs.NOTHING:
            what = "section" if attrs.has(f.type) else "key"
            ctx.add(where, f"required {what} missing")
            effective[f.name] = BAD
        else:
            effective[f.name] = default_of(f)
        if f.name == "time_zone" and cls is s.ScenarioInfo and isinstance(effective[f.name], str):
            ctx.tz = ZoneInfo(effective[f.name])
    check = _CLASS_CHECKS.get(cls)
    if check is not None:
        check(effective, path, ctx)
    return cleaned


# --- special values

def _timestamp(value: Any, path: str, ctx: Context) -> Any:
    expected = 'a local date-time "YYYY-MM-DDTHH:MM"'
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return ctx.bad(path, expected, value)
    elif isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    else:
        return ctx.bad(path, expected, value)
    if not s.FIRST_YEAR <= parsed.year <= s.LAST_YEAR:
        return ctx.bad(path, f"a date-time in the years {s.FIRST_YEAR}-{s.LAST_YEAR}", value)
    if ctx.tz is None:  # the time zone is missing or wrong, and reported already
        return BAD
    stamp = pd.Timestamp(parsed)
    if stamp.tzinfo is not None:
        return stamp.tz_convert(ctx.tz)
    try:
        return stamp.tz_localize(ctx.tz, ambiguous="raise", nonexistent="raise")
    except ValueError:
        return ctx.bad(path, f"a wall time that exists once in {ctx.tz.key} (not in a daylight-"
                             "saving gap or overlap; add a UTC offset such as -07:00)", value)


def _file_source_or_name(value: Any, path: str, ctx: Context, meta: dict) -> Any:
    names, kinds = meta["names"], meta["kinds"]
    options = ", ".join(f'"{n}"' for n in names) + " or " + " or ".join(
        f'{{ {k} = "path" }}' for k in kinds)
    if isinstance(value, str):
        return value if value in names else ctx.bad(path, options, value)
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in kinds:
        return ctx.bad(path, options, value)
    kind, file = next(iter(value.items()))
    if not isinstance(file, str):
        return ctx.bad(join(path, kind), "a path string", file)
    if not _check_path(file, join(path, kind), ctx, directory=kind.endswith("_dir")):
        return BAD
    return {kind: file}


def _check_path(file: str, path: str, ctx: Context, directory: bool = False) -> bool:
    resolved = Path(file) if ctx.base_dir is None else ctx.base_dir / file
    try:
        ok = resolved.is_dir() if directory else resolved.is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        ok = False
    if not ok:
        what = "an existing folder" if directory else "an existing file"
        ctx.add(path, f"expected {what} (relative to the scenario file), got "
                      f"{json.dumps(file)} ({resolved} not found)")
    return ok


# --- rules spanning several keys; values may be BAD (already reported) and are skipped

def _ok(*values: Any) -> bool:
    return all(v is not BAD for v in values)


def _check_info(v: dict, path: str, ctx: Context) -> None:
    hours, days = v["duration_h"], v["duration_days"]
    if hours is None and days is None:
        ctx.add(join(path, "duration_h"), "expected exactly one of duration_h or "
                                          "duration_days, got neither")
    elif hours is not None and days is not None:
        ctx.add(join(path, "duration_days"), f"expected exactly one of duration_h or "
                                             f"duration_days, got both ({hours:g} h "
                                             f"and {days:g} days)")
    else:
        given, key = (hours, "duration_h") if hours is not None else (days, "duration_days")
        interval = v["interval_min"]
        if _ok(given, interval) and isinstance(interval, int):
            run_h = given if key == "duration_h" else given * 24.0
            if run_h < interval / 60.0:
                ctx.add(join(path, key), f"expected at least one data interval "
                                         f"({interval} min), got {given:g}")


def _check_soc_bounds(v: dict, path: str, ctx: Context) -> None:
    lo, hi = v["min_soc_percent"], v["max_soc_percent"]
    if _ok(lo, hi) and not lo < hi:
        ctx.add(join(path, "max_soc_percent"),
                f"expected more than min_soc_percent ({lo:g}), got {hi:g}")


def _check_bess(v: dict, path: str, ctx: Context) -> None:
    _check_soc_bounds(v, path, ctx)
    _check_product_or_numbers(v, path, ctx, ("capacity_kwh", "max_power_kw"))


def _check_ev(v: dict, path: str, ctx: Context) -> None:
    _check_product_or_numbers(v, path, ctx, ("capacity_kwh", "max_charge_power_kw"))


def _check_product_or_numbers(v: dict, path: str, ctx: Context, needed: tuple[str, ...]) -> None:
    if v["product"] is None:
        for key in needed:
            if v[key] is None:
                ctx.add(join(path, key), 'expected a number when no product = "..." is '
                                         "given, got nothing")


def _check_unique_ids(items: Any, path: str, ctx: Context) -> None:
    if items is BAD:
        return
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        ident = item.get("id") if isinstance(item, dict) else None
        if not isinstance(ident, str):
            continue
        if ident in seen:
            ctx.add(f"{path}[{i}].id", f"expected a unique id, got {json.dumps(ident)} "
                                       f"(also {path}[{seen[ident]}].id)")
        else:
            seen[ident] = i


def _check_fleet(v: dict, path: str, ctx: Context) -> None:
    _check_unique_ids(v["prosumers"], join(path, "prosumers"), ctx)
    if isinstance(v["file"], str):
        _check_path(v["file"], join(path, "file"), ctx)


def _check_market(v: dict, path: str, ctx: Context) -> None:
    _check_unique_ids(v["events"], join(path, "events"), ctx)


def _check_sessions(v: dict, path: str, ctx: Context) -> None:
    given = [k for k in ("csv", "acn_json") if v[k] is not None]
    if len(given) != 1:
        ctx.add(path, "expected exactly one of csv or acn_json, got "
                      + (" and ".join(given) if given else "neither"))
    for key in given:
        if v[key] is not BAD and _check_path(v[key], join(path, key), ctx):
            _check_sessions_file(v[key], key, join(path, key), ctx)


SESSION_COLUMNS = ("ev_id", "arrival", "departure", "kwh_requested", "max_kw")


def _check_sessions_file(file: str, kind: str, path: str, ctx: Context) -> None:
    """Look at the header (CSV) or top level (ACN JSON) only; rows are read at run time."""
    resolved = Path(file) if ctx.base_dir is None else ctx.base_dir / file
    try:
        if kind == "csv":
            with resolved.open(encoding="utf-8", newline="") as handle:
                header = next(csv.reader(handle), [])
            missing = [c for c in SESSION_COLUMNS if c not in header]
            if missing:
                ctx.add(path, f"expected a CSV with columns {', '.join(SESSION_COLUMNS)}, got "
                              f"{json.dumps(file)} without {', '.join(missing)}")
            return
        doc = json.loads(resolved.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as exc:
        ctx.add(path, f"expected a readable {kind} file, got {json.dumps(file)} ({exc})")
        return
    items = doc.get("_items") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        ctx.add(path, f'expected ACN-Data JSON (an "_items" array of sessions), got '
                      f"{json.dumps(file)}")


def _check_output(v: dict, path: str, ctx: Context) -> None:
    formats = v["formats"]
    if formats is not BAD and len(formats) == 0:
        ctx.add(join(path, "formats"), "expected at least one format, got []")
    for key in ("formats", "event_kinds"):
        items = v[key]
        if items is not BAD and len(set(items)) != len(items):
            dup = next(x for x in items if list(items).count(x) > 1)
            ctx.add(join(path, key), f"expected no repeats, got {json.dumps(dup)} twice")


def _check_scenario(v: dict, path: str, ctx: Context) -> None:
    fleet = v["fleet"]
    if isinstance(fleet, s.FleetSpec | dict) and v["sessions"] is None:
        get = (lambda k: getattr(fleet, k)) if isinstance(fleet, s.FleetSpec) else fleet.get
        empty = get("generate") is None and get("file") is None and not get("prosumers")
        if empty:
            ctx.add("fleet", "expected [fleet.generate], fleet.file, at least one "
                             "[[fleet.prosumers]] or a [sessions] file, got none")
    info, market = v["info"], v["market"]
    if not isinstance(info, dict) or not isinstance(market, dict):
        return
    start = info.get("start", BAD)
    if "duration_h" in info and "duration_days" not in info:
        hours = info["duration_h"]
    elif "duration_days" in info and "duration_h" not in info:
        hours = info["duration_days"] * 24 if info["duration_days"] is not BAD else BAD
    else:
        return
    if not isinstance(start, pd.Timestamp) or hours is BAD:
        return
    end = start + pd.Timedelta(hours=hours)
    events = market.get("events", [])
    if events is BAD:
        return
    windows = []
    for i, event in enumerate(events):
        e_start, e_hours = event.get("start", BAD), event.get("duration_h", BAD)
        if not _ok(e_start, e_hours):
            continue
        e_end = e_start + pd.Timedelta(hours=e_hours)
        windows.append((e_start, e_end, i))
        if e_start < start or e_end > end:
            ctx.add(f"market.events[{i}]",
                    f"expected inside the run {_fmt(start)} to {_fmt(end)}, got "
                    f"{_fmt(e_start)} to {_fmt(e_end)}")
    windows.sort()
    for (_, a_end, a), (b_start, b_end, b) in zip(windows, windows[1:], strict=False):
        if b_start < a_end:
            ctx.add(f"market.events[{b}]",
                    f"expected no overlap with market.events[{a}] (ends {_fmt(a_end)}), got "
                    f"{_fmt(b_start)} to {_fmt(b_end)}")


def _fmt(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M%z")


_CLASS_CHECKS = {
    s.ScenarioInfo: _check_info,
    s.BessSpec: _check_bess,
    s.EvSpec: _check_ev,
    s.FleetSpec: _check_fleet,
    s.MarketSpec: _check_market,
    s.SessionsSpec: _check_sessions,
    s.OutputSpec: _check_output,
    s.Scenario: _check_scenario,
}
