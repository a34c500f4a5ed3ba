"""The asset and catalog names are part of desim's public API."""

import desim


def test_asset_and_catalog_names_are_exported():
    for name in ("BESS", "ElectricVehicle", "SolarPV", "Prosumer", "MarketEvaluation",
                 "lookup_battery", "lookup_vehicle"):
        assert name in desim.__all__
        assert getattr(desim, name) is not None


def test_public_api_is_pinned():
    assert sorted(desim.__all__) == sorted([
        "__version__", "DesimError", "DesimWarning", "ParameterError", "ScenarioError",
        "CatalogError", "ParseError", "OutputError", "BESS", "ElectricVehicle", "SolarPV",
        "Prosumer", "MarketEvaluation", "lookup_battery", "lookup_vehicle", "FleetGenerator",
        "FleetTable", "generate_fleet_table", "LLMProsumerParser", "RuleBasedParser",
        "GeminiParser", "get_parser", "Scenario", "load_scenario", "run"])
    for name in desim.__all__:
        assert getattr(desim, name) is not None


def test_run_accepts_a_scenario_path():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scenarios" / "one_home_day.toml"
    out = desim.run(path)
    assert out.fleet.n_prosumers == 1
    assert len(out.result.series) == 96
