"""The fleet engine gives the log and states of one process per asset."""

import numpy as np
import pytest
from helpers import make_fleet, make_inputs, recorded
from hypothesis import given, settings
from hypothesis import strategies as st

from desim.sim.engine import run_inputs
from desim.sim.reference import run_reference

ASSET_KINDS = {"ev_arrival", "ev_plugged_in", "ev_target_reached", "ev_departure",
               "bess_full", "bess_empty"}


def _fleet_rows(result, inp):
    df = result.log.to_pandas(inp.start)
    df = df[df["kind"].isin(ASSET_KINDS)]
    return df


def _compare(inp_a, inp_b):
    result = run_inputs(inp_a)
    ref_rows, ref_final = run_reference(inp_b)
    df = _fleet_rows(result, inp_a)
    got = list(zip(df["kind"].astype(str), df["prosumer_id"].astype(str),
                   df["asset_type"].astype(str), strict=True))
    want = [(k, inp_a.fleet.prosumer_id[p], a) for _, k, p, a, _, _ in ref_rows]
    assert got == want
    np.testing.assert_allclose(df["t_h"].to_numpy(), [r[0] for r in ref_rows],
                               rtol=0, atol=1e-9)
    np.testing.assert_allclose(df["soc_percent"].to_numpy(), [r[5] * 100 for r in ref_rows],
                               rtol=0, atol=1e-7)
    for (kind, i), soc in ref_final.items():
        state = result.ev if kind == "ev" else result.bess
        assert state.soc[i] == pytest.approx(soc, abs=1e-9)
    return df


def test_fleet_engine_equals_one_process_per_asset_over_three_days():
    fleet = make_fleet(12, rng=np.random.default_rng(3))
    df = _compare(make_inputs(fleet, days=3, seed=5), make_inputs(fleet, days=3, seed=5))
    assert {"ev_departure", "ev_target_reached", "bess_full", "bess_empty"} <= set(df["kind"])


@settings(max_examples=25)
@given(st.integers(0, 2**31 - 1), st.integers(1, 6), st.sampled_from([5, 15, 30, 60]))
def test_fleet_engine_equals_reference_on_random_fleets(seed, n_homes, interval_min):
    fleet = make_fleet(n_homes, rng=np.random.default_rng(seed))
    _compare(make_inputs(fleet, days=2, seed=seed, interval_min=interval_min),
             make_inputs(fleet, days=2, seed=seed, interval_min=interval_min))


def test_recorded_sessions_with_several_events_inside_one_interval():
    fleet = make_fleet(2, with_bess=False, with_pv=False)
    sess = dict(ev_index=[0, 0, 0, 1], arrival_h=[0.01, 0.2, 1.0, 0.05],
                departure_h=[0.1, 0.24, 5.0, 0.07], arrival_soc=[0.5, 0.5, 0.2, 0.79],
                target_soc=[0.9, 0.51, 0.9, 0.8])
    df = _compare(make_inputs(fleet, days=1, sessions=recorded(**sess), interval_min=60),
                  make_inputs(fleet, days=1, sessions=recorded(**sess), interval_min=60))
    assert (df["kind"] == "ev_departure").sum() == 4
