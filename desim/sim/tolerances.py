"""Named tolerances of the engine, each with its unit and what it decides.

Times are hours since the run's start; these are far below any physical
resolution (1e-9 h is 3.6 microseconds) and far above float rounding of the
quantities compared.
"""

from __future__ import annotations

__all__ = ["MET_TOL_KWH", "LIMIT_TOL_KW", "STOP_TOL_H", "TIME_TOL_H", "MIN_HORIZON_H",
           "MIN_WINDOW_H", "BOUNDARY_TOL", "METER_ZERO_KW", "ADJUST_MIN_KWH", "SETTLE_MIN_KWH"]

#: A need below this (stored kWh) counts as met.
MET_TOL_KWH = 1e-6
#: A total within this of the site limit counts as within it (kW).
LIMIT_TOL_KW = 1e-9
#: A target or V2G-floor stop this close to departure is part of the departure (h).
STOP_TOL_H = 1e-9
#: Two instants this close are the same instant (h): event order checks, the run's end.
TIME_TOL_H = 1e-9
#: The shortest time to the next boundary a policy is told (h); avoids dividing by 0.
MIN_HORIZON_H = 1e-12
#: The shortest remaining event window offers are spread over (h).
MIN_WINDOW_H = 1e-9
#: A time within this fraction of an interval of its boundary is on the boundary.
BOUNDARY_TOL = 1e-9
#: A home's EV meter power below this (kW) is float residue of changes that cancel:
#: it is snapped to exactly 0.
METER_ZERO_KW = 1e-9
#: A like-day adjustment energy below this (kWh) gives no ratio (the ratio is 1).
ADJUST_MIN_KWH = 1e-9
#: A home's delivery below this (kWh) is float residue of meter readings subtracted (a
#: home that did nothing differs from its baseline by 1e-15 kWh or so): it is settled
#: as 0, with no payment, no settlement row and no count as a participant.
SETTLE_MIN_KWH = 1e-9
