"""Fleet statistics: adoption, capacities and preferences of a `FleetTable`."""

from __future__ import annotations

from typing import Any

import numpy as np

from desim.fleet.table import PROFILE_NAMES, FleetTable

__all__ = ["fleet_statistics"]


def _households(index: np.ndarray, n: int) -> int:
    return int(np.count_nonzero(np.bincount(index, minlength=n))) if n else 0


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x, dtype=np.float64)) if len(x) else 0.0


def _pct(count: int, n: int) -> float:
    return 100.0 * count / n if n else 0.0


def fleet_statistics(table: FleetTable) -> dict[str, Any]:
    """Summary of a fleet as nested dicts of plain Python numbers.

    Keys (the seed API's, plus more): ``total_prosumers``;
    ``asset_counts`` (households with ``bess``, ``ev``, ``solar``, and the
    number of ``evs`` vehicles); ``asset_percentages`` (percent of households,
    0-100, for ``bess``, ``ev``, ``solar``); ``total_capacities``
    (``bess_kwh``, ``bess_kw`` discharge, ``ev_kwh``, ``ev_charge_kw``,
    ``solar_kw`` DC); ``average_capacities`` (per asset: ``bess_kwh``,
    ``ev_kwh``, ``solar_kw``); ``participation_profiles`` (households per
    profile) and ``profile_percentages``; ``preferences`` (means);
    ``load`` (``mean_annual_load_kwh``, ``total_annual_load_kwh``); ``ev``
    (means of mobility fields, ``evs_per_ev_household``).
    """
    n = table.n_prosumers
    n_bess_h = _households(table.bess_prosumer_index, n)
    n_ev_h = _households(table.ev_prosumer_index, n)
    n_pv_h = _households(table.pv_prosumer_index, n)
    profiles = np.bincount(table.profile.astype(np.int64), minlength=len(PROFILE_NAMES))
    return {
        "total_prosumers": n,
        "asset_counts": {"bess": n_bess_h, "ev": n_ev_h, "solar": n_pv_h,
                         "evs": table.n_evs, "bess_units": table.n_bess,
                         "pv_systems": table.n_pv},
        "asset_percentages": {"bess": _pct(n_bess_h, n), "ev": _pct(n_ev_h, n),
                              "solar": _pct(n_pv_h, n)},
        "total_capacities": {
            "bess_kwh": float(table.bess_capacity_kwh.sum()),
            "bess_kw": float(table.bess_max_discharge_kw.sum()),
            "ev_kwh": float(table.ev_capacity_kwh.sum()),
            "ev_charge_kw": float(table.ev_max_charge_kw.sum()),
            "solar_kw": float(table.pv_capacity_kw.sum()),
        },
        "average_capacities": {
            "bess_kwh": _mean(table.bess_capacity_kwh),
            "ev_kwh": _mean(table.ev_capacity_kwh),
            "solar_kw": _mean(table.pv_capacity_kw),
        },
        "participation_profiles": {name: int(profiles[i])
                                   for i, name in enumerate(PROFILE_NAMES)},
        "profile_percentages": {name: _pct(int(profiles[i]), n)
                                for i, name in enumerate(PROFILE_NAMES)},
        "preferences": {
            "mean_participation_willingness": _mean(table.participation_willingness),
            "mean_min_compensation_per_kwh": _mean(table.min_compensation_per_kwh),
            "mean_backup_power_hours": _mean(table.backup_power_hours),
            "mean_max_discharge_percent": 100.0 * _mean(table.max_discharge),
        },
        "load": {"mean_annual_load_kwh": _mean(table.annual_load_kwh),
                 "total_annual_load_kwh": float(table.annual_load_kwh.sum())},
        "ev": {
            "evs_per_ev_household": table.n_evs / n_ev_h if n_ev_h else 0.0,
            "mean_daily_miles": _mean(table.ev_daily_miles),
            "mean_departure_hour": _mean(table.ev_departure_hour),
            "mean_arrival_hour": _mean(table.ev_arrival_hour),
            "mean_home_charge_share": _mean(table.ev_home_charge_share),
        },
    }
