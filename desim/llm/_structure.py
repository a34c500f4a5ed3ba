"""Forms, ``key=value`` / ``key: value`` text, Q&A, tables and bullet lists.

Structured text is read item by item. An item is a ``label: value`` (or
``=``, ``?``, a dotted leader, a table row). Its label is resolved to a field
by `desim.llm._labels.field_of`. A value under a label that names a field
and starts with a number is read with that field's unit when the value
gives none, and removed from the prose the rest of the parser reads. A label
that names only an asset ("Battery:", "EV:", "Solar:") gives presence or
absence ("none", "n/a", "no", "sold", "planned") and a bare number its usual
unit; the rest of its value stays in the prose behind a marker saying which
asset the item is about, so "Battery: 10 kWh, 5 kW, at 51 %" is read as the
battery's figures.

Tables: a header row whose first cell is generic ("Item", "Asset", "Field")
or an asset makes each row an item: first cell the label, other cells the
value, each prefixed by its header ("Leaves 7:15", "88 kWh"). Columns headed
by another household, the past or the future ("Neighbour", "Planned") are
dropped; a "present" column's yes/no is the item's presence.
"""

from __future__ import annotations

import math
import re
from typing import Any

from desim.llm._guard import accept, fits
from desim.llm._labels import field_of
from desim.llm._scope import CORRECTED, FUTURE, OTHER, PAST
from desim.llm._text import NUM, find_times, to_float

__all__ = ["read_structure", "Structured", "MARKER"]

MARKER = {"bat": " §kbat§ ", "ev": " §kev§ ", "solar": " §ksolar§ "}
_ABSENT = re.compile(r"^\s*(?:(?:none|nope|nil|null|zero|nothing|not installed|not applicable|"
                     r"not yet|not any more|no longer)\b|(?:no|false|n|0|-+|no\s+\w+|not really)"
                     r"\b\s*(?:yet|at all|installed|here|on site|currently|right now|today|now|"
                     r"at ours|at present)?\s*[.!]*\s*(?:[(,;]|$))")
_NONE_NOW = re.compile(r"\b(?:none|nothing|no \w+|not installed|not yet)\s*(?:now|currently|"
                       r"at present|yet|any more|anymore|today|installed)\b|\bnot installed\b|"
                       r"\bnone (?:at ours|here)\b")
_PRESENT = re.compile(r"^\s*(?:yes|y|true|present|installed|yep|yeah)\b\s*[.!]*\s*(?:[(,;]|$)")
_UNKNOWN = re.compile(r"^\s*(?:unknown|\?+|tbd|not sure|unsure|don'?t know|n/?k)\b")
_LEAD = r"^\s*(?:(?:about|approx|approximately|around|roughly|~|at least|at most|up to|only|" \
        r"min(?:imum)?|max(?:imum)?|just over|just under|over|under|nearly|almost|ca|c\.|" \
        r"keep|usually|typically|usable|set to|configured (?:at|to)|\$|§c§)\s*)*"
_BULLET = "[-*+>\u2022\u00b7\u2192\u25cb\u25e6\u25aa\u25cf\u00bb\u2023\u25a0\u25a1\u2043\u2219]+"
_LABEL = re.compile(r"(?:^|(?<=[\n;|])|(?<=[.!?,] )|(?<=\S  )|(?<= / ))[ \t]*(?:" + _BULLET +
                    r"[ \t]*|"
                    r"\(?[a-z0-9][.)][ \t]+)?"
                    r"(?P<label>[a-z][a-z0-9_ /#'+%$&-]{0,60}?(?:[ \t]*\([^)\n]{0,25}\))?)[ \t]*"
                    r"(?P<sep>:(?!\d\d)|[=?]|[ \t][-\u2013][ \t]|\u2192)")
_DROP_COLUMN = re.compile(r"planned|future|neighbou?r|previous|old|sold|quote|later|next|former|"
                          r"on order|ordered|wish")
_OUT_LABEL = re.compile(r"\b(?:planned|future|neighbou?r\w*|previous|former|old|sold|quoted?|"
                        r"on order|ordered|next|wish\w*|parents?'?s?|landlord\w*)\b")
_PRESENCE = {"present", "installed", "have", "has", "status", "now", "ours", "current", "yes/no"}
_GENERIC_HEAD = {"item", "asset", "field", "parameter", "setting", "q", "question", "preference",
                 "household", "", "thing", "equipment", "component", "key", "name", "what",
                 "sys", "system", "category", "kind", "device", "attribute", "type"}
