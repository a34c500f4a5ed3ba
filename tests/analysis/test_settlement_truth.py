"""Settlement against the truth: what is paid beside what was delivered."""

from pathlib import Path

import numpy as np
import pytest

import desim
from desim.analysis.metrics import summarize

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def evening_peak():
    out = desim.run(str(ROOT / "scenarios" / "evening_peak.toml"))
    return out, summarize(out)


def test_evening_peak_pays_for_what_the_fleet_delivered_against_its_counterfactual(
        evening_peak):
    out, summary = evening_peak
    (event,) = summary["dispatch"]
    assert event["baseline"] == "counterfactual"
    assert event["delivered_vs_counterfactual_kwh"] > 0
    assert event["settled_kwh"] == pytest.approx(event["delivered_vs_counterfactual_kwh"],
                                                 rel=0.05)
    assert event["rebound_kwh"] is not None


def test_series_delivery_and_summary_delivery_mean_the_same(evening_peak):
    out, summary = evening_peak
    (event,) = summary["dispatch"]
    s = out.result.series
    dt = out.inputs.interval_h
    assert float(s["delivered_kw"].sum() * dt) == pytest.approx(
        event["delivered_vs_counterfactual_kwh"], rel=1e-9)
    # the counterfactual's net import minus the run's, read independently of the engine
    cf = out.counterfactual.series
    inside = (s["t_h"] >= event["start_h"]) & (s["t_h"] < event["end_h"])
    diff = (cf["import_kw"] - cf["export_kw"] - s["import_kw"] + s["export_kw"])[inside]
    assert float(diff.sum() * dt) == pytest.approx(event["delivered_vs_counterfactual_kwh"],
                                                   rel=1e-9)


def test_battery_totals_are_gross_battery_by_battery(evening_peak):
    out, summary = evening_peak
    tot = out.result.totals
    assert summary["energy"]["bess_charged_kwh"] == pytest.approx(
        float(tot["bess_charged_kwh"].sum()))
    net_by_interval = np.clip(out.result.series["bess_kw"].to_numpy(), 0, None).sum() \
        * out.inputs.interval_h
    assert summary["energy"]["bess_charged_kwh"] >= net_by_interval - 1e-6
