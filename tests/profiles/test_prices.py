"""Prices: TOU tariffs from data, day-ahead shape, CSV price series, time base."""

import numpy as np
import pytest

from desim.errors import DesimWarning, ParameterError
from desim.profiles import (
    csv_price_usd_per_mwh,
    day_ahead_usd_per_mwh,
    list_tariffs,
    load_tariff,
    make_times,
    tariff_price_usd_per_kwh,
)


def test_pge_e_tou_c_is_listed_with_source_and_date():
    assert "pge_e_tou_c" in list_tariffs()
    tariff = load_tariff("pge_e_tou_c")
    assert tariff.effective_date and "E-TOU-C" in tariff.source


@pytest.mark.parametrize("day", ["2026-07-15", "2026-01-10", "2026-07-18"])
def test_tou_peak_4_to_9_pm_priced_higher_every_day(day):
    times = make_times(day, 96, 15, "America/Los_Angeles")
    price = tariff_price_usd_per_kwh("pge_e_tou_c", times)
    hour = times.hour.to_numpy()
    peak = (hour >= 16) & (hour < 21)
    assert price.dtype == np.float64
    assert price[peak].min() > price[~peak].max()
    assert len(np.unique(price[peak])) == 1


def test_summer_peak_above_winter_peak():
    summer = tariff_price_usd_per_kwh("pge_e_tou_c",
                                      make_times("2026-07-15T17:00", 1, 60, "America/Los_Angeles"))
    winter = tariff_price_usd_per_kwh("pge_e_tou_c",
                                      make_times("2026-12-15T17:00", 1, 60, "America/Los_Angeles"))
    assert summer[0] > winter[0]


def test_unknown_tariff_lists_known_names():
    times = make_times("2026-07-15", 4, 15, "America/Los_Angeles")
    with pytest.raises(ParameterError, match="pge_e_tou_c.*got 'nope'"):
        tariff_price_usd_per_kwh("nope", times)


def test_day_ahead_has_duck_shape():
    times = make_times("2026-04-01", 96 * 30, 15, "America/Los_Angeles")
    price = day_ahead_usd_per_mwh(times, np.random.default_rng(0))
    hour = times.hour.to_numpy()
    assert price[(hour >= 18) & (hour < 21)].mean() > 2 * price[(hour >= 10) & (hour < 15)].mean()
    assert np.array_equal(price, day_ahead_usd_per_mwh(times, np.random.default_rng(0)))
    assert np.array_equal(day_ahead_usd_per_mwh(times), day_ahead_usd_per_mwh(times))


def test_csv_prices_forward_fill_hourly_onto_15_min(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("timestamp,price_usd_per_mwh\n2026-07-15T00:00-07:00,30\n"
                    "2026-07-15T01:00-07:00,-5\n2026-07-15T02:00-07:00,80\n")
    times = make_times("2026-07-15", 12, 15, "America/Los_Angeles")
    price = csv_price_usd_per_mwh(path, times)
    assert np.array_equal(price, np.repeat([30.0, -5.0, 80.0], 4))


def test_csv_prices_bad_value_names_file_line_column(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("timestamp,price_usd_per_mwh\n2026-07-15T00:00,30\n2026-07-15T01:00,n/a\n")
    times = make_times("2026-07-15", 4, 15, "America/Los_Angeles")
    with pytest.raises(ParameterError, match=r"p\.csv: line 3: column 'price_usd_per_mwh'.*n/a"):
        csv_price_usd_per_mwh(path, times)


def test_csv_prices_starting_late_or_ending_early(tmp_path):
    path = tmp_path / "late.csv"
    path.write_text("timestamp,price_usd_per_mwh\n2026-07-15T01:00,30\n2026-07-15T02:00,31\n")
    with pytest.raises(ParameterError, match=r"late\.csv: expected data from"):
        csv_price_usd_per_mwh(path, make_times("2026-07-15", 4, 15, "America/Los_Angeles"))
    with pytest.warns(DesimWarning, match="held"):
        csv_price_usd_per_mwh(path, make_times("2026-07-15T01:00", 16, 15,
                                               "America/Los_Angeles"))


def test_csv_prices_duplicate_and_mixed_offsets(tmp_path):
    times = make_times("2026-07-15", 4, 15, "America/Los_Angeles")
    dup = tmp_path / "dup.csv"
    dup.write_text("timestamp,price_usd_per_mwh\n2026-07-15T00:00,1\n2026-07-15T00:00,2\n")
    with pytest.raises(ParameterError, match="duplicates"):
        csv_price_usd_per_mwh(dup, times)
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("timestamp,price_usd_per_mwh\n2026-07-15T00:00-07:00,1\n"
                     "2026-07-15T01:00,2\n")
    with pytest.raises(ParameterError, match="line 3.*UTC offset"):
        csv_price_usd_per_mwh(mixed, times)


def test_make_times_is_regular_and_tz_aware_across_dst():
    times = make_times("2026-03-08", 96, 15, "America/Los_Angeles")
    assert str(times.tz) == "America/Los_Angeles"
    assert np.all(np.diff(times.as_unit("ns").asi8) == 15 * 60 * 10**9)


def test_make_times_rejects_bad_interval_and_count():
    with pytest.raises(ParameterError) as info:
        make_times("2026-07-15", 0, 7, "America/Los_Angeles")
    assert "periods" in str(info.value) and "interval_min" in str(info.value)
