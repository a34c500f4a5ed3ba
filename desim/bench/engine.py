"""Engine benchmark: desim's engine against the baselines, scaling, the year and the million.

Everything is measured on the benchmark scenario (`desim.bench.scenario`), in
one process except the year and the million-prosumer day; ratios compare runs
of the same process. Sections:

- ``fleet_generation``: `desim.bench.fleet` (best of N).
- ``seed_api``: cost of one call of the scalar asset API and of a fleet of
  prosumer objects (`desim.bench.seed`).
- ``comparison``: engine vs. one SimPy process per prosumer vs. a plain loop
  over the same asset objects (`desim.bench.compare`), same scenario, at a
  size where the engine's fixed costs do not dominate (its fixed share is
  reported); energy totals must agree within 1 % before a ratio is reported.
- ``scaling``: engine run time at several fleet sizes.
- ``year``: 10,000 prosumers for 365 days, event log streamed to Parquet
  during the run; main-thread time spent on the log and its share; time per
  simulated day at the start and at the end of the year. In a fresh process
  (`desim.bench.large`), as a user's ``desim run`` would be.
- ``million``: 1,000,000 prosumers for one day (log streamed to Parquet), in a
  fresh process too.
- ``sharded``: 1,000,000 prosumers for a week as shards (`run_sharded`), ``--full`` only.
- ``thermal``: a summer month of 10,000 homes with and without an air conditioner in
  every home, and the ratio of the two times (`desim.bench.thermal`).

Targets (DESIGN.md, "Figures the project holds itself to") are in `TARGETS`.
"""

from __future__ import annotations

import gc
import tempfile
import time
from pathlib import Path

import numpy as np

from desim.bench.compare import run_comparison
from desim.bench.fleet import run_fleet_benchmark
from desim.bench.large import in_fresh_process, million_section, year_section
from desim.bench.machine import (
    load_average,
    machine_info,
    python_reference_ms,
)
from desim.bench.scenario import bench_inputs
from desim.bench.seed import run_seed_benchmark
from desim.bench.sharded import run_sharded_section
from desim.bench.thermal import thermal_section
from desim.sim.engine import Engine, SimInputs
from desim.sim.logwriter import ParquetLogSink
from desim.sim.state import state_nbytes

__all__ = ["run_engine_benchmark", "run_engine", "TARGETS", "MODES", "SEED_CALLS", "machine_info"]

TARGETS = {
    "seed_call_us": 2.0,            # BESS.charge and kin: DESIGN.md "about 1 us"; at most 2 us
    "fleet_object_us": 3.0,         # a FleetGenerator prosumer object
    "simpy_baseline_us": 5.0,       # baseline cost per prosumer-step (a fair baseline)
    "loop_baseline_us": 1.0,
    "year_10k_s": 20.0,
    "million_day_s": 10.0,
    "speedup_vs_simpy": 100.0,
    "speedup_vs_loop": 20.0,
    "state_bytes_per_prosumer": 1024.0,
    "log_share": 0.20,
    "energy_rel_tol": 0.01,
    "thermal_month_ratio": 2.0,     # a month of 10,000 AC homes vs the same month without
}

#: The seed-API calls whose worst cost is judged (`seed_call_us`): charge and discharge
#: with float arguments, and charge with an int power as the seed's examples call it.
SEED_CALLS = ("bess_charge", "bess_discharge", "ev_charge", "bess_charge_int", "ev_charge_int")

