"""The asset and catalog names are part of desim's public API."""

import desim


def test_asset_and_catalog_names_are_exported():
    for name in ("BESS", "ElectricVehicle", "SolarPV", "Prosumer", "MarketEvaluation",
                 "lookup_battery", "lookup_vehicle"):
        assert name in desim.__all__
        assert getattr(desim, name) is not None
