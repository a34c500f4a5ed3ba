"""Find catalog products named in normalized text (for the rule parser).

A name or alias may be shared by several products (a family name such as
"Chevrolet Bolt"); then a model year stated next to the name, or a trim word
in the same sentence ("large pack", "long range"), must settle it. A name
that stays ambiguous gives no figures: the product is counted, its numbers
are left to the text.

Besides the catalog's names and aliases, two kinds of key are derived from
them: a *family* key, a model name without its trim ("Model 3", "Model Y"),
which names its products but settles one only with a trim word; and a *code*
key, the part of a name from its model code on ("10H Prime" of "LG RESU 10H
Prime"), used when it names one product only. A generation stated after a
family name ("the Powerwall is gen 3", "Powerwall, 3rd generation") settles
it. Spaces between a model code's letters and digits are optional ("IQ5P",
"RESU16H", "PW 3").
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


_MAKERS = {"tesla", "lg", "chem", "es", "enphase", "franklinwh", "franklin", "wh", "generac",
           "sonnen", "panasonic", "nissan", "chevrolet", "ford", "hyundai", "kia",
           "volkswagen", "vw", "rivian", "bmw", "toyota", "mustang"}


_TRIM = re.compile(r"\b(?:long range|standard range|extended range|large pack|standard pack|"
                   r"max pack|large|standard|max|rwd|awd|dual motor|rear wheel drive|"
                   r"performance)\b")


def _derived_keys(key: str, kind: str) -> tuple[list[str], list[str], list[str]]:
    """Family keys ("model 3"), code keys ("10h prime") and names without their maker
    ("bolt" of "chevrolet bolt") derived from one name."""
    words = key.split()
    families, codes, bare = [], [], []
    if words[0] in _MAKERS:
        rest = [w for w in words[1:]]
        while rest and rest[0] in _MAKERS:
            rest = rest[1:]
        name = " ".join(rest)
        if len(name) >= 4 and name[0].isalpha() and name not in ("core", "plus") and \
                not re.search(r"/|\bcents\b|\bkwh\b", name):
            bare.append(name)
    body = [w for w in words if w not in _MAKERS]
    if kind == "vehicle" and len(body) >= 3 and body[0] == "model" and len(body[1]) == 1:
        families.append(" ".join(body[:2]))  # "model 3 long range" -> "model 3"
    trim = _TRIM.search(" ".join(body))
    if kind == "vehicle" and trim and trim.start() > 0:
        families.append(" ".join(body)[:trim.start()].strip())  # "lightning standard range"
    for i, w in enumerate(words):
        if re.search(r"\d", w) and re.search(r"[a-z]", w) and len(w) >= 3 and \
                i + 1 < len(words) and w not in ("f150", "bz4x", "ev6", "r1t", "r1s", "i4"):
            codes.append(" ".join(words[i:]))  # "10h prime", "5p" is too short alone
            break
    return families, codes, bare


@lru_cache(maxsize=1)
def _index() -> tuple[list[tuple[str, str, tuple[Any, ...], str]], dict[str, list[Any]]]:
    """(key, kind, products, key kind) sorted most specific first; base name -> products.

    The key kind is "name" (a catalog name or alias), "family" or "code".
    """
    batteries, vehicles = _catalog()
    table: dict[tuple[str, str], list[Any]] = {}
    derived: dict[tuple[str, str, str], list[Any]] = {}
    family: dict[str, list[Any]] = {}
    for kind, products in (("battery", batteries), ("vehicle", vehicles)):
        for product in products:
            keys = {normalize(product.name).strip(), _base_name(product.name)}
            keys.update(normalize(a).strip() for a in getattr(product, "aliases", ()) or ())
            for key in keys:
                if len(key) >= 2:
                    table.setdefault((key, kind), []).append(product)
                families, codes, bare = _derived_keys(key, kind) if "(" not in key else \
                    ([], [], [])
                for k in families:
                    derived.setdefault((k, kind, "family"), []).append(product)
                for k in codes:
                    derived.setdefault((k, kind, "code"), []).append(product)
                for k in bare:
                    derived.setdefault((k, kind, "bare"), []).append(product)
            family.setdefault(_base_name(product.name), []).append(product)
    # products that share a name or alias with each other (families across model years)
    family[""] = [tuple(v) for v in table.values() if len(v) > 1]
    entries = [(k, kind, tuple(v), "name") for (k, kind), v in table.items()]
    for (k, kind, how), v in derived.items():
        v = list(dict.fromkeys(v))
        if how == "bare" and (k, kind, "family") in derived:
            continue  # "model 3": a family, settled only by a trim
        if (k, kind) not in table and (how in ("family", "bare") or len(v) == 1):
            entries.append((k, kind, tuple(v), how))
    # catalog names first, then names of one product (most specific), then longest first
    entries.sort(key=lambda e: (e[3] != "name", len(e[2]) > 1, -len(e[0])))
    return entries, family


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], str, tuple[Any, ...], str, str, str]]:
    """Each key as a pattern: spaces between a code's digits and letters optional."""
    out = []
    for key, kind, products, how in _index()[0]:
        body = re.escape(key)
        body = re.sub(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)", r"\\s?", body)
        body = re.sub(r"(?<=[a-z])\\ (?=\d)|(?<=\d)\\ (?=[a-z])", r"\\s*", body)
        body = body.replace(r"\ ", r"\s+")
        out.append((re.compile(r"(?<![a-z0-9])" + body + r"(?:s|es|'s)?(?:(?![a-z0-9])|(?=x\d))"),
                    kind,
                    products, key, how, _literal(key)))
    return out


