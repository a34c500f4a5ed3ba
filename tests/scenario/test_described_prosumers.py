"""Prosumers given as text in a scenario are resolved by a parser before the run."""

import json
from pathlib import Path

import numpy as np

from desim.cli import main
from desim.scenario import load_scenario
from desim.scenario.build import build_fleet

ROOT = Path(__file__).resolve().parents[2]


def test_descriptions_become_fleet_rows_and_file_numbers_win():
    sc = load_scenario(ROOT / "scenarios" / "described_homes.toml")
    resolved = {}
    fleet = build_fleet(sc, np.random.SeedSequence(0), resolved=resolved)
    assert list(fleet.prosumer_id) == ["sac-1", "sac-2", "sac-3"]
    assert set(resolved) == {"sac-1", "sac-2", "sac-3"}
    # sac-1: Powerwall 2 (13.5 kWh / 5 kW from the catalog), 8 kW PV, no EV
    b = list(fleet.bess_prosumer_index).index(0)
    assert fleet.bess_capacity_kwh[b] == 13.5 and fleet.bess_max_charge_kw[b] == 5.0
    assert 0 not in fleet.ev_prosumer_index
    # sac-2: two EVs; twenty 400 W panels = 8 kW; annual load from the file
    assert (fleet.ev_prosumer_index == 1).sum() == 2
    assert np.all(fleet.ev_departure_hour[fleet.ev_prosumer_index == 1] == 7.5)
    assert np.all(fleet.ev_departure_soc[fleet.ev_prosumer_index == 1] == 0.8)
    assert fleet.pv_capacity_kw[list(fleet.pv_prosumer_index).index(1)] == 8.0
    assert fleet.annual_load_kwh[1] == 7800
    # sac-3: renting, no panels, no battery, one Bolt EUV (65 kWh / 11 kW), 06:45 deadline
    assert 2 not in fleet.pv_prosumer_index and 2 not in fleet.bess_prosumer_index
    e = list(fleet.ev_prosumer_index).index(2)
    assert fleet.ev_capacity_kwh[e] == 65.0 and fleet.ev_max_charge_kw[e] == 11.0
    assert fleet.ev_departure_hour[e] == 6.75
    assert abs(fleet.min_compensation_per_kwh[2] - 0.25) < 1e-6


def test_run_writes_the_resolved_prosumers_beside_its_outputs(tmp_path):
    try:
        main(["run", str(ROOT / "scenarios" / "described_homes.toml"), "-o",
              str(tmp_path / "r"), "-q"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    resolved = json.loads((tmp_path / "r" / "resolved_prosumers.json").read_text())
    assert resolved["sac-3"]["provenance"]["ev_battery_capacity_kwh"] == "catalog"
    assert resolved["sac-1"]["config"]["participation_profile"] == "conservative"


_THERMAL_HOME = """
[scenario]
name = "thermal_text"
start = "2026-07-15T00:00"
duration_h = 24
time_zone = "America/Los_Angeles"
seed = 1

[site]
latitude = 37.34
longitude = -121.89

[[fleet.prosumers]]
id = "home-1"
description = "A 10 kWh battery and central air; we keep it at 76 F. Heat pump water heater."
"""

_HVAC_TABLE = """
[fleet.prosumers.hvac]
kind = "heat_pump"
thermal_resistance_c_per_kw = 2.0
thermal_capacitance_kwh_per_c = 1.5
rated_power_kw = 3.5
cop = 3.0
setpoint_c = 22.0

[profiles]
outdoor_temperature = "california_summer"
"""


def _thermal_scenario(tmp_path, text):
    path = tmp_path / "thermal_text.toml"
    path.write_text(text)
    return load_scenario(path)


def test_a_described_air_conditioner_is_recorded_and_warned_not_simulated(tmp_path):
    import pytest

    from desim.errors import DesimWarning
    from desim.scenario.build import build_hvac
    from desim.sim.run import _config_dict

    sc = _thermal_scenario(tmp_path, _THERMAL_HOME)
    resolved = {}
    with pytest.warns(DesimWarning, match=r"'home-1'.*an air conditioner \(setpoint 24.44 C\).*"
                                          r"not simulated.*\[fleet.prosumers.hvac\]"):
        fleet = build_fleet(sc, np.random.SeedSequence(0), resolved=resolved)
    assert build_hvac(sc, fleet) is None  # no R, C, power or COP: nothing invented
    config = _config_dict(resolved["home-1"])["config"]
    assert (config["has_hvac"], config["hvac_kind"]) == (True, "ac")
    assert abs(config["hvac_setpoint_c"] - 24.444444) < 1e-5
    assert (config["has_water_heater_electric"], config["water_heater_kind"]) == (True, "heat_pump")
    assert fleet.bess_capacity_kwh[0] == 10.0


def test_a_thermal_unit_written_in_the_file_is_used_as_written(tmp_path, recwarn):
    from desim.scenario.build import build_hvac

    sc = _thermal_scenario(tmp_path, _THERMAL_HOME + _HVAC_TABLE)
    fleet = build_fleet(sc, np.random.SeedSequence(0))
    hvac = build_hvac(sc, fleet)
    assert hvac is not None and list(hvac.setpoint_c) == [22.0]
    assert not [w for w in recwarn if "not simulated" in str(w.message)]
