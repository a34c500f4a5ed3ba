"""Drive `desim.sim.thermal.ThermalFleet` without the engine, as the engine does.

At every profile interval ``k`` the engine brings the units to the interval's
start with the interval's outdoor temperature (the boundary's own switches),
then to its end. Units are given as mappings with the scenario file's ``hvac``
keys; each gets a home of its own (``home-<i>``, unit ``home-<i>/hvac``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from desim.sim.log import EventLog
from desim.sim.thermal import HVAC_KINDS, HvacTable, ThermalFleet

__all__ = ["table_of", "run_fleet"]

START = pd.Timestamp("2026-07-01")


def table_of(units) -> HvacTable:
    """An `HvacTable` of one unit per home from scenario-style mappings."""
    def col(key):
        return [float(u[key]) for u in units]
    return HvacTable(np.arange(len(units)), [HVAC_KINDS.index(u["kind"]) for u in units],
                     col("thermal_resistance_c_per_kw"), col("thermal_capacitance_kwh_per_c"),
                     col("rated_power_kw"), col("cop"), col("setpoint_c"), col("deadband_c"),
                     col("initial_temperature_c"))


def run_fleet(units, outdoor_c, interval_h, *, on_interval_end=None):
    """Run the units over ``len(outdoor_c)`` intervals; return ``(fleet, log frame)``.

    ``on_interval_end(k, fleet)`` is called after interval ``k`` (for checks on the
    state at every interval end); the log frame has the hvac rows in time order.
    """
    n = len(units)
    ids = np.array([f"home-{i}" for i in range(n)], dtype=object)
    log = EventLog(ids, {"hvac": np.array([f"{h}/hvac" for h in ids], dtype=object)})
    fleet = ThermalFleet(table_of(units), n, np.asarray(outdoor_c, dtype=float), log)
    for k in range(len(outdoor_c)):
        fleet.advance(k * interval_h, k)
        fleet.advance((k + 1) * interval_h, k)
        fleet.interval_kwh[:] = 0.0
        if on_interval_end is not None:
            on_interval_end(k, fleet)
    log.flush(np.inf)
    frame = log.to_pandas(START)
    frame = frame[frame["kind"].astype(str).isin(("hvac_on", "hvac_off"))]
    return fleet, frame.reset_index(drop=True)
