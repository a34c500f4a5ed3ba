"""Parameter sweeps and Monte Carlo runs, in this process or on Dask.

A sweep is the cartesian product of ``--set`` values times a list of seeds.
Every point is a full, independent run (`simulate` then `summarize`) that
yields one flat row of metrics; the rows form one table sorted by point
index, identical wherever the points ran. Every point's scenario is checked
through the scenario loader before anything runs, so a bad path or value
fails at once with a message naming it.

See ``docs/sweeps.md`` for the columns of the table.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from desim._io import atomic_directory
from desim.analysis._sweep_exec import run_dask, run_local
from desim.analysis._sweep_grid import (
    SweepPoint,
    apply_point,
    expand_grid,
    format_value,
    parse_path,
    parse_set,
)
from desim.analysis._sweep_run import METRIC_COLUMNS
from desim.analysis.outputs import check_output_dir, to_jsonable
from desim.errors import ScenarioError

__all__ = ["run_sweep", "parse_set", "expand_grid", "SweepPoint", "write_sweep",
           "summarize_sweep", "RESULTS_FILE", "SPEC_FILE"]

RESULTS_FILE = "results.parquet"
SPEC_FILE = "sweep.json"

_COUNT_COLUMNS = ("n_prosumers", "n_evs", "n_bess", "n_pv", "ev_departures", "ev_met",
                  "ev_missed_feasible", "ev_missed_infeasible", "clips")


def _base(scenario) -> tuple[dict, str, Path | None, str]:
    """The scenario file as a raw dict, its name for messages, folder and scenario name."""
    from desim.scenario import load_scenario
    from desim.scenario.loader import scenario_to_dict
    from desim.scenario.schema import Scenario

    if isinstance(scenario, Scenario):
        return (scenario_to_dict(scenario), scenario.source,
                Path(scenario.base_dir) if scenario.base_dir is not None else None,
                scenario.info.name)
    path = Path(scenario)
    checked = load_scenario(path)  # every problem of the file itself, before any --set
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    return raw, checked.source, checked.base_dir, checked.info.name


def _check_seeds(seeds) -> int | list[int]:
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ScenarioError(f"--seeds: expected a count >= 1, got {seeds}")
        return seeds
    seeds = list(seeds)
    bad = [s for s in seeds if not isinstance(s, int) or isinstance(s, bool) or s < 0]
    if not seeds or bad:
        raise ScenarioError(f"--seed-list: expected one or more integers >= 0, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ScenarioError(f"--seed-list: expected distinct seeds, got {seeds!r}")
    return seeds


def _check_sets(sets: dict[str, Sequence]) -> dict[str, list]:
    out: dict[str, list] = {}
    for path, values in sets.items():
        parse_path(path)
        values = [values] if isinstance(values, str) else list(values)
        if not values:
            raise ScenarioError(f"--set {path}: expected at least one value, got none")
        out[path.strip()] = values
    if "scenario.seed" in out:
        raise ScenarioError("--set scenario.seed: sweep seeds with --seeds or --seed-list")
    return out


def _validate(raw, sets, points, source, base_dir) -> list[dict]:
    """Check each value alone, then every point; raise once listing all problems."""
    from desim.scenario.loader import scenario_from_dict

    problems: list[str] = []
    for path, values in sets.items():
        for value in values:
            try:
                scenario_from_dict(apply_point(raw, [(path, value)]), source, base_dir)
            except ScenarioError as exc:
                problems.append(f"--set {path}={format_value(value)}: {exc}")
    if problems:
        raise ScenarioError(problems[0] if len(problems) == 1 else
                            f"{len(problems)} problems:\n  " + "\n  ".join(problems))
    tasks = []
    for point in points:
        point_raw = apply_point(raw, point.params, point.seed)
        try:
            scenario_from_dict(point_raw, source, base_dir)
        except ScenarioError as exc:
            where = ", ".join(f"{p}={format_value(v)}" for p, v in point.params)
            message = f"point {point.index} ({where or 'base'}, seed {point.seed}): {exc}"
            problems.append(message)
        tasks.append({"index": point.index, "raw": point_raw, "source": source,
                      "base_dir": str(base_dir) if base_dir is not None else None})
    if problems:
        shown = problems[:10] + ([f"... and {len(problems) - 10} more"]
                                 if len(problems) > 10 else [])
        raise ScenarioError(f"{len(problems)} sweep point(s) invalid:\n  " + "\n  ".join(shown))
    return tasks


def _param_column(values: list) -> pd.Series:
    kinds = {type(v) for v in values}
    if kinds <= {int, float} and kinds:
        return pd.Series(values, dtype="int64" if kinds == {int} else "float64")
    if kinds == {bool}:
        return pd.Series(values, dtype="bool")
    return pd.Series([v if isinstance(v, str) else format_value(v) for v in values],
                     dtype="str")


def _table(points: list[SweepPoint], rows: list[dict], paths: list[str]) -> pd.DataFrame:
    by_point = {r["point"]: r for r in rows}
    rows = [by_point[p.index] for p in points]
    data: dict[str, Any] = {
        "point": pd.Series([p.index for p in points], dtype="int64"),
        "case": pd.Series([p.case for p in points], dtype="int64"),
        "seed": pd.Series([p.seed for p in points], dtype="int64"),
    }
    for k, path in enumerate(paths):
        data[path] = _param_column([p.params[k][1] for p in points])
    data["status"] = pd.Series([r["status"] for r in rows], dtype="str")
    data["error"] = pd.Series([r.get("error") for r in rows], dtype="str")
    names = [name for name, _ in METRIC_COLUMNS] + ["aggregator_profit_usd"]
    for r in rows:  # per-event columns in order of first appearance
        names += [k for k in r if k.startswith("event.") and k not in names]
    for name in names:
        values = [r.get(name) for r in rows]
        data[name] = pd.Series(values, dtype="Int64" if name in _COUNT_COLUMNS or
                               name.endswith(".participants") else "float64")
    data["warnings"] = pd.Series([r.get("warnings") for r in rows], dtype="str")
    data["runtime_s"] = pd.Series([r.get("runtime_s") for r in rows], dtype="float64")
    return pd.DataFrame(data)


def run_sweep(scenario, sets: dict[str, Sequence] | None = None, seeds: int | Sequence[int] = 1,
              workers: int | None = None, scheduler: str | None = None,
              progress: Callable[[int, int, int], None] | None = None) -> pd.DataFrame:
    """Run every point of a parameter grid times a list of seeds.

    Parameters
    ----------
    scenario : str, Path or Scenario
        A scenario file, or a loaded `Scenario` (its `scenario_to_dict` keys
        are what `sets` address).
    sets : dict of str to list, optional
        Dotted path into the scenario file (``[i]`` for list entries, e.g.
        ``"market.events[0].target_kw"``) to the values it takes, in grid
        order (first path varies slowest). Missing tables are created.
    seeds : int or sequence of int, default 1
        An int ``n`` runs seeds ``s + 0 .. s + n - 1`` where ``s`` is the
        scenario's ``scenario.seed``; a sequence lists the seeds (>= 0).
    workers : int, optional
        Run on a local Dask cluster of this many worker processes.
    scheduler : str, optional
        Run on an existing Dask cluster at this address.
    progress : callable, optional
        Called once before the first point and after each finished point as
        ``progress(done, total, failed)``.

    Returns
    -------
    pandas.DataFrame
        One row per point, sorted by ``point``; ``attrs["sweep"]`` holds the
        grid spec (what `write_sweep` stores as ``sweep.json``). A point that
        raised has ``status == "failed"`` and its message in ``error``.

    Raises
    ------
    ScenarioError
        Before anything runs, if a path or value (or a combination) makes an
        invalid scenario; the message names the path and the value.
    DesimError
        If Dask is asked for but not installed, or both `workers` and
        `scheduler` are given.
    """
    from desim import __version__
    from desim.errors import DesimError

    if workers is not None and scheduler is not None:
        raise DesimError("sweep: expected at most one of --workers and --scheduler, got both")
    raw, source, base_dir, name = _base(scenario)
    sets = _check_sets(sets or {})
    seeds = _check_seeds(seeds)
    points = expand_grid(raw, sets, seeds)
    tasks = _validate(raw, sets, points, source, base_dir)
    if workers is None and scheduler is None:
        rows = run_local(tasks, progress)
        execution = {"mode": "in-process"}
    else:
        rows = run_dask(tasks, workers=workers, scheduler=scheduler, progress=progress)
        execution = ({"mode": "dask-local", "workers": workers} if workers is not None
                     else {"mode": "dask", "scheduler": scheduler})
    table = _table(points, rows, list(sets))
    table.attrs["sweep"] = to_jsonable({
        "desim_version": __version__, "scenario": {"name": name, "source": source,
                                                   "base_dir": str(base_dir)},
        "sets": sets, "seeds": seeds if isinstance(seeds, list) else {"count": seeds},
        "seeds_per_case": sorted({p.seed for p in points}),
        "n_cases": len({p.case for p in points}), "n_points": len(points),
        "n_failed": int((table["status"] != "ok").sum()), "execution": execution,
        "base_scenario": json.loads(json.dumps(raw, default=str)),
    })
    return table


def write_sweep(table: pd.DataFrame, out_dir, overwrite: bool = False,
                spec: dict | None = None) -> Path:
    """Write ``results.parquet`` and ``sweep.json`` into `out_dir`, atomically.

    Both files are written into a temporary folder beside `out_dir` that is
    renamed when complete; an existing non-empty `out_dir` is replaced only
    with `overwrite`.

    Raises
    ------
    OutputError
        If `out_dir` exists and is not empty (without `overwrite`), or a
        write fails.
    """
    out = check_output_dir(out_dir, overwrite)
    spec = spec if spec is not None else table.attrs.get("sweep", {})
    def write(tmp: Path) -> None:
        plain = pd.DataFrame(table)
        plain.attrs = {}
        import pyarrow.parquet as pq
        pq.write_table(pa.Table.from_pandas(plain, preserve_index=False), tmp / RESULTS_FILE)
        (tmp / SPEC_FILE).write_text(json.dumps(to_jsonable(spec), indent=2) + "\n")

    return atomic_directory(out, write, "sweep results")


def summarize_sweep(table: pd.DataFrame, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean of each metric over the seeds of each grid case (successful points only).

    Returns one row per ``case`` with the swept parameters, ``n_ok`` and
    ``n_failed``, and the mean of every metric in `metrics` (default: all
    numeric metric columns).
    """
    columns = list(table.columns)
    params = columns[columns.index("seed") + 1:columns.index("status")]
    if metrics is None:
        skip = {"point", "case", "seed", "runtime_s", *params}
        metrics = [c for c in table.columns if c not in skip
                   and pd.api.types.is_numeric_dtype(table[c])
                   and not pd.api.types.is_bool_dtype(table[c])]
    ok = table["status"] == "ok"
    group = table.groupby("case", sort=True)
    out = group[params].first() if params else pd.DataFrame(index=group.size().index)
    out["n_ok"] = ok.groupby(table["case"]).sum().astype("int64")
    out["n_failed"] = (~ok).groupby(table["case"]).sum().astype("int64")
    means = table[ok].groupby("case")[list(metrics)].mean()
    return out.join(means.astype("float64")).reset_index()
