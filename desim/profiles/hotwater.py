"""Hot-water draws of a household: litres per profile interval, seeded.

A day's draw is ``daily_draw_l`` spread over the hours by `HOURLY_SHARE` (a
morning and an evening peak), times a day-to-day factor drawn per home and day
(lognormal, mean 1, `DAY_SIGMA`). Within an hour the draw is uniform, so an
interval's litres are exact integrals of that step function; the water heater
holds each interval's draw constant (`desim.sim.waterheater`).

Assumptions, not measurements:

- ``daily_draw_l`` defaults to 200 L: close to the 55 US gallons (208 L) a day of
  the "medium" draw pattern of the DOE uniform energy factor test procedure
  (10 CFR 430 Subpart B, Appendix E);
- the hourly shape is a plain assumption with the morning (06-09) and evening
  (18-21) peaks typical of US household hot-water use, qualitatively like the
  domestic hot-water schedules of the NREL Building America House Simulation
  Protocols; its values are not taken from them;
- the day-to-day spread `DAY_SIGMA` is an assumption.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HOURLY_SHARE", "DAY_SIGMA", "draw_litres"]

_SHAPE = np.array([1.0, 0.6, 0.4, 0.4, 0.6, 2.0, 7.0, 9.5, 8.5, 6.5, 5.0, 4.5,
                   4.5, 4.0, 3.5, 3.5, 4.0, 5.5, 7.0, 7.5, 6.5, 5.0, 3.5, 2.0])
#: Share of a day's draw in each local hour 0..23 (sums to 1).
HOURLY_SHARE = _SHAPE / _SHAPE.sum()
#: Standard deviation of the log of the day-to-day factor.
DAY_SIGMA = 0.25

_CUM = np.concatenate([[0.0], np.cumsum(HOURLY_SHARE)])


def _day_share(y: np.ndarray) -> np.ndarray:
    """Share of a day's draw between midnight and hour `y` in [0, 24]."""
    h = np.minimum(np.floor(y).astype(np.int64), 23)
    return _CUM[h] + HOURLY_SHARE[h] * (y - h)


def draw_litres(daily_draw_l, start_hour: float, interval_h: float, n_steps: int,
                rng: np.random.Generator) -> np.ndarray:
    """Litres drawn per home and profile interval.

    Parameters
    ----------
    daily_draw_l : array-like of float
        Mean daily draw of each home, litres, >= 0.
    start_hour : float
        Local hour of day of the first interval's start, [0, 24).
    interval_h : float
        Profile interval, hours, > 0.
    n_steps : int
        Intervals.
    rng : numpy.random.Generator
        The stream for the day-to-day factors (one per home and day, drawn in home
        order whatever the horizon).

    Returns
    -------
    numpy.ndarray
        ``(n_homes, n_steps)`` litres per interval, >= 0.
    """
    daily = np.asarray(daily_draw_l, dtype=float).reshape(-1)
    x = start_hour + np.arange(n_steps + 1) * interval_h      # hours since day 0's midnight
    day = np.floor(x / 24.0).astype(np.int64)
    n_days = int(day[-1]) + 1
    factor = rng.lognormal(-0.5 * DAY_SIGMA ** 2, DAY_SIGMA, size=(daily.size, n_days))
    before = np.concatenate([np.zeros((daily.size, 1)), np.cumsum(factor, axis=1)], axis=1)
    share = _day_share(x - 24.0 * day)
    # litres drawn since day 0's midnight, at each interval edge
    cum = daily[:, None] * (before[:, day] + factor[:, day] * share[None, :])
    return np.maximum(np.diff(cum, axis=1), 0.0)
