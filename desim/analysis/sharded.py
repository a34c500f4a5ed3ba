"""A scenario run as shards: one after another here, or as tasks on Dask.

`run_sharded_scenario` splits the fleet into ``K`` shards of contiguous homes
(`desim.sim.shardslice`), runs each as a task (`desim.analysis._shard_task`)
and writes the run directory: every shard streams its own part of the
partitioned event log, ``events/shard=<s>/part-0.parquet``, from where it runs;
the fleet-wide rows (one per interval, one per price change) go to
``events/shard=fleet/part-0.parquet``, written here from the summed series.
The client gathers series, per-home totals, settlements and departure rows,
never a log, and writes the same files as a serial run (series, prosumers,
settlements, summary) plus ``settlements_by_shard.csv`` and ``shards.json``.

Everything is written into a temporary directory beside the output and put in
place when complete (`desim._io.atomic_directory`). A failed shard does not
stop the others: the directory then holds the parts the other shards wrote and
``shards.json`` with every shard's status and error, and `ShardError` names
the failed shards by number.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from attrs import define, field

from desim._io import atomic_directory
from desim.errors import DesimError, ScenarioError, ShardError, warn

__all__ = ["ShardedRun", "resolve_shards", "run_sharded_scenario", "combine_series",
           "settlements_by_event", "FLEET_PARTITION"]

#: The partition holding the rows about the whole fleet (not one shard's homes).
FLEET_PARTITION = "fleet"
_NOT_SUMMED = ("t_h", "timestamp", "price_usd_per_kwh")
_FIRST = ("start_h", "end_h", "direction", "price_per_mwh", "baseline", "like_days")
_SUMMED = ("target_kw", "target_kwh", "settled_kwh", "delivered_vs_counterfactual_kwh",
           "baseline_error_kwh", "rebound_kwh", "shortfall_kwh", "n_participants",
           "payments_usd", "aggregator_revenue_usd", "aggregator_profit_usd")


@define
class ShardedRun:
    """A finished sharded run: what the client gathered, and where the log is.

    ``events`` is the partitioned log's folder (read it with
    ``pandas.read_parquet(events)``); ``shards`` holds one dict per shard
    (``shard``, ``status``, ``lo``/``hi`` homes, ``log_rows``, ``run_s``, ``error``).
    """

    output: Path
    summary: dict | None
    series: pd.DataFrame | None
    totals: pd.DataFrame | None
    settlements: pd.DataFrame | None
    counterfactual_series: pd.DataFrame | None
    shards: list[dict] = field(factory=list)

    @property
    def events(self) -> Path:
        return self.output / "events"


def resolve_shards(scenario, shards=None, workers=None, scheduler=None, formats=(),
                   prefix: str = "--") -> tuple[int | None, int | None, str | None]:
    """How the run is carried out: ``(shards, workers, scheduler)``, None where not sharded.

    Options given here (the command line's) override the scenario's ``[run]``
    table; a worker count or scheduler given here replaces both of the file's.

    Raises
    ------
    DesimError
        Naming the option, its value and what was expected: shards or workers
        below 1, both workers and a scheduler, workers or a scheduler without
        more than one shard, a site limit with more than one shard (a site limit
        belongs to one site), a log format other than Parquet.
    """
    file = scenario.run
    if workers is None and scheduler is None:
        workers, scheduler = file.workers, file.scheduler
    if shards is None:
        shards = file.shards
    problems = []
    if shards is not None and (not isinstance(shards, int | np.integer) or shards < 1):
        problems.append(f"{prefix}shards: expected an integer >= 1, got {shards!r}")
    if workers is not None and (not isinstance(workers, int | np.integer) or workers < 1):
        problems.append(f"{prefix}workers: expected an integer >= 1, got {workers!r}")
    if workers is not None and scheduler is not None:
        problems.append(f"{prefix}workers {workers} and {prefix}scheduler {scheduler}: "
                        "expected at most one of the two")
    for name, value in (("workers", workers), ("scheduler", scheduler)):
        if value is not None and (shards is None or (isinstance(shards, int) and shards < 2)):
            problems.append(f"{prefix}{name} {value}: expected {prefix}shards greater than 1 "
                            f"(one shard runs in this process), got "
                            f"{'no ' + prefix + 'shards' if shards is None else shards}")
    limit = scenario.control.site_limit_kw
    if isinstance(shards, int) and shards > 1 and limit is not None:
        problems.append(f"control.site_limit_kw: a site limit belongs to one site and cannot "
                        f"be split among shards; expected no site limit with {prefix}shards "
                        f"{shards}, got {limit:g} kW")
    bad = [f for f in formats if f != "parquet"]
    if shards is not None and bad:
        problems.append(f"{prefix}format {bad[0]}: a sharded run writes its event log as a "
                        "partitioned Parquet dataset (events/); expected parquet")
    if problems:
        raise DesimError("; ".join(problems))
    others = [f for f in scenario.output.formats if f != "parquet"]
    if shards is not None and others and not formats:
        # the file's own formats: run, and say what is not written
        warn(f"output.formats: a sharded run writes its event log as a partitioned Parquet "
             f"dataset (events/) only; {', '.join(others)} not written", stacklevel=2)
    return shards, workers, scheduler


def combine_series(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The fleet's series: the shards' per-interval powers summed (time and price kept)."""
    out = frames[0].copy()
    cols = [c for c in out.columns if c not in _NOT_SUMMED]
    for f in frames[1:]:
        out[cols] = out[cols].to_numpy() + f[cols].to_numpy()
    return out


def settlements_by_event(by_shard: pd.DataFrame) -> pd.DataFrame:
    """One settlement row per event: energies, targets, participants and money summed
    over the shards (each shard settles its own portfolio and share of the target)."""
    if by_shard.empty:
        return by_shard.drop(columns=["shard"], errors="ignore")
    groups = by_shard.groupby("event_id", sort=False)
    out = groups[list(_FIRST)].first()
    summed = groups[list(_SUMMED)].sum(min_count=1)
    return pd.concat([out, summed], axis=1).reset_index()[
        [c for c in by_shard.columns if c != "shard"]]


def _write_fleet_rows(events_dir: Path, series: pd.DataFrame, interval_h: float, kinds,
                      n_shards: int, start) -> int:
    from desim.sim.log import write_table
    from desim.sim.logformat import ArrowLayout
    from desim.sim.shardslice import SHARD_ID_BASE, fleet_rows

    chunk = fleet_rows(series, interval_h, kinds, n_shards * SHARD_ID_BASE)
    n = len(chunk["t_h"])
    if n:
        layout = ArrowLayout([], {})
        batch = layout.batch(chunk, layout.details_array(("",)), start)
        write_table(pa.Table.from_batches([batch]),
                    events_dir / f"shard={FLEET_PARTITION}" / "part-0.parquet")
    return n


def _execute(tasks, workers, scheduler, progress):
    from desim.analysis._shard_task import run_shard_safely

    n = len(tasks)
    if workers is None and scheduler is None:
        results = []
        for i, task in enumerate(tasks):
            step = None if progress is None else (lambda f, i=i: progress((i + f) / n))
            results.append(run_shard_safely(task, step))
        return results
    from desim.analysis._dask import dask_client

    with dask_client(workers, scheduler, "desim run") as (client, distributed):
        futures = [client.submit(run_shard_safely, task, pure=False) for task in tasks]
        shard_of = {f.key: task["shard"] for f, task in zip(futures, tasks, strict=True)}
        results = []
        for future in distributed.as_completed(futures):
            try:
                results.append(future.result())
            except Exception as exc:  # noqa: BLE001 - a lost worker, not an error in the run
                results.append({"shard": shard_of[future.key], "status": "failed",
                                "error": f"{type(exc).__name__}: {exc}"})
            if progress is not None:
                progress(len(results) / n)
        return results


def _shard_rows(results) -> list[dict]:
    keys = ("shard", "status", "lo", "hi", "log_rows", "target_share", "event_id_base",
            "run_s", "error")
    return [{k: r[k] for k in keys if k in r} for r in results]


def run_sharded_scenario(scenario, out_dir, shards: int, workers: int | None = None,
                         scheduler: str | None = None, counterfactual: bool | None = None,
                         parser=None, progress=None, overwrite: bool = False, protect=(),
                         scenario_file=None) -> ShardedRun:
    """Run `scenario` as `shards` shards and write its run directory (see module docstring).

    Parameters
    ----------
    scenario : Scenario
        The scenario; its ``[run]`` table is not read here (see `resolve_shards`).
    out_dir : path
        The run directory (replaced only with `overwrite`, as for `desim run`).
    shards : int
        Number of shards (>= 1).
    workers, scheduler : optional
        A local Dask cluster of `workers` processes, or an existing scheduler's
        address; neither runs the shards one after another here. The workers
        must reach the output directory at the same path (a shared file system).
    counterfactual : bool, optional
        Also run each shard without dispatch (default: when there are events).
    parser : optional
        Parser of prosumer descriptions (sent to every shard).
    progress : callable, optional
        Called with the fraction of the run done (0-1).
    protect : paths
        Files whose folders are never replaced (the scenario file).
    scenario_file : str, optional
        The scenario file named in the summary.

    Raises
    ------
    ShardError
        If a shard failed (after writing the other shards' parts and ``shards.json``).
    DesimError
        For bad options or an unreachable scheduler (before anything is written).
    """
    from desim.analysis.metrics import departure_summary, summary_of
    from desim.analysis.outputs import check_output_dir, to_jsonable
    from desim.sim.run import _config_dict
    from desim.sim.shardslice import SHARD_ID_BASE

    # (the caller has said what the file's other formats do not get)
    shards, workers, scheduler = resolve_shards(scenario, shards, workers, scheduler,
                                                formats=("parquet",))
    if shards is None:
        raise ScenarioError("run_sharded_scenario: expected a number of shards, got None")
    check_output_dir(out_dir, overwrite, protect)
    state: dict = {}

    def write(tmp: Path) -> None:
        events_dir = tmp / "events"
        events_dir.mkdir()
        tasks = [{"scenario": scenario, "shard": s, "n_shards": shards,
                  "events_dir": str(events_dir), "counterfactual": counterfactual,
                  "parser": parser} for s in range(shards)]
        results = sorted(_execute(tasks, workers, scheduler, progress),
                         key=lambda r: r["shard"])
        state["shards"] = rows = _shard_rows(results)
        failed = [r for r in results if r["status"] != "ok"]
        if failed:
            state["failed"] = failed
            (tmp / "shards.json").write_text(json.dumps(to_jsonable(rows), indent=2) + "\n")
            return
        info = results[0]["info"]
        series = combine_series([r["series"] for r in results])
        cf = (combine_series([r["cf_series"] for r in results])
              if results[0]["cf_series"] is not None else None)
        totals = pd.concat([r["totals"] for r in results], ignore_index=True)
        by_shard = pd.concat([r["settlements"].assign(shard=r["shard"]) for r in results],
                             ignore_index=True)
        settlements = settlements_by_event(by_shard)
        fleet_n = _write_fleet_rows(events_dir, series, info["interval_h"],
                                    info["event_kinds"], shards, info["start"])
        counts = {k: sum(r["counts"][k] for r in results) for k in results[0]["counts"]}
        departures = pd.concat([r["departures"] for r in results], ignore_index=True)
        units = [r["thermal"] for r in results if r.get("thermal") is not None]
        whtr = [r["water_heaters"] for r in results if r.get("water_heaters") is not None]
        summary = summary_of(
            counts, info["horizon_h"], info["interval_h"], info["policies"], series, totals,
            cf, settlements, departure_summary(departures, sum(r["clips"] for r in results)),
            np.concatenate([r["profile"] for r in results]),
            sum(r["log_rows"] for r in results) + fleet_n,
            pd.concat(units, ignore_index=True) if units else None,
            pd.concat(whtr, ignore_index=True) if whtr else None)
        summary["scenario"] = {"name": scenario.info.name,
                               "file": str(scenario_file or scenario.source),
                               "seed": scenario.info.seed}
        summary["shards"] = {"n_shards": shards, "workers": workers, "scheduler": scheduler,
                             "split": "contiguous homes", "target_split": "prosumer count",
                             "event_id_base": SHARD_ID_BASE, "fleet_rows": fleet_n,
                             "fleet_partition": FLEET_PARTITION}
        from desim.sim.log import write_table

        write_table(pa.Table.from_pandas(series, preserve_index=False), tmp / "series.parquet")
        write_table(pa.Table.from_pandas(totals, preserve_index=False),
                    tmp / "prosumers.parquet")
        settlements.to_csv(tmp / "settlements.csv", index=False)
        by_shard.to_csv(tmp / "settlements_by_shard.csv", index=False)
        if cf is not None:
            write_table(pa.Table.from_pandas(cf, preserve_index=False),
                        tmp / "counterfactual_series.parquet")
        (tmp / "summary.json").write_text(json.dumps(to_jsonable(summary), indent=2) + "\n")
        (tmp / "shards.json").write_text(json.dumps(to_jsonable(rows), indent=2) + "\n")
        resolved = results[0]["resolved"]
        if resolved:
            text = json.dumps({k: _config_dict(v) for k, v in resolved.items()}, indent=2,
                              default=str)
            (tmp / "resolved_prosumers.json").write_text(text + "\n")
        state["run"] = (summary, series, totals, settlements, cf)

    out = atomic_directory(out_dir, write, "outputs")
    if "failed" in state:
        lines = [f"shard {r['shard']} of {shards} failed: {r['error']}" for r in state["failed"]]
        ok = shards - len(state["failed"])
        raise ShardError("\n".join(lines) + f"\n{ok} of {shards} shards finished; their parts "
                         f"of the log are in {out / 'events'}/ and every shard's status in "
                         f"{out / 'shards.json'}", failed=state["failed"], output=out)
    return ShardedRun(out, *state["run"], shards=state["shards"])
