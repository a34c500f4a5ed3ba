"""The thermal fleet: air conditioners and heat pumps on 1R1C homes, exact and event-driven.

Each unit holds its home's indoor temperature and its compressor state. The
outdoor temperature is piecewise constant over the profile interval, so between
two switches the temperature is the closed-form exponential of
`desim.assets.physics.thermal`, and a thermostat switch (``hvac_on`` /
``hvac_off``) is a state event at its exact time, like a battery reaching its
floor. `advance` moves every unit to a time in one compiled pass over the
units, each through all its switches of the stretch in order.

Rules (docs/thermal.md):

- cooling: on when the temperature reaches ``setpoint + deadband / 2``, off at
  ``setpoint - deadband / 2``; heating the other way round;
- at the start a unit is off unless the temperature is at or beyond its on
  edge; a unit that starts on logs ``hvac_on`` at the start;
- a ``heat_pump`` heats in an interval whose outdoor temperature is below its
  setpoint and cools otherwise; when its mode changes while it runs it stops
  at the boundary (``hvac_off``, detail ``mode_change``);
- a switch logged carries the temperature it switched at: the edge it reached,
  or the temperature it had when it switched at once (the start, a mode change).

Electric energy is ``P`` times the time on, per home and interval, and goes to
the home's meter (`hvac_kwh`).
"""

from __future__ import annotations

import numba
import numpy as np
from attrs import define, field

from desim.assets.physics import thermal as th

__all__ = ["HvacTable", "ThermalFleet", "HVAC_KINDS", "advance_units"]

#: Unit kinds: an air conditioner only cools; a heat pump heats or cools.
HVAC_KINDS = ("ac", "heat_pump")

_jit = numba.njit(cache=True, nogil=True)


def _f64(v) -> np.ndarray:
    return np.asarray(v, dtype=np.float64)


def _i64(v) -> np.ndarray:
    return np.asarray(v, dtype=np.int64)


@define(eq=False)
class HvacTable:
    """Thermal units, one row each (arrays of one length).

    ``prosumer_index`` (home), ``kind`` (index into `HVAC_KINDS`),
    ``resistance_c_per_kw`` (R), ``capacitance_kwh_per_c`` (C), ``rated_power_kw``
    (electric), ``cop``, ``setpoint_c``, ``deadband_c`` (> 0),
    ``initial_temperature_c``.
    """

    prosumer_index: np.ndarray = field(converter=_i64)
    kind: np.ndarray = field(converter=_i64)
    resistance_c_per_kw: np.ndarray = field(converter=_f64)
    capacitance_kwh_per_c: np.ndarray = field(converter=_f64)
    rated_power_kw: np.ndarray = field(converter=_f64)
    cop: np.ndarray = field(converter=_f64)
    setpoint_c: np.ndarray = field(converter=_f64)
    deadband_c: np.ndarray = field(converter=_f64)
    initial_temperature_c: np.ndarray = field(converter=_f64)

    @property
    def n(self) -> int:
        return len(self.prosumer_index)

    @classmethod
    def empty(cls) -> HvacTable:
        return cls(*([np.zeros(0)] * 9))

    @classmethod
    def concat(cls, tables: list[HvacTable], home_offsets) -> HvacTable:
        """Stack tables, adding each one's home offset to its prosumer indices."""
        cols = {}
        for name in cls.__attrs_attrs__:
            parts = [getattr(t, name.name) for t in tables]
            if name.name == "prosumer_index":
                parts = [p + off for p, off in zip(parts, home_offsets, strict=True)]
            cols[name.name] = np.concatenate(parts) if parts else np.zeros(0)
        return cls(**cols)


@_jit
def advance_units(start, t0, t1, outdoor_c, temp, on, mode, tau, r, cop, power, setpoint,
                  deadband, home, home_kwh, unit_kwh, ev_unit, ev_t, ev_on, ev_temp):
    """Move units ``start..`` from `t0` to `t1` at outdoor temperature `outdoor_c`.

    Each unit goes through its switches in time order (at the exact closed-form
    times; a switch exactly at `t1` belongs to this stretch); its electric
    energy is added to ``home_kwh[home[i]]`` and ``unit_kwh[i]``. Switches go to the `ev_*` buffers.
    A unit whose switches do not fit in the buffers is left untouched.

    Returns ``(next unit, number of switches)``: the next unit equals the number
    of units unless the buffers filled up (call again from it).
    """
    n_ev = 0
    cap = ev_t.size
    for i in range(start, temp.size):
        t = t0
        T = temp[i]
        s = on[i]
        energy = 0.0
        first = n_ev
        while True:
            edge = th.switch_edge_c(mode[i], s, setpoint[i], deadband[i])
            if th.past_edge(mode[i], s, T, edge):
                dt = 0.0                 # switches at once, at the temperature it has
            else:
                eq = th.equilibrium_temperature_c(outdoor_c, mode[i], s, cop[i], power[i], r[i])
                dt = th.time_to_temperature_h(T, eq, edge, tau[i])
            if t + dt > t1:
                break
            if n_ev >= cap:
                return i, first
            energy += s * power[i] * dt
            t = t + dt
            if dt > 0.0:
                T = edge                 # reached the edge on its way
            s = 1.0 - s
            ev_unit[n_ev] = i
            ev_t[n_ev] = t
            ev_on[n_ev] = s
            ev_temp[n_ev] = T
            n_ev += 1
        eq = th.equilibrium_temperature_c(outdoor_c, mode[i], s, cop[i], power[i], r[i])
        temp[i] = th.temperature_after_c(T, eq, t1 - t, tau[i])
        energy += s * power[i] * (t1 - t)
        on[i] = s
        home_kwh[home[i]] += energy
        unit_kwh[i] += energy
    return temp.size, n_ev


