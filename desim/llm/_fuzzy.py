"""Spelling repair for the rule parser: misspelled product and domain words.

A word of the text that is not itself known is replaced by a known word
within one edit (a letter dropped, added, changed, or two letters swapped)
when exactly one known word is that close. The known words are the words of
the catalog's product names and aliases plus a small domain vocabulary
(battery, solar, kilowatt, ...). Only words of five letters or more are
repaired: short words have too many neighbours ("car", "bar", "cab").
A word the vocabulary lists as common English ("later", "power") is never
rewritten, and neither is a word with digits.

Product names get three more repairs, because people write them the way they
say or type them: a name split in two is joined when the joined word is (or is
one edit from) a product word ("Power Wall", "PWR cell", "Power Wal"); a word
written without its vowels is the product word it abbreviates ("aPwr",
"Pwrwll"); and right after a maker's name, a short word one edit from one of
that maker's model words is that word ("Nissan Leef", "Chevy Blot").
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
_WORD = re.compile(r"(?<![a-z+])[a-z]{4,}(?![a-z])(?!'[a-z])")
_PAIR = re.compile(r"(?<![a-z0-9+'])([a-z]{2,}) ([a-z]{2,})(?![a-z0-9+'])")
_SHORT = re.compile(r"(?<![a-z0-9+'])([a-z]{2,}) ([a-z]{3,4})(?![a-z0-9'+])")
_VOWELS = "aeiou"


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
        maker = re.findall(r"[a-z]+", product.name.lower())[0]
        for name in (product.name, *(getattr(product, "aliases", ()) or ())):
            name = re.sub(r"\(.*?\)", " ", name.lower())
            found = [w for w in re.findall(r"[a-z]+", name) if len(w) >= 5 and w not in _GENERIC]
            words.update(found)
            _PRODUCT_WORDS.update(found)
            _MAKER_WORDS.setdefault(maker, set()).update(
                w for w in re.findall(r"[a-z]+", name) if len(w) >= 3 and w != maker)
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
_MAKER_WORDS: dict[str, set[str]] = {"chevrolet": set()}  # maker -> words of its model names


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by one letter changed, added or dropped, or a swap."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1 or _transposed(a, b)
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _skeleton(word: str) -> str:
    return word[0] + "".join(c for c in word[1:] if c not in _VOWELS)


@lru_cache(maxsize=1)
def _skeletons() -> dict[str, frozenset[str]]:
    """Product words by their first letter and consonants ("apower" -> "apwr")."""
    _vocabulary()
    out: dict[str, set[str]] = {}
    for word in _PRODUCT_WORDS:
        out.setdefault(_skeleton(word), set()).add(word)
    return {k: frozenset(v) for k, v in out.items()}


def _unvowelled(word: str) -> str | None:
    """The product word `word` writes without its vowels ("apwr" -> "apower"), if one."""
    if len(word) < 3 or any(c in _VOWELS for c in word[1:]) or word in _KEEP:
        return None
    found = {p for p in _skeletons().get(word, ()) if len(p) > len(word)}
    return next(iter(found)) if len(found) == 1 else None


@lru_cache(maxsize=4096)
def _joined(first: str, second: str) -> str | None:
    """The product word two adjacent words spell together ("power wall"), if one."""
    if first in _PRODUCT_WORDS and second in _PRODUCT_WORDS:
        return None
    word = first + second
    if word in _PRODUCT_WORDS:
        return word
    if len(word) >= 7:
        fixed = _repair(word)
        if fixed in _PRODUCT_WORDS and fixed[0] == first[0]:
            return fixed  # "power wal"; not "we drive" (-> "edrive")
    return None


def _after_maker(maker: str, word: str) -> str | None:
    """A maker's model word one edit from a short `word` after the maker's name."""
    vocabulary = _MAKER_WORDS.get(maker)
    if not vocabulary or word in vocabulary or word in _KEEP:
        return None
    found = {w for w in vocabulary if _one_edit(word, w)}
    return next(iter(found)) if len(found) == 1 else None


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
    return _unvowelled(word) or word


def repair_spelling(text: str) -> tuple[str, list[str]]:
    """Normalized `text` with misspelled known words repaired, and what was changed."""
    changes: list[str] = []

    _vocabulary()

    def join(match: re.Match) -> str:
        fixed = _joined(match.group(1), match.group(2))
        if fixed is None:
            return match.group(0)
        changes.append(f"{match.group(0)!r} read as {fixed!r}")
        return fixed

    def fix(match: re.Match) -> str:
        word = match.group(0)
        fixed = _repair(word)
        if fixed != word:
            changes.append(f"{word!r} read as {fixed!r}")
        return fixed

    def short(match: re.Match) -> str:
        fixed = _after_maker(match.group(1), match.group(2))
        if fixed is None:
            return match.group(0)
        changes.append(f"{match.group(2)!r} read as {fixed!r}")
        return f"{match.group(1)} {fixed}"

    text = _pairs(_PAIR, text, join)
    text = _WORD.sub(fix, text)
    return _pairs(_SHORT, text, short), changes


def _pairs(pattern: re.Pattern[str], text: str, replace) -> str:
    """`pattern.sub(replace, text)`, trying every pair of adjacent words, not every other."""
    out, last, pos = [], 0, 0
    while True:
        m = pattern.search(text, pos)
        if m is None:
            break
        new = replace(m)
        if new == m.group(0):
            pos = m.start(2)  # the second word may pair with the next one
            continue
        out.append(text[last:m.start()])
        out.append(new)
        last = pos = m.end()
    out.append(text[last:])
    return "".join(out)
