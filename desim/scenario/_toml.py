"""A small TOML writer for scenario dicts (the standard library only reads TOML).

Scalars and arrays of scalars come first in each table, then sub-tables as
``[a.b]`` and arrays of tables as ``[[a.b]]``, so the text reads like a
hand-written scenario file.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def dumps(data: dict[str, Any]) -> str:
    """`data` (str keys; str, int, float, bool, date-time, list, dict values) as TOML."""
    lines: list[str] = []
    _table(data, [], lines)
    return "\n".join(lines).strip("\n") + "\n"


def _key(key: str) -> str:
    return key if _BARE.match(key) else _string(key)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ("nan" if math.isnan(value) else "inf" if value > 0 else "-inf")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_scalar(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _table(data: dict[str, Any], path: list[str], lines: list[str]) -> None:
    for key, value in data.items():
        if not isinstance(value, dict) and not _is_table_array(value):
            lines.append(f"{_key(key)} = {_scalar(value)}")
    for key, value in data.items():
        sub = [*path, _key(key)]
        if isinstance(value, dict):
            if not value or not all(isinstance(v, dict) or _is_table_array(v)
                                    for v in value.values()):
                lines.extend(["", f"[{'.'.join(sub)}]"])
            _table(value, sub, lines)
        elif _is_table_array(value):
            for item in value:
                lines.extend(["", f"[[{'.'.join(sub)}]]"])
                _table(item, sub, lines)
