"""Rules that span several keys of a scenario table, and the files it names.

One function per schema class, in `RULES`. Each receives the table's values
(the structured instance, or a namespace of what could be read, with `BAD`
where a value failed its own check, already reported) and returns the
problems it finds, each at a key relative to the table.
"""

from __future__ import annotations

import contextvars
import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from desim.scenario import schema as s
from desim.scenario._messages import Problem

__all__ = ["RULES", "BAD", "BASE_DIR"]


class _Bad:
    def __repr__(self) -> str:
        return "BAD"


BAD: Any = _Bad()  # a value that failed its check

# The folder relative paths are read from (None: the current one).
BASE_DIR: contextvars.ContextVar[Path | None] = contextvars.ContextVar("base_dir",
                                                                       default=None)


def _ok(*values: Any) -> bool:
    return all(v is not BAD for v in values)


def _check_path(file: str, at: str, directory: bool = False) -> list[Problem]:
    base = BASE_DIR.get()
    resolved = Path(file) if base is None else base / file
    try:
        ok = resolved.is_dir() if directory else resolved.is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        ok = False
    if ok:
        return []
    what = "an existing folder" if directory else "an existing file"
    return [Problem(f"expected {what} (relative to the scenario file), got "
                    f"{json.dumps(file)} ({resolved} not found)", at)]


def _info(v: Any) -> list[Problem]:
    hours, days = v.duration_h, v.duration_days
    if hours is None and days is None:
        return [Problem("expected exactly one of duration_h or duration_days, got neither",
                        "duration_h")]
    if hours is not None and days is not None:
        values = f" ({hours:g} h and {days:g} days)" if _ok(hours, days) else ""
        return [Problem(f"expected exactly one of duration_h or duration_days, got "
                        f"both{values}", "duration_days")]
    given, key = (hours, "duration_h") if hours is not None else (days, "duration_days")
    interval = v.interval_min
    if _ok(given, interval) and isinstance(interval, int):
        run_h = given if key == "duration_h" else given * 24.0
        if run_h < interval / 60.0:
            return [Problem(f"expected at least one data interval ({interval} min), got "
                            f"{given:g}", key)]
    return []


def _product_or_numbers(v: Any, needed: tuple[str, ...]) -> list[Problem]:
    if v.product is not None:
        return []
    return [Problem('expected a number when no product = "..." is given, got nothing', key)
            for key in needed if getattr(v, key) is None]


def _bess(v: Any) -> list[Problem]:
    out = []
    lo, hi = v.min_soc_percent, v.max_soc_percent
    if _ok(lo, hi) and not lo < hi:
        out.append(Problem(f"expected more than min_soc_percent ({lo:g}), got {hi:g}",
                           "max_soc_percent"))
    return out + _product_or_numbers(v, ("capacity_kwh", "max_power_kw"))


def _ev(v: Any) -> list[Problem]:
    return _product_or_numbers(v, ("capacity_kwh", "max_charge_power_kw"))


def _unique_ids(items: Any, key: str) -> list[Problem]:
    if items is BAD:
        return []
    out, seen = [], {}
    for i, item in enumerate(items):
        ident = getattr(item, "id", None)
        if not isinstance(ident, str):
            continue
        if ident in seen:
            out.append(Problem(f"expected a unique id, got {json.dumps(ident)}",
                               f"{key}[{i}].id", also=f"{key}[{seen[ident]}].id"))
        else:
            seen[ident] = i
    return out


def _fleet(v: Any) -> list[Problem]:
    out = _unique_ids(v.prosumers, "prosumers")
    if isinstance(v.file, str):
        out += _check_path(v.file, "file")
    return out


def _profiles(v: Any) -> list[Problem]:
    return [p for name in ("solar", "load", "prices", "outdoor_temperature")
            if isinstance(source := getattr(v, name), s.FileSource)
            for p in _check_path(source.path, f"{name}.{source.kind}",
                                 directory=source.kind.endswith("_dir"))]


def _market(v: Any) -> list[Problem]:
    return _unique_ids(v.events, "events")


SESSION_COLUMNS = ("ev_id", "arrival", "departure", "kwh_requested", "max_kw")


def _sessions(v: Any) -> list[Problem]:
    given = [k for k in ("csv", "acn_json") if getattr(v, k) is not None]
    out = []
    if len(given) != 1:
        out.append(Problem("expected exactly one of csv or acn_json, got "
                           + (" and ".join(given) if given else "neither")))
    for key in given:
        file = getattr(v, key)
        if file is BAD:
            continue
        found = _check_path(file, key)
        out += found or _sessions_file(file, key)
    return out


