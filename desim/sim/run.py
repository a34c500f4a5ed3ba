"""From a scenario to a finished run: resolve inputs, run the engine.

`build_inputs` turns a `Scenario` into arrays (fleet table, solar per
orientation bucket, a load model, prices, sessions, dispatch events), with
every random component drawn from its own child of the scenario seed;
`simulate` runs it, optionally with the no-dispatch counterfactual that
measures what the dispatch events really delivered.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from attrs import define, field

from desim.errors import ScenarioError
from desim.fleet.table import FleetTable
from desim.sim.dispatch import DispatchEvents
from desim.sim.engine import Engine, SimInputs, SimResult, run_inputs
from desim.sim.policy_check import resolve_bess_policy, resolve_ev_policy
from desim.sim.sessions import (
    MobilitySessions,
    RecordedSessions,
    read_acn_json,
    read_sessions_csv,
)
from desim.sim.tolerances import TIME_TOL_H

__all__ = ["build_inputs", "simulate", "RunOutput", "replay_fleet", "scenario_events",
           "SEED_COMPONENTS"]

# One child of the scenario SeedSequence per random component, in this order.
SEED_COMPONENTS = ("fleet", "solar", "load", "prices", "mobility", "dispatch", "hvac",
                   "water_heater")

# Recorded sessions carry energy, not SOC: each replayed EV gets a pack large
# enough for its largest request, arriving at this SOC (an assumption that does
# not change delivered energy, which is what replays are compared on).
REPLAY_ARRIVAL_SOC = 0.1


@define
class RunOutput:
    """A finished run: the scenario's result, and the counterfactual's if one was run."""

    result: SimResult
    counterfactual: SimResult | None
    inputs: SimInputs
    fleet: FleetTable
    resolved: dict = field(factory=dict)


def _seeds(seed: int) -> dict[str, np.random.SeedSequence]:
    return dict(zip(SEED_COMPONENTS, np.random.SeedSequence(seed).spawn(len(SEED_COMPONENTS)),
                    strict=True))


def replay_fleet(frame: pd.DataFrame) -> tuple[FleetTable, RecordedSessions]:
    """A fleet of one EV per recorded vehicle id, and its sessions."""
    ids, ev_index = np.unique(frame["ev_id"].to_numpy(dtype=str), return_inverse=True)
    n = len(ids)
    arr_h, dep_h = frame["arrival_h"].to_numpy(float), frame["departure_h"].to_numpy(float)
    by_ev = np.lexsort((arr_h, ev_index))
    same = ev_index[by_ev][1:] == ev_index[by_ev][:-1]
    overlap = same & (arr_h[by_ev][1:] < dep_h[by_ev][:-1])
    if overlap.any():
        bad = ids[ev_index[by_ev][1:][overlap]]
        raise ScenarioError(f"sessions: ev_id {str(bad[0])!r}: expected one vehicle's sessions not "
                            f"to overlap, got {int(overlap.sum())} overlapping session(s)")
    kwh = frame["kwh_requested"].to_numpy(dtype=float)
    largest_kwh = np.zeros(n)
    np.maximum.at(largest_kwh, ev_index, kwh)
    capacity = np.maximum(largest_kwh / (1.0 - REPLAY_ARRIVAL_SOC), 1.0)
    max_kw = np.zeros(n)
    np.maximum.at(max_kw, ev_index, frame["max_kw"].to_numpy(dtype=float))
    z = np.zeros(n)
    fleet = FleetTable(
        prosumer_id=ids, annual_load_kwh=z, participation_willingness=np.full(n, 0.5),
        min_compensation_per_kwh=np.full(n, 0.1), backup_power_hours=z, max_discharge=z,
        ev_priority=np.ones(n), profile=np.ones(n),
        **{k: np.zeros(0) for k in ("bess_prosumer_index", "bess_capacity_kwh",
                                    "bess_max_charge_kw", "bess_max_discharge_kw",
                                    "bess_charge_efficiency", "bess_discharge_efficiency",
                                    "bess_soc", "bess_min_soc", "bess_max_soc",
                                    "bess_self_discharge_per_h", "pv_prosumer_index",
                                    "pv_capacity_kw", "pv_tilt_deg", "pv_azimuth_deg",
                                    "pv_system_efficiency")},
        bess_product=np.zeros(0, dtype=object),
        ev_prosumer_index=np.arange(n), ev_id=ids, ev_capacity_kwh=capacity,
        ev_max_charge_kw=max_kw, ev_charge_efficiency=np.ones(n),
        ev_soc=np.full(n, REPLAY_ARRIVAL_SOC), ev_departure_soc=np.ones(n), ev_departure_hour=z,
        ev_arrival_hour=z, ev_daily_miles=z, ev_kwh_per_mile=z, ev_v2g_max_kw=z,
        ev_v2g_min_soc=z, ev_product=np.full(n, "recorded session", dtype=object),
    )
    arrival = frame["arrival_h"].to_numpy(dtype=float)
    target = REPLAY_ARRIVAL_SOC + kwh / capacity[ev_index]
    order = np.lexsort((arrival, ev_index))
    sessions = RecordedSessions(ev_index[order], arrival[order],
                                frame["departure_h"].to_numpy(dtype=float)[order],
                                np.full(len(order), REPLAY_ARRIVAL_SOC), target[order])
    return fleet, sessions


def scenario_events(scenario, start: pd.Timestamp, horizon_h: float) -> DispatchEvents:
    """The scenario's dispatch events in time order, in hours from `start` (ends cut at
    the horizon)."""
    specs = sorted(scenario.market.events, key=lambda e: e.start)
    if not specs:
        return DispatchEvents.empty()
    start_h = np.array([(pd.Timestamp(e.start) - start) / pd.Timedelta(hours=1) for e in specs])
    end_h = start_h + np.array([e.duration_h for e in specs])
    problems = [f"market.events[{i}] ({e.id}): expected to start after the previous event "
                f"ends, got an overlap" for i, e in enumerate(specs[1:], 1)
                if start_h[i] < end_h[i - 1]]
    if problems:
        raise ScenarioError(f"{scenario.source}: " + "; ".join(problems))
    return DispatchEvents(
        np.array([e.id for e in specs], dtype=object), start_h, np.minimum(end_h, horizon_h),
        np.array([e.target_kw for e in specs]),
        np.array([-1 if e.direction == "discharge" else 1 for e in specs], dtype=np.int8),
        np.array([e.price_per_mwh for e in specs]))


def _source_path(scenario, source):
    from pathlib import Path
    path = Path(source.path)
    if not path.is_absolute() and scenario.base_dir is not None:
        path = Path(scenario.base_dir) / path
    return path


#: Where a scenario without [site] (and so without solar) is: only a weather file's
#: distance check reads it.
_NO_SITE = SimpleNamespace(latitude=0.0, longitude=0.0, altitude_m=0.0)


def build_inputs(scenario, fleet: FleetTable | None = None, parser=None,
                 resolved: dict | None = None) -> SimInputs:
    """Resolve a scenario into engine inputs (see module docstring)."""
    from desim import profiles
    from desim.scenario.build import build_fleet

    info = scenario.info
    seeds = _seeds(info.seed)
    start = pd.Timestamp(info.start)
    interval_h = info.interval_min / 60.0
    horizon_h = info.duration_h if info.duration_h is not None else info.duration_days * 24.0
    n_steps = int(round(horizon_h / interval_h))
    times = profiles.make_times(start, n_steps, info.interval_min, info.time_zone)

    if scenario.sessions is not None:
        s = scenario.sessions
        frame = (read_sessions_csv(_source_path(scenario, _Src(s.csv)), start, horizon_h)
                 if s.csv else
                 read_acn_json(_source_path(scenario, _Src(s.acn_json)), start,
                               horizon_h=horizon_h))
        fleet, sessions = replay_fleet(frame)
    else:
        if fleet is None:
            fleet = build_fleet(scenario, seeds["fleet"], parser=parser, resolved=resolved)
        sessions = MobilitySessions(
            fleet.ev_departure_hour, fleet.ev_arrival_hour, fleet.ev_daily_miles,
            fleet.ev_kwh_per_mile, fleet.ev_capacity_kwh, fleet.ev_departure_soc,
            start.hour + start.minute / 60.0, seeds["mobility"],
            home_share=fleet.ev_home_charge_share,
            spread=_schedule_spread(scenario, fleet), start=start)

    site = scenario.site if scenario.site is not None else _NO_SITE
    solar = scenario.profiles.solar
    derate = True
    if fleet.n_pv == 0:
        pv_bucket, pv_profile = np.zeros(0, dtype=int), np.zeros((1, n_steps), np.float32)
    elif isinstance(solar, str):
        pv_bucket, tilts, azimuths = profiles.orientation_buckets(fleet.pv_tilt_deg,
                                                                  fleet.pv_azimuth_deg)
        pv_profile = profiles.solar_kw_per_kwp(
            site.latitude, site.longitude, site.altitude_m, times, tilts, azimuths,
            rng=np.random.default_rng(seeds["solar"]), model=solar, losses_percent=0.0)
    elif solar.kind == "csv":
        pv_bucket = np.zeros(fleet.n_pv, dtype=int)
        pv_profile = profiles.csv_solar_kw_per_kw(_source_path(scenario, solar), times)[None, :]
        derate = False
    else:
        pv_bucket, tilts, azimuths = profiles.orientation_buckets(fleet.pv_tilt_deg,
                                                                  fleet.pv_azimuth_deg)
        pv_profile = profiles.solar_kw_per_kwp(
            site.latitude, site.longitude, site.altitude_m, times, tilts, azimuths,
            model="weather_file", weather_path=_source_path(scenario, solar),
            losses_percent=0.0)

    load_spec = scenario.profiles.load
    if scenario.sessions is not None:
        load = _NoLoad(fleet.n_prosumers)
    elif isinstance(load_spec, str):
        load = profiles.LoadModel(fleet.annual_load_kwh, times,
                                  np.random.default_rng(seeds["load"]))
    else:
        load = _LoadByIds(profiles.CsvLoadProfiles(_source_path(scenario, load_spec), times),
                          fleet.prosumer_id, scenario.source)

    prices = scenario.profiles.prices
    if not isinstance(prices, str):
        price = profiles.csv_price_usd_per_mwh(_source_path(scenario, prices), times) / 1000.0
    elif prices == "day_ahead":
        price = profiles.day_ahead_usd_per_mwh(times, np.random.default_rng(seeds["prices"])
                                               ) / 1000.0
    else:
        price = profiles.tariff_price_usd_per_kwh(prices, times)

    hvac = outdoor = None
    gen = scenario.fleet.generate
    if scenario.sessions is None and (
            any(p.hvac is not None for p in scenario.fleet.prosumers)
            or (gen is not None and gen.hvac is not None)):
        from desim.scenario.build import build_hvac
        hvac = build_hvac(scenario, fleet, seeds["hvac"])
        src = scenario.profiles.outdoor_temperature
        if src is None:
            raise ScenarioError(f"{scenario.source}: profiles.outdoor_temperature: expected a "
                                "source for the fleet's thermal units, got none")
        outdoor = profiles.outdoor_temperature_c(
            src, times, site.latitude, site.longitude,
            path=None if isinstance(src, str) else _source_path(scenario, src))

    water_heaters = draw_l = None
    if scenario.sessions is None and (
            any(p.water_heater is not None for p in scenario.fleet.prosumers)
            or (gen is not None and gen.water_heaters is not None)):
        from desim.scenario.build import build_water_heaters
        water_heaters, daily_l = build_water_heaters(scenario, fleet,
                                                     seeds["water_heater"].spawn(1)[0])
        draw_l = profiles.draw_litres(daily_l, start.hour + start.minute / 60.0, interval_h,
                                      n_steps, np.random.default_rng(seeds["water_heater"]))

    control = scenario.control
    return SimInputs(
        fleet=fleet, start=start, interval_h=interval_h, n_steps=n_steps,
        pv_bucket=np.asarray(pv_bucket, dtype=np.int64),
        pv_kw_per_kwp=np.asarray(pv_profile, dtype=np.float32), pv_derate=derate,
        load=load, price_usd_per_kwh=np.asarray(price, dtype=float), sessions=sessions,
        ev_policy=resolve_ev_policy(control.ev_policy, control.smart_order),
        bess_policy=resolve_bess_policy(control.bess_policy),
        events=scenario_events(scenario, start, horizon_h),
        site_limit_kw=control.site_limit_kw if control.site_limit_kw is not None else np.inf,
        departure_guard=control.departure_guard,
        allocation=getattr(scenario.market, "allocation", "pro_rata"),
        prosumer_share=getattr(scenario.market, "prosumer_share", 0.7),
        baseline=scenario.market.baseline, rebound_h=scenario.market.rebound_h,
        dispatch_seed=seeds["dispatch"],
        event_kinds=tuple(scenario.output.event_kinds) or None,
        hvac=hvac, outdoor_c=outdoor, precool_h=scenario.market.precool_h,
        water_heaters=water_heaters, draw_l=draw_l)


class _NoLoad:
    """Replayed charging sessions carry no household load."""

    def __init__(self, n):
        self.n = n

    def block(self, start_index, n_steps):
        return np.zeros((n_steps, self.n), dtype=np.float32)


class _LoadByIds:
    """Per-home CSV profiles matched to prosumers by id (file ``<prosumer_id>.csv``)."""

    def __init__(self, profiles_, prosumer_ids, source):
        index = {h: j for j, h in enumerate(profiles_.home_ids)}
        missing = [str(p) for p in prosumer_ids if str(p) not in index]
        if missing:
            raise ScenarioError(f"{source}: profiles.load.csv_dir: expected a <prosumer_id>.csv "
                                f"for every prosumer, missing {missing[:5]}"
                                + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
        self._profiles = profiles_
        self._columns = np.array([index[str(p)] for p in prosumer_ids], dtype=np.int64)

    def block(self, start_index, n_steps):
        return self._profiles.block(start_index, n_steps)[:, self._columns]


def _schedule_spread(scenario, fleet: FleetTable) -> np.ndarray:
    """1 for EVs whose clock times vary day to day (generated fleets and fleet files),
    0 for the explicit EVs of ``[[fleet.prosumers]]`` unless ``fleet.schedule_spread``."""
    explicit = {p.id for p in scenario.fleet.prosumers}
    if scenario.fleet.schedule_spread or not explicit:
        return np.ones(fleet.n_evs)
    owner = np.asarray(fleet.prosumer_id, dtype=object)[fleet.ev_prosumer_index]
    return np.where(np.isin(owner.astype(str), list(explicit)), 0.0, 1.0)


class _Src:
    def __init__(self, path):
        self.path = path


def simulate(scenario, progress=None, counterfactual: bool | None = None, parser=None,
             fleet: FleetTable | None = None) -> RunOutput:
    """Run a scenario; with dispatch events, also run its no-dispatch counterfactual.

    The counterfactual is the same scenario, seed and fleet with the dispatch
    events removed; the difference in fleet net import during each event is
    what the fleet delivered. It doubles the run time, so it runs only when
    there are events (or when `counterfactual` says so).
    """
    resolved: dict = {}
    inputs = build_inputs(scenario, fleet=fleet, parser=parser, resolved=resolved)
    if counterfactual is None:
        counterfactual = len(inputs.events) > 0
    cf = None
    if counterfactual:
        # the counterfactual first: the run is settled against its meter
        cf_inputs = build_inputs(scenario, fleet=inputs.fleet, parser=parser)
        cf_inputs.dispatch_enabled = False
        cf_engine = Engine(cf_inputs)
        cf = cf_engine.run()
        inputs.baseline_net_kwh = cf_engine.net_snapshots
    result = run_inputs(inputs, progress)
    if cf is not None:
        _delivered_series(result, cf, inputs)
    return RunOutput(result, cf, inputs, inputs.fleet,
                     {k: _config_dict(v) for k, v in resolved.items()})


def _delivered_series(result, cf, inputs) -> None:
    """``delivered_kw`` of the run's series: the counterfactual's net import minus the
    run's (signed by the event's direction), in the intervals each event overlaps.
    The same meaning as the summary's delivery."""
    s, c = result.series, cf.series
    t = s["t_h"].to_numpy()
    dt = inputs.interval_h
    diff = (c["import_kw"] - c["export_kw"] - s["import_kw"] + s["export_kw"]).to_numpy()
    out = np.zeros(len(t))
    ev_ = inputs.events
    for j in range(len(ev_)):
        inside = (t + dt > ev_.start_h[j] + TIME_TOL_H) & (t < ev_.end_h[j] - TIME_TOL_H)
        out[inside] = -ev_.direction[j] * diff[inside]
    s["delivered_kw"] = out


def _config_dict(config):
    to_dict = getattr(config, "to_json_dict", None) or getattr(config, "to_dict", None)
    return to_dict() if to_dict is not None else config
