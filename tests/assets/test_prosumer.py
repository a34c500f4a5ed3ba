"""Prosumer: flexibility (reserve, max discharge, EV laxity), market evaluation, aliases."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desim import BESS, ElectricVehicle, MarketEvaluation, ParameterError, Prosumer, SolarPV


def _home(**kwargs):
    bess = BESS(13.5, 5.0, 0.95, current_soc_percent=80.0)
    ev = ElectricVehicle(75.0, 11.5, current_soc_percent=40.0, charge_deadline="07:00")
    args = {"bess": bess, "ev": ev, "solar": SolarPV(8.0), "participation_willingness": 0.8,
            **kwargs}
    return Prosumer("home-1", **args)


def test_bess_flexibility_keeps_backup_reserve_and_owner_floor():
    home = Prosumer("p", bess=BESS(10.0, 5.0, 1.0, current_soc_percent=90.0),
                    backup_power_hours=2.0, max_discharge_percent=80.0, average_load_kw=1.0)
    floor = home.bess_dispatch_floor_soc()
    assert floor == pytest.approx(0.1 + 2.0 * 1.0 / 10.0)
    flex = home.get_available_flexibility_kw(duration_hours=2.0)
    assert flex["discharge"] == pytest.approx((0.9 - 0.3) * 10.0 / 2.0)
    stingy = Prosumer("p", bess=BESS(10.0, 5.0, 1.0, current_soc_percent=90.0),
                      backup_power_hours=0.0, max_discharge_percent=20.0)
    assert stingy.bess_dispatch_floor_soc() == pytest.approx(0.8)
    assert stingy.get_available_flexibility_kw(1.0)["discharge"] == pytest.approx(1.0)


def test_average_load_defaults_to_annual_load_over_a_year():
    assert Prosumer("p", annual_load_kwh=8760.0).average_load_kw == pytest.approx(1.0)


def test_ev_charging_counts_as_deferrable_only_with_positive_laxity():
    home = _home(ev_priority="low")
    ev = home.ev
    assert home.get_available_flexibility_kw(3.0)["ev_deferral"] == 0.0  # clock unknown
    assert home.get_available_flexibility_kw(3.0, now_hour_of_day=17.0)["ev_deferral"] == 11.5
    # 04:00 to 07:00 is 3 h; needs 30 kWh at 11.5 kW, so it cannot wait 3 h
    assert ev.laxity_h(4.0) - 3.0 < 0
    assert home.get_available_flexibility_kw(3.0, now_hour_of_day=4.0)["ev_deferral"] == 0.0


def test_high_ev_priority_never_offers_the_ev():
    home = _home(ev_priority="high")
    flex = home.get_available_flexibility_kw(1.0, now_hour_of_day=17.0)
    assert flex["ev_deferral"] == 0.0 and flex["ev_v2g"] == 0.0


def test_v2g_needs_the_clock_and_time_to_recharge_what_it_gives_before_leaving():
    ev = ElectricVehicle(60.0, 7.2, current_soc_percent=90.0, min_departure_soc_percent=80.0,
                         v2g_max_discharge_kw=10.0)
    home = Prosumer("p", ev=ev, ev_priority="low")
    assert home.get_available_flexibility_kw(1.0)["ev_v2g"] == 0.0      # departure unknown
    # 17:00 -> 07:00 is 14 h: 10 kW for 1 h is recharged in 10 / 7.2 h
    assert home.get_available_flexibility_kw(1.0, now_hour_of_day=17.0)["ev_v2g"] == 10.0
    # 06:00 -> 07:00: no time to recharge it
    assert home.get_available_flexibility_kw(1.0, now_hour_of_day=6.0)["ev_v2g"] == 0.0


@given(soc=st.floats(10.0, 95.0), backup=st.floats(0.0, 24.0), max_dis=st.floats(0.0, 100.0),
       hours=st.floats(0.1, 8.0))
def test_dispatching_the_offered_power_never_breaks_the_reserve(soc, backup, max_dis, hours):
    home = Prosumer("p", bess=BESS(10.0, 5.0, 0.9, current_soc_percent=soc),
                    backup_power_hours=backup, max_discharge_percent=max_dis)
    offered = home.get_available_flexibility_kw(hours)["bess_discharge"]
    assert offered >= 0.0
    home.bess.discharge(offered, hours)
    assert home.bess.soc >= min(soc / 100.0, home.bess_dispatch_floor_soc()) - 1e-9


def test_market_evaluation_accepts_a_good_price():
    result = _home().evaluate_market_opportunity(price_per_mwh=250.0, duration_hours=2.0,
                                                 now_hour_of_day=17.0)
    assert isinstance(result, MarketEvaluation)
    assert result.participate and result.reasons == ()
    assert result.decision_basis == "expectation"
    assert result.participation_probability == result.participation_score == pytest.approx(0.8)
    assert result.available_kwh == pytest.approx(result.available_kw * 2.0)
    assert result.expected_revenue_usd == pytest.approx(0.8 * result.available_kwh * 0.25)
    assert result["participation_score"] == result.participation_score
    assert result["decision_basis"] == "expectation"
    assert result.to_dict()["reasons"] == []


def test_market_evaluation_with_a_draw_is_the_engine_decision_for_that_draw():
    home = _home()                                   # willingness 0.8
    yes = home.evaluate_market_opportunity(250.0, 2.0, uniform=0.79, now_hour_of_day=17.0)
    no = home.evaluate_market_opportunity(250.0, 2.0, uniform=0.8, now_hour_of_day=17.0)
    assert yes.decision_basis == no.decision_basis == "draw"
    assert yes.participate and yes.expected_revenue_usd == pytest.approx(yes.available_kwh * 0.25)
    assert not no.participate and no.expected_revenue_usd == 0.0
    assert any("willingness draw" in r for r in no.reasons)
    assert yes.participation_probability == no.participation_probability == pytest.approx(0.8)
    with pytest.raises(ParameterError, match="uniform"):
        home.evaluate_market_opportunity(250.0, uniform=1.0)


def test_an_unwilling_home_is_unlikely_to_take_part_and_says_so():
    result = _home(participation_willingness=0.3).evaluate_market_opportunity(250.0)
    assert not result.participate and result.participation_probability == pytest.approx(0.3)
    assert result.expected_revenue_usd == pytest.approx(0.3 * result.available_kwh * 0.25)
    assert any("probability 0.30" in r for r in result.reasons)


def test_market_evaluation_declines_below_minimum_compensation_with_reasons():
    result = _home(min_compensation_per_kwh=0.30).evaluate_market_opportunity(150.0)
    assert not result.participate
    assert result.expected_revenue_usd == 0.0
    assert any("minimum compensation" in r for r in result.reasons)


def test_price_in_usd_per_kwh_is_the_same_offer():
    home = _home()
    a = home.evaluate_market_opportunity(price=0.15, duration_hours=4)
    b = home.evaluate_market_opportunity(price_per_mwh=150.0, duration_hours=4)
    assert a == b


def test_the_profile_is_carried_by_the_willingness_as_in_the_engine():
    # generated fleets draw the willingness per profile; the engine reads only the
    # willingness, and so does the scalar answer
    low = _home(profile="conservative").evaluate_market_opportunity(200.0)
    high = _home(profile="aggressive").evaluate_market_opportunity(200.0)
    assert low.participation_probability == high.participation_probability == pytest.approx(0.8)


def test_market_evaluation_needs_exactly_one_price():
    with pytest.raises(ParameterError, match="exactly one"):
        _home().evaluate_market_opportunity()
    with pytest.raises(ParameterError, match="exactly one"):
        _home().evaluate_market_opportunity(100.0, price=0.1)
    with pytest.raises(KeyError):
        _home().evaluate_market_opportunity(100.0)["nope"]


def test_seed_assets_list_and_load_profile_aliases():
    battery = BESS(capacity_kwh=13.5, max_power_kw=5.0, efficiency=0.95)
    solar = SolarPV(capacity_kw=8.0, efficiency=0.86, tilt=30, azimuth=180)
    load_data = np.full(96, 0.75)
    ev = ElectricVehicle(60.0, 7.2)
    home = Prosumer(prosumer_id="P001", load_profile=load_data, assets=[battery, ev, solar])
    assert home.bess is battery and home.solar is solar and home.ev is ev
    assert home.evs == (ev,)
    assert home.average_load_kw == pytest.approx(0.75)
    assert Prosumer("P2", load_profile="profile_7").load_profile_id == "profile_7"


def test_several_evs_first_is_ev():
    a, b = ElectricVehicle(60.0, 7.2, ev_id="a"), ElectricVehicle(75.0, 11.5, ev_id="b")
    home = Prosumer("p", evs=[a, b])
    assert home.ev is a and home.evs == (a, b)
    assert [e["ev_id"] for e in home.get_status_summary()["evs"]] == ["a", "b"]


def test_invalid_preferences_reported_together():
    with pytest.raises(ParameterError) as info:
        Prosumer("p", participation_willingness=1.5, ev_priority="urgent", profile="greedy",
                 max_discharge_percent=120.0, backup_power_hours=-1.0, assets=["battery"])
    message = str(info.value)
    for part in ("participation_willingness", "1.5", "ev_priority", "'urgent'", "profile",
                 "'greedy'", "max_discharge_percent", "120", "backup_power_hours", "-1",
                 "assets[0]"):
        assert part in message


def test_status_summary_reports_assets_and_preferences():
    summary = _home().get_status_summary()
    assert summary["prosumer_id"] == "home-1"
    assert summary["bess"]["soc_percent"] == pytest.approx(80.0)
    assert summary["ev"]["charging_requirement_kwh"] == pytest.approx(30.0)
    assert summary["preferences"]["max_discharge_percent"] == pytest.approx(80.0)
    assert set(summary["flexibility"]) >= {"discharge", "charge"}
