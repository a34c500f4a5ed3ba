"""One validation layer for every parser: types, ranges and consistency.

`validate_config` never raises on a doubtful value: it drops (rejects) or
corrects it and records a warning on the config, so a config that leaves
this module holds only in-range, mutually consistent values whatever text
or model output it came from. Ranges (inclusive):

==============================  ==========================================
bess_capacity_kwh               1-100 kWh (residential batteries)
bess_max_power_kw               > 0, at most 50 kW and at most 2 kW per kWh
bess_initial_soc_percent        0-100
ev_count                        0-10 (integer)
ev_battery_capacity_kwh         10-250 kWh
ev_max_charge_power_kw          1-25 kW (home AC charging, 19.2 kW max in
                                the catalog)
ev_charge_deadline              "HH:MM", 00:00-23:59
ev_min_departure_soc_percent    0-100 (and > 0)
solar_capacity_kw               0.5-50 kW
solar_efficiency                0-1 (a fraction; 1-100 read as percent)
participation_willingness       0-1
min_compensation_per_kwh        0-5 $/kWh (above $5/kWh is not sane)
backup_power_hours              0-168 h
max_discharge_percent           0-100
participation_profile           conservative | moderate | aggressive
ev_priority                     low | medium | high
hvac_kind                       ac | heat_pump
hvac_setpoint_c                 10-35 C (50-95 F)
water_heater_kind               resistance | heat_pump
==============================  ==========================================

Consistency: `has_ev` false forces `ev_count` 0 and clears per-EV fields;
`ev_count` > 0 implies `has_ev`; a solar capacity implies `has_solar`; a
battery power above 2 kW per kWh of capacity is rejected. An `hvac_kind`
implies `has_hvac`; `has_hvac` false clears the kind and the setpoint. A
`water_heater_kind` implies `has_water_heater_electric`; that flag false
clears the kind. A discharge depth
of 0 % is legal (the aggregator may not discharge the battery at all).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from desim.llm.config import (
    CONFIG_FIELDS,
    EV_PRIORITY_NAMES,
    HVAC_KIND_NAMES,
    PER_EV_FIELDS,
    PROFILE_NAMES,
    WATER_HEATER_KIND_NAMES,
    ProsumerConfig,
    field_kind,
)

__all__ = ["validate_config", "coerce_values", "RANGES"]

#: field -> (low, high) inclusive.
RANGES: dict[str, tuple[float, float]] = {
    "bess_capacity_kwh": (1.0, 100.0),
    "bess_max_power_kw": (0.1, 50.0),
    "bess_initial_soc_percent": (0.0, 100.0),
    "ev_count": (0, 10),
    "ev_battery_capacity_kwh": (10.0, 250.0),
    "ev_max_charge_power_kw": (1.0, 25.0),
    "ev_min_departure_soc_percent": (1.0, 100.0),
    "solar_capacity_kw": (0.5, 50.0),
    "solar_efficiency": (0.0, 1.0),
    "participation_willingness": (0.0, 1.0),
    "min_compensation_per_kwh": (0.0, 5.0),
    "backup_power_hours": (0.0, 168.0),
    "max_discharge_percent": (0.0, 100.0),
    "hvac_setpoint_c": (10.0, 35.0),
}
MAX_BESS_C_RATE_PER_H = 2.0
_CHOICES = {"profile": PROFILE_NAMES, "priority": EV_PRIORITY_NAMES,
            "hvac_kind": HVAC_KIND_NAMES, "water_heater_kind": WATER_HEATER_KIND_NAMES}
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            out = float(value.strip())
        except ValueError:
            return None
        return out if math.isfinite(out) else None
    return None


def _coerce_one(name: str, value: Any, warnings: list[str]) -> Any:
    """One value to its kind, or None with a warning when it cannot be read."""
    kind = field_kind(name)
    shown = repr(value)[:60]
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        warnings.append(f"{name}: expected true or false, got {shown}; rejected")
        return None
    if kind in _CHOICES:
        allowed = _CHOICES[kind]
        text = value.strip().lower() if isinstance(value, str) else None
        if text in allowed:
            return text
        warnings.append(f"{name}: expected one of {', '.join(allowed)}, got {shown}; rejected")
        return None
    if kind == "hhmm":
        match = _HHMM.match(value.strip()) if isinstance(value, str) else None
        if match is None:
            warnings.append(f"{name}: expected a 24 h time \"HH:MM\", got {shown}; rejected")
            return None
        fixed = f"{int(match.group(1)):02d}:{match.group(2)}"
        if fixed != value:
            warnings.append(f"{name}: {value!r} written as {fixed!r}")
        return fixed
    number = _number(value)
    if number is None:
        warnings.append(f"{name}: expected a number, got {shown}; rejected")
        return None
    if kind == "int":
        if number != int(number):
            warnings.append(f"{name}: expected a whole number, got {shown}; rejected")
            return None
        return int(number)
    return number


def coerce_values(raw: Mapping[str, Any], source: str = "config") -> tuple[dict[str, Any], list[str]]:
    """Field values of any JSON-ish type to their kinds; unknown keys are warned and dropped."""
    warnings: list[str] = []
    values: dict[str, Any] = {}
    for key in raw:
        if key not in CONFIG_FIELDS:
            warnings.append(f"{source}: unknown field {str(key)[:40]!r} ignored")
    for name in CONFIG_FIELDS:
        value = raw.get(name)
        values[name] = None if value is None else _coerce_one(name, value, warnings)
    return values, warnings


def _check_ranges(values: dict[str, Any], warnings: list[str]) -> None:
    eff = values.get("solar_efficiency")
    if eff is not None and 1.0 < eff <= 100.0:
        warnings.append(f"solar_efficiency: expected a fraction 0-1, got {eff:g}; read as "
                        f"{eff:g} % = {eff / 100:g}")
        values["solar_efficiency"] = eff / 100.0
    for name, (low, high) in RANGES.items():
        value = values.get(name)
        if value is not None and not low <= value <= high:
            warnings.append(f"{name}: expected {low:g}-{high:g}, got {value:g}; rejected")
            values[name] = None


def _check_consistency(values: dict[str, Any], warnings: list[str]) -> None:
    cap, power = values.get("bess_capacity_kwh"), values.get("bess_max_power_kw")
    if cap is not None and power is not None and power > MAX_BESS_C_RATE_PER_H * cap:
        warnings.append(f"bess_max_power_kw: expected at most {MAX_BESS_C_RATE_PER_H:g} kW per "
                        f"kWh of capacity ({MAX_BESS_C_RATE_PER_H * cap:g} kW for {cap:g} kWh), "
                        f"got {power:g}; rejected")
        values["bess_max_power_kw"] = None
    has_ev, count = values.get("has_ev"), values.get("ev_count")
    per_ev = [n for n in PER_EV_FIELDS if values.get(n) is not None]
    if has_ev is False:
        if count not in (None, 0):
            warnings.append(f"ev_count: has_ev is false but ev_count is {count}; set to 0")
        values["ev_count"] = 0
        for name in per_ev:
            warnings.append(f"{name}: has_ev is false; {values[name]!r} dropped")
            values[name] = None
    elif count is not None and count > 0 and has_ev is None:
        values["has_ev"] = True
    elif count == 0 and has_ev is True:
        warnings.append("ev_count: has_ev is true but ev_count is 0; ev_count dropped")
        values["ev_count"] = None
    elif count == 0 and has_ev is None:
        values["has_ev"] = False
        for name in per_ev:
            warnings.append(f"{name}: ev_count is 0; {values[name]!r} dropped")
            values[name] = None
    if has_ev is None and count is None and per_ev:
        values["has_ev"] = True
    if values.get("solar_capacity_kw") is not None and values.get("has_solar") is not True:
        if values.get("has_solar") is False:
            warnings.append("has_solar: false but a solar capacity is given; set to true")
        values["has_solar"] = True
    if values.get("has_solar") is False and values.get("solar_efficiency") is not None:
        warnings.append("solar_efficiency: has_solar is false; dropped")
        values["solar_efficiency"] = None
    _check_thermal(values, warnings)


def _check_thermal(values: dict[str, Any], warnings: list[str]) -> None:
    for flag, kind, others in (("has_hvac", "hvac_kind", ("hvac_setpoint_c",)),
                               ("has_water_heater_electric", "water_heater_kind", ())):
        if values.get(kind) is not None and values.get(flag) is not True:
            if values.get(flag) is False:
                warnings.append(f"{flag}: false but {kind} is {values[kind]!r}; set to true")
            values[flag] = True
        if values.get(flag) is False:
            for name in others:
                if values.get(name) is not None:
                    warnings.append(f"{name}: {flag} is false; {values[name]!r} dropped")
                    values[name] = None


def validate_config(config: ProsumerConfig) -> ProsumerConfig:
    """Check types, ranges and consistency; drop or correct bad values with warnings.

    Parameters
    ----------
    config : ProsumerConfig
        Any config, from any parser.

    Returns
    -------
    ProsumerConfig
        A config whose set fields are all in range and consistent; each
        correction or rejection is appended to ``warnings``.
    """
    values, warnings = coerce_values(config.to_dict())
    _check_ranges(values, warnings)
    _check_consistency(values, warnings)
    prov = dict(config.provenance)
    provenance = {k: prov.get(k, "stated") for k, v in values.items() if v is not None}
    return ProsumerConfig.build(values, provenance, list(config.warnings) + warnings,
                                config.unsure)


def config_from_raw(raw: Mapping[str, Any], source: str,
                    provenance: Mapping[str, str] | None = None,
                    warnings: list[str] | None = None) -> ProsumerConfig:
    """A validated config from an untrusted mapping (model output, JSON, cache file)."""
    values, coerce_warnings = coerce_values(raw, source)
    config = ProsumerConfig.build(values, dict(provenance or {}),
                                  list(warnings or []) + coerce_warnings)
    return validate_config(config)
