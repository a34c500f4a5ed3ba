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

__all__ = ["apply_corrections", "read_estimates", "clause_scopes", "CORRECTED", "OTHER", "PAST",
           "FUTURE"]

_UNIT = (r"(?:kwh|kw\s*h|kilowatt\s*hours?|wh|mwh|kwp|kw|kilowatts?|w|watts?|%|percent|"
         r"cents?|hours?|hrs?|h|days?|am|pm)(?![a-z])")
_CLASS = {"kwh": "e", "kw h": "e", "wh": "e", "mwh": "e", "kilowatt hour": "e", "kwp": "p",
          "kw": "p", "kilowatt": "p", "w": "p", "watt": "p", "%": "%", "percent": "%",
          "cent": "$", "hour": "h", "hr": "h", "h": "h", "day": "h", "am": "t", "pm": "t"}
_MARKER = re.compile(
    r"\b(?:sorry|i mean|i meant|actually|correction|corrected|scratch that|strike that|"
    r"no wait|wait no|wait|oops|make that|make it|or rather|rather|typo|my mistake|my bad|"
    r"hang on|hold on|no sorry|sry|"
    r"edit|updated?|verified|revised|no)\b")
_ITEM = re.compile(r"(?P<time>\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b|\b\d{1,2}:\d{2}\b)|"
                   r"(?P<prod>§[be]\d+§)|" + NUM + r"(?P<unit>\s*" + _UNIT + r")?")
_ESTIMATE = re.compile(NUM + r"(?P<u1>\s*" + _UNIT + r")?(?P<words>(?:\s+[a-z]+){0,2}?)\s*,?\s*"
                       r"(?P<sep>to|and|or|-|maybe|perhaps|possibly)\s+" +
                       NUM.replace(r"(?<![\w.])", "") +
                       r"(?P<u2>\s*" + _UNIT + r")?")
_COUNTED = re.compile(r"[ \t]*(modules?|units?|panels?|batter(?:y|ies)|evs|cars|packs?|towers?)\b")
#: marks a number that corrects an earlier one (kept in the text for provenance)
CORRECTED = "§c§"


def _unit_class(unit: str | None) -> str | None:
    if not unit:
        return None
    unit = unit.strip().rstrip("s")
    return _CLASS.get(unit, _CLASS.get(unit.replace(" ", "")))


def _items(text: str) -> list[tuple[int, int, str | None, str]]:
    """(start, end, class, unit) of each number, clock time and product placeholder."""
    out = []
    for m in _ITEM.finditer(text):
        if m.group("time"):
            out.append((m.start(), m.end(), "t", ""))
        elif m.group("prod"):
            out.append((m.start(), m.end(), "prod" + m.group("prod")[1], ""))
        else:
            unit = (m.group("unit") or "").strip()
            noun = None if unit else _COUNTED.match(text, m.end())
            if noun:  # "4 modules, no wait 3": the count carries its noun to the correction
                out.append((m.start(), m.end(), "n", noun.group(1)))
                continue
            if not unit and not re.search(r"(?:^|[:=,(|]|\b(?:is|it'?s|to|that|maybe|be|wait|no|"
                                          r"sorry|sry|mean|meant|actually|make|make it|edit|"
                                          r"rather|on))\s*$",
                                          text[max(0, m.start() - 12):m.start()]):
                continue  # a bare number inside a name ("Powerwall 2", "Model 3")
            out.append((m.start(), m.end(), _unit_class(unit), unit))
    return out


def apply_corrections(text: str, warnings: list[str] | None = None,
                      products_only: bool = False) -> str:
    """`text` with each corrected quantity, time or product dropped (see module docstring).

    The correcting number is prefixed with `CORRECTED` and takes the first
    one's unit when it has none.
    """
    items = _items(text)
    if products_only:
        items = [i for i in items if i[2] and i[2].startswith("prod")]
    drop: list[tuple[int, int, str]] = []
    for m in _MARKER.finditer(text):
        before = [i for i in items if i[1] <= m.start() and m.start() - i[1] <= 80]
        after = [i for i in items if i[0] >= m.end() and i[0] - m.end() <= 60]
        if not before or not after:
            continue
        q1 = before[-1]
        q2 = next((i for i in after if i[2] == q1[2]), None)
        if q2 is None and after[0][2] is None and not re.match(r"\s*[a-z]", text[after[0][1]:]):
            q2 = after[0]
        if q2 is None or q1[2] is None and q2[2] is None and m.group(0) not in (
                "no wait", "wait no", "sorry", "i mean", "make that", "make it", "actually",
                "no sorry", "sry", "hang on", "hold on"):
            continue
        if m.group(0) == "no" and re.sub(r"^\s*(?:/|per)\s*kwh", "", text[q1[1]:m.start()]) \
                .strip(" ,.;?!") != "":
            continue  # "no" corrects only right after the number ("13.5 kWh? No, 16")
        if q2[2] is None and q1[2] is not None and not q1[2].startswith("prod"):
            if re.match(r"\s*(?:kwh|kw|%|w\b|h\b|hours?|days?|am|pm|cents?)", text[q2[1]:]):
                continue
            drop.append((q2[1], q2[1], " " + q1[3]))
        drop.append((q1[0], q1[1], ""))
        attached = re.search(NUM + r"\s*(?:kwh|kw|w|wh)\s*$", text[max(0, q1[0] - 20):q1[0]]) \
            if q1[2] and q1[2].startswith("prod") else None
        if attached:  # "a 13.5 kWh Powerwall 2... oh wait, the Powerwall went back"
            drop.append((q1[0] - len(attached.group(0)), q1[0], ""))
        drop.append((q2[0], q2[0], CORRECTED))
        if warnings is not None:
            warnings.append(f"{text[q1[0]:q1[1]]!r} corrected by {text[q2[0]:q2[1]]!r}")
    out, last = [], 0
    for start, end, new in sorted(set(drop)):
        if start < last:
            continue
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)


