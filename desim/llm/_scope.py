"""Whose asset, which value: scope of a clause and self-corrections.

Scope: the text is cut into clauses (sentences, and at "but", "while",
"whereas", "unlike", "however"). A clause is *out of scope* when it is about
another household (a neighbour's or a parent's asset: the other person in
the possessive, or as the subject of have/own/drive), about the past (an
asset sold, traded in, that we "used to have"), or about the future (on
order, planned, "next year"). Numbers, products and asset words in such a
clause do not describe this household.

Corrections: a quantity followed by a correction marker ("sorry", "I mean",
"actually", "correction", "make that", "no wait", ...) and another number
is replaced by that number; a bare second number takes the first one's
unit ("10 kWh, sorry, 13.5" -> 13.5 kWh). The positions of corrected
numbers are kept so the value's provenance can say "corrected".
"""

from __future__ import annotations

import re

from desim.llm._text import NUM

__all__ = ["apply_corrections", "clause_scopes", "OTHER", "PAST", "FUTURE"]

_UNIT = (r"(?:kwh|kw\s*h|kilowatt\s*hours?|wh|mwh|kw|kilowatts?|w|watts?|%|percent|cents?|"
         r"hours?|hrs?|h|days?|am|pm)\b")
_MARKER = (r"(?:sorry|i mean|i meant|actually|correction|scratch that|strike that|no wait|"
           r"wait|oops|make that|make it|or rather|rather|typo|my mistake|my bad|er+|uh|um|"
           r"no)")
_CORRECTION = re.compile(
    NUM + r"(\s*" + _UNIT + r")?"                                   # first quantity
    r"(?P<gap>\s*[,;.(\-]*\s*(?:\w+\s+){0,1}?" + _MARKER + r"\b[\s,;:.!\-]*"
    r"(?:(?:it'?s|it is|that'?s|that is|make it|i have|we have|should be|is)\s+)?)"
    r"(?P<second>" + NUM[len(r"(?<![\w.])"):] + r")(?P<unit2>\s*" + _UNIT + r")?")

OTHER = re.compile(
    r"\b(?:next door|(?:neighbou?rs?|parents?|mother|father|mom|mum|dad|brother|sister|"
    r"friends?|in laws|cousin|uncle|aunt|grandparents?|colleague|coworker|landlord|roommate|"
    r"previous owner)"
    r"(?:'s|s'|'|\s+(?:\w+\s+){0,2}?(?:has|have|had|owns?|drives?|got|bought|installed|"
    r"leases?|charges?|keeps?|parks?)\b))")
PAST = re.compile(r"\b(?:sold|got rid of|traded (?:it )?in|used to (?:have|own|drive|lease)|"
                  r"no longer|gave away|totall?ed|scrapped|returned|previous(?:ly)?|former|"
                  r"old house|last house|previous house)\b")
FUTURE = re.compile(r"\b(?:on order|ordered|pre ?ordered|reserved|waiting (?:for|on)|waitlist|"
                    r"(?:will|going to|plan(?:ning)? to|planned|plans to|hope to|hoping to|"
                    r"want to|would like to|thinking (?:of|about)|considering|might|may)\s+"
                    r"(?:\w+\s+){0,2}?(?:get|getting|buy|buying|install|installing|add|adding|"
                    r"lease|purchase|put|be (?:installed|delivered|added))|next (?:year|month|"
                    r"spring|summer|fall|autumn|winter)|someday|eventually|in the future|"
                    r"quoted?|not yet)\b")
_CLAUSE = re.compile(r"[.;!?\n]+(?!\d)|\s(?=but\b|while\b|whereas\b|unlike\b|however\b|"
                     r"though\b|although\b)|\((?=[^)]*\))|\)")


def apply_corrections(text: str) -> tuple[str, list[int]]:
    """`text` with corrected quantities replaced, and the start of each correcting number."""
    corrected: list[int] = []
    out, last = [], 0
    for m in _CORRECTION.finditer(text):
        unit1, unit2 = (m.group(2) or "").strip(), (m.group("unit2") or "").strip()
        if unit2 and unit1 and unit1[0] != unit2[0]:
            continue  # "10 kWh, no, 5 kW": two different quantities
        if not unit1 and not unit2:
            continue
        out.append(text[last:m.start()])
        pos = sum(len(p) for p in out)
        corrected.append(pos)
        out.append(f"{m.group('second')} {unit2 or unit1}")
        last = m.end()
    out.append(text[last:])
    return "".join(out), corrected


def clause_scopes(text: str) -> list[tuple[int, int, str | None]]:
    """(start, end, scope) of each clause: scope None (this household, now), "other",
    "past" or "future"."""
    bounds = [0] + [m.end() for m in _CLAUSE.finditer(text)] + [len(text)]
    out = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        clause = text[a:b]
        scope = None
        if OTHER.search(clause):
            scope = "other"
        elif PAST.search(clause):
            scope = "past"
        elif FUTURE.search(clause):
            scope = "future"
        out.append((a, b, scope))
    return out
