"""fleet_statistics agrees with direct computation on the table."""

import numpy as np
import pytest

from desim.fleet import fleet_statistics, generate_fleet_table


@pytest.fixture(scope="module")
def table():
    return generate_fleet_table(5000, 3)


def test_asset_percentages_count_households_not_assets(table):
    stats = fleet_statistics(table)
    n = table.n_prosumers
    assert stats["total_prosumers"] == n
    ev_homes = len(np.unique(table.ev_prosumer_index))
    assert stats["asset_counts"]["ev"] == ev_homes < table.n_evs == stats["asset_counts"]["evs"]
    assert stats["asset_percentages"]["ev"] == pytest.approx(100 * ev_homes / n)
    assert stats["asset_percentages"]["bess"] == pytest.approx(100 * table.n_bess / n)
    assert stats["asset_percentages"]["solar"] == pytest.approx(100 * table.n_pv / n)


def test_total_capacities_are_sums_of_the_columns(table):
    caps = fleet_statistics(table)["total_capacities"]
    assert caps["bess_kwh"] == pytest.approx(table.bess_capacity_kwh.sum())
    assert caps["ev_kwh"] == pytest.approx(table.ev_capacity_kwh.sum())
    assert caps["solar_kw"] == pytest.approx(table.pv_capacity_kw.sum())


def test_profile_counts_add_up(table):
    stats = fleet_statistics(table)
    assert sum(stats["participation_profiles"].values()) == table.n_prosumers
    assert sum(stats["profile_percentages"].values()) == pytest.approx(100.0)


def test_statistics_of_an_empty_fleet_are_zero():
    stats = fleet_statistics(generate_fleet_table(0, 0))
    assert stats["asset_percentages"] == {"bess": 0.0, "ev": 0.0, "solar": 0.0}
    assert stats["total_capacities"]["bess_kwh"] == 0.0
