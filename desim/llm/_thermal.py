"""Thermal loads in a description: air conditioner or heat pump, setpoint, water heater.

Read on the rule parser's `Doc` (normalized prose, clause scope), so another
household's, a past or a planned unit says nothing about this one. Guards:

* a water heater phrase ("heat pump water heater", "HPWH", "water heater: heat
  pump") is never read as the home's heat pump;
* "AC" as alternating current ("7.6 kW AC", "AC-coupled", "Level 2 AC charger")
  and a car's own heat pump or AC ("our Model Y has a heat pump") are not a unit;
* a temperature is a setpoint only near a thermostat or setting word
  ("thermostat at 78", "we keep it at 76 F", "set the heat pump to 20 C"), not an
  outdoor reading ("95 F outside", "it was 95 F") and not in a clause about the
  battery or a car. Bare degrees are Fahrenheit from 50 to 90 and Celsius from 15
  to 30; 31-49 could be either and stays unset; several different setpoints stay
  unset (the text does not say which one the unit keeps).
"""

from __future__ import annotations

import re
from typing import Any

from desim.llm._doc import NEG_WORDS, Doc

__all__ = ["read_thermal"]

_AC = re.compile(r"\b(?:central air(?: conditioning| conditioners?)?|air condition(?:ing|ers?|ed)|"
                 r"air con|a/c|ac(?: units?)?|window (?:ac|a/c|air conditioners?|units?))(?![\w/])")
_HP = re.compile(r"\b(?:(?:air|ground|water) source heat pumps?|geothermal heat pumps?|heat pumps?|"
                 r"mini splits?|minisplits?|ductless(?: mini splits?| splits?| units?| heat pumps?)?)"
                 r"\b")
#: "AC" as alternating current, before or after the word
_CURRENT_BEFORE = re.compile(r"(?:\d\s*|\bkw\s*|\bkva\s*|\bv\s*|\bvolts?\s*|\blevel \d\s*|\bl\d\s*|"
                             r"\bdc\s*(?:to|/|and|or|vs)\s*|/\s*|\bto\s*|\bfrom\s*)$")
_CURRENT_AFTER = re.compile(r"^\s*(?:/|coupled|coupling|charg\w*|output|input|power|side|rat\w*|"
                            r"current|circuit|disconnect|breaker|wiring|volt\w*|port|cable|adapter|"
                            r"inverter|batter\w*|capacity|kw|kwh|limit|nameplate|connect\w*|grid|"
                            r"outlet|supply|line|level|l2|evse|wall ?box|plug)\b")
_NOT_SPACE = re.compile(r"^\s*(?:\(\s*hpwh\s*\)|dryers?|tumble|pool|spa|for (?:the )?(?:pool|spa|"
                        r"hot tub|hot water|water))")
_NOT_SPACE_BEFORE = re.compile(r"\b(?:pool|spa|hot tub|dryer)\s*$")

_WH = r"(?:water heat(?:ers?|ing)|hot water(?: heaters?| tanks?| systems?| cylinders?)?)"
_WATER = (
    ("heat_pump", re.compile(r"\b(?:heat pump (?:water heaters?|hot water(?: heaters?| tanks?| "
                             r"systems?| cylinders?)?|tanks?)|hpwh|hybrid (?:electric )?water "
                             r"heaters?)\b")),
    ("resistance", re.compile(r"\b(?:electric(?:al)?(?: resistance)?(?: tankless)?(?: storage)? "
                              r"(?:water heaters?|hot water(?: heaters?| tanks?| cylinders?)?|tanks?)"
                              r"|tankless electric water heaters?)\b")),
    ("gas", re.compile(r"\b(?:natural gas|gas|propane|lp|oil)(?: fired)?(?: tankless)? " + _WH +
                       r"|tankless (?:gas|propane) water heaters?")),
    (None, re.compile(r"\b" + _WH + r"\s*(?:[:=\-]|is|runs on|uses|is on|is heated by|heated by)?"
                      r"\s*(?:an? |the )?(?:(?P<hp>heat pump|hybrid|hpwh)|(?P<el>electric(?:al)?|"
                      r"resistance)|(?P<gas>gas|propane|natural gas|oil))\b")),
)

_NEG = NEG_WORDS | {"isn't", "isnt", "aren't", "wasn't", "haven't", "hasn't", "nope"}
_VEHICLE = {"car", "cars", "ev", "evs", "vehicle", "vehicles", "truck", "tesla", "suv", "cabin"}
_BREAK = {",", ".", ";", "!", "?", ":", "\n", "but", "and", "plus", "with", "while", "though",
          "although", "whereas", "also"}

