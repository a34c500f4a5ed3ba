"""Never invent: a number read from text is kept only if it is finite, not negative and in range.

Every value the rule parser sets passes `accept`, which names the field and
the text span in the warning when it refuses a value. The ranges are those
of `desim.llm.validate.RANGES` (the validation layer applies them again to
every parser's output).
"""

from __future__ import annotations

import math
from typing import Any

from desim.llm.validate import RANGES

__all__ = ["accept", "fits"]


def accept(field: str, value: Any, span: str, warnings: list[str]) -> Any:
    """`value` if it is a sane value of `field`, else None with a warning naming field and span."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    shown = " ".join(span.split())[:60]
    if not math.isfinite(value):
        warnings.append(f"{field}: {shown!r} is not a finite number; left unset")
        return None
    if value < 0:
        warnings.append(f"{field}: {shown!r} is negative; a magnitude cannot be, left unset")
        return None
    low, high = RANGES.get(field, (-math.inf, math.inf))
    if not low <= value <= high:
        warnings.append(f"{field}: {shown!r} gives {value:g}, outside {low:g}-{high:g}; "
                        "left unset")
        return None
    return value


def fits(field: str, value: Any) -> bool:
    """Whether `accept` would keep `value` for `field` (no warning): a refused value is no evidence."""
    return accept(field, value, "", []) is not None
