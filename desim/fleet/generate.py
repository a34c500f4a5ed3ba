"""Draw a fleet as a `FleetTable`, fully vectorized.

`generate_fleet_table` draws every column with numpy in one pass per
component: no Python loop over prosumers or assets. Each component (adoption,
load, preferences, batteries, EVs, PV) has its own child stream of
``np.random.SeedSequence(seed)``, so the same seed gives the same fleet, and
changing, say, the EV tables leaves the battery draws untouched.
"""

from __future__ import annotations

import numpy as np

from desim.errors import ParameterError
from desim.fleet.config import Dist, FleetConfig
from desim.fleet.table import EV_PRIORITY_NAMES, PROFILE_NAMES, FleetTable

__all__ = ["generate_fleet_table", "draw", "make_ids", "COMPONENTS"]

#: Order of the SeedSequence children; append only, never reorder.
COMPONENTS = ("adoption", "load", "preferences", "bess", "ev", "pv")


def _round(x: np.ndarray, step: float | None) -> np.ndarray:
    if step is None:
        return x
    inv = 1.0 / step
    # Divide by an integer reciprocal when there is one: 29 / 100 is 0.29
    # exactly as typed, 29 * 0.01 is not.
    if abs(inv - round(inv)) < 1e-9:
        return np.round(x * inv) / round(inv)
    return np.round(x / step) * step