@lru_cache(maxsize=1)
def _by_literal() -> dict[str, list[int]]:
    """Positions in `_patterns()` of the patterns that need each literal."""
    out: dict[str, list[int]] = {}
    for i, entry in enumerate(_patterns()):
        out.setdefault(entry[5], []).append(i)
    return out


def _literal(key: str) -> str:
    """A piece of text every match of `key` contains (the pattern runs only where it is)."""
    runs = re.findall(r"[a-z]{2,}|[+]", key)
    return max(runs, key=len) if runs else ""


_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                "six": 6, "both": 2, "twin": 2, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6}
_YEAR = re.compile(r"\b(20[12]\d)\b")


_SKIP = ("my", "our", "the", "their", "his", "her", "identical", "tesla", "teslas", "new",
         "old", "used", "lg", "enphase", "generac", "franklin", "sonnen", "panasonic")


_COUNT_AFTER = [  # a count written after a name, tried in order
    re.compile(r"\s*'?\s*\(?\s*(?:x|\*|times|qty:?|quantity:?|count:?)\s*(\d{1,2})\b(?!\.\d)"),
    re.compile(r"\s*'?\s*\((\d{1,2})\)"),
    re.compile(r"\s*'?\s*(?:\([^)]{0,40}\)\s*)?[,(:-]?\s*(?:x|\*)\s*(\d{1,2})\b(?!\s*\.?\d)"),
    re.compile(r"\s*'?\s*(?:\([^)]{0,40}\)\s*)?[,(:-]?\s*(\d{1,2})\s*(?:units?|of them|pcs|"
               r"pieces|in total|total|stacked)\b"),
    re.compile(r"\s*'?\s*[,(]?\s*(single|1 unit)\b"),
    re.compile(r"[^.;\n]{0,40}?(?<![\w.])(\d{1,2})\s+of them\b"),  # "well, actually 2 of them"
]


def _count_before(text: str, start: int, end: int) -> int:
    """How many units a name counts: "2x", "x3", "(quantity: 2)", "3 units", "two"."""
    tail = text[end:end + 80]
    for pattern in _COUNT_AFTER:
        after = pattern.match(tail)
        if after:
            return 1 if after.group(1) == "single" else int(re.sub(r"\D", "", after.group(1)))
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


_GENERATION = re.compile(r"[^.;\n]{0,25}?\b(?:gen(?:eration)?|version|mk|mark|series)\s*\.?\s*"
                         r"(\d|iii|ii|\+|plus)\b|[^.;\n]{0,25}?\b(\d)(?:st|nd|rd|th)\s+gen|"
                         r"\s+(iii|ii|plus)\b")  # "Tesla Powerwall II"


def _generation(text: str, end: int, key: str, kind: str) -> tuple[str, tuple[Any, ...]] | None:
    """The product a generation after a family name names ("Powerwall ... gen 3")."""
    m = _GENERATION.match(text, end)
    if m is None:
        return None
    said = m.group(1) or m.group(2) or m.group(3)
    n = {"ii": "2", "iii": "3", "plus": "+"}.get(said, said)
    bare = " ".join(w for w in key.split() if w not in _MAKERS)
    for candidate in (f"{key} {n}", f"{key}{n}", f"{bare} {n}", f"{bare}{n}"):
        products = _NAMES().get((candidate, kind))
        if products:
            return candidate, products
    return None


