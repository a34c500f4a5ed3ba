"""PV profiles: LA yield, agreement with pvlib's own PVWatts ModelChain, buckets, CSV input."""

import warnings

import numpy as np
import pandas as pd
import pvlib
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desim.errors import ParameterError
from desim.profiles import (
    csv_solar_kw_per_kw,
    make_times,
    orientation_buckets,
    solar_kw_per_kwp,
)

LA = (34.05, -118.25, 89.0)


@pytest.fixture(scope="module")
def year_15min():
    return make_times("2025-01-01", 365 * 96, 15, "America/Los_Angeles")


def test_los_angeles_south_20deg_yields_1550_to_1700_kwh_per_kwp(year_15min):
    profile = solar_kw_per_kwp(*LA, year_15min, [20.0], [180.0], np.random.default_rng(7))
    annual_kwh = float(profile.sum(dtype=np.float64)) * 0.25
    assert 1550.0 <= annual_kwh <= 1700.0


def test_clouds_lower_yield_below_clear_sky(year_15min):
    clear = solar_kw_per_kwp(*LA, year_15min, [20.0], [180.0], model="clearsky")
    cloudy = solar_kw_per_kwp(*LA, year_15min, [20.0], [180.0], np.random.default_rng(1))
    assert cloudy.sum() < clear.sum()


def test_output_shape_dtype_and_limits(year_15min):
    profile = solar_kw_per_kwp(*LA, year_15min, [0, 20, 40], [180, 90, 270],
                               np.random.default_rng(0), dc_ac_ratio=1.2)
    assert profile.shape == (3, len(year_15min)) and profile.dtype == np.float32
    assert profile.min() >= 0.0 and profile.max() <= 1.0 / 1.2 + 1e-6
    night = year_15min.hour.to_numpy() == 1
    assert np.all(profile[:, night] == 0.0)


def test_same_seed_same_profile_other_seed_differs():
    times = make_times("2025-03-01", 96 * 10, 15, "America/Los_Angeles")
    a = solar_kw_per_kwp(*LA, times, [20], [180], np.random.default_rng(3))
    b = solar_kw_per_kwp(*LA, times, [20], [180], np.random.default_rng(3))
    c = solar_kw_per_kwp(*LA, times, [20], [180], np.random.default_rng(4))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def _pvlib_pvwatts_chain(times, tilt, azimuth, temp_air, wind):
    """pvlib's own PVWatts ModelChain on the clear sky at the interval midpoints."""
    location = pvlib.location.Location(*LA[:2], tz=str(times.tz), altitude=LA[2])
    mid = times + (times[1] - times[0]) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecation notices from inside pvlib
        weather = location.get_clearsky(mid)
        weather["temp_air"] = temp_air
        weather["wind_speed"] = wind
        system = pvlib.pvsystem.PVSystem(
            surface_tilt=tilt, surface_azimuth=azimuth,
            module_parameters={"pdc0": 1.0, "gamma_pdc": -0.0037},
            inverter_parameters={"pdc0": (1.0 / 1.2) / 0.96, "eta_inv_nom": 0.96},
            temperature_model_parameters=pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS[
                "sapm"]["open_rack_glass_polymer"],
            losses_parameters={"soiling": 14.0, "shading": 0, "mismatch": 0, "wiring": 0,
                               "connections": 0, "lid": 0, "nameplate_rating": 0,
                               "availability": 0},
            albedo=0.2)
        chain = pvlib.modelchain.ModelChain.with_pvwatts(system, location)
        chain.run_model(weather)
    return np.clip(np.nan_to_num(chain.results.ac.to_numpy()), 0, None)


@pytest.mark.parametrize(("tilt", "azimuth"), [(20.0, 180.0), (35.0, 240.0)])
def test_clear_sky_agrees_with_pvlib_pvwatts_modelchain_within_2_percent(tilt, azimuth):
    times = make_times("2025-01-01", 365 * 24, 60, "America/Los_Angeles")
    ours = solar_kw_per_kwp(*LA, times, [tilt], [azimuth], model="clearsky", temp_air_c=20.0,
                            wind_speed_m_per_s=1.0, points_per_interval=1)[0]
    theirs = _pvlib_pvwatts_chain(times, tilt, azimuth, 20.0, 1.0)
    assert abs(ours.sum() / theirs.sum() - 1.0) < 0.02
    noon = times.hour.to_numpy() == 12
    assert np.allclose(ours[noon], theirs[noon], rtol=0.02)


def test_interval_mean_is_average_of_sub_points():
    times = make_times("2025-06-01", 24, 60, "America/Los_Angeles")
    fine = make_times("2025-06-01", 24 * 12, 5, "America/Los_Angeles")
    hourly = solar_kw_per_kwp(*LA, times, [20], [180], model="clearsky",
                              points_per_interval=12)[0]
    five = solar_kw_per_kwp(*LA, fine, [20], [180], model="clearsky",
                            points_per_interval=1)[0]
    assert np.allclose(hourly, five.reshape(24, 12).mean(axis=1), atol=1e-6)


