"""The catalog: every product of the research table resolves to its figures.

Expected figures are written here from the product research table
(docs/catalog.md), independently of the data file: capacity, continuous
power, and whether a parser may use each from the name alone.
"""

import attrs
import pytest

from desim.catalog import (
    BatteryProduct,
    VehicleProduct,
    battery_products,
    lookup_battery,
    lookup_vehicle,
    vehicle_products,
)
from desim.errors import CatalogError, DesimError

# (query, capacity kWh, continuous kW or None, parser_capacity, parser_power)
BATTERIES = [
    ("Tesla Powerwall 2", 13.5, 5.0, True, True),
    ("Tesla Powerwall 3", 13.5, 11.5, True, True),
    ("Tesla Powerwall+", 13.5, 5.0, True, False),
    ("LG RESU 10H Prime", 9.6, 5.0, True, True),
    ("LG RESU 16H Prime", 16.0, 7.0, True, True),
    ("LG Chem RESU 10H", 9.3, 5.0, False, False),
    ("LG RESU6.5", 5.9, 4.2, False, False),
    ("LG RESU10", 8.8, 5.0, False, False),
    ("LG RESU12", 11.7, 5.0, False, False),
    ("Enphase IQ Battery 5P", 5.0, 3.84, True, True),
    ("Enphase IQ Battery 10T", 10.08, 3.84, True, False),
    ("FranklinWH aPower", 13.6, 5.0, True, True),
    ("Generac PWRcell M3", 9.0, 3.4, True, False),
    ("Generac PWRcell M4", 12.0, 4.5, True, False),
    ("Generac PWRcell M5", 15.0, 5.6, True, False),
    ("Generac PWRcell M6", 18.0, 6.7, True, False),
    ("sonnenCore", 10.0, 4.8, False, False),
    ("sonnenCore+", 20.0, None, False, False),
    ("Panasonic EverVolt", 17.1, 7.6, False, False),
    ("FranklinWH aPower 2", 15.0, 10.0, False, False),
]

# (query, capacity kWh or None, onboard kW or None, parser_capacity, parser_power)
VEHICLES = [
    ("Nissan Leaf", 40.0, 6.6, True, True),
    ("Nissan Leaf Plus", 62.0, 6.6, True, True),
    ("2018 Chevrolet Bolt EV", 60.0, 7.2, False, False),
    ("2020 Chevrolet Bolt EV", 66.0, 7.2, True, True),
    ("2022 Chevrolet Bolt EV", 65.0, 11.0, True, True),
    ("Tesla Model 3 Long Range", 75.0, 11.5, True, True),
    ("Tesla Model Y Long Range", 75.0, 11.5, True, True),
    ("Ford F-150 Lightning Standard Range", 98.0, 11.3, True, True),
    ("Ford F-150 Lightning Extended Range", 131.0, 19.2, True, True),
    ("Ford Mustang Mach-E Extended Range", 88.0, 10.5, False, False),
    ("Hyundai Ioniq 5 Long Range", 77.4, 10.9, True, False),
    ("Hyundai Ioniq 5 Standard Range", 58.0, 10.9, True, False),
    ("Kia EV6 Long Range", 77.4, None, True, False),
    ("Kia EV6 Standard Range", 58.0, None, True, False),
    ("Volkswagen ID.4 Pro", 77.0, 11.0, True, False),
    ("Rivian R1T Standard Pack", 105.0, 11.5, True, True),
    ("Rivian R1S Large Pack", 135.0, 11.5, True, True),
    ("Rivian R1T Max Pack", 180.0, 11.5, True, True),
    ("BMW i4 eDrive40", 81.5, 11.0, True, True),
    ("Chevrolet Equinox EV", 85.0, 11.5, True, False),
]


@pytest.mark.parametrize(("query", "kwh", "kw", "pcap", "ppow"), BATTERIES)
def test_every_researched_battery_resolves_to_its_figures(query, kwh, kw, pcap, ppow):
    product = lookup_battery(query)
    assert product.capacity_kwh == pytest.approx(kwh)
    assert product.max_power_kw == (None if kw is None else pytest.approx(kw))
    assert (product.parser_capacity, product.parser_power) == (pcap, ppow)
    assert product.sources.strip()


