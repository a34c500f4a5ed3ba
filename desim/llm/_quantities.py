"""Numbers with units in a parsed description, each tied to the asset it is about."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from desim.llm._text import find_times

if TYPE_CHECKING:
    from desim.llm.rules import _Doc

_N = r"(\d+(?:\.\d+)?)"
_PANELS = [
    re.compile(rf"\b(\d+)\s*(?:x\s*)?{_N}\s*(?:w|watts?)\b\s*(?:solar\s+|pv\s+)?(?:panels?|modules?)"),
    re.compile(rf"\b(\d+)\s+(?:solar\s+|pv\s+)?(?:panels?|modules?)\s+(?:at|of|rated(?:\s+at)?|@|x)"
               rf"\s+{_N}\s*(?:w|watts?)\b(?:\s+each)?"),
]
_ENERGY = re.compile(rf"{_N}\s*(kwh|kw\s*h|kilowatt\s*hours?|kilowatthours?|wh|watt\s*hours?|"
                     r"mwh)\b")
_POWER = re.compile(rf"{_N}\s*(kw|kilowatts?|w|watts?)\b(?!\s*h\b|\s*hours?)")
_PERCENT = re.compile(rf"{_N}\s*(?:%|percent\b|per cent\b|pct\b)")
_CENTS = re.compile(rf"{_N}\s*cents?\s*(?:/|per|a|an)\s*(?:kwh|kw\s*h|kilowatt\s*hours?)\b")
_DOLLARS = re.compile(rf"\$\s*{_N}\s*(?:/|per|a|an)\s*(kwh|kilowatt\s*hours?|mwh|megawatt\s*hours?)"
                      rf"|{_N}\s*(?:\$|usd|dollars?)\s*(?:/|per)\s*(kwh|mwh)\b")
_DURATION = re.compile(rf"{_N}\s*(hours?|hrs?|h|days?)\b")
_NEEDS = re.compile(r"\b(needs?|requires?|wants?|must have|at least|with)\s*(?:at least\s*)?$")
_ARRIVAL = re.compile(r"\b(home|back|arrives?|arriving|returns?|gets? in|plugs? (?:it |in )?"
                      r"(?:in )?|plugged in|get home)\s*(?:around|at|by|about|after)?\s*$")


class _Quantities:
    """Every quantity in the document, sorted into what it describes."""

    def __init__(self, doc: _Doc, warnings: list[str]):
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
        self.bess_soc: float | None = None
        self.solar_eff: float | None = None
        self.willingness: float | None = None
        self.compensation: float | None = None
        self.backup_h: float | None = None
        self.max_discharge: float | None = None
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

    def _free(self, m: re.Match) -> bool:
        if any(a < m.end() and m.start() < b for a, b in self.taken):
            return False
        self.taken.append((m.start(), m.end()))
        return True

    def _money(self, text: str) -> None:
        found: list[tuple[int, float]] = []
        for m in _CENTS.finditer(text):
            if self._free(m):
                found.append((m.start(), float(m.group(1)) / 100.0))
        for m in _DOLLARS.finditer(text):
            if self._free(m):
                value = float(m.group(1) or m.group(3))
                unit = m.group(2) or m.group(4)
                found.append((m.start(), value / 1000.0 if unit.startswith(("mwh", "mega"))
                              else value))
        if found:
            found.sort()
            self.compensation = round(found[0][1], 6)

    def _panels(self, text: str) -> None:
        for pattern in _PANELS:
            for m in pattern.finditer(text):
                if self._free(m):
                    self.solar_kw.append((round(int(m.group(1)) * float(m.group(2)) / 1000.0, 4),
                                          m.start()))

    def _energy(self, text: str) -> None:
        for m in _ENERGY.finditer(text):
            if not self._free(m):
                continue
            value = float(m.group(1))
            unit = m.group(2).replace(" ", "")
            if unit in ("wh", "watthour", "watthours"):
                value /= 1000.0
            elif unit == "mwh":
                value *= 1000.0
            if _NEEDS.search(text[max(0, m.start() - 25):m.start()]):
                self.departure_kwh.append((value, m.start()))
                continue
            kind = self.doc.nearest(m.start(), m.end(), ("bat", "ev"))
            (self.ev_kwh if kind == "ev" else self.bess_kwh).append((value, m.start()))

    def _power(self, text: str) -> None:
        for m in _POWER.finditer(text):
            if not self._free(m):
                continue
            value = float(m.group(1))
            if m.group(2).startswith("w"):
                value /= 1000.0
            kind = self.doc.nearest(m.start(), m.end(), ("bat", "ev", "solar"))
            target = {"bat": self.bess_kw, "ev": self.ev_kw, "solar": self.solar_kw}.get(kind)
            if target is None:
                self.warnings.append(f"{m.group(0)!r}: no battery, EV or solar named near it; "
                                     "ignored")
            else:
                target.append((value, m.start()))

    def _percent(self, text: str) -> None:
        doc = self.doc
        items = [(float(m.group(1)), m.start(), m.end()) for m in _PERCENT.finditer(text)
                 if self._free(m)]
        for m in re.finditer(r"\bhalf (?:full|charged)\b(?! by)", text):
            if doc.nearest(m.start(), m.end(), ("bat", "ev")) != "ev":
                self.bess_soc = 50.0
        for value, start, end in items:
            pre = text[max(0, start - 45):start]
            post = text[end:end + 40]
            if re.search(r"(below|above|under|down to|drain\w*(?: it)? to|discharg\w*"
                         r"(?: the batter(?:y|ies))?(?: down)? to)\s*$", pre) or (
                    re.search(r"\b(keep|keeping|reserve|leave|leaving|hold)\s*(?:at least\s*)?$", pre)
                    and re.match(r"\s*(in reserve|reserve|as (?:a )?reserve|for (?:outages|backup|"
                                 r"emergencies)|in the batter|charge)", post)) or re.match(
                    r"\s*(reserve|left)\b", post):
                self.max_discharge = 100.0 - value
            elif re.search(r"(up to|max(?:imum)? discharge(?: of| is|:)?|discharge up to|"
                           r"depth of discharge(?: of| is|:)?)\s*$", pre):
                self.max_discharge = value
            elif re.search(r"willing", post[:15]) or re.search(r"willingness[^.]{0,25}$", pre):
                self.willingness = value / 100.0
            elif re.match(r"\s*(?:system\s+)?efficien", post) or re.search(
                    r"efficiency(?: of| is|:)?\s*$", pre):
                self.solar_eff = value / 100.0
            elif (re.match(r"\s*(full|charged\b(?! by)|state of charge|soc\b|right now|now\b|"
                           r"at the moment)", post) or re.search(r"\b(currently|now)\s*(?:at\s*)?$",
                                                                  pre)) and \
                    doc.nearest(start, end, ("bat", "ev")) != "ev":
                self.bess_soc = value
            elif doc.nearest(start, end, ("bat", "ev")) == "ev" or self._ev_cue(pre, post):
                self.departure_percent.append((value, start))
            else:
                self.warnings.append(f"{value:g}%: not clear what it refers to; ignored")
        for m in re.finditer(r"\b(?:fully charged|full charge|be full|charged to full|"
                             r"(?:is|be|it) full)\b(?=[^.;]{0,30}\b(?:by|before|at)\b)", text):
            self.departure_percent.append((100.0, m.start()))

    @staticmethod
    def _ev_cue(pre: str, post: str) -> bool:
        return bool(re.search(r"(needs?|at least|with|by|min(?:imum)?)\s*$", pre) or
                    re.match(r"\s*(by|before|charge|minimum|min\b)", post))

    def _times(self, text: str) -> None:
        for t in find_times(text):
            pre = text[max(0, t.start - 30):t.start]
            if _ARRIVAL.search(pre):
                continue
            self.deadlines.append((t.hhmm, t.start))

    def _backup(self, text: str) -> None:
        if re.search(r"\b(no|0|without|zero)\s+(?:need (?:for|of) )?backup\b|\bbackup\s+(?:is\s+)?"
                     r"not (?:needed|required|necessary)\b", text):
            self.backup_h = 0.0
            return
        for sentence in re.split(r"(?<!\d)[.;!?](?!\d)", text):
            if not re.search(r"\b(backup|back up|outages?|blackouts?)\b", sentence):
                continue
            for m in _DURATION.finditer(sentence):
                value = float(m.group(1))
                self.backup_h = value * 24.0 if m.group(2).startswith("day") else value
                return

    def _willingness(self, text: str) -> None:
        m = re.search(r"willingness(?:\s+to\s+participate)?\s*(?:is|of|=|:)?\s*(\d*\.\d+|\d+)"
                      r"(\s*%)?", text)
        if m:
            value = float(m.group(1))
            self.willingness = value / 100.0 if m.group(2) or value > 1 else value
