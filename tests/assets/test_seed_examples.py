"""The seed README's asset examples, as written, importing from desim."""

import numpy as np
import pytest

from desim import BESS, DesimWarning, ElectricVehicle, Prosumer, SolarPV


def test_seed_usage_basic_asset_modeling():
    load_data = np.full(96, 0.7)
    battery = BESS(capacity_kwh=13.5, max_power_kw=5.0, efficiency=0.95)
    with pytest.warns(DesimWarning):  # 0.22 is a module efficiency, not a derate
        solar = SolarPV(capacity_kw=8.0, efficiency=0.22, tilt=30, azimuth=180)
    prosumer = Prosumer(prosumer_id="P001", load_profile=load_data, assets=[battery, solar])
    opportunity = prosumer.evaluate_market_opportunity(price=0.15, duration_hours=4)
    assert 0.0 <= opportunity["participation_score"] <= 1.0


def test_seed_core_components_examples():
    bess = BESS(
        capacity_kwh=13.5,
        max_power_kw=7.0,
        current_soc_percent=50.0,
        min_soc_percent=10.0,
        max_soc_percent=95.0
    )
    energy_charged = bess.charge(power_kw=5.0, duration_hours=0.25)
    available_discharge = bess.get_available_discharge_capacity_kw()
    assert energy_charged == pytest.approx(5.0 * 0.25 * 0.95)
    stored_above_floor_kwh = 0.5 * 13.5 + energy_charged - 0.10 * 13.5
    assert available_discharge == pytest.approx(min(7.0, stored_above_floor_kwh * 0.95))

    ev = ElectricVehicle(
        battery_capacity_kwh=75.0,
        max_charge_power_kw=11.0,
        current_soc_percent=60.0,
        min_departure_soc_percent=80.0,
        charge_deadline="07:00"
    )
    required_energy = ev.get_charging_requirement_kwh()
    assert required_energy == pytest.approx(15.0)

    solar = SolarPV(
        capacity_kw=6.0,
        efficiency=0.85
    )
    generation = solar.get_generation_kw(solar_irradiance_per_kw=0.8)
    assert generation == pytest.approx(4.08)

    prosumer = Prosumer(
        prosumer_id="prosumer_001",
        bess=bess,
        ev=ev,
        solar=solar,
        load_profile_id="profile_1",
        participation_willingness=0.8,
        backup_power_hours=4.0,
        max_discharge_percent=70.0
    )
    opportunity = prosumer.evaluate_market_opportunity(price_per_mwh=150.0)
    assert opportunity.price_usd_per_kwh == pytest.approx(0.15)


def test_seed_example_2_custom_prosumer():
    custom_bess = BESS(
        capacity_kwh=20.0,  # Large battery
        max_power_kw=10.0,
        current_soc_percent=75.0
    )
    custom_ev = ElectricVehicle(
        battery_capacity_kwh=100.0,  # Tesla Model S
        max_charge_power_kw=11.5,
        charge_deadline="08:30"
    )
    custom_solar = SolarPV(
        capacity_kw=12.0,  # Large solar array
        efficiency=0.90
    )
    prosumer = Prosumer(
        prosumer_id="custom_001",
        bess=custom_bess,
        ev=custom_ev,
        solar=custom_solar,
        load_profile_id="profile_1",
        participation_willingness=0.95,  # Very willing to participate
        min_compensation_per_kwh=0.08,   # Low compensation requirement
        backup_power_hours=2.0,          # Minimal backup needs
        max_discharge_percent=85.0       # High discharge willingness
    )
    flexibility = prosumer.get_available_flexibility_kw()
    text = (f"Available discharge: {flexibility['discharge']:.1f} kW\n"
            f"Available charge: {flexibility['charge']:.1f} kW")
    assert flexibility["discharge"] > 0.0 and flexibility["charge"] > 0.0
    assert "kW" in text


def test_seed_example_3_assets_from_a_parsed_config():
    config = {"bess_capacity_kwh": 20.0, "bess_max_power_kw": 10.0,
              "bess_initial_soc_percent": 50.0, "has_ev": True,
              "ev_battery_capacity_kwh": 75.0, "ev_max_charge_power_kw": 11.5,
              "ev_charge_deadline": "07:00", "has_solar": True, "solar_capacity_kw": 12.0,
              "solar_efficiency": 0.86, "participation_willingness": 0.85,
              "min_compensation_per_kwh": 0.12, "backup_power_hours": 6.0,
              "max_discharge_percent": 70.0}
    bess = BESS(
        capacity_kwh=config['bess_capacity_kwh'],
        max_power_kw=config['bess_max_power_kw'],
        current_soc_percent=config['bess_initial_soc_percent']
    ) if config['bess_capacity_kwh'] else None
    ev = ElectricVehicle(
        battery_capacity_kwh=config['ev_battery_capacity_kwh'],
        max_charge_power_kw=config['ev_max_charge_power_kw'],
        charge_deadline=config['ev_charge_deadline']
    ) if config['has_ev'] else None
    solar = SolarPV(
        capacity_kw=config['solar_capacity_kw'],
        efficiency=config['solar_efficiency']
    ) if config['has_solar'] else None
    prosumer = Prosumer(
        prosumer_id="llm_generated_001",
        bess=bess,
        ev=ev,
        solar=solar,
        load_profile_id="profile_1",
        participation_willingness=config['participation_willingness'],
        min_compensation_per_kwh=config['min_compensation_per_kwh'],
        backup_power_hours=config['backup_power_hours'],
        max_discharge_percent=config['max_discharge_percent']
    )
    assert prosumer.get_status_summary()["bess"]["capacity_kwh"] == 20.0


def test_seed_validation_output_bess_numbers():
    bess = BESS(capacity_kwh=10.0, max_power_kw=5.0, efficiency=0.95, current_soc_percent=50.0)
    before = bess.current_soc_percent
    charged = bess.charge(1.0, 1.0)
    line = f"Charged {charged:.2f} kWh, SOC: {before:.1f}% → {bess.current_soc_percent:.1f}%"
    assert line == "Charged 0.95 kWh, SOC: 50.0% → 59.5%"
    discharged = bess.discharge(0.75, 1.0)
    assert f"Discharged {discharged:.2f} kWh, SOC: {bess.current_soc_percent:.1f}%" == (
        "Discharged 0.75 kWh, SOC: 51.6%")
