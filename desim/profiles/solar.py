"""PV output per kWp: pvlib's PVWatts chain, once per orientation bucket.

Chain (each step pvlib, following its PVWatts ModelChain, `ModelChain.with_pvwatts`):
solar position (NREL SPA, `pvlib.solarposition`), clear-sky irradiance (Ineichen
with Linke turbidity climatology shipped with pvlib), optionally a cloud model
or a weather file, transposition to the plane of array (Perez 1990), incidence
angle modifier on the beam (physical, n = 1.526), cell temperature (SAPM, King
et al. 2004), DC power (PVWatts, Dobos 2014, `pvlib.pvsystem.pvwatts_dc`),
system losses, and the PVWatts inverter (`pvlib.inverter.pvwatts`).

Reference: A. P. Dobos, "PVWatts Version 5 Manual", NREL/TP-6A20-62641, 2014.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
import pandas as pd
import pvlib

from desim.errors import ParameterError, check_all
from desim.profiles import _csv
from desim.profiles.timebase import interval_min_of
from desim.profiles.weather import clearsky_index_markov, split_clearsky_index

__all__ = ["SOLAR_MODELS", "solar_kw_per_kwp", "orientation_buckets", "csv_solar_kw_per_kw",
           "ambient_temperature_c"]

SOLAR_MODELS = ("clearsky", "clearsky_markov", "weather_file", "csv")
_TEMPERATURE_MODELS = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]
_MAX_POINT_SPACING_MIN = 15.0  # sub-interval evaluation points at most this far apart
_MONTH_START_DOY = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30])
_CHUNK_ELEMENTS = 2_000_000    # orientations x points evaluated at once (memory bound)


@contextlib.contextmanager
def _quiet_pandas():
    """Silence pandas' own deprecation notices raised inside pvlib (not desim's to fix)."""
    with warnings.catch_warnings():
        for name in ("Pandas4Warning", "Pandas5Warning"):
            category = getattr(pd.errors, name, None)
            if category is not None:
                warnings.filterwarnings("ignore", category=category)
        yield


def orientation_buckets(tilt_deg, azimuth_deg, tilt_step_deg: float = 5.0,
                        azimuth_step_deg: float = 15.0):
    """Group systems into orientation buckets so profiles are computed once per bucket.

    Parameters
    ----------
    tilt_deg : array_like
        Panel tilt from horizontal per system, degrees in [0, 90].
    azimuth_deg : array_like
        Panel azimuth per system, degrees clockwise from north (180 = south);
        any real, wrapped to [0, 360).
    tilt_step_deg, azimuth_step_deg : float
        Bucket widths, degrees > 0. Tilt and azimuth are rounded to the nearest
        multiple; a flat panel (tilt 0) has one bucket whatever its azimuth.

    Returns
    -------
    bucket_index : numpy.ndarray of intp, shape (n_systems,)
        Row of each system in the bucket arrays.
    bucket_tilt_deg, bucket_azimuth_deg : numpy.ndarray of float64, shape (n_buckets,)
        The unique bucket orientations, sorted by tilt then azimuth.

    Raises
    ------
    ParameterError
        On shape mismatch, non-finite or out-of-range angles, or bad steps.
    """
    tilt = np.atleast_1d(np.asarray(tilt_deg, dtype=float)).ravel()
    azimuth = np.atleast_1d(np.asarray(azimuth_deg, dtype=float)).ravel()
    problems = []
    if tilt.shape != azimuth.shape:
        problems.append(f"orientation_buckets: expected tilt_deg and azimuth_deg of equal "
                        f"length, got {tilt.size} and {azimuth.size}")
    bad_tilt = np.flatnonzero(~((tilt >= 0) & (tilt <= 90)))
    if bad_tilt.size:
        problems.append(f"tilt_deg[{bad_tilt[0]}]: expected 0-90, got {tilt[bad_tilt[0]]}")
    bad_az = np.flatnonzero(~np.isfinite(azimuth))
    if bad_az.size:
        problems.append(f"azimuth_deg[{bad_az[0]}]: expected a finite angle, "
                        f"got {azimuth[bad_az[0]]}")
    for label, step in (("tilt_step_deg", tilt_step_deg), ("azimuth_step_deg", azimuth_step_deg)):
        if not (np.isfinite(step) and step > 0):
            problems.append(f"orientation_buckets.{label}: expected > 0, got {step}")
    check_all(problems)
    q_tilt = np.clip(np.round(tilt / tilt_step_deg) * tilt_step_deg, 0.0, 90.0)
    q_az = np.mod(np.round(np.mod(azimuth, 360.0) / azimuth_step_deg) * azimuth_step_deg, 360.0)
    q_az = np.where(q_tilt == 0.0, 180.0, q_az)
    keys, bucket_index = np.unique(np.stack([q_tilt, q_az], axis=1), axis=0,
                                   return_inverse=True)
    return bucket_index.reshape(-1).astype(np.intp), keys[:, 0].copy(), keys[:, 1].copy()


def ambient_temperature_c(times, mean_c: float = 18.5, seasonal_amplitude_c: float = 4.5,
                          diurnal_amplitude_c: float = 5.0) -> np.ndarray:
    """A smooth ambient temperature (deg C) for runs without a weather file.

    T = mean + A_s cos(2 pi (doy - 213) / 365.25) + A_d cos(2 pi (hour - 15) / 24):
    warmest in early August and at 15 h local time. Defaults are an assumption
    shaped on coastal Los Angeles normals (annual mean near 18-19 C).
    """
    local = pd.DatetimeIndex(times)
    doy = local.day_of_year.to_numpy(float)
    hour = (local.hour + local.minute / 60.0 + local.second / 3600.0).to_numpy(float)
    return (mean_c + seasonal_amplitude_c * np.cos(2 * np.pi * (doy - 213.0) / 365.25)
            + diurnal_amplitude_c * np.cos(2 * np.pi * (hour - 15.0) / 24.0))


def _points(times: pd.DatetimeIndex, interval_min: float, points_per_interval: int | None):
    """Evaluation points inside each interval: (n_times * n_sub) midpoints of sub-slots."""
    n_sub = points_per_interval or max(1, math.ceil(interval_min / _MAX_POINT_SPACING_MIN))
    offsets = (np.arange(n_sub) + 0.5) / n_sub * interval_min
    start = times.as_unit("ns").asi8
    ns = start[:, None] + np.round(offsets * 6e10).astype(np.int64)[None, :]
    return pd.DatetimeIndex(pd.to_datetime(ns.ravel(), utc=True)).tz_convert(times.tz), n_sub


def _weather_on_points(path, points: pd.DatetimeIndex, latitude: float, longitude: float):
    """GHI, DNI, DHI (W/m^2), air temperature (C), wind (m/s) from a TMY3/EPW file.

    A typical-year file is matched by month, day and hour (in the file's own
    standard time); hourly rows hold over their hour (labelled at its end, as
    TMY3 and EPW do). 29 February uses 28 February.
    Timestamps of the points are taken in the file's fixed UTC offset.
    """
    path_text = str(path)
    suffix = path_text.lower().rsplit(".", 1)[-1]
    try:
        if suffix == "epw":
            data, meta = pvlib.iotools.read_epw(path_text)
        elif suffix == "csv":
            data, meta = pvlib.iotools.read_tmy3(path_text, map_variables=True)
        else:
            raise ParameterError(f"{path_text}: expected a TMY3 (.csv) or EPW (.epw) file, "
                                 f"got suffix {suffix!r}")
    except ParameterError:
        raise
    except Exception as exc:  # pvlib raises various parse errors
        raise ParameterError(f"{path_text}: could not read as {suffix.upper()} weather "
                             f"({type(exc).__name__}: {exc})") from exc
    needed = ["ghi", "dni", "dhi", "temp_air", "wind_speed"]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ParameterError(f"{path_text}: expected columns {needed}, missing {missing}")
    site_lat, site_lon = float(meta.get("latitude", latitude)), float(meta.get("longitude",
                                                                             longitude))
    if abs(site_lat - latitude) > 1.0 or abs(site_lon - longitude) > 1.0:
        from desim.errors import warn
        warn(f"{path_text}: weather site at ({site_lat:.2f}, {site_lon:.2f}) is more than 1 deg "
             f"from the scenario site ({latitude:.2f}, {longitude:.2f})", stacklevel=4)
    if len(data) != 8760:
        raise ParameterError(f"{path_text}: expected a typical year of 8760 hourly rows, "
                             f"got {len(data)}")
    # Row r covers hour r of a 365-day year (hour-ending labels, in file order),
    # whatever year each month came from.
    local = points.tz_convert(data.index.tz)
    month, day, hour = local.month.to_numpy(), local.day.to_numpy(), local.hour.to_numpy()
    day = np.where((month == 2) & (day == 29), 28, day)
    rows = (_MONTH_START_DOY[month - 1] + day - 1) * 24 + hour
    values = data[needed].to_numpy(float)[rows]
    bad = ~np.isfinite(values)
    if bad.any():
        column = needed[int(np.flatnonzero(bad.any(axis=0))[0])]
        raise ParameterError(f"{path_text}: column {column!r}: expected finite numbers, got "
                             f"missing values")
    return tuple(values[:, i] for i in range(5))


def _ac_kw_per_kwp(solar_position, ghi, dni, dhi, temp_air_c, wind_m_per_s, dni_extra,
                   airmass, tilt_deg, azimuth_deg, losses_percent, dc_ac_ratio, gamma_pdc,
                   inverter_efficiency, temperature_params, albedo):
    """AC kW per kWp DC at each point for each orientation, shape (n_orient, n_points).

    Only daylight points (apparent zenith < 90 deg) are evaluated; the rest are 0.
    The angle of incidence is computed once per chunk and the physical IAM is read
    from a 0.05 deg table of `pvlib.iam.physical` (interpolation error < 1e-5).
    """
    zenith_all = solar_position["apparent_zenith"].to_numpy()
    out = np.zeros((tilt_deg.size, zenith_all.size), dtype=np.float32)
    day = np.flatnonzero(zenith_all < 90.0)
    if day.size == 0:
        return out
    zenith = zenith_all[day]
    sun_azimuth = solar_position["azimuth"].to_numpy()[day]
    ghi, dni, dhi, dni_extra, airmass = (np.asarray(a, float)[day] for a in
                                         (ghi, dni, dhi, dni_extra, airmass))
    temp_air_c, wind_m_per_s = np.asarray(temp_air_c)[day], np.asarray(wind_m_per_s)[day]
    cos_z, sin_z = np.cos(np.radians(zenith)), np.sin(np.radians(zenith))
    sun_az_rad = np.radians(sun_azimuth)
    sun_cos_az, sun_sin_az = sin_z * np.cos(sun_az_rad), sin_z * np.sin(sun_az_rad)
    chunk = max(1, _CHUNK_ELEMENTS // day.size)
    pdc0_inverter = (1.0 / dc_ac_ratio) / inverter_efficiency
    derate = 1.0 - losses_percent / 100.0
    for lo in range(0, tilt_deg.size, chunk):  # chunks of orientation buckets, not homes
        tilt = tilt_deg[lo:lo + chunk, None]
        azimuth = azimuth_deg[lo:lo + chunk, None]
        t_rad, a_rad = np.radians(tilt), np.radians(azimuth)
        sin_t = np.sin(t_rad)
        # cos(aoi) = cos z cos t + sin z sin t cos(az_sun - az_surface), as pvlib.irradiance.aoi
        cos_aoi = (np.cos(t_rad) * cos_z + (sin_t * np.cos(a_rad)) * sun_cos_az
                   + (sin_t * np.sin(a_rad)) * sun_sin_az)
        np.clip(cos_aoi, -1.0, 1.0, out=cos_aoi)
        poa_direct = dni * np.maximum(cos_aoi, 0.0)
        poa_sky = np.nan_to_num(pvlib.irradiance.perez(
            tilt, azimuth, dhi, dni, dni_extra, zenith, sun_azimuth, airmass), nan=0.0)
        poa_ground = pvlib.irradiance.get_ground_diffuse(tilt, ghi, albedo)
        poa_diffuse = poa_sky + poa_ground
        iam = np.interp(cos_aoi, _IAM_COS, _IAM_VALUE)
        effective = poa_direct * iam + poa_diffuse
        temp_cell = pvlib.temperature.sapm_cell(poa_direct + poa_diffuse, temp_air_c,
                                                wind_m_per_s, **temperature_params)
        dc = pvlib.pvsystem.pvwatts_dc(effective, temp_cell, 1.0, gamma_pdc) * derate
        ac = pvlib.inverter.pvwatts(np.maximum(dc, 0.0), pdc0_inverter,
                                    eta_inv_nom=inverter_efficiency)
        out[lo:lo + chunk, day] = np.clip(np.nan_to_num(ac, nan=0.0), 0.0, None)
    return out


def _iam_table():
    """Physical IAM (n = 1.526, K = 4/m, L = 2 mm; De Soto et al. 2006) against cos(aoi)."""
    aoi = np.linspace(0.0, 90.0, 1801)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.nan_to_num(np.asarray(pvlib.iam.physical(aoi), float), nan=0.0)
    cos_aoi = np.cos(np.radians(aoi))
    order = np.argsort(cos_aoi)
    return np.concatenate([[-1.0], cos_aoi[order]]), np.concatenate([[0.0], value[order]])


_IAM_COS, _IAM_VALUE = _iam_table()

def csv_solar_kw_per_kw(path, times: pd.DatetimeIndex) -> np.ndarray:
    """A normalised PV profile (AC kW per kW installed) from CSV, as interval means on `times`.

    The file has a header and two columns, ``timestamp,kw_per_kw``: ISO 8601
    interval starts (with a UTC offset, or naive wall time in the zone of
    `times`) and the mean output over the interval as a fraction of capacity
    (>= 0; the seed project's ``solar_data.csv``). Finer data is averaged and
    coarser data held, exactly (integral of the step series).

    Returns
    -------
    numpy.ndarray
        float32 (n_times,).

    Raises
    ------
    ParameterError
        Naming the file, line, column and value of malformed rows, or the
        covered span when the file does not cover `times`.
    """
    values = _csv.interval_means_on(path, "kw_per_kw", times, allow_negative=False)
    return values.astype(np.float32)


def _validate(latitude, longitude, altitude_m, model, losses_percent, dc_ac_ratio,
              inverter_efficiency, temperature_model, weather_path, csv_path, tilt, azimuth):
    problems = []
    if not (-90 <= latitude <= 90):
        problems.append(f"latitude: expected -90 to 90 deg, got {latitude}")
    if not (-180 <= longitude <= 180):
        problems.append(f"longitude: expected -180 to 180 deg, got {longitude}")
    if not (-500 <= altitude_m <= 9000):
        problems.append(f"altitude_m: expected -500 to 9000 m, got {altitude_m}")
    if model not in SOLAR_MODELS:
        problems.append(f"model: expected one of {list(SOLAR_MODELS)}, got {model!r}")
    if not (0 <= losses_percent < 100):
        problems.append(f"losses_percent: expected 0 to <100, got {losses_percent}")
    if not (dc_ac_ratio > 0):
        problems.append(f"dc_ac_ratio: expected > 0, got {dc_ac_ratio}")
    if not (0 < inverter_efficiency <= 1):
        problems.append(f"inverter_efficiency: expected a fraction in (0, 1], "
                        f"got {inverter_efficiency}")
    if temperature_model not in _TEMPERATURE_MODELS:
        problems.append(f"temperature_model: expected one of {sorted(_TEMPERATURE_MODELS)}, "
                        f"got {temperature_model!r}")
    if model == "weather_file" and weather_path is None:
        problems.append("weather_path: expected a TMY3/EPW path for model='weather_file'")
    if model == "csv" and csv_path is None:
        problems.append("csv_path: expected a CSV path for model='csv'")
    if tilt.shape != azimuth.shape:
        problems.append(f"tilt_deg/azimuth_deg: expected equal lengths, got {tilt.size} and "
                        f"{azimuth.size}")
    elif not np.all((tilt >= 0) & (tilt <= 90)) or not np.all(np.isfinite(azimuth)):
        problems.append(f"tilt_deg/azimuth_deg: expected tilt 0-90 and finite azimuths, got "
                        f"tilt {tilt.tolist()[:5]}, azimuth {azimuth.tolist()[:5]}")
    check_all(problems)


def solar_kw_per_kwp(latitude: float, longitude: float, altitude_m: float,
                     times: pd.DatetimeIndex, tilt_deg, azimuth_deg,
                     rng: np.random.Generator | None = None, model: str = "clearsky_markov",
                     losses_percent: float = 14.0, dc_ac_ratio: float = 1.2, *,
                     gamma_pdc_per_c: float = -0.0037, inverter_efficiency: float = 0.96,
                     temperature_model: str = "open_rack_glass_polymer",
                     temp_air_c=None, wind_speed_m_per_s=1.0, albedo: float = 0.2,
                     weather_path=None, csv_path=None,
                     points_per_interval: int | None = None) -> np.ndarray:
    """AC output per kWp DC for each orientation, as interval means on `times`.

    Parameters
    ----------
    latitude, longitude : float
        Site, degrees north and east (Los Angeles: 34.05, -118.25).
    altitude_m : float
        Site altitude above sea level, m.
    times : pandas.DatetimeIndex
        Regular, tz-aware interval starts; the result is each interval's mean,
        averaged from points at most 15 min apart (midpoints of sub-slots).
    tilt_deg, azimuth_deg : array_like
        Orientations (one per bucket, see `orientation_buckets`): tilt 0-90 deg
        from horizontal, azimuth deg clockwise from north (180 = south).
    rng : numpy.random.Generator, optional
        Randomness for ``model="clearsky_markov"``; None uses a fixed seed (0).
    model : {"clearsky", "clearsky_markov", "weather_file", "csv"}
        Clear sky; clear sky times the Markov cloud model
        (`desim.profiles.weather`); a TMY3/EPW file (`weather_path`); or a
        normalised kW/kW CSV (`csv_path`, same for every orientation).
    losses_percent : float
        PVWatts system losses, percent of DC (default 14, PVWatts' default).
    dc_ac_ratio : float
        DC nameplate over inverter AC rating (> 0, default 1.2).
    gamma_pdc_per_c : float
        Power temperature coefficient, 1/C (default -0.0037, a typical
        crystalline-silicon datasheet value; assumption).
    inverter_efficiency : float
        PVWatts nominal inverter efficiency, fraction (default 0.96, Dobos 2014).
    temperature_model : str
        SAPM parameter set from `pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS`
        (default ``open_rack_glass_polymer``, as PVWatts' default open-rack array).
    temp_air_c : float or array_like (n_times,), optional
        Ambient temperature, C; None uses `ambient_temperature_c` (clear-sky
        models) or the weather file.
    wind_speed_m_per_s : float or array_like (n_times,)
        Wind speed for the cell temperature (default 1 m/s).
    albedo : float
        Ground reflectance, fraction (default 0.2).
    weather_path, csv_path : path, optional
        Inputs of the ``weather_file`` and ``csv`` models.
    points_per_interval : int, optional
        Override the number of evaluation points per interval.

    Returns
    -------
    numpy.ndarray
        float32 (n_orientations, n_times), AC kW per kWp DC, >= 0 and at most
        ``1 / dc_ac_ratio`` (inverter clipping).

    Raises
    ------
    ParameterError
        On bad site, orientation, model or file contents (all problems listed).
    """
    tilt = np.atleast_1d(np.asarray(tilt_deg, dtype=float)).ravel()
    azimuth = np.atleast_1d(np.asarray(azimuth_deg, dtype=float)).ravel()
    interval = interval_min_of(times)
    _validate(latitude, longitude, altitude_m, model, losses_percent, dc_ac_ratio,
              inverter_efficiency, temperature_model, weather_path, csv_path, tilt, azimuth)
    if model == "csv":
        profile = csv_solar_kw_per_kw(csv_path, times)
        return np.broadcast_to(profile, (tilt.size, len(times))).copy()

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"), _quiet_pandas():
        return _solar(latitude, longitude, altitude_m, times, tilt, azimuth, rng, model,
                      losses_percent, dc_ac_ratio, gamma_pdc_per_c, inverter_efficiency,
                      temperature_model, temp_air_c, wind_speed_m_per_s, albedo, weather_path,
                      _points(times, interval, points_per_interval))


def _solar(latitude, longitude, altitude_m, times, tilt, azimuth, rng, model, losses_percent,
           dc_ac_ratio, gamma_pdc_per_c, inverter_efficiency, temperature_model, temp_air_c,
           wind_speed_m_per_s, albedo, weather_path, points_and_n_sub):
    """The chain behind `solar_kw_per_kwp` for the irradiance-based models."""
    points, n_sub = points_and_n_sub
    position = pvlib.solarposition.get_solarposition(points, latitude, longitude, altitude_m)
    apparent_zenith = position["apparent_zenith"].to_numpy()
    airmass = pvlib.atmosphere.get_relative_airmass(apparent_zenith)
    dni_extra = pvlib.irradiance.get_extra_radiation(
        points.tz_convert("UTC").day_of_year.to_numpy(float))
    wind = _per_point(wind_speed_m_per_s, len(times), n_sub, "wind_speed_m_per_s")
    if model == "weather_file":
        ghi, dni, dhi, file_temp, file_wind = _weather_on_points(weather_path, points,
                                                                 latitude, longitude)
        temp_air = file_temp if temp_air_c is None else _per_point(temp_air_c, len(times),
                                                                   n_sub, "temp_air_c")
        wind = file_wind
    else:
        linke = pvlib.clearsky.lookup_linke_turbidity(points, latitude, longitude).to_numpy()
        absolute = pvlib.atmosphere.get_absolute_airmass(
            airmass, pvlib.atmosphere.alt2pres(altitude_m))
        clear = pvlib.clearsky.ineichen(apparent_zenith, absolute, linke, altitude=altitude_m,
                                        dni_extra=dni_extra)
        ghi, dni, dhi = (np.nan_to_num(np.asarray(clear[c], float)) for c in ("ghi", "dni", "dhi"))
        if model == "clearsky_markov":
            k = clearsky_index_markov(times, rng if rng is not None else np.random.default_rng(0))
            ghi, dni, dhi = split_clearsky_index(np.repeat(k, n_sub), ghi, dni,
                                                 np.cos(np.radians(apparent_zenith)))
        temp_air = (ambient_temperature_c(points) if temp_air_c is None
                    else _per_point(temp_air_c, len(times), n_sub, "temp_air_c"))
    ac = _ac_kw_per_kwp(position, ghi, dni, dhi, temp_air, wind, dni_extra, airmass, tilt,
                        azimuth, losses_percent, dc_ac_ratio, gamma_pdc_per_c,
                        inverter_efficiency, _TEMPERATURE_MODELS[temperature_model], albedo)
    return ac.reshape(tilt.size, len(times), n_sub).mean(axis=2, dtype=np.float32)


def _per_point(value, n_times: int, n_sub: int, label: str) -> np.ndarray:
    """A scalar or per-interval array repeated onto the evaluation points."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return np.full(n_times * n_sub, float(array))
    if array.shape != (n_times,):
        raise ParameterError(f"{label}: expected a scalar or shape ({n_times},), "
                             f"got shape {array.shape}")
    return np.repeat(array, n_sub)
