"""Charging and battery policies: a small protocol and the built-in policies.

A policy is called at every decision instant (docs/semantics.md: profile
boundaries, dispatch start and end, and every EV event in a coupled run) with the
fleet state and the signals, and returns one setpoint per asset row (kW, load
convention). A researcher can plug in their
own: any object with ``name``, ``setpoints(state, signals)`` and
``plug_in_setpoints(state, index, signals)`` (EVs) works, from Python or named
in a scenario as ``"package.module:callable"`` (called with no arguments).
A policy whose setpoints never depend on the signals may say so with
``static = True``: it is then not called again outside dispatch events, and its
``plug_in_setpoints`` gets ``signals=None``. ``static_without_limit = True`` says
the same of a run without a site limit (`Smart`: every EV below its target at full
power, as `Uncontrolled`).
"""

from __future__ import annotations

import importlib
from typing import Protocol, runtime_checkable

import numpy as np
from attrs import frozen

from desim.errors import ScenarioError
from desim.sim import kernels
from desim.sim import tolerances as tol

__all__ = [
    "Signals", "EvPolicy", "BessPolicy", "Uncontrolled", "Smart", "PriceResponsive",
    "SelfConsumption", "FollowDispatch", "fill_to_limit", "get_ev_policy",
    "get_bess_policy", "EV_POLICIES", "BESS_POLICIES",
]


@frozen
class Signals:
    """What a policy may know at a decision instant (docs/semantics.md).

    ``dt_h`` is the time until the next scheduled boundary; ``future_price_usd_per_kwh``
    holds the price of the current and following intervals (``interval_h`` each);
    ``site_limit_kw`` is ``np.inf`` without a limit. During a dispatch event
    ``dispatch_direction`` is +1 (absorb) or -1 (discharge / reduce).
    ``ev_floor_kw`` is the departure guard's floor per EV, at least 0 (0 for EVs the
    guard does not protect, or without the guard): a policy that honours the site
    limit gives these first.
    """

    t_h: float
    dt_h: float
    interval_h: float
    price_usd_per_kwh: float
    future_price_usd_per_kwh: np.ndarray
    site_limit_kw: float = np.inf
    dispatch_direction: int = 0
    home_net_load_kw: np.ndarray | None = None  # per prosumer: load - PV + thermal units (kW)
    ev_floor_kw: np.ndarray | None = None


def _floors(ev, signals):
    if signals.ev_floor_kw is None:
        return np.zeros(ev.n)
    return np.maximum(np.asarray(signals.ev_floor_kw, dtype=float), 0.0)


def fill_to_limit(ev, floor_kw, wanted, site_limit_kw, key):
    """Floors first, then the rest of the site limit to the EVs in `wanted`, in order
    of `key` (ties by EV index), each up to its maximum power."""
    out = floor_kw.copy()
    room = site_limit_kw - floor_kw.sum()
    extra = np.where(wanted, np.maximum(ev.max_charge_kw - floor_kw, 0.0), 0.0)
    idx = np.flatnonzero(wanted)
    order = idx[np.lexsort((idx, key[idx]))]
    cum = np.cumsum(extra[order])
    out[order] += np.clip(room - (cum - extra[order]), 0.0, extra[order])
    return out


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
    """Full power from plug-in until the target is reached; ignores the site limit."""

    name = "uncontrolled"
    guards_departure = False
    honours_site_limit = False
    static = True   # setpoints never depend on the signals

    def setpoints(self, ev, signals):
        return ev.max_charge_kw.copy()

    def plug_in_setpoints(self, ev, index, signals):
        return ev.max_charge_kw[index]


class Smart:
    """Earliest-deadline-first (or least-laxity-first) under a site limit.

    Every EV the guard protects first gets its floor; the rest of the site limit is
    handed out in deadline (or laxity) order up to each EV's maximum. Without a
    limit every EV below its target charges at full power, so the difference from
    `Uncontrolled` is the guarantee under dispatch and the limit.
    """

    guards_departure = True
    honours_site_limit = True
    # without a site limit: every EV below its target at full power, whatever the signals
    # (the guard's floor, at most full power, never binds outside dispatch events)
    static_without_limit = True

    def __init__(self, order: str = "edf"):
        if order not in ("edf", "llf"):
            raise ScenarioError(f"control.smart_order: expected edf or llf, got {order!r}")
        self.order = order
        self.name = "smart"

    def setpoints(self, ev, signals):
        active = ev.plugged & (ev.soc < ev.target_soc)
        if not np.isfinite(signals.site_limit_kw):
            return np.where(active, ev.max_charge_kw, 0.0)
        floor = np.where(active, _floors(ev, signals), 0.0)
        key = ev.departure_h if self.order == "edf" else ev.laxity_h(signals.t_h)
        return fill_to_limit(ev, floor, active, signals.site_limit_kw, key)

    def plug_in_setpoints(self, ev, index, signals):
        return ev.max_charge_kw[index]


class PriceResponsive:
    """Charge in the cheapest intervals that still meet the deadline.

    At each decision an EV charges at full power only if the intervals strictly
    cheaper than now, before its departure, cannot deliver what it still needs;
    the guard's floor is always honoured, and under a site limit floors come first,
    then the EVs that charge now in deadline order.
    """

    name = "price_responsive"
    guards_departure = True
    honours_site_limit = True

    def setpoints(self, ev, signals):
        prices = np.asarray(signals.future_price_usd_per_kwh, dtype=float)
        cheaper = np.cumsum(prices[1:] < prices[0]) if len(prices) > 1 else np.zeros(0)
        first_end = signals.t_h + signals.dt_h
        n_win = np.floor((ev.departure_h - first_end) / signals.interval_h + tol.BOUNDARY_TOL)
        n_win = np.clip(np.nan_to_num(n_win, posinf=len(cheaper)), 0, len(cheaper)).astype(int)
        count = np.where(n_win > 0, cheaper[np.maximum(n_win - 1, 0)] if len(cheaper) else 0,
                         0)
        capacity_kwh = count * ev.max_charge_kw * ev.charge_efficiency * signals.interval_h
        active = ev.plugged & (ev.soc < ev.target_soc)
        charge_now = active & (ev.needed_kwh() > capacity_kwh)
        floor = np.where(active, _floors(ev, signals), 0.0)
        if np.isfinite(signals.site_limit_kw):
            return fill_to_limit(ev, floor, charge_now, signals.site_limit_kw, ev.departure_h)
        return np.maximum(np.where(charge_now, ev.max_charge_kw, 0.0), floor)

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
                                 bess.soc, bess.min_soc, bess.max_soc, bess.self_discharge_per_h,
                                 TOP_UP_MARGIN_SOC, p)
        return p

    def limited_setpoints(self, bess, home_net_load_kw, out) -> None:
        """`setpoints` within each battery's ratings and limits (`kernels.battery_limits`),
        into `out`: what the engine holds outside dispatch events, in one compiled call."""
        kernels.self_consumption_limited(home_net_load_kw, bess.prosumer_index,
                                         bess.max_charge_kw, bess.max_discharge_kw, bess.soc,
                                         bess.min_soc, bess.max_soc, bess.self_discharge_per_h,
                                         TOP_UP_MARGIN_SOC, out)


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
