"""Find catalog products named in normalized text (for the rule parser).

A name or alias may be shared by several products (a family name such as
"Chevrolet Bolt"); then a model year stated next to the name, or a trim word
in the same sentence ("large pack", "long range"), must settle it. A name
that stays ambiguous gives no figures: the product is counted, its numbers
are left to the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, insort
from functools import lru_cache
from typing import Any

from desim.llm._text import normalize

__all__ = ["ProductMention", "find_products"]


class ProductMention:
    """One product named in the text: kind, resolved product (or None), count, span."""

    __slots__ = ("kind", "product", "count", "start", "end", "matched", "candidates")

    def __init__(self, kind: str, product: Any, count: int, start: int, end: int,
                 matched: str, candidates: tuple[Any, ...]):
        self.kind, self.product, self.count = kind, product, count
        self.start, self.end, self.matched, self.candidates = start, end, matched, candidates

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        name = getattr(self.product, "name", None)
        return f"ProductMention({self.kind}, {name!r}, x{self.count}, {self.matched!r})"


def _catalog() -> tuple[list[Any], list[Any]]:
    try:
        from desim.catalog import battery_products, vehicle_products
    except ImportError:  # the catalog is not available: no product names are known
        return [], []
    return list(battery_products()), list(vehicle_products())


def _years(product: Any) -> tuple[int, int] | None:
    years = getattr(product, "years", None)
    if years:
        return int(years[0]), int(years[1])
    m = re.search(r"\((\d{4})(?:\s*-\s*(\d{2,4}))?\)", product.name)
    if m is None:
        return None
    first = int(m.group(1))
    last = m.group(2)
    if last is None:
        return first, first
    last_i = int(last) if len(last) == 4 else (first // 100) * 100 + int(last)
    return first, last_i


def _base_name(name: str) -> str:
    return normalize(re.sub(r"\s*\(.*?\)\s*$", "", name)).strip()


@lru_cache(maxsize=1)
def _index() -> tuple[list[tuple[str, str, tuple[Any, ...]]], dict[str, list[Any]]]:
    """(alias pattern text, kind, products) sorted longest first; base name -> products."""
    batteries, vehicles = _catalog()
    table: dict[tuple[str, str], list[Any]] = {}
    family: dict[str, list[Any]] = {}
    for kind, products in (("battery", batteries), ("vehicle", vehicles)):
        for product in products:
            keys = {normalize(product.name).strip(), _base_name(product.name)}
            keys.update(normalize(a).strip() for a in getattr(product, "aliases", ()) or ())
            for key in keys:
                if len(key) >= 2:
                    table.setdefault((key, kind), []).append(product)
            family.setdefault(_base_name(product.name), []).append(product)
    # products that share a name or alias with each other (families across model years)
    family[""] = [tuple(v) for v in table.values() if len(v) > 1]
    entries = [(k, kind, tuple(v)) for (k, kind), v in table.items()]
    # names of one product first (most specific), then longest first
    entries.sort(key=lambda e: (len(e[2]) > 1, -len(e[0])))
    return entries, family


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], str, tuple[Any, ...], str]]:
    """Each name as a pattern that tolerates a space between digits and letters ("resu 10 h")."""
    out = []
    for key, kind, products in _index()[0]:
        body = re.escape(key)
        body = re.sub(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)", r"\\s?", body)
        body = body.replace(r"\ ", r"\s+")
        out.append((re.compile(r"(?<![a-z0-9])" + body + r"(?:s|es)?(?![a-z0-9])"), kind,
                    products, key))
    return out


_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                "six": 6, "both": 2, "twin": 2, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6}
_YEAR = re.compile(r"\b(20[12]\d)\b")


_SKIP = ("my", "our", "the", "their", "his", "her", "identical", "tesla", "teslas", "new",
         "old", "used", "lg", "enphase", "generac", "franklin", "sonnen", "panasonic")


def _count_before(text: str, start: int, end: int) -> int:
    after = re.match(r"\s*\(?\s*(?:x|\*|times|qty:?|quantity:?)\s*(\d{1,2})\b|\s*\((\d{1,2})\)",
                     text[end:end + 16])
    if after:
        return int(after.group(1) or after.group(2))
    before = re.search(r"(?<![\w.])(\d{1,2})\s*(?:x|\*)\s*(?:\w+\s+)?$|\((\d{1,2})\)\s*$",
                       text[max(0, start - 30):start])
    if before:
        return int(before.group(1) or before.group(2))
    words = re.findall(r"[a-z0-9]+|[^\sa-z0-9]", text[max(0, start - 30):start])
    for word in reversed(words[-3:]):
        if word in _COUNT_WORDS:
            return _COUNT_WORDS[word]
        if word in _SKIP:
            continue
        break
    return 1


def _stated_year(text: str, start: int, end: int) -> int | None:
    before = _YEAR.findall(text[max(0, start - 12):start])
    if before:
        return int(before[-1])
    after = _YEAR.findall(text[end:end + 25])
    return int(after[0]) if after else None


def _distinct_words(product: Any, others: tuple[Any, ...]) -> set[str]:
    mine = set(re.findall(r"[a-z0-9+]+", normalize(product.name)))
    theirs = set()
    for other in others:
        if other is not product:
            theirs |= set(re.findall(r"[a-z0-9+]+", normalize(other.name)))
    return {w for w in mine - theirs if not w.isdigit() and w not in ("ev", "us", "kwh")}


def _resolve(candidates: tuple[Any, ...], year: int | None, sentence: str,
             family: dict[str, list[Any]]) -> Any:
    pool = list(dict.fromkeys(candidates))
    if year is not None:
        extra = [p for c in pool for p in family.get(_base_name(c.name), [])]
        extra += [p for group in family.get("", []) if any(c in group for c in pool)
                  for p in group]
        pool = list(dict.fromkeys(pool + extra))
        dated = [p for p in pool if _years(p) is not None and _years(p)[0] <= year <= _years(p)[1]]
        if dated:
            pool = dated
        else:
            pool = [p for p in pool if _years(p) is None or _years(p)[0] <= year <= _years(p)[1]]
    modules = re.search(r"(?<![\w.])(\d{1,2})\s+(?:battery\s+)?modules\b", sentence)
    if len(pool) > 1 and modules:
        n = modules.group(1)
        counted = [p for p in pool if any(f"{n} modules" in a.lower() for a in p.aliases or ())]
        pool = counted or pool
    if len(pool) > 1:
        words = set(re.findall(r"[a-z0-9+]+", sentence))
        trimmed = [p for p in pool if _distinct_words(p, tuple(pool)) & words]
        if len(trimmed) == 1:
            pool = trimmed
    if len(pool) != 1:
        return None
    product = pool[0]
    years = _years(product)
    if year is None and years is not None and len(candidates) > 1:
        return None
    return product


def find_products(text: str) -> list[ProductMention]:
    """Products named in normalized `text`, longest names first, without overlaps."""
    _, family = _index()
    taken: list[tuple[int, int]] = []
    found: list[ProductMention] = []
    for pattern, kind, products, key in _patterns():
        for m in pattern.finditer(text):
            i = bisect_left(taken, (m.start(), m.start()))
            if any(a < m.end() and m.start() < b for a, b in taken[max(0, i - 2):i + 2]):
                continue
            sent_start = max(text.rfind(". ", 0, m.start()), text.rfind(";", 0, m.start()),
                             text.rfind("\n", 0, m.start())) + 1
            sent_end = min([i for i in (text.find(". ", m.end()), text.find(";", m.end()),
                                        text.find("\n", m.end())) if i >= 0] or [len(text)])
            year = _stated_year(text, m.start(), m.end())
            product = _resolve(products, year, text[sent_start:sent_end], family)
            found.append(ProductMention(kind, product, _count_before(text, m.start(), m.end()),
                                        m.start(), m.end(), key, products))
            insort(taken, (m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)
