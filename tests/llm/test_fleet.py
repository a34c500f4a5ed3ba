"""Parsed configs to fleet rows and prosumers, with defaults reported."""

import pytest

from desim.errors import ParseError
from desim.llm import (
    DEFAULTS,
    LLMProsumerParser,
    RuleBasedParser,
    configs_to_fleet_table,
    resolve_defaults,
)
from desim.llm.config import CONFIG_FIELDS

PARSER = RuleBasedParser()


def test_resolved_config_has_every_needed_field_marked_profile_or_default():
    config = resolve_defaults(PARSER.parse("A cautious home with a 10 kWh battery and an EV."))
    prov = dict(config.provenance)
    assert prov["bess_capacity_kwh"] == "stated"
    assert prov["participation_willingness"] == "profile"
    assert prov["bess_max_power_kw"] == "default"
    assert config.bess_max_power_kw == pytest.approx(10 * DEFAULTS["bess_c_rate_per_h"])
    assert config.ev_charge_deadline == DEFAULTS["ev_charge_deadline"]
    defaulted = [n for n in CONFIG_FIELDS if prov.get(n) in ("profile", "default")]
    assert all(any(w.startswith(f"{n}:") for w in config.warnings) for n in defaulted)


def test_fleet_table_rows_follow_the_configs():
    configs = [PARSER.parse(t) for t in (
        "Two Powerwall 2 and 8 kW of solar, never below 30%.",
        "Two EVs, both need 80% by 7:30. No solar.",
        "Renting, no panels, two gas cars.")]
    table = configs_to_fleet_table(configs, ["h1", "h2", "h3"])
    assert (table.n_prosumers, table.n_bess, table.n_evs, table.n_pv) == (3, 1, 2, 1)
    assert table.bess_capacity_kwh.tolist() == [27.0]
    assert table.max_discharge[0] == pytest.approx(0.7)
    assert table.ev_prosumer_index.tolist() == [1, 1]
    assert table.ev_departure_hour.tolist() == [7.5, 7.5]
    assert table.ev_departure_soc.tolist() == pytest.approx([0.8, 0.8])
    assert table.pv_capacity_kw.tolist() == [8.0]


def test_fleet_table_rejects_mismatched_ids_and_unknown_defaults():
    config = PARSER.parse("A 10 kWh battery.")
    with pytest.raises(ParseError, match="unique ids"):
        configs_to_fleet_table([config, config], ["a", "a"])
    with pytest.raises(ParseError, match="unknown keys"):
        configs_to_fleet_table([config], ["a"], defaults={"colour": "red"})


def test_defaults_can_be_overridden():
    table = configs_to_fleet_table([PARSER.parse("An EV.")], ["a"],
                                   defaults={"ev_battery_capacity_kwh": 40.0})
    assert table.ev_capacity_kwh.tolist() == [40.0]


def test_seed_api_builds_a_prosumer_from_a_description():
    parser = LLMProsumerParser()
    config = parser.text_to_prosumer_config(
        "13.5 kWh battery rated 5 kW, a 2021 Chevy Bolt needing 90% by 6:45 am, 6 kW solar.")
    prosumer = parser.create_prosumer_from_description(config, prosumer_id="p1")
    assert prosumer.prosumer_id == "p1"
    assert prosumer.bess.capacity_kwh == 13.5 and prosumer.bess.max_power_kw == 5.0
    assert prosumer.evs[0].battery_capacity_kwh == 66.0
    assert prosumer.evs[0].charge_deadline == "06:45"
    assert prosumer.solar.capacity_kw == 6.0
    assert parser.batch_parse(["A 10 kWh battery"])[0]["bess_capacity_kwh"] == 10.0


def test_seed_api_rejects_empty_text():
    with pytest.raises(ParseError, match="non-empty"):
        LLMProsumerParser().text_to_prosumer_config("  ")
