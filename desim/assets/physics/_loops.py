"""Compiled element-wise loops over the scalar closed forms (`desim.assets.physics.scalar`).

Each loop takes 1-d contiguous float64 arrays of one length (the caller,
`desim.assets.physics`, broadcasts) and calls the scalar function once per
element, so array results are the scalar results bit for bit. No equation is
written here.
"""

from __future__ import annotations

import numba
import numpy as np

from desim.assets.physics import scalar as sc

_jit = numba.njit(cache=True, nogil=True)


@_jit
def stored_power_kw(p, ce, de):
    out = np.empty(p.size)
    for i in range(p.size):
        out[i] = sc.stored_power_kw(p[i], ce[i], de[i])
    return out


@_jit
def terminal_power_kw(s, ce, de):
    out = np.empty(s.size)
    for i in range(s.size):
        out[i] = sc.terminal_power_kw(s[i], ce[i], de[i])
    return out


@_jit
def decay_factors(k, t):
    e = np.empty(k.size)
    g = np.empty(k.size)
    for i in range(k.size):
        e[i], g[i] = sc.decay_factors(k[i], t[i])
    return e, g


@_jit
def soc_after(soc, p, t, cap, ce, de, k):
    out = np.empty(soc.size)
    for i in range(soc.size):
        out[i] = sc.soc_after(soc[i], p[i], t[i], cap[i], ce[i], de[i], k[i])
    return out


@_jit
def time_to_soc(soc, target, p, cap, ce, de, k):
    out = np.empty(soc.size)
    for i in range(soc.size):
        out[i] = sc.time_to_soc(soc[i], target[i], p[i], cap[i], ce[i], de[i], k[i])
    return out


@_jit
def hold_power(soc, p, t, cap, lo, hi, ce, de, k):
    soc_end = np.empty(soc.size)
    energy = np.empty(soc.size)
    active = np.empty(soc.size)
    for i in range(soc.size):
        soc_end[i], energy[i], active[i] = sc.hold_power(soc[i], p[i], t[i], cap[i], lo[i],
                                                         hi[i], ce[i], de[i], k[i])
    return soc_end, energy, active


@_jit
def max_charge_power_kw(soc, cap, pmax, t, hi, ce):
    out = np.empty(soc.size)
    for i in range(soc.size):
        out[i] = sc.max_charge_power_kw(soc[i], cap[i], pmax[i], t[i], hi[i], ce[i])
    return out


@_jit
def max_discharge_power_kw(soc, cap, pmax, t, lo, de):
    out = np.empty(soc.size)
    for i in range(soc.size):
        out[i] = sc.max_discharge_power_kw(soc[i], cap[i], pmax[i], t[i], lo[i], de[i])
    return out


@_jit
def clip_power_kw(p, max_c, max_d):
    out = np.empty(p.size)
    for i in range(p.size):
        out[i] = sc.clip_power_kw(p[i], max_c[i], max_d[i])
    return out


@_jit
def energy_needed_kwh(soc, target, cap):
    out = np.empty(soc.size)
    for i in range(soc.size):
        out[i] = sc.energy_needed_kwh(soc[i], target[i], cap[i])
    return out


@_jit
def laxity_h(left, soc, target, cap, pmax, ce):
    out = np.empty(soc.size)
    for i in range(soc.size):
        out[i] = sc.laxity_h(left[i], soc[i], target[i], cap[i], pmax[i], ce[i])
    return out


@_jit
def pv_power_kw(cap, irr, eff):
    out = np.empty(cap.size)
    for i in range(cap.size):
        out[i] = sc.pv_power_kw(cap[i], irr[i], eff[i])
    return out


@_jit
def guard_floor_kw(need, left, dt, rc, pmax, ce, de, v2g):
    out = np.empty(need.size)
    for i in range(need.size):
        out[i] = sc.guard_floor_kw(need[i], left[i], dt[i], rc[i], pmax[i], ce[i], de[i], v2g[i])
    return out
