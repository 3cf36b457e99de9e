"""Record a headless session driven by scripted OSC, then dance it again from its control log."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient
from videos import read_video
from virtual_clock import VirtualClock
from waiting import wait_until

from livedance.cli import main
from livedance.control.controls import Control
from livedance.live.command import build
from livedance.live.settings import LiveSettings
from livedance.recording import sessionlog
from livedance.runtime.frames import silhouette_iou

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "models" / "default")
SIZE, FPS, SECONDS = "160x120", 20, 3.0
# What a performer does, and when (seconds after the start).
SCRIPT = [
    (0.4, "/livedance/invert", [1]),
    (0.8, "/livedance/speed", [2.0]),
    (1.2, "/livedance/reseed", []),
    (1.6, "/livedance/scale/norm", [0.8]),
    (2.0, "/livedance/perturb", [2.0]),
    (2.3, "/livedance/trails", [0.6]),
    (2.6, "/livedance/fg", ["red"]),
]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("session")
    video, port = folder / "show.mkv", free_port()

    def listening():
        """Ping the show's OSC server; it answers /livedance/pong once it is up."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            probe.settimeout(0.05)
            probe.sendto(b"/livedance/ping\x00,\x00\x00\x00", ("127.0.0.1", port))
            try:
                return probe.recv(1024).startswith(b"/livedance/pong")
            except OSError:
                return False

    def perform():
        wait_until(listening, 60, 0.01)
        client = SimpleUDPClient("127.0.0.1", port)
        began = time.monotonic()
        for at, address, args in SCRIPT:
            time.sleep(max(0.0, began + at - time.monotonic()))
            client.send_message(address, args)

    performer = threading.Thread(target=perform)
    performer.start()
    code = main(
        [
            "live",
            "--model",
            MODEL,
            "--headless",
            "--seconds",
            str(SECONDS),
            "--fps",
            str(FPS),
            "--size",
            SIZE,
            "--record",
            str(video),
            "--osc-port",
            str(port),
            "--no-midi",
        ]
    )
    performer.join()
    assert code == 0
    return video


def test_the_control_log_holds_the_performance(session):
    lines = [json.loads(line) for line in session.with_suffix(".jsonl").read_text().splitlines()]
    assert lines[0]["type"] == "session" and lines[0]["fps"] == FPS and lines[0]["size"] == [160, 120]
    controls = [e for e in lines if e["type"] == "control" and e["source"] == "osc"]
    names = [e["name"] for e in controls]
    assert names == [
        "invert",
        "speed",
        "seed",
        "scale",
        "perturb",
        "trails",
        "fg",
    ]  # the reseed logged as the seed it picked
    assert all(isinstance(e["frame"], int) for e in controls) and lines[-1]["type"] == "end"


def test_replay_reproduces_the_recorded_frames(session, tmp_path, capsys):
    again = tmp_path / "again.mkv"
    assert main(["replay", str(session.with_suffix(".jsonl")), "--out", str(again)]) == 0
    recorded, replayed = read_video(session), read_video(again)
    assert len(replayed) == len(recorded) > FPS * SECONDS * 0.8
    scores = [psnr(a, b) for a, b in zip(recorded, replayed)]
    assert min(scores) >= 40.0, sorted(scores)[:5]
    # The performance happened: inverted (light on dark) at the end, dark on light at the start.
    # Compared with each other, not with mid-grey: a dancer that ends large fills much of the frame.
    assert recorded[0].mean() > recorded[-1].mean() + 40, (recorded[0].mean(), recorded[-1].mean())


def test_replay_at_another_size_and_rate(session, tmp_path):
    big = tmp_path / "big.mkv"
    assert (
        main(["replay", str(session.with_suffix(".jsonl")), "--out", str(big), "--size", "320x240", "--fps", "40"]) == 0
    )
    frames = read_video(big)
    recorded = read_video(session)
    assert frames[0].shape == (240, 320, 3)
    assert abs(len(frames) - 2 * len(recorded)) <= 3
    # The same performance at the same moment (1.9 s in, before the trails, which draw denser
    # echoes at a higher frame rate): the figure, scaled down, covers mostly the same pixels.
    # Within a step, not to the frame: the speed's glide and the step clock are summed frame by
    # frame, and the new dancer's 0.1 s warm-up ends on a frame, so at 40 frames a second the
    # dance runs up to about one step (two of its frames) apart from the 20 frame-a-second take.
    import cv2

    def overlap(frame, reference):
        """The figures' IoU; inverted by then, so the light pixels are the figure (the ink)."""
        small = cv2.resize(frame, (160, 120), interpolation=cv2.INTER_AREA)
        return silhouette_iou(small.mean(axis=2)[None] / 255.0, reference.mean(axis=2)[None] / 255.0)

    near = max(overlap(frames[k], recorded[38]) for k in range(73, 80))
    # The measure tells another pose apart: the first dancer's, before the reseed, overlaps far less.
    other = max(overlap(frames[k], recorded[38]) for k in (10, 20, 30, 40, 50))
    assert near > 0.7 > other, (near, other)


