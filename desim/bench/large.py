"""The year and the million-prosumer day, each timed in a fresh process.

A user runs a year or a million homes with ``desim run``: one process, one
run. Inside the benchmark process these runs would come after the baselines,
the comparison and the scaling runs had built and freed millions of objects
and gigabytes of arrays, and their figures would carry that history (a
million-home day measured 7.1-8.4 s alone and 11.7-13.5 s as the benchmark's
sixth section, its log recording and flushing three times slower). So each
runs in a process of its own (``multiprocessing`` with the ``spawn`` start
method, nothing inherited), which first loads the compiled passes with a small
run, as the benchmark's warm-up does, and then times the section. Neither has
a baseline, so no ratio crosses processes; the comparison with the baselines
stays in one process.
"""

from __future__ import annotations

import multiprocessing
import os
import time

__all__ = ["in_fresh_process", "year_section", "million_section"]


def in_fresh_process(fn, *args):
    """``fn(*args)`` in a new Python process (spawned); its return value or its error."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


def _warm_up(seed: int) -> float:
    from desim.bench.engine import run_engine
    from desim.bench.scenario import bench_inputs

    t = time.perf_counter()
    run_engine(bench_inputs(50, 1, seed))
    return time.perf_counter() - t


def _timed(n: int, days: int, seed: int, tmp: str) -> dict:
    """The scenario's inputs (timed apart), then the run with its log streamed to `tmp`."""
    from desim.bench.engine import run_engine
    from desim.bench.machine import peak_rss_mb, reset_peak_rss
    from desim.bench.scenario import bench_inputs

    warm_s = _warm_up(seed)
    t = time.perf_counter()
    inp = bench_inputs(n, days, seed)
    inputs_s = time.perf_counter() - t
    reset_peak_rss()
    r = run_engine(inp, write_dir=tmp)
    r["inputs_s"] = inputs_s
    r["peak_rss_mb"] = peak_rss_mb()
    r["process"] = {"fresh": True, "pid": os.getpid(), "warm_up_s": warm_s}
    return r


def year_section(n: int, days: int, seed: int, tmp: str) -> dict:
    """The year: run, log and the cost per simulated day at its start and end."""
    from desim.bench.engine import _day_costs, _strip

    r = _timed(n, days, seed, tmp)
    r["day_cost"] = _day_costs(r["_marks"], days, min(7.0, days / 4))
    return _strip(r)


def million_section(n: int, days: int, seed: int, tmp: str) -> dict:
    """The million-prosumer day: run and log."""
    from desim.bench.engine import _strip

    return _strip(_timed(n, days, seed, tmp))
