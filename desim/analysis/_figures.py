"""The report's figures, drawn with matplotlib's object API (no pyplot).

Each ``fig_*`` function builds one `matplotlib.figure.Figure` from plain
frames; `render` draws it inside a style context (so matplotlib's global rc
state is never changed) on a non-interactive canvas and returns the bytes.
Colours follow the Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008,
"Color Universal Design"), one colour per meaning across all figures.
"""

from __future__ import annotations

import io
import re

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.figure import Figure

# One colour per meaning, shared by every figure (Okabe-Ito palette).
COLORS = {
    "net": "#0072B2",            # fleet net import with dispatch
    "counterfactual": "#7A7A7A",  # same fleet without dispatch
    "target": "#D55E00",         # dispatch target
    "price": "#009E73",          # retail / market price
    "event": "#F0E442",          # event window shading
    "feasible": "#0072B2",       # EV whose requirement was feasible at plug-in
    "infeasible": "#E69F00",     # EV whose requirement was infeasible at plug-in
    "conservative": "#56B4E9",
    "moderate": "#0072B2",
    "aggressive": "#CC79A7",
}
_SERIES_CYCLE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")

_STYLE = {
    "font.size": 9.0, "axes.titlesize": 10.0, "axes.labelsize": 9.0,
    "xtick.labelsize": 8.5, "ytick.labelsize": 8.5, "legend.fontsize": 8.5,
    "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": "#DDDDDD", "grid.linewidth": 0.6,
    "axes.edgecolor": "#444444", "axes.linewidth": 0.8, "axes.axisbelow": True,
    "legend.frameon": False, "lines.linewidth": 1.6,
    "svg.fonttype": "path",       # glyphs as paths: the page needs no fonts
    "svg.hashsalt": "desim",      # stable clip-path ids: same data, same bytes
    "figure.dpi": 100, "savefig.dpi": 150,
}
# Metadata keys matplotlib would otherwise fill (with dates and URLs).
_NO_METADATA = {"svg": {"Creator": None, "Date": None, "Format": None, "Type": None},
                "png": {"Software": None}}
WIDTH_IN = 8.0


def render(build, *args, fmt: str = "svg", **kwargs) -> bytes:
    """Build a figure with ``build(*args, **kwargs)`` and return it as SVG or PNG bytes."""
    with mpl.rc_context(_STYLE):
        fig = build(*args, **kwargs)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata=_NO_METADATA[fmt], bbox_inches="tight",
                    pad_inches=0.05)
    return buf.getvalue()


def inline_svg(svg: bytes, prefix: str) -> str:
    """SVG bytes made fit to inline in HTML: no XML prologue, no namespace URLs,
    every id prefixed so several figures on one page do not collide."""
    text = svg.decode("utf-8")
    text = text[text.index("<svg"):]
    text = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text)
    text = text.replace("xlink:href=", "href=")
    ids = set(re.findall(r'\sid="([^"]+)"', text))
    text = re.sub(r'(\sid=")([^"]+)"', lambda m: f'{m.group(1)}{prefix}-{m.group(2)}"', text)
    text = re.sub(r'(url\(#|href="#)([^")]+)',
                  lambda m: m.group(1) + (f"{prefix}-{m.group(2)}" if m.group(2) in ids
                                          else m.group(2)), text)
    # natural width (so all figures share one text size), shrinking on narrow pages
    text = re.sub(r'<svg([^>]*?)\swidth="([^"]*)"\s+height="[^"]*"',
                  r'<svg\1 class="figure" role="img" style="width:\2"', text, count=1)
    return text.strip()


def _local(series: pd.DataFrame) -> pd.DatetimeIndex:
    """Interval starts as naive local wall-clock times (what a reader expects)."""
    stamps = pd.DatetimeIndex(series["timestamp"])
    return stamps.tz_localize(None) if stamps.tz is not None else stamps


def _steps(times: pd.DatetimeIndex, values: np.ndarray, interval_h: float):
    """Interval means as a step line: x gets the last interval's end appended."""
    end = times[-1] + pd.Timedelta(hours=interval_h)
    return times.append(pd.DatetimeIndex([end])), np.r_[values, values[-1]]


