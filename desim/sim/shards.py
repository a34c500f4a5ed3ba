"""Very large fleets as shards: run each part on its own, merge the logs into one.

A shard is a slice of the fleet (a feeder, an aggregator's portfolio) with
its own inputs; shards share nothing during a run, so they can run one after
another in this process (here) or as separate tasks. `run_sharded` runs them
and merges their logs into one log in the canonical order
(`desim.sim.log`): prosumer and asset indices are offset by the shards before
them, and event ids (and the cause ids pointing at them) by the ids the
shards before them handed out, so causal links stay intact. The merge goes
time window by time window (`desim.sim.logmerge`): kept as one `EventLog`, or
with ``log_path`` written to Parquet while the merged log is never held whole.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
from attrs import define

from desim.sim.engine import SimInputs, SimResult, run_inputs
from desim.sim.log import EventLog
from desim.sim.logmerge import merged_details, merged_log_ids, merged_windows, write_merged_log

__all__ = ["run_sharded", "merge_logs", "ShardedResult"]


@define
class ShardedResult:
    """A sharded run: the merged log, summed fleet series, per-prosumer totals in
    shard order, settlement rows of every shard (with a ``shard`` column).

    When the merged log was written to a file (``run_sharded(..., log_path=...)``)
    `log` is None, `log_path` names the file and `log_write` holds the figures of
    `desim.sim.logmerge.write_merged_log`.
    """

    log: EventLog | None
    start: pd.Timestamp
    series: pd.DataFrame
    totals: pd.DataFrame
    settlements: pd.DataFrame
    n_shards: int
    log_path: Path | None = None
    log_write: dict | None = None
    thermal: pd.DataFrame | None = None
    water_heaters: pd.DataFrame | None = None


def merge_logs(logs: list[EventLog], consume: bool = False) -> EventLog:
    """One log holding the rows of `logs` (shard order), indices and ids offset.

    The rows are merged window by window (`desim.sim.logmerge.merged_windows`)
    and kept as finished chunks in canonical order. With `consume` the shards'
    rows are let go as they are merged (the logs are left empty).
    """
    merged = EventLog(*merged_log_ids(logs))
    codes, _ = merged_details(logs)
    for text in codes:
        merged.detail_code(text)
    for chunk in merged_windows(logs, consume=consume):
        merged.add_finished(chunk)
    merged._next_id = sum(log.next_event_id for log in logs)
    return merged


def _run_shard(inputs_factory, shard: int, n_shards: int):
    """Run one shard; return its inputs' time base and what the merge needs."""
    inp = inputs_factory(shard, n_shards)
    res = run_inputs(inp)
    # keep what the merge needs; drop the shard's state arrays
    return ((inp.start, inp.interval_h, inp.n_steps),
            SimResult(res.log, res.start, res.series, res.totals, res.settlements, None, None,
                      res.thermal, res.water_heaters))


def run_sharded(inputs_factory: Callable[[int, int], SimInputs], n_shards: int,
                progress=None, executor=None, log_path=None,
                **sink_options) -> ShardedResult:
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
    log_path : str or path-like, optional
        Write the merged log to this Parquet file window by window
        (`desim.sim.logmerge.write_merged_log`) instead of keeping it: the file
        equals ``to_arrow`` of the kept log, and the merged log is never held whole.
    **sink_options
        With `log_path`: passed to `desim.sim.logwriter.ParquetLogSink`.

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
    start = results[0].start
    parts = [r.thermal for r in results if r.thermal is not None]
    thermal = pd.concat(parts, ignore_index=True) if parts else None
    parts = [r.water_heaters for r in results if r.water_heaters is not None]
    whtr = pd.concat(parts, ignore_index=True) if parts else None
    logs = [r.log for r in results]
    del results                     # the merge lets each shard's rows go once merged
    if log_path is None:
        return ShardedResult(merge_logs(logs, consume=True), start, series, totals,
                             settlements, n_shards, thermal=thermal, water_heaters=whtr)
    stats = write_merged_log(logs, log_path, start, consume=True, **sink_options)
    return ShardedResult(None, start, series, totals, settlements, n_shards,
                         log_path=Path(log_path), log_write=stats, thermal=thermal,
                         water_heaters=whtr)
