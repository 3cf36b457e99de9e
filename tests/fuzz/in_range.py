"""What every fuzzer asserts about a value that got through: its parameter's type and range."""

from __future__ import annotations

import math
import re

import numpy as np

from livedance.control import params as _params
from livedance.control.controls import Control


def _number(value, param, what: str) -> float:
    assert isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool), what
    assert math.isfinite(value), what
    assert param.low <= value <= param.high, what
    return float(value)


def check_value(param, value, index=None, what: str = "") -> None:
    """Assert `value` is one `param` may hold (`index`: one dimension of a vector)."""
    what = what or f"{param.name} = {value!r}"
    kind = param.kind
    if kind.indexed:
        if index is not None:
            assert isinstance(index, int) and index >= 0, what
            _number(value, param, what)
            return
        array = np.asarray(value)
        assert array.ndim == 1 and array.size > 0 and array.dtype.kind == "f", what
        assert np.all(np.isfinite(array)) and np.all((array >= param.low) & (array <= param.high)), what
    elif kind.fires:
        if value is not None:
            _number(value, param, what)
    elif kind.number:
        _number(value, param, what)
        if kind.whole(param):
            assert float(value).is_integer(), what
    elif kind.switch:
        assert isinstance(value, (bool, np.bool_)), what
    elif kind.name == "colour":
        assert isinstance(value, tuple) and len(value) == 3, what
        assert all(isinstance(c, int) and 0 <= c <= 255 for c in value), what
    elif kind.name == "choice":
        if param.choices:
            latent = param.name == "learn" and isinstance(value, str) and re.fullmatch(r"latent/\d+", value)
            assert latent or value in param.choices, what
        else:
            assert (isinstance(value, str) and value) or (isinstance(value, int) and value >= 0), what
    else:
        raise AssertionError(f"{param.name}: a kind the fuzzers don't know ({kind})")


def check_control(control: Control) -> None:
    """A control the bus queued: a registry name, a known op, and a value in range."""
    param = _params.REGISTRY[control.name]
    assert control.op in ("set", "toggle"), control
    if control.op == "toggle":
        assert control.value is None, control
        return
    check_value(param, control.value, control.index, repr(control))


def drained(bus) -> list[Control]:
    """Every control the bus holds, each checked."""
    controls = bus.drain([])
    for control in controls:
        check_control(control)
    return controls