#: table columns whose cells are the item's value itself, not a labelled attribute
_VALUE_HEAD = {"", "value", "detail", "details", "answer", "notes", "spec", "type", "size", "a",
               "model", "make", "unit", "product", "description", "brand", "kind", "what",
               "setting", "response", "info", "entry"}
_ASSET_OF = {"bess_capacity_kwh": "bat", "bess_max_power_kw": "bat", "bess_units": "bat",
             "bess_initial_soc_percent": "bat", "ev_count": "ev", "ev_battery_capacity_kwh": "ev",
             "ev_max_charge_power_kw": "ev", "ev_charge_deadline": "ev",
             "ev_min_departure_soc_percent": "ev", "departure_kwh": "ev",
             "solar_capacity_kw": "solar", "solar_efficiency": "solar"}


_ENERGY_U, _POWER_U = {"kwh", "wh", "mwh"}, {"kw", "w", "mw", "kwp"}
_TIME_U = {"h", "hour", "hours", "hr", "hrs", "d", "day", "days", "minutes", "mins"}
_UNITS_OF = {"bess_capacity_kwh": _ENERGY_U, "ev_battery_capacity_kwh": _ENERGY_U,
             "bess_max_power_kw": _POWER_U, "ev_max_charge_power_kw": _POWER_U,
             "solar_capacity_kw": _POWER_U, "bess_initial_soc_percent": {"%"},
             "ev_min_departure_soc_percent": {"%"}, "max_discharge_percent": {"%"},
             "participation_willingness": {"%"}, "solar_efficiency": {"%"},
             "min_compensation_per_kwh": {"cents", "$"}, "backup_power_hours": _TIME_U | {"%"},
             "reserve": _TIME_U | {"%"}, "ev_count": set(), "bess_units": set()}
_MONEY_U = {"cents", "$"}
_CONTEXT_WORD = {"bat": "battery", "ev": "ev", "solar": "solar"}


