"""`FleetConfig`: every rate and table the fleet generator draws from, as data.

The defaults live in ``desim/fleet/data/<preset>.toml`` (``california``). A
scenario file or Python code overrides any key with `FleetConfig.from_dict`,
which deep-merges the overrides onto a preset, structures them with a cattrs
converter that forbids unknown keys, and validates every value, raising once
with every problem named by its key path and value.
"""

from __future__ import annotations

import contextvars
import math
import tomllib
from functools import cache
from importlib import resources
from typing import Any

import cattrs
from attrs import field, frozen
from cattrs.v import transform_error

from desim.errors import ParameterError, ScenarioError, check_all
from desim.fleet.table import EV_PRIORITY_NAMES, PROFILE_NAMES

__all__ = [
    "Dist",
    "AdoptionConfig",
    "LoadConfig",
    "BessClass",
    "BessConfig",
    "EvClass",
    "EvConfig",
    "SolarConfig",
    "PreferenceProfile",
    "FleetConfig",
    "presets",
]

DIST_KINDS = ("uniform", "normal", "lognormal", "choice")

# Key path used in validation messages while `from_dict` builds a config.
_PATH: contextvars.ContextVar[str] = contextvars.ContextVar("_fleet_config_path",
                                                            default="FleetConfig")


def _floats(value) -> tuple[float, ...]:
    return tuple(float(v) for v in value)


@frozen
class Dist:
    """A univariate distribution, drawn vectorized by `desim.fleet.generate`.

    ``kind``: ``"uniform"`` (``low``..``high``), ``"normal"`` (``mean``, ``sd``,
    draws clipped to [``low``, ``high``] when given), ``"lognormal"``
    (arithmetic ``mean`` and ``sd`` of the variable itself, optional clip) or
    ``"choice"`` (``values`` with ``weights`` summing to 1). ``round_to``
    rounds each draw to a multiple of it (after clipping).
    """

    kind: str
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    values: tuple[float, ...] = field(default=(), converter=_floats)
    weights: tuple[float, ...] = field(default=(), converter=_floats)
    round_to: float | None = None

    def expected_mean(self) -> float:
        """Mean of the distribution before clipping and rounding."""
        if self.kind == "uniform":
            return (self.low + self.high) / 2.0
        if self.kind == "choice":
            return math.fsum(v * w for v, w in zip(self.values, self.weights, strict=True))
        return self.mean

    def problems(self, path: str) -> list[str]:
        """Every inconsistency of this distribution, each named by `path`."""
        out = []
        if self.kind not in DIST_KINDS:
            return [f"{path}.kind: expected one of {', '.join(DIST_KINDS)}, got {self.kind!r}"]
        if self.kind == "uniform":
            if self.low is None or self.high is None:
                out.append(f"{path}: expected low and high for kind 'uniform', got "
                           f"low={self.low}, high={self.high}")
            elif not self.low <= self.high:
                out.append(f"{path}: expected low <= high, got low={self.low}, high={self.high}")
        elif self.kind in ("normal", "lognormal"):
            if self.mean is None or self.sd is None:
                out.append(f"{path}: expected mean and sd for kind {self.kind!r}, got "
                           f"mean={self.mean}, sd={self.sd}")
            else:
                if self.sd < 0:
                    out.append(f"{path}.sd: expected >= 0, got {self.sd}")
                if self.kind == "lognormal" and not self.mean > 0:
                    out.append(f"{path}.mean: expected > 0 for kind 'lognormal', got {self.mean}")
            if self.low is not None and self.high is not None and not self.low <= self.high:
                out.append(f"{path}: expected low <= high, got low={self.low}, high={self.high}")
        else:
            if not self.values or len(self.values) != len(self.weights):
                out.append(f"{path}: expected equally long non-empty values and weights, got "
                           f"{len(self.values)} values and {len(self.weights)} weights")
            out += _weight_problems(self.weights, f"{path}.weights")
        if self.round_to is not None and not self.round_to > 0:
            out.append(f"{path}.round_to: expected > 0, got {self.round_to}")
        return out

    def within(self, lo: float, hi: float) -> bool:
        """True when every possible draw lies in [lo, hi]."""
        if self.kind == "choice":
            return all(lo <= v <= hi for v in self.values)
        if self.kind == "uniform":
            return lo <= self.low and self.high <= hi
        low = self.low if self.low is not None else (0.0 if self.kind == "lognormal"
                                                     else -math.inf)
        high = self.high if self.high is not None else math.inf
        return lo <= low and high <= hi


