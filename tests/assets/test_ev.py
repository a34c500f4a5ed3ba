"""ElectricVehicle: requirement, deadlines across midnight, laxity, charging, V2G, validation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desim import ElectricVehicle, ParameterError
from desim.assets import physics


def test_requirement_is_stored_energy_to_departure_soc():
    ev = ElectricVehicle(75.0, 11.0, current_soc_percent=60.0, min_departure_soc_percent=80.0)
    assert ev.get_charging_requirement_kwh() == pytest.approx(15.0)
    ev.soc = 0.9
    assert ev.get_charging_requirement_kwh() == 0.0


@pytest.mark.parametrize(("deadline", "now", "hours"), [
    ("07:00", 22.0, 9.0), ("07:00", 6.0, 1.0), ("07:00", 7.0, 24.0),
    ("00:30", 23.5, 1.0), ("23:00", 1.0, 22.0), ("08:30", 8.75, 23.75)])
def test_hours_until_deadline_wraps_past_midnight(deadline, now, hours):
    ev = ElectricVehicle(60.0, 7.2, charge_deadline=deadline)
    assert ev.hours_until_deadline(now) == pytest.approx(hours)


def test_laxity_is_time_left_minus_time_needed_at_full_power():
    ev = ElectricVehicle(60.0, 6.0, current_soc_percent=50.0, min_departure_soc_percent=80.0,
                         charge_deadline="07:00", charge_efficiency=0.9)
    assert ev.laxity_h(22.0) == pytest.approx(9.0 - 18.0 / (6.0 * 0.9))


@given(now=st.floats(0.0, 23.99), deadline_min=st.integers(0, 24 * 60 - 1),
       soc=st.floats(0.0, 100.0), target=st.floats(0.0, 100.0), power=st.floats(1.0, 20.0))
def test_laxity_never_exceeds_the_time_to_a_deadline_within_a_day(now, deadline_min, soc,
                                                                  target, power):
    deadline = f"{deadline_min // 60:02d}:{deadline_min % 60:02d}"
    ev = ElectricVehicle(60.0, power, current_soc_percent=soc,
                         min_departure_soc_percent=target, charge_deadline=deadline)
    left = ev.hours_until_deadline(now)
    assert 0.0 < left <= 24.0
    assert ev.laxity_h(now) <= left
    if ev.laxity_h(now) >= 0.0:  # charging at full power from now meets the target in time
        ev.charge(power, left)
        assert ev.soc >= ev.min_departure_soc - 1e-9


def test_charge_clips_to_charger_and_stops_full():
    ev = ElectricVehicle(50.0, 7.0, current_soc_percent=90.0, charge_efficiency=0.9)
    stored = ev.charge(22.0, 10.0)
    assert ev.soc == pytest.approx(1.0)
    assert stored == pytest.approx(5.0)


def test_v2g_discharge_only_when_enabled_and_above_its_floor():
    ev = ElectricVehicle(60.0, 7.2, current_soc_percent=50.0)
    assert ev.discharge(5.0, 1.0) == 0.0
    assert ev.soc == 0.5
    v2g = ElectricVehicle(60.0, 7.2, current_soc_percent=50.0, v2g_max_discharge_kw=5.0,
                          v2g_min_soc_percent=40.0)
    assert v2g.v2g_enabled
    assert v2g.discharge(10.0, 1.0) == pytest.approx(5.0)
    assert v2g.discharge(10.0, 10.0) == pytest.approx(60.0 * 0.5 - 5.0 - 60.0 * 0.4)
    assert v2g.soc == pytest.approx(0.4)
    assert v2g.get_available_discharge_capacity_kw() == 0.0


def test_from_catalog_fills_figures_and_consumption():
    ev = ElectricVehicle.from_catalog("2021 Chevy Bolt", current_soc_percent=30.0)
    assert (ev.battery_capacity_kwh, ev.max_charge_power_kw, ev.kwh_per_mile) == (
        66.0, 7.2, 0.28)
    assert ev.product.name == "Chevrolet Bolt EV (2020-21)"
    with pytest.raises(ParameterError, match="battery_capacity_kwh"):
        ElectricVehicle.from_catalog("Tesla Model S")
    assert ElectricVehicle.from_catalog("Model S", battery_capacity_kwh=100.0).max_charge_power_kw \
        == 11.5


@pytest.mark.parametrize(("kwargs", "field", "value"), [
    ({"charge_deadline": "7am"}, "charge_deadline", "'7am'"),
    ({"charge_deadline": "24:00"}, "charge_deadline", "'24:00'"),
    ({"current_soc_percent": -1.0}, "current_soc_percent", "-1"),
    ({"min_departure_soc_percent": 150.0}, "min_departure_soc_percent", "150"),
    ({"charge_efficiency": 1.2}, "charge_efficiency", "1.2"),
    ({"v2g_max_discharge_kw": -3.0}, "v2g_max_discharge_kw", "-3"),
    ({"battery_capacity_kwh": 0.0}, "battery_capacity_kwh", "0"),
])
def test_bad_parameter_names_field_and_value(kwargs, field, value):
    args = {"battery_capacity_kwh": 60.0, "max_charge_power_kw": 7.2, **kwargs}
    with pytest.raises(ParameterError, match=f"ElectricVehicle.{field}: expected .*{value}"):
        ElectricVehicle(**args)


def test_all_problems_are_reported_at_once():
    with pytest.raises(ParameterError, match="3 problems"):
        ElectricVehicle(-1.0, -1.0, charge_deadline="noon")


def test_laxity_agrees_with_vectorized_physics():
    rng = np.random.default_rng(3)
    soc, target = rng.uniform(0, 1, 20), rng.uniform(0, 1, 20)
    power, now = rng.uniform(3, 19, 20), rng.uniform(0, 24, 20)
    left = np.mod(7.0 - now, 24.0)
    vec = physics.laxity_h(left, soc, target, 80.0, power, 0.95)
    for i in range(20):
        ev = ElectricVehicle(80.0, power[i], soc[i] * 100, target[i] * 100, "07:00", 0.95)
        assert ev.laxity_h(now[i]) == pytest.approx(vec[i])
