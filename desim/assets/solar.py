"""`SolarPV`: a rooftop PV system rated at standard test conditions (STC)."""

from __future__ import annotations

from itertools import repeat

from attrs import define

from desim.assets import _checks as chk
from desim.assets import _fast, physics
from desim.errors import warn

__all__ = ["SolarPV"]

# Typical DC-to-AC derates: PVWatts' default 14 % system loss gives 0.86
# (Dobos, "PVWatts Version 5 Manual", NREL/TP-6A20-62641, 2014, table 3);
# loss budgets of 4-23 % bracket real systems.
_DERATE_DOUBTFUL_BELOW = 0.5


@define
class SolarPV:
    """A PV system: DC rating, DC-to-AC derate, orientation.

    Parameters
    ----------
    capacity_kw : float
        DC rating at STC (1 kW/m^2, 25 C), kWp (> 0).
    efficiency : float
        DC-to-AC system derate in (0, 1] (wiring, soiling, mismatch, inverter),
        *not* the module's conversion efficiency. 0.86 is PVWatts' default.
    tilt : float
        Panel tilt from horizontal, degrees (0-90).
    azimuth : float
        Panel azimuth, degrees clockwise from north (0-360; 180 faces south).

    Warns
    -----
    DesimWarning
        If `efficiency` is below 0.5, which looks like a module efficiency.
    """

    capacity_kw: float
    efficiency: float = 0.86
    tilt: float = 20.0
    azimuth: float = 180.0

    def __attrs_post_init__(self) -> None:
        problems: list[str] = []
        chk.positive(problems, "SolarPV.capacity_kw", self.capacity_kw)
        chk.in_range(problems, "SolarPV.efficiency", self.efficiency, 0.0, 1.0, lo_open=True)
        chk.in_range(problems, "SolarPV.tilt", self.tilt, 0.0, 90.0)
        chk.in_range(problems, "SolarPV.azimuth", self.azimuth, 0.0, 360.0)
        chk.raise_if_any(problems)
        if self.efficiency < _DERATE_DOUBTFUL_BELOW:
            warn(f"SolarPV.efficiency: {self.efficiency:g} is read as the DC-to-AC system "
                 "derate (typically 0.77-0.96), not the module efficiency; output at "
                 f"1 kW/m^2 will be {self.efficiency:g} x capacity_kw", stacklevel=3)
        # floats throughout: the compiled physics is specialised on argument types
        self.capacity_kw = float(self.capacity_kw)
        self.efficiency = float(self.efficiency)

    @classmethod
    def _unchecked_many(cls, capacity_kw: list, efficiency: list, tilt: list,
                        azimuth: list) -> list[SolarPV]:
        """PV systems from equal-length lists of values already validated (floats), one per
        position, unchecked and without the derate warning; for `desim.fleet` (see
        `BESS._unchecked_many`)."""
        out = list(map(object.__new__, repeat(cls, len(capacity_kw))))
        for self, c, eff, t, az in zip(
                out, capacity_kw, efficiency, tilt, azimuth, strict=True):
            self.capacity_kw = c
            self.efficiency = eff
            self.tilt = t
            self.azimuth = az
        return out

    @property
    def tilt_deg(self) -> float:
        return float(self.tilt)

    @property
    def azimuth_deg(self) -> float:
        return float(self.azimuth)

    def get_generation_kw(self, solar_irradiance_per_kw):
        """AC output, kW, for a plane-of-array irradiance.

        Parameters
        ----------
        solar_irradiance_per_kw : float or array
            Plane-of-array irradiance in kW/m^2, i.e. per kW of STC rating
            (1.0 = STC). Negative values count as 0.

        Returns
        -------
        float or ndarray
            ``capacity_kw * irradiance * efficiency`` (linear model, no
            temperature effect), >= 0.
        """
        if type(solar_irradiance_per_kw) is float:      # hot path: one value, no numpy
            return _fast.pv_power_kw(self.capacity_kw, solar_irradiance_per_kw, self.efficiency)
        if type(solar_irradiance_per_kw) in chk.PLAIN_NUMBERS:    # an int or numpy scalar
            return _fast.pv_power_kw(self.capacity_kw, float(solar_irradiance_per_kw),
                                     self.efficiency)
        return physics.pv_power_kw(self.capacity_kw, solar_irradiance_per_kw, self.efficiency)

    def get_generation_from_normalized_kw(self, kw_per_kw):
        """AC output, kW, from a normalized profile already in AC kW per kWp.

        The profile (e.g. `desim.profiles.solar_kw_per_kwp`) includes the
        system losses, so only the rating scales it; negative values count as 0.
        """
        if type(kw_per_kw) is float:
            return _fast.pv_power_kw(self.capacity_kw, kw_per_kw, 1.0)
        if type(kw_per_kw) in chk.PLAIN_NUMBERS:
            return _fast.pv_power_kw(self.capacity_kw, float(kw_per_kw), 1.0)
        return physics.pv_power_kw(self.capacity_kw, kw_per_kw, 1.0)
