"""The benchmark scenario, built in code: a generated fleet and everything a run needs.

One function, `bench_inputs`, turns (prosumers, days, seed) into `SimInputs`:
a fleet from `generate_fleet_table` (California adoption: batteries, EVs,
solar), PV per orientation bucket from the clear-sky-plus-clouds model, the
synthetic California load, the PG&E E-TOU-C tariff, commute sessions from the
mobility model and one discharge dispatch event every day from 17:00 to 20:00
local time (so an hour earlier or later in elapsed time across a DST change).
Every random component has its own child of the seed, as in `desim.sim.run`.
The same call always gives the same inputs, so the engine and the baselines
can each be handed a fresh copy of one scenario.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from desim.fleet.generate import generate_fleet_table
from desim.fleet.table import FleetTable
from desim.sim.dispatch import DispatchEvents
from desim.sim.engine import SimInputs
from desim.sim.policies import get_bess_policy, get_ev_policy
from desim.sim.run import SEED_COMPONENTS
from desim.sim.sessions import MobilitySessions

__all__ = ["bench_inputs", "BenchSite", "EVENT_KW_PER_PROSUMER", "SITE"]

#: Dispatch target per prosumer (kW); 0.3 kW x 1,000 homes asks for 300 kW.
EVENT_KW_PER_PROSUMER = 0.3
EVENT_START_HOUR = 17.0
EVENT_DURATION_H = 3.0
EVENT_PRICE_PER_MWH = 250.0


class BenchSite:
    """Downtown Los Angeles (the example scenarios' site)."""

    latitude = 34.05
    longitude = -118.25
    altitude_m = 89.0
    time_zone = "America/Los_Angeles"


SITE = BenchSite()


def _seeds(seed: int) -> dict[str, np.random.SeedSequence]:
    children = np.random.SeedSequence(seed).spawn(len(SEED_COMPONENTS))
    return dict(zip(SEED_COMPONENTS, children, strict=True))


def daily_events(days: int, n_prosumers: int, start_hour: float = EVENT_START_HOUR,
                 duration_h: float = EVENT_DURATION_H,
                 start: pd.Timestamp | None = None) -> DispatchEvents:
    """One discharge event per day at `start_hour` local time, in hours since `start`.

    The event starts at `start_hour` on the local clock of every day, so across a
    DST change it moves by an hour in elapsed time (the simulation clock counts
    elapsed hours from local midnight of `start`). Without `start`, days are 24 h.
    """
    if start is None:
        start_h = 24.0 * np.arange(days) + start_hour
    else:
        midnight = start.normalize()
        local = (midnight.tz_localize(None) + pd.to_timedelta(np.arange(days), unit="D")
                 + pd.to_timedelta(start_hour, unit="h"))
        starts = local.tz_localize(start.tz, ambiguous=True, nonexistent="shift_forward")
        start_h = ((starts - start).total_seconds() / 3600.0).to_numpy(dtype=float)
    return DispatchEvents(
        np.array([f"daily-{d:03d}" for d in range(days)], dtype=object), start_h,
        start_h + duration_h, np.full(days, EVENT_KW_PER_PROSUMER * n_prosumers),
        np.full(days, -1, dtype=np.int8), np.full(days, EVENT_PRICE_PER_MWH))


def bench_inputs(n_prosumers: int, days: int, seed: int = 0, start: str = "2026-01-01",
                 fleet: FleetTable | None = None, ev_policy: str = "uncontrolled",
                 bess_policy: str = "self_consumption", interval_min: int = 15,
                 solar_model: str = "clearsky_markov", dispatch: bool = True,
                 solar_kw_per_kwp=None) -> SimInputs:
    """Engine inputs for the benchmark scenario (see module docstring).

    Parameters
    ----------
    n_prosumers : int
        Fleet size (>= 1); ignored when `fleet` is given.
    days : int
        Horizon, whole days from local midnight of `start` (>= 1).
    seed : int
        Scenario seed; split into one child per component (`SEED_COMPONENTS`).
    fleet : FleetTable, optional
        A fleet already generated (saves regenerating it for repeated runs).
    ev_policy, bess_policy : str
        Policy names (`desim.sim.policies`).
    solar_kw_per_kwp : tuple, optional
        ``(bucket_index, profile)`` computed before, to reuse between runs.

    Returns
    -------
    SimInputs
        Fresh inputs (own session source and dispatch seed): safe to run once.
    """
    from desim import profiles

    seeds = _seeds(seed)
    start_ts = pd.Timestamp(start, tz=SITE.time_zone)
    n_steps = int(round(days * 24 * 60 / interval_min))
    times = profiles.make_times(start_ts, n_steps, interval_min, SITE.time_zone)
    if fleet is None:
        fleet = generate_fleet_table(int(n_prosumers), seeds["fleet"])
    if solar_kw_per_kwp is None:
        solar_kw_per_kwp = solar_profile(fleet, times, seeds["solar"], solar_model)
    pv_bucket, pv_profile = solar_kw_per_kwp
    load = profiles.LoadModel(fleet.annual_load_kwh, times, np.random.default_rng(seeds["load"]))
    sessions = MobilitySessions(
        fleet.ev_departure_hour, fleet.ev_arrival_hour, fleet.ev_daily_miles,
        fleet.ev_kwh_per_mile, fleet.ev_capacity_kwh, fleet.ev_departure_soc,
        start_ts.hour + start_ts.minute / 60.0, seeds["mobility"],
        home_share=fleet.ev_home_charge_share)
    price = profiles.tariff_price_usd_per_kwh("pge_e_tou_c", times)
    events = (daily_events(days, fleet.n_prosumers, start=start_ts) if dispatch
              else DispatchEvents.empty())
    return SimInputs(
        fleet=fleet, start=start_ts, interval_h=interval_min / 60.0, n_steps=n_steps,
        pv_bucket=np.asarray(pv_bucket, dtype=np.int64),
        pv_kw_per_kwp=np.asarray(pv_profile, dtype=np.float32), load=load,
        price_usd_per_kwh=np.asarray(price, dtype=float), sessions=sessions,
        ev_policy=get_ev_policy(ev_policy), bess_policy=get_bess_policy(bess_policy),
        events=events, dispatch_seed=seeds["dispatch"])


def solar_profile(fleet: FleetTable, times: pd.DatetimeIndex, seed, model="clearsky_markov"):
    """``(bucket_index, kW per kWp per bucket)`` for the fleet's PV orientations."""
    from desim import profiles

    if fleet.n_pv == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((1, len(times)), np.float32)
    bucket, tilts, azimuths = profiles.orientation_buckets(fleet.pv_tilt_deg, fleet.pv_azimuth_deg)
    profile = profiles.solar_kw_per_kwp(SITE.latitude, SITE.longitude, SITE.altitude_m, times,
                                        tilts, azimuths, rng=np.random.default_rng(seed),
                                        model=model, losses_percent=0.0)
    return bucket, profile
