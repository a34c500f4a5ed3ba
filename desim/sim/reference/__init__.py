"""Reference engine: one SimPy process per asset (for checking, not for fleets).

Each EV is a process that waits for its arrival, then for its target or V2G
floor crossing or its departure, in closed form; each battery is a process
that waits for its own full/empty crossing. A site-controller process decides
every setpoint at the decision instants of docs/semantics.md (profile
boundaries, dispatch start and end, and every EV event in coupled runs) with
the rules written out per EV in `desim.sim.reference.rules`. It shares the
physics and the session sources with the fleet engine but none of its
vectorized bookkeeping, so the two checking each other is meaningful.

In scope: EV policies ``uncontrolled`` and ``smart`` (edf, llf), battery
policies ``self_consumption`` and ``follow_dispatch``, the departure guard, the
site limit, dispatch events (acceptance, offers, pro-rata and merit awards)
and counterfactual settlement. ``price_responsive`` raises NotImplementedError.
"""

from __future__ import annotations

import numpy as np
import simpy
from attrs import define

from desim.sim.reference.assets import bess_process, ev_process
from desim.sim.reference.controller import Run, controller_process

__all__ = ["ReferenceResult", "run_reference", "run_reference_full", "settle"]


@define
class ReferenceResult:
    """Everything a checker needs from one reference run.

    ``rows``: ``(t_h, kind, prosumer_index, asset_type, asset_index, soc)`` in the
    fleet log's canonical order (asset state events only). ``final_soc``:
    ``(asset_type, index) -> soc`` at the horizon. ``departures``: ``(t_h,
    ev_index, soc, required_soc, shortfall_kwh, cause)`` with the plug-in
    classification as cause. ``ev_power`` / ``bess_power``: ``(t_h, index,
    power_kw)`` at every power change (power is 0 before an asset's first entry).
    ``window_import_kwh``: event id -> per-home net import (kWh) over the event's
    window, EVs and batteries included. ``clips``: ``(t_h, ev_index, setpoint_kw,
    floor_kw)``; ``limit_exceeded``: ``(t_h, total_ev_kw)`` at decision instants;
    ``awards``: ``(t_h, event_id, home, offer_kw, award_kw)`` per accepting home
    at every decision inside an event; ``plugins``: ``(t_h, ev_index, status,
    rho_kw)``; ``accepted``: event id -> per-home acceptance.
    """

    rows: list
    final_soc: dict
    departures: list
    ev_power: list
    bess_power: list
    window_import_kwh: dict
    clips: list
    limit_exceeded: list
    awards: list
    plugins: list
    accepted: dict


def run_reference(inp):
    """Run `inp` with one process per asset; returns ``(rows, final_soc)``.

    ``rows`` are ``(t_h, kind, prosumer_index, asset_type, asset_index, soc)``
    sorted in the fleet log's canonical order; ``final_soc`` maps
    ``(asset_type, index)`` to the SOC at the end of the horizon.
    """
    res = run_reference_full(inp)
    return res.rows, res.final_soc


def run_reference_full(inp, counterfactual: bool = False) -> ReferenceResult:
    """Run `inp` and return a `ReferenceResult`.

    With ``counterfactual=True`` the dispatch events do not act (no acceptance
    draws, no offers, no decision instants at their start and end), but the
    homes' imports are still integrated over their windows, for settlement.
    """
    env = simpy.Environment()
    run = Run(env, inp, control_events=not counterfactual)
    for ev in run.evs:
        ev.proc = env.process(ev_process(env, run, ev))
    for b in run.bess:
        b.proc = env.process(bess_process(env, run, b))
    env.process(controller_process(env, run))
    env.run(until=run.horizon_h + 1e-9)
    from desim.sim.log import KINDS
    order = {k: i for i, k in enumerate(KINDS)}
    rows = sorted(run.rows, key=lambda r: (r[0], order[r[1]], r[2], r[3] != "ev", r[4]))
    final = {}
    for ev in run.evs:
        final[("ev", ev.index)] = (ev.soc_at(run.horizon_h) if ev.plugged
                                   else run.away_soc.get(ev.index, ev.soc))
    for b in run.bess:
        final[("bess", b.index)] = b.soc_at(run.horizon_h)
    windows = {inp.events.event_id[j]: (float(inp.events.start_h[j]), float(inp.events.end_h[j]))
               for j in range(len(inp.events.start_h))}
    return ReferenceResult(
        rows=rows, final_soc=final, departures=run.departures, ev_power=run.ev_power,
        bess_power=run.bess_power, window_import_kwh=_window_imports(inp, run, windows),
        clips=run.clips, limit_exceeded=run.limit_exceeded, awards=run.awards,
        plugins=run.plugins, accepted={w.event_id: w.accepted for w in run.windows})


def _energy_kwh(changes, t0, t1) -> float:
    """Integral over [t0, t1] of a piecewise-constant power given by (t, p) changes."""
    total, p, tp = 0.0, 0.0, t0
    for t, new in changes:
        if t > t0:
            total += p * (min(t, t1) - tp)
            tp = min(t, t1)
        if t >= t1:
            return total
        p = new
    return total + p * (t1 - tp)


def _window_imports(inp, run, windows) -> dict:
    f = inp.fleet
    ev_changes = [[] for _ in range(f.n_evs)]
    for t, e, p in run.ev_power:
        ev_changes[e].append((t, p))
    bess_changes = [[] for _ in range(f.n_bess)]
    for t, b, p in run.bess_power:
        bess_changes[b].append((t, p))
    out = {}
    for event_id, (t0, t1) in windows.items():
        kwh = np.zeros(f.n_prosumers)
        for k, start in enumerate(run.profile_t):
            end = start + inp.interval_h
            overlap = min(end, t1) - max(start, t0)
            if overlap > 0.0:
                kwh += run.net_kw[k] * overlap
        for e in range(f.n_evs):
            kwh[run.evs[e].home] += _energy_kwh(ev_changes[e], t0, t1)
        for b in range(f.n_bess):
            kwh[run.bess[b].home] += _energy_kwh(bess_changes[b], t0, t1)
        out[event_id] = kwh
    return out


def settle(result: ReferenceResult, counterfactual: ReferenceResult, inp) -> dict:
    """Per event: ``delivered`` and ``settled`` kWh per home against the counterfactual.

    ``delivered = sign * (import_cf - import)`` over the window (``sign = +1`` for
    discharge events, -1 for absorb); ``settled = max(0, delivered)``.
    """
    out = {}
    for j, event_id in enumerate(inp.events.event_id):
        sign = -float(inp.events.direction[j])      # direction: -1 discharge, +1 absorb
        delivered = sign * (counterfactual.window_import_kwh[event_id]
                            - result.window_import_kwh[event_id])
        out[event_id] = {"delivered": delivered, "settled": np.maximum(0.0, delivered)}
    return out
