"""The rule parser's thermal fields: air conditioner / heat pump, setpoint, water heater."""

import pytest

from desim.llm import get_parser
from desim.llm.config import ProsumerConfig
from desim.llm.validate import config_from_raw

PARSER = get_parser("rules")


def f_to_c(f):
    return (f - 32.0) * 5.0 / 9.0


def parsed(text):
    return PARSER.parse(text)


# (text, has_hvac, hvac_kind)
HVAC = [
    ("We have central air.", True, "ac"),
    ("The house has central air conditioning.", True, "ac"),
    ("Our AC runs most summer afternoons.", True, "ac"),
    ("There's an A/C unit on the side of the house.", True, "ac"),
    ("Two window air conditioners upstairs.", True, "ac"),
    ("A window unit cools the bedroom.", True, "ac"),
    ("We heat and cool with a heat pump.", True, "heat_pump"),
    ("Ductless mini-split in the living room.", True, "heat_pump"),
    ("A ground-source heat pump heats the house.", True, "heat_pump"),
    ("Central air plus a heat pump for the shoulder seasons.", True, "heat_pump"),
    ("no AC", False, None),
    ("We don't have air conditioning.", False, None),
    ("Air conditioning: none.", False, None),
    ("The house isn't air conditioned; we use fans.", False, None),
    ("We have no central air, just a window AC in the bedroom.", True, "ac"),
    ("No battery and central air.", True, "ac"),
    ("We have a 13.5 kWh battery and 7 kW of solar.", None, None),
    ("Two EVs, both leave at 7:30.", None, None),
    ("", None, None),
    # confusions
    ("Heat pump water heater in the garage.", None, None),
    ("Our EV charges on a Level 2 AC charger at 7.2 kW.", None, None),
    ("The inverter is 7.6 kW AC, the battery is AC-coupled.", None, None),
    ("Our Model Y has a heat pump.", None, None),
    ("The car's AC keeps the dog cool.", None, None),
    ("My neighbour has central air.", None, None),
    ("My neighbour has central air; we don't.", False, None),
    ("We used to have a heat pump at the old house.", None, None),
    ("We're planning to install a heat pump next year.", None, None),
    ("A pool heat pump keeps the water warm.", None, None),
    ("Heat pump dryer in the laundry.", None, None),
]


@pytest.mark.parametrize(("text", "has_hvac", "kind"), HVAC)
def test_air_conditioner_or_heat_pump_is_read_only_when_the_text_says_so(text, has_hvac, kind):
    config = parsed(text)
    assert (config.has_hvac, config.hvac_kind) == (has_hvac, kind)


# (text, setpoint in degrees C or None)
SETPOINTS = [
    ("Central air; we keep it at 76 F.", f_to_c(76)),
    ("we keep it at 76 F", f_to_c(76)),
    ("Heat pump thermostat at 24 C.", 24.0),
    ("Thermostat at 24 C, central AC.", 24.0),
    ("Our AC is set to 72 degrees.", f_to_c(72)),
    ("Thermostat at 78 in summer, central air.", f_to_c(78)),
    ("We set the heat pump to 20 C in winter.", 20.0),
    ("AC thermostat: 26°C.", 26.0),
    ("Central air, thermostat set to 75°F.", f_to_c(75)),
    ("The heat pump keeps the house at 21 degrees.", 21.0),
    ("The thermostat stays at 68 degrees Fahrenheit.", 20.0),
    # not a setpoint
    ("It was 95 F outside and the AC ran all day.", None),
    ("76 F outside today; central air.", None),
    ("Central air keeps up even when highs hit 104 F.", None),
    ("Heat pump, thermostat set to 35.", None),  # 31-49: Fahrenheit or Celsius?
    ("Central AC: 78 in summer, 68 in winter on the thermostat.", None),  # two setpoints
    ("Central air. The battery is kept above 10 C and set to 80%.", None),
    ("Our AC; the car preconditions to 72 F before I leave.", None),
    ("Central air, and the EV charges to 80 by 7.", None),
]


@pytest.mark.parametrize(("text", "celsius"), SETPOINTS)
def test_setpoint_is_read_in_celsius_only_near_a_thermostat_or_setting_word(text, celsius):
    got = parsed(text).hvac_setpoint_c
    assert got == (None if celsius is None else pytest.approx(celsius))


def test_seventy_six_fahrenheit_is_exactly_converted():
    assert parsed("we keep it at 76 F").hvac_setpoint_c == pytest.approx(24.4444444, abs=1e-6)


def test_thermostat_celsius_is_not_read_as_cents():
    config = parsed("Thermostat at 24 C, and we'd want 30 c per kWh for events.")
    assert config.hvac_setpoint_c == 24.0
    assert config.min_compensation_per_kwh == pytest.approx(0.30)


# (text, has_water_heater_electric, water_heater_kind)
WATER = [
    ("heat pump water heater", True, "heat_pump"),
    ("Hot water: HPWH.", True, "heat_pump"),
    ("Water heater: heat pump (50 gal).", True, "heat_pump"),
    ("A hybrid water heater went in last year.", True, "heat_pump"),
    ("Electric water heater in the basement.", True, "resistance"),
    ("An 80 gallon electric tank.", True, "resistance"),
    ("The water heater is electric.", True, "resistance"),
    ("Water heating: electric resistance tank.", True, "resistance"),
    ("Gas water heater.", False, None),
    ("The water heater runs on propane.", False, None),
    ("We don't have an electric water heater.", False, None),
    ("A 50 gallon water heater.", None, None),
    ("My parents have a heat pump water heater.", None, None),
    ("Central air and a 10 kWh battery.", None, None),
]