class Structured:
    """What the structured reading found: values, spans, warnings and the prose left."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.spans: dict[str, str] = {}
        self.warnings: list[str] = []
        self.absent: set[str] = set()  # assets stated absent ("Battery: none")
        self.usable = False  # the battery capacity read is a usable figure
        self.prose = ""


def _number(value: str) -> tuple[float, str, int] | None:
    m = re.match(_LEAD + NUM.replace(r"(?<![\w.])", "") +
                 r"\s*(kwh|kw\s*h|wh|mwh|kwp|kw|mw|w|watts?|%|percent|cents?|"
                 r"\$|dollars?|usd|hours?|hrs?|h\b|days?|d\b|minutes?|mins?)?", value)
    if m is None or re.match(r"[:.]\d\d(?!\d)\s*(?:am|pm)?", value[m.end(1):]) and \
            not m.group(2):
        return None  # a clock time ("06:35"), not a quantity
    unit = (m.group(2) or "").replace(" ", "")
    unit = {"watt": "w", "watts": "w", "percent": "%", "cent": "cents",
            "dollar": "$", "dollars": "$", "usd": "$"}.get(unit, unit)
    if not unit and "$" in value[:m.start(1)]:
        unit = "$"  # "$0.33 per kWh"
    return to_float(m.group(1)), unit, m.end()


def _fraction(value: str, unit: str, number: float, field: str, out: Structured,
              span: str) -> float | None:
    if unit == "%":
        return number / 100.0
    m = re.search(NUM + r"\s*(?:/|out of|in|of every)\s*(\d{1,3})\b", value)
    if m and float(m.group(2)) > 0:
        return _ratio(to_float(m.group(1)), float(m.group(2)))
    if number > 1.0:
        out.warnings.append(f"{field}: {span!r} is above 1 and has no % sign; a fraction was "
                            "expected, left unset")
        return None
    return number


def _ratio(part: float, whole: float) -> float:
    """"3 out of 4" is 0.75; "60/40" (two shares of 100) is 0.6."""
    return part / 100.0 if part + whole == 100.0 and whole != 100.0 else part / whole


def _convert(field: str, number: float, unit: str, value: str, span: str,
             out: Structured) -> tuple[str, float | None]:
    if field in ("bess_capacity_kwh", "ev_battery_capacity_kwh"):
        return field, number * {"wh": 0.001, "mwh": 1000.0}.get(unit, 1.0)
    if field in ("bess_max_power_kw", "ev_max_charge_power_kw", "solar_capacity_kw"):
        return field, number * {"w": 0.001, "mw": 1000.0}.get(unit, 1.0)
    if field in ("participation_willingness", "solar_efficiency"):
        return field, _fraction(value, unit, number, field, out, span)
    if field == "min_compensation_per_kwh":
        if unit == "cents" or re.search(r"\bcents?\b", span):
            number /= 100.0
        return field, number / 1000.0 if "mwh" in value else number
    hours = {"days": 24.0, "day": 24.0, "d": 24.0, "minutes": 1 / 60, "mins": 1 / 60}
    if field == "backup_power_hours" and unit != "%":
        return field, number * hours.get(unit, 1.0)
    if field in ("reserve", "backup_power_hours"):
        if unit in hours or unit in ("h", "hour", "hours", "hr", "hrs"):
            return "backup_power_hours", number * hours.get(unit, 1.0)
        return "max_discharge_percent", 100.0 - number if 0 <= number <= 100 else number
    return field, number


def _asset(kind: str, value: str, out: Structured) -> str | None:
    """Read an asset item's presence; the prose left for the rest of it, or None if consumed."""
    if _UNKNOWN.match(value):
        return None
    outer = re.sub(r"\([^()]*\)", " ", value)  # a parenthesis has its own scope
    gone = PAST.search(outer) or FUTURE.search(outer) or OTHER.search(outer)
    current = re.search(r"(?<!not )(?<!none )\b(?:currently|now|have|installed|chose|picked|"
                        r"went with|opted for|kept|bought)\b", value)
    zero = re.match(r"\s*0(?:\.0+)?\s*(?:kwh|kw|w|units?|evs?|cars?)?\s*(?:[(,;]|$)", value)
    if _ABSENT.match(value) or zero or _NONE_NOW.search(value) or gone and not current or \
            kind == "ev" and re.search(r"\b(?:gas|gasoline|petrol|diesel|hybrid|plug in hybrid|"
                                       r"phev|ice)\b", value) and \
            not re.search(r"(?<!no )\b(?:electric|bev|evs?)\b", value):
        out.absent.add(kind)
        if kind in ("ev", "solar"):
            out.values[f"has_{kind}"] = False
        if kind == "ev":
            out.values["ev_count"] = 0
        return None
    lead = _number(value)
    refused = lead is not None and not (math.isfinite(lead[0]) and lead[0] >= 0)
    if lead is not None and not refused:  # "Solar: 1e9 kW", "EV: 40": out of range
        field = {("solar", "kw"): "solar_capacity_kw", ("solar", "w"): "solar_capacity_kw",
                 ("ev", ""): "ev_count"}.get((kind, lead[1]))
        scale = 0.001 if lead[1] == "w" else 1.0
        refused = field is not None and not fits(field, lead[0] * scale)
    if kind in ("ev", "solar") and not refused:  # "Solar: -3.5 kW" says nothing of presence
        out.values[f"has_{kind}"] = True
    if _PRESENT.match(value):
        value = _PRESENT.sub("", value, count=1)
        if not value.strip():
            return None
    if re.fullmatch(r"\s*" + NUM + r"\s*", value):
        field = {"bat": "bess_capacity_kwh", "ev": "ev_count", "solar": "solar_capacity_kw"}[kind]
        _read(field, value, value, out)
        return None
    count = re.match(r"\s*(\d{1,2})\b(?!\s*(?:[.:]\d|%|kwh|kw|w\b|x\b|\*|am\b|pm\b|h\b|hours?|"
                     r"a\b|amps?|v\b|volts?|modules?|panels?))", value)
    if kind == "ev" and count:  # "EV(s): 3, all need 75 % by 7"
        _read("ev_count", count.group(1), value, out)
        value = value[count.end():]
    return MARKER[kind] + value


def _departure_kwh(number: float, unit: str, span: str, out: Structured) -> None:
    """A departure target stated in energy: read as a percentage once the EV is known."""
    kwh = number * {"wh": 0.001, "mwh": 1000.0}.get(unit, 1.0)
    if accept("ev_min_departure_soc_percent", kwh, span, out.warnings) is not None:
        out.values["departure_kwh"], out.spans["departure_kwh"] = kwh, span


