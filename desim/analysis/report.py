"""A run's report: one self-contained HTML page of figures and key metrics.

`write_report` reads a directory written by `desim run` (``summary.json``,
``series.parquet``, ``settlements.csv``, the event log ``events.parquet`` /
``.jsonl`` / ``.csv`` or a sharded run's partitioned ``events/`` and, when the
run had dispatch events, ``counterfactual_series.parquet``) and writes ``report.html``: a summary table
and numbered figures drawn with matplotlib as inline SVG (glyphs as paths), so
the page needs no network, fonts, scripts or style sheets to be read.

A sweep results table (``--sweep``) adds the shortfall-against-dispatch-depth
curve. Columns read from ``results.parquet`` (a name also matches as the last
dotted part of a column, e.g. ``market.target_kw``):

* x, the swept depth: the first of ``target_kw``, ``dispatch_target_kw``,
  ``depth_kw``, ``depth``, ``target_share``, else the first numeric column that
  is not a metric or a seed;
* y, the shortfall: the first of ``shortfall_caused_by_dispatch_kwh``,
  ``shortfall_kwh_total``, ``shortfall_total_kwh``, ``shortfall_kwh``,
  ``shortfall_kwh_mean``, else the first numeric column with "shortfall" in
  its name;
* lines: one per value of ``ev_policy``, ``departure_guard``, ``smart_order``
  and ``bess_policy`` (those present with more than one value);
* rows repeating an (x, line) pair (e.g. several seeds) are drawn as their
  mean with a band from minimum to maximum.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from attrs import frozen

from desim._io import file_mode, note_output
from desim.analysis import _figures as figs
from desim.analysis.metrics import departures as departure_rows
from desim.errors import OutputError

__all__ = ["RunData", "SweepTable", "RenderedFigure", "read_run_dir", "read_sweep",
           "render_figures", "report_html", "write_report", "SWEEP_X", "SWEEP_Y",
           "SWEEP_GROUPS"]

SWEEP_X = ("target_kw", "dispatch_target_kw", "depth_kw", "depth", "target_share")
SWEEP_Y = ("ev_shortfall_feasible_kwh", "shortfall_caused_by_dispatch_kwh",
           "shortfall_kwh_total", "shortfall_total_kwh", "shortfall_kwh", "shortfall_kwh_mean")
SWEEP_GROUPS = ("ev_policy", "departure_guard", "smart_order", "bess_policy")
_REQUIRED = ("summary.json", "series.parquet", "settlements.csv")
_EVENT_FILES = ("events.parquet", "events.jsonl", "events.csv")
_DEPARTURE_COLUMNS = ["t_h", "kind", "prosumer_id", "asset_id", "soc_percent",
                      "required_soc_percent", "shortfall_kwh", "detail"]


@frozen
class RunData:
    """What the report reads from a run directory."""

    path: Path
    summary: dict
    series: pd.DataFrame
    counterfactual: pd.DataFrame | None
    settlements: pd.DataFrame
    departures: pd.DataFrame
    events_file: str


@frozen
class SweepTable:
    """A sweep's results with the columns the report plots."""

    path: Path
    frame: pd.DataFrame
    x: str
    y: str
    group: tuple[str, ...]


@frozen
class RenderedFigure:
    """One figure: a short key, its caption (plain text) and its image bytes."""

    key: str
    caption: str
    data: bytes


def _read(path: Path, reader):
    try:
        return reader(path)
    except (OSError, ValueError) as exc:
        raise OutputError(f"{path}: could not read ({exc})") from exc


