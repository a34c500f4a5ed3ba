"""Numbers with units in a parsed description, each tied to the asset it is about.

The grammar of a quantity: a number (sign, decimals and exponent kept, so
"-40" and "1e9" are read as written and refused later, never trimmed into
something plausible), a unit, and an optional multiplier ("2 x 5 kWh",
"three 5 kWh units", "5 kWh x 3" give 15 kWh of home battery). A range
("10 to 12 kWh", "between 10 and 12") is not one number: it is ignored with
a warning. A number in a clause about another household, the past or the
future (see `desim.llm._scope`) is skipped.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, insort
from typing import TYPE_CHECKING

from desim.llm._doc import BAT_WORDS, SOLAR_WORDS
from desim.llm._text import NUM, find_times, to_float

if TYPE_CHECKING:
    from desim.llm._doc import Doc

_N = NUM
_PANELS = [
    re.compile(rf"(?<![\w.])(\d+)\s*(?:x\s*|@\s*|(?:[a-z]+\s+){{1,3}}?)?{_N}\s*(?:w|watts?)\b\s*"
               r"(?:[a-z]+\s+)?(?:solar\s+|pv\s+)?(?:panels?|modules?)"),
    re.compile(rf"(?<![\w.])(\d+)\s+(?:solar\s+|pv\s+)?(?:panels?|modules?)\s+(?:at|of|rated"
               rf"(?:\s+at)?|@|x)\s+{_N}\s*(?:w|watts?)\b(?:\s+each)?"),
]
_ENERGY = re.compile(rf"{_N}\s*(kwh|kw\s*h|kilowatt\s*hours?|kilowatthours?|wh|watt\s*hours?|"
                     r"mwh)\b")
_POWER = re.compile(rf"{_N}\s*(kw|kilowatts?|w|watts?)\b(?!\s*h\b|\s*hours?)(\s+(?:dc|ac)\b)?")
_PERCENT = re.compile(rf"{_N}\s*(?:%|percent\b|per cent\b|pct\b)")
_CENTS = re.compile(rf"{_N}\s*cents?\s*(?:/|per|a|an|for each|each)\s*(?:kwh|kw\s*h|"
                    r"kilowatt\s*hours?)\b")
_LOOSE_MONEY = re.compile(rf"{_N}\s*cents?\b|\$\s*{_N}(?!\s*(?:/|per)\s*(?:month|year|kw\b))")
_DOLLARS = re.compile(rf"\$\s*{_N}\s*(?:/|per|a|an|for each)\s*(kwh|kilowatt\s*hours?|mwh|"
                      rf"megawatt\s*hours?)|{_N}\s*(?:\$|usd|dollars?)\s*(?:/|per)\s*(kwh|mwh)\b|"
                      rf"\b(?:min(?:imum)?|comp\w*|payment|at least)\s*:?\s*{_N}\s*(?:/|per)\s*"
                      rf"(kwh|mwh)\b")
_DURATION = re.compile(rf"{_N}\s*(hours?|hrs?|h|days?|minutes?|mins?)\b")
_NEEDS = re.compile(r"\b(needs?|requires?|wants?|must have|at least|with)\s*(?:at least\s*)?$")
_RESERVE_BEFORE = re.compile(r"\b(?:keep|keeping|kept|reserve|reserving|hold|holding|leave|leaving|"
                             r"save|saving|retain|never (?:go |drop |fall |discharge )?(?:below|under)|"
                             r"not (?:go )?below|floor of|reserve of|minimum reserve of)\s*"
                             r"(?:at least\s*|about\s*|around\s*|~\s*)?$")
#: energy over time or distance (use, yield, consumption): never a capacity
_RATE_AFTER = re.compile(r"\s*(?:/|(?:per|a|an|each|every|1)\b)\s*(?:day|d|month|mo|year|yr|week|wk|"
                         r"night|100\s*(?:km|mi|miles)|km|kilometers?|kilometres?|miles?|mi|"
                         r"season|summer|winter)\b|\s+(?:daily|monthly|annually|yearly|"
                         r"a year|a month|a day)\b")
_RATE_BEFORE = re.compile(r"\b(?:annual|yearly|monthly|daily|weekly|per year|per month|per day)\s+"
                          r"(?:[a-z]+\s+){0,2}(?:of\s+)?(?:about\s+|around\s+|~\s*)?$")
_DEPTH_KWH = re.compile(r"\b(?:use|give|take|draw|tap|discharge|have|pull|access)\b[^.;\n]{0,30}?"
                        r"\b(?:up to|at most|max(?:imum)?|no more than)\s*$")
_RESERVE_AFTER = re.compile(r"\s*(?:of (?:it\s+|that\s+)?)?(?:in reserve|reserved?\b|for (?:outages|"
                            r"backup|emergencies|blackouts)|as (?:a )?(?:reserve|backup|buffer)|"
                            r"untouched|at all times)")
_ARRIVAL = re.compile(r"\b(home|back|arrives?|arriving|returns?|gets? in|plugs? (?:it |in )?"
                      r"(?:in )?|plugged in|get home|from|starting|starts?(?: charging)?|"
                      r"charges? from|charging from)\s*(?:around|at|by|about|after)?\s*$")
_RANGE_BEFORE = re.compile(rf"(?:between\s+{_N}\s+and|{_N}\s+(?:to|or))\s*$")
_RANGE_AFTER = re.compile(rf"^\s*(?:to|or)\s+{_N}")
_UNITS_OF = r"(?:units?|batter(?:y|ies)|modules?|packs?|blocks?|towers?|stacks?|powerwalls?|§b\d+§)"
_TARIFF = re.compile(r"\b(retail|tariff|utility (?:rate|charges?|bills?)|we pay|i pay|our rate|"
                     r"my rate|bill|electricity (?:here )?costs?|costs|peak|off peak|tou|"
                     r"time of use|import|grid price|rate plan|currently pay|paying|supplier)\b")
_COMP = re.compile(r"\b(minimum|min|at least|compensat\w*|paid|payment|pay me|pay us|floor|"
                   r"less than|below|under|won't|wouldn't|will not|only if|offer\w*|incentive|"
                   r"earn\w*|take part|participate|pays|aggregator|program|event)\b")


class _Quantities:
    """Every quantity in the document, sorted into what it describes."""

    def __init__(self, doc: Doc, warnings: list[str]):
        self.doc = doc
        self.warnings = warnings
        self.solar_kw: list[tuple[float, int]] = []
        self.bess_kwh: list[tuple[float, int]] = []
        self.bess_kw: list[tuple[float, int]] = []
        self.ev_kwh: list[tuple[float, int]] = []
        self.ev_kw: list[tuple[float, int]] = []
        self.departure_kwh: list[tuple[float, int]] = []
        self.departure_percent: list[tuple[float, int]] = []
        self.deadlines: list[tuple[str, int]] = []
        self.bess_soc: list[tuple[float, int]] = []
        self.solar_eff: list[tuple[float, int]] = []
        self.willingness: list[tuple[float, int]] = []
        self.compensation: list[tuple[float, int]] = []
        self.backup_h: list[tuple[float, int]] = []
        self.max_discharge: list[tuple[float, int]] = []
        self.reserve_kwh: list[tuple[float, int]] = []
        self.depth_kwh: list[tuple[float, int]] = []
        self.span_at: dict[int, str] = {}
        self.unsure: set[str] = set()
        self.taken: list[tuple[int, int]] = []
        text = doc.text
        self._money(text)
        self._panels(text)
        self._energy(text)
        self._power(text)
        self._percent(text)
        self._times(text)
        self._backup(text)
        self._willingness(text)
        self._efficiency(text)

    def _overlaps(self, start: int, end: int) -> bool:
        i = bisect_left(self.taken, (start, start))
        return any(a < end and start < b for a, b in self.taken[max(0, i - 2):i + 2])

    def _free(self, m: re.Match) -> bool:
        if self._overlaps(m.start(), m.end()):
            return False
        insort(self.taken, (m.start(), m.end()))
        self.span_at[m.start()] = m.group(0)
        if self.doc.scope_at(m.start()) is not None:
            self.warnings.append(f"{m.group(0)!r}: about another household, the past or the "
                                 "future; ignored")
            return False
        return True

    def _range(self, text: str, m: re.Match) -> bool:
        """Whether the number starts or ends a range ("10 to 12 kWh"); warns once."""
        if _RANGE_BEFORE.search(text[max(0, m.start() - 25):m.start()]) or \
                _RANGE_AFTER.match(text[m.start(1) + len(m.group(1)):m.end(1) + 12]):
            self.warnings.append(f"{m.group(0)!r}: part of a range, not one value; ignored")
            return True
        return False

    def _money(self, text: str) -> None:
        found: list[tuple[float, int, bool]] = []
        for m in list(_CENTS.finditer(text)) + list(_DOLLARS.finditer(text)):
            if not self._free(m):
                continue
            if m.re is _CENTS:
                value = to_float(m.group(1)) / 100.0
            else:
                value = to_float(m.group(1) or m.group(3) or m.group(5))
                unit = m.group(2) or m.group(4) or m.group(6)
                value = value / 1000.0 if unit.startswith(("mwh", "mega")) else value
            if self._tariff(text, m):
                continue
            found.append((value, m.start(), bool(_COMP.search(self._near(m.start())))))
        for m in _LOOSE_MONEY.finditer(text):
            sentence = self._near(m.start())
            if not (_COMP.search(sentence) and (re.search(r"\bkwh\b", sentence) or re.search(
                    r"\b(?:min(?:imum)?|at least|for (?:an? |each |the )?events?|compensation)\b",
                    sentence))) or \
                    not self._free(m) or self._tariff(text, m):
                continue
            value = to_float(m.group(1)) / 100.0 if m.group(1) else to_float(m.group(2))
            found.append((value, m.start(), True))
        found.sort(key=lambda f: (not f[2], f[1]))
        self.compensation = [(round(v, 6), pos) for v, pos, _ in found]

    def _near(self, pos: int, width: int = 160) -> str:
        """The sentence around `pos`, at most `width` characters either side."""
        sentence = self.doc.sentence(pos)
        start = self.doc.text.find(sentence, max(0, pos - len(sentence)))
        lo = max(0, pos - start - width)
        return sentence[lo:pos - start + width]

    def _tariff(self, text: str, m: re.Match) -> bool:
        """Whether a money amount is a rate the household pays (retail, tariff, TOU)."""
        sentence = self._near(m.start())
        pre = text[max(0, m.start() - 40):m.start()]
        post = re.split(r"[.;\n]", text[m.end():m.end() + 30])[0]
        near = pre[-25:] + " " + post
        if _TARIFF.search(near) and not _COMP.search(pre[-25:]) or \
                _TARIFF.search(sentence) and not _COMP.search(sentence):
            self.warnings.append(f"{m.group(0)!r}: a rate the household pays, not a "
                                 "compensation; ignored")
            return True
        return False

    def _panels(self, text: str) -> None:
        for pattern in _PANELS:
            for m in pattern.finditer(text):
                if self._free(m):
                    self.solar_kw.append((round(int(m.group(1)) * to_float(m.group(2)) / 1000.0,
                                                4), m.start()))

    def _multiplier(self, text: str, m: re.Match) -> int:
        """How many units a battery quantity counts ("2 x 5 kWh", "three 5 kWh units")."""
        pre = text[max(0, m.start() - 30):m.start()]
        post = text[m.end():m.end() + 40]
        x = re.search(r"(?<![\w.])(\d{1,2})\s*(?:x|×|\*)\s*$", pre)
        if x:
            return int(x.group(1))
        x = re.match(r"\s*(?:\w+\s+)?(?:x|×|\*|times)\s*(\d{1,2})\b", post)
        if x:
            return int(x.group(1))
        x = re.search(r"(?<![\w.])(\d{1,2})\s+$", pre)
        if x and re.match(r"\s*(?:\w+\s+)?" + _UNITS_OF, post):
            return int(x.group(1))
        if re.match(r"\s*(?:each|apiece|per (?:unit|battery|module))", post):
            sentence = self.doc.sentence(m.start())
            head = sentence[:max(0, sentence.find(m.group(0)))]
            x = re.search(r"(?<![\w.$])(\d{1,2})\s+(?:[\w.]+\s+){0,3}?" + _UNITS_OF, head) or \
                re.search(r"§kbat§\s*:?\s*(\d{1,2})\b(?!\s*(?:kwh|kw|%|w\b))", head)
            if x:
                return int(x.group(1))
        return 1

    def _energy(self, text: str) -> None:
        for m in _ENERGY.finditer(text):
            if not self._free(m) or self._range(text, m):
                continue
            if _RATE_AFTER.match(text, m.end()) or _RATE_BEFORE.search(
                    text, max(0, m.start() - 30), m.start()):
                self.warnings.append(f"{m.group(0)!r}: energy per day, month, year or "
                                     "distance, not a capacity; ignored")
                continue
            value = to_float(m.group(1))
            unit = m.group(2).replace(" ", "")
            if unit in ("wh", "watthour", "watthours"):
                value /= 1000.0
            elif unit == "mwh":
                value *= 1000.0
            kind = self.doc.nearest(m.start(), m.end(), ("bat", "ev"))
            pre = text[max(0, m.start() - 40):m.start()]
            if kind == "bat" and re.search(r"§e\d+§\s*(?:\w+\s+){0,3}?(?:with|has|having)\s+"
                                           r"(?:an?|the|its)\s*$", pre):
                kind = "ev"  # "a Hyundai Ioniq 5 with the 77.4 kWh battery": the car's
            if kind != "ev" and (_RESERVE_BEFORE.search(pre) or _RESERVE_AFTER.match(
                    text, m.end())):
                self.reserve_kwh.append((value, m.start()))  # "keep at least 4 kWh in it"
                continue
            if kind != "ev" and _DEPTH_KWH.search(pre):
                self.depth_kwh.append((value, m.start()))  # "can give them up to 8 kWh of it"
                continue
            if _NEEDS.search(pre[-25:]):
                self.departure_kwh.append((value, m.start()))
                continue
            if kind == "ev":
                self.ev_kwh.append((value, m.start()))
            else:
                self.bess_kwh.append((value * self._multiplier(text, m), m.start()))
        # usable energy is the capacity; a nameplate or nominal figure only when alone
        def rank(found: tuple[float, int]) -> int:
            pos = found[1]
            end = pos + len(self.span_at.get(pos, ""))
            pre, post = text[max(0, pos - 12):pos], text[end:end + 12]
            if re.search(r"\busable\s*(?:of\s*)?$", pre) or re.match(r"\s*usable\b", post):
                return 0
            words = r"(nameplate|nominal|gross|total)"
            return 2 if re.search(rf"\b{words}\s*(?:of\s*)?$", pre) or \
                re.match(rf"\s*{words}\b", post) else 1

        self.bess_kwh.sort(key=rank)

    def _power(self, text: str) -> None:
        for m in _POWER.finditer(text):
            if not self._free(m) or self._range(text, m):
                continue
            value = to_float(m.group(1))
            if m.group(2).startswith("w"):
                value /= 1000.0
            current = (m.group(3) or "").strip()
            if self._solar_inverter(text, m):
                self.warnings.append(f"{m.group(0)!r}: a solar inverter's AC rating; solar is "
                                     "counted in kW DC")
                continue
            kind = self.doc.nearest(m.start(), m.end(), ("bat", "ev", "solar", "hvac"),
                                    look_back=False)
            if kind == "hvac":
                self.warnings.append(f"{m.group(0)!r}: an air conditioner's or heat pump's "
                                     "figure; not read")
                continue
            count = re.search(r"(?<![\w.])(\d{1,3})\s*(?:x|×|\*|@)\s*$", text[max(0, m.start() - 8):
                                                                          m.start()])
            each = re.match(r"\s*(?:each|apiece|per panel)\b", text[m.end():m.end() + 12])
            if m.group(2).startswith("w") and value < 1.0 and each and not count:
                count = re.search(r"(?<![\w.])(\d{1,3})\s+(?:[\w.]+\s+){0,3}?(?:panels?|modules?|"
                                  r"of them)", self.doc.sentence(m.start()))
            if each and count:
                kind = "solar"
            if current == "dc" or count and m.group(2).startswith("w") and kind != "bat":
                kind = "solar"  # a DC rating, or panels: "26 x 385 W"
                if count and m.group(2).startswith("w"):
                    value = round(int(count.group(1)) * value, 4)
            elif current == "ac" and (kind == "solar" or re.search(
                    r"\b(?:pv|solar|array|panels?)\b|§ksolar§", self.doc.sentence(m.start()))):
                self.warnings.append(f"{m.group(0)!r}: an AC rating; solar is counted in kW DC")
                continue
            if kind is None:
                kind = self._energy_kind(m.start()) or self.doc.nearest(
                    m.start(), m.end(), ("bat", "ev", "solar"))
            if kind == "bat":
                value *= self._multiplier(text, m)
            target = {"bat": self.bess_kw, "ev": self.ev_kw, "solar": self.solar_kw}.get(kind)
            if target is None:
                self.unsure.update(("bess_max_power_kw", "solar_capacity_kw"))
                self.warnings.append(f"{m.group(0)!r}: no battery, EV or solar named near it; "
                                     "ignored")
            else:
                target.append((value, m.start()))
        # a cap beats a continuous rating, which beats a bare figure, which beats a peak;
        # a home charger's rating beats the car's onboard charger
        self.bess_kw.sort(key=lambda found: self._power_rank(text, found[1]))
        self.ev_kw.sort(key=lambda found: self._power_rank(text, found[1]))

    def _power_rank(self, text: str, pos: int) -> int:
        end = pos + len(self.span_at.get(pos, ""))
        pre, post = text[max(0, pos - 30):pos], text[end:end + 25]
        if re.search(r"\b(?:set|capped|limited|configured|throttled|derated|restricted)\s+"
                     r"(?:\w+\s+){0,2}?(?:to|at)\s*$|\b(?:cap|limit)\s*(?:of|is|:)?\s*$", pre):
            return 0
        if re.search(r"\b(?:continuous|cont|rated|nominal|wallbox|wall box|charger|circuit|"
                     r"evse)\s*(?:of|is|:|at)?\s*$", pre) or \
                re.match(r"\s*(?:continuous|cont\b|rated|nominal)", post):
            return 1
        if re.search(r"\b(?:peak|surge|burst|max(?:imum)? peak|instantaneous|onboard|on board)"
                     r"\s*(?:of|is|:|at)?\s*$", pre) or \
                re.match(r"\s*(?:peak|surge|burst|onboard|on board)\b", post):
            return 3
        return 2

    def _solar_inverter(self, text: str, m: re.Match) -> bool:
        """Whether a kW figure rates an inverter in a sentence about solar, not a battery.

        "a 7.6 kW inverter with 9.6 kW of DC panels", "5 kW string inverter": an
        inverter is the battery's only where the sentence names the battery.
        """
        if not (re.match(r"\s*(?:\w+\s+)?(?:inverter|micro ?inverters?)\b", text[m.end():m.end() + 20])
                or re.search(r"\binverter\s*(?:is|of|:|=|rated(?: at)?)?\s*$",
                             text[max(0, m.start() - 20):m.start()])):
            return False
        words = set(re.findall(r"§\w+§|[a-z]+", self.doc.sentence(m.start())))
        battery = {w for w in words if w.startswith(("§b", "§kbat"))} | \
            (words & (BAT_WORDS - {"inverter", "output", "pcs"}))
        solar = words & (SOLAR_WORDS | {"§ksolar§", "string", "strings"})
        return bool(solar) and not battery

    def _energy_kind(self, pos: int) -> str | None:
        """The asset an energy figure in the same sentence was tied to ("11 kWh, 5.5 kW")."""
        sentence = self.doc.sentence_of[self.doc.token_at(pos)]
        for kind, found in (("bat", self.bess_kwh), ("ev", self.ev_kwh)):
            if any(self.doc.sentence_of[self.doc.token_at(p)] == sentence for _, p in found):
                return kind
        return None

    def _percent(self, text: str) -> None:
        from desim.llm._percent import classify_percent

        items = [(to_float(m.group(1)), m.start(), m.end()) for m in _PERCENT.finditer(text)
                 if self._free(m)]
        for m in re.finditer(r"\bhalf (?:full|charged)\b(?! by)", text):
            if self.doc.nearest(m.start(), m.end(), ("bat", "ev")) != "ev":
                self.bess_soc.append((50.0, m.start()))
        for m in re.finditer(r"\b(?:is|it's|sits|sitting|currently|now|at the moment)\s+"
                             r"(?:fully charged|full|topped up)\b(?!\s+(?:by|before|at|for|when)\b)",
                             text):  # "the battery is full right now"
            if self.doc.nearest(m.start(), m.end(), ("bat", "ev")) == "bat":
                self.bess_soc.append((100.0, m.start()))
        for value, start, end in items:
            where = classify_percent(self.doc, text, start, end)
            if where is None:
                self.unsure.update(("max_discharge_percent", "bess_initial_soc_percent",
                                    "ev_min_departure_soc_percent"))
                self.warnings.append(f"{value:g}%: not clear what it refers to; ignored")
                continue
            field, complement = where
            target = {"max_discharge": self.max_discharge, "willingness": self.willingness,
                      "efficiency": self.solar_eff, "soc": self.bess_soc,
                      "departure": self.departure_percent}[field]
            if field in ("willingness", "efficiency"):
                value = round(value / 100.0, 6)
            # a floor is the complement of the depth; a refused floor stays as written, so the
            # warning names what the text said ("-30 %" is negative, not "130")
            sane = math.isfinite(value) and 0.0 <= value <= 100.0
            target.append((100.0 - value if complement and sane else value, start))
        for m in re.finditer(r"\b(?:needs?|target|min(?:imum)?)\s+(?:at least\s+|like\s+|about\s+|"
                             r"around\s+|approx\s+)?(\d{1,3})"
                             r"(?=\s*(?:[.,;!)\n]|$)|\s+(?:by|before|when|lol|pls|please)\b)", text):
            # "leaves at 7am needs 80": a bare share for a car is a percentage
            if not self._overlaps(m.start(1), m.end(1)) and \
                    self.doc.nearest(m.start(1), m.end(1), ("bat", "ev", "solar")) == "ev" and \
                    self.doc.scope_at(m.start(1)) is None and 0 < int(m.group(1)) <= 100:
                self._free_at(m.start(1), m.end(1), m.group(0))
                self.departure_percent.append((float(m.group(1)), m.start(1)))
        for m in re.finditer(r"\b(?:fully charged|full charge|be full|charged to full|"
                             r"(?:is|be|it|it's|its) full)\b(?=[^.;]{0,30}\b(?:by|before|at)\b)", text):
            self.departure_percent.append((100.0, m.start()))

    def _times(self, text: str) -> None:
        for t in find_times(text):
            pre = text[max(0, t.start - 30):t.start]
            if _ARRIVAL.search(pre) or self.doc.scope_at(t.start) is not None:
                continue
            self.deadlines.append((t.hhmm, t.start))

    def _backup(self, text: str) -> None:
        m = re.search(r"\b(no|0|without|zero)\s+(?:need (?:for|of) )?backup\b|\bbackup\s+"
                      r"(?:is\s+)?not (?:needed|required|necessary)\b", text)
        if m:
            self.backup_h.append((0.0, m.start()))
            return
        for a, b in self.doc.sentence_spans():
            sentence = text[a:b]
            if not re.search(r"\b(backup|back up|outages?|blackouts?|"
                                                  r"power cuts?|grid (?:goes )?down|ride through|"
                                                  r"without (?:the )?grid|autonomy|off grid|"
                                                  r"keep the lights on)\b", sentence):
                continue
            for d in _DURATION.finditer(sentence):
                if self.doc.scope_at(a + d.start()) not in (None, "absent") or \
                        not self._free_at(a + d.start(), a + d.end(), d.group(0)):
                    continue
                value = to_float(d.group(1))
                unit = d.group(2)
                value *= 24.0 if unit.startswith("day") else (1 / 60 if unit.startswith("min")
                                                              else 1.0)
                self.backup_h.append((round(value, 4), a + d.start()))

    def _free_at(self, start: int, end: int, span: str) -> bool:
        if self._overlaps(start, end):
            return False
        insort(self.taken, (start, end))
        self.span_at[start] = span
        return True

    def _efficiency(self, text: str) -> None:
        m = re.search(r"\b(?:derate|efficiency|eff)\s*(?:factor\s*)?(?:of|is|:|=|at)?\s*(?:about|approx|"
                      r"around|~|roughly)?\s*" + _N + r"(\s*%)?", text)
        if m and not self.solar_eff and self._free_at(m.start(1), m.end(), m.group(0)):
            value = to_float(m.group(1))
            self.solar_eff.append((value / 100.0 if m.group(2) or value > 1 else value,
                                   m.start(1)))

    def _willingness(self, text: str) -> None:
        m = re.search(r"willing(?:ness)?(?:\s+to\s+participate)?\s*(?:is|of|=|:)?\s*" + _N +
                      r"(\s*%|\s*(?:/|out of)\s*(?:10|100)\b)?", text)
        if m and self._free_at(m.start(1), m.end(), m.group(0)):
            value = to_float(m.group(1))
            scale = m.group(2) or ""
            if "%" in scale or "100" in scale:
                value /= 100.0
            elif "10" in scale:
                value /= 10.0
            self.willingness.insert(0, (value, m.start(1)))
        m = re.search(r"\b(?:willing\w*|participat\w*|join|take part|accept)\b[^.;\n]{0,30}?"
                      r"(?<![\w.])(\d{1,3})\s*(?:times\s+)?(?:out of|in|of every|/)\s*(\d{1,3})\b",
                      text)
        if m and int(m.group(2)) > 0 and self._free_at(m.start(1), m.end(), m.group(0)):
            part, whole = int(m.group(1)), int(m.group(2))
            share = part / 100.0 if part + whole == 100 and whole != 100 else part / whole
            self.willingness.append((share, m.start(1)))
