"""The camera path in the running loop, end to end: a video file made by the project's own
renderer stands in for the camera (read at its own frame rate on the camera thread), the
shipped bundle encodes and decodes, SDL's dummy driver shows it."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import shutil  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from playing import until  # noqa: E402
from stage_videos import make_stage_video

from livedance.cli import main  # noqa: E402
from livedance.live.command import build  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402
from livedance.runtime.frames import silhouette_iou  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "models" / "default")
FPS = 30  # the camera's


def make(tmp_path, camera, mode="generate", auto=False, loop=False, fps=30.0):
    settings = LiveSettings(
        model=MODEL,
        hud=True,
        fps=fps,
        camera=str(camera),
        camera_loop=loop,
        segment="mog2",
        segmenter=None,
        camera_mirror=False,
        auto=auto,
        mode=mode,
        record_dir=str(tmp_path / "recordings"),
    )
    return build(settings, headless=True, size=(320, 240))


@pytest.fixture(scope="module")
def dancer_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("camera") / "dancer.avi"
    make_stage_video(path, seconds=6.0, fps=FPS, empty_seconds=1.5, seed=1)  # 45 empty frames: the stage is learned
    return path


def test_follow_shows_the_camera_dancer(tmp_path, dancer_video):
    inst = make(tmp_path, dancer_video, mode="follow")
    try:
        capture = inst.director.capture
        assert inst.director.mode == "follow"
        assert until(inst, lambda: capture.latest() is not None and capture.latest().present, 6.0)
        scores = []
        for _ in range(8):
            inst.run(frames=6)
            state = capture.latest()
            if state.present:
                decoded = inst.performance.engine.decode(
                    np.repeat(state.latent[None], inst.performance.engine.dancers, axis=0)
                )[0].copy()
                scores.append(silhouette_iou(decoded[None], state.ink[None]))
        assert scores and np.mean(scores) >= 0.7, scores
        for source in inst.inputs:  # the camera stops: the picture settles on the last dancer it saw
            source.close()
        state = capture.latest()
        inst.run(frames=15)  # half a second: many times the follow's time constant
        assert np.abs(inst.director.latents(inst.clock()) - state.latent).max() < 0.05  # the picture follows
        assert any("capture" in line for line in inst.hud_lines())
    finally:
        inst.close()


def _jump(a, b):
    return float(np.abs(a - b).max())


def test_continue_takes_over_without_a_jump(tmp_path, dancer_video):
    inst = make(tmp_path, dancer_video, mode="follow")
    try:
        capture = inst.director.capture
        assert until(inst, lambda: capture.latest() is not None and capture.latest().filled >= 10, 8.0)
        inst.run(frames=5)
        before = inst.director.latents(inst.clock()).copy()
        inst.bus.offer("mode", "continue", "osc")
        shown = []
        for _ in range(40):
            inst.run(frames=1)
            shown.append(inst.director.latents(inst.clock()).copy())
        assert inst.director.mode == "continue"
        # A normal step: the largest change between two consecutive model steps of this dance.
        knots = inst.performance.choreographer.playhead.knots
        normal = max(_jump(knots[i], knots[i + 1]) for i in range(len(knots) - 1))
        assert _jump(before, shown[0]) <= normal
        assert max(_jump(a, b) for a, b in zip(shown, shown[1:])) <= normal
        assert _jump(shown[0], shown[-1]) > 0  # and it dances on
    finally:
        inst.close()


def test_auto_follows_continues_and_follows_again(tmp_path):
    video = tmp_path / "comes_and_goes.avi"
    truth = make_stage_video(video, seconds=9.0, fps=FPS, empty_seconds=1.5, leave_at=4.0, return_at=6.5, seed=2)
    assert truth.present.any() and not truth.present.all()
    inst = make(tmp_path, video, auto=True)
    try:
        modes = []
        end = time.perf_counter() + 9.5
        while time.perf_counter() < end:
            inst.run(frames=3)
            if not modes or modes[-1] != inst.director.mode:
                modes.append(inst.director.mode)
        assert modes[:1] == ["generate"]  # nobody there yet: the model dreams
        assert "follow" in modes
        first_follow = modes.index("follow")
        assert "continue" in modes[first_follow:], modes  # they left: their dance goes on
        assert "follow" in modes[modes.index("continue", first_follow) :], modes  # back: followed again
    finally:
        inst.close()


def test_a_camera_that_wont_open_leaves_the_show_running(tmp_path, capsys):
    code = main(
        [
            "live",
            "--model",
            MODEL,
            "--headless",
            "--seconds",
            "1.5",
            "--fps",
            "20",
            "--size",
            "160x120",
            "--camera",
            str(tmp_path / "no-such-camera.avi"),
            "--mode",
            "follow",
            "--osc-port",
            "0",
            "--no-midi",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0 and "played" in out
    lines = [line for line in err.splitlines() if "camera" in line]
    assert lines and all("\n" not in line for line in lines) and "generate mode" in lines[0]


def test_a_camera_that_dies_mid_show_leaves_the_show_running(tmp_path, dancer_video):
    copy = tmp_path / "dying.avi"
    shutil.copy(dancer_video, copy)
    inst = make(tmp_path, copy, mode="follow")
    try:
        camera = inst.inputs[-1]
        assert until(inst, lambda: camera.frames > 10, 5.0)
        copy.write_bytes(b"")  # the camera is gone
        frames = inst.performance.frames
        assert until(inst, lambda: camera.lost > 0 or camera.ended, 6.0)
        inst.run(frames=30)
        assert inst.performance.frames >= frames + 30 and inst.director.mode == "follow"
    finally:
        inst.close()


def test_a_camera_session_replays_from_its_log(tmp_path, dancer_video):
    """The camera's part (followed latents, the window a continuation starts from) is logged."""
    import threading

    from pythonosc.udp_client import SimpleUDPClient
    from videos import read_video

    video, port = tmp_path / "camera-show.mkv", _free_port()

    def perform():
        time.sleep(4.0)  # the script: four seconds into the six-second show, following by then
        SimpleUDPClient("127.0.0.1", port).send_message("/livedance/mode", "continue")

    performer = threading.Thread(target=perform)
    performer.start()
    code = main(
        [
            "live",
            "--model",
            MODEL,
            "--headless",
            "--seconds",
            "6",
            "--fps",
            "20",
            "--size",
            "160x120",
            "--camera",
            str(dancer_video),
            "--mode",
            "follow",
            "--record",
            str(video),
            "--osc-port",
            str(port),
            "--no-midi",
        ]
    )
    performer.join()
    assert code == 0
    log = video.with_suffix(".jsonl").read_text()
    assert '"type":"capture"' in log and '"mode":"continue"' in log
    again = tmp_path / "again.mkv"
    assert main(["replay", str(video.with_suffix(".jsonl")), "--out", str(again)]) == 0
    recorded, replayed = read_video(video), read_video(again)
    assert len(recorded) == len(replayed)
    mse = [np.mean((a.astype(float) - b.astype(float)) ** 2) for a, b in zip(recorded, replayed)]
    assert max(mse) <= 255.0**2 / 10**4  # PSNR >= 40 dB on every frame


