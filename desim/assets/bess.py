"""`BESS`: a home battery with exact SOC bookkeeping over constant-power holds.

The seed API takes percentages; inside, SOC and its limits are fractions
(``soc``, ``min_soc``, ``max_soc``) converted once at construction. Every
state change calls the compiled closed form `desim.assets.physics.scalar.hold_power`
directly (through its float64 entry point, `desim.assets._fast`: about a
microsecond a call), the same function the fleet kernels call row by row, so
one battery and a fleet agree bit for bit. The SOC is the closed form's, as in
the engine: nothing clamps it afterwards.
"""

from __future__ import annotations

import math
from itertools import repeat

from attrs import define, field

from desim.assets import _checks as chk
from desim.assets import _fast
from desim.assets.physics import scalar as phys
from desim.errors import ParameterError
from desim.units import fraction_to_percent, percent_to_fraction

__all__ = ["BESS"]


def check_hold(where: str, power_kw, duration_hours) -> None:
    """A power magnitude and a duration passed to charge/discharge must be >= 0."""
    problems: list[str] = []
    chk.non_negative(problems, f"{where}.power_kw", power_kw)
    chk.non_negative(problems, f"{where}.duration_hours", duration_hours)
    chk.raise_if_any(problems)


_INF = math.inf


def hold_args(where: str, power_kw, duration_hours) -> tuple[float, float]:
    """`power_kw` and `duration_hours` as floats after `check_hold`.

    Hot path (the seed API's per-call cost): plain finite non-negative floats
    pass on two type tests and two comparisons; ints and numpy scalars
    (`_checks.PLAIN_NUMBERS`) on a set lookup each, a conversion and the same
    comparisons (``charge(5, 1)`` costs a few tenths of a microsecond more than
    ``charge(5.0, 1.0)``, not two microseconds more); anything else (bools, NaN, negative
    values, other types) goes through the full check, which names the value.
    """
    if (type(power_kw) is float and type(duration_hours) is float
            and 0.0 <= power_kw < _INF and 0.0 <= duration_hours < _INF):
        return power_kw, duration_hours
    if type(power_kw) in chk.PLAIN_NUMBERS and type(duration_hours) in chk.PLAIN_NUMBERS:
        try:
            p, d = float(power_kw), float(duration_hours)
        except OverflowError:           # an int beyond float's range: the full check
            pass
        else:
            if 0.0 <= p < _INF and 0.0 <= d < _INF:
                return p, d
    check_hold(where, power_kw, duration_hours)
    return float(power_kw), float(duration_hours)


