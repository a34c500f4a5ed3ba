"""`Prosumer`: a household's assets and its preferences about using them for the grid.

Flexibility is what the home can hold for a whole window: battery discharge
above the reserve it keeps for backup and above the floor its owner allows,
V2G above the departure target, and EV charging it can defer without missing
the departure SOC. `evaluate_market_opportunity` turns that and the owner's
preferences into a decision (`MarketEvaluation`).
"""

from __future__ import annotations

import math

import numpy as np
from attrs import define, field, frozen

from desim.assets import _checks as chk
from desim.assets import physics
from desim.assets.bess import BESS
from desim.assets.ev import ElectricVehicle
from desim.assets.solar import SolarPV
from desim.units import fraction_to_percent, percent_to_fraction, usd_per_mwh_to_usd_per_kwh

__all__ = ["Prosumer", "MarketEvaluation", "PROFILE_NAMES", "EV_PRIORITY_NAMES"]

PROFILE_NAMES = ("conservative", "moderate", "aggressive")
EV_PRIORITY_NAMES = ("low", "medium", "high")
HOURS_PER_YEAR = 8760.0

# Behavioural assumptions of desim (heuristics, not measured):
# how strongly each participation profile scales the willingness,
_PROFILE_FACTOR = {"conservative": 0.8, "moderate": 1.0, "aggressive": 1.2}
# the laxity (h) an EV must keep after deferring its charging over a window,
# by EV priority (inf: the owner never lets the EV be deferred or used for V2G),
_EV_LAXITY_MARGIN_H = {"low": 0.0, "medium": 1.0, "high": math.inf}
# the score at which a prosumer accepts, and the price ratio (price over minimum
# compensation) at which the price no longer holds the score back.
_ACCEPT_SCORE = 0.5
_FULL_PRICE_RATIO = 1.5


@frozen
class MarketEvaluation:
    """A prosumer's answer to a market or dispatch opportunity.

    Attributes
    ----------
    participate : bool
        Whether the prosumer accepts.
    participation_score : float
        0-1: willingness scaled by profile and price attractiveness.
    available_kw : float
        Power it can hold for the whole window, kW (>= 0).
    available_kwh : float
        ``available_kw * duration_h``, kWh.
    expected_revenue_usd : float
        ``available_kwh * price_usd_per_kwh`` if it participates, else 0.
    price_usd_per_kwh, duration_h : float
        The offer evaluated.
    reasons : tuple of str
        Why it declines (empty when it participates).
    """

    participate: bool
    participation_score: float
    available_kw: float
    available_kwh: float
    expected_revenue_usd: float
    price_usd_per_kwh: float
    duration_h: float
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """A plain dict of the fields (reasons as a list)."""
        return {"participate": self.participate,
                "participation_score": self.participation_score,
                "available_kw": self.available_kw, "available_kwh": self.available_kwh,
                "expected_revenue_usd": self.expected_revenue_usd,
                "price_usd_per_kwh": self.price_usd_per_kwh, "duration_h": self.duration_h,
                "reasons": list(self.reasons)}

    def __getitem__(self, key: str):
        """Seed-API dict access: ``response['participation_score']``."""
        data = self.to_dict()
        if key not in data:
            raise KeyError(f"MarketEvaluation has no field {key!r}; fields: "
                           + ", ".join(data))
        return data[key]


