"""`ElectricVehicle`: an EV battery with a departure target and a daily deadline.

SOC, the departure target and the V2G floor are fractions inside; the seed API
takes percentages. The deadline is a clock time "HH:MM"; a deadline at or
before the current clock time is on the next day (22:00 to 07:00 is 9 h).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import repeat

from attrs import define, field

from desim.assets import _checks as chk
from desim.assets import _fast
from desim.assets.bess import _INF, hold_args
from desim.assets.physics import scalar as phys
from desim.errors import ParameterError
from desim.units import fraction_to_percent, hours_until, parse_hhmm, percent_to_fraction

__all__ = ["ElectricVehicle"]

_DEADLINE_FIELD = "ElectricVehicle.charge_deadline"


@lru_cache(maxsize=4096)
def _deadline_h(text: str) -> float:
    return parse_hhmm(text, _DEADLINE_FIELD)


@define
class ElectricVehicle:
    """An electric vehicle as a charging load (and, if enabled, a V2G source).

    Parameters
    ----------
    battery_capacity_kwh : float
        Usable battery energy, kWh (> 0).
    max_charge_power_kw : float
        Onboard AC charger limit, kW (> 0).
    current_soc_percent : float
        SOC now, percent (0-100).
    min_departure_soc_percent : float
        SOC the driver needs at the deadline, percent (0-100).
    charge_deadline : str
        Departure clock time, zero-padded 24 h "HH:MM".
    charge_efficiency : float
        One-way charger efficiency in (0, 1]: charging at p kW stores
        ``p * charge_efficiency`` kW. Also applied on V2G discharge.
    v2g_max_discharge_kw : float
        V2G discharge limit, kW (>= 0; 0 disables V2G).
    v2g_min_soc_percent : float
        SOC below which V2G never discharges, percent (0-100).
    ev_id : str or None
        Identifier.
    kwh_per_mile : float or None
        Energy use per mile driven, kWh/mile (> 0), if known.
    product : VehicleProduct or None
        The catalog entry the figures came from, if any.

    Attributes
    ----------
    soc, min_departure_soc, v2g_min_soc : float
        Fractions of `battery_capacity_kwh`.
    """

    battery_capacity_kwh: float
    max_charge_power_kw: float
    soc: float = field(default=50.0, alias="current_soc_percent")
    min_departure_soc: float = field(default=80.0, alias="min_departure_soc_percent")
    charge_deadline: str = "07:00"
    charge_efficiency: float = 1.0
    v2g_max_discharge_kw: float = 0.0
    v2g_min_soc: float = field(default=20.0, alias="v2g_min_soc_percent")
    ev_id: str | None = None
    kwh_per_mile: float | None = None
    product: object = field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        problems: list[str] = []
        chk.positive(problems, "ElectricVehicle.battery_capacity_kwh", self.battery_capacity_kwh)
        chk.positive(problems, "ElectricVehicle.max_charge_power_kw", self.max_charge_power_kw)
        chk.in_range(problems, "ElectricVehicle.current_soc_percent", self.soc, 0.0, 100.0)
        chk.in_range(problems, "ElectricVehicle.min_departure_soc_percent",
                     self.min_departure_soc, 0.0, 100.0)
        chk.in_range(problems, "ElectricVehicle.v2g_min_soc_percent", self.v2g_min_soc,
                     0.0, 100.0)
        chk.in_range(problems, "ElectricVehicle.charge_efficiency", self.charge_efficiency,
                     0.0, 1.0, lo_open=True)
        chk.non_negative(problems, "ElectricVehicle.v2g_max_discharge_kw",
                         self.v2g_max_discharge_kw)
        if self.kwh_per_mile is not None:
            chk.positive(problems, "ElectricVehicle.kwh_per_mile", self.kwh_per_mile)
        try:
            parse_hhmm(self.charge_deadline, "ElectricVehicle.charge_deadline")
        except ParameterError as exc:
            problems.append(str(exc))
        chk.raise_if_any(problems)
        # floats throughout: the compiled physics is specialised on argument types
        self.battery_capacity_kwh = float(self.battery_capacity_kwh)
        self.max_charge_power_kw = float(self.max_charge_power_kw)
        self.charge_efficiency = float(self.charge_efficiency)
        self.v2g_max_discharge_kw = float(self.v2g_max_discharge_kw)
        self.soc = percent_to_fraction(self.soc)
        self.min_departure_soc = percent_to_fraction(self.min_departure_soc)
        self.v2g_min_soc = percent_to_fraction(self.v2g_min_soc)

    @classmethod
    def _unchecked_many(cls, battery_capacity_kwh: list, max_charge_power_kw: list, soc: list,
                        min_departure_soc: list, charge_deadline: list,
                        charge_efficiency: list, v2g_max_discharge_kw: list,
                        v2g_min_soc: list, ev_id: list, kwh_per_mile: list,
                        product: list) -> list[ElectricVehicle]:
        """EVs from equal-length lists of values already validated (floats; SOCs as
        fractions; deadlines "HH:MM"), one per position, unchecked.

        For `desim.fleet` (see `BESS._unchecked_many`); each EV equals the checked
        constructor's for the same values.
        """
        out = list(map(object.__new__, repeat(cls, len(battery_capacity_kwh))))
        for self, c, pc, s, dep, dl, eff, v2g, vmin, ev_id_, kpm, prod in zip(
                out, battery_capacity_kwh, max_charge_power_kw, soc, min_departure_soc,
                charge_deadline, charge_efficiency, v2g_max_discharge_kw, v2g_min_soc, ev_id,
                kwh_per_mile, product, strict=True):
            self.battery_capacity_kwh = c
            self.max_charge_power_kw = pc
            self.soc = s
            self.min_departure_soc = dep
            self.charge_deadline = dl
            self.charge_efficiency = eff
            self.v2g_max_discharge_kw = v2g
            self.v2g_min_soc = vmin
            self.ev_id = ev_id_
            self.kwh_per_mile = kpm
            self.product = prod
        return out

    @classmethod
    def from_catalog(cls, name: str, **overrides) -> ElectricVehicle:
        """An EV with the catalog's figures for `name`; keyword arguments override.

        Raises
        ------
        CatalogError
            If the name is unknown or ambiguous.
        ParameterError
            If the catalog lacks the capacity or charger power and no override gives it.
        """
        from desim.catalog import lookup_vehicle

        product = lookup_vehicle(name)
        args = {"battery_capacity_kwh": product.battery_capacity_kwh,
                "max_charge_power_kw": product.max_charge_power_kw,
                "kwh_per_mile": product.kwh_per_mile, "product": product}
        args.update(overrides)
        missing = [f"ElectricVehicle.from_catalog({name!r}).{key}: expected a number > 0, "
                   f"got None (not in the catalog for {product.name!r}; pass {key}=...)"
                   for key in ("battery_capacity_kwh", "max_charge_power_kw")
                   if args[key] is None]
        chk.raise_if_any(missing)
        return cls(**args)

    # ------------------------------------------------------------ edges (percent, clock)
    @property
    def current_soc_percent(self) -> float:
        return fraction_to_percent(self.soc)

    @property
    def min_departure_soc_percent(self) -> float:
        return fraction_to_percent(self.min_departure_soc)

    @property
    def v2g_min_soc_percent(self) -> float:
        return fraction_to_percent(self.v2g_min_soc)

    @property
    def deadline_hour_of_day(self) -> float:
        """The deadline as hours after midnight."""
        try:
            return _deadline_h(self.charge_deadline)
        except TypeError:                      # unhashable: not a time string
            return parse_hhmm(self.charge_deadline, _DEADLINE_FIELD)

    @property
    def stored_energy_kwh(self) -> float:
        return self.soc * self.battery_capacity_kwh

    @property
    def v2g_enabled(self) -> bool:
        return self.v2g_max_discharge_kw > 0.0

    # ------------------------------------------------------------ requirements
    def get_charging_requirement_kwh(self) -> float:
        """Energy still to be stored to reach the departure SOC, kWh (>= 0;
        `physics.scalar.energy_needed_kwh`).

        Grid energy is this divided by `charge_efficiency`.
        """
        return _fast.energy_needed_kwh(self.soc, self.min_departure_soc,
                                       self.battery_capacity_kwh)

    def hours_until_deadline(self, now_hour_of_day: float) -> float:
        """Hours from a clock time (hours after midnight) to the next deadline, in (0, 24]."""
        return hours_until(now_hour_of_day, self.deadline_hour_of_day)

    def laxity_h(self, now_hour_of_day: float) -> float:
        """How long charging can still wait and meet the departure SOC at full power, h
        (`physics.scalar.laxity_h`).

        Negative when the target can no longer be met by the deadline.
        """
        return phys.laxity_h(float(self.hours_until_deadline(now_hour_of_day)), self.soc,
                             self.min_departure_soc, self.battery_capacity_kwh,
                             self.max_charge_power_kw, self.charge_efficiency)

    # ------------------------------------------------------------ state changes
    def charge(self, power_kw: float, duration_hours: float) -> float:
        """Charge at up to `power_kw` (clipped to the charger) until full (100 %).

        `power_kw` in kW (>= 0), `duration_hours` in h (>= 0); the SOC follows
        `physics.scalar.hold_power` (no self-discharge).

        Returns
        -------
        float
            Energy stored, kWh (grid energy times `charge_efficiency`).
        """
        # hot path (about 1 us a call): plain finite non-negative floats pass on two
        # type tests and four comparisons, then one compiled call
        if not (type(power_kw) is float and type(duration_hours) is float
                and 0.0 <= power_kw < _INF and 0.0 <= duration_hours < _INF):
            power_kw, duration_hours = hold_args("ElectricVehicle.charge", power_kw,
                                                 duration_hours)
        limit, eff, start = self.max_charge_power_kw, self.charge_efficiency, self.soc
        soc_end, grid_kwh, _ = _fast.hold_power(
            start, power_kw if power_kw < limit else limit, duration_hours,
            self.battery_capacity_kwh, 0.0, 1.0, eff, eff, 0.0)
        self.soc = soc_end if (soc_end <= 1.0 or start > 1.0) else 1.0
        return grid_kwh * eff

    def discharge(self, power_kw: float, duration_hours: float) -> float:
        """V2G: deliver up to `power_kw` (clipped to `v2g_max_discharge_kw`) above the V2G floor.

        `power_kw` in kW (>= 0, a magnitude), `duration_hours` in h (>= 0).

        Returns
        -------
        float
            Energy delivered at the terminal, kWh; 0 when V2G is disabled.
        """
        power_kw, duration_hours = hold_args("ElectricVehicle.discharge", power_kw,
                                             duration_hours)
        limit, eff, start, floor = (self.v2g_max_discharge_kw, self.charge_efficiency,
                                    self.soc, self.v2g_min_soc)
        soc_end, grid_kwh, _ = _fast.hold_power(
            start, -(power_kw if power_kw < limit else limit), duration_hours,
            self.battery_capacity_kwh, floor, 1.0, eff, eff, 0.0)
        self.soc = floor if (start >= floor and soc_end < floor) else soc_end
        return -grid_kwh

    def get_available_charge_capacity_kw(self, duration_hours: float = 1.0) -> float:
        """Largest constant charge power (kW) sustainable for `duration_hours` below full
        (`physics.scalar.max_charge_power_kw`)."""
        return phys.max_charge_power_kw(self.soc, self.battery_capacity_kwh,
                                        self.max_charge_power_kw, float(duration_hours), 1.0,
                                        self.charge_efficiency)

    def get_available_discharge_capacity_kw(self, duration_hours: float = 1.0,
                                            floor_soc: float | None = None) -> float:
        """Largest constant V2G power (kW) for `duration_hours` above the V2G floor
        (`physics.scalar.max_discharge_power_kw`).

        `floor_soc` (fraction) raises the floor, e.g. to the departure target.
        """
        floor = self.v2g_min_soc if floor_soc is None else max(self.v2g_min_soc, floor_soc)
        return phys.max_discharge_power_kw(self.soc, self.battery_capacity_kwh,
                                           self.v2g_max_discharge_kw, float(duration_hours),
                                           float(floor), self.charge_efficiency)
