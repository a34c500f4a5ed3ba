"""The scenario file schema as frozen attrs classes.

One class per TOML table of a scenario file (see docs/scenario.md). Field
names are the file's keys except `Scenario.info`, which holds the
``[scenario]`` table. Percent fields stay in percent, as in the file; the
fleet-building step converts them to fractions with `desim.units`. Optional
keys have the defaults below; ``None`` means "not given" (TOML has no null),
to be filled later from the catalog (``product``), a parser (``description``)
or the preference profile.

Each field's check is an attrs validator (it runs on construction, and the
loader runs it on every field so that all problems are reported at once); a
field's ``metadata`` holds the file key where it differs from the attribute
name (``key``). Rules that span several fields live in
`desim.scenario._rules`; the converter is `desim.scenario._convert`.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any, NewType
from zoneinfo import ZoneInfo

import attrs
import pandas as pd
from attrs import field, frozen

from desim.scenario._messages import Invalid, Problems

__all__ = [
    "Scenario",
    "ScenarioInfo",
    "Site",
    "FleetSpec",
    "GenerateSpec",
    "ProsumerSpec",
    "PreferencesSpec",
    "BessSpec",
    "SolarSpec",
    "EvSpec",
    "HvacSpec",
    "WaterHeaterSpec",
    "ProfilesSpec",
    "FileSource",
    "MarketSpec",
    "DispatchEventSpec",
    "ControlSpec",
    "SessionsSpec",
    "OutputSpec",
    "RunSpec",
    "EV_POLICIES",
    "BESS_POLICIES",
    "SMART_ORDERS",
    "SOLAR_MODELS",
    "LOAD_MODELS",
    "PRICE_SOURCES",
    "OUTPUT_FORMATS",
    "EVENT_KINDS",
    "HVAC_KINDS",
    "OUTDOOR_MODELS",
    "PREFERENCE_PROFILES",
    "EV_PRIORITIES",
    "EVENT_DIRECTIONS",
    "ALLOCATIONS",
    "ClockTime",
]

# A clock time "HH:MM"; the file may also give a TOML local time such as 07:30:00.
ClockTime = NewType("ClockTime", str)

# Names the file may use. A policy may also be a "package.module:callable" reference.
EV_POLICIES = ("uncontrolled", "smart", "price_responsive")
BESS_POLICIES = ("self_consumption", "follow_dispatch")
SMART_ORDERS = ("edf", "llf")
SOLAR_MODELS = ("clearsky", "clearsky_markov")
LOAD_MODELS = ("california",)
PRICE_SOURCES = ("pge_e_tou_c", "flat_illustrative", "day_ahead")
OUTDOOR_MODELS = ("california_summer", "california_heatwave")   # desim.profiles.outdoor
HVAC_KINDS = ("ac", "heat_pump")                                # desim.sim.thermal
WATER_HEATER_KINDS = ("resistance", "heat_pump")                # desim.sim.waterheater
OUTPUT_FORMATS = ("parquet", "csv", "jsonl")
# The event log's kinds (desim.sim.log.KINDS; kept equal by hand, the layers import downward).
EVENT_KINDS = (
    "ev_target_reached", "ev_v2g_floor", "bess_full", "bess_empty", "hvac_on", "hvac_off",
    "water_heater_on", "water_heater_off",
    "ev_departure", "ev_arrival", "ev_plugged_in", "dispatch_end", "settlement", "price_update",
    "dispatch_start", "offer", "award", "setpoint", "clip", "site_limit_exceeded", "interval",
)
ALLOCATIONS = ("pro_rata", "merit")
BASELINES = ("counterfactual", "caiso_10in10")   # desim.sim.settlement
PREFERENCE_PROFILES = ("conservative", "moderate", "aggressive")
EV_PRIORITIES = ("low", "medium", "high")
EVENT_DIRECTIONS = ("discharge", "absorb")

# Longest run and event (20 years; the engine's arrays and pandas' time range allow far
# more, this keeps every date-time inside 1900-2262) and the date-times a file may use.
MAX_DURATION_H = 175_200.0
MAX_DURATION_DAYS = MAX_DURATION_H / 24.0
FIRST_YEAR, LAST_YEAR = 1900, 2200

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_CALLABLE_REF = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


# --- checks: each returns the "expected ..." text when the value is bad, else None

def _positive(v: float) -> str | None:
    return None if v > 0 else "> 0"


def _nonneg(v: float) -> str | None:
    return None if v >= 0 else ">= 0"


def _duration(hi: float, unit: str):
    def check(v: float) -> str | None:
        return None if 0 < v <= hi else f"> 0 and at most {hi:g} {unit} (20 years)"
    return check


def _between(lo: float, hi: float):
    def check(v: float) -> str | None:
        return None if lo <= v <= hi else (f"{lo} to {hi}" if lo < 0 else f"{lo}-{hi}")
    return check


def _one_of(choices: tuple[str, ...]):
    def check(v: str) -> str | None:
        return None if v in choices else "one of " + ", ".join(f'"{c}"' for c in choices)
    return check


def _policy(choices: tuple[str, ...]):
    def check(v: str) -> str | None:
        if v in choices or _CALLABLE_REF.match(v):
            return None
        return ("one of " + ", ".join(f'"{c}"' for c in choices)
                + ' or a "package.module:callable" reference')
    return check


def source_options(names: tuple[str, ...], kinds: tuple[str, ...]) -> str:
    """What a profile source may be, for messages."""
    return (", ".join(f'"{n}"' for n in names) + " or "
            + " or ".join(f'{{ {k} = "path" }}' for k in kinds))


def _source(names: tuple[str, ...], kinds: tuple[str, ...]):
    def check(v: str | FileSource) -> str | None:
        ok = v in names if isinstance(v, str) else v.kind in kinds
        return None if ok else source_options(names, kinds)
    return check


def hhmm(v: str) -> str | None:
    return None if _HHMM.match(v) else 'a 24 h time "HH:MM" (00:00-23:59)'


def _nonempty(v: str) -> str | None:
    return None if v.strip() else "a non-empty string"


def _divides_hour(v: int) -> str | None:
    return None if 1 <= v <= 60 and 60 % v == 0 else "a divisor of 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)"


def _time_zone(v: str) -> str | None:
    try:
        ZoneInfo(v)
    except (ValueError, KeyError, OSError):
        return 'an IANA time zone name such as "America/Los_Angeles"'
    return None


def _validator(check, each: bool = False):
    """An attrs validator raising `Invalid` with the text `check` returns."""
    def validate(_: Any, attribute: attrs.Attribute, value: Any) -> None:
        if value is None:  # "not given"; a required field cannot be None in a file
            return
        if not each:
            expected = check(value)
            if expected is not None:
                raise Invalid(expected, value)
            return
        problems = [Invalid(expected, item, at=f"[{i}]") for i, item in enumerate(value)
                    if (expected := check(item)) is not None]
        if problems:
            raise problems[0] if len(problems) == 1 else Problems(problems)
    return validate


def _f(default: Any = attrs.NOTHING, *, check=None, key: str | None = None,
       each: bool = False, **meta):
    """A schema field: default, the check run as its validator and the file key."""
    metadata = dict(meta)
    if key is not None:
        metadata["key"] = key
    validator = _validator(check, each) if check is not None else None
    if isinstance(default, type) and attrs.has(default):
        return field(factory=default, validator=validator, metadata=metadata)
    return field(default=default, validator=validator, metadata=metadata)


# --- [scenario], [site]

@frozen
class ScenarioInfo:
    """The ``[scenario]`` table: name, time horizon, seed and data interval.

    ``start`` is a tz-aware `pandas.Timestamp` in ``time_zone``. Exactly one of
    ``duration_h`` and ``duration_days`` is set.
    """

    name: str = _f(check=_nonempty)
    time_zone: str = _f(check=_time_zone)
    start: pd.Timestamp = _f()
    duration_h: float | None = _f(None, check=_duration(MAX_DURATION_H, "h"))
    duration_days: float | None = _f(None, check=_duration(MAX_DURATION_DAYS, "days"))
    seed: int = _f(0, check=_nonneg)
    interval_min: int = _f(15, check=_divides_hour)
    description: str = _f("")


@frozen
class Site:
    """The ``[site]`` table: location of the fleet (degrees north/east, metres)."""

    latitude: float = _f(check=_between(-90, 90))
    longitude: float = _f(check=_between(-180, 180))
    altitude_m: float = _f(0.0, check=_between(-500, 9000))


# --- [fleet]

@frozen
class PreferencesSpec:
    """Participation preferences; ``None`` fields take the profile's typical value."""

    profile: str = _f("moderate", check=_one_of(PREFERENCE_PROFILES))
    participation_willingness: float | None = _f(None, check=_between(0, 1))
    min_compensation_per_kwh: float | None = _f(None, check=_nonneg)
    backup_power_hours: float | None = _f(None, check=_nonneg)
    max_discharge_percent: float | None = _f(None, check=_between(0, 100))
    ev_priority: str | None = _f(None, check=_one_of(EV_PRIORITIES))
    # how far (C) and for how long per event (h) the aggregator may move the home's
    # thermostat; unset: not at all / the whole event (docs/thermal.md)
    comfort_offset_c: float | None = _f(None, check=_between(0, 10))
    comfort_max_h: float | None = _f(None, check=_positive)