@define(init=False)
class Prosumer:
    """A household with any of a battery, EVs and solar, and its preferences.

    Parameters
    ----------
    prosumer_id : str
        Identifier.
    bess : BESS or None
    ev : ElectricVehicle or None
        The first (or only) EV; see `evs`.
    solar : SolarPV or None
    load_profile_id : str or None
        Key of the household's load profile.
    participation_willingness : float
        0-1, how readily the household joins events.
    min_compensation_per_kwh : float
        Lowest price it accepts, $/kWh (>= 0).
    backup_power_hours : float
        Hours of average household load the battery keeps in reserve (>= 0).
    max_discharge_percent : float
        Largest share of battery capacity it lets the aggregator use, percent
        (0-100): the battery is never dispatched below ``100 - max_discharge_percent``.
    ev_priority : {"low", "medium", "high"}
        How much the EV's charging comes before grid services ("high": never deferred).
    profile : {"conservative", "moderate", "aggressive"}
        Participation profile.
    evs : sequence of ElectricVehicle
        All EVs (keyword only); `ev` is ``evs[0]``.
    annual_load_kwh : float
        Annual household consumption, kWh (>= 0).
    average_load_kw : float or None
        Average household load, kW (>= 0); default ``annual_load_kwh / 8760``.
    load_profile : object
        Seed alias (keyword only): a load series in kW (its mean sets
        `average_load_kw`) or a profile id string.
    assets : sequence
        Seed alias (keyword only): BESS, ElectricVehicle and SolarPV objects in any order.
    """

    prosumer_id: str
    bess: BESS | None
    evs: tuple[ElectricVehicle, ...]
    solar: SolarPV | None
    load_profile_id: str | None
    participation_willingness: float
    min_compensation_per_kwh: float
    backup_power_hours: float
    max_discharge: float
    ev_priority: str
    profile: str
    annual_load_kwh: float
    average_load_kw: float
    load_profile: object = field(repr=False, eq=False)

    def __init__(self, prosumer_id, bess=None, ev=None, solar=None, load_profile_id=None,
                 participation_willingness=0.5, min_compensation_per_kwh=0.10,
                 backup_power_hours=2.0, max_discharge_percent=80.0, ev_priority="medium",
                 profile="moderate", *, evs=(), annual_load_kwh=6200.0, average_load_kw=None,
                 load_profile=None, assets=None):
        problems: list[str] = []
        if assets is not None:
            bess, solar, evs = _sort_assets(assets, bess, ev, solar, evs, problems)
            ev = None
        evs = tuple(evs)
        if ev is not None and ev not in evs:
            evs = (ev, *evs)
        if isinstance(load_profile, str) and load_profile_id is None:
            load_profile_id = load_profile
        elif load_profile is not None and average_load_kw is None:
            average_load_kw = _mean_kw(load_profile, problems)
        if average_load_kw is None and chk.is_real(annual_load_kwh):
            average_load_kw = annual_load_kwh / HOURS_PER_YEAR
        _check(problems, prosumer_id, bess, evs, solar, participation_willingness,
               min_compensation_per_kwh, backup_power_hours, max_discharge_percent,
               ev_priority, profile, annual_load_kwh, average_load_kw)
        chk.raise_if_any(problems)
        self.__attrs_init__(
            prosumer_id, bess, evs, solar, load_profile_id, float(participation_willingness),
            float(min_compensation_per_kwh), float(backup_power_hours),
            percent_to_fraction(max_discharge_percent), ev_priority, profile,
            float(annual_load_kwh), float(average_load_kw), load_profile)

    @classmethod
    def _unchecked_many(cls, prosumer_id: list, bess: list, evs: list, solar: list,
                        participation_willingness: list, min_compensation_per_kwh: list,
                        backup_power_hours: list, max_discharge: list, ev_priority: list,
                        profile: list, annual_load_kwh: list) -> list[Prosumer]:
        """Prosumers from equal-length lists of values already validated, one per
        position, unchecked: floats, `max_discharge` a fraction, `ev_priority` and
        `profile` names, `evs` tuples; no load profile, average load
        ``annual_load_kwh / 8760``.

        For `desim.fleet` (see `BESS._unchecked_many`); each prosumer equals the
        checked constructor's for the same values.
        """
        new = object.__new__
        out = []
        append = out.append
        for pid, b, cars, pv, will, comp, backup, md, pri, prof, annual in zip(
                prosumer_id, bess, evs, solar, participation_willingness,
                min_compensation_per_kwh, backup_power_hours, max_discharge, ev_priority,
                profile, annual_load_kwh, strict=True):
            self = new(cls)
            self.prosumer_id = pid
            self.bess = b
            self.evs = cars
            self.solar = pv
            self.load_profile_id = None
            self.participation_willingness = will
            self.min_compensation_per_kwh = comp
            self.backup_power_hours = backup
            self.max_discharge = md
            self.ev_priority = pri
            self.profile = prof
            self.annual_load_kwh = annual
            self.average_load_kw = annual / HOURS_PER_YEAR
            self.load_profile = None
            append(self)
        return out

    # ------------------------------------------------------------ seed names
    @property
    def ev(self) -> ElectricVehicle | None:
        """The first EV, or None."""
        return self.evs[0] if self.evs else None

    @property
    def max_discharge_percent(self) -> float:
        return fraction_to_percent(self.max_discharge)

    # ------------------------------------------------------------ flexibility
    def bess_dispatch_floor_soc(self) -> float:
        """Lowest SOC (fraction) the battery may be dispatched to.

        The highest of: the battery's own floor plus the backup reserve
        (``backup_power_hours * average_load_kw`` delivered, i.e. divided by the
        efficiency in storage), and ``1 - max_discharge``.
        """
        if self.bess is None:
            return 0.0
        b = self.bess
        reserve_kwh = self.backup_power_hours * self.average_load_kw / b.efficiency
        return max(b.min_soc + reserve_kwh / b.capacity_kwh, 1.0 - self.max_discharge)

    def get_available_flexibility_kw(self, duration_hours: float = 1.0,
                                     now_hour_of_day: float | None = None) -> dict:
        """Power the home can hold for `duration_hours`, kW, in each direction.

        Parameters
        ----------
        duration_hours : float
            Window length, h (> 0).
        now_hour_of_day : float or None
            Clock time at the start of the window (hours after midnight). EV
            charging counts as deferrable load only when it is given and the EV
            keeps a positive laxity (at least its priority's margin) after
            pausing for the whole window; None counts no deferral.

        Returns
        -------
        dict
            ``discharge`` (kW the home can deliver or stop drawing, >= 0) and
            ``charge`` (kW it can absorb, >= 0), with the parts: ``bess_discharge``,
            ``ev_v2g``, ``ev_deferral``, ``bess_charge``, ``ev_charge``.
            An EV that still needs energy is assumed to be charging at its full
            power (the uncontrolled baseline), so it adds deferral but no
            absorption; an EV at its target can absorb up to full.
        """
        problems: list[str] = []
        chk.positive(problems, "Prosumer.get_available_flexibility_kw.duration_hours",
                     duration_hours)
        chk.raise_if_any(problems)
        parts = {"bess_discharge": 0.0, "ev_v2g": 0.0, "ev_deferral": 0.0,
                 "bess_charge": 0.0, "ev_charge": 0.0}
        if self.bess is not None:
            b = self.bess
            parts["bess_discharge"] = float(physics.max_discharge_power_kw(
                b.soc, b.capacity_kwh, b.discharge_limit_kw, duration_hours,
                self.bess_dispatch_floor_soc(), b.efficiency))
            parts["bess_charge"] = b.get_available_charge_capacity_kw(duration_hours)
        margin_h = _EV_LAXITY_MARGIN_H[self.ev_priority]
        for ev in self.evs:
            needs = ev.get_charging_requirement_kwh() > 0.0
            if math.isfinite(margin_h):
                parts["ev_v2g"] += ev.get_available_discharge_capacity_kw(
                    duration_hours, floor_soc=ev.min_departure_soc)
                if needs and now_hour_of_day is not None:
                    after = ev.laxity_h(now_hour_of_day) - duration_hours
                    if after > 0.0 and after >= margin_h:
                        parts["ev_deferral"] += ev.max_charge_power_kw
            if not needs:
                parts["ev_charge"] += ev.get_available_charge_capacity_kw(duration_hours)
        return {"discharge": parts["bess_discharge"] + parts["ev_v2g"] + parts["ev_deferral"],
                "charge": parts["bess_charge"] + parts["ev_charge"], **parts}

    def evaluate_market_opportunity(self, price_per_mwh: float | None = None,
                                    duration_hours: float = 1.0, price: float | None = None,
                                    *, now_hour_of_day: float | None = None
                                    ) -> MarketEvaluation:
        """Decide whether to deliver flexibility at a price over a window.

        Parameters
        ----------
        price_per_mwh : float
            Offered price, $/MWh (>= 0). Give this or `price`.
        duration_hours : float
            Window length, h (> 0).
        price : float
            Seed alias: the offered price in $/kWh.
        now_hour_of_day : float or None
            Window start as a clock time, for EV deferral (see
            `get_available_flexibility_kw`).

        Returns
        -------
        MarketEvaluation
            The score is ``willingness * profile factor * price factor`` clipped
            to [0, 1]; the price factor is 0 below the minimum compensation and
            rises linearly from 0.5 at the minimum to 1 at 1.5 times it (desim's
            heuristic). It participates when the price covers the minimum, it has
            power to offer and the score is at least 0.5.
        """
        problems: list[str] = []
        if (price_per_mwh is None) == (price is None):
            problems.append("Prosumer.evaluate_market_opportunity: expected exactly one of "
                            f"price_per_mwh ($/MWh) or price ($/kWh), got price_per_mwh="
                            f"{price_per_mwh!r}, price={price!r}")
        elif price is not None:
            chk.non_negative(problems, "Prosumer.evaluate_market_opportunity.price", price)
        else:
            chk.non_negative(problems, "Prosumer.evaluate_market_opportunity.price_per_mwh",
                             price_per_mwh)
        chk.positive(problems, "Prosumer.evaluate_market_opportunity.duration_hours",
                     duration_hours)
        chk.raise_if_any(problems)
        price_kwh = float(price) if price is not None else usd_per_mwh_to_usd_per_kwh(
            price_per_mwh)
        available_kw = self.get_available_flexibility_kw(duration_hours,
                                                         now_hour_of_day)["discharge"]
        score = self._score(price_kwh)
        reasons = []
        if price_kwh < self.min_compensation_per_kwh:
            reasons.append(f"price {price_kwh:.3f} $/kWh is below the minimum compensation "
                           f"{self.min_compensation_per_kwh:.3f} $/kWh")
        if available_kw <= 0.0:
            reasons.append(f"no flexibility available for {duration_hours:g} h")
        if score < _ACCEPT_SCORE:
            reasons.append(f"participation score {score:.2f} is below {_ACCEPT_SCORE:g}")
        participate = not reasons
        available_kwh = available_kw * duration_hours
        return MarketEvaluation(
            participate=participate, participation_score=score, available_kw=available_kw,
            available_kwh=available_kwh,
            expected_revenue_usd=available_kwh * price_kwh if participate else 0.0,
            price_usd_per_kwh=price_kwh, duration_h=float(duration_hours),
            reasons=tuple(reasons))

    def _score(self, price_usd_per_kwh: float) -> float:
        floor = self.min_compensation_per_kwh
        if price_usd_per_kwh < floor:
            price_factor = 0.0
        elif floor <= 0.0:
            price_factor = 1.0
        else:
            ratio = price_usd_per_kwh / floor
            price_factor = min(1.0, 0.5 + 0.5 * (ratio - 1.0) / (_FULL_PRICE_RATIO - 1.0))
        raw = self.participation_willingness * _PROFILE_FACTOR[self.profile] * price_factor
        return float(np.clip(raw, 0.0, 1.0))

    # ------------------------------------------------------------ reporting
    def get_status_summary(self) -> dict:
        """Assets, preferences and flexibility as a plain dict (percent at this edge)."""
        bess = None
        if self.bess is not None:
            b = self.bess
            bess = {"capacity_kwh": b.capacity_kwh, "max_power_kw": b.max_power_kw,
                    "soc_percent": b.current_soc_percent,
                    "stored_energy_kwh": b.stored_energy_kwh,
                    "available_discharge_kw": b.get_available_discharge_capacity_kw(),
                    "available_charge_kw": b.get_available_charge_capacity_kw(),
                    "product": getattr(b.product, "name", None)}
        evs = [{"ev_id": ev.ev_id, "battery_capacity_kwh": ev.battery_capacity_kwh,
                "max_charge_power_kw": ev.max_charge_power_kw,
                "soc_percent": ev.current_soc_percent,
                "min_departure_soc_percent": ev.min_departure_soc_percent,
                "charge_deadline": ev.charge_deadline,
                "charging_requirement_kwh": ev.get_charging_requirement_kwh(),
                "v2g_max_discharge_kw": ev.v2g_max_discharge_kw,
                "product": getattr(ev.product, "name", None)} for ev in self.evs]
        solar = None if self.solar is None else {
            "capacity_kw": self.solar.capacity_kw, "efficiency": self.solar.efficiency,
            "tilt_deg": self.solar.tilt_deg, "azimuth_deg": self.solar.azimuth_deg}
        return {
            "prosumer_id": self.prosumer_id,
            "load_profile_id": self.load_profile_id,
            "annual_load_kwh": self.annual_load_kwh,
            "average_load_kw": self.average_load_kw,
            "bess": bess, "ev": evs[0] if evs else None, "evs": evs, "solar": solar,
            "preferences": {
                "profile": self.profile,
                "participation_willingness": self.participation_willingness,
                "min_compensation_per_kwh": self.min_compensation_per_kwh,
                "backup_power_hours": self.backup_power_hours,
                "max_discharge_percent": self.max_discharge_percent,
                "ev_priority": self.ev_priority},
            "flexibility": self.get_available_flexibility_kw(),
        }


