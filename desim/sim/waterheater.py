"""Electric storage water heaters: 1R1C tanks, exact and event-driven.

The tank is one thermal node (docs/thermal.md, "Water heaters"):

    C dT/dt = UA (T_amb - T) - k (T - T_in) + s cop P

with ``C = WATER_KWH_PER_L_C x volume_l``, `UA` the standby loss (kW/C), `k` the
interval's draw as heat flow per C (litres per hour times ``WATER_KWH_PER_L_C``),
`P` the element's electric power and `cop` 1 (resistance) or about 3 (heat pump).
Over a profile interval `k` is constant, so the tank is the home node of
`desim.assets.physics.thermal` heating towards ``env + s cop P R`` with the
environment and resistance of `mixed_environment_c` / `mixed_resistance_c_per_kw`;
the AC kernel `desim.sim.thermal.advance_units` moves it, with the thermostat
rule of a heater: on at ``setpoint - deadband / 2``, off at ``setpoint + deadband
/ 2``. Switches are logged as ``water_heater_on`` / ``water_heater_off`` with the
tank temperature; electric energy goes to the home's meter (`water_heater_kwh`).
Water heaters take no part in dispatch.
"""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
from attrs import define, field

from desim.assets.physics import thermal as th
from desim.sim.thermal import _f64, _i64, advance_units, record_switches

__all__ = ["WATER_HEATER_KINDS", "WaterHeaterTable", "WaterHeaterFleet", "WATER_HEATER_STATS",
           "interval_environment"]

#: Kinds: a resistance element (cop 1) or a heat-pump water heater.
WATER_HEATER_KINDS = ("resistance", "heat_pump")
#: Per-unit figures (`WaterHeaterFleet.unit_totals`).
WATER_HEATER_STATS = ("switches", "min_temperature_c", "max_temperature_c")

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@define(eq=False)
class WaterHeaterTable:
    """Water heaters, one row each (arrays of one length).

    ``prosumer_index`` (home), ``kind`` (index into `WATER_HEATER_KINDS`),
    ``capacitance_kwh_per_c`` (C), ``ua_kw_per_c`` (standby loss UA, > 0),
    ``element_kw`` (electric), ``cop``, ``setpoint_c``, ``deadband_c`` (> 0),
    ``initial_temperature_c``, ``inlet_c`` (cold-water inlet), ``ambient_c``
    (around the tank).
    """

    prosumer_index: np.ndarray = field(converter=_i64)
    kind: np.ndarray = field(converter=_i64)
    capacitance_kwh_per_c: np.ndarray = field(converter=_f64)
    ua_kw_per_c: np.ndarray = field(converter=_f64)
    element_kw: np.ndarray = field(converter=_f64)
    cop: np.ndarray = field(converter=_f64)
    setpoint_c: np.ndarray = field(converter=_f64)
    deadband_c: np.ndarray = field(converter=_f64)
    initial_temperature_c: np.ndarray = field(converter=_f64)
    inlet_c: np.ndarray = field(converter=_f64)
    ambient_c: np.ndarray = field(converter=_f64)

    @property
    def n(self) -> int:
        return len(self.prosumer_index)

    @classmethod
    def empty(cls) -> WaterHeaterTable:
        return cls(*([np.zeros(0)] * 11))


@_jit
def interval_environment(ambient_c, ua, inlet_c, draw_kw_per_c, k, capacitance, env_c, r, tau,
                         decay_h):
    """Each tank's environment (C), resistance (C/kW) and time constant (h) over
    interval `k`, whose draws are column `k` of `draw_kw_per_c` (kW/C, one row per
    unit), into `env_c`, `r`, `tau`; the cached decay goes stale (`decay_h` NaN)."""
    for i in range(env_c.size):
        draw = draw_kw_per_c[i, k]
        env_c[i] = th.mixed_environment_c(ambient_c[i], ua[i], inlet_c[i], draw)
        r[i] = th.mixed_resistance_c_per_kw(ua[i], draw)
        tau[i] = r[i] * capacitance[i]
        decay_h[i] = np.nan


