"""One shard of a sharded run, run where it is sent: a small task in, summaries out.

The task carries the scenario (a few kilobytes), the shard's number, the
number of shards and the folder of the partitioned log. The shard builds its
inputs (`desim.sim.shardslice.shard_inputs`), runs (with its counterfactual
first when there are dispatch events) and streams its log to
``<events>/shard=<s>/part-0.parquet`` from where it runs
(`desim.sim.logwriter.ParquetLogSink`). It returns only what the client
combines: series, per-home totals, settlements, departure rows and counts,
never the log. `run_shard_safely` turns any error into a ``failed`` result
naming the shard, so one failing shard never sinks the others.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

import numpy as np

__all__ = ["run_shard", "run_shard_safely", "part_path", "PART_NAME"]

PART_NAME = "part-0.parquet"
_DEPARTURE_COLUMNS = ["t_h", "kind", "prosumer_id", "asset_id", "soc_percent",
                      "required_soc_percent", "shortfall_kwh", "detail"]
# The counterfactual's log is never written: keep one kind it cannot produce (no dispatch).
_CF_KINDS = ("settlement",)


def part_path(events_dir, shard: int) -> Path:
    """Where shard `shard` writes its part of the log."""
    return Path(events_dir) / f"shard={shard}" / PART_NAME


def _departures(path: Path):
    """Departure rows and the number of clips of a written part."""
    import pyarrow.dataset as ds

    from desim.analysis.metrics import departures

    table = ds.dataset(path, format="parquet").to_table(
        columns=_DEPARTURE_COLUMNS, filter=ds.field("kind").isin(["ev_departure", "clip"]))
    frame = table.to_pandas()
    kind = frame["kind"].astype(str)
    return departures(frame[kind == "ev_departure"]), int((kind == "clip").sum())


def run_shard(task: dict, progress=None) -> dict:
    """Run shard ``task["shard"]`` of ``task["n_shards"]``; see the module docstring.

    Parameters
    ----------
    task : dict
        ``scenario`` (a `Scenario`), ``shard``, ``n_shards``, ``events_dir`` (the
        partitioned log's folder, reachable from where the task runs),
        ``counterfactual`` (None: when there are dispatch events) and ``parser``.
    progress : callable, optional
        Called with this shard's fraction done (0-1); in-process runs only.

    Returns
    -------
    dict
        ``status`` "ok", the shard's homes ``lo``/``hi``, ``series``,
        ``cf_series`` (or None), ``totals``, ``settlements``, ``departures``,
        ``clips``, ``log_rows``, ``counts``, ``profile``, ``info``, ``resolved``,
        ``target_share``, ``event_id_base``, ``part``, ``run_s``.
    """
    from desim.sim.engine import Engine
    from desim.sim.logwriter import ParquetLogSink
    from desim.sim.run import _delivered_series, build_inputs
    from desim.sim.shardslice import shard_bounds, shard_inputs

    t0 = time.perf_counter()
    scenario, s, k = task["scenario"], int(task["shard"]), int(task["n_shards"])
    parser = task.get("parser")
    resolved: dict = {}
    whole = build_inputs(scenario, parser=parser, resolved=resolved)
    n_total = whole.fleet.n_prosumers
    lo, hi = shard_bounds(n_total, k)[s]
    inputs = shard_inputs(whole, lo, hi, s, k)
    counterfactual = task.get("counterfactual")
    if counterfactual is None:
        counterfactual = len(inputs.events) > 0
    cf = None
    if counterfactual:
        # the counterfactual first: the shard is settled against its meter
        cf_inputs = shard_inputs(build_inputs(scenario, fleet=whole.fleet, parser=parser),
                                 lo, hi, s, k)
        cf_inputs.dispatch_enabled = False
        cf_inputs.event_kinds = _CF_KINDS
        cf_engine = Engine(cf_inputs)
        cf = cf_engine.run()
        inputs.baseline_net_kwh = cf_engine.net_snapshots
        del cf_engine, cf_inputs
    del whole                       # the shard keeps its own homes only
    path = part_path(task["events_dir"], s)
    engine = Engine(inputs)
    with ParquetLogSink(path, inputs.start) as sink:
        engine.log.stream_to(sink)
        result = engine.run(progress)
    if cf is not None:
        _delivered_series(result, cf, inputs)
    departures, clips = _departures(path)
    fleet = inputs.fleet
    return {
        "shard": s, "status": "ok", "lo": lo, "hi": hi, "n_prosumers_fleet": n_total,
        "series": result.series, "cf_series": None if cf is None else cf.series,
        "totals": result.totals, "settlements": result.settlements,
        "departures": departures, "clips": clips, "log_rows": int(sink.rows),
        "thermal": result.thermal,
        "water_heaters": result.water_heaters,
        "counts": {"prosumers": fleet.n_prosumers, "evs": fleet.n_evs,
                   "batteries": fleet.n_bess, "pv_systems": fleet.n_pv},
        "profile": np.asarray(fleet.profile),
        "info": {"start": inputs.start, "horizon_h": inputs.horizon_h,
                 "interval_h": inputs.interval_h, "n_steps": inputs.n_steps,
                 "event_kinds": scenario.output.event_kinds,
                 "policies": {"ev": inputs.ev_policy.name, "bess": inputs.bess_policy.name,
                              "departure_guard": bool(inputs.departure_guard)}},
        "resolved": resolved,
        "target_share": (hi - lo) / n_total if n_total else 0.0,
        "event_id_base": int(inputs.event_id_base),
        "part": str(path), "run_s": time.perf_counter() - t0,
    }


def run_shard_safely(task: dict, progress=None) -> dict:
    """`run_shard`, with any error returned as ``{"shard", "status": "failed", "error"}``."""
    t0 = time.perf_counter()
    try:
        return run_shard(task, progress)
    except Exception as exc:  # noqa: BLE001 - reported by shard number, others go on
        return {"shard": int(task["shard"]), "status": "failed",
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(), "run_s": time.perf_counter() - t0}
