"""Metrics of a finished run: energy balance, EV departures, dispatch delivery, revenue.

Everything here is computed from the run's event log and per-interval series;
nothing is re-simulated. Shortfall is split into "infeasible at plug-in" (the
driver asked for more than the charger could give in the time parked) and
"feasible at plug-in" (missed because of dispatch or a site limit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from desim.fleet.table import PROFILE_NAMES

__all__ = ["departures", "departure_metrics", "departure_summary", "summary_of",
           "energy_metrics", "dispatch_metrics", "revenue_metrics", "thermal_metrics",
           "water_heater_metrics",
           "summarize", "like_day_baseline_kw"]

_MET_KWH = 1e-6


def departures(log: pd.DataFrame) -> pd.DataFrame:
    """One row per EV departure: time, SOC, requirement, shortfall, feasibility."""
    d = log[log["kind"] == "ev_departure"]
    return pd.DataFrame({
        "t_h": d["t_h"].to_numpy(), "prosumer_id": d["prosumer_id"].astype(str).to_numpy(),
        "ev_id": d["asset_id"].astype(str).to_numpy(),
        "soc_percent": d["soc_percent"].to_numpy(),
        "required_soc_percent": d["required_soc_percent"].to_numpy(),
        "shortfall_kwh": d["shortfall_kwh"].to_numpy(),
        "feasible_at_plugin": (d["detail"].astype(str) == "feasible_at_plugin").to_numpy(),
        "plugin_cause": d["detail"].astype(str).str.replace("_at_plugin", "").to_numpy(),
    })


def _dist(x: np.ndarray) -> dict:
    if len(x) == 0:
        return {"mean": 0.0, "p95": 0.0, "max": 0.0, "total": 0.0}
    return {"mean": float(np.mean(x)), "p95": float(np.percentile(x, 95)),
            "max": float(np.max(x)), "total": float(np.sum(x))}


def departure_metrics(log: pd.DataFrame) -> dict:
    """Departures meeting their SOC requirement and the shortfall distribution."""
    return departure_summary(departures(log), int((log["kind"] == "clip").sum()))


def departure_summary(d: pd.DataFrame, clips: int) -> dict:
    """`departure_metrics` from the departure rows (`departures`) and the number of clips."""
    short = d["shortfall_kwh"].to_numpy()
    missed = short > _MET_KWH
    feasible = d["feasible_at_plugin"].to_numpy()
    cause = d["plugin_cause"].to_numpy()
    n = len(d)
    return {
        "departures": n,
        "met": int((~missed).sum()),
        "met_share": float((~missed).mean()) if n else 1.0,
        "shortfall_kwh": _dist(short),
        "missed_feasible_at_plugin": int((missed & feasible).sum()),
        "missed_infeasible_at_plugin": int((missed & ~feasible).sum()),
        "shortfall_caused_by_dispatch_kwh": float(short[feasible].sum()),
        "shortfall_infeasible_at_plugin_kwh": float(short[~feasible].sum()),
        # docs/semantics.md, shortfall causes: "dispatch" is any miss of an EV that
        # was guaranteed at plug-in (possible only without the guard)
        "shortfall_by_cause": {
            name: {"departures": int((missed & (cause == key)).sum()),
                   "kwh": float(short[cause == key].sum())}
            for name, key in (("infeasible", "infeasible"), ("congestion", "congestion"),
                              ("dispatch", "feasible"))},
        "clips": int(clips),
    }


def energy_metrics(series: pd.DataFrame, totals: pd.DataFrame, interval_h: float) -> dict:
    """Fleet energy totals (kWh), self-consumption and peak import (kW)."""
    pv = float(totals["pv_kwh"].sum())
    export = float(totals["export_kwh"].sum())
    return {
        "load_kwh": float(totals["load_kwh"].sum()),
        "pv_kwh": pv,
        "ev_charged_kwh": float(totals["ev_kwh"].sum()),
        # gross, battery by battery (not the fleet's net per interval)
        "bess_charged_kwh": float(totals["bess_charged_kwh"].sum()),
        "bess_discharged_kwh": float(totals["bess_discharged_kwh"].sum()),
        "import_kwh": float(totals["import_kwh"].sum()),
        "export_kwh": export,
        "self_consumption_share": (pv - export) / pv if pv > 0 else 0.0,
        "peak_import_kw": float(series["import_kw"].max()) if len(series) else 0.0,
        "import_cost_usd": float(totals["import_cost_usd"].sum()),
    }


def _window_mean(t_h: np.ndarray, values: np.ndarray, interval_h: float, start_h, end_h):
    """Mean of a per-interval series over [start_h, end_h), weighting partial intervals."""
    lo, hi = t_h, t_h + interval_h
    overlap = np.clip(np.minimum(hi, end_h) - np.maximum(lo, start_h), 0, None)
    w = overlap.sum()
    return float((values * overlap).sum() / w) if w > 0 else float("nan")


def like_day_baseline_kw(series: pd.DataFrame, interval_h: float, start_h: float, end_h: float,
                         n_days: int = 10) -> tuple[float, int]:
    """"n of n previous like days" baseline: mean fleet net import over the same
    window on up to `n_days` earlier days of the same kind (weekday/weekend) in
    the run. Returns (baseline kW, days used); NaN and 0 when no day is available."""
    t = series["t_h"].to_numpy()
    net = (series["import_kw"] - series["export_kw"]).to_numpy()
    stamps = pd.DatetimeIndex(series["timestamp"])
    k0 = int(np.clip(np.searchsorted(t, start_h, side="right") - 1, 0, len(t) - 1))
    weekend = stamps[k0].day_of_week >= 5
    values, day = [], 1
    while len(values) < n_days and start_h - 24 * day >= 0:
        k = int(np.searchsorted(t, start_h - 24 * day, side="right") - 1)
        if (stamps[k].day_of_week >= 5) == weekend:
            values.append(_window_mean(t, net, interval_h, start_h - 24 * day,
                                       end_h - 24 * day))
        day += 1
    return (float(np.mean(values)), len(values)) if values else (float("nan"), 0)


def dispatch_metrics(series, cf_series, settlements: pd.DataFrame, interval_h: float) -> list:
    """Per event: target, delivered against the counterfactual (mean and peak kW,
    kWh), shortfall, like-day baseline, payments and the aggregator's P&L."""
    out = []
    t = series["t_h"].to_numpy()
    net = (series["import_kw"] - series["export_kw"]).to_numpy()
    for row in settlements.to_dict("records"):
        s, e = row["start_h"], row["end_h"]
        direction = row["direction"]
        item = dict(row)
        for key in ("delivered_vs_counterfactual_kwh", "baseline_error_kwh", "rebound_kwh",
                    "like_days"):
            if key in item and not np.isfinite(item[key]):
                item[key] = None
        if cf_series is not None:
            cf_net = (cf_series["import_kw"] - cf_series["export_kw"]).to_numpy()
            delivered = direction * (net - cf_net)
            inside = (t + interval_h > s) & (t < e)
            # the settlement's exact figure (meter intervals the window overlaps)
            exact = item.get("delivered_vs_counterfactual_kwh")
            mean_kw = (exact / (e - s) if exact is not None
                       else _window_mean(t, delivered, interval_h, s, e))
            item.update({
                "delivered_vs_counterfactual_kw": mean_kw,
                "delivered_vs_counterfactual_kwh": mean_kw * (e - s),
                "peak_delivered_kw": float(delivered[inside].max()) if inside.any() else 0.0,
                "target_met_share": mean_kw / row["target_kw"] if row["target_kw"] else 1.0,
            })
        base, days = like_day_baseline_kw(series, interval_h, s, e)
        actual = _window_mean(t, net, interval_h, s, e)
        item.update({"like_day_baseline_kw": base, "like_day_baseline_days": days,
                     "delivered_vs_like_day_kw": direction * (actual - base) if days else None})
        out.append(item)
    return out