def _read_departures(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet" or path.is_dir():
        from desim.analysis.outputs import read_event_log
        frame = read_event_log(path, columns=_DEPARTURE_COLUMNS, kinds=["ev_departure"])
    elif path.suffix == ".jsonl":
        frame = pd.read_json(path, lines=True)
    else:
        frame = pd.read_csv(path)
    missing = [c for c in _DEPARTURE_COLUMNS if c not in frame.columns]
    if missing:
        raise OutputError(f"{path}: expected event log columns {_DEPARTURE_COLUMNS}, "
                          f"missing {missing}")
    frame = frame[frame["kind"].astype(str) == "ev_departure"]
    return departure_rows(frame)


def read_run_dir(run_dir) -> RunData:
    """Read a directory written by `desim run`.

    Raises
    ------
    OutputError
        If `run_dir` is not a directory, lacks a required file, or a file cannot
        be read; the message names the path and every missing file.
    """
    root = Path(run_dir)
    if not root.is_dir():
        raise OutputError(f"{root}: expected a run directory written by `desim run`, "
                          f"got {'a file' if root.exists() else 'no such directory'}")
    missing = [name for name in _REQUIRED if not (root / name).is_file()]
    events = ("events" if (root / "events").is_dir() else
              next((name for name in _EVENT_FILES if (root / name).is_file()), None))
    if events is None:
        missing.append(" or ".join(_EVENT_FILES) + " or events/")
    if missing:
        raise OutputError(f"{root}: expected a run directory written by `desim run`, "
                          f"missing {', '.join(missing)}")
    summary = _read(root / "summary.json", lambda p: json.loads(p.read_text("utf-8")))
    series = _read(root / "series.parquet", pd.read_parquet)
    cf_path = root / "counterfactual_series.parquet"
    cf = _read(cf_path, pd.read_parquet) if cf_path.is_file() else None
    settlements = _read(root / "settlements.csv", pd.read_csv)
    departures = _read(root / events, _read_departures)
    problems = [f"summary.json: expected key {k!r}" for k in
                ("fleet", "energy", "ev_departures", "dispatch", "revenue", "interval_h")
                if k not in summary]
    problems += [f"series.parquet: expected column {c!r}" for c in
                 ("t_h", "timestamp", "net_kw", "price_usd_per_kwh") if c not in series]
    if problems:
        raise OutputError(f"{root}: " + "; ".join(problems))
    return RunData(root, summary, series, cf, settlements, departures, events)


def _match(columns, name: str) -> str | None:
    return next((c for c in columns if c == name or c.split(".")[-1] == name), None)


def read_sweep(path, x: str | None = None, y: str | None = None) -> SweepTable:
    """Read a sweep's ``results.parquet`` (or a directory holding it); see module docstring.

    Raises
    ------
    OutputError
        If the file is missing or unreadable, or lacks a numeric depth or
        shortfall column (the message lists the columns found).
    """
    path = Path(path)
    file = path / "results.parquet" if path.is_dir() else path
    if not file.is_file():
        raise OutputError(f"{file}: expected a sweep results table (results.parquet), "
                          "got no such file")
    frame = _read(file, pd.read_parquet)
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    problems = []
    if y is None:
        y = next((m for m in (_match(numeric, n) for n in SWEEP_Y) if m), None) or next(
            (c for c in numeric if "shortfall" in c), None)
    if x is None:
        x = next((m for m in (_match(numeric, n) for n in SWEEP_X) if m), None) or next(
            (c for c in numeric if c != y and not _is_metric(c)), None)
    for role, col, names in (("depth", x, SWEEP_X), ("shortfall", y, SWEEP_Y)):
        if col is None or col not in numeric:
            problems.append(f"expected a numeric {role} column ({', '.join(names)}), "
                            f"got {'none' if col is None else repr(col)}")
    if problems:
        raise OutputError(f"{file}: " + "; ".join(problems)
                          + f"; columns found: {list(frame.columns)}")
    group = tuple(m for m in (_match(frame.columns, g) for g in SWEEP_GROUPS)
                  if m is not None and m not in (x, y) and frame[m].nunique(dropna=False) > 1)
    return SweepTable(file, frame, x, y, group)


def _is_metric(column: str) -> bool:
    name = column.split(".")[-1]
    return (name in ("seed", "run", "run_id", "index", "replicate")
            or any(w in name for w in ("shortfall", "met", "missed", "delivered", "payment",
                                       "usd", "clips", "departures", "profit", "revenue")))


# -- figures ----------------------------------------------------------------------------------

def _events(data: RunData) -> pd.DataFrame:
    cols = ["event_id", "start_h", "end_h", "direction", "target_kw"]
    if len(data.settlements):
        return data.settlements[cols]
    return pd.DataFrame({c: [e.get(c) for e in data.summary["dispatch"]] for c in cols})


def render_figures(data: RunData, sweep: SweepTable | None = None,
                   fmt: str = "svg") -> tuple[list[RenderedFigure], list[str]]:
    """The report's figures as SVG or PNG bytes, and notes on figures left out."""
    out, notes = [], []
    interval_h = float(data.summary["interval_h"])
    events = _events(data)
    if len(events) == 0:
        power_caption = ("Fleet net grid import (blue) and the price (green, right axis). The "
                         "scenario has no dispatch events. Values are interval means "
                         f"({60 * interval_h:g} min); times are local.")
    elif data.counterfactual is None:
        power_caption = ("Fleet net grid import with dispatch (blue) and the price (green, right "
                         "axis); event windows are shaded. No counterfactual was run, so the "
                         "target level and delivered power cannot be drawn. Values are interval "
                         f"means ({60 * interval_h:g} min); times are local.")
    else:
        power_caption = (
            "Top: fleet net grid import with dispatch (blue) and without it (grey, dashed: the "
            "counterfactual run with the same fleet and seed), the target level during each "
            "dispatch event (the counterfactual moved by the event's target, orange, dotted), "
            "and the price (green, right axis). Bottom: power delivered against the "
            "counterfactual and the target. Event windows are shaded. Values are interval "
            f"means ({60 * interval_h:g} min); times are local.")
    out.append(RenderedFigure(
        "power", power_caption,
        figs.render(figs.fig_power, data.series, data.counterfactual, events, interval_h,
                    fmt=fmt)))
    dep = data.departures
    if len(dep):
        out.append(RenderedFigure(
            "departure_soc",
            "State of charge at departure against the driver's requirement. EV departures with "
            "the same values share one marker, its area growing with their number (printed "
            "beside it). Markers on the dashed diagonal left exactly at their requirement; "
            "markers below it left short. Colour tells whether the requirement could be met at plug-in "
            "(energy needed within maximum charge power times time parked).",
            figs.render(figs.fig_departure_soc, dep, fmt=fmt)))
        out.append(RenderedFigure(
            "shortfall",
            "Distribution of the energy shortfall at departure (kWh below the requirement) "
            "among the EVs that missed it, stacked by feasibility at plug-in. A shortfall of "
            "an EV feasible at plug-in comes from dispatch, the site limit or the policy.",
            figs.render(figs.fig_shortfall, dep, fmt=fmt)))
    else:
        notes.append(f"No SOC-at-departure or shortfall figures: {data.events_file} holds no "
                     "ev_departure rows (no EV departed, or output.event_kinds left them out).")
    by_profile = data.summary["revenue"].get("by_profile", {})
    if not data.summary["dispatch"]:
        notes.append("No payments figure: the scenario has no dispatch events.")
    elif by_profile:
        out.append(RenderedFigure(
            "revenue",
            "Dispatch payments to prosumers by preference profile: total (left) and mean per "
            "prosumer, participants or not (right).",
            figs.render(figs.fig_revenue, by_profile, fmt=fmt)))
    if sweep is not None:
        frame = sweep.frame.dropna(subset=[sweep.x, sweep.y])
        reps = frame.groupby([sweep.x, *sweep.group], dropna=False).size().max()
        out.append(RenderedFigure(
            "sweep",
            f"Departure shortfall ({sweep.y}) against dispatch depth ({sweep.x}) from the "
            f"sweep in {sweep.path}"
            + (f", one line per {', '.join(sweep.group)}" if sweep.group else "")
            + (f"; markers are means over up to {reps} runs (e.g. seeds), bars span minimum to "
               "maximum, and lines are nudged apart along x so they do not hide each other."
               if reps > 1 else "."),
            figs.render(figs.fig_sweep, frame, sweep.x, sweep.y, list(sweep.group), fmt=fmt)))
    else:
        notes.append("No shortfall-against-dispatch-depth figure: no sweep results were given "
                     "(desim report DIR --sweep SWEEP_DIR).")
    return out, notes


# -- tables and page -------------------------------------------------------------------------

def _f(value, digits=1, unit="", prefix=""):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return f"{prefix}{value:,.{digits}f}{(' ' + unit) if unit else ''}"


def _clock(series: pd.DataFrame, hours: float) -> str:
    t0 = pd.Timestamp(series["timestamp"].iloc[0])
    return (t0 + pd.Timedelta(hours=float(hours))).strftime("%b %d %H:%M")


def _feasible_shortfall_label(summary: dict) -> str:
    """What a shortfall of EVs feasible at plug-in can come from in this run."""
    if summary.get("dispatch"):
        return "shortfall feasible at plug-in (dispatch or site limit)"
    return "shortfall feasible at plug-in (no dispatch in this run: site limit or policy)"


def _summary_rows(data: RunData) -> list[tuple[str, list[tuple[str, str]]]]:
    s = data.summary
    e, d, r = s["energy"], s["ev_departures"], s["revenue"]
    fl = s["fleet"]
    sh = d["shortfall_kwh"]
    energy = [
        ("household load", _f(e["load_kwh"], unit="kWh")),
        ("solar generation", _f(e["pv_kwh"], unit="kWh")),
        ("EV charging", _f(e["ev_charged_kwh"], unit="kWh")),
        ("battery charged / discharged", f"{_f(e['bess_charged_kwh'])} / "
                                         f"{_f(e['bess_discharged_kwh'], unit='kWh')}"),
        ("grid import / export", f"{_f(e['import_kwh'])} / {_f(e['export_kwh'], unit='kWh')}"),
        ("solar self-consumption", _f(100 * e["self_consumption_share"], unit="%")),
        ("peak fleet import", _f(e["peak_import_kw"], unit="kW")),
        ("import cost", _f(e["import_cost_usd"], 2, prefix="$")),
    ]
    departures = [
        ("departures meeting their SOC requirement",
         f"{d['met']:,} of {d['departures']:,} ({_f(100 * d['met_share'], unit='%')})"
         if d["departures"] else "no departure in the run"),
        ("missed, feasible at plug-in", f"{d['missed_feasible_at_plugin']:,}"),
        ("missed, infeasible at plug-in", f"{d['missed_infeasible_at_plugin']:,}"),
        (_feasible_shortfall_label(s), _f(d["shortfall_caused_by_dispatch_kwh"], 2, "kWh")),
        ("shortfall infeasible at plug-in", _f(d["shortfall_infeasible_at_plugin_kwh"], 2,
                                              "kWh")),
        *[(f"shortfall by cause: {name}",
           f"{_f(c['kwh'], 2, 'kWh')} ({c['departures']:,} departures)")
          for name, c in d.get("shortfall_by_cause", {}).items()],
        ("shortfall per departure: mean / p95 / max",
         f"{_f(sh['mean'], 2)} / {_f(sh['p95'], 2)} / {_f(sh['max'], 2, 'kWh')}"),
        ("departure-guard clips", f"{d['clips']:,}"),
    ]
    money = [
        ("payments to prosumers", _f(r["total_usd"], 2, prefix="$")),
        ("mean payment per prosumer", _f(r["mean_per_prosumer_usd"], 2, prefix="$")),
    ]
    for p in s["dispatch"]:
        money.append((f"aggregator revenue / payments / profit ({p['event_id']})",
                      f"{_f(p.get('aggregator_revenue_usd'), 2, prefix='$')} / "
                      f"{_f(p.get('payments_usd'), 2, prefix='$')} / "
                      f"{_f(p.get('aggregator_profit_usd'), 2, prefix='$')}"))
    fleet = [("prosumers / EVs / batteries / PV systems",
              f"{fl['prosumers']:,} / {fl['evs']:,} / {fl['batteries']:,} / "
              f"{fl['pv_systems']:,}")]
    return [("Fleet", fleet), ("Energy over the run", energy),
            ("EV departures", departures), ("Payments and aggregator P&L", money)]


def _event_table(data: RunData) -> str:
    rows = data.summary["dispatch"]
    if not rows:
        return "<p class=note>The scenario has no dispatch events.</p>"
    head = ("<tr><th>event</th><th>window (local)</th><th>direction</th><th>target</th>"
            "<th>delivered vs counterfactual</th><th>share of target</th>"
            "<th>peak delivered</th><th>settled energy (baseline)</th><th>rebound after</th>"
            "<th>participants</th></tr>")
    body = []
    for p in rows:
        share = p.get("target_met_share")
        body.append(
            "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in (
                p["event_id"],
                f"{_clock(data.series, p['start_h'])}–{_clock(data.series, p['end_h'])[-5:]}",
                "discharge" if p["direction"] < 0 else "absorb",
                _f(p["target_kw"], unit="kW"),
                _f(p.get("delivered_vs_counterfactual_kw"), unit="kW"),
                _f(None if share is None else 100 * share, unit="%"),
                _f(p.get("peak_delivered_kw"), unit="kW"),
                f"{_f(p['settled_kwh'])} of {_f(p['target_kwh'], unit='kWh')} "
                f"({p.get('baseline', '')})",
                _f(p.get("rebound_kwh"), unit="kWh"),
                f"{p['n_participants']:,}")) + "</tr>")
    return f"<table class=events><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"