_CHANGE = re.compile(r"\b(?:changed|updated|raised|lowered|increased|reduced|decreased|moved|"
                     r"went|dropped|bumped|upped|revised|adjusted|cut|switched)\s+(?:it\s+)?from\s+" +
                     NUM + r"(?P<u1>\s*" + _UNIT + r")?\s+to\s+" +
                     NUM.replace(r"(?<![\w.])", "") + r"(?P<u2>\s*" + _UNIT + r")?")


def read_changes(text: str, warnings: list[str]) -> str:
    """"Reserve changed from 20% to 40%": the new value, marked as a correction."""

    def one(m: re.Match) -> str:
        unit = m.group("u2") or m.group("u1") or ""
        warnings.append(f"{m.group(1)}{m.group('u1') or ''!s} changed to {m.group(3)}{unit}")
        return f"{CORRECTED}{m.group(3)}{unit}"

    return _CHANGE.sub(one, text)


def read_estimates(text: str, warnings: list[str]) -> str:
    """Ranges and "X, maybe Y": the midpoint when narrow (spread <= 20 % of it), else dropped."""
    text = read_changes(text, warnings)

    def one(m: re.Match) -> str:
        u1, u2 = (m.group("u1") or "").strip(), (m.group("u2") or "").strip()
        if m.group("words") and (m.group("sep") not in ("maybe", "perhaps", "possibly") or u2):
            return m.group(0)  # words between: a range only as "X kWh battery, maybe Y"
        unit = u2 or u1
        if not unit or _unit_class(unit) in ("t", None) or u1 and u2 and \
                _unit_class(u1) != _unit_class(u2):
            return m.group(0)
        pre = text[max(0, m.start() - 9):m.start()]
        if re.search(r"\bfrom\s*$", pre) or m.group("sep") == "and" and \
                not re.search(r"\bbetween\s*$", pre):
            return m.group(0)  # "from 10 to 13.5 kWh" is a change; "10 kWh and 6" two things
        try:
            low, high = sorted((float(m.group(1)), float(m.group(5))))
        except (TypeError, ValueError):
            return m.group(0)
        mid = (low + high) / 2.0
        if mid > 0 and high - low <= 0.2 * mid:
            return f"{mid:g} {unit}{m.group('words')}"
        warnings.append(f"{m.group(0).strip()!r}: a wide range, not one value; ignored")
        return " "

    return _ESTIMATE.sub(one, text)


OTHER = re.compile(
    r"\b(?:next door|at (?:his|her|their) (?:place|flat|apartment|house|home)|visits|visiting|"
    r"belongs? to|belonging to|not (?:a |an |our |the )?household(?:'s)? (?:vehicle|car|ev|"
    r"battery)|(?:isn'?t|is not|not) ours|community solar|solar (?:garden|farm) share|"
    r"off ?site|not grid tied|isn'?t grid tied|not (?:connected|tied) to the grid|"
    r"(?:isn'?t|is not|not) on (?:this|our|the same) meter|separate meter|"
    r"(?:at|on) (?:the|our|my) (?:shed|cabin|cottage|barn|chicken coop|lake house|holiday home|"
    r"workshop)|"
    r"neighbou?r(?:s|hood)?\b|"
    r"(?:parents?|mother|father|mom|mum|dad|brother|sister|"
    r"friends?|in laws|cousin|uncle|aunt|grandparents?|colleague|coworker|landlord|roommate|"
    r"previous owner|tenant|guest|visitor|relative|boss)s?"
    r"(?:'s|s'|'|\s+(?:\w+\s+){0,2}?(?:has|have|had|owns?|drives?|got|bought|installed|"
    r"leases?|charges?|keeps?|parks?|uses?|runs?|swears?|loves?|"
    r"recommends?|tells?|telling|says?)\b))")
