"""The NDI sink, end to end: a real cyndilib receiver finds the named source and gets frames whose
alpha still separates the figure from the background.

NDI announces sources and streams over the network, so every byte of test traffic stays on
loopback: this file re-runs itself (`python test_ndi.py roundtrip`) inside a new network
namespace that has only `lo` (`unshare -n`, which needs root), with NDI's config (read from
$NDI_CONFIG_DIR/ndi-config.v1.json) pinned to 127.0.0.1 and multicast off, and no D-Bus (a
host's avahi daemon would be reachable through its unix socket and announce on the real LAN).
The config also renames the machine, so the source's name proves NDI read it. Without root,
`unshare`, `ip` or cyndilib the end-to-end tests skip, saying which.

`python tests/outputs/test_ndi.py measure` times `_send` at 1080p, in the same kind of namespace.
"""

import json
import os
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import cv2
import netns
import numpy as np
import pytest
from playing import until

from livedance.errors import LivedanceError
from livedance.live.command import build
from livedance.live.settings import LiveSettings
from livedance.outputs.ndi import MISSING_EXTRA, NdiSink

MODEL = str(Path(__file__).resolve().parents[2] / "models" / "default")
MACHINE = "LIVEDANCE-LOOPBACK"  # the machine name the test's NDI config sets (NDI upper-cases it)
NAME = "livedance-test"
SIZE = (320, 240)
FPS = Fraction(30)
POSES = 8  # distinct figures sent in turn; the figure's green level says which one a received frame is
CONFIG = {
    "ndi": {
        "machinename": MACHINE,
        "networks": {"ips": "127.0.0.1", "discovery": ""},  # find sources by asking 127.0.0.1 only
        "adapters": {"allowed": ["127.0.0.1"]},
        "multicast": {"send": {"enable": False}, "recv": {"enable": False}},
    }
}


