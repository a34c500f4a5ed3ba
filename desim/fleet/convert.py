"""Convert between `FleetTable` and lists of `desim.assets.Prosumer` objects.

The objects are the seed API (one battery, one PV system, any number of EVs
per home); the table is what the engine runs. SOC figures are copied as
fractions exactly (the objects are built from percent for validation, then
given the table's fractions), so ``table_from_prosumers(prosumers_from_table(t))``
equals ``t`` for every table with at most one battery and one PV system per
prosumer and EV departure times on whole minutes.

The asset objects carry no EV arrival hour, daily miles or home charging
share. `prosumers_from_table` returns a `ProsumerFleet` (a list) that keeps its
source table; `table_from_prosumers` takes those EV fields from it by ``ev_id``
and falls back to `DEFAULT_EV_MOBILITY` for EVs it does not know.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numba
import numpy as np

from desim.errors import ParameterError
from desim.fleet import _objects
from desim.fleet.table import EV_PRIORITY_NAMES, PROFILE_NAMES, FleetTable
from desim.units import format_hhmm, parse_hhmm

__all__ = ["ProsumerFleet", "prosumers_from_table", "table_from_prosumers",
           "DEFAULT_EV_MOBILITY"]

#: EV fields the asset objects do not hold, used when no source table has them:
#: arrival 17:30 and 28 miles/day (the California preset means), all charging at home.
DEFAULT_EV_MOBILITY = {"arrival_hour": 17.5, "daily_miles": 28.0, "home_charge_share": 1.0}


class ProsumerFleet(list):
    """A list of `Prosumer` objects that remembers the `FleetTable` it came from."""

    def __init__(self, prosumers: Iterable = (), table: FleetTable | None = None):
        super().__init__(prosumers)
        self.table = table


@cache
def _battery_product(name: str):
    from desim.catalog import lookup_battery
    return lookup_battery(name)


@cache
def _vehicle_product(name: str):
    from desim.catalog import lookup_vehicle
    return lookup_vehicle(name)


def _one_per_owner(owner: np.ndarray, n: int, what: str) -> np.ndarray:
    """Row of each prosumer's asset (-1 if none); more than one is an error."""
    counts = np.bincount(owner, minlength=n)
    if np.any(counts > 1):
        first = int(np.flatnonzero(counts > 1)[0])
        raise ParameterError(f"fleet.prosumers[{first}].{what}: expected at most one per "
                             f"prosumer for Prosumer objects, got {int(counts[first])}")
    row = np.full(n, -1, dtype=np.int64)
    row[owner] = np.arange(len(owner))
    return row


def _plain(values: np.ndarray) -> list:
    """Python values; float32 as their shortest repr (0.22, not 0.2199999988)."""
    return _plain_array(values).tolist()


def _plain_array(values: np.ndarray) -> np.ndarray:
    """`values` with float32 as float64 of their shortest repr (`_plain` before ``tolist``)."""
    return shortest_float32(values) if values.dtype == np.float32 else values


#: From this many values `shortest_float32` looks for repeated ones first.
_FEW_DISTINCT_FROM = 4096

# exact powers of ten (every one up to 1e22 is a float64)
_P10 = np.array([float(10 ** i) for i in range(23)])


@numba.njit(cache=True, nogil=True)
def _shortest(values, p10, out, rest):
    """`shortest_float32`'s loop; indices it cannot handle go into `rest` (count returned)."""
    n_rest = 0
    for i in range(values.size):
        f = values[i]
        v = np.float64(f)
        a = abs(v)
        if not (1e-20 <= a < 1e20):         # zero, non-finite or extreme: the string path
            rest[n_rest] = i
            n_rest += 1
            continue
        e = int(np.floor(np.log10(a)))
        if a >= 10.0 ** (e + 1):            # log10 just below an exact power of ten
            e += 1
        elif a < 10.0 ** e:
            e -= 1
        done = False
        for n in range(1, 10):
            k = n - 1 - e
            if abs(k) > 22:
                break
            if k >= 0:
                c = np.rint(v * p10[k]) / p10[k]
            else:
                c = np.rint(v / p10[-k]) * p10[-k]
            if np.float32(c) == f:
                out[i] = c
                done = True
                break
        if not done:
            rest[n_rest] = i
            n_rest += 1
    return n_rest


def shortest_float32(values: np.ndarray) -> np.ndarray:
    """float64 of each float32's shortest round-trip decimal, ``float(str(v))``, vectorized.

    For n = 1, 2, ... significant digits: the nearest n-digit decimal ``m 10^-k``
    (``m`` an integer, so ``m / 10^k`` is one correctly rounded division: the
    float64 that ``float("...")`` gives), kept when it rounds back to the float32.
    The first n that round-trips is the shortest repr (as numpy's Dragon4 finds
    it); values this cannot handle (zero, non-finite, extreme exponents) take the
    string path.
    """
    values = np.ascontiguousarray(values, dtype=np.float32)
    if values.size >= _FEW_DISTINCT_FROM:
        # a fleet column holds few distinct values (a few dozen in 20,000 rows): each
        # bit pattern once, then spread (about half the time of doing every row)
        bits, where = np.unique(values.view(np.uint32), return_inverse=True)
        if bits.size * 4 <= values.size:
            return shortest_float32(bits.view(np.float32))[where.reshape(-1)]
    out = values.astype(np.float64)
    rest = np.empty(values.size, dtype=np.int64)
    n_rest = _shortest(values, _P10, out, rest)
    if n_rest:
        idx = rest[:n_rest]
        out[idx] = [float(x) for x in values[idx].astype(str)]
    return out


