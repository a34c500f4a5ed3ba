"""Shards of a scenario's inputs: bounds, the target split rule, slices equal to the whole."""

import numpy as np
import pandas as pd
import pytest

from desim.fleet import generate_fleet_table
from desim.fleet.table import FleetTable
from desim.profiles import LoadModel, make_times
from desim.sim.shardslice import (
    FLEET_KINDS,
    SHARD_ID_BASE,
    fleet_rows,
    shard_bounds,
    shard_kinds,
    split_target,
)


def test_shards_are_contiguous_cover_the_fleet_and_differ_by_at_most_one_home():
    bounds = shard_bounds(10, 3)
    assert bounds == [(0, 3), (3, 6), (6, 10)]
    assert shard_bounds(2, 3) == [(0, 0), (0, 1), (1, 2)]
    with pytest.raises(ValueError, match="n_shards: expected >= 1, got 0"):
        shard_bounds(10, 0)


def test_a_target_is_split_in_proportion_to_the_homes_of_each_shard():
    target = np.array([500.0, 90.0])
    parts = [split_target(target, hi - lo, 10) for lo, hi in shard_bounds(10, 3)]
    assert np.allclose(parts[0], [150.0, 27.0])
    assert np.allclose(parts[2], [200.0, 36.0])
    assert np.allclose(sum(parts), target)
    assert np.all(split_target(target, 0, 0) == 0.0)


def test_shard_engines_leave_the_fleet_wide_kinds_to_the_client():
    assert set(FLEET_KINDS) == {"interval", "price_update"}
    assert not set(shard_kinds(None)) & set(FLEET_KINDS)
    assert shard_kinds(("ev_departure", "interval")) == ("ev_departure",)


def test_slices_of_a_fleet_concatenate_back_to_the_fleet():
    fleet = generate_fleet_table(50, 7)
    parts = [fleet.prosumer_rows(lo, hi) for lo, hi in shard_bounds(50, 4)]
    assert sum(p.n_evs for p in parts) == fleet.n_evs
    assert FleetTable.concat(parts).equals(fleet)


def test_a_load_model_restricted_to_some_homes_gives_their_columns_bit_for_bit():
    times = make_times(pd.Timestamp("2026-07-01", tz="America/Los_Angeles"), 96, 15,
                       "America/Los_Angeles")
    annual = np.linspace(3000.0, 9000.0, 20)
    whole = LoadModel(annual, times, np.random.default_rng(3))
    part = whole.homes(5, 12)
    assert np.array_equal(part.block(10, 40), whole.block(10, 40)[:, 5:12])


def test_fleet_rows_hold_an_interval_row_per_interval_and_a_row_per_price_change():
    series = pd.DataFrame({"net_kw": [1.0, -2.0, 3.0],
                           "price_usd_per_kwh": [0.3, 0.3, 0.5]})
    rows = fleet_rows(series, 0.25, None, 3 * SHARD_ID_BASE)
    assert len(rows["t_h"]) == 5
    assert np.all(np.diff(rows["t_h"]) >= 0)
    assert sorted(rows["event_id"] - 3 * SHARD_ID_BASE) == list(range(5))
    only = fleet_rows(series, 0.25, ("interval",), 0)
    assert np.allclose(only["energy_kwh"], [0.25, -0.5, 0.75])
