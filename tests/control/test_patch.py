import threading

import mido
import pytest

from livedance.control.controls import ControlBus
from livedance.control.params import REGISTRY, from_norm
from livedance.control.patch import DEFAULT_PATCH, PATCH_DIR, Patch, markdown_layout, resolve_patch_path
from livedance.errors import LivedanceError

SHIPPED = sorted(PATCH_DIR.glob("*.toml"))


def patch_of(*controls: str, channel: int = 0) -> Patch:
    lines = ['name = "test"', f"channel = {channel}", "controls = ["]
    lines += [f"  {control}," for control in controls]
    return Patch.from_text("\n".join(lines + ["]"]), source="test.toml")


def cc(control: int, value: int, channel: int = 0) -> mido.Message:
    return mido.Message("control_change", control=control, value=value, channel=channel)


def note(number: int, velocity: int, channel: int = 0) -> mido.Message:
    return mido.Message("note_on", note=number, velocity=velocity, channel=channel)


def play(patch: Patch, bus: ControlBus, *messages) -> list:
    """Translate the messages; the controls they made, in order."""
    for msg in messages:
        patch.translate(msg, bus, 1.0)
    return bus.drain([])


def values(controls) -> list:
    return [c.value for c in controls]


# --- the shipped patches -----------------------------------------------------------------------
def test_patches_are_shipped():
    names = {path.stem for path in SHIPPED}
    assert {"default", "nanokontrol2", "apcmini", "launchcontrolxl", "beatstep", "touchosc"} <= names
    assert DEFAULT_PATCH == PATCH_DIR / "default.toml" and DEFAULT_PATCH.is_file()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_patch_loads_and_names_registry_parameters(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#"), "a patch starts with a comment describing the controller's layout"
    patch = Patch.load(path)
    assert patch.path == path and patch.name and patch.mappings
    lines = text.splitlines()
    for mapping in patch.mappings:
        assert mapping.param in REGISTRY
        assert f'param = "{mapping.param}"' in lines[mapping.line - 1], "each mapping knows its line"
    table = markdown_layout(patch).splitlines()
    assert table[0] == "| control | parameter | how |" and len(table) == len(patch.mappings) + 2


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_patch_round_trips_through_save(path, tmp_path):
    patch = Patch.load(path)
    patch.save(tmp_path / "copy.toml")
    again = Patch.load(tmp_path / "copy.toml")
    assert (again.name, again.channel, again.mappings) == (patch.name, patch.channel, patch.mappings)


def test_resolve_patch_path_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_patch_path("nanokontrol2") == PATCH_DIR / "nanokontrol2.toml"
    assert resolve_patch_path("beatstep.toml") == PATCH_DIR / "beatstep.toml"
    assert resolve_patch_path("patches/default.toml").resolve() == DEFAULT_PATCH.resolve()
    own = tmp_path / "mine.toml"
    own.write_text('name = "mine"\n')
    assert resolve_patch_path(str(own)) == own
    with pytest.raises(LivedanceError, match=r"^nosuch: no such patch file.*nanokontrol2"):
        resolve_patch_path("nosuch")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(LivedanceError) as caught:
        Patch.load(tmp_path / "gone.toml")
    assert str(caught.value) == f"{tmp_path / 'gone.toml'}: no such patch file"


# --- broken patches: "<file>:<line>: <reason>" -------------------------------------------------
HEAD = '# a { comment } with [brackets]\nname = "desk { 1 }"\nchannel = 1\n\ncontrols = [\n  { cc = 0, param = "speed" },   # { fine }\n'
BROKEN = [
    # (what, text, line, words in the reason)
    ("bad TOML", HEAD + '  { cc = 1 param = "speed" },\n]\n', 7, "not valid TOML"),
    ("table across lines", HEAD + '  { cc = 1,\n    param = "speed" },\n]\n', 7, "not valid TOML"),
    ("duplicate key", HEAD + '  { cc = 1, cc = 2, param = "speed" },\n]\n', 7, "not valid TOML"),
    ("unknown param", HEAD + '  { cc = 1, param = "sped" },\n]\n', 7, "parameter 'sped': unknown"),
    (
        "code as a param",
        HEAD + "  { cc = 1, param = \"__import__('os').system('x')\" },\n]\n",
        7,
        "unknown; expected one of",
    ),
    ("unknown key", HEAD + '  { cc = 1, param = "speed", colour = 3 },\n]\n', 7, "unknown key 'colour'"),
    ("cc 200", HEAD + '  { cc = 200, param = "speed" },\n]\n', 7, "cc = 200: expected a whole number from 0 to 127"),
    ("cc as text", HEAD + '  { cc = "7", param = "speed" },\n]\n', 7, 'cc = "7"'),
    ("two sources", HEAD + '  { cc = 1, note = 2, param = "speed" },\n]\n', 7, "cc and note"),
    ("no source", HEAD + '  { param = "speed" },\n]\n', 7, "needs a source"),
    ("missing param", HEAD + "  { cc = 1 },\n]\n", 7, "missing param"),
    ("index on non-latent", HEAD + '  { cc = 1, param = "speed", index = 2 },\n]\n', 7, "only latent takes an index"),
    ("latent without index", HEAD + '  { cc = 1, param = "latent" },\n]\n', 7, "needs index"),
    (
        "geometric on an int through 0",
        HEAD + '  { cc = 1, param = "seed", curve = "geometric" },\n]\n',
        7,
        "curve geometric",
    ),
    (
        "geometric range through 0",
        HEAD
        + '  { cc = 1, param = "dancers", range = [1, 4] },\n  { cc = 2, param = "temperature", curve = "geometric", range = [0, 2] },\n]\n',
        8,
        "curve geometric",
    ),
    ("unknown curve", HEAD + '  { cc = 1, param = "speed", curve = "wobbly" },\n]\n', 7, 'curve = "wobbly"'),
    ("curve on a bool", HEAD + '  { cc = 1, param = "freeze", curve = "squared" },\n]\n', 7, "curve"),
    ("range outside", HEAD + '  { cc = 1, param = "scale", range = [0.1, 3] },\n]\n', 7, "within scale's 0.25 .. 2"),
    ("range of one number", HEAD + '  { cc = 1, param = "scale", range = [1] },\n]\n', 7, "range"),
    ("takeover on a trigger", HEAD + '  { cc = 1, param = "reseed", takeover = "jump" },\n]\n', 7, "takeover"),
    ("takeover on a note", HEAD + '  { note = 1, param = "speed", takeover = "pickup" },\n]\n', 7, "no position"),
    ("relative note", HEAD + '  { note = 1, param = "speed", relative = true },\n]\n', 7, "relative"),
    ("toggle a fader-only number", HEAD + '  { cc = 1, param = "speed", button = "toggle" },\n]\n', 7, "no on value"),
    ("toggle a trigger", HEAD + '  { cc = 1, param = "reseed", button = "toggle" },\n]\n', 7, "is a trigger"),
    ("amount on a number", HEAD + '  { cc = 1, param = "speed", amount = 2 },\n]\n', 7, "only a trigger"),
    ("amount out of range", HEAD + '  { note = 1, param = "perturb", amount = 9 },\n]\n', 7, "from 0 to 4"),
    ("amount on reseed", HEAD + '  { note = 1, param = "reseed", amount = 1 },\n]\n', 7, "takes no amount"),
    ("pitchbend false", HEAD + '  { pitchbend = false, param = "nudge" },\n]\n', 7, "pitchbend = true"),
    ("program to a float", HEAD + '  { program = true, param = "speed" },\n]\n', 7, "program change"),
    ("model from a fader", HEAD + '  { cc = 3, param = "model" },\n]\n', 7, "program change"),
    ("osc without slash", HEAD + '  { osc = "fader1", param = "speed" },\n]\n', 7, "starting with /"),
    ("channel on osc", HEAD + '  { osc = "/1/fader1", channel = 2, param = "speed" },\n]\n', 7, "no MIDI channel"),
    ("channel 17", HEAD + '  { cc = 1, channel = 17, param = "speed" },\n]\n', 7, "channel = 17"),
    ("not a table", HEAD + "  3,\n]\n", 7, "expected an inline table"),
    ("patch channel", HEAD.replace("channel = 1", "channel = 17") + "]\n", 3, "channel = 17"),
    ("patch name", HEAD.replace('name = "desk { 1 }"', "name = 3") + "]\n", 2, "name = 3"),
    ("unknown top key", HEAD + "]\nspeed = 3\n", 8, "unknown key 'speed'"),
    ("controls a table", 'name = "x"\n[controls]\ncc = 1\n', 2, "array of inline tables"),
    # Found by tests/fuzz: tomllib recursed until a RecursionError.
    (
        "arrays nested too deep",
        HEAD + "  { cc = 1, param = " + "[" * 5000 + "]" * 5000 + " },\n]\n",
        7,
        "nested too deep",
    ),
    ("tables nested too deep", HEAD + "]\nx = " + "{ a = " * 5000 + "1" + " }" * 5000 + "\n", 8, "nested too deep"),
    (
        "multi-line string above",
        'name = """a\n{ b }\n"""\ncontrols = [\n  { cc = 1, param = "speed" },\n  { cc = 1, param = "nope" },\n]\n',
        6,
        "unknown",
    ),
]


@pytest.mark.parametrize("what, text, line, words", BROKEN, ids=[case[0] for case in BROKEN])
def test_broken_patch_names_file_and_line(tmp_path, what, text, line, words):
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LivedanceError) as caught:
        Patch.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message and "\n" not in message