def _choice(value: str, names: tuple[str, ...]) -> str | None:
    """The one name a value gives, also abbreviated ("mod.", "cons", "aggr", "hi")."""
    found = {n for n in names if re.search(rf"\b{n}\b", value)}
    if not found:
        for word in re.findall(r"[a-z]{2,}", value):
            found |= {n for n in names if len(word) >= 3 and n.startswith(word) or
                      word == {"hi": "high", "med": "medium", "lo": "low"}.get(word, "") == n}
    return next(iter(found)) if len(found) == 1 else None


def _reroute(field: str, unit: str, label_words: str) -> str | None:
    """The field a value's unit shows a label meant, when the label's own field has another unit.

    "What we'd accept for events: 60 c" is money; "Car must have: 49.6 kWh" and
    "Minimum: 68 kWh at departure" are departure energy; "Battery usable: 12.6 kWh" is
    the battery's usable energy.
    """
    if unit in _MONEY_U:
        return "min_compensation_per_kwh"
    if unit in _ENERGY_U:
        if field == "ev_min_departure_soc_percent" or re.search(r"\b(?:depart\w*|leav\w*|"
                                                                r"needed|need|target)\b",
                                                                label_words):
            return "departure_kwh"
        if field in ("reserve", "min_soc"):
            return "reserve_kwh"  # "Reserve (kWh): 4": read as a share once the battery is known
        if field in ("max_discharge_percent", "bess_initial_soc_percent"):
            return "bess_capacity_kwh"
    if unit in _TIME_U and field in ("reserve", "min_soc"):
        return "backup_power_hours"
    return None


