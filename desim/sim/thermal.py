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

import math

import numba
import numpy as np
import pandas as pd
from attrs import define, field

from desim.assets.physics import thermal as th

__all__ = ["HvacTable", "ThermalFleet", "HVAC_KINDS", "STATS_COLUMNS", "advance_units"]

#: Unit kinds: an air conditioner only cools; a heat pump heats or cools.
HVAC_KINDS = ("ac", "heat_pump")

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")

#: An end temperature this far short of the switching edge (C) means no switch in
#: the stretch; closer, the exact crossing time decides (see `advance_units`).
_EDGE_MARGIN_C = 1e-9

#: Per-unit figures the kernel accumulates (`ThermalFleet.stats`): switches logged,
#: degree-hours beyond the comfort band the home accepts (C h), lowest and highest indoor
#: temperature (C), and degree-hours beyond its own band but within a setback it allowed
#: (C h: the discomfort dispatch caused, within the home's preference).
STATS_COLUMNS = ("switches", "degree_hours_beyond_c_h", "min_temperature_c",
                 "max_temperature_c", "dispatch_degree_hours_c_h")


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
    ``initial_temperature_c``; the home's comfort preference: ``comfort_offset_c``
    (how far, C >= 0, the aggregator may move the setpoint; 0: never) and
    ``comfort_max_h`` (for how long per event, h; ``inf``: the whole event).
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
    comfort_offset_c: np.ndarray | None = field(default=None)
    comfort_max_h: np.ndarray | None = field(default=None)

    def __attrs_post_init__(self) -> None:
        n = len(self.prosumer_index)
        self.comfort_offset_c = (np.zeros(n) if self.comfort_offset_c is None
                                 else _f64(self.comfort_offset_c))
        self.comfort_max_h = (np.full(n, np.inf) if self.comfort_max_h is None
                              else _f64(self.comfort_max_h))

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
def switches_on_first(unit, t, on, temp) -> int:
    """Reorder the switches so the ones that switch on come first, each group in its
    order (the log records them so); returns how many switch on."""
    n = unit.size
    n_on = 0
    for j in range(n):
        if on[j] > 0:
            n_on += 1
    if 0 < n_on < n:
        u, tt, o, tp = unit.copy(), t.copy(), on.copy(), temp.copy()
        lo, hi = 0, n_on
        for j in range(n):
            if o[j] > 0:
                at = lo
                lo += 1
            else:
                at = hi
                hi += 1
            unit[at] = u[j]
            t[at] = tt[j]
            on[at] = o[j]
            temp[at] = tp[j]
    return n_on


def record_switches(log, kinds, asset_type, home, rated_kw, unit, t, on, temp) -> None:
    """Log switches as ``kinds[0]`` rows (on, at `rated_kw`) then ``kinds[1]`` rows (off),
    each in the order given (`unit`, `t`, `on`, `temp` are reordered in place)."""
    if not unit.size:
        return
    n_on = switches_on_first(unit, t, on, temp)
    n = unit.size
    if 0 < n_on < n and log.keeps(kinds[0]) and log.keeps(kinds[1]):
        # one batch of two kinds: on rows at their rated power, then off rows at 0
        log.record(((kinds[0], n_on), (kinds[1], n - n_on)), t, home[unit], asset_type, unit,
                   power_kw=rated_kw[unit] * on, temperature_c=temp)
        return
    if n_on:
        u = unit[:n_on]
        log.record(kinds[0], t[:n_on], home[u], asset_type, u, power_kw=rated_kw[u],
                   temperature_c=temp[:n_on])
    if n_on < unit.size:
        u = unit[n_on:]
        log.record(kinds[1], t[n_on:], home[u], asset_type, u, power_kw=0.0,
                   temperature_c=temp[n_on:])


@_jit
def _quiet_stretch(T, s, mode, edge, end, deadband, comfort_setpoint, normal_setpoint):
    """True when a unit at `T` in state `s`, ending its stretch at `end` if nothing
    happens, holds that state over the whole stretch (`end` short of its switching
    `edge` by more than `_EDGE_MARGIN_C`) and stays within its comfort band, the band
    not moved: all `advance_units` has to do then is move it to `end`."""
    rising = (mode < 0.0) != (s > 0.0)
    if th.past_edge(mode, s, T, edge) or not (
            (edge - end if rising else end - edge) > _EDGE_MARGIN_C):
        return False
    if comfort_setpoint != normal_setpoint:
        return False
    comfort = th.comfort_edge_c(mode, comfort_setpoint, deadband)
    return not (-mode * (T - comfort) > 0.0 or -mode * (end - comfort) > 0.0)


