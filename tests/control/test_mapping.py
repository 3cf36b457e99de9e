"""One control line: which lines make sense for which parameter, their defaults, and the docs text.

The same rules hold for a patch file, a learned mapping and one built in code, so the rows here
are the inline tables a patch file holds.
"""

import pytest

from livedance.control.mapping import Mapping, _how, _position, _shape, check_mapping, mapping_from_table
from livedance.control.params import REGISTRY
from livedance.errors import LivedanceError


# --- lines that are taken ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "table, fields",
    [
        ({"cc": 7, "param": "speed"}, {"source": "cc", "number": 7, "key": "speed"}),
        ({"note": 36, "param": "reseed"}, {"source": "note", "number": 36}),
        ({"pitchbend": True, "param": "nudge", "channel": 2}, {"number": None, "channel": 2}),
        ({"program": True, "param": "preset"}, {"source": "program"}),
        ({"osc": "/1/fader1", "param": "scale"}, {"address": "/1/fader1", "number": None}),
        ({"cc": 20, "param": "latent", "index": 5}, {"index": 5, "key": "latent/5"}),
        ({"cc": 1, "param": "temperature", "curve": "cubed", "range": [0.5, 1.5]}, {"range": (0.5, 1.5)}),
        ({"cc": 1, "param": "scale", "range": [2, 0.25], "invert": True}, {"invert": True}),  # reversed: fine
        ({"cc": 1, "param": "offset_x", "relative": True}, {"relative": True}),
        ({"cc": 1, "param": "blackout", "button": "momentary"}, {"button": "momentary"}),
        ({"note": 1, "param": "perturb", "amount": 2.5}, {"amount": 2.5}),
        ({"cc": 1, "param": "fg", "invert": True}, {"invert": True}),  # a hue the other way round
        ({"program": True, "param": "model"}, {"param": "model"}),
    ],
)
def test_lines_that_are_taken(table, fields):
    mapping = mapping_from_table(table, line=4)
    assert mapping.line == 4
    for name, value in fields.items():
        assert getattr(mapping, name) == value, name


