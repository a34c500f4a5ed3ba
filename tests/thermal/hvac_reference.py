"""Exact event-driven reference for a thermostat-controlled AC or heat pump in a 1R1C home.

Self-contained (standard library only, pure Python floats); it imports nothing from
desim, so it can check the engine from outside.

Model
-----
Indoor temperature ``T`` (C), time ``t`` in hours::

    C dT/dt = (T_out - T) / R - s * cop * P      cooling ("ac", mode "cool")
    C dT/dt = (T_out - T) / R + s * cop * P      heating ("heat_pump", mode "heat")

``R`` thermal resistance (C/kW), ``C`` thermal capacitance (kWh/C), ``P`` rated electric
power (kW), ``cop`` coefficient of performance, ``s`` in {0, 1} the compressor state.
The electric energy used is ``P`` times the time the compressor is on.

``T_out`` is piecewise constant: each row ``(start_h, temperature_c)`` of the outdoor
series holds for the data interval that starts at ``start_h``. Within a stretch of
constant ``T_out`` and constant ``s``::

    T(t) = T_eq + (T0 - T_eq) exp(-(t - t0) / (R C)),   T_eq = T_out -/+ s cop P R

Thermostat, with ``lower = setpoint - deadband/2`` and ``upper = setpoint + deadband/2``:

- cooling: the compressor turns ON when T rises to ``upper`` and OFF when T falls to
  ``lower``;
- heating: the compressor turns ON when T falls to ``lower`` and OFF when T rises to
  ``upper``.

A switch is an exact state event at ``t = t0 + R C ln((T0 - T_eq) / (T_edge - T_eq))``; it
happens only when ``T_eq`` lies strictly beyond the edge (an ON cooler whose ``T_eq`` is at
or above ``lower`` never reaches it and stays on; an OFF cooler under an outdoor temperature
at or below ``upper`` never turns on).

Decisions on the edge cases
---------------------------
1. **Start state.** At ``start_h`` the compressor is OFF unless the initial temperature is
   at or beyond its ON edge: cooling starts ON when ``T0 >= upper``, heating when
   ``T0 <= lower``. A compressor that starts ON is reported as an ``hvac_on`` event at
   ``start_h`` carrying ``T0`` (``HvacRun.initial_event`` is True and the row is first in
   ``events``); ``HvacRun.switch_events()`` leaves that row out. A run that
   starts OFF has no row at ``start_h``, even when ``T0`` sits at the OFF edge.
2. **Switch exactly at a stretch boundary.** The boundary is inclusive for the stretch
   that ends there: a crossing time ``t_s <= stretch end`` is a switch at ``t_s`` (logged
   once, at the boundary); the next stretch starts in the new state.
3. **Temperature at (or beyond) an edge at a stretch start.** At the start of every
   stretch, a compressor whose temperature is at or beyond the edge that would switch it
   (cooling: ON with ``T <= lower`` or OFF with ``T >= upper``; heating mirrored) switches
   at once, logged at the stretch start with the temperature it has there. With exact
   arithmetic this happens only at ``start_h`` (rule 1) or when a crossing falls exactly
   on the boundary (rule 2 already switched it); in floating point it catches a crossing
   that round-off pushed a hair past the boundary.
4. **Temperature on a switch row.** A switch inside the run is reported with the edge
   temperature exactly (that is the exact value of T at the state event); the start-state
   row and a rule-3 switch carry the temperature T has at that instant.
5. **End of the run.** Switches at ``t <= end_h`` are reported (rule 2 applied to the last
   stretch).
6. The deadband must be > 0, so a switch never re-triggers at the same instant.
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
import tomllib
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "HvacParams",
    "HvacRun",
    "Segment",
    "expected_from_scenario",
    "hvac_events",
    "read_scenario_case",
    "stretches_from_outdoor",
]

KIND_TO_MODE = {"ac": "cool", "heat_pump": "heat"}


@dataclass(frozen=True)
class HvacParams:
    """Parameters of one home's HVAC, named as the scenario file's ``hvac`` table keys."""

    thermal_resistance_c_per_kw: float
    thermal_capacitance_kwh_per_c: float
    rated_power_kw: float
    cop: float
    setpoint_c: float
    deadband_c: float
    initial_temperature_c: float
    mode: str = "cool"

    @classmethod
    def from_mapping(cls, table: Mapping, mode: str | None = None) -> HvacParams:
        """Build from a mapping with the scenario keys; ``mode`` wins over ``mode``/``kind``."""
        if mode is None:
            mode = table.get("mode") or KIND_TO_MODE[table.get("kind", "ac")]
        return cls(
            thermal_resistance_c_per_kw=float(table["thermal_resistance_c_per_kw"]),
            thermal_capacitance_kwh_per_c=float(table["thermal_capacitance_kwh_per_c"]),
            rated_power_kw=float(table["rated_power_kw"]),
            cop=float(table["cop"]),
            setpoint_c=float(table["setpoint_c"]),
            deadband_c=float(table["deadband_c"]),
            initial_temperature_c=float(table["initial_temperature_c"]),
            mode=mode,
        )

    def __post_init__(self):
        if self.mode not in ("cool", "heat"):
            raise ValueError(f"mode must be 'cool' or 'heat', got {self.mode!r}")
        for name in ("thermal_resistance_c_per_kw", "thermal_capacitance_kwh_per_c",
                     "rated_power_kw", "cop", "deadband_c"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be finite and > 0, got {value!r}")

    @property
    def lower_c(self) -> float:
        return self.setpoint_c - self.deadband_c / 2

    @property
    def upper_c(self) -> float:
        return self.setpoint_c + self.deadband_c / 2

    @property
    def tau_h(self) -> float:
        """Time constant R C in hours."""
        return self.thermal_resistance_c_per_kw * self.thermal_capacitance_kwh_per_c

    @property
    def sign(self) -> float:
        """-1 for cooling (heat removed), +1 for heating (heat added)."""
        return -1.0 if self.mode == "cool" else 1.0

    def t_eq(self, t_out: float, on: bool) -> float:
        """Equilibrium temperature for outdoor ``t_out`` and compressor state ``on``."""
        if not on:
            return t_out
        return t_out + self.sign * self.cop * self.rated_power_kw * self.thermal_resistance_c_per_kw

    def switching_edge(self, on: bool) -> float:
        """The temperature at which the compressor in state ``on`` switches."""
        if self.mode == "cool":
            return self.lower_c if on else self.upper_c
        return self.upper_c if on else self.lower_c

    def at_or_beyond_edge(self, temperature: float, on: bool) -> bool:
        """True when a compressor in state ``on`` at ``temperature`` must switch now."""
        edge = self.switching_edge(on)
        # Cooling ON and heating OFF switch on the way down; the others on the way up.
        falling = (self.mode == "cool") == on
        return temperature <= edge if falling else temperature >= edge

    def starts_on(self) -> bool:
        """Start state: ON only when the initial temperature is at or beyond the ON edge."""
        return self.at_or_beyond_edge(self.initial_temperature_c, on=False)


class Segment(NamedTuple):
    """A piece of the trajectory with constant outdoor temperature and compressor state."""

    t0_h: float
    t1_h: float
    outdoor_c: float
    on: bool
    t_start_c: float
    t_end_c: float


class HvacRun(NamedTuple):
    """Result of :func:`hvac_events`."""

    events: list[tuple[float, str, float]]
    """``(t_h, 'hvac_on' | 'hvac_off', indoor_temperature_c)`` in time order."""
    end_temperature_c: float
    energy_kwh: float
    """Electric energy used, ``P`` times the hours on."""
    initial_event: bool
    """True when the compressor started ON (the start-state ``hvac_on`` at ``start_h``)."""
    on_at_end: bool
    segments: list[Segment]

    def switch_events(self) -> list[tuple[float, str, float]]:
        """``events`` without the start-state row (if the compressor started ON)."""
        return self.events[1:] if self.initial_event else list(self.events)


def stretches_from_outdoor(outdoor: Sequence[tuple[float, float]], *, start_h: float,
                           end_h: float, interval_h: float | None = None
                           ) -> list[tuple[float, float, float]]:
    """Cut ``[start_h, end_h]`` into ``(t0, t1, outdoor_c)`` stretches of constant T_out.

    ``outdoor`` rows are ``(start_h, temperature_c)`` at a common interval (``interval_h``,
    or the spacing of the rows when not given); each row holds from its start to the next
    row's start (the last for one interval). The rows must cover the whole run.
    """
    rows = sorted((float(a), float(v)) for a, v in outdoor)
    if not rows:
        raise ValueError("no outdoor temperature rows")
    if not end_h > start_h:
        raise ValueError(f"end_h ({end_h}) must be after start_h ({start_h})")
    if interval_h is None:
        if len(rows) < 2:
            raise ValueError("interval_h is needed with a single outdoor row")
        interval_h = rows[1][0] - rows[0][0]
    for (a, _), (b, _) in pairwise(rows):
        if abs((b - a) - interval_h) > 1e-9:
            raise ValueError(f"outdoor rows at {a} and {b} are not {interval_h} h apart")
    ends = [b for b, _ in rows[1:]] + [rows[-1][0] + interval_h]
    if abs(ends[-1] - end_h) <= 1e-9:   # the last row ends at the end up to round-off
        ends[-1] = end_h
    if rows[0][0] > start_h or ends[-1] < end_h:
        raise ValueError(f"outdoor rows cover [{rows[0][0]}, {ends[-1]}] h, "
                         f"not the run [{start_h}, {end_h}] h")
    out = []
    for (a, value), b in zip(rows, ends, strict=True):
        lo, hi = max(a, start_h), min(b, end_h)
        if hi > lo:
            out.append((lo, hi, value))
    return out


def _crossing_duration(temperature: float, t_eq: float, edge: float, tau_h: float) -> float:
    """Hours from ``temperature`` to ``edge`` on the way to ``t_eq``; inf if never reached.

    The edge is reached only when ``t_eq`` lies strictly beyond it and ``temperature`` is
    not already past it. ``ln((T - T_eq)/(edge - T_eq))`` is evaluated as
    ``log1p((T - edge)/(edge - T_eq))`` for accuracy when T is close to the edge.
    """
    if t_eq < edge:         # falling: reached only from at or above the edge
        if temperature < edge:
            return math.inf
    elif t_eq > edge:       # rising: reached only from at or below the edge
        if temperature > edge:
            return math.inf
    else:                   # t_eq == edge: approached, never reached
        return math.inf
    return tau_h * math.log1p((temperature - edge) / (edge - t_eq))


def hvac_events(params: HvacParams | Mapping, outdoor: Sequence[tuple[float, float]], *,
                end_h: float, start_h: float = 0.0, interval_h: float | None = None,
                mode: str | None = None) -> HvacRun:
    """Exact thermostat switching of one home's HVAC over ``[start_h, end_h]``.

    Parameters
    ----------
    params:
        :class:`HvacParams`, or a mapping with the scenario file's ``hvac`` keys
        (``thermal_resistance_c_per_kw``, ``thermal_capacitance_kwh_per_c``,
        ``rated_power_kw``, ``cop``, ``setpoint_c``, ``deadband_c``,
        ``initial_temperature_c`` and ``kind`` or ``mode``).
    outdoor:
        ``(start_h, temperature_c)`` rows at a common interval; each holds for the interval
        starting at its time. Must cover ``[start_h, end_h]``.
    end_h, start_h:
        The run, in hours (the initial temperature is the temperature at ``start_h``).
    interval_h:
        The outdoor data interval (default: the spacing of the rows).
    mode:
        ``"cool"`` or ``"heat"``; overrides the mode of ``params``.

    Returns
    -------
    HvacRun
        ``events`` (``(t_h, kind, indoor_temperature_c)``), the temperature at ``end_h``,
        the electric energy used (kWh), whether the start state was ON, the state at the
        end and the trajectory's segments. See the module docstring for the edge cases.
    """
    if not isinstance(params, HvacParams):
        params = HvacParams.from_mapping(params, mode)
    elif mode is not None and mode != params.mode:
        params = HvacParams(**{**params.__dict__, "mode": mode})
    tau = params.tau_h
    power = params.rated_power_kw
    stretches = stretches_from_outdoor(outdoor, start_h=start_h, end_h=end_h,
                                       interval_h=interval_h)

    temperature = params.initial_temperature_c
    on = params.starts_on()
    events: list[tuple[float, str, float]] = []
    if on:
        events.append((stretches[0][0], "hvac_on", temperature))
    energy = 0.0
    segments: list[Segment] = []

    for t0, t1, t_out in stretches:
        t = t0
        # Rule 3: at or beyond the switching edge at a stretch start -> switch at once.
        if params.at_or_beyond_edge(temperature, on):
            on = not on
            events.append((t, "hvac_on" if on else "hvac_off", temperature))
        while True:
            t_eq = params.t_eq(t_out, on)
            edge = params.switching_edge(on)
            duration = _crossing_duration(temperature, t_eq, edge, tau)
            t_switch = t + duration
            if t_switch <= t1:          # Rule 2: boundary inclusive
                segments.append(Segment(t, t_switch, t_out, on, temperature, edge))
                if on:
                    energy += power * (t_switch - t)
                on = not on
                t, temperature = t_switch, edge
                events.append((t, "hvac_on" if on else "hvac_off", edge))
                continue
            end_temperature = t_eq + (temperature - t_eq) * math.exp(-(t1 - t) / tau)
            segments.append(Segment(t, t1, t_out, on, temperature, end_temperature))
            if on:
                energy += power * (t1 - t)
            t, temperature = t1, end_temperature
            break

    return HvacRun(events, temperature, energy, params.starts_on(), on, segments)


# --------------------------------------------------------------------------------------
# Scenario files (read with tomllib + csv, not desim)


@dataclass(frozen=True)
class ScenarioCase:
    """What the reference needs from a one-home scenario file with an ``hvac`` table."""

    path: Path
    prosumer_id: str
    params: HvacParams
    outdoor: list[tuple[float, float]]
    interval_h: float
    duration_h: float
    start: _dt.datetime
    time_zone: str


def _parse_local(value, tz: zoneinfo.ZoneInfo) -> _dt.datetime:
    """A local wall time (string, with 'T' or space, or a TOML datetime) as aware UTC.

    A string or datetime with an offset is converted; a naive one is read in ``tz``
    (fold=0; the shipped cases avoid daylight-saving days).
    """
    if isinstance(value, str):
        value = _dt.datetime.fromisoformat(value.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(_dt.UTC)


def read_scenario_case(path: str | Path) -> ScenarioCase:
    """Read a one-home scenario with ``[fleet.prosumers.hvac]`` and an outdoor CSV."""
    path = Path(path)
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    info = raw["scenario"]
    tz = zoneinfo.ZoneInfo(info["time_zone"])
    start = _parse_local(info["start"], tz)
    if "duration_h" in info:
        duration_h = float(info["duration_h"])
    else:
        duration_h = 24.0 * float(info["duration_days"])
    interval_h = int(info.get("interval_min", 15)) / 60.0
    homes = [p for p in raw["fleet"]["prosumers"] if "hvac" in p]
    if len(homes) != 1:
        raise ValueError(f"{path}: expected exactly one prosumer with an hvac table")
    home = homes[0]
    params = HvacParams.from_mapping(home["hvac"])
    source = raw["profiles"]["outdoor_temperature"]
    csv_path = (path.parent / source["csv"]).resolve()
    outdoor = []
    with csv_path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            when = _parse_local(row["timestamp"], tz)
            outdoor.append(((when - start).total_seconds() / 3600.0,
                            float(row["temperature_c"])))
    return ScenarioCase(path, home["id"], params, outdoor, interval_h, duration_h,
                        start, info["time_zone"])


def expected_from_scenario(path: str | Path) -> HvacRun:
    """The reference run of a one-home HVAC scenario file, in hours since its start.

    ``.events`` holds the start-state ``hvac_on`` row when the compressor starts ON;
    ``.switch_events()`` leaves it out.
    """
    case = read_scenario_case(path)
    return hvac_events(case.params, case.outdoor, start_h=0.0, end_h=case.duration_h,
                       interval_h=case.interval_h)