def _sort_assets(assets, bess, ev, solar, evs, problems):
    """Split a seed-style `assets` list into battery, solar and EVs."""
    evs = list(evs) + ([ev] if ev is not None else [])
    for i, asset in enumerate(assets):
        if isinstance(asset, BESS):
            if bess is not None:
                problems.append(f"Prosumer.assets[{i}]: expected at most one BESS, got another")
            bess = asset
        elif isinstance(asset, SolarPV):
            if solar is not None:
                problems.append(f"Prosumer.assets[{i}]: expected at most one SolarPV, "
                                "got another")
            solar = asset
        elif isinstance(asset, ElectricVehicle):
            evs.append(asset)
        else:
            problems.append(f"Prosumer.assets[{i}]: expected a BESS, ElectricVehicle or "
                            f"SolarPV, got {type(asset).__name__}")
    return bess, solar, tuple(evs)


def _mean_kw(load_profile, problems) -> float | None:
    """Mean of a numeric load series in kW, or a recorded problem."""
    try:
        values = np.asarray(load_profile, dtype=float)
    except (TypeError, ValueError):
        values = None
    if values is None or values.size == 0 or not np.all(np.isfinite(values)):
        problems.append("Prosumer.load_profile: expected a profile id or a non-empty series "
                        f"of finite kW values, got {type(load_profile).__name__}")
        return None
    return float(values.mean())


