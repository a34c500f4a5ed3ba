"""FleetTable <-> Prosumer objects."""

import gc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desim.assets import BESS, ElectricVehicle, Prosumer, SolarPV
from desim.errors import ParameterError
from desim.fleet import (
    FleetGenerator,
    FleetTable,
    generate_fleet_table,
    prosumers_from_table,
    table_from_prosumers,
)
from desim.fleet.convert import DEFAULT_EV_MOBILITY
from desim.fleet.table import EV_PRIORITY_NAMES, PROFILE_NAMES


@pytest.fixture(scope="module")
def table():
    return generate_fleet_table(2000, 9)


def test_table_to_objects_and_back_is_exact(table):
    assert table_from_prosumers(prosumers_from_table(table)).equals(table)


@settings(max_examples=20)
@given(n=st.integers(0, 80), seed=st.integers(0, 10_000))
def test_any_generated_table_survives_the_object_round_trip(n, seed):
    t = generate_fleet_table(n, seed)
    assert table_from_prosumers(prosumers_from_table(t)).equals(t)


def test_objects_carry_the_table_values(table):
    homes = prosumers_from_table(table)
    assert len(homes) == table.n_prosumers
    j = 0
    i = int(table.bess_prosumer_index[j])
    b = homes[i].bess
    assert b.capacity_kwh == table.bess_capacity_kwh[j]
    assert b.soc == table.bess_soc[j]
    assert b.current_soc_percent == pytest.approx(100 * table.bess_soc[j])
    k = int(table.ev_prosumer_index[0])
    ev = homes[k].evs[0]
    assert ev.ev_id == table.ev_id[0]
    assert ev.min_departure_soc == table.ev_departure_soc[0]
    assert ev.product.name == table.ev_product[0]
    h = homes[5]
    assert h.profile == PROFILE_NAMES[table.profile[5]]
    assert h.ev_priority == EV_PRIORITY_NAMES[table.ev_priority[5]]
    assert np.float32(h.participation_willingness) == table.participation_willingness[5]


def test_homes_with_two_evs_get_both(table):
    counts = np.bincount(table.ev_prosumer_index, minlength=table.n_prosumers)
    i = int(np.flatnonzero(counts == 2)[0])
    home = prosumers_from_table(table)[i]
    assert len(home.evs) == 2 and home.ev is home.evs[0]


def test_plain_object_lists_use_default_mobility():
    ev = ElectricVehicle(battery_capacity_kwh=75, max_charge_power_kw=11.5,
                         current_soc_percent=40, min_departure_soc_percent=80,
                         charge_deadline="07:30")
    home = Prosumer("home-1", bess=BESS(13.5, 5.0, 0.95, 50), ev=ev,
                    solar=SolarPV(6.0, 0.86, 25, 200), max_discharge_percent=70)
    t = table_from_prosumers([home])
    assert isinstance(t, FleetTable)
    assert (t.n_prosumers, t.n_bess, t.n_evs, t.n_pv) == (1, 1, 1, 1)
    assert t.ev_id[0] == "home-1-ev1"
    assert t.ev_departure_hour[0] == 7.5 and t.ev_soc[0] == 0.4
    assert t.ev_arrival_hour[0] == DEFAULT_EV_MOBILITY["arrival_hour"]
    assert t.max_discharge[0] == np.float32(0.7)
    assert t.pv_azimuth_deg[0] == 200


def test_two_batteries_for_one_prosumer_cannot_become_objects(table):
    cols = {f.name: getattr(table, f.name) for f in table.__attrs_attrs__}
    cols["bess_prosumer_index"] = np.zeros(table.n_bess, dtype=np.int32)
    with pytest.raises(ParameterError, match=r"fleet.prosumers\[0\].bess"):
        prosumers_from_table(FleetTable(**cols))


def _fields(obj):
    """Every attrs field of an asset or prosumer, nested objects as their own fields."""
    from attrs import fields as attrs_fields

    out = {}
    for f in attrs_fields(type(obj)):
        value = getattr(obj, f.name)
        if isinstance(value, BESS | ElectricVehicle | SolarPV):
            value = _fields(value)
        elif isinstance(value, tuple):
            value = [_fields(v) for v in value]
        out[f.name] = (type(value).__name__, value)
    return out


@settings(max_examples=10)
@given(n=st.integers(0, 60), seed=st.integers(0, 10_000))
def test_unchecked_objects_equal_the_checked_ones(n, seed):
    """The bulk path (columns checked once, rows built unchecked) gives the same objects,
    field by field and type by type, as the checking constructors."""
    from desim.fleet import convert

    t = generate_fleet_table(n, seed)
    fast = prosumers_from_table(t)
    p = {k: convert._plain(getattr(t, k)) for k in (
        "prosumer_id", "annual_load_kwh", "participation_willingness",
        "min_compensation_per_kwh", "backup_power_hours", "max_discharge", "ev_priority",
        "profile")}
    slow = convert._checked_prosumers(
        t, p, convert._one_per_owner(t.bess_prosumer_index, n, "bess"),
        convert._one_per_owner(t.pv_prosumer_index, n, "solar"))
    assert [_fields(h) for h in fast] == [_fields(h) for h in slow]


