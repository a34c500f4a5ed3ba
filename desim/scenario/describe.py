"""Turn a parsed description into the scenario's own prosumer spec.

Numbers and choices written in the scenario file win; the parsed config fills
what the file leaves out, and the parser's documented defaults
(`desim.llm.DEFAULTS`) fill what neither settles.

Thermal loads are the exception: a thermal unit needs a thermal resistance,
capacitance, rated power and COP that a description almost never gives, and
desim does not invent them. So a parsed air conditioner or heat pump never
becomes an ``[fleet.prosumers.hvac]`` table; the parsed thermal fields are kept
in the resolved config (``resolved_prosumers.json``) and a `DesimWarning`
says the unit is not simulated until the file gives its figures. When the
file gives ``[fleet.prosumers.hvac]``, its figures (setpoint included) are used
as written.
"""

from __future__ import annotations

import attrs

from desim.errors import warn
from desim.scenario.schema import BessSpec, EvSpec, SolarSpec

__all__ = ["spec_from_config"]


def _first(*values):
    for v in values:
        if v is not None:
            return v
    return None


def spec_from_config(spec, config):
    """`spec` (a ProsumerSpec with a description) completed from parsed `config`."""
    from desim.llm import DEFAULTS

    prefs = spec.preferences
    profile = prefs.profile
    if profile == "moderate" and config.participation_profile is not None:
        profile = config.participation_profile
    prefs = attrs.evolve(
        prefs, profile=profile,
        participation_willingness=_first(prefs.participation_willingness,
                                         config.participation_willingness),
        min_compensation_per_kwh=_first(prefs.min_compensation_per_kwh,
                                        config.min_compensation_per_kwh),
        backup_power_hours=_first(prefs.backup_power_hours, config.backup_power_hours),
        max_discharge_percent=_first(prefs.max_discharge_percent,
                                     config.max_discharge_percent),
        ev_priority=_first(prefs.ev_priority, config.ev_priority))
    bess = spec.bess
    if bess is None and config.bess_capacity_kwh is not None:
        capacity = config.bess_capacity_kwh
        bess = BessSpec(
            capacity_kwh=capacity,
            max_power_kw=_first(config.bess_max_power_kw,
                                capacity * DEFAULTS["bess_c_rate_per_h"]),
            initial_soc_percent=_first(config.bess_initial_soc_percent,
                                       DEFAULTS["bess_initial_soc_percent"]))
    solar = spec.solar
    if solar is None and config.has_solar and config.solar_capacity_kw is not None:
        solar = SolarSpec(capacity_kw=config.solar_capacity_kw)
    evs = spec.evs
    if not evs and config.has_ev:
        count = _first(config.ev_count, DEFAULTS["ev_count"]) or 0
        evs = tuple(EvSpec(
            capacity_kwh=_first(config.ev_battery_capacity_kwh,
                                DEFAULTS["ev_battery_capacity_kwh"]),
            max_charge_power_kw=_first(config.ev_max_charge_power_kw,
                                       DEFAULTS["ev_max_charge_power_kw"]),
            departure=_first(config.ev_charge_deadline, DEFAULTS["ev_charge_deadline"]),
            departure_soc_percent=_first(config.ev_min_departure_soc_percent,
                                         DEFAULTS["ev_min_departure_soc_percent"]),
        ) for _ in range(int(count)))
    if spec.hvac is None and getattr(config, "has_hvac", None):
        _warn_unsimulated_hvac(spec.id, config)
    return attrs.evolve(spec, preferences=prefs, bess=bess, solar=solar, evs=evs)


def _warn_unsimulated_hvac(prosumer_id, config) -> None:
    unit = {"ac": "an air conditioner", "heat_pump": "a heat pump"}.get(
        config.hvac_kind, "an air conditioner or heat pump")
    setpoint = getattr(config, "hvac_setpoint_c", None)
    said = f" (setpoint {setpoint:.2f} C)" if setpoint is not None else ""
    warn(f"fleet.prosumers {prosumer_id!r}: the description gives {unit}{said} but not its "
         "thermal figures; it is recorded in resolved_prosumers.json and not simulated: give "
         "[fleet.prosumers.hvac] (thermal_resistance_c_per_kw, thermal_capacitance_kwh_per_c, "
         "rated_power_kw, cop, setpoint_c) to simulate it", stacklevel=3)