class ThermalFleet:
    """Every thermal unit's temperature and compressor state, and their switches.

    Parameters
    ----------
    table : HvacTable
        The units.
    n_homes : int
        Homes in the fleet (the meter's length).
    outdoor_c : numpy.ndarray
        Outdoor temperature per profile interval, C (length >= the run's steps).
    log : desim.sim.log.EventLog
        Where switches are recorded (asset type ``hvac``).
    """

    def __init__(self, table: HvacTable, n_homes: int, outdoor_c, log):
        self.table = table
        self.n = table.n
        self.outdoor_c = np.asarray(outdoor_c, dtype=float)
        self.log = log
        self.t_h = 0.0
        self.temperature_c = table.initial_temperature_c.copy()
        self.on = np.zeros(self.n)
        self.heat_pump = table.kind == HVAC_KINDS.index("heat_pump")
        self.mode = np.full(self.n, th.COOL)
        self.tau_h = table.resistance_c_per_kw * table.capacitance_kwh_per_c
        self.home = table.prosumer_index
        self.interval_kwh = np.zeros(n_homes)       # electric energy this interval, per home
        self.energy_kwh = np.zeros(self.n)           # electric energy over the run, per unit
        self._interval = -1
        cap = max(64, 4 * self.n)
        self._buf = (np.zeros(cap, dtype=np.int64), np.zeros(cap), np.zeros(cap), np.zeros(cap))

    def home_power_kw(self, n_homes: int) -> np.ndarray:
        """Electric power of each home's units now, kW."""
        return np.bincount(self.home, self.on * self.table.rated_power_kw, minlength=n_homes)

    def _set_interval(self, k: int) -> None:
        """Modes for interval `k`: a heat pump heats below its setpoint, cools otherwise."""
        self._interval = k
        if not self.heat_pump.any():
            return
        outdoor = self.outdoor_c[k]
        mode = np.where(self.heat_pump & (outdoor < self.table.setpoint_c), th.HEAT, th.COOL)
        stop = np.flatnonzero((mode != self.mode) & (self.on > 0))
        if stop.size:
            self.on[stop] = 0.0
            self.log.record("hvac_off", self.t_h, self.home[stop], "hvac", stop,
                            power_kw=0.0, temperature_c=self.temperature_c[stop],
                            detail="mode_change")
        self.mode = mode

    def advance(self, t1: float, k: int) -> None:
        """Bring every unit to `t1` through interval `k` (the outdoor temperature's row)."""
        if not self.n or t1 < self.t_h:
            return
        if k != self._interval:
            self._set_interval(k)
        tb = self.table
        unit, t, on, temp = self._buf
        start = 0
        while start < self.n:
            start, n_ev = advance_units(
                start, self.t_h, t1, float(self.outdoor_c[k]), self.temperature_c, self.on,
                self.mode, self.tau_h, tb.resistance_c_per_kw, tb.cop, tb.rated_power_kw,
                tb.setpoint_c, tb.deadband_c, self.home, self.interval_kwh, self.energy_kwh,
                unit, t, on, temp)
            self._record(unit[:n_ev], t[:n_ev], on[:n_ev], temp[:n_ev])
            if start < self.n and n_ev == 0:
                self._buf = unit, t, on, temp = tuple(np.zeros(2 * len(b), dtype=b.dtype)
                                                      for b in self._buf)
        self.t_h = t1

    def _record(self, unit, t, on, temp) -> None:
        if not unit.size:
            return
        for kind, mask in (("hvac_on", on > 0), ("hvac_off", on == 0)):
            if mask.any():
                u = unit[mask]
                self.log.record(kind, t[mask], self.home[u], "hvac", u,
                                power_kw=np.where(on[mask] > 0, self.table.rated_power_kw[u],
                                                  0.0),
                                temperature_c=temp[mask])

    def take_interval_kwh(self) -> np.ndarray:
        """The interval's electric energy per home (kWh), reset for the next one."""
        out = self.interval_kwh.copy()
        self.interval_kwh[:] = 0.0
        return out