class WaterHeaterFleet:
    """Every water heater's tank temperature and element state, and their switches.

    Parameters
    ----------
    table : WaterHeaterTable
        The units.
    n_homes : int
        Homes in the fleet (the meter's length).
    draw_l : numpy.ndarray
        ``(n_units, >= n_steps)`` litres drawn per profile interval.
    interval_h : float
        The profile interval, hours.
    log : desim.sim.log.EventLog
        Where switches are recorded (asset type ``water_heater``).
    """

    def __init__(self, table: WaterHeaterTable, n_homes: int, draw_l, interval_h: float, log):
        self.table = table
        self.n = table.n
        draw_l = np.asarray(draw_l, dtype=float).reshape(self.n, -1) if self.n else np.zeros((0, 1))
        self.draw_kw_per_c = np.ascontiguousarray(draw_l / interval_h * th.WATER_KWH_PER_L_C)
        self.log = log
        self.t_h = 0.0
        self.temperature_c = table.initial_temperature_c.copy()
        self.on = np.zeros(self.n)
        self.mode = np.full(self.n, th.HEAT)
        self.home = table.prosumer_index
        self.env_c = np.zeros(self.n)
        self.r_c_per_kw = np.ones(self.n)
        self.tau_h = np.ones(self.n)
        self.interval_kwh = np.zeros(n_homes)       # electric energy this interval, per home
        self.energy_kwh = np.zeros(self.n)           # electric energy over the run, per unit
        self._home_on_kw = np.zeros(n_homes)         # the pass's per-home power (unused)
        # the kernel's figures (desim.sim.thermal.STATS_COLUMNS); comfort columns unused
        self.stats = np.zeros((self.n, 5))
        self.stats[:, 2] = self.stats[:, 3] = self.temperature_c
        self._decay = np.zeros(self.n)
        self._decay_h = np.full(self.n, np.nan)
        self._interval = -1
        cap = max(64, 4 * self.n)
        self._buf = (np.zeros(cap, dtype=np.int64), np.zeros(cap), np.zeros(cap), np.zeros(cap))

    def home_power_kw(self, n_homes: int) -> np.ndarray:
        """Electric power of each home's water heater now, kW."""
        return np.bincount(self.home, self.on * self.table.element_kw, minlength=n_homes)

    def _set_interval(self, k: int) -> None:
        tb = self.table
        interval_environment(tb.ambient_c, tb.ua_kw_per_c, tb.inlet_c, self.draw_kw_per_c, k,
                             tb.capacitance_kwh_per_c, self.env_c, self.r_c_per_kw, self.tau_h,
                             self._decay_h)
        self._interval = k

    def advance(self, t1: float, k: int) -> None:
        """Bring every tank to `t1` through interval `k` (the draw's column)."""
        if not self.n or t1 < self.t_h:
            return
        if k != self._interval:
            self._set_interval(k)
        elif t1 == self.t_h:
            return          # no time passes and nothing changed
        tb = self.table
        unit, t, on, temp = self._buf
        start = 0
        while start < self.n:
            start, n_ev = advance_units(
                start, self.t_h, t1, self.env_c, self.temperature_c, self.on, self.mode,
                self.tau_h, self.r_c_per_kw, tb.cop, tb.element_kw, tb.setpoint_c,
                tb.deadband_c, self.home, self.interval_kwh, self.energy_kwh, self.stats,
                self._decay, self._decay_h, unit, t, on, temp, tb.setpoint_c, tb.setpoint_c,
                self._home_on_kw)
            self._record(unit[:n_ev], t[:n_ev], on[:n_ev], temp[:n_ev])
            if start < self.n and n_ev == 0:
                self.grow_switch_buffers()
                unit, t, on, temp = self._buf
        self.t_h = t1

    # -- a walk of quiet intervals (`desim.sim.walk`) -------------------------------------
    def walk_arrays(self) -> tuple:
        """What a walk takes: the arrays `advance_units` takes (in its order, from the
        environment to the per-home power), then what `interval_environment` reads
        besides them (ambient, standby loss, inlet, draws per interval, capacitance)."""
        tb = self.table
        unit, t, on, temp = self._buf
        return (self.env_c, self.temperature_c, self.on, self.mode, self.tau_h,
                self.r_c_per_kw, tb.cop, tb.element_kw, tb.setpoint_c, tb.deadband_c, self.home,
                self.interval_kwh, self.energy_kwh, self.stats, self._decay, self._decay_h,
                unit, t, on, temp, self._home_on_kw, tb.ambient_c, tb.ua_kw_per_c, tb.inlet_c,
                self.draw_kw_per_c, tb.capacitance_kwh_per_c)

    def grow_switch_buffers(self) -> None:
        """Twice the room for one pass's switches (a unit had more than they hold)."""
        self._buf = tuple(np.zeros(2 * len(b), dtype=b.dtype) for b in self._buf)

    def walked(self, t_h: float, k: int) -> None:
        """A walk brought the tanks to `t_h` through interval `k` (its environment set)."""
        self.t_h = t_h
        self._interval = k

    def _record(self, unit, t, on, temp) -> None:
        record_switches(self.log, ("water_heater_on", "water_heater_off"), "water_heater",
                        self.home, self.table.element_kw, unit, t, on, temp)

    def unit_totals(self, prosumer_id) -> pd.DataFrame:
        """One row per unit: ``prosumer_id``, ``kind``, ``energy_kwh`` (electric, kWh),
        ``switches``, ``min_temperature_c`` and ``max_temperature_c`` (tank, C)."""
        ids = np.asarray(prosumer_id, dtype=object)[self.home]
        return pd.DataFrame({
            "prosumer_id": ids,
            "kind": np.asarray(WATER_HEATER_KINDS, dtype=object)[self.table.kind],
            "energy_kwh": self.energy_kwh,
            "switches": self.stats[:, 0].astype(np.int64),
            "min_temperature_c": self.stats[:, 2],
            "max_temperature_c": self.stats[:, 3]})

    def take_interval_kwh(self) -> np.ndarray:
        """The interval's electric energy per home (kWh), reset for the next one."""
        out = self.interval_kwh.copy()
        self.interval_kwh[:] = 0.0
        return out
