"""Settlement baselines: what each home is paid for in a dispatch event.

Pure functions of per-home net-import energies read off the meter at interval
boundaries (docs/semantics.md, Settlement). The meter nets each home over its
data interval, so a window is settled over the meter intervals it overlaps.

* ``counterfactual`` (default): each home's own import in the same run with no
  event (same fleet, trips and seed); the truth only a simulator has.
* ``caiso_10in10``: the mean import over the window on the 10 most recent like
  days (weekday or weekend as the event day) before the event, times a day-of
  adjustment: the ratio of the event day's import to the like days' over the
  hours [start - 4 h, start - 1 h], capped to [0.8, 1.2] (a CAISO-style program
  baseline; an assumption shaped on its published 10-in-10 method).
* ``setpoint``: the engine's running estimate against each asset's policy
  setpoint; used only when no counterfactual was run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from attrs import frozen

from desim.errors import ScenarioError
from desim.scenario.schema import BASELINES
from desim.sim.tolerances import ADJUST_MIN_KWH, BOUNDARY_TOL

__all__ = ["BASELINES", "EventWindow", "event_windows", "program_days", "like_day_problems",
           "counterfactual_kwh", "rebound_kwh", "caiso_10in10_kwh",
           "snapshot_indices"]

LIKE_DAYS = 10
ADJUST_FROM_H, ADJUST_TO_H = 4.0, 1.0    # day-of adjustment hours before the start
ADJUST_CAP = 0.2


@frozen
class EventWindow:
    """Meter boundary indices of one event: window start/end, rebound end, and the
    day-of adjustment span."""

    start: int
    end: int
    rebound_end: int
    adjust_start: int
    adjust_end: int


def event_windows(start_h, end_h, interval_h: float, n_steps: int,
                  rebound_h: float) -> list[EventWindow]:
    """Boundary indices of each event's window (rounded outward to the meter)."""
    out = []
    for s, e in zip(np.asarray(start_h, float), np.asarray(end_h, float), strict=True):
        ks = int(np.clip(np.floor(s / interval_h + BOUNDARY_TOL), 0, n_steps))
        ke = int(np.clip(np.ceil(e / interval_h - BOUNDARY_TOL), 0, n_steps))
        kr = int(np.clip(np.ceil((e + rebound_h) / interval_h - BOUNDARY_TOL), 0, n_steps))
        ka = int(np.clip(np.floor((s - ADJUST_FROM_H) / interval_h + BOUNDARY_TOL), 0, n_steps))
        kb = int(np.clip(np.floor((s - ADJUST_TO_H) / interval_h + BOUNDARY_TOL), 0, n_steps))
        out.append(EventWindow(ks, ke, kr, ka, kb))
    return out


def program_days(start: pd.Timestamp, window: EventWindow, interval_h: float) -> list[int]:
    """Boundary offsets (in intervals) of the like days before an event, most recent
    first: the same local clock window on earlier weekdays (or weekend days)."""
    t0 = start + pd.Timedelta(hours=window.start * interval_h)
    weekend = t0.day_of_week >= 5
    offsets = []
    for d in range(1, 60):
        day = t0 - pd.Timedelta(days=d)
        if (day.day_of_week >= 5) != weekend:
            continue
        local = t0.tz_localize(None) - pd.Timedelta(days=d)
        if t0.tz is not None:
            local = local.tz_localize(t0.tz, nonexistent="shift_forward", ambiguous=True)
        k = round((t0 - local) / pd.Timedelta(hours=interval_h))
        if window.adjust_start - k < 0:
            break
        offsets.append(int(k))
        if len(offsets) == LIKE_DAYS:
            break
    return offsets


def like_day_problems(like_days: list[list[int]], event_ids,
                      source: str = "market.baseline") -> tuple[list[str], list[str]]:
    """What a program baseline's like days (`program_days` of each event) allow, before
    a run: an event with no like day before it cannot be settled (an error); one with
    fewer than `LIKE_DAYS` is paid against the average of those it has (a warning that
    says how many). Returns ``(errors, warnings)``."""
    errors, warnings = [], []
    for offsets, eid in zip(like_days, map(str, event_ids), strict=True):
        if not offsets:
            errors.append(f"{source}: expected at least one like day before event {eid!r} "
                          f"for caiso_10in10, got none (start the scenario earlier)")
        elif len(offsets) < LIKE_DAYS:
            warnings.append(f"{source}: event {eid!r} has {len(offsets)} like day"
                            f"{'s' if len(offsets) > 1 else ''} before it, not {LIKE_DAYS}: "
                            f"its caiso_10in10 baseline averages only those")
    return errors, warnings


def counterfactual_kwh(net, cf_net, w: EventWindow, direction: int):
    """Per home: delivered kWh in the window against the counterfactual (signed).

    `net` and `cf_net` map a boundary index to each home's cumulative net import
    (kWh) in the run and in its counterfactual. Delivery is the counterfactual's
    import minus the run's for a discharge event (the opposite for absorb):
    positive when the home did what was asked.
    """
    return -direction * ((cf_net[w.end] - cf_net[w.start]) - (net[w.end] - net[w.start]))


def rebound_kwh(net, cf_net, w: EventWindow, direction: int):
    """Per home: the opposite of delivery over the rebound hours after the window
    (extra import after a discharge event, kWh)."""
    return -direction * ((net[w.rebound_end] - net[w.end])
                         - (cf_net[w.rebound_end] - cf_net[w.end]))


def caiso_10in10_kwh(net, w: EventWindow, offsets: list[int], direction: int,
                     source: str = "market.baseline"):
    """Per home: delivered kWh against a 10-in-10 baseline with day-of adjustment,
    and the baseline itself (kWh over the window)."""
    if not offsets:
        raise ScenarioError(f"{source}: expected at least one like day before the event "
                            f"for caiso_10in10, got a run that starts too late (start the "
                            f"scenario earlier)")
    window = np.mean([net[w.end - k] - net[w.start - k] for k in offsets], axis=0)
    adj_like = np.mean([net[w.adjust_end - k] - net[w.adjust_start - k] for k in offsets],
                       axis=0)
    adj_today = net[w.adjust_end] - net[w.adjust_start]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.abs(adj_like) > ADJUST_MIN_KWH, adj_today / adj_like, 1.0)
    ratio = np.clip(ratio, 1.0 - ADJUST_CAP, 1.0 + ADJUST_CAP)
    baseline = window * ratio
    actual = net[w.end] - net[w.start]
    return -direction * (baseline - actual), baseline


def snapshot_indices(windows: list[EventWindow], offsets: list[list[int]]) -> set[int]:
    """Every meter boundary the settlement of these windows reads."""
    out = {0}
    for w, offs in zip(windows, offsets, strict=True):
        out |= {w.start, w.end, w.rebound_end, w.adjust_start, w.adjust_end}
        for k in offs:
            out |= {w.start - k, w.end - k, w.adjust_start - k, w.adjust_end - k}
    return {k for k in out if k >= 0}
