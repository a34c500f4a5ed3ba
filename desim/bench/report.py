"""Readable tables of an engine benchmark report (rich renderables; nothing is printed here)."""

from __future__ import annotations

__all__ = ["report_tables"]


def _f(value, fmt="{:.3g}"):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return fmt.format(value)


def report_tables(report: dict) -> list:
    """Rich tables for `report` (from `run_engine_benchmark`): results, then targets."""
    from rich.table import Table

    m = report["machine"]
    load = [report.get("load_average_start"), report.get("load_average_end")]
    load_text = ", load avg (1 min) " + " -> ".join(
        f"{x[0]:.1f}" for x in load if x) if all(load) else ""
    ref = [report.get("python_reference_ms_start"), report.get("python_reference_ms_end")]
    if all(ref):
        load_text += f", Python yardstick {ref[0]:.0f} -> {ref[1]:.0f} ms"
    res = Table(title=f"desim engine benchmark ({report['mode']}, seed {report['seed']}) - "
                      f"{m['cpu_model']}, {m['nproc']} cores, {m['memory_gb']:.0f} GB"
                      f"{load_text}")
    for col in ("what", "size", "time s", "per unit", "notes"):
        res.add_column(col, justify="left" if col in ("what", "notes") else "right")
    w = report.get("warmup")
    if w:
        res.add_row("warm-up (compiled passes)", f"{w['n_prosumers']:,} x {w['days']} d",
                    _f(w["s"]), "", "first run in the process: loads the compiled passes "
                    "(compiles them after install); not in the figures below")
    for r in report["fleet_generation"]:
        res.add_row("fleet generation", f"{r['n_prosumers']:,}", _f(r["best_s"]),
                    f"{r['bytes_per_prosumer']:.0f} B/prosumer", "best of repeats")
    sa = report.get("seed_api")
    if sa:
        for key, label in (("bess_charge", "BESS.charge"), ("bess_discharge", "BESS.discharge"),
                           ("ev_charge", "ElectricVehicle.charge"),
                           ("bess_charge_int", "BESS.charge, an int power"),
                           ("ev_charge_int", "ElectricVehicle.charge, an int power"),
                           ("bess_available_discharge_kw",
                            "BESS.get_available_discharge_capacity_kw"),
                           ("ev_charging_requirement_kwh",
                            "ElectricVehicle.get_charging_requirement_kwh"),
                           ("pv_generation_kw", "SolarPV.get_generation_kw")):
            r = sa.get(key)
            if r is None:           # a report from before the entry existed
                continue
            res.add_row(f"seed API: {label}", "1 call", "", f"{r['median_us']:.3g} us",
                        f"median of repeats (min {r['min_us']:.3g} us); CPU "
                        f"{r['cpu_median_us']:.3g} us")
        f = sa["fleet_objects"]
        res.add_row("seed API: FleetGenerator objects", f"{f['n_prosumers']:,}", "",
                    f"{f['us_per_prosumer']:.3g} us/prosumer",
                    f"create_prosumer_fleet: table {f['table_us_per_prosumer']:.3g} + objects "
                    f"{f['objects_us_per_prosumer']:.3g} us/prosumer; CPU "
                    f"{f['cpu_us_per_prosumer']:.3g} us/prosumer; median of "
                    f"{len(f['times_s'])} builds after a first one of "
                    f"{_f(f.get('first_call_s'))} s (loading the catalog and compiled "
                    f"helpers once)")
    c = report["comparison"]
    size = f"{c['n_prosumers']:,} x {c['days']} d"
    share = c.get("engine_fixed_share")
    small = c.get("engine_small", {})
    res.add_row("engine", size, _f(c["engine_s"]),
                f"{c['engine_us_per_prosumer_step']:.3g} us/step",
                f"median of {len(c.get('engine_times_s', []))} runs spread before, between "
                f"and after the baselines; CPU {c['engine_cpu_us_per_prosumer_step']:.3g} "
                f"us/step; fixed costs "
                f"{_f(share, '{:.0%}')} of its time (at {small.get('n_prosumers', 0):,}: "
                f"{_f(small.get('us_per_prosumer_step'))} us/step)")
    for key, label in (("simpy", "SimPy process per prosumer, on a shared clock"),
                       ("loop", "plain loop")):
        res.add_row(label, size, _f(c[f"{key}_s"]),
                    f"{c[f'{key}_us_per_prosumer_step']:.3g} us/step",
                    f"median of {len(c.get(f'{key}_times_s', [1]))} runs "
                    f"({', '.join(_f(t) for t in c.get(f'{key}_times_s', []))} s); "
                    f"CPU {c[f'{key}_cpu_us_per_prosumer_step']:.3g} us/step; engine "
                    f"{_f(c[f'speedup_vs_{key}'], '{:.0f}')}x faster (CPU time "
                    f"{_f(c.get(f'speedup_vs_{key}_cpu'), '{:.0f}')}x); objects and EV "
                    f"sessions built before, in {_f(c.get(f'{key}_build_s'))} s; the model "
                    f"frozen out of the garbage collector while it runs")
    for key, label, what in (
            ("simpy_floor", "SimPy alone",
             "as many processes doing nothing but wake every interval on a shared event, as "
             "the baseline's do; CPU {cpu} us/step: the part of the SimPy baseline's cost "
             "that is the library's"),
            ("simpy_timeout_floor", "SimPy alone, a timeout each",
             "the same processes each waking on its own timeout; CPU {cpu} us/step; against "
             "the row above, what waking that way would add to each step")):
        if f"{key}_us_per_process_step" in c:
            res.add_row(label, f"{c['n_prosumers']:,} x 1 d", "",
                        f"{c[f'{key}_us_per_process_step']:.3g} us/step",
                        what.format(cpu=f"{c[f'{key}_cpu_us_per_process_step']:.3g}"))
    worst = max(max(v["simpy_rel_diff"], v["loop_rel_diff"])
                for v in c["energy_agreement"].values())
    res.add_row("energy totals agree", "", "", f"max diff {worst:.2e}",
                "yes (<1 %)" if c["energy_agree"] else "NO")
    for r in report["scaling"]:
        res.add_row("scaling", f"{r['n_prosumers']:,} x {r['days']:g} d", _f(r["run_s"]),
                    f"{r['us_per_prosumer_day']:.3g} us/prosumer-day",
                    f"{r['rows_per_s']:,.0f} log rows/s; {r['state_bytes_per_prosumer']:.0f} "
                    "B state/prosumer")
    for key, label in (("year", "year, log written"), ("million", "one day, log written")):
        r = report.get(key)
        if not r:
            continue
        extra = ""
        if key == "year" and r.get("day_cost"):
            d = r["day_cost"]
            extra = (f"; s/day first {d['window_days']:g} d {_f(d['s_per_day_start'])}, "
                     f"last {_f(d['s_per_day_end'])}")
        if r.get("process", {}).get("fresh"):
            extra += "; in a fresh process"
        if r.get("log_streamed"):
            how = (f"run {r['run_s']:.3g} s, log streamed: record {_f(r['record_s'])} s, flush "
                   f"{_f(r['flush_s'])} s, wait for writer {_f(r['write_wait_s'])} s (writer "
                   f"thread busy {_f(r['writer_busy_s'])} s)")
        else:
            how = (f"run {r['run_s']:.3g} s, table {r['to_arrow_s']:.3g} s, write "
                   f"{r['write_s']:.3g} s")
        res.add_row(label, f"{r['n_prosumers']:,} x {r['days']:g} d", _f(r["total_s"]),
                    f"log {r['log_share']:.0%}",
                    f"{how}, {r['log_rows']:,} rows, peak RSS {r['peak_rss_mb']:.0f} MB{extra}")
    s = report.get("sharded")
    if s:
        res.add_row("sharded", f"{s['n_prosumers']:,} x {s['days']} d / {s['n_shards']}",
                    _f(s["total_s"]), f"{s['log_rows']:,} rows",
                    f"run {s['run_s']:.3g} s (with inputs); merged log streamed "
                    f"{s['merge_write_s']:.3g} s (merge {s['merge_s']:.3g} s, writer thread "
                    f"busy {s['writer_busy_s']:.3g} s); peak RSS {s['peak_rss_mb']:.0f} MB")
    th = report.get("thermal")
    if th:
        res.add_row("thermal: without / with AC", f"{th['n_prosumers']:,} x {th['days']} d",
                    f"{th['without']['total_s']:.3g} / {th['with_units']['total_s']:.3g}",
                    f"ratio {th['ratio']:.2f}",
                    f"{th['units']:,} air conditioners, california_summer from "
                    f"{th['start']}; log rows {th['without']['log_rows']:,} / "
                    f"{th['with_units']['log_rows']:,}; ratio of the run alone "
                    f"{th['run_ratio']:.2f}, of its thread's CPU time {th['cpu_ratio']:.2f}"
                    + ("; in a fresh process" if th.get("process", {}).get("fresh") else ""))
    tgt = Table(title="targets")
    for col in ("target", "measured", "goal", "met", "note"):
        tgt.add_column(col, justify="right" if col in ("measured", "goal", "met") else "left")
    for name, row in report["checks"].items():
        met = {None: "n/a (smaller run)", True: "yes", False: "NO"}[row["met"]]
        note = ""
        if "engine_us_needed" in row:
            note = (f"met with the engine at {_f(row['engine_us_needed'])} us/step or less "
                    f"against this baseline; it took {_f(row['engine_us'])}")
        measured, target = _f(row["measured"]), _f(row["target"])
        if measured == target and row["met"] is False:
            # a miss that rounds to the goal: enough digits to see it
            measured = _f(row["measured"], "{:.6g}")
        tgt.add_row(name, measured, target, met, note)
    return [res, tgt]
