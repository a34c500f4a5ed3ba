"""desim: discrete-event simulation of residential energy prosumers for VPP studies."""

from __future__ import annotations

__version__ = "0.1.0"

from desim.assets import (  # noqa: E402
    BESS,
    ElectricVehicle,
    MarketEvaluation,
    Prosumer,
    SolarPV,
)
from desim.catalog import lookup_battery, lookup_vehicle  # noqa: E402
from desim.errors import (  # noqa: E402
    CatalogError,
    DesimError,
    DesimWarning,
    OutputError,
    ParameterError,
    ParseError,
    ScenarioError,
)
from desim.fleet import FleetGenerator, FleetTable, generate_fleet_table  # noqa: E402
from desim.llm import GeminiParser, LLMProsumerParser, RuleBasedParser, get_parser  # noqa: E402
from desim.scenario import Scenario, load_scenario  # noqa: E402

__all__ = [
    "__version__",
    "DesimError",
    "DesimWarning",
    "ParameterError",
    "ScenarioError",
    "CatalogError",
    "ParseError",
    "OutputError",
    "BESS",
    "ElectricVehicle",
    "SolarPV",
    "Prosumer",
    "MarketEvaluation",
    "lookup_battery",
    "lookup_vehicle",
    "FleetGenerator",
    "FleetTable",
    "generate_fleet_table",
    "LLMProsumerParser",
    "RuleBasedParser",
    "GeminiParser",
    "get_parser",
    "Scenario",
    "load_scenario",
    "run",
]


def run(scenario, progress=None, counterfactual=None, parser=None):
    """Run a scenario (a `Scenario` or a path to a TOML file); returns a `RunOutput`.

    ``run(...).result.log.to_pandas(start)`` is the event log, ``.result.series`` the
    fleet's per-interval power, and `desim.analysis.metrics.summarize` the summary.
    """
    from desim.sim.run import simulate

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return simulate(scenario, progress=progress, counterfactual=counterfactual, parser=parser)
