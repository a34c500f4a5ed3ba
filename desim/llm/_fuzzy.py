"""Spelling repair for the rule parser: misspelled product and domain words.

A word of the text that is not itself known is replaced by a known word
within one edit (a letter dropped, added, changed, or two letters swapped)
when exactly one known word is that close. The known words are the words of
the catalog's product names and aliases plus a small domain vocabulary
(battery, solar, kilowatt, ...). Only words of five letters or more are
repaired: short words have too many neighbours ("car", "bar", "cab").
A word the vocabulary lists as common English ("later", "power") is never
rewritten, and neither is a word with digits.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["repair_spelling"]

_DOMAIN = """
battery batteries storage powerwall powerwalls solar panels photovoltaic inverter kilowatt
kilowatts vehicle vehicles electric charger backup discharge compensation willingness
participation conservative moderate aggressive priority departure capacity efficiency
morning evening rooftop outages emergency emergencies percent aggregator usable model range
""".split()
# common words one edit away from a vocabulary word: never rewritten
_KEEP = set("""
power later water tower lower sonar polar molar cell cells there these those their where
where's while white leave leaved needed neede change changes large larger range ranger
models model charges chart start starts panes plane planes pages place solid price
prices store stores unable drive drives driver unless stage leaver needy chargers
""".split())
# words of catalog names that are plain English: not treated as product words
_GENERIC = set("""
first edition drive large standard extended limited motor score wheel generation stated
modules plus lariat
""".split())
_WORD = re.compile(r"(?<![a-z+])[a-z]{4,}(?![a-z'+])")


def _subsequence(short: str, long_: str) -> bool:
    it = iter(long_)
    return all(ch in it for ch in short)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    words = set(_DOMAIN)
    try:
        from desim.catalog import battery_products, vehicle_products
        products = list(battery_products()) + list(vehicle_products())
    except ImportError:  # pragma: no cover - the catalog ships with desim
        products = []
    for product in products:
        for name in (product.name, *(getattr(product, "aliases", ()) or ())):
            name = re.sub(r"\(.*?\)", " ", name.lower())
            found = [w for w in re.findall(r"[a-z]+", name) if len(w) >= 5 and w not in _GENERIC]
            words.update(found)
            _PRODUCT_WORDS.update(found)
    index: dict[str, set[str]] = {}
    for word in words:
        if len(word) < 5:
            continue
        index.setdefault(word, set()).add(word)
        for d in _deletes(word):
            index.setdefault(d, set()).add(word)
    return frozenset(words), {k: frozenset(v) for k, v in index.items()}


def _transposed(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and \
        a[diff[1]] == b[diff[0]]


def _inflection(word: str, known: str) -> bool:
    """Whether `word` is `known` with another ending ("installer", "departs", "reserves")."""
    if known in _PRODUCT_WORDS:
        return False
    short, long_ = sorted((word, known), key=len)
    return long_.startswith(short) and long_[-1] != long_[-2] or \
        len(word) == len(known) and word[:-1] == known[:-1]


_PRODUCT_WORDS: set[str] = set()


@lru_cache(maxsize=4096)
def _repair(word: str) -> str:
    known, index = _vocabulary()
    if word in known or word in _KEEP or len(word) < 4:
        return word
    candidates: set[str] = set(index.get(word, ()))  # a letter dropped ("powerwal")
    if len(word) >= 5:
        for d in _deletes(word):
            for c in index.get(d, ()):  # a letter changed or added, two letters swapped
                if len(c) == len(word) and sum(x != y for x, y in zip(c, word, strict=True)) \
                        == 1 or len(c) == len(word) - 1 or _transposed(c, word):
                    candidates.add(c)
    if not candidates and len(word) >= 6:  # two letters dropped ("pwrwall")
        candidates = {c for c in _PRODUCT_WORDS if len(c) == len(word) + 2 and
                      _subsequence(word, c) and c[0] == word[0]}
    candidates = {c for c in candidates if c != word and not _inflection(word, c)}
    if len(candidates) == 1:
        return next(iter(candidates))
    return word


def repair_spelling(text: str) -> tuple[str, list[str]]:
    """Normalized `text` with misspelled known words repaired, and what was changed."""
    changes: list[str] = []

    def fix(match: re.Match) -> str:
        word = match.group(0)
        fixed = _repair(word)
        if fixed != word:
            changes.append(f"{word!r} read as {fixed!r}")
        return fixed

    return _WORD.sub(fix, text), changes