_TEMP = re.compile(r"(?<![\w.$:/])(\d{2}(?:\.\d)?)(?![\d:]|\.\d)\s*(?P<deg>(?:°|º|˚)\s*|degrees?\s*|"
                   r"deg\s*)?(?P<unit>fahrenheit|celsius|centigrade|f|c)?(?![\w%])")
_OUTDOOR_AFTER = re.compile(r"^\s*(?:outside|outdoors?|out\b|out there|today|yesterday|in the shade|"
                            r"highs?|lows?|weather|heat wave|days?|nights?|afternoons?)")
_OUTDOOR_BEFORE = re.compile(r"\b(?:outside|outdoors?|weather|forecast|highs? of|lows? of|highs?|"
                             r"lows?|temperatures? (?:hit|reach\w*|was|were|of)|it (?:was|is|gets|got|"
                             r"hits?|reached)|it's|heat wave|ambient|climbs? to|reach(?:es|ed)?|hit|"
                             r"hits|over|above|below|under|summers? (?:are|is)|winters? (?:are|is))"
                             r"\s*(?:about |around |nearly |almost |up to )?$")
_SET_CUE = re.compile(r"(?:\bthermostats?|\bset ?points?|\bset(?:s|ting)?(?: it| the \w+(?: \w+)?)?"
                      r"(?: to| at| on| around)|\bkeeps?(?: it| the \w+| things| ours?)? (?:at|around|"
                      r"to|near)|\bkept at|\b(?:cools?|heats?)(?: it| the (?:house|home|place))? to|"
                      r"\b(?:house|home|inside|indoors|temperature|temp) (?:is |stays |sits )?"
                      r"(?:at|around)|\bstays? (?:at|around)|\bruns? at|\bis at|\bis set to)"
                      r"(?:\s+(?:is|at|to|on|around|about|of))?\s*[:=]?\s*$")
_THERMAL_WORDS = {"thermostat", "thermostats", "setpoint", "heating", "cooling"}
_FAHRENHEIT = (50.0, 90.0)
_CELSIUS = (15.0, 30.0)


def _negated(doc: Doc, k: int) -> bool:
    """"no AC", "we don't have air conditioning", "Air conditioning: none"; not "no battery
    and central air" (the negation ends at "and")."""
    for j in range(k - 1, max(-1, k - 6), -1):
        tok = doc.tokens[j][0]
        if tok in _BREAK or tok in ("(", ")"):
            break
        if tok in _NEG and not (tok == "no" and j + 1 < len(doc.tokens) and
                                     doc.tokens[j + 1][0] in ("wait", ",", ".", "!")):
            return True
    after = [t for t, _ in doc.tokens[k + 1:k + 6]]
    while after and after[0] in ("conditioning", "conditioner", "air", "units", "unit", "pump",
                                 "pumps", "split", "splits"):
        after.pop(0)
    return after[:2] in ([":", "none"], ["=", "none"], ["-", "none"], [":", "no"], ["=", "no"]) \
        or after[:1] == ["none"]


def _vehicle_owned(doc: Doc, k: int) -> bool:
    """A car's own heat pump or AC: "our Model Y has a heat pump", "the car's AC"."""
    for j in range(k - 1, max(-1, k - 6), -1):
        tok = doc.tokens[j][0].removesuffix("'s")
        if tok in _BREAK:
            return False
        if tok in _VEHICLE or tok.startswith("§e"):
            return True
    return False


def _mentions(doc: Doc, blocked: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
    """(kind, start, end) of each air conditioner and heat pump phrase, guards applied."""
    text = doc.text
    out = []
    for kind, pattern in (("heat_pump", _HP), ("ac", _AC)):
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in blocked):
                continue
            if any(a <= m.start() < b for _, a, b in out):
                continue
            before, after = text[max(0, m.start() - 20):m.start()], text[m.end():m.end() + 25]
            if kind == "heat_pump" and (_NOT_SPACE.match(after) or _NOT_SPACE_BEFORE.search(before)):
                continue
            if m.group(0) in ("ac", "ac unit", "ac units", "a/c") and (
                    _CURRENT_BEFORE.search(before) or _CURRENT_AFTER.match(after)):
                continue
            if _vehicle_owned(doc, doc.token_at(m.start())):
                continue
            out.append((kind, m.start(), m.end()))
    return sorted(out, key=lambda x: x[1])


