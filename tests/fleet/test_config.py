"""FleetConfig: defaults as data, overrides with path-named errors."""

import math

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desim.errors import ParameterError, ScenarioError
from desim.fleet import FleetConfig
from desim.fleet.config import AdoptionConfig, presets


def test_california_preset_has_the_documented_adoption_rates():
    cfg = FleetConfig.preset("california")
    assert (cfg.adoption.bess, cfg.adoption.ev, cfg.adoption.solar) == (0.35, 0.45, 0.55)
    assert cfg.adoption.solar_given_bess == 0.85
    assert "california" in presets()


def test_class_and_profile_shares_of_the_preset_sum_to_one():
    cfg = FleetConfig.preset()
    assert math.fsum(c.share for c in cfg.bess.classes) == pytest.approx(1.0, abs=1e-12)
    assert math.fsum(c.share for c in cfg.ev.classes) == pytest.approx(1.0, abs=1e-12)
    assert math.fsum(p.share for p in cfg.profiles.values()) == pytest.approx(1.0, abs=1e-12)


@given(bess=st.floats(0.0, 0.99), solar=st.floats(0.0, 1.0), t=st.floats(0.0, 1.0))
def test_conditional_solar_probabilities_keep_the_solar_marginal(bess, solar, t):
    # Pick P(solar | BESS) inside its feasible interval, then check total probability.
    lo = max(0.0, (solar - (1.0 - bess)) / bess) if bess > 0 else 0.0
    hi = min(1.0, solar / bess) if bess > 0 else 1.0
    a = AdoptionConfig(bess=bess, ev=0.5, solar=solar, solar_given_bess=lo + t * (hi - lo))
    p_no = a.solar_given_no_bess()
    assert -1e-12 <= p_no <= 1 + 1e-12
    assert bess * a.solar_given_bess + (1 - bess) * p_no == pytest.approx(solar, abs=1e-12)


def test_default_conditional_solar_probability_is_derived_not_stored():
    a = FleetConfig.preset().adoption
    assert a.solar_given_no_bess() == pytest.approx((0.55 - 0.85 * 0.35) / 0.65, rel=1e-15)


def test_from_dict_overrides_only_the_given_keys():
    base = FleetConfig.preset()
    cfg = FleetConfig.from_dict({"adoption": {"bess": 0.5, "solar_given_bess": 0.9}})
    assert cfg.adoption.bess == 0.5 and cfg.adoption.solar_given_bess == 0.9
    assert cfg.adoption.ev == base.adoption.ev
    assert cfg.ev == base.ev and cfg.profiles == base.profiles


def test_from_dict_replaces_class_lists_whole():
    cfg = FleetConfig.from_dict({"bess": {"classes": [
        {"name": "only", "share": 1.0, "capacity_kwh": 13.5, "max_power_kw": 5.0,
         "product": "Tesla Powerwall 2"}]}})
    assert len(cfg.bess.classes) == 1 and cfg.bess.classes[0].product == "Tesla Powerwall 2"


def test_to_dict_round_trips():
    cfg = FleetConfig.preset()
    assert FleetConfig.from_dict(cfg.to_dict(), base=cfg) == cfg
    assert FleetConfig.from_dict({}, base=cfg) == cfg


@pytest.mark.parametrize(("raw", "fragments"), [
    ({"adoption": {"bess": 1.5}}, ["fleet.generate.overrides.adoption.bess", "1.5"]),
    ({"adoption": {"colour": 1}}, ["fleet.generate.overrides.adoption", "colour"]),
    ({"solar": {"tilt_deg": {"kind": "choice", "values": [20, 95], "weights": [0.5, 0.5]}}},
     ["fleet.generate.overrides.solar.tilt_deg", "95"]),
    ({"bess": {"classes": [{"name": "x", "share": 1.0, "capacity_kwh": -5,
                            "max_power_kw": 2}]}},
     ["fleet.generate.overrides.bess.classes[0].capacity_kwh", "-5"]),
    ({"bess": {"classes": [{"name": "x", "share": 1.0, "capacity_kwh": 5,
                            "max_power_kw": "lots"}]}},
     ["fleet.generate.overrides.bess.classes[0].max_power_kw", "lots"]),
    ({"ev": {"count": {"kind": "choice", "values": [1, 2], "weights": [0.5, 0.6]}}},
     ["fleet.generate.overrides.ev.count.weights", "0.6"]),
    ({"ev": {"daily_miles": {"kind": "gamma", "mean": 3.0, "sd": 1.0}}},
     ["fleet.generate.overrides.ev.daily_miles.kind", "gamma"]),
    ({"profiles": {"moderate": {"ev_priority": {"urgent": 1.0}}}},
     ["fleet.generate.overrides.profiles.moderate.ev_priority", "urgent"]),
    ({"adoption": {"bess": 0.9, "solar": 0.2}},
     ["fleet.generate.overrides.adoption.solar_given_bess", "0.85"]),
])
def test_from_dict_error_names_the_key_path_and_the_value(raw, fragments):
    with pytest.raises(ScenarioError) as info:
        FleetConfig.from_dict(raw)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_from_dict_lists_every_problem_at_once():
    with pytest.raises(ScenarioError) as info:
        FleetConfig.from_dict({"adoption": {"bess": -0.1, "ev": 2.0},
                               "bess": {"charge_efficiency": 1.5}})
    text = str(info.value)
    assert "adoption.bess" in text and "adoption.ev" in text and "bess.charge_efficiency" in text


def test_from_dict_uses_the_path_given():
    with pytest.raises(ScenarioError, match=r"^my\.path\.adoption\.ev"):
        FleetConfig.from_dict({"adoption": {"ev": 7}}, path="my.path")


def test_from_dict_rejects_a_non_table():
    with pytest.raises(ScenarioError, match="expected a table"):
        FleetConfig.from_dict([1, 2])


def test_unknown_preset_is_named():
    with pytest.raises(ParameterError, match="texas"):
        FleetConfig.from_dict({}, base="texas")


def test_constructing_an_invalid_config_in_python_raises_parameter_error():
    cfg = FleetConfig.preset()
    with pytest.raises(ParameterError, match="adoption.ev"):
        attrs.evolve(cfg, adoption=attrs.evolve(cfg.adoption, ev=1.2))


def test_ev_class_products_are_catalog_vehicles_with_matching_figures():
    catalog = pytest.importorskip("desim.catalog")
    for c in FleetConfig.preset().ev.classes:
        product = catalog.lookup_vehicle(c.product)
        assert product.name == c.product
        assert c.capacity_kwh == pytest.approx(product.battery_capacity_kwh, rel=0.05)
        assert c.onboard_charger_kw == product.max_charge_power_kw
        if product.kwh_per_mile is not None:
            assert c.kwh_per_mile == product.kwh_per_mile


def test_bess_class_products_if_named_are_catalog_batteries():
    catalog = pytest.importorskip("desim.catalog")
    for c in FleetConfig.preset().bess.classes:
        if c.product:
            assert catalog.lookup_battery(c.product).name == c.product
