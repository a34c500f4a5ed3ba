"""Product records and a forgiving name lookup over `products.toml`.

The data file ships in the package; every figure carries its sources and
remarks (see docs/catalog.md). Names are matched after normalization: case,
spacing and punctuation are ignored, roman numerals read as numbers ("II" is
2), common abbreviations are expanded ("Chevy", "VW", "LR" / "Long Range"),
and a model year in the name ("2021 Chevy Bolt") selects among the entries
of a family. A name that fits several entries equally well, or none, raises
`CatalogError` naming the candidates or the closest names.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from functools import cache
from importlib import resources

from attrs import field, frozen

from desim.errors import CatalogError

__all__ = [
    "BatteryProduct",
    "VehicleProduct",
    "lookup_battery",
    "lookup_vehicle",
    "battery_products",
    "vehicle_products",
]


def _opt_float(value):
    return None if value is None else float(value)


@frozen
class BatteryProduct:
    """A home battery as the catalog knows it.

    Attributes
    ----------
    name : str
        Canonical product name.
    capacity_kwh : float
        Usable energy, kWh (> 0).
    max_power_kw : float or None
        Continuous AC power, kW (> 0); None if unknown or unsourced.
    parser_capacity, parser_power : bool
        Whether a text parser may fill the capacity / power in from the product
        name alone (otherwise the text must state the number).
    sources : str
        Where the figures come from.
    remarks : str
        Disagreements between sources and the figure chosen.
    aliases : tuple of str
        Other spellings the lookup accepts.
    """

    name: str
    capacity_kwh: float = field(converter=float)
    max_power_kw: float | None = field(converter=_opt_float)
    parser_capacity: bool
    parser_power: bool
    sources: str
    remarks: str
    aliases: tuple[str, ...] = field(converter=tuple)


@frozen
class VehicleProduct:
    """An electric vehicle as the catalog knows it.

    Attributes
    ----------
    name : str
        Canonical product name.
    battery_capacity_kwh : float or None
        Usable battery energy, kWh (name-plate where the remarks say so); None
        if no reliable source was found.
    max_charge_power_kw : float or None
        Onboard AC (Level 2) charger power, kW; None if unknown.
    kwh_per_mile : float or None
        Energy use per mile driven, kWh/mile, where desim states an assumption
        (labelled in `remarks`); None otherwise.
    parser_capacity, parser_power : bool
        Whether a text parser may fill the capacity / power in from the name alone.
    sources, remarks : str
        Where the figures come from; disagreements and the figure chosen.
    aliases : tuple of str
        Other spellings the lookup accepts.
    """

    name: str
    battery_capacity_kwh: float | None = field(converter=_opt_float)
    max_charge_power_kw: float | None = field(converter=_opt_float)
    kwh_per_mile: float | None = field(converter=_opt_float)
    parser_capacity: bool
    parser_power: bool
    sources: str
    remarks: str
    aliases: tuple[str, ...] = field(converter=tuple)


# ----------------------------------------------------------------- normalization

_MAKES = ("tesla", "lg", "chem", "es", "enphase", "franklinwh", "franklin", "generac",
          "sonnen", "panasonic", "nissan", "chevrolet", "ford", "hyundai", "kia",
          "volkswagen", "rivian", "bmw", "toyota")
_TOKEN_MAP = {"ii": "2", "iii": "3", "chevy": "chevrolet", "vw": "volkswagen",
              "first": "1st", "wh": "", "plus": "plus"}
_PHRASES = ((("long", "range"), "lr"), (("standard", "range"), "sr"),
            (("extended", "range"), "er"), (("rear", "wheel", "drive"), "rwd"),
            (("franklin", "wh"), "franklinwh"))
_FILLER = frozenset({"ev", "electric", "vehicle", "car", "the", "a", "an", "my", "kwh",
                     "battery", "awd", "fwd", "home", "system"})
_YEAR = re.compile(r"\b(20[1-4]\d)\b")
_PARENS = re.compile(r"\([^)]*\)")


def _tokens(text: str) -> tuple[str, ...]:
    """Lower-case word and number tokens with abbreviations and fillers resolved."""
    text = text.lower().replace("+", " plus ").replace("&", " and ")
    raw = re.findall(r"[a-z]+|\d+", text)
    out: list[str] = []
    i = 0
    while i < len(raw):
        for phrase, short in _PHRASES:
            if tuple(raw[i:i + len(phrase)]) == phrase:
                out.append(short)
                i += len(phrase)
                break
        else:
            token = _TOKEN_MAP.get(raw[i], raw[i])
            if token and token not in _FILLER:
                out.append(token)
            i += 1
    return tuple(out)


def _variants(text: str) -> set[tuple[str, ...]]:
    """Token keys for a name: as given, without parentheses, without the make."""
    keys = {_tokens(text), _tokens(_PARENS.sub(" ", text))}
    for key in list(keys):
        stripped = key
        while stripped and stripped[0] in _MAKES:
            stripped = stripped[1:]
            keys.add(stripped)
    return {k for k in keys if k}


def _query_parts(name: str) -> tuple[int | None, set[tuple[str, ...]]]:
    """Model year (if any) and the token keys of a name with the year removed."""
    match = _YEAR.search(name)
    year = int(match.group(1)) if match else None
    rest = _YEAR.sub(" ", name)
    rest = re.sub(r"\b(19|20)\d{2}\s*[-–]\s*\d{2,4}\b", " ", rest)
    return year, _variants(rest)


# ----------------------------------------------------------------- loading

@frozen
class _Catalog:
    products: tuple
    years: dict                 # product name -> (first, last) model year
    index: dict                 # token key -> tuple of products (in file order)


def _build(products: list, years: dict) -> _Catalog:
    index: dict[tuple[str, ...], list] = {}
    for product in products:
        for text in (product.name, *product.aliases):
            for key in _variants(text):
                bucket = index.setdefault(key, [])
                if product not in bucket:
                    bucket.append(product)
    return _Catalog(tuple(products), years, {k: tuple(v) for k, v in index.items()})


@cache
def _load() -> tuple[_Catalog, _Catalog]:
    text = resources.files("desim.catalog").joinpath("products.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    batteries, vehicles, years = [], [], {}
    for row in raw["battery"]:
        batteries.append(BatteryProduct(
            name=row["name"], capacity_kwh=row["capacity_kwh"],
            max_power_kw=row.get("max_power_kw"), parser_capacity=row["parser_capacity"],
            parser_power=row["parser_power"], sources=row["sources"],
            remarks=row["remarks"], aliases=row.get("aliases", ())))
        if "years" in row:
            years[row["name"]] = tuple(row["years"])
    for row in raw["vehicle"]:
        vehicles.append(VehicleProduct(
            name=row["name"], battery_capacity_kwh=row.get("battery_capacity_kwh"),
            max_charge_power_kw=row.get("max_charge_power_kw"),
            kwh_per_mile=row.get("kwh_per_mile"), parser_capacity=row["parser_capacity"],
            parser_power=row["parser_power"], sources=row["sources"],
            remarks=row["remarks"], aliases=row.get("aliases", ())))
        if "years" in row:
            years[row["name"]] = tuple(row["years"])
    return _build(batteries, years), _build(vehicles, years)


# ----------------------------------------------------------------- lookup

def _by_year(candidates: tuple, year: int | None, years: dict) -> tuple:
    """Narrow candidates by model year.

    With a year: entries whose model years include it, else entries without
    model years. Without a year, an entry without model years wins over
    year-specific siblings.
    """
    if year is not None:
        dated = tuple(p for p in candidates
                      if p.name in years and years[p.name][0] <= year <= years[p.name][1])
        return dated or tuple(p for p in candidates if p.name not in years)
    if len(candidates) > 1:
        undated = tuple(p for p in candidates if p.name not in years)
        if len(undated) == 1:
            return undated
    return candidates


def _candidates(catalog: _Catalog, keys: set) -> tuple:
    """Products whose keys equal a query key, else those whose key tokens the query
    contains (longest such keys only)."""
    exact: list = []
    for key in keys:
        for product in catalog.index.get(key, ()):
            if product not in exact:
                exact.append(product)
    if exact:
        return tuple(exact)
    best, found = 0, []
    for query in keys:
        qset = set(query)
        for key, products in catalog.index.items():
            if len(key) >= 2 and set(key) <= qset:
                if len(key) > best:
                    best, found = len(key), []
                if len(key) == best:
                    found.extend(p for p in products if p not in found)
    return tuple(found)


def _lookup(catalog: _Catalog, name, kind: str):
    if not isinstance(name, str) or not name.strip():
        raise CatalogError(f"catalog: {kind} name: expected a product name, got {name!r}")
    year, keys = _query_parts(name)
    found = _candidates(catalog, keys)
    narrowed = _by_year(found, year, catalog.years)
    if len(narrowed) == 1:
        return narrowed[0]
    if len(narrowed) > 1:
        names = ", ".join(repr(p.name) for p in narrowed)
        raise CatalogError(f"catalog: {kind} {name!r} is ambiguous: it fits {names}; "
                           "state the model year, trim or pack")
    if found:
        names = ", ".join(repr(p.name) for p in found)
        raise CatalogError(f"catalog: {kind} {name!r}: model year {year} is not covered; "
                           f"the catalog has {names}")
    raise CatalogError(f"catalog: unknown {kind} {name!r}; closest: "
                       + ", ".join(repr(n) for n in _closest(catalog, name)))


def _closest(catalog: _Catalog, name: str, n: int = 3) -> list[str]:
    spelled = {}
    for product in catalog.products:
        for text in (product.name, *product.aliases):
            spelled.setdefault("".join(_tokens(text)), product.name)
    query = "".join(_tokens(name)) or name.lower()
    keys = difflib.get_close_matches(query, list(spelled), n=3 * n, cutoff=0.0)
    out: list[str] = []
    for key in keys:
        if spelled[key] not in out:
            out.append(spelled[key])
    return out[:n]


def lookup_battery(name: str) -> BatteryProduct:
    """Find a home battery by name, forgivingly.

    Parameters
    ----------
    name : str
        A product name such as "Tesla Powerwall 2", "Powerwall II", "PW2",
        "LG RESU 10H Prime" or "Enphase IQ Battery 5P".

    Returns
    -------
    BatteryProduct

    Raises
    ------
    CatalogError
        If the name fits no product (the message lists the closest names) or
        several equally well (the message lists them).
    """
    return _lookup(_load()[0], name, "battery")


def lookup_vehicle(name: str) -> VehicleProduct:
    """Find an electric vehicle by name, forgivingly.

    A model year in the name selects among the entries of a family ("2021
    Chevy Bolt" is the 2020-21 Bolt EV); trims and packs are recognized
    ("Model 3 Long Range", "F-150 Lightning extended range", "Ioniq 5 SR").

    Raises
    ------
    CatalogError
        If the name fits no product (the message lists the closest names),
        several equally well, or a model year the family does not cover.
    """
    return _lookup(_load()[1], name, "vehicle")


def battery_products() -> tuple[BatteryProduct, ...]:
    """Every battery in the catalog, in file order."""
    return _load()[0].products


def vehicle_products() -> tuple[VehicleProduct, ...]:
    """Every vehicle in the catalog, in file order."""
    return _load()[1].products
