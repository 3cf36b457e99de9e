"""The kinds of parameter, each a small class: what a value of that kind is from outside and in.

Every control speaks to a parameter through its kind: a sender's value is coerced (clamped and
said so, or refused in one line naming the parameter and what was expected), a 0..1 position
(a fader, a VJ host's /norm) is spread over the range and read back for feedback, OSC
arguments are unpacked and values packed again, and the HUD and the docs name values the
same way. The flags say how controls may drive a kind (a position, a button, a program
change), so the mapping, the takeover and the mixer ask the kind instead of naming it.
The kinds are stateless: a parameter's range, default and choices are on its `Param`.
"""

from __future__ import annotations

import colorsys
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from livedance.control import curves
from livedance.errors import LivedanceError
from livedance.video.look import parse_colour

if TYPE_CHECKING:
    from livedance.control.params import Param

OscArgs = list[tuple[str, object]]
ON, OFF = ("on", "true", "yes"), ("off", "false", "no")
_PATH = re.compile(r"[/\\:\0]|^~")  # what makes a choice's name a path: separators, a drive, a home
MAX_NAME = 120  # characters in a choice's name (a model bundle's folder name)


def _range(param: Param) -> tuple[float, float]:
    if param.low is None or param.high is None:
        raise LivedanceError(f"{param.name}: has no range for a number")
    return param.low, param.high


def _number(param: Param, value: object) -> float:
    """A sender's number as a finite float, or a one-line refusal naming the parameter's range."""
    low, high = _range(param)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise LivedanceError(f"{param.name} {value!r}: expected a number from {low:g} to {high:g}")
    try:
        number = float(value)
    except OverflowError:  # an int past any float (JSON has no limit)
        number = math.inf
    if not math.isfinite(number):
        raise LivedanceError(f"{param.name} {value!r}: expected a finite number from {low:g} to {high:g}")
    return number


def _clamp(param: Param, number: float) -> tuple[float, bool]:
    low, high = _range(param)
    clamped = min(max(number, low), high)
    return clamped, clamped != number


def _osc_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def typed_arguments(value: object) -> OscArgs | None:
    """A value as typed OSC arguments by its Python type; None when it has no OSC form."""
    if value is None:
        return []  # a trigger fired without an amount
    if isinstance(value, (bool, np.bool_)):
        return [("i", int(bool(value)))]
    if isinstance(value, (int, np.integer)):
        return [("i", int(value))]
    if isinstance(value, (float, np.floating)):
        return [("f", float(value))]
    if isinstance(value, str):
        return [("s", value)]
    if isinstance(value, (list, tuple, np.ndarray)):
        return [("f", float(v)) for v in value]
    return None


