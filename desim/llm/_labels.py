"""Form labels to config fields, by the words a label contains.

"battery_capacity_kwh", "Storage size (kWh)", "EV charger kW", "Comp floor",
"Max DoD for aggregator", "Emergency hours wanted" and "Lowest battery level
acceptable" are all resolved the same way: the label's words are sorted
into asset words (battery, EV, solar) and attribute words (capacity, power,
charge level, departure, reserve, ...), and the combination names a field.
A label naming only an asset gives ``"asset:bat"``, ``"asset:ev"`` or
``"asset:solar"``; a label naming a rate the household pays, a solar AC
rating or a daily yield gives ``"ignore"``. A minimum charge level that
names no asset ("Min SOC") gives ``"min_soc"``: a departure target under an
EV, a battery floor otherwise (the form reader knows which asset it is under).
Abbreviations are read as the words they shorten ("prio", "tgt", "dep", "eff").
"""

from __future__ import annotations

import re

__all__ = ["field_of", "words_of", "BAT", "EV", "SOLAR"]

BAT = {"battery", "batteries", "bess", "storage", "powerwall", "powerwalls", "ess", "batt",
       "batts", "powerbank", "stored", "accumulator", "bank", "reservoir", "bucket"}
EV = {"ev", "evs", "car", "cars", "vehicle", "vehicles", "auto", "truck", "trucks", "whip",
      "wheels", "rides", "ride", "suv", "commuter", "bev", "bevs"}
SOLAR = {"solar", "pv", "panels", "panel", "array", "photovoltaic", "photovoltaics", "rooftop",
         "sun", "sunshine", "modules", "glass"}
#: label abbreviations and the word each stands for
_SHORT = {"prio": "priority", "tgt": "target", "trgt": "target", "dep": "departure",
          "eff": "efficiency", "cap": "capacity", "pwr": "power", "chg": "charge",
          "chgr": "charger", "reqd": "required", "req": "required", "res": "reserve",
          "bkp": "backup", "bkup": "backup", "comp": "compensation", "qty": "quantity",
          "evse": "charger", "wtp": "willingness"}
_SOC = {"soc", "full", "level", "charged"}
_NOW = {"current", "currently", "now", "initial", "today", "how", "present", "arrival"}


def words_of(label: str) -> set[str]:
    """Lower-case words of a label ("battery_capacity_kwh" -> battery, capacity, kwh)."""
    label = re.sub(r"([a-z])([A-Z])", r"\1 \2", label).lower()
    return {_SHORT.get(w, w) for w in re.findall(r"[a-z]+|%|\$", label.replace("_", " "))}


def _preference(w: set[str]) -> str | None:
    if w & {"priority", "importance", "important", "matters"}:
        return "ev_priority"
    if w & {"profile", "attitude", "risk", "mood", "tier", "election", "style", "appetite"} or \
            w <= {"dr", "mode", "level", "demand", "response"} and w & {"dr", "response"}:
        return "participation_profile"
    if w & {"willingness", "willing", "eagerness", "meter"} or \
            w & {"share", "fraction", "portion", "often", "percentage", "proportion", "many"} and \
            w & {"events", "event", "accept", "join", "participate", "calls", "requests"}:
        return "participation_willingness"
    if w & {"retail", "tariff", "import", "bill", "yield", "production", "generation",
            "daily", "annual", "yearly"}:
        return "ignore"
    if w & {"compensation", "comp", "payment", "price", "pay", "payout", "incentive", "cash",
            "money", "$"} or w & {"accept", "take"} and w & {"events", "event"}:
        return "min_compensation_per_kwh"
    if w & {"hours", "hrs", "h", "days"} and not w & {"charge", "charging"}:
        return "backup_power_hours"
    if w & {"backup", "autonomy", "outage", "outages", "blackout", "blackouts", "emergency"}:
        return "reserve" if w & {"keep", "reserve", "floor", "lowest", "min", "minimum"} \
            else "backup_power_hours"
    if w & {"efficiency", "derate"}:
        return "solar_efficiency"
    return None


def _limit(w: set[str]) -> str | None:
    if w & {"to", "down", "below", "under", "until"} and \
            w & {"discharge", "drain", "drop", "go", "run", "empty", "draw"}:
        return "reserve"  # "Let aggregator discharge to: 20%": a floor
    if w & {"dod", "depth", "dispatch", "usable", "wiggle"} and not w & {"power", "kw"} or \
            "discharge" in w and not w & {"power", "rate", "kw"} or \
            w & {"aggregator", "program", "utility", "they", "grid"} and \
            w & {"use", "pull", "take", "draw", "tap", "access", "drain", "discharge", "touch"}:
        return "max_discharge_percent"
    if w & EV or w & {"departure", "depart", "target", "payment", "price"}:
        return None
    if w & {"reserve", "floor", "lowest", "keep", "below", "never", "hold", "untouched",
            "touch", "protect", "protected", "buffer"}:
        return "reserve"
    if w & {"minimum", "min"}:
        return "min_soc" if ("soc" in w or w & {"charge", "level"}) and not w & BAT \
            else "reserve"
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
    timing = {"deadline", "departure", "depart", "departs", "leave", "leaves", "leaving",
              "ready", "unplug", "out", "off", "when"}
    last = re.findall(r"[a-z]+", label.lower())[-1:]
    if last == ["by"] or {"go", "time"} <= w:  # "need by", "off by", "go time"
        w = w | {"by"}
        timing = timing | {"by", "go"}
    amount = {"soc", "%", "target", "need", "needs", "needed", "full", "required", "min",
              "minimum", "charge", "level", "energy", "kwh", "fill", "percent"}
    if w & timing and (not w & amount or w & {"by", "when"} and not w & {
            "soc", "%", "level", "energy", "kwh", "min", "minimum", "target", "percent",
            "full"}):
        return "ev_charge_deadline"
    if w & {"target", "need", "needs", "needed", "required", "goal", "fill", "must"} or \
            w == {"charge", "to"} or w & timing and w & amount or \
            w & EV and w & {"soc", "min", "minimum"}:
        return "ev_min_departure_soc_percent"
    found = _limit(w)
    if found:
        return found
    if solar and w & {"ac"} and not w & {"dc"}:
        return "ignore"  # an AC rating: solar is counted in kW DC
    if bat and (w & {"stored", "reservoir", "bank"} or w & SOLAR == {"modules"}):
        solar = False  # "Stored sunshine", "Battery modules": the battery
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
    if w & _SOC and (w & _NOW or "soc" in w) or w & {"charge"} and w & _NOW or \
            bat and w & _NOW and not w & {"capacity", "kwh", "size", "power", "kw", "model",
                                          "type", "make", "count", "units"}:
        return "bess_initial_soc_percent"
    if bat:
        if w & {"count", "number", "qty", "quantity", "units", "many", "modules"}:
            return "bess_units"
        if w & {"power", "kw", "rate", "rating", "inverter", "output", "muscle", "pump"} and \
                "kwh" not in w:
            return "bess_max_power_kw"
        if w & {"capacity", "kwh", "size", "energy"}:
            return "bess_capacity_kwh"
        return "asset:bat"
    if w & {"inverter", "pcs"} or "discharge" in w and w & {"power", "rate", "kw"}:
        return "bess_max_power_kw"
    return None
