"""A shard of a scenario's inputs: contiguous homes, their assets, a share of each target.

A sharded run splits the fleet into ``K`` shards of contiguous homes (shard
``s`` holds homes ``s * N // K`` to ``(s + 1) * N // K - 1``, `shard_bounds`).
Every shard builds the whole scenario's inputs from the scenario seed, exactly
as a serial run does, and keeps its own homes (`shard_inputs`): the fleet rows,
their load model columns, their EVs' sessions (drawn for the whole fleet, so an
EV's trips do not depend on the shard it is in), their PV systems. Without
dispatch events and without a site limit the homes do not interact, so the
shards' rows together are the serial run's rows.

Each shard is an aggregator portfolio: it takes every dispatch event with the
share of the target its homes are of the fleet (`split_target`), decides and
allocates among its own homes only, and settles on its own. The willingness
draws of a shard come from its own child of the scenario's dispatch seed.

Event ids: shard ``s`` numbers its rows from ``s * SHARD_ID_BASE``, and the
fleet-wide rows (`FLEET_KINDS`, written once for the whole fleet) from
``K * SHARD_ID_BASE``, so ids never collide and every ``cause_id`` points at a
row of the same shard.
"""

from __future__ import annotations

import numpy as np
from attrs import evolve

from desim.sim.engine import SimInputs
from desim.sim.logformat import KINDS

__all__ = ["SHARD_ID_BASE", "FLEET_KINDS", "shard_bounds", "split_target", "shard_inputs",
           "shard_kinds", "fleet_rows"]

#: Ids per shard: shard s numbers its log rows from ``s * SHARD_ID_BASE`` (2**40, about
#: 1.1e12 rows per shard; int64 holds over 8 million shards).
SHARD_ID_BASE = 1 << 40
#: Kinds about the whole fleet, not a home: one row per interval (the fleet's net) and
#: one per price change. A sharded run writes them once, from the summed series.
FLEET_KINDS = ("interval", "price_update")


def shard_bounds(n_prosumers: int, n_shards: int) -> list[tuple[int, int]]:
    """``(lo, hi)`` of every shard: contiguous homes, sizes differing by at most one.

    Parameters
    ----------
    n_prosumers : int
        Homes in the fleet (>= 0).
    n_shards : int
        Number of shards (>= 1). A shard may be empty when there are fewer homes.
    """
    if n_shards < 1:
        raise ValueError(f"n_shards: expected >= 1, got {n_shards}")
    edges = [s * n_prosumers // n_shards for s in range(n_shards + 1)]
    return list(zip(edges[:-1], edges[1:], strict=True))


def split_target(target_kw: np.ndarray, n_in_shard: int, n_prosumers: int) -> np.ndarray:
    """A shard's dispatch targets (kW): each target times the shard's share of the homes.

    The rule is ``target_kw * n_in_shard / n_prosumers``; over all shards the
    targets add up to the fleet's (to rounding). An empty fleet gets nothing.
    """
    target_kw = np.asarray(target_kw, dtype=float)
    if n_prosumers <= 0:
        return np.zeros_like(target_kw)
    return target_kw * (n_in_shard / n_prosumers)


def shard_kinds(event_kinds) -> tuple[str, ...]:
    """The kinds a shard's engine logs: the scenario's, without `FLEET_KINDS`."""
    kept = event_kinds or KINDS
    return tuple(k for k in kept if k not in FLEET_KINDS)


def shard_inputs(inputs: SimInputs, lo: int, hi: int, shard: int, n_shards: int) -> SimInputs:
    """The inputs of homes ``lo`` to ``hi - 1`` of a whole-fleet `inputs` (see module).

    The returned inputs share the whole fleet's sessions object (each EV reached
    through its row in the whole fleet) and the time-only arrays; run them once.
    """
    fleet = inputs.fleet
    part = fleet.prosumer_rows(lo, hi)
    ev_rows = np.flatnonzero((fleet.ev_prosumer_index >= lo) & (fleet.ev_prosumer_index < hi))
    pv_keep = (fleet.pv_prosumer_index >= lo) & (fleet.pv_prosumer_index < hi)
    events = inputs.events
    if len(events):
        events = evolve(events, target_kw=split_target(events.target_kw, hi - lo,
                                                       fleet.n_prosumers))
    seed = inputs.dispatch_seed
    if isinstance(seed, np.random.SeedSequence) and n_shards > 1:
        seed = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, shard))
    hvac = inputs.hvac
    if hvac is not None:
        keep = (hvac.prosumer_index >= lo) & (hvac.prosumer_index < hi)
        hvac = type(hvac)(**{a.name: getattr(hvac, a.name)[keep] for a in hvac.__attrs_attrs__})
        hvac.prosumer_index -= lo
    whtr, draw_l = inputs.water_heaters, inputs.draw_l
    if whtr is not None:
        keep = (whtr.prosumer_index >= lo) & (whtr.prosumer_index < hi)
        whtr = type(whtr)(**{a.name: getattr(whtr, a.name)[keep] for a in whtr.__attrs_attrs__})
        whtr.prosumer_index -= lo
        draw_l = draw_l[keep]
    return evolve(
        inputs, fleet=part, pv_bucket=inputs.pv_bucket[pv_keep], hvac=hvac,
        water_heaters=whtr, draw_l=draw_l,
        load=_load_homes(inputs.load, lo, hi),
        sessions=_EvRows(inputs.sessions, ev_rows), events=events, dispatch_seed=seed,
        event_kinds=shard_kinds(inputs.event_kinds), event_id_base=shard * SHARD_ID_BASE)