@pytest.mark.parametrize(("text", "electric", "kind"), WATER)
def test_water_heater_fields(text, electric, kind):
    config = parsed(text)
    assert (config.has_water_heater_electric, config.water_heater_kind) == (electric, kind)


def test_central_air_is_an_air_conditioner():
    config = parsed("central air")
    assert config.has_hvac is True and config.hvac_kind == "ac"
    assert config.provenance_of("has_hvac") == "stated"


def test_heat_pump_water_heater_leaves_the_space_conditioning_fields_alone():
    config = parsed("heat pump water heater")
    assert config.water_heater_kind == "heat_pump" and config.has_water_heater_electric is True
    assert config.has_hvac is None and config.hvac_kind is None


def test_both_heat_pumps_are_told_apart():
    config = parsed("Central AC and a heat pump water heater; the AC is set to 74 F.")
    assert (config.has_hvac, config.hvac_kind) == (True, "ac")
    assert config.water_heater_kind == "heat_pump"
    assert config.hvac_setpoint_c == pytest.approx(f_to_c(74))


def test_an_air_conditioner_figure_is_not_the_battery_power():
    config = parsed("The AC unit draws 3.5 kW and we have a 10 kWh battery.")
    assert config.bess_capacity_kwh == 10.0 and config.bess_max_power_kw is None
    assert config.has_hvac is True
    assert any("air conditioner" in w for w in config.warnings)


def test_battery_and_ev_sentences_are_not_read_as_thermal():
    config = parsed("A Powerwall 2 kept at 80 percent; our Bolt leaves at 7:30 and needs 80%. "
                    "The car keeps its cabin at 72 F.")
    assert config.bess_capacity_kwh == 13.5 and config.has_ev is True
    for name in ("has_hvac", "hvac_kind", "hvac_setpoint_c", "has_water_heater_electric",
                 "water_heater_kind"):
        assert getattr(config, name) is None


def test_several_setpoints_leave_the_field_unsure():
    config = parsed("Heat pump set to 78 F in summer and 68 F in winter.")
    assert config.hvac_setpoint_c is None and "hvac_setpoint_c" in config.unsure
    assert any("several different setpoints" in w for w in config.warnings)


def test_validation_keeps_thermal_fields_consistent():
    config = config_from_raw({"has_hvac": False, "hvac_kind": "heat_pump", "hvac_setpoint_c": 21,
                              "water_heater_kind": "resistance"}, "model")
    assert config.has_hvac is True and config.hvac_kind == "heat_pump"
    assert config.has_water_heater_electric is True
    off = config_from_raw({"has_hvac": False, "hvac_setpoint_c": 21.0,
                           "has_water_heater_electric": False}, "model")
    assert off.hvac_setpoint_c is None and any("dropped" in w for w in off.warnings)
    bad = config_from_raw({"hvac_kind": "furnace", "hvac_setpoint_c": 76.0,
                           "water_heater_kind": "gas"}, "model")
    assert bad.hvac_kind is None and bad.hvac_setpoint_c is None and bad.water_heater_kind is None
    assert any("hvac_kind: expected one of ac, heat_pump" in w for w in bad.warnings)


def test_thermal_fields_follow_the_seed_fields_in_the_flat_dict():
    keys = list(ProsumerConfig().to_dict())
    assert keys[18:] == ["has_hvac", "hvac_kind", "hvac_setpoint_c", "has_water_heater_electric",
                         "water_heater_kind"]


def test_evaluate_scores_thermal_fields_only_in_sets_that_label_them():
    from desim.llm.evaluate import evaluate, scored_fields

    old = [{"text": "central air, a 10 kWh battery", "expected": {"bess_capacity_kwh": 10.0}}]
    new = [{"text": "central air", "expected": {"has_hvac": True, "hvac_kind": "ac"}},
           {"text": "a 10 kWh battery", "expected": {"bess_capacity_kwh": 10.0,
                                                     "hvac_setpoint_c": None}}]
    assert len(scored_fields(old)) == 18
    assert scored_fields(new)[18:] == ("has_hvac", "hvac_kind", "hvac_setpoint_c")
    score = evaluate(PARSER, old)
    assert (score.n_fields, score.n_right) == (18, 18)  # the parsed AC does not count
    score = evaluate(PARSER, new)
    assert (score.n_fields, score.n_right) == (42, 42)


@pytest.mark.parametrize("text", [
    "We have a gas water heater and central air.",
    "Our old gas furnace heats the house; the thermostat is at 20 C.",
    "Cooking is on a gas stove. We have solar panels.",
])
def test_a_gas_appliance_says_nothing_about_cars(text):
    config = parsed(text)
    assert config.has_ev is None and config.ev_count is None


def test_a_gas_car_still_says_the_household_has_no_ev():
    config = parsed("We drive a gas car and have solar.")
    assert config.has_ev is False and config.ev_count == 0
