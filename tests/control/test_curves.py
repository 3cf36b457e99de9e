"""Value curves: a 0..1 position spread over a range, and back."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livedance.control.curves import CURVES, position, spread


@pytest.mark.parametrize(
    "x, low, high, curve, value",
    [
        (0.5, 0.0, 2.0, "linear", 1.0),
        (0.5, 0.25, 4.0, "geometric", 1.0),  # the centre is the geometric mean
        (0.5, 0.0, 2.0, "squared", 0.5),
        (0.5, 0.0, 8.0, "cubed", 1.0),
        (0.25, 2.0, 1.0, "linear", 1.75),  # a reversed range runs the other way
        (1.0, 4.0, 0.25, "geometric", 0.25),
    ],
)
def test_spread(x, low, high, curve, value):
    assert spread(x, low, high, curve) == pytest.approx(value)


@pytest.mark.parametrize(
    "value, low, high, curve, x",
    [
        (9.0, 0.0, 2.0, "linear", 1.0),  # beyond the range: the end
        (-1.0, 0.0, 2.0, "squared", 0.0),
        (0.0, 0.25, 4.0, "geometric", 0.0),  # no logarithm of 0
        (2.0, 0.0, 8.0, "cubed", 0.5 ** (2 / 3)),
    ],
)
def test_position_clamps_and_inverts(value, low, high, curve, x):
    assert position(value, low, high, curve) == pytest.approx(x)


@given(
    x=st.floats(0.0, 1.0),
    low=st.floats(0.01, 100.0),
    factor=st.floats(1.01, 100.0),
    curve=st.sampled_from(CURVES),
    reverse=st.booleans(),
)
def test_position_inverts_spread(x, low, factor, curve, reverse):
    """Where a value sits spreads back to the same value (fader feedback moves nothing)."""
    low, high = (low * factor, low) if reverse else (low, low * factor)
    value = spread(x, low, high, curve)
    at = position(value, low, high, curve)
    assert 0.0 <= at <= 1.0
    assert spread(at, low, high, curve) == pytest.approx(value, rel=1e-9, abs=1e-9 * abs(high - low))