@_jit
def advance_units(start, t0, t1, env_c, temp, on, mode, tau, r, cop, power, setpoint,
                  deadband, home, home_kwh, unit_kwh, stats, decay, decay_h, ev_unit, ev_t,
                  ev_on, ev_temp, comfort_setpoint, normal_setpoint, home_on_kw):
    """Move units ``start..`` from `t0` to `t1`, unit `i` towards environment ``env_c[i]``.

    ``env_c[i]`` (C), ``r[i]`` (C/kW) and ``tau[i]`` (h) hold over the stretch: a
    home's outdoor temperature and envelope, or a water heater's mix of ambient
    and inlet (`desim.sim.waterheater`). A caller that changes ``tau[i]`` sets
    ``decay_h[i]`` to NaN.

    Each unit goes through its switches in time order (at the exact closed-form
    times; a switch exactly at `t1` belongs to this stretch); its electric
    energy is added to ``home_kwh[home[i]]`` and ``unit_kwh[i]``, and its comfort
    figures to ``stats[i]`` (columns `STATS_COLUMNS`: switches, degree-hours
    beyond the comfort edge, lowest and highest temperature; the temperature is
    monotone between switches, so its extremes are at switches and stretch ends).
    Switches go to the `ev_*` buffers. A unit whose switches do not fit in the
    buffers is left untouched. ``decay[i]`` holds ``exp(-decay_h[i] / tau[i])``,
    recomputed when the stretch length ``t1 - t0`` differs from ``decay_h[i]``.

    `setpoint` is the setpoint in force (moved by an event); `comfort_setpoint`
    the one whose band the home accepts now (its own, widened by a setback it
    allows) and `normal_setpoint` its own. Degree-hours beyond the accepted band
    go to ``stats[i, 1]``; those beyond its own band but within the accepted one
    (the discomfort an event caused and the home agreed to) to ``stats[i, 4]``.

    ``home_on_kw`` gets each home's electric power at `t1` (``on x power`` summed in
    unit order, as ``np.bincount(home, on * power)``; zeroed by the call from unit 0).

    Returns ``(next unit, number of switches)``: the next unit equals the number
    of units unless the buffers filled up (call again from it).
    """
    n_ev = 0
    cap = ev_t.size
    length = t1 - t0
    if start == 0:
        home_on_kw[:] = 0.0
    for i in range(start, temp.size):
        if decay_h[i] != length:           # the stretches are mostly one interval long
            decay[i] = math.exp(-length / tau[i])
            decay_h[i] = length
        T = temp[i]
        s = on[i]
        # the state's edge, equilibrium and end of stretch (the loop below renews them
        # after each switch)
        edge = th.switch_edge_c(mode[i], s, setpoint[i], deadband[i])
        eq = th.equilibrium_temperature_c(env_c[i], mode[i], s, cop[i], power[i], r[i])
        end = th.temperature_from_decay_c(T, eq, decay[i])
        if _quiet_stretch(T, s, mode[i], edge, end, deadband[i], comfort_setpoint[i],
                          normal_setpoint[i]):
            # Hot path: no switch and no comfort figures; what the loop below would
            # give, in the same operations
            temp[i] = end
            p = s * power[i]
            energy = p * length
            home_on_kw[home[i]] += p
            home_kwh[home[i]] += energy
            unit_kwh[i] += energy
            stats[i, 2] = min(stats[i, 2], end)
            stats[i, 3] = max(stats[i, 3], end)
            continue
        t = t0
        energy = 0.0
        first = n_ev
        comfort = th.comfort_edge_c(mode[i], comfort_setpoint[i], deadband[i])
        normal = th.comfort_edge_c(mode[i], normal_setpoint[i], deadband[i])
        moved = normal != comfort
        sign = -mode[i]
        beyond = 0.0
        agreed = 0.0
        lo = stats[i, 2]
        hi = stats[i, 3]
        while True:
            if th.past_edge(mode[i], s, T, edge):
                dt = 0.0                 # switches at once, at the temperature it has
            else:
                # Hot path: most stretches hold no switch. T is monotone, so an end
                # clearly short of the edge settles it without the logarithm; near
                # the edge the exact crossing time decides.
                rising = (mode[i] < 0.0) != (s > 0.0)
                if (edge - end if rising else end - edge) > _EDGE_MARGIN_C:
                    break
                dt = th.time_to_temperature_h(T, eq, edge, tau[i])
            if t + dt > t1:
                break
            if n_ev >= cap:
                return i, first
            energy += s * power[i] * dt
            t = t + dt
            if dt > 0.0:
                if sign * (T - comfort) > 0.0 or sign * (edge - comfort) > 0.0:
                    beyond += th.degree_hours_beyond(T, eq, comfort, dt, tau[i], sign)
                if moved and (sign * (T - normal) > 0.0 or sign * (edge - normal) > 0.0):
                    agreed += th.degree_hours_beyond(T, eq, normal, dt, tau[i], sign)
                T = edge                 # reached the edge on its way
                lo = min(lo, T)
                hi = max(hi, T)
            s = 1.0 - s
            ev_unit[n_ev] = i
            ev_t[n_ev] = t
            ev_on[n_ev] = s
            ev_temp[n_ev] = T
            n_ev += 1
            edge = th.switch_edge_c(mode[i], s, setpoint[i], deadband[i])
            eq = th.equilibrium_temperature_c(env_c[i], mode[i], s, cop[i], power[i], r[i])
            if t == t0:
                end = th.temperature_from_decay_c(T, eq, decay[i])
            else:
                end = th.temperature_after_c(T, eq, t1 - t, tau[i])
        # the rest of the stretch, at the state it broke with (`eq`, `end` are its)
        if sign * (T - comfort) > 0.0 or sign * (end - comfort) > 0.0:
            beyond += th.degree_hours_beyond(T, eq, comfort, t1 - t, tau[i], sign)
        if moved and (sign * (T - normal) > 0.0 or sign * (end - normal) > 0.0):
            agreed += th.degree_hours_beyond(T, eq, normal, t1 - t, tau[i], sign)
        T = end
        temp[i] = T
        energy += s * power[i] * (t1 - t)
        on[i] = s
        home_on_kw[home[i]] += s * power[i]
        home_kwh[home[i]] += energy
        unit_kwh[i] += energy
        stats[i, 0] += n_ev - first
        stats[i, 1] += beyond
        stats[i, 2] = min(lo, T)
        stats[i, 3] = max(hi, T)
        stats[i, 4] += agreed - beyond if moved else 0.0
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
        self._home_on_kw = np.zeros(n_homes)         # each home's units' power now (kernel)
        self.stats = np.zeros((self.n, len(STATS_COLUMNS)))   # see STATS_COLUMNS
        self._decay = np.zeros(self.n)                 # exp(-length / tau) per unit
        self._decay_h = np.full(self.n, np.nan)        # the length it is for, hours
        self._outdoor = np.zeros(self.n)               # the interval's outdoor temperature
        self._outdoor_k = -1                           # the interval it holds
        self._any_heat_pump = bool(self.heat_pump.any())
        self.stats[:, 2] = self.stats[:, 3] = self.temperature_c
        self._interval = -1
        self._started = False
        # setpoint moves by dispatch events (`move_setpoints`): offset in force (C) and
        # the time it ends (h; inf: at the event's end)
        self.offset_c = np.zeros(self.n)
        self.offset_until_h = np.full(self.n, np.inf)
        self._first_end_h = np.inf          # the earliest of offset_until_h
        self.offset_cause = np.full(self.n, -1, dtype=np.int64)
        # after a setback ends, the band the home accepted holds until the temperature
        # is back within its own band (the recovery is the event's doing)
        self._recover_c = np.zeros(self.n)
        self._moved = False                 # any offset_c or _recover_c not 0
        cap = max(64, 4 * self.n)
        self._buf = (np.zeros(cap, dtype=np.int64), np.zeros(cap), np.zeros(cap), np.zeros(cap))

    def home_power_kw(self, n_homes: int) -> np.ndarray:
        """Electric power of each home's units now, kW (kept by the thermostat pass, which
        is the only place units switch once the run has started; not to be changed)."""
        if not self._started:
            return np.bincount(self.home, self.on * self.table.rated_power_kw,
                               minlength=n_homes)
        return self._home_on_kw

    def _set_interval(self, k: int) -> bool:
        """Modes for interval `k`: a heat pump heats below its setpoint, cools otherwise.

        Returns whether any unit's mode changed."""
        self._interval = k
        if not self._any_heat_pump:
            return False
        outdoor = self.outdoor_c[k]
        mode = np.where(self.heat_pump & (outdoor < self.table.setpoint_c), th.HEAT, th.COOL)
        stop = np.flatnonzero((mode != self.mode) & (self.on > 0))
        if stop.size:
            self.on[stop] = 0.0
            self.stats[stop, 0] += 1
            self.log.record("hvac_off", self.t_h, self.home[stop], "hvac", stop,
                            power_kw=0.0, temperature_c=self.temperature_c[stop],
                            detail="mode_change")
        changed = bool((mode != self.mode).any())
        self.mode = mode
        return changed

    def move_setpoints(self, units, offset_c, until_h, t: float, cause_id: int,
                       detail: str) -> None:
        """Move the setpoints of `units` by `offset_c` (C) from `t` until `until_h` (h).

        Logs a ``setpoint`` row per unit (``temperature_c``: the setpoint now in force).
        """
        units = np.asarray(units, dtype=np.int64)
        if not units.size:
            return
        self.offset_c[units] = offset_c
        self._moved = True
        self.offset_until_h[units] = until_h
        self._first_end_h = float(self.offset_until_h.min())
        self.offset_cause[units] = cause_id
        self.log.record("setpoint", t, self.home[units], "hvac", units,
                        temperature_c=self.table.setpoint_c[units] + self.offset_c[units],
                        cause_id=cause_id, detail=detail)

    def restore_setpoints(self, units, t: float, kind: str, detail: str) -> None:
        """Give `units` their own setpoints back at `t`, logging a `kind` row each."""
        units = np.asarray(units, dtype=np.int64)
        units = units[self.offset_c[units] != 0.0]
        if not units.size:
            return
        tb = self.table
        normal = tb.setpoint_c[units] - self.mode[units] * 0.5 * tb.deadband_c[units]
        outside = -self.mode[units] * (self.temperature_c[units] - normal) > 0.0
        widened = self.offset_c[units] * -self.mode[units] > 0.0
        self._recover_c[units] = np.where(outside & widened, self.offset_c[units], 0.0)
        self.offset_c[units] = 0.0
        self._moved = bool(self._recover_c.any() or self.offset_c.any())
        self.offset_until_h[units] = np.inf
        self._first_end_h = float(self.offset_until_h.min())
        self.log.record(kind, t, self.home[units], "hvac", units,
                        temperature_c=self.table.setpoint_c[units],
                        cause_id=self.offset_cause[units], detail=detail)
        self.offset_cause[units] = -1

    def advance(self, t1: float, k: int) -> None:
        """Bring every unit to `t1` through interval `k` (the outdoor temperature's row).

        A setpoint move that ends before `t1` (the comfort guard: the home's
        ``comfort_max_h``) ends at its exact time: the units are advanced to it,
        the move is undone and a ``clip`` row names the setpoint it clipped.
        """
        if not self.n or t1 < self.t_h:
            return
        while self._first_end_h <= t1:
            ends = self.offset_until_h[(self.offset_until_h > self.t_h)
                                       & (self.offset_until_h <= t1)]
            if not ends.size:
                break
            t_end = float(ends.min())
            self._advance(t_end, k)
            done = np.flatnonzero(self.offset_until_h == t_end)
            self.restore_setpoints(done, t_end, "clip", "comfort_guard: duration")
        self._advance(t1, k)

    def _advance(self, t1: float, k: int) -> None:
        if t1 < self.t_h:
            return
        changed = self._set_interval(k) if k != self._interval else False
        if t1 == self.t_h and self._started and not changed:
            # no time passes and no edge moved: every unit is short of its edge
            # (a switch at the end of a stretch was taken in it; one left on the edge
            # by round-off switches at the start of the next stretch, at this time)
            return
        self._started = True
        tb = self.table
        unit, t, on, temp = self._buf
        setpoint, comfort = tb.setpoint_c, tb.setpoint_c
        recovering = self._moved and bool(self._recover_c.any())
        if self._moved and (recovering or self.offset_c.any()):
            setpoint = tb.setpoint_c + self.offset_c
            # the band the home accepts widens with a setback (not with pre-cooling),
            # and stays so while the temperature comes back after one
            moved = self.offset_c + self._recover_c
            comfort = tb.setpoint_c + np.where(self.mode < 0, np.maximum(moved, 0.0),
                                               np.minimum(moved, 0.0))
        if k != self._outdoor_k:
            self._outdoor[:] = self.outdoor_c[k]
            self._outdoor_k = k
        start = 0
        while start < self.n:
            start, n_ev = advance_units(
                start, self.t_h, t1, self._outdoor, self.temperature_c, self.on,
                self.mode, self.tau_h, tb.resistance_c_per_kw, tb.cop, tb.rated_power_kw,
                setpoint, tb.deadband_c, self.home, self.interval_kwh, self.energy_kwh,
                self.stats, self._decay, self._decay_h, unit, t, on, temp, comfort,
                tb.setpoint_c, self._home_on_kw)
            self._record(unit[:n_ev], t[:n_ev], on[:n_ev], temp[:n_ev])
            if start < self.n and n_ev == 0:
                self._buf = unit, t, on, temp = tuple(np.zeros(2 * len(b), dtype=b.dtype)
                                                      for b in self._buf)
        if recovering:
            normal = tb.setpoint_c - self.mode * 0.5 * tb.deadband_c
            back = -self.mode * (self.temperature_c - normal) <= 0.0
            self._recover_c[back] = 0.0
            self._moved = bool(self._recover_c.any() or self.offset_c.any())
        self.t_h = t1

    # -- a walk of quiet intervals (`desim.sim.walk`) -------------------------------------
    def walkable(self) -> bool:
        """Whether a walk may take the units' intervals: no setpoint moved or coming back
        from a move, and the pass has run once (`home_power_kw` is the pass's). Heat
        pumps' modes change at boundaries in the walk as here (`_set_interval`)."""
        return self.n == 0 or (not self._moved and self._started
                               and not math.isfinite(self._first_end_h))

    def walk_arrays(self) -> tuple:
        """The arrays `advance_units` takes with setpoints not moved, in the walk's order,
        then the outdoor temperature per interval, the per-unit one in force and which
        units are heat pumps."""
        tb = self.table
        unit, t, on, temp = self._buf
        return (self.temperature_c, self.on, self.mode, self.tau_h, tb.resistance_c_per_kw,
                tb.cop, tb.rated_power_kw, tb.setpoint_c, tb.deadband_c, self.home,
                self.interval_kwh, self.energy_kwh, self.stats, self._decay, self._decay_h,
                unit, t, on, temp, self._home_on_kw, self.outdoor_c, self._outdoor,
                self.heat_pump)

    def grow_switch_buffers(self) -> None:
        """Twice the room for one pass's switches (a unit had more than they hold)."""
        self._buf = tuple(np.zeros(2 * len(b), dtype=b.dtype) for b in self._buf)

    def walked(self, t_h: float, k: int) -> None:
        """A walk brought the units to `t_h` through interval `k`."""
        self.t_h = t_h
        self._interval = k
        self._outdoor_k = k

    def _record(self, unit, t, on, temp) -> None:
        record_switches(self.log, ("hvac_on", "hvac_off"), "hvac", self.home,
                        self.table.rated_power_kw, unit, t, on, temp)

    def unit_totals(self, prosumer_id) -> pd.DataFrame:
        """One row per unit: its home, kind, electric energy and comfort figures.

        Parameters
        ----------
        prosumer_id : array-like
            The fleet's prosumer ids (indexed by the units' homes).

        Returns
        -------
        pandas.DataFrame
            ``prosumer_id``, ``kind``, ``energy_kwh`` (electric, kWh, over the run
            so far) and the `STATS_COLUMNS`: ``switches``,
            ``degree_hours_beyond_c_h`` (C h), ``min_temperature_c`` and
            ``max_temperature_c`` (C).
        """
        ids = np.asarray(prosumer_id, dtype=object)[self.home]
        out = pd.DataFrame({"prosumer_id": ids,
                            "kind": np.asarray(HVAC_KINDS, dtype=object)[self.table.kind],
                            "energy_kwh": self.energy_kwh})
        for j, name in enumerate(STATS_COLUMNS):
            out[name] = self.stats[:, j]
        out["switches"] = out["switches"].astype(np.int64)
        return out

    def take_interval_kwh(self) -> np.ndarray:
        """The interval's electric energy per home (kWh), reset for the next one."""
        out = self.interval_kwh.copy()
        self.interval_kwh[:] = 0.0
        return out