def _time_axis(ax, label: str) -> None:
    locator = mdates.AutoDateLocator(minticks=5, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    ax.set_xlabel(label)


def _shade_events(ax, events, t0, labels: bool) -> list:
    spans = []
    for _, ev in events.iterrows():
        lo = t0 + pd.Timedelta(hours=float(ev["start_h"]))
        hi = t0 + pd.Timedelta(hours=float(ev["end_h"]))
        spans.append(ax.axvspan(lo, hi, color=COLORS["event"], alpha=0.35, lw=0, zorder=0,
                                label="dispatch event" if labels and not spans else None))
        if labels:
            ax.annotate(str(ev["event_id"]), xy=(lo, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -3), textcoords="offset points", va="top", ha="left",
                        fontsize=8, color="#555555")
    return spans[:1]


def fig_power(series, cf_series, events, interval_h: float) -> Figure:
    """Fleet net import with and without dispatch, the target level, price, event windows.

    `events` has columns event_id, start_h, end_h, direction (-1 discharge,
    +1 absorb) and target_kw. The target is drawn as a level of net import
    (the counterfactual moved by the target in the event's direction) and, in
    a lower panel when a counterfactual exists, as delivered power against
    target: ``direction * (net - counterfactual)``.
    """
    has_cf = cf_series is not None and len(events) > 0
    fig = Figure(figsize=(WIDTH_IN, 4.6 if has_cf else 3.4), layout="constrained")
    if has_cf:
        ax, axd = fig.subplots(2, 1, sharex=True, height_ratios=(3.0, 1.3))
    else:
        ax, axd = fig.add_subplot(), None
    times = _local(series)
    t0 = times[0]
    zone = pd.DatetimeIndex(series["timestamp"]).tz
    x, net = _steps(times, series["net_kw"].to_numpy(), interval_h)
    handles = _shade_events(ax, events, t0, labels=True)
    t_h = series["t_h"].to_numpy()
    if cf_series is not None:
        cf_net = cf_series["net_kw"].to_numpy()
        _, cf = _steps(times, cf_net, interval_h)
        handles += ax.plot(x, cf, drawstyle="steps-post", color=COLORS["counterfactual"],
                           ls="--", lw=1.3, label="without dispatch (counterfactual)")
    handles += ax.plot(x, net, drawstyle="steps-post", color=COLORS["net"], lw=1.8,
                       label="with dispatch" if len(events) else "fleet net import", zorder=3)
    if cf_series is not None:
        for k, (_, ev) in enumerate(events.iterrows()):
            inside = (t_h + interval_h > ev["start_h"]) & (t_h < ev["end_h"])
            if not inside.any():
                continue
            level = cf_net + ev["direction"] * ev["target_kw"]
            xs, ys = _steps(times[inside], level[inside], interval_h)
            line = ax.plot(xs, ys, drawstyle="steps-post", color=COLORS["target"], lw=1.6,
                           ls=(0, (3, 1.5)), zorder=4,
                           label="target level (counterfactual − target)" if k == 0 else None)
            if k == 0:
                handles += line
    ax.axhline(0, color="#444444", lw=0.6, zorder=1)
    ax.set_ylabel("fleet net import (kW)\nimport > 0, export < 0")
    ax.set_xlim(x[0], x[-1])
    ax2 = ax.twinx()
    _, price = _steps(times, series["price_usd_per_kwh"].to_numpy(), interval_h)
    handles += ax2.plot(x, price, drawstyle="steps-post", color=COLORS["price"], lw=1.1,
                        alpha=0.9, label="price (right axis)")
    ax2.set_ylabel("price (USD/kWh)", color=COLORS["price"])
    ax2.tick_params(axis="y", colors=COLORS["price"])
    ax2.spines["right"].set_visible(True)
    ax2.spines["right"].set_color(COLORS["price"])
    ax2.grid(False)
    ax2.set_ylim(0, max(float(np.nanmax(price)) * 1.35, 1e-3))
    ymin, ymax = ax.get_ylim()
    ax.set_ylim(ymin, ymax + 0.12 * (ymax - ymin))   # headroom for the event labels
    label = f"local time ({zone})" if zone is not None else "time"
    if axd is not None:
        _shade_events(axd, events, t0, labels=False)
        delivered = np.zeros(len(t_h))
        target = np.full(len(t_h), np.nan)
        for _, ev in events.iterrows():
            inside = (t_h + interval_h > ev["start_h"]) & (t_h < ev["end_h"])
            delivered[inside] = ev["direction"] * (series["net_kw"].to_numpy()[inside]
                                                   - cf_net[inside])
            target[inside] = ev["target_kw"]
        _, d = _steps(times, delivered, interval_h)
        _, tg = _steps(times, target, interval_h)
        axd.plot(x, d, drawstyle="steps-post", color=COLORS["net"], lw=1.6,
                 label="delivered (vs counterfactual)")
        axd.plot(x, tg, drawstyle="steps-post", color=COLORS["target"], lw=1.6,
                 ls=(0, (3, 1.5)), label="target")
        axd.axhline(0, color="#444444", lw=0.6, zorder=1)
        axd.set_ylabel("delivered (kW)")
        axd.legend(loc="upper right", ncols=2)
        lo, hi = axd.get_ylim()
        axd.set_ylim(lo, hi + 0.35 * (hi - lo))       # room for the legend
        _time_axis(axd, label)
    else:
        _time_axis(ax, label)
    fig.legend(handles=handles, loc="outside upper center", ncols=min(len(handles), 5),
               handlelength=2.2, columnspacing=1.4)
    return fig


def fig_departure_soc(departures: pd.DataFrame) -> Figure:
    """SOC at departure against the required SOC; EVs with equal values share one
    marker whose area grows with their number."""
    fig = Figure(figsize=(WIDTH_IN * 0.62, 4.3), layout="constrained")
    ax = fig.add_subplot()
    frame = pd.DataFrame({
        "req": departures["required_soc_percent"].to_numpy(dtype=float).round(1),
        "soc": departures["soc_percent"].to_numpy(dtype=float).round(1),
        "feasible": departures["feasible_at_plugin"].to_numpy(dtype=bool)})
    points = frame.groupby(["feasible", "req", "soc"]).size().rename("n").reset_index()
    values = np.r_[frame["req"], frame["soc"], 100.0]
    lo = max(0.0, np.floor(np.nanmin(values) / 10.0) * 10.0 - 5.0)
    ax.plot([lo, 100], [lo, 100], color="#444444", lw=0.9, ls="--", zorder=1,
            label="departure SOC = requirement")
    for flag, key, text, marker in ((True, "feasible", "feasible at plug-in", "o"),
                                    (False, "infeasible", "infeasible at plug-in", "D")):
        p = points[points["feasible"] == flag]
        ax.scatter(p["req"], p["soc"], s=18 * np.sqrt(p["n"]), marker=marker,
                   facecolor=COLORS[key], edgecolor="white", linewidth=0.5, alpha=0.85,
                   zorder=3 if not flag else 2,
                   label=f"{text} (n = {int((frame['feasible'] == flag).sum())})")
        for row in p[p["n"] > 1].itertuples():
            ax.annotate(f"{row.n}", (row.req, row.soc), xytext=(-6, 4),
                        textcoords="offset points", ha="right", va="bottom", fontsize=7.5,
                        color="#333333")
    ax.set_xlim(lo, 102)
    ax.set_ylim(lo, 102)
    ax.set_aspect("equal")
    ax.set_xlabel("required SOC at departure (%)")
    ax.set_ylabel("SOC at departure (%)")
    ax.legend(loc="upper left")
    return fig


def fig_shortfall(departures: pd.DataFrame, met_kwh: float = 1e-6) -> Figure:
    """Histogram of departure shortfall (kWh) of the EVs that missed, by feasibility."""
    fig = Figure(figsize=(WIDTH_IN * 0.62, 3.2), layout="constrained")
    ax = fig.add_subplot()
    short = departures["shortfall_kwh"].to_numpy(dtype=float)
    feasible = departures["feasible_at_plugin"].to_numpy(dtype=bool)
    missed = short > met_kwh
    n, n_missed = len(short), int(missed.sum())
    if n_missed == 0:
        fig.set_size_inches(WIDTH_IN * 0.62, 0.8)
        ax.text(0.5, 0.5, f"all {n} departures met their requirement", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    top = float(short[missed].max())
    bins = np.linspace(0.0, top * 1.0001 if top > 0 else 1.0, min(25, max(6, n_missed)) + 1)
    parts = [(short[missed & feasible], "feasible", "feasible at plug-in"),
             (short[missed & ~feasible], "infeasible", "infeasible at plug-in")]
    ax.hist([p[0] for p in parts], bins=bins, stacked=True,
            color=[COLORS[p[1]] for p in parts], edgecolor="white", linewidth=0.5,
            label=[f"{p[2]} (n = {len(p[0])})" for p in parts])
    ax.set_xlabel("shortfall at departure (kWh)")
    ax.set_ylabel("EV departures")
    ax.set_xlim(left=0)
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.legend(loc="outside upper center", ncols=2, title=(
        f"{n_missed} of {n} departures missed their requirement ({n - n_missed} met it, "
        "not shown)"), title_fontsize=8.5)
    return fig


def fig_revenue(by_profile: dict) -> Figure:
    """Total and mean-per-prosumer payments by preference profile (USD)."""
    fig = Figure(figsize=(WIDTH_IN, 2.8), layout="constrained")
    names = list(by_profile)
    colors = [COLORS.get(n, "#777777") for n in names]
    for i, (key, title) in enumerate((("total_usd", "total payments (USD)"),
                                      ("mean_usd", "mean payment per prosumer (USD)"))):
        ax = fig.add_subplot(1, 2, i + 1)
        values = [by_profile[n][key] for n in names]
        bars = ax.bar(names, values, color=colors, width=0.6)
        fmt = "${:,.2f}"
        ax.bar_label(bars, labels=[fmt.format(v) for v in values], padding=2, fontsize=8.5)
        ax.set_ylabel(title)
        ax.grid(axis="x", visible=False)
        ax.set_ylim(0, max(max(values, default=0.0) * 1.18, 1e-6))
        if i == 0:
            ax.set_xticks(range(len(names)),
                          [f"{n}\n({by_profile[n]['prosumers']} homes)" for n in names])
        else:
            ax.set_xticks(range(len(names)), names)
    return fig


def fig_sweep(frame: pd.DataFrame, x: str, y: str, group: list[str]) -> Figure:
    """Shortfall against dispatch depth, one line per group; mean over repeated runs
    (e.g. seeds) with bars from minimum to maximum, groups nudged apart along x."""
    fig = Figure(figsize=(WIDTH_IN * 0.75, 3.6), layout="constrained")
    ax = fig.add_subplot()
    groups = list(frame.groupby(group, sort=True, dropna=False)) if group else [((), frame)]
    xs = np.unique(frame[x].to_numpy(dtype=float))
    step = float(np.min(np.diff(xs))) if len(xs) > 1 else 1.0
    for k, (key, sub) in enumerate(groups):
        key = key if isinstance(key, tuple) else (key,)
        stats = sub.groupby(x, sort=True)[y].agg(["mean", "min", "max"])
        color = _SERIES_CYCLE[k % len(_SERIES_CYCLE)]
        nudge = (k - (len(groups) - 1) / 2) * 0.06 * step
        px = stats.index.to_numpy(dtype=float) + nudge
        err = np.vstack([stats["mean"] - stats["min"], stats["max"] - stats["mean"]])
        ax.errorbar(px, stats["mean"], yerr=err, color=color, marker="o", ms=4.5, lw=1.6,
                    capsize=2.5, elinewidth=0.9, label=_group_label(group, key) or None)
    top = float(frame[y].max()) if len(frame) else 1.0
    ax.set_ylim(-0.04 * max(top, 1e-9), None)
    ax.axhline(0, color="#444444", lw=0.6, zorder=1)
    ax.set_xticks(xs)
    ax.set_xlabel(_axis_label(x))
    ax.set_ylabel(_axis_label(y))
    if group:
        fig.legend(loc="outside lower center", ncols=min(len(groups), 3))
    return fig


def _group_label(names, values) -> str:
    parts = []
    for name, value in zip(names, values, strict=True):
        short = name.split(".")[-1]
        if isinstance(value, bool | np.bool_):
            parts.append(f"{short.replace('_', ' ')} {'on' if value else 'off'}")
        elif short in ("ev_policy", "policy"):
            parts.append(str(value))
        else:
            parts.append(f"{short.replace('_', ' ')} {value}")
    return ", ".join(parts)


def _axis_label(column: str) -> str:
    name = column.split(".")[-1]
    for suffix, unit in (("_kwh", "kWh"), ("_kw", "kW"), ("_usd", "USD"), ("_percent", "%"),
                         ("_share", "fraction"), ("_h", "h")):
        if name.endswith(suffix):
            return f"{name[: -len(suffix)].replace('_', ' ')} ({unit})"
    return name.replace("_", " ")