def _load_homes(load, lo: int, hi: int):
    homes = getattr(load, "homes", None)
    return homes(lo, hi) if homes is not None else _LoadColumns(load, lo, hi)


class _LoadColumns:
    """Columns ``lo:hi`` of a load source without a `homes` method."""

    def __init__(self, load, lo: int, hi: int):
        self._load, self._lo, self._hi = load, lo, hi

    def block(self, start_index, n_steps):
        return np.ascontiguousarray(self._load.block(start_index, n_steps)[:, self._lo:self._hi])


class _EvRows:
    """A shard's view of the whole fleet's sessions: the shard's EV ``e`` is the
    fleet's EV ``rows[e]``."""

    def __init__(self, sessions, rows: np.ndarray):
        self._sessions, self._rows = sessions, rows
        prepare = getattr(sessions, "prepare_day", None)
        if prepare is not None:
            self.prepare_day = prepare

    def first(self, ev_index, soc):
        return self._sessions.first(self._rows[np.asarray(ev_index)], soc)

    def next_after_departure(self, ev_index, soc):
        return self._sessions.next_after_departure(self._rows[np.asarray(ev_index)], soc)


def fleet_rows(series, interval_h: float, kinds, first_event_id: int) -> dict[str, np.ndarray]:
    """The fleet-wide rows (`FLEET_KINDS`) of a run as a raw chunk in canonical order.

    The same rows a serial engine logs: an ``interval`` row at the end of every
    interval (the fleet's net import, kW and kWh, and the price) and a
    ``price_update`` row at the start of the run and at every price change. They
    are computed from the fleet's series (the shards' series summed), so their
    values equal a serial run's to rounding.

    Parameters
    ----------
    series : pandas.DataFrame
        ``net_kw`` and ``price_usd_per_kwh`` per interval, in order.
    interval_h : float
        Interval length, hours (> 0).
    kinds : iterable of str, optional
        Kinds the scenario keeps (empty or None: all).
    first_event_id : int
        Event id of the first row; the rows are numbered in time order.
    """
    from desim.sim.logformat import ASSET_CODE, KIND_CODE, RAW_COLUMNS, canonical_order

    kept = set(kinds or KINDS)
    net_kw = np.asarray(series["net_kw"], dtype=float)
    price = np.asarray(series["price_usd_per_kwh"], dtype=float)
    n = len(net_kw)
    parts = []
    if "interval" in kept and n:
        parts.append({"t_h": (np.arange(n) + 1.0) * interval_h, "kind": "interval",
                      "asset_type": "fleet", "power_kw": net_kw,
                      "energy_kwh": net_kw * interval_h, "price_usd_per_mwh": price * 1000.0})
    if "price_update" in kept and n:
        change = np.flatnonzero(np.r_[True, price[1:] != price[:-1]])
        parts.append({"t_h": change * interval_h, "kind": "price_update",
                      "asset_type": "market", "price_usd_per_mwh": price[change] * 1000.0})
    rows = sum(len(p["t_h"]) for p in parts)
    chunk = {name: np.full(rows, default, dtype=dtype)
             for name, (dtype, default) in RAW_COLUMNS.items()}
    at = 0
    for p in parts:
        m = len(p["t_h"])
        for name, value in p.items():
            if name == "kind":
                value = KIND_CODE[value]
            elif name == "asset_type":
                value = ASSET_CODE[value]
            chunk[name][at:at + m] = value
        at += m
    # numbered in time order (kinds at one instant in canonical order)
    order = np.lexsort((chunk["kind"], chunk["t_h"]))
    chunk = {name: v[order] for name, v in chunk.items()}
    chunk["event_id"] = first_event_id + np.arange(rows, dtype=np.int64)
    order = canonical_order(chunk)
    return {name: v[order] for name, v in chunk.items()}
