"""Text normalization for the rule parser: spelling, number words, clock times."""

from __future__ import annotations

import re

__all__ = ["normalize", "words_to_numbers", "find_times", "TimeMention", "NUM", "to_float",
           "foreign_language"]

#: A number as text may give it: sign, decimals, exponent, or a word for a non-number.
#: Not glued to a preceding letter or digit ("eDrive40", "1e9" is read whole).
NUM = r"(?<![\w.])(-?(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?(?![\d.]\d)|nan|inf(?:inity)?)"

_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
          "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
          "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
          "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_UNIT_RE = "|".join(sorted(_UNITS, key=len, reverse=True))
_TENS_RE = "|".join(_TENS)
_NUMBER_WORDS = re.compile(
    rf"\b(?:(?P<tens>{_TENS_RE})(?:\s+(?P<tu>{_UNIT_RE}))?|(?P<unit>{_UNIT_RE}))"
    rf"(?:\s+hundred(?:\s+and)?(?:\s+(?P<h_tens>{_TENS_RE}))?(?:\s+(?P<h_unit>{_UNIT_RE}))?)?"
    rf"(?P<half>\s+and\s+a\s+half)?\b"
    # a count of fractions left in words ("three quarters" not read as a share) is not a number
    r"(?!\s+(?:quarters?|thirds?|halves|fifths?|eighths?)\b)")


def normalize(text: str) -> str:
    """Lower case, plain punctuation, one spelling per unit and maker.

    Hyphens become spaces ("kilowatt-hours" -> "kilowatt hours", "F-150" ->
    "f 150"); thousands separators go ("13,500" -> "13500"); "¢" becomes
    " cents"; "chevy" becomes "chevrolet".
    """
    out = text.lower()
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u2013", " - "), ("\u2014", " - "),
                 ("\u00a2", " cents"), ("\u00d7", " x "), ("\u00a0", " ")):
        out = out.replace(a, b)
    out = out.replace("\u2212", "-")
    out = re.sub(r"[ \t]*(?:\u2192|\u21d2|\u279c|\u2794|\u27a1|-+>|=+>)[ \t]*", " \u2192 ", out)
    out = re.sub(r"~~[^~\n]{0,40}~~", " ", out)  # struck out: "~~9.6~~ 16"
    out = re.sub(r"(?<=\d),(?=\d{3}\b)", "", out)
    out = signs(out)
    out = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)\s*-\s*(?=\d)", r"\1 to ", out)  # 10-12: a range
    out = re.sub(r"(?<![a-z/])(?:n/a|n\.a\.|n/a\.)(?![a-z])", " none ", out)
    out = re.sub(r"(?<=[a-z0-9])-(?=[a-z0-9])", " ", out)
    out = re.sub(r"\b(cont|approx|ca|incl|qty|max|min|est|nom|avg|apx)\.", r"\1", out)
    out = re.sub(r"\b(e\.g|i\.e)\.", "eg", out)
    out = re.sub(r"(?<=[a-z])\.(?=\d)", " ", out)  # "id.4" -> "id 4"
    out = re.sub(r"\b([a-z]{4,})(?=\d)", r"\1 ", out)  # "ioniq5" -> "ioniq 5"
    # trims: "LR", "SR", "ER"; a hesitation "er" (", er, 12") is not a trim
    out = re.sub(r"(?<![,.] )(?<![,.])\b(lr|sr|er)\b(?<!\ber(?=\s*[,.]\s*(?:i|we)\b))",
                 lambda m: {"lr": "long range", "sr": "standard range",
                            "er": "extended range"}[m.group(1)], out)
    out = re.sub(r"\be\s*plus\b", "e+", out)  # "Leaf e-plus"
    out = re.sub(r"(?<=\d)\s*ish\b", "", out)
    out = re.sub(r"(kwh[^.;\n]{0,20}?\(\s*)(\d+(?:\.\d+)?)\s+usable\b", r"\1\2 kwh usable",
                 out)  # "15 kWh nominal (14.2 usable)"
    out = re.sub(r"[ \t]\.{2,}[ \t]*(?=[\d$~a-z])|\.{4,}|\u2026{2,}", ": ", out)  # leaders
    out = re.sub(r"\[\s*\]\s*[a-z]+", " ", out)  # unticked boxes: "[ ] yes"
    out = re.sub(r"\[\s*x\s*\]\s*", " ", out)
    out = re.sub(r"[\u2610\u25a1]\s*", " no ", out)  # an empty box: "☐ Solar"
    out = re.sub(r"[\u2611\u2612\u2705]\s*", " ", out)  # a ticked box: "☑ Battery"
    out = re.sub(r"\s*(?:>=|\u2265)\s*", " = at least ", out)  # "PAY>=0.22/kWh"
    out = re.sub(r"\s*(?:<=|\u2264)\s*", " = at most ", out)
    out = out.replace("\u2713", " yes ").replace("\u2714", " yes ").replace("\u2717", " no ") \
        .replace("\u2718", " no ")
    out = re.sub(r"(?<=\d)\s?c\b(?!\s*\d)", " cents", thermal_celsius(out))
    out = re.sub(r"\b(\d{1,2}:\d{2})\s?([ap])\b(?!\.?m)", r"\1 \2m", out)
    out = re.sub(r"\brn\b", "right now", out)
    out = re.sub(r"\bprio\b", "priority", out)
    out = re.sub(r"(?<=\d)\s*kw\s*(?:p\b|dc\b|\(dc\))", " kw dc", out)
    out = re.sub(r"(?<=\d)\s*kw\s*(?:ac\b|\(ac\))", " kw ac", out)
    out = re.sub(r"\bb full\b", "be full", out)
    out = re.sub(r"\bchevy\b", "chevrolet", out)
    out = re.sub(r"(?<![\w'])'([12]\d)\b(?=\s+[a-z])", r"20\1", out)  # "'21 Bolt"
    out = re.sub(r"\bmy\s?(20[12]\d)\b", r"\1", out)  # "MY2022" (model year)
    out = re.sub(r"\ba\.m\.", "am", out)
    out = re.sub(r"\bp\.m\.", "pm", out)
    out = re.sub(r"[ \t]*\t[ \t]*|[ \t]{2,}", "  ", out)  # keep column gaps: aligned tables
    return re.sub(r"(?<! ) (?! )", " ", out)


