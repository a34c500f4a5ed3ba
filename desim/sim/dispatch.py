"""The aggregator: offers, allocation and settlement of dispatch events.

Pure functions over fleet arrays; the engine decides when they are called.
A discharge event asks the fleet to move its net import down by ``target_kw``
(battery discharge, deferred EV charging, V2G); an absorb event asks it to
move up (extra battery or EV charging). Offers are what each asset can hold
for the whole remaining window beyond what it would do anyway.
"""

from __future__ import annotations

import numpy as np
from attrs import frozen

from desim.assets import physics

__all__ = ["DispatchEvents", "bess_offers_kw", "ev_offers_kw", "decide", "allocate",
           "ALLOCATIONS"]

ALLOCATIONS = ("pro_rata", "merit")


@frozen
class DispatchEvents:
    """Dispatch events as arrays, sorted by start (hours since scenario start)."""

    event_id: np.ndarray        # str
    start_h: np.ndarray
    end_h: np.ndarray
    target_kw: np.ndarray       # >= 0
    direction: np.ndarray       # -1 discharge / reduce load, +1 absorb
    price_per_mwh: np.ndarray

    @classmethod
    def empty(cls) -> DispatchEvents:
        z = np.zeros(0)
        return cls(np.zeros(0, dtype=object), z, z, z, np.zeros(0, dtype=np.int8), z)

    def __len__(self) -> int:
        return len(self.start_h)


def bess_floor_soc(bess, fleet):
    """Lowest SOC each battery's owner lets the aggregator reach.

    The highest of: the battery's own floor; ``1 - max_discharge`` (the owner's
    "never below X %"); the floor plus the backup reserve, ``backup_power_hours``
    times the home's average load (annual kWh / 8760 h).
    """
    home = bess.prosumer_index
    backup_kwh = fleet.backup_power_hours[home] * fleet.annual_load_kwh[home] / 8760.0
    return np.maximum.reduce([bess.min_soc, 1.0 - fleet.max_discharge[home],
                              np.minimum(bess.max_soc, bess.min_soc
                                         + backup_kwh / bess.capacity_kwh)])


def bess_offers_kw(bess, fleet, baseline_kw, window_h, direction):
    """Extra power (kW, >= 0) each battery can hold for `window_h` beyond its baseline.

    Discharge: the constant power it can hold above its owner's floor for the
    window, minus what its baseline already discharges (a charging baseline
    discharges nothing); absorb: likewise up to its ceiling (docs/semantics.md).
    """
    if direction < 0:
        sustain_kw = physics.max_discharge_power_kw(
            bess.soc, bess.capacity_kwh, bess.max_discharge_kw, window_h,
            bess_floor_soc(bess, fleet), bess.discharge_efficiency)
        return np.maximum(0.0, sustain_kw - np.maximum(0.0, -baseline_kw))
    sustain_kw = physics.max_charge_power_kw(bess.soc, bess.capacity_kwh, bess.max_charge_kw,
                                             window_h, bess.max_soc, bess.charge_efficiency)
    return np.maximum(0.0, sustain_kw - np.maximum(0.0, baseline_kw))


def ev_offers_kw(ev, fleet, baseline_kw, now_h, window_h, direction, guarded,
                 recharge_kw=None):
    """Power (kW, >= 0) each EV can move for the rest of the window (docs/semantics.md).

    `baseline_kw` is what each EV would really draw now with no event (0 for an EV
    at its target). EVs of owners with ``ev_priority == high`` and EVs not plugged
    in offer nothing. With a guarded policy only EVs the guard protects take part,
    and only as far as their laxity at the recharge rate ``c`` (`recharge_kw`,
    full power by default) allows: deferral if ``laxity >= window``, V2G ``v`` on
    top if also ``laxity - window - v * window / (c * eff * eff) >= 0``.
    """
    home = ev.prosumer_index
    guarded = bool(guarded)
    allowed = ev.plugged & (fleet.ev_priority[home] < 2)
    if guarded:
        allowed = allowed & ev.guaranteed
    need = ev.needed_kwh()
    charging = np.maximum(0.0, baseline_kw) * (need > 0)
    if direction < 0:
        eff = ev.charge_efficiency
        c = ev.max_charge_kw if recharge_kw is None else recharge_kw
        rate = c * eff
        with np.errstate(divide="ignore", invalid="ignore"):
            lax = (ev.departure_h - now_h) - np.where(need > 0, need / rate, 0.0)
        lax = np.nan_to_num(lax, nan=-np.inf, neginf=-np.inf)
        v2g_kwh = np.maximum(0.0, ev.soc - ev.v2g_min_soc) * ev.capacity_kwh
        v2g_kw = np.minimum(ev.v2g_max_kw, v2g_kwh * eff / window_h)
        if guarded:
            defer_ok = lax >= window_h
            with np.errstate(divide="ignore", invalid="ignore"):
                recover_h = np.where(v2g_kw > 0, v2g_kw * window_h / (rate * eff), 0.0)
            v2g_ok = defer_ok & (lax - window_h - np.nan_to_num(recover_h, nan=np.inf) >= 0)
        else:
            defer_ok = v2g_ok = np.ones(ev.n, dtype=bool)
        offer = np.where(defer_ok, charging, 0.0) + np.where(v2g_ok, v2g_kw, 0.0)
    else:
        offer = np.where(need > 0, np.maximum(0.0, ev.max_charge_kw - np.maximum(0.0, baseline_kw)),
                         0.0)
    return np.where(allowed, offer, 0.0)


def decide(fleet, price_per_mwh, uniform):
    """Which prosumers accept an event: price covers their minimum compensation
    and a willingness draw (`uniform` in [0, 1), one per prosumer) succeeds."""
    price_per_kwh = price_per_mwh / 1000.0
    return (price_per_kwh >= fleet.min_compensation_per_kwh) & \
        (uniform < fleet.participation_willingness)


def allocate(offer_kw, target_kw, method="pro_rata", ask_usd_per_kwh=None):
    """Split `target_kw` among offers without exceeding any offer.

    ``pro_rata``: each gets the same fraction of its offer. ``merit``: cheapest
    asking price first (ties by position), each filled up to its offer.
    """
    offer_kw = np.maximum(0.0, np.asarray(offer_kw, dtype=float))
    total = offer_kw.sum()
    if total <= 0.0 or target_kw <= 0.0:
        return np.zeros_like(offer_kw)
    if method == "pro_rata":
        return offer_kw * min(1.0, target_kw / total)
    order = np.lexsort((np.arange(len(offer_kw)), ask_usd_per_kwh))
    cum = np.cumsum(offer_kw[order])
    award = np.empty_like(offer_kw)
    award[order] = np.clip(target_kw - (cum - offer_kw[order]), 0.0, offer_kw[order])
    return award
