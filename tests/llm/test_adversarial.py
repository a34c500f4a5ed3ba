"""Never invent: any text gives an in-range config or a ParseError, and nonsense gives nothing."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desim.errors import ParseError
from desim.llm import LLMProsumerParser, RuleBasedParser
from desim.llm.config import CONFIG_FIELDS
from desim.llm.rules import MAX_TEXT_CHARS
from desim.llm.validate import RANGES

PARSER = RuleBasedParser()
_WORDS = ["battery", "kWh", "kW", "W", "solar", "EV", "Powerwall 2", "Leaf", "%", "-", "minus",
          "1e9", "nan", "inf", "sorry", "no", "x", "neighbour's", ":", "=", "|", "\n", "$",
          "cents", "per", "hours", "backup", "never below", "by", "7:30", "am", "two", "0",
          "-40", "1.5", "99999", "willingness", "both", "n/a", "(", ")", "...", "wait"]


def _check(config):
    for name in CONFIG_FIELDS:
        value = getattr(config, name)
        if isinstance(value, float):
            assert math.isfinite(value) and value >= 0.0, (name, value)
        if name in RANGES and value is not None:
            low, high = RANGES[name]
            assert low <= value <= high, (name, value)


@given(st.text(max_size=300))
def test_any_text_gives_an_in_range_finite_config(text):
    _check(PARSER.parse(text))


@given(st.lists(st.one_of(st.sampled_from(_WORDS),
                          st.floats(allow_nan=True, allow_infinity=True).map(str),
                          st.integers(-10**12, 10**12).map(str)), max_size=40))
def test_any_mix_of_domain_words_and_numbers_gives_an_in_range_config(words):
    _check(PARSER.parse(" ".join(words)))


@given(st.text(max_size=60))
def test_seed_api_raises_only_parse_error(text):
    try:
        config = LLMProsumerParser().text_to_prosumer_config(text)
    except ParseError:
        return
    assert set(config) == set(CONFIG_FIELDS)


@pytest.mark.parametrize("text, field", [
    ("a 1e9 kWh battery", "bess_capacity_kwh"), ("-40 kW solar", "solar_capacity_kw"),
    ("minus 40 kW of solar", "solar_capacity_kw"), ("a nan kWh battery", "bess_capacity_kwh"),
    ("an inf kWh battery", "bess_capacity_kwh"), ("participation_willingness=1.5",
                                                  "participation_willingness"),
    ("battery: -5 kWh", "bess_capacity_kwh"), ("ev count: -1", "ev_count"),
    ("a 500 kWh home battery", "bess_capacity_kwh")])
def test_nonsense_or_negative_numbers_are_refused_with_a_warning_naming_field_and_span(text, field):
    config = PARSER.parse(text)
    assert getattr(config, field) is None
    warning = next(w for w in config.warnings if w.startswith(field))
    number = text.split()[1] if text.startswith(("a ", "an ")) else text.split("=")[-1]
    assert number.lower().split(":")[-1].strip() in warning.lower() or "'" in warning


def test_a_number_is_never_trimmed_into_a_plausible_one():
    assert PARSER.parse("a 1e9 kWh battery").bess_capacity_kwh is None  # not 9
    assert PARSER.parse("-40 kW solar").solar_capacity_kw is None  # not 40


def test_text_over_the_length_limit_is_refused_naming_the_limit():
    text = "We have a 10 kWh battery. " * (500_000 // 26 + 1)
    assert len(text) >= 500_000 > MAX_TEXT_CHARS
    with pytest.raises(ParseError, match=f"at most {MAX_TEXT_CHARS} characters.*length limit"):
        PARSER.parse(text)


def test_text_at_the_length_limit_is_read():
    text = ("We have a 10 kWh battery. " * (MAX_TEXT_CHARS // 26))[:MAX_TEXT_CHARS]
    assert PARSER.parse(text).bess_capacity_kwh == 10.0


def test_provenance_is_one_of_the_documented_values():
    config = PARSER.parse("Battery 10 kWh, sorry, 12 kWh; a Tesla Powerwall 3 inverter; 6 kW PV.")
    assert set(dict(config.provenance).values()) <= {"stated", "corrected", "catalog"}


@pytest.mark.parametrize("unit", ["power wall pwr cell ", "Powerwall 2 x3, Model 3 LR, Leaf, ",
                                  "bcdf ghjk lmnp qrst vwxz "])
def test_long_repetitive_product_like_text_is_read_without_a_traceback(unit):
    text = (unit * (MAX_TEXT_CHARS // len(unit) + 1))[:MAX_TEXT_CHARS]
    _check(PARSER.parse(text))
