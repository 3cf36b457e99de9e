"""The recorder with real OpenCV writers: videos written to tmp_path and read back frame by
frame. Each frame carries its number as black/white blocks, so order and gaps show."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from videos import read_video
from waiting import wait_until

from livedance.errors import LivedanceError
from livedance.recording.recorder import Recorder

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parents[1]
SIZE = (320, 240)
BITS = 10  # 32x32 blocks along the top row: frame numbers up to 1023


def numbered(n: int, noise: bool = False) -> np.ndarray:
    """Frame n: its number in blocks on top of grey (or noise, which makes big frames)."""
    width, height = SIZE
    if noise:
        frame = np.random.default_rng(n).integers(0, 256, (height, width, 3), np.uint8)
    else:
        frame = np.full((height, width, 3), 128, np.uint8)
    for bit in range(BITS):
        frame[:32, bit * 32 : (bit + 1) * 32] = 255 if n >> bit & 1 else 0
    return frame


def numbers(path) -> list[int]:
    """The frame numbers a video holds, as OpenCV decodes them."""
    return [
        sum(1 << bit for bit in range(BITS) if f[:32, bit * 32 : (bit + 1) * 32].mean() > 128) for f in read_video(path)
    ]


def record(recorder: Recorder, start: int, count: int) -> None:
    """Push frames start.. one at a time, each written before the next: nothing dropped."""
    for n in range(start, start + count):
        assert recorder.push(numbered(n))
        wait_until(lambda: recorder.written == n + 1, message=f"frame {n} written")


# --- writing and joining ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "ext, segment_seconds, finished_segments",
    [
        (".mkv", 60.0, 0),
        (".mp4", 60.0, 0),
        (".mov", 60.0, 0),
        (".avi", 60.0, 0),
        (".mkv", 1.0, 0),  # crash-safe: one file whatever the segment length
        (".mp4", 1.0, 0),
        (".mov", 1.0, 0),
        (".avi", 1.0, 2),
    ],
)
def test_every_frame_written_reads_back_in_order(tmp_path, ext, segment_seconds, finished_segments):
    said = []
    out = tmp_path / f"show{ext}"
    recorder = Recorder(out, 10, SIZE, segment_seconds=segment_seconds, status=said.append)
    record(recorder, 0, 25)

    # While recording: finished segments already play, the open file is marked unfinished.
    assert [p.name for p in recorder.segments] == [f"show.{i:04d}{ext}" for i in range(1, finished_segments + 1)]
    for i, segment in enumerate(recorder.segments):
        assert numbers(segment) == list(range(10 * i, 10 * i + 10))
    unfinished = f"show.recording{ext}" if ext != ".avi" else f"show.{finished_segments + 1:04d}.recording{ext}"
    assert recorder.files()[-1].name == unfinished
    assert not out.exists()
    assert recorder.seconds == 2.5

    assert recorder.close() == out
    assert sorted(os.listdir(tmp_path)) == [out.name]  # segments joined and removed
    assert numbers(out) == list(range(25))
    assert recorder.files() == [out] and recorder.segments == [] and recorder.stopped is None
    assert said[-1].startswith(f"wrote {out}: 25 frames")
    joined = [line for line in said if line.startswith("joining")]
    if finished_segments:
        assert joined[-1] == f"joining 3 segments into {out.name}: 100%"
        assert f"recording {out.name} (segment 3, codec {recorder.codec}" in said[2]
    else:
        assert not joined


def test_leftovers_of_a_killed_recording_are_kept(tmp_path):
    leftovers = {"show.0001.avi": b"first", "show.0002.recording.avi": b"second"}
    for name, data in leftovers.items():
        (tmp_path / name).write_bytes(data)
    recorder = Recorder(tmp_path / "show.avi", 10, SIZE, segment_seconds=1.0)
    record(recorder, 0, 12)
    assert [p.name for p in recorder.files()] == ["show-2.0001.avi", "show-2.0002.recording.avi"]
    # The new recording takes the free name too, so its control log can't overwrite the old one's.
    assert recorder.close() == tmp_path / "show-2.avi"
    assert numbers(tmp_path / "show-2.avi") == list(range(12))
    for name, data in leftovers.items():
        assert (tmp_path / name).read_bytes() == data


# --- a killed process ------------------------------------------------------------------------
KILLED = """
import sys, time
sys.path[:0] = [{tests!r}, {helpers!r}]
from test_recorder import numbered, SIZE
from waiting import wait_until
from livedance.recording.recorder import Recorder

