"""Forms, ``key=value`` / ``key: value`` text, tables and bullet lists.

Structured text is read item by item: each ``label: value`` (or ``=``, or a
two-column table row, or a header row over value rows) has its label
resolved to a field by the words it contains ("battery_capacity_kwh",
"Storage size (kWh)", "EV charger kW", "min. payment"). A value under a
label that names a field is read with that field's unit when the value
gives none; the item is then removed from the prose the rest of the parser
reads. A label that names only an asset ("Battery:", "EV:", "Solar:") gives
presence or absence ("none", "n/a", "yes") and a bare number its usual
unit; anything else in it is left to the prose reader.
"""

from __future__ import annotations

import re
from typing import Any

from desim.llm._guard import accept
from desim.llm._text import NUM, find_times, to_float

__all__ = ["read_structure", "Structured"]

_BAT = {"battery", "batteries", "bess", "storage", "powerwall", "ess", "home battery"}
_EV = {"ev", "evs", "car", "cars", "vehicle", "vehicles", "auto", "truck"}
_SOLAR = {"solar", "pv", "panels", "panel", "array", "photovoltaic", "rooftop"}
_ABSENT = re.compile(r"^\s*(?:none|no|nope|false|n|0|-+|nil|null|not installed|not applicable|"
                     r"not yet|no\s+\w+|zero)\s*\.?\s*$")
_PRESENT = re.compile(r"^\s*(?:yes|y|true|present|installed)\s*\.?\s*$")
_UNKNOWN = re.compile(r"^\s*(?:unknown|\?+|tbd|not sure|unsure|don'?t know|n/?k)\s*\.?\s*$")
_LABEL = re.compile(r"(?:^|(?<=[\n;|,(]))[ \t]*(?:[-*\u2022\u00b7]+[ \t]*|\(?[a-z0-9][.)][ \t]+)?"
                    r"(?P<label>[a-z][a-z_ /()#.'+%$]{0,40}?)[ \t]*(?P<sep>[:=]|\s[-\u2013]\s)")


