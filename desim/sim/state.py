"""Fleet state during a run: struct-of-arrays, one row per asset.

`EvState` and `BessState` hold what *is* (SOC, plugged, deadlines, current
setpoint, the time each row was last brought up to date); processes decide
*when* things happen and `desim.assets.physics` decides *how much*.
"""

from __future__ import annotations

import numpy as np
from attrs import define, fields

from desim.assets import physics
from desim.fleet.table import FleetTable

__all__ = ["EvState", "BessState", "state_nbytes"]


@define(eq=False)
class EvState:
    """Per-EV state arrays (length ``n_evs``)."""

    prosumer_index: np.ndarray
    capacity_kwh: np.ndarray
    max_charge_kw: np.ndarray
    charge_efficiency: np.ndarray
    v2g_max_kw: np.ndarray
    v2g_min_soc: np.ndarray
    soc: np.ndarray
    t_last_h: np.ndarray            # time up to which soc (and the energy totals) are current
    plugged: np.ndarray
    arrival_h: np.ndarray           # next arrival (away) or the current session's arrival
    departure_h: np.ndarray         # departure of the current (or next) session
    target_soc: np.ndarray          # SOC the driver needs at departure
    next_arrival_soc: np.ndarray    # SOC on arrival of the next session (away EVs)
    plugin_cause: np.ndarray        # desim.sim.guard.FEASIBLE / INFEASIBLE / CONGESTION
    reservation_kw: np.ndarray      # guard reservation under a site limit (0: none)
    reservation_v2g_kw: np.ndarray  # the part of it kept to recharge V2G
    power_kw: np.ndarray            # current power (>0 charging, <0 V2G)
    setpoint_kw: np.ndarray         # policy setpoint (power while plugged and below target)
    charged_kwh: np.ndarray         # terminal energy charged so far (kWh, >= 0)
    discharged_kwh: np.ndarray      # terminal energy discharged so far (V2G, kWh, >= 0)

    @classmethod
    def from_table(cls, fleet: FleetTable) -> EvState:
        n = fleet.n_evs
        z = np.zeros(n)
        return cls(
            prosumer_index=fleet.ev_prosumer_index.astype(np.int64),
            capacity_kwh=fleet.ev_capacity_kwh.copy(), max_charge_kw=fleet.ev_max_charge_kw.copy(),
            charge_efficiency=fleet.ev_charge_efficiency.copy(),
            v2g_max_kw=fleet.ev_v2g_max_kw.copy(), v2g_min_soc=fleet.ev_v2g_min_soc.copy(),
            soc=fleet.ev_soc.copy(), t_last_h=z.copy(), plugged=np.zeros(n, dtype=bool),
            arrival_h=z.copy(), departure_h=z.copy(), target_soc=fleet.ev_departure_soc.copy(),
            next_arrival_soc=fleet.ev_soc.copy(), plugin_cause=np.zeros(n, dtype=np.int8),
            reservation_kw=z.copy(), reservation_v2g_kw=z.copy(),
            power_kw=z.copy(), setpoint_kw=z.copy(),
            charged_kwh=z.copy(), discharged_kwh=z.copy(),
        )

    @property
    def n(self) -> int:
        return len(self.soc)

    def with_soc(self, soc) -> EvState:
        """The same arrays (not copies) but `soc`: the fleet as a policy sees it with
        another SOC (a dispatch event's shadow SOC)."""
        seen = object.__new__(EvState)
        for name in _EV_FIELDS:
            setattr(seen, name, getattr(self, name))
        seen.soc = soc
        return seen

    def needed_kwh(self, soc=None):
        """Stored energy each EV still needs to reach its target (kWh, >= 0;
        `physics.energy_needed_kwh`)."""
        soc = self.soc if soc is None else soc
        return physics.energy_needed_kwh(soc, self.target_soc, self.capacity_kwh)

    def needed_kwh_at(self, idx):
        """`needed_kwh` for EVs `idx` only."""
        return physics.energy_needed_kwh(self.soc[idx], self.target_soc[idx],
                                         self.capacity_kwh[idx])

    @property
    def guaranteed(self) -> np.ndarray:
        """EVs whose target was feasible at plug-in (the guard protects these)."""
        return self.plugin_cause == 0

    def laxity_h(self, now_h):
        """Time left minus time needed at full power (h); `physics.laxity_h`."""
        return physics.laxity_h(self.departure_h - now_h, self.soc, self.target_soc,
                                self.capacity_kwh, self.max_charge_kw, self.charge_efficiency)


_EV_FIELDS = tuple(a.name for a in fields(EvState))


@define(eq=False)
class BessState:
    """Per-battery state arrays (length ``n_bess``)."""

    prosumer_index: np.ndarray
    capacity_kwh: np.ndarray
    max_charge_kw: np.ndarray
    max_discharge_kw: np.ndarray
    charge_efficiency: np.ndarray
    discharge_efficiency: np.ndarray
    min_soc: np.ndarray
    max_soc: np.ndarray
    self_discharge_per_h: np.ndarray
    soc: np.ndarray
    power_kw: np.ndarray
    energy_step_kwh: np.ndarray

    @classmethod
    def from_table(cls, fleet: FleetTable) -> BessState:
        n = fleet.n_bess
        return cls(
            prosumer_index=fleet.bess_prosumer_index.astype(np.int64),
            capacity_kwh=fleet.bess_capacity_kwh.copy(),
            max_charge_kw=fleet.bess_max_charge_kw.copy(),
            max_discharge_kw=fleet.bess_max_discharge_kw.copy(),
            charge_efficiency=fleet.bess_charge_efficiency.copy(),
            discharge_efficiency=fleet.bess_discharge_efficiency.copy(),
            min_soc=fleet.bess_min_soc.copy(), max_soc=fleet.bess_max_soc.copy(),
            self_discharge_per_h=fleet.bess_self_discharge_per_h.copy(),
            soc=fleet.bess_soc.copy(), power_kw=np.zeros(n),
            energy_step_kwh=np.zeros(n),
        )

    @property
    def n(self) -> int:
        return len(self.soc)


def state_nbytes(*states) -> int:
    """Bytes held by the numpy arrays of the given state objects."""
    total = 0
    for s in states:
        for name in type(s).__attrs_attrs__:
            value = getattr(s, name.name)
            if isinstance(value, np.ndarray):
                total += value.nbytes
    return total