_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1b1b1b;
  font: 15px/1.55 "Helvetica Neue", Helvetica, Arial, "Liberation Sans", sans-serif; }
main { max-width: 860px; margin: 0 auto; padding: 32px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 18px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
h3 { font-size: 14px; margin: 18px 0 4px; color: #444; text-transform: uppercase;
  letter-spacing: 0.04em; }
.meta { color: #555; font-size: 14px; margin: 0 0 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px;
  font-variant-numeric: tabular-nums; }
td, th { padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
th { text-align: left; font-weight: 600; border-bottom: 1px solid #bbb; font-size: 13px; }
table.kv td:last-child { text-align: right; white-space: nowrap; }
table.events td:nth-child(n+4) { text-align: right; }
table.events th:nth-child(n+4) { text-align: right; }
figure { margin: 28px 0 0; }
svg.figure { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figcaption { font-size: 13.5px; color: #333; margin-top: 6px; }
figcaption b { color: #000; }
.note { color: #555; font-size: 13.5px; font-style: italic; }
footer { margin-top: 40px; color: #777; font-size: 12.5px; }
"""


def report_html(data: RunData, sweep: SweepTable | None = None) -> str:
    """The report page as a string (see module docstring)."""
    s = data.summary
    sc = s.get("scenario", {})
    name = sc.get("name", data.path.name)
    pol = s.get("policies", {})
    esc = html.escape
    stamps = pd.DatetimeIndex(data.series["timestamp"])
    span = (f"{stamps[0].strftime('%Y-%m-%d %H:%M')} + {s.get('horizon_h', 0):g} h "
            f"({stamps.tz or 'naive times'})" if len(stamps) else "")
    meta = [f"scenario file {sc['file']}, seed {sc.get('seed')}" if "file" in sc else "",
            span,
            f"EV policy {pol.get('ev', '?')}, battery policy {pol.get('bess', '?')}, "
            f"departure guard {'on' if pol.get('departure_guard') else 'off'}"]
    tables = []
    for title, rows in _summary_rows(data):
        body = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows)
        tables.append(f"<h3>{esc(title)}</h3><table class=kv><tbody>{body}</tbody></table>")
    figures, notes = render_figures(data, sweep)
    blocks = []
    for i, f in enumerate(figures, 1):
        svg = figs.inline_svg(f.data, f"fig{i}")
        blocks.append(f'<figure id="figure-{i}-{f.key}">{svg}<figcaption><b>Figure {i}.</b> '
                      f"{esc(f.caption)}</figcaption></figure>")
    notes_html = "".join(f"<p class=note>{esc(n)}</p>" for n in notes)
    definitions = (
        "Delivered power is the mean, over the event window, of the difference between fleet "
        "net import without and with dispatch (sign of the event's direction). Settled "
        "energy is what the homes were paid for. Shortfall is kWh below the required SOC at "
        "departure; it is split by whether the requirement was feasible at plug-in.")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>desim report: {esc(name)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<h1>desim report: {esc(name)}</h1>
{''.join(f'<p class=meta>{esc(m)}</p>' for m in meta if m)}
<h2>Key metrics</h2>
{''.join(tables)}
<h3>Dispatch events</h3>
{_event_table(data)}
<p class=note>{esc(definitions)}</p>
<h2>Figures</h2>
{''.join(blocks)}
{notes_html}
<footer>Written by desim report from {esc(str(data.path))} (event log {esc(data.events_file)}).
</footer>
</main>
</body>
</html>
"""


def write_report(run_dir, output=None, sweep=None) -> Path:
    """Write the report of `run_dir` (default ``run_dir/report.html``) atomically.

    Parameters
    ----------
    run_dir : path
        A directory written by `desim run`.
    output : path, optional
        The HTML file to write.
    sweep : path, optional
        A sweep's ``results.parquet`` or the directory holding it.

    Returns
    -------
    Path of the written report.

    Raises
    ------
    OutputError
        If the run directory or sweep table is missing or malformed, or the
        report cannot be written.
    """
    data = read_run_dir(run_dir)
    table = read_sweep(sweep) if sweep is not None else None
    page = report_html(data, table)
    out = Path(output) if output is not None else data.path / "report.html"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(page)
            os.chmod(tmp, file_mode())
            os.replace(tmp, out)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise OutputError(f"{out}: could not write the report ({exc.strerror or exc})") from exc
    note_output(out.parent, out.name)
    return out