def revenue_metrics(totals: pd.DataFrame, profile_codes: np.ndarray) -> dict:
    """Payments per prosumer and by preference profile (USD)."""
    pay = totals["payment_usd"].to_numpy()
    by_profile = {}
    for code, name in enumerate(PROFILE_NAMES):
        m = profile_codes == code
        if m.any():
            by_profile[name] = {"prosumers": int(m.sum()), "mean_usd": float(pay[m].mean()),
                                "total_usd": float(pay[m].sum())}
    return {"total_usd": float(pay.sum()), "mean_per_prosumer_usd": float(pay.mean())
            if len(pay) else 0.0, "by_profile": by_profile}


def thermal_metrics(units: pd.DataFrame) -> dict:
    """Thermal units of the run: energy, switches, indoor temperatures and comfort.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit (`desim.sim.thermal.ThermalFleet.unit_totals`): ``kind``,
        ``energy_kwh``, ``switches``, ``degree_hours_beyond_c_h``,
        ``min_temperature_c``, ``max_temperature_c``.

    Returns
    -------
    dict
        ``units``, ``by_kind`` (units per kind), ``hvac_kwh`` (electric energy,
        kWh), ``switches`` (logged ``hvac_on``/``hvac_off`` rows),
        ``min_temperature_c`` / ``max_temperature_c`` (indoor extremes, C),
        ``degree_hours_outside_band_c_h`` (C h, summed over units: the integral,
        exact from the closed forms, of how far the indoor temperature is above
        ``setpoint + deadband / 2`` while cooling or below ``setpoint - deadband
        / 2`` while heating; while a dispatch event has moved the setpoint within
        the home's ``comfort_offset_c``, the band so widened), ``units_outside_band``,
        ``max_degree_hours_per_unit_c_h`` and, by cause, ``comfort_by_cause_c_h``:
        ``capacity`` (outside the band the home accepts: the unit could not hold it)
        and ``dispatch`` (outside its own band but within the setback it allowed).
    """
    beyond = units["degree_hours_beyond_c_h"].to_numpy()
    agreed = (units["dispatch_degree_hours_c_h"].to_numpy()
              if "dispatch_degree_hours_c_h" in units else np.zeros(len(units)))
    return {
        "units": len(units),
        "by_kind": {str(k): int(v) for k, v in units["kind"].value_counts().sort_index().items()},
        "hvac_kwh": float(units["energy_kwh"].sum()),
        "switches": int(units["switches"].sum()),
        "min_temperature_c": float(units["min_temperature_c"].min()),
        "max_temperature_c": float(units["max_temperature_c"].max()),
        "degree_hours_outside_band_c_h": float(beyond.sum()),
        "units_outside_band": int((beyond > 0.0).sum()),
        "max_degree_hours_per_unit_c_h": float(beyond.max()),
        "comfort_by_cause_c_h": {"capacity": float(beyond.sum()),
                                 "dispatch": float(agreed.sum())},
    }


