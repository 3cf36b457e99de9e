"""CameraSource on real video files written by the stage-video helper (no camera here)."""

import os
import shutil
import threading
import time

import numpy as np
import pytest
from stage_videos import make_stage_video
from videos import read_video
from waiting import wait_until

from livedance.camera.source import CameraSource, parse_camera
from livedance.control.controls import ControlBus
from livedance.errors import LivedanceError


def camera_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "livedance-camera"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """4 s at 15 fps: 60 frames."""
    path = tmp_path_factory.mktemp("clips") / "clip.avi"
    make_stage_video(path, seconds=4.0, fps=15, size=(320, 192))
    return path


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory):
    """1 s at 15 fps: 15 frames."""
    path = tmp_path_factory.mktemp("clips") / "short.avi"
    make_stage_video(path, seconds=1.0, fps=15, size=(160, 96), empty_seconds=0.2)
    return path


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("0", 0),
        ("12", 12),
        (" 1 ", 1),
        ("/dev/video2", "/dev/video2"),
        ("clip.mp4", "clip.mp4"),
        ("takes/2024 rehearsal.avi", "takes/2024 rehearsal.avi"),
        ("rtsp://user:pw@10.0.0.5:554/stream", "rtsp://user:pw@10.0.0.5:554/stream"),
        ("http://cam.local/video.mjpg", "http://cam.local/video.mjpg"),
        ("-1", "-1"),
    ],
)
def test_parse_camera(spec, expected):
    assert parse_camera(spec) == expected


@pytest.mark.parametrize("spec", ["", "   "])
def test_parse_camera_refuses_empty(spec):
    with pytest.raises(LivedanceError) as err:
        parse_camera(spec)
    assert "\n" not in str(err.value) and "--camera" in str(err.value)


def test_file_plays_at_its_own_rate_then_ends(clip):
    bus = ControlBus()
    camera = CameraSource(str(clip), bus=bus).start()
    try:
        started = time.monotonic()
        wait_until(lambda: camera.frames >= 20)
        assert camera.opened and camera.error is None
        assert 5.0 < camera.fps < 45.0  # the file's 15 fps, generously
        assert bus.status["camera"].startswith("camera clip.avi: ") and bus.status["camera"].endswith(" fps")
        frame, grabbed, seq = camera.read()
        assert frame.shape == (192, 320, 3) and frame.dtype == np.uint8
        assert seq >= 20 and grabbed <= time.perf_counter()
        wait_until(lambda: camera.ended, timeout=20.0)
        assert time.monotonic() - started > 2.0  # paced, not read as fast as possible
        assert camera.frames == 60
        assert bus.status["camera"] == "camera clip.avi: ended"
        assert not camera.opened and camera.lost == 0 and camera.error is None
        last = camera.read()[2]
        assert camera.wait(last, 0.3) is None  # frames stopped
        assert camera.read()[2] == last == 60
    finally:
        camera.close()


def test_wait_returns_newer_frames(clip):
    with CameraSource(str(clip), realtime=True) as camera:
        first = camera.wait(0, 10.0)
        assert first is not None and first[2] >= 1
        second = camera.wait(first[2], 10.0)
        assert second is not None and second[2] > first[2] and second[1] >= first[1]
        assert camera.read()[2] >= second[2]
        assert camera.wait(10**9, 0.1) is None


def test_frames_match_the_file(short_clip):
    with CameraSource(str(short_clip), realtime=False) as camera:
        wait_until(lambda: camera.ended)
        assert camera.frames == 15
        np.testing.assert_array_equal(camera.read()[0], read_video(short_clip)[-1])


def test_loop_keeps_delivering_past_the_end(short_clip):
    bus = ControlBus()
    with CameraSource(str(short_clip), loop=True, bus=bus, realtime=False) as camera:
        wait_until(lambda: camera.frames > 3 * 15)
        assert not camera.ended and camera.lost == 0 and camera.error is None
        assert "ended" not in bus.status["camera"]
        seq = camera.read()[2]
        assert camera.wait(seq, 5.0) is not None


