"""generate_fleet_table: reproducible, vectorized draws matching the configured rates."""

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desim.errors import ParameterError
from desim.fleet import FleetConfig, FleetTable, generate_fleet_table
from desim.fleet.config import Dist
from desim.fleet.generate import draw, make_ids
from desim.fleet.table import EV_PRIORITY_NAMES, PROFILE_NAMES

N = 100_000
PP = 0.01  # one percentage point


@pytest.fixture(scope="module")
def cfg():
    return FleetConfig.preset()


@pytest.fixture(scope="module")
def big(cfg):
    return generate_fleet_table(N, seed=2024, config=cfg)


def _has(index, n):
    out = np.zeros(n, dtype=bool)
    out[index] = True
    return out


def test_same_seed_gives_an_equal_table():
    assert generate_fleet_table(2000, 7).equals(generate_fleet_table(2000, 7))


def test_different_seeds_give_different_tables():
    assert not generate_fleet_table(2000, 7).equals(generate_fleet_table(2000, 8))


def test_adoption_rates_match_the_config_within_one_point(big, cfg):
    n = big.n_prosumers
    has_bess = _has(big.bess_prosumer_index, n)
    has_ev = _has(big.ev_prosumer_index, n)
    has_pv = _has(big.pv_prosumer_index, n)
    assert abs(has_bess.mean() - cfg.adoption.bess) < PP
    assert abs(has_ev.mean() - cfg.adoption.ev) < PP
    assert abs(has_pv.mean() - cfg.adoption.solar) < PP
    assert abs(has_pv[has_bess].mean() - cfg.adoption.solar_given_bess) < PP
    assert abs(has_pv[~has_bess].mean() - cfg.adoption.solar_given_no_bess()) < PP
    # EV ownership is independent of the battery.
    assert abs(has_ev[has_bess].mean() - has_ev[~has_bess].mean()) < 2 * PP


def test_bess_size_mix_matches_the_classes_within_one_point(big, cfg):
    for c in cfg.bess.classes:
        hi = c.capacity_kwh_max or c.capacity_kwh
        in_class = (big.bess_capacity_kwh >= c.capacity_kwh) & (big.bess_capacity_kwh <= hi)
        assert abs(in_class.mean() - c.share) < PP, c.name
        ratio = big.bess_max_discharge_kw[in_class] / big.bess_capacity_kwh[in_class]
        np.testing.assert_allclose(ratio, c.max_power_kw / c.capacity_kwh, rtol=2e-3)


def test_ev_class_mix_and_products_match_within_one_point(big, cfg):
    for c in cfg.ev.classes:
        in_class = big.ev_product == c.product
        assert abs(in_class.mean() - c.share) < PP, c.name
        assert np.all(big.ev_capacity_kwh[in_class] == c.capacity_kwh)
        assert np.all(big.ev_kwh_per_mile[in_class] == c.kwh_per_mile)
        assert np.all(big.ev_max_charge_kw[in_class] <= c.onboard_charger_kw)


def test_evs_per_ev_household_match_the_count_distribution(big, cfg):
    per_house = np.bincount(big.ev_prosumer_index)
    per_house = per_house[per_house > 0]
    for value, weight in zip(cfg.ev.count.values, cfg.ev.count.weights, strict=True):
        assert abs(np.mean(per_house == value) - weight) < PP


def test_profile_shares_and_ev_priorities_match_within_one_point(big, cfg):
    for k, name in enumerate(PROFILE_NAMES):
        members = big.profile == k
        assert abs(members.mean() - cfg.profiles[name].share) < PP
        for j, prio in enumerate(EV_PRIORITY_NAMES):
            share = np.mean(big.ev_priority[members] == j)
            assert abs(share - cfg.profiles[name].ev_priority[prio]) < 2 * PP


