"""Capture over a real CameraSource reading rendered stage videos, encoding with the shipped bundle."""

import threading

import numpy as np
import pytest
from stage_videos import make_stage_video
from waiting import wait_until

from livedance.camera.capture import PREVIEW_HEIGHT, Capture
from livedance.camera.source import CameraSource
from livedance.camera.stage import StageCutout
from livedance.control.controls import ControlBus
from livedance.runtime.bundle import CPU, Bundle
from livedance.runtime.frames import silhouette_iou

FPS = 15
EMPTY_S, LEAVE_S, RETURN_S = 1.0, 3.5, 4.5


@pytest.fixture(scope="module")
def bundle():
    return Bundle.load("models/default", providers=[CPU])


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("capture") / "stage.avi"
    make_stage_video(path, seconds=6.0, fps=FPS, empty_seconds=EMPTY_S, leave_at=LEAVE_S, return_at=RETURN_S, seed=5)
    return path


def learned_stage(frames=10):
    stage = StageCutout("mog2")
    stage.learn_empty(frames)  # the video's first second is the empty stage
    return stage


@pytest.fixture(scope="module")
def show(video, bundle):
    """The whole video played in real time through a Capture: every state seen, status lines seen."""
    bus = ControlBus()
    camera = CameraSource(str(video), bus=bus).start()
    capture = Capture(camera, bundle, learned_stage(), bus).start()
    states, lines = [], set()

    def watch():
        state = capture.latest()
        if state is not None and (not states or state is not states[-1]):
            states.append(state)
        lines.add(bus.status.get("capture"))
        return camera.ended and states and states[-1].seq == camera.frames

    wait_until(watch, timeout=30.0)
    yield capture, states, lines
    capture.close()
    camera.close()


def test_states_follow_the_camera(show, bundle):
    capture, states, lines = show
    seqs = [s.seq for s in states]
    assert seqs == sorted(set(seqs)) and len(seqs) > 0.8 * 6.0 * FPS
    assert capture.latest() is capture.latest() is states[-1]  # nothing newer: the same object
    assert len(states) <= capture.frames <= seqs[-1] and capture.errors == 0
    last = states[-1]
    assert last.ink.shape == (120, 200) and last.ink.dtype == np.float32
    assert last.latent.shape == (bundle.latent_dim,) and last.window.shape == (bundle.window, bundle.latent_dim)
    assert last.preview.dtype == np.uint8 and last.preview.shape[0] == PREVIEW_HEIGHT
    with pytest.raises(ValueError):
        last.window[0, 0] = 1.0  # published arrays are read-only
    assert any(s.fps > 0 for s in states)
    assert any(line and line.startswith("capture") and "fps, dancer present" in line for line in lines)
    assert any(line and "no dancer" in line for line in lines)


def test_dancer_presence_follows_the_video(show):
    _, states, _ = show
    t0 = states[0].time - (states[0].seq - 1) / FPS  # camera time of the first frame
    for s in states:
        t = s.time - t0
        there = EMPTY_S <= t < LEAVE_S or t >= RETURN_S
        if min(abs(t - edge) for edge in (EMPTY_S, LEAVE_S, RETURN_S)) > 0.4:  # off the edges (timing jitter, lag)
            assert s.present == there, (s.seq, t)


def test_window_fills_at_the_step_rate(show, bundle):
    _, states, _ = show
    present = [s for s in states if s.present]
    filled = [s.filled for s in states]
    assert filled == sorted(filled)
    assert states[-1].filled >= bundle.window
    # An entry at most every 1/step_rate s of camera time (plus the first), only while the dancer is there.
    start = present[0].time
    for s in states:
        assert s.filled <= 1 + bundle.step_rate * max(0.0, s.time - start) + 1e-6
    danced = sum(1 for s in present) / FPS
    assert states[-1].filled >= 0.6 * bundle.step_rate * danced
    # The window's rows are latents captured from the dancer, oldest first.
    order = {s.latent.tobytes(): i for i, s in enumerate(present)}
    rows = [order.get(row.tobytes()) for row in states[-1].window]
    assert None not in rows and rows == sorted(rows) and rows[-1] >= len(present) - 3


