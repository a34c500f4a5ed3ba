"""Prosumer objects from a `FleetTable` in bulk: check each column once, build rows unchecked.

The asset classes check every value they are given (about 15 microseconds a
prosumer, most of it per-value type tests). A table's columns can be checked
whole in numpy against the same rules; when every row passes, the objects are
built by the classes' ``_unchecked_many`` constructors (one call per class, a
few microseconds a prosumer in all). When any row fails, `desim.fleet.convert`
builds the objects the checked way, so the error names the row and value
exactly as before.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

import numpy as np

from desim.fleet.table import EV_PRIORITY_NAMES, PROFILE_NAMES, FleetTable

__all__ = ["columns_valid", "unchecked_prosumers", "HHMM"]

#: "HH:MM" of every minute of the day (the EV deadline of a departure hour).
HHMM = tuple(f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60))


def _objects(items) -> np.ndarray:
    """`items` (any iterable of Python objects, tuples too) as a 1-d object array."""
    items = list(items)
    return np.fromiter(items, dtype=object, count=len(items))


def _take(items: np.ndarray, index: np.ndarray) -> list:
    """``[items[i] for i in index]``, as numpy's take of an object array (hot path: about
    a tenth of the cost of ``list(map(items.__getitem__, ...))`` per row)."""
    return items[index].tolist()


_HHMM = _objects(HHMM)
_EV_PRIORITY_NAMES = _objects(EV_PRIORITY_NAMES)
_PROFILE_NAMES = _objects(PROFILE_NAMES)

# Below this DC-to-AC derate SolarPV warns; such rows go the checked way (which warns).
_DERATE_DOUBTFUL_BELOW = 0.5


def _finite(*arrays) -> bool:
    return all(bool(np.isfinite(a).all()) for a in arrays)


def _within(a, lo, hi) -> bool:
    return bool(((a >= lo) & (a <= hi)).all())


def columns_valid(table: FleetTable, p: dict) -> bool:
    """True when every row passes what `BESS`, `ElectricVehicle`, `SolarPV` and
    `Prosumer` check (`p`: the prosumer columns as arrays of the values the checked
    path reads, `desim.fleet.convert._plain_array`)."""
    t = table
    cap, pc, pd_ = t.bess_capacity_kwh, t.bess_max_charge_kw, t.bess_max_discharge_kw
    ce, de, k = t.bess_charge_efficiency, t.bess_discharge_efficiency, t.bess_self_discharge_per_h
    soc, lo, hi = t.bess_soc * 100.0, t.bess_min_soc * 100.0, t.bess_max_soc * 100.0
    bess_ok = (_finite(cap, pc, pd_, ce, k, soc, lo, hi)
               and bool((cap > 0).all() and (pc > 0).all() and (pd_ > 0).all())
               and bool(((ce > 0) & (ce <= 1)).all()) and bool((ce == de).all())
               and _within(k, 0.0, 1.0) and _within(soc, 0.0, 100.0)
               and _within(lo, 0.0, 100.0) and _within(hi, 0.0, 100.0)
               and bool(((lo < hi) & (lo <= soc) & (soc <= hi)).all()))
    if not bess_ok:
        return False
    ecap, epc, eff = t.ev_capacity_kwh, t.ev_max_charge_kw, t.ev_charge_efficiency
    esoc, edep, emin = t.ev_soc * 100.0, t.ev_departure_soc * 100.0, t.ev_v2g_min_soc * 100.0
    ev_ok = (_finite(ecap, epc, eff, esoc, edep, emin, t.ev_v2g_max_kw, t.ev_kwh_per_mile,
                     t.ev_departure_hour)
             and bool((ecap > 0).all() and (epc > 0).all() and (t.ev_kwh_per_mile > 0).all())
             and bool(((eff > 0) & (eff <= 1)).all()) and bool((t.ev_v2g_max_kw >= 0).all())
             and _within(esoc, 0.0, 100.0) and _within(edep, 0.0, 100.0)
             and _within(emin, 0.0, 100.0))
    if not ev_ok:
        return False
    pvc, pve = t.pv_capacity_kw, t.pv_system_efficiency
    pv_ok = (_finite(pvc, pve, t.pv_tilt_deg, t.pv_azimuth_deg) and bool((pvc > 0).all())
             and bool(((pve >= _DERATE_DOUBTFUL_BELOW) & (pve <= 1)).all())
             and _within(t.pv_tilt_deg, 0.0, 90.0) and _within(t.pv_azimuth_deg, 0.0, 360.0))
    if not pv_ok:
        return False
    ids = p["prosumer_id"].tolist()
    if ids and (set(map(type, ids)) != {str} or not all(ids)):   # non-empty str only
        return False
    num = {key: np.asarray(p[key], dtype=np.float64) for key in (
        "participation_willingness", "min_compensation_per_kwh", "backup_power_hours",
        "max_discharge", "annual_load_kwh")}
    return (_finite(*num.values())
            and _within(num["participation_willingness"], 0.0, 1.0)
            and bool((num["min_compensation_per_kwh"] >= 0).all())
            and bool((num["backup_power_hours"] >= 0).all())
            and _within(num["max_discharge"] * 100.0, 0.0, 100.0)
            and bool((num["annual_load_kwh"] >= 0).all())
            and _within(t.ev_priority, 0, len(EV_PRIORITY_NAMES) - 1)
            and _within(t.profile, 0, len(PROFILE_NAMES) - 1))


@contextmanager
def _bulk_allocation():
    """Pause the cyclic garbage collector while building many objects, and hand them
    to its oldest generation when done.

    Hot path: every 700 new container objects trigger a collection that walks
    the young generation, which roughly doubles the cost of building a fleet of
    objects. Nothing built here forms a reference cycle, so pausing it loses
    nothing. Re-enabled, the collector would then walk every new object at the
    next allocation, and again when it promotes them; a fleet lives long, so
    ``gc.freeze(); gc.unfreeze()`` moves the objects tracked so far straight to
    the oldest generation (a list splice, no walk). Young objects of the caller
    move with them and are then looked at in the next full collection instead
    of a young one. Skipped when the caller has frozen objects of its own
    (unfreezing would release them).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if enabled and gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
    finally:
        if enabled:
            gc.enable()


