"""The ``sharded`` section: a million prosumers for a week as shards (``--full`` only)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from desim.bench.machine import peak_rss_mb, reset_peak_rss
from desim.bench.scenario import bench_inputs, solar_profile

__all__ = ["run_sharded_section"]


def run_sharded_section(n: int, days: int, n_shards: int, seed: int, tmp: str) -> dict:
    from desim.fleet.generate import generate_fleet_table
    from desim.profiles import make_times
    from desim.sim.shards import run_sharded

    per = n // n_shards
    start = "2026-01-01"
    root = np.random.SeedSequence(seed)
    shard_seeds = root.spawn(n_shards)
    solar = {}

    def factory(s, k):
        fleet = generate_fleet_table(per, shard_seeds[s], id_prefix=f"s{s:03d}_p")
        if "profile" not in solar:       # one weather draw for the whole region
            times = make_times(start, days * 96, 15, "America/Los_Angeles")
            solar["profile"] = solar_profile(fleet, times, root)[1]
        from desim import profiles
        bucket, _, _ = profiles.orientation_buckets(fleet.pv_tilt_deg, fleet.pv_azimuth_deg)
        return bench_inputs(per, days, seed + s, start=start, fleet=fleet,
                            solar_kw_per_kwp=(bucket, solar["profile"]))

    reset_peak_rss()
    t = time.perf_counter()
    marks = {}

    def progress(fraction):
        if fraction >= 1.0:
            marks["run_s"] = time.perf_counter() - t

    res = run_sharded(factory, n_shards, progress=progress,
                      log_path=Path(tmp) / "sharded_events.parquet")
    total_s = time.perf_counter() - t
    w = res.log_write
    return {"n_prosumers": per * n_shards, "days": days, "n_shards": n_shards,
            "run_s": marks["run_s"], "merge_write_s": w["total_s"],
            "merge_s": w["merge_s"], "writer_busy_s": w["writer_busy_s"],
            "writer_cpu_s": w["writer_cpu_s"], "put_wait_s": w["put_wait_s"],
            "close_wait_s": w["close_wait_s"], "total_s": total_s,
            "log_rows": int(w["rows"]), "row_groups": int(w["row_groups"]),
            "file_mb": res.log_path.stat().st_size / 2**20,
            "peak_rss_mb": peak_rss_mb(),
            "note": "run_s includes building each shard's inputs (fleet, load model); "
                    "merge_write_s: the merged log written window by window (merge_s "
                    "merging here, the writer thread beside it)"}
