"""Household load: calibration, shape, block independence, determinism, CSV profiles."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desim.errors import ParameterError
from desim.profiles import (
    CALIFORNIA_MEAN_ANNUAL_KWH,
    CsvLoadProfiles,
    LoadModel,
    default_annual_load_kwh,
    make_times,
)


@pytest.fixture(scope="module")
def year():
    return make_times("2025-01-01", 365 * 96, 15, "America/Los_Angeles")


@pytest.fixture(scope="module")
def year_of_2000_homes(year):
    rng = np.random.default_rng(11)
    annual = default_annual_load_kwh(2000, rng)
    model = LoadModel(annual, year, rng)
    energy = np.zeros(2000)
    hourly = np.zeros(96)
    for day in range(365):
        block = model.block(day * 96, 96)
        energy += block.sum(axis=0, dtype=np.float64) * 0.25
        hourly += block.mean(axis=1)
    return annual, energy, hourly / 365


def test_default_annual_load_is_california_lognormal():
    draws = default_annual_load_kwh(200_000, np.random.default_rng(0))
    assert 6000 <= draws.mean() <= 6500
    assert abs(np.std(np.log(draws)) - 0.5) < 0.01


def test_each_home_year_energy_matches_its_annual_kwh(year_of_2000_homes):
    annual, energy, _ = year_of_2000_homes
    ratio = energy / annual
    assert abs(ratio.mean() - 1.0) < 0.01
    assert np.all(np.abs(ratio - 1.0) < 0.1)


def test_fleet_mean_annual_load_in_california_range(year_of_2000_homes):
    _, energy, _ = year_of_2000_homes
    assert 6000 <= energy.mean() <= 6500


def test_evening_peak_above_midday_mean(year_of_2000_homes):
    _, _, mean_kw_by_slot = year_of_2000_homes
    evening = mean_kw_by_slot[17 * 4:21 * 4].mean()
    midday = mean_kw_by_slot[10 * 4:15 * 4].mean()
    night = mean_kw_by_slot[2 * 4:5 * 4].mean()
    assert evening > 1.3 * midday and midday > night
    assert 17 * 4 <= int(np.argmax(mean_kw_by_slot)) < 21 * 4


def test_summer_uses_more_than_spring_and_weekends_differ(year):
    rng = np.random.default_rng(5)
    model = LoadModel(np.full(500, 6000.0), year, rng)
    day_of_year = year.day_of_year.to_numpy()
    august = model.block(int(np.flatnonzero(day_of_year == 213)[0]), 96 * 7).mean()
    april = model.block(int(np.flatnonzero(day_of_year == 105)[0]), 96 * 7).mean()
    assert august > 1.1 * april
    week = model.block(0, 96 * 14).mean(axis=1)
    weekend = np.asarray(year[:96 * 14].day_of_week >= 5)
    morning = (year[:96 * 14].hour.to_numpy() >= 6) & (year[:96 * 14].hour.to_numpy() < 8)
    assert week[morning & ~weekend].mean() > week[morning & weekend].mean()


@given(st.integers(1, 300), st.integers(1, 300))
def test_blocks_are_independent_of_the_split(first, second):
    times = make_times("2026-07-10", 700, 15, "America/Los_Angeles")
    model = LoadModel(np.linspace(2000, 12000, 37), times, np.random.default_rng(2))
    whole = model.block(0, first + second)
    split = np.concatenate([model.block(0, first), model.block(first, second)])
    assert np.array_equal(whole, split)


@given(st.integers(0, 400), st.integers(1, 200))
def test_a_block_into_a_reused_buffer_equals_a_fresh_one(start, n):
    times = make_times("2026-07-10", 700, 15, "America/Los_Angeles")
    model = LoadModel(np.linspace(2000, 12000, 37), times, np.random.default_rng(2))
    buffer = np.full((200, 37), np.nan, dtype=np.float32)
    model.block(0, 200, buffer)                  # holds other values before
    got = model.block(start, n, buffer[:n])
    assert got.base is buffer or got is buffer[:n] or np.shares_memory(got, buffer)
    assert np.array_equal(got, model.block(start, n))


def test_a_block_buffer_of_the_wrong_shape_or_type_is_refused():
    times = make_times("2026-07-10", 96, 15, "America/Los_Angeles")
    model = LoadModel(np.full(4, 6000.0), times, np.random.default_rng(2))
    for bad in (np.zeros((10, 5), dtype=np.float32), np.zeros((10, 4)),
                np.zeros((4, 10), dtype=np.float32).T):
        with pytest.raises(ParameterError, match="out: expected"):
            model.block(0, 10, bad)


def test_block_spans_the_noise_bank_wrap_and_long_chunks():
    times = make_times("2026-01-01", 2 * 365 * 96 + 5000, 15, "America/Los_Angeles")
    model = LoadModel(np.full(3, 6000.0), times, np.random.default_rng(2))
    start = len(times) - 600
    whole = model.block(start, 600)
    assert np.array_equal(whole, np.concatenate([model.block(start, 250),
                                                 model.block(start + 250, 350)]))


def test_same_seed_same_load_other_seed_differs():
    times = make_times("2026-07-15", 96, 15, "America/Los_Angeles")
    annual = np.full(50, 6000.0)
    a = LoadModel(annual, times, np.random.default_rng(9)).block(0, 96)
    b = LoadModel(annual, times, np.random.default_rng(9)).block(0, 96)
    c = LoadModel(annual, times, np.random.default_rng(10)).block(0, 96)
    assert a.dtype == np.float32 and a.shape == (96, 50)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.min() > 0.0


def test_homes_are_diverse():
    times = make_times("2026-07-15", 96, 15, "America/Los_Angeles")
    block = LoadModel(np.full(200, 6000.0), times, np.random.default_rng(1)).block(0, 96)
    correlation = np.corrcoef(block.T)
    assert np.mean(correlation[np.triu_indices(200, 1)]) < 0.9


def test_hourly_interval_works_and_scales_like_15_min(year):
    hourly = make_times("2025-01-01", 365 * 24, 60, "America/Los_Angeles")
    model = LoadModel(np.full(300, 5000.0), hourly, np.random.default_rng(4))
    energy = model.block(0, len(hourly)).sum(axis=0, dtype=np.float64)
    assert abs(energy.mean() / 5000.0 - 1.0) < 0.02


def test_bad_annual_load_and_block_range_are_named():
    times = make_times("2026-07-15", 96, 15, "America/Los_Angeles")
    with pytest.raises(ParameterError, match=r"annual_load_kwh\[1\]: expected > 0, got -5"):
        LoadModel([6000, -5], times, np.random.default_rng(0))
    model = LoadModel([6000], times, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="start_index=90, n_steps=10"):
        model.block(90, 10)


def test_california_default_mean_is_documented_constant():
    assert 6000 <= CALIFORNIA_MEAN_ANNUAL_KWH <= 6500


def _write_home(path, times, kw):
    pd.DataFrame({"timestamp": [t.isoformat() for t in times], "kw": kw}).to_csv(path,
                                                                             index=False)


def test_csv_load_profiles_read_a_directory(tmp_path):
    times = make_times("2026-07-15", 96, 15, "America/Los_Angeles")
    _write_home(tmp_path / "home-b.csv", times, np.full(96, 2.0))
    _write_home(tmp_path / "home-a.csv", times, np.arange(96) / 10)
    profiles = CsvLoadProfiles(tmp_path, times)
    assert profiles.home_ids == ("home-a", "home-b")
    block = profiles.block(10, 4)
    assert block.dtype == np.float32 and block.shape == (4, 2)
    assert np.allclose(block[:, 0], np.arange(10, 14) / 10) and np.all(block[:, 1] == 2.0)
    assert np.array_equal(profiles.block(0, 96), np.concatenate([profiles.block(0, 40),
                                                                 profiles.block(40, 56)]))


def test_csv_load_profiles_list_every_bad_file(tmp_path):
    times = make_times("2026-07-15", 8, 15, "America/Los_Angeles")
    _write_home(tmp_path / "ok.csv", times, np.ones(8))
    (tmp_path / "bad1.csv").write_text("timestamp,kw\n2026-07-15T00:00,x\n")
    (tmp_path / "bad2.csv").write_text("timestamp,power\n2026-07-15T00:00,1\n")
    with pytest.raises(ParameterError) as info:
        CsvLoadProfiles(tmp_path, times)
    message = str(info.value)
    assert "bad1.csv: line 2: column 'kw'" in message and "'x'" in message
    assert "bad2.csv: expected columns" in message


def test_csv_load_profiles_empty_directory(tmp_path):
    times = make_times("2026-07-15", 8, 15, "America/Los_Angeles")
    with pytest.raises(ParameterError, match="found none"):
        CsvLoadProfiles(tmp_path, times)


@given(st.integers(0, 600), st.integers(1, 100), st.integers(1, 1100))
def test_block_equals_the_array_form_of_its_definition(start, n_steps, n_homes):
    """load[t, h] = daily-shape-and-AC table[combo[h], t] x noise bank[(start[h] + t)
    mod bank] x scale[h], float32, whatever the tiling of the compiled fill."""
    times = make_times("2026-07-10", 700, 15, "America/Los_Angeles")
    model = LoadModel(np.linspace(2000, 12000, n_homes), times, np.random.default_rng(5))
    n_steps = min(n_steps, 700 - start)
    table = model._table(start, start + n_steps)                       # (combos, n)
    t = np.arange(start, start + n_steps)
    noise = model._bank[(model._noise_start[None, :] + t[:, None]) % len(model._bank)]
    want = table[model._combo].T * noise * model._scale[None, :]
    assert np.array_equal(model.block(start, n_steps), want.astype(np.float32))
