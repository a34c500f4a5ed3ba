"""Asset physics for numpy callers: the closed forms of `scalar`, element-wise over arrays.

Each equation is written once, in `desim.assets.physics.scalar`, as a compiled
function of floats; the fleet kernels and the seed API call those directly.
The functions here take floats or arrays (broadcast together, as numpy does),
run a compiled loop that calls the scalar function per element (`_loops`), and
return a float for scalar inputs or an array of the broadcast shape, so array
results equal the per-asset results bit for bit. Conventions (SOC fractions,
load-convention power, one-way efficiencies, hours) are in `scalar`'s
docstring and docs/assets.md; each function's equation and source are in the
docstring of its scalar form.
"""

from __future__ import annotations

import inspect

import numpy as np

from desim.assets.physics import _loops, scalar
from desim.assets.physics.scalar import K_NEGLIGIBLE_PER_H

__all__ = [
    "scalar",
    "K_NEGLIGIBLE_PER_H",
    "stored_power_kw",
    "terminal_power_kw",
    "soc_after",
    "decay_factors",
    "time_to_soc",
    "hold_power",
    "max_charge_power_kw",
    "max_discharge_power_kw",
    "clip_power_kw",
    "energy_needed_kwh",
    "laxity_h",
    "pv_power_kw",
    "guard_floor_kw",
]

# kept for callers of the earlier private name
_K_NEGLIGIBLE_PER_H = K_NEGLIGIBLE_PER_H


def _flat(*args):
    """``(shape, [1-d contiguous float64 arrays])`` of `args` broadcast together."""
    first = args[0]
    if type(first) is np.ndarray and first.ndim == 1:
        # hot path (the engine's state arrays): already 1-d float64 of one length
        shape = first.shape
        if all(type(a) is np.ndarray and a.shape == shape and a.dtype == np.float64
               and a.flags.c_contiguous for a in args):
            return shape, args
    arrays = [np.asarray(a, dtype=np.float64) for a in args]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    return shape, [np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1) for a in arrays]


def _out(flat, shape):
    """A float for a 0-d shape, else `flat` in `shape`."""
    return float(flat[0]) if shape == () else flat.reshape(shape)


_PLAIN = (float, int)


def _apply(name: str, *args):
    """The scalar form `name` on plain numbers, else its compiled loop over arrays."""
    if all(type(a) in _PLAIN for a in args):
        return getattr(scalar, name)(*[float(a) for a in args])
    shape, flat = _flat(*args)
    out = getattr(_loops, name)(*flat)
    if isinstance(out, tuple):
        return tuple(_out(o, shape) for o in out)
    return _out(out, shape)


def stored_power_kw(power_kw, charge_efficiency=0.95, discharge_efficiency=0.95):
    """Rate of change of stored energy, kW, for a signed terminal power, kW.

    Element-wise `scalar.stored_power_kw` (parameters, units and source there).
    """
    return _apply("stored_power_kw", power_kw, charge_efficiency, discharge_efficiency)


def terminal_power_kw(stored_kw, charge_efficiency=0.95, discharge_efficiency=0.95):
    """Terminal power, kW, for a rate of stored-energy change, kW (`scalar.terminal_power_kw`)."""
    return _apply("terminal_power_kw", stored_kw, charge_efficiency, discharge_efficiency)


def decay_factors(self_discharge_per_h, duration_h):
    """``(E, G)`` of a self-discharge rate (1/h) over a duration (h); `scalar.decay_factors`."""
    return _apply("decay_factors", self_discharge_per_h, duration_h)


def soc_after(soc, power_kw, duration_h, capacity_kwh, charge_efficiency=0.95,
              discharge_efficiency=0.95, self_discharge_per_h=0.0):
    """SOC (fraction) after holding a signed terminal power (kW) for `duration_h` (h).

    Element-wise `scalar.soc_after`: capacity in kWh, one-way efficiencies,
    self-discharge in 1/h; floors and ceilings are not applied (`hold_power`).
    """
    return _apply("soc_after", soc, power_kw, duration_h, capacity_kwh, charge_efficiency,
                  discharge_efficiency, self_discharge_per_h)


def time_to_soc(soc, target_soc, power_kw, capacity_kwh, charge_efficiency=0.95,
                discharge_efficiency=0.95, self_discharge_per_h=0.0):
    """Hours until the SOC reaches `target_soc` at a constant terminal power (kW).

    Element-wise `scalar.time_to_soc`: 0 at the target, ``np.inf`` if never.
    """
    return _apply("time_to_soc", soc, target_soc, power_kw, capacity_kwh, charge_efficiency,
                  discharge_efficiency, self_discharge_per_h)


