"""Video files through PyAV: every container reads back, ProRes keeps alpha, a killed writer loses at most 2 s."""

import signal
import subprocess
import sys
import time
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
from videos import read_video

from livedance.errors import LivedanceError
from livedance.video.files import CODECS, frame_rate, open_writer

SIZE = (320, 240)
FPS = 30


def dancer(i: int, alpha: bool = False) -> np.ndarray:
    """A dark disc crossing a white stage (BGRA: the disc opaque, the stage clear)."""
    image = np.full((SIZE[1], SIZE[0], 4 if alpha else 3), 255, np.uint8)
    cv2.circle(image, (40 + 4 * i, 120), 30, (0, 0, 0, 255) if alpha else (0, 0, 0), -1, cv2.LINE_AA)
    if alpha:
        image[..., 3] = 255 - cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2GRAY)
    return image


@pytest.mark.parametrize(
    ("suffix", "codec", "name"),
    [
        (".mp4", None, "h264"),
        (".mkv", None, "h264"),
        (".mkv", "ffv1", "ffv1"),
        (".mov", None, "prores4444"),
        (".avi", None, "mjpeg"),
    ],
)
def test_every_container_reads_back_frame_for_frame(tmp_path, suffix, codec, name):
    path = tmp_path / f"take{suffix}"
    writer, chosen, failed = open_writer(path, FPS, SIZE, codec=codec)
    frames = [dancer(i) for i in range(45)]
    for frame in frames:
        writer.write(frame)
    writer.release()
    writer.release()  # twice is harmless
    assert chosen == name and failed == []
    back = read_video(path)
    assert back.shape == (45, SIZE[1], SIZE[0], 3)
    error = np.abs(back.astype(int) - np.asarray(frames, int)).mean()
    assert error < (0.5 if name == "ffv1" else 4.0), error
    if name == "ffv1":
        assert np.array_equal(back, np.asarray(frames))  # lossless


def test_every_frame_of_a_take_is_its_own_at_a_size_with_padded_rows(tmp_path):
    # 202 pixels wide: FFmpeg pads the frame's rows, which the writer's kept frame must skip;
    # each frame differs from the last, so a frame copied into the wrong place or shown twice shows.
    width, height = 202, 122
    path = tmp_path / "take.mp4"
    writer, _, _ = open_writer(path, FPS, (width, height))
    rng = np.random.default_rng(0)
    frames = []
    for i in range(40):
        image = np.full((height, width, 3), (255, 200, 120), np.uint8)
        cv2.circle(image, (20 + 4 * i, 60), 18, tuple(int(c) for c in rng.integers(0, 120, 3)), -1)
        frames.append(image)
        writer.write(image)
    writer.release()
    back = read_video(path).astype(int)
    assert back.shape == (40, height, width, 3)
    errors = np.abs(back - np.asarray(frames, int)).mean(axis=(1, 2, 3))
    assert errors.max() < 4.0, errors.max()
    # The measure tells frames apart: each is far further from its neighbour than from itself.
    assert (np.abs(back[1:] - np.asarray(frames[:-1], int)).mean(axis=(1, 2, 3)) > 2 * errors[1:]).all()


def test_a_mov_keeps_the_alpha_it_was_given(tmp_path):
    path = tmp_path / "key.mov"
    writer, _, _ = open_writer(path, FPS, SIZE)
    given = [dancer(i, alpha=True) for i in range(10)]
    for frame in given:
        writer.write(frame)
    writer.release()
    with av.open(str(path)) as file:
        back = [f.to_ndarray(format="bgra") for f in file.decode(video=0)]
    assert len(back) == 10
    for mine, theirs in zip(given, back):
        figure, read = mine[..., 3] > 127, theirs[..., 3] > 127
        assert (figure & read).sum() / (figure | read).sum() >= 0.99
        assert theirs[0, 0, 3] == 0  # the stage is clear


def test_frame_rates_are_exact_fractions():
    assert frame_rate(29.97) == Fraction(30000, 1001) and frame_rate(59.94) == Fraction(60000, 1001)
    assert frame_rate(60.0) == 60 and frame_rate(12.5) == Fraction(25, 2)
    with pytest.raises(LivedanceError, match="above 0"):
        frame_rate(0.0)


@pytest.mark.parametrize(
    ("path", "codec", "words"),
    [
        ("take.gif", None, "unsupported video type; expected one of .mp4, .mkv, .mov, .avi"),
        ("take.mp4", "ffv1", "--codec ffv1: .mp4 files take h264_nvenc, h264"),
        ("no/such/folder/take.mp4", None, "cannot write it (No such file or directory)"),
    ],
)
def test_what_cannot_be_written_is_said_in_one_line(tmp_path, path, codec, words):
    with pytest.raises(LivedanceError) as error:
        open_writer(tmp_path / path, FPS, SIZE, codec=codec)
    assert words in str(error.value) and "\n" not in str(error.value)


def test_the_suffixes_are_the_containers():
    assert CODECS == (".mp4", ".mkv", ".mov", ".avi")


WRITE_UNTIL_KILLED = """
import sys, time
import numpy as np, cv2
from pathlib import Path
from livedance.video.files import open_writer
writer, _, _ = open_writer(Path(sys.argv[1]), 30, (320, 240))
image = np.full((240, 320, 3), 255, np.uint8)
for i in range(10**9):
    image[:] = 255
    cv2.circle(image, (40 + (4 * i) % 240, 120), 30, (0, 0, 0), -1)
    writer.write(image)
    if i == 150:
        print("written", flush=True)
    time.sleep(1 / 30)
"""


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov"])
def test_a_killed_writer_leaves_all_but_the_last_two_seconds(tmp_path, suffix):
    path = tmp_path / f"killed{suffix}"
    process = subprocess.Popen([sys.executable, "-c", WRITE_UNTIL_KILLED, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "written"  # 151 frames handed to the encoder: 5 s
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    time.sleep(0.1)
    frames = len(read_video(path))
    assert frames >= 151 - 2 * 30, frames
