"""A program baseline (CAISO-style 10-in-10) beside the counterfactual truth."""

import numpy as np
import pandas as pd
import pytest
from helpers import events, make_fleet, make_inputs

from desim.errors import DesimWarning, ScenarioError
from desim.sim import settlement as stl
from desim.sim.engine import Engine


def _run(days, start_h, baseline="caiso_10in10"):
    fleet = make_fleet(6, rng=np.random.default_rng(2), v2g=True)
    rows = (("e", start_h, 3.0, 15.0, -1, 600.0),)
    kw = dict(days=days, seed=2, ev_policy="smart", bess_policy="follow_dispatch",
              events=events(*rows), baseline=baseline)
    cf_inp = make_inputs(fleet, **kw)
    cf_inp.dispatch_enabled = False
    cf = Engine(cf_inp)
    cf.run()
    inp = make_inputs(fleet, **kw)
    inp.baseline_net_kwh = cf.net_snapshots
    return Engine(inp).run()


def test_caiso_10in10_pays_against_like_days_and_reports_its_error_against_the_truth():
    res = _run(days=16, start_h=14 * 24 + 17.0)     # a Wednesday after two weeks
    row = res.settlements.iloc[0]
    assert row["baseline"] == "caiso_10in10"
    assert np.isfinite(row["delivered_vs_counterfactual_kwh"])
    assert row["baseline_error_kwh"] == pytest.approx(
        row["settled_kwh"] - row["delivered_vs_counterfactual_kwh"])
    truth = _run(days=16, start_h=14 * 24 + 17.0, baseline="counterfactual").settlements
    assert truth.iloc[0]["delivered_vs_counterfactual_kwh"] == pytest.approx(
        row["delivered_vs_counterfactual_kwh"])


def test_like_days_are_earlier_days_of_the_same_kind_at_the_same_local_clock():
    start = pd.Timestamp("2026-03-01T00:00", tz="America/Los_Angeles")   # a Sunday
    # an event on Monday 16 March at 17:00 local, after the DST change of 8 March
    t0 = (pd.Timestamp("2026-03-16T17:00", tz="America/Los_Angeles") - start) / pd.Timedelta(
        hours=1)
    (w,) = stl.event_windows([t0], [t0 + 3], 0.25, 24 * 4 * 20, 3.0)
    offsets = stl.program_days(start, w, 0.25)
    assert len(offsets) == 10
    for k in offsets:
        day = start + pd.Timedelta(hours=(w.start - k) * 0.25)
        assert day.day_of_week < 5 and (day.hour, day.minute) == (17, 0)


def test_caiso_10in10_without_a_like_day_before_the_event_is_a_clear_error():
    with pytest.raises(ScenarioError, match="like day"):
        _run(days=1, start_h=17.0)


def test_caiso_10in10_without_a_like_day_fails_before_the_run_not_after_it():
    # the engine is refused when it is built, before anything is simulated; its
    # counterfactual run settles nothing and is built as usual
    fleet = make_fleet(6, rng=np.random.default_rng(2), v2g=True)
    inp = make_inputs(fleet, days=1, seed=2, events=events(("e", 17.0, 3.0, 15.0, -1, 600.0)),
                      baseline="caiso_10in10")
    with pytest.raises(ScenarioError, match="like day before event 'e'"):
        Engine(inp)
    inp.dispatch_enabled = False
    Engine(inp)


def test_caiso_10in10_with_fewer_like_days_warns_how_many():
    start_h = 4 * 24 + 17.0
    with pytest.warns(DesimWarning, match=r"event 'e' has (\d+) like days? before it, not 10"
                      ) as record:
        res = _run(days=5, start_h=start_h)
    fleet = make_fleet(6, rng=np.random.default_rng(2), v2g=True)
    inp = make_inputs(fleet, days=5, seed=2, events=events(("e", start_h, 3.0, 15.0, -1, 600.0)),
                      baseline="caiso_10in10")
    (w,) = stl.event_windows(inp.events.start_h, inp.events.end_h, inp.interval_h, inp.n_steps,
                             inp.rebound_h)
    n_like = len(stl.program_days(inp.start, w, inp.interval_h))
    assert 0 < n_like < stl.LIKE_DAYS
    assert f"has {n_like} like day" in str(record[0].message)
    assert res.settlements.iloc[0]["baseline"] == "caiso_10in10"
    # the settlement says how many like days its baseline averaged
    assert res.settlements.iloc[0]["like_days"] == n_like


def test_the_settlement_reports_the_like_days_its_baseline_averaged():
    full = _run(days=16, start_h=14 * 24 + 17.0).settlements.iloc[0]
    assert full["like_days"] == stl.LIKE_DAYS
    # against the counterfactual no like day is averaged: the count is null, not 0
    truth = _run(days=16, start_h=14 * 24 + 17.0, baseline="counterfactual").settlements
    assert np.isnan(truth.iloc[0]["like_days"])


@pytest.mark.parametrize(("counts", "n_errors", "n_warnings"), [
    ([10, 10], 0, 0), ([0], 1, 0), ([3, 0, 10, 1], 1, 2)])
def test_like_day_problems_are_an_error_for_none_and_a_warning_for_fewer_than_ten(
        counts, n_errors, n_warnings):
    errors, warnings = stl.like_day_problems([list(range(1, c + 1)) for c in counts],
                                             [f"ev{i}" for i in range(len(counts))])
    assert (len(errors), len(warnings)) == (n_errors, n_warnings)
    for i, c in enumerate(counts):
        named = [m for m in errors + warnings if f"'ev{i}'" in m]
        assert len(named) == (c < stl.LIKE_DAYS)
        if named and c:
            assert f"has {c} like day" in named[0]
