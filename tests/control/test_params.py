"""The parameter registry: one declaration per parameter, values coerced the same for every control."""

import math
from dataclasses import fields

import numpy as np
import pytest

from livedance.control import params
from livedance.control.kinds import FLOAT, INT
from livedance.control.params import REGISTRY, coerce, from_norm, lookup, to_norm
from livedance.errors import LivedanceError
from livedance.live.actions import ACTIONS
from livedance.video.look import Look


def test_every_parameter_has_an_action_and_sane_declaration():
    assert set(REGISTRY) == set(ACTIONS)
    for p in REGISTRY.values():
        assert p.help and p.group in params.GROUPS
        if p.numeric:
            assert p.low < p.high, p.name
        if p.default is not None and p.kind in (FLOAT, INT):
            assert p.low <= p.default <= p.high, p.name


def test_the_look_group_is_the_look_with_its_defaults():
    """Every Look field is a look parameter whose default is what Look() draws (declared once)."""
    look = Look()
    assert [f.name for f in fields(Look)] == [n for n, p in REGISTRY.items() if p.group == "look"]
    for field in fields(Look):
        assert REGISTRY[field.name].default == getattr(look, field.name), field.name


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
        ("invert", True, True, False),
        ("invert", 0.7, True, False),
        ("invert", 0, False, False),
        ("invert", "off", False, False),
        ("perturb", None, None, False),
        ("perturb", 2.5, 2.5, False),
        ("perturb", 10, 4.0, True),
        ("preset", 3, 3, False),
        ("preset", 0, 1, True),
        ("reseed", 5, None, False),  # a trigger with no range ignores a value
        ("mode", "generate", "generate", False),
        ("mode", 2, "continue", False),
        ("mode", 7, "continue", True),
        ("fg", "red", (0, 0, 255), False),
        ("fg", [255, 0, 102], (102, 0, 255), False),  # RGB from outside, BGR inside
        ("fg", [300, 0, 0], (0, 0, 255), True),
        ("learn", "speed", "speed", False),
        ("learn", "latent/7", "latent/7", False),
        ("latent", 5.0, 3.0, True),
        ("model", "default", "default", False),
        ("model", 0, 0, False),
    ],
)
def test_coerce(name, value, expected, clamped):
    got, was_clamped = coerce(REGISTRY[name], value)
    assert got == expected and was_clamped == clamped


def test_coerce_whole_vector_clamps_each_number():
    got, clamped = coerce(REGISTRY["latent"], [0.5, -9.0, 1])
    np.testing.assert_allclose(got, [0.5, -3.0, 1.0])
    assert clamped


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("speed", "fast", "speed 'fast': expected a number from 0.25 to 4"),
        ("speed", math.nan, "expected a finite number"),
        ("speed", True, "expected a number"),
        ("invert", "maybe", "expected on/off"),
        ("mode", "dream", "expected one of generate, follow, continue"),
        ("fg", "mauve", "expected a colour name"),
        ("fg", [1, 2], "expected a colour name, #rrggbb or R G B"),
        ("learn", "sped", "expected one of off, reseed"),
        ("latent", ["a"], "expected a number"),
    ],
)
def test_coerce_refuses_with_one_line(name, value, words):
    with pytest.raises(LivedanceError) as caught:
        coerce(REGISTRY[name], value)
    message = str(caught.value)
    assert words in message and "\n" not in message and name in message


def test_lookup_names_what_there_is():
    with pytest.raises(LivedanceError, match="parameter 'sped': unknown; expected one of reseed"):
        lookup("sped")


@pytest.mark.parametrize(
    "name, x, expected",
    [
        ("speed", 0.0, 0.25),
        ("speed", 0.5, 1.0),  # geometric: the knob's centre is the model's own speed
        ("speed", 1.0, 4.0),
        ("scale", 0.5, 1.125),
        ("dancers", 1.0, 8),
        ("invert", 0.6, True),
        ("mode", 0.99, "continue"),
        ("preset", 0.0, 1),
        ("fg", 0.0, (0, 0, 255)),  # hue 0 is red
    ],
)
def test_from_norm(name, x, expected):
    value, clamped = from_norm(REGISTRY[name], x)
    assert value == pytest.approx(expected) if isinstance(expected, float) else value == expected
    assert not clamped


@pytest.mark.parametrize("name", [n for n, p in REGISTRY.items() if p.kind in (FLOAT, INT)])
def test_to_norm_inverts_from_norm(name):
    param = REGISTRY[name]
    for x in (0.0, 0.25, 1.0):
        value, _ = from_norm(param, x)
        back = to_norm(param, value)
        assert back == pytest.approx(x, abs=0.5 / max(param.high - param.low, 1) if param.kind is INT else 1e-9)


def test_norm_out_of_range_is_clamped_and_said():
    assert from_norm(REGISTRY["scale"], 1.7) == (REGISTRY["scale"].high, True)
    with pytest.raises(LivedanceError, match="normalised value expected"):
        from_norm(REGISTRY["scale"], "x")


def test_tables_for_people():
    table = params.markdown_params()
    text = params.format_params()
    for name in REGISTRY:
        assert f"| `{name}` |" in table and name in text
