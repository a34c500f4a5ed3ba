"""Recorded sessions from the shipped CSV, replayed under uncontrolled charging."""

from pathlib import Path

import attrs
import numpy as np
import pandas as pd
import pytest

from desim.errors import ScenarioError
from desim.scenario import load_scenario
from desim.sim.engine import run_inputs
from desim.sim.run import build_inputs, replay_fleet
from desim.sim.sessions import read_sessions_csv

ROOT = Path(__file__).resolve().parents[2]


def _per_session_delivery(scenario_file):
    sc = load_scenario(ROOT / "scenarios" / scenario_file)
    sc = attrs.evolve(sc, control=attrs.evolve(sc.control, ev_policy="uncontrolled"))
    inp = build_inputs(sc)
    log = run_inputs(inp).log.to_pandas(inp.start)
    rows = log[log["kind"].isin(["ev_arrival", "ev_departure"])]
    cap = dict(zip(inp.fleet.ev_id, inp.fleet.ev_capacity_kwh, strict=True))
    out = []
    for ev_id, g in rows.groupby("asset_id", observed=True):
        g = g.sort_values(["t_h", "kind"], ascending=[True, False])
        arr = g[g["kind"] == "ev_arrival"]
        dep = g[g["kind"] == "ev_departure"]
        for (_, a), (_, d) in zip(arr.iterrows(), dep.iterrows(), strict=True):
            out.append({"ev_id": str(ev_id), "arrival_h": a["t_h"], "departure_h": d["t_h"],
                        "delivered_kwh": (d["soc_percent"] - a["soc_percent"]) / 100
                        * cap[str(ev_id)]})
    return sc, pd.DataFrame(out)


def test_csv_sessions_deliver_min_of_request_and_power_times_connected_time():
    sc, got = _per_session_delivery("session_replay.toml")
    sessions = read_sessions_csv(ROOT / "scenarios" / "data" / "sessions.csv", sc.start)
    merged = sessions.merge(got, on=["ev_id", "arrival_h", "departure_h"], how="inner")
    assert len(merged) == len(sessions) >= 40
    expected = np.minimum(merged["kwh_requested"],
                          merged["max_kw"] * (merged["departure_h"] - merged["arrival_h"]))
    np.testing.assert_allclose(merged["delivered_kwh"], expected, rtol=5e-3)
    assert (merged["delivered_kwh"] < merged["kwh_requested"] - 1e-6).any()  # some are capped


def test_acn_sessions_deliver_what_was_delivered_in_the_data():
    sc, got = _per_session_delivery("acn_replay.toml")
    assert len(got) == 10
    assert (got["delivered_kwh"] > 0).all()


def test_overlapping_sessions_of_one_vehicle_are_refused():
    frame = pd.DataFrame({"ev_id": ["a", "a"], "arrival_h": [1.0, 2.0],
                          "departure_h": [3.0, 4.0], "kwh_requested": [5.0, 5.0],
                          "max_kw": [7.0, 7.0]})
    with pytest.raises(ScenarioError, match="overlap"):
        replay_fleet(frame)