def _free_port():
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_camera_unplugged_and_plugged_back_mid_show(tmp_path, dancer_video, warned):
    """The camera's file is cut off and removed mid-show (a USB camera pulled), then put back:
    the show draws throughout, the HUD and the log say the camera is lost and retried, and
    the capture takes frames again once it is back."""
    copy = tmp_path / "camera.avi"
    shutil.copy(dancer_video, copy)
    inst = make(tmp_path, copy, mode="follow")
    try:
        camera, capture = inst.inputs[-1], inst.director.capture
        camera.retry.most = 0.1  # retry every tenth of a second, not 1, 2, 4 ... s
        assert until(inst, lambda: capture.frames > 10, 5.0)
        frames = inst.performance.frames
        os.truncate(copy, 0)  # the picture stops ...
        copy.unlink()  # ... and the device is gone
        assert until(inst, lambda: "won't reopen (no such file)" in inst.bus.status["camera"], 10.0)
        line = next(line for line in inst.hud_lines() if line.startswith("camera camera.avi: "))
        assert line.startswith("camera camera.avi: lost; won't reopen (no such file); retrying in 0.1 s"), line
        said = warned.about("camera.avi")
        assert len(said) == 1 and said[0].startswith("camera camera.avi: lost ("), said
        shown = inst.performance.frames
        inst.run(frames=15)
        assert inst.performance.frames == shown + 15 > frames + 15  # drawn all along, following or not
        captured = capture.frames
        shutil.copy(dancer_video, tmp_path / "back.avi")
        os.replace(tmp_path / "back.avi", copy)  # plugged back in
        assert until(inst, lambda: capture.frames > captured + 10, 10.0)
        assert camera.error is None and camera.lost == 1 and inst.bus.status["camera"].endswith(" fps")
        assert inst.director.mode == "follow"
    finally:
        inst.close()