def _weight_problems(weights, path: str) -> list[str]:
    weights = list(weights)
    if any(not (w >= 0 and math.isfinite(w)) for w in weights):
        return [f"{path}: expected finite weights >= 0, got {weights}"]
    if abs(math.fsum(weights) - 1.0) > 1e-9:
        return [f"{path}: expected weights summing to 1, got {weights} "
                f"(sum {math.fsum(weights):.12g})"]
    return []


def _fraction(value, path: str) -> list[str]:
    ok = isinstance(value, float) and 0.0 <= value <= 1.0
    return [] if ok else [f"{path}: expected a fraction 0-1, got {value}"]


def _positive(value, path: str) -> list[str]:
    return [] if value > 0 and math.isfinite(value) else [f"{path}: expected > 0, got {value}"]


@frozen
class AdoptionConfig:
    """Adoption probabilities per household (fractions 0-1).

    ``solar_given_bess`` is P(solar | BESS); P(solar | no BESS) is derived by
    `solar_given_no_bess` so that the solar marginal stays exactly ``solar``.
    """

    bess: float
    ev: float
    solar: float
    solar_given_bess: float

    def solar_given_no_bess(self) -> float:
        """P(solar | no BESS) = (P(solar) - P(solar | BESS) P(BESS)) / (1 - P(BESS)).

        By the law of total probability; with P(BESS) = 1 the value is unused
        and returned as ``solar``.
        """
        if self.bess >= 1.0:
            return self.solar
        return (self.solar - self.solar_given_bess * self.bess) / (1.0 - self.bess)


@frozen
class LoadConfig:
    """Household load: ``annual_load_kwh`` distribution (kWh per year)."""

    annual_load_kwh: Dist


@frozen
class BessClass:
    """One battery size class: ``share`` of batteries, capacity (kWh), power (kW).

    When ``capacity_kwh_max`` is set the capacity is uniform on
    [``capacity_kwh``, ``capacity_kwh_max``] and power scales with it.
    """

    name: str
    share: float
    capacity_kwh: float
    max_power_kw: float
    capacity_kwh_max: float | None = None
    product: str = ""


@frozen
class BessConfig:
    """Home battery parameters; SOC figures in percent (0-100)."""

    classes: tuple[BessClass, ...]
    charge_efficiency: float
    discharge_efficiency: float
    min_soc_percent: float
    max_soc_percent: float
    self_discharge_per_h: float
    initial_soc_percent: Dist


@frozen
class EvClass:
    """One EV class: ``share`` of EVs, usable capacity (kWh), onboard charger
    rating (kW), consumption (kWh per mile) and a representative catalog product."""

    name: str
    share: float
    capacity_kwh: float
    onboard_charger_kw: float
    kwh_per_mile: float
    product: str = ""


@frozen
class EvConfig:
    """EV ownership size, charging and mobility parameters (see the data file)."""

    classes: tuple[EvClass, ...]
    count: Dist
    evse_kw: Dist
    charge_efficiency: float
    departure_hour: Dist
    arrival_hour: Dist
    daily_miles: Dist
    departure_soc_percent: Dist
    initial_soc_percent: Dist
    home_charge_share: Dist
    v2g_share: float
    v2g_max_kw: float
    v2g_min_soc_percent: float


@frozen
class SolarConfig:
    """Rooftop PV: DC size (kW), tilt and azimuth (deg, 180 = south), derate."""

    capacity_kw: Dist
    tilt_deg: Dist
    azimuth_deg: Dist
    system_efficiency: float


