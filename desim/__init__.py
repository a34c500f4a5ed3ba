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
]