class Structured:
    """What the structured reading found: values, spans, warnings and the prose left."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.spans: dict[str, str] = {}
        self.warnings: list[str] = []
        self.absent: set[str] = set()  # assets stated absent ("Battery: none")
        self.prose = ""


def _words(label: str) -> set[str]:
    label = re.sub(r"([a-z])([A-Z])", r"\1 \2", label).lower()
    return set(re.findall(r"[a-z]+|%|\$", label.replace("_", " ")))


def field_of(label: str) -> str | None:
    """The config field a form label names, "asset:<kind>" for a bare asset, else None."""
    w = _words(label)
    bat, ev, solar = bool(w & _BAT), bool(w & _EV), bool(w & _SOLAR)
    if "priority" in w:
        return "ev_priority"
    if "profile" in w or "attitude" in w or "risk" in w:
        return "participation_profile"
    if w & {"willingness", "willing"}:
        return "participation_willingness"
    if w & {"compensation", "payment", "price", "pay", "payout", "incentive"}:
        return "min_compensation_per_kwh"
    if w & {"backup", "autonomy", "outage"}:
        return "backup_power_hours"
    if w & {"efficiency", "derate"}:
        return "solar_efficiency"
    if w & {"dod"} or "discharge" in w and not w & {"power", "rate", "kw"}:
        return "max_discharge_percent"
    if w & {"reserve", "floor"}:
        return "reserve"
    if w & {"deadline", "departure", "depart", "departs", "leave", "leaves", "leaving",
            "ready", "unplug"}:
        return "ev_min_departure_soc_percent" if w & {"soc", "%", "target", "charge"} else \
            "ev_charge_deadline"
    if ev and w & {"target", "soc"}:
        return "ev_min_departure_soc_percent"
    if w & {"has"} and (ev or solar):
        return "has_ev" if ev else "has_solar"
    if ev:
        if w & {"count", "number", "num", "n", "qty", "quantity", "many", "evs", "cars",
                "vehicles"} and not w & {"capacity", "kwh", "charger", "kw"}:
            return "ev_count"
        if w & {"charger", "charging", "power", "kw", "rate", "level", "l"}:
            return "ev_max_charge_power_kw"
        if w & {"capacity", "kwh", "battery", "pack", "size"}:
            return "ev_battery_capacity_kwh"
        return "asset:ev"
    if w & {"charger", "charging"}:
        return "ev_max_charge_power_kw"
    if solar:
        return "solar_capacity_kw" if w & {"capacity", "kw", "size", "kwp", "rating",
                                            "system", "dc"} else "asset:solar"
    if bat:
        if w & {"power", "kw", "rate", "rating", "inverter", "output"} and "kwh" not in w:
            return "bess_max_power_kw"
        if w & {"soc", "level", "initial", "current", "state", "now", "charged"}:
            return "bess_initial_soc_percent"
        if w & {"capacity", "kwh", "size", "energy", "usable"}:
            return "bess_capacity_kwh"
        return "asset:bat"
    if w & {"soc"}:
        return "bess_initial_soc_percent"
    return None


_ENERGY = {"kwh": 1.0, "wh": 0.001, "mwh": 1000.0}
_POWER = {"kw": 1.0, "w": 0.001, "kwp": 1.0, "mw": 1000.0}


def _number(value: str) -> tuple[float, str] | None:
    m = re.search(NUM + r"\s*(kwh|kw\s*h|wh|mwh|kwp|kw|mw|w|watts?|%|percent|cents?|c\b|"
                  r"\$|dollars?|hours?|hrs?|h\b|days?|d\b|minutes?|mins?)?", value)
    if m is None:
        return None
    unit = (m.group(2) or "").replace(" ", "")
    unit = {"watt": "w", "watts": "w", "percent": "%", "cent": "cents", "c": "cents",
            "dollar": "$", "dollars": "$"}.get(unit, unit)
    return to_float(m.group(1)), unit


def _fraction(value: str, unit: str, number: float, field: str, warnings: list[str],
              span: str) -> float | None:
    if unit == "%":
        return number / 100.0
    m = re.search(NUM + r"\s*(?:/|out of)\s*(10|100)\b", value)
    if m:
        return to_float(m.group(1)) / float(m.group(2))
    if number > 1.0:
        warnings.append(f"{field}: {span!r} is above 1 and has no % sign; a fraction was "
                        "expected, left unset")
        return None
    return number


def _read(field: str, value: str, span: str, out: Structured) -> bool:
    """Read one form value into `out`; False when the value is left to the prose reader."""
    w = out.warnings
    if _UNKNOWN.match(value):
        return True
    if field.startswith("asset:"):
        kind = field[6:]
        if _ABSENT.match(value):
            out.absent.add(kind)
            if kind in ("ev", "solar"):
                out.values[f"has_{kind}"] = False
            return True
        if _PRESENT.match(value) and kind in ("ev", "solar"):
            out.values[f"has_{kind}"] = True
            return True
        if not re.fullmatch(r"\s*" + NUM + r"\s*", value):
            return False
        field = {"bat": "bess_capacity_kwh", "ev": "ev_count", "solar": "solar_capacity_kw"}[kind]
    if field in ("has_ev", "has_solar"):
        if _PRESENT.match(value) or _ABSENT.match(value):
            out.values[field] = bool(_PRESENT.match(value))
            return True
        return False
    if field in ("participation_profile", "ev_priority"):
        names = ("conservative", "moderate", "aggressive") if field == "participation_profile" \
            else ("low", "medium", "high")
        found = [n for n in names if n in value]
        if len(found) == 1:
            out.values[field] = found[0]
            out.spans[field] = span
            return True
        return False
    if field == "ev_charge_deadline":
        times = find_times(value)
        if len(times) == 1:
            out.values[field] = times[0].hhmm
        elif re.fullmatch(r"\s*(\d{1,2})\s*", value) and int(value) < 24:
            out.values[field] = f"{int(value):02d}:00"
        else:
            return bool(_ABSENT.match(value))
        out.spans[field] = span
        return True
    if _ABSENT.match(value) and field != "reserve" and not re.match(r"\s*0\b", value):
        if field == "ev_count":
            out.values["has_ev"], out.values["ev_count"] = False, 0
        if field == "solar_capacity_kw":
            out.values["has_solar"] = False
        return True
    if len(re.findall(NUM, value)) > 1 and "panel" in value or "x" in value.split():
        return False  # panel counts and multiples: the prose reader's quantity grammar
    read = _number(value)
    if read is None:
        return False
    number, unit = read
    if field in ("bess_capacity_kwh", "ev_battery_capacity_kwh"):
        number *= _ENERGY.get(unit, 1.0)
    elif field in ("bess_max_power_kw", "ev_max_charge_power_kw", "solar_capacity_kw"):
        number *= _POWER.get(unit, 1.0)
    elif field in ("participation_willingness", "solar_efficiency"):
        fraction = _fraction(value, unit, number, field, w, span)
        if fraction is None:
            return True
        number = fraction
    elif field == "min_compensation_per_kwh":
        if unit == "cents" or "cent" in span or "¢" in span:
            number /= 100.0
        if "mwh" in value:
            number /= 1000.0
    elif field == "backup_power_hours" and unit == "%":
        field, number = "max_discharge_percent", 100.0 - number if 0 <= number <= 100 else -1.0
    elif field == "backup_power_hours":
        number *= {"days": 24.0, "day": 24.0, "d": 24.0, "minutes": 1 / 60, "minute": 1 / 60,
                   "mins": 1 / 60, "min": 1 / 60}.get(unit, 1.0)
    elif field == "reserve":
        if unit in ("h", "hour", "hours", "hr", "hrs"):
            field = "backup_power_hours"
        else:
            field = "max_discharge_percent"
            number = 100.0 - number if 0 <= number <= 100 else -1.0
    elif field == "ev_count" and number != int(number):
        w.append(f"ev_count: {span!r} is not a whole number; left unset")
        return True
    kept = accept(field, int(number) if field == "ev_count" else number, span, w)
    if kept is not None:
        out.values[field] = kept
        out.spans[field] = span
    return True


def _table_items(lines: list[str]) -> list[tuple[str, str]]:
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    rows = [r for r in rows if not all(re.fullmatch(r":?-{2,}:?", c) or not c for c in r)]
    if not rows:
        return []
    if all(len(r) == 2 for r in rows):
        return [(r[0], r[1]) for r in rows]
    header = rows[0]
    if len(rows) >= 2 and all(field_of(h) is not None for h in header if h):
        return [(h, c) for r in rows[1:] for h, c in zip(header, r, strict=False) if h]
    return []


def read_structure(text: str) -> Structured:
    """Read the structured items of normalized `text`; the rest is `prose`."""
    out = Structured()
    lines = text.split("\n")
    prose_lines: list[str] = []
    i = 0
    while i < len(lines):  # tables: runs of lines with two or more "|"
        j = i
        while j < len(lines) and lines[j].count("|") >= 2:
            j += 1
        if j - i >= 2 or (j - i == 1 and lines[i].strip().startswith("|")):
            items = _table_items(lines[i:j])
            leftover = []
            for label, value in items:
                field = field_of(label)
                if field is None or not _read(field, value, f"{label}: {value}", out):
                    leftover.append(f"{label} {value}")
            prose_lines.append(". ".join(leftover) + "." if items else " ".join(lines[i:j]))
            i = j
            continue
        prose_lines.append(lines[i])
        i += 1
    prose = "\n".join(prose_lines)
    matches = list(_LABEL.finditer(prose))
    keep, last = [], 0
    for k, m in enumerate(matches):
        end = matches[k + 1].start() if k + 1 < len(matches) else len(prose)
        cut = re.search(r"[\n;|]", prose[m.end():end])
        end = m.end() + cut.start() if cut else end
        value = prose[m.end():end].strip().rstrip(",.")
        field = field_of(m.group("label"))
        if field is None or m.group("sep").strip() == "-" and not field.startswith("asset"):
            continue
        span = prose[m.start():end].strip()
        if _read(field, value, span, out):
            keep.append(prose[last:m.start()])
            keep.append(". ")
            last = end
    keep.append(prose[last:])
    out.prose = "".join(keep)
    return out
