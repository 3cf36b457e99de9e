"""Recording on demand: takes open and finish on their own threads; the display thread only adopts and pushes."""

import numpy as np
import pytest
from videos import read_video

from livedance.errors import LivedanceError
from livedance.live.takes import Takes, control_log_path, new_take_path
from livedance.recording.sessionlog import SessionLog, read

SIZE = (160, 120)


@pytest.fixture
def takes(show, tmp_path):
    show.performance.log = SessionLog(model="m", dancers=1, seed=0, fps=30, size=list(SIZE))
    return Takes(show.performance, show.bus, 30.0, SIZE, tmp_path / "takes")


def shown(takes, frames, start=0):
    """The display thread's part, frame by frame: adopt a take that is ready, hand it the frame."""
    canvas = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    for i in range(start, start + frames):
        takes.poll()
        canvas[:] = i % 256
        takes.push(canvas, 1)
        takes.performance.frames += 1


def test_a_take_records_the_frames_shown_after_it_opened_with_its_control_log(takes, tmp_path):
    takes.start()
    assert takes.recording and "opening" in takes.bus.status["record"]
    takes.join()  # the record thread has opened the file
    shown(takes, 30)
    recorder = takes.recorder
    takes.stop()
    assert not takes.recording
    takes.join()
    videos = list((tmp_path / "takes").glob("livedance-*.mkv"))
    # Pushed far faster than 30 fps: what the writer could not take is left out and counted, never waited for.
    assert len(videos) == 1 and len(read_video(videos[0])) == recorder.written > 0
    assert recorder.written + recorder.dropped == 30
    assert "wrote" in takes.bus.status["record"]
    events = read(control_log_path(videos[0]))
    assert events[0]["type"] == "session" and events[-1]["type"] == "end"


def test_stopping_while_the_file_opens_cancels_the_take(takes, tmp_path):
    takes.start()
    takes.stop()  # before the display thread adopted it
    takes.join()
    shown(takes, 3)
    takes.join()
    assert not takes.recording and takes.bus.status["record"] == "record: cancelled"
    assert takes.finish() == []


def test_finish_ends_the_take_at_the_show_s_end(takes, tmp_path):
    takes.start()
    takes.join()
    shown(takes, 12)
    recorder = takes.recorder
    lines = takes.finish()
    assert lines[0].startswith("wrote ") and f"{recorder.written} frames" in lines[0]
    assert f"{recorder.dropped} left out" in lines[0] and recorder.written + recorder.dropped == 12
    assert lines[1].startswith("control log")


def test_a_second_start_while_recording_is_ignored(takes):
    takes.start()
    takes.start()
    takes.join()
    shown(takes, 2)
    takes.finish()
    assert len(list(takes.record_dir.glob("livedance-*.mkv"))) == 1


def test_uncapped_shows_cannot_record(show, tmp_path):
    with pytest.raises(LivedanceError, match="needs a frame rate"):
        Takes(show.performance, show.bus, 0.0, SIZE, tmp_path).start()


def test_a_folder_that_cannot_be_made_is_said_on_the_hud(show, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    takes = Takes(show.performance, show.bus, 30.0, SIZE, blocker / "takes")
    takes.start()
    takes.join()
    assert not takes.recording and takes.bus.status["record"].startswith("record: ")
    assert "cannot create its folder" in takes.bus.status["record"]


def test_take_names_never_repeat(tmp_path):
    first = new_take_path(tmp_path)
    first.write_bytes(b"x")
    second = new_take_path(tmp_path)
    assert second != first and second.stem.startswith(first.stem) and second.suffix == ".mkv"