#: Sizes per mode: (prosumers, days) for each section.
MODES = {
    "quick": {"fleet_sizes": (10_000,), "comparison": (300, 1), "scaling": ((1_000, 1),
              (10_000, 1)), "year": (1_000, 14), "million": (50_000, 1), "sharded": None,
              "repeats": 1, "seed_calls": 2_000, "seed_fleet": 2_000, "thermal": (1_000, 3)},
    "default": {"fleet_sizes": (100_000, 1_000_000), "comparison": (10_000, 3),
                "scaling": ((1_000, 1), (10_000, 1), (100_000, 1)), "year": (10_000, 365),
                "million": (1_000_000, 1), "sharded": None, "repeats": 3,
                "seed_calls": 20_000, "seed_fleet": 20_000, "thermal": (10_000, 30)},
    "full": {"fleet_sizes": (100_000, 1_000_000), "comparison": (10_000, 7),
             "scaling": ((1_000, 7), (10_000, 7), (100_000, 7)), "year": (10_000, 365),
             "million": (1_000_000, 1), "sharded": (1_000_000, 7, 10), "repeats": 3,
             "seed_calls": 20_000, "seed_fleet": 20_000, "thermal": (10_000, 30)},
}

#: Compared fleets at least this large give ratios that measure the design (below it
#: the engine's fixed costs per interval dominate; the report shows their share).
COMPARISON_MIN_PROSUMERS = 10_000


class _MeteredEngine(Engine):
    """The engine plus charged and discharged energy split by sign (for the totals check)."""

    def result(self):
        self.split = {
            "ev_charged_kwh": float(self.ev.charged_kwh.sum()),
            "ev_discharged_kwh": float(self.ev.discharged_kwh.sum()),
            "bess_charged_kwh": float(self.batteries.in_kwh.sum()),
            "bess_discharged_kwh": float(self.batteries.out_kwh.sum())}
        return super().result()


def _state_bytes(engine: Engine) -> int:
    """Bytes of per-asset and per-prosumer arrays the engine holds while running
    (state, setpoints, awards, running totals; not the fleet table, the profiles
    or the per-interval series)."""
    total = state_nbytes(engine.ev, engine.bess)
    skip = {"series", "inp", "fleet", "state", "log", "_loads", "net_snapshots"}
    parts = (engine.evs, engine.batteries, engine.meter, engine.aggregator)
    for value in (v for part in parts for name, v in vars(part).items() if name not in skip):
        if isinstance(value, np.ndarray):
            total += value.nbytes
        elif isinstance(value, dict):
            # views of an array counted above (the meter's per-home sums) hold no memory
            total += sum(v.nbytes for v in value.values()
                         if isinstance(v, np.ndarray) and v.base is None)
    return total