def _checked_fleet(t):
    from desim.fleet import convert

    p = {k: convert._plain(getattr(t, k)) for k in (
        "prosumer_id", "annual_load_kwh", "participation_willingness",
        "min_compensation_per_kwh", "backup_power_hours", "max_discharge", "ev_priority",
        "profile")}
    n = t.n_prosumers
    return convert._checked_prosumers(
        t, p, convert._one_per_owner(t.bess_prosumer_index, n, "bess"),
        convert._one_per_owner(t.pv_prosumer_index, n, "solar"))


@pytest.mark.parametrize("seed", [0, 2026])
def test_fleet_generator_objects_equal_the_validated_constructors_on_hundreds(seed):
    """`FleetGenerator.create_prosumer_fleet` (the trusted bulk constructors) builds the
    same prosumers, field by field, as the validating constructors from the same table."""
    from desim.fleet.generator import FleetGenerator

    fleet = FleetGenerator().create_prosumer_fleet(400, seed)
    slow = _checked_fleet(fleet.table)
    assert len(fleet) == len(slow) == 400
    assert sum(len(h.evs) for h in fleet) == fleet.table.n_evs > 100
    assert sum(h.bess is not None for h in fleet) == fleet.table.n_bess > 50
    for fast_home, slow_home in zip(fleet, slow, strict=True):
        got, want = _fields(fast_home), _fields(slow_home)
        assert got.keys() == want.keys()
        assert got == want                   # exact: every float equal (so within 1e-12)
        if fast_home.bess is not None:       # and the same physics from either object
            a, b = fast_home.bess, slow_home.bess
            assert a.discharge(3.0, 0.5) == b.discharge(3.0, 0.5) and a.soc == b.soc


def test_evs_listed_out_of_owner_order_keep_their_order_per_home():
    t = generate_fleet_table(120, 5)
    cols = {f.name: getattr(t, f.name) for f in t.__attrs_attrs__}
    order = np.arange(t.n_evs)[::-1]
    for name in cols:
        if name.startswith("ev_") and len(cols[name]) == t.n_evs and name != "ev_priority":
            cols[name] = cols[name][order]
    shuffled = FleetTable(**cols)
    assert [_fields(h) for h in prosumers_from_table(shuffled)] == [
        _fields(h) for h in _checked_fleet(shuffled)]


def test_a_table_with_a_bad_value_still_names_it(table):
    from attrs import evolve

    bad = evolve(table, bess_capacity_kwh=np.where(np.arange(table.n_bess) == 3, -1.0,
                                                   table.bess_capacity_kwh))
    with pytest.raises(ParameterError, match=r"BESS.capacity_kwh: expected a number > 0, got -1"):
        prosumers_from_table(bad)


@settings(max_examples=50)
@given(st.lists(st.floats(width=32, allow_nan=True, allow_infinity=True), max_size=200),
       st.integers(0, 2**31 - 1))
def test_float32_columns_read_as_their_shortest_repr(values, seed):
    from desim.fleet.convert import shortest_float32

    rng = np.random.default_rng(seed)
    v = np.concatenate([np.array(values, dtype=np.float32),
                        rng.uniform(0.0, 1.0, 300).astype(np.float32),
                        (10.0 ** rng.uniform(-8, 8, 300)).astype(np.float32)])
    want = np.array([float(s) for s in v.astype(str)])
    assert shortest_float32(v).view(np.int64).tolist() == want.view(np.int64).tolist()


@settings(max_examples=25)
@given(st.lists(st.floats(width=32, allow_nan=True, allow_infinity=True), min_size=1,
                max_size=60), st.integers(0, 2**31 - 1))
def test_a_long_column_of_few_values_reads_as_each_value_s_shortest_repr(pool, seed):
    # the path for repeated values (each bit pattern converted once): signed zeros,
    # NaN and infinities keep their own bits
    from desim.fleet.convert import _FEW_DISTINCT_FROM, shortest_float32

    rng = np.random.default_rng(seed)
    pool = np.array([*pool, 0.0, -0.0], dtype=np.float32)
    v = pool[rng.integers(0, len(pool), _FEW_DISTINCT_FROM + 1000)]
    want = np.array([float(s) for s in v.astype(str)])
    got = shortest_float32(v)
    assert got.shape == v.shape
    assert got.view(np.int64).tolist() == want.view(np.int64).tolist()


def _in_generation(obj, generation: int) -> bool:
    return any(o is obj for o in gc.get_objects(generation=generation))


def test_a_built_fleet_goes_to_the_oldest_generation_and_the_collector_is_restored():
    """The objects are long-lived: handed to the oldest generation without a walk, so a
    young collection does not visit each of them; the collector's state is as before."""
    generator = FleetGenerator()
    generator.create_prosumer_fleet(50, 1)
    assert gc.isenabled()
    fleet = generator.create_prosumer_fleet(3000, 1)
    assert gc.isenabled()
    home = fleet[0]
    assert not _in_generation(home, 0) and not _in_generation(home, 1)
    assert _in_generation(home, 2)
    gc.disable()
    try:
        generator.create_prosumer_fleet(50, 2)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_callers_frozen_objects_stay_frozen():
    marker = [object()]
    gc.freeze()
    try:
        FleetGenerator().create_prosumer_fleet(500, 3)
        assert gc.isenabled()
        assert not any(_in_generation(marker, g) for g in range(3))   # still frozen
    finally:
        gc.unfreeze()
    assert _in_generation(marker, 2)