class Kind:
    """What every kind shares; the defaults suit a value a position sets without a range of its own."""

    name = ""  # as the docs tables print it
    what = ""  # the kind in a sentence: "bpm is a number"
    number = False  # a fader, knob or encoder sets it: it takes over, steps and needs low and high
    continuous = False  # glides with its smoothing time and takes MIDI pick-up
    plain = True  # one value the instrument reads back and the bus publishes (not a trigger or a vector)
    fires = False  # a trigger: acts once, an amount optional
    indexed = False  # addressed one dimension at a time (latent/<i>)
    switch = False  # on/off: a bare press or a controller button toggles it
    switchable = False  # a button may switch it between its default and its `toggle_on` value
    by_program = False  # a program change may set it
    by_travel = False  # a fader's travel picks it (hues, choices), so the travel can be inverted
    no_default = "-"  # the docs' default column when the default is None
    program_text = "program n -> n"  # the docs' description of a program change setting it

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<{self.name} kind>"

    # --- values from outside -------------------------------------------------------------------
    def coerce(self, param: Param, value: object) -> tuple[object, bool]:
        """`value` in the natural type and range -> (value, clamped); a one-line refusal otherwise."""
        return _clamp(param, _number(param, value))

    def whole(self, param: Param) -> bool:
        """Whether the values are whole numbers (rounded after spreading or clamping)."""
        return False

    def rounded(self, param: Param, number: float) -> float:
        return int(round(number)) if self.whole(param) else number

    def from_norm(self, param: Param, x: float) -> object:
        """A 0..1 position (already clamped) -> the natural value."""
        if not param.numeric:
            raise LivedanceError(f"{param.name}: has no range for a 0..1 value")
        low, high = _range(param)
        return self.rounded(param, curves.spread(x, low, high, param.curve))

    def to_norm(self, param: Param, value: object) -> float | None:
        """Where a fader sits for `value` (feedback); None where 0..1 means nothing."""
        return None

    def positional(self, param: Param) -> bool:
        """Whether a 0..1 position can set it at all."""
        return True

    def toggled(self, param: Param, current: object) -> object:
        """The value a toggle switches `current` to."""
        if param.toggle_on is not None:
            return param.toggle_on if current == param.default else param.default
        raise LivedanceError(f"{param.name}: cannot be toggled; send a value")

    def held(self, param: Param, pressed: bool) -> object:
        """The value while a momentary button is held (`pressed`) and after."""
        return param.toggle_on if pressed else param.default

    def check_button(self, param: Param, button: str) -> None:
        """Refuse (one line) a button mode that makes no sense for this kind."""
        raise LivedanceError(f"button: {param.name} is {self.what}, set by a position, not a button")

    # --- OSC ---------------------------------------------------------------------------------
    def from_osc(self, param: Param, args: list, norm: bool, index: int | None) -> list:
        """An OSC message's arguments -> the values to offer ([] for none); a refusal says what
        was expected. `norm`: the /norm address (0..1); `index`: a dimension addressed alone."""
        if len(args) != 1:
            raise LivedanceError("expected one argument" + (" from 0 to 1" if norm else ""))
        return [args[0]]

    def to_osc(self, value: object) -> OscArgs | None:
        """A value as OSC arguments for feedback; None when it has no OSC form."""
        return typed_arguments(value)

    # --- text for people -----------------------------------------------------------------------
    def text(self, value: object) -> str:
        """A value as the HUD shows it."""
        if isinstance(value, np.ndarray) and value.size > 4:
            return f"({value.size} values)"
        if isinstance(value, float):
            return f"{value:.3g}"
        return f"{value}"  # format(), as the HUD always showed NumPy scalars

    def range_text(self, param: Param) -> str:
        return f"{param.low:g} .. {param.high:g}" if param.numeric else "-"

    def osc_help(self, param: Param) -> str:
        """What the parameter's OSC address takes, in type tags (the docs)."""
        return "-"

    def position_text(self, param: Param) -> str | None:
        """How a fader's travel sets it (the docs); None where its range says it."""
        return None

    def button_text(self, param: Param, button: str) -> str:
        """What a toggle or momentary button does to it (the docs)."""
        if button == "toggle":
            return f"toggles {param.default:g} / {param.toggle_on:g}"
        return f"{param.toggle_on:g} while held"


class FloatKind(Kind):
    name, what = "float", "a number"
    number = continuous = switchable = True
    no_default = "model's"  # the model bundle sets it (noise)

    def to_norm(self, param: Param, value: object) -> float | None:
        if not isinstance(value, (int, float, np.integer, np.floating)):
            return None
        try:
            number = float(value)
        except OverflowError:  # an int past any float: past either end of the range
            number = math.inf if value > 0 else -math.inf
        if math.isnan(number):
            return None
        low, high = _range(param)
        return curves.position(min(max(number, low), high), low, high, param.curve)

    def check_button(self, param: Param, button: str) -> None:
        if param.toggle_on is None:
            raise LivedanceError(f"button: {param.name} has no on value to switch to; a fader or knob sets it")
        if button == "trigger":
            raise LivedanceError(
                f'button = "trigger": {param.name} switches between {param.default:g} and {param.toggle_on:g}; '
                'expected "toggle" or "momentary"'
            )

    def osc_help(self, param: Param) -> str:
        return f"{self.name[0]} ({param.low:g} .. {param.high:g})"


class IntKind(FloatKind):
    name, what = "int", "a whole number"
    continuous = False
    by_program = True
    no_default = "-"

    def coerce(self, param: Param, value: object) -> tuple[object, bool]:
        number, clamped = _clamp(param, _number(param, value))
        return int(round(number)), clamped

    def whole(self, param: Param) -> bool:
        return True


class VectorKind(Kind):
    """One number per latent dimension, set whole or one dimension at a time."""

    name, what = "vector", "a latent dimension"
    number = continuous = indexed = True
    plain = False

    def coerce(self, param: Param, value: object) -> tuple[object, bool]:
        # Bytes are a Sequence of ints too: an OSC blob is no vector.
        if isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, (str, bytes, bytearray)):
            low, high = _range(param)
            if len(value) == 0:
                raise LivedanceError(f"{param.name} []: expected one number per dimension, {low:g} to {high:g}")
            numbers = np.array([_number(param, v) for v in value], np.float32)
            clipped = np.clip(numbers, low, high)
            return clipped, bool(np.any(clipped != numbers))
        return super().coerce(param, value)

    def from_osc(self, param: Param, args: list, norm: bool, index: int | None) -> list:
        if index is not None:
            return super().from_osc(param, args, norm, index)
        if args and all(_osc_number(a) for a in args):
            return [[float(a) for a in args]]
        raise LivedanceError("expected one number per dimension")

    def osc_help(self, param: Param) -> str:
        return f"f f f ... one per dimension ({param.low:g} .. {param.high:g})"


