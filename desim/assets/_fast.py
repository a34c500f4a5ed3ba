"""The closed forms the seed API calls on its hot paths, without numba's per-call dispatch.

Calling a numba function from Python first matches the argument types against
its compiled signatures (about 0.3 us for nine floats), then runs the machine
code. The seed API always passes floats, so each name here is bound, at its
first call, to the entry point numba compiled for all-float64 arguments
(``Dispatcher.compile(signature)`` returns it): the same machine code as
calling `desim.assets.physics.scalar` directly, the same bits, half the
overhead. Binding at first use keeps ``import desim`` from loading compiled
code it may not need (the first load costs about half a second).

Hot path: callers use ``_fast.hold_power(...)`` etc.; an argument that is not a
float is converted as ``float(x)`` would (a string raises `TypeError`).
"""

from __future__ import annotations

import numba

from desim.assets.physics import scalar as phys

__all__ = ["hold_power", "energy_needed_kwh", "pv_power_kw", "entry_point"]


def entry_point(fn, n_args: int):
    """The compiled all-float64 entry point of scalar closed form `fn` (`n_args` floats).

    Falls back to `fn` itself (numba's usual dispatch) if this numba's
    ``compile`` does not return a callable.
    """
    try:
        entry = fn.compile((numba.float64,) * n_args)
    except (AttributeError, TypeError):
        return fn
    return entry if callable(entry) else fn


def _bind(name: str, n_args: int):
    entry = entry_point(getattr(phys, name), n_args)
    globals()[name] = entry
    return entry


# Each stand-in replaces itself with the entry point at its first call.
def hold_power(*args):
    """`desim.assets.physics.scalar.hold_power` (9 floats)."""
    return _bind("hold_power", 9)(*args)


def energy_needed_kwh(*args):
    """`desim.assets.physics.scalar.energy_needed_kwh` (3 floats)."""
    return _bind("energy_needed_kwh", 3)(*args)


def pv_power_kw(*args):
    """`desim.assets.physics.scalar.pv_power_kw` (3 floats)."""
    return _bind("pv_power_kw", 3)(*args)