@frozen
class BessSpec:
    """A home battery: a catalog ``product`` name or numbers (numbers win).

    ``efficiency`` is one-way, applied on charge and again on discharge.
    """

    product: str | None = _f(None, check=_nonempty)
    capacity_kwh: float | None = _f(None, check=_positive)
    max_power_kw: float | None = _f(None, check=_positive)
    efficiency: float = _f(0.95, check=lambda v: None if 0 < v <= 1 else "0-1 (exclusive of 0)")
    initial_soc_percent: float = _f(50.0, check=_between(0, 100))
    min_soc_percent: float = _f(10.0, check=_between(0, 100))
    max_soc_percent: float = _f(95.0, check=_between(0, 100))


@frozen
class SolarSpec:
    """Rooftop PV: DC capacity and orientation (azimuth 180 = south)."""

    capacity_kw: float = _f(check=_positive)
    tilt_deg: float = _f(20.0, check=_between(0, 90))
    azimuth_deg: float = _f(180.0, check=_between(0, 360))


@frozen
class EvSpec:
    """An electric vehicle: a catalog ``product`` name or numbers (numbers win)."""

    product: str | None = _f(None, check=_nonempty)
    capacity_kwh: float | None = _f(None, check=_positive)
    max_charge_power_kw: float | None = _f(None, check=_positive)
    kwh_per_mile: float | None = _f(None, check=_positive)
    initial_soc_percent: float = _f(40.0, check=_between(0, 100))
    departure_soc_percent: float = _f(80.0, check=_between(0, 100))
    departure: ClockTime = _f(ClockTime("07:00"), check=hhmm)
    arrival: ClockTime = _f(ClockTime("18:00"), check=hhmm)
    daily_miles: float = _f(30.0, check=_nonneg)
    v2g_max_kw: float = _f(0.0, check=_nonneg)