def test_from_text_names_its_source():
    with pytest.raises(LivedanceError, match=r"^<mine>:1: not valid TOML"):
        Patch.from_text("controls = [ { cc = 1 ", source="<mine>")


# --- translate: continuous parameters ----------------------------------------------------------
def test_jump_maps_the_whole_range_and_the_latent_index():
    patch = patch_of(
        '{ cc = 7, param = "scale", takeover = "jump" }', '{ cc = 20, param = "latent", index = 5, takeover = "jump" }'
    )
    bus = ControlBus()
    controls = play(patch, bus, cc(7, 127), cc(7, 0), cc(20, 127))
    assert [(c.name, c.source, c.index) for c in controls] == [("scale", "midi", None)] * 2 + [("latent", "midi", 5)]
    assert values(controls) == pytest.approx([2.0, 0.25, 3.0])
    assert controls[0].received == 1.0


def test_registry_curve_is_the_default_and_options_reshape_it():
    patch = patch_of(
        '{ cc = 1, param = "speed", takeover = "jump" }',  # speed's own geometric curve
        '{ cc = 2, param = "speed", curve = "geometric", range = [0.5, 2.0], takeover = "jump" }',
        '{ cc = 3, param = "temperature", curve = "squared", takeover = "jump" }',
        '{ cc = 4, param = "temperature", curve = "cubed", invert = true, takeover = "jump" }',
        '{ cc = 5, param = "scale", range = [2.0, 1.0], takeover = "jump" }',
        '{ cc = 6, param = "dancers", takeover = "jump" }',
    )
    bus = ControlBus()
    got = values(
        play(
            patch,
            bus,
            cc(1, 64),
            cc(2, 0),
            cc(2, 127),
            cc(3, 64),
            cc(4, 127),
            cc(4, 0),
            cc(5, 0),
            cc(5, 127),
            cc(6, 127),
        )
    )
    x = 64 / 127
    assert got == pytest.approx([from_norm(REGISTRY["speed"], x)[0], 0.5, 2.0, 2 * x * x, 0.0, 2.0, 2.0, 1.0, 8])
    assert isinstance(got[-1], int)


