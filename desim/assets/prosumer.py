"""`Prosumer`: a household's assets and its preferences about using them for the grid.

One behaviour model: the home answers with the engine's own rules
(`desim.assets.behaviour`, which `desim.sim.dispatch` applies to whole fleets).
Its flexibility is what its assets would offer in a dispatch event of the given
length: battery discharge above the floor its owner allows (own floor, backup
reserve, ``1 - max_discharge``), EV charging it can defer and V2G it can give
within the EV's laxity. `evaluate_market_opportunity` adds the engine's
acceptance rule: the price must cover the minimum compensation, then the home
takes part when a willingness draw succeeds, so with no draw given it reports
the probability of taking part (`MarketEvaluation`).
"""

from __future__ import annotations

from itertools import repeat

import numpy as np
from attrs import define, field, frozen

from desim.assets import _checks as chk
from desim.assets import behaviour
from desim.assets.bess import BESS
from desim.assets.ev import ElectricVehicle
from desim.assets.solar import SolarPV
from desim.units import fraction_to_percent, percent_to_fraction, usd_per_mwh_to_usd_per_kwh

__all__ = ["Prosumer", "MarketEvaluation", "PROFILE_NAMES", "EV_PRIORITY_NAMES"]

PROFILE_NAMES = ("conservative", "moderate", "aggressive")
EV_PRIORITY_NAMES = ("low", "medium", "high")
HOURS_PER_YEAR = 8760.0
#: With no draw given, `evaluate_market_opportunity` answers ``participate`` when
#: taking part is at least this likely (more likely than not).
LIKELY = 0.5


