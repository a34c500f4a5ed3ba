"""The ``thermal`` section: the benchmark month with an air conditioner in every home.

The benchmark scenario (`desim.bench.scenario`) for a summer month, run twice on
the same fleet, load, solar, trips and dispatch: once as it is and once with an
air conditioner on a 1R1C envelope in every home (`desim.sim.thermal`) under the
``california_summer`` outdoor model. The ratio of the two run times is the cost
of the thermal loads (DESIGN.md: at most 2x for a month of 10,000 homes).

Units are drawn from the seed (one child of its own): R 1.5-3.5 C/kW, C 2-6
kWh/C, COP 2.8-4.0, setpoint 22-26 C, deadband 1 C, and an electric power that
gives ``cop P R`` 1.1-1.6 times the gap between a 38 C design day and the lower
edge of the band (so every unit holds its band on the model's 34 C afternoons);
each home starts inside its band. Assumption: plausible ranges for California
single-family homes (a 2-4 ton unit draws about 2-3.5 kW), not a survey.
"""

from __future__ import annotations

import os
import time

import numpy as np
from attrs import evolve

from desim.bench.scenario import SITE, bench_inputs
from desim.sim.thermal import HVAC_KINDS, HvacTable

__all__ = ["bench_hvac_table", "run_thermal_section", "thermal_section", "THERMAL_START",
           "DESIGN_OUTDOOR_C"]

#: The benchmark month starts on this day (a summer month: the units run).
THERMAL_START = "2026-07-01"
#: Outdoor temperature each unit is sized for, C.
DESIGN_OUTDOOR_C = 38.0
_DEADBAND_C = 1.0


def bench_hvac_table(n_homes: int, seed) -> HvacTable:
    """One air conditioner per home, drawn from `seed` (see module docstring)."""
    rng = np.random.default_rng(seed)
    r = rng.uniform(1.5, 3.5, n_homes)
    c = rng.uniform(2.0, 6.0, n_homes)
    cop = rng.uniform(2.8, 4.0, n_homes)
    setpoint = rng.uniform(22.0, 26.0, n_homes)
    gap = DESIGN_OUTDOOR_C - (setpoint - _DEADBAND_C / 2)
    power = rng.uniform(1.1, 1.6, n_homes) * gap / (cop * r)
    initial = setpoint + rng.uniform(-0.5, 0.5, n_homes) * _DEADBAND_C
    return HvacTable(np.arange(n_homes), np.full(n_homes, HVAC_KINDS.index("ac")), r, c,
                     power, cop, setpoint, np.full(n_homes, _DEADBAND_C), initial)


def _best(results: list[dict]) -> dict:
    """The run with the least ``total_s``, with every run's ``run_s`` in ``times_s``."""
    best = dict(min(results, key=lambda r: r["total_s"]))
    best["times_s"] = [t for r in results for t in r["times_s"]]
    return best


def run_thermal_section(n: int, days: int, seed: int, repeats: int, run_engine, best_of,
                        write_dir: str) -> dict:
    """Time the month without and with the units (best of `repeats` each) and their ratio.

    `run_engine` and `best_of` are `desim.bench.engine`'s; both runs stream their
    log to `write_dir` and are compared on ``total_s`` (run and log in place). The
    runs alternate (without, with, without, ...), so a slow spell of a shared
    machine falls on both sides rather than on one.
    """
    from desim import profiles

    base = bench_inputs(n, days, seed, start=THERMAL_START)
    fleet = base.fleet
    solar = (base.pv_bucket, base.pv_kw_per_kwp)     # one weather draw for both runs
    times = profiles.make_times(base.start, base.n_steps, base.interval_h * 60,
                                SITE.time_zone)
    t = time.perf_counter()
    table = bench_hvac_table(fleet.n_prosumers, np.random.SeedSequence([seed, 7]))
    outdoor = profiles.outdoor_temperature_c("california_summer", times)
    inputs_s = time.perf_counter() - t
    del base

    def inputs(with_units: bool):
        inp = bench_inputs(n, days, seed, start=THERMAL_START, fleet=fleet,
                           solar_kw_per_kwp=solar)
        return evolve(inp, hvac=table, outdoor_c=outdoor) if with_units else inp

    # load (or compile) the thermal kernel outside the timed runs, as the warm-up does
    # for the other passes
    small = bench_inputs(50, 1, seed, start=THERMAL_START)
    run_engine(evolve(small, hvac=bench_hvac_table(50, np.random.SeedSequence([seed, 7])),
                      outdoor_c=outdoor[:small.n_steps]))
    runs: dict[bool, list] = {False: [], True: []}
    for _ in range(max(1, repeats)):
        for units in (False, True):
            runs[units].append(best_of(lambda u=units: run_engine(inputs(u),
                                                                 write_dir=write_dir), 1))
    without, with_units = (_best(runs[False]), _best(runs[True]))
    keep = ("run_s", "total_s", "run_main_thread_cpu_s", "writer_busy_s", "log_rows",
            "times_s")
    return {"n_prosumers": fleet.n_prosumers, "days": days, "start": THERMAL_START,
            "units": table.n, "units_inputs_s": inputs_s,
            "without": {k: without[k] for k in keep},
            "with_units": {k: with_units[k] for k in keep},
            "ratio": with_units["total_s"] / without["total_s"],
            "run_ratio": with_units["run_s"] / without["run_s"],
            # the engine's own thread, without the waits for a core on a shared machine
            # (the log writer's thread is beside it: writer_busy_s)
            "cpu_ratio": with_units["run_main_thread_cpu_s"] / without["run_main_thread_cpu_s"]}


def thermal_section(n: int, days: int, seed: int, repeats: int, write_dir: str) -> dict:
    """`run_thermal_section` with the benchmark's engine runner, for a process of its own.

    The benchmark runs it in a fresh process (`desim.bench.large.in_fresh_process`), as
    it does the year and the million-home day: the month with units writes three times
    the log rows of the month without, so the memory history of the sections before it
    (baselines, comparison, scaling) would weigh on one side of the ratio more than on
    the other. Both months still run in that one process, so the ratio never crosses
    processes.
    """
    from desim.bench.engine import best_of, run_engine

    out = run_thermal_section(n, days, seed, repeats, run_engine, best_of, write_dir)
    out["process"] = {"fresh": True, "pid": os.getpid()}
    return out