def test_preferences_lie_inside_their_profile_ranges(big, cfg):
    for k, name in enumerate(PROFILE_NAMES):
        p, m = cfg.profiles[name], big.profile == k
        w = big.participation_willingness[m]
        assert w.min() >= np.float32(p.participation_willingness.low)
        assert w.max() <= np.float32(p.participation_willingness.high)
        md = big.max_discharge[m] * 100
        assert md.min() >= p.max_discharge_percent.low - 1e-4
        assert md.max() <= p.max_discharge_percent.high + 1e-4


def test_means_of_continuous_draws_match_the_config(big, cfg):
    assert big.annual_load_kwh.mean() == pytest.approx(cfg.load.annual_load_kwh.mean, rel=0.02)
    assert big.ev_daily_miles.mean() == pytest.approx(cfg.ev.daily_miles.mean, rel=0.03)
    assert big.pv_capacity_kw.mean() == pytest.approx(cfg.solar.capacity_kw.mean, rel=0.03)
    assert big.ev_home_charge_share.mean() == pytest.approx(0.8, abs=0.01)
    assert big.ev_departure_hour.mean() == pytest.approx(cfg.ev.departure_hour.mean, abs=0.05)
    assert big.ev_arrival_hour.mean() == pytest.approx(cfg.ev.arrival_hour.mean, abs=0.05)


def test_soc_and_hours_respect_their_limits(big):
    assert np.all((big.bess_min_soc <= big.bess_soc) & (big.bess_soc <= big.bess_max_soc))
    assert np.all((0 <= big.ev_soc) & (big.ev_soc <= big.ev_departure_soc))
    assert np.all(big.ev_departure_soc <= 1.0)
    for hours in (big.ev_departure_hour, big.ev_arrival_hour):
        assert np.all((hours >= 0) & (hours < 24))
        assert np.all(hours * 4 == np.round(hours * 4))  # quarter hours
    assert np.all(big.ev_departure_hour < big.ev_arrival_hour)


def test_asset_rows_are_sorted_by_owner_and_ids_are_unique(big):
    for owner in (big.bess_prosumer_index, big.ev_prosumer_index, big.pv_prosumer_index):
        assert np.all(np.diff(owner) >= 0)
    assert len(set(big.prosumer_id)) == big.n_prosumers
    assert len(set(big.ev_id)) == big.n_evs
    owner_ids = big.prosumer_id[big.ev_prosumer_index]
    assert all(e.startswith(p + "-ev") for e, p in zip(big.ev_id[:1000], owner_ids[:1000],
                                                       strict=True))
    assert list(big.prosumer_id) == sorted(big.prosumer_id)


def test_make_ids_pads_to_the_widest_index():
    assert list(make_ids("p", 3)) == ["p000000", "p000001", "p000002"]
    assert make_ids("h-", 2, start=9_999_999)[-1] == "h-10000000"
    assert [type(i) for i in make_ids("p", 2)] == [str, str]


def test_ev_ids_are_owner_id_dash_ev_and_ordinal():
    t = generate_fleet_table(3000, 8)
    owner = t.prosumer_id[t.ev_prosumer_index]
    ordinal = np.ones(t.n_evs, dtype=int)
    for j in range(1, t.n_evs):
        if t.ev_prosumer_index[j] == t.ev_prosumer_index[j - 1]:
            ordinal[j] = ordinal[j - 1] + 1
    width = len(str(ordinal.max()))
    assert t.ev_id.tolist() == [f"{o}-ev{k:0{width}d}" for o, k in zip(owner, ordinal,
                                                                      strict=True)]


def test_changing_the_ev_config_leaves_other_components_unchanged(cfg):
    other = FleetConfig.from_dict({"ev": {"v2g_share": 0.5, "v2g_max_kw": 7.0}})
    a, b = generate_fleet_table(3000, 5, cfg), generate_fleet_table(3000, 5, other)
    assert np.array_equal(a.bess_capacity_kwh, b.bess_capacity_kwh)
    assert np.array_equal(a.pv_capacity_kw, b.pv_capacity_kw)
    assert np.array_equal(a.participation_willingness, b.participation_willingness)
    assert not np.array_equal(a.ev_v2g_max_kw, b.ev_v2g_max_kw)