def _read(field: str, value: str, span: str, out: Structured) -> str | None:
    """Read one form value into `out`; returns the prose left of the item (None: nothing)."""
    if field.startswith("asset:"):
        return _asset(field[6:], value, out)
    if _UNKNOWN.match(value) or field == "ignore":
        return None
    if CORRECTED in value:  # "40%, updated to §c§35%": the correcting number is the value
        value = CORRECTED + value.split(CORRECTED)[-1]
    if field in ("participation_profile", "ev_priority"):
        names = ("conservative", "moderate", "aggressive") if field == "participation_profile" \
            else ("low", "medium", "high")
        found = _choice(value, names)
        if found is not None:
            out.values[field], out.spans[field] = found, span
            return None
        return span
    if field == "ev_charge_deadline":
        times = find_times(value)
        if len({t.hhmm for t in times}) == 1:
            out.values[field] = times[0].hhmm
        elif re.fullmatch(r"\s*(\d{1,2})\s*", value) and int(value) < 24:
            out.values[field] = f"{int(value):02d}:00"
        elif re.fullmatch(r"\s*([01]\d|2[0-3])([0-5]\d)\s*(?:h|hrs)?\s*", value):  # "0645"
            hhmm = re.sub(r"\D", "", value)
            out.values[field] = f"{hhmm[:2]}:{hhmm[2:]}"
        else:
            return None if _ABSENT.match(value) else span
        out.spans[field] = span
        return None
    has_number = re.search(r"\d", value)
    if field in ("ev_min_departure_soc_percent", "bess_initial_soc_percent") and \
            not has_number and (re.search(r"\b(?:full|fully charged|topped up)\b", value) or
                                _PRESENT.match(value) and re.search(r"\bfull\b", span)):
        out.values[field], out.spans[field] = 100.0, span  # "Fill to: full", "Now: full"
        return None
    if field == "bess_initial_soc_percent" and not has_number and \
            re.match(r"\s*(?:empty|flat|drained)\b", value):
        out.values[field], out.spans[field] = 0.0, span
        return None
    if _ABSENT.match(value) and not re.match(r"\s*0\b", value):
        if field == "ev_count":
            out.values["has_ev"], out.values["ev_count"] = False, 0
        if field == "solar_capacity_kw":
            out.values["has_solar"] = False
            out.absent.add("solar")
        if field == "backup_power_hours":  # "Backup needed? None, we never lose power."
            out.values[field], out.spans[field] = 0.0, span
        return None
    read = _number(value)
    if read is None or re.match(r"\s*(?:x|×|\*|to|or|-)\s*\d", value[read[2]:]):
        return span  # no leading number, or a multiple or a range: the prose grammar reads it
    number, unit, end = read
    if re.match(r"\s*(?:quarters?|thirds?|halves|fifths?|eighths?)\b", value[end:]):
        return span  # "3 quarters": a fraction the grammar did not read, not the number 3
    label = re.split(r"[:=?\u2192]| [-\u2013] ", span, maxsplit=1)[0].strip()
    label_unit = re.search(r"(?:\(|\b|_|\s)(\$/kwh|\$|usd|cents?/kwh|cents|kwh|kw|%|h|hrs|hours|days)"
                           r"\)?\s*$", label) if not unit else None
    if label_unit:  # "Reserve (kWh): 4", "backup_h=6", "Min comp ($/kWh): 0.21"
        found = label_unit.group(1)
        unit = "$" if "$" in found or found == "usd" else "cents" if "cent" in found else \
            {"hrs": "h", "hours": "h"}.get(found, found)
    if unit in ("", "$") and re.match(r"\s*(?:/|per)\s*(?:kwh|kw h|kilowatt)", value[end:]) and \
            field not in ("min_compensation_per_kwh",):
        unit = "$"  # "0.40 USD/kWh" under a label that is not about money
    rest = value[end:]
    if unit and unit not in _UNITS_OF.get(field, {unit}):
        # the label's words and the few right after the number ("68 kWh at departure")
        field = _reroute(field, unit, label + " " + re.split(r"[,;(]", rest)[0][:25]) or ""
        if not field:
            return span  # "money: 13.5 kWh battery": not this field's quantity
    if PAST.search(rest) or FUTURE.search(rest) or OTHER.search(rest):
        if field == "solar_capacity_kw" and not re.search(r"\b(?:currently|now)\b", rest):
            out.values["has_solar"] = False
            out.absent.add("solar")
        out.warnings.append(f"{span!r}: about the past, the future or another household; "
                            "ignored")
        return None
    if re.match(r"\s*[,;]?\s*(?:sorry|no wait|wait|actually|i mean|correction|edit|make that|"
                r"no\b|maybe|or)", rest):
        return span  # a self-correction or an estimate: the prose grammar reads it
    if field == "departure_kwh":
        _departure_kwh(number, unit, span, out)
        return _rest("ev", rest)
    if field == "reserve_kwh":
        kwh = number * {"wh": 0.001, "mwh": 1000.0}.get(unit, 1.0)
        if accept("bess_capacity_kwh", kwh, span, out.warnings) is not None:
            out.values["reserve_kwh"], out.spans["reserve_kwh"] = kwh, span
        return _rest("bat", rest)
    if field == "min_soc":
        field = "reserve"
    nameplate = re.search(r"\b(?:nameplate|nominal|gross|total)\b", span)
    if field == "bess_capacity_kwh" and (out.usable and nameplate):
        return None  # usable energy was read already; a nameplate figure does not replace it
    field, number = _convert(field, number, unit, value, span, out)
    if number is None:
        return None
    if field == "ev_count" and number != int(number):
        out.warnings.append(f"ev_count: {span!r} is not a whole number; left unset")
        return None
    kept = accept(field, int(number) if field in ("ev_count", "bess_units") else number,
                  span, out.warnings)
    if kept is not None:
        out.values[field], out.spans[field] = kept, span
        if field == "ev_count" and kept == 0:
            out.values["has_ev"] = False
        if field == "bess_capacity_kwh" and re.search(r"\busable\b", span):
            out.usable = True
    return _rest(_ASSET_OF.get(field), rest)


def _rest(asset: str | None, rest: str) -> str | None:
    """What follows a form value's number, as prose about the item's asset, if anything."""
    rest = rest.strip(" ,;")
    if not re.search(r"[a-z]{2,}|\d", rest) or re.fullmatch(r"\W*(?:each|total|(?:/|per) \w+|"
                                                            r"combined|usable|dc|ac)?\W*", rest):
        return None
    return (MARKER[asset] if asset else " ") + rest


def _cells(line: str) -> list[str]:
    if "|" in line:
        return [c.strip() for c in line.strip().strip("|").split("|")]
    return [c.strip() for c in re.split(r"\s{2,}|\t", line.strip())]


_PER_UNIT = re.compile(r"^(k?wh?)\s*(?:/|per)\s*(?:module|unit|battery|pack|panel|car|ev)s?$|"
                       r"^(k?wh?)\s*(?:each|\(each\))$")