@frozen
class HvacSpec:
    """An air conditioner or heat pump on a 1R1C home (``[fleet.prosumers.hvac]``).

    ``C dT/dt = (T_out - T) / R -/+ s cop P`` (cooling / heating); see docs/thermal.md.
    ``initial_temperature_c`` defaults to the setpoint.
    """

    kind: str = _f(check=_one_of(HVAC_KINDS))
    thermal_resistance_c_per_kw: float = _f(check=_positive)
    thermal_capacitance_kwh_per_c: float = _f(check=_positive)
    rated_power_kw: float = _f(check=_positive)
    cop: float = _f(check=_positive)
    setpoint_c: float = _f(check=_between(5, 40))
    deadband_c: float = _f(1.0, check=lambda v: None if 0 < v <= 10 else "> 0 and at most 10")
    initial_temperature_c: float | None = _f(None, check=_between(-40, 60))


@frozen
class WaterHeaterSpec:
    """An electric storage water heater (``[fleet.prosumers.water_heater]``).

    The tank is a 1R1C node heated by an element (``resistance``, cop 1) or a heat
    pump (``heat_pump``, ``cop`` about 3), losing heat to its ambient and to the
    hot-water draws (``daily_draw_l`` litres a day, replaced by inlet water); see
    docs/thermal.md. ``initial_temperature_c`` defaults to the setpoint, ``cop`` to
    1 (resistance) or 3 (heat pump).
    """

    kind: str = _f("resistance", check=_one_of(WATER_HEATER_KINDS))
    volume_l: float = _f(190.0, check=_positive)
    setpoint_c: float = _f(50.0, check=_between(30, 80))
    deadband_c: float = _f(5.0, check=lambda v: None if 0 < v <= 20 else "> 0 and at most 20")
    element_kw: float = _f(4.5, check=_positive)
    cop: float | None = _f(None, check=_positive)
    standby_loss_kw_per_c: float = _f(0.0025, check=_positive)
    daily_draw_l: float = _f(200.0, check=_nonneg)
    initial_temperature_c: float | None = _f(None, check=_between(0, 100))
    inlet_temperature_c: float = _f(15.0, check=_between(0, 40))
    ambient_temperature_c: float = _f(20.0, check=_between(-20, 50))


@frozen
class ProsumerSpec:
    """One explicit household (``[[fleet.prosumers]]``)."""

    id: str = _f(check=_nonempty)
    annual_load_kwh: float | None = _f(None, check=_positive)
    description: str | None = _f(None, check=_nonempty)
    preferences: PreferencesSpec = _f(PreferencesSpec)
    bess: BessSpec | None = _f(None)
    solar: SolarSpec | None = _f(None)
    evs: tuple[EvSpec, ...] = _f(())
    hvac: HvacSpec | None = _f(None)
    water_heater: WaterHeaterSpec | None = _f(None)