class TriggerKind(Kind):
    """Fires once; an optional amount in [low, high], the action's own default when none is given."""

    name, what = "trigger", "a trigger"
    fires = by_program = True
    plain = False

    def coerce(self, param: Param, value: object) -> tuple[object, bool]:
        if value is None or not param.numeric:
            return None, False  # no amount: the action uses its own default
        number, clamped = _clamp(param, _number(param, value))
        return self.rounded(param, number), clamped

    def whole(self, param: Param) -> bool:
        return isinstance(param.low, int)  # preset numbers, not amounts

    def from_norm(self, param: Param, x: float) -> object:
        return super().from_norm(param, x) if param.numeric else None

    def check_button(self, param: Param, button: str) -> None:
        if button != "trigger":
            raise LivedanceError(
                f'button = "{button}": {param.name} is a trigger; it fires on press (button = "trigger")'
            )

    def from_osc(self, param: Param, args: list, norm: bool, index: int | None) -> list:
        if not args:
            return [None]
        if len(args) == 1 and _osc_number(args[0]):
            if param.numeric:
                return [args[0]] if args[0] > 0 else []  # 0 is a button's release, not an amount
            return [None] if args[0] >= 0.5 else []  # a button press; its release (0) is not another trigger
        raise LivedanceError("expected no argument or one number")

    def osc_help(self, param: Param) -> str:
        return f"none, or f amount ({param.low:g} .. {param.high:g})" if param.numeric else "none (or 1 = press)"


class BoolKind(Kind):
    name, what = "bool", "on/off"
    switch = True

    def coerce(self, param: Param, value: object) -> tuple[object, bool]:
        if isinstance(value, (bool, np.bool_)):
            return bool(value), False
        if isinstance(value, str) and value.strip().lower() in ON + OFF:
            return value.strip().lower() in ON, False
        if isinstance(value, (int, np.integer)) or (isinstance(value, (float, np.floating)) and math.isfinite(value)):
            return bool(value >= 0.5), False  # an int as it is: float() of a huge one overflows
        raise LivedanceError(f"{param.name} {value!r}: expected on/off, true/false or a number (>= 0.5 is on)")

    def from_norm(self, param: Param, x: float) -> object:
        return x >= 0.5

    def to_norm(self, param: Param, value: object) -> float | None:
        return 1.0 if value else 0.0

    def toggled(self, param: Param, current: object) -> object:
        return not current

    def held(self, param: Param, pressed: bool) -> object:
        return bool(pressed)

    def check_button(self, param: Param, button: str) -> None:
        if button == "trigger":
            raise LivedanceError(f'button = "trigger": {param.name} is on/off; expected "toggle" or "momentary"')

    def text(self, value: object) -> str:
        return "on" if value else "off"

    def range_text(self, param: Param) -> str:
        return "0/1"

    def osc_help(self, param: Param) -> str:
        return "T/F, 0/1 or on/off"

    def position_text(self, param: Param) -> str | None:
        return "on above half way"

    def button_text(self, param: Param, button: str) -> str:
        return "toggles on press" if button == "toggle" else "on while held"


