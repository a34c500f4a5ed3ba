"""`FleetGenerator`: the seed API for fleets of `Prosumer` objects.

A thin layer over `generate_fleet_table` (draws), `prosumers_from_table`
(objects), `fleet_statistics` and `desim.fleet.export`. For large fleets use
the table functions directly: objects cost a few microseconds and about a
kilobyte each, the table some 150 bytes per prosumer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from desim.errors import warn
from desim.fleet.config import FleetConfig
from desim.fleet.convert import ProsumerFleet, prosumers_from_table, table_from_prosumers
from desim.fleet.export import export_fleet
from desim.fleet.generate import generate_fleet_table
from desim.fleet.stats import fleet_statistics
from desim.fleet.table import FleetTable

__all__ = ["FleetGenerator", "as_table"]


def as_table(fleet) -> FleetTable:
    """`fleet` as a FleetTable: a table as is, a list of Prosumer objects converted."""
    return fleet if isinstance(fleet, FleetTable) else table_from_prosumers(fleet)


class FleetGenerator:
    """Draws California-like prosumer fleets (seed API).

    Parameters
    ----------
    data_path : str or path, optional
        Directory of external profile data (the seed's ``solar_data.csv`` and
        ``load_profiles/``). Recorded as `data_path`; generation does not need
        it. A path that does not exist warns (`DesimWarning`).
    config : FleetConfig, optional
        Rates and tables; default `FleetConfig.preset("california")`.
    """

    def __init__(self, data_path: str | os.PathLike | None = None,
                 config: FleetConfig | None = None) -> None:
        self.data_path = None if data_path is None else Path(data_path)
        if self.data_path is not None and not self.data_path.exists():
            warn(f"FleetGenerator.data_path: {self.data_path} does not exist; it is only "
                 "recorded, generation does not need it")
        self.config = config if config is not None else FleetConfig.preset()

    def generate_table(self, n: int, random_seed: int | None = 0) -> FleetTable:
        """Draw `n` prosumers as a `FleetTable` (`generate_fleet_table`)."""
        return generate_fleet_table(n, random_seed, self.config)

    def create_prosumer_fleet(self, n: int, random_seed: int | None = 42) -> ProsumerFleet:
        """Draw `n` prosumers as `desim.assets.Prosumer` objects.

        Returns a `ProsumerFleet` (a list) that keeps the drawn table in
        ``.table``. Each prosumer's ``load_profile_id`` names a file under
        `data_path`'s ``load_profiles/`` when a data path is set (assigned in
        turn to the profiles found there), else stays None.
        """
        table = self.generate_table(n, random_seed)
        fleet = prosumers_from_table(table)
        profiles = self._load_profile_ids()
        if profiles:
            for i, home in enumerate(fleet):
                home.load_profile_id = profiles[i % len(profiles)]
        return fleet

    def generate_fleet(self, n_prosumers: int, data_dir: str | os.PathLike | None = None,
                       random_seed: int | None = 42) -> ProsumerFleet:
        """Seed alias of `create_prosumer_fleet`; `data_dir` sets `data_path`."""
        if data_dir is not None:
            self.data_path = Path(data_dir)
        return self.create_prosumer_fleet(n_prosumers, random_seed)

    def get_fleet_statistics(self, fleet) -> dict[str, Any]:
        """Statistics of a list of Prosumer objects or a FleetTable (`fleet_statistics`)."""
        return fleet_statistics(as_table(fleet))

    def export_fleet_summary(self, fleet, path: str | os.PathLike,
                             fmt: str | None = None) -> Path:
        """Write the fleet (objects or table) as CSV, JSON or Parquet (by suffix)."""
        return export_fleet(as_table(fleet), path, fmt)

    def export_fleet_csv(self, fleet, path: str | os.PathLike) -> Path:
        """Seed alias: write ``fleet_summary.csv``."""
        return export_fleet(as_table(fleet), path, "csv")

    def _load_profile_ids(self) -> list[str]:
        if self.data_path is None:
            return []
        folder = self.data_path / "load_profiles"
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.iterdir() if p.is_file())