@define
class BESS:
    """A battery energy storage system (one-way efficiency, SOC floor and ceiling).

    Parameters
    ----------
    capacity_kwh : float
        Usable energy at 100 % SOC, kWh (> 0).
    max_power_kw : float
        Continuous charge power limit at the AC terminal, kW (> 0); also the
        discharge limit unless `max_discharge_power_kw` is given.
    efficiency : float
        One-way efficiency in (0, 1], applied on charge and again on discharge
        (round trip ``efficiency**2``): charging 1 kWh at 0.95 stores 0.95 kWh.
    current_soc_percent : float
        Initial SOC, percent of `capacity_kwh`, within [min, max].
    min_soc_percent, max_soc_percent : float
        Operating floor and ceiling, percent (0 <= min < max <= 100).
    max_discharge_power_kw : float or None
        Continuous discharge limit, kW (> 0); None means `max_power_kw`.
    self_discharge_per_h : float
        Fraction of the stored energy lost per hour (>= 0, < 1).
    product : BatteryProduct or None
        The catalog entry the figures came from, if any.

    Attributes
    ----------
    soc, min_soc, max_soc : float
        SOC and its limits as fractions of `capacity_kwh`.
    """

    capacity_kwh: float
    max_power_kw: float
    efficiency: float = 0.95
    soc: float = field(default=50.0, alias="current_soc_percent")
    min_soc: float = field(default=10.0, alias="min_soc_percent")
    max_soc: float = field(default=95.0, alias="max_soc_percent")
    max_discharge_power_kw: float | None = None
    self_discharge_per_h: float = 0.0
    product: object = field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        problems: list[str] = []
        chk.positive(problems, "BESS.capacity_kwh", self.capacity_kwh)
        chk.positive(problems, "BESS.max_power_kw", self.max_power_kw)
        chk.in_range(problems, "BESS.efficiency", self.efficiency, 0.0, 1.0, lo_open=True)
        if self.max_discharge_power_kw is not None:
            chk.positive(problems, "BESS.max_discharge_power_kw", self.max_discharge_power_kw)
        chk.in_range(problems, "BESS.self_discharge_per_h", self.self_discharge_per_h, 0.0, 1.0)
        check_soc_percents(problems, "BESS", self.soc, self.min_soc, self.max_soc,
                            ("current_soc_percent", "min_soc_percent", "max_soc_percent"))
        chk.raise_if_any(problems)
        # floats throughout: the compiled physics is specialised on argument types
        self.capacity_kwh = float(self.capacity_kwh)
        self.max_power_kw = float(self.max_power_kw)
        self.efficiency = float(self.efficiency)
        if self.max_discharge_power_kw is not None:
            self.max_discharge_power_kw = float(self.max_discharge_power_kw)
        self.self_discharge_per_h = float(self.self_discharge_per_h)
        self.soc = percent_to_fraction(self.soc)
        self.min_soc = percent_to_fraction(self.min_soc)
        self.max_soc = percent_to_fraction(self.max_soc)

    @classmethod
    def _unchecked_many(cls, capacity_kwh: list, max_power_kw: list, efficiency: list,
                        soc: list, min_soc: list, max_soc: list, max_discharge_power_kw: list,
                        self_discharge_per_h: list, product: list) -> list[BESS]:
        """Batteries from equal-length lists of values already validated (floats; SOCs as
        fractions), one per position, unchecked.

        For `desim.fleet`, whose table was validated column by column when it was
        drawn or loaded; each battery equals the checked constructor's for the same
        values. Hot path (a fleet of objects): slots set directly, no call per battery.
        """
        out = list(map(object.__new__, repeat(cls, len(capacity_kwh))))
        for self, c, pc, eff, s, lo, hi, pd_, k, prod in zip(
                out, capacity_kwh, max_power_kw, efficiency, soc, min_soc, max_soc,
                max_discharge_power_kw, self_discharge_per_h, product, strict=True):
            self.capacity_kwh = c
            self.max_power_kw = pc
            self.efficiency = eff
            self.soc = s
            self.min_soc = lo
            self.max_soc = hi
            self.max_discharge_power_kw = pd_
            self.self_discharge_per_h = k
            self.product = prod
        return out

    @classmethod
    def from_catalog(cls, name: str, **overrides) -> BESS:
        """A battery with the catalog's figures for `name`; keyword arguments override.

        Raises
        ------
        CatalogError
            If the name is unknown.
        ParameterError
            If the catalog has no continuous power for the product and
            `max_power_kw` is not given.
        """
        from desim.catalog import lookup_battery

        product = lookup_battery(name)
        args = {"capacity_kwh": product.capacity_kwh, "max_power_kw": product.max_power_kw,
                "product": product}
        args.update(overrides)
        if args["max_power_kw"] is None:
            raise ParameterError(f"BESS.from_catalog({name!r}).max_power_kw: expected a "
                                 f"number > 0, got None (the catalog has no continuous power "
                                 f"for {product.name!r}; pass max_power_kw=...)")
        return cls(**args)

    # ------------------------------------------------------------ edges (percent)
    @property
    def current_soc_percent(self) -> float:
        """SOC in percent (seed API)."""
        return fraction_to_percent(self.soc)

    @property
    def min_soc_percent(self) -> float:
        return fraction_to_percent(self.min_soc)

    @property
    def max_soc_percent(self) -> float:
        return fraction_to_percent(self.max_soc)

    @property
    def stored_energy_kwh(self) -> float:
        """Energy in storage now, kWh (``soc * capacity_kwh``)."""
        return self.soc * self.capacity_kwh

    @property
    def discharge_limit_kw(self) -> float:
        """Continuous discharge limit at the terminal, kW."""
        return (self.max_power_kw if self.max_discharge_power_kw is None
                else self.max_discharge_power_kw)

    # ------------------------------------------------------------ state changes
    def charge(self, power_kw: float, duration_hours: float) -> float:
        """Charge at up to `power_kw` (kW, >= 0) for `duration_hours` (h, >= 0).

        The power is clipped to `max_power_kw`; charging stops at `max_soc`
        (`physics.scalar.hold_power`), and the SOC is what the closed form
        gives, as in the fleet engine: with self-discharge a battery that
        reaches its ceiling, or rests at or below its floor, keeps leaking.

        Returns
        -------
        float
            Energy stored, kWh: grid energy times `efficiency`.
        """
        # hot path (about 1 us a call): plain finite non-negative floats pass on two
        # type tests and four comparisons, then one compiled call
        if not (type(power_kw) is float and type(duration_hours) is float
                and 0.0 <= power_kw < _INF and 0.0 <= duration_hours < _INF):
            power_kw, duration_hours = hold_args("BESS.charge", power_kw, duration_hours)
        limit, eff = self.max_power_kw, self.efficiency
        soc, energy_kwh, _ = _fast.hold_power(
            self.soc, power_kw if power_kw < limit else limit, duration_hours,
            self.capacity_kwh, self.min_soc, self.max_soc, eff, eff, self.self_discharge_per_h)
        self.soc = soc
        return energy_kwh * eff

    def discharge(self, power_kw: float, duration_hours: float) -> float:
        """Discharge at up to `power_kw` (kW, >= 0, a magnitude) for `duration_hours`.

        The power is clipped to the discharge limit; discharging stops at `min_soc`
        (`physics.scalar.hold_power`; see `charge` for the SOC).

        Returns
        -------
        float
            Energy delivered at the terminal, kWh: stored loss times `efficiency`.
        """
        # hot path: as `charge`
        if not (type(power_kw) is float and type(duration_hours) is float
                and 0.0 <= power_kw < _INF and 0.0 <= duration_hours < _INF):
            power_kw, duration_hours = hold_args("BESS.discharge", power_kw, duration_hours)
        limit = self.max_discharge_power_kw
        if limit is None:
            limit = self.max_power_kw
        eff = self.efficiency
        soc, energy_kwh, _ = _fast.hold_power(
            self.soc, -power_kw if power_kw < limit else -limit, duration_hours,
            self.capacity_kwh, self.min_soc, self.max_soc, eff, eff, self.self_discharge_per_h)
        self.soc = soc
        return -energy_kwh

    # ------------------------------------------------------------ headroom
    def get_available_charge_capacity_kw(self, duration_hours: float = 1.0) -> float:
        """Largest constant charge power (kW) sustainable for `duration_hours` below `max_soc`
        (`physics.scalar.max_charge_power_kw`)."""
        return phys.max_charge_power_kw(self.soc, self.capacity_kwh, self.max_power_kw,
                                        float(duration_hours), self.max_soc, self.efficiency)

    def get_available_discharge_capacity_kw(self, duration_hours: float = 1.0) -> float:
        """Largest constant discharge power (kW) sustainable for `duration_hours` above
        `min_soc` (`physics.scalar.max_discharge_power_kw`)."""
        return phys.max_discharge_power_kw(self.soc, self.capacity_kwh, self.discharge_limit_kw,
                                           float(duration_hours), self.min_soc, self.efficiency)

    def time_to_full_h(self, power_kw: float) -> float:
        """Hours until `max_soc` charging at `power_kw` (clipped); ``inf`` if never."""
        power = min(max(float(power_kw), 0.0), self.max_power_kw)
        return phys.time_to_soc(self.soc, self.max_soc, power, self.capacity_kwh,
                                self.efficiency, self.efficiency, self.self_discharge_per_h)

    def time_to_empty_h(self, power_kw: float) -> float:
        """Hours until `min_soc` discharging at `power_kw` (magnitude, clipped); ``inf`` if never."""
        power = min(max(float(power_kw), 0.0), self.discharge_limit_kw)
        return phys.time_to_soc(self.soc, self.min_soc, -power, self.capacity_kwh,
                                self.efficiency, self.efficiency, self.self_discharge_per_h)


def check_soc_percents(problems: list[str], where: str, soc, lo, hi, names) -> None:
    """SOC percents: each in [0, 100], floor below ceiling, current within both."""
    for value, name in zip((soc, lo, hi), names, strict=True):
        chk.in_range(problems, f"{where}.{name}", value, 0.0, 100.0)
    valid = [chk.is_real(v) and 0 <= v <= 100 for v in (soc, lo, hi)]
    if valid[1] and valid[2] and lo >= hi:
        problems.append(f"{where}.{names[1]}: expected below {names[2]} ({hi:g}), "
                        f"got {lo:g}")
    elif all(valid) and not lo <= soc <= hi:
        problems.append(f"{where}.{names[0]}: expected within [{lo:g}, {hi:g}] "
                        f"({names[1]}..{names[2]}), got {soc:g}")

