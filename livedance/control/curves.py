"""How a 0..1 control position spreads over a range, and back.

A parameter declares linear or geometric (a knob whose centre is the range's geometric mean,
so speed sits at 1 between 0.25 and 4); a patch line may also bend a fader squared or cubed,
for fine control at the bottom of its travel. Parameters and patch lines share these so a
fader and the /norm feedback that moves it agree on where a value sits.
"""

from __future__ import annotations

import math

CURVES = ("linear", "geometric", "squared", "cubed")
PARAM_CURVES = ("linear", "geometric")  # what a parameter may declare (a patch line may bend further)
_POWERS = {"linear": 1, "geometric": 1, "squared": 2, "cubed": 3}


def spread(x: float, low: float, high: float, curve: str) -> float:
    """A 0..1 position -> the value it sets in [low, high] (either order) under `curve`."""
    if curve == "geometric":
        return low * (high / low) ** x
    return low + x ** _POWERS[curve] * (high - low)


def position(value: float, low: float, high: float, curve: str) -> float:
    """The inverse of `spread`, clamped to 0..1 (a value outside the range sits at an end)."""
    if curve == "geometric":
        t = math.log(value / low) / math.log(high / low) if value > 0 else 0.0
    else:
        t = (value - low) / (high - low)
    return min(max(t, 0.0), 1.0) ** (1.0 / _POWERS[curve])
