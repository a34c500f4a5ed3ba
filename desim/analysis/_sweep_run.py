"""One sweep point, run where it is sent: scenario dict in, one flat row out.

The payload is the modified raw scenario dict plus the folder its relative
paths are read from, so a Dask task carries a few kilobytes, never a fleet.
Any exception inside the run becomes a ``status="failed"`` row, so one bad
point never sinks the others. Warnings are recorded in the row rather than
shown, so a row does not depend on where (or under which warning filters) it
ran.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

__all__ = ["run_point", "summary_row", "METRIC_COLUMNS", "EVENT_COLUMNS"]

# Metric columns of every row, in order: (column, where in the summary).
METRIC_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("n_prosumers", ("fleet", "prosumers")),
    ("n_evs", ("fleet", "evs")),
    ("n_bess", ("fleet", "batteries")),
    ("n_pv", ("fleet", "pv_systems")),
    ("ev_departures", ("ev_departures", "departures")),
    ("ev_met", ("ev_departures", "met")),
    ("ev_met_share", ("ev_departures", "met_share")),
    ("ev_shortfall_mean_kwh", ("ev_departures", "shortfall_kwh", "mean")),
    ("ev_shortfall_p95_kwh", ("ev_departures", "shortfall_kwh", "p95")),
    ("ev_shortfall_max_kwh", ("ev_departures", "shortfall_kwh", "max")),
    ("ev_shortfall_total_kwh", ("ev_departures", "shortfall_kwh", "total")),
    ("ev_missed_feasible", ("ev_departures", "missed_feasible_at_plugin")),
    ("ev_missed_infeasible", ("ev_departures", "missed_infeasible_at_plugin")),
    ("ev_shortfall_feasible_kwh", ("ev_departures", "shortfall_caused_by_dispatch_kwh")),
    ("ev_shortfall_infeasible_kwh", ("ev_departures", "shortfall_infeasible_at_plugin_kwh")),
    ("clips", ("ev_departures", "clips")),
    ("load_kwh", ("energy", "load_kwh")),
    ("pv_kwh", ("energy", "pv_kwh")),
    ("ev_charged_kwh", ("energy", "ev_charged_kwh")),
    ("bess_charged_kwh", ("energy", "bess_charged_kwh")),
    ("bess_discharged_kwh", ("energy", "bess_discharged_kwh")),
    ("import_kwh", ("energy", "import_kwh")),
    ("export_kwh", ("energy", "export_kwh")),
    ("self_consumption_share", ("energy", "self_consumption_share")),
    ("peak_import_kw", ("energy", "peak_import_kw")),
    ("import_cost_usd", ("energy", "import_cost_usd")),
    ("payments_usd", ("revenue", "total_usd")),
)

# Per dispatch event, as ``event.<id>.<name>``: (name, key in the summary's dispatch entry).
EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("target_kw", "target_kw"),
    ("delivered_kw", "delivered_vs_counterfactual_kw"),
    ("target_share", "target_met_share"),
    ("peak_delivered_kw", "peak_delivered_kw"),
    ("delivered_kwh", "delivered_vs_counterfactual_kwh"),
    ("settled_kwh", "settled_kwh"),
    ("rebound_kwh", "rebound_kwh"),
    ("participants", "n_participants"),
    ("payments_usd", "payments_usd"),
    ("aggregator_profit_usd", "aggregator_profit_usd"),
)


def _get(summary: dict, keys: tuple[str, ...]) -> Any:
    value: Any = summary
    for key in keys:
        value = value[key]
    return value


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    value = float(value)
    return value if math.isfinite(value) else None


def summary_row(summary: dict) -> dict[str, Any]:
    """The flat metric columns of one run's `summarize` output."""
    row = {name: _number(_get(summary, keys)) for name, keys in METRIC_COLUMNS}
    profit = 0.0
    for event in summary["dispatch"]:
        prefix = f"event.{event['event_id']}."
        for name, key in EVENT_COLUMNS:
            row[prefix + name] = _number(event.get(key))
        profit += float(event.get("aggregator_profit_usd") or 0.0)
    row["aggregator_profit_usd"] = profit
    return row


def run_point(task: dict) -> dict[str, Any]:
    """Validate, simulate and summarize one point; never raises.

    Parameters
    ----------
    task : dict
        ``index``: the point index; ``raw``: the scenario dict with the
        point's values and seed set; ``source``: name for messages;
        ``base_dir``: folder of relative paths (str or None).

    Returns
    -------
    dict
        ``point``, ``status`` ("ok" or "failed"), ``error``, ``warnings``,
        ``runtime_s`` and, when ok, the metric columns.
    """
    from desim.analysis.metrics import summarize
    from desim.scenario.loader import scenario_from_dict
    from desim.sim.run import simulate

    t0 = time.perf_counter()
    row: dict[str, Any] = {"point": task["index"], "status": "ok", "error": None}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            scenario = scenario_from_dict(task["raw"], source=task["source"],
                                          base_dir=task["base_dir"])
            row.update(summary_row(summarize(simulate(scenario))))
        except Exception as exc:  # a failed point is data, not a crash of the sweep
            row["status"] = "failed"
            row["error"] = f"{type(exc).__name__}: {exc}"
    seen: list[str] = []
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in seen:
            seen.append(text)
    row["warnings"] = "\n".join(seen) or None
    row["runtime_s"] = time.perf_counter() - t0
    return row