def _sessions_file(file: str, kind: str) -> list[Problem]:
    """Look at the header (CSV) or top level (ACN JSON) only; rows are read at run time."""
    base = BASE_DIR.get()
    resolved = Path(file) if base is None else base / file
    try:
        if kind == "csv":
            with resolved.open(encoding="utf-8", newline="") as handle:
                header = next(csv.reader(handle), [])
            missing = [c for c in SESSION_COLUMNS if c not in header]
            if missing:
                return [Problem(f"expected a CSV with columns {', '.join(SESSION_COLUMNS)}, "
                                f"got {json.dumps(file)} without {', '.join(missing)}", kind)]
            return []
        doc = json.loads(resolved.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as exc:
        return [Problem(f"expected a readable {kind} file, got {json.dumps(file)} ({exc})",
                        kind)]
    items = doc.get("_items") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        return [Problem(f'expected ACN-Data JSON (an "_items" array of sessions), got '
                        f"{json.dumps(file)}", kind)]
    return []


def _output(v: Any) -> list[Problem]:
    out = []
    if v.formats is not BAD and len(v.formats) == 0:
        out.append(Problem("expected at least one format, got []", "formats"))
    for key in ("formats", "event_kinds"):
        items = getattr(v, key)
        if items is not BAD and len(set(items)) != len(items):
            dup = next(x for x in items if list(items).count(x) > 1)
            out.append(Problem(f"expected no repeats, got {json.dumps(dup)} twice", key))
    return out


def _run(v: Any) -> list[Problem]:
    out = []
    if v.workers not in (None, BAD) and v.scheduler not in (None, BAD):
        out.append(Problem("expected at most one of workers and scheduler, got both",
                           "workers", also="scheduler"))
    for key in ("workers", "scheduler"):
        value = getattr(v, key)
        if value not in (None, BAD) and v.shards is not BAD and (v.shards or 1) < 2:
            out.append(Problem(f"expected shards greater than 1 with {key} (one shard runs "
                               f"in this process), got shards = {v.shards or 'not given'}",
                               key, also="shards"))
    return out


def _scenario(v: Any) -> list[Problem]:
    out = []
    fleet = v.fleet
    if fleet is not BAD and v.sessions is None and fleet.generate is None \
            and fleet.file is None and not fleet.prosumers:
        out.append(Problem("expected [fleet.generate], fleet.file, at least one "
                           "[[fleet.prosumers]] or a [sessions] file, got none", "fleet"))
    prosumers = fleet.prosumers if fleet is not BAD else BAD
    if v.site is None and fleet is not BAD and (
            fleet.generate is not None or fleet.file is not None
            or (isinstance(prosumers, tuple)
                and any(p is not BAD and getattr(p, "solar", None) is not None
                        for p in prosumers))):
        out.append(Problem("expected a [site] table with latitude and longitude (the fleet "
                           "may have solar), got none", "site"))
    if isinstance(prosumers, tuple) and v.profiles is not BAD \
            and v.profiles.outdoor_temperature is None:
        hvac = [f"fleet.prosumers[{i}] has an [hvac] unit" for i, p in enumerate(prosumers)
                if p is not BAD and getattr(p, "hvac", None) not in (None, BAD)]
        gen = fleet.generate
        if gen not in (None, BAD) and getattr(gen, "hvac", None) not in (None, BAD):
            hvac.insert(0, "fleet.generate.hvac is set")
        if hvac:
            out.append(Problem(
                f"expected an outdoor temperature source ({hvac[0]}): "
                + s.source_options(s.OUTDOOR_MODELS, ("csv", "weather_file"))
                + ", got none", "profiles.outdoor_temperature"))
    info, market = v.info, v.market
    if not _ok(info, market) or (info.duration_h is None) == (info.duration_days is None):
        return out
    start = info.start
    hours = info.duration_h if info.duration_h is not None else info.duration_days
    if hours is not BAD and info.duration_h is None:
        hours = hours * 24
    if not isinstance(start, pd.Timestamp) or hours is BAD or market.events is BAD:
        return out
    end = start + pd.Timedelta(hours=hours)
    windows = []
    for i, event in enumerate(market.events):
        e_start, e_hours = event.start, event.duration_h
        if not _ok(e_start, e_hours):
            continue
        e_end = e_start + pd.Timedelta(hours=e_hours)
        windows.append((e_start, e_end, i))
        if e_start < start or e_end > end:
            out.append(Problem(f"expected inside the run {_fmt(start)} to {_fmt(end)}, got "
                               f"{_fmt(e_start)} to {_fmt(e_end)}", f"market.events[{i}]"))
    windows.sort()
    for (_, a_end, a), (b_start, b_end, b) in zip(windows, windows[1:], strict=False):
        if b_start < a_end:
            out.append(Problem(f"expected no overlap with market.events[{a}] (ends "
                               f"{_fmt(a_end)}), got {_fmt(b_start)} to {_fmt(b_end)}",
                               f"market.events[{b}]"))
    return out


def _fmt(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M%z")


RULES: dict[type, Callable[[Any], list[Problem]]] = {
    s.ScenarioInfo: _info,
    s.BessSpec: _bess,
    s.EvSpec: _ev,
    s.FleetSpec: _fleet,
    s.ProfilesSpec: _profiles,
    s.MarketSpec: _market,
    s.SessionsSpec: _sessions,
    s.OutputSpec: _output,
    s.RunSpec: _run,
    s.Scenario: _scenario,
}
