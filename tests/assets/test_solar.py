"""SolarPV: linear output with a DC-to-AC derate, normalized profiles, validation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desim import DesimWarning, ParameterError, SolarPV
from desim.assets import physics


def test_generation_is_rating_times_irradiance_times_derate():
    pv = SolarPV(capacity_kw=6.0, efficiency=0.85)
    assert pv.get_generation_kw(solar_irradiance_per_kw=0.8) == pytest.approx(6.0 * 0.8 * 0.85)
    assert pv.get_generation_kw(-0.1) == 0.0


def test_generation_accepts_arrays():
    pv = SolarPV(8.0)
    g = np.array([0.0, 0.25, 1.0])
    assert np.allclose(pv.get_generation_kw(g), 8.0 * g * 0.86)
    assert np.allclose(pv.get_generation_from_normalized_kw(g), 8.0 * g)


def test_low_efficiency_warns_it_is_a_derate_not_module_efficiency():
    with pytest.warns(DesimWarning, match="derate"):
        SolarPV(capacity_kw=8.0, efficiency=0.22, tilt=30, azimuth=180)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"capacity_kw": -1.0}, "capacity_kw"), ({"efficiency": 1.1}, "efficiency"),
    ({"tilt": 95.0}, "tilt"), ({"azimuth": -5.0}, "azimuth")])
def test_bad_parameters_name_the_field(kwargs, field):
    args = {"capacity_kw": 5.0, **kwargs}
    with pytest.raises(ParameterError, match=f"SolarPV.{field}: expected"):
        SolarPV(**args)


@given(value=st.integers(-3, 3) | st.floats(-3.0, 3.0, allow_nan=False),
       kind=st.sampled_from([int, float, np.int64, np.int32, np.float64, np.float32]))
def test_a_scalar_of_any_number_type_gives_the_array_path_s_float(value, kind):
    # ints and numpy scalars take the scalar fast path; the result is the same float,
    # to the bit, as the array form of the same value
    pv = SolarPV(6.3, 0.86)
    x = kind(value)
    as_array = np.asarray([float(x)])
    got = pv.get_generation_kw(x)
    assert type(got) is float and got == float(physics.pv_power_kw(6.3, as_array, 0.86)[0])
    norm = pv.get_generation_from_normalized_kw(x)
    assert type(norm) is float and norm == float(physics.pv_power_kw(6.3, as_array, 1.0)[0])
