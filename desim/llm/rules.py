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
from bisect import bisect_left, bisect_right
from typing import Any

from desim.llm._products import ProductMention, find_products
from desim.llm._text import normalize, words_to_numbers
from desim.llm.config import ProsumerConfig
from desim.llm.validate import validate_config

__all__ = ["RuleBasedParser", "RULES_VERSION"]

RULES_VERSION = "rules-1"

_NUM = r"(\d+(?:\.\d+)?)"
_TOKEN = re.compile(r"§[be]\d+§|\d+(?:\.\d+)?|[a-z]+(?:'[a-z]+)?|[^\sa-z0-9]")
_BAT = {"battery", "batteries", "bess", "storage", "bank", "inverter", "powerwall",
        "powerwalls", "output"}
_EV = {"ev", "evs", "car", "cars", "vehicle", "vehicles", "truck", "tesla", "teslas", "charger",
       "wallbox", "circuit", "amp", "amps", "onboard", "suv", "pack"}
_SOLAR = {"solar", "pv", "panel", "panels", "array", "roof", "rooftop", "photovoltaic"}
_UNIT = re.compile(r"^(\d|kw|kwh|w|watts?|kilowatts?)")
_NEG = {"no", "not", "without", "none", "never", "zero", "don't", "dont", "doesn't", "didn't"}
_GENERIC_EV = re.compile(r"\b(evs?|teslas|electric (?:cars?|vehicles?|trucks?|suvs?)|"
                         r"battery electric|plug in hybrids?)\b")
_OTHERS_EV = re.compile(r"\b(?:neighbou?r|neighbou?rs|brother|sister|friend|parents?|mother|"
                        r"father|dad|mom|son|daughter|colleague|roommate|landlord|visitors?)"
                        r"(?:'s|s'|'s)\s+(?:ev|electric car|tesla|car|§e\d+§)")
_GAS = re.compile(r"\b(gas|gasoline|petrol|diesel|e bikes?|ebikes?|bus|bike)\b")
_FUTURE = re.compile(r"\b(plan\w*|will|going to|next (?:year|spring|summer|fall|autumn|winter|"
                     r"month)|future|soon|considering|thinking about|someday)\b")
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
_COLLECTIVE = re.compile(r"\b(both|all|each|every|either|none of them|all of them|identical)\b")


class _Doc:
    """Normalized text with product placeholders, tokens and sentence bounds."""

    def __init__(self, text: str):
        base = normalize(text)
        self.products: list[ProductMention] = find_products(base)
        parts, last = [], 0
        for i, p in enumerate(self.products):
            parts.append(base[last:p.start])
            parts.append(f" §{'b' if p.kind == 'battery' else 'e'}{i}§ ")
            last = p.end
        parts.append(base[last:])
        w = words_to_numbers("".join(parts))
        self.others_ev = bool(_OTHERS_EV.search(w))
        self.text = _OTHERS_EV.sub(" someone's vehicle ", w)
        self.tokens = [(m.group(0), m.start()) for m in _TOKEN.finditer(self.text)]
        self.starts = [s for _, s in self.tokens]
        self.sentence_of: list[int] = []
        sid = 0
        for tok, _ in self.tokens:
            self.sentence_of.append(sid)
            if tok in (".", ";", "!", "?", "\n"):
                sid += 1

    def token_at(self, pos: int) -> int:
        return min(bisect_left(self.starts, pos), len(self.tokens) - 1)

    def kind(self, tok: str) -> str | None:
        if tok.startswith("§b"):
            return "bat"
        if tok.startswith("§e"):
            return "ev"
        if tok in _BAT:
            return "bat"
        if tok in _EV:
            return "ev"
        if tok in _SOLAR:
            return "solar"
        return None

    def sentence(self, pos: int) -> str:
        i = self.token_at(pos)
        sid = self.sentence_of[i]
        idx = [k for k, s in enumerate(self.sentence_of) if s == sid]
        return self.text[self.tokens[idx[0]][1]:self.tokens[idx[-1]][1] + 1]

    def nearest(self, start: int, end: int, kinds: tuple[str, ...]) -> str | None:
        """The asset kind whose keyword is closest to the span, within its sentence."""
        first = self.token_at(start)
        last = max(first, bisect_right(self.starts, end - 1) - 1)
        sid = self.sentence_of[first]
        for k in range(last + 1, min(last + 4, len(self.tokens))):
            tok = self.tokens[k][0]
            if tok in (",", ".", ";", "!", "?", "(", ")", "and") or _UNIT.match(tok):
                break
            kind = self.kind(tok)
            if kind in kinds:
                return kind  # "7.2 kW of solar", "10 kWh battery": the noun that follows
        best: tuple[float, str] | None = None
        for k, (tok, _) in enumerate(self.tokens):
            if self.sentence_of[k] != sid or first <= k <= last:
                continue
            kind = self.kind(tok)
            if kind not in kinds:
                continue
            lo, hi = (k, first) if k < first else (last, k)
            commas = sum(1 for t, _ in self.tokens[lo:hi] if t in (",", "(", ")", "-"))
            dist = (hi - lo) + 3 * commas - (0.5 if k > last else 0.0)
            if best is None or dist < best[0]:
                best = (dist, kind)
        return best[1] if best else None

    def negated(self, k: int) -> bool:
        """Whether token `k` is negated ("no solar", "don't have solar or a battery")."""
        for j in range(k - 1, max(-1, k - 6), -1):
            tok = self.tokens[j][0]
            if tok in (",", ".", ";", "!", "?", "but", "(", ")"):
                break
            if tok in _NEG:
                return True
        after = [t for t, _ in self.tokens[k + 1:k + 3]]
        return after[:2] == [":", "none"] or after[:1] == ["none"]