@pytest.mark.parametrize(("query", "kwh", "kw", "pcap", "ppow"), VEHICLES)
def test_every_researched_vehicle_resolves_to_its_figures(query, kwh, kw, pcap, ppow):
    product = lookup_vehicle(query)
    assert product.battery_capacity_kwh == (None if kwh is None else pytest.approx(kwh))
    assert product.max_charge_power_kw == (None if kw is None else pytest.approx(kw))
    assert (product.parser_capacity, product.parser_power) == (pcap, ppow)
    assert product.sources.strip()


def test_disputed_battery_figures_are_catalog_defaults_never_parser_figures():
    ten_c = lookup_battery("Enphase IQ Battery 10C")
    assert ten_c.capacity_kwh in (10.0, 10.08)
    assert ten_c.max_power_kw in (7.08, 7.68)
    assert not ten_c.parser_capacity and not ten_c.parser_power


def test_disputed_vehicle_figures_are_not_parser_figures():
    rwd = lookup_vehicle("Tesla Model 3 RWD")
    assert rwd.max_charge_power_kw == pytest.approx(7.7)
    assert rwd.parser_power and not rwd.parser_capacity
    assert 54.0 <= rwd.battery_capacity_kwh <= 60.0
    for name in ("Tesla Model S", "Tesla Model X"):
        product = lookup_vehicle(name)
        assert product.battery_capacity_kwh is None
        assert product.max_charge_power_kw == pytest.approx(11.5)
        assert product.parser_power and not product.parser_capacity
    bz = lookup_vehicle("Toyota bZ4X")
    assert bz.max_charge_power_kw == pytest.approx(6.6)
    assert not bz.parser_capacity and not bz.parser_power
    assert lookup_vehicle("2023 Toyota bZ4X").parser_power


def test_bare_powerwall_gives_capacity_but_no_power():
    product = lookup_battery("Tesla Powerwall")
    assert product.capacity_kwh == 13.5
    assert product.max_power_kw is None
    assert product.parser_capacity and not product.parser_power


@pytest.mark.parametrize(("query", "kwh_per_mile"), [
    ("2021 Chevy Bolt", 0.28), ("Bolt EUV", 0.28), ("Model 3 Long Range", 0.24),
    ("Nissan Leaf", 0.30), ("BMW i4", None), ("Tesla Model S", None)])
def test_consumption_is_given_only_where_assumed(query, kwh_per_mile):
    product = lookup_vehicle(query)
    assert product.kwh_per_mile == (None if kwh_per_mile is None
                                    else pytest.approx(kwh_per_mile))
    if kwh_per_mile is not None:
        assert "assumption" in product.remarks


@pytest.mark.parametrize(("query", "expected"), [
    ("Powerwall II", "Tesla Powerwall 2"),
    ("PW2", "Tesla Powerwall 2"),
    ("pw-2", "Tesla Powerwall 2"),
    ("  TESLA   powerwall 2 ", "Tesla Powerwall 2"),
    ("PW3", "Tesla Powerwall 3"),
    ("Powerwall III", "Tesla Powerwall 3"),
    ("PW+", "Tesla Powerwall+"),
    ("Tesla Powerwall Plus", "Tesla Powerwall+"),
    ("LG Chem RESU10H Prime", "LG RESU 10H Prime"),
    ("Encharge 10", "Enphase IQ Battery 10T"),
    ("PWRcell 4 modules", "Generac PWRcell M4"),
    ("Franklin aPower", "FranklinWH aPower"),
])
def test_battery_aliases_resolve(query, expected):
    assert lookup_battery(query).name == expected