def thermal_celsius(text: str) -> str:
    """"Thermostat at 24 C": a Celsius reading, not 24 cents (before the cents rule runs)."""
    return _THERMAL_C.sub(r"\1°c", text)


_THERMAL_C = re.compile(
    r"((?:thermostat|set ?point|heat pump|a/c|\bac\b|air con\w*|\bcool(?:s|ing|ed)?\b|"
    r"\bheat(?:s|ing|ed)?\b|\btemp(?:erature)?s?\b|\bset (?:it |the \w+ )?(?:to|at)|"
    r"\bkeep (?:it|the \w+) at)[^.;\n\d$]{0,25}?\d{2}(?:\.\d)?)\s?c\b(?!\s*\d)"
    r"(?!\s*(?:/|per\b|an? (?:kwh|hour)|each))")


#: "minus 4", "negative 5", "minus $4": the sign word becomes a minus sign
_SIGN_WORD = re.compile(r"\b(?:minus|negative)\s+(?=\$?\s*(?:\d|\.\d))")
#: a minus glued to a currency sign: "-$4/kWh" (a spaced "- $4" is a dash, as "- 4" is)
_SIGNED_MONEY = re.compile(r"(?<![\w.$])-\$[ \t]*(?=\d|\.\d)")


def signs(text: str) -> str:
    """Keep the sign of a number wherever it is written: "minus 40" -> "-40", "-$4" -> "$-4".

    A minus between two amounts ("$3 - $4") is a range, not a sign, and is left alone.
    """
    text = _SIGN_WORD.sub("-", text)

    def money(m: re.Match) -> str:
        before = text[:m.start()].rstrip()
        if before and (before[-1].isdigit() or before[-1] == "%"):
            return m.group(0)  # "$3 - $4": a range
        return "$-"

    return _SIGNED_MONEY.sub(money, text)