@frozen
class MarketEvaluation:
    """A prosumer's answer to a market or dispatch opportunity.

    Attributes
    ----------
    participate : bool
        ``decision_basis == "draw"``: whether it accepts (the engine's decision
        for that draw). ``"expectation"``: whether taking part is at least
        `LIKELY` (0.5) probable; either way only with power to offer.
    participation_score : float
        Seed name of `participation_probability`.
    available_kw : float
        Power it offers for the whole window, kW (>= 0; the engine's offer).
    available_kwh : float
        ``available_kw * duration_h``, kWh.
    expected_revenue_usd : float
        ``available_kwh * price_usd_per_kwh`` times the probability of taking part
        (``"expectation"``), or times 1 / 0 as it accepts or not (``"draw"``).
    price_usd_per_kwh, duration_h : float
        The offer evaluated.
    reasons : tuple of str
        Why it declines or is unlikely to take part (empty otherwise).
    participation_probability : float
        0-1: the chance that the engine's acceptance rule says yes, the
        willingness when the price covers the minimum compensation, else 0.
    decision_basis : {"expectation", "draw"}
        Whether `participate` reports the expectation (no draw given) or the
        decision for a given draw.
    """

    participate: bool
    participation_score: float
    available_kw: float
    available_kwh: float
    expected_revenue_usd: float
    price_usd_per_kwh: float
    duration_h: float
    reasons: tuple[str, ...] = ()
    participation_probability: float = 0.0
    decision_basis: str = "expectation"

    def to_dict(self) -> dict:
        """A plain dict of the fields (reasons as a list)."""
        return {"participate": self.participate,
                "participation_score": self.participation_score,
                "participation_probability": self.participation_probability,
                "decision_basis": self.decision_basis,
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
        out = list(map(object.__new__, repeat(cls, len(prosumer_id))))
        for self, pid, b, cars, pv, will, comp, backup, md, pri, prof, annual in zip(
                out, prosumer_id, bess, evs, solar, participation_willingness,
                min_compensation_per_kwh, backup_power_hours, max_discharge, ev_priority,
                profile, annual_load_kwh, strict=True):
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
        """Lowest SOC (fraction) the battery may be dispatched to: the engine's owner
        floor (`behaviour.owner_floor_soc`).

        The highest of: the battery's own floor; ``1 - max_discharge``; the floor
        plus ``backup_power_hours`` of average load (``average_load_kw``, as stored
        kWh), capped at the battery's ceiling.
        """
        if self.bess is None:
            return 0.0
        b = self.bess
        annual_kwh = self.annual_load_kwh
        if self.average_load_kw != annual_kwh / HOURS_PER_YEAR:     # set from a load series
            annual_kwh = self.average_load_kw * HOURS_PER_YEAR
        return float(behaviour.owner_floor_soc(
            b.min_soc, b.max_soc, b.capacity_kwh, self.max_discharge, self.backup_power_hours,
            annual_kwh))

    def get_available_flexibility_kw(self, duration_hours: float = 1.0,
                                     now_hour_of_day: float | None = None) -> dict:
        """What the home's assets would offer in a dispatch event of `duration_hours`, kW.

        The engine's offers (`desim.assets.behaviour`, as `desim.sim.dispatch`
        applies them), for a home that accepted, with these assumptions about what
        the engine would know: the battery follows dispatch and would otherwise
        idle (baseline 0); each EV is plugged in, leaves at its `charge_deadline`,
        would otherwise charge at full power while it needs energy (the
        uncontrolled baseline), and is protected by the departure guard without a
        site limit (guarded offers, recharge at full power).

        Parameters
        ----------
        duration_hours : float
            Window length, h (> 0).
        now_hour_of_day : float or None
            Clock time at the start of the window (hours after midnight), to time
            the EVs' departures. None: the departures are unknown, so no EV
            offers anything (deferral and V2G both need the EV's laxity).

        Returns
        -------
        dict
            ``discharge`` (kW the home can deliver or stop drawing, >= 0) and
            ``charge`` (kW it can absorb, >= 0), with the parts: ``bess_discharge``
            (above the owner floor, `bess_dispatch_floor_soc`), ``ev_deferral``
            (charging paused for the window if the laxity at full power covers
            it), ``ev_v2g`` (``min(v2g_max, (soc - v2g_min) C eff / w)`` if the EV
            can also recharge that before leaving), ``bess_charge`` (below the
            ceiling) and ``ev_charge`` (an absorb offer: full power less the
            baseline, so 0 for an EV already charging at full power). EVs of a
            ``high`` priority home offer nothing.
        """
        problems: list[str] = []
        chk.positive(problems, "Prosumer.get_available_flexibility_kw.duration_hours",
                     duration_hours)
        chk.raise_if_any(problems)
        w = float(duration_hours)
        parts = {"bess_discharge": 0.0, "ev_v2g": 0.0, "ev_deferral": 0.0,
                 "bess_charge": 0.0, "ev_charge": 0.0}
        if self.bess is not None:
            b = self.bess
            floor = self.bess_dispatch_floor_soc()
            for direction, key in ((-1, "bess_discharge"), (1, "bess_charge")):
                parts[key] = float(behaviour.bess_offer_kw(
                    b.soc, b.capacity_kwh, b.max_power_kw, b.discharge_limit_kw, b.efficiency,
                    b.efficiency, floor, b.max_soc, 0.0, w, direction))
        allowed = self.ev_priority != "high" and now_hour_of_day is not None
        for ev in self.evs:
            if not allowed:
                continue
            offer = self._ev_offer_parts(ev, w, float(now_hour_of_day))
            for key, value in offer.items():
                parts[key] += value
        return {"discharge": parts["bess_discharge"] + parts["ev_v2g"] + parts["ev_deferral"],
                "charge": parts["bess_charge"] + parts["ev_charge"], **parts}

    @staticmethod
    def _ev_offer_parts(ev: ElectricVehicle, window_h: float, now_hour_of_day: float) -> dict:
        """One EV's offers (`behaviour.ev_offer_kw`): deferral, V2G, absorb (kW)."""
        need = ev.get_charging_requirement_kwh()
        baseline_kw = ev.max_charge_power_kw if need > 0.0 else 0.0

        def offer(direction, baseline, v2g_max_kw):
            return float(behaviour.ev_offer_kw(
                True, need, baseline, ev.hours_until_deadline(now_hour_of_day), 0.0, window_h,
                direction, True, ev.soc, ev.v2g_min_soc, ev.battery_capacity_kwh, v2g_max_kw,
                ev.max_charge_power_kw, ev.charge_efficiency))

        # the engine's discharge offer is deferral + V2G; each part alone is the same term
        return {"ev_deferral": offer(-1, baseline_kw, 0.0),
                "ev_v2g": offer(-1, 0.0, ev.v2g_max_discharge_kw),
                "ev_charge": offer(1, baseline_kw, ev.v2g_max_discharge_kw)}

    def participation_probability(self, price_per_mwh: float) -> float:
        """Probability (0-1) that the home accepts an event at `price_per_mwh` ($/MWh):
        the engine's acceptance rule over its uniform draw
        (`behaviour.participation_probability`)."""
        return float(behaviour.participation_probability(
            price_per_mwh, self.min_compensation_per_kwh, self.participation_willingness))

    def evaluate_market_opportunity(self, price_per_mwh: float | None = None,
                                    duration_hours: float = 1.0, price: float | None = None,
                                    *, now_hour_of_day: float | None = None,
                                    uniform: float | None = None) -> MarketEvaluation:
        """Whether the home would deliver flexibility at a price over a window.

        The engine's behaviour: the home accepts an event when the price covers
        its minimum compensation and a willingness draw (uniform in [0, 1)) is
        below its willingness (`behaviour.accepts`), then offers what
        `get_available_flexibility_kw` gives for discharge.

        Parameters
        ----------
        price_per_mwh : float
            Offered price, $/MWh (>= 0). Give this or `price`.
        duration_hours : float
            Window length, h (> 0).
        price : float
            Seed alias: the offered price in $/kWh (compared as ``price * 1000``
            $/MWh).
        now_hour_of_day : float or None
            Window start as a clock time, to time the EVs' departures (see
            `get_available_flexibility_kw`).
        uniform : float or None
            A willingness draw in [0, 1). Given, the answer is the engine's
            decision for that draw (``decision_basis = "draw"``); None, the answer
            is an expectation (``decision_basis = "expectation"``): the
            probability of taking part, and ``participate`` when it is at least
            0.5.

        Returns
        -------
        MarketEvaluation
            With ``participation_probability`` (also as the seed's
            ``participation_score``), ``decision_basis``, the offered power and
            energy, and the expected revenue at the offered price.
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
        if uniform is not None and not (chk.is_real(uniform) and 0.0 <= uniform < 1.0):
            problems.append("Prosumer.evaluate_market_opportunity.uniform: expected a number "
                            f"in [0, 1), got {uniform!r}")
        chk.raise_if_any(problems)
        if price is not None:
            price_kwh, price_mwh = float(price), float(price) * 1000.0
        else:
            price_kwh, price_mwh = usd_per_mwh_to_usd_per_kwh(price_per_mwh), float(price_per_mwh)
        available_kw = self.get_available_flexibility_kw(duration_hours,
                                                         now_hour_of_day)["discharge"]
        probability = self.participation_probability(price_mwh)
        reasons = []
        priced_out = price_kwh < self.min_compensation_per_kwh
        if priced_out:
            reasons.append(f"price {price_kwh:.3f} $/kWh is below the minimum compensation "
                           f"{self.min_compensation_per_kwh:.3f} $/kWh")
        if available_kw <= 0.0:
            reasons.append(f"no flexibility available for {duration_hours:g} h")
        if uniform is None:
            basis, weight = "expectation", probability
            if probability < LIKELY and not priced_out:
                reasons.append(f"takes part with probability {probability:.2f} (its "
                               f"willingness), below {LIKELY:g}")
            accepted = probability >= LIKELY
        else:
            basis = "draw"
            accepted = bool(behaviour.accepts(price_mwh, self.min_compensation_per_kwh,
                                              self.participation_willingness, float(uniform)))
            if not priced_out and not accepted:
                reasons.append(f"willingness draw {uniform:.3f} is not below "
                               f"{self.participation_willingness:.3f}")
            weight = 1.0 if accepted else 0.0
        participate = accepted and available_kw > 0.0
        available_kwh = available_kw * duration_hours
        return MarketEvaluation(
            participate=participate, participation_score=probability,
            available_kw=available_kw, available_kwh=available_kwh,
            expected_revenue_usd=available_kwh * price_kwh * weight,
            price_usd_per_kwh=price_kwh, duration_h=float(duration_hours),
            reasons=tuple(reasons), participation_probability=probability,
            decision_basis=basis)

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