@lru_cache(maxsize=1)
def _NAMES() -> dict[tuple[str, str], tuple[Any, ...]]:  # noqa: N802 - a cached constant
    return {(k, kind): v for k, kind, v, how in _index()[0] if how == "name"}


@lru_cache(maxsize=256)
def _name_words(product: Any) -> frozenset[str]:
    names = (product.name, *(getattr(product, "aliases", ()) or ()))
    return frozenset(w for n in names for w in re.findall(r"[a-z0-9+]+", normalize(n)))


def _trim_words(product: Any, key: str, pool: tuple[Any, ...]) -> set[str]:
    """Words that name `product` beyond a family key and its maker, not shared in `pool`."""
    words = _name_words
    mine = words(product) - set(key.split()) - _MAKERS
    for other in pool:
        if other is not product:
            mine -= words(other)
    return {w for w in mine if not w.isdigit() and w not in ("ev", "us", "kwh")}


def _stated_year(text: str, start: int, end: int) -> int | None:
    before = _YEAR.findall(text[max(0, start - 12):start])
    if before:
        return int(before[-1])
    after = _YEAR.findall(text[end:end + 25])
    return int(after[0]) if after else None


@lru_cache(maxsize=256)
def _words_of_name(product: Any) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9+]+", normalize(product.name)))


def _distinct_words(product: Any, others: tuple[Any, ...]) -> set[str]:
    mine = set(_words_of_name(product))
    theirs: set[str] = set()
    for other in others:
        if other is not product:
            theirs |= _words_of_name(other)
    return {w for w in mine - theirs if not w.isdigit() and w not in ("ev", "us", "kwh")}


def _resolve(candidates: tuple[Any, ...], year: int | None, sentence: str,
             family: dict[str, list[Any]], following: str = "") -> Any:
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
    modules = re.search(r"(?<![\w.§])(\d{1,2})\s+(?:battery\s+)?modules\b", sentence) or \
        re.search(r"§c§(\d{1,2})\s+(?:battery\s+)?modules\b", following)  # corrected later
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
    families: list[ProductMention] = []
    patterns = _patterns()
    candidates = sorted(i for literal, indexes in _by_literal().items() if literal in text
                        for i in indexes)
    for pattern, kind, products, key, how, _ in (patterns[i] for i in candidates):
        for m in pattern.finditer(text):
            i = bisect_left(taken, (m.start(), m.start()))
            if any(a < m.end() and m.start() < b for a, b in taken[max(0, i - 2):i + 2]):
                continue
            lo, hi = max(0, m.start() - 300), min(len(text), m.end() + 300)  # bounded work
            sent_start = max(lo - 1, text.rfind(". ", lo, m.start()),
                             text.rfind(";", lo, m.start()), text.rfind("\n", lo, m.start())) + 1
            sent_end = min([i for i in (text.find(". ", m.end(), hi), text.find(";", m.end(), hi),
                                        text.find("\n", m.end(), hi)) if i >= 0] or [hi])
            year = _stated_year(text, m.start(), m.end())
            generation = _generation(text, m.end(), key, kind)
            if generation is not None:
                key, products = generation
            product = None if how == "family" else \
                _resolve(products, year, text[sent_start:sent_end], family,
                         text[m.end():m.end() + 100])
            mention = ProductMention(kind, product, _count_before(text, m.start(), m.end()),
                                     m.start(), m.end(), key, products)
            found.append(mention)
            if how == "family":
                families.append(mention)
            insort(taken, (m.start(), m.end()))
    found.sort(key=lambda f: f.start)
    starts = [f.start for f in found]
    for mention in families:  # a trim word before the next product settles a family
        i = bisect_left(starts, mention.start + 1)
        end = min([len(text), mention.end + 160] + starts[i:i + 1])
        words = set(re.findall(r"[a-z0-9+]+", text[mention.end:end]))
        pool = tuple(dict.fromkeys(mention.candidates))
        named = [p for p in pool if _trim_words(p, mention.matched, pool) & words]
        mention.product = named[0] if len(named) == 1 else None
    # "lightning" alone is weather, not a truck
    return [f for f in found if not (f.product is None and f in families and
                                     f.matched.isalpha())]
