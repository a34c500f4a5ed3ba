"""SolarPV: linear output with a DC-to-AC derate, normalized profiles, validation."""

import numpy as np
import pytest

from desim import DesimWarning, ParameterError, SolarPV


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
