"""Charging and battery policies: a small protocol and the built-in policies.

A policy is called at every boundary (profile interval, dispatch start or end)
with the fleet state and the signals, and returns one setpoint per asset row
for the coming interval (kW, load convention). A researcher can plug in their
own: any object with ``name``, ``setpoints(state, signals)`` and
``plug_in_setpoints(state, index, signals)`` (EVs) works, from Python or named
in a scenario as ``"package.module:callable"`` (called with no arguments).
"""

from __future__ import annotations

import importlib
from typing import Protocol, runtime_checkable

import numpy as np
from attrs import frozen

from desim.errors import ScenarioError
from desim.sim import kernels

__all__ = [
    "Signals", "EvPolicy", "BessPolicy", "Uncontrolled", "Smart", "PriceResponsive",
    "SelfConsumption", "FollowDispatch", "guard_min_power_kw", "get_ev_policy",
    "get_bess_policy", "EV_POLICIES", "BESS_POLICIES",
]


@frozen
class Signals:
    """What a policy may know at a boundary.

    ``dt_h`` is the time until the next boundary; ``future_price_usd_per_kwh``
    holds the price of the current and following intervals (``interval_h``
    each); ``site_limit_kw`` is ``np.inf`` without a limit. During a dispatch
    event ``dispatch_direction`` is +1 (absorb) or -1 (discharge / reduce) and
    the awards say how far each asset must move from its baseline.
    """

    t_h: float
    dt_h: float
    interval_h: float
    price_usd_per_kwh: float
    future_price_usd_per_kwh: np.ndarray
    site_limit_kw: float = np.inf
    dispatch_direction: int = 0
    home_net_load_kw: np.ndarray | None = None  # per prosumer: load - PV (kW)


def guard_min_power_kw(ev, now_h, dt_h):
    """Least charging power that keeps each EV able to meet its departure target.

    Charging at ``p >= p_min`` for ``dt`` (or until departure, if sooner) leaves
    enough time to finish at full power: ``p_min = max(0, (needed - pmax * eff *
    (time_left - dt)) / (eff * dt))``, capped at ``pmax``. Zero for EVs whose
    target is already met or that cannot meet it at all (the guard protects
    only feasible departures; those get full power from the policies anyway).
    """
    time_left = np.maximum(ev.departure_h - now_h, 0.0)
    dt = np.minimum(dt_h, time_left)
    rate = ev.max_charge_kw * ev.charge_efficiency
    needed = ev.needed_kwh()
    with np.errstate(divide="ignore", invalid="ignore"):
        p_min = np.where(dt > 0, (needed - rate * (time_left - dt))
                         / (ev.charge_efficiency * dt), np.inf)
    p_min = np.clip(np.nan_to_num(p_min, nan=0.0, posinf=np.inf), 0.0, None)
    return np.minimum(p_min, ev.max_charge_kw)


@runtime_checkable
class EvPolicy(Protocol):
    name: str
    guards_departure: bool

    def setpoints(self, ev, signals: Signals) -> np.ndarray: ...

    def plug_in_setpoints(self, ev, index: np.ndarray, signals: Signals) -> np.ndarray: ...


@runtime_checkable
class BessPolicy(Protocol):
    name: str
    follows_dispatch: bool

    def setpoints(self, bess, signals: Signals) -> np.ndarray: ...


class Uncontrolled:
    """Full power from plug-in until the target is reached."""

    name = "uncontrolled"
    guards_departure = False
    static = True   # setpoints never depend on the signals

    def setpoints(self, ev, signals):
        return ev.max_charge_kw.copy()

    def plug_in_setpoints(self, ev, index, signals):
        return ev.max_charge_kw[index]


class Smart:
    """Earliest-deadline-first (or least-laxity-first) under a site limit.

    Every plugged EV first gets the guard's minimum power (its departure SOC is
    kept reachable whenever it was reachable at plug-in); the rest of the site
    limit is handed out in deadline (or laxity) order up to each EV's maximum.
    Without a limit every EV charges at full power, so the difference from
    `Uncontrolled` is the guarantee under dispatch and the limit.
    """

    guards_departure = True

    def __init__(self, order: str = "edf"):
        if order not in ("edf", "llf"):
            raise ScenarioError(f"control.smart_order: expected edf or llf, got {order!r}")
        self.order = order
        self.name = "smart"

    def setpoints(self, ev, signals):
        need = ev.needed_kwh() > 0
        active = ev.plugged & need
        if not np.isfinite(signals.site_limit_kw):
            return np.where(ev.plugged, ev.max_charge_kw, ev.max_charge_kw)
        p_min = np.where(active, guard_min_power_kw(ev, signals.t_h, signals.dt_h), 0.0)
        room = signals.site_limit_kw - p_min.sum()
        extra = np.where(active, ev.max_charge_kw - p_min, 0.0)
        key = ev.departure_h if self.order == "edf" else ev.laxity_h(signals.t_h)
        idx = np.flatnonzero(active)
        order = idx[np.lexsort((idx, key[idx]))]
        cum = np.cumsum(extra[order])
        granted = np.clip(room - (cum - extra[order]), 0.0, extra[order])
        out = p_min.copy()
        out[order] += granted
        # EVs arriving before the next boundary: full power until then (never
        # lowers their laxity); the limit is re-applied at the boundary.
        return np.where(ev.plugged, out, ev.max_charge_kw)

    def plug_in_setpoints(self, ev, index, signals):
        if signals.dispatch_direction < 0:
            lax = ev.laxity_h(signals.t_h)[index]
            return np.where(lax > signals.dt_h, 0.0, ev.max_charge_kw[index])
        return ev.max_charge_kw[index]


