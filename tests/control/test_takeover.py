"""What one control event offers to the bus: soft takeover, encoders, buttons, program changes.

Each row drives one mapping with a run of raw MIDI values (or 0..1 OSC values) through a real
ControlBus, with the loop's current value published first where a row says so, and reads back
what the bus was offered.
"""

import pytest

from livedance.control.controls import ControlBus
from livedance.control.mapping import mapping_from_table
from livedance.control.takeover import PICKUP_TOLERANCE, State, on_control, on_midi


def midi(table: dict, raws, current=None, key=None) -> list:
    """(value, op) of every control the raw values made, with `current` published first."""
    mapping = mapping_from_table(table)
    bus, state = ControlBus(), State()
    if current is not None:
        bus.values[key or mapping.key] = current
    taken = sum(on_midi(mapping, state, raw, bus, 1.0) for raw in raws)
    controls = bus.drain([])
    assert taken == len(controls)
    return [(c.value, c.op) for c in controls]


def values(table: dict, raws, current=None) -> list:
    return [value for value, _ in midi(table, raws, current)]


# --- soft takeover -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "table, current, raws, expected",
    [
        # pickup: nothing until the fader reaches the value, then it follows
        ({"cc": 1, "param": "temperature"}, 1.0, [10, 40], []),
        ({"cc": 1, "param": "temperature"}, 1.0, [40, 70, 80], [140 / 127, 160 / 127]),  # crossed the middle
        ({"cc": 1, "param": "temperature"}, 1.0, [64], [128 / 127]),  # within a step of it
        ({"cc": 1, "param": "temperature"}, None, [10], [20 / 127]),  # no value known: at once
        ({"cc": 1, "param": "temperature", "invert": True}, 0.0, [0, 127, 100], [0.0, 2 * 27 / 127]),  # 0 at the top
        ({"cc": 1, "param": "speed"}, 1.0, [0, 127], [4.0]),  # geometric: 1 is the middle, crossed
        # jump: every move sets it
        ({"cc": 1, "param": "temperature", "takeover": "jump"}, 1.0, [0, 127], [0.0, 2.0]),
        ({"osc": "/f", "param": "temperature"}, 1.0, [], []),
        # scale: learn where the knob is, then close the gap so both reach the end together
        ({"cc": 1, "param": "offset_x", "takeover": "scale"}, 0.0, [127], []),
        ({"cc": 1, "param": "offset_x", "takeover": "scale"}, 0.0, [64, 127], [-1 + 2 * 64 / 127, 1.0]),
    ],
)
def test_takeover(table, current, raws, expected):
    assert values(table, raws, current) == pytest.approx(expected)


def test_pickup_lets_go_when_another_control_moves_the_value():
    mapping = mapping_from_table({"cc": 1, "param": "temperature"})
    bus, state = ControlBus(), State()
    bus.values["temperature"] = 1.0
    assert on_midi(mapping, state, 64, bus, 1.0) == 1
    bus.values["temperature"] = 128 / 127  # the loop applied ours a frame later: still picked up
    assert on_midi(mapping, state, 70, bus, 1.0) == 1
    bus.values["temperature"] = 0.2  # a preset moved it
    assert on_midi(mapping, state, 90, bus, 1.0) == 0
    assert on_midi(mapping, state, 5, bus, 1.0) == 1  # crossed 0.2 on the way down
    assert PICKUP_TOLERANCE == pytest.approx(1.5 / 127)


def test_scale_catches_up_from_behind():
    table = {"cc": 1, "param": "offset_x", "takeover": "scale"}
    got = values(table, [100, 110, 120, 127, 64, 0], current=0.0)
    up, down = got[:3], got[3:]
    assert 0.0 < up[0] < up[1] < up[2] == pytest.approx(1.0)
    assert up[0] < -1 + 2 * 110 / 127  # behind the knob
    assert down == pytest.approx([-1 + 2 * 64 / 127, -1.0])  # together now


# --- relative encoders ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "table, current, raws, expected",
    [
        ({"cc": 1, "param": "offset_x", "relative": True}, 0.5, [66, 64, 63], [0.5 + 4 / 127, 0.5 + 2 / 127]),
        ({"cc": 1, "param": "offset_x", "relative": True, "invert": True}, 0.5, [66], [0.5 - 4 / 127]),
        ({"cc": 1, "param": "offset_x", "relative": True}, None, [65], [2 / 127]),  # from the default, 0
        ({"cc": 1, "param": "offset_x", "relative": True}, 1.0, [70], [1.0]),  # held at the end
        ({"cc": 1, "param": "dancers", "relative": True}, 1, [65] * 50, [2, 3, 4]),  # steps add up to numbers
    ],
)
def test_relative_encoder(table, current, raws, expected):
    assert values(table, raws, current) == pytest.approx(expected)


