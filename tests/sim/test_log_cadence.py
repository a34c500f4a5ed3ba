"""The log's chunk cadence and the EV lookahead are sized by the rows a day brings,
thermal units' switches included, and the result does not depend on either."""

from unittest import mock

import numpy as np
import pandas as pd
from attrs import evolve

from desim import profiles
from desim.bench.scenario import SITE, bench_inputs
from desim.bench.thermal import THERMAL_START, bench_hvac_table
from desim.sim import engine as engine_mod
from desim.sim.engine import Engine


def _inputs(n_homes: int, days: int, with_units: bool):
    inp = bench_inputs(n_homes, days, seed=2, start=THERMAL_START)
    if not with_units:
        return inp
    times = profiles.make_times(inp.start, inp.n_steps, inp.interval_h * 60, SITE.time_zone)
    return evolve(inp, hvac=bench_hvac_table(n_homes, np.random.SeedSequence([2, 7])),
                  outdoor_c=profiles.outdoor_temperature_c("california_summer", times))


def test_thermal_units_count_towards_the_rows_a_chunk_is_sized_by():
    # with chunks of 400 rows, 100 homes (about 400 rows a day) flush once a day; with
    # an air conditioner each (about 800 more), every eight hours
    with mock.patch.object(engine_mod, "_FLUSH_ROWS", 400), \
            mock.patch.object(engine_mod, "_LOOKAHEAD_ROWS", 400):
        plain = Engine(_inputs(100, 1, with_units=False))
        cooled = Engine(_inputs(100, 1, with_units=True))
    assert plain.flush_every == 96
    assert cooled.flush_every == 32
    assert cooled.ev_lookahead_h == 8.0 < plain.ev_lookahead_h


def test_the_log_does_not_depend_on_the_chunk_cadence_with_thermal_units():
    def run():
        res = Engine(_inputs(60, 2, with_units=True)).run()
        return res.log.to_arrow(res.start).to_pandas(), res.totals

    log_a, totals_a = run()
    with mock.patch.object(engine_mod, "_FLUSH_ROWS", 300):
        log_b, totals_b = run()
    assert (log_a["kind"] == "hvac_on").sum() > 0
    pd.testing.assert_frame_equal(log_a, log_b)
    pd.testing.assert_frame_equal(totals_a, totals_b)


def test_the_lookahead_changes_only_the_event_id_numbers():
    def run():
        res = Engine(_inputs(60, 2, with_units=True)).run()
        return res.log.to_arrow(res.start).to_pandas(), res.totals

    def cause_links(df):
        by_id = df.set_index("event_id")
        caused = df[df["cause_id"] >= 0]
        cause = by_id.loc[caused["cause_id"]]
        return pd.DataFrame({"t_h": caused["t_h"].to_numpy(), "kind": caused["kind"].to_numpy(),
                             "cause_t_h": cause["t_h"].to_numpy(),
                             "cause_kind": cause["kind"].to_numpy()})

    log_a, totals_a = run()
    with mock.patch.object(engine_mod, "_LOOKAHEAD_ROWS", 300):
        log_b, totals_b = run()
    assert not log_a["event_id"].equals(log_b["event_id"])    # EV rows recorded earlier
    same = [c for c in log_a.columns if c not in ("event_id", "cause_id")]
    pd.testing.assert_frame_equal(log_a[same], log_b[same])
    pd.testing.assert_frame_equal(cause_links(log_a), cause_links(log_b))
    pd.testing.assert_frame_equal(totals_a, totals_b)
