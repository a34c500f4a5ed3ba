"""The large-fleet memory policy: numpy's huge-page advice off inside a large run,
restored after, a user's explicit setting left alone, results unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_fleet, make_inputs

from desim.sim import memory
from desim.sim.engine import Engine

pytestmark = pytest.mark.skipif(memory.huge_page_advice() is None,
                                reason="numpy without the huge-page advice switch")


@pytest.fixture
def advice_on():
    before = memory._set(True)
    yield
    memory._set(before)


def test_a_large_fleet_runs_without_the_advice_and_restores_it(advice_on, monkeypatch):
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    with memory.fresh_memory_policy(memory.LARGE_FLEET_PROSUMERS) as inside:
        assert inside is False and memory.huge_page_advice() is False
    assert memory.huge_page_advice() is True
    with pytest.raises(RuntimeError), memory.fresh_memory_policy(10**7):
        raise RuntimeError("a failed run")
    assert memory.huge_page_advice() is True


def test_a_small_fleet_and_an_explicit_setting_are_left_alone(advice_on, monkeypatch):
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    with memory.fresh_memory_policy(memory.LARGE_FLEET_PROSUMERS - 1) as inside:
        assert inside is True
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    with memory.fresh_memory_policy(10**7) as inside:
        assert inside is True and memory.huge_page_advice() is True


def test_the_policy_does_not_change_a_run(advice_on, monkeypatch):
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    fleet = make_fleet(6, v2g=True)
    plain = Engine(make_inputs(fleet, days=1)).run()
    monkeypatch.setattr(memory, "LARGE_FLEET_PROSUMERS", 1)
    seen = []
    real = memory._set
    monkeypatch.setattr(memory, "_set", lambda on: seen.append(on) or real(on))
    policed = Engine(make_inputs(fleet, days=1)).run()
    assert seen and seen[0] is False           # the run went without the advice
    assert memory.huge_page_advice() is True
    np.testing.assert_array_equal(plain.totals.drop(columns="prosumer_id").to_numpy(),
                                  policed.totals.drop(columns="prosumer_id").to_numpy())
    assert plain.log.n_rows == policed.log.n_rows