@frozen
class PreferenceProfile:
    """One participation profile: its ``share`` of households and the
    distributions of the preference fields; ``ev_priority`` maps each of
    low / medium / high to its probability."""

    share: float
    participation_willingness: Dist
    min_compensation_per_kwh: Dist
    backup_power_hours: Dist
    max_discharge_percent: Dist
    ev_priority: dict[str, float]


@frozen
class FleetConfig:
    """Everything `generate_fleet_table` draws from (defaults: `FleetConfig.preset`).

    Build it with `FleetConfig.preset` ("california"), `FleetConfig.from_dict`
    (overrides from a scenario file or Python) or `attrs.evolve`. Every value
    is validated on construction; a `ParameterError` (or `ScenarioError` from
    `from_dict`) lists every problem with its key path and value.
    """

    name: str
    adoption: AdoptionConfig
    load: LoadConfig
    bess: BessConfig
    ev: EvConfig
    solar: SolarConfig
    profiles: dict[str, PreferenceProfile]

    def __attrs_post_init__(self) -> None:
        check_all(config_problems(self, _PATH.get()), ParameterError)

    @classmethod
    def preset(cls, name: str = "california") -> FleetConfig:
        """The named preset from ``desim/fleet/data/<name>.toml``."""
        return _preset(name)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], path: str = "fleet.generate.overrides",
                  base: FleetConfig | str = "california") -> FleetConfig:
        """Overrides `raw` merged onto `base` (a config or a preset name).

        Nested tables merge key by key; lists (``bess.classes``, ``ev.classes``)
        replace the base list whole.

        Raises
        ------
        ScenarioError
            Listing every unknown key, wrong type and out-of-range value, each
            named as ``<path>.<key>`` with the value given.
        """
        if not isinstance(raw, dict):
            raise ScenarioError(f"{path}: expected a table, got {raw!r}")
        base_raw = _raw_preset(base) if isinstance(base, str) else _CONVERTER.unstructure(base)
        merged = _merge(base_raw, raw)
        return _structure(merged, path)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (TOML/JSON friendly); `from_dict` reads it back."""
        return _CONVERTER.unstructure(self)


def presets() -> tuple[str, ...]:
    """Names of the built-in presets."""
    files = resources.files("desim.fleet").joinpath("data").iterdir()
    return tuple(sorted(f.name[:-5] for f in files if f.name.endswith(".toml")))


_CONVERTER = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)


def _structure_float(value, _type) -> float:
    # Reject strings and booleans, accept ints.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _structure_str(value, _type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


_CONVERTER.register_structure_hook(float, _structure_float)
_CONVERTER.register_structure_hook(str, _structure_str)
_CONVERTER.register_unstructure_hook(tuple, list)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _structure(raw: dict, path: str) -> FleetConfig:
    token = _PATH.set(path)
    try:
        return _CONVERTER.structure(raw, FleetConfig)
    except cattrs.BaseValidationError as exc:
        messages = [_reorder(m) for m in transform_error(
            exc, path=path, format_exception=_format_exception)]
        # Validation of values (ParameterError from __attrs_post_init__) is
        # reported by cattrs as a wrapped exception; unwrap it to keep the text.
        inner = [e for e in _leaves(exc) if isinstance(e, ParameterError)]
        if inner:
            raise ScenarioError(str(inner[0])) from exc
        check_all(messages, ScenarioError)
        raise  # pragma: no cover - check_all always raises here
    except ParameterError as exc:
        raise ScenarioError(str(exc)) from exc
    finally:
        _PATH.reset(token)


def _format_exception(exc: BaseException, type_) -> str:
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"expected no other keys, got unknown key(s) {sorted(exc.extra_fields)}"
    if isinstance(exc, KeyError):
        return "expected a value, got none (required key missing)"
    if isinstance(exc, TypeError | ValueError) and str(exc).startswith("expected"):
        return str(exc)
    name = getattr(type_, "__name__", str(type_))
    return f"expected {name}, got an invalid value ({exc})"


def _reorder(message: str) -> str:
    """cattrs says ``<what> @ <path>``; desim says ``<path>: <what>``."""
    what, _, where = message.rpartition(" @ ")
    return f"{where}: {what}" if what else message


def _leaves(exc: BaseException):
    if isinstance(exc, BaseExceptionGroup):
        for sub in exc.exceptions:
            yield from _leaves(sub)
    else:
        yield exc


@cache
def _raw_preset(name: str) -> dict:
    data = resources.files("desim.fleet").joinpath("data", f"{name}.toml")
    if not data.is_file():
        raise ParameterError(f"fleet adoption preset: expected one of "
                             f"{', '.join(presets())}, got {name!r}")
    return tomllib.loads(data.read_text(encoding="utf-8"))


@cache
def _preset(name: str) -> FleetConfig:
    return _structure(_raw_preset(name), f"desim/fleet/data/{name}.toml")


def _class_problems(classes, path: str, ev: bool) -> list[str]:
    out = []
    if not classes:
        return [f"{path}: expected at least one class, got none"]
    out += _weight_problems([c.share for c in classes], f"{path}[*].share")
    for i, c in enumerate(classes):
        p = f"{path}[{i}]"
        out += _positive(c.capacity_kwh, f"{p}.capacity_kwh")
        if ev:
            out += _positive(c.onboard_charger_kw, f"{p}.onboard_charger_kw")
            out += _positive(c.kwh_per_mile, f"{p}.kwh_per_mile")
        else:
            out += _positive(c.max_power_kw, f"{p}.max_power_kw")
            if c.capacity_kwh_max is not None and not c.capacity_kwh_max >= c.capacity_kwh:
                out.append(f"{p}.capacity_kwh_max: expected >= capacity_kwh "
                           f"({c.capacity_kwh}), got {c.capacity_kwh_max}")
    return out


def _dist_check(dist: Dist, path: str, lo: float, hi: float, what: str) -> list[str]:
    out = dist.problems(path)
    if not out and not dist.within(lo, hi):
        out.append(f"{path}: expected every draw in {what} ({lo}-{hi}); set low/high, got "
                   f"{dist}")
    return out


def config_problems(cfg: FleetConfig, path: str) -> list[str]:
    """Every problem of `cfg`, each named ``<path>.<key>: expected ..., got ...``."""
    out: list[str] = []
    a = cfg.adoption
    for name in ("bess", "ev", "solar", "solar_given_bess"):
        out += _fraction(getattr(a, name), f"{path}.adoption.{name}")
    if not out and not 0.0 <= a.solar_given_no_bess() <= 1.0:
        out.append(f"{path}.adoption.solar_given_bess: expected a value that keeps "
                   f"P(solar | no BESS) in 0-1 (between "
                   f"{max(0.0, (a.solar - (1 - a.bess)) / a.bess) if a.bess else 0:.4g} and "
                   f"{min(1.0, a.solar / a.bess) if a.bess else 1:.4g} for bess={a.bess}, "
                   f"solar={a.solar}), got {a.solar_given_bess}")
    out += _dist_check(cfg.load.annual_load_kwh, f"{path}.load.annual_load_kwh", 0.0,
                       math.inf, "kWh >= 0")

    b, bp = cfg.bess, f"{path}.bess"
    out += _class_problems(b.classes, f"{bp}.classes", ev=False)
    for name in ("charge_efficiency", "discharge_efficiency"):
        v = getattr(b, name)
        if not 0.0 < v <= 1.0:
            out.append(f"{bp}.{name}: expected a fraction in (0, 1], got {v}")
    if not 0.0 <= b.min_soc_percent < b.max_soc_percent <= 100.0:
        out.append(f"{bp}: expected 0 <= min_soc_percent < max_soc_percent <= 100, got "
                   f"{b.min_soc_percent} and {b.max_soc_percent}")
    if not 0.0 <= b.self_discharge_per_h < 1.0:
        out.append(f"{bp}.self_discharge_per_h: expected 0-1, got {b.self_discharge_per_h}")
    out += _dist_check(b.initial_soc_percent, f"{bp}.initial_soc_percent",
                       b.min_soc_percent, b.max_soc_percent, "min_soc_percent-max_soc_percent")

    e, ep = cfg.ev, f"{path}.ev"
    out += _class_problems(e.classes, f"{ep}.classes", ev=True)
    out += _dist_check(e.count, f"{ep}.count", 1.0, 16.0, "1-16 vehicles")
    if e.count.kind == "choice" and any(v != int(v) for v in e.count.values):
        out.append(f"{ep}.count.values: expected whole numbers, got {list(e.count.values)}")
    elif not out and e.count.kind != "choice":
        out.append(f"{ep}.count.kind: expected 'choice', got {e.count.kind!r}")
    out += _dist_check(e.evse_kw, f"{ep}.evse_kw", 1e-9, 1000.0, "kW > 0")
    if not 0.0 < e.charge_efficiency <= 1.0:
        out.append(f"{ep}.charge_efficiency: expected a fraction in (0, 1], got "
                   f"{e.charge_efficiency}")
    for name in ("departure_hour", "arrival_hour"):
        out += _dist_check(getattr(e, name), f"{ep}.{name}", 0.0, 23.999999, "hours of day")
    out += _dist_check(e.daily_miles, f"{ep}.daily_miles", 0.0, math.inf, "miles >= 0")
    out += _dist_check(e.departure_soc_percent, f"{ep}.departure_soc_percent", 0.0, 100.0,
                       "percent")
    out += _dist_check(e.initial_soc_percent, f"{ep}.initial_soc_percent", 0.0, 100.0,
                       "percent")
    out += _dist_check(e.home_charge_share, f"{ep}.home_charge_share", 0.0, 1.0, "a fraction")
    out += _fraction(e.v2g_share, f"{ep}.v2g_share")
    if not e.v2g_max_kw >= 0:
        out.append(f"{ep}.v2g_max_kw: expected >= 0, got {e.v2g_max_kw}")
    if not 0.0 <= e.v2g_min_soc_percent <= 100.0:
        out.append(f"{ep}.v2g_min_soc_percent: expected 0-100, got {e.v2g_min_soc_percent}")

    s, sp = cfg.solar, f"{path}.solar"
    out += _dist_check(s.capacity_kw, f"{sp}.capacity_kw", 1e-9, math.inf, "kW > 0")
    out += _dist_check(s.tilt_deg, f"{sp}.tilt_deg", 0.0, 90.0, "degrees")
    out += _dist_check(s.azimuth_deg, f"{sp}.azimuth_deg", 0.0, 360.0, "degrees")
    if not 0.0 < s.system_efficiency <= 1.0:
        out.append(f"{sp}.system_efficiency: expected a fraction in (0, 1], got "
                   f"{s.system_efficiency}")

    pp = f"{path}.profiles"
    unknown = sorted(set(cfg.profiles) - set(PROFILE_NAMES))
    if unknown:
        out.append(f"{pp}: expected profiles among {', '.join(PROFILE_NAMES)}, got {unknown}")
    out += _weight_problems([p.share for p in cfg.profiles.values()], f"{pp}[*].share")
    for name, prof in cfg.profiles.items():
        p = f"{pp}.{name}"
        out += _dist_check(prof.participation_willingness, f"{p}.participation_willingness",
                           0.0, 1.0, "a fraction")
        out += _dist_check(prof.min_compensation_per_kwh, f"{p}.min_compensation_per_kwh",
                           0.0, math.inf, "$/kWh >= 0")
        out += _dist_check(prof.backup_power_hours, f"{p}.backup_power_hours", 0.0, math.inf,
                           "hours >= 0")
        out += _dist_check(prof.max_discharge_percent, f"{p}.max_discharge_percent", 0.0,
                           100.0, "percent")
        bad = sorted(set(prof.ev_priority) - set(EV_PRIORITY_NAMES))
        if bad:
            out.append(f"{p}.ev_priority: expected keys among {', '.join(EV_PRIORITY_NAMES)}, "
                       f"got {bad}")
        else:
            out += _weight_problems(prof.ev_priority.values(), f"{p}.ev_priority")
    return out