def test_v2g_share_sets_v2g_power_on_that_share_of_evs():
    cfg = FleetConfig.from_dict({"ev": {"v2g_share": 0.3, "v2g_max_kw": 7.0}})
    t = generate_fleet_table(20_000, 1, cfg)
    assert set(np.unique(t.ev_v2g_max_kw)) == {0.0, 7.0}
    assert np.mean(t.ev_v2g_max_kw > 0) == pytest.approx(0.3, abs=0.02)


def test_zero_prosumers_give_an_empty_table():
    t = generate_fleet_table(0, 1)
    assert isinstance(t, FleetTable)
    assert (t.n_prosumers, t.n_bess, t.n_evs, t.n_pv) == (0, 0, 0, 0)


@pytest.mark.parametrize("n", [-1, 2.5, "10", True])
def test_bad_fleet_size_is_rejected_with_its_value(n):
    with pytest.raises(ParameterError, match="fleet.n"):
        generate_fleet_table(n, 0)


def test_full_adoption_gives_every_home_every_asset():
    cfg = FleetConfig.from_dict({"adoption": {"bess": 1.0, "ev": 1.0, "solar": 1.0,
                                              "solar_given_bess": 1.0}})
    t = generate_fleet_table(500, 3, cfg)
    assert t.n_bess == t.n_pv == 500 and len(np.unique(t.ev_prosumer_index)) == 500


@settings(max_examples=30)
@given(n=st.integers(0, 300), seed=st.integers(0, 2**32 - 1))
def test_any_generated_table_is_consistent(n, seed):
    t = generate_fleet_table(n, seed)
    assert t.n_prosumers == n
    for owner in (t.bess_prosumer_index, t.ev_prosumer_index, t.pv_prosumer_index):
        assert np.all((owner >= 0) & (owner < max(n, 1)))
    assert np.all(t.bess_capacity_kwh > 0) and np.all(t.ev_max_charge_kw > 0)
    assert np.all(t.pv_capacity_kw > 0)
    assert np.all((t.participation_willingness >= 0) & (t.participation_willingness <= 1))
    assert len(np.unique(t.bess_prosumer_index)) == t.n_bess
    assert len(np.unique(t.pv_prosumer_index)) == t.n_pv


@pytest.mark.parametrize("dist", [
    Dist(kind="uniform", low=2.0, high=4.0),
    Dist(kind="normal", mean=3.0, sd=0.5),
    Dist(kind="lognormal", mean=3.0, sd=1.5),
    Dist(kind="choice", values=(1.0, 4.0), weights=(0.5, 0.5)),
])
def test_draw_reproduces_the_distribution_mean(dist):
    x = draw(dist, np.random.default_rng(0), 200_000)
    assert x.mean() == pytest.approx(dist.expected_mean(), rel=0.01)


def test_draw_clips_and_rounds():
    d = Dist(kind="normal", mean=7.0, sd=3.0, low=5.0, high=9.0, round_to=0.25)
    x = draw(d, np.random.default_rng(1), 10_000)
    assert x.min() == 5.0 and x.max() == 9.0 and np.all(x * 4 == np.round(x * 4))
    cents = draw(Dist(kind="uniform", low=0.1, high=0.3, round_to=0.01),
                 np.random.default_rng(2), 1000)
    assert {repr(v) for v in cents.tolist()} <= {repr(k / 100) for k in range(10, 31)}


def test_config_evolved_in_python_is_used():
    cfg = FleetConfig.preset()
    none = attrs.evolve(cfg, adoption=attrs.evolve(cfg.adoption, bess=0.0,
                                                   solar_given_bess=0.0))
    assert generate_fleet_table(1000, 0, none).n_bess == 0