def prosumers_from_table(table: FleetTable) -> ProsumerFleet:
    """One `desim.assets.Prosumer` per table row, with its BESS, EVs and SolarPV.

    Catalog products named in ``bess_product`` / ``ev_product`` are looked
    up (`desim.catalog`); empty names give ``product=None``. EV deadlines are
    the departure hours as "HH:MM".

    Raises
    ------
    ParameterError
        If a prosumer has more than one battery or PV system, or a value is
        outside what the asset classes accept.
    CatalogError
        If a product name is unknown to the catalog.
    """
    n = table.n_prosumers
    bess_row = _one_per_owner(table.bess_prosumer_index, n, "bess")
    pv_row = _one_per_owner(table.pv_prosumer_index, n, "solar")
    columns = {k: _plain_array(getattr(table, k)) for k in (
        "prosumer_id", "annual_load_kwh", "participation_willingness",
        "min_compensation_per_kwh", "backup_power_hours", "max_discharge", "ev_priority",
        "profile")}
    p = {k: v.tolist() for k, v in columns.items()}
    if _objects.columns_valid(table, columns):
        # every row passes the classes' checks: build each object unchecked
        return ProsumerFleet(_objects.unchecked_prosumers(
            table, p, bess_row, pv_row, _battery_product, _vehicle_product),
            table=table)
    return ProsumerFleet(_checked_prosumers(table, p, bess_row, pv_row), table=table)


def _checked_prosumers(table: FleetTable, p: dict, bess_row, pv_row) -> list:
    """`prosumers_from_table` through the checking constructors (names the bad value)."""
    from desim.assets import BESS, ElectricVehicle, Prosumer, SolarPV

    n = table.n_prosumers
    b = {k: getattr(table, f"bess_{k}").tolist() for k in (
        "capacity_kwh", "max_charge_kw", "max_discharge_kw", "charge_efficiency",
        "discharge_efficiency", "soc", "min_soc", "max_soc", "self_discharge_per_h",
        "product")}
    batteries = []
    for j in range(table.n_bess):
        if b["charge_efficiency"][j] != b["discharge_efficiency"][j]:
            raise ParameterError(
                f"fleet.bess[{j}]: expected equal charge and discharge efficiency for a BESS "
                f"object, got {b['charge_efficiency'][j]} and {b['discharge_efficiency'][j]}")
        unit = BESS(capacity_kwh=b["capacity_kwh"][j], max_power_kw=b["max_charge_kw"][j],
                    efficiency=b["charge_efficiency"][j],
                    current_soc_percent=b["soc"][j] * 100.0,
                    min_soc_percent=b["min_soc"][j] * 100.0,
                    max_soc_percent=b["max_soc"][j] * 100.0,
                    max_discharge_power_kw=b["max_discharge_kw"][j],
                    self_discharge_per_h=b["self_discharge_per_h"][j],
                    product=_battery_product(b["product"][j]) if b["product"][j] else None)
        unit.soc, unit.min_soc, unit.max_soc = b["soc"][j], b["min_soc"][j], b["max_soc"][j]
        batteries.append(unit)

    e = {k: getattr(table, f"ev_{k}").tolist() for k in (
        "id", "capacity_kwh", "max_charge_kw", "charge_efficiency", "soc", "departure_soc",
        "departure_hour", "kwh_per_mile", "v2g_max_kw", "v2g_min_soc", "product")}
    evs_of: list[list] = [[] for _ in range(n)]
    for j, owner in enumerate(table.ev_prosumer_index.tolist()):
        ev = ElectricVehicle(
            battery_capacity_kwh=e["capacity_kwh"][j], max_charge_power_kw=e["max_charge_kw"][j],
            current_soc_percent=e["soc"][j] * 100.0,
            min_departure_soc_percent=e["departure_soc"][j] * 100.0,
            charge_deadline=format_hhmm(e["departure_hour"][j]),
            charge_efficiency=e["charge_efficiency"][j], v2g_max_discharge_kw=e["v2g_max_kw"][j],
            v2g_min_soc_percent=e["v2g_min_soc"][j] * 100.0, ev_id=e["id"][j],
            kwh_per_mile=e["kwh_per_mile"][j],
            product=_vehicle_product(e["product"][j]) if e["product"][j] else None)
        ev.soc, ev.min_departure_soc = e["soc"][j], e["departure_soc"][j]
        ev.v2g_min_soc = e["v2g_min_soc"][j]
        evs_of[owner].append(ev)

    pv = {k: getattr(table, f"pv_{k}").tolist() for k in (
        "capacity_kw", "system_efficiency", "tilt_deg", "azimuth_deg")}
    systems = [SolarPV(capacity_kw=pv["capacity_kw"][j], efficiency=pv["system_efficiency"][j],
                       tilt=pv["tilt_deg"][j], azimuth=pv["azimuth_deg"][j])
               for j in range(table.n_pv)]

    out = []
    bess_row_l, pv_row_l = bess_row.tolist(), pv_row.tolist()
    for i in range(n):
        home = Prosumer(
            p["prosumer_id"][i], bess=batteries[bess_row_l[i]] if bess_row_l[i] >= 0 else None,
            solar=systems[pv_row_l[i]] if pv_row_l[i] >= 0 else None,
            participation_willingness=p["participation_willingness"][i],
            min_compensation_per_kwh=p["min_compensation_per_kwh"][i],
            backup_power_hours=p["backup_power_hours"][i],
            max_discharge_percent=p["max_discharge"][i] * 100.0,
            ev_priority=EV_PRIORITY_NAMES[p["ev_priority"][i]],
            profile=PROFILE_NAMES[p["profile"][i]], evs=evs_of[i],
            annual_load_kwh=p["annual_load_kwh"][i])
        home.max_discharge = p["max_discharge"][i]
        out.append(home)
    return out


