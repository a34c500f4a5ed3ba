"""Fleet-generation benchmark: time `generate_fleet_table`, report memory.

Run ``python -m desim.bench.fleet [--sizes 100000 1000000] [--json PATH]``.
Targets (DESIGN.md): 100,000 prosumers in under 1 s, 1,000,000 in under 10 s
on 2 cores; under 1 KB of fleet state per prosumer.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import time
from collections.abc import Sequence

import numpy as np

from desim.fleet.generate import generate_fleet_table

__all__ = ["run_fleet_benchmark", "TARGETS_S"]

#: Time budget per fleet size, seconds (DESIGN.md).
TARGETS_S = {100_000: 1.0, 1_000_000: 10.0}


def run_fleet_benchmark(sizes: Sequence[int] = (100_000, 1_000_000), seed: int = 0,
                        repeats: int = 3) -> dict:
    """Time `generate_fleet_table` per size (best of `repeats`) and measure its size.

    Returns
    -------
    dict
        ``{"benchmark": "fleet_generation", "seed", "repeats", "machine",
        "results": [{"n_prosumers", "best_s", "times_s", "prosumers_per_s",
        "nbytes", "bytes_per_prosumer", "n_bess", "n_evs", "n_pv", "target_s",
        "meets_target"}]}``. ``nbytes`` is `FleetTable.nbytes` (numeric arrays,
        id strings counted by pointer).
    """
    results = []
    for n in sizes:
        times = []
        table = None
        for _ in range(max(1, repeats)):
            del table
            gc.collect()
            start = time.perf_counter()
            table = generate_fleet_table(int(n), seed)
            times.append(time.perf_counter() - start)
        best = min(times)
        target = TARGETS_S.get(int(n))
        results.append({
            "n_prosumers": int(n),
            "best_s": best,
            "times_s": times,
            "prosumers_per_s": n / best if best > 0 else float("inf"),
            "nbytes": int(table.nbytes()),
            "bytes_per_prosumer": table.nbytes() / n if n else 0.0,
            "n_bess": table.n_bess, "n_evs": table.n_evs, "n_pv": table.n_pv,
            "target_s": target,
            "meets_target": None if target is None else bool(best < target),
        })
        del table
    return {"benchmark": "fleet_generation", "seed": seed, "repeats": repeats,
            "machine": {"python": platform.python_version(), "numpy": np.__version__,
                        "cpus": os.cpu_count(), "platform": platform.platform()},
            "results": results}


def _print_table(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="desim fleet generation (best of "
                        f"{report['repeats']}, seed {report['seed']})")
    for col in ("prosumers", "best s", "prosumers/s", "bytes/prosumer", "target s", "ok"):
        table.add_column(col, justify="right")
    for r in report["results"]:
        table.add_row(f"{r['n_prosumers']:,}", f"{r['best_s']:.3f}",
                      f"{r['prosumers_per_s']:,.0f}", f"{r['bytes_per_prosumer']:.1f}",
                      "-" if r["target_s"] is None else f"{r['target_s']:g}",
                      {None: "-", True: "yes", False: "NO"}[r["meets_target"]])
    Console().print(table)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m desim.bench.fleet",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    args = parser.parse_args(argv)
    report = run_fleet_benchmark(args.sizes, args.seed, args.repeats)
    _print_table(report)
    if args.json:
        from desim.fleet.export import _atomic_write

        def write(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(report, fh, indent=2)
        _atomic_write(args.json, write)


if __name__ == "__main__":  # pragma: no cover
    main()
