"""Reading user time series (timestamp + one value column) onto a profile time base."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from desim.errors import ParameterError, check_all, warn
from desim.profiles.timebase import interval_min_of

_MAX_LISTED = 5
_OFFSET = r"(?:[Zz]|[+-]\d\d:?\d\d)$"


def read_series_csv(path, value_column: str, where: str | None = None,
                    allow_negative: bool = True):
    """Read `timestamp,<value_column>` from a CSV into (ns since epoch, float values).

    Timestamps are ISO 8601; with a UTC offset they are absolute, without one they
    are read as UTC unless `tz` localisation is done by the caller (see
    `_localize`). Raises `ParameterError` naming the file, column, row and value of
    every problem found (up to a few per kind).
    """
    path = Path(path)
    name = where or str(path)
    if not path.is_file():
        raise ParameterError(f"{name}: file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as exc:  # pandas raises several parser errors
        raise ParameterError(f"{name}: not a readable CSV ({exc})") from exc
    columns = [c.strip() for c in frame.columns]
    frame.columns = columns
    missing = [c for c in ("timestamp", value_column) if c not in columns]
    if missing:
        raise ParameterError(f"{name}: expected columns 'timestamp' and '{value_column}', "
                             f"missing {missing}, got columns {columns}")
    if len(frame) == 0:
        raise ParameterError(f"{name}: expected at least one data row, got none")
    problems: list[str] = []
    text = frame["timestamp"].str.strip()
    has_offset = text.str.contains(_OFFSET, regex=True)
    if has_offset.any() and not has_offset.all():
        row = int(np.flatnonzero(~has_offset.to_numpy())[0])
        raise ParameterError(f"{name}: line {row + 2}: column 'timestamp': expected every time "
                             f"with a UTC offset or none with one, got {text.iloc[row]!r}")
    stamps = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=bool(has_offset.all()))
    values = pd.to_numeric(frame[value_column].str.strip(), errors="coerce").to_numpy(float)
    bad_time = np.flatnonzero(stamps.isna().to_numpy())
    for row in bad_time[:_MAX_LISTED]:
        problems.append(f"{name}: line {row + 2}: column 'timestamp': expected an ISO 8601 "
                        f"date-time, got {frame['timestamp'].iloc[row]!r}")
    bad_value = np.flatnonzero(~np.isfinite(values))
    for row in bad_value[:_MAX_LISTED]:
        problems.append(f"{name}: line {row + 2}: column '{value_column}': expected a finite "
                        f"number, got {frame[value_column].iloc[row]!r}")
    if not allow_negative:
        negative = np.flatnonzero(values < 0)
        for row in negative[:_MAX_LISTED]:
            problems.append(f"{name}: line {row + 2}: column '{value_column}': expected a "
                            f"value >= 0, got {frame[value_column].iloc[row]!r}")
    if len(bad_time) + len(bad_value) > 2 * _MAX_LISTED:
        problems.append(f"{name}: {len(bad_time)} bad timestamps and {len(bad_value)} bad "
                        "values in all")
    check_all(problems)
    return stamps, values, name


def _to_utc_ns(stamps: pd.Series, tz, name: str) -> np.ndarray:
    """Absolute times (ns) of parsed stamps; naive stamps are wall time in `tz`."""
    index = pd.DatetimeIndex(stamps)
    if index.tz is None:
        try:
            index = index.tz_localize(tz, ambiguous="infer", nonexistent="raise")
        except Exception as exc:  # ambiguous or missing wall times around DST
            raise ParameterError(f"{name}: column 'timestamp': naive times could not be read "
                                 f"as {tz} wall time ({exc}); write them with a UTC offset, "
                                 "e.g. 2026-07-15T00:00-07:00") from exc
    return index.tz_convert("UTC").as_unit("ns").asi8


def _sorted_unique(t_ns: np.ndarray, values: np.ndarray, name: str):
    order = np.argsort(t_ns, kind="stable")
    t_ns, values = t_ns[order], values[order]
    dup = np.flatnonzero(np.diff(t_ns) == 0)
    if len(dup):
        first = pd.Timestamp(t_ns[dup[0]], tz="UTC")
        raise ParameterError(f"{name}: column 'timestamp': expected unique times, got "
                             f"{len(dup)} duplicates (first {first.isoformat()})")
    return t_ns, values


def interval_means_on(path, value_column: str, times: pd.DatetimeIndex,
                      where: str | None = None, allow_negative: bool = True) -> np.ndarray:
    """Interval means of a CSV step series over each interval of `times`.

    Each CSV row holds its value from its timestamp until the next row's (the
    last row for the median spacing). The mean over [t_i, t_i + dt) is the
    exact integral of that step function divided by dt, so finer data is
    averaged and coarser data is held. Raises `ParameterError` if the file does
    not cover the whole horizon.
    """
    dt_ns = int(round(interval_min_of(times) * 6e10))
    stamps, values, name = read_series_csv(path, value_column, where, allow_negative)
    t_ns, values = _sorted_unique(_to_utc_ns(stamps, times.tz, name), values, name)
    step = int(np.median(np.diff(t_ns))) if len(t_ns) > 1 else dt_ns
    edges = np.append(t_ns, t_ns[-1] + step)
    start = times.as_unit("ns").asi8
    end = start + dt_ns
    if start[0] < edges[0] or end[-1] > edges[-1]:
        raise ParameterError(
            f"{name}: expected data covering {times[0].isoformat()} to "
            f"{(times[-1] + pd.Timedelta(dt_ns, 'ns')).isoformat()}, got "
            f"{pd.Timestamp(edges[0], tz='UTC').tz_convert(times.tz).isoformat()} to "
            f"{pd.Timestamp(edges[-1], tz='UTC').tz_convert(times.tz).isoformat()}")
    # Cumulative integral at the edges (value-ns), relative to the first edge so
    # float64 keeps full precision; it is piecewise linear between edges.
    rel = (edges - edges[0]).astype(np.float64)
    cumulative = np.concatenate([[0.0], np.cumsum(values * np.diff(rel))])
    f_start = np.interp((start - edges[0]).astype(np.float64), rel, cumulative)
    f_end = np.interp((end - edges[0]).astype(np.float64), rel, cumulative)
    return (f_end - f_start) / float(dt_ns)


def forward_filled_on(path, value_column: str, times: pd.DatetimeIndex,
                      where: str | None = None, allow_negative: bool = True) -> np.ndarray:
    """The last CSV value at or before each time of `times` (a step series).

    Raises `ParameterError` if `times` starts before the first row; warns
    (`DesimWarning`) if it runs past the last row plus one spacing.
    """
    interval_min_of(times)
    stamps, values, name = read_series_csv(path, value_column, where, allow_negative)
    t_ns, values = _sorted_unique(_to_utc_ns(stamps, times.tz, name), values, name)
    start = times.as_unit("ns").asi8
    if start[0] < t_ns[0]:
        raise ParameterError(f"{name}: expected data from {times[0].isoformat()} or earlier, "
                             f"got first row at "
                             f"{pd.Timestamp(t_ns[0], tz='UTC').tz_convert(times.tz).isoformat()}")
    step = int(np.median(np.diff(t_ns))) if len(t_ns) > 1 else 0
    if start[-1] >= t_ns[-1] + max(step, 1) and len(t_ns) > 1:
        warn(f"{name}: data end at "
             f"{pd.Timestamp(t_ns[-1], tz='UTC').tz_convert(times.tz).isoformat()}; the last "
             f"value is held to {times[-1].isoformat()}", stacklevel=3)
    position = np.searchsorted(t_ns, start, side="right") - 1
    return values[position]


__all__: list[str] = []