# --- lines that are refused, each in one line saying why --------------------------------------------
REFUSED = [
    ({"cc": 1, "param": "speed", "colour": 1}, "unknown key 'colour'; a control takes one source"),
    ({"param": "speed"}, "a control needs a source: cc = N"),
    ({"cc": 1, "note": 2, "param": "speed"}, "cc and note: a control has exactly one source"),
    ({"cc": 128, "param": "speed"}, "cc = 128: expected a whole number from 0 to 127"),
    ({"cc": True, "param": "speed"}, "cc = true: expected a whole number from 0 to 127"),
    ({"osc": "/a b", "param": "speed"}, 'osc = "/a b": expected an OSC address starting with /'),
    ({"program": 1, "param": "preset"}, "program = 1: expected program = true"),
    ({"cc": 1}, 'missing param; expected param = "NAME"'),
    ({"cc": 1, "param": 3}, "param = 3: expected a parameter name in quotes"),
    ({"cc": 1, "param": "sped"}, "parameter 'sped': unknown; expected one of reseed"),
    ({"cc": 1, "param": "speed", "channel": 17}, "channel = 17: expected a whole number from 0 to 16"),
    ({"cc": 1, "param": "latent", "index": -1}, "index = -1: expected a whole number of 0 or more"),
    ({"cc": 1, "param": "speed", "curve": "log"}, 'curve = "log": expected one of linear, geometric, squared, cubed'),
    ({"cc": 1, "param": "speed", "range": [1]}, "range = [1]: expected [low, high], two numbers"),
    ({"cc": 1, "param": "speed", "invert": 1}, "invert = 1: expected true or false"),
    ({"cc": 1, "param": "speed", "takeover": "snap"}, 'takeover = "snap": expected one of pickup, scale, jump'),
    ({"cc": 1, "param": "speed", "button": "hold"}, 'button = "hold": expected one of trigger, toggle, momentary'),
    ({"note": 1, "param": "perturb", "amount": "x"}, 'amount = "x": expected a number'),
    ({"cc": 1, "param": "latent"}, "latent: needs index = N, the latent dimension (0 or more)"),
    ({"cc": 1, "param": "speed", "index": 0}, "index: only latent takes an index, not speed"),
    ({"osc": "/x", "param": "speed", "channel": 1}, "channel: an OSC alias has no MIDI channel"),
    ({"program": True, "param": "freeze"}, "program: a program change sets a trigger, a choice or a whole number"),
    ({"cc": 3, "param": "model"}, "model: its choices come from the instrument; map it from a program change"),
    ({"pitchbend": True, "param": "reseed"}, "pitchbend: a wheel has no press to fire reseed"),
    ({"cc": 1, "param": "speed", "amount": 1}, "amount: only a trigger takes a fixed amount; speed is a number"),
    ({"note": 1, "param": "tap", "amount": 1}, "amount: tap takes no amount"),
    ({"note": 1, "param": "preset", "amount": 2.5}, "amount = 2.5: expected a whole number from 1 to 9 for preset"),
    ({"note": 1, "param": "perturb", "amount": 5}, "amount = 5: expected a number from 0 to 4 for perturb"),
    ({"cc": 1, "param": "freeze", "curve": "squared"}, "curve: freeze here is on/off, not a number set by a position"),
    ({"cc": 1, "param": "freeze", "invert": True}, "invert: freeze here is on/off, not a number set by a position"),
    ({"cc": 1, "param": "mode", "range": [0, 1]}, "range: mode here is a choice, not a number set by a position"),
    ({"program": True, "param": "seed", "curve": "squared"}, "curve: a program change sets its number directly"),
    ({"note": 1, "param": "perturb", "amount": 1, "curve": "cubed"}, "curve: perturb here is a trigger"),
    ({"cc": 1, "param": "trails", "button": "toggle", "range": [0, 0.5]}, "range: trails here is a number"),
    ({"cc": 1, "param": "scale", "range": [0.1, 1]}, "range = [0.1, 1]: expected two different numbers within scale's"),
    ({"cc": 1, "param": "scale", "range": [1, 1]}, "range = [1, 1]: expected two different numbers"),
    ({"cc": 1, "param": "nudge", "curve": "geometric"}, "curve geometric: needs a range above 0; nudge -1 .. 1"),
    ({"note": 1, "param": "speed", "relative": True}, "relative: only a cc (an endless encoder) can be relative"),
    ({"cc": 1, "param": "hud", "relative": True}, "relative: an encoder steps a number; hud is on/off"),
    ({"cc": 1, "param": "blackout", "button": "toggle", "relative": True}, "relative: an encoder steps a number"),
    ({"cc": 1, "param": "fg", "takeover": "pickup"}, "takeover: only a number set by a fader or knob takes over"),
    ({"note": 1, "param": "speed", "takeover": "pickup"}, "takeover: note 1 has no position to take over from"),
    (
        {"cc": 1, "param": "speed", "relative": True, "takeover": "scale"},
        "takeover: a relative encoder has no position",
    ),
    ({"pitchbend": True, "param": "freeze", "button": "toggle"}, "button: pitch bend is not a button"),
    ({"note": 1, "param": "reseed", "button": "momentary"}, 'button = "momentary": reseed is a trigger'),
    ({"note": 1, "param": "freeze", "button": "trigger"}, 'button = "trigger": freeze is on/off'),
    ({"note": 1, "param": "speed", "button": "toggle"}, "button: speed has no on value to switch to"),
    ({"note": 1, "param": "trails", "button": "trigger"}, 'button = "trigger": trails switches between 0 and 0.85'),
    ({"note": 1, "param": "mode", "button": "toggle"}, "button: mode is a choice, set by a position, not a button"),
    ({"audio": "kick", "param": "speed"}, 'audio = "kick": expected one of loudness, bass, mid, high, onset, beat'),
    ({"audio": 1, "param": "speed"}, "audio = 1: expected one of loudness"),
    ({"audio": "bass", "param": "speed", "channel": 1}, "channel: an audio feature has no MIDI channel"),
    ({"cc": 1, "param": "speed", "attack": 0.1}, "attack: only an audio feature is smoothed; CC 1 is not one"),
    ({"audio": "bass", "param": "speed", "release": -1}, "release = -1: expected a number of 0 or more"),
    ({"audio": "bass", "param": "speed", "sensitivity": "x"}, 'sensitivity = "x": expected a number of 0 or more'),
    ({"audio": "onset", "param": "reseed", "amount": 1}, "amount: reseed takes no amount"),
]


