"""The aggregator: offers, allocation and settlement of dispatch events.

Pure functions over fleet arrays; the engine decides when they are called. The
rules for one home or asset (acceptance, owner floor, battery and EV offers) are
`desim.assets.behaviour`'s, which the scalar `desim.assets.Prosumer` calls too;
here they are applied to the fleet's arrays.

A discharge event asks the fleet to move its net import down by ``target_kw``
(battery discharge, deferred EV charging, V2G); an absorb event asks it to
move up (extra battery or EV charging). Offers are what each asset can hold
for the whole remaining window beyond what it would do anyway.
"""

from __future__ import annotations

import numpy as np
from attrs import frozen

from desim.assets.behaviour import (
    accepts,
    bess_offer_kw,
    ev_fleet_offers_kw,
    ev_offer_kw,
    owner_floor_soc,
    participation_probability,
)

__all__ = ["DispatchEvents", "owner_floor_soc", "bess_floor_soc", "bess_offer_kw",
           "bess_offers_kw", "ev_offer_kw", "ev_offers_kw", "accepts", "participation_probability",
           "decide", "allocate", "ALLOCATIONS"]

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
    """`owner_floor_soc` of every battery of `bess` with its home's preferences; a home's
    backup reserve is spread over the capacity of all its batteries (each keeps the
    same share of its own capacity), not kept in full by each."""
    home = bess.prosumer_index
    home_capacity_kwh = np.bincount(home, bess.capacity_kwh, minlength=fleet.n_prosumers)
    return owner_floor_soc(bess.min_soc, bess.max_soc, home_capacity_kwh[home],
                           fleet.max_discharge[home], fleet.backup_power_hours[home],
                           fleet.annual_load_kwh[home])


def bess_offers_kw(bess, fleet, baseline_kw, window_h, direction):
    """`bess_offer_kw` of every battery of `bess` above its owner's floor (`bess_floor_soc`)."""
    floor = bess_floor_soc(bess, fleet) if direction < 0 else None
    return bess_offer_kw(bess.soc, bess.capacity_kwh, bess.max_charge_kw, bess.max_discharge_kw,
                         bess.charge_efficiency, bess.discharge_efficiency, floor,
                         bess.max_soc, baseline_kw, window_h, direction)


def ev_offers_kw(ev, fleet, baseline_kw, now_h, window_h, direction, guarded,
                 recharge_kw=None):
    """Power (kW, >= 0) each EV can move for the rest of the window (docs/semantics.md).

    `baseline_kw` is what each EV would really draw now with no event (0 for an EV
    at its target). EVs of owners with ``ev_priority == high`` and EVs not plugged
    in offer nothing. With a guarded policy only EVs the guard protects take part,
    and only as far as their laxity at the recharge rate ``c`` (`recharge_kw`,
    full power by default) allows: deferral if ``laxity >= window``, V2G ``v`` on
    top if also ``laxity - window - v * window / (c * eff * eff) >= 0``
    (`ev_offer_kw`).
    """
    out = np.empty(ev.n)
    guarded = bool(guarded)
    ev_fleet_offers_kw(ev.plugged, fleet.ev_priority, ev.prosumer_index,
                       ev.guaranteed if guarded else ev.plugged, ev.soc,
                       ev.target_soc, ev.capacity_kwh,
                       np.broadcast_to(np.asarray(baseline_kw, dtype=float), out.shape),
                       ev.departure_h, ev.v2g_min_soc, ev.v2g_max_kw, ev.max_charge_kw,
                       ev.charge_efficiency,
                       ev.max_charge_kw if recharge_kw is None else np.broadcast_to(
                           np.asarray(recharge_kw, dtype=float), out.shape),
                       float(now_h), float(window_h), int(direction), guarded, out)
    return out


def decide(fleet, price_per_mwh, uniform):
    """Which prosumers accept an event: price covers their minimum compensation
    and a willingness draw (`uniform` in [0, 1), one per prosumer) succeeds (`accepts`)."""
    return accepts(price_per_mwh, fleet.min_compensation_per_kwh,
                   fleet.participation_willingness, uniform)


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
