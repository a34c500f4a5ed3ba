"""The machine a benchmark ran on: CPU, memory, load, peak memory of this process."""

from __future__ import annotations

import os
import platform
import resource
from pathlib import Path

import numpy as np

from desim.sim.memory import LARGE_FLEET_PROSUMERS, huge_page_advice

__all__ = ["machine_info", "load_average", "python_reference_ms", "reset_peak_rss", "peak_rss_mb"]


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages (runnable processes), if the OS reports them.

    On a shared machine other work competes for the cores: a load above the
    core count means wall times are inflated, which the report says.
    """
    try:
        return [float(x) for x in os.getloadavg()]
    except OSError:
        return None


def _reference_work(n: int) -> float:
    total = 0.0
    for i in range(n):
        total += i * 0.5
    return total


def python_reference_ms(repeats: int = 5) -> float:
    """Milliseconds for a fixed pure-Python loop (a million float additions), best of
    `repeats`: a yardstick of how fast this machine ran the interpreter during the run.
    Compare runs by it: on a shared machine a higher figure means other work was
    slowing everything down, engine and baselines alike."""
    import time

    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        _reference_work(1_000_000)
        best = min(best, time.perf_counter() - t)
    return best * 1e3


def machine_info() -> dict:
    """CPU model, core count and memory of this machine."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = int(line.split()[1]) / 1024 ** 2
    except OSError:
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        thp = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text().strip()
    except OSError:
        thp = None
    return {"cpu_model": cpu, "nproc": nproc, "memory_gb": mem_gb,
            "python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(), "transparent_hugepage": thp,
            "numpy_huge_page_advice": huge_page_advice(),
            "huge_page_advice_off_from_prosumers": LARGE_FLEET_PROSUMERS}


def reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
