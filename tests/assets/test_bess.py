"""BESS: seed numbers, limits, efficiency semantics, validation, agreement with physics."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desim import BESS, ParameterError
from desim.assets import physics
from desim.catalog import lookup_battery


def test_seed_charge_one_kw_for_one_hour_stores_095_and_reads_59_5_percent():
    bess = BESS(capacity_kwh=10.0, max_power_kw=5.0, efficiency=0.95, current_soc_percent=50.0)
    stored = bess.charge(power_kw=1.0, duration_hours=1.0)
    assert stored == pytest.approx(0.95)
    assert bess.current_soc_percent == pytest.approx(59.5)


def test_seed_discharge_from_59_5_delivers_075_and_reads_51_6_percent():
    bess = BESS(capacity_kwh=10.0, max_power_kw=5.0, efficiency=0.95, current_soc_percent=59.5)
    delivered = bess.discharge(power_kw=0.75, duration_hours=1.0)
    assert delivered == pytest.approx(0.75)
    assert round(bess.current_soc_percent, 1) == 51.6
    assert bess.soc == pytest.approx(0.595 - 0.75 / 0.95 / 10.0)


def test_charge_clips_at_max_power_and_stops_at_ceiling():
    bess = BESS(10.0, 2.0, 0.9, current_soc_percent=50.0, max_soc_percent=90.0)
    stored = bess.charge(100.0, 0.5)
    assert stored == pytest.approx(2.0 * 0.5 * 0.9)
    stored = bess.charge(2.0, 10.0)
    assert bess.max_soc == bess.soc == pytest.approx(0.9)
    assert stored == pytest.approx((0.9 - 0.59) * 10.0)


def test_discharge_uses_its_own_limit_and_stops_at_floor():
    bess = BESS(10.0, 5.0, 1.0, current_soc_percent=50.0, max_discharge_power_kw=1.0)
    assert bess.discharge(5.0, 1.0) == pytest.approx(1.0)
    assert bess.discharge(1.0, 100.0) == pytest.approx(3.0)
    assert bess.soc == pytest.approx(bess.min_soc)


def test_headroom_and_times_to_limits():
    bess = BESS(10.0, 5.0, 0.95, current_soc_percent=50.0)
    assert bess.get_available_charge_capacity_kw() == pytest.approx(min(5.0, 4.5 / 0.95))
    assert bess.get_available_discharge_capacity_kw(2.0) == pytest.approx(4.0 * 0.95 / 2.0)
    assert bess.time_to_full_h(1.0) == pytest.approx(4.5 / 0.95)
    assert bess.time_to_empty_h(1.0) == pytest.approx(4.0 * 0.95)
    assert bess.time_to_full_h(0.0) == np.inf
    assert bess.stored_energy_kwh == pytest.approx(5.0)
    assert (bess.soc, bess.min_soc, bess.max_soc) == pytest.approx((0.5, 0.1, 0.95))


def test_self_discharge_drains_an_idle_battery_exponentially():
    bess = BESS(10.0, 5.0, current_soc_percent=50.0, self_discharge_per_h=0.01)
    bess.charge(0.0, 10.0)
    assert bess.soc == pytest.approx(0.5 * np.exp(-0.1))


@pytest.mark.parametrize("hold", ["discharge", "charge"])
def test_a_year_at_the_floor_leaks_below_it_as_the_closed_form_says(hold):
    k, hours = 1e-5, 8760.0                 # 10 kWh at 10 %: 1 kWh leaking about 8.4 % a year
    bess = BESS(10.0, 5.0, 0.95, current_soc_percent=10.0, min_soc_percent=10.0,
                self_discharge_per_h=k)
    before_kwh = bess.stored_energy_kwh
    # hourly: discharging at the floor delivers nothing; idling (charge 0) stores nothing
    power = 2.0 if hold == "discharge" else 0.0
    moved_kwh = sum(getattr(bess, hold)(power, 1.0) for _ in range(int(hours)))
    assert moved_kwh == 0.0
    want_soc = 0.1 * math.exp(-k * hours)  # physics.scalar.soc_after at p = 0
    assert bess.soc == pytest.approx(want_soc, rel=1e-12)
    assert bess.soc < bess.min_soc          # nothing lifts it back to the floor
    leaked_kwh = before_kwh * (1.0 - math.exp(-k * hours))
    assert before_kwh - bess.stored_energy_kwh == pytest.approx(leaked_kwh, rel=1e-9)
    one_call = BESS(10.0, 5.0, 0.95, current_soc_percent=10.0, min_soc_percent=10.0,
                    self_discharge_per_h=k)
    getattr(one_call, hold)(power, hours)
    assert one_call.soc == pytest.approx(bess.soc, rel=1e-12)


def test_from_catalog_takes_datasheet_figures_and_overrides():
    bess = BESS.from_catalog("Powerwall II", current_soc_percent=70.0)
    product = lookup_battery("Tesla Powerwall 2")
    assert bess.product == product
    assert (bess.capacity_kwh, bess.max_power_kw) == (13.5, 5.0)
    assert bess.current_soc_percent == pytest.approx(70.0)
    assert BESS.from_catalog("PW3", max_power_kw=7.6).max_power_kw == 7.6


def test_from_catalog_without_power_figure_asks_for_it():
    with pytest.raises(ParameterError, match="max_power_kw"):
        BESS.from_catalog("Tesla Powerwall")
    assert BESS.from_catalog("Tesla Powerwall", max_power_kw=5.0).capacity_kwh == 13.5


def test_invalid_parameters_are_all_reported_with_field_and_value():
    with pytest.raises(ParameterError) as info:
        BESS(capacity_kwh=-5, max_power_kw=0, efficiency=1.5, current_soc_percent=50,
             min_soc_percent=96, max_soc_percent=95)
    message = str(info.value)
    for part in ("BESS.capacity_kwh", "-5", "BESS.max_power_kw", "BESS.efficiency", "1.5",
                 "BESS.min_soc_percent", "96"):
        assert part in message


@pytest.mark.parametrize(("kwargs", "field", "value"), [
    ({"current_soc_percent": 5.0}, "current_soc_percent", "5"),
    ({"current_soc_percent": 120.0}, "current_soc_percent", "120"),
    ({"efficiency": 0.0}, "efficiency", "0"),
    ({"max_soc_percent": 101.0}, "max_soc_percent", "101"),
    ({"self_discharge_per_h": -0.1}, "self_discharge_per_h", "-0.1"),
    ({"max_discharge_power_kw": -1.0}, "max_discharge_power_kw", "-1"),
    ({"capacity_kwh": "ten"}, "capacity_kwh", "'ten'"),
])
def test_single_bad_parameter_names_field_and_value(kwargs, field, value):
    args = {"capacity_kwh": 10.0, "max_power_kw": 5.0, **kwargs}
    with pytest.raises(ParameterError, match=f"BESS.{field}: expected .*got {value}"):
        BESS(**args)


def test_negative_power_or_duration_is_rejected():
    bess = BESS(10.0, 5.0)
    with pytest.raises(ParameterError, match="power_kw"):
        bess.charge(-1.0, 1.0)
    with pytest.raises(ParameterError, match="duration_hours"):
        bess.discharge(1.0, -1.0)


@given(power=st.integers(0, 30), hours=st.integers(0, 4),
       kind=st.sampled_from([int, np.int64, np.int32, np.float64, np.float32]))
def test_ints_and_numpy_scalars_hold_as_the_same_floats(power, hours, kind):
    # what the seed's examples pass (``charge(5, 1)``) and what a numpy caller passes:
    # the same SOC and energy, to the bit, as with Python floats
    from desim import ElectricVehicle

    for make in (lambda: BESS(13.5, 5.0, 0.95, current_soc_percent=40.0,
                              self_discharge_per_h=1e-4),
                 lambda: ElectricVehicle(75.0, 11.0, current_soc_percent=30.0)):
        a, b = make(), make()
        for method in ("charge", "discharge"):
            want = getattr(a, method)(float(power), float(hours))
            got = getattr(b, method)(kind(power), kind(hours))
            assert type(got) is float and got == want and b.soc == a.soc


@pytest.mark.parametrize("bad", [True, -1, 10 ** 400, "3", float("nan"), np.float64(-0.5),
                                 None])
def test_a_bad_hold_argument_of_any_type_is_named(bad):
    from desim import ElectricVehicle

    for unit in (BESS(10.0, 5.0), ElectricVehicle(60.0, 7.0)):
        for method in ("charge", "discharge"):
            with pytest.raises(ParameterError, match=r"\.power_kw: expected a number >= 0"):
                getattr(unit, method)(bad, 1)
            with pytest.raises(ParameterError, match=r"\.duration_hours: expected"):
                getattr(unit, method)(1, bad)


holds = st.lists(st.tuples(st.booleans(), st.floats(0.0, 20.0), st.floats(0.0, 5.0)),
                 max_size=25)


@given(soc_pct=st.floats(10.0, 95.0), eff=st.floats(0.5, 1.0), sequence=holds)
def test_soc_never_leaves_floor_and_ceiling(soc_pct, eff, sequence):
    bess = BESS(12.0, 6.0, eff, current_soc_percent=soc_pct)
    for is_charge, power, hours in sequence:
        (bess.charge if is_charge else bess.discharge)(power, hours)
        # the closed form's SOC, unclamped (as in the engine): within the limits to rounding
        assert bess.min_soc - 1e-12 <= bess.soc <= bess.max_soc + 1e-12


@given(soc_pct=st.floats(10.0, 95.0), eff=st.floats(0.5, 1.0),
       power=st.floats(0.0, 10.0), hours=st.floats(0.0, 10.0))
def test_grid_energy_times_efficiency_equals_stored_gain(soc_pct, eff, power, hours):
    bess = BESS(12.0, 6.0, eff, current_soc_percent=soc_pct)
    before = bess.stored_energy_kwh
    stored = bess.charge(power, hours)
    assert bess.stored_energy_kwh - before == pytest.approx(stored, abs=1e-9)
    grid_kwh = min(power, 6.0) * hours
    if bess.soc < bess.max_soc:  # never reached the ceiling: ran at full power throughout
        assert stored == pytest.approx(grid_kwh * eff)
    assert stored <= grid_kwh * eff + 1e-9


@given(soc_pct=st.floats(10.0, 95.0), eff=st.floats(0.5, 1.0),
       power=st.floats(0.0, 10.0), hours=st.floats(0.0, 10.0))
def test_delivered_equals_stored_loss_times_efficiency(soc_pct, eff, power, hours):
    bess = BESS(12.0, 6.0, eff, current_soc_percent=soc_pct)
    before = bess.stored_energy_kwh
    delivered = bess.discharge(power, hours)
    assert delivered == pytest.approx((before - bess.stored_energy_kwh) * eff, abs=1e-9)
    assert delivered <= min(power, 6.0) * hours + 1e-9


def test_class_methods_agree_with_vectorized_physics_on_arrays():
    rng = np.random.default_rng(7)
    n = 50
    soc = rng.uniform(0.1, 0.95, n)
    power = rng.uniform(-8.0, 8.0, n)
    hours = rng.uniform(0.0, 6.0, n)
    cap, pmax, eff = 13.5, 5.0, 0.93
    clipped = np.clip(power, -pmax, pmax)
    soc_vec, energy_vec, _ = physics.hold_power(soc, clipped, hours, cap, 0.1, 0.95, eff, eff)
    avail_vec = physics.max_discharge_power_kw(soc, cap, pmax, hours + 0.5, 0.1, eff)
    for i in range(n):
        bess = BESS(cap, pmax, eff, current_soc_percent=soc[i] * 100.0)
        assert bess.get_available_discharge_capacity_kw(hours[i] + 0.5) == pytest.approx(
            avail_vec[i])
        if power[i] >= 0:
            result = bess.charge(power[i], hours[i])
            assert result == pytest.approx(energy_vec[i] * eff)
        else:
            result = bess.discharge(-power[i], hours[i])
            assert result == pytest.approx(-energy_vec[i])
        assert bess.soc == pytest.approx(soc_vec[i], abs=1e-12)