def water_heater_metrics(units: pd.DataFrame) -> dict:
    """Water heaters of the run: energy, switches and tank temperatures.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per water heater (`desim.sim.waterheater.WaterHeaterFleet.unit_totals`).

    Returns
    -------
    dict
        ``units``, ``by_kind`` (units per kind), ``energy_kwh`` (electric, kWh),
        ``switches`` (logged ``water_heater_on``/``water_heater_off`` rows),
        ``min_temperature_c`` / ``max_temperature_c`` (tank extremes, C).
    """
    return {
        "units": len(units),
        "by_kind": {str(k): int(v) for k, v in units["kind"].value_counts().sort_index().items()},
        "energy_kwh": float(units["energy_kwh"].sum()),
        "switches": int(units["switches"].sum()),
        "min_temperature_c": float(units["min_temperature_c"].min()),
        "max_temperature_c": float(units["max_temperature_c"].max()),
    }


def summarize(run, log: pd.DataFrame | None = None) -> dict:
    """The run's summary (what `summary.json` holds)."""
    res, inp = run.result, run.inputs
    if log is None:
        log = res.log.to_pandas(res.start)
    cf = run.counterfactual.series if run.counterfactual is not None else None
    fleet = run.fleet
    return summary_of(
        {"prosumers": fleet.n_prosumers, "evs": fleet.n_evs, "batteries": fleet.n_bess,
         "pv_systems": fleet.n_pv},
        inp.horizon_h, inp.interval_h,
        {"ev": inp.ev_policy.name, "bess": inp.bess_policy.name,
         "departure_guard": bool(inp.departure_guard)},
        res.series, res.totals, cf, res.settlements, departure_metrics(log), fleet.profile,
        int(res.log.n_rows), getattr(res, "thermal", None), getattr(res, "water_heaters", None))


def summary_of(fleet: dict, horizon_h: float, interval_h: float, policies: dict,
               series: pd.DataFrame, totals: pd.DataFrame, cf_series: pd.DataFrame | None,
               settlements: pd.DataFrame, ev_departures: dict, profile_codes: np.ndarray,
               log_rows: int, thermal_units: pd.DataFrame | None = None,
               water_heaters: pd.DataFrame | None = None) -> dict:
    """A summary from its parts (a serial run's, or the sum of a sharded run's shards).

    `thermal_units` (one row per thermal unit, `ThermalFleet.unit_totals`) adds the
    ``thermal`` block when the run has any; `water_heaters` (one row per water
    heater) the ``water_heaters`` block."""
    out = {
        "fleet": fleet,
        "horizon_h": horizon_h, "interval_h": interval_h,
        "policies": policies,
        "energy": energy_metrics(series, totals, interval_h),
        "ev_departures": ev_departures,
        "dispatch": dispatch_metrics(series, cf_series, settlements, interval_h),
        "revenue": revenue_metrics(totals, profile_codes),
        "log_rows": int(log_rows),
    }
    if thermal_units is not None and len(thermal_units):
        out["thermal"] = thermal_metrics(thermal_units)
    if water_heaters is not None and len(water_heaters):
        out["water_heaters"] = water_heater_metrics(water_heaters)
    return out