@pytest.mark.parametrize("table, message", REFUSED, ids=[message.split(":")[0] for _, message in REFUSED])
def test_lines_that_are_refused(table, message):
    with pytest.raises(LivedanceError) as caught:
        mapping_from_table(table)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_a_mapping_built_in_code_is_checked_the_same():
    with pytest.raises(LivedanceError, match="^latent: needs index"):
        check_mapping(Mapping("cc", "latent", 1))
    check_mapping(Mapping("cc", "latent", 1, index=0))


# --- defaults: how a control takes a number over, and what a button does ---------------------------
@pytest.mark.parametrize(
    "table, takeover, button",
    [
        ({"cc": 1, "param": "speed"}, "pickup", None),  # a fader that may sit anywhere
        ({"pitchbend": True, "param": "nudge"}, "pickup", None),
        ({"osc": "/f", "param": "speed"}, "jump", None),  # a tablet's fader shows the value: no gap
        ({"note": 1, "param": "speed"}, "jump", None),  # velocity sets it
        ({"cc": 1, "param": "speed", "relative": True}, None, None),
        ({"cc": 1, "param": "latent", "index": 2}, "pickup", None),
        ({"cc": 1, "param": "speed", "takeover": "scale"}, "scale", None),
        ({"program": True, "param": "seed"}, None, None),
        ({"cc": 1, "param": "blackout", "button": "toggle"}, None, "toggle"),
        ({"cc": 1, "param": "freeze"}, None, "toggle"),  # controller buttons: 127 on press, 0 on release
        ({"note": 1, "param": "freeze"}, None, "toggle"),
        ({"osc": "/t", "param": "freeze"}, None, None),  # a tablet toggle sends its state
        ({"cc": 1, "param": "reseed"}, None, "trigger"),
        ({"osc": "/b", "param": "reseed"}, None, "trigger"),
        ({"program": True, "param": "reseed"}, None, None),
        ({"cc": 1, "param": "mode"}, None, None),
        ({"cc": 1, "param": "fg"}, None, None),
    ],
)
def test_takeover_and_button_defaults(table, takeover, button):
    mapping = mapping_from_table(table)
    assert (mapping.takeover_mode, mapping.button_mode) == (takeover, button)


@pytest.mark.parametrize(
    "table, text",
    [
        ({"cc": 7, "param": "speed"}, "CC 7"),
        ({"note": 36, "param": "reseed"}, "note 36"),
        ({"osc": "/1/fader1", "param": "speed"}, "OSC /1/fader1"),
        ({"pitchbend": True, "param": "nudge"}, "pitch bend"),
        ({"program": True, "param": "preset"}, "program change"),
    ],
)
def test_control_text(table, text):
    assert mapping_from_table(table).control_text() == text


# --- value curves, ranges and inversion ----------------------------------------------------------
@pytest.mark.parametrize(
    "table, x, value",
    [
        ({"cc": 1, "param": "speed"}, 0.5, 1.0),  # the parameter's own geometric curve
        ({"cc": 1, "param": "speed", "curve": "linear"}, 0.5, 2.125),
        ({"cc": 1, "param": "temperature", "curve": "squared"}, 0.5, 0.5),
        ({"cc": 1, "param": "temperature", "curve": "cubed", "range": [1, 2]}, 0.5, 1.125),
        ({"cc": 1, "param": "scale", "range": [2, 1]}, 0.25, 1.75),  # a reversed range runs down
        ({"cc": 1, "param": "bpm", "curve": "geometric", "range": [60, 240]}, 0.5, 120.0),
        ({"cc": 1, "param": "dancers", "range": [1, 4]}, 0.5, 2),  # a whole number rounds (2.5 to even)
        ({"cc": 1, "param": "perturb", "range": [1, 3]}, 0.5, 2.0),  # a trigger's amount
        ({"note": 1, "param": "preset"}, 0.5, 5),
    ],
)
def test_shape_and_position_invert_each_other(table, x, value):
    mapping = mapping_from_table(table)
    param = REGISTRY[mapping.param]
    got = _shape(mapping, param, x)
    assert got == pytest.approx(value) and type(got) is type(value)
    if isinstance(value, float):
        assert _position(mapping, param, got) == pytest.approx(x)


