"""Each kind of parameter: coercion, 0..1 both ways, OSC arguments, text, toggles and buttons.

Table-driven: every row is a real parameter from the registry, so a row also pins down what
that parameter accepts from a controller.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from livedance.control.kinds import BOOL, CHOICE, COLOUR, FLOAT, INT, KINDS, LEARN, TRIGGER, VECTOR, typed_arguments
from livedance.control.params import REGISTRY, coerce, from_norm, to_norm
from livedance.errors import LivedanceError

P = REGISTRY


def test_every_parameter_has_one_of_the_kinds_and_tables_print_its_name():
    assert {p.kind for p in P.values()} <= set(KINDS) | {LEARN}
    assert [str(k) for k in KINDS] == ["float", "int", "bool", "trigger", "choice", "colour", "vector"]
    assert LEARN.name == "choice"  # the docs tables print learn as a choice


# --- what controls may do with each kind -----------------------------------------------------------
FLAGS = ("number", "continuous", "plain", "fires", "indexed", "switch", "switchable", "by_program", "by_travel")


@pytest.mark.parametrize(
    "kind, flags",
    [
        (FLOAT, {"number", "continuous", "plain", "switchable"}),
        (INT, {"number", "plain", "switchable", "by_program"}),
        (VECTOR, {"number", "continuous", "indexed"}),
        (TRIGGER, {"fires", "by_program"}),
        (BOOL, {"plain", "switch"}),
        (CHOICE, {"plain", "by_program", "by_travel"}),
        (LEARN, {"plain", "by_program", "by_travel"}),
        (COLOUR, {"plain", "by_travel"}),
    ],
    ids=str,
)
def test_flags(kind, flags):
    assert {flag for flag in FLAGS if getattr(kind, flag)} == flags


# --- coerce --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, value, expected, clamped",
    [
        ("speed", 2, 2.0, False),
        ("speed", 9.5, 4.0, True),
        ("speed", 0.01, 0.25, True),
        ("scale", 1.5, 1.5, False),
        ("scale", 0, 0.25, True),  # the look's ranges are the registry's: a control clamps into them
        ("trails", 1.5, 0.95, True),
        ("offset_x", -2, -1.0, True),
        ("dancers", 0, 1, True),
        ("dancers", 3.4, 3, False),
        ("dancers", 12, 8, True),
        ("seed", 42, 42, False),
        ("temperature", 1.5, 1.5, False),
        ("temperature", np.float32(0.5), 0.5, False),
        ("temperature", -1, 0.0, True),
        ("speed", 0.1, 0.25, True),  # the knob's range; the choreographer's hard clamp is 0.1
        ("bpm", 1000, 400.0, True),
        ("steps_per_beat", 2.6, 3, False),
        ("steps_per_beat", np.int64(30), 24, True),
        ("latent", 1.5, 1.5, False),  # one dimension (the index travels beside it)
        ("latent", 5.0, 3.0, True),
        ("perturb", None, None, False),
        ("perturb", 1, 1.0, False),
        ("perturb", 10, 4.0, True),
        ("preset", 0, 1, True),
        ("reseed", 5, None, False),  # a trigger with no range ignores a value
        ("preset", 2.6, 3, False),  # a whole-numbered trigger rounds
        ("tap", 3, None, False),  # no range: the value is not an amount
        ("invert", True, True, False),
        ("invert", 0.7, True, False),
        ("invert", 0, False, False),
        ("invert", "off", False, False),
        ("freeze", "  ON ", True, False),
        ("freeze", "no", False, False),
        ("freeze", np.bool_(True), True, False),
        ("freeze", 0.49, False, False),
        ("mode", "follow", "follow", False),
        ("mode", 2, "continue", False),
        ("mode", 7, "continue", True),
        ("mode", np.int64(-3), "generate", True),
        ("model", "default", "default", False),
        ("model", np.int64(4), 4, False),  # an index into the bundles the instrument finds
        ("learn", "speed", "speed", False),
        ("learn", "latent/12", "latent/12", False),
        ("learn", 0, "off", False),
        ("fg", "red", (0, 0, 255), False),
        ("fg", [255, 0, 102], (102, 0, 255), False),  # RGB from outside, BGR inside
        ("fg", [300, 0, 0], (0, 0, 255), True),
        ("bg", "#fff", (255, 255, 255), False),
        ("bg", (0, 128, -5), (0, 128, 0), True),  # R G B in, B G R inside
    ],
)
def test_coerce(name, value, expected, clamped):
    got, was_clamped = coerce(P[name], value)
    assert got == expected and was_clamped == clamped
    assert type(got) is type(expected)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("speed", "fast", "speed 'fast': expected a number from 0.25 to 4"),
        ("speed", math.nan, "speed nan: expected a finite number from 0.25 to 4"),
        ("speed", True, "speed True: expected a number"),
        ("temperature", "hot", "temperature 'hot': expected a number from 0 to 2"),
        ("temperature", math.inf, "temperature inf: expected a finite number from 0 to 2"),
        ("steps_per_beat", None, "steps_per_beat None: expected a number from 1 to 24"),
        ("perturb", "lots", "perturb 'lots': expected a number from 0 to 4"),
        ("latent", [0.5, "x"], "latent 'x': expected a number from -3 to 3"),
        ("invert", "maybe", "invert 'maybe': expected on/off"),
        ("freeze", [1], "freeze [1]: expected on/off, true/false or a number (>= 0.5 is on)"),
        ("freeze", math.nan, "freeze nan: expected on/off"),
        ("mode", "dream", "mode 'dream': expected one of generate, follow, continue"),
        ("mode", "", "mode '': expected one of generate, follow, continue"),
        ("mode", True, "mode True: expected one of generate, follow, continue"),
        ("model", -1, "model -1: expected one of a name or an index >= 0"),
        # a control picks a bundle by name, never by path (docs/security.md)
        ("model", "../../etc", "model '../../etc': expected a name or an index >= 0, not a path"),
        ("model", "/tmp/bundle", "model '/tmp/bundle': expected a name or an index >= 0, not a path"),
        ("model", "..", "model '..': expected a name or an index >= 0, not a path"),
        ("model", "models\\default", "model 'models\\\\default': expected a name or an index >= 0, not a path"),
        ("model", "C:bundle", "model 'C:bundle': expected a name or an index >= 0, not a path"),
        ("model", "~root", "model '~root': expected a name or an index >= 0, not a path"),
        ("model", "m" * 60_000, "model: a name of 60000 characters; expected at most 120"),
        ("learn", "sped", "learn 'sped': expected one of off, reseed"),
        ("learn", "latent/x", "learn 'latent/x': expected one of off, reseed"),
        ("fg", (1.0, 2.0, 3.0), "fg (1.0, 2.0, 3.0): expected a colour name, #rrggbb or R G B (0-255 each)"),
        ("fg", "#12", "fg '#12': expected a colour name"),
        ("fg", "mauve", "fg 'mauve': expected a colour name"),
        ("fg", [1, 2], "fg [1, 2]: expected a colour name, #rrggbb or R G B"),
        ("latent", ["a"], "latent 'a': expected a number"),
        # Found by tests/fuzz: an int past any float (a page's JSON) overflowed float() inside coerce.
        ("speed", 10**400, "speed 1000"),
        ("perturb", -(10**400), "perturb -1000"),
        ("latent", [0.5, 10**400], "latent 1000"),
    ],
)
def test_coerce_refuses_in_one_line(name, value, message):
    with pytest.raises(LivedanceError) as caught:
        coerce(P[name], value)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_a_huge_int_is_on_for_a_switch():
    """Found by tests/fuzz: math.isfinite() of an int past any float overflowed."""
    assert coerce(P["freeze"], 10**400) == (True, False) and coerce(P["freeze"], -(10**400)) == (False, False)


def test_a_whole_vector_is_float32_and_clamped_per_dimension():
    got, clamped = coerce(P["latent"], np.array([4.0, -0.5]))
    assert got.dtype == np.float32 and got.tolist() == [3.0, -0.5] and clamped
    got, clamped = coerce(P["latent"], (1, 2))
    assert got.tolist() == [1.0, 2.0] and not clamped


# --- 0..1 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, x, expected",
    [
        ("speed", 0.0, 0.25),
        ("speed", 0.5, 1.0),  # geometric: the knob's centre is the model's own speed
        ("speed", 1.0, 4.0),
        ("scale", 0.5, 1.125),
        ("dancers", 1.0, 8),
        ("temperature", 0.25, 0.5),
        ("speed", 0.25, 0.5),  # geometric: a quarter of the way is half the centre
        ("steps_per_beat", 0.5, 12),  # 1 + 11.5 rounds to even
        ("latent", 1.0, 3.0),
        ("perturb", 0.5, 2.0),
        ("preset", 0.0, 1),
        ("preset", 1.0, 9),
        ("reseed", 0.7, None),
        ("invert", 0.6, True),
        ("freeze", 0.5, True),
        ("freeze", 0.499, False),
        ("mode", 0.34, "follow"),
        ("mode", 0.99, "continue"),
        ("mode", 1.0, "continue"),
        ("fg", 1 / 3, (0, 255, 0)),  # a third of the hue circle is green (BGR)
        ("fg", 0.0, (0, 0, 255)),  # hue 0 is red
        ("fg", 1.0, (0, 0, 255)),  # the circle closes on red
    ],
)
def test_from_norm(name, x, expected):
    value, clamped = from_norm(P[name], x)
    assert value == (pytest.approx(expected) if isinstance(expected, float) else expected) and not clamped


@pytest.mark.parametrize(
    "name, x, message",
    [
        ("model", 0.5, "model: takes a name or an index, not a 0..1 value"),
        ("speed", None, "speed: normalised value expected as a number from 0 to 1"),
        ("speed", True, "speed: normalised value expected"),
        ("speed", math.nan, "speed: normalised value expected"),
        ("speed", 10**400, "speed: normalised value expected"),  # found by tests/fuzz: float() overflowed
    ],
)
def test_from_norm_refuses_in_one_line(name, x, message):
    with pytest.raises(LivedanceError, match=f"^{message}"):
        from_norm(P[name], x)


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("speed", 1.0, 0.5),
        ("speed", 100.0, 1.0),  # beyond the range: the fader's end
        ("dancers", 8, 1.0),
        ("freeze", True, 1.0),
        ("mode", "continue", 1.0),
        ("mode", "nonsense", None),
        ("speed", "fast", None),
        ("temperature", math.nan, None),
        ("fg", (0, 0, 255), None),  # a colour's hue is not fed back
        ("latent", 1.0, None),
        ("reseed", None, None),
        # Found by tests/fuzz's long run: feedback of an int past any float overflowed math.isnan.
        ("noise", 10**400, 1.0),
        ("dancers", -(10**400), 0.0),
    ],
)
def test_to_norm(name, value, expected):
    assert to_norm(P[name], value) == (pytest.approx(expected) if expected is not None else None)


NORMED = [name for name, p in P.items() if p.kind.plain and p.kind.positional(p) and p.kind is not COLOUR]


@pytest.mark.parametrize("name", NORMED)
@given(x=st.floats(0.0, 1.0))
def test_a_fader_position_survives_feedback(name, x):
    """from_norm then to_norm puts the fader back where it sets the same value; coerce keeps it."""
    param = P[name]
    value, _ = from_norm(param, x)
    back = to_norm(param, value)
    assert 0.0 <= back <= 1.0
    assert from_norm(param, back)[0] == (pytest.approx(value) if param.kind is FLOAT else value)
    if param.kind is FLOAT:
        assert back == pytest.approx(x, abs=1e-9)
    if param.kind is INT:  # within half a step of where the fader was
        assert back == pytest.approx(x, abs=0.5 / (param.high - param.low) + 1e-9)
    assert coerce(param, value) == (value, False)


# --- OSC -----------------------------------------------------------------------------------------
def test_a_colour_float_far_out_of_range_is_clamped_and_counted():
    (rgb,) = P["fg"].kind.from_osc(P["fg"], [1e308, 0.5, -1e308], False, None)
    assert coerce(P["fg"], rgb) == ((0, 128, 255), True)


@pytest.mark.parametrize(
    "name, args, norm, index, offered",
    [
        ("temperature", [0.5], False, None, [0.5]),
        ("temperature", [0.5], True, None, [0.5]),
        ("freeze", ["on"], False, None, ["on"]),
        ("latent", [0.5], False, 3, [0.5]),  # /latent/3
        ("latent", [1, 2.5], False, None, [[1.0, 2.5]]),  # /latent: the whole vector
        ("reseed", [], False, None, [None]),
        ("reseed", [1], False, None, [None]),  # a press
        ("reseed", [0], False, None, []),  # its release
        ("perturb", [2.0], False, None, [2.0]),
        ("perturb", [0.0], False, None, []),  # a button's release, not an amount of 0
        ("mode", [2.0], False, None, [2]),  # hosts that only send floats
        ("mode", [0.5], False, None, [0.5]),
        ("fg", [255, 0, 102], False, None, [[255, 0, 102]]),
        ("fg", [1.0, 0.0, 0.4], False, None, [[255, 0, 102]]),
        ("fg", ["red"], False, None, ["red"]),
        ("fg", [0.5], True, None, [0.5]),  # /fg/norm: a hue
    ],
)
def test_from_osc(name, args, norm, index, offered):
    param = P[name]
    assert param.kind.from_osc(param, args, norm, index) == offered


@pytest.mark.parametrize(
    "name, args, norm, message",
    [
        ("temperature", [], False, "expected one argument"),
        ("temperature", [1, 2], True, "expected one argument from 0 to 1"),
        ("latent", ["a"], False, "expected one number per dimension"),
        ("latent", [], False, "expected one number per dimension"),
        ("reseed", ["go"], False, "expected no argument or one number"),
        ("fg", [1, "a", 2], False, "expected R G B as three ints 0-255 or three finite floats 0..1"),
        # Found by tests/fuzz: round() of an infinite or NaN float raised inside the OSC handler.
        ("fg", [math.inf, 0.0, 0.0], False, "expected R G B as three ints 0-255 or three finite floats 0..1"),
        ("bg", [0.0, math.nan, 0.0], False, "expected R G B as three ints 0-255 or three finite floats 0..1"),
    ],
)
def test_from_osc_refuses_in_one_line(name, args, norm, message):
    param = P[name]
    with pytest.raises(LivedanceError, match=f"^{message}$"):
        param.kind.from_osc(param, args, norm, None)


@pytest.mark.parametrize(
    "name, value, args",
    [
        ("temperature", 0.5, [("f", 0.5)]),
        ("dancers", np.int64(3), [("i", 3)]),
        ("freeze", True, [("i", 1)]),
        ("mode", "follow", [("s", "follow")]),
        ("reseed", None, []),
        ("latent", np.array([1.0, 2.0], np.float32), [("f", 1.0), ("f", 2.0)]),
        ("fg", (102, 0, 255), [("i", 255), ("i", 0), ("i", 102)]),  # BGR inside, R G B out
        ("fg", object(), None),
    ],
)
def test_to_osc(name, value, args):
    assert P[name].kind.to_osc(value) == args


def test_typed_arguments_follow_the_python_type():
    assert typed_arguments(np.bool_(False)) == [("i", 0)]
    assert typed_arguments([1, 2]) == [("f", 1.0), ("f", 2.0)]
    assert typed_arguments({}) is None


# --- text ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, value, text",
    [
        ("temperature", 1.23456, "1.23"),
        ("dancers", 3, "3"),
        ("freeze", True, "on"),
        ("freeze", 0, "off"),
        ("fg", (102, 0, 255), "#ff0066"),
        ("latent", np.zeros(8), "(8 values)"),
        ("mode", "follow", "follow"),
    ],
)
def test_text(name, value, text):
    assert P[name].kind.text(value) == text


@pytest.mark.parametrize(
    "name, range_text, osc_help",
    [
        ("speed", "0.25 .. 4", "f (0.25 .. 4)"),
        ("dancers", "1 .. 8", "i (1 .. 8)"),
        ("latent", "-3 .. 3", "f f f ... one per dimension (-3 .. 3)"),
        ("perturb", "0 .. 4", "none, or f amount (0 .. 4)"),
        ("reseed", "-", "none (or 1 = press)"),
        ("freeze", "0/1", "T/F, 0/1 or on/off"),
        ("mode", "generate / follow / continue", "s (generate / follow / continue) or i index"),
        ("model", "name or index", "s name or i index"),
        ("learn", "a parameter name, or off", "s parameter name"),
        ("fg", "name, #rrggbb, R G B", "s name or #rrggbb; i i i (R G B 0-255); f f f (R G B 0..1)"),
    ],
)
def test_docs_texts(name, range_text, osc_help):
    param = P[name]
    assert (param.kind.range_text(param), param.kind.osc_help(param)) == (range_text, osc_help)


# --- toggles and buttons -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, current, toggled",
    [("freeze", False, True), ("hud", True, False), ("trails", 0.0, 0.85), ("trails", 0.3, 0.0), ("blackout", 0, 1.0)],
)
def test_toggled(name, current, toggled):
    assert P[name].kind.toggled(P[name], current) == toggled


@pytest.mark.parametrize("name", ["speed", "mode", "fg", "reseed"])
def test_what_has_no_on_value_cannot_be_toggled(name):
    with pytest.raises(LivedanceError, match=f"^{name}: cannot be toggled; send a value$"):
        P[name].kind.toggled(P[name], None)


@pytest.mark.parametrize(
    "name, pressed, value",
    [("freeze", True, True), ("hud", False, False), ("blackout", True, 1.0), ("trails", False, 0.0)],
)
def test_held(name, pressed, value):
    assert P[name].kind.held(P[name], pressed) == value


@pytest.mark.parametrize(
    "name, button, message",
    [
        ("reseed", "toggle", 'button = "toggle": reseed is a trigger; it fires on press (button = "trigger")'),
        ("freeze", "trigger", 'button = "trigger": freeze is on/off; expected "toggle" or "momentary"'),
        ("speed", "toggle", "button: speed has no on value to switch to; a fader or knob sets it"),
        (
            "trails",
            "trigger",
            'button = "trigger": trails switches between 0 and 0.85; expected "toggle" or "momentary"',
        ),
        ("latent", "toggle", "button: latent is a latent dimension, set by a position, not a button"),
        ("fg", "momentary", "button: fg is a colour, set by a position, not a button"),
    ],
)
def test_check_button_refuses_in_one_line(name, button, message):
    with pytest.raises(LivedanceError) as caught:
        P[name].kind.check_button(P[name], button)
    assert str(caught.value) == message


@pytest.mark.parametrize("name, button", [("reseed", "trigger"), ("freeze", "toggle"), ("blackout", "momentary")])
def test_check_button_takes_what_makes_sense(name, button):
    P[name].kind.check_button(P[name], button)
