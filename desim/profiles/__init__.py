"""desim.profiles: the time series a run consumes (PV, household load, prices).

Every profile lives on a `pandas.DatetimeIndex` of interval starts (tz-aware,
regular); values are interval means.
"""

from desim.profiles.hotwater import draw_litres
from desim.profiles.load import (
    CALIFORNIA_ANNUAL_KWH_SIGMA,
    CALIFORNIA_MEAN_ANNUAL_KWH,
    CsvLoadProfiles,
    LoadModel,
    default_annual_load_kwh,
)
from desim.profiles.outdoor import (
    OUTDOOR_MODELS,
    california_diurnal_c,
    csv_outdoor_temperature_c,
    outdoor_temperature_c,
)
from desim.profiles.prices import (
    Tariff,
    TariffPeriod,
    TariffSeason,
    csv_price_usd_per_mwh,
    day_ahead_usd_per_mwh,
    list_tariffs,
    load_tariff,
    tariff_price_usd_per_kwh,
)
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
    "OUTDOOR_MODELS",
    "draw_litres",
    "california_diurnal_c",
    "csv_outdoor_temperature_c",
    "outdoor_temperature_c",
    "CALIFORNIA_ANNUAL_KWH_SIGMA",
    "CALIFORNIA_MEAN_ANNUAL_KWH",
    "CsvLoadProfiles",
    "LoadModel",
    "Tariff",
    "TariffPeriod",
    "TariffSeason",
    "csv_price_usd_per_mwh",
    "day_ahead_usd_per_mwh",
    "default_annual_load_kwh",
    "list_tariffs",
    "load_tariff",
    "tariff_price_usd_per_kwh",
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