class PriceResponsive:
    """Charge in the cheapest intervals that still meet the deadline.

    At each boundary an EV charges at full power only if the intervals strictly
    cheaper than now, before its departure, cannot deliver what it still needs;
    the guard's minimum power is always honoured.
    """

    name = "price_responsive"
    guards_departure = True

    def setpoints(self, ev, signals):
        prices = np.asarray(signals.future_price_usd_per_kwh, dtype=float)
        cheaper = np.cumsum(prices[1:] < prices[0]) if len(prices) > 1 else np.zeros(0)
        first_end = signals.t_h + signals.dt_h
        n_win = np.floor((ev.departure_h - first_end) / signals.interval_h + 1e-9)
        n_win = np.clip(np.nan_to_num(n_win, posinf=len(cheaper)), 0, len(cheaper)).astype(int)
        count = np.where(n_win > 0, cheaper[np.maximum(n_win - 1, 0)] if len(cheaper) else 0,
                         0)
        capacity_kwh = count * ev.max_charge_kw * ev.charge_efficiency * signals.interval_h
        charge_now = ev.needed_kwh() > capacity_kwh
        p = np.where(charge_now, ev.max_charge_kw, 0.0)
        p = np.maximum(p, guard_min_power_kw(ev, signals.t_h, signals.dt_h))
        return np.where(ev.plugged, p, 0.0)

    def plug_in_setpoints(self, ev, index, signals):
        lax = ev.laxity_h(signals.t_h)[index]
        return np.where(lax > signals.dt_h, 0.0, ev.max_charge_kw[index])


# A full battery is not topped up for its own self-discharge until it has lost this
# much SOC (a charger's float hysteresis); without it a battery with self-discharge
# would log "full" at every interval of a sunny afternoon.
TOP_UP_MARGIN_SOC = 0.005


class SelfConsumption:
    """Charge from the home's PV surplus and cover its load (terminal power)."""

    name = "self_consumption"
    follows_dispatch = False

    def setpoints(self, bess, signals):
        p = np.empty(len(bess.prosumer_index))
        kernels.self_consumption(np.asarray(signals.home_net_load_kw, dtype=float),
                                 bess.prosumer_index, bess.max_charge_kw, bess.max_discharge_kw,
                                 bess.soc, bess.max_soc, bess.self_discharge_per_h,
                                 TOP_UP_MARGIN_SOC, p)
        return p


class FollowDispatch(SelfConsumption):
    """Self-consumption outside dispatch events; the aggregator's award inside them."""

    name = "follow_dispatch"
    follows_dispatch = True


EV_POLICIES = {"uncontrolled": Uncontrolled, "smart": Smart, "price_responsive": PriceResponsive}
BESS_POLICIES = {"self_consumption": SelfConsumption, "follow_dispatch": FollowDispatch}


def _load_custom(spec: str, path: str):
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ScenarioError(f"{path}: cannot import {spec!r} ({exc})") from exc
    return factory()


def _resolve(spec, table: dict, path: str, protocol, needs: str, **kw):
    """A policy from a built-in name, a ``"module:callable"`` string or a policy object."""
    if not isinstance(spec, str):
        policy = spec
    elif spec in table:
        policy = table[spec](**kw)
    elif ":" in spec:
        policy = _load_custom(spec, path)
    else:
        raise ScenarioError(f"{path}: expected one of {sorted(table)} or 'module:callable', "
                            f"got {spec!r}")
    if not isinstance(policy, protocol):
        raise ScenarioError(f"{path}: {spec!r} lacks {needs}")
    return policy


def get_ev_policy(spec, order: str = "edf"):
    """An EV policy from a name, a ``"module:callable"`` string or a policy object."""
    if spec == "smart":
        return _resolve(Smart(order), EV_POLICIES, "control.ev_policy", EvPolicy, "")
    return _resolve(spec, EV_POLICIES, "control.ev_policy", EvPolicy,
                    "name, guards_departure, setpoints() or plug_in_setpoints()")


def get_bess_policy(spec):
    """A battery policy from a name, a ``"module:callable"`` string or a policy object."""
    return _resolve(spec, BESS_POLICIES, "control.bess_policy", BessPolicy,
                    "name, follows_dispatch or setpoints()")