def hold_power(soc, power_kw, duration_h, capacity_kwh, min_soc=0.0, max_soc=1.0,
               charge_efficiency=0.95, discharge_efficiency=0.95, self_discharge_per_h=0.0):
    """Hold a signed terminal power (kW) for up to `duration_h` (h), stopping at a limit.

    Element-wise `scalar.hold_power` (parameters and units there).

    Returns
    -------
    soc_end : float or ndarray
        SOC at the end of the duration, fraction.
    energy_kwh : float or ndarray
        Signed energy through the terminal, kWh (positive charged from the grid).
    active_h : float or ndarray
        Hours spent at `power_kw` (``<= duration_h``); less than `duration_h`
        exactly when a limit was reached, at ``active_h`` after the start.
    """
    return _apply("hold_power", soc, power_kw, duration_h, capacity_kwh, min_soc, max_soc,
                  charge_efficiency, discharge_efficiency, self_discharge_per_h)


def max_charge_power_kw(soc, capacity_kwh, max_power_kw, duration_h, max_soc=1.0,
                        charge_efficiency=0.95):
    """Largest constant charge power (kW, >= 0) sustainable for `duration_h` below `max_soc`.

    Element-wise `scalar.max_charge_power_kw`; self-discharge is neglected.
    """
    return _apply("max_charge_power_kw", soc, capacity_kwh, max_power_kw, duration_h, max_soc,
                  charge_efficiency)


def max_discharge_power_kw(soc, capacity_kwh, max_power_kw, duration_h, min_soc=0.0,
                           discharge_efficiency=0.95):
    """Largest constant discharge power (kW, >= 0) sustainable for `duration_h` above `min_soc`.

    Element-wise `scalar.max_discharge_power_kw`; self-discharge is neglected.
    """
    return _apply("max_discharge_power_kw", soc, capacity_kwh, max_power_kw, duration_h, min_soc,
                  discharge_efficiency)


def clip_power_kw(power_kw, max_charge_kw, max_discharge_kw):
    """Clip a signed power (kW) to ``[-max_discharge_kw, max_charge_kw]``
    (`scalar.clip_power_kw`)."""
    return _apply("clip_power_kw", power_kw, max_charge_kw, max_discharge_kw)


def energy_needed_kwh(soc, target_soc, capacity_kwh):
    """Stored energy (kWh, >= 0) still needed to reach `target_soc` (`scalar.energy_needed_kwh`)."""
    return _apply("energy_needed_kwh", soc, target_soc, capacity_kwh)


def laxity_h(time_left_h, soc, target_soc, capacity_kwh, max_charge_power_kw,
             charge_efficiency=1.0):
    """How long charging can still wait and meet the target at full power, h.

    Element-wise `scalar.laxity_h`; negative means the target can no longer be met.
    """
    return _apply("laxity_h", time_left_h, soc, target_soc, capacity_kwh, max_charge_power_kw,
                  charge_efficiency)


def pv_power_kw(capacity_kw, irradiance_kw_per_m2, system_efficiency=0.86):
    """AC output (kW, >= 0) of a PV system rated `capacity_kw` (kWp) at an irradiance (kW/m^2).

    Element-wise `scalar.pv_power_kw` (PVWatts-style linear model with a derate).
    """
    return _apply("pv_power_kw", capacity_kw, irradiance_kw_per_m2, system_efficiency)


def guard_floor_kw(need_kwh, time_left_h, dt_h, recharge_kw, max_charge_kw,
                   charge_efficiency, discharge_efficiency, v2g_max_kw):
    """The departure guard's floor, kW (negative: the EV may discharge).

    Element-wise `scalar.guard_floor_kw`.
    """
    return _apply("guard_floor_kw", need_kwh, time_left_h, dt_h, recharge_kw, max_charge_kw,
                  charge_efficiency, discharge_efficiency, v2g_max_kw)


def _scalar_sections(wrapper, one) -> None:
    """Append the Parameters and Returns of the scalar form `one` to `wrapper`'s docstring
    (units, ranges and sources are written once, on the scalar form)."""
    own = inspect.cleandoc(wrapper.__doc__ or "")
    theirs = inspect.cleandoc(one.__doc__ or "")
    at = theirs.find("Parameters\n")
    if at < 0 or "Parameters\n" in own:
        return
    sections = theirs[at:]
    note = "Each argument is a float or an array; arrays broadcast together as in numpy.\n\n"
    returns = own.find("Returns\n")
    if returns >= 0:                            # the wrapper says what it returns itself
        sections = sections[:sections.find("Returns\n")].rstrip()
        wrapper.__doc__ = (own[:returns] + note + sections + "\n\n" + own[returns:] + "\n")
    else:
        wrapper.__doc__ = own + "\n\n" + note + sections + "\n"


for _name in __all__:
    if _name != "scalar" and callable(globals()[_name]):
        _scalar_sections(globals()[_name], getattr(scalar, _name))
del _name