def to_float(text: str) -> float:
    """A `NUM` match as a float (nan and inf included: the caller rejects them)."""
    return float(text.replace(" ", ""))


#: English function and domain words; counted against the foreign ones below.
_EN = frozenset("""the and with we have has had our my of is to for in at by it i an that this are
be can but not no on or per about need needs battery solar car home panels house was were will
would should could do does did from as if so when what which who they them their there then
than also just only any some all both each every one two three very please up down out off
into over under after before until by yes none its it's we're we've i'm i'd we'd you your he she
his her us me am been being how many much more most less least few other another same such
leaves leave charged charge full power vehicle vehicles installed roof array
inverter backup reserve keep never below above minimum maximum morning night day days hours
""".split())
#: Function words of other languages. Words that are also English or that English
#: text carries as names and abbreviations ("y" in "Model Y", "die", "den", "est",
#: "auto", "met", "con", "les", "el", "et", "com") are left out: they must never make English look foreign.
_FOREIGN = frozenset("""und wir haben eine einen ein mit ist der das nicht kein keine unser
unsere ich habe batterie tenemos una los las que para nuestro nuestra coche nous
avons avec des notre voiture pas temos uma carro nosso abbiamo nostra
wij hebben een het onze geen zonnepanelen ett och har""".split())


def foreign_language(text: str) -> str | None:
    """Why `text` does not look like English, or None when it does."""
    letters = [c for c in text if c.isalpha()]
    if letters and sum(ord(c) > 0x24F for c in letters) > 0.3 * len(letters):
        return "mostly non-Latin script"
    words = re.findall(r"[a-zäöüßéèêáíóúñç]+", text.lower())
    foreign = sum(w in _FOREIGN for w in words)
    english = sum(w in _EN for w in words)
    if foreign >= 2 and foreign > english:
        return "function words of another language"
    return None


def _value(match: re.Match) -> str:
    g = match.groupdict()
    if g["tens"]:
        value = _TENS[g["tens"]] + (_UNITS[g["tu"]] if g["tu"] else 0)
    else:
        value = _UNITS[g["unit"]]
    if "hundred" in match.group(0):
        value = value * 100 + (_TENS[g["h_tens"]] if g["h_tens"] else 0) + (
            _UNITS[g["h_unit"]] if g["h_unit"] else 0)
    if g["half"]:
        return f"{value}.5"
    return str(value)


#: Fractions said in words, as percentages: "three quarters full", "a quarter of the
#: battery in reserve", "half the time". Not in clock times ("a quarter to seven").
_FRACTIONS = re.compile(
    r"\b(?P<f>three quarters|3 quarters|(?:a|one|1) quarter|two thirds|2 thirds|(?:a|one|1) third|"
    r"(?:a |one )?half)\b(?!\s+(?:to|past|after|before|an? hour|hour)\b)"
    r"(?=\s+(?:full|charged|empty|of\b|the (?:time|battery|batteries|capacity|storage|events|"
    r"pack|charge)\b|my\b|our\b|its\b|in reserve|left|usable|capacity|charge\b|"
    r"the events|events)|[ \t]*(?:\n|$)|\s*[.,;)]|\s+(?:and|but|or)\b)")
_FRACTION_PERCENT = {"three quarters": "75", "3 quarters": "75", "quarter": "25",
                     "two thirds": "66.67", "2 thirds": "66.67", "third": "33.33", "half": "50"}