def test_pickup_waits_for_the_fader_to_reach_the_value_and_again_after_another_control():
    patch = patch_of('{ cc = 1, param = "temperature" }')
    bus = ControlBus()
    bus.publish("temperature", 1.0)  # the loop's current value: the fader's middle
    assert play(patch, bus, cc(1, 10), cc(1, 40)) == []  # below it: ignored
    picked = play(patch, bus, cc(1, 70), cc(1, 80), cc(1, 90))  # crossed the middle: follows
    assert values(picked) == pytest.approx([140 / 127, 160 / 127, 180 / 127])
    bus.publish("temperature", picked[0].value)  # the loop lags behind what was sent: still ours
    assert values(play(patch, bus, cc(1, 95))) == pytest.approx([190 / 127])
    bus.publish("temperature", 0.2)  # another control moved it
    assert play(patch, bus, cc(1, 100), cc(1, 60)) == []
    assert values(play(patch, bus, cc(1, 5))) == pytest.approx([10 / 127])  # crossed 0.2 on the way down


def test_pickup_takes_over_at_once_when_no_value_is_known_or_at_the_value():
    patch = patch_of('{ cc = 1, param = "noise" }', '{ cc = 2, param = "trails" }')
    bus = ControlBus()
    bus.publish("trails", 0.95 * 30 / 127)
    assert values(play(patch, bus, cc(1, 100))) == pytest.approx([200 / 127])
    assert values(play(patch, bus, cc(2, 30))) == pytest.approx([0.95 * 30 / 127])


