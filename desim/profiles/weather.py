"""A small seeded weather model: daily sky states as a Markov chain -> clear-sky index.

Assumptions (labelled as such, calibrated rather than measured):

* Each local day is clear, partly cloudy or overcast. The next day's state
  follows a Markov chain whose transition matrix moves smoothly between a
  winter matrix (mid-January) and a summer matrix (mid-July) with a cosine of
  the day of year. Winter days are cloudier, as in coastal California.
* Within a day the clear-sky index k (GHI / clear-sky GHI) is the state's daily
  level plus AR(1) noise between intervals (time constant 45 min), clipped to
  [0.05, 1.10] (values above 1 stand for cloud enhancement).
* The matrices and levels were tuned so that the PV chain in `desim.profiles.solar`
  gives about 1,600-1,650 kWh AC per kWp per year in Los Angeles (34.05 N,
  118.25 W, 20 deg tilt, south), in line with PVWatts on TMY data there. They are
  not fitted to any other site: for studies where weather matters, use a TMY3 or
  EPW file instead (see docs/profiles.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from desim.errors import ParameterError
from desim.profiles.timebase import interval_min_of

__all__ = ["SKY_STATES", "clearsky_index_markov", "split_clearsky_index"]

SKY_STATES = ("clear", "partly_cloudy", "overcast")

# Rows: today's state; columns: tomorrow's (clear, partly, overcast). Assumption.
_P_SUMMER = np.array([[0.92, 0.06, 0.02],
                      [0.60, 0.33, 0.07],
                      [0.45, 0.35, 0.20]])
_P_WINTER = np.array([[0.78, 0.15, 0.07],
                      [0.45, 0.35, 0.20],
                      [0.35, 0.35, 0.30]])
# Daily level of k: mean, day-to-day sd; and within-day AR(1) sd. Assumption.
_LEVEL_MEAN = np.array([1.01, 0.75, 0.38])
_LEVEL_SD = np.array([0.01, 0.08, 0.10])
_NOISE_SD = np.array([0.02, 0.16, 0.07])
_NOISE_TAU_MIN = 45.0
_K_MIN, _K_MAX = 0.05, 1.10


def _transition(day_of_year: np.ndarray) -> np.ndarray:
    """Transition matrices (n_days, 3, 3) for each day, winter weight 1 on Jan 15."""
    winter = 0.5 * (1.0 + np.cos(2.0 * np.pi * (day_of_year - 15.0) / 365.25))
    return (winter[:, None, None] * _P_WINTER + (1.0 - winter[:, None, None]) * _P_SUMMER)


def clearsky_index_markov(times: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """Clear-sky index k (fraction, >= 0) per interval of `times` from the Markov sky model.

    Parameters
    ----------
    times : pandas.DatetimeIndex
        Regular, tz-aware interval starts; days are local days of its zone.
    rng : numpy.random.Generator
        The only source of randomness; same generator state gives the same series.

    Returns
    -------
    numpy.ndarray
        float64 (n_times,), in [0.05, 1.10].
    """
    if not isinstance(rng, np.random.Generator):
        raise ParameterError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    interval = interval_min_of(times)
    local_days = times.normalize().tz_localize(None)
    day_codes, unique_days = pd.factorize(local_days, sort=True)
    n_days = len(unique_days)
    doy = unique_days.day_of_year.to_numpy(float)
    matrices = _transition(doy)
    # Start from the stationary distribution of the first day's matrix.
    eigvals, eigvecs = np.linalg.eig(matrices[0].T)
    stationary = np.real(eigvecs[:, np.argmin(np.abs(eigvals - 1.0))])
    stationary = stationary / stationary.sum()
    uniforms = rng.random(n_days)
    states = np.empty(n_days, dtype=np.intp)
    state = int(np.searchsorted(np.cumsum(stationary), uniforms[0]))
    states[0] = min(state, 2)
    cumulative = np.cumsum(matrices, axis=2)
    for d in range(1, n_days):  # one step per day, not per home or interval
        states[d] = min(int(np.searchsorted(cumulative[d, states[d - 1]], uniforms[d])), 2)
    level = _LEVEL_MEAN[states] + _LEVEL_SD[states] * rng.standard_normal(n_days)
    phi = float(np.exp(-interval / _NOISE_TAU_MIN))
    shocks = rng.standard_normal(len(times)) * np.sqrt(1.0 - phi * phi)
    shocks[0] = rng.standard_normal()
    noise = lfilter([1.0], [1.0, -phi], shocks)
    k = level[day_codes] + _NOISE_SD[states[day_codes]] * noise
    return np.clip(k, _K_MIN, _K_MAX)


def split_clearsky_index(k, ghi_clear, dni_clear, cos_zenith):
    """Cloudy-sky GHI, DNI, DHI (W/m^2) from clear-sky values and a clear-sky index.

    GHI scales with k. The beam fraction falls faster than k, linearly to zero
    at k = 0.2: DNI = DNI_clear * clip((k - 0.2) / 0.8, 0, 1). DHI closes the
    balance GHI = DNI cos(z) + DHI and is never negative for k <= 1. This split
    is an assumption in the spirit of piecewise diffuse-fraction models such as
    Erbs et al. (1982), Solar Energy 28(4), 293-302, written in k rather than
    the clearness index so that k = 1 returns the clear sky exactly.
    """
    k = np.asarray(k, dtype=float)
    beam = np.clip((k - 0.2) / 0.8, 0.0, 1.0)
    ghi = k * ghi_clear
    dni = beam * dni_clear
    dhi = np.maximum(ghi - dni * np.maximum(cos_zenith, 0.0), 0.0)
    return ghi, dni, dhi