@frozen
class GenerateSpec:
    """``[fleet.generate]``: draw ``n`` homes; ``overrides`` are FleetConfig keys;
    ``hvac`` names the adoption of air conditioners and heat pumps, ``water_heaters``
    that of electric water heaters (none by default; `desim.fleet.thermal`)."""

    n: int = _f(check=_positive)
    adoption: str = _f("california", check=_nonempty)
    overrides: dict[str, Any] = field(factory=dict)
    hvac: str | None = _f(None, check=_one_of(("california",)))   # desim.fleet.thermal
    water_heaters: str | None = _f(None, check=_one_of(("california",)))


@frozen
class FleetSpec:
    """``[fleet]``: a generated fleet, a fleet file, explicit prosumers, or any mix.

    ``file`` is a fleet written by ``desim fleet`` / `desim.fleet.export_fleet`
    (CSV, JSON or Parquet, relative to the scenario file). A scenario without
    any of the three must replay ``[sessions]``.
    """

    generate: GenerateSpec | None = _f(None)
    file: str | None = _f(None, check=_nonempty)
    prosumers: tuple[ProsumerSpec, ...] = _f(())
    parser: str = _f("rules", check=_one_of(("rules", "gemini", "hybrid")))
    schedule_spread: bool = _f(False)   # day-to-day spread of explicit EVs' clock times


# --- [profiles]

@frozen
class FileSource:
    """A profile read from a file: ``{ csv = "path" }`` in the file.

    ``kind`` is the key (``csv``, ``weather_file``, ``csv_dir``); ``path`` is as
    written, relative to the scenario file (see `Scenario.resolve_path`).
    """

    kind: str
    path: str


def _sources(names: tuple[str, ...], kinds: tuple[str, ...]) -> dict[str, Any]:
    return {"check": _source(names, kinds), "names": names, "kinds": kinds}


@frozen
class ProfilesSpec:
    """``[profiles]``: where solar, load and price series come from."""

    solar: str | FileSource = _f("clearsky_markov", **_sources(SOLAR_MODELS,
                                                               ("csv", "weather_file")))
    load: str | FileSource = _f("california", **_sources(LOAD_MODELS, ("csv_dir",)))
    prices: str | FileSource = _f("pge_e_tou_c", **_sources(PRICE_SOURCES, ("csv",)))
    outdoor_temperature: str | FileSource | None = _f(
        None, **_sources(OUTDOOR_MODELS, ("csv", "weather_file")))


# --- [market], [control], [sessions], [output]

@frozen
class DispatchEventSpec:
    """One ``[[market.events]]`` dispatch request ($/MWh, kW, h)."""

    id: str = _f(check=_nonempty)
    start: pd.Timestamp = _f()
    duration_h: float = _f(check=_duration(MAX_DURATION_H, "h"))
    target_kw: float = _f(check=_positive)
    price_per_mwh: float = _f(check=_nonneg)
    direction: str = _f("discharge", check=_one_of(EVENT_DIRECTIONS))

    @property
    def end(self) -> pd.Timestamp:
        """End of the event window (exclusive)."""
        return self.start + pd.Timedelta(hours=self.duration_h)


@frozen
class MarketSpec:
    """``[market]``: how awards are split and paid, and the dispatch events.

    ``allocation``: ``pro_rata`` gives every accepting prosumer the same fraction
    of its offer; ``merit`` fills the target from the cheapest asks up.
    ``prosumer_share`` is the fraction of event revenue paid on to prosumers.
    ``baseline``: what deliveries are paid against (``counterfactual``, the same run
    without the event; or ``caiso_10in10``, a program baseline); ``rebound_h``: the
    hours after each event over which extra import is reported. ``precool_h``: how
    long before a discharge event it is announced, so that the thermal units of the
    homes that accept can pre-cool (docs/thermal.md).
    """

    allocation: str = _f("pro_rata", check=_one_of(ALLOCATIONS))
    prosumer_share: float = _f(0.7, check=_between(0, 1))
    baseline: str = _f("counterfactual", check=_one_of(BASELINES))
    rebound_h: float = _f(3.0, check=_between(0, 48))
    precool_h: float = _f(0.0, check=_between(0, 12))
    events: tuple[DispatchEventSpec, ...] = _f(())


