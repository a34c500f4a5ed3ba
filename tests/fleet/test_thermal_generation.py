"""Thermal units of generated fleets: the documented shares, ranges and sizing rule."""

from __future__ import annotations

import numpy as np
import pytest

from desim.fleet.thermal import (
    HVAC_ADOPTIONS,
    WATER_HEATER_ADOPTIONS,
    generate_hvac_columns,
    generate_water_heater_columns,
)

N = 200_000


def test_air_conditioner_shares_ranges_and_sizing():
    cols = generate_hvac_columns(N, 7)
    ac, hp = HVAC_ADOPTIONS["california"]
    kind = cols["kind"]
    # binomial shares: 6 standard deviations
    for share, got in ((ac, (kind == 0).sum()), (hp, (kind == 1).sum())):
        assert abs(got - share * N) < 6 * np.sqrt(N * share * (1 - share))
    assert np.all(np.diff(cols["prosumer_index"]) > 0)          # at most one per home
    assert np.all((cols["setpoint_c"] >= 21) & (cols["setpoint_c"] <= 28))
    # sized to hold a 16 C design difference with 1.5x margin: cop P R = 24 C exactly
    np.testing.assert_allclose(cols["cop"] * cols["rated_power_kw"]
                               * cols["resistance_c_per_kw"], 24.0, rtol=1e-12)
    assert set(np.unique(cols["comfort_offset_c"])) <= {0.0, 1.0, 2.0}
    assert set(np.unique(cols["comfort_max_h"])) <= {2.0, 3.0, 4.0}


def test_water_heater_shares_and_ranges():
    cols = generate_water_heater_columns(N, 7)
    res, hp = WATER_HEATER_ADOPTIONS["california"]
    kind = cols["kind"]
    for share, got in ((res, (kind == 0).sum()), (hp, (kind == 1).sum())):
        assert abs(got - share * N) < 6 * np.sqrt(N * share * (1 - share))
    assert np.all((cols["setpoint_c"] >= 45) & (cols["setpoint_c"] <= 60))
    assert np.all(cols["cop"][kind == 1] == 3.0) and np.all(cols["cop"][kind == 0] == 1.0)
    # 4.186 kJ/(kg C) x litres / 3600: 150-250 L tanks
    litres = cols["capacitance_kwh_per_c"] * 3600.0 / 4.186
    assert set(np.round(np.unique(litres), 9)) <= {150.0, 190.0, 250.0}
    assert np.mean(cols["daily_draw_l"]) == pytest.approx(200.0, rel=0.02)


@pytest.mark.parametrize("make", [generate_hvac_columns, generate_water_heater_columns])
def test_the_same_seed_gives_the_same_units(make):
    a, b = make(5_000, 3), make(5_000, 3)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    with pytest.raises(ValueError, match="expected one of"):
        make(10, 3, "mars")