_COUNT_HEAD = {"qty", "count", "quantity", "number", "units", "#", "no", "n", "pcs"}
_UNIT_HEAD = re.compile(r"^(?:k?wh?|%|kwp|\$/kwh|cents?/kwh|h|hours?)$")
_EMPTY_CELL = re.compile(r"[-\u2014\u2013?]*")


def _is_data(row: list[str]) -> bool:
    """Whether a first table row holds values (digits) rather than column names."""
    return any(re.search(r"\d", c) for c in row[1:])


def _cell(header: str, cell: str, ev_row: bool) -> tuple[str, str]:
    """(kind, text) of one cell under its column header: "presence", "value" or "part"."""
    h = header
    if h in _PRESENCE:
        return "presence", cell
    if h in _VALUE_HEAD:
        return "part", cell
    if h in _COUNT_HEAD:
        return "part", "none" if cell.strip() == "0" else f"{cell} x"
    per_unit = _PER_UNIT.match(h)
    if per_unit:
        return "part", f"{cell} {per_unit.group(1) or per_unit.group(2)} each"
    if ev_row and re.fullmatch(r"(?:battery|batt|capacity|pack)(?: size)?(?: \(?kwh\)?)?", h):
        h = "pack"  # an EV's battery column: the car's pack, not a home battery
    if _UNIT_HEAD.match(h):
        return "part", f"{cell} {h}"
    unit = re.search(r"\(?\b(k?wh?|%)\)?$", h)
    if unit and re.fullmatch(NUM[len(r"(?<![\w.])"):], cell):
        return "part", f"{h[:unit.start()].strip()} {cell} {unit.group(1)}"
    return "part", f"{h} {cell}"


def _table_items(rows: list[list[str]]) -> list[tuple[str, str]]:
    rows = [r for r in rows if not all(re.fullmatch(r"[:\-=+ ~]*", c) for c in r)]
    if not rows:
        return []
    header = [h.lower() for h in rows[0]]
    width = max(len(r) for r in rows)
    if all(field_of(r[0]) is not None for r in rows) and _is_data(rows[0]):
        # no header: "BATT  PW+  SOC 65%" / "PV  9.0 kWdc  eff 0.85"
        return [(r[0], ", ".join(c for c in r[1:] if not _EMPTY_CELL.fullmatch(c.strip())))
                for r in rows]
    first = field_of(header[0]) or ""
    entity = width >= 2 and len(rows) > 1 and (
        header[0] in _GENERIC_HEAD or first.startswith("asset")) and \
        any(field_of(h) not in (None, "ignore") or h in _PRESENCE | _COUNT_HEAD |
            _VALUE_HEAD - {""} for h in header[1:]) and field_of(rows[1][0]) is None
    if width == 2 and not entity:
        unit = header[1] if _UNIT_HEAD.match(header[1]) else ""
        if header[0] in _GENERIC_HEAD or unit or field_of(header[0]) in (None, "ignore") and \
                field_of(header[1]) in (None, "ignore"):
            rows = rows[1:]  # "Field | Value": a header over label/value rows
        return [(r[0].rstrip("?:"), (f"{r[1]} {unit}" if unit and re.match(r"\s*[\d.~]", r[1])
                                     else r[1]) if len(r) > 1 else "") for r in rows]
    if width == 2 or entity or header[0] in _GENERIC_HEAD or first.startswith("asset") or \
            field_of(rows[1][0] if len(rows) > 1 else "") is not None:
        items = []
        for r in rows[1:]:
            label, parts, presence = r[0], [], ""
            if first.startswith("asset") and field_of(label) is None:
                parts.append(label)  # "Vehicle | Mach-E ER | ...": the label is the header
                label = header[0]
            ev_row = (field_of(label) or "") == "asset:ev"
            for h, c in zip(header[1:], r[1:], strict=False):
                if not c or _DROP_COLUMN.search(h) or OTHER.search(h) or \
                        _EMPTY_CELL.fullmatch(c.strip()) and h not in _COUNT_HEAD | _PRESENCE:
                    continue
                kind, text = _cell(h, c, ev_row)
                if kind == "presence":
                    presence = c
                else:
                    parts.append(text)
            value = ", ".join(parts).replace(" x, ", " x ")
            if all(_ABSENT.match(c) for c in r[1:] if c.strip()):
                value = "none"
            items.append((label, f"{presence}, {value}" if presence else value))
        return items
    if any(_PER_UNIT.match(h) for h in header) or any(h in _COUNT_HEAD for h in header):
        lines = []  # one-row spec tables: "Battery modules | kWh/module | kW/module"
        for r in rows[1:]:
            parts = []
            for h, c in zip(header, r, strict=False):
                per_unit = _PER_UNIT.match(h)
                parts.append(f"{c} {per_unit.group(1) or per_unit.group(2)} each" if per_unit
                             else f"{c} {h}")
            lines.append(("", ", ".join(parts)))
        return lines
    if all(field_of(h) not in (None, "ignore") for h in header if h):
        return [(h, c) for r in rows[1:] for h, c in zip(header, r, strict=False) if h]
    return []


