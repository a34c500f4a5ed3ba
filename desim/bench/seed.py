"""Seed-API benchmark: the cost of one call of the scalar asset API, and of fleet objects.

The obvious-design baselines (`desim.bench.baseline`) are only as fast as these
calls, so the engine benchmark reports them beside its comparison. Each figure
is the median over `repeats` timings of `calls` calls in a plain loop (the
loop's own cost included, as a caller pays it), in wall time and in this
thread's CPU time. On a shared machine the wall time also counts the time the
thread waited for a core; the CPU time is what a call costs its caller, and
is what the targets table judges.
"""

from __future__ import annotations

import gc
import statistics
import time

__all__ = ["run_seed_benchmark"]


def _per_call_us(fn, calls: int, repeats: int, reset=None) -> dict:
    fn()                                     # compile or load the compiled physics first
    times, cpu = [], []
    for _ in range(max(1, repeats)):
        if reset is not None:
            reset()
        t, c = time.perf_counter(), time.thread_time()
        for _ in range(calls):
            fn()
        cpu.append((time.thread_time() - c) / calls * 1e6)
        times.append((time.perf_counter() - t) / calls * 1e6)
    return {"median_us": statistics.median(times), "min_us": min(times),
            "cpu_median_us": statistics.median(cpu), "times_us": times}


def run_seed_benchmark(calls: int = 20_000, repeats: int = 7, fleet_size: int = 20_000,
                       seed: int = 0) -> dict:
    """Time `BESS.charge`, `BESS.discharge`, `ElectricVehicle.charge` (also with an int
    power: ``bess_charge_int``, ``ev_charge_int``), the headroom methods and
    `FleetGenerator.create_prosumer_fleet` (per prosumer).

    Returns
    -------
    dict
        One entry per call (``median_us``, ``min_us``, ``cpu_median_us``,
        ``times_us``) and ``fleet_objects`` (``us_per_prosumer`` and
        ``cpu_us_per_prosumer`` for the whole `create_prosumer_fleet` call,
        ``table_us_per_prosumer`` for drawing the table alone,
        ``objects_us_per_prosumer`` the difference; wall time unless named cpu;
        medians over `repeats` builds after a first one, whose time is
        ``first_call_s``).
    """
    from desim.assets import BESS, ElectricVehicle, SolarPV
    from desim.fleet.generator import FleetGenerator

    bess = BESS(13.5, 5.0, 0.95, current_soc_percent=50.0, self_discharge_per_h=1e-4)
    ev = ElectricVehicle(75.0, 11.0, current_soc_percent=30.0, charge_efficiency=0.92)
    pv = SolarPV(6.0, 0.86)

    def reset():
        bess.soc = 0.5
        ev.soc = 0.3

    out = {
        # charge and discharge the same small amount so the SOC stays mid-range
        "bess_charge": _per_call_us(lambda: bess.charge(2.0, 0.01), calls, repeats, reset),
        "bess_discharge": _per_call_us(lambda: bess.discharge(2.0, 0.01), calls, repeats, reset),
        "ev_charge": _per_call_us(lambda: ev.charge(3.0, 0.0005), calls, repeats, reset),
        # the same calls with an int power, as the seed's examples write them
        # (``charge(5, 1)``): not only plain floats are fast
        "bess_charge_int": _per_call_us(lambda: bess.charge(2, 0.01), calls, repeats, reset),
        "ev_charge_int": _per_call_us(lambda: ev.charge(3, 0.0005), calls, repeats, reset),
        "bess_available_discharge_kw": _per_call_us(
            lambda: bess.get_available_discharge_capacity_kw(2.0), calls, repeats),
        "ev_charging_requirement_kwh": _per_call_us(ev.get_charging_requirement_kwh, calls,
                                                    repeats),
        "pv_generation_kw": _per_call_us(lambda: pv.get_generation_kw(0.7), calls, repeats),
    }
    generator = FleetGenerator()
    # the first call loads what a process loads once (catalog, compiled helpers): timed
    # and reported on its own, not a cost per prosumer
    gc.collect()
    t = time.perf_counter()
    first = generator.create_prosumer_fleet(fleet_size, seed)
    first_s = time.perf_counter() - t
    del first
    whole, table, whole_cpu = [], [], []
    for _ in range(max(1, repeats)):
        # results are dropped after the clock stops: freeing them is not building them
        gc.collect()
        t = time.perf_counter()
        drawn = generator.generate_table(fleet_size, seed)
        table.append(time.perf_counter() - t)
        del drawn
        gc.collect()
        t, c = time.perf_counter(), time.thread_time()
        fleet = generator.create_prosumer_fleet(fleet_size, seed)
        whole_cpu.append(time.thread_time() - c)
        whole.append(time.perf_counter() - t)
        del fleet
    per = 1e6 / fleet_size
    out["fleet_objects"] = {
        "n_prosumers": fleet_size, "us_per_prosumer": statistics.median(whole) * per,
        "cpu_us_per_prosumer": statistics.median(whole_cpu) * per,
        "table_us_per_prosumer": statistics.median(table) * per,
        "objects_us_per_prosumer": (statistics.median(whole) - statistics.median(table)) * per,
        "times_s": whole, "cpu_times_s": whole_cpu, "first_call_s": first_s}
    return out