def _check(problems, prosumer_id, bess, evs, solar, willingness, min_comp, backup_h,
           max_discharge_percent, ev_priority, profile, annual_load_kwh, average_load_kw):
    if not isinstance(prosumer_id, str) or not prosumer_id:
        problems.append(f"Prosumer.prosumer_id: expected a non-empty string, got "
                        f"{prosumer_id!r}")
    if bess is not None and not isinstance(bess, BESS):
        problems.append(f"Prosumer.bess: expected a BESS or None, got {type(bess).__name__}")
    for i, ev in enumerate(evs):
        if not isinstance(ev, ElectricVehicle):
            problems.append(f"Prosumer.evs[{i}]: expected an ElectricVehicle, got "
                            f"{type(ev).__name__}")
    if solar is not None and not isinstance(solar, SolarPV):
        problems.append(f"Prosumer.solar: expected a SolarPV or None, got "
                        f"{type(solar).__name__}")
    chk.fraction(problems, "Prosumer.participation_willingness", willingness)
    chk.non_negative(problems, "Prosumer.min_compensation_per_kwh", min_comp)
    chk.non_negative(problems, "Prosumer.backup_power_hours", backup_h)
    chk.in_range(problems, "Prosumer.max_discharge_percent", max_discharge_percent, 0.0, 100.0)
    chk.one_of(problems, "Prosumer.ev_priority", ev_priority, EV_PRIORITY_NAMES)
    chk.one_of(problems, "Prosumer.profile", profile, PROFILE_NAMES)
    chk.non_negative(problems, "Prosumer.annual_load_kwh", annual_load_kwh)
    if average_load_kw is not None or not chk.is_real(annual_load_kwh):
        chk.non_negative(problems, "Prosumer.average_load_kw", average_load_kw)

