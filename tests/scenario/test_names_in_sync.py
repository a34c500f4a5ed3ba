"""Names the scenario schema accepts match what the layers below provide."""

from desim.profiles import list_tariffs
from desim.scenario import schema
from desim.sim.log import KINDS
from desim.sim.policies import BESS_POLICIES, EV_POLICIES


def test_event_kinds_match_the_engine_log():
    assert set(schema.EVENT_KINDS) == set(KINDS)


def test_policy_names_match_the_engine():
    assert set(schema.EV_POLICIES) == set(EV_POLICIES)
    assert set(schema.BESS_POLICIES) == set(BESS_POLICIES)


def test_every_built_in_tariff_is_a_valid_price_source():
    assert set(list_tariffs()) <= set(schema.PRICE_SOURCES)