def table_from_prosumers(prosumers: Iterable) -> FleetTable:
    """A `FleetTable` of `desim.assets.Prosumer` objects (their current state).

    EV arrival hour, daily miles and home charging share come from the
    source table of a `ProsumerFleet` (matched by ``ev_id``), else from
    `DEFAULT_EV_MOBILITY`; the departure hour is the EV's ``charge_deadline``
    (or the source table's value when it formats to the same deadline).
    """
    prosumers = list(prosumers) if not isinstance(prosumers, list) else prosumers
    source = getattr(prosumers, "table", None)
    known = {}
    if source is not None:
        known = {ev_id: j for j, ev_id in enumerate(source.ev_id.tolist())}
    cols: dict[str, list] = {}

    def add(name, value):
        cols.setdefault(name, []).append(value)

    for i, home in enumerate(prosumers):
        add("prosumer_id", home.prosumer_id)
        add("annual_load_kwh", home.annual_load_kwh)
        add("participation_willingness", home.participation_willingness)
        add("min_compensation_per_kwh", home.min_compensation_per_kwh)
        add("backup_power_hours", home.backup_power_hours)
        add("max_discharge", home.max_discharge)
        add("ev_priority", EV_PRIORITY_NAMES.index(home.ev_priority))
        add("profile", PROFILE_NAMES.index(home.profile))
        if (b := home.bess) is not None:
            add("bess_prosumer_index", i)
            add("bess_capacity_kwh", b.capacity_kwh)
            add("bess_max_charge_kw", b.max_power_kw)
            add("bess_max_discharge_kw", b.discharge_limit_kw)
            add("bess_charge_efficiency", b.efficiency)
            add("bess_discharge_efficiency", b.efficiency)
            add("bess_soc", b.soc)
            add("bess_min_soc", b.min_soc)
            add("bess_max_soc", b.max_soc)
            add("bess_self_discharge_per_h", b.self_discharge_per_h)
            add("bess_product", getattr(b.product, "name", ""))
        for k, ev in enumerate(home.evs):
            ev_id = ev.ev_id if ev.ev_id is not None else f"{home.prosumer_id}-ev{k + 1}"
            j = known.get(ev_id)
            deadline = parse_hhmm(ev.charge_deadline, f"fleet.prosumers[{i}].evs[{k}]")
            if j is not None and format_hhmm(source.ev_departure_hour[j]) == ev.charge_deadline:
                deadline = float(source.ev_departure_hour[j])
            add("ev_prosumer_index", i)
            add("ev_id", ev_id)
            add("ev_capacity_kwh", ev.battery_capacity_kwh)
            add("ev_max_charge_kw", ev.max_charge_power_kw)
            add("ev_charge_efficiency", ev.charge_efficiency)
            add("ev_soc", ev.soc)
            add("ev_departure_soc", ev.min_departure_soc)
            add("ev_departure_hour", deadline)
            add("ev_kwh_per_mile", np.nan if ev.kwh_per_mile is None else ev.kwh_per_mile)
            add("ev_v2g_max_kw", ev.v2g_max_discharge_kw)
            add("ev_v2g_min_soc", ev.v2g_min_soc)
            add("ev_product", getattr(ev.product, "name", ""))
            for name, default in DEFAULT_EV_MOBILITY.items():
                add(f"ev_{name}", default if j is None
                    else float(getattr(source, f"ev_{name}")[j]))
        if (s := home.solar) is not None:
            add("pv_prosumer_index", i)
            add("pv_capacity_kw", s.capacity_kw)
            add("pv_tilt_deg", s.tilt)
            add("pv_azimuth_deg", s.azimuth)
            add("pv_system_efficiency", s.efficiency)
    from attrs import fields
    columns = {f.name: cols.get(f.name, []) for f in fields(FleetTable)}
    for name in ("prosumer_id", "ev_id", "bess_product", "ev_product"):
        columns[name] = np.array(columns[name], dtype=object)
    return FleetTable(**columns)