def test_a_killed_show_leaves_a_playable_video_and_a_replayable_log(tmp_path):
    # A real output size: FFmpeg's write buffer holds a few tens of kB, seconds of a thumbnail-sized video.
    video = tmp_path / "killed.mkv"
    command = [
        sys.executable,
        "-m",
        "livedance.cli",
        "live",
        "--model",
        MODEL,
        "--headless",
        "--seconds",
        "60",
        "--fps",
        str(FPS),
        "--size",
        "640x360",
        "--record",
        str(video),
        "--osc-port",
        "0",
        "--no-midi",
    ]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "SDL_VIDEODRIVER": "dummy"},
    )
    log = video.with_suffix(".jsonl")
    wait_until(lambda: log.exists() and log.stat().st_size > 0 and any(tmp_path.glob("*.recording*")), 30, 0.1)
    time.sleep(4.0)  # four seconds of show: Matroska closes a cluster every second
    process.send_signal(signal.SIGKILL)
    process.wait()
    left = [p for p in tmp_path.iterdir() if p.suffix == ".mkv"]
    assert left, list(tmp_path.iterdir())
    frames = sum(len(read_video(p)) for p in left)
    assert frames >= FPS  # at least a second of it plays
    again = tmp_path / "again.mkv"
    assert main(["replay", str(log), "--out", str(again)]) == 0
    assert len(read_video(again)) >= FPS


def test_sigterm_finishes_the_recording(tmp_path):
    video = tmp_path / "stopped.mp4"
    command = [
        sys.executable,
        "-m",
        "livedance.cli",
        "live",
        "--model",
        MODEL,
        "--headless",
        "--seconds",
        "60",
        "--fps",
        str(FPS),
        "--size",
        SIZE,
        "--record",
        str(video),
        "--osc-port",
        "0",
        "--no-midi",
    ]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SDL_VIDEODRIVER": "dummy"},
    )
    time.sleep(6.0)  # six seconds of show
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert f"wrote {video}" in out
    assert len(read_video(video)) >= FPS


