"""desim's scenario converter: one cattrs converter, strict, every problem at once.

Primitive hooks are strict (no string to number or bool, no float to int, no
bool as a number, finite floats only); arrays must be arrays. Every attrs
class of the schema is structured by one hook factory that reports unknown
keys (``forbid_extra_keys``, with a "did you mean"), missing keys, each
field's structure problem and attrs validator, then the class's cross-field
rules (`desim.scenario._rules`), and raises one cattrs `ClassValidationError`
holding them all (see `desim.scenario._messages`).

Date-times are localized in the scenario time zone and relative paths are
read from the scenario's folder; both come from context variables that the
`Scenario` hook and `desim.scenario.loader` set.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import difflib
import math
import types
import typing
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import cattrs
import pandas as pd
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_unstructure_fn, override

from desim.scenario import _rules
from desim.scenario import schema as s
from desim.scenario._messages import Invalid, Problem, Skip, as_given

__all__ = ["converter", "make_converter", "BASE_DIR", "TIME_ZONE", "Partial", "BAD"]

# The scenario time zone (None while unknown or invalid: date-times are then skipped).
TIME_ZONE: contextvars.ContextVar[ZoneInfo | None] = contextvars.ContextVar("time_zone",
                                                                            default=None)
BAD = _rules.BAD
BASE_DIR = _rules.BASE_DIR


class Partial(ClassValidationError):
    """A table with problems; ``values`` holds what could be read (`BAD` where not).

    Rules of the enclosing table see ``values`` in place of the instance.
    """

    values: types.SimpleNamespace


class UnknownKeys(ForbiddenExtraKeysError):
    """Keys the table does not have; the message for each suggests a close name."""

    def __init__(self, cls: type, extra: list[str], known: list[str]) -> None:
        super().__init__(None, cls, set(extra))
        self.problems = []
        for key in extra:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = (f' (did you mean "{close[0]}"?)' if close
                    else "; expected one of " + ", ".join(known))
            self.problems.append(Problem("unknown key" + hint, at=key))


class PartialArray(IterableValidationError):
    """An array with problems; ``items`` as for `Partial` (or `BAD` when unusable)."""

    items: Any


def _file_key(f: attrs.Attribute) -> str:
    return f.metadata.get("key", f.name)


def _file_fields(cls: type) -> list[attrs.Attribute]:
    return [f for f in attrs.fields(cls) if f.metadata.get("file", True)]


def _default(f: attrs.Attribute) -> Any:
    return f.default.factory() if isinstance(f.default, attrs.Factory) else f.default


def _note(exc: BaseException, name: str | int, tp: Any) -> BaseException:
    if isinstance(name, int):
        exc.add_note(IterableValidationNote(f"Structuring item @ index {name}", name, tp))
    else:
        exc.add_note(AttributeValidationNote(f"Structuring field {name!r}", name, tp))
    return exc


def _value_of(exc: BaseException) -> Any:
    """What a failed value still offers to the rules of its parent."""
    if isinstance(exc, Partial):
        return exc.values
    if isinstance(exc, PartialArray):
        return exc.items
    return BAD


# --- primitives

def _str(value: Any, _: type) -> str:
    if isinstance(value, str):
        return value
    raise Invalid("a string", value)


def _int(value: Any, _: type) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise Invalid("an integer", value)


def _bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    raise Invalid("true or false", value)


def _float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid("a number", value)
    if not math.isfinite(value):
        raise Invalid("a finite number", value)
    return float(value)


def _clock_time(value: Any, _: type) -> str:
    if isinstance(value, dt.time) and value.tzinfo is None and value.second == 0 \
            and value.microsecond == 0:
        return value.strftime("%H:%M")  # a TOML local time such as 07:30:00
    return _str(value, str)


def _table(value: Any, _: type) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    raise Invalid("a table", value)


def _timestamp(value: Any, _: type) -> pd.Timestamp:
    expected = 'a local date-time "YYYY-MM-DDTHH:MM"'
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(expected, value) from None
    elif isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    else:
        raise Invalid(expected, value)
    if not s.FIRST_YEAR <= parsed.year <= s.LAST_YEAR:
        raise Invalid(f"a date-time in the years {s.FIRST_YEAR}-{s.LAST_YEAR}", value)
    tz = TIME_ZONE.get()
    if tz is None:  # the time zone is missing or wrong, and reported already
        raise Skip
    stamp = pd.Timestamp(parsed)
    if stamp.tzinfo is not None:
        return stamp.tz_convert(tz)
    try:
        return stamp.tz_localize(tz, ambiguous="raise", nonexistent="raise")
    except ValueError:
        raise Invalid(f"a wall time that exists once in {tz.key} (not in a daylight-saving "
                      "gap or overlap; add a UTC offset such as -07:00)", value) from None


def _source(value: Any, names: tuple[str, ...], kinds: tuple[str, ...]) -> str | s.FileSource:
    """A profile: a model name or ``{ kind = "path" }``."""
    options = s.source_options(names, kinds)
    if isinstance(value, str):
        if value in names:
            return value
        raise Invalid(options, value)
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in kinds:
        raise Invalid(options, value)
    kind, file = next(iter(value.items()))
    if not isinstance(file, str):
        raise Invalid("a path string", file, at=kind)
    return s.FileSource(kind=kind, path=file)


# --- containers

def _array_hook(tp: Any, conv: cattrs.Converter):
    item_type = typing.get_args(tp)[0]
    item_hook = conv.get_structure_hook(item_type)

    def structure(value: Any, _: type) -> tuple:
        if not isinstance(value, list):
            raise Invalid("an array", value)
        items, errors = [], []
        for i, item in enumerate(value):
            try:
                items.append(item_hook(item, item_type))
            except (Problem, Skip, ClassValidationError, IterableValidationError) as exc:
                errors.append(_note(exc, i, item_type))
                items.append(_value_of(exc))
        if errors:
            exc = PartialArray(f"While structuring {tp!r}", errors, tp)
            exc.items = BAD if any(v is BAD for v in items) else items
            raise exc
        return tuple(items)
    return structure


def _optional_hook(tp: Any, conv: cattrs.Converter):
    # TOML has no null: `X | None` means "X, or not given" (the default).
    inner = next(a for a in typing.get_args(tp) if a is not type(None))
    hook = conv.get_structure_hook(inner)
    return lambda value, _: hook(value, inner)


def _is_optional(tp: Any) -> bool:
    return (typing.get_origin(tp) in (types.UnionType, typing.Union)
            and type(None) in typing.get_args(tp))


def _is_array(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


# --- attrs classes

def _class_hook(cls: type, conv: cattrs.Converter):
    fields = _file_fields(cls)
    keys = {_file_key(f): f for f in fields}
    rule = _rules.RULES.get(cls)

    def field_value(f: attrs.Attribute, raw: Any) -> Any:
        if "kinds" in f.metadata:
            value = _source(raw, f.metadata["names"], f.metadata["kinds"])
        else:
            value = conv.structure(raw, f.type)
        if f.validator is not None:
            try:
                f.validator(None, f, value)
            except Problem as exc:
                raise as_given(exc, raw) from None
        return value

    def structure(value: Any, _: type) -> Any:
        if not isinstance(value, dict):
            raise Invalid("a table", value)
        errors: list[BaseException] = []
        extra = [k for k in value if k not in keys]
        if extra and conv.forbid_extra_keys:
            errors.append(UnknownKeys(cls, extra, list(keys)))
        given: dict[str, Any] = {}
        effective: dict[str, Any] = {}
        for key, f in keys.items():
            if key in value:
                try:
                    given[f.name] = effective[f.name] = field_value(f, value[key])
                except (Problem, Skip, ClassValidationError, IterableValidationError) as exc:
                    errors.append(_note(exc, key, f.type))
                    effective[f.name] = _value_of(exc)
            elif f.default is attrs.NOTHING:
                what = "section" if attrs.has(f.type) else "key"
                errors.append(_note(Problem(f"required {what} missing"), key, f.type))
                effective[f.name] = BAD
            else:
                effective[f.name] = _default(f)
        view = types.SimpleNamespace(**effective)
        if rule is not None:
            errors += rule(view)
        if errors:
            exc = Partial(f"While structuring {cls.__name__}", errors, cls)
            exc.values = view
            raise exc
        return cls(**given)

    if cls is not s.Scenario:
        return structure

    def scenario(value: Any, tp: type) -> Any:
        # Date-times anywhere in the file are read in the [scenario] time zone.
        token = TIME_ZONE.set(_time_zone_of(value))
        try:
            return structure(value, tp)
        finally:
            TIME_ZONE.reset(token)
    return scenario


def _time_zone_of(raw: Any) -> ZoneInfo | None:
    info = raw.get("scenario") if isinstance(raw, dict) else None
    name = info.get("time_zone") if isinstance(info, dict) else None
    if not isinstance(name, str) or s._time_zone(name) is not None:
        return None
    return ZoneInfo(name)


# --- writing

def _unstructure_timestamp(ts: pd.Timestamp) -> str:
    local = ts.tz_localize(None)
    text = local.isoformat(timespec="seconds" if local.microsecond == 0 else "microseconds")
    try:  # an ambiguous wall time (autumn DST overlap) keeps its UTC offset
        local.tz_localize(ts.tzinfo, ambiguous="raise", nonexistent="raise")
    except ValueError:
        text = ts.isoformat()
    return text


def make_converter() -> cattrs.Converter:
    """The scenario converter (`converter` is the one instance desim uses)."""
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(str, _str)
    conv.register_structure_hook(int, _int)
    conv.register_structure_hook(bool, _bool)
    conv.register_structure_hook(float, _float)
    conv.register_structure_hook(s.ClockTime, _clock_time)
    conv.register_structure_hook(pd.Timestamp, _timestamp)
    conv.register_structure_hook_func(lambda t: t == dict[str, Any], _table)
    conv.register_structure_hook_factory(_is_optional, _optional_hook)
    conv.register_structure_hook_factory(_is_array, _array_hook)
    conv.register_structure_hook_factory(attrs.has, _class_hook)
    conv.register_unstructure_hook(pd.Timestamp, _unstructure_timestamp)
    conv.register_unstructure_hook(s.FileSource, lambda f: {f.kind: f.path})
    skip = {"source": override(omit=True), "base_dir": override(omit=True)}
    conv.register_unstructure_hook(s.Scenario, make_dict_unstructure_fn(
        s.Scenario, conv, info=override(rename="scenario"), **skip))
    return conv


converter = make_converter()