def _deadlines(departure_hour: np.ndarray) -> list[str]:
    """`desim.units.format_hhmm` of every departure hour, vectorized."""
    minutes = np.rint(np.mod(departure_hour, 24.0) * 60.0).astype(np.int64) % (24 * 60)
    return _take(_HHMM, minutes)


def unchecked_prosumers(table: FleetTable, p: dict, bess_row: np.ndarray, pv_row: np.ndarray,
                        battery_product, vehicle_product) -> list:
    """One `Prosumer` per row, built unchecked (call only after `columns_valid`)."""
    with _bulk_allocation():
        return _build(table, p, bess_row, pv_row, battery_product, vehicle_product)


def _owner_tuples(owner: np.ndarray, items: list, n: int) -> list:
    """``items`` grouped by ``owner`` (sorted, one per item) as one tuple per prosumer."""
    counts = np.bincount(owner, minlength=n)
    first = np.cumsum(counts) - counts
    groups = _objects(zip(items))     # the 1-tuple of each item ...
    groups = np.append(groups, _objects([()]))      # ... and at index -1, no item
    out = _take(groups, np.where(counts == 1, first, -1))
    many = np.flatnonzero(counts > 1)
    for o, j, k in zip(many.tolist(), first[many].tolist(), counts[many].tolist(), strict=True):
        out[o] = tuple(items[j:j + k])
    return out


def _pick(items: list, row: np.ndarray) -> list:
    """``items[r]`` for each r in `row`, None where r is -1."""
    return _take(_objects([*items, None]), row)


def _products(names: np.ndarray, lookup) -> list:
    """The catalog product of each name (None for an empty name), looked up once a name."""
    names = names.tolist()
    found = {name: lookup(name) if name else None for name in set(names)}
    return list(map(found.__getitem__, names))


def _build(t: FleetTable, p: dict, bess_row: list, pv_row: list, battery_product,
           vehicle_product) -> list:
    from desim.assets import BESS, ElectricVehicle, Prosumer, SolarPV

    n = t.n_prosumers
    batteries = BESS._unchecked_many(
        t.bess_capacity_kwh.tolist(), t.bess_max_charge_kw.tolist(),
        t.bess_charge_efficiency.tolist(), t.bess_soc.tolist(), t.bess_min_soc.tolist(),
        t.bess_max_soc.tolist(), t.bess_max_discharge_kw.tolist(),
        t.bess_self_discharge_per_h.tolist(),
        _products(t.bess_product, battery_product))
    cars = ElectricVehicle._unchecked_many(
        t.ev_capacity_kwh.tolist(), t.ev_max_charge_kw.tolist(), t.ev_soc.tolist(),
        t.ev_departure_soc.tolist(), _deadlines(t.ev_departure_hour),
        t.ev_charge_efficiency.tolist(), t.ev_v2g_max_kw.tolist(), t.ev_v2g_min_soc.tolist(),
        t.ev_id.tolist(), t.ev_kwh_per_mile.tolist(),
        _products(t.ev_product, vehicle_product))
    owner = t.ev_prosumer_index
    if len(owner) > 1 and not bool((owner[1:] >= owner[:-1]).all()):
        order = np.argsort(owner, kind="stable")
        owner, cars = owner[order], [cars[j] for j in order.tolist()]
    systems = SolarPV._unchecked_many(t.pv_capacity_kw.tolist(), t.pv_system_efficiency.tolist(),
                                      t.pv_tilt_deg.tolist(), t.pv_azimuth_deg.tolist())
    # the prosumer columns are Python floats already (`convert._plain`), as the checked
    # constructor would make them
    return Prosumer._unchecked_many(
        p["prosumer_id"], _pick(batteries, bess_row), _owner_tuples(owner, cars, n),
        _pick(systems, pv_row), p["participation_willingness"],
        p["min_compensation_per_kwh"], p["backup_power_hours"], p["max_discharge"],
        _take(_EV_PRIORITY_NAMES, t.ev_priority), _take(_PROFILE_NAMES, t.profile),
        p["annual_load_kwh"])
