"""Outdoor temperature per profile interval (C), for thermal loads.

Three sources (``[profiles] outdoor_temperature`` in a scenario):

- ``{ csv = "file" }``: columns ``timestamp`` and ``temperature_c``; timestamps
  are local wall time of the scenario's zone (or carry a UTC offset); each row
  holds for the interval that starts at its timestamp. Rows on the scenario's
  own interval starts are used as they are; any other spacing is averaged
  exactly over each interval (a step series).
- ``{ weather_file = "file" }``: the air temperature of a TMY3 or EPW
  typical-year file (read with pvlib, as for solar), averaged over each interval.
- a built-in model: ``california_summer`` or ``california_heatwave``, a
  deterministic diurnal curve (see `california_diurnal_c`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from desim.errors import ParameterError
from desim.profiles import _csv
from desim.profiles.timebase import interval_min_of

__all__ = ["OUTDOOR_MODELS", "outdoor_temperature_c", "csv_outdoor_temperature_c",
           "california_diurnal_c"]

#: Built-in outdoor temperature models: (daily minimum C at 06:00, maximum C at 16:00).
#: Assumption, shaped on Sacramento in July: NOAA's 1991-2020 normals give a mean
#: daily maximum near 34 C and minimum near 16 C; the heat wave is a run of days
#: like those of the July 2024 Central Valley heat wave (maxima above 40 C, nights
#: above 20 C). Use a weather file or a CSV for a study of a real place and time.
OUTDOOR_MODELS = {"california_summer": (16.0, 34.0), "california_heatwave": (22.0, 42.0)}

_COLUMN = "temperature_c"
_MIN_HOUR, _MAX_HOUR = 6.0, 16.0


def california_diurnal_c(times: pd.DatetimeIndex, low_c: float, high_c: float) -> np.ndarray:
    """A diurnal curve: minimum at 06:00 local, maximum at 16:00, half-cosines between.

    The value of an interval is the curve at the interval's midpoint (local wall
    time), so a day has the same shape across a DST change.
    """
    dt_min = interval_min_of(times)
    mid = times + pd.Timedelta(minutes=dt_min / 2.0)
    hour = (mid.hour + mid.minute / 60.0 + mid.second / 3600.0).to_numpy(float)
    rising = (hour >= _MIN_HOUR) & (hour < _MAX_HOUR)
    # phase 0 at the minimum, 1 at the maximum
    up = (hour - _MIN_HOUR) / (_MAX_HOUR - _MIN_HOUR)
    down = ((hour - _MAX_HOUR) % 24.0) / (24.0 - (_MAX_HOUR - _MIN_HOUR))
    phase = np.where(rising, up, 1.0 - down)
    return low_c + (high_c - low_c) * 0.5 * (1.0 - np.cos(np.pi * phase))


def csv_outdoor_temperature_c(path, times: pd.DatetimeIndex, where: str | None = None
                              ) -> np.ndarray:
    """Outdoor temperature per interval of `times` from a ``timestamp,temperature_c`` CSV.

    Raises
    ------
    ParameterError
        Naming the file, line and value of a bad row, or the span the file misses.
    """
    stamps, values, name = _csv.read_series_csv(path, _COLUMN, where)
    t_ns, values = _csv._sorted_unique(_csv._to_utc_ns(stamps, times.tz, name), values, name)
    starts = times.as_unit("ns").asi8
    pos = np.searchsorted(t_ns, starts)
    inside = pos < len(t_ns)
    if inside.all() and np.array_equal(t_ns[pos], starts):
        dt_ns = int(round(interval_min_of(times) * 6e10))
        if len(t_ns) == len(starts) or np.all(np.diff(t_ns) == dt_ns):
            return values[pos]
    return _csv.interval_means_on(path, _COLUMN, times, where)


def outdoor_temperature_c(source, times: pd.DatetimeIndex, latitude: float = 0.0,
                          longitude: float = 0.0, path=None) -> np.ndarray:
    """Outdoor temperature per interval of `times` (C, float64) from a scenario source.

    Parameters
    ----------
    source : str or FileSource-like
        A model name of `OUTDOOR_MODELS`, or an object with ``kind`` ("csv" or
        "weather_file") and ``path``.
    times : pandas.DatetimeIndex
        Interval starts (tz-aware).
    latitude, longitude : float
        Site, degrees (checked against a weather file's own site).
    path : path-like, optional
        The resolved file path (default ``source.path``).
    """
    if isinstance(source, str):
        if source not in OUTDOOR_MODELS:
            raise ParameterError(f"outdoor_temperature: expected one of "
                                 f"{', '.join(OUTDOOR_MODELS)}, got {source!r}")
        return california_diurnal_c(times, *OUTDOOR_MODELS[source])
    path = source.path if path is None else path
    if source.kind == "csv":
        return csv_outdoor_temperature_c(path, times)
    if source.kind == "weather_file":
        from desim.profiles.solar import _points, _weather_on_points
        points, n_sub = _points(times, interval_min_of(times), None)
        temp = _weather_on_points(path, points, latitude, longitude)[3]
        return temp.reshape(len(times), n_sub).mean(axis=1)
    raise ParameterError(f"outdoor_temperature: expected a csv or weather_file source, "
                         f"got {source.kind!r}")
