"""desim.scenario: the scenario file schema, its loader and writer.

A scenario file (TOML) describes one run: horizon and seed, site, fleet,
profiles, dispatch events, control policies, recorded sessions and outputs.
See docs/scenario.md for every key.
"""

from desim.scenario.loader import (
    converter,
    dump_scenario,
    load_scenario,
    scenario_from_dict,
    scenario_from_toml,
    scenario_to_dict,
)
from desim.scenario.schema import (
    BESS_POLICIES,
    EV_POLICIES,
    EVENT_KINDS,
    OUTPUT_FORMATS,
    BessSpec,
    ControlSpec,
    DispatchEventSpec,
    EvSpec,
    FileSource,
    FleetSpec,
    GenerateSpec,
    MarketSpec,
    OutputSpec,
    PreferencesSpec,
    ProfilesSpec,
    ProsumerSpec,
    Scenario,
    ScenarioInfo,
    SessionsSpec,
    Site,
    SolarSpec,
)

__all__ = [
    "load_scenario",
    "scenario_from_toml",
    "scenario_from_dict",
    "scenario_to_dict",
    "dump_scenario",
    "converter",
    "Scenario",
    "ScenarioInfo",
    "Site",
    "FleetSpec",
    "GenerateSpec",
    "ProsumerSpec",
    "PreferencesSpec",
    "BessSpec",
    "SolarSpec",
    "EvSpec",
    "ProfilesSpec",
    "FileSource",
    "MarketSpec",
    "DispatchEventSpec",
    "ControlSpec",
    "SessionsSpec",
    "OutputSpec",
    "EV_POLICIES",
    "BESS_POLICIES",
    "OUTPUT_FORMATS",
    "EVENT_KINDS",
]
