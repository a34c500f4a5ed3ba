"""`RuleBasedParser`: the default, offline parser (regular expressions + catalog).

It reads numbers with their units, panel counts, clock times, percentages,
money, backup durations, products named in the text (through
`desim.catalog`, using a figure only where the catalog's ``parser_capacity``
/ ``parser_power`` flag allows it), negations and profile words, following
the conventions in docs/parser.md. A field the text does not settle stays
None. The output goes through `desim.llm.validate.validate_config`.
"""

from __future__ import annotations

import re
from typing import Any

from desim.errors import ParseError
from desim.llm._doc import Doc
from desim.llm._fuzzy import repair_spelling
from desim.llm._guard import accept, fits
from desim.llm._products import ProductMention
from desim.llm._scope import CORRECTED, apply_corrections, read_estimates
from desim.llm._structure import read_structure
from desim.llm._text import foreign_language, normalize, words_to_numbers
from desim.llm._thermal import read_thermal
from desim.llm.config import ProsumerConfig
from desim.llm.validate import validate_config

__all__ = ["RuleBasedParser", "RULES_VERSION", "MAX_TEXT_CHARS"]

RULES_VERSION = "rules-5"
#: Longest description read, in characters; longer text is refused with a ParseError.
MAX_TEXT_CHARS = 20_000
_GENERIC_EV = re.compile(r"\b(evs?|teslas|electric (?:cars?|vehicles?|trucks?|suvs?)|"
                         r"battery electric(?! vehicles?:))\b(?! (?:charger|charging|evse|"
                         r"wallbox|plug|outlet|ready|rate|program|tariff|enrol\w*|circuit))")
#: vehicles that say the household's cars are not battery-electric ("gas" before a home
#: appliance, e.g. a gas water heater, says nothing about cars). A plug-in hybrid
#: alone settles nothing (conventions addendum); an ordinary hybrid is a petrol car.
_GAS = re.compile(r"\b(gas(?![ -](?:water|furnace|stove|heat\w*|dryer|range|oven|boiler|"
                  r"fireplace|grill|appliances?|cooktop|hob|tank\w*|meter|bill|line|service)\b)|"
                  r"gasoline|petrol|diesel|e bikes?|ebikes?|bus|bike|"
                  r"(?<!plug in )(?<!plug-in )hybrids?)\b")
_PROFILE = {
    "conservative": r"\b(conservative|cautious|risk averse|careful|only (?:\w+ ){0,3}"
                    r"(?:in )?emergenc\w*|very reluctant)\b",
    "moderate": r"\b(moderate|moderately|balanced|middle of the road|a few events a month|"
                r"some events|now and then)\b",
    "aggressive": r"\b(aggressive|maximi[sz]e (?:my |our )?(?:earnings|revenue|income|profits?)|"
                  r"revenue maximi[sz]ing|as much as (?:you|they) (?:like|want)|"
                  r"whenever (?:you|they) want|in it for the money|eager to earn|"
                  r"earn as much as)\b",
}
_CHOSE = re.compile(r"\b(?:chose|picked|went with|opted for|installed|bought|kept)\s+"
                    r"(\d{1,2}|a single|one)\s+(?:units?|of them|battery|batteries)\b")
_COLLECTIVE = re.compile(r"\b(both|all|each|every|either|none of them|all of them|identical)\b")