class RuleBasedParser:
    """Offline parser: text -> validated `ProsumerConfig` (see module docstring)."""

    name = "rules"
    model: str | None = None
    prompt_version = RULES_VERSION

    def parse(self, text: str) -> ProsumerConfig:
        """Parse one description; fields the text does not settle stay None."""
        values, provenance, warnings = self.extract(text)
        return validate_config(ProsumerConfig.build(values, provenance, warnings))

    def parse_many(self, texts: list[str]) -> list[ProsumerConfig]:
        """Parse several descriptions (in order)."""
        return [self.parse(t) for t in texts]

    # ------------------------------------------------------------------ reading
    def extract(self, text: str) -> tuple[dict[str, Any], dict[str, str], list[str]]:
        """Raw field values, provenance and warnings, before validation."""
        doc = _Doc(text)
        v: dict[str, Any] = {}
        prov: dict[str, str] = {}
        warnings: list[str] = []
        q = _Quantities(doc, warnings)
        self._solar(doc, q, v)
        self._evs(doc, q, v, prov, warnings)
        self._battery(doc, q, v, prov)
        self._preferences(doc, q, v)
        return {k: val for k, val in v.items() if val is not None}, prov, warnings

    def _solar(self, doc: _Doc, q: _Quantities, v: dict) -> None:
        positive = negative = False
        for k, (tok, pos) in enumerate(doc.tokens):
            if doc.kind(tok) != "solar" or tok == "roof" or tok == "pack":
                continue
            if doc.negated(k):
                negative = True
            elif not _FUTURE.search(doc.sentence(pos)):
                positive = True
        future_kw = [kw for kw, pos in q.solar_kw if _FUTURE.search(doc.sentence(pos))]
        current_kw = [kw for kw, pos in q.solar_kw if kw not in future_kw]
        if current_kw:
            v["solar_capacity_kw"] = round(current_kw[0], 4)
            v["has_solar"] = True
        elif positive:
            v["has_solar"] = True
        elif negative:
            v["has_solar"] = False
        if q.solar_eff is not None and v.get("has_solar"):
            v["solar_efficiency"] = q.solar_eff

    def _evs(self, doc: _Doc, q: _Quantities, v: dict, prov: dict, warnings: list) -> None:
        own = []
        for i, p in enumerate(doc.products):
            if p.kind != "vehicle":
                continue
            tok = f"§e{i}§"
            k = next((j for j, (t, _) in enumerate(doc.tokens) if t == tok), None)
            if k is None or doc.negated(k):
                continue
            before = doc.text[max(0, doc.tokens[k][1] - 5):doc.tokens[k][1]]
            earlier = [o.matched for o in own]
            if own and (re.search(r"\bthe\s*$", before) or
                        any(p.matched in e for e in earlier)):
                continue  # a second reference to a car already counted
            own.append(p)
        generic = [m for m in _GENERIC_EV.finditer(doc.text)]
        generic_pos = [m for m in generic if not doc.negated(doc.token_at(m.start()))]
        negated_ev = any(doc.negated(k) for k, (t, _) in enumerate(doc.tokens)
                         if t in ("ev", "evs", "car", "cars", "vehicle", "vehicles"))
        if not own and not generic_pos:
            if negated_ev or _GAS.search(doc.text) or doc.others_ev:
                v["has_ev"], v["ev_count"] = False, 0
            return
        v["has_ev"] = True
        explicit = re.search(r"\b(\d+)\s+(?:electric\s+|identical\s+)?"
                             r"(?:evs|electric (?:cars|vehicles|trucks)|teslas|cars|vehicles)\b",
                             doc.text)
        product_count = sum(p.count for p in own)
        count = int(explicit.group(1)) if explicit and 0 < int(explicit.group(1)) < 20 else \
            max(product_count, 1)
        v["ev_count"] = count
        collective = bool(_COLLECTIVE.search(doc.text))
        same = len({id(p.product) for p in own}) == 1 and own[0].product is not None
        product = own[0].product if same and (product_count == count or collective) else None
        if product is not None:
            cap = getattr(product, "battery_capacity_kwh", None)
            power = getattr(product, "max_charge_power_kw", None)
            if cap is not None and getattr(product, "parser_capacity", False):
                v["ev_battery_capacity_kwh"], prov["ev_battery_capacity_kwh"] = cap, "catalog"
            if power is not None and getattr(product, "parser_power", False):
                v["ev_max_charge_power_kw"], prov["ev_max_charge_power_kw"] = power, "catalog"
        for field, found in (("ev_battery_capacity_kwh", q.ev_kwh), ("ev_max_charge_power_kw",
                                                                      q.ev_kw)):
            if found and (count == 1 or _COLLECTIVE.search(doc.sentence(found[0][1]))):
                v[field], prov[field] = found[0][0], "stated"
        deadlines = [(t, pos) for t, pos in q.deadlines]
        if len({t for t, _ in deadlines}) == 1 and (
                count == 1 or _COLLECTIVE.search(doc.sentence(deadlines[0][1]))):
            v["ev_charge_deadline"] = deadlines[0][0]
        targets = list(q.departure_percent)
        cap = v.get("ev_battery_capacity_kwh")
        for kwh, pos in q.departure_kwh:
            if cap:
                targets.append((round(100.0 * kwh / cap, 2), pos))
            else:
                warnings.append(f"departure energy {kwh:g} kWh: the EV capacity is not known, "
                                "so it cannot be read as a percentage; ignored")
        if len({t for t, _ in targets}) == 1 and (
                count == 1 or _COLLECTIVE.search(doc.sentence(targets[0][1]))):
            v["ev_min_departure_soc_percent"] = targets[0][0]

    def _battery(self, doc: _Doc, q: _Quantities, v: dict, prov: dict) -> None:
        own: list[ProductMention] = []
        for i, p in enumerate(doc.products):
            if p.kind != "battery":
                continue
            k = next((j for j, (t, _) in enumerate(doc.tokens) if t == f"§b{i}§"), None)
            if k is None or doc.negated(k):
                continue
            before = doc.text[max(0, doc.tokens[k][1] - 5):doc.tokens[k][1]]
            if own and (re.search(r"\bthe\s*$", before) or any(p.matched in o.matched
                                                               for o in own)):
                continue
            own.append(p)
        if q.bess_kwh:
            v["bess_capacity_kwh"] = q.bess_kwh[0][0]
        elif own and all(p.product is not None and p.product.parser_capacity
                         and p.product.capacity_kwh is not None for p in own):
            v["bess_capacity_kwh"] = round(sum(p.count * p.product.capacity_kwh for p in own), 4)
            prov["bess_capacity_kwh"] = "catalog"
        if q.bess_kw:
            v["bess_max_power_kw"] = q.bess_kw[0][0]
        elif own and all(p.product is not None and p.product.parser_power
                         and p.product.max_power_kw is not None for p in own):
            v["bess_max_power_kw"] = round(sum(p.count * p.product.max_power_kw for p in own), 4)
            prov["bess_max_power_kw"] = "catalog"
        if q.bess_soc is not None:
            v["bess_initial_soc_percent"] = q.bess_soc

    def _preferences(self, doc: _Doc, q: _Quantities, v: dict) -> None:
        text = doc.text
        hits = [name for name, pattern in _PROFILE.items() if re.search(pattern, text)]
        if len(hits) == 1:
            v["participation_profile"] = hits[0]
        v["participation_willingness"] = q.willingness
        v["min_compensation_per_kwh"] = q.compensation
        v["backup_power_hours"] = q.backup_h
        v["max_discharge_percent"] = q.max_discharge
        m = re.search(r"\bev (?:charging )?priority\s*(?:is|:|=|should be)?\s*(low|medium|high)\b"
                      r"|\b(low|medium|high)\s+priority\b", text)
        if m:
            v["ev_priority"] = m.group(1) or m.group(2)
        elif re.search(r"\b(top priority|highest priority|comes first|non negotiable|"
                       r"must always be (?:fully )?charged)\b", text):
            v["ev_priority"] = "high"
        elif re.search(r"\b(flexible (?:with|about|on) (?:\w+ )?charging|charging is not a priority"
                       r"|flexible charging|doesn't matter when)\b", text):
            v["ev_priority"] = "low"


from desim.llm._quantities import _Quantities  # noqa: E402
