"""Physics functions: seed numbers, scalar/array agreement, conservation properties."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desim.assets import physics as ph

soc_st = st.floats(0.0, 1.0)
power_st = st.floats(-50.0, 50.0)
dur_st = st.floats(0.0, 48.0)
cap_st = st.floats(1.0, 200.0)
eff_st = st.floats(0.5, 1.0)


def test_seed_example_one_kw_for_one_hour_reads_59_5_percent():
    soc_end, energy_kwh, active_h = ph.hold_power(0.5, 1.0, 1.0, 10.0, 0.1, 0.95)
    assert soc_end == pytest.approx(0.595)
    assert energy_kwh == pytest.approx(1.0)
    assert active_h == pytest.approx(1.0)


def test_hold_power_stops_exactly_at_ceiling():
    soc_end, energy_kwh, active_h = ph.hold_power(0.5, 10.0, 1.0, 10.0, 0.1, 0.95, 0.95)
    assert soc_end == 0.95
    assert active_h == pytest.approx(0.45 * 10 / (10 * 0.95))
    assert energy_kwh == pytest.approx(10.0 * active_h)


def test_time_to_soc_is_inf_when_moving_away_and_zero_at_target():
    assert ph.time_to_soc(0.5, 0.9, -3.0, 10.0) == np.inf
    assert ph.time_to_soc(0.5, 0.5, 3.0, 10.0) == 0.0
    assert ph.time_to_soc(0.5, 0.9, 0.0, 10.0) == np.inf


def test_time_to_soc_with_self_discharge_matches_soc_after():
    t = ph.time_to_soc(0.2, 0.8, 5.0, 13.5, 0.95, 0.95, 0.01)
    assert ph.soc_after(0.2, 5.0, t, 13.5, 0.95, 0.95, 0.01) == pytest.approx(0.8)


@given(st.lists(st.tuples(soc_st, power_st, dur_st, cap_st), min_size=1, max_size=20),
       eff_st, eff_st, st.floats(0.0, 0.05))
def test_array_results_equal_per_asset_results(rows, ce, de, k):
    soc, power, dur, cap = (np.array(c) for c in zip(*rows, strict=True))
    fleet = ph.hold_power(soc, power, dur, cap, 0.1, 0.95, ce, de, k)
    for i in range(len(rows)):
        single = ph.hold_power(float(soc[i]), float(power[i]), float(dur[i]), float(cap[i]),
                               0.1, 0.95, ce, de, k)
        for a, b in zip(fleet, single, strict=True):
            assert a[i] == pytest.approx(b, rel=1e-12, abs=1e-12)


@given(st.floats(0.1, 0.95), power_st, dur_st, cap_st, eff_st, eff_st)
def test_energy_conservation_without_self_discharge(soc, power, dur, cap, ce, de):
    soc_end, energy_kwh, _ = ph.hold_power(soc, power, dur, cap, 0.1, 0.95, ce, de)
    stored_gain_kwh = (soc_end - soc) * cap
    if energy_kwh >= 0:
        assert stored_gain_kwh == pytest.approx(energy_kwh * ce, rel=1e-9, abs=1e-9)
    else:
        assert -energy_kwh == pytest.approx(-stored_gain_kwh * de, rel=1e-9, abs=1e-9)


@given(st.floats(0.1, 0.95), power_st, dur_st, cap_st, eff_st, eff_st, st.floats(0.0, 0.05))
def test_soc_stays_within_floor_and_ceiling(soc, power, dur, cap, ce, de, k):
    soc_end, _, _ = ph.hold_power(soc, power, dur, cap, 0.1, 0.95, ce, de, k)
    assert 0.1 - 1e-12 <= soc_end <= 0.95 + 1e-12 or (k > 0 and soc_end < 0.1)


def test_laxity_across_a_deadline():
    # 10 h left, needs 30 kWh at 7.2 kW -> 10 - 30/7.2 h of slack.
    assert ph.laxity_h(10.0, 0.5, 0.9, 75.0, 7.2) == pytest.approx(10 - 30 / 7.2)
    assert ph.laxity_h(1.0, 0.95, 0.9, 75.0, 7.2) == 1.0


def test_max_discharge_power_respects_floor_and_rating():
    assert ph.max_discharge_power_kw(0.5, 10.0, 5.0, 4.0, 0.1, 0.95) == pytest.approx(0.95)
    assert ph.max_discharge_power_kw(0.9, 10.0, 5.0, 0.1, 0.1, 0.95) == 5.0
    assert ph.max_charge_power_kw(0.95, 10.0, 5.0, 1.0, 0.95) == 0.0


@pytest.mark.parametrize("k", [5e-324, 1e-300, 1e-13])
def test_negligible_self_discharge_behaves_as_none(k):
    with_k = ph.hold_power(0.5, 2.0, 3.0, 10.0, 0.1, 0.95, 0.9, 0.9, k)
    without = ph.hold_power(0.5, 2.0, 3.0, 10.0, 0.1, 0.95, 0.9, 0.9, 0.0)
    assert with_k == pytest.approx(without)
    assert ph.time_to_soc(0.5, 0.9, 2.0, 10.0, 0.9, 0.9, k) == pytest.approx(
        ph.time_to_soc(0.5, 0.9, 2.0, 10.0, 0.9, 0.9, 0.0))
