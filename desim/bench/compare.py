"""The ``comparison`` section: the engine against the obvious design and a plain loop.

All three run the same scenario (`desim.bench.scenario.bench_inputs`) in this
process. Each reports its cost per prosumer-step (wall and this thread's CPU
time), so a reader can check the baselines are fast for the right reasons
(DESIGN.md: about 1.4-2.5 us per prosumer-step for one SimPy process per home
stepping the fast scalar objects, 0.3-1 us for a plain loop over them), and the
time they took to build their objects and draw their EV sessions beforehand
(``*_build_s``, not in their run time). Energy totals must agree within 1 %
before a ratio is reported. SimPy's own cost is measured beside them
(`desim.bench.baseline.simpy_floor`: as many processes doing nothing but wake
every interval for a day), so a reader can see how much of the SimPy baseline's
cost is the library's and how much the step's: once waking on the fleet's clock
as the baseline's processes do, once on a timeout each (what the baseline would
cost more had it used them).

All three get the same inputs prepared before their clocks start
(`desim.bench.prepared.prepare`: the load generated for the whole horizon, every
EV session drawn ahead), so the ratios compare simulating, not generating
inputs; ``prepare_s`` is what that took for one design. The year and the
million-prosumer day are timed without it.

The engine has costs per interval and per event that do not grow with the
fleet (SimPy events, numpy calls, the log's chunks). At a small fleet they
dominate and the ratio measures them, not the design; the section therefore
also times the engine on a tenth of the fleet and fits ``time = fixed + n x
per_prosumer``: ``engine_fixed_share`` is the fixed part's share of the
engine's time at the compared size.
"""

from __future__ import annotations

import gc

from desim.bench.baseline import TOTAL_KEYS, run_loop_baseline, run_simpy_baseline, simpy_floor
from desim.bench.prepared import prepare
from desim.bench.scenario import bench_inputs

__all__ = ["run_comparison", "ENERGY_REL_TOL"]

#: Largest relative difference of an energy total between engine and baselines.
ENERGY_REL_TOL = 0.01
#: Steps of SimPy's floor (`simpy_floor`): one day of the benchmark's 15-minute intervals.
FLOOR_STEPS = 96


def _fixed_share(t_big: float, n_big: int, t_small: float, n_small: int) -> float | None:
    """Share of `t_big` that does not grow with the fleet, from two sizes (None if the
    two timings are inconsistent, e.g. the smaller run took longer per prosumer *and*
    in total)."""
    if n_big <= n_small or t_big <= 0:
        return None
    per = (t_big - t_small) / (n_big - n_small)
    if per <= 0:
        return None
    return min(1.0, max(0.0, (t_big - per * n_big) / t_big))


def _median_run(runs: list[dict]) -> dict:
    """The run of median wall time; with an even count, the two middle runs' times
    averaged (wall and CPU) on a copy of the faster one."""
    ordered = sorted(runs, key=lambda r: r["run_s"])
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    lo, hi = ordered[mid - 1], ordered[mid]
    out = dict(lo)
    for key in ("run_s", "run_cpu_s", "run_main_thread_cpu_s"):
        if key in lo:
            out[key] = (lo[key] + hi[key]) / 2
    return out


