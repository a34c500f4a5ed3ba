"""Very large fleets as shards: run each part on its own, merge the logs into one.

A shard is a slice of the fleet (a feeder, an aggregator's portfolio) with
its own inputs; shards share nothing during a run, so they can run one after
another in this process (here) or as separate tasks. `run_sharded` runs them
and merges their logs into one log in the canonical order
(`desim.sim.log`): prosumer and asset indices are offset by the shards before
them, and event ids (and the cause ids pointing at them) by the rows before
them, so causal links stay intact.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from attrs import define

from desim.sim.engine import SimInputs, SimResult, run_inputs
from desim.sim.log import ASSET_TYPES, EventLog

__all__ = ["run_sharded", "merge_logs", "ShardedResult"]

_ASSET_KEYS = {ASSET_TYPES.index(k): k for k in ("ev", "bess", "pv")}


@define
class ShardedResult:
    """A sharded run: the merged log, summed fleet series, per-prosumer totals in
    shard order, settlement rows of every shard (with a ``shard`` column)."""

    log: EventLog
    start: pd.Timestamp
    series: pd.DataFrame
    totals: pd.DataFrame
    settlements: pd.DataFrame
    n_shards: int


def merge_logs(logs: list[EventLog]) -> EventLog:
    """One log holding the rows of `logs` (shard order), indices and ids offset."""
    merged = EventLog(
        np.concatenate([log.prosumer_ids for log in logs]) if logs else [],
        {key: np.concatenate([log.asset_ids.get(key, np.zeros(0, dtype=object))
                              for log in logs])
         for key in ("ev", "bess", "pv")})
    p_off, id_off = 0, 0
    a_off = np.zeros(len(ASSET_TYPES), dtype=np.int64)
    for log in logs:
        recode = np.array([merged.detail_code(d) for d in log.detail_names()], dtype=np.int32)
        for chunk in log.chunks():
            b = dict(chunk)
            b["event_id"] = chunk["event_id"] + id_off
            cause = chunk["cause_id"]
            b["cause_id"] = np.where(cause >= 0, cause + id_off, -1)
            p_idx = chunk["prosumer_index"]
            b["prosumer_index"] = np.where(p_idx >= 0, p_idx + p_off, -1)
            a_idx = chunk["asset_index"]
            b["asset_index"] = np.where(a_idx >= 0, a_idx + a_off[chunk["asset_type"]], -1)
            b["detail"] = recode[chunk["detail"]]
            merged.add_rows(b)
        p_off += len(log.prosumer_ids)
        for code, key in _ASSET_KEYS.items():
            a_off[code] += len(log.asset_ids.get(key, ()))
        id_off += log._next_id
    merged._next_id = id_off
    return merged


def _run_shard(inputs_factory, shard: int, n_shards: int):
    """Run one shard; return its inputs' time base and what the merge needs."""
    inp = inputs_factory(shard, n_shards)
    res = run_inputs(inp)
    # keep what the merge needs; drop the shard's state arrays
    return ((inp.start, inp.interval_h, inp.n_steps),
            SimResult(res.log, res.start, res.series, res.totals, res.settlements, None, None))


def run_sharded(inputs_factory: Callable[[int, int], SimInputs], n_shards: int,
                progress=None, executor=None) -> ShardedResult:
    """Run `n_shards` shards, one after another here or as tasks of `executor`, and merge them.

    Parameters
    ----------
    inputs_factory : callable
        ``inputs_factory(shard, n_shards) -> SimInputs`` for shard ``0 .. n_shards-1``;
        every shard must share the start, interval and number of steps. With an
        executor that runs tasks in other processes it must pickle (Dask pickles
        closures; `concurrent.futures.ProcessPoolExecutor` needs a module-level
        callable).
    n_shards : int
        Number of shards (>= 1).
    progress : callable, optional
        Called with the fraction of shards done (0-1).
    executor : concurrent.futures.Executor, optional
        Runs the shards as separate tasks, e.g. a Dask cluster's
        ``client.get_executor()`` or a ``ProcessPoolExecutor``; None runs them here,
        one after another. The merged result is the same either way.

    Returns
    -------
    ShardedResult
    """
    if n_shards < 1:
        raise ValueError(f"n_shards: expected >= 1, got {n_shards}")
    results: list[SimResult] = []
    first = None
    if executor is None:
        outs = (_run_shard(inputs_factory, s, n_shards) for s in range(n_shards))
    else:
        outs = executor.map(_run_shard, [inputs_factory] * n_shards, range(n_shards),
                            [n_shards] * n_shards)
    for s, (key, res) in enumerate(outs):
        if first is None:
            first = key
        elif key != first:
            raise RuntimeError(f"shard {s}: start, interval or steps differ from shard 0")
        results.append(res)
        if progress is not None:
            progress((s + 1) / n_shards)
    series = results[0].series.copy()
    value_cols = [c for c in series.columns if c not in ("t_h", "timestamp",
                                                         "price_usd_per_kwh")]
    for r in results[1:]:
        series[value_cols] += r.series[value_cols].to_numpy()
    totals = pd.concat([r.totals for r in results], ignore_index=True)
    settlements = pd.concat([r.settlements.assign(shard=s) for s, r in enumerate(results)],
                            ignore_index=True)
    return ShardedResult(merge_logs([r.log for r in results]), results[0].start, series,
                         totals, settlements, n_shards)
