"""The recorder's stop path hammered from several threads: pushes from "display" threads,
status reads, and two close() calls at once, with the interpreter switching threads as often
as it can. Every frame the recorder accepted is either in the video or counted as left out
after the stop, every buffer comes back, and both closes return the same finished video."""

import sys
import threading

import av
import numpy as np
import pytest
from waiting import wait_until

from livedance.recording.recorder import BUFFERS, Recorder

SIZE = (64, 48)
ROUNDS = 12


@pytest.fixture
def busy_switching():
    """Threads switch every microsecond rather than every 5 ms: a race window opens often."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def frames_in(path) -> int:
    with av.open(str(path)) as video:
        return sum(1 for _ in video.decode(video=0))


def hammer(recorder: Recorder) -> tuple[list, list]:
    """Push from three threads and read the status from one until two threads have closed it."""
    frame = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    closed, results, errors = threading.Event(), [], []

    def guarded(body):
        def run():
            try:
                body()
            except BaseException as exc:  # the test fails on it below, naming it
                errors.append(exc)

        return threading.Thread(target=run)

    def push():
        while not closed.is_set():
            recorder.push(frame)

    def read():
        while not closed.is_set():
            recorder.status(), recorder.files(), recorder.seconds, recorder.refused_after_stop

    def close():
        results.append(recorder.close())

    pushers = [guarded(push) for _ in range(3)] + [guarded(read)]
    for thread in pushers:
        thread.start()
    wait_until(lambda: recorder.written >= 3)
    closers = [guarded(close) for _ in range(2)]
    for thread in closers:
        thread.start()
    for thread in closers:
        thread.join()
    closed.set()
    for thread in pushers:
        thread.join()
    return results, errors


@pytest.mark.parametrize("ext", [".mkv", ".avi"])
def test_stopping_while_frames_arrive_loses_no_frame_it_took(tmp_path, busy_switching, ext):
    for round_ in range(ROUNDS):
        out = tmp_path / f"show{round_}{ext}"
        recorder = Recorder(out, 30, SIZE, min_free_mb=0, segment_seconds=0.2)
        results, errors = hammer(recorder)
        assert not errors, errors
        assert results == [out, out], f"round {round_}: {results}"
        taken = recorder.queued
        assert taken == recorder.written + recorder._unwritten, (
            f"round {round_}: {taken} frames taken, {recorder.written} written, "
            f"{recorder._unwritten} left out after the stop: the rest were taken after it and lost"
        )
        assert recorder._free.qsize() == BUFFERS and recorder._full.empty(), f"round {round_}: a buffer was lost"
        assert not recorder.push(np.zeros((SIZE[1], SIZE[0], 3), np.uint8))
        assert frames_in(out) == recorder.written, f"round {round_}"
        assert [p.name for p in tmp_path.iterdir() if ".recording" in p.name or ".joining" in p.name] == []