def test_scale_closes_the_gap_so_control_and_value_meet_at_the_end():
    patch = patch_of('{ cc = 1, param = "offset_x", takeover = "scale" }')
    bus = ControlBus()
    bus.publish("offset_x", 0.0)  # the value at the knob's middle
    assert play(patch, bus, cc(1, 100)) == []  # first touch: where is the knob?
    up = values(play(patch, bus, cc(1, 110), cc(1, 120), cc(1, 127)))
    assert 0.0 < up[0] < up[1] < up[2] == pytest.approx(1.0)
    assert up[0] < -1 + 2 * 110 / 127  # behind the knob, catching up
    down = values(play(patch, bus, cc(1, 64), cc(1, 0)))
    assert down[0] == pytest.approx(-1 + 2 * 64 / 127) and down[1] == pytest.approx(-1.0)  # together now


def test_relative_encoder_steps_from_the_current_value():
    patch = patch_of(
        '{ cc = 22, param = "offset_x", relative = true }', '{ cc = 23, param = "dancers", relative = true }'
    )
    bus = ControlBus()
    bus.publish("offset_x", 0.5)
    assert values(play(patch, bus, cc(22, 66), cc(22, 64), cc(22, 63))) == pytest.approx([0.5 + 4 / 127, 0.5 + 2 / 127])
    bus.publish("dancers", 1)
    steps = values(play(patch, bus, *[cc(23, 65)] * 50))  # small steps add up to whole numbers
    assert steps == [2, 3, 4]


# --- translate: buttons and triggers -----------------------------------------------------------
def test_cc_button_toggles_on_each_press_only():
    patch = patch_of('{ cc = 42, param = "freeze" }', '{ cc = 43, param = "blackout", button = "toggle" }')
    bus = ControlBus()
    controls = play(patch, bus, cc(42, 127), cc(42, 127), cc(42, 0), cc(42, 127), cc(43, 127))
    assert [(c.name, c.op, c.value) for c in controls] == [("freeze", "toggle", None)] * 2 + [
        ("blackout", "toggle", None)
    ]


def test_momentary_is_on_while_held():
    patch = patch_of(
        '{ note = 37, param = "loop", button = "momentary" }', '{ cc = 5, param = "blackout", button = "momentary" }'
    )
    bus = ControlBus()
    held = play(patch, bus, note(37, 100), mido.Message("note_off", note=37), note(37, 90), note(37, 0))
    assert values(held) == [True, False, True, False]
    assert values(play(patch, bus, cc(5, 100), cc(5, 110), cc(5, 20))) == [1.0, 0.0]


def test_trigger_fires_on_press_with_velocity_or_a_fixed_amount():
    patch = patch_of(
        '{ note = 36, param = "perturb" }',
        '{ note = 40, param = "preset", amount = 3 }',
        '{ cc = 41, param = "reseed" }',
    )
    bus = ControlBus()
    controls = play(
        patch,
        bus,
        note(36, 127),
        note(36, 32),
        mido.Message("note_off", note=36),
        note(40, 5),
        cc(41, 127),
        cc(41, 127),
        cc(41, 0),
        cc(41, 127),
    )
    assert [c.name for c in controls] == ["perturb", "perturb", "preset", "reseed", "reseed"]
    assert values(controls)[:3] == pytest.approx([4.0, from_norm(REGISTRY["perturb"], 32 / 127)[0], 3])
    assert values(controls)[3:] == [None, None]


