"""The site limit holds at every instant, read from the event log alone."""

from pathlib import Path

import attrs
import numpy as np
import pandas as pd
import pytest
from helpers import make_fleet, make_inputs, recorded
from hypothesis import given, settings
from hypothesis import strategies as st

from desim.analysis.series import ev_power_kw
from desim.scenario import load_scenario
from desim.sim.engine import run_inputs
from desim.sim.run import build_inputs

ROOT = Path(__file__).resolve().parents[2]
POWER_KINDS = ("ev_plugged_in", "setpoint", "clip", "ev_target_reached", "ev_departure",
               "ev_v2g_floor")


def peak_ev_kw(log: pd.DataFrame) -> float:
    """Largest total EV charging power at any instant: each row sets its EV's power;
    rows at one instant are applied together before the total is read."""
    rows = log[log["kind"].isin(POWER_KINDS) & (log["asset_type"] == "ev")]
    power: dict[str, float] = {}
    peak = 0.0
    for _, g in rows.groupby("t_h", sort=True):
        for asset, p in zip(g["asset_id"].astype(str), g["power_kw"], strict=True):
            power[asset] = 0.0 if np.isnan(p) else float(p)
        peak = max(peak, sum(v for v in power.values() if v > 0))
    return peak


@pytest.mark.parametrize("name", ["session_replay", "acn_replay", "ev_departure_stress"])
def test_smart_never_exceeds_the_shipped_scenarios_site_limit(name):
    sc = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    inp = build_inputs(sc)
    res = run_inputs(inp)
    log = res.log.to_pandas(inp.start)
    limit = sc.control.site_limit_kw
    assert peak_ev_kw(log) <= limit + 1e-6
    # the log's EV power is the meter's
    binned = ev_power_kw(log, inp.horizon_h, inp.interval_h)["ev_kw"].to_numpy()
    np.testing.assert_allclose(binned, res.series["ev_kw"].to_numpy(), atol=1e-6)
    assert (log["kind"] == "site_limit_exceeded").sum() == 0


def test_uncontrolled_ignores_the_limit_and_logs_every_instant_it_is_exceeded():
    sc = load_scenario(ROOT / "scenarios" / "session_replay.toml")
    sc = attrs.evolve(sc, control=attrs.evolve(sc.control, ev_policy="uncontrolled"))
    inp = build_inputs(sc)
    log = run_inputs(inp).log.to_pandas(inp.start)
    rows = log[log["kind"] == "site_limit_exceeded"]
    assert len(rows) > 0 and (rows["power_kw"] > sc.control.site_limit_kw).all()
    assert peak_ev_kw(log) == pytest.approx(rows["power_kw"].max())


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(2, 12), st.floats(5.0, 40.0),
       st.sampled_from(["edf", "llf"]), st.booleans())
def test_plug_ins_between_boundaries_get_only_the_headroom_left(seed, n, limit, order,
                                                                 guard):
    rng = np.random.default_rng(seed)
    fleet = make_fleet(n, rng=rng, with_bess=False, with_pv=False)
    arr = rng.uniform(0.0, 10.0, n)
    sess = recorded(ev_index=np.arange(n), arrival_h=arr,
                    departure_h=arr + rng.uniform(1.0, 12.0, n),
                    arrival_soc=rng.uniform(0.1, 0.6, n), target_soc=rng.uniform(0.6, 1.0, n))
    inp = make_inputs(fleet, days=1, sessions=sess, ev_policy="smart", site_limit_kw=limit,
                      departure_guard=guard, interval_min=60)
    if order == "llf":
        from desim.sim.policies import Smart
        inp.ev_policy = Smart("llf")
    log = run_inputs(inp).log.to_pandas(inp.start)
    assert peak_ev_kw(log) <= limit + 1e-6
    dep = log[log["kind"] == "ev_departure"]
    if guard:
        ok = dep["detail"].astype(str) == "feasible_at_plugin"
        assert (dep.loc[ok, "shortfall_kwh"] <= 1e-6).all()
