"""The thermostat kernel's hot path is taken exactly where nothing but decay happens.

`advance_units` moves a unit whose stretch holds no switch and no comfort
excursion by its end temperature alone (`_quiet_stretch`). The property tests
check the kernel's results against an independent replay; these check that the
hot path is live, and that it is refused wherever the full loop has work.
"""

import math

import pytest

from desim.sim.thermal import _quiet_stretch

COOL = -1.0
# a cooling unit: setpoint 24 C, deadband 1 C (band 23.5-24.5), outdoor 33 C
UNIT = {"setpoint": 24.0, "deadband": 1.0, "env_c": 33.0, "cop": 3.0, "power": 3.0,
        "r": 2.0}


def quiet(temp_c, on, tau_h=10.0, duration_h=0.25, comfort=24.0, normal=24.0):
    """`_quiet_stretch` for the cooling unit of `UNIT`, its switching edge and end of
    stretch worked out here: an idle cooler starts at the top of its band, a running
    one stops at the bottom; the node decays towards ``T_out - on cop P R``."""
    u = UNIT
    half = u["deadband"] / 2
    edge = u["setpoint"] - half if on else u["setpoint"] + half
    eq = u["env_c"] - on * u["cop"] * u["power"] * u["r"]
    end = eq + (temp_c - eq) * math.exp(-duration_h / tau_h)
    return _quiet_stretch(temp_c, on, COOL, edge, end, u["deadband"], comfort, normal)


def test_a_unit_mid_band_that_stays_there_takes_the_hot_path():
    # off, warming at about 0.9 C/h from 23.8 C: 24.0 C after 15 min, short of 24.5 C
    assert quiet(23.8, 0.0)
    # on, cooling (equilibrium 33 - 18 = 15 C) from 24.2 C: about 24.0 C, above 23.5 C
    assert quiet(24.2, 1.0)


@pytest.mark.parametrize("temp_c, on, reason", [
    (24.4, 0.0, "reaches its upper edge within the stretch"),
    (24.5, 0.0, "already at its edge"),
    (23.6, 1.0, "reaches its lower edge within the stretch"),
    (25.0, 1.0, "starts beyond its comfort edge"),
])
def test_the_full_loop_keeps_switches_and_comfort_figures(temp_c, on, reason):
    assert not quiet(temp_c, on), reason


def test_a_moved_band_goes_through_the_full_loop():
    # an event widened the accepted band: agreed degree-hours are the loop's to count
    assert not quiet(23.8, 0.0, comfort=25.0, normal=24.0)
