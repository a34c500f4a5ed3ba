"""Household load: a vectorized synthetic generator calibrated to California homes, and CSV input.

Synthetic model (all shape figures are assumptions, see docs/profiles.md):

    P_h(t) = s_h * (S_d(t)(slot(t) - shift_h) + a_h * C(t)) * m_h(t)     [kW]

* ``S_d`` is a daily shape (interval means of a sum of circular Gaussians over the
  local hour) for weekdays or weekends: a night trough, a morning peak (7-8 h on
  weekdays, later at weekends) and a broad evening peak centred at 19 h (17-21 h).
* ``shift_h`` is a per-home shift of the whole shape, up to +-1 h (diversity).
* ``C(t)`` is an air-conditioning term: a seasonal factor (a temperature-like
  cosine peaking in early August, zero from mid-autumn to mid-spring) times an
  afternoon shape peaking at 17 h. ``a_h`` is 0 for homes without AC and a
  lognormal sensitivity for the rest (70 % of homes; assumption in the range of
  EIA RECS 2020 figures for California).
* ``m_h(t) = exp(sigma x - sigma^2 / 2)`` with ``x`` a unit AR(1) series (time
  constant 1 h, sigma 0.35), so E[m] = 1. It is read from a noise bank shared by
  all homes: one AR(1) series of 2^20 values, which home h reads from position
  ``(offset_h + t) mod 2^20``. The value depends only on the interval index t,
  so blocks of any split give the same numbers, and a block costs one
  contiguous copy per home.
* ``s_h`` scales each home so its expected energy over a 365-day year equals
  ``annual_load_kwh[h]``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
from numba import njit

from desim.errors import ParameterError, check_all
from desim.profiles import _csv
from desim.profiles.timebase import interval_min_of

__all__ = ["LoadModel", "CsvLoadProfiles", "default_annual_load_kwh",
           "CALIFORNIA_MEAN_ANNUAL_KWH", "CALIFORNIA_ANNUAL_KWH_SIGMA"]

# Assumption: EIA reports California's average residential use at roughly
# 500-550 kWh per month in recent years (EIA "Electric Sales, Revenue, and
# Average Price", Table 5a), i.e. about 6,000-6,600 kWh per year.
CALIFORNIA_MEAN_ANNUAL_KWH = 6250.0
# Assumption: lognormal spread of annual use between homes, sigma of ln(kWh).
CALIFORNIA_ANNUAL_KWH_SIGMA = 0.5

_AC_SHARE_OF_HOMES = 0.70
_AC_SENSITIVITY = 0.55        # AC kW-relative at the seasonal and daily peak (mean AC home)
_AC_SENSITIVITY_SIGMA = 0.5
_MAX_SHIFT_MIN = 60.0
_NOISE_SIGMA = 0.35
_NOISE_TAU_MIN = 60.0
_BANK_VALUES = 1 << 20        # noise bank: one AR(1) series, 4 MiB of float32
_CHUNK_HOMES = 512             # homes per tile of `_fill_block` (the tile stays in L2)
_AC_LEVELS = 15
_HOURS_PER_YEAR = 8760.0

# Daily shapes: (amplitude, centre hour, width h) of circular Gaussians on a base.
_WEEKDAY = (0.42, ((0.45, 7.5, 1.1), (0.20, 12.5, 2.5), (1.05, 19.0, 1.9), (0.15, 22.5, 1.2)))
_WEEKEND = (0.42, ((0.45, 9.5, 1.6), (0.35, 13.0, 2.5), (1.00, 18.75, 2.0), (0.15, 22.5, 1.2)))
_AC_DAY = (0.10, ((1.0, 17.0, 2.8),))


def default_annual_load_kwh(n: int, rng: np.random.Generator,
                            mean_kwh: float = CALIFORNIA_MEAN_ANNUAL_KWH,
                            sigma: float = CALIFORNIA_ANNUAL_KWH_SIGMA) -> np.ndarray:
    """Annual consumption per home (kWh/yr) from a lognormal with the given mean.

    ln(kWh) ~ Normal(ln(mean_kwh) - sigma^2 / 2, sigma), so E[kWh] = mean_kwh.
    Defaults: California, 6,250 kWh/yr and sigma 0.5 (assumptions, see module).

    Returns
    -------
    numpy.ndarray
        float64 (n,), > 0.
    """
    problems = []
    if not isinstance(n, int | np.integer) or n < 0:
        problems.append(f"default_annual_load_kwh.n: expected an integer >= 0, got {n!r}")
    if not (mean_kwh > 0):
        problems.append(f"default_annual_load_kwh.mean_kwh: expected > 0, got {mean_kwh}")
    if not (sigma >= 0):
        problems.append(f"default_annual_load_kwh.sigma: expected >= 0, got {sigma}")
    if not isinstance(rng, np.random.Generator):
        problems.append(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    check_all(problems)
    return rng.lognormal(np.log(mean_kwh) - 0.5 * sigma * sigma, sigma, size=int(n))


def _shape(hours: np.ndarray, spec) -> np.ndarray:
    base, bumps = spec
    value = np.full_like(hours, base)
    for amplitude, centre, width in bumps:
        distance = (hours - centre + 12.0) % 24.0 - 12.0
        value += amplitude * np.exp(-0.5 * (distance / width) ** 2)
    return value


def _slot_means(spec, slots_per_day: int) -> np.ndarray:
    """Interval means of a daily shape over each slot (8 points per slot)."""
    hours = (np.arange(slots_per_day)[:, None] + (np.arange(8)[None, :] + 0.5) / 8) * (
        24.0 / slots_per_day)
    return _shape(hours, spec).mean(axis=1)


def _ac_season(day_of_year: np.ndarray) -> np.ndarray:
    """Cooling season factor in [0, 1]: peaks on day 213 (early August), 0 Nov-Apr."""
    return np.clip((np.cos(2.0 * np.pi * (day_of_year - 213.0) / 365.25) - 0.2) / 0.8, 0.0, 1.0)


def _check_block(start_index, n_steps, n_times):
    if (not isinstance(start_index, int | np.integer) or not isinstance(n_steps, int | np.integer)
            or start_index < 0 or n_steps < 0 or start_index + n_steps > n_times):
        raise ParameterError(f"block: expected 0 <= start_index and start_index + n_steps <= "
                             f"{n_times}, got start_index={start_index!r}, n_steps={n_steps!r}")


class LoadModel:
    """Synthetic household load for a fleet, produced in blocks of intervals.

    Parameters
    ----------
    annual_load_kwh : array_like, shape (n_homes,)
        Expected annual consumption per home, kWh/yr > 0.
    times : pandas.DatetimeIndex
        Regular, tz-aware interval starts; 1440 min must be a multiple of the interval.
    rng : numpy.random.Generator
        The only randomness; consumed once here (per-home parameters, noise bank).

    Notes
    -----
    Memory is O(n_homes + noise bank (4 MiB) + n_times); nothing of size
    n_times x n_homes is held. `block` is a pure function of the interval
    indices, so the horizon may be split into blocks in any way.
    """

    def __init__(self, annual_load_kwh, times: pd.DatetimeIndex, rng: np.random.Generator):
        annual = np.atleast_1d(np.asarray(annual_load_kwh, dtype=float))
        problems = []
        if annual.ndim != 1:
            problems.append(f"annual_load_kwh: expected a 1-D array, got shape {annual.shape}")
        else:
            bad = np.flatnonzero(~(np.isfinite(annual) & (annual > 0)))
            if bad.size:
                problems.append(f"annual_load_kwh[{bad[0]}]: expected > 0, got {annual[bad[0]]}"
                                + (f" ({bad.size} bad values)" if bad.size > 1 else ""))
        if not isinstance(rng, np.random.Generator):
            problems.append(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
        interval = interval_min_of(times)
        slots = 1440.0 / interval
        if slots % 1 != 0:
            problems.append(f"times: expected an interval dividing 1440 min, got {interval:g} min")
        check_all(problems)
        self.times = times
        self.annual_load_kwh = annual
        self.n_homes = annual.size
        self.n_times = len(times)
        self.interval_min = interval
        slots = int(slots)
        n_home = annual.size

        # Per-time vectors (length n_times): shape row and AC term.
        minute = (times.hour * 60 + times.minute).to_numpy()
        slot = np.minimum(minute // interval, slots - 1).astype(np.int64)
        weekend = (times.day_of_week >= 5).astype(np.int64)
        hours = (minute + interval / 2.0) / 60.0
        ac_day = _shape(hours.astype(float), _AC_DAY)
        self._cool = (_ac_season(times.day_of_year.to_numpy(float)) * ac_day).astype(np.float32)

        max_shift = int(round(_MAX_SHIFT_MIN / interval))
        n_shifts = 2 * max_shift + 1
        weekday_shape, weekend_shape = _slot_means(_WEEKDAY, slots), _slot_means(_WEEKEND, slots)
        shifted = np.empty((2, slots, n_shifts), dtype=np.float32)
        for j, shift in enumerate(range(-max_shift, max_shift + 1)):
            shifted[0, :, j] = np.roll(weekday_shape, shift)
            shifted[1, :, j] = np.roll(weekend_shape, shift)
        self._shape_rows = shifted.reshape(2 * slots, n_shifts)
        self._row = (weekend * slots + slot).astype(np.intp)

        # Per-home parameters, drawn in a fixed order. AC sensitivity takes one of
        # _AC_LEVELS equally likely lognormal quantiles (0 for homes without AC), so
        # shape and AC come from one small per-block table and one gather.
        shift = rng.integers(0, n_shifts, size=n_home)
        has_ac = rng.random(n_home) < _AC_SHARE_OF_HOMES
        level = np.where(has_ac, 1 + rng.integers(0, _AC_LEVELS, size=n_home), 0)
        self._ac_levels = _ac_levels()
        self._combo = (shift * (_AC_LEVELS + 1) + level).astype(np.intp)
        self._noise_start = rng.integers(0, _BANK_VALUES, size=n_home).astype(np.int64)
        self._bank = _noise_bank(_BANK_VALUES, interval, rng)

        # Scale: expected energy over a 365-day year (5/7 weekdays) equals annual_kwh.
        mean_shape = (5.0 * weekday_shape.mean() + 2.0 * weekend_shape.mean()) / 7.0
        doy = np.arange(1, 366, dtype=float)
        mean_cool = _ac_season(doy).mean() * _slot_means(_AC_DAY, slots).mean()
        mean_kw = mean_shape + self._ac_levels[level] * mean_cool
        self._scale = (annual / (_HOURS_PER_YEAR * mean_kw)).astype(np.float32)

    def block(self, start_index: int, n_steps: int, out: np.ndarray | None = None
              ) -> np.ndarray:
        """Load of every home over intervals ``start_index`` to ``start_index + n_steps - 1``.

        Parameters
        ----------
        out : numpy.ndarray, optional
            float32 C-contiguous (n_steps, n_homes) array to fill and return (a caller
            that walks the horizon block by block reuses one, instead of fresh memory
            for every block).

        Returns
        -------
        numpy.ndarray
            float32 (n_steps, n_homes), kW interval means, >= 0 (imports, load sign
            convention positive).

        Raises
        ------
        ParameterError
            If the range is outside ``[0, n_times]``.
        """
        _check_block(start_index, n_steps, self.n_times)
        start, stop = int(start_index), int(start_index) + int(n_steps)
        shape = (stop - start, self.n_homes)
        if out is None:
            out = np.empty(shape, dtype=np.float32)
        elif (out.shape != shape or out.dtype != np.float32
              or not out.flags.c_contiguous):
            raise ParameterError(f"LoadModel.block: out: expected a C-contiguous float32 "
                                 f"array of shape {shape}, got {out.dtype} {out.shape}")
        if stop > start:
            # compiled: load[t, h] = table[combo[h], t] x noise[(start[h] + t) mod bank]
            # x scale[h], float32 in the same order as the array form
            _fill_block(out, self._table(start, stop), self._combo, self._noise_start,
                        self._bank, self._scale, start)
        return out

    def homes(self, lo: int, hi: int) -> LoadModel:
        """The same model restricted to homes ``lo`` to ``hi - 1`` (a shard of the fleet).

        Its `block` equals the columns ``lo:hi`` of this model's, bit for bit; the
        per-time tables and the noise bank are shared, not copied.
        """
        if not 0 <= lo <= hi <= self.n_homes:
            raise ParameterError(f"LoadModel.homes: expected 0 <= lo <= hi <= {self.n_homes}, "
                                 f"got {lo}, {hi}")
        part = copy.copy(self)
        part.annual_load_kwh = self.annual_load_kwh[lo:hi]
        part.n_homes = hi - lo
        part._combo = self._combo[lo:hi]
        part._noise_start = self._noise_start[lo:hi]
        part._scale = self._scale[lo:hi]
        return part

    def _table(self, start: int, stop: int) -> np.ndarray:
        """(n_combos, n) shifted daily shape plus AC level x C(t) for intervals [start, stop)."""
        shape = self._shape_rows[self._row[start:stop]]                  # (n, n_shifts)
        table = (shape[:, :, None] + self._cool[start:stop, None, None]
                 * self._ac_levels[None, None, :])
        return np.ascontiguousarray(table.reshape(stop - start, -1).T)


def _noise_bank(size: int, interval_min: float, rng: np.random.Generator) -> np.ndarray:
    """float32 (size,) mean-1 lognormal factors exp(sigma x - sigma^2/2), x a unit AR(1)."""
    from scipy.signal import lfilter

    phi = float(np.exp(-interval_min / _NOISE_TAU_MIN))
    shocks = rng.standard_normal(size)
    shocks[1:] *= np.sqrt(1.0 - phi * phi)
    x = lfilter([1.0], [1.0, -phi], shocks)
    return np.exp(_NOISE_SIGMA * x - 0.5 * _NOISE_SIGMA ** 2).astype(np.float32)


def _ac_levels() -> np.ndarray:
    """AC sensitivities: 0 (no AC), then equally likely lognormal quantiles with mean 1,
    times `_AC_SENSITIVITY`."""
    from scipy.stats import norm

    q = (np.arange(_AC_LEVELS) + 0.5) / _AC_LEVELS
    levels = np.exp(_AC_SENSITIVITY_SIGMA * norm.ppf(q))
    levels = levels / levels.mean()
    return np.concatenate([[0.0], _AC_SENSITIVITY * levels]).astype(np.float32)


class CsvLoadProfiles:
    """Per-home load profiles read from a directory of CSV files, with the `LoadModel` API.

    Format: one file per home, ``<home_id>.csv``, header ``timestamp,kw``; each
    row is an ISO 8601 interval start (with a UTC offset, or naive wall time in
    the zone of `times`) and the mean load over the interval in kW (>= 0). Any
    regular resolution works (the seed's 15-minute ``load_profiles/`` files do):
    data are averaged or held onto `times` exactly, and must cover them. Homes
    are the files in name order (`home_ids`).

    Raises
    ------
    ParameterError
        If the directory has no CSV files, or listing every malformed file (with
        its line, column and value).
    """

    def __init__(self, directory, times: pd.DatetimeIndex):
        directory = Path(directory)
        interval_min_of(times)
        if not directory.is_dir():
            raise ParameterError(f"{directory}: expected a directory of per-home CSV files")
        files = sorted(p for p in directory.iterdir() if p.suffix.lower() == ".csv")
        if not files:
            raise ParameterError(f"{directory}: expected one or more <home_id>.csv files, "
                                 "found none")
        self.times = times
        self.home_ids = tuple(p.stem for p in files)
        self.n_homes = len(files)
        self.n_times = len(times)
        self._data = np.empty((len(times), len(files)), dtype=np.float32)
        problems = []
        for j, path in enumerate(files):  # once per file at load time, not on the hot path
            try:
                self._data[:, j] = _csv.interval_means_on(path, "kw", times,
                                                          allow_negative=False)
            except ParameterError as exc:
                problems.append(str(exc))
        check_all(problems)

    def block(self, start_index: int, n_steps: int) -> np.ndarray:
        """Load of every home over a range of intervals: float32 (n_steps, n_homes), kW."""
        _check_block(start_index, n_steps, self.n_times)
        return self._data[int(start_index):int(start_index) + int(n_steps)].copy()


@njit(cache=True, nogil=True)
def _fill_block(out, table, combo, noise_start, bank, scale, start):
    """``out[t, h] = table[combo[h], t] * bank[(noise_start[h] + start + t) % len(bank)]
    * scale[h]`` (float32), in tiles of homes (each home's noise is read in order,
    the tile is then written row by row)."""
    n_t, n_h = out.shape
    n_bank = bank.size
    tile = np.empty((_CHUNK_HOMES, n_t), dtype=np.float32)
    for h0 in range(0, n_h, _CHUNK_HOMES):
        h1 = min(h0 + _CHUNK_HOMES, n_h)
        for h in range(h0, h1):
            i = (noise_start[h] + start) % n_bank
            c = combo[h]
            sc = scale[h]
            row = tile[h - h0]
            for t in range(n_t):
                row[t] = table[c, t] * bank[i] * sc
                i += 1
                if i == n_bank:
                    i = 0
        for t in range(n_t):
            for h in range(h0, h1):
                out[t, h] = tile[h - h0, t]
