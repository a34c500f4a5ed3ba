"""Custom control policies, checked where they are built and at every call.

A policy named as ``"package.module:callable"`` (or passed as an object) is the
user's code: importing it, calling its factory and every ``setpoints`` /
``plug_in_setpoints`` call are checked, and any problem stops the run with a
`PolicyError` that names the policy and what was wrong. The output of every
call must be one finite kW value per asset, within the asset's limits:
``-v2g_max_kw .. max_charge_kw`` for an EV (no discharge without V2G),
``-max_discharge_kw .. max_charge_kw`` for a battery. Out-of-range values are
rejected, not clipped, so a policy's bug is never hidden in the results.

Built-in policies are trusted and returned as they are (no cost on the hot path).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from desim.errors import DesimError, PolicyError
from desim.sim.policies import BESS_POLICIES, EV_POLICIES, get_bess_policy, get_ev_policy

__all__ = ["resolve_ev_policy", "resolve_bess_policy", "CheckedPolicy"]

_TOL_KW = 1e-9  # float noise allowed beyond a limit


def _label(spec: Any, key: str) -> str:
    shown = repr(spec) if isinstance(spec, str) else f"<{type(spec).__name__} object>"
    return f"{key} {shown}"


def _build(get, spec, key: str, *args):
    try:
        return get(spec, *args)
    except DesimError:
        raise
    except Exception as exc:  # the user's module or factory failed: name it
        raise PolicyError(f"{_label(spec, key)}: could not be imported or built "
                          f"({type(exc).__name__}: {exc})") from exc


def resolve_ev_policy(spec, order: str = "edf"):
    """The EV policy for `spec`; a custom one wrapped in `CheckedPolicy`."""
    policy = _build(get_ev_policy, spec, "control.ev_policy", order)
    if isinstance(spec, str) and spec in EV_POLICIES:
        return policy
    return CheckedPolicy(policy, _label(spec, "control.ev_policy"), "ev")


def resolve_bess_policy(spec):
    """The battery policy for `spec`; a custom one wrapped in `CheckedPolicy`."""
    policy = _build(get_bess_policy, spec, "control.bess_policy")
    if isinstance(spec, str) and spec in BESS_POLICIES:
        return policy
    return CheckedPolicy(policy, _label(spec, "control.bess_policy"), "bess")


class CheckedPolicy:
    """A custom policy whose every output is checked (see the module docstring).

    Attributes other than the two calls (``name``, ``guards_departure``,
    ``static``, ``follows_dispatch``, ...) are the wrapped policy's.
    """

    def __init__(self, policy: Any, label: str, kind: str) -> None:
        self._policy = policy
        self._label = label
        self._kind = kind

    def __getattr__(self, name: str) -> Any:
        return getattr(self._policy, name)

    def setpoints(self, fleet, signals) -> np.ndarray:
        out = self._call("setpoints", fleet, signals)
        return self._check(out, fleet, None, "setpoints()")

    def plug_in_setpoints(self, ev, index, signals) -> np.ndarray:
        out = self._call("plug_in_setpoints", ev, index, signals)
        return self._check(out, ev, np.asarray(index), "plug_in_setpoints()")

    def _call(self, method: str, *args) -> Any:
        try:
            return getattr(self._policy, method)(*args)
        except DesimError:
            raise
        except Exception as exc:
            raise PolicyError(f"{self._label}: {method}() raised {type(exc).__name__}: "
                              f"{exc}") from exc

    def _check(self, out: Any, fleet, index, call: str) -> np.ndarray:
        what = "EV" if self._kind == "ev" else "battery"
        n = fleet.n if index is None else len(index)
        rows = np.arange(fleet.n) if index is None else index
        try:
            power = np.asarray(out, dtype=float)
        except (TypeError, ValueError) as exc:
            raise PolicyError(f"{self._label}: {call} expected an array of {n} kW values "
                              f"(one per {what}), got {type(out).__name__} ({exc})") from exc
        if power.shape != (n,):
            raise PolicyError(f"{self._label}: {call} expected an array of shape ({n},) (one "
                              f"kW value per {what}), got shape {power.shape}")
        bad = ~np.isfinite(power)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise PolicyError(f"{self._label}: {call} expected finite kW values, got "
                              f"{power[i]} for {what} row {int(rows[i])} ({int(bad.sum())} "
                              f"of {n} not finite)")
        if self._kind == "ev":
            lo, hi = -fleet.v2g_max_kw[rows], fleet.max_charge_kw[rows]
            limits = "-v2g_max_kw to max_charge_kw"
        else:
            lo, hi = -fleet.max_discharge_kw[rows], fleet.max_charge_kw[rows]
            limits = "-max_discharge_kw to max_charge_kw"
        outside = (power < lo - _TOL_KW) | (power > hi + _TOL_KW)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise PolicyError(f"{self._label}: {call} expected kW within the {what}'s limits "
                              f"({limits}: {lo[i]:g} to {hi[i]:g} kW for {what} row "
                              f"{int(rows[i])}), got {power[i]:g} ({int(outside.sum())} of "
                              f"{n} outside)")
        return power