class RuleBasedParser:
    """Offline parser: text -> validated `ProsumerConfig` (see module docstring)."""

    name = "rules"
    model: str | None = None
    prompt_version = RULES_VERSION

    def parse(self, text: str) -> ProsumerConfig:
        """Parse one description; fields the text does not settle stay None.

        Raises
        ------
        ParseError
            When `text` is not a string or is longer than `MAX_TEXT_CHARS`.
        """
        values, provenance, warnings, unsure = self.read(text)
        config = ProsumerConfig.build(values, provenance, warnings, unsure=unsure)
        return validate_config(config)

    def parse_many(self, texts: list[str]) -> list[ProsumerConfig]:
        """Parse several descriptions (in order)."""
        return [self.parse(t) for t in texts]

    # ------------------------------------------------------------------ reading
    def extract(self, text: str) -> tuple[dict[str, Any], dict[str, str], list[str]]:
        """Raw field values, provenance and warnings, before validation."""
        values, provenance, warnings, _ = self.read(text)
        return values, provenance, warnings

    def read(self, text: str) -> tuple[dict[str, Any], dict[str, str], list[str], list[str]]:
        """Field values, provenance, warnings and the fields the rules are unsure of."""
        if not isinstance(text, str):
            raise ParseError(f"description: expected text, got {type(text).__name__}")
        if len(text) > MAX_TEXT_CHARS:
            raise ParseError(f"description: expected at most {MAX_TEXT_CHARS} characters "
                             f"(the length limit), got {len(text)}")
        reason = foreign_language(text)
        if reason is not None:
            return {}, {}, [f"description: not read as English ({reason}); no field set"], []
        base, notes = repair_spelling(normalize(text))
        base = read_estimates(apply_corrections(words_to_numbers(base), notes), notes)
        form = read_structure(base)
        doc = Doc(form.prose)
        r = _Reading(notes + form.warnings)
        thermal, thermal_unsure, marks = read_thermal(doc, r.warnings)
        for k in marks:  # "the AC draws 3.5 kW": that figure is not the battery's
            doc.kinds[k] = "hvac"
        q = _Quantities(doc, r.warnings)
        absent = form.absent | doc.elided_absent() | doc.absent_now()
        self._solar(doc, q, r, absent)
        self._evs(doc, q, r, absent)
        self._battery(doc, q, r, form.values.pop("bess_units", None))
        self._preferences(doc, q, r)
        for name, value in thermal.items():
            r.set(name, value)
        r.unsure |= thermal_unsure
        departure_kwh = form.values.pop("departure_kwh", None)
        reserve_kwh = form.values.pop("reserve_kwh", None)
        for name, value in form.values.items():  # a labelled form value beats prose
            span = form.spans.get(name, name)
            r.set(name, value, None, "corrected" if CORRECTED in span else "stated")
            r.spans[name] = span.replace(CORRECTED, "")
        if departure_kwh is not None and "ev_min_departure_soc_percent" not in form.values:
            self._departure_from_kwh(departure_kwh, form.spans["departure_kwh"], r)
        if reserve_kwh is not None and "max_discharge_percent" not in form.values:
            self._depth_from_reserve(reserve_kwh, None, r)
            r.spans["max_discharge_percent"] = form.spans["reserve_kwh"]
        for name in list(r.v):
            pos = r.src.get(name)
            if pos is not None and pos in doc.corrected:
                r.prov[name] = "corrected"
            span = r.spans.get(name) or (q.span_at.get(pos, name) if pos is not None else name)
            kept = accept(name, r.v[name], span, r.warnings)
            if kept is None:
                r.unsure.add(name)
                del r.v[name]
        r.unsure |= q.unsure
        values = {k: val for k, val in r.v.items() if val is not None}
        return values, {k: p for k, p in r.prov.items() if k in values}, r.warnings, \
            sorted(r.unsure)

    def _own(self, doc: Doc, kind: str) -> tuple[list[ProductMention], list[ProductMention]]:
        """Products of `kind` this household has now, and those the text puts out of scope."""
        own: list[ProductMention] = []
        others: list[ProductMention] = []
        for i, p in enumerate(doc.products):
            if p.kind != kind:
                continue
            k = doc.product_token(i)
            if k is None or doc.negated(k):
                continue
            if doc.scope_at(doc.tokens[k][1]) is not None:
                others.append(p)
                continue
            first = next((o for o in own if self._same(doc, o, p)), None)
            if first is not None:  # a second reference to a product already counted
                if first.product is None and p.product is not None:
                    first.product = p.product  # "'Modle Y', confirmed Model Y Long Range"
                if first.count == 1 and p.count > 1:
                    first.count = p.count  # "an aPower, well, actually two of them"
                continue
            own.append(p)
        return own, others

    @staticmethod
    def _same(doc: Doc, first: ProductMention, later: ProductMention) -> bool:
        """Whether `later` names the product `first` named ("the Leaf", "PW+ (Powerwall+)").

        The same name again counts as another unit when joined by "+", "and" or
        "&", or in another item of a form ("Car A: Leaf e+ / Car B: Leaf e+").
        """
        if first.product is not later.product and not (
                first.matched in later.matched or later.matched in first.matched):
            return False
        k1 = doc.product_token(doc.products.index(first))
        k2 = doc.product_token(doc.products.index(later))
        if k1 is None or k2 is None:
            return True
        between = [t for t, _ in doc.tokens[k1 + 1:k2]]
        item = next((t for t, _ in reversed(doc.tokens[max(0, k1 - 12):k1])
                     if t.startswith("§k") or t in ("\n", ".", ";")), "")
        if item.startswith("§k") and any(t.startswith("§k") for t in between):
            return False  # two items of a form: "Car A: Leaf e+ / Car B: Leaf e+"
        return not (between and between[-1] in ("+", "and", "&", ","))

    @staticmethod
    def _refused_sentences(doc: Doc, field: str, found: list[tuple[Any, int]]) -> set[int]:
        """Sentences whose only `field` figures are refused: their asset words are no evidence.

        "Solar: -3.5 kW" or "minus two kilowatts of solar" names the asset only to give
        a value that is refused, so it does not say the household has one.
        """
        good = {doc.sentence_of[doc.token_at(p)] for v, p in found if fits(field, v)}
        return {doc.sentence_of[doc.token_at(p)] for v, p in found if not fits(field, v)} - good

    def _solar(self, doc: Doc, q: _Quantities, r: _Reading, absent: set[str]) -> None:
        positive = negative = False
        current = [(kw, pos) for kw, pos in q.solar_kw if doc.scope_at(pos) is None]
        refused = self._refused_sentences(doc, "solar_capacity_kw", current)
        for k, (tok, pos) in enumerate(doc.tokens):
            if doc.kind(tok) != "solar" or tok in ("roof", "pack") or \
                    k + 1 < len(doc.tokens) and doc.tokens[k + 1][0] == "ready":
                continue  # "the roof is solar-ready": no panels
            if doc.negated(k):
                negative = True
            elif doc.scope_at(pos) is None and doc.sentence_of[k] not in refused:
                positive = True
        if current:
            r.set_first("solar_capacity_kw", current)
        if any(fits("solar_capacity_kw", kw) for kw, _ in current) or positive:
            r.set("has_solar", True)
        elif negative or "solar" in absent:
            r.set("has_solar", False)
        if q.solar_eff and r.v.get("has_solar"):
            r.set_first("solar_efficiency", q.solar_eff)

    def _evs(self, doc: Doc, q: _Quantities, r: _Reading, absent: set[str]) -> None:
        own, _ = self._own(doc, "vehicle")
        generic_pos = [m for m in _GENERIC_EV.finditer(doc.text)
                       if not doc.negated(doc.token_at(m.start())) and doc.scope_at(m.start()) is None]
        generic_pos += list(re.finditer("§kev§", doc.text))  # an EV item of a form
        negated_ev = any(doc.negated(k) for k, (t, _) in enumerate(doc.tokens)
                         if t in ("ev", "evs", "car", "cars", "vehicle", "vehicles"))
        nouns = r"evs|electric (?:cars|vehicles|trucks)|teslas" + (
            "" if _GAS.search(doc.text) else r"|cars|vehicles")
        explicit = re.search(r"(?<![\w.])(-?\d+(?:\.\d+)?|both)\s+(?:of\s+(?:our|my|the)\s+)?"
                             r"(?:\d+(?:\.\d+)?\s*kwh\s+)?(?:electric\s+|identical\s+)?(?:" +
                             nouns + r")\b", doc.text)
        number = (2.0 if explicit.group(1) == "both" else float(explicit.group(1))) \
            if explicit else 0.0
        stated = int(number) if number == int(number) and number >= 0 else -1
        if explicit and stated < 0:  # "minus two electric cars", "1.5 EVs": the count is
            # refused, and its noun is no evidence of an EV
            sid = doc.sentence_of[doc.token_at(explicit.start())]
            generic_pos = [m for m in generic_pos if doc.sentence_of[doc.token_at(m.start())] != sid]
            r.unsure.add("ev_count")
            r.warnings.append(f"ev_count: {explicit.group(0)!r} is not a whole, non-negative "
                              "number; left unset")
        if not own and not generic_pos:
            if stated < 0:
                return
            if negated_ev or _GAS.search(doc.text) or "ev" in absent:
                r.set("has_ev", False)
                r.set("ev_count", 0)
            return
        r.set("has_ev", True)
        product_count = sum(p.count for p in own)
        count = stated if 0 < stated < 20 else max(product_count, 1)
        if stated >= 0:
            r.set("ev_count", count, explicit.start() if explicit else None)
        collective = bool(_COLLECTIVE.search(doc.text))
        resolved = bool(own) and all(p.product is not None for p in own)
        if resolved and (product_count == count or collective):
            # per-EV figures from the catalog when every car has the same one, also for
            # different models that share it (Model 3 LR and Model Y LR: 75 kWh, 11.5 kW)
            for field, attr, flag in (("ev_battery_capacity_kwh", "battery_capacity_kwh",
                                       "parser_capacity"),
                                      ("ev_max_charge_power_kw", "max_charge_power_kw",
                                       "parser_power")):
                figures = {getattr(p.product, attr, None) if getattr(p.product, flag, False)
                           else None for p in own}
                if len(figures) == 1 and None not in figures:
                    r.set(field, figures.pop(), None, "catalog")
        elif any(p.product is None for p in own):
            r.unsure.update(("ev_battery_capacity_kwh", "ev_max_charge_power_kw"))
        def shared(found: list) -> bool:  # holds for every EV of the household
            if len({v for v, _ in found}) != 1:
                return False
            if count == 1 or len(found) >= count:
                return True
            pos = found[0][1]
            sentence = doc.sentence(pos, previous=True)
            start = doc.text.find(sentence, max(0, pos - len(sentence)))
            named = sum(p.count for p in own if start <= doc.tokens[doc.product_token(
                doc.products.index(p)) or 0][1] < pos)
            # "both need 80 %", or one value after every car the sentence names:
            # "EV: 2 (Model Y LR, Model 3 LR), depart 07:10"
            return bool(_COLLECTIVE.search(sentence)) or named >= count

        for field, found in (("ev_battery_capacity_kwh", q.ev_kwh),
                             ("ev_max_charge_power_kw", q.ev_kw)):
            if found and (count == 1 or shared(found)):
                r.set_first(field, found)
        if shared(q.deadlines):
            r.set_first("ev_charge_deadline", q.deadlines)
        elif len({t for t, _ in q.deadlines}) > 1:
            r.unsure.add("ev_charge_deadline")
        targets = list(q.departure_percent)
        cap = r.v.get("ev_battery_capacity_kwh")
        for kwh, pos in q.departure_kwh:
            if cap:
                targets.append((round(100.0 * kwh / cap, 2), pos))
            else:
                r.unsure.add("ev_min_departure_soc_percent")
                r.warnings.append(f"departure energy {kwh:g} kWh: the EV capacity is not known, "
                                  "so it cannot be read as a percentage; ignored")
        if targets and shared(targets):
            r.set_first("ev_min_departure_soc_percent", targets)

    @staticmethod
    def _departure_from_kwh(kwh: float, span: str, r: _Reading) -> None:
        """A form's departure energy as a percentage of the EV's capacity."""
        cap = r.v.get("ev_battery_capacity_kwh")
        r.v.pop("ev_min_departure_soc_percent", None)
        if cap:
            r.set("ev_min_departure_soc_percent", round(100.0 * kwh / cap, 2))
            r.spans["ev_min_departure_soc_percent"] = span
        else:
            r.unsure.add("ev_min_departure_soc_percent")
            r.warnings.append(f"departure energy {kwh:g} kWh: the EV capacity is not known, "
                              "so it cannot be read as a percentage; ignored")

    def _battery(self, doc: Doc, q: _Quantities, r: _Reading, units: int | None) -> None:
        own, others = self._own(doc, "battery")
        if units and len(own) == 1 and own[0].count == 1:  # "Battery count: 3"
            own[0].count = units
        chosen = [m for m in _CHOSE.finditer(doc.text) if doc.scope_at(m.start()) is None]
        if not own and others and chosen:  # "2 x RESU 16H quoted, customer chose 1 unit"
            pick = next((p for p in reversed(others) if p.start < chosen[-1].start()), None)
            if pick is not None and pick.product is not None:
                n = chosen[-1].group(1)
                own = [ProductMention(pick.kind, pick.product, 1 if not n.isdigit() else int(n),
                                      pick.start, pick.end, pick.matched, pick.candidates)]
        if q.bess_kwh:
            r.set_first("bess_capacity_kwh", q.bess_kwh)
        elif own and all(p.product is not None and p.product.parser_capacity
                         and p.product.capacity_kwh is not None for p in own):
            r.set("bess_capacity_kwh", round(sum(p.count * p.product.capacity_kwh for p in own), 4),
                  None, "catalog")
        elif own:
            r.unsure.add("bess_capacity_kwh")
        if q.bess_kw:
            r.set_first("bess_max_power_kw", q.bess_kw)
        elif own and all(p.product is not None and p.product.parser_power
                         and p.product.max_power_kw is not None for p in own):
            r.set("bess_max_power_kw", round(sum(p.count * p.product.max_power_kw for p in own), 4),
                  None, "catalog")
        if q.bess_soc:
            r.set_first("bess_initial_soc_percent", q.bess_soc)
        if q.reserve_kwh and not q.max_discharge:  # "keep at least 4 kWh" of 13.5
            self._depth_from_reserve(*q.reserve_kwh[0], r)
        elif q.depth_kwh and not q.max_discharge:  # "they can use up to 8 kWh" of 12
            self._depth_from_reserve(*q.depth_kwh[0], r, used=True)

    @staticmethod
    def _depth_from_reserve(kwh: float, pos: int | None, r: _Reading, used: bool = False) -> None:
        """Energy kept in reserve (or, `used`, energy the aggregator may use) as the depth
        the aggregator may use, in % of the battery's capacity."""
        cap = r.v.get("bess_capacity_kwh")
        r.v.pop("max_discharge_percent", None)
        if cap and 0 <= kwh <= cap:
            share = 100.0 * kwh / cap
            r.set("max_discharge_percent", round(share if used else 100.0 - share, 2), pos)
        else:
            r.unsure.add("max_discharge_percent")
            what = "energy the aggregator may use" if used else "a reserve"
            r.warnings.append(f"{what} of {kwh:g} kWh: the battery's capacity is not known "
                              "(or is smaller), so it cannot be read as a percentage; ignored")

    def _preferences(self, doc: Doc, q: _Quantities, r: _Reading) -> None:
        text = doc.text
        hits = [name for name, pattern in _PROFILE.items() if re.search(pattern, text)]
        if len(hits) == 1:
            r.set("participation_profile", hits[0])
        elif len(hits) > 1:
            r.unsure.add("participation_profile")
        for name, found in (("participation_willingness", q.willingness),
                            ("min_compensation_per_kwh", q.compensation),
                            ("backup_power_hours", q.backup_h),
                            ("max_discharge_percent", q.max_discharge)):
            if found:
                r.set_first(name, found)
        m = re.search(r"\bpriority\s*(?:is|:|=|should be)?\s*(low|medium|high)\b"
                      r"|\b(low|medium|high)\s+priority\b", text)
        if m:
            r.set("ev_priority", m.group(1) or m.group(2))
        elif re.search(r"\b(top priority|highest priority|comes? first|non negotiable|"
                       r"must always be (?:fully )?charged|(?:cars?|trucks?|evs?|vehicles?|charging) "
                       r"(?:\w+ )?first|matters? (?:more than anything|most)|most important)\b",
                       text):
            r.set("ev_priority", "high")
        elif re.search(r"\b(flexible (?:with|about|on) (?:\w+ )?charging|flexible (?:on|about|with) "
                       r"when|charging is not a priority"
                       r"|flexible charging|doesn't matter when)\b", text):
            r.set("ev_priority", "low")


class _Reading:
    """Values being read, with the text position, provenance and span of each."""

    def __init__(self, warnings: list[str]):
        self.v: dict[str, Any] = {}
        self.src: dict[str, int] = {}
        self.prov: dict[str, str] = {}
        self.spans: dict[str, str] = {}
        self.warnings = warnings
        self.unsure: set[str] = set()

    def set(self, name: str, value: Any, pos: int | None = None, prov: str = "stated") -> None:
        self.v[name], self.prov[name] = value, prov
        if pos is not None:
            self.src[name] = pos
        else:
            self.src.pop(name, None)

    def set_first(self, name: str, found: list[tuple[Any, int]]) -> None:
        """The first in-scope candidate; several different ones make the field unsure."""
        if len({round(v, 6) if isinstance(v, float) else v for v, _ in found}) > 1:
            self.unsure.add(name)
        self.set(name, found[0][0], found[0][1])


from desim.llm._quantities import _Quantities  # noqa: E402
