"""RuleBasedParser: units, times, products, negations and preference phrasings."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desim.llm import RuleBasedParser
from desim.llm.validate import RANGES

PARSER = RuleBasedParser()


def parsed(text):
    return PARSER.parse(text)


@pytest.mark.parametrize("text", ["13.5 kWh battery", "13.5kwh battery", "13,500 Wh battery",
                                  "thirteen and a half kilowatt-hours of battery storage",
                                  "a battery of 13.5 kilowatt hours"])
def test_battery_capacity_is_read_in_any_spelling(text):
    assert parsed(text).bess_capacity_kwh == pytest.approx(13.5)


@pytest.mark.parametrize("text", ["6 kilowatts of solar", "6kW solar", "solar: 6 kW",
                                  "a 6000 W solar array", "six kW of rooftop PV",
                                  "twenty 300 W panels", "15 x 400W solar panels"])
def test_solar_capacity_is_read_from_kw_or_panel_counts(text):
    config = parsed(text)
    assert config.solar_capacity_kw == pytest.approx(6.0)
    assert config.has_solar is True


@pytest.mark.parametrize("phrase, hhmm", [
    ("7 AM", "07:00"), ("7:30am", "07:30"), ("19:00", "19:00"), ("7 p.m.", "19:00"),
    ("half past six in the morning", "06:30"), ("noon", "12:00"), ("a quarter to seven", "06:45"),
    ("10:30 pm", "22:30"), ("07:45", "07:45")])
def test_deadline_is_read_in_any_common_form(phrase, hhmm):
    config = parsed(f"Our EV must be charged by {phrase}.")
    assert config.ev_charge_deadline == hhmm
    assert config.has_ev is True and config.ev_count == 1


def test_arrival_time_is_not_taken_for_the_deadline():
    config = parsed("My EV is home by 6 pm and leaves at 7:20 am.")
    assert config.ev_charge_deadline == "07:20"


@pytest.mark.parametrize("text, depth", [
    ("10 kWh battery, never below 30%", 70), ("keep 30% in reserve in the battery", 70),
    ("battery can go down to 30% left", 70), ("let them use up to 60% of the battery", 60),
    ("max discharge 85%", 85)])
def test_reserve_phrasings_become_max_discharge_percent(text, depth):
    assert parsed(text).max_discharge_percent == pytest.approx(depth)


@pytest.mark.parametrize("text, usd", [("at least 25 cents per kWh", 0.25), ("25¢/kWh", 0.25),
                                       ("$0.25/kWh minimum", 0.25), ("$300/MWh or more", 0.30),
                                       ("thirty cents a kilowatt-hour", 0.30)])
def test_compensation_is_read_in_dollars_per_kwh(text, usd):
    assert parsed(text).min_compensation_per_kwh == pytest.approx(usd)


@pytest.mark.parametrize("text, hours", [("needs 6 hours of backup", 6), ("two days of backup", 48),
                                         ("backup for a day and a half", 36),
                                         ("no backup needed", 0)])
def test_backup_hours(text, hours):
    assert parsed(text).backup_power_hours == pytest.approx(hours)


@pytest.mark.parametrize("text, profile", [
    ("A cautious household", "conservative"), ("risk-averse owner", "conservative"),
    ("would only take part in emergencies", "conservative"), ("a balanced approach", "moderate"),
    ("happy with a few events a month", "moderate"), ("we want to maximize earnings", "aggressive"),
    ("use it whenever they want", "aggressive"), ("in it for the money", "aggressive")])
def test_profile_words(text, profile):
    assert parsed(text).participation_profile == profile


@pytest.mark.parametrize("text", ["no solar", "Renting, no panels.", "Solar: none.",
                                  "We don't have solar or a battery."])
def test_absent_solar_is_false_not_unset(text):
    config = parsed(text)
    assert config.has_solar is False and config.solar_capacity_kw is None


@pytest.mark.parametrize("text", ["two gas cars", "No EV.", "We ride an e-bike.",
                                  "My neighbor's EV charges here but we don't own an electric car"])
def test_no_ev_gives_zero_evs_and_no_per_ev_fields(text):
    config = parsed(text)
    assert (config.has_ev, config.ev_count, config.ev_battery_capacity_kwh) == (False, 0, None)


def test_future_solar_stays_unset():
    config = parsed("We plan to install solar next year.")
    assert config.has_solar is None and config.solar_capacity_kw is None


def test_unmentioned_fields_stay_unset_never_defaulted():
    config = parsed("A 10 kWh battery.")
    assert config.set_fields() == ("bess_capacity_kwh",)
    assert config.provenance_of("bess_capacity_kwh") == "stated"


def test_catalog_product_fills_only_allowed_figures_and_marks_them_catalog():
    both = parsed("A Tesla Powerwall 3.")
    assert (both.bess_capacity_kwh, both.bess_max_power_kw) == (13.5, 11.5)
    assert both.provenance_of("bess_max_power_kw") == "catalog"
    bare = parsed("A Tesla Powerwall.")
    assert (bare.bess_capacity_kwh, bare.bess_max_power_kw) == (13.5, None)
    none = parsed("An LG Chem RESU 10H battery.")
    assert none.bess_capacity_kwh is None


def test_several_battery_units_are_summed():
    config = parsed("Three Enphase IQ Battery 5P units.")
    assert config.bess_capacity_kwh == pytest.approx(15.0)
    assert config.bess_max_power_kw == pytest.approx(11.52)


def test_stated_number_beats_the_catalog():
    config = parsed("Powerwall 3 with an installer cap of 7.6 kW.")
    assert config.bess_max_power_kw == 7.6
    assert config.provenance_of("bess_max_power_kw") == "stated"


def test_model_year_selects_the_catalog_entry():
    assert parsed("A 2021 Chevy Bolt.").ev_battery_capacity_kwh == 66.0
    assert parsed("A 2022 Chevy Bolt EV.").ev_battery_capacity_kwh == 65.0
    assert parsed("A 2018 Chevy Bolt.").ev_battery_capacity_kwh is None
    assert parsed("A Chevy Bolt.").ev_battery_capacity_kwh is None


def test_several_evs_set_per_ev_fields_only_when_shared():
    shared = parsed("Two EVs; both need 80% by 7:00.")
    assert (shared.ev_count, shared.ev_charge_deadline, shared.ev_min_departure_soc_percent) == (
        2, "07:00", 80)
    differ = parsed("A Nissan Leaf Plus leaving at 7:00 and a Tesla Model 3 Long Range at 8:30.")
    assert (differ.ev_count, differ.ev_charge_deadline, differ.ev_battery_capacity_kwh) == (
        2, None, None)


def test_departure_energy_becomes_percent_of_the_catalog_capacity():
    config = parsed("A Tesla Model 3 Long Range that needs 60 kWh by 7:30.")
    assert config.ev_min_departure_soc_percent == pytest.approx(80.0)


@given(st.text(max_size=200))
def test_any_text_gives_an_in_range_config(text):
    config = parsed(text)
    for name, (low, high) in RANGES.items():
        value = getattr(config, name)
        assert value is None or low <= value <= high
