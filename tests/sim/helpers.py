"""Small hand-built fleets and inputs for engine tests (no scenario layer)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from desim.fleet.table import FleetTable
from desim.sim.dispatch import DispatchEvents
from desim.sim.engine import SimInputs
from desim.sim.policies import get_bess_policy, get_ev_policy
from desim.sim.sessions import MobilitySessions, RecordedSessions


class FlatLoad:
    """Every home draws `kw` (a simple stand-in for a load model)."""

    def __init__(self, kw):
        self.kw = np.asarray(kw, dtype=np.float32)

    def block(self, start, n):
        return np.broadcast_to(self.kw, (n, len(self.kw))).copy()


def make_fleet(n_homes=3, with_bess=True, with_ev=True, with_pv=True, rng=None,
               v2g=False) -> FleetTable:
    rng = rng or np.random.default_rng(0)
    homes = np.arange(n_homes)
    bess = homes if with_bess else homes[:0]
    evs = homes if with_ev else homes[:0]
    pv = homes if with_pv else homes[:0]
    nb, ne, npv = len(bess), len(evs), len(pv)
    return FleetTable(
        prosumer_id=[f"home-{i:03d}" for i in homes],
        annual_load_kwh=np.full(n_homes, 6200.0),
        participation_willingness=np.full(n_homes, 1.0),
        min_compensation_per_kwh=rng.uniform(0.05, 0.15, n_homes),
        backup_power_hours=np.full(n_homes, 1.0),
        max_discharge=np.full(n_homes, 0.8),
        ev_priority=np.ones(n_homes), profile=np.ones(n_homes),
        bess_prosumer_index=bess, bess_capacity_kwh=rng.uniform(5, 20, nb),
        bess_max_charge_kw=rng.uniform(3, 7, nb), bess_max_discharge_kw=rng.uniform(3, 7, nb),
        bess_charge_efficiency=np.full(nb, 0.95), bess_discharge_efficiency=np.full(nb, 0.95),
        bess_soc=rng.uniform(0.2, 0.9, nb), bess_min_soc=np.full(nb, 0.1),
        bess_max_soc=np.full(nb, 0.95), bess_self_discharge_per_h=np.zeros(nb),
        bess_product=["generic"] * nb,
        ev_prosumer_index=evs, ev_id=[f"ev-{i:03d}" for i in evs],
        ev_capacity_kwh=rng.uniform(40, 90, ne), ev_max_charge_kw=rng.uniform(6, 11.5, ne),
        ev_charge_efficiency=np.full(ne, 0.92), ev_soc=rng.uniform(0.2, 0.6, ne),
        ev_departure_soc=rng.uniform(0.7, 0.9, ne), ev_departure_hour=rng.uniform(6, 9, ne),
        ev_arrival_hour=rng.uniform(16, 20, ne), ev_daily_miles=rng.uniform(15, 50, ne),
        ev_kwh_per_mile=np.full(ne, 0.28), ev_v2g_max_kw=np.full(ne, 5.0 if v2g else 0.0),
        ev_v2g_min_soc=np.full(ne, 0.3), ev_product=["generic"] * ne,
        pv_prosumer_index=pv, pv_capacity_kw=rng.uniform(3, 9, npv),
        pv_tilt_deg=np.full(npv, 20.0), pv_azimuth_deg=np.full(npv, 180.0),
        pv_system_efficiency=np.full(npv, 0.86),
    )


def solar_shape(n_steps, interval_h):
    hour = (np.arange(n_steps) * interval_h + interval_h / 2) % 24
    return np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None)[None, :].astype(np.float32) * 0.8


def make_inputs(fleet, days=2, ev_policy="uncontrolled", bess_policy="self_consumption",
                events=None, site_limit_kw=np.inf, sessions=None, seed=1, interval_min=15,
                load_kw=1.0, departure_guard=True, **kw) -> SimInputs:
    interval_h = interval_min / 60
    n_steps = int(round(days * 24 / interval_h))
    start = pd.Timestamp("2026-07-15 00:00", tz="America/Los_Angeles")
    ss = np.random.SeedSequence(seed)
    mob_ss, disp_ss = ss.spawn(2)
    if sessions is None:
        sessions = MobilitySessions(
            fleet.ev_departure_hour, fleet.ev_arrival_hour, fleet.ev_daily_miles,
            fleet.ev_kwh_per_mile, fleet.ev_capacity_kwh, fleet.ev_departure_soc, 0.0, mob_ss)
    hour = (np.arange(n_steps) * interval_h) % 24
    price = np.where((hour >= 16) & (hour < 21), 0.49, 0.38)
    return SimInputs(
        fleet=fleet, start=start, interval_h=interval_h, n_steps=n_steps,
        pv_bucket=np.zeros(fleet.n_pv, dtype=int), pv_kw_per_kwp=solar_shape(n_steps, interval_h),
        load=FlatLoad(np.full(fleet.n_prosumers, load_kw)), price_usd_per_kwh=price,
        sessions=sessions, ev_policy=get_ev_policy(ev_policy),
        bess_policy=get_bess_policy(bess_policy),
        events=events if events is not None else DispatchEvents.empty(),
        site_limit_kw=site_limit_kw, departure_guard=departure_guard, dispatch_seed=disp_ss,
        **kw)


def recorded(ev_index, arrival_h, departure_h, arrival_soc, target_soc):
    order = np.lexsort((arrival_h, ev_index))
    return RecordedSessions(*(np.asarray(a)[order] for a in (
        ev_index, arrival_h, departure_h, arrival_soc, target_soc)))


def events(*rows):
    """rows: (id, start_h, duration_h, target_kw, direction, price_per_mwh)."""
    if not rows:
        return DispatchEvents.empty()
    ids, start, dur, target, direction, price = zip(*rows, strict=True)
    start = np.asarray(start, dtype=float)
    return DispatchEvents(np.asarray(ids, dtype=object), start, start + np.asarray(dur),
                          np.asarray(target, dtype=float), np.asarray(direction, dtype=np.int8),
                          np.asarray(price, dtype=float))