@pytest.mark.parametrize(("query", "capacity_kwh"), [
    ("2023 Bolt EUV", 65.0),
    ("2021 Chevy Bolt", 66.0),
    ("2019 chevy bolt ev", 60.0),
    ("Model 3 Long Range", 75.0),
    ("Tesla Model 3 LR AWD", 75.0),
    ("F-150 Lightning extended range", 131.0),
    ("Ford F150 Lightning Lariat Extended Range", 131.0),
    ("Ioniq 5 SR", 58.0),
    ("Leaf e+", 62.0),
    ("VW ID.4", 77.0),
])
def test_vehicle_years_trims_and_abbreviations_resolve(query, capacity_kwh):
    assert lookup_vehicle(query).battery_capacity_kwh == pytest.approx(capacity_kwh)


@pytest.mark.parametrize("query", ["Chevy Bolt", "Tesla Model 3", "Rivian R1T",
                                   "Ford F-150 Lightning", "Kia EV6", "Mach-E"])
def test_ambiguous_vehicle_names_raise_listing_the_candidates(query):
    with pytest.raises(CatalogError, match="ambiguous") as info:
        lookup_vehicle(query)
    assert repr(query) in str(info.value)


def test_ambiguous_battery_name_lists_every_candidate():
    with pytest.raises(CatalogError) as info:
        lookup_battery("Generac PWRcell")
    for m in "3456":
        assert f"Generac PWRcell M{m}" in str(info.value)


def test_model_year_outside_a_family_raises_naming_the_year():
    with pytest.raises(CatalogError, match="2015"):
        lookup_vehicle("2015 Nissan Leaf")


@pytest.mark.parametrize(("lookup", "query", "close"), [
    (lookup_battery, "Tesla Powerwal 2", "Tesla Powerwall 2"),
    (lookup_battery, "Tesla Megapack", "Tesla Powerwall"),
    (lookup_vehicle, "Nisan Leef", "Nissan Leaf"),
    (lookup_vehicle, "Honda Civic", ""),
])
def test_unknown_names_raise_catalog_error_with_closest_names(lookup, query, close):
    with pytest.raises(CatalogError, match="closest") as info:
        lookup(query)
    message = str(info.value)
    assert repr(query) in message
    assert close in message
    assert isinstance(info.value, DesimError) and isinstance(info.value, LookupError)


@pytest.mark.parametrize("bad", ["", "   ", None, 42])
def test_empty_or_non_string_names_raise(bad):
    with pytest.raises(CatalogError):
        lookup_battery(bad)


def test_every_catalog_entry_resolves_by_its_own_name_and_aliases():
    for product in battery_products():
        assert lookup_battery(product.name) == product
    for product in vehicle_products():
        assert lookup_vehicle(product.name) == product
        for alias in product.aliases:
            try:
                assert lookup_vehicle(alias) == product
            except CatalogError as exc:  # shared family aliases are ambiguous by design
                assert "ambiguous" in str(exc)
    for product in battery_products():
        for alias in product.aliases:
            try:
                assert lookup_battery(alias) == product
            except CatalogError as exc:
                assert "ambiguous" in str(exc)


def test_products_are_frozen_records_with_the_contract_fields():
    assert [f.name for f in attrs.fields(BatteryProduct)] == [
        "name", "capacity_kwh", "max_power_kw", "parser_capacity", "parser_power",
        "sources", "remarks", "aliases"]
    assert [f.name for f in attrs.fields(VehicleProduct)] == [
        "name", "battery_capacity_kwh", "max_charge_power_kw", "kwh_per_mile",
        "parser_capacity", "parser_power", "sources", "remarks", "aliases"]
    product = lookup_battery("PW2")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        product.capacity_kwh = 1.0
    assert isinstance(product.aliases, tuple)


def test_catalog_figures_are_positive_and_names_unique():
    names = [p.name for p in battery_products()] + [p.name for p in vehicle_products()]
    assert len(names) == len(set(names))
    for p in battery_products():
        assert p.capacity_kwh > 0 and (p.max_power_kw is None or p.max_power_kw > 0)
    for p in vehicle_products():
        for value in (p.battery_capacity_kwh, p.max_charge_power_kw, p.kwh_per_mile):
            assert value is None or value > 0