# --- the frames ---------------------------------------------------------------------------------
def pose(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Figure `k`: a BGRA frame (an anti-aliased ellipse, alpha 255 inside and 0 outside, full
    colour at its edge as straight alpha wants) and the mask of where alpha > 127."""
    width, height = SIZE
    alpha = np.zeros((height, width), np.uint8)
    cv2.ellipse(alpha, (110 + 12 * k, 120), (36 + 3 * k, 90 - 4 * k), 8.0 * k, 0, 360, 255, -1, cv2.LINE_AA)
    frame = np.empty((height, width, 4), np.uint8)
    frame[...] = (40, 40, 40, 0)
    frame[alpha > 0, :3] = (200, figure_green(k), 90)
    frame[..., 3] = alpha
    return frame, alpha > 127


def figure_green(k: int) -> int:
    return 30 + 25 * k


def which_pose(received: np.ndarray) -> int:
    inside = received[..., 3] > 127
    green = float(received[..., 1][inside].mean()) if inside.any() else 0.0
    return int(np.clip(round((green - 30) / 25), 0, POSES - 1))


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


# --- inside the namespace -----------------------------------------------------------------------
def _names(finder) -> list[str]:
    return list(finder.get_source_names())  # kept current by the finder's own thread


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _feed(sink: NdiSink, frames: list[np.ndarray], stop: threading.Event) -> None:
    """The show: a frame every 1/FPS s, the poses in turn."""
    began, k = time.monotonic(), 0
    while not stop.is_set():
        sink.offer(frames[k % len(frames)], k / FPS)
        k += 1
        stop.wait(max(0.0, began + k / FPS - time.monotonic()))


def _receive(
    finder, source: str, count: int, timeout: float, stop: threading.Event | None = None
) -> list[tuple[str, str, np.ndarray]]:
    """Up to `count` distinct frames from `source` as (fourcc, frame rate, (H, W, 4) array), within `timeout` s.

    Through NDI's frame sync (the newest frame at each call), polled faster than the stream: in
    cyndilib 0.1.3, `Receiver.receive` returned few of the frames NDI counted as received (4 to 14 of
    about 120 here) and holds the GIL while it waits, starving the sink's threads in this process."""
    from cyndilib import FourCC, Receiver, VideoFrameSync
    from cyndilib.wrapper import RecvBandwidth, RecvColorFormat

    receiver = Receiver(color_format=RecvColorFormat.BGRX_BGRA, bandwidth=RecvBandwidth.highest)
    video = VideoFrameSync()
    receiver.frame_sync.set_video_frame(video)
    receiver.set_source(finder.get_source(source))
    got: list[tuple[str, str, np.ndarray]] = []
    seen: set[float] = set()
    deadline = time.monotonic() + timeout
    try:
        while len(got) < count and time.monotonic() < deadline and not (stop and stop.is_set()):
            time.sleep(0.008)
            receiver.frame_sync.capture_video()
            width, height = video.get_resolution()
            if not width or video.get_timestamp_posix() in seen:
                continue  # nothing yet, or the frame already taken
            seen.add(video.get_timestamp_posix())
            rows = video.get_array().reshape(height, video.get_line_stride())
            pixels = rows[:, : width * 4].reshape(height, width, 4).copy()
            got.append((FourCC(video.get_fourcc()).name, str(video.get_frame_rate()), pixels))
    finally:
        receiver.disconnect()
    return got


def roundtrip() -> dict:
    """Send the poses through an NdiSink and receive them; then an opaque sink; then close."""
    from cyndilib import Finder

    sent = [pose(k) for k in range(POSES)]
    source = f"{MACHINE} ({NAME})"
    result: dict = {}
    with Finder() as finder:
        sink = NdiSink(NAME, SIZE, FPS).start()
        result["sink_source"] = sink.source
        stop = threading.Event()
        feeder = threading.Thread(target=_feed, args=(sink, [frame for frame, _ in sent], stop), daemon=True)
        feeder.start()
        try:
            result["found"] = _wait(lambda: source in _names(finder), 10.0)
            result["sources"] = _names(finder)
            result["unwatched"] = (sink.offered, sink.status())  # found, but no receiver connected yet
            frames = _receive(finder, source, 45, 8.0) if result["found"] else []
        finally:
            stop.set()
            feeder.join()
        result["formats"] = sorted({(fourcc, rate, str(pixels.shape)) for fourcc, rate, pixels in frames})
        scores = [
            (which_pose(pixels), iou(pixels[..., 3] > 127, sent[which_pose(pixels)][1])) for _, _, pixels in frames
        ]
        result["received"] = len(frames)
        result["poses_seen"] = len({k for k, _ in scores})
        result["min_iou"] = min((score for _, score in scores), default=0.0)
        result["sink"] = sink.status()

        # Alpha off: BGR frames in, BGRX on the wire, receivers see an opaque picture.
        opaque_source = f"{MACHINE} ({NAME}-opaque)"
        bgr = np.ascontiguousarray(sent[3][0][..., :3])
        with NdiSink(f"{NAME}-opaque", SIZE, 25, alpha=False) as opaque:
            stop = threading.Event()
            feeder = threading.Thread(target=_feed, args=(opaque, [bgr], stop), daemon=True)
            feeder.start()
            try:
                found = _wait(lambda: opaque_source in _names(finder), 10.0)
                frames = _receive(finder, opaque_source, 5, 8.0) if found else []
            finally:
                stop.set()
                feeder.join()
        result["opaque_formats"] = sorted({(fourcc, rate) for fourcc, rate, _ in frames})
        result["opaque_min_alpha"] = min((int(pixels[..., 3].min()) for _, _, pixels in frames), default=-1)
        result["opaque_colour_error"] = max(
            (float(np.abs(pixels[..., :3].astype(int) - bgr).mean()) for _, _, pixels in frames), default=-1.0
        )

        sink.close()
        result["closed_sender"] = sink._sender
        result["closed_source"] = sink.source
        result["gone"] = _wait(lambda: source not in _names(finder), 10.0)
        result["sources_after_close"] = _names(finder)
    return result


def live() -> dict:
    """`livedance live --ndi` as built by the command: a frozen dancer at the outputs' own size, received
    and compared with the keyed compositor's alpha for the same frame."""
    from cyndilib import Finder

    settings = LiveSettings(model=MODEL, fps=30.0, hud=False, ndi=f"{NAME}-live", out_size="320x240")
    instrument = build(settings, headless=True, size=(160, 120))
    source = f"{MACHINE} ({NAME}-live)"
    result: dict = {"sinks": [f"{s.kind} {s.name} {s.size} {s.channels}" for s in instrument.feed.sinks]}
    got: list = []
    stop = threading.Event()
    with Finder() as finder:
        instrument.run(frames=30)
        instrument.performance.choreographer.freeze(True)  # one pose from here on
        instrument.run(frames=5)

        def receive() -> None:
            if _wait(lambda: source in _names(finder), 10.0):
                got.extend(_receive(finder, source, 10, 8.0, stop))

        receiver = threading.Thread(target=receive, daemon=True)
        receiver.start()
        began = time.monotonic()
        while receiver.is_alive() and time.monotonic() - began < 20:
            instrument.run(frames=3)
        stop.set()
        receiver.join()
        # The frozen pose as the keyed compositor drew it last (it draws only while a receiver watches).
        keyed = next(iter(instrument.feed._groups.values())).compositor.canvas[..., 3] > 127
        result["dropped_display_frames"] = instrument.stats.dropped
        instrument.finish()
        instrument.close()
    result["received"] = len(got)
    result["min_iou"] = min((iou(pixels[..., 3] > 127, keyed) for _, _, pixels in got), default=0.0)
    result["figure_share"] = float(keyed.mean())
    return result


def live_options() -> dict:
    """`livedance live --ndi "NAME,size=320x240,fps=15,alpha=off"` at 30 fps: what the receiver sees."""
    from cyndilib import Finder

    spec = f"{NAME}-own,size=320x240,fps=15,alpha=off"
    settings = LiveSettings(model=MODEL, fps=30.0, hud=False, ndi=spec, out_size="640x480")
    instrument = build(settings, headless=True, size=(160, 120))
    source = f"{MACHINE} ({NAME}-own)"
    got: list = []
    stop = threading.Event()
    with Finder() as finder:

        def receive() -> None:
            if _wait(lambda: source in _names(finder), 10.0):
                got.extend(_receive(finder, source, 5, 8.0, stop))

        receiver = threading.Thread(target=receive, daemon=True)
        receiver.start()
        sink = instrument.feed.sinks[0]
        began, shown, offered = time.monotonic(), 0, 0
        while receiver.is_alive() and time.monotonic() - began < 20:
            watched, before = sink.watched, sink.offered
            instrument.run(frames=3)
            if watched and sink.watched:  # frames shown while a receiver watched the whole time
                shown, offered = shown + 3, offered + sink.offered - before
        stop.set()
        receiver.join()
        result = {"shown": shown, "offered": offered, "sinks": [f"{sink.kind} {sink.size} {sink.channels}"]}
        instrument.finish()
        instrument.close()
    result["formats"] = sorted({(fourcc, rate, str(pixels.shape)) for fourcc, rate, pixels in got})
    result["min_alpha"] = min((int(pixels[..., 3].min()) for _, _, pixels in got), default=-1)
    return result


def receive_into(source: str, note: str) -> dict:
    """A receiver in a process of its own: take a few frames of `source`, say so in the file `note`,
    then go on receiving until killed (two minutes at most)."""
    from cyndilib import Finder

    with Finder() as finder:
        if not _wait(lambda: source in _names(finder), 20.0):
            return {"found": False}
        got = _receive(finder, source, 5, 20.0)
        Path(note).write_text(str(len(got)))
        _receive(finder, source, 10**9, 120.0)
    return {"found": True}


def receiver_killed() -> dict:
    """`livedance live --ndi`: a receiver process connects, is killed, and another connects; the show
    draws all along. What the sink said at each step."""
    import tempfile

    settings = LiveSettings(model=MODEL, fps=30.0, hud=False, ndi=f"{NAME}-gone", out_size="320x240")
    instrument = build(settings, headless=True, size=(160, 120))
    sink = instrument.feed.sinks[0]
    source = f"{MACHINE} ({NAME}-gone)"
    result: dict = {"steps": []}

    def step(name: str, ok: bool) -> None:
        result["steps"].append(
            {
                "step": name,
                "ok": ok,
                "frames": instrument.performance.frames,
                "sent": sink.sent,
                "status": sink.status(),
            }
        )

    receivers = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(2):
                note = Path(tmp) / f"receiver{n}"
                receivers.append(subprocess.Popen([sys.executable, __file__, "receive_into", source, str(note)]))
                step(f"receiver {n} watching", until(instrument, lambda: sink.watched and note.exists(), 30.0))
                receivers[-1].kill()
                receivers[-1].wait()
                step(f"receiver {n} killed", until(instrument, lambda: not sink.watched, 30.0))
                sent = sink.sent
                instrument.run(frames=15)
                step(f"receiver {n} gone", sink.sent <= sent + 1)  # nothing drawn for nobody (one in flight)
    finally:
        for receiver in receivers:
            receiver.kill()
            receiver.wait()
        result["dropped_display_frames"] = instrument.stats.dropped
        result["failed"], result["died"] = sink.failed, sink.died
        instrument.finish()
        instrument.close()
    return result


def bench(frames: int = 300) -> dict:
    """ms per `_send` of a 1080p frame as BGRA (keyed) and as UYVY (alpha off, packed from BGR), with
    no receiver and with one connected (flat out and paced at 30 fps): the packing, the copy into
    cyndilib's ring and NDI's hand-over, on this thread."""
    from cyndilib import Finder

    size = (1920, 1080)
    picture = np.zeros((size[1], size[0], 4), np.uint8)
    cv2.ellipse(picture, (960, 540), (300, 480), 0, 0, 360, (200, 120, 90, 255), -1, cv2.LINE_AA)
    opaque = np.ascontiguousarray(picture[..., :3])
    result: dict = {}
    for wire, alpha, frame in (("bgra", True, picture), ("uyvy", False, opaque)):
        name = f"livedance-bench-{wire}"
        sink = NdiSink(name, size, FPS, alpha=alpha)
        sink._open()  # `_send` timed on this thread: the sink's own thread is not started
        timings: dict = result.setdefault(wire, {})

        def timed(label: str, period: float) -> None:
            times = []
            for n in range(frames):
                began = time.perf_counter()
                sink._send(frame, n / 30)
                times.append(time.perf_counter() - began)
                time.sleep(max(0.0, period - times[-1]))
            ms = np.array(times[20:]) * 1000
            timings[label] = {key: round(float(f(ms)), 2) for key, f in (("mean", np.mean), ("median", np.median))}
            timings[label]["p95"] = round(float(np.percentile(ms, 95)), 2)

        try:
            timed("no_receiver_flat_out", 0.0)
            with Finder() as finder:
                source = f"{MACHINE} ({name})"
                _wait(lambda: source in _names(finder), 10.0)
                stop, received = threading.Event(), []
                watcher = threading.Thread(target=lambda: received.extend(_receive(finder, source, 10**6, 10**6, stop)))
                watcher.start()
                _wait(lambda: sink._sender.get_num_connections(0) > 0, 10.0)
                timings["connections"] = sink._sender.get_num_connections(0)
                timed("receiver_paced_30fps", 1 / 30)
                timed("receiver_flat_out", 0.0)
                stop.set()
                watcher.join()
                timings["received"] = len(received)
        finally:
            sink._close()
    return result


# --- the tests ----------------------------------------------------------------------------------
def _why_no_namespace() -> str | None:
    return netns.why_not("cyndilib", "ndi")


def in_loopback_namespace(mode: str, tmp: Path, timeout: float = 120) -> dict:
    """Run this file's `mode` in a new network namespace with only `lo`; its JSON result."""
    (tmp / "ndi-config.v1.json").write_text(json.dumps(CONFIG))
    env = dict(os.environ, NDI_CONFIG_DIR=str(tmp), HOME=str(tmp), DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent")
    return netns.run(__file__, mode, env, timeout)


@pytest.fixture(scope="module")
def loopback(tmp_path_factory):
    reason = _why_no_namespace()
    if reason:
        pytest.skip(reason)
    return in_loopback_namespace("roundtrip", tmp_path_factory.mktemp("ndi"))


def test_a_real_finder_lists_the_source_by_its_name(loopback):
    assert loopback["found"], loopback["sources"]
    assert loopback["sink_source"] == f"{MACHINE} ({NAME})"  # the configured machine name: NDI read the loopback config


def test_received_alpha_separates_the_figure_from_the_background(loopback):
    assert loopback["formats"] == [["BGRA", "30", str((SIZE[1], SIZE[0], 4))]]
    seen = f"{loopback['received']} frames, {loopback['poses_seen']} poses; {loopback['sink']}"
    assert loopback["min_iou"] >= 0.95, (
        f"IoU of received alpha > 127 with the sent mask: {loopback['min_iou']:.3f} ({seen})"
    )
    assert loopback["received"] >= 30 and loopback["poses_seen"] == POSES, seen


def test_a_source_nobody_receives_takes_no_frames(loopback):
    """Listed but not received: the show draws and copies nothing for it, and the HUD says why."""
    offered, status = loopback["unwatched"]
    assert offered == 0 and status.endswith("; no receiver"), loopback["unwatched"]


def test_without_alpha_receivers_get_an_opaque_picture(loopback):
    assert loopback["opaque_formats"] == [["BGRX", "25"]]
    assert loopback["opaque_min_alpha"] == 255 and 0 <= loopback["opaque_colour_error"] < 3, loopback


def test_a_closed_sink_leaves_no_sender(loopback):
    assert loopback["closed_sender"] is None and loopback["closed_source"] is None
    assert loopback["gone"], loopback["sources_after_close"]


def test_livedance_live_sends_its_dancer_keyed_over_ndi(tmp_path):
    """What the receiver gets from `livedance live --ndi NAME --out-size 320x240` (a 160x120 window):
    the outputs' own size, and alpha that is the compositor's figure (IoU >= 0.95)."""
    reason = _why_no_namespace()
    if reason:
        pytest.skip(reason)
    result = in_loopback_namespace("live", tmp_path)
    assert result["sinks"] == [f"ndi {NAME}-live (320, 240) 4"]
    assert result["received"] >= 5 and 0.02 < result["figure_share"] < 0.5, result
    assert result["min_iou"] >= 0.95, result


def test_an_ndi_output_takes_its_own_size_rate_and_alpha(tmp_path):
    """`--ndi "NAME,size=320x240,fps=15,alpha=off"` from a 30 fps show with --out-size 640x480: the
    stream is 320x240 at 15 fps, opaque (UYVY on the wire), and takes every other frame while watched."""
    reason = _why_no_namespace()
    if reason:
        pytest.skip(reason)
    result = in_loopback_namespace("live_options", tmp_path)
    assert result["sinks"] == ["ndi (320, 240) 3"], result
    assert result["formats"] == [["BGRX", "15", str((240, 320, 4))]], result
    assert result["min_alpha"] == 255, result
    assert result["shown"] >= 6 and abs(result["offered"] - result["shown"] / 2) <= 2, result


def test_a_receiver_that_dies_leaves_the_sink_waiting_for_the_next(tmp_path):
    """A receiver process watching `livedance live --ndi` is killed, then another connects, twice:
    the sink goes back to 'no receiver' (and stops drawing for it), nothing fails, the show draws
    all along, and the next receiver gets frames."""
    reason = _why_no_namespace()
    if reason:
        pytest.skip(reason)
    result = in_loopback_namespace("receiver_killed", tmp_path, timeout=240)
    steps = result["steps"]
    assert [s["step"] for s in steps if s["ok"]] == [s["step"] for s in steps], result
    for watching, killed in zip(steps[::3], steps[1::3]):
        assert not watching["status"].endswith("; no receiver"), result
        assert killed["status"].endswith("; no receiver"), result
    assert [s["frames"] for s in steps] == sorted(set(s["frames"] for s in steps)), result  # drawn throughout
    assert steps[3]["sent"] > steps[2]["sent"], result  # the second receiver got frames
    assert result["failed"] is None and result["died"] is None, result


def test_a_missing_extra_refuses_in_one_line():
    """No cyndilib (blocked in a fresh interpreter): start() refuses, naming the extra, and starts nothing."""
    code = (
        "import sys; sys.modules['cyndilib'] = None\n"
        "from livedance.errors import LivedanceError\n"
        "from livedance.outputs.ndi import NdiSink\n"
        "sink = NdiSink('x', (64, 48), 30)\n"
        "try:\n    sink.start()\nexcept LivedanceError as exc:\n    print(exc); print(sink.alive, sink.source)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [MISSING_EXTRA, "False None"]


@pytest.mark.parametrize(
    ("size", "fps", "named"), [((321, 240), 30, "321x240"), ((0, 240), 30, "0x240"), ((320, 240), 0, "fps 0")]
)
def test_sizes_and_rates_ndi_cannot_send_are_refused(size, fps, named):
    with pytest.raises(LivedanceError, match=named) as refused:
        NdiSink(NAME, size, fps)
    assert "\n" not in str(refused.value)


def test_the_show_s_rate_is_kept_exact():
    assert NdiSink(NAME, SIZE, Fraction(30000, 1001)).rate == Fraction(30000, 1001)
    assert NdiSink(NAME, SIZE, 29.97).rate == Fraction(30000, 1001)


if __name__ == "__main__":  # roundtrip|bench: inside the namespace; measure: make one and bench in it
    import tempfile

    mode = sys.argv[1]
    if mode == "measure":
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(in_loopback_namespace("bench", Path(tmp), timeout=600), indent=1))
    else:
        modes = {
            "roundtrip": roundtrip,
            "live": live,
            "live_options": live_options,
            "bench": bench,
            "receiver_killed": receiver_killed,
            "receive_into": receive_into,
        }
        print(json.dumps(modes[mode](*sys.argv[2:]), default=str))
