"""Form labels to config fields, by the words a label contains.

"battery_capacity_kwh", "Storage size (kWh)", "EV charger kW", "Comp floor",
"Max DoD for aggregator", "Emergency hours wanted" and "Lowest battery level
acceptable" are all resolved the same way: the label's words are sorted
into asset words (battery, EV, solar) and attribute words (capacity, power,
charge level, departure, reserve, ...), and the combination names a field.
A label naming only an asset gives ``"asset:bat"``, ``"asset:ev"`` or
``"asset:solar"``; a label naming a rate the household pays, or a solar AC
rating, gives ``"ignore"``.
"""

from __future__ import annotations

import re

__all__ = ["field_of", "words_of", "BAT", "EV", "SOLAR"]

BAT = {"battery", "batteries", "bess", "storage", "powerwall", "powerwalls", "ess", "batt",
       "batts", "powerbank", "stored", "accumulator"}
EV = {"ev", "evs", "car", "cars", "vehicle", "vehicles", "auto", "truck", "whip", "wheels",
      "rides", "ride", "suv"}
SOLAR = {"solar", "pv", "panels", "panel", "array", "photovoltaic", "rooftop", "sun", "sunshine",
         "modules"}
_SOC = {"soc", "full", "level", "charged"}
_NOW = {"current", "currently", "now", "initial", "today", "how", "present", "arrival"}


def words_of(label: str) -> set[str]:
    """Lower-case words of a label ("battery_capacity_kwh" -> battery, capacity, kwh)."""
    label = re.sub(r"([a-z])([A-Z])", r"\1 \2", label).lower()
    return set(re.findall(r"[a-z]+|%|\$", label.replace("_", " ")))


def _preference(w: set[str]) -> str | None:
    if "priority" in w:
        return "ev_priority"
    if w & {"profile", "attitude", "risk", "mood", "tier", "election", "style"}:
        return "participation_profile"
    if w & {"willingness", "willing", "eagerness", "meter"}:
        return "participation_willingness"
    if w & {"retail", "tariff", "import", "bill"}:
        return "ignore"
    if w & {"compensation", "comp", "payment", "price", "pay", "payout", "incentive", "cash",
            "money", "$"}:
        return "min_compensation_per_kwh"
    if w & {"backup", "autonomy", "outage", "outages", "blackout", "blackouts", "emergency"} or \
            w & {"hours", "hrs", "h"} and not w & {"charge", "charging"}:
        return "reserve" if w & {"keep", "reserve", "floor", "lowest", "min", "minimum"} \
            else "backup_power_hours"
    if w & {"efficiency", "derate"}:
        return "solar_efficiency"
    return None


def _limit(w: set[str]) -> str | None:
    if w & {"dod", "depth", "dispatch", "usable", "wiggle"} and not w & {"power", "kw"} or \
            "discharge" in w and not w & {"power", "rate", "kw"}:
        return "max_discharge_percent"
    if w & {"reserve", "floor", "lowest", "keep", "below", "never", "minimum", "min"} and \
            not w & ({"soc", "departure", "depart", "target", "payment", "price"} | EV):
        return "reserve"
    return None


def field_of(label: str) -> str | None:
    """The config field a form label names (see module docstring), else None."""
    w = words_of(label)
    if not w:
        return None
    bat, ev, solar = bool(w & BAT), bool(w & EV), bool(w & SOLAR)
    found = _preference(w)
    if found:
        return found
    if w & {"deadline", "departure", "depart", "departs", "leave", "leaves", "leaving",
            "ready", "unplug", "out"} and not w & {"soc", "%", "target", "need", "needs",
                                                    "full", "required", "min"}:
        return "ev_charge_deadline"
    if w & {"target", "need", "needs", "required", "goal"} or w == {"charge", "to"} or \
            w & {"departure", "depart", "leave"} and w & {"soc", "%", "full", "min", "charge"}:
        return "ev_min_departure_soc_percent"
    found = _limit(w)
    if found:
        return found
    if solar and w & {"ac"} and not w & {"dc"}:
        return "ignore"  # an AC rating: solar is counted in kW DC
    if w & {"has", "have", "own", "installed"} and (ev or solar or bat):
        return "asset:ev" if ev else "asset:solar" if solar else "asset:bat"
    if ev:
        if w & {"count", "number", "num", "n", "qty", "quantity", "many"} or \
                w <= {"evs", "cars", "vehicles", "electric", "enrolled"}:
            return "ev_count" if not w & {"capacity", "kwh", "charger", "kw"} else None
        if w & {"charger", "charging", "power", "kw", "rate", "level", "l", "evse"}:
            return "ev_max_charge_power_kw"
        if w & {"capacity", "kwh", "battery", "pack", "size"}:
            return "ev_battery_capacity_kwh"
        return "asset:ev"
    if w & {"charger", "evse", "charging"}:
        return "ev_max_charge_power_kw"
    if solar:
        return "solar_capacity_kw" if w & {"capacity", "kw", "size", "kwp", "rating", "dc",
                                            "kwdc"} else "asset:solar"
    if w & _SOC and (w & _NOW or "soc" in w) or w & {"charge"} and w & _NOW:
        return "bess_initial_soc_percent"
    if bat:
        if w & {"count", "number", "qty", "quantity", "units", "many"}:
            return "bess_units"
        if w & {"power", "kw", "rate", "rating", "inverter", "output", "muscle"} and \
                "kwh" not in w:
            return "bess_max_power_kw"
        if w & {"capacity", "kwh", "size", "energy"}:
            return "bess_capacity_kwh"
        return "asset:bat"
    if w & {"inverter", "pcs"} or "discharge" in w and w & {"power", "rate", "kw"}:
        return "bess_max_power_kw"
    return None
