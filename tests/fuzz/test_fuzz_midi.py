"""MIDI fuzzing: bytes of any kind through mido's parser, and messages of every type in any
order, into the real MIDI input's handler with each shipped patch (and MIDI learn armed now
and then).

The handler never raises and logs no caught exception; every control a patch offers is within
its parameter's range; the clock's tempo is a sane one or none; the status line stays one line.
"""

import time

import mido
import pytest
from caught import caught
from fuzz_budget import fuzz
from hypothesis import event, given
from hypothesis import strategies as st
from in_range import drained

from livedance.control import params as _params
from livedance.control.clock import BPM_SANE
from livedance.control.controls import ControlBus
from livedance.control.midi import MidiInput
from livedance.control.patch import PATCH_DIR, Patch
from livedance.sync.tempo import TempoRule

PATCHES = sorted(p.stem for p in PATCH_DIR.glob("*.toml") if p.stem != "audio")
# The handler's and the patch's catch-alls: an exception logged through these is a bug.
HANDLING = ("_handle", "translate", "learn", "_transport", "on_midi", "on_control", "offer")

CHANNEL = st.integers(0, 15)
DATA = st.integers(0, 127)
MESSAGES = st.one_of(
    st.builds(lambda c, n, v: mido.Message("note_on", channel=c, note=n, velocity=v), CHANNEL, DATA, DATA),
    st.builds(lambda c, n, v: mido.Message("note_off", channel=c, note=n, velocity=v), CHANNEL, DATA, DATA),
    st.builds(lambda c, n, v: mido.Message("control_change", channel=c, control=n, value=v), CHANNEL, DATA, DATA),
    st.builds(lambda c, p: mido.Message("pitchwheel", channel=c, pitch=p), CHANNEL, st.integers(-8192, 8191)),
    st.builds(lambda c, p: mido.Message("program_change", channel=c, program=p), CHANNEL, DATA),
    st.builds(lambda c, v: mido.Message("aftertouch", channel=c, value=v), CHANNEL, DATA),
    st.builds(lambda c, n, v: mido.Message("polytouch", channel=c, note=n, value=v), CHANNEL, DATA, DATA),
    st.builds(lambda d: mido.Message("sysex", data=d), st.lists(DATA, max_size=64)),
    st.builds(lambda n: mido.Message("sysex", data=[0x7F] * n), st.integers(0, 100_000)),  # any length
    st.builds(lambda p: mido.Message("songpos", pos=p), st.integers(0, 16383)),
    st.sampled_from(["clock", "start", "stop", "continue", "reset", "active_sensing", "tune_request"]).map(
        lambda kind: mido.Message(kind)
    ),
)


def _parsed(raw: bytes) -> list:
    """What mido's parser (a socket port's, a backend's) makes of any bytes: only valid messages."""
    return mido.parse_all(raw)


RAW = st.one_of(
    st.binary(max_size=64),  # unknown status bytes, data bytes with no status, running status...
    st.lists(
        st.sampled_from([0xF0, 0xF7, 0xF8, 0xFA, 0xFC, 0xFF, 0xB0, 0x90, 0xE0, 0xC0, 0x7F, 0x00, 0x80, 0xF4]),
        max_size=64,
    ).map(bytes),
)
CLOCK_RUN = st.builds(  # a beat or more of ticks at a tempo, with jitter: enough for an estimate
    lambda bpm, ticks, jitter: [("clock", 60.0 / (bpm * 24) + j) for j in jitter[:ticks]],
    st.one_of(st.floats(20.0, 400.0), st.floats(1.0, 2000.0)),  # music, and clocks too slow or fast to believe
    st.one_of(st.sampled_from([25, 49]), st.integers(1, 60)),  # 25 and 49 ticks end on an estimate
    st.lists(st.floats(-0.002, 0.002), min_size=60, max_size=60),
)