@frozen
class ControlSpec:
    """``[control]``: EV and battery policies and the EV departure guard."""

    ev_policy: str = _f("smart", check=_policy(EV_POLICIES))
    smart_order: str = _f("edf", check=_one_of(SMART_ORDERS))
    bess_policy: str = _f("self_consumption", check=_policy(BESS_POLICIES))
    site_limit_kw: float | None = _f(None, check=_positive)
    departure_guard: bool = _f(True)


@frozen
class SessionsSpec:
    """``[sessions]``: replay recorded EV sessions from exactly one file."""

    csv: str | None = _f(None, check=_nonempty)
    acn_json: str | None = _f(None, check=_nonempty)

    @property
    def path(self) -> str:
        """The file given (relative to the scenario file)."""
        return self.csv if self.csv is not None else str(self.acn_json)

    @property
    def kind(self) -> str:
        """``"csv"`` or ``"acn_json"``."""
        return "csv" if self.csv is not None else "acn_json"


@frozen
class OutputSpec:
    """``[output]``: event-log formats and the event kinds written (empty = all)."""

    formats: tuple[str, ...] = _f(("parquet",), check=_one_of(OUTPUT_FORMATS), each=True)
    event_kinds: tuple[str, ...] = _f((), check=_one_of(EVENT_KINDS), each=True)


@frozen
class RunSpec:
    """``[run]``: how the run is carried out (the command line's options override it).

    ``shards`` splits the fleet into that many shards of contiguous homes, each
    writing its own part of a partitioned log; ``workers`` runs them on a local
    Dask cluster of that many worker processes, ``scheduler`` on an existing
    Dask cluster (docs/performance.md, "Sharded runs").
    """

    shards: int | None = _f(None, check=_positive)
    workers: int | None = _f(None, check=_positive)
    scheduler: str | None = _f(None, check=_nonempty)


# --- the whole file

@frozen
class Scenario:
    """A scenario file. ``info`` holds the ``[scenario]`` table.

    ``source`` (the file name used in messages) and ``base_dir`` (the folder
    relative paths are read from) are not part of the file nor of equality.
    """

    info: ScenarioInfo = _f(key="scenario")
    site: Site | None = _f(None)       # needed only where solar needs a place
    fleet: FleetSpec = _f(FleetSpec)
    profiles: ProfilesSpec = _f(ProfilesSpec)
    market: MarketSpec = _f(MarketSpec)
    control: ControlSpec = _f(ControlSpec)
    sessions: SessionsSpec | None = _f(None)
    output: OutputSpec = _f(OutputSpec)
    run: RunSpec = _f(RunSpec)
    source: str = field(default="<scenario>", eq=False, metadata={"file": False})
    base_dir: Path | None = field(default=None, eq=False, metadata={"file": False})

    @property
    def name(self) -> str:
        """The scenario name."""
        return self.info.name

    @property
    def tz(self) -> ZoneInfo:
        """The scenario time zone."""
        return ZoneInfo(self.info.time_zone)

    @property
    def start(self) -> pd.Timestamp:
        """Start of the run, tz-aware in the scenario time zone."""
        return self.info.start

    @property
    def duration_h(self) -> float:
        """Length of the run in hours."""
        if self.info.duration_h is not None:
            return float(self.info.duration_h)
        return 24.0 * float(self.info.duration_days or 0.0)

    @property
    def end(self) -> pd.Timestamp:
        """End of the run (exclusive), tz-aware."""
        return self.start + pd.Timedelta(hours=self.duration_h)

    def hours_since_start(self, ts: pd.Timestamp | _dt.datetime | str) -> float:
        """Hours from the scenario start to `ts` (sim time, ``env.now``).

        A naive `ts` is local wall time in the scenario time zone.
        """
        stamp = pd.Timestamp(ts)
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(self.tz)
        return (stamp - self.start) / pd.Timedelta(hours=1)

    def times(self) -> pd.DatetimeIndex:
        """Starts of the profile intervals covering the run (``interval_min`` apart)."""
        return pd.date_range(self.start, self.end, freq=f"{self.info.interval_min}min",
                             inclusive="left")

    def resolve_path(self, path: str) -> Path:
        """A path from the file, made absolute against the scenario file's folder."""
        p = Path(path)
        if p.is_absolute() or self.base_dir is None:
            return p
        return self.base_dir / p


for _cls in (ScenarioInfo, Site, PreferencesSpec, BessSpec, SolarSpec, EvSpec, HvacSpec,
             ProsumerSpec,
             GenerateSpec, FleetSpec, FileSource, ProfilesSpec, DispatchEventSpec, MarketSpec,
             ControlSpec, SessionsSpec, OutputSpec, Scenario):
    attrs.resolve_types(_cls)