# --- whole numbers and choices are sent once each ---------------------------------------------------
@pytest.mark.parametrize(
    "table, raws, expected",
    [
        ({"cc": 1, "param": "dancers", "takeover": "jump"}, range(0, 20), [1, 2]),  # a 7-bit fader over 1..8
        ({"cc": 1, "param": "mode"}, [0, 10, 50, 60, 127], ["generate", "follow", "continue"]),
        ({"cc": 1, "param": "mode", "invert": True}, [0, 127], ["continue", "generate"]),
        ({"cc": 1, "param": "fg"}, [0, 0], [(0, 0, 255)]),  # hue 0: red, once
    ],
)
def test_repeats_are_not_sent_again(table, raws, expected):
    assert values(table, raws) == expected


# --- buttons -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "table, raws, expected",
    [
        ({"cc": 1, "param": "freeze"}, [127, 127, 0, 127], [(None, "toggle"), (None, "toggle")]),  # edges only
        ({"note": 1, "param": "freeze"}, [100, 0, 100], [(None, "toggle"), (None, "toggle")]),
        ({"note": 1, "param": "freeze", "button": "momentary"}, [100, 0], [(True, "set"), (False, "set")]),
        ({"cc": 1, "param": "blackout", "button": "momentary"}, [127, 0], [(1.0, "set"), (0.0, "set")]),
        ({"cc": 1, "param": "trails", "button": "toggle"}, [127, 0], [(None, "toggle")]),
        ({"note": 1, "param": "reseed"}, [90, 0], [(None, "set")]),  # fires on press only
        ({"note": 1, "param": "perturb"}, [127], [(4.0, "set")]),  # velocity is the amount
        ({"note": 1, "param": "perturb", "amount": 2.5}, [1], [(2.5, "set")]),
        ({"note": 1, "param": "perturb", "invert": True}, [127], [(0.0, "set")]),
        ({"note": 1, "param": "preset"}, [127], [(9, "set")]),
        ({"note": 1, "param": "scale"}, [127, 0], [(2.0, "set")]),  # a note sets by velocity; release: nothing
    ],
)
def test_buttons(table, raws, expected):
    assert midi(table, raws) == expected


# --- program changes and the pitch wheel ------------------------------------------------------------
@pytest.mark.parametrize(
    "table, raws, expected",
    [
        ({"program": True, "param": "preset"}, [0, 8], [1, 9]),  # program n -> preset n+1
        ({"program": True, "param": "reseed"}, [5], [None]),
        ({"program": True, "param": "perturb", "amount": 3}, [5], [3.0]),
        ({"program": True, "param": "mode"}, [1, 9], ["follow", "continue"]),  # an index, clamped
        ({"program": True, "param": "model"}, [2], [2]),  # an index into the instrument's bundles
        ({"program": True, "param": "seed"}, [42], [42]),
        ({"pitchbend": True, "param": "nudge", "takeover": "jump"}, [0, 8191, -8192], [0.0, 1.0, -1.0]),
    ],
)
def test_program_and_pitchbend(table, raws, expected):
    assert values(table, raws) == pytest.approx(expected)


# --- OSC aliases: 0..1 values, or none ---------------------------------------------------------------
@pytest.mark.parametrize(
    "table, x, expected",
    [
        ({"osc": "/t", "param": "freeze"}, None, [(None, "toggle")]),  # a bare message toggles a switch
        ({"osc": "/t", "param": "freeze"}, 0.7, [(True, "set")]),
        ({"osc": "/f", "param": "scale"}, 0.5, [(1.125, "set")]),
        ({"osc": "/f", "param": "scale"}, None, []),  # a number needs a value: refused
        ({"osc": "/b", "param": "tap"}, 1.0, [(None, "set")]),
        ({"osc": "/b", "param": "tap"}, 0.0, []),
    ],
)
def test_osc_control(table, x, expected):
    mapping = mapping_from_table(table)
    bus = ControlBus()
    on_control(mapping, State(), x, x is None or x >= 0.5, False, bus, 1.0, "osc")
    assert [(c.value, c.op) for c in bus.drain([])] == expected
    if x is None and not expected:
        assert bus.last_refusal == "osc: OSC /f: scale needs a number from 0 to 1"
