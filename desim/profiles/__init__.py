"""desim.profiles: the time series a run consumes (PV, household load, prices).

Every profile lives on a `pandas.DatetimeIndex` of interval starts (tz-aware,
regular); values are interval means.
"""

from desim.profiles.solar import (
    SOLAR_MODELS,
    ambient_temperature_c,
    csv_solar_kw_per_kw,
    orientation_buckets,
    solar_kw_per_kwp,
)
from desim.profiles.timebase import interval_min_of, make_times
from desim.profiles.weather import SKY_STATES, clearsky_index_markov, split_clearsky_index

__all__ = [
    "SKY_STATES",
    "SOLAR_MODELS",
    "ambient_temperature_c",
    "clearsky_index_markov",
    "csv_solar_kw_per_kw",
    "interval_min_of",
    "make_times",
    "orientation_buckets",
    "solar_kw_per_kwp",
    "split_clearsky_index",
]
