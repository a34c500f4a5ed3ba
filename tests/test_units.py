"""Edge conversions: the plain-number path gives the same bits as the array path."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from desim.units import fraction_to_percent, hours_until, percent_to_fraction

finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(finite, finite)
def test_hours_until_on_numbers_equals_the_array_form(now, deadline):
    one = hours_until(now, deadline)
    many = hours_until(np.array([now]), np.array([deadline]))[0]
    assert type(one) is float and one == many and 0.0 < one <= 24.0


@given(st.one_of(finite, st.integers(-10**6, 10**6)))
def test_percent_conversions_on_numbers_equal_the_array_form(value):
    assert percent_to_fraction(value) == percent_to_fraction(np.array([value], float))[0]
    assert fraction_to_percent(value) == fraction_to_percent(np.array([value], float))[0]
