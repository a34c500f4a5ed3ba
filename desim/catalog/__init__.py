"""desim.catalog: real home batteries and EVs with sourced datasheet figures."""

from desim.catalog.lookup import (
    BatteryProduct,
    VehicleProduct,
    battery_products,
    lookup_battery,
    lookup_vehicle,
    vehicle_products,
)

__all__ = [
    "BatteryProduct",
    "VehicleProduct",
    "lookup_battery",
    "lookup_vehicle",
    "battery_products",
    "vehicle_products",
]