@pytest.mark.parametrize(
    "table, value, x",
    [
        ({"cc": 1, "param": "scale"}, 9.0, 1.0),  # outside the range: the end of the travel
        ({"cc": 1, "param": "scale", "range": [2, 1]}, 0.5, 1.0),
        ({"cc": 1, "param": "speed", "range": [0.5, 2], "curve": "geometric"}, 0.0, 0.0),
    ],
)
def test_position_clamps_to_the_travel(table, value, x):
    mapping = mapping_from_table(table)
    assert _position(mapping, REGISTRY[mapping.param], value) == pytest.approx(x)


# --- the docs' description of a line -------------------------------------------------------------
@pytest.mark.parametrize(
    "table, text",
    [
        ({"cc": 1, "param": "speed"}, "0.25 .. 4, geometric, pick-up"),
        ({"osc": "/f", "param": "temperature", "curve": "squared", "invert": True}, "0 .. 2, squared, inverted, jumps"),
        ({"note": 1, "param": "scale", "range": [0.5, 1.5]}, "0.5 .. 1.5, velocity"),
        ({"cc": 1, "param": "offset_x", "relative": True}, "-1 .. 1, relative encoder"),
        ({"cc": 1, "param": "offset_y", "takeover": "scale"}, "-1 .. 1, value scaling"),
        ({"cc": 1, "param": "freeze"}, "toggles on press"),
        ({"cc": 1, "param": "freeze", "button": "momentary"}, "on while held"),
        ({"cc": 1, "param": "trails", "button": "toggle"}, "toggles 0 / 0.85"),
        ({"cc": 1, "param": "blackout", "button": "momentary"}, "1 while held"),
        ({"osc": "/t", "param": "freeze"}, "on above half way"),
        ({"cc": 1, "param": "fg", "invert": True}, "hue, inverted"),
        ({"cc": 1, "param": "mode"}, "generate / follow / continue across the travel"),
        ({"note": 1, "param": "reseed"}, "fires on press"),
        ({"note": 1, "param": "perturb"}, "fires on press, velocity = amount"),
        ({"cc": 1, "param": "perturb"}, "fires on press, value = amount"),
        ({"note": 1, "param": "perturb", "amount": 3}, "fires on press, amount 3"),
        ({"program": True, "param": "preset"}, "program n -> preset n+1"),
        ({"program": True, "param": "reseed"}, "any program fires it"),
        ({"program": True, "param": "perturb", "amount": 2}, "any program fires it, amount 2"),
        ({"program": True, "param": "mode"}, "program n -> index n"),
        ({"program": True, "param": "seed"}, "program n -> n"),
    ],
)
def test_how_a_line_reads_in_the_docs(table, text):
    assert _how(mapping_from_table(table)) == text


def test_audio_lines():
    level = mapping_from_table({"audio": "bass", "param": "scale", "range": [1, 1.2], "release": 0.1, "sensitivity": 2})
    assert (level.source, level.feature, level.release, level.sensitivity) == ("audio", "bass", 0.1, 2.0)
    assert level.control_text() == "audio bass" and level.takeover_mode == "jump" and level.button_mode is None
    assert _how(level) == "1 .. 1.2, release 0.1 s, sensitivity 2"
    hit = mapping_from_table({"audio": "beat", "param": "accent"})
    assert hit.button_mode == "trigger" and _how(hit) == "fires on each beat, strength -> 0 .. 1"
    rise = mapping_from_table({"audio": "loudness", "param": "reseed"})
    assert _how(rise) == "fires on loudness rising past half"
