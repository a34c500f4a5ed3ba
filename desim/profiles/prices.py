"""Prices: retail time-of-use tariffs (data file), a day-ahead price shape, CSV price series."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
from attrs import frozen

from desim.errors import ParameterError, check_all
from desim.profiles import _csv
from desim.profiles.timebase import interval_min_of, make_times

__all__ = ["Tariff", "TariffPeriod", "TariffSeason", "list_tariffs", "load_tariff",
           "tariff_price_usd_per_kwh", "day_ahead_usd_per_mwh", "csv_price_usd_per_mwh",
           "make_times"]

_DAYS = ("all", "weekdays", "weekends")


@frozen
class TariffPeriod:
    """A priced window of local wall-clock hours [start_h, end_h) on some days."""

    name: str
    start_h: float
    end_h: float
    days: str
    usd_per_kwh: float


@frozen
class TariffSeason:
    """Calendar months sharing an off-peak rate and a list of priced periods."""

    name: str
    months: tuple[int, ...]
    off_peak_usd_per_kwh: float
    periods: tuple[TariffPeriod, ...]


@frozen
class Tariff:
    """A retail time-of-use energy tariff (import prices only)."""

    name: str
    label: str
    utility: str
    source: str
    effective_date: str
    status: str
    seasons: tuple[TariffSeason, ...]

    def price_usd_per_kwh(self, times: pd.DatetimeIndex) -> np.ndarray:
        """Import price ($/kWh) at each interval start of `times` (local wall clock).

        Returns float64 (n_times,). Intervals are priced by their start, so use
        intervals that divide the period boundaries (15 or 60 min for whole hours).
        """
        interval_min_of(times)
        month = times.month.to_numpy()
        hour = (times.hour + times.minute / 60.0).to_numpy(float)
        weekend = np.asarray(times.day_of_week >= 5)
        price = np.full(len(times), np.nan)
        for season in self.seasons:  # a handful of tariff rows, vectorized over time
            in_season = np.isin(month, season.months)
            price[in_season] = season.off_peak_usd_per_kwh
            for period in season.periods:
                day_ok = {"all": True, "weekdays": ~weekend, "weekends": weekend}[period.days]
                if period.start_h <= period.end_h:
                    in_hours = (hour >= period.start_h) & (hour < period.end_h)
                else:  # wraps past midnight
                    in_hours = (hour >= period.start_h) | (hour < period.end_h)
                price[in_season & in_hours & day_ok] = period.usd_per_kwh
        return price


def _parse_tariff(name: str, raw: dict, where: str) -> Tariff:
    problems: list[str] = []
    seasons = []
    covered: list[int] = []
    for i, season in enumerate(raw.get("seasons", [])):
        here = f"{where}.seasons[{i}]"
        months = tuple(int(m) for m in season.get("months", []))
        if not months or any(not 1 <= m <= 12 for m in months):
            problems.append(f"{here}.months: expected months 1-12, got {list(months)}")
        covered.extend(months)
        periods = []
        for j, p in enumerate(season.get("periods", [])):
            there = f"{here}.periods[{j}]"
            if p.get("days", "all") not in _DAYS:
                problems.append(f"{there}.days: expected one of {list(_DAYS)}, "
                                f"got {p.get('days')!r}")
            if not (0 <= p.get("start_h", -1) <= 24 and 0 <= p.get("end_h", -1) <= 24):
                problems.append(f"{there}: expected 0 <= start_h, end_h <= 24, got "
                                f"{p.get('start_h')!r}, {p.get('end_h')!r}")
            periods.append(TariffPeriod(str(p.get("name", f"period{j}")),
                                        float(p.get("start_h", 0)), float(p.get("end_h", 0)),
                                        str(p.get("days", "all")),
                                        float(p.get("usd_per_kwh", np.nan))))
        seasons.append(TariffSeason(str(season.get("name", f"season{i}")), months,
                                    float(season.get("off_peak_usd_per_kwh", np.nan)),
                                    tuple(periods)))
    if sorted(covered) != list(range(1, 13)):
        problems.append(f"{where}.seasons: expected every month 1-12 exactly once, "
                        f"got {sorted(covered)}")
    rates = [s.off_peak_usd_per_kwh for s in seasons] + [
        p.usd_per_kwh for s in seasons for p in s.periods]
    if any(not np.isfinite(r) for r in rates):
        problems.append(f"{where}: expected a finite rate on every season and period")
    check_all(problems)
    return Tariff(name, str(raw.get("label", name)), str(raw.get("utility", "")),
                  str(raw.get("source", "")), str(raw.get("effective_date", "")),
                  str(raw.get("status", "")), tuple(seasons))


@cache
def _tariffs() -> dict[str, Tariff]:
    text = resources.files("desim.profiles").joinpath("data/tariffs.toml").read_text("utf-8")
    raw = tomllib.loads(text)["tariffs"]
    return {name: _parse_tariff(name, body, f"tariffs.toml: tariffs.{name}")
            for name, body in raw.items()}


def list_tariffs() -> list[str]:
    """Names of the built-in tariffs, sorted."""
    return sorted(_tariffs())


def load_tariff(name: str) -> Tariff:
    """The built-in tariff `name` (see `list_tariffs`); raises `ParameterError` if unknown."""
    tariffs = _tariffs()
    if name not in tariffs:
        raise ParameterError(f"tariff: expected one of {sorted(tariffs)}, got {name!r}")
    return tariffs[name]


def tariff_price_usd_per_kwh(name: str, times: pd.DatetimeIndex) -> np.ndarray:
    """Import price ($/kWh, float64, shape (n_times,)) of the built-in tariff `name`."""
    return load_tariff(name).price_usd_per_kwh(times)


# Assumption: a CAISO-like "duck curve" day-ahead price by local hour ($/MWh): low
# at midday when solar is abundant, a steep ramp to an evening peak at 19-20 h.
# Shaped after the pattern CAISO reports for SP15 day-ahead prices in recent
# years (CAISO Department of Market Monitoring annual reports); not fitted data.
_DUCK_USD_PER_MWH = np.array([52, 49, 47, 46, 47, 51, 58, 55, 42, 31, 24, 20,
                              18, 18, 20, 27, 42, 68, 95, 102, 88, 72, 62, 56], dtype=float)
# Monthly multipliers: (midday depth, evening level). Spring has the deepest
# midday trough, late summer the highest evening prices. Assumption.
_MIDDAY_FACTOR = np.array([0.9, 0.8, 0.6, 0.5, 0.6, 0.8, 1.0, 1.1, 1.1, 1.0, 1.0, 1.0])
_EVENING_FACTOR = np.array([1.0, 0.9, 0.8, 0.8, 0.9, 1.0, 1.3, 1.5, 1.4, 1.1, 1.0, 1.0])


def day_ahead_usd_per_mwh(times: pd.DatetimeIndex,
                          rng: np.random.Generator | None = None) -> np.ndarray:
    """A CAISO-like day-ahead price ($/MWh, float64, (n_times,)) held over each local hour.

    Hourly shape `_DUCK_USD_PER_MWH` with monthly midday (10-15 h) and evening
    (17-21 h) multipliers. With `rng`, each day is scaled by a lognormal factor
    (sigma 0.15) and each hour gets N(0, 5 $/MWh) noise, so prices can dip
    below zero at midday as they do in spring. Assumption, not market data; use
    `csv_price_usd_per_mwh` for real prices.
    """
    interval_min_of(times)
    hour = times.hour.to_numpy()
    month = times.month.to_numpy() - 1
    midday = (hour >= 10) & (hour < 16)
    evening = (hour >= 17) & (hour < 22)
    factor = np.where(midday, _MIDDAY_FACTOR[month], np.where(evening, _EVENING_FACTOR[month],
                                                               1.0))
    price = _DUCK_USD_PER_MWH[hour] * factor
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise ParameterError(f"rng: expected a numpy.random.Generator or None, "
                                 f"got {type(rng).__name__}")
        days = times.normalize().tz_localize(None)
        day_code, unique_days = pd.factorize(days, sort=True)
        day_factor = rng.lognormal(-0.5 * 0.15 ** 2, 0.15, size=len(unique_days))
        hour_code, _ = pd.factorize(days + pd.to_timedelta(hour, unit="h"), sort=True)
        hour_noise = rng.normal(0.0, 5.0, size=int(hour_code.max()) + 1)
        price = price * day_factor[day_code] + hour_noise[hour_code]
    return price


def csv_price_usd_per_mwh(path, times: pd.DatetimeIndex) -> np.ndarray:
    """A price series ($/MWh, float64, (n_times,)) from CSV, forward-filled onto `times`.

    The file has a header and columns ``timestamp,price_usd_per_mwh`` (ISO 8601,
    with a UTC offset or naive wall time in the zone of `times`); each price
    holds from its timestamp to the next. Negative prices are allowed.

    Raises
    ------
    ParameterError
        Naming the file, line, column and value of malformed rows, or if the
        first row is after ``times[0]``. Warns (`DesimWarning`) when `times`
        runs past the data.
    """
    return _csv.forward_filled_on(path, "price_usd_per_mwh", times)
