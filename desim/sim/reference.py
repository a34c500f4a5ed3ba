"""Reference engine: one SimPy process per asset (for checking, not for fleets).

Each EV is a process that waits for its arrival, charges at full power
(uncontrolled), waits for its target crossing or its departure, and so on;
each battery is a process that steps through the profile intervals under
self-consumption and waits for its own full/empty crossing. It shares the
physics and the session sources with the fleet engine but none of its
vectorized bookkeeping, so the two checking each other is meaningful. Only the
uncontrolled EV policy and the self-consumption battery policy are modelled.
"""

from __future__ import annotations

import numpy as np
import simpy

from desim.assets import physics
from desim.sim.engine import SimInputs

__all__ = ["run_reference"]


def _ev_process(env, inp: SimInputs, e: int, rows: list, final: dict):
    f = inp.fleet
    cap, pmax, eff = f.ev_capacity_kwh[e], f.ev_max_charge_kw[e], f.ev_charge_efficiency[e]
    home = int(f.ev_prosumer_index[e])
    arr, dep, soc, tgt = (float(x[0]) for x in inp.sessions.first(np.array([e]),
                                                                     np.array([f.ev_soc[e]])))
    while arr < inp.horizon_h:
        yield env.timeout(max(0.0, arr - env.now))
        t = arr
        rows.append((t, "ev_arrival", home, "ev", e, soc))
        p = pmax if soc < tgt else 0.0
        rows.append((t, "ev_plugged_in", home, "ev", e, soc))
        t_full = t + float(physics.time_to_soc(soc, tgt, p, cap, eff, eff))
        if t_full < dep and t_full <= inp.horizon_h:
            yield env.timeout(t_full - env.now)
            soc = tgt
            rows.append((t_full, "ev_target_reached", home, "ev", e, soc))
            p = 0.0
            t = t_full
        if dep > inp.horizon_h:
            soc += p * eff * (inp.horizon_h - t) / cap
            break
        yield env.timeout(dep - env.now)
        soc += p * eff * (dep - t) / cap
        rows.append((dep, "ev_departure", home, "ev", e, soc))
        nxt = inp.sessions.next_after_departure(np.array([e]), np.array([soc]))
        left_soc = soc
        arr, dep, soc, tgt = (float(x[0]) for x in nxt)
        if not np.isfinite(arr):
            soc = left_soc
    final[("ev", e)] = soc


def _bess_process(env, inp: SimInputs, b: int, net_kw: np.ndarray, rows: list, final: dict):
    f = inp.fleet
    home = int(f.bess_prosumer_index[b])
    soc = float(f.bess_soc[b])
    lo, hi = f.bess_min_soc[b], f.bess_max_soc[b]
    args = (f.bess_capacity_kwh[b], f.bess_charge_efficiency[b], f.bess_discharge_efficiency[b])
    for k in range(inp.n_steps):
        t0, t1 = k * inp.interval_h, (k + 1) * inp.interval_h
        p = float(np.clip(-net_kw[k, home], -f.bess_max_discharge_kw[b], f.bess_max_charge_kw[b]))
        if (p > 0 and soc >= hi) or (p < 0 and soc <= lo):
            p = 0.0
        limit = hi if p > 0 else lo
        t_hit = t0 + float(physics.time_to_soc(soc, limit, p, *args))
        if p != 0.0 and t_hit < t1:
            yield env.timeout(t_hit - env.now)
            soc = limit
            rows.append((t_hit, "bess_full" if p > 0 else "bess_empty", home, "bess", b, soc))
        else:
            soc = float(physics.soc_after(soc, p, t1 - t0, *args))
        yield env.timeout(max(0.0, t1 - env.now))
    final[("bess", b)] = soc


def run_reference(inp: SimInputs):
    """Run `inp` with one process per asset; returns (rows, final_soc).

    ``rows`` are ``(t_h, kind, prosumer_index, asset_type, asset_index, soc)``
    sorted in the fleet log's canonical order; ``final_soc`` maps
    ``(asset_type, index)`` to the SOC at the end of the horizon.
    """
    f = inp.fleet
    env = simpy.Environment()
    rows: list = []
    final: dict = {}
    load = inp.load.block(0, inp.n_steps).astype(np.float64)
    pv = np.zeros((inp.n_steps, f.n_prosumers))
    for i in range(f.n_pv):
        pv[:, f.pv_prosumer_index[i]] += (inp.pv_kw_per_kwp[inp.pv_bucket[i]]
                                          * f.pv_capacity_kw[i] * f.pv_system_efficiency[i])
    net = load - pv
    for e in range(f.n_evs):
        env.process(_ev_process(env, inp, e, rows, final))
    for b in range(f.n_bess):
        env.process(_bess_process(env, inp, b, net, rows, final))
    env.run(until=inp.horizon_h + 1e-9)
    from desim.sim.log import KINDS
    order = {k: i for i, k in enumerate(KINDS)}
    rows.sort(key=lambda r: (r[0], order[r[1]], r[2], r[3] != "ev", r[4]))
    return rows, final