def test_program_change_picks_preset_model_and_seed():
    patch = patch_of(
        '{ program = true, channel = 1, param = "preset" }',
        '{ program = true, channel = 2, param = "model" }',
        '{ program = true, channel = 3, param = "seed" }',
    )
    bus = ControlBus()
    controls = play(patch, bus, *(mido.Message("program_change", program=4, channel=ch) for ch in (0, 1, 2)))
    assert [(c.name, c.value) for c in controls] == [("preset", 5), ("model", 4), ("seed", 4)]


def test_pitchbend_spans_the_range_with_the_rest_at_the_centre():
    patch = patch_of('{ pitchbend = true, param = "nudge", takeover = "jump" }')
    bus = ControlBus()
    bends = (mido.Message("pitchwheel", pitch=p) for p in (-8192, 0, 8191))
    assert values(play(patch, bus, *bends)) == pytest.approx([-1.0, 0.0, 1.0])


def test_choice_and_colour_from_a_fader():
    patch = patch_of('{ cc = 1, param = "mode" }', '{ cc = 2, param = "fg" }')
    bus = ControlBus()
    assert values(play(patch, bus, cc(1, 127), cc(1, 126), cc(1, 0))) == ["continue", "generate"]  # no repeat
    assert values(play(patch, bus, cc(2, 0))) == [(0, 0, 255)]  # hue 0 = red (BGR)


@pytest.mark.parametrize(
    "patch_channel, mapping_channel, message_channel, taken",
    [
        (0, "", 9, True),
        (2, "", 1, True),
        (2, "", 0, False),
        (2, ", channel = 0", 5, True),
        (0, ", channel = 5", 4, True),
        (0, ", channel = 5", 5, False),
    ],
)
def test_channel_filter(patch_channel, mapping_channel, message_channel, taken):
    patch = patch_of(f'{{ cc = 1, param = "scale", takeover = "jump"{mapping_channel} }}', channel=patch_channel)
    bus = ControlBus()
    assert patch.translate(cc(1, 64, channel=message_channel), bus, 1.0) == int(taken)
    assert len(bus.drain([])) == int(taken)


def test_translate_never_raises_and_ignores_what_is_not_a_control():
    patch = Patch.load(DEFAULT_PATCH)
    bus = ControlBus()
    for msg in (
        mido.Message("clock"),
        mido.Message("sysex", data=[1, 2]),
        mido.Message("aftertouch", value=3),
        cc(99, 1),
    ):
        assert patch.translate(msg, bus, 1.0) == 0
    assert patch.translate(None, bus, 1.0) == 0
    assert bus.count("midi").refused == 1 and bus.drain([]) == []


