"""Parsed configs to fleet rows: fill unset fields with documented defaults.

A parser leaves a field None when the text does not settle it. When the
config becomes a prosumer (a `FleetTable` row or a `Prosumer`), each unset
field gets a value here, marked ``"profile"`` (from the participation
profile) or ``"default"`` (from `DEFAULTS`) in the provenance, and listed
in the warnings. A battery, EV or solar system is only created when the
text gave it (a capacity, ``has_ev`` / ``has_solar`` true).

Profile preferences are desim assumptions shaped on the seed API's examples
(seed-module2-README: willingness 0.8 / backup 4 h / 70 % for a typical
home; 0.95 / $0.08 / 2 h / 85 % for an aggressive one), not survey data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from desim.errors import ParseError
from desim.fleet.table import EV_PRIORITY_NAMES, PROFILE_NAMES, FleetTable
from desim.llm.config import ProsumerConfig
from desim.units import parse_hhmm, percent_to_fraction

__all__ = ["DEFAULTS", "PROFILE_PREFERENCES", "resolve_defaults", "configs_to_fleet_table",
           "prosumer_from_config"]

#: profile -> preference values (willingness 0-1, $/kWh, h, percent).
PROFILE_PREFERENCES: dict[str, dict[str, float]] = {
    "conservative": {"participation_willingness": 0.3, "min_compensation_per_kwh": 0.20,
                     "backup_power_hours": 6.0, "max_discharge_percent": 50.0},
    "moderate": {"participation_willingness": 0.6, "min_compensation_per_kwh": 0.12,
                 "backup_power_hours": 3.0, "max_discharge_percent": 70.0},
    "aggressive": {"participation_willingness": 0.9, "min_compensation_per_kwh": 0.08,
                   "backup_power_hours": 1.0, "max_discharge_percent": 90.0},
}

#: Values for fields a description left unset, and for fleet columns it cannot state.
DEFAULTS: dict[str, Any] = {
    "participation_profile": "moderate",
    "ev_priority": "medium",
    "bess_c_rate_per_h": 0.5,          # power = 0.5 kW per kWh when only capacity is known
    "bess_initial_soc_percent": 50.0,
    "bess_efficiency": 0.95,           # one-way, seed API default
    "bess_min_soc_percent": 10.0,
    "bess_max_soc_percent": 95.0,
    "ev_count": 1,
    "ev_battery_capacity_kwh": 60.0,
    "ev_max_charge_power_kw": 7.2,     # a common 30 A / 240 V Level 2 charger
    "ev_charge_deadline": "07:00",     # seed API default
    "ev_min_departure_soc_percent": 80.0,
    "ev_initial_soc_percent": 50.0,
    "ev_arrival": "18:00",
    "ev_daily_miles": 30.0,
    "ev_kwh_per_mile": 0.30,
    "ev_charge_efficiency": 1.0,
    "solar_efficiency": 0.86,          # SolarPV default (DC-to-AC derate)
    "solar_tilt_deg": 20.0,
    "solar_azimuth_deg": 180.0,
    "annual_load_kwh": 6200.0,
}


def resolve_defaults(config: ProsumerConfig, defaults: Mapping[str, Any] | None = None
                     ) -> ProsumerConfig:
    """Fill every unset field that a prosumer needs; mark and list what was filled.

    Parameters
    ----------
    config : ProsumerConfig
        A validated config.
    defaults : mapping, optional
        Overrides of `DEFAULTS` (same keys); unknown keys raise ParseError.
    """
    d = _merged(defaults)
    values: dict[str, Any] = {}
    prov: dict[str, str] = {}

    def fill(name: str, value: Any, source: str = "default") -> None:
        if getattr(config, name) is None and value is not None:
            values[name], prov[name] = value, source

    fill("participation_profile", d["participation_profile"])
    profile = config.participation_profile or d["participation_profile"]
    for name, value in PROFILE_PREFERENCES[profile].items():
        fill(name, value, "profile")
    fill("ev_priority", d["ev_priority"])
    if config.bess_capacity_kwh is not None:
        fill("bess_max_power_kw", round(config.bess_capacity_kwh * d["bess_c_rate_per_h"], 4))
        fill("bess_initial_soc_percent", d["bess_initial_soc_percent"])
    if config.has_ev:
        fill("ev_count", d["ev_count"])
        for name in ("ev_battery_capacity_kwh", "ev_max_charge_power_kw", "ev_charge_deadline",
                     "ev_min_departure_soc_percent"):
            fill(name, d[name])
    else:
        fill("has_ev", False)
        fill("ev_count", 0)
    if config.has_solar:
        fill("solar_efficiency", d["solar_efficiency"])
    else:
        fill("has_solar", False)
    warnings = [f"{n}: not stated; {prov[n]} value {v!r} used" for n, v in values.items()]
    return config.replace(values, prov, warnings)


def _merged(defaults: Mapping[str, Any] | None) -> dict[str, Any]:
    unknown = set(defaults or {}) - set(DEFAULTS)
    if unknown:
        raise ParseError(f"defaults: unknown keys {sorted(unknown)}; expected some of "
                         f"{sorted(DEFAULTS)}")
    return {**DEFAULTS, **(defaults or {})}


def prosumer_from_config(config: ProsumerConfig, prosumer_id: str, load_data: Any = None,
                         defaults: Mapping[str, Any] | None = None) -> Any:
    """A desim `Prosumer` (one EV object per EV) from a config, defaults filled."""
    from desim.assets import BESS, ElectricVehicle, Prosumer, SolarPV

    d = _merged(defaults)
    c = resolve_defaults(config, defaults)
    bess = BESS(capacity_kwh=c.bess_capacity_kwh, max_power_kw=c.bess_max_power_kw,
                efficiency=d["bess_efficiency"], current_soc_percent=c.bess_initial_soc_percent,
                min_soc_percent=d["bess_min_soc_percent"],
                max_soc_percent=d["bess_max_soc_percent"]) if c.bess_capacity_kwh else None
    evs = tuple(ElectricVehicle(battery_capacity_kwh=c.ev_battery_capacity_kwh,
                                max_charge_power_kw=c.ev_max_charge_power_kw,
                                current_soc_percent=d["ev_initial_soc_percent"],
                                min_departure_soc_percent=c.ev_min_departure_soc_percent,
                                charge_deadline=c.ev_charge_deadline)
                for _ in range(c.ev_count or 0)) if c.has_ev else ()
    solar = SolarPV(capacity_kw=c.solar_capacity_kw, efficiency=c.solar_efficiency) \
        if c.has_solar and c.solar_capacity_kw else None
    kwargs: dict[str, Any] = {"load_profile": load_data} if load_data is not None else {}
    return Prosumer(prosumer_id, bess=bess, solar=solar, evs=evs,
                    participation_willingness=c.participation_willingness,
                    min_compensation_per_kwh=c.min_compensation_per_kwh,
                    backup_power_hours=c.backup_power_hours,
                    max_discharge_percent=c.max_discharge_percent, ev_priority=c.ev_priority,
                    profile=c.participation_profile, annual_load_kwh=d["annual_load_kwh"],
                    **kwargs)


def configs_to_fleet_table(configs: Sequence[ProsumerConfig], prosumer_ids: Sequence[str],
                           defaults: Mapping[str, Any] | None = None) -> FleetTable:
    """Fleet rows from parsed configs (unset fields get `DEFAULTS` / profile values).

    Parameters
    ----------
    configs : sequence of ProsumerConfig
        Validated configs, one per prosumer.
    prosumer_ids : sequence of str
        Ids, same length, unique.
    defaults : mapping, optional
        Overrides of `DEFAULTS`.

    Returns
    -------
    FleetTable
        One prosumer row per config; a BESS row when a capacity is known; one
        EV row per EV (``ev_count``); a PV row when a solar capacity is known
        (``has_solar`` without a capacity gives no PV row).
    """
    configs, ids = list(configs), [str(i) for i in prosumer_ids]
    if len(configs) != len(ids) or len(set(ids)) != len(ids):
        raise ParseError(f"configs_to_fleet_table: expected as many unique ids as configs, got "
                         f"{len(configs)} configs and {len(ids)} ids ({len(set(ids))} unique)")
    d = _merged(defaults)
    p: dict[str, list] = {k: [] for k in ("prosumer_id", "annual_load_kwh",
                                          "participation_willingness", "min_compensation_per_kwh",
                                          "backup_power_hours", "max_discharge", "ev_priority",
                                          "profile")}
    b: dict[str, list] = {}
    e: dict[str, list] = {}
    s: dict[str, list] = {}

    def add(block: dict[str, list], **row: Any) -> None:
        for k, v in row.items():
            block.setdefault(k, []).append(v)

    for index, (config, pid) in enumerate(zip(configs, ids, strict=True)):
        c = resolve_defaults(config, defaults)
        add(p, prosumer_id=pid, annual_load_kwh=d["annual_load_kwh"],
            participation_willingness=c.participation_willingness,
            min_compensation_per_kwh=c.min_compensation_per_kwh,
            backup_power_hours=c.backup_power_hours,
            max_discharge=percent_to_fraction(c.max_discharge_percent),
            ev_priority=EV_PRIORITY_NAMES.index(c.ev_priority),
            profile=PROFILE_NAMES.index(c.participation_profile))
        if c.bess_capacity_kwh:
            add(b, bess_prosumer_index=index, bess_capacity_kwh=c.bess_capacity_kwh,
                bess_max_charge_kw=c.bess_max_power_kw, bess_max_discharge_kw=c.bess_max_power_kw,
                bess_charge_efficiency=d["bess_efficiency"],
                bess_discharge_efficiency=d["bess_efficiency"],
                bess_soc=percent_to_fraction(c.bess_initial_soc_percent),
                bess_min_soc=percent_to_fraction(d["bess_min_soc_percent"]),
                bess_max_soc=percent_to_fraction(d["bess_max_soc_percent"]),
                bess_self_discharge_per_h=0.0, bess_product="")
        for k in range(c.ev_count or 0 if c.has_ev else 0):
            add(e, ev_prosumer_index=index, ev_id=f"{pid}-ev{k + 1}",
                ev_capacity_kwh=c.ev_battery_capacity_kwh, ev_max_charge_kw=c.ev_max_charge_power_kw,
                ev_charge_efficiency=d["ev_charge_efficiency"],
                ev_soc=percent_to_fraction(d["ev_initial_soc_percent"]),
                ev_departure_soc=percent_to_fraction(c.ev_min_departure_soc_percent),
                ev_departure_hour=parse_hhmm(c.ev_charge_deadline, f"{pid}.ev_charge_deadline"),
                ev_arrival_hour=parse_hhmm(d["ev_arrival"], "defaults.ev_arrival"),
                ev_daily_miles=d["ev_daily_miles"], ev_kwh_per_mile=d["ev_kwh_per_mile"],
                ev_v2g_max_kw=0.0, ev_v2g_min_soc=0.0, ev_product="",
                ev_home_charge_share=1.0)
        if c.has_solar and c.solar_capacity_kw:
            add(s, pv_prosumer_index=index, pv_capacity_kw=c.solar_capacity_kw,
                pv_tilt_deg=d["solar_tilt_deg"], pv_azimuth_deg=d["solar_azimuth_deg"],
                pv_system_efficiency=c.solar_efficiency)
    columns: dict[str, Any] = {**p}
    from desim.fleet.table import BESS_COLUMNS, EV_COLUMNS, PV_COLUMNS
    for block, names in ((b, BESS_COLUMNS), (e, EV_COLUMNS), (s, PV_COLUMNS)):
        for name in names:
            columns[name] = block.get(name, np.array([]))
    return FleetTable(**columns)