recorder = Recorder(sys.argv[1], {fps}, SIZE, segment_seconds={segment})
n = 0
while True:
    recorder.push(numbered(n, noise=True))
    n += 1
    wait_until(lambda: recorder.written >= n, interval=0.001)
    print(n, flush=True)  # n frames written, n + 1 maybe, when the kill comes
    time.sleep(1 / {fps})  # pacing: the show's frame rate
"""


@pytest.mark.parametrize("ext", [".mkv", ".mp4", ".mov", ".avi"])
def test_a_killed_recording_leaves_playable_video(tmp_path, ext):
    fps, segment = 30, 0.5
    per_segment = round(fps * segment)
    script = KILLED.format(tests=str(TESTS), helpers=str(TESTS.parent), fps=fps, segment=segment)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / f"show{ext}")], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        last = 0
        for line in child.stdout:
            last = int(line)
            if last >= 3 * fps:
                break
        child.send_signal(signal.SIGKILL)
        printed = child.stdout.read().split()
        last = int(printed[-1]) if printed else last
    finally:
        child.kill()
        child.wait(10)
    assert child.returncode == -signal.SIGKILL and last >= 3 * fps

    names = sorted(os.listdir(tmp_path))
    unfinished = [name for name in names if ".recording." in name]
    assert len(unfinished) == 1 and not (tmp_path / f"show{ext}").exists()
    if ext != ".avi":  # crash-safe: the unfinished file itself plays to within its open second
        assert names == [f"show.recording{ext}"]
        held = numbers(tmp_path / unfinished[0])
        assert held == list(range(len(held))) and len(held) >= last - 2 * fps
        return
    finished = [name for name in names if name not in unfinished]
    held = []
    for name in finished:
        frames = numbers(tmp_path / name)
        assert len(frames) == per_segment, name  # every finished segment opens and is whole
        held += frames
    assert held == list(range(len(held)))
    assert last - per_segment <= len(held) <= last + 1  # all but the last segment's frames
    if ext == ".avi":  # AVI's unfinished segment plays in part; what plays goes on in order
        rest = numbers(tmp_path / unfinished[0])
        assert rest == list(range(len(held), len(held) + len(rest)))


# --- stopping early --------------------------------------------------------------------------
@pytest.mark.parametrize("ext, segment_seconds", [(".mkv", 60.0), (".mp4", 60.0), (".mov", 60.0), (".avi", 0.5)])
def test_a_full_disk_stops_the_recording_not_the_show(tmp_path, ext, segment_seconds):
    said = []
    out = tmp_path / f"show{ext}"
    recorder = Recorder(out, 10, SIZE, segment_seconds=segment_seconds, status=said.append)
    record(recorder, 0, 12)
    recorder.min_free_mb = 10**9  # no disk has a petabyte free: the next check finds it full
    n = 12
    deadline = time.monotonic() + 10
    while recorder.push(numbered(n)) and time.monotonic() < deadline:
        n += 1
        time.sleep(0.02)  # pacing: frames at a show's rate until the once-a-second disk check refuses one
    wait_until(lambda: recorder.stopped is not None)
    stopped = recorder.stopped
    assert stopped.startswith("disk full: ") and f"MB free in {tmp_path}; recording stopped after 00:00:0" in stopped
    assert "\n" not in stopped and said[-1] == f"stopped: {stopped}"
    assert not recorder.push(numbered(n + 1))
    assert recorder.refused_after_stop >= 2 and recorder.dropped == 0
    written = recorder.written
    assert written >= 12

    kept = recorder.files()
    assert ".recording." not in " ".join(p.name for p in kept)  # finished at the stop
    held = [number for path in kept for number in numbers(path)]
    assert held == list(range(written))

    path = recorder.close()  # no room to join: the segments stay, and say so
    if len(kept) == 1:
        assert path == out and kept == [out] and recorder.note is None
    else:
        assert path == kept[0] and recorder.segments == kept and "not enough room to join" in recorder.note
    assert [number for p in recorder.files() for number in numbers(p)] == list(range(written))


def test_a_failing_writer_stops_the_recording_and_keeps_its_frames(tmp_path):
    recorder = Recorder(tmp_path / "show.mp4", 10, SIZE)

    class FullDisk:
        """The real writer on a disk that fills after three frames."""

        def __init__(self, writer):
            self.writer, self.frames = writer, 0

        def write(self, frame):
            if self.frames == 3:
                raise OSError(28, "No space left on device")
            self.frames += 1
            self.writer.write(frame)

        def release(self):
            self.writer.release()

    recorder.writer = FullDisk(recorder.writer)
    for n in range(5):
        recorder.push(numbered(n))
    wait_until(lambda: recorder.stopped is not None)
    assert recorder.stopped.startswith("disk full: ") and "MB free in" in recorder.stopped
    assert "; recording stopped after" in recorder.stopped
    assert isinstance(recorder.error, OSError) and not recorder.push(numbered(5))
    assert recorder.close() == tmp_path / "show.mp4"
    assert numbers(tmp_path / "show.mp4") == [0, 1, 2]


def test_a_frame_of_the_wrong_size_stops_the_recording_without_raising(tmp_path):
    recorder = Recorder(tmp_path / "show.mkv", 10, SIZE)
    record(recorder, 0, 3)
    assert not recorder.push(np.zeros((10, 10, 3), np.uint8))
    wait_until(lambda: recorder.stopped is not None)
    assert recorder.stopped.startswith("a 10x10x3 uint8 frame does not fit the 320x240 recording")
    assert recorder.close() == tmp_path / "show.mkv" and numbers(tmp_path / "show.mkv") == [0, 1, 2]


def test_the_writer_falling_behind_drops_and_counts_never_blocks(tmp_path):
    recorder = Recorder(tmp_path / "r.avi", 10, (32, 16), buffers=1)
    disk_free = threading.Event()

    class SlowDisk:
        """The real writer behind a disk that stalls until the test lets it go."""

        def __init__(self, writer):
            self.writer = writer

        def write(self, frame):
            disk_free.wait(5)
            self.writer.write(frame)

        def release(self):
            self.writer.release()

    recorder.writer = SlowDisk(recorder.writer)
    frame = np.zeros((16, 32, 3), np.uint8)
    assert recorder.push(frame)
    assert not recorder.push(frame, repeat=2)  # the one buffer is still being written
    assert recorder.dropped == 2 and recorder.refused_after_stop == 0
    disk_free.set()
    assert recorder.close().is_file() and recorder.written == 1


# --- starting and finishing ------------------------------------------------------------------
def _under_a_file(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    return tmp_path / "file" / "show.mp4", "Not a directory"


def _under_a_file_deeper(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    return tmp_path / "file" / "sub" / "show.mkv", "Not a directory"


def _in_proc(tmp_path):  # a folder no one, root included, can create files in
    return Path("/proc/1/livedance-show.mp4"), ""


def _in_sys(tmp_path):
    return Path("/sys/livedance-show.mkv"), ""


@pytest.mark.parametrize("where", [_under_a_file, _under_a_file_deeper, _in_proc, _in_sys])
def test_an_unwritable_output_is_one_line_naming_it(tmp_path, where):
    out, reason = where(tmp_path)
    with pytest.raises(LivedanceError) as caught:
        Recorder(out, 10, SIZE)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(out)) and reason in message
    assert message.endswith(")") and "(" in message  # the OS's reason, in brackets
    assert not out.exists()


def test_a_disk_already_full_is_refused_at_the_start(tmp_path):
    with pytest.raises(LivedanceError, match=r"show\.mp4: disk full: \d+ MB free in .*, 1e\+09 MB needed"):
        Recorder(tmp_path / "show.mp4", 10, SIZE, min_free_mb=1e9)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("ext", [".mkv", ".mp4"])
def test_close_twice_returns_the_same_video(tmp_path, ext):
    recorder = Recorder(tmp_path / f"show{ext}", 10, SIZE, segment_seconds=0.5)
    record(recorder, 0, 8)
    first = recorder.close()
    assert recorder.close() == first == tmp_path / f"show{ext}"
    recorder.abort()  # after close: nothing to do, nothing removed
    assert not recorder.push(numbered(8)) and recorder.refused_after_stop == 1
    assert numbers(first) == list(range(8))


@pytest.mark.parametrize("ext", [".mkv", ".mp4", ".avi"])
def test_abort_removes_an_empty_recording_and_keeps_one_with_frames(tmp_path, ext):
    empty = Recorder(tmp_path / f"empty{ext}", 10, SIZE)
    assert [p.name for p in empty.files()] == [f"empty{'.0001' if ext == '.avi' else ''}.recording{ext}"]
    empty.abort()
    assert os.listdir(tmp_path) == []
    with pytest.raises(LivedanceError, match=r"empty\.\w+: no frames were recorded$"):
        empty.close()

    full = Recorder(tmp_path / f"full{ext}", 10, SIZE, segment_seconds=0.5)
    record(full, 0, 7)
    full.abort()
    assert os.listdir(tmp_path) == [f"full{ext}"] and numbers(tmp_path / f"full{ext}") == list(range(7))