def test_translate_is_thread_safe():
    patch = patch_of('{ cc = 1, param = "scale", takeover = "jump" }')
    bus = ControlBus()
    results = []

    def player():
        results.append(sum(patch.translate(cc(1, i % 128), bus, 1.0) for i in range(2000)))

    def learner():
        for i in range(200):
            patch.learn("speed", cc(2 + i % 50, 1))

    threads = [threading.Thread(target=player) for _ in range(3)] + [threading.Thread(target=learner)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [2000, 2000, 2000] and bus.count("midi").received == 6000


# --- MIDI learn and save -----------------------------------------------------------------------
def test_learn_save_load_round_trip(tmp_path):
    patch = Patch.from_text('name = "Bühne \\"A\\" \\\\ 1"\nchannel = 1\n')
    assert patch.learn("speed", cc(7, 30)) == "CC 7 ch 1 -> speed"
    assert patch.learn("latent/5", cc(20, 1, channel=1)) == "CC 20 ch 2 -> latent/5"
    assert patch.learn("perturb", note(36, 100, channel=9)) == "note 36 ch 10 -> perturb"
    assert patch.learn("preset", mido.Message("program_change", program=2)) == "program change ch 1 -> preset"
    assert patch.learn("nudge", mido.Message("pitchwheel", pitch=100)) == "pitch bend ch 1 -> nudge"
    assert patch.learn("scale", cc(7, 90)) == "CC 7 ch 1 -> scale"  # replaces speed on CC 7
    assert [m.key for m in patch.mappings] == ["latent/5", "perturb", "preset", "nudge", "scale"]
    path = tmp_path / "learned.toml"
    patch.save(path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#") and "MIDI learn" in text.splitlines()[0]
    again = Patch.load(path)
    assert (again.name, again.channel, again.mappings) == ('Bühne "A" \\ 1', 1, patch.mappings)
    bus = ControlBus()
    assert [c.name for c in play(again, bus, cc(7, 127), cc(20, 127, channel=1))] == ["scale", "latent"]


@pytest.mark.parametrize(
    "param, msg",
    [
        ("speed", mido.Message("clock")),
        ("speed", mido.Message("note_off", note=3)),
        ("speed", note(3, 0)),
        ("speed", mido.Message("sysex", data=[1])),
        ("nosuch", cc(1, 1)),
        ("speed/3", cc(1, 1)),
        ("model", cc(1, 1)),
        ("speed", mido.Message("program_change", program=1)),
    ],
)
def test_learn_refuses_what_cannot_be_a_control(param, msg):
    patch = patch_of('{ cc = 1, param = "scale" }')
    assert patch.learn(param, msg) is None
    assert [m.param for m in patch.mappings] == ["scale"]


def test_learn_a_latent_dimension_on_its_own_channel_keeps_other_channels():
    patch = patch_of('{ cc = 1, channel = 3, param = "scale" }', channel=0)
    assert patch.learn("latent", cc(1, 5, channel=0)) == "CC 1 ch 1 -> latent/0"
    assert [(m.key, m.channel) for m in patch.mappings] == [("scale", 3), ("latent/0", 1)]


def test_save_to_a_folder_that_cannot_be_written_says_so(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LivedanceError, match="cannot write the patch"):
        patch_of().save(blocker / "learned.toml")


# --- OSC aliases -------------------------------------------------------------------------------
def test_translate_osc_aliases():
    patch = Patch.load(PATCH_DIR / "touchosc.toml")
    bus = ControlBus()
    assert patch.translate_osc("/1/fader1", [1.0], bus, 2.0)
    assert patch.translate_osc("/2/push1", [], bus, 2.0)
    assert patch.translate_osc("/2/push1", [0.0], bus, 2.0)  # the release: an alias, nothing fired
    assert patch.translate_osc("/1/toggle1", [1.0], bus, 2.0)
    assert patch.translate_osc("/1/toggle1", [0.0], bus, 2.0)
    assert patch.translate_osc("/2/push9", [1.0], bus, 2.0)
    controls = bus.drain([])
    assert [(c.name, c.value, c.source) for c in controls] == [
        ("speed", pytest.approx(4.0), "osc"),
        ("reseed", None, "osc"),
        ("freeze", True, "osc"),
        ("freeze", False, "osc"),
        ("preset", 1, "osc"),
    ]
    assert controls[0].received == 2.0
    assert not patch.translate_osc("/1/fader9", [0.5], bus, 2.0)
    assert patch.translate_osc("/1/fader2", ["loud"], bus, 2.0)
    assert bus.count("osc").refused == 1 and bus.drain([]) == []


# --- documentation -----------------------------------------------------------------------------
def test_markdown_layout_says_how_each_control_works():
    patch = patch_of(
        '{ cc = 16, param = "scale", takeover = "scale" }',
        '{ note = 36, channel = 10, param = "perturb" }',
        '{ cc = 42, param = "freeze" }',
        '{ program = true, param = "preset" }',
        '{ osc = "/a|b", param = "speed" }',
    )
    rows = markdown_layout(patch).splitlines()[2:]
    assert rows == [
        "| CC 16 | `scale` | 0.25 .. 2, value scaling |",
        "| note 36 ch 10 | `perturb` | fires on press, velocity = amount |",
        "| CC 42 | `freeze` | toggles on press |",
        "| program change | `preset` | program n -> preset n+1 |",
        "| OSC /a\\|b | `speed` | 0.25 .. 4, geometric, jumps |",
    ]
