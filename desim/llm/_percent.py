"""What a percentage in a description is about, from the words around it.

A floor ("never below 30 %", "keep 30 % in reserve", "30 % kept for
outages", "reserve: 30 %") is the complement of the discharge depth; a
share the aggregator may use ("use up to 60 % of the battery", "60 %
usable") is the depth itself; then willingness, solar efficiency, the
battery's charge now, and an EV's departure target.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desim.llm._doc import Doc

__all__ = ["classify_percent"]

_FLOOR_BEFORE = re.compile(
    r"(below|above|under|down to|lower than|less than|drain\w*(?: it)? to|discharg\w*"
    r"(?: the batter(?:y|ies))?(?: down)? to|"
    r"(?:floor|reserve|backup reserve|reserve level|minimum reserve)(?: (?:is|was|of|at|set|"
    r"setting|level|changed|raised|lowered|kept|held|now|should be|to|:)){0,3}:?|"
    r"min(?:imum)? (?:soc|charge|state of charge|level)(?: of| at| is|:)?|"
    r"keep (?:it |the battery )?(?:at|above)|bottom out at|stop at)\s*(?:at least\s*)?$")
_KEEP_BEFORE = re.compile(r"\b(keep|keeping|kept|reserve|reserving|leave|leaving|hold|holding|"
                          r"save|saving|retain|maintain)\s+(?:at least\s*|a\s*|the\s*|about\s*|"
                          r"around\s*|roughly\s*|approx\s*|~\s*)?$")
_KEEP_AFTER = re.compile(r"\s*(?:\w+\s+){0,2}?(in reserve|reserve|as (?:a )?(?:reserve|buffer)|"
                         r"for (?:outages|backup|emergencies|blackouts|us|ourselves|the house|"
                         r"the home)|in the batter|charge|untouched|at all times|minimum|always|"
                         r"of (?:the |my |our )?(?:battery|charge|capacity)\s+(?:for|in reserve|"
                         r"as backup|untouched))")
_LEFT_AFTER = re.compile(r"\s*(?:\w+\s+){0,2}?(reserved|reserve\b|left\b|kept\b|held back|"
                         r"in reserve|for backup|for emergencies|for outages|as backup|"
                         r"as a floor|floor\b|minimum (?:charge|soc|reserve))")
_USE_BEFORE = re.compile(r"(up to|at most|max(?:imum)?(?: discharge| depth)?(?: of| is|:)?|"
                         r"(?:discharge )?(?:depth|dod)(?: limit)?(?: of| is|:)?|discharge limit(?: of| is|:)?|"
                         r"discharge (?:up to|to a depth of)?|depth of discharge(?: of| is|:)?|"
                         r"dod(?: of| is|:)?|(?:use|using|access|tap|draw on|take|drain|"
                         r"dispatch|discharge|have)\s+(?:up to\s+|at most\s+|only\s+|about\s+)?)"
                         r"\s*$")
_USE_AFTER = re.compile(r"\s*(?:\w+\s+){0,2}?(usable|available (?:to|for)|of (?:the |my |our |"
                        r"its )?(?:battery|batteries|capacity|storage|powerwall|§b\d+§)"
                        r"(?! for backup)|can be (?:used|discharged|dispatched)|"
                        r"depth of discharge|dod\b|discharge)")
_SOC_AFTER = re.compile(r"\s*(full|charged\b(?! by)|state of charge|soc\b|right now|now\b|"
                        r"at the moment|currently|today|tonight)")
_SOC_BEFORE = re.compile(r"(?:\b(?:currently|now|sits|sitting|is|its|it's|at the moment|"
                         r"right now)\s*(?:at\s*)?|\bat\s*|\b(?:soc|state of charge|charge level|"
                         r"how full|charged to|charge)\b[^.;%\d]{0,25}?)"
                         r"(?:about\s*|around\s*|approx\s*|~\s*)?$")


def _ev_cue(pre: str, post: str) -> bool:
    return bool(re.search(r"(needs?|at least|with|by|min(?:imum)?|target|to)\s*$", pre) or
                re.search(r"\b(?:leav\w*|depart\w*)\b[^.;\n]{0,30}$", pre) or
                re.match(r"\s*(by|before|charge|minimum|min\b|when|at departure|"
                         r"(?:\w+\s+){0,2}(?:leav|depart|morning|commute))", post))


def classify_percent(doc: Doc, text: str, start: int, end: int) -> tuple[str, bool] | None:
    """(kind, complement) of the percentage at text[start:end], or None when unclear.

    kind is "max_discharge", "willingness", "efficiency", "soc" or
    "departure"; complement means the stated number is a floor (depth =
    100 - number).
    """
    pre = re.split(r"[.;!?\n](?!\d)", text[max(0, start - 45):start])[-1]
    pre = re.sub(r"\(\s*(?:about|around|approx|roughly|~)?\s*$", "", pre)  # "right now (about 10%)"
    post = re.split(r"[.;!?\n](?!\d)", text[end:end + 45])[0]
    near = doc.nearest(start, end, ("bat", "ev"), look_back=False)
    if re.search(r"willing", post[:20]) or re.search(r"willing\w*[^.;]{0,25}$", pre) or \
            re.search(r"participat\w*[^.;]{0,20}$", pre) or \
            re.match(r"\s*of (?:the )?(?:events|time|requests|calls|dispatch)", post) or \
            re.match(r"\s*(?:on|about|for|of)?\s*(?:participat\w*|joining|taking part)", post):
        return "willingness", False
    if re.match(r"\s*(?:system\s+)?efficien", post) or re.search(r"efficiency(?: of| is|:)?\s*$",
                                                                  pre):
        return "efficiency", False
    if re.search(r"\b(?:loss(?:es)?|derat\w*|degrad\w*|shad\w*|tax|discount|apr)\b[^.;\n%]{0,25}$",
                 pre) or re.match(r"\s*(?:loss(?:es)?|degradation|shading|tax|discount)\b", post):
        return None  # system losses, degradation: not one of the fields
    if near != "bat" and re.search(r"\b(?:charge|fill|top up)(?: (?:it|them|the car|the ev|the "
                                   r"truck|up))? (?:up )?to\s*$", pre):
        return "departure", False  # "leaves 6:00 AM; charge to 90%": a target, not the state
    if near != "bat" and re.match(
            r"\s*(?:(?:by|before) (?:then|that time|departure|the time (?:it|we|i|she|he) "
            r"leaves?|(?:the )?morning|leaving time)|when (?:it|she|he|they|we|i|the car) "
            r"(?:leaves?|departs?|goes|heads out)|at departure|before (?:leaving|departure|it "
            r"leaves)|for (?:the|my|her|his|our) (?:commute|drive|trip|school run))\b", post):
        return "departure", False  # "should have 85 % by then"
    soc = re.search(r"(?:^|[,;(]|\b(?!ev\b|car\b|target\b|departure\b|min\b|minimum\b|reserve\b|"
                    r"needed\b|required\b)[a-z]+)\s*\b(?:soc|state of charge)\s*(?:is|of|at|:|=|now)?"
                    r"\s*(?:about\s*|around\s*|~\s*)?$", pre)
    if soc and not re.match(r"\s*(?:by|before|at departure|when)\b", post):
        return "soc", False  # "battery 13.5 kWh, soc 40%, ev leaf ..."
    if near == "ev" and _ev_cue(pre, post) and (not _FLOOR_BEFORE.search(pre) or re.search(
            r"min(?:imum)? (?:soc|charge)\W*$", pre)):
        return "departure", False
    if _FLOOR_BEFORE.search(pre) or (_KEEP_BEFORE.search(pre) and _KEEP_AFTER.match(post)) \
            or _LEFT_AFTER.match(post):
        return "max_discharge", True
    if _KEEP_BEFORE.search(pre) and near != "ev":
        return "max_discharge", True
    if _USE_BEFORE.search(pre) and near != "ev" or _USE_AFTER.match(post) and near != "ev":
        return "max_discharge", False
    if re.match(r"\s*(?:by|before)\b", post) or re.search(r"\b(?:leav\w*|depart\w*)\b[^.;\n]{0,20}$",
                                                            pre):
        return "departure", False  # "we'd like it at 85 % by then"
    if (_SOC_AFTER.match(post) or _SOC_BEFORE.search(pre)) and near != "ev":
        return "soc", False
    if near == "ev" or _ev_cue(pre, post):
        return "departure", False
    return None