def _mapped(patch: Patch) -> st.SearchStrategy:
    """Messages from the controls the patch maps, on their channel or any, with any value."""
    controls = []
    for m in patch.mappings:
        channel = m.channel if m.channel is not None else patch.channel
        on = st.just(channel - 1) if channel else CHANNEL
        if m.source == "cc":
            controls.append(
                st.builds(
                    lambda c, v, n=m.number: mido.Message("control_change", channel=c, control=n, value=v), on, DATA
                )
            )
        elif m.source == "note":
            kind = st.sampled_from(["note_on", "note_off"])
            controls.append(
                st.builds(lambda k, c, v, n=m.number: mido.Message(k, channel=c, note=n, velocity=v), kind, on, DATA)
            )
    return st.one_of(controls) if controls else MESSAGES


def events(patch: Patch) -> st.SearchStrategy:
    """Messages, parsed bytes, clock runs and silences, each with the gap before it."""
    return st.lists(
        st.one_of(
            _mapped(patch).map(lambda m: [(m, 0.001)]),
            st.lists(_mapped(patch), max_size=40).map(lambda ms: [(m, 0.002) for m in ms]),  # a fader swept
            MESSAGES.map(lambda m: [(m, 0.001)]),
            RAW.map(lambda raw: [(m, 0.0) for m in _parsed(raw)]),
            CLOCK_RUN.map(lambda run: [(mido.Message(kind), max(gap, 0.0)) for kind, gap in run]),
            st.tuples(st.sampled_from(["start", "continue", "stop"]), CLOCK_RUN).map(
                lambda run: [(mido.Message(run[0]), 0.001)] + [(mido.Message(k), max(gap, 0.0)) for k, gap in run[1]]
            ),
            st.floats(0.0, 30.0).map(lambda gap: [(None, gap)]),  # silence, then whatever comes next
        ),
        max_size=12,
    ).map(lambda groups: [event for group in groups for event in group])


LOADED = {name: Patch.load(PATCH_DIR / f"{name}.toml") for name in PATCHES}
EVENTS = {name: events(patch) for name, patch in LOADED.items()}  # built once: strategies are slow to make


@pytest.fixture(scope="module")
def learn_file(tmp_path_factory):
    return tmp_path_factory.mktemp("midi-learn") / "learned.toml"


@fuzz(300)
@given(
    patch_name=st.sampled_from(PATCHES),
    data=st.data(),
    learning=st.one_of(st.none(), st.sampled_from(sorted(_params.REGISTRY) + ["latent/3", "latent/x", "nosuch"])),
)
def test_no_message_order_or_bytes_break_the_midi_input(learn_file, patch_name, data, learning):
    played = data.draw(EVENTS[patch_name])
    bus = ControlBus()
    tempo = TempoRule()
    midi = MidiInput(bus, "tcp:127.0.0.1:9", Patch.load(PATCH_DIR / f"{patch_name}.toml"), learn_file, tempo=tempo)
    bus.learning = learning
    now = time.perf_counter()
    taken = 0
    with caught() as log:
        for msg, gap in played:
            now += gap
            if msg is not None:
                midi._handle(msg, now, "fuzz")
            for control in drained(bus):  # the loop applies and publishes: pick-up reads it back
                taken += 1
                if control.op == "set" and control.value is not None and _params.REGISTRY[control.name].kind.plain:
                    bus.publish(control.name, control.value, control.index)
    assert not log.raised_in(*HANDLING), log.raised_in(*HANDLING)
    event(f"controls offered: {min(taken, 3)}{'+' if taken >= 3 else ''}")
    event(f"clock tempo: {'yes' if midi.clock.bpm else 'no'}; learned: {learning is not None and not bus.learning}")
    assert midi.clock.bpm is None or BPM_SANE[0] <= midi.clock.bpm <= BPM_SANE[1]
    offer = tempo.offered("midi")
    assert offer is None or BPM_SANE[0] <= offer.bpm <= BPM_SANE[1]
    assert all("\n" not in line for line in bus.status.values())