def _fraction(match: re.Match) -> str:
    words = match.group("f")
    key = next(k for k in _FRACTION_PERCENT if words.endswith(k))
    return f"{_FRACTION_PERCENT[key]}%"


def _share(m: re.Match, text: str) -> str:
    """ "N/M" as a percentage where it reads as a share, not a date ("on 3/4")."""
    part, whole = int(m.group(1)), int(m.group(2))
    before = text[max(0, m.start() - 12):m.start()]
    if part > whole or not re.search(r"\b(?:at|to|about|around|roughly|is|only|maybe|least|"
                                     r"most|approx|~)\s*$",
                                     before) and not re.match(r"\s+(?:of|full|charged)\b",
                                                              text[m.end():]):
        return m.group(0)
    return f"{100 * part / whole:.4g}%"


def words_to_numbers(text: str) -> str:
    """Spelled numbers to digits: "thirteen and a half" -> "13.5", "twenty two" -> "22".

    Fractions said in words become percentages ("three quarters full" -> "75% full",
    "half the time" -> "50% of the time"), and "50/50" becomes "50%".
    """
    text = re.sub(r"\ba day and a half\b", "1.5 days", text)
    text = re.sub(r"\ba (day|week)\b(?! and)", r"1 \1", text)
    text = re.sub(r"\ba couple of\b", "2", text)
    text = re.sub(r"\b(?:a\s+)?pair of\b", "2", text)
    text = re.sub(r"\bhalf (?:of )?(the|my|our|its|their) (batter(?:y|ies)|capacity|storage)",
                  r"50% of \1 \2", text)
    text = re.sub(r"\b(half|quarters?|thirds?) the (time|events)\b", r"\1 of the \2", text)
    text = re.sub(r"(?<![\d./])50\s*/\s*50(?![\d/])", "50%", text)
    text = _FRACTIONS.sub(_fraction, text)
    text = re.sub(r"(?<![\d./])\b([1-9])\s*/\s*([2-9]|10)(?![\d/])"
                  r"(?=\s+(?:of|full|charged|right now|now)\b|\s*[.,;]|\s*$)",  # "2/3 of events"
                  lambda m: _share(m, text), text)
    text = _NUMBER_WORDS.sub(_value, text)
    return signs(text)  # "minus forty percent" -> "-40 percent"


