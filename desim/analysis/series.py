"""Power time series as views of the event log, at any resolution.

EV power is a step function that changes only at logged rows (plug-in,
setpoint, clip, target reached, departure), so EV power per prosumer or for
the fleet is exact at any resolution. Whole-home quantities (load, PV,
battery, grid) come from the fleet ``interval`` rows, one per data interval.
Bins hold mean power, so the energy in any span is the same at every
resolution.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ev_power_kw", "fleet_net_power_kw"]

_EV_POWER_KINDS = ("ev_plugged_in", "setpoint", "clip", "ev_target_reached", "ev_departure",
                   "ev_v2g_floor")


def _bin_edges(horizon_h: float, resolution_h: float) -> np.ndarray:
    n = int(np.ceil(horizon_h / resolution_h - 1e-9))
    return np.minimum(np.arange(n + 1) * resolution_h, horizon_h)


def ev_power_kw(log: pd.DataFrame, horizon_h: float, resolution_h: float,
                by_prosumer: bool = False) -> pd.DataFrame:
    """Mean EV charging power per bin (kW), for the fleet or per prosumer.

    Returns a frame indexed by bin start (hours) with one column "ev_kw" or one
    column per prosumer id.
    """
    rows = log[log["kind"].isin(_EV_POWER_KINDS) & (log["asset_type"] == "ev")]
    edges = _bin_edges(horizon_h, resolution_h)
    keys = rows["prosumer_id"].astype(str).to_numpy() if by_prosumer else None
    groups = np.unique(keys) if by_prosumer else np.array(["ev_kw"])
    out = {}
    for g in groups:
        sub = rows if not by_prosumer else rows[keys == g]
        asset = sub["asset_id"].astype(str).to_numpy()
        t = sub["t_h"].to_numpy()
        p = np.nan_to_num(sub["power_kw"].to_numpy())
        # each row sets its EV's power; the fleet power changes by the difference
        order = np.lexsort((np.arange(len(t)), asset))
        prev = np.zeros(len(t))
        same = np.r_[False, asset[order][1:] == asset[order][:-1]]
        prev_sorted = np.where(same, np.r_[0.0, p[order][:-1]], 0.0)
        prev[order] = prev_sorted
        delta = p - prev
        o = np.argsort(t, kind="stable")
        t_s, level = t[o], np.cumsum(delta[o])
        knots = np.r_[0.0, t_s, horizon_h]
        levels = np.r_[0.0, level]
        energy = np.r_[0.0, np.cumsum(levels * np.diff(knots))]
        cum = np.interp(edges, knots, energy)
        out[g] = np.diff(cum) / np.diff(edges)
    return pd.DataFrame(out, index=pd.Index(edges[:-1], name="t_h"))


def fleet_net_power_kw(log: pd.DataFrame, interval_h: float, resolution_h: float,
                       horizon_h: float) -> pd.Series:
    """Mean fleet net import (kW) per bin from the log's ``interval`` rows."""
    rows = log[log["kind"] == "interval"]
    t = rows["t_h"].to_numpy() - interval_h   # rows are logged at the interval's end
    energy = rows["energy_kwh"].to_numpy()
    knots = np.r_[t, horizon_h]
    cum = np.r_[0.0, np.cumsum(energy)]
    edges = _bin_edges(horizon_h, resolution_h)
    binned = np.diff(np.interp(edges, knots, cum))
    return pd.Series(binned / np.diff(edges), index=pd.Index(edges[:-1], name="t_h"),
                     name="net_kw")