PAST = re.compile(r"\b(?:sold|got rid of|traded (?:it )?in|used to (?:have|own|drive|lease)|"
                  r"no longer|gave away|totall?ed|scrapped|returned|previous(?:ly)?|former|"
                  r"old house|last house|previous house|went back|sent back|taken back|"
                  r"(?:was|were|got|been) (?:removed|uninstalled|taken out|taken down)|"
                  r"removed (?:during|for|when|last|in)|decommissioned)\b")
FUTURE = re.compile(r"\b(?:on order|ordered|pre ?ordered|reserved|waiting (?:for|on)|waitlist|"
                    r"(?:will|going to|plan(?:ning)? to|planned|plans to|hope to|hoping to|"
                    r"want to|would like to|thinking (?:of|about)|considering|might|may)\s+"
                    r"(?:\w+\s+){0,2}?(?:get|getting|buy|buying|install|installing|add|adding|"
                    r"lease|purchase|put|be (?:installed|delivered|added))|next (?:year|yr|month|mo|"
                    r"week|spring|summer|fall|autumn|winter)|someday|eventually|in the future|"
                    r"quoted?|not yet|planned|pending|future|coming (?:next|in|soon|this)|"
                    r"interested in (?:\w+\s+){0,2}?(?:pv|solar|panels?|batter\w*|storage|evs?|"
                    r"cars?|§[be]\d+§)|(?:gettin|getting) (?:an?|the|our|my)\b|to be installed|"
                    r"scheduled|reinstall\w*|wish ?list)\b")
_CLAUSE = re.compile(r"[.;!?\n]+(?!\d)|\s(?=but\b|while\b|whereas\b|unlike\b|however\b|"
                     r"though\b|although\b)|,\s*(?=(?:we|i|us|customer|homeowner|owner|client)\b)|"
                     r"\s(?=(?:so|and)\s+(?:we|i|our)\b)")
_PAREN = re.compile(r"\(([^()]*)\)")
_ELLIPSIS = re.compile(r"^\W*(?:but\s+|and\s+)?(?:here|now|currently|today|at this house)?,?\s*"
                       r"(?:(?:we|i|us)\s*(?:do not|don'?t|dont|have none|have not|"
                       r"haven'?t|do not have one|don'?t have one|not|have nothing)\b\W*(?:have "
                       r"(?:any|one|it))?|none (?:here|now)|not any ?more|no longer)"
                       r"(?:\s+(?:here|now|anymore|any more|yet))?\W*$")
_NOT_OURS = re.compile(r"^\W*(?:(?:it|this|that)(?:'s| is)\s+)?not (?:a |an |our |the )?"
                       r"(?:household|family|ours|our)\b")


def _scope_of(clause: str) -> str | None:
    if OTHER.search(clause):
        return "other"
    if PAST.search(clause):
        return "past"
    if FUTURE.search(clause):
        return "future"
    return None


def clause_scopes(text: str) -> list[tuple[int, int, str | None]]:
    """(start, end, scope) of each clause: scope None (this household, now), "other",
    "past" or "future" ("absent" for "we don't" after another household's clause).

    A parenthesis is a clause of its own when its words give it a scope ("1 x
    Powerwall 2 (Mum's house has the other one)"), else it shares its clause's;
    the clause's own scope is read from its words outside the parenthesis, so
    "an EV (Model Y) belongs to a visiting relative" puts the Model Y out of scope.
    A clause that only says "not a household vehicle" puts the clause before it
    out of scope too.
    """
    bounds = [0] + [m.end() for m in _CLAUSE.finditer(text)] + [len(text)]
    out: list[tuple[int, int, str | None]] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        clause = text[a:b]
        parens = list(_PAREN.finditer(clause))
        outer = _PAREN.sub(" ", clause) if parens else clause
        scope = _scope_of(outer)
        if scope is None and out and out[-1][2] in ("other", "past") and _ELLIPSIS.match(clause):
            scope = "absent"  # "my neighbour has solar; we don't", "we had solar; none here"
        if _NOT_OURS.match(clause):
            scope = "other"
            if out and out[-1][2] is None:
                out[-1] = (out[-1][0], out[-1][1], "other")
        last = a
        for m in parens:
            inner = _scope_of(m.group(1))
            if m.start() > 0:
                out.append((last, a + m.start(), scope))
            out.append((a + m.start(), a + m.end(), inner or scope))
            last = a + m.end()
        if last < b or not parens:
            out.append((last, b, scope))
    return out
