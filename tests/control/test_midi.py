"""MIDI in over real mido socket ports: a PortServer in the test plays the controller."""

import re
import socket
import subprocess
import sys
import threading
import time

import mido
import mido.sockets
import pytest
from waiting import wait_until

from livedance.control.controls import ControlBus
from livedance.control.midi import MidiInput, input_names, parse_tcp, pick_port
from livedance.control.patch import Patch
from livedance.control.tcpmidi import TcpInput
from livedance.errors import LivedanceError
from livedance.sync.tempo import TempoRule


def midi_system() -> bool:
    try:
        mido.get_input_names()
        return True
    except Exception:
        return False


NO_MIDI = not midi_system()


PATCH_TEXT = """
name = "test rig"
channel = 0
controls = [
  { cc = 7, channel = 1, param = "speed" },
  { note = 36, channel = 10, param = "perturb" },
  { pitchbend = true, channel = 1, param = "nudge" },
  { program = true, channel = 3, param = "seed" },
]
"""


class RecordingPatch(Patch):
    """The real patch, noting every message MidiInput hands it to translate."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.translated: list[mido.Message] = []

    def translate(self, msg, bus, received):
        self.translated.append(msg)
        return super().translate(msg, bus, received)


def make_patch(text=PATCH_TEXT) -> RecordingPatch:
    patch = Patch.from_text(text, "test.toml")
    return RecordingPatch(patch.name, patch.channel, patch.mappings)


class BrokenPatch:
    """A patch that breaks its promise never to raise."""

    def translate(self, msg, bus, received):
        raise RuntimeError("patch broke")

    def learn(self, param, msg):
        return None

    def save(self, path):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(server) -> None:
    """Accept waiting clients and forget closed ones (None: `serve(server) or condition` polls both).

    PortServer only accepts inside receive(), and its receive() never returns while it has no
    message (it passes block=True to multi_receive), so the test does the accepting itself.
    """
    while (client := server.accept(block=False)) is not None:
        server.ports.append(client)
    for client in server.ports:
        client.poll()  # reads the end of a client that went away, which closes it
    server.ports[:] = [client for client in server.ports if not client.closed]


class Rig:
    """A controller (PortServer), a bus, a patch and a MidiInput connected to it."""

    def __init__(self, tmp_path, patch=None, learn_file=None):
        self.port = free_port()
        self.server = mido.sockets.PortServer("127.0.0.1", self.port)
        self.bus = ControlBus()
        self.patch = patch or make_patch()
        self.spec = f"tcp:127.0.0.1:{self.port}"
        self.tempo = TempoRule()
        self.midi = MidiInput(
            self.bus, self.spec, self.patch, learn_file, rescan_seconds=0.05, tempo=self.tempo
        ).start()
        self.controls = []
        self.connected()

    def connected(self):
        wait_until(lambda: serve(self.server) or self.server.ports and "connected" in self.status)

    @property
    def status(self) -> str:
        return self.bus.status.get(f"midi {self.spec}", "")

    def send(self, *messages):
        for msg in messages:
            self.server.send(msg)

    def wait_controls(self, condition):
        def done():
            self.bus.drain(self.controls)
            return condition(self.controls)

        wait_until(done)
        return self.controls

    def close(self):
        self.midi.close()
        self.server.close()


@pytest.fixture
def rig(tmp_path):
    made = []

    def make(**kwargs):
        made.append(Rig(tmp_path, **kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.mark.parametrize(
    "msg, name, value",
    [
        (mido.Message("control_change", channel=0, control=7, value=127), "speed", 4.0),
        (mido.Message("control_change", channel=0, control=7, value=0), "speed", 0.25),
        (mido.Message("note_on", channel=9, note=36, velocity=127), "perturb", 4.0),
        (mido.Message("pitchwheel", channel=0, pitch=-8192), "nudge", -1.0),
        (mido.Message("program_change", channel=2, program=5), "seed", 5),
    ],
)
def test_a_control_reaches_the_patch_and_the_bus(rig, msg, name, value):
    r = rig()
    before = time.perf_counter()
    r.send(msg)
    controls = r.wait_controls(lambda cs: cs)
    assert [(c.name, c.source) for c in controls] == [(name, "midi")]
    assert controls[0].value == pytest.approx(value)
    assert controls[0].received >= before  # stamped on arrival, not at 0
    assert r.patch.translated == [msg]
    assert r.bus.counts["midi"].received == 1


def test_a_flood_is_read_at_the_input_s_rate_and_nothing_is_lost(rig):
    r = rig()
    flood = [mido.Message("control_change", channel=0, control=7, value=k % 127) for k in range(6000)]
    flood.append(mido.Message("control_change", channel=0, control=7, value=127))
    r.server.ports[0]._socket.sendall(b"".join(m.bin() for m in flood))  # as fast as the socket takes it
    r.wait_controls(lambda cs: len(cs) >= len(flood))
    assert r.midi.throttled > 0  # read at the input's own pace, the rest held back by TCP
    assert len(r.controls) == len(flood) and r.controls[-1].value == pytest.approx(4.0)  # all, the last last


def test_transport_noise_does_not_reach_the_patch(rig):
    r = rig()
    r.send(
        mido.Message("active_sensing"),
        mido.Message("songpos", pos=16),
        mido.Message("control_change", control=7, value=64),
    )
    r.wait_controls(lambda cs: cs)
    assert [m.type for m in r.patch.translated] == ["control_change"]


def send_clock(server, bpm, beats, then_stop=True):
    """start, ticks paced on absolute deadlines (no drift from sleep overshoot), stop."""
    interval = 60.0 / (bpm * 24)
    server.send(mido.Message("start"))
    t0 = time.perf_counter()
    for i in range(beats * 24 + 1):
        delay = t0 + i * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        server.send(mido.Message("clock"))
    if then_stop:
        server.send(mido.Message("stop"))


def test_midi_clock_offers_its_tempo_and_beat_to_the_tempo_rule(rig):
    r = rig()
    assert r.tempo.available == ("manual", "midi")  # an open input is a source the rule can choose
    sender = threading.Thread(target=send_clock, args=(r.server, 120.0, 4), daemon=True)
    sender.start()
    sender.join(timeout=10)
    wait_until(lambda: "clock stopped" in r.status)
    offer = r.tempo.offered("midi")
    assert offer.bpm == pytest.approx(120.0, rel=0.01)
    assert offer.beat == 4.0  # the estimate on the fourth beat's tick after start (the first tick is beat 0)
    assert r.tempo.leader == "midi"  # the default order: a ticking clock leads the performer's own tempo
    assert re.search(r"clock stopped at 1[12]\d\.\d BPM$", r.status), r.status
    assert r.patch.translated == [] and r.bus.drain([]) == []  # clock and transport reach the rule only


def test_continue_runs_the_transport_again(rig):
    r = rig()
    r.send(mido.Message("stop"), mido.Message("continue"))
    wait_until(lambda: "clock running" in r.status)
    assert r.bus.drain([]) == []


def test_a_closed_input_leaves_the_rule(rig):
    r = rig()
    r.midi.close()
    assert r.tempo.available == ("manual",) and r.tempo.offered("midi") is None


def test_midi_learn_maps_saves_and_disarms(rig, tmp_path):
    learn_file = tmp_path / "learned.toml"
    r = rig(learn_file=learn_file)
    r.bus.learning = "speed"
    r.send(mido.Message("note_off", note=40))  # not learnable: stays armed
    wait_until(lambda: r.patch.translated)
    assert r.bus.learning == "speed"
    r.send(mido.Message("control_change", channel=3, control=21, value=10))
    wait_until(lambda: r.bus.learning is None)
    assert r.bus.status["learn"] == f"learned: CC 21 ch 4 -> speed (saved to {learn_file})"
    saved = Patch.load(learn_file).mappings
    assert [(m.source, m.number, m.channel, m.param) for m in saved][-1] == ("cc", 21, 4, "speed")
    r.bus.drain(r.controls)
    assert r.controls == []  # the learning message itself is not also played
    r.send(mido.Message("control_change", channel=3, control=21, value=127))
    controls = r.wait_controls(lambda cs: cs)
    assert [(c.name, c.value) for c in controls] == [("speed", pytest.approx(4.0))]


def test_a_failed_learn_save_says_so_in_the_status(rig, tmp_path):
    r = rig(learn_file=tmp_path)  # a folder: can't be written as a file
    r.bus.learning = "bpm"
    r.send(mido.Message("control_change", control=1, value=1))
    wait_until(lambda: "learn" in r.bus.status)
    assert r.bus.status["learn"].startswith(f"learned: CC 1 ch 1 -> bpm (not saved: {tmp_path}: ")
    assert r.bus.learning is None


def test_a_broken_patch_is_counted_and_the_input_goes_on(rig):
    r = rig(patch=BrokenPatch())
    r.send(mido.Message("control_change", control=1, value=1))
    wait_until(lambda: r.bus.counts.get("midi") and r.bus.counts["midi"].refused == 1)
    assert "patch broke" in r.bus.last_refusal
    r.send(mido.Message("start"))  # still alive
    wait_until(lambda: "clock running" in r.status)


# A controller in its own process, so that killing it really closes its connections (a
# PortServer closed in-process leaves them open while their file objects live).
CONTROLLER = """
import sys, time, mido, mido.sockets
server = mido.sockets.PortServer("127.0.0.1", int(sys.argv[1]))
while True:
    while (client := server.accept(block=False)) is not None:
        server.ports.append(client)
    for client in list(server.ports):
        try:
            client.send(mido.Message("control_change", control=7, value=int(sys.argv[2])))
        except Exception:
            server.ports.remove(client)
    time.sleep(0.05)