class TimeMention:
    """A clock time found in text: 24 h hour and minute and its span."""

    __slots__ = ("hour", "minute", "start", "end", "explicit")

    def __init__(self, hour: int, minute: int, start: int, end: int, explicit: bool):
        self.hour, self.minute, self.start, self.end = hour, minute, start, end
        self.explicit = explicit  # am/pm, 24 h form, noon: no guessing needed

    @property
    def hhmm(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"


_MERIDIEM = r"\s*(?P<mer>am|pm|a\.m\.?|p\.m\.?|o'?clock|in the morning|in the evening|at night|tonight)?"
_TIME_PATTERNS = [
    re.compile(r"\b(?P<named>noon|midday|midnight)\b"),
    re.compile(r"\b(?P<frac>half|(?:a\s+)?quarter)\s+(?P<rel>past|after|to|before)\s+(?P<h>\d{1,2})\b"
               + _MERIDIEM),
    re.compile(r"(?<![\d.:])\b(?P<mins>[1-5]?\d)\s+(?:minutes?\s+)?(?P<rel>past)\s+"
               r"(?P<h>\d{1,2})\b" + _MERIDIEM),
    re.compile(r"(?<![\d.$])\b(?P<h>\d{1,2}):(?P<m>[0-5]\d)(?!\d)" + _MERIDIEM),
    re.compile(r"(?<![\d.$])\b(?P<h>\d{1,2})\s*(?P<mer>am|pm|a\.m\.?|p\.m\.?|o'?clock)(?![a-z])"),
    # "7.30am", "07h30", "7 30 in the morning": another separator, with am/pm or h
    re.compile(r"(?<![\d.$:])\b(?P<h>[01]?\d|2[0-3])(?:\.|h)(?P<m>[0-5]\d)\s*"
               r"(?P<mer>am|pm|a\.m\.?|p\.m\.?|in the morning|in the evening)(?![a-z])"),
    re.compile(r"(?<![\d.$:])\b(?P<h>[01]?\d|2[0-3])h(?P<m>[0-5]\d)\b"),
    re.compile(r"(?<![\d.$:])\b(?P<h>1[0-2]|[1-9]) (?P<m>[0-5]\d)\s*(?P<mer>am|pm|"
               r"in the morning|in the evening)(?![a-z])"),
    # "half seven" (half past seven)
    re.compile(r"\b(?:at|by|before|around|leaves?|leaving|departs?)\s+(?P<halfpast>half)\s+"
               r"(?P<h>1[0-2]|[1-9])"
               r"\b(?!\s*(?:%|kwh|kw|hours?|h\b|days?|percent|past|to))" + _MERIDIEM),
    # "730am", "0600", "dep 0645": hour and minute without a colon
    re.compile(r"(?<![\d.$:])\b(?P<h>[01]?\d|2[0-3])(?P<m>[0-5]\d)\s*(?P<mer>am|pm)(?![a-z])"),
    re.compile(r"\b(?:by|at|before|until|till|leaves?|leaving|departs?|departing|dep|departure|"
               r"out|ready|go)\s*:?\s+(?P<h>[01]\d)(?P<m>[0-5]\d)\b(?!\s*(?:kwh|kw|w\b|%|h\b|"
               r"hours?|days?))"),
    re.compile(r"\b(?:by|at|before|until|till|after|around|leaves?|leaving|departs?|departing)"
               r"\s+(?P<h>\d{1,2})\b(?!\s*(?:[.:,]\d|%|percent|kw|w\b|watt|hours?|h\b|days?|"
               r"cents?|\$|am|pm|o'?clock|kilo|evs?|cars?|amp|a\b|x\b|panels?))" + _MERIDIEM),
]


def _hour24(hour: int, mer: str | None) -> tuple[int, bool]:
    mer = (mer or "").replace(".", "")
    if mer in ("pm", "in the evening", "at night", "tonight"):
        return (hour % 12) + 12, True
    if mer in ("am", "in the morning"):
        return hour % 12, True
    if hour >= 13 or hour == 0:
        return hour, True
    return hour, False  # bare hour: read as written (morning for 1-11)


def find_times(text: str) -> list[TimeMention]:
    """Clock times in normalized text, without overlaps, in text order."""
    found: list[TimeMention] = []
    taken: list[tuple[int, int]] = []
    for pattern in _TIME_PATTERNS:
        for m in pattern.finditer(text):
            start = m.start("h") if "h" in m.groupdict() and m.group("h") and \
                pattern is _TIME_PATTERNS[-1] else m.start()
            if any(a < m.end() and start < b for a, b in taken):
                continue
            g = m.groupdict()
            if g.get("named"):
                hour, minute, explicit = {"noon": 12, "midday": 12, "midnight": 0}[g["named"]], 0, True
            else:
                hour = int(g["h"])
                if hour > 23:
                    continue
                minute = int(g["m"]) if g.get("m") else 0
                if g.get("halfpast"):
                    minute = 30
                if g.get("frac") or g.get("mins"):
                    minute = int(g["mins"]) if g.get("mins") else 30 if g["frac"] == "half" else 15
                    if g["rel"] in ("to", "before"):
                        hour, minute = (hour - 1) % 24, 60 - minute
                if minute > 59:
                    continue
                hour, explicit = _hour24(hour, g.get("mer"))
                if hour > 23:
                    continue
            found.append(TimeMention(hour, minute, start, m.end(), explicit))
            taken.append((start, m.end()))
    return sorted(found, key=lambda t: t.start)