def run_engine(inp: SimInputs, write_dir: str | None = None, metered: bool = False) -> dict:
    """Run the engine on `inp`, timing the run and the log.

    Without `write_dir` the log is kept and turned into a table after the run
    (``to_arrow_s``); with it, the log streams to ``write_dir/events.parquet``
    during the run (`desim.sim.logwriter.ParquetLogSink`, background thread).

    Returns
    -------
    dict
        ``run_s`` (engine, including the time spent recording and flushing
        log rows), main-thread log times ``record_s`` (inside ``log.record``),
        ``flush_s`` (inside ``log.flush``, finishing chunks, not counting waits
        for the writer), ``write_wait_s`` (waiting for the writer: for room in
        its queue during the run and for the last row group at the end),
        ``to_arrow_s`` (kept log to table), ``write_s`` (the log file in place
        after the run: the wait at the end when streamed), ``writer_busy_s``
        (the background thread's wall time), ``total_s`` (wall time from the
        start of the run to the table built or the file in place), ``log_s``
        (main-thread log time: record + flush + write wait + to_arrow),
        ``log_share`` (``log_s / total_s``), ``log_streamed``, ``log_rows``,
        ``rows_per_s``, ``state_bytes``, ``day_marks`` (wall time at each
        progress call), totals.
    """
    engine = _MeteredEngine(inp) if metered else Engine(inp)
    log = engine.log
    spent = {"record": 0.0, "flush": 0.0}

    def timed(fn, key):
        def call(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - t
        return call

    log.record = timed(log.record, "record")
    log.flush = timed(log.flush, "flush")
    marks: list[tuple[float, float]] = []

    def progress(fraction):
        marks.append((fraction, time.perf_counter()))

    sink = None
    to_arrow_s = 0.0
    t0 = time.perf_counter()
    c0 = time.thread_time()
    if write_dir is not None:
        with ParquetLogSink(Path(write_dir) / "events.parquet", inp.start) as sink:
            log.stream_to(sink)
            result = engine.run(progress)
            run_s = time.perf_counter() - t0
            run_cpu_s = time.thread_time() - c0
        total_s = time.perf_counter() - t0
        write_s = total_s - run_s
        write_wait_s = sink.put_wait_s + sink.close_wait_s
        flush_s = spent["flush"] - sink.put_wait_s
    else:
        result = engine.run(progress)
        run_cpu_s = time.thread_time() - c0
        run_s = time.perf_counter() - t0
        t = time.perf_counter()
        table = result.log.to_arrow(inp.start)
        to_arrow_s = time.perf_counter() - t
        del table
        total_s = run_s + to_arrow_s
        write_s = write_wait_s = 0.0
        flush_s = spent["flush"]
    state_bytes = _state_bytes(engine)
    log_s = spent["record"] + flush_s + write_wait_s + to_arrow_s
    sums = result.totals.sum(numeric_only=True)
    totals = {"load_kwh": float(sums["load_kwh"]), "pv_kwh": float(sums["pv_kwh"]),
              "import_kwh": float(sums["import_kwh"]), "export_kwh": float(sums["export_kwh"]),
              "ev_kwh": float(sums["ev_kwh"]), "bess_kwh": float(sums["bess_kwh"])}
    if metered:
        totals.update(engine.split)
    n = inp.fleet.n_prosumers
    out = {"n_prosumers": n, "days": inp.horizon_h / 24.0, "n_evs": inp.fleet.n_evs,
           "n_bess": inp.fleet.n_bess, "n_pv": inp.fleet.n_pv, "run_s": run_s,
           "run_main_thread_cpu_s": run_cpu_s,
           "record_s": spent["record"], "flush_s": flush_s, "write_wait_s": write_wait_s,
           "to_arrow_s": to_arrow_s, "write_s": write_s,
           "writer_busy_s": sink.busy_s if sink is not None else 0.0,
           "log_streamed": sink is not None,
           "total_s": total_s, "log_s": log_s, "log_share": log_s / total_s if total_s else 0.0,
           "log_rows": int(result.log.n_rows),
           "rows_per_s": result.log.n_rows / run_s if run_s else 0.0,
           "prosumer_steps": n * inp.n_steps,
           "us_per_prosumer_step": run_s / max(n * inp.n_steps, 1) * 1e6,
           "state_bytes": state_bytes, "state_bytes_per_prosumer": state_bytes / max(n, 1),
           "totals": totals, "_marks": marks}
    del result, engine
    return out


def _day_costs(marks, days: float, window_days: float) -> dict:
    """Wall seconds per simulated day over the first and last `window_days`."""
    if len(marks) < 4 or days <= 0:
        return {}
    frac = np.array([m[0] for m in marks])
    wall = np.array([m[1] for m in marks])
    w = min(window_days / days, 0.5)
    first = frac <= w
    last = frac >= 1.0 - w
    def rate(mask):
        f, t = frac[mask], wall[mask]
        return float((t[-1] - t[0]) / ((f[-1] - f[0]) * days)) if f[-1] > f[0] else None
    return {"window_days": window_days, "s_per_day_start": rate(first),
            "s_per_day_end": rate(last)}


def best_of(fn, repeats: int) -> dict:
    """Run `fn` `repeats` times; the result with the least ``run_s`` (all times kept)."""
    best = None
    times = []
    for _ in range(max(1, repeats)):
        gc.collect()
        r = fn()
        times.append(r["run_s"])
        if best is None or r["run_s"] < best["run_s"]:
            best = r
    best["times_s"] = times
    return best


def _strip(r: dict) -> dict:
    return {k: v for k, v in r.items() if not k.startswith("_")}


def run_engine_benchmark(mode: str = "default", seed: int = 0, progress=None,
                         comparison: tuple[int, int] | None = None) -> dict:
    """Run the benchmark sections of `mode` (see `MODES`) and return the report dict.

    With `comparison` ``(prosumers, days)`` only the comparison section runs (with the
    mode's repeats), at that size: the ratios at a fleet size of the reader's choice.
    """
    cfg = MODES[mode]
    rep = cfg["repeats"]
    if comparison is not None:
        n, days = (int(x) for x in comparison)
        if n < 1 or days < 1:
            raise ValueError(f"comparison: expected at least 1 prosumer and 1 day, got "
                             f"{n} x {days}")
        return _comparison_only(mode, seed, rep, n, days, progress or (lambda text: None))
    say = progress or (lambda text: None)
    report = _started_report(mode, seed, say)
    with tempfile.TemporaryDirectory(prefix="desim-bench-") as tmp:
        say("fleet generation")
        report["fleet_generation"] = run_fleet_benchmark(cfg["fleet_sizes"], seed, rep)["results"]

        say("seed API: one call of the scalar asset API, fleet objects")
        report["seed_api"] = run_seed_benchmark(cfg["seed_calls"], 7, cfg["seed_fleet"], seed)

        n, days = cfg["comparison"]
        say(f"comparison: engine vs baselines, {n:,} prosumers x {days} days")
        report["comparison"] = run_comparison(n, days, seed, rep, run_engine, best_of)

        report["scaling"] = []
        for n, days in cfg["scaling"]:
            say(f"scaling: {n:,} prosumers x {days} days")
            r = best_of(lambda n=n, days=days: run_engine(bench_inputs(n, days, seed)),
                      rep if n <= 10_000 else 1)
            r["us_per_prosumer_day"] = r["run_s"] / (n * days) * 1e6
            report["scaling"].append(_strip(r))

        # the year and the million-home day in fresh processes, as a user runs them
        # (`desim.bench.large`)
        n, days = cfg["year"]
        say(f"year: {n:,} prosumers x {days} days, log written (fresh process)")
        gc.collect()
        report["year"] = in_fresh_process(year_section, n, days, seed, tmp)

        n, days = cfg["million"]
        say(f"million: {n:,} prosumers x {days} day, log written (fresh process)")
        report["million"] = in_fresh_process(million_section, n, days, seed, tmp)
        gc.collect()

        if cfg["sharded"] is not None:
            n, days, shards = cfg["sharded"]
            say(f"sharded: {n:,} prosumers x {days} days in {shards} shards")
            report["sharded"] = run_sharded_section(n, days, shards, seed, tmp)
        else:
            report["sharded"] = None

        n, days = cfg["thermal"]
        say(f"thermal: {n:,} prosumers x {days} days, with and without air conditioners "
            "(fresh process)")
        gc.collect()
        report["thermal"] = in_fresh_process(thermal_section, n, days, seed, rep, tmp)
    report["load_average_end"] = load_average()
    report["python_reference_ms_end"] = python_reference_ms()
    report["checks"] = _checks(report)
    return report


def _started_report(mode: str, seed: int, say) -> dict:
    """A report's header (machine, load, Python yardstick, targets) and its warm-up.

    The compiled passes (desim.sim.kernels, the load model) are compiled on the first
    run after install and loaded from their cache afterwards; a small run first keeps
    that one-off cost out of the timed sections, and reports it."""
    report: dict = {"benchmark": "engine", "mode": mode, "seed": seed,
                    "machine": machine_info(), "load_average_start": load_average(),
                    "python_reference_ms_start": python_reference_ms(), "targets": TARGETS}
    say("warm-up: load the compiled passes")
    t = time.perf_counter()
    run_engine(bench_inputs(50, 1, seed))
    report["warmup"] = {"n_prosumers": 50, "days": 1, "s": time.perf_counter() - t,
                        "note": "first run in this process: loads (or, after install, "
                                "compiles) the compiled fleet passes"}
    return report


def _comparison_only(mode: str, seed: int, rep: int, n: int, days: int, say) -> dict:
    """`run_engine_benchmark`'s report with only the comparison section, at `n` x `days`."""
    report = _started_report(mode, seed, say)
    report.update({"fleet_generation": [], "seed_api": None, "scaling": [], "year": None,
                   "million": None, "sharded": None, "thermal": None})
    say(f"comparison: engine vs baselines, {n:,} prosumers x {days} days")
    report["comparison"] = run_comparison(n, days, seed, rep, run_engine, best_of)
    report["load_average_end"] = load_average()
    report["python_reference_ms_end"] = python_reference_ms()
    report["checks"] = _checks(report)
    return report


def _checks(report: dict) -> dict:
    """Each target with the measured figure and whether it is met (None: not at full size)."""
    c, seed_api = report["comparison"], report["seed_api"]
    year, million = report["year"], report["million"]
    # Ratios at a small fleet measure the engine's fixed costs, not the design.
    full_cmp = c["n_prosumers"] >= COMPARISON_MIN_PROSUMERS

    def row(measured, target, ok, applies=True):
        return {"measured": measured, "target": target, "met": bool(ok) if applies else None}

    def at_least(key, applies=True):
        return row(c[key], TARGETS[key], (c[key] or 0) >= TARGETS[key], applies)

    def speedup(name, applies):
        # beside the ratio, the engine cost per step that would meet it against this
        # baseline as measured, and the engine's own
        out = at_least(f"speedup_vs_{name}", applies)
        out["engine_us_needed"] = (c[f"{name}_us_per_prosumer_step"]
                                   / TARGETS[f"speedup_vs_{name}"])
        out["engine_us"] = c["engine_us_per_prosumer_step"]
        return out

    def under(measured, key, applies=True):
        return row(measured, TARGETS[key], measured <= TARGETS[key], applies)

    out = {}
    if seed_api:
        # per-call costs are judged on the calling thread's CPU time (wall time on a
        # shared machine adds the waits for a core; both are in the report)
        seed_call = max(seed_api[k]["cpu_median_us"] for k in SEED_CALLS if k in seed_api)
        out["seed_call_us"] = under(seed_call, "seed_call_us")
        out["fleet_object_us"] = under(seed_api["fleet_objects"]["cpu_us_per_prosumer"],
                                       "fleet_object_us")
    out.update({
        "simpy_baseline_us": under(c["simpy_us_per_prosumer_step"], "simpy_baseline_us"),
        "loop_baseline_us": under(c["loop_us_per_prosumer_step"], "loop_baseline_us"),
        "energy_totals_within_1pct": row(c["energy_agree"], True, c["energy_agree"]),
        "speedup_vs_simpy": speedup("simpy", full_cmp),
        "speedup_vs_loop": speedup("loop", full_cmp)})
    if year:
        full_year = year["n_prosumers"] >= 10_000 and year["days"] >= 365
        out["year_10k_s"] = row(year["total_s"], TARGETS["year_10k_s"],
                                year["total_s"] < TARGETS["year_10k_s"], full_year)
    if million:
        out["million_day_s"] = row(million["total_s"], TARGETS["million_day_s"],
                                   million["total_s"] < TARGETS["million_day_s"],
                                   million["n_prosumers"] >= 1_000_000)
    states = [s["state_bytes_per_prosumer"] for s in report["scaling"]]
    if states:
        out["state_bytes_per_prosumer"] = row(max(states), TARGETS["state_bytes_per_prosumer"],
                                              max(states) < TARGETS["state_bytes_per_prosumer"])
    if year:
        out["log_share"] = row(year["log_share"], TARGETS["log_share"],
                               year["log_share"] < TARGETS["log_share"], full_year)
    th = report.get("thermal")
    if th and report["mode"] != "quick":      # quick mode's small month has no target
        out["thermal_month_ratio"] = row(th["ratio"], TARGETS["thermal_month_ratio"],
                                         th["ratio"] <= TARGETS["thermal_month_ratio"],
                                         th["n_prosumers"] >= 10_000 and th["days"] >= 30)
    return out
