"""desim.fleet: draw, convert, summarize and export fleets of prosumers.

The fleet form the engine consumes is `FleetTable` (struct of arrays).
`generate_fleet_table` draws one from a `FleetConfig` (defaults in
``data/california.toml``); `FleetGenerator` is the seed API over it, giving
lists of `desim.assets.Prosumer` objects.
"""

from desim.fleet.config import FleetConfig
from desim.fleet.convert import ProsumerFleet, prosumers_from_table, table_from_prosumers
from desim.fleet.export import (
    export_fleet,
    export_fleet_csv,
    export_fleet_json,
    export_fleet_parquet,
    fleet_from_frame,
    fleet_to_frame,
    load_fleet,
)
from desim.fleet.generate import generate_fleet_table
from desim.fleet.generator import FleetGenerator
from desim.fleet.stats import fleet_statistics
from desim.fleet.table import FleetTable

__all__ = [
    "FleetTable",
    "FleetConfig",
    "generate_fleet_table",
    "FleetGenerator",
    "ProsumerFleet",
    "prosumers_from_table",
    "table_from_prosumers",
    "fleet_statistics",
    "export_fleet",
    "export_fleet_csv",
    "export_fleet_json",
    "export_fleet_parquet",
    "fleet_to_frame",
    "fleet_from_frame",
    "load_fleet",
]