def test_missing_file_is_one_line_and_retried(tmp_path):
    bus = ControlBus()
    path = tmp_path / "nobody.avi"
    camera = CameraSource(str(path), bus=bus).start()
    try:
        wait_until(lambda: camera.error is not None)
        assert "\n" not in camera.error and str(path) in camera.error and "no such file" in camera.error
        status = bus.status["camera"]
        assert status.startswith("camera nobody.avi: won't open") and "retrying in 1 s" in status
        assert not camera.opened and camera.read() is None and camera.wait(0, 0.1) is None
        assert any(t.is_alive() for t in camera_threads())
    finally:
        camera.close()
    assert not any(t.is_alive() for t in camera_threads())  # close() did not wait out the 1 s backoff
    assert "camera" not in bus.status


def test_file_that_appears_later_is_opened_by_the_retry(tmp_path):
    bus = ControlBus()
    path = tmp_path / "late.avi"
    with CameraSource(str(path), bus=bus, retry_max=0.05) as camera:
        wait_until(lambda: camera.error is not None)
        make_stage_video(tmp_path / "writing.avi", seconds=1.0, fps=15, size=(160, 96))
        os.replace(tmp_path / "writing.avi", path)
        wait_until(lambda: camera.frames > 0)
        wait_until(lambda: camera.error is None and bus.status["camera"].endswith(" fps"))
        assert camera.lost == 0


def test_camera_dying_mid_run_is_retried(clip, tmp_path):
    bus = ControlBus()
    copy = tmp_path / "dying.avi"
    shutil.copy(clip, copy)
    with CameraSource(str(copy), bus=bus, retry_max=0.05) as camera:
        wait_until(lambda: camera.frames >= 5)
        os.truncate(copy, 0)  # the "camera" goes away mid-stream
        wait_until(lambda: camera.lost >= 1 and "won't reopen" in bus.status["camera"])
        assert camera.frames < 60
        status = bus.status["camera"]
        assert status.startswith("camera dying.avi: lost") and "retrying in 0.05 s" in status and "\n" not in status
        assert "\n" not in camera.error and "dying.avi" in camera.error
        assert any(t.is_alive() for t in camera_threads())
        before = camera.frames
        shutil.copy(clip, tmp_path / "back.avi")
        os.replace(tmp_path / "back.avi", copy)  # it comes back
        wait_until(lambda: camera.frames > before + 3)
        assert camera.error is None and camera.lost == 1


def test_close_is_idempotent(short_clip):
    never_started = CameraSource(str(short_clip))
    never_started.close()
    never_started.close()
    camera = CameraSource(str(short_clip), loop=True).start()
    wait_until(lambda: camera.frames > 0)
    camera.close()
    camera.close()
    assert not any(t.is_alive() for t in camera_threads())
    assert camera.wait(camera.read()[2], 1.0) is None
    assert camera.start() is camera and not any(t.is_alive() for t in camera_threads())


def test_stage_video_truth(tmp_path):
    truth = make_stage_video(
        tmp_path / "stage.avi", seconds=2.0, fps=10, size=(320, 192), empty_seconds=0.5, leave_at=1.0, return_at=1.5
    )
    video = read_video(tmp_path / "stage.avi")
    assert video.shape == (20, 192, 320, 3) and truth.masks.shape == (20, 192, 320)
    assert truth.size == (320, 192) and truth.fps == 10.0 and len(truth) == 20
    expected = [0.5 <= t / 10 < 1.0 or t / 10 >= 1.5 for t in range(20)]
    assert truth.present.tolist() == expected
    for t in range(20):
        figure = truth.masks[t] > 0
        assert figure.any() == expected[t]
        if expected[t]:
            assert 0.02 < figure.mean() < 0.5
            grey = video[t].astype(np.float32).sum(-1)
            assert grey[figure].mean() < 230 < grey[~figure].mean()  # dark figure on a light stage
    noise = video[0].astype(np.float32) - video[1].astype(np.float32)  # empty stage twice: only noise differs
    assert 0.5 < noise.std() < 12
