"""`ProsumerConfig`: what a parser read from one text description.

Every field may be unset (``None``: the text did not settle it). Each set
field carries a provenance: ``"stated"`` (the text gave it), ``"corrected"``
(the text gave it as a correction of an earlier number), ``"catalog"``
(filled from a product name the text gave, only where the catalog allows
it), ``"profile"`` or ``"default"`` (filled later, when a config becomes a
fleet row; see `desim.llm.fleet`). Corrections and rejections made while
reading or validating are kept as warnings on the config.

Units and ranges follow the seed API: kWh, kW, percent (0-100) for SOC and
discharge depth, fractions (0-1) for efficiency and willingness, $/kWh for
compensation, hours for backup, zero-padded 24 h "HH:MM" for the deadline.

After the 18 seed-API fields (`SEED_FIELDS`) come the thermal fields
(`THERMAL_FIELDS`): whether the home has an air conditioner or heat pump,
which kind, its thermostat setpoint in degrees Celsius, and whether its water
heater is electric and of which kind. They are read and recorded; a thermal
unit is simulated only with the figures of ``[fleet.prosumers.hvac]``.
"""

from __future__ import annotations

from typing import Any

import attrs
from attrs import field, frozen

__all__ = [
    "ProsumerConfig",
    "CONFIG_FIELDS",
    "SEED_FIELDS",
    "THERMAL_FIELDS",
    "HVAC_KIND_NAMES",
    "WATER_HEATER_KIND_NAMES",
    "PROVENANCES",
    "PROFILE_NAMES",
    "EV_PRIORITY_NAMES",
]

PROVENANCES = ("stated", "corrected", "catalog", "profile", "default")
PROFILE_NAMES = ("conservative", "moderate", "aggressive")
EV_PRIORITY_NAMES = ("low", "medium", "high")
HVAC_KIND_NAMES = ("ac", "heat_pump")                  # desim.scenario.schema.HVAC_KINDS
WATER_HEATER_KIND_NAMES = ("resistance", "heat_pump")

#: Field name -> value kind, in the seed API's order.
_KINDS: dict[str, str] = {
    "bess_capacity_kwh": "float",
    "bess_max_power_kw": "float",
    "bess_initial_soc_percent": "float",
    "has_ev": "bool",
    "ev_count": "int",
    "ev_battery_capacity_kwh": "float",
    "ev_max_charge_power_kw": "float",
    "ev_charge_deadline": "hhmm",
    "ev_min_departure_soc_percent": "float",
    "has_solar": "bool",
    "solar_capacity_kw": "float",
    "solar_efficiency": "float",
    "participation_profile": "profile",
    "participation_willingness": "float",
    "min_compensation_per_kwh": "float",
    "backup_power_hours": "float",
    "max_discharge_percent": "float",
    "ev_priority": "priority",
    "has_hvac": "bool",
    "hvac_kind": "hvac_kind",
    "hvac_setpoint_c": "float",
    "has_water_heater_electric": "bool",
    "water_heater_kind": "water_heater_kind",
}

#: Every field a parser reads: the seed API's 18, then the thermal ones.
CONFIG_FIELDS: tuple[str, ...] = tuple(_KINDS)
#: The seed API's field names, in its order.
SEED_FIELDS: tuple[str, ...] = CONFIG_FIELDS[:18]
#: Air conditioner / heat pump and water heater fields (not in the seed API).
THERMAL_FIELDS: tuple[str, ...] = CONFIG_FIELDS[18:]

#: The per-EV fields: set only when they hold for every EV of the household.
PER_EV_FIELDS = ("ev_battery_capacity_kwh", "ev_max_charge_power_kw", "ev_charge_deadline",
                 "ev_min_departure_soc_percent")


def field_kind(name: str) -> str:
    """Value kind of a config field ("float", "int", "bool", "hhmm", "profile", "priority",
    "hvac_kind", "water_heater_kind")."""
    return _KINDS[name]


def _opt(**kw: Any) -> Any:
    return field(default=None, kw_only=True, **kw)


