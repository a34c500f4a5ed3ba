"""A sign is part of the number: a negative, however written, is refused, never read unsigned.

"minus forty percent", "negative 5 kWh", "-$4/kWh", "−$0.10", "$-4": the quantity grammar
keeps the sign and the guard refuses the value with a warning naming the field and the span.
A label or noun next to a refused value is not evidence that the asset exists.
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desim.llm import RuleBasedParser

PARSER = RuleBasedParser()
_WORDS = {2: "two", 4: "four", 5: "five", 6: "six", 7: "seven", 10: "ten", 20: "twenty",
          30: "thirty", 40: "forty", 60: "sixty", 80: "eighty", 85: "eighty five"}

#: field, magnitude, what the field holds for it unsigned, prose templates, form templates
_FIELDS = [
    ("solar_capacity_kw", 6, 6.0, ["We have {x} kW of solar panels on the roof."],
     ["Solar: {x} kW", "PV size (kW): {x}"]),
    ("bess_capacity_kwh", 10, 10.0, ["Our home battery stores {x} kWh."],
     ["Battery capacity: {x} kWh"]),
    ("bess_max_power_kw", 5, 5.0, ["Our home battery is 10 kWh and can deliver {x} kW."],
     ["Battery power: {x} kW"]),
    ("ev_battery_capacity_kwh", 60, 60.0, ["We drive a {x} kWh EV."],
     ["EV battery: {x} kWh"]),
    ("ev_max_charge_power_kw", 7, 7.0, ["Our EV charges at {x} kW at home."],
     ["EV charger: {x} kW"]),
    ("bess_initial_soc_percent", 40, 40.0, ["The home battery is charged to {x} percent right now."],
     ["Battery charge now: {x}%"]),
    ("ev_min_departure_soc_percent", 80, 80.0, ["The EV needs {x}% by 7am."],
     ["EV departure target: {x}%"]),
    ("max_discharge_percent", 30, 70.0, ["Home battery 10 kWh; never go below {x}%."],
     ["Reserve: {x}%"]),
    ("participation_willingness", 60, 0.6, ["We are willing to take part in {x}% of events."],
     ["Willingness: {x}%"]),
    ("solar_efficiency", 85, 0.85, ["Solar 6 kW, efficiency {x}%."],
     ["Solar efficiency: {x}%"]),
    ("min_compensation_per_kwh", 20, 0.2, ["We want at least {x} cents per kWh for events."],
     ["Minimum compensation: {x} cents/kWh"]),
    ("backup_power_hours", 4, 4.0, ["We need {x} hours of backup for outages."],
     ["Backup hours: {x}"]),
    ("ev_count", 2, 2, ["We have {x} electric cars."], ["Number of EVs: {x}"]),
]
_SIGNS = ["-{n}", "\u2212{n}", "minus {n}", "negative {n}", "minus {w}", "negative {w}"]


def _cases():
    for field, n, unsigned, prose, forms in _FIELDS:
        for kind, templates in (("prose", prose), ("form", forms)):
            for template in templates:
                yield pytest.param(field, unsigned, template, n,
                                   id=f"{field}-{kind}-{template[:18]}")


@pytest.mark.parametrize("field, unsigned, template, n", list(_cases()))
def test_every_template_reads_the_unsigned_value(field, unsigned, template, n):
    """The control: each sentence and form item below does set its field when unsigned."""
    for written in (str(n), _WORDS[n]):
        assert getattr(PARSER.parse(template.format(x=written)), field) == \
            pytest.approx(unsigned), written


@pytest.mark.parametrize("sign", _SIGNS)
@pytest.mark.parametrize("field, unsigned, template, n", list(_cases()))
def test_a_negative_in_words_or_symbols_is_refused_for_every_field(field, unsigned, template, n,
                                                                    sign):
    text = template.format(x=sign.format(n=n, w=_WORDS[n]))
    config = PARSER.parse(text)
    assert getattr(config, field) is None, text
    warning = [w for w in config.warnings if w.startswith(f"{field}:")]
    assert warning and "negative" in warning[0] and str(n) in warning[0], (text, config.warnings)


@pytest.mark.parametrize("text, field, span", [
    ("Home battery 13.5 kWh, charged to minus forty percent right now.",
     "bess_initial_soc_percent", "-40 percent"),
    ("We have minus two kilowatts of solar on the roof.", "solar_capacity_kw", "-2 kilowatts"),
    ("Home battery of negative 5 kWh.", "bess_capacity_kwh", "-5 kwh"),
    ("We'd want at least -$4/kWh to take part in events.", "min_compensation_per_kwh", "4/kwh"),
    ("Minimum compensation \u2212$0.10 per kWh for events.", "min_compensation_per_kwh",
     "0.10 per kwh"),
    ("Minimum compensation $-4 per kWh for events.", "min_compensation_per_kwh", "$-4 per kwh"),
    ("Minimum compensation: minus $0.30 per kWh.", "min_compensation_per_kwh", "0.30"),
    ("Payment for events at least negative 25 cents per kWh.", "min_compensation_per_kwh",
     "-25 cents"),
])
def test_reported_negatives_are_refused_naming_field_and_span(text, field, span):
    config = PARSER.parse(text)
    assert getattr(config, field) is None
    assert any(w.startswith(f"{field}:") and span in w and "negative" in w
               for w in config.warnings), config.warnings


def test_a_minus_between_two_amounts_is_a_range_not_a_sign():
    config = PARSER.parse("Minimum compensation $0.20 - $0.30 per kWh for events.")
    assert not any("negative" in w for w in config.warnings), config.warnings


@pytest.mark.parametrize("text", ["current charge: three quarters\nEV: none",
                                  "Battery: Powerwall 2\ncurrent charge: three quarters\nEV: none",
                                  "Battery: Powerwall 2\ncurrent charge: three quarters"])
def test_a_fraction_in_words_at_the_end_of_a_line_is_a_share_not_its_count(text):
    assert PARSER.parse(text).bess_initial_soc_percent == 75.0


@pytest.mark.parametrize("text", ["Battery: Powerwall 2\ncurrent charge: 3 quarters\nEV: none",
                                  "The EV needs three quarters by 7am."])
def test_a_count_of_fractions_is_never_read_as_that_count(text):
    config = PARSER.parse(text)
    assert config.bess_initial_soc_percent != 3.0
    assert config.ev_min_departure_soc_percent != 3.0


@pytest.mark.parametrize("text", ["Solar: -3.5 kW\nBattery: 10 kWh", "Solar: minus 3.5 kW",
                                  "Solar: nan kW", "Solar: 1e9 kW", "Solar: -3500 W",
                                  "We have minus two kilowatts of solar on the roof."])
def test_a_refused_solar_value_does_not_set_presence(text):
    config = PARSER.parse(text)
    assert config.solar_capacity_kw is None
    assert config.has_solar is None, config
    assert any(w.startswith("solar_capacity_kw:") for w in config.warnings), config.warnings


@pytest.mark.parametrize("text", ["EV: -2", "EVs: minus two", "We have minus two electric cars."])
def test_a_refused_ev_count_does_not_set_presence(text):
    config = PARSER.parse(text)
    assert config.ev_count is None and config.has_ev is None, config
    assert any(w.startswith("ev_count:") for w in config.warnings), config.warnings


def test_presence_stated_elsewhere_survives_a_refused_value():
    config = PARSER.parse("Solar: -3.5 kW. We also have 20 solar panels at 400 W.")
    assert config.has_solar is True and config.solar_capacity_kw == 8.0
    config = PARSER.parse("We have an EV, a Nissan Leaf. Solar: -2 kW.")
    assert config.has_ev is True and config.solar_capacity_kw is None


_NUMERIC = [f for f, *_ in _FIELDS]


@given(field=st.sampled_from(range(len(_FIELDS))), form=st.booleans(),
       sign=st.sampled_from(_SIGNS + ["-{w}", "minus  {n}", "Negative {w}", "MINUS {w}"]),
       magnitude=st.one_of(st.integers(1, 10**6).map(str),
                           st.floats(0.01, 1e6, allow_nan=False).map(lambda f: f"{f:.2f}")))
def test_any_signed_number_in_any_template_never_gives_its_magnitude(field, form, sign,
                                                                      magnitude):
    name, n, _, prose, forms = _FIELDS[field]
    template = (forms if form else prose)[0]
    text = template.format(x=sign.format(n=magnitude, w=_WORDS[n]))
    config = PARSER.parse(text)
    for f in _NUMERIC:
        value = getattr(config, f)
        if isinstance(value, float):
            assert math.isfinite(value) and value >= 0.0, (text, f, value)
    assert getattr(config, name) is None, (text, getattr(config, name))
