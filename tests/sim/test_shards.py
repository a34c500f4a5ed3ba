"""Sharded runs merge into one log in canonical order with links intact."""

import numpy as np
import pandas as pd
from helpers import events, make_fleet, make_inputs

from desim.fleet.table import FleetTable
from desim.sim.engine import run_inputs
from desim.sim.shards import run_sharded


def _fleet(shard):
    f = make_fleet(5, rng=np.random.default_rng(shard))
    f.prosumer_id = np.array([f"s{shard}-{p}" for p in f.prosumer_id], dtype=object)
    f.ev_id = np.array([f"s{shard}-{e}" for e in f.ev_id], dtype=object)
    return f


def _inputs(shard, n_shards):
    return make_inputs(_fleet(shard), days=2, seed=shard + 1,
                       events=events(("dr", 17.0, 3.0, 4.0, -1, 300.0)))


def test_merged_log_holds_every_shard_row_in_canonical_order():
    merged = run_sharded(_inputs, 3)
    alone = [run_inputs(_inputs(s, 3)) for s in range(3)]
    start = alone[0].start
    df = merged.log.to_pandas(start)
    assert len(df) == sum(r.log.n_rows for r in alone)
    assert df["event_id"].is_unique
    assert (np.diff(df["t_h"].to_numpy()) >= 0).all()
    # every shard's asset rows are there with their own ids
    for s, r in enumerate(alone):
        own = r.log.to_pandas(start)
        mine = df[df["prosumer_id"].astype(str).str.startswith(f"s{s}-")]
        assert list(mine["kind"].astype(str)) == list(
            own[own["prosumer_id"].astype(str) != ""]["kind"].astype(str))
        np.testing.assert_array_equal(mine["t_h"].to_numpy(),
                                      own[own["prosumer_id"].astype(str) != ""]["t_h"])


def test_cause_links_point_at_rows_of_the_same_shard():
    merged = run_sharded(_inputs, 2)
    df = merged.log.to_pandas(merged.start).set_index("event_id")
    linked = df[df["cause_id"] >= 0]
    assert len(linked) > 0
    causes = df.loc[linked["cause_id"]]
    assert set(causes["kind"].astype(str)) <= {"dispatch_start", "award", "setpoint"}


def test_fleet_series_of_a_sharded_run_is_the_sum_of_the_shards():
    merged = run_sharded(_inputs, 2)
    parts = [run_inputs(_inputs(s, 2)).series for s in range(2)]
    np.testing.assert_allclose(merged.series["import_kw"],
                               parts[0]["import_kw"] + parts[1]["import_kw"])
    assert len(merged.totals) == 10
    assert isinstance(_fleet(0), FleetTable)


def test_merged_log_is_the_canonical_sort_of_every_shard_row_with_ids_offset():
    from desim.sim.log import ASSET_TYPES, KINDS

    merged = run_sharded(_inputs, 3)
    got = merged.log.to_pandas(merged.start)
    parts, id_off = [], 0
    for s in range(3):
        res = run_inputs(_inputs(s, 3))          # each log was flushed day by day
        df = res.log.to_pandas(res.start)
        df["event_id"] += id_off
        df["cause_id"] = df["cause_id"].where(df["cause_id"] < 0, df["cause_id"] + id_off)
        parts.append(df)
        id_off += res.log._next_id
    want = pd.concat(parts, ignore_index=True)
    prosumer = {p: i for i, p in enumerate(merged.log.prosumer_ids)}
    asset = {(t, a): i for t in ("ev", "bess", "pv")
             for i, a in enumerate(merged.log.asset_ids[t])}
    key = pd.DataFrame({
        "t": want["t_h"], "kind": want["kind"].astype(str).map(KINDS.index),
        "p": want["prosumer_id"].astype(str).map(lambda p: prosumer.get(p, -1)),
        "type": want["asset_type"].astype(str).map(ASSET_TYPES.index),
        "a": [asset.get((t, a), -1) for t, a in zip(want["asset_type"].astype(str),
                                                     want["asset_id"].astype(str), strict=True)],
        "id": want["event_id"]})
    want = want.iloc[key.sort_values(list(key.columns), kind="stable").index]
    assert got["event_id"].tolist() == want["event_id"].tolist()
    assert got["cause_id"].tolist() == want["cause_id"].tolist()
    assert got["asset_id"].astype(str).tolist() == want["asset_id"].astype(str).tolist()


def test_shards_as_separate_tasks_give_the_same_merged_log_and_totals():
    from concurrent.futures import ThreadPoolExecutor

    here = run_sharded(_inputs, 3)
    with ThreadPoolExecutor(2) as pool:
        tasks = run_sharded(_inputs, 3, executor=pool)
    start = here.start
    pd.testing.assert_frame_equal(here.log.to_pandas(start), tasks.log.to_pandas(start))
    pd.testing.assert_frame_equal(here.totals, tasks.totals)
    pd.testing.assert_frame_equal(here.series, tasks.series)


def test_shards_on_a_two_worker_dask_cluster_give_the_same_merged_log():
    distributed = __import__("pytest").importorskip("distributed")
    here = run_sharded(_inputs, 2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        there = run_sharded(_inputs, 2, executor=client.get_executor())
    pd.testing.assert_frame_equal(here.log.to_pandas(here.start),
                                  there.log.to_pandas(here.start))
    pd.testing.assert_frame_equal(here.totals, there.totals)


def test_sharded_run_writing_its_log_gives_the_file_of_the_kept_merged_log(tmp_path):
    import pyarrow.parquet as pq

    kept = run_sharded(_inputs, 3)
    written = run_sharded(_inputs, 3, log_path=tmp_path / "events.parquet",
                          row_group_rows=100)
    assert written.log is None
    assert written.log_write["rows"] == kept.log.n_rows
    assert written.log_write["row_groups"] > 1
    got = pq.read_table(written.log_path).to_pandas()
    want = kept.log.to_pandas(kept.start)
    for col in ("kind", "prosumer_id", "asset_id", "asset_type", "detail"):
        got[col], want[col] = got[col].astype(str), want[col].astype(str)
    pd.testing.assert_frame_equal(got, want)
    pd.testing.assert_frame_equal(written.totals, kept.totals)