class ChoiceKind(Kind):
    """One of the parameter's choices, by name or index; no choices: the instrument supplies them."""

    name, what = "choice", "a choice"
    by_program = by_travel = True
    program_text = "program n -> index n"

    def coerce(self, param: Param, value: object) -> tuple[object, bool]:
        choices = param.choices
        if isinstance(value, str) and len(value) > MAX_NAME:  # it would be quoted on the HUD and in the log
            raise LivedanceError(f"{param.name}: a name of {len(value)} characters; expected at most {MAX_NAME}")
        if isinstance(value, str) and not choices and (_PATH.search(value) or value in (".", "..")):
            # the instrument's choices are names (bundles in models/): a control picks one, never a path
            raise LivedanceError(f"{param.name} {value!r}: expected a name or an index >= 0, not a path")
        if isinstance(value, str) and value and (not choices or value in choices):
            return value, False
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            index = int(value)
            if choices:
                clamped = min(max(index, 0), len(choices) - 1)
                return choices[clamped], clamped != index
            if index >= 0:
                return index, False  # an index into choices the instrument supplies
        expected = ", ".join(choices) if choices else "a name or an index >= 0"
        raise LivedanceError(f"{param.name} {value!r}: expected one of {expected}")

    def from_norm(self, param: Param, x: float) -> object:
        if not param.choices:
            raise LivedanceError(f"{param.name}: takes a name or an index, not a 0..1 value")
        return param.choices[min(int(x * len(param.choices)), len(param.choices) - 1)]

    def to_norm(self, param: Param, value: object) -> float | None:
        if param.choices and value in param.choices:
            return param.choices.index(str(value)) / max(len(param.choices) - 1, 1)
        return None

    def positional(self, param: Param) -> bool:
        return bool(param.choices)

    def from_osc(self, param: Param, args: list, norm: bool, index: int | None) -> list:
        values = super().from_osc(param, args, norm, index)
        if isinstance(values[0], float) and values[0].is_integer():
            return [int(values[0])]  # hosts that only send floats
        return values

    def range_text(self, param: Param) -> str:
        return " / ".join(param.choices) if param.choices else "name or index"

    def osc_help(self, param: Param) -> str:
        if param.choices and len(param.choices) <= 8:
            return f"s ({' / '.join(param.choices)}) or i index"
        return "s name or i index"

    def position_text(self, param: Param) -> str | None:
        return " / ".join(param.choices) + " across the travel"


class LearnKind(ChoiceKind):
    """MIDI learn's choice: a parameter's name, "latent/<i>" for one latent dimension, or off."""

    def coerce(self, param: Param, value: object) -> tuple[object, bool]:
        if isinstance(value, str) and re.fullmatch(r"latent/\d+", value):
            return value, False
        return super().coerce(param, value)

    def range_text(self, param: Param) -> str:
        return "a parameter name, or off"

    def osc_help(self, param: Param) -> str:
        return "s parameter name"


class ColourKind(Kind):
    """BGR inside; a name, #hex, an R G B triple or a 0..1 hue from outside."""

    name, what = "colour", "a colour"
    by_travel = True

    def coerce(self, param: Param, value: object) -> tuple[object, bool]:
        if (
            isinstance(value, (list, tuple))
            and len(value) == 3
            and all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in value)
        ):
            clamped = any(not 0 <= c <= 255 for c in value)
            red, green, blue = (min(max(int(c), 0), 255) for c in value)
            return (blue, green, red), clamped
        if isinstance(value, str):
            return parse_colour(value, param.name), False
        raise LivedanceError(f"{param.name} {value!r}: expected a colour name, #rrggbb or R G B (0-255 each)")

    def from_norm(self, param: Param, x: float) -> object:
        red, green, blue = colorsys.hsv_to_rgb(x % 1.0, 1.0, 1.0)
        return round(blue * 255), round(green * 255), round(red * 255)

    def from_osc(self, param: Param, args: list, norm: bool, index: int | None) -> list:
        if norm or len(args) != 3:
            return super().from_osc(param, args, norm, index)
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return [list(args)]
        if all(_osc_number(a) and math.isfinite(a) for a in args):
            # 0..1 floats; one far outside still lands outside 0..255, for coerce to clamp and count
            return [[round(min(max(float(a), -1.0), 2.0) * 255) for a in args]]
        raise LivedanceError("expected R G B as three ints 0-255 or three finite floats 0..1")

    def to_osc(self, value: object) -> OscArgs | None:
        if isinstance(value, tuple) and len(value) == 3:
            blue, green, red = value  # stored BGR, sent as R G B like it came in
            return [("i", int(red)), ("i", int(green)), ("i", int(blue))]
        return super().to_osc(value)

    def text(self, value: object) -> str:
        if isinstance(value, tuple):
            blue, green, red = value
            return f"#{red:02x}{green:02x}{blue:02x}"
        return super().text(value)

    def range_text(self, param: Param) -> str:
        return "name, #rrggbb, R G B"

    def osc_help(self, param: Param) -> str:
        return "s name or #rrggbb; i i i (R G B 0-255); f f f (R G B 0..1)"

    def position_text(self, param: Param) -> str | None:
        return "hue"


FLOAT, INT, VECTOR, TRIGGER = FloatKind(), IntKind(), VectorKind(), TriggerKind()
BOOL, CHOICE, LEARN, COLOUR = BoolKind(), ChoiceKind(), LearnKind(), ColourKind()
KINDS = (FLOAT, INT, BOOL, TRIGGER, CHOICE, COLOUR, VECTOR)
