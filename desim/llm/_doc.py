"""The rule parser's view of one description: products, tokens, sentences, scope."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from desim.llm._products import ProductMention, find_products
from desim.llm._scope import CORRECTED, apply_corrections, clause_scopes

__all__ = ["Doc", "TOKEN", "BAT_WORDS", "EV_WORDS", "SOLAR_WORDS", "NEG_WORDS"]

import re  # noqa: E402

TOKEN = re.compile(r"§[a-z]+\d*§|\n|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|[a-z]+(?:'[a-z]+)?|[^\sa-z0-9]")
BAT_WORDS = {"battery", "batteries", "bess", "storage", "bank", "inverter", "powerwall",
             "powerwalls", "output", "powerbank", "batt", "bms", "pcs", "ess", "rack"}
EV_WORDS = {"ev", "evs", "car", "cars", "vehicle", "vehicles", "truck", "tesla", "teslas",
            "charger", "wallbox", "circuit", "amp", "amps", "onboard", "suv", "pack", "evse",
            "whip", "wheels"}
SOLAR_WORDS = {"solar", "pv", "panel", "panels", "array", "roof", "rooftop", "photovoltaic",
               "sun", "sunshine", "micros", "microinverters", "kwdc"}
_UNIT = re.compile(r"^(\d|kw|kwh|w|watts?|kilowatts?)")
NEG_WORDS = {"no", "not", "without", "none", "never", "zero", "don't", "dont", "doesn't",
             "didn't", "lack", "lacks", "nor", "neither"}


_MAX_PRODUCTS = 60  # more product names than any household has: the rest is not read


class Doc:
    """Normalized prose with product placeholders, tokens, sentence bounds and clause scope."""

    def __init__(self, base: str):
        self.products: list[ProductMention] = find_products(base)[:_MAX_PRODUCTS]
        parts, last = [], 0
        for i, p in enumerate(self.products):
            parts.append(base[last:p.start])
            parts.append(f" §{'b' if p.kind == 'battery' else 'e'}{i}§ ")
            last = p.end
        parts.append(base[last:])
        text = apply_corrections("".join(parts), products_only=True)
        self.corrected: set[int] = set()
        pieces = text.split(CORRECTED)
        for k in range(1, len(pieces)):
            self.corrected.add(sum(len(p) for p in pieces[:k]))
        self.text = "".join(pieces)
        self.scopes = clause_scopes(self.text)
        self._scope_starts = [a for a, _, _ in self.scopes]
        self.tokens = [(m.group(0), m.start()) for m in TOKEN.finditer(self.text)]
        self.starts = [s for _, s in self.tokens]
        self.placeholder = {t: k for k, (t, _) in enumerate(self.tokens) if t.startswith("§")}
        self.sentence_of: list[int] = []
        self._sentences: list[tuple[int, int]] = []  # first and last token of each sentence
        sid = first = 0
        for k, (tok, _) in enumerate(self.tokens):
            self.sentence_of.append(sid)
            if tok in (".", ";", "!", "?", "\n"):
                self._sentences.append((first, k))
                sid, first = sid + 1, k + 1
        self._sentences.append((first, len(self.tokens) - 1))
        self.kinds = [self.kind(t) for t, _ in self.tokens]
        self._punct = [0]  # running count of , ( ) - (they lengthen a distance)
        for t, _ in self.tokens:
            self._punct.append(self._punct[-1] + (t in (",", "(", ")", "-")))

    def scope_at(self, pos: int) -> str | None:
        """None when the text at `pos` is about this household now, else other/past/future."""
        i = bisect_right(self._scope_starts, pos) - 1
        return self.scopes[i][2] if i >= 0 else None

    def sentence_spans(self) -> list[tuple[int, int]]:
        """(start, end) character span of each sentence."""
        return [(self.tokens[lo][1], self.tokens[hi][1] + len(self.tokens[hi][0]))
                for lo, hi in self._sentences if lo <= hi < len(self.tokens)]

    def elided_absent(self) -> set[str]:
        """Assets of another household's clause followed by "we don't" (absent here)."""
        out: set[str] = set()
        for (a, b, scope), (_, _, nxt) in zip(self.scopes, self.scopes[1:], strict=False):
            if scope in ("other", "past") and nxt == "absent":
                out |= {self.kind(t) for t, pos in self.tokens if a <= pos < b} - {None}
        return out

    def absent_now(self) -> set[str]:
        """Assets a clause about the past or future says there are none of now.

        "Panels coming next month (7 kW), none yet": the nearest asset word before
        "none yet" / "none now" names the asset.
        """
        out: set[str] = set()
        for m in re.finditer(r"\bnone (?:yet|now|at the moment|at present|currently|so far)\b",
                             self.text):
            k = self.token_at(m.start())
            if self.scope_at(m.start()) not in ("past", "future"):
                continue
            for j in range(k - 1, max(-1, k - 25), -1):
                if self.kinds[j] is not None:
                    out.add(self.kinds[j])
                    break
        return out

    def token_at(self, pos: int) -> int:
        return min(bisect_left(self.starts, pos), max(len(self.tokens) - 1, 0))

    def product_token(self, index: int) -> int | None:
        kind = "b" if self.products[index].kind == "battery" else "e"
        return self.placeholder.get(f"§{kind}{index}§")

    def kind(self, tok: str) -> str | None:
        if tok.startswith("§k"):
            return {"§kbat§": "bat", "§kev§": "ev", "§ksolar§": "solar"}.get(tok)
        if tok.startswith("§b"):
            return "bat"
        if tok.startswith("§e"):
            return "ev"
        if tok in BAT_WORDS:
            return "bat"
        if tok in EV_WORDS:
            return "ev"
        if tok in SOLAR_WORDS:
            return "solar"
        return None

    def sentence(self, pos: int, previous: bool = False) -> str:
        """The sentence at `pos` (with `previous`, from the start of the one before it)."""
        if not self.tokens:
            return ""
        sid = self.sentence_of[self.token_at(pos)]
        lo, hi = self._sentences[sid]
        if previous and sid > 0:
            lo = self._sentences[sid - 1][0]
        return self.text[self.tokens[lo][1]:self.tokens[hi][1] + len(self.tokens[hi][0])]

    def nearest(self, start: int, end: int, kinds: tuple[str, ...],
                look_back: bool = True) -> str | None:
        """The asset kind whose keyword is closest to the span, within its sentence.

        With `look_back`, a sentence that names no asset is about the last one
        named before it ("Our battery is 10 kWh. It can push 5 kW.").
        """
        if not self.tokens:
            return None
        first = self.token_at(start)
        last = max(first, bisect_right(self.starts, end - 1) - 1)
        sid = self.sentence_of[first]
        for k in range(last + 1, min(last + 4, len(self.tokens))):
            tok = self.tokens[k][0]
            if tok in (",", ".", ";", "!", "?", "(", ")", "and", "but", "while", "whereas", "or") \
                    or _UNIT.match(tok):
                break
            kind = self.kind(tok)
            if kind in kinds:
                return kind  # "7.2 kW of solar", "10 kWh battery": the noun that follows
        if first > 0 and self.tokens[first - 1][0] == "(":  # "solar (6.6 kW) and a PW3"
            for k in range(first - 2, max(-1, first - 8), -1):
                if self.sentence_of[k] != sid or self.tokens[k][0] in (")", ",", ";", "."):
                    break
                if self.kinds[k] in kinds:
                    return self.kinds[k]
        best: tuple[float, str] | None = None
        lo = first
        while lo > 0 and self.sentence_of[lo - 1] == sid and first - lo < 60:
            lo -= 1
        hi = last
        while hi + 1 < len(self.tokens) and self.sentence_of[hi + 1] == sid and hi - last < 60:
            hi += 1
        for k in range(lo, hi + 1):
            if first <= k <= last:
                continue
            kind = self.kinds[k]
            if kind not in kinds:
                continue
            a, b = (k, first) if k < first else (last, k)
            commas = self._punct[b] - self._punct[a]
            dist = (b - a) + 3 * commas - (0.5 if k > last else 0.0)
            if best is None or dist < best[0]:
                best = (dist, kind)
        if best is None and look_back:
            for k in range(lo - 1, max(-1, lo - 80), -1):
                kind = self.kinds[k]
                if kind is not None:
                    return kind if kind in kinds else None
        return best[1] if best else None

    def negated(self, k: int) -> bool:
        """Whether token `k` is negated ("no solar", "don't have solar or a battery", "0 EVs")."""
        if k > 0 and self.tokens[k - 1][0] == "0":
            return True
        for j in range(k - 1, max(-1, k - 6), -1):
            tok = self.tokens[j][0]
            if tok in (",", ".", ";", "!", "?", "but", "(", ")", ":", "\n"):
                break
            if tok in NEG_WORDS and not (tok == "no" and j + 1 < len(self.tokens) and
                                         self.tokens[j + 1][0] in ("wait", ",", ".", "!")):
                return True
        after = [t for t, _ in self.tokens[k + 1:k + 4]]
        return after[:2] == [":", "none"] or after[:1] == ["none"] or \
            after[:2] in (["=", "none"], ["-", "none"], [":", "no"], ["=", "no"]) or \
            after[:1] == ["no"] and (len(after) == 1 or after[1] in (".", ",", ";", "\n", ")"))
