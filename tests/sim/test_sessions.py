"""Mobility sessions: drawing trips ahead gives exactly the sessions drawn at departure."""

import numpy as np

from desim.fleet.generate import generate_fleet_table
from desim.sim.sessions import MIN_ARRIVAL_SOC, MobilitySessions, arrival_soc


def _sessions(seed=4):
    fleet = generate_fleet_table(300, seed)
    return fleet, MobilitySessions(
        fleet.ev_departure_hour, fleet.ev_arrival_hour, fleet.ev_daily_miles,
        fleet.ev_kwh_per_mile, fleet.ev_capacity_kwh, fleet.ev_departure_soc, 0.0,
        np.random.SeedSequence(seed), home_share=fleet.ev_home_charge_share)


def bits(x):
    return np.asarray(x, dtype=np.float64).view(np.int64)


def test_next_trip_then_arrival_soc_is_next_after_departure_bit_for_bit():
    fleet, a = _sessions()
    _, b = _sessions()
    e = np.arange(fleet.n_evs)
    soc = fleet.ev_soc.astype(float)
    a.first(e, soc)
    b.first(e, soc)
    rng = np.random.default_rng(0)
    for _ in range(5):                          # several days, departing SOCs at random
        left = rng.uniform(0.0, 1.0, fleet.n_evs)
        want = a.next_after_departure(e, left)
        back, dep, used, target = b.next_trip(e)
        got = (back, dep, arrival_soc(left, used), target)
        for w, g in zip(want, got, strict=True):
            np.testing.assert_array_equal(bits(g), bits(w))


def test_trips_drawn_for_all_evs_at_once_equal_trips_drawn_one_ev_at_a_time():
    fleet, together = _sessions()
    _, alone = _sessions()
    e = np.arange(fleet.n_evs)
    soc = fleet.ev_soc.astype(float)
    together.first(e, soc)
    for i in e[:40]:
        alone.first(np.array([i]), soc[[i]])
    rounds = [together.next_trip(e) for _ in range(3)]
    for i in e[:40]:
        for r in rounds:
            one = alone.next_trip(np.array([i]))
            assert [float(x[0]) for x in one] == [float(x[i]) for x in r]


def test_arrival_soc_keeps_a_floor_unless_it_left_below_it():
    assert arrival_soc(0.8, 0.3) == 0.8 - 0.3
    assert arrival_soc(0.3, 0.9) == MIN_ARRIVAL_SOC
    assert arrival_soc(0.02, 0.5) == 0.02
