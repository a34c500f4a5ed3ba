"""Switch rows leave the thermostat pass grouped by log kind: the ones that switch on
first, each group in the order the pass found them (the log's event ids follow it)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from desim.sim.thermal import switches_on_first


@given(st.lists(st.booleans(), max_size=60))
def test_switches_on_first_is_a_stable_partition(on_flags):
    n = len(on_flags)
    unit = np.arange(n, dtype=np.int64) * 7 % 11
    t = np.linspace(0.0, 1.0, n)
    on = np.array(on_flags, dtype=float)
    temp = np.arange(n, dtype=float) + 20.0
    # the partition written the plain way: a stable sort on "is off"
    order = sorted(range(n), key=lambda j: not on_flags[j])
    want = [a[order] for a in (unit, t, on, temp)]
    n_on = switches_on_first(unit, t, on, temp)
    assert n_on == sum(on_flags)
    for got, w in zip((unit, t, on, temp), want, strict=True):
        np.testing.assert_array_equal(got, w)
