"""The parameter registry: one declaration per parameter (what each kind does with values: test_kinds)."""

from dataclasses import fields

import pytest

from livedance.control import params
from livedance.control.kinds import FLOAT, INT
from livedance.control.params import REGISTRY, from_norm, lookup
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


def test_speed_has_a_knob_range_inside_the_dances_hard_limits():
    """A knob spans 0.25..4 around 1; keys may halve below it, down to the choreographer's 0.1."""
    speed = REGISTRY["speed"]
    assert (speed.low, speed.high, speed.curve) == (0.25, params.MAX_SPEED, "geometric")
    assert params.MIN_SPEED == 0.1 < speed.low and from_norm(speed, 0.5)[0] == pytest.approx(1.0)


def test_lookup_names_what_there_is():
    with pytest.raises(LivedanceError, match="parameter 'sped': unknown; expected one of reseed"):
        lookup("sped")


def test_norm_out_of_range_is_clamped_and_said():
    assert from_norm(REGISTRY["scale"], 1.7) == (REGISTRY["scale"].high, True)
    with pytest.raises(LivedanceError, match="normalised value expected"):
        from_norm(REGISTRY["scale"], "x")


def test_tables_for_people():
    table = params.markdown_params()
    text = params.format_params()
    for name in REGISTRY:
        assert f"| `{name}` |" in table and name in text