def run_comparison(n: int, days: int, seed: int, repeats: int, run_engine, best_of,
                   baseline_runs: int = 2) -> dict:
    """Engine (median of its runs), the SimPy baseline and the loop on one scenario.

    Each baseline runs `baseline_runs` times, in turn (SimPy, loop, SimPy, ...),
    and the engine runs `repeats` times before the first baseline run, between
    each two and after the last: a baseline runs for seconds, an engine run for a
    fraction of one, so both sides are spread over the same stretch of a shared
    machine's spells. Each side's figure is its median run.

    `run_engine` and `best_of` are `desim.bench.engine`'s. Returns wall and CPU
    seconds (the median run's, and every run's), costs per prosumer-step, the
    energy agreement, the engine's fixed share and the speedups (wall and CPU;
    None unless the energies agree).
    """
    def prepared(size):
        inp, seconds = prepare(bench_inputs(size, days, seed))
        prepare_s.append(seconds)
        return inp

    prepare_s: list[float] = []
    runs: list[dict] = []
    base_runs: dict[str, list[dict]] = {"simpy": [], "loop": []}

    def engine_runs():
        for _ in range(max(1, repeats)):
            gc.collect()
            runs.append(run_engine(prepared(n), metered=True))

    engine_runs()
    n_small = max(10, n // 10)
    small = best_of(lambda: run_engine(prepared(n_small)), repeats)
    for _ in range(max(1, baseline_runs)):
        for name, run in (("simpy", run_simpy_baseline), ("loop", run_loop_baseline)):
            gc.collect()
            base_runs[name].append(run(prepared(n)))
            engine_runs()
    # what SimPy alone costs per process-step at this size (a reader's yardstick for
    # the SimPy baseline: its processes do this plus the loop's work)
    gc.collect()
    floor = simpy_floor(n, FLOOR_STEPS, wake="clock")
    gc.collect()
    floor_timeout = simpy_floor(n, FLOOR_STEPS, wake="timeout")
    # the median run, not the best, on each side
    engine = _median_run(runs)
    simpy_, loop = _median_run(base_runs["simpy"]), _median_run(base_runs["loop"])
    e_tot = engine["totals"]
    agreement = {}
    ok = True
    for key in TOTAL_KEYS:
        want = e_tot[key]
        row = {"engine": want}
        for name, res in (("simpy", simpy_), ("loop", loop)):
            got = res["totals"][key]
            rel = abs(got - want) / abs(want) if want else abs(got)
            row[name] = got
            row[f"{name}_rel_diff"] = rel
            ok &= bool(rel <= ENERGY_REL_TOL or abs(got - want) < 1e-6)
        agreement[key] = row
    steps = engine["prosumer_steps"]
    e_wall, e_cpu = engine["run_s"], engine["run_main_thread_cpu_s"]
    out = {"n_prosumers": n, "days": days, "prosumer_steps": steps,
           "engine_s": e_wall, "engine_cpu_s": e_cpu,
           "engine_times_s": [r["run_s"] for r in runs],
           "simpy_s": simpy_["run_s"], "simpy_cpu_s": simpy_["run_cpu_s"],
           "loop_s": loop["run_s"], "loop_cpu_s": loop["run_cpu_s"],
           "simpy_times_s": [r["run_s"] for r in base_runs["simpy"]],
           "loop_times_s": [r["run_s"] for r in base_runs["loop"]],
           "simpy_build_s": simpy_["build_s"], "loop_build_s": loop["build_s"],
           "prepare_s": prepare_s[-1],
           "simpy_floor_us_per_process_step": floor["us_per_process_step"],
           "simpy_floor_cpu_us_per_process_step": floor["cpu_us_per_process_step"],
           "simpy_timeout_floor_us_per_process_step": floor_timeout["us_per_process_step"],
           "simpy_timeout_floor_cpu_us_per_process_step":
               floor_timeout["cpu_us_per_process_step"],
           "energy_agreement": agreement, "energy_agree": ok,
           "engine_small": {"n_prosumers": n_small, "run_s": small["run_s"],
                            "us_per_prosumer_step": small["us_per_prosumer_step"]},
           "engine_fixed_share": _fixed_share(e_wall, n, small["run_s"], n_small)}
    for name, wall, cpu in (("engine", e_wall, e_cpu), ("simpy", simpy_["run_s"],
                                                        simpy_["run_cpu_s"]),
                            ("loop", loop["run_s"], loop["run_cpu_s"])):
        out[f"{name}_us_per_prosumer_step"] = wall / steps * 1e6
        out[f"{name}_cpu_us_per_prosumer_step"] = cpu / steps * 1e6
    for name in ("simpy", "loop"):
        out[f"speedup_vs_{name}"] = out[f"{name}_s"] / e_wall if ok else None
        out[f"speedup_vs_{name}_cpu"] = (out[f"{name}_cpu_s"] / e_cpu
                                         if ok and e_cpu > 0 else None)
    return out