def _clip(x: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
    if low is None and high is None:
        return x
    return np.clip(x, low, high)


def choice_index(rng: np.random.Generator, weights, n: int) -> np.ndarray:
    """Indices 0..k-1 drawn with probabilities `weights` (summing to 1)."""
    cum = np.cumsum(np.asarray(weights, dtype=float))
    cum[-1] = 1.0
    return np.searchsorted(cum, rng.random(n), side="right").astype(np.int64)


def draw(dist: Dist, rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` draws of `dist` as float64.

    Lognormal parameters follow from the arithmetic mean ``m`` and standard
    deviation ``s``: ``sigma^2 = ln(1 + s^2/m^2)``, ``mu = ln m - sigma^2/2``
    (standard moments of the lognormal distribution, e.g. Johnson, Kotz and
    Balakrishnan, Continuous Univariate Distributions, vol. 1, ch. 14).
    """
    if dist.kind == "uniform":
        x = dist.low + (dist.high - dist.low) * rng.random(n)
    elif dist.kind == "normal":
        x = _clip(rng.normal(dist.mean, dist.sd, n), dist.low, dist.high)
    elif dist.kind == "lognormal":
        sigma2 = np.log1p((dist.sd / dist.mean) ** 2)
        x = rng.lognormal(np.log(dist.mean) - sigma2 / 2.0, np.sqrt(sigma2), n)
        x = _clip(x, dist.low, dist.high)
    elif dist.kind == "choice":
        x = np.asarray(dist.values, dtype=float)[choice_index(rng, dist.weights, n)]
    else:  # pragma: no cover - FleetConfig validation rejects other kinds
        raise RuntimeError(f"unknown distribution kind {dist.kind!r}")
    return _round(x, dist.round_to)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative ints as a (n, width) array of code points."""
    out = np.empty((len(values), width), dtype=np.uint32)
    rest = np.asarray(values, dtype=np.int64)
    for j in range(width - 1, -1, -1):      # one division by a scalar per digit (fast in numpy)
        rest, digit = np.divmod(rest, 10)
        out[:, j] = digit
    out += ord("0")
    return out


def _const(text: str, n: int) -> np.ndarray:
    """`text` repeated on `n` rows, as a (n, len(text)) array of code points."""
    return np.broadcast_to(np.array([ord(c) for c in text], dtype=np.uint32), (n, len(text)))


def _strings(*parts: np.ndarray) -> np.ndarray:
    """Concatenate (n, k_i) code-point blocks row-wise into an object array of str."""
    block = np.ascontiguousarray(np.concatenate(parts, axis=1), dtype=np.uint32)
    return block.view(f"U{block.shape[1]}").ravel().astype(object)


def _id_codes(prefix: str, n: int, start: int = 0) -> np.ndarray:
    """`make_ids` as a (n, width) block of code points."""
    width = max(6, len(str(max(start + n - 1, 0))))
    idx = np.arange(start, start + n, dtype=np.int64)
    return np.concatenate((_const(prefix, n), _digits(idx, width)), axis=1)


def make_ids(prefix: str, n: int, start: int = 0) -> np.ndarray:
    """Ids ``<prefix><zero-padded index>`` for ``start .. start+n-1`` (vectorized).

    The width is ``max(6, digits of the largest index)``, so ids sort like
    their indices: ``make_ids("prosumer_", 3)`` gives prosumer_000000 ...
    """
    return _strings(_id_codes(prefix, n, start))


def _ev_ids(owner_codes: np.ndarray, ordinal: np.ndarray) -> np.ndarray:
    """``<prosumer_id>-ev<k>`` (k = 1, 2, ...) from the owners' id code points
    (`_id_codes` rows); ids of one prosumer share a width."""
    n = len(owner_codes)
    if n == 0:
        return np.empty(0, dtype=object)
    k_width = len(str(int(ordinal.max())))
    return _strings(owner_codes, _const("-ev", n), _digits(ordinal, k_width))


def generate_fleet_table(n: int, seed: int | np.random.SeedSequence | None = 0,
                         config: FleetConfig | None = None,
                         id_prefix: str = "prosumer_") -> FleetTable:
    """Draw `n` prosumers with their batteries, EVs and PV systems.

    Parameters
    ----------
    n : int
        Number of prosumers, >= 0.
    seed : int, SeedSequence or None
        Root of the random streams; one `SeedSequence` child per component in
        `COMPONENTS`. The same seed and config give an equal table.
    config : FleetConfig, optional
        Rates and tables; default `FleetConfig.preset("california")`.
    id_prefix : str
        Prosumer ids are ``<id_prefix><index>`` zero-padded (`make_ids`); EV
        ids are ``<prosumer_id>-ev<k>``. ASCII only.

    Returns
    -------
    FleetTable
        Asset rows sorted by owner; SOC and efficiencies as fractions.

    Notes
    -----
    Adoption: BESS with probability ``adoption.bess``; solar with
    ``solar_given_bess`` for battery homes and
    `AdoptionConfig.solar_given_no_bess` otherwise, which keeps the solar
    marginal at ``adoption.solar``; EV ownership independent with
    ``adoption.ev``. The EV charge limit is ``min(onboard charger, EVSE)``.
    The initial EV SOC is capped at its departure SOC.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ParameterError(f"fleet.n: expected an integer >= 0, got {n!r}")
    if not (isinstance(id_prefix, str) and id_prefix.isascii()):
        raise ParameterError(f"fleet.id_prefix: expected an ASCII string, got {id_prefix!r}")
    n = int(n)
    cfg = config if config is not None else FleetConfig.preset()
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rngs = dict(zip(COMPONENTS, (np.random.default_rng(s)
                                 for s in root.spawn(len(COMPONENTS))), strict=True))

    # Adoption: BESS, then solar conditional on BESS, EV independent.
    a = cfg.adoption
    u = rngs["adoption"].random((3, n))
    has_bess = u[0] < a.bess
    has_solar = u[1] < np.where(has_bess, a.solar_given_bess, a.solar_given_no_bess())
    has_ev = u[2] < a.ev

    id_codes = _id_codes(id_prefix, n)
    prosumer_id = _strings(id_codes)
    annual_load_kwh = draw(cfg.load.annual_load_kwh, rngs["load"], n)
    prefs = _preferences(cfg, rngs["preferences"], n)
    bess = _bess(cfg, rngs["bess"], np.flatnonzero(has_bess))
    ev = _evs(cfg, rngs["ev"], np.flatnonzero(has_ev), id_codes)
    pv = _pv(cfg, rngs["pv"], np.flatnonzero(has_solar))
    return FleetTable(prosumer_id=prosumer_id, annual_load_kwh=annual_load_kwh,
                      **prefs, **bess, **ev, **pv)


def _preferences(cfg: FleetConfig, rng: np.random.Generator, n: int) -> dict:
    names = [p for p in PROFILE_NAMES if p in cfg.profiles]
    profiles = [cfg.profiles[p] for p in names]
    which = choice_index(rng, [p.share for p in profiles], n)
    out = {k: np.empty(n) for k in ("participation_willingness", "min_compensation_per_kwh",
                                     "backup_power_hours", "max_discharge")}
    priority = np.empty(n, dtype=np.int8)
    # One pass per profile (three), each vectorized over its members.
    for k, prof in enumerate(profiles):
        members = np.flatnonzero(which == k)
        m = len(members)
        out["participation_willingness"][members] = draw(prof.participation_willingness, rng, m)
        out["min_compensation_per_kwh"][members] = draw(prof.min_compensation_per_kwh, rng, m)
        out["backup_power_hours"][members] = draw(prof.backup_power_hours, rng, m)
        out["max_discharge"][members] = draw(prof.max_discharge_percent, rng, m) / 100.0
        weights = [prof.ev_priority.get(p, 0.0) for p in EV_PRIORITY_NAMES]
        priority[members] = choice_index(rng, weights, m)
    profile_index = np.asarray([PROFILE_NAMES.index(p) for p in names], dtype=np.int8)[which]
    return {**out, "ev_priority": priority, "profile": profile_index}


def _bess(cfg: FleetConfig, rng: np.random.Generator, owners: np.ndarray) -> dict:
    b, m = cfg.bess, len(owners)
    cls = choice_index(rng, [c.share for c in b.classes], m)
    cap_lo = np.array([c.capacity_kwh for c in b.classes])[cls]
    cap_hi = np.array([c.capacity_kwh if c.capacity_kwh_max is None else c.capacity_kwh_max
                       for c in b.classes])[cls]
    # Ranged classes: uniform capacity rounded to 0.1 kWh, power at the class C-rate.
    capacity = np.where(cap_hi > cap_lo, _round(cap_lo + (cap_hi - cap_lo) * rng.random(m),
                                                0.1), cap_lo)
    c_rate = np.array([c.max_power_kw / c.capacity_kwh for c in b.classes])[cls]
    power = np.where(cap_hi > cap_lo, _round(capacity * c_rate, 0.01),
                     np.array([c.max_power_kw for c in b.classes])[cls])
    return {
        "bess_prosumer_index": owners,
        "bess_capacity_kwh": capacity,
        "bess_max_charge_kw": power,
        "bess_max_discharge_kw": power,
        "bess_charge_efficiency": np.full(m, b.charge_efficiency),
        "bess_discharge_efficiency": np.full(m, b.discharge_efficiency),
        "bess_soc": draw(b.initial_soc_percent, rng, m) / 100.0,
        "bess_min_soc": np.full(m, b.min_soc_percent / 100.0),
        "bess_max_soc": np.full(m, b.max_soc_percent / 100.0),
        "bess_self_discharge_per_h": np.full(m, b.self_discharge_per_h),
        "bess_product": np.array([c.product for c in b.classes], dtype=object)[cls],
    }


def _evs(cfg: FleetConfig, rng: np.random.Generator, households: np.ndarray,
         id_codes: np.ndarray) -> dict:
    e = cfg.ev
    counts = draw(e.count, rng, len(households)).astype(np.int64)
    owner = np.repeat(households, counts)
    m = len(owner)
    starts = np.cumsum(counts) - counts
    ordinal = np.arange(m, dtype=np.int64) - np.repeat(starts, counts) + 1
    cls = choice_index(rng, [c.share for c in e.classes], m)
    onboard = np.array([c.onboard_charger_kw for c in e.classes])[cls]
    departure_soc = draw(e.departure_soc_percent, rng, m) / 100.0
    initial_soc = np.minimum(draw(e.initial_soc_percent, rng, m) / 100.0, departure_soc)
    v2g = rng.random(m) < e.v2g_share
    return {
        "ev_prosumer_index": owner,
        "ev_id": _ev_ids(id_codes[owner], ordinal),
        "ev_capacity_kwh": np.array([c.capacity_kwh for c in e.classes])[cls],
        "ev_max_charge_kw": np.minimum(onboard, draw(e.evse_kw, rng, m)),
        "ev_charge_efficiency": np.full(m, e.charge_efficiency),
        "ev_soc": initial_soc,
        "ev_departure_soc": departure_soc,
        "ev_departure_hour": draw(e.departure_hour, rng, m),
        "ev_arrival_hour": draw(e.arrival_hour, rng, m),
        "ev_daily_miles": draw(e.daily_miles, rng, m),
        "ev_kwh_per_mile": np.array([c.kwh_per_mile for c in e.classes])[cls],
        "ev_v2g_max_kw": np.where(v2g, e.v2g_max_kw, 0.0),
        "ev_v2g_min_soc": np.full(m, e.v2g_min_soc_percent / 100.0),
        "ev_product": np.array([c.product for c in e.classes], dtype=object)[cls],
        "ev_home_charge_share": draw(e.home_charge_share, rng, m),
    }


def _pv(cfg: FleetConfig, rng: np.random.Generator, owners: np.ndarray) -> dict:
    s, m = cfg.solar, len(owners)
    return {
        "pv_prosumer_index": owners,
        "pv_capacity_kw": draw(s.capacity_kw, rng, m),
        "pv_tilt_deg": draw(s.tilt_deg, rng, m),
        "pv_azimuth_deg": draw(s.azimuth_deg, rng, m),
        "pv_system_efficiency": np.full(m, s.system_efficiency),
    }
