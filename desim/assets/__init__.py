"""desim.assets: batteries, EVs, solar and prosumers (the seed API) over shared physics."""

from desim.assets.bess import BESS
from desim.assets.ev import ElectricVehicle
from desim.assets.prosumer import EV_PRIORITY_NAMES, PROFILE_NAMES, MarketEvaluation, Prosumer
from desim.assets.solar import SolarPV

__all__ = ["BESS", "ElectricVehicle", "SolarPV", "Prosumer", "MarketEvaluation",
           "PROFILE_NAMES", "EV_PRIORITY_NAMES"]