def _water(doc: Doc, values: dict[str, Any], unsure: set[str]) -> list[tuple[int, int]]:
    """Water heater fields; returns the spans of the water heater phrases."""
    spans, pos_kinds, negative = [], set(), False
    for kind, pattern in _WATER:
        for m in pattern.finditer(doc.text):
            if any(a < m.end() and m.start() < b for a, b in spans):
                continue
            spans.append((m.start(), m.end()))
            said = kind or ("heat_pump" if m.group("hp") else "resistance" if m.group("el")
                            else "gas")
            if doc.scope_at(m.start()) is not None:
                continue
            if _negated(doc, doc.token_at(m.start())):
                negative = negative or said != "gas"
            else:
                pos_kinds.add(said)
    electric = pos_kinds - {"gas"}
    if electric:
        values["has_water_heater_electric"] = True
        if len(electric) == 1:
            values["water_heater_kind"] = electric.pop()
        else:
            unsure.add("water_heater_kind")
    elif "gas" in pos_kinds or negative:
        values["has_water_heater_electric"] = False
    return spans


def _setpoints(doc: Doc, mentions: list[tuple[str, int, int]], warnings: list[str]
               ) -> list[float]:
    text = doc.text
    thermal_at = [a for _, a, _ in mentions] + [p for t, p in doc.tokens if t in _THERMAL_WORDS]
    found: list[float] = []
    last_sentence = -1  # the sentence of the last setpoint: "78 F in summer and 68 F in winter"
    for m in _TEMP.finditer(text):
        if doc.scope_at(m.start()) is not None:
            continue
        before, after = text[max(0, m.start() - 40):m.start()], text[m.end():m.end() + 20]
        if _OUTDOOR_AFTER.match(after) or _OUTDOOR_BEFORE.search(before):
            continue
        k = doc.token_at(m.start())
        sid = doc.sentence_of[k]
        thermal = [p for p in thermal_at if doc.sentence_of[doc.token_at(p)] == sid]
        unit = m.group("unit") or ""
        cue = _SET_CUE.search(before) or sid == last_sentence and (unit or m.group("deg"))
        if not cue or not (unit or m.group("deg") or thermal):
            continue
        if not thermal and not unit and not m.group("deg"):
            continue
        last_thermal = max((p for p in thermal if p < m.start()), default=-1)
        last_asset = max((doc.tokens[j][1] for j in range(k) if doc.sentence_of[j] == sid and
                          doc.kinds[j] in ("bat", "ev", "solar")), default=-1)
        if last_asset > last_thermal:
            continue  # "the battery is kept above 10 C", "the car preconditions to 72 F"
        value = float(m.group(1))
        last_sentence = sid
        if unit.startswith("f"):
            found.append((value - 32.0) * 5.0 / 9.0)
        elif unit.startswith("c"):
            found.append(value)
        elif _FAHRENHEIT[0] <= value <= _FAHRENHEIT[1]:
            found.append((value - 32.0) * 5.0 / 9.0)
        elif _CELSIUS[0] <= value <= _CELSIUS[1]:
            found.append(value)
        else:
            warnings.append(f"hvac_setpoint_c: {m.group(0).strip()!r} could be Fahrenheit or "
                            "Celsius (or is no setpoint); left unset")
            found.append(float("nan"))
    return found


def read_thermal(doc: Doc, warnings: list[str]) -> tuple[dict[str, Any], set[str], list[int]]:
    """Thermal field values, unsure fields and the tokens naming this home's unit.

    The tokens are marked so a power figure next to the unit ("the AC draws 3.5 kW")
    is not given to the battery.
    """
    values: dict[str, Any] = {}
    unsure: set[str] = set()
    blocked = _water(doc, values, unsure)
    mentions = _mentions(doc, blocked)
    positive: set[str] = set()
    negative = False
    marks = []
    for kind, start, _ in mentions:
        scope = doc.scope_at(start)
        if scope is not None:
            later = [s for a, _, s in doc.scopes if a > start]
            if scope in ("other", "past") and later[:1] == ["absent"]:
                negative = True  # "the neighbours have AC; we don't"
            continue
        k = doc.token_at(start)
        if _negated(doc, k):
            negative = True
            continue
        positive.add(kind)
        marks.append(k)
    if positive:
        values["has_hvac"] = True
        values["hvac_kind"] = "heat_pump" if "heat_pump" in positive else "ac"
    elif negative:
        values["has_hvac"] = False
    if values.get("has_hvac") is not False:
        found = _setpoints(doc, [m for m in mentions if doc.scope_at(m[1]) is None], warnings)
        distinct = {round(v, 6) for v in found if v == v}  # nan: an ambiguous reading
        if len(distinct) == 1 and all(v == v for v in found):
            values["hvac_setpoint_c"] = found[0]
        elif found:
            unsure.add("hvac_setpoint_c")
            if len(distinct) > 1:
                warnings.append("hvac_setpoint_c: several different setpoints "
                                f"({', '.join(f'{v:.1f} C' for v in sorted(distinct))}); left unset")
    return values, unsure, marks
