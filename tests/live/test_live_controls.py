"""Controls played into a running headless loop, end to end: real UDP OSC packets, real MIDI
over a mido socket port, the shipped bundle, SDL's dummy video driver."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import mido  # noqa: E402
import mido.sockets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder  # noqa: E402
from pythonosc.osc_message_builder import OscMessageBuilder  # noqa: E402
from pythonosc.udp_client import SimpleUDPClient  # noqa: E402
from virtual_clock import VirtualClock
from waiting import wait_until

from livedance.cli import main  # noqa: E402
from livedance.control.midi import MidiInput  # noqa: E402
from livedance.control.osc import OscServer  # noqa: E402
from livedance.live.command import build  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "models" / "default")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make(tmp_path, midi_in=None, patch="default", fps=0.0, clock=True, **extra):
    settings = LiveSettings(
        model=MODEL,
        fps=fps,
        osc_port=0,
        midi_in=midi_in,
        midi=midi_in is not None,
        patch=patch,
        learn_file=str(tmp_path / "learned.toml"),
        record_dir=str(tmp_path / "recordings"),
        **extra,
    )
    inst = build(settings, headless=True, size=(320, 240))
    if clock:
        inst.clock = VirtualClock()
    inst.run(frames=2)
    return inst


def osc_port(inst) -> int:
    return next(source for source in inst.inputs if isinstance(source, OscServer)).port


def received(inst, source, n):
    return wait_until(lambda: inst.bus.count(source).received + inst.bus.count(source).refused >= n)


@pytest.fixture
def inst(tmp_path):
    instrument = make(tmp_path)
    yield instrument
    instrument.close()


# --- OSC -------------------------------------------------------------------------------------
def test_osc_packets_change_parameters_and_frames(inst):
    client = SimpleUDPClient("127.0.0.1", osc_port(inst))
    client.send_message("/livedance/freeze", 1)
    assert received(inst, "osc", 1)
    inst.run(frames=1)
    assert inst.performance.choreographer.frozen
    plain = inst.compositor.canvas.copy()
    client.send_message("/livedance/invert", 1)
    assert received(inst, "osc", 2)
    inst.run(frames=1)  # the very next frame shows it
    assert inst.performance.look.invert and inst.compositor.canvas.mean() < 128 < plain.mean()
    client.send_message("/livedance/seed", 42)
    client.send_message("/livedance/scale/norm", 1.0)
    assert received(inst, "osc", 4)
    inst.run(frames=200)  # the scale glides
    assert inst.performance.choreographer.seed == 42 and inst.performance.look.scale == pytest.approx(2.0)
    assert "osc" in inst.performance.last_control


@pytest.mark.parametrize(
    "address, args, check",
    [
        ("/livedance/speed", [2.0], lambda i: i.performance.choreographer.speed == pytest.approx(2.0, rel=1e-3)),
        ("/livedance/speed/norm", [0.5], lambda i: i.performance.choreographer.speed == pytest.approx(1.0, rel=1e-3)),
        ("/livedance/bpm", [128.0], lambda i: i.performance.choreographer.tempo[0] == pytest.approx(128.0)),
        (
            "/livedance/temperature",
            [0.5],
            lambda i: i.performance.choreographer.temperature == pytest.approx(0.5, rel=1e-3),
        ),
        ("/livedance/noise", [0.2], lambda i: i.performance.choreographer.noise == pytest.approx(0.2, rel=1e-3)),
        ("/livedance/fg", ["red"], lambda i: i.performance.look.fg == (0, 0, 255)),
        ("/livedance/bg", [0, 0, 255], lambda i: i.performance.look.bg == (255, 0, 0)),
        ("/livedance/mirror", [True], lambda i: i.performance.look.mirror),
        ("/livedance/trails", [0.5], lambda i: i.performance.look.trails == pytest.approx(0.5, rel=1e-3)),
        ("/livedance/latent/3", [1.5], lambda i: i.performance.choreographer.offset[3] == pytest.approx(1.5, rel=1e-3)),
        ("/livedance/loop", [1], lambda i: i.performance.choreographer.looping is not None),
        (
            "/livedance/preset",
            [4],
            lambda i: i.performance.choreographer.seed == 42 and i.performance.look.bg == (0, 0, 0),
        ),
        ("/livedance/learn", ["speed"], lambda i: i.bus.learning == "speed"),
        ("/livedance/hud", [1], lambda i: i.hud.visible),
    ],
)
def test_osc_address_space(inst, address, args, check):
    SimpleUDPClient("127.0.0.1", osc_port(inst)).send_message(address, args)
    assert received(inst, "osc", 1)
    inst.run(frames=90)  # past any glide
    assert check(inst), (address, args, inst.performance.last_control)


def test_wrong_messages_are_counted_and_the_show_goes_on(inst):
    client = SimpleUDPClient("127.0.0.1", osc_port(inst))
    client.send_message("/livedance/speed", "fast")
    client.send_message("/livedance/nothing", 1)
    client.send_message("/livedance/scale", 99.0)
    assert received(inst, "osc", 3)
    frames = inst.performance.frames
    inst.run(frames=30)
    counts = inst.bus.count("osc")
    assert counts.refused == 2 and counts.clamped == 1 and inst.performance.frames == frames + 30
    assert any("refused" in line for line in inst.hud_lines())


def test_a_bundle_acts_at_its_timetag(inst):
    bundle = OscBundleBuilder(time.time() + 0.3)
    bundle.add_content(_message("/livedance/invert", True))
    now = OscBundleBuilder(IMMEDIATELY)
    now.add_content(_message("/livedance/mirror", True))
    client = SimpleUDPClient("127.0.0.1", osc_port(inst))
    client.send(bundle.build())
    client.send(now.build())
    assert received(inst, "osc", 2)
    inst.run(frames=1)
    assert inst.performance.look.mirror and not inst.performance.look.invert  # not due yet
    wait_until(lambda: (inst.run(frames=1) or True) and inst.performance.look.invert, 5)


def _message(address, value):
    builder = OscMessageBuilder(address)
    builder.add_arg(value)
    return builder.build()


def test_feedback_follows_changes(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tablet:
        tablet.bind(("127.0.0.1", 0))
        tablet.settimeout(5.0)
        inst = make(tmp_path, osc_feedback=f"127.0.0.1:{tablet.getsockname()[1]}")
        try:
            # Drain the start-up state (it comes at once), then move one parameter.
            tablet.recv(65536)
            tablet.settimeout(0.2)
            try:
                while True:
                    tablet.recv(65536)
            except socket.timeout:
                pass
            tablet.settimeout(5.0)
            SimpleUDPClient("127.0.0.1", osc_port(inst)).send_message("/livedance/invert", 1)
            assert received(inst, "osc", 1)
            inst.run(frames=1)
            data = tablet.recv(65536)
            assert data.startswith(b"/livedance/invert")
        finally:
            inst.close()


# --- MIDI over a mido socket port ------------------------------------------------------------
class Controller:
    """A mido port server standing in for a controller plugged into another machine."""

    def __init__(self):
        self.port = free_port()
        self.server = mido.sockets.PortServer("127.0.0.1", self.port)

    def connected(self):
        """Accept the instrument's connection (mido's poll() would block on an idle server)."""

        def accept():
            port = self.server.accept(block=False)
            if port is not None:
                self.server.ports.append(port)
            return len(self.server.ports) > 0

        return wait_until(accept)

    def send(self, msg):
        self.server.send(msg)

    def close(self):
        self.server.close()


@pytest.fixture
def controller():
    c = Controller()
    yield c
    c.close()


def test_midi_cc_and_notes_play_the_instrument(tmp_path, controller):
    inst = make(tmp_path, midi_in=[f"tcp:127.0.0.1:{controller.port}"], patch="nanokontrol2")
    try:
        assert controller.connected()
        controller.send(mido.Message("control_change", channel=0, control=45, value=127))  # rec: record toggle
        controller.send(mido.Message("control_change", channel=0, control=41, value=127))  # play: reseed
        assert received(inst, "midi", 2)
        seed = inst.performance.choreographer.seed
        inst.run(frames=2)
        assert inst.performance.choreographer.seed != seed
    finally:
        inst.close()


def test_midi_clock_locks_the_step_clock(tmp_path, controller):
    inst = make(tmp_path, midi_in=[f"tcp:127.0.0.1:{controller.port}"], fps=60.0, clock=False)
    try:
        assert controller.connected()
        stop = threading.Event()

        def play_clock():
            controller.send(mido.Message("start"))
            t = time.perf_counter()
            while not stop.is_set():
                t += 60.0 / 120.0 / 24.0
                time.sleep(max(0.0, t - time.perf_counter()))
                controller.send(mido.Message("clock"))

        player = threading.Thread(target=play_clock, daemon=True)
        player.start()
        inst.run(seconds=3.0)
        stop.set()
        player.join()
        bpm, steps_per_beat = inst.performance.choreographer.tempo
        assert bpm == pytest.approx(120.0, rel=0.01)
        assert inst.performance.choreographer.step_rate == pytest.approx(120.0 * steps_per_beat / 60.0, rel=0.01)
    finally:
        inst.close()


# A controller on another machine: its own process, so killing it is the cable pulled (a
# PortServer closed in-process leaves its clients' sockets open). It plays a 120 BPM clock and
# moves CC 7 to and fro.
CLOCKED_CONTROLLER = """
import sys, time, mido, mido.sockets
server = mido.sockets.PortServer("127.0.0.1", int(sys.argv[1]))
tick, n = 60.0 / 120.0 / 24.0, 0
next_at = time.perf_counter()
for _ in range(24 * 2 * 120):  # two minutes at most
    while (client := server.accept(block=False)) is not None:
        server.ports.append(client)
    for client in list(server.ports):
        try:
            client.send(mido.Message("clock"))
            if n % 6 == 0:
                client.send(mido.Message("control_change", control=7, value=127 * (n // 6 % 2)))
        except Exception:
            server.ports.remove(client)
    n += 1
    next_at += tick
    time.sleep(max(0.0, next_at - time.perf_counter()))
"""


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
        return True
    except OSError:
        return False


def test_a_midi_controller_unplugged_and_plugged_back_mid_show(tmp_path, warned):
    """The controller's server is killed mid-show and started again on the same port: the show
    draws throughout, the HUD and the log (once) say the input is lost, its clock's tempo is
    withdrawn, and it reconnects with backoff and plays again."""
    port = free_port()
    spec = f"tcp:127.0.0.1:{port}"
    controller = subprocess.Popen([sys.executable, "-c", CLOCKED_CONTROLLER, str(port)])
    wait_until(lambda: listening(port), timeout=30)
    inst = make(tmp_path, midi_in=[spec])
    try:
        midi = next(source for source in inst.inputs if isinstance(source, MidiInput))
        midi.retry.most = 0.05  # back off to at most a twentieth of a second, not 10 s
        rule, key = inst.performance.tempo_rule, f"midi {spec}"

        def play_until(condition, what):
            for _ in range(2000):  # frames, bounded: the controller's messages arrive in real time
                inst.run(frames=1)
                time.sleep(0.002)
                if condition():
                    return
            pytest.fail(f"never {what}: {inst.bus.status.get(key)}")

        play_until(lambda: inst.bus.count("midi").received >= 3 and rule.offered("midi"), "played")
        warned.lines.clear()
        controller.kill()  # the cable is pulled
        controller.wait()
        frames = inst.performance.frames
        play_until(lambda: midi.lost == 1 and "retrying in 0.05 s" in inst.bus.status[key], "lost")
        assert inst.bus.status[key].startswith(f"MIDI {spec}: lost; won't reopen (Connection refused)")
        assert rule.offered("midi") is None and "clock" not in inst.bus.status[key]
        said = warned.about(spec)
        assert said == [f"MIDI {spec}: lost (the server went away); reconnecting"], said
        received = inst.bus.count("midi").received
        inst.run(frames=20)
        assert inst.performance.frames >= frames + 20  # drawn all along
        controller = subprocess.Popen([sys.executable, "-c", CLOCKED_CONTROLLER, str(port)])  # plugged back in
        play_until(lambda: inst.bus.count("midi").received >= received + 3 and rule.offered("midi"), "back")
        assert inst.bus.status[key].startswith(f"MIDI {spec}: connected") and midi.lost == 1
    finally:
        inst.close()
        controller.kill()
        controller.wait()


# --- the command -----------------------------------------------------------------------------
def test_a_broken_patch_stops_the_start_with_file_and_line(tmp_path, capsys):
    patch = tmp_path / "mine.toml"
    patch.write_text('name = "mine"\ncontrols = [\n  { cc = 1, param = "speed" },\n  { cc = 2, param = "sped" },\n]\n')
    code = main(["live", "--model", MODEL, "--headless", "--seconds", "0.1", "--patch", str(patch), "--osc-port", "0"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and f"{patch}:4" in err and "sped" in err


def test_params_lists_the_registry(capsys):
    assert main(["live", "--params"]) == 0
    printed = capsys.readouterr().out
    assert "latent" in printed and "loop_beats" in printed


def test_record_control_writes_a_video(tmp_path):
    inst = make(tmp_path, fps=30.0, clock=False)
    try:
        SimpleUDPClient("127.0.0.1", osc_port(inst)).send_message("/livedance/record", 1)
        assert received(inst, "osc", 1)
        inst.run(seconds=1.0)
        assert inst.takes.recording
        inst.bus.offer("record", False, "osc")
        inst.run(frames=1)
        assert not inst.takes.recording
    finally:
        inst.close()
    videos = list((tmp_path / "recordings").glob("livedance-*.mkv"))
    assert len(videos) == 1 and videos[0].stat().st_size > 0
    assert "wrote" in inst.bus.status["record"]


def test_model_and_dancer_switches_crossfade_without_stopping(tmp_path):
    inst = make(tmp_path)
    try:
        inst.bus.offer("dancers", 3, "osc")
        inst.run(frames=1)
        assert wait_until(lambda: (inst.run(frames=1) or True) and inst.performance.engine.dancers == 3, 20)
        assert inst.performance.look.dancers == 3 and inst.compositor.canvas.shape == (240, 320, 3)
        inst.bus.offer("model", "salsa", "osc")
        frames = inst.performance.frames
        assert wait_until(lambda: (inst.run(frames=1) or True) and inst.performance.model_name == "salsa", 20)
        assert inst.performance.frames > frames  # the show went on while the model loaded
        inst.bus.offer("model", "nothing-here", "osc")  # looked for on the switcher's thread, not the display's
        assert wait_until(
            lambda: (inst.run(frames=1) or True) and "no model bundle there" in inst.performance.last_control, 20
        )
        assert inst.performance.model_name == "salsa"  # the show plays on with what it had
        inst.bus.offer("model", "default", "osc")  # the bundle --model named, by its name
        assert wait_until(lambda: (inst.run(frames=1) or True) and inst.performance.model_name == "default", 20)
    finally:
        inst.close()


def test_latency_is_measured_from_arrival_to_frame(inst):
    client = SimpleUDPClient("127.0.0.1", osc_port(inst))
    for value in (0.1, 0.2, 0.3):
        client.send_message("/livedance/offset_x", value)
    assert received(inst, "osc", 3)
    inst.run(frames=1)
    client.send_message("/livedance/temperature", 1.2)
    assert received(inst, "osc", 4)
    inst.run(frames=1)
    latencies, look = inst.mixer.recent_latencies()
    assert len(latencies) == 4 and np.all(latencies > 0)
    assert list(look) == [True, True, True, False]  # offset_x is drawn by the compositor; temperature is not


@pytest.mark.parametrize(
    "address, args, words",
    [
        ("/livedance/latent/999", [0.5], "latent dimensions"),
        ("/livedance/model", ["x" * 100], "model"),  # a name, but no bundle of that name
        ("/livedance/latent", [0.5, 0.5], "latent"),
    ],
)
def test_a_control_the_instrument_refuses_never_stops_the_frames(inst, address, args, words):
    SimpleUDPClient("127.0.0.1", osc_port(inst)).send_message(address, args)
    assert received(inst, "osc", 1)
    frames = inst.performance.frames
    inst.run(frames=10)
    assert inst.performance.frames == frames + 10 and words in inst.performance.last_control


def test_a_preset_republishes_what_it_moved(inst):
    """MIDI pick-up and tablets read bus.values: a preset (a trigger) must update them all."""
    inst.bus.offer("preset", 2, "osc")  # slow ink: speed 0.5, trails 0.9
    inst.run(frames=1)
    assert inst.bus.values["speed"] == pytest.approx(0.5) and inst.bus.values["trails"] == pytest.approx(0.9)
    inst.bus.offer("faster", None, "osc")
    inst.run(frames=1)
    assert inst.performance.choreographer.speed > 0.5 and inst.bus.values["speed"] == pytest.approx(
        inst.performance.choreographer.speed
    )


def test_a_dancers_fader_sweep_lands_where_it_stopped(inst):
    for count in (2, 3, 4):  # faster than a model loads
        inst.bus.offer("dancers", count, "midi")
    assert wait_until(
        lambda: (inst.run(frames=1) or True) and inst.performance.engine.dancers == 4 and inst.switcher.pending is None,
        30,
    )
    assert inst.performance.look.dancers == 4


def test_the_second_shipped_bundle_dissolves_in(tmp_path):
    """models/default -> models/salsa in the running loop: it loads on a thread, then for about
    a second both dancers show at part strength (grey where only one of them is), and after
    the crossfade only the new one's crisp figure is left."""
    from livedance.runtime.bundle import shipped_bundles

    assert shipped_bundles()[:2] == ["default", "salsa"]
    inst = make(tmp_path)
    try:
        inst.bus.offer("model", "salsa", "osc")
        assert wait_until(lambda: (inst.run(frames=1) or True) and inst.performance.model_name == "salsa", 20)
        assert inst.performance.engine.bundle.manifest["name"] == "salsa"

        def grey(canvas):
            level = canvas[..., 0]
            return int(np.count_nonzero((level > 64) & (level < 192)))

        during, frames = [], 0
        while inst.fading and frames < 400:
            inst.run(frames=1)
            during.append(grey(inst.compositor.canvas))
            frames += 1
        assert 20 < frames < 400  # about a second of frames, then the old model is let go
        inst.run(frames=3)
        after = grey(inst.compositor.canvas)
        assert max(during) > 3 * after  # mid-fade: two half-strength figures; after: only edges
    finally:
        inst.close()