@frozen
class ProsumerConfig:
    """A parsed prosumer description (see module docstring for units).

    Build one with `ProsumerConfig.build(values, provenance, warnings)`;
    the plain constructor is for code that already holds checked values.
    """

    bess_capacity_kwh: float | None = _opt()
    bess_max_power_kw: float | None = _opt()
    bess_initial_soc_percent: float | None = _opt()
    has_ev: bool | None = _opt()
    ev_count: int | None = _opt()
    ev_battery_capacity_kwh: float | None = _opt()
    ev_max_charge_power_kw: float | None = _opt()
    ev_charge_deadline: str | None = _opt()
    ev_min_departure_soc_percent: float | None = _opt()
    has_solar: bool | None = _opt()
    solar_capacity_kw: float | None = _opt()
    solar_efficiency: float | None = _opt()
    participation_profile: str | None = _opt()
    participation_willingness: float | None = _opt()
    min_compensation_per_kwh: float | None = _opt()
    backup_power_hours: float | None = _opt()
    max_discharge_percent: float | None = _opt()
    ev_priority: str | None = _opt()
    has_hvac: bool | None = _opt()
    hvac_kind: str | None = _opt()
    hvac_setpoint_c: float | None = _opt()
    has_water_heater_electric: bool | None = _opt()
    water_heater_kind: str | None = _opt()
    provenance: tuple[tuple[str, str], ...] = field(default=(), kw_only=True,
                                                    converter=lambda p: tuple(sorted(dict(p).items())))
    warnings: tuple[str, ...] = field(default=(), kw_only=True, converter=tuple)
    #: fields the parser could not settle with confidence (a hybrid parser asks a model)
    unsure: tuple[str, ...] = field(default=(), kw_only=True,
                                    converter=lambda u: tuple(sorted(set(u))))

    @classmethod
    def build(cls, values: dict[str, Any], provenance: dict[str, str] | None = None,
              warnings: list[str] | tuple[str, ...] = (),
              unsure: list[str] | tuple[str, ...] = ()) -> ProsumerConfig:
        """A config from field values; unknown keys are a programming error."""
        unknown = set(values) - set(CONFIG_FIELDS)
        if unknown:
            raise KeyError(f"ProsumerConfig: unknown fields {sorted(unknown)}")
        prov = {k: v for k, v in (provenance or {}).items() if values.get(k) is not None}
        for k, v in values.items():
            if v is not None:
                prov.setdefault(k, "stated")
        return cls(**values, provenance=prov, warnings=tuple(warnings),
                   unsure=tuple(u for u in unsure if u in _KINDS))

    def provenance_of(self, name: str) -> str | None:
        """"stated", "corrected", "catalog", "profile", "default", or None when unset."""
        return dict(self.provenance).get(name)

    def to_dict(self) -> dict[str, Any]:
        """The flat dict: the seed API's 18 fields, then the thermal ones; None where unset."""
        return {name: getattr(self, name) for name in CONFIG_FIELDS}

    def to_json_dict(self) -> dict[str, Any]:
        """Fields, per-field provenance ("not stated" for unset), warnings, unsure fields."""
        prov = dict(self.provenance)
        return {"config": self.to_dict(),
                "provenance": {n: prov.get(n, "not stated") for n in CONFIG_FIELDS},
                "warnings": list(self.warnings), "unsure": list(self.unsure)}

    def replace(self, values: dict[str, Any] | None = None,
                provenance: dict[str, str] | None = None,
                warnings: list[str] | tuple[str, ...] = ()) -> ProsumerConfig:
        """A copy with some fields changed, provenance updated and warnings appended."""
        values = values or {}
        prov = dict(self.provenance)
        prov.update(provenance or {})
        for k, v in values.items():
            if v is None:
                prov.pop(k, None)
            elif provenance is None or k not in provenance:
                prov.setdefault(k, "stated")
        return attrs.evolve(self, **values, provenance=prov,
                            warnings=self.warnings + tuple(warnings))

    def set_fields(self) -> tuple[str, ...]:
        """Names of the fields that are set."""
        return tuple(n for n in CONFIG_FIELDS if getattr(self, n) is not None)