def _tables(text: str) -> str:
    """Tables (pipe or aligned columns) rewritten as one "label: value" item per line."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        pipe = lines[i].count("|") >= 2
        while j < len(lines) and (lines[j].count("|") >= 2 if pipe else
                                  len(_cells(lines[j])) >= 2 and ":" not in lines[j][:30]):
            j += 1
        if j - i >= 2:
            items = _table_items([_cells(line) for line in lines[i:j]])
            out.extend((f"{label}: {value}" if label else value) for label, value in items) \
                if items else out.extend(lines[i:j])
            i = j
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def read_structure(text: str) -> Structured:
    """Read the structured items of normalized `text`; the rest is `prose`."""
    out = Structured()
    prose = _tables(text)
    questions = set()

    def question(m: re.Match) -> str:
        questions.add(m.group(1).strip())
        return m.group(1) + ": "

    prose = re.sub(r"\bq\s*[:.]\s*([^\n]*?)\?\s*a\s*[:.]\s*", question, prose)  # Q: ...? A: ...
    if re.search(r'"[a-z_][\w ()%$/-]*"\s*:', prose):  # JSON: one "key: value" a line
        prose = re.sub(r'"([a-z_][\w ()%$/-]*)"\s*:\s*', r"\n\1: ", prose)
        prose = re.sub(r'"([^"\n]*)"', r"\1", re.sub(r"[{}\[\]]", "\n", prose))
    matches = list(_LABEL.finditer(prose))
    keep, last = [], 0
    context: str | None = None  # the asset of the last item read ("Min SOC" under an EV)
    for k, m in enumerate(matches):
        end = matches[k + 1].start() if k + 1 < len(matches) else len(prose)
        cut = re.search(r"[\n;|]|\.\s", prose[m.end():end])
        end = m.end() + cut.start() if cut else end
        value = prose[m.end():end].strip().rstrip(",./ ")
        label = m.group("label")
        field = field_of(label)
        if field is None and context is not None:  # "Solar:" then "size_kw: 9.9"
            under = field_of(f"{_CONTEXT_WORD[context]} {label}")
            field = under if under and not under.startswith("asset") and \
                _ASSET_OF.get(under) == context else None
        after_comma = prose[max(0, m.start() - 2):m.start()] == ", "
        # a label of seven or eight words only with a short value: a long label before a
        # long value is a sentence with a colon in it ("Family in it for the money: ...")
        longest = 12 if label.strip() in questions else \
            6 if after_comma or len(value.split()) > 6 else 8
        if field is None or len(label.split()) > longest:
            continue  # a long "label" is a sentence with a colon in it
        if m.group("sep") == "?" and not field.startswith("asset"):
            continue
        if field.startswith("asset:") and re.match(r"\s*(?:no|not|without|never)\b", label):
            continue  # "no solar - just a house": prose, not a label
        span = prose[m.start():end].strip()
        if _OUT_LABEL.search(label):  # "EV on order: ...", "Planned solar: 8 kW"
            out.warnings.append(f"{span!r}: about the past, the future or another household; "
                                "ignored")
            keep.append(prose[last:m.start()])
            keep.append(". ")
            last = end
            continue
        if field == "min_soc":
            field = "ev_min_departure_soc_percent" if context == "ev" else "min_soc"
        left = _read(field, value, span, out)
        context = field[6:] if field.startswith("asset:") else _ASSET_OF.get(field, context)
        if left and field.startswith("asset:"):
            left = label + left  # keep the label's words ("Careful with the battery")
        if left == span:
            continue
        keep.append(prose[last:m.start()])
        keep.append(f". {left or ''}")
        last = end
    keep.append(prose[last:])
    out.prose = re.sub(r"[ \t]+", " ", "".join(keep))
    return out