def test_buckets_group_orientations_and_reconstruct():
    tilt = np.array([19.0, 21.0, 20.0, 0.0, 0.0, 33.0])
    azimuth = np.array([178.0, 185.0, 540.0, 90.0, 270.0, 262.0])
    index, b_tilt, b_az = orientation_buckets(tilt, azimuth)
    assert index[0] == index[1] == index[2]
    assert index[3] == index[4]  # flat panels share one bucket whatever the azimuth
    assert len(b_tilt) == 3
    assert b_tilt[index[5]] == 35.0 and b_az[index[5]] == 255.0


@given(st.lists(st.tuples(st.floats(0, 90), st.floats(-720, 720)), min_size=1, max_size=50))
def test_buckets_are_within_half_a_step(orientations):
    tilt, azimuth = (np.array(v) for v in zip(*orientations, strict=True))
    index, b_tilt, b_az = orientation_buckets(tilt, azimuth, 5.0, 15.0)
    assert np.all(np.abs(b_tilt[index] - tilt) <= 2.5 + 1e-9)
    tilted = b_tilt[index] > 0
    diff = (b_az[index] - np.mod(azimuth, 360) + 180) % 360 - 180
    assert np.all(np.abs(diff[tilted]) <= 7.5 + 1e-9)
    assert len(np.unique(np.stack([b_tilt, b_az]), axis=1).T) == len(b_tilt)


def test_buckets_reject_bad_tilt_naming_index():
    with pytest.raises(ParameterError, match=r"tilt_deg\[1\].*got 95"):
        orientation_buckets([10, 95], [180, 180])


def test_unknown_model_is_named():
    times = make_times("2025-06-01", 4, 15, "America/Los_Angeles")
    with pytest.raises(ParameterError, match="model.*'sunny'"):
        solar_kw_per_kwp(*LA, times, [20], [180], model="sunny")


def test_csv_kw_per_kw_resamples_hourly_onto_15_min(tmp_path):
    path = tmp_path / "solar_data.csv"
    hours = pd.date_range("2025-06-01", periods=24, freq="h", tz="America/Los_Angeles")
    values = np.clip(np.sin((np.arange(24) - 6) / 12 * np.pi), 0, None)
    pd.DataFrame({"timestamp": [t.isoformat() for t in hours], "kw_per_kw": values}).to_csv(
        path, index=False)
    times = make_times("2025-06-01", 96, 15, "America/Los_Angeles")
    profile = csv_solar_kw_per_kw(path, times)
    assert profile.dtype == np.float32
    assert np.allclose(profile, np.repeat(values, 4), atol=1e-6)
    via_model = solar_kw_per_kwp(*LA, times, [20, 30], [180, 180], model="csv", csv_path=path)
    assert via_model.shape == (2, 96) and np.array_equal(via_model[1], profile)


def test_csv_kw_per_kw_error_names_file_line_column_and_value(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,kw_per_kw\n2025-06-01T00:00,0.1\n2025-06-01T01:00,abc\n")
    times = make_times("2025-06-01", 4, 15, "America/Los_Angeles")
    with pytest.raises(ParameterError, match=r"bad\.csv: line 3: column 'kw_per_kw'.*'abc'"):
        csv_solar_kw_per_kw(path, times)


def test_csv_kw_per_kw_rejects_negative_and_missing_column(tmp_path):
    times = make_times("2025-06-01", 4, 15, "America/Los_Angeles")
    negative = tmp_path / "neg.csv"
    negative.write_text("timestamp,kw_per_kw\n2025-06-01T00:00,-0.5\n")
    with pytest.raises(ParameterError, match=r"neg\.csv: line 2.*>= 0.*'-0.5'"):
        csv_solar_kw_per_kw(negative, times)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("time,kw\n2025-06-01T00:00,0.5\n")
    with pytest.raises(ParameterError, match=r"wrong\.csv: expected columns.*kw_per_kw"):
        csv_solar_kw_per_kw(wrong, times)


def test_csv_kw_per_kw_short_file_names_the_span(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("timestamp,kw_per_kw\n2025-06-01T00:00,0.1\n2025-06-01T00:15,0.1\n")
    times = make_times("2025-06-01", 8, 15, "America/Los_Angeles")
    with pytest.raises(ParameterError, match=r"short\.csv: expected data covering"):
        csv_solar_kw_per_kw(path, times)


def test_weather_file_tmy3_drives_the_chain_below_clear_sky():
    path = pvlib.__path__[0] + "/data/723170TYA.CSV"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, meta = pvlib.iotools.read_tmy3(path, map_variables=True)
    site = (meta["latitude"], meta["longitude"], meta["altitude"])
    times = make_times("2025-01-01", 365 * 24, 60, "America/New_York")
    from_file = solar_kw_per_kwp(*site, times, [25], [180], model="weather_file",
                                 weather_path=path)[0]
    clear = solar_kw_per_kwp(*site, times, [25], [180], model="clearsky")[0]
    assert 0.5 * clear.sum() < from_file.sum() < clear.sum()
    assert np.all(from_file[times.hour.to_numpy() == 2] == 0.0)


def test_weather_file_with_wrong_suffix_is_named(tmp_path):
    path = tmp_path / "weather.txt"
    path.write_text("x")
    times = make_times("2025-06-01", 4, 60, "America/Los_Angeles")
    with pytest.raises(ParameterError, match=r"weather\.txt: expected a TMY3"):
        solar_kw_per_kwp(*LA, times, [20], [180], model="weather_file", weather_path=path)