def test_window_kept_while_the_dancer_is_away(show):
    _, states, _ = show
    away = [(a, b) for a, b in zip(states, states[1:]) if a.filled and not b.present]
    assert len(away) > 8
    for before, s in away:
        assert s.filled == before.filled
        np.testing.assert_array_equal(s.window, before.window)
        assert not s.ink.any()


def test_decoded_latent_matches_the_captured_silhouette(show, bundle):
    """Follow mode's criterion: encoder then decoder reproduce the captured figure (IoU >= 0.7)."""
    capture, states, _ = show
    assert capture.stage.framing == "close"  # framed as the shipped model's training frames
    present = [s for s in states if s.present]
    inks = np.stack([s.ink for s in present])
    latents = np.stack([s.latent for s in present])
    np.testing.assert_allclose(latents, bundle.encode(inks), rtol=1e-4, atol=1e-3)
    decoded = bundle.decode(latents)
    assert silhouette_iou(inks, decoded) >= 0.7
    assert silhouette_iou(inks, 1.0 - decoded) < 0.2  # the convention is right: 1 = figure both ways


def test_learn_empty_request_is_carried_out(video, bundle):
    bus = ControlBus()
    camera = CameraSource(str(video), loop=True, realtime=False).start()
    stage = learned_stage(5)
    capture = Capture(camera, bundle, stage, bus).start()
    try:
        wait_until(lambda: "fps" in bus.status.get("capture", ""))
        seq = capture.latest().seq
        capture.learn_empty()
        wait_until(lambda: bus.status.get("capture") == "learning the empty stage")
        wait_until(lambda: "fps" in bus.status.get("capture", ""))  # learned: back to capturing
        assert capture.latest().seq > seq + 5
    finally:
        capture.close()
        camera.close()


def test_capture_thread_survives_a_camera_that_ends_and_closes_promptly(video, bundle):
    bus = ControlBus()
    camera = CameraSource(str(video), realtime=False).start()
    before = set(threading.enumerate())
    # One frame to learn: a loaded machine's capture may see only a few of the unpaced frames,
    # and a stage still learning never says "no camera frames".
    capture = Capture(camera, bundle, learned_stage(1), bus).start()
    (thread,) = [t for t in threading.enumerate() if t.name == "livedance-capture" and t not in before]
    try:
        assert thread.daemon
        wait_until(lambda: camera.ended)
        wait_until(lambda: bus.status.get("capture") == "capture: no camera frames")
        assert thread.is_alive() and capture.latest().seq == camera.frames
    finally:
        capture.close()
        camera.close()
    assert not thread.is_alive()
    capture.close()  # idempotent


def test_camera_that_never_opens_leaves_capture_waiting(tmp_path, bundle):
    bus = ControlBus()
    camera = CameraSource(str(tmp_path / "missing.avi"), bus=bus).start()
    capture = Capture(camera, bundle, learned_stage(), bus).start()
    try:
        wait_until(lambda: camera.error is not None)
        assert capture.latest() is None and capture.alive
        assert bus.status["capture"] in ("capture waiting for the camera", "capture: no camera frames")
    finally:
        capture.close()
        camera.close()


def test_encoder_errors_are_counted_not_raised(video, bundle):
    """A cutout at the wrong size for the bundle: every encode fails, the thread carries on."""
    bus = ControlBus()
    camera = CameraSource(
        str(video), loop=True, realtime=False
    ).start()  # frames until closed, however slow the capture
    stage = StageCutout("mog2", frame_shape=(60, 100))
    stage.learn_empty(10)
    capture = Capture(camera, bundle, stage, bus).start()
    try:
        wait_until(lambda: capture.errors > 5)
        wait_until(lambda: "errors (last: " in bus.status.get("capture", ""))
        assert "\n" not in bus.status["capture"]
        assert capture.alive and capture.latest() is not None
    finally:
        capture.close()
        camera.close()