def test_a_bad_log_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "control"}\n')
    assert main(["replay", str(bad), "--out", str(tmp_path / "x.mkv")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(bad) in err


def test_an_unwritable_folder_is_said_and_the_show_plays_on(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = main(
        [
            "live",
            "--model",
            MODEL,
            "--headless",
            "--seconds",
            "0.5",
            "--fps",
            str(FPS),
            "--size",
            SIZE,
            "--record",
            str(blocker / "show.mkv"),
            "--osc-port",
            "0",
            "--no-midi",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0 and "played" in out
    lines = [line for line in err.splitlines() if "show.mkv" in line]
    assert len(lines) == 1 and "playing on without recording" in lines[0]


def test_a_recording_started_mid_show_replays_from_where_it_started(tmp_path):
    settings = LiveSettings(model=MODEL, seed=5, fps=float(FPS), record_dir=str(tmp_path))
    inst = build(settings, headless=True, size=(160, 120))
    try:
        inst.run(seconds=6.5)  # past replay's warm-up: the start is danced without being drawn
        inst.bus.offer("mirror", True, "osc")
        inst.bus.offer("record", True, "osc")
        inst.run(seconds=1.0)
        inst.bus.offer("reseed", None, "osc")
        inst.run(seconds=1.0)
        inst.bus.offer("record", False, "osc")
        inst.run(frames=2)
    finally:
        inst.close()
    video = next(tmp_path.glob("livedance-*.mkv"))
    again = tmp_path / "again.mkv"
    assert main(["replay", str(video.with_suffix(".jsonl")), "--out", str(again)]) == 0
    recorded, replayed = read_video(video), read_video(again)
    assert len(recorded) > FPS and abs(len(replayed) - len(recorded)) <= 1
    n = min(len(recorded), len(replayed))
    scores = [psnr(a, b) for a, b in zip(recorded[-n:], replayed[-n:])]
    assert np.median(scores) >= 40.0


def test_a_camera_session_is_not_redanced_by_a_model_of_another_size(tmp_path, capsys):
    from livedance.recording.sessionlog import jsonable

    log = tmp_path / "camera.jsonl"
    events = [
        {"type": "session", "format": 1, "model": MODEL, "dancers": 1, "seed": 0, "fps": FPS, "size": [160, 120]},
        {"type": "run", "frame": 0, "t0": 0.0, "period": 1 / FPS},
        {"type": "recording", "frame": 0, "video": "camera.mkv"},
        {"type": "capture", "frame": 1, "latent": jsonable(np.zeros(16, np.float32))},  # not the shipped model's 128
        {"type": "end", "frame": 5},
    ]
    log.write_text("".join(json.dumps(e) + "\n" for e in events))
    assert main(["replay", str(log), "--out", str(tmp_path / "x.mkv")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "16" in err and "128" in err


# A performance long enough that the recording starts from a snapshot, not the first frame (at
# 20 fps a snapshot every 200 frames): frame -> what arrives before it. "switch" loads the model
# and lands it on the next frame; the snapshot at frame 600 sees a crossfade, a phrase loop, a
# glide and taps under way, and the file forgets everything before it.
LONG_SCRIPT = {
    20: [("bpm", 100.0), ("noise", 0.4)],
    60: [("dancers", 2)],
    150: [("mode", "generate"), ("latent", 1.5, 3)],
    300: [("temperature", 1.2)],
    560: [("tempo_source", "manual")],
    594: [("model", "salsa")],
    597: [("tap", 1000.0), ("loop", True)],
    599: [("scale", 0.7), ("tap", 1000.5)],
    601: [("accent", 0.8)],
    603: [("tap", 1001.3)],  # 92 BPM, from the two taps before the snapshot and this one
    610: [("perturb", None)],
    640: [("loop", False)],
    650: [("trails", 0.5), ("fg", "red")],
    700: [("temperature", 0.9)],
    720: [("record", True)],
    740: [("reseed", None)],
    760: [("mirror", True)],
    770: [("model", "default")],
    790: [("tempo_double", None)],
    800: [("record", False)],
}


def perform(inst, script, until):
    """Play frame by frame groups to `until`, offering each frame's controls before it; a model
    switch or a take lands on the frame after it was asked for (their threads waited for)."""
    show = inst.performance
    for frame in sorted(script) + [until]:
        inst.run(frames=frame - show.frames)
        recorder = inst.takes.recorder
        if recorder is not None:  # the writer catches up: a frame left out would not be replayed
            wait_until(lambda: recorder.written + recorder.dropped >= recorder.queued, 30)
        if frame == until:
            break
        for name, value, *index in script[frame]:
            if name == "tap":
                inst.bus.submit(Control("tap", None, "osc", received=value))
            else:
                assert inst.bus.offer(name, value, "osc", index=index[0] if index else None), name
        if any(name in ("model", "dancers", "record") for name, *_ in script[frame]):
            inst.run(frames=1)  # the control asks
            inst.switcher.close()  # the load finishes
            inst.takes.join()  # the take opens, or finishes


def test_a_recording_long_into_the_show_replays_from_its_snapshot_frame_for_frame(tmp_path):
    fps = 20
    settings = LiveSettings(model=MODEL, seed=3, fps=float(fps), record_dir=str(tmp_path), codec="ffv1")
    inst = build(settings, headless=True, size=(160, 120))
    inst.clock = VirtualClock(tick=0.5 / fps)  # two readings a frame: a slot a frame, never a wait
    try:
        perform(inst, LONG_SCRIPT, 805)
    finally:
        inst.finish()
        inst.close()
    video = next(tmp_path.glob("livedance-*.mkv"))
    log = video.with_suffix(".jsonl")
    events = sessionlog.read(log)
    snapshot = events[1]
    assert events[0]["format"] == sessionlog.FORMAT and snapshot["type"] == "snapshot"
    assert snapshot["frame"] == 600 and all(e.get("frame", 600) >= 600 for e in events)
    state = snapshot["state"]
    dancer = state["performance"]["choreographer"]
    assert dancer["dancers"] == 2 and dancer["model"].endswith("salsa") and dancer["dance"]["phrase"] is not None
    assert state["outgoing"] is not None and state["mixer"]["glides"]  # mid-crossfade, mid-glide
    start = next(e["frame"] for e in events if e["type"] == "recording")
    assert start == 721
    again = tmp_path / "again.mkv"
    assert main(["replay", str(log), "--out", str(again), "--codec", "ffv1"]) == 0
    recorded, replayed = read_video(video), read_video(again)
    assert len(recorded) == len(replayed) == 800 - start  # the stop lands on frame 800
    different = [i for i, (a, b) in enumerate(zip(recorded, replayed)) if not np.array_equal(a, b)]
    assert not different, f"{len(different)} of {len(recorded)} frames differ, the first {different[:5]}"
    # The performance happened: the mirror, the second model, trails in red.
    assert np.abs(np.diff(recorded.astype(int), axis=0)).max() > 0
    everything = tmp_path / "all.mkv"
    assert main(["replay", str(log), "--out", str(everything), "--all"]) == 0
    assert len(read_video(everything)) >= len(recorded) + (start - 600)
    # Another model re-dances it: the snapshot's settings, its dancers from the seed.
    other = tmp_path / "other.mkv"
    assert main(["replay", str(log), "--out", str(other), "--model", str(ROOT / "models" / "default")]) == 0
    assert len(read_video(other)) == len(recorded)