"""


def test_reconnects_when_the_server_comes_back():
    bus, port = ControlBus(), free_port()
    key = f"midi tcp:127.0.0.1:{port}"
    midi = MidiInput(bus, f"tcp:127.0.0.1:{port}", make_patch(), rescan_seconds=0.05, retry_max=0.05).start()
    controls = []

    def speeds():
        bus.drain(controls)
        return {c.value for c in controls if c.name == "speed"}

    controller = subprocess.Popen([sys.executable, "-c", CONTROLLER, str(port), "127"])
    try:
        wait_until(lambda: 4.0 in speeds(), timeout=30)
        controller.kill()
        controller.wait()
        wait_until(lambda: bus.status[key].startswith(f"MIDI tcp:127.0.0.1:{port}: lost"))
        controller = subprocess.Popen([sys.executable, "-c", CONTROLLER, str(port), "0"])
        wait_until(lambda: 0.25 in speeds(), timeout=30)  # the new server's value
        assert bus.status[key] == f"MIDI tcp:127.0.0.1:{port}: connected"
    finally:
        midi.close()
        controller.kill()
        controller.wait()


def test_waits_for_a_server_that_is_not_there_yet(tmp_path):
    bus, port = ControlBus(), free_port()
    midi = MidiInput(bus, f"tcp:127.0.0.1:{port}", make_patch(), rescan_seconds=0.05, retry_max=0.05).start()
    server = None
    try:
        wait_until(lambda: "waiting for the server" in bus.status[f"midi tcp:127.0.0.1:{port}"])
        server = mido.sockets.PortServer("127.0.0.1", port)
        wait_until(lambda: serve(server) or server.ports)
        server.send(mido.Message("control_change", control=7, value=0))
        controls = []
        wait_until(lambda: bus.drain(controls))
        assert controls[0].name == "speed"
    finally:
        midi.close()
        if server is not None:
            server.close()


def test_close_stops_the_thread_and_is_idempotent(rig):
    r = rig()
    threads = [t for t in threading.enumerate() if t.name == f"livedance-midi {r.spec}"]
    assert len(threads) == 1 and threads[0].daemon
    r.midi.close()
    assert not threads[0].is_alive()
    assert f"midi {r.spec}" not in r.bus.status
    r.midi.close()
    wait_until(lambda: serve(r.server) or not r.server.ports)  # the server saw the client go


@pytest.mark.parametrize(
    "spec, names, expected",
    [
        ("nanoKONTROL2", ["nanoKONTROL2", "nanoKONTROL2 SLIDER"], "nanoKONTROL2"),
        (
            "nanokontrol",
            ["Midi Through:0", "nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0"],
            "nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0",
        ),
        ("launch", ["Launchpad", "LaunchKey"], "matches 2 inputs (Launchpad, LaunchKey)"),
        ("apc", ["Launchpad"], "no such input (inputs: Launchpad)"),
        ("apc", [], "no such input (inputs: none)"),
    ],
)
def test_pick_port(spec, names, expected):
    if expected in names:
        assert pick_port(spec, names) == expected
    else:
        with pytest.raises(LivedanceError, match=re.escape(expected)):
            pick_port(spec, names)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("tcp:127.0.0.1:5000", ("127.0.0.1", 5000)),
        ("TCP:studio.local:9", ("studio.local", 9)),
        ("nanoKONTROL2", None),
        ("all", None),
        ("tcp:127.0.0.1", "tcp:HOST:PORT"),
        ("tcp:127.0.0.1:0", "tcp:HOST:PORT"),
        ("tcp:127.0.0.1:http", "tcp:HOST:PORT"),
        ("tcp::5000", "tcp:HOST:PORT"),
    ],
)
def test_parse_tcp(spec, expected):
    if isinstance(expected, str):
        with pytest.raises(LivedanceError, match=expected):
            parse_tcp(spec)
        with pytest.raises(LivedanceError):
            MidiInput(ControlBus(), spec, make_patch())
    else:
        assert parse_tcp(spec) == expected


NO_MIDI_LINE = re.compile(r"^MIDI: no MIDI system here \(.+\)$")


@pytest.mark.skipif(not NO_MIDI, reason="this machine has a MIDI system")
def test_input_names_without_a_midi_system():
    with pytest.raises(LivedanceError) as info:
        input_names()
    assert NO_MIDI_LINE.match(str(info.value))


@pytest.mark.skipif(not NO_MIDI, reason="this machine has a MIDI system")
@pytest.mark.parametrize("spec", ["all", "nanoKONTROL2"])
def test_an_input_idles_without_a_midi_system(spec):
    bus = ControlBus()
    midi = MidiInput(bus, spec, make_patch(), rescan_seconds=0.05).start()
    try:
        wait_until(lambda: NO_MIDI_LINE.match(bus.status.get(f"midi {spec}", "")))
        time.sleep(0.2)  # pacing, not a wait: a few more probes, and still the same line, nothing refused
        assert NO_MIDI_LINE.match(bus.status[f"midi {spec}"])
        assert midi.alive and "midi" not in bus.counts
    finally:
        midi.close()
    assert not midi.alive


def test_cli_list():
    result = subprocess.run(
        [sys.executable, "-m", "livedance.cli", "midi", "--list"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    if NO_MIDI:
        assert NO_MIDI_LINE.match(result.stdout.strip())
        assert "ALSA" not in result.stderr  # ALSA's own chatter on fd 2 is silenced
    else:
        assert result.stdout.splitlines() == mido.get_input_names()


def test_cli_monitor_prints_what_arrives():
    port = free_port()
    server = mido.sockets.PortServer("127.0.0.1", port)
    proc = subprocess.Popen(
        [sys.executable, "-m", "livedance.cli", "midi", "--monitor", f"tcp:127.0.0.1:{port}", "--seconds", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: serve(server) or server.ports, timeout=30)
        server.send(mido.Message("control_change", channel=1, control=74, value=99))
        server.send(mido.Message("start"))
        lines = []
        deadline = time.monotonic() + 30
        while not ("clock running" in "".join(lines) and "CC 74" in "".join(lines)) and time.monotonic() < deadline:
            lines.append(proc.stdout.readline())
        text = "".join(lines)
        assert "CC 74 ch 2 = 99" in text
        assert f"# MIDI tcp:127.0.0.1:{port}: connected, clock running" in text
        assert f"# MIDI tcp:127.0.0.1:{port}: connected" in text
    finally:
        proc.kill()
        proc.wait()
        server.close()


def test_one_clock_drives_the_tempo_when_two_inputs_send_one():
    """With --midi-in all, the same clock reaching two inputs must not count double."""
    tempo = TempoRule()
    midi = MidiInput(ControlBus(), "tcp:127.0.0.1:9", make_patch(), tempo=tempo)  # never started: messages handed in
    tick = mido.Message("clock")
    t = 100.0
    for _ in range(24 * 4):  # four beats at 120 BPM, every tick arriving on both ports
        midi._handle(tick, t, "port A")
        midi._handle(tick, t + 0.001, "port B")
        t += 0.5 / 24
    assert abs(tempo.offered("midi").bpm - 120.0) < 1.2, tempo.offered("midi")


def test_a_flooding_port_does_not_starve_the_others():
    """--midi-in all: each port has its own rate, so a controller in a feedback loop can't lock out the rest."""
    bus = ControlBus()
    midi = MidiInput(bus, "tcp:127.0.0.1:9", make_patch())  # never started: polled here
    pairs = [socket.socketpair() for _ in range(2)]
    try:
        for name, (_, ours) in zip(("flooding", "quiet"), pairs):
            midi._ports[name] = TcpInput(ours)
        flood = b"".join(mido.Message("control_change", channel=0, control=7, value=k % 127).bin() for k in range(3000))
        pairs[0][0].sendall(flood)
        pairs[1][0].sendall(mido.Message("note_on", channel=9, note=36, velocity=127).bin())
        polls = 0
        while midi._poll() is False and polls < 3:  # a spent rate says "sleep": the quiet port was read anyway
            polls += 1
        controls = bus.drain([])
        assert [c.name for c in controls].count("perturb") == 1  # the quiet port's pad, read in the first pass
        assert 0 < midi.throttled and len(controls) < 3001  # the flood held back to its rate
    finally:
        for theirs, ours in pairs:
            theirs.close()
            ours.close()
