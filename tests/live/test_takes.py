"""Recording on demand: takes open and finish on their own threads; the display thread only adopts, and the feed hands frames over."""

import av
import numpy as np
import pytest
from videos import read_video
from waiting import wait_until

from livedance.errors import LivedanceError
from livedance.live.takes import Takes, control_log_path, new_take_path
from livedance.outputs.feed import Feed
from livedance.recording.sessionlog import SessionLog, read
from livedance.video.key import KeyedCompositor
from livedance.video.look import Look

SIZE = (160, 120)


def make_takes(show, folder, fps=30.0, size=SIZE, alpha=True) -> Takes:
    engine = show.performance.engine
    return Takes(show.performance, show.bus, Feed(SIZE, (engine.height, engine.width)), fps, size, folder, alpha=alpha)


@pytest.fixture
def takes(show, tmp_path):
    show.performance.log = SessionLog(model="m", dancers=1, seed=0, fps=30, size=list(SIZE))
    return make_takes(show, tmp_path / "takes")


def shown(takes, frames, start=0, ink=None):
    """The display thread's part, frame by frame: adopt a take that is ready, offer the frame to the feed."""
    canvas = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    for i in range(start, start + frames):
        takes.poll()
        canvas[:] = i % 256
        takes.feed.offer(canvas, ink, Look(), i / takes.fps)
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
        make_takes(show, tmp_path, fps=0.0).start()


def test_a_folder_that_cannot_be_made_is_said_on_the_hud(show, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    takes = make_takes(show, blocker / "takes")
    takes.start()
    takes.join()
    takes.poll()  # the display thread's next frame says why
    assert not takes.recording and takes.bus.status["record"].startswith("record: ")
    assert "cannot create its folder" in takes.bus.status["record"]


def test_take_names_never_repeat(tmp_path):
    first = new_take_path(tmp_path)
    first.write_bytes(b"x")
    second = new_take_path(tmp_path)
    assert second != first and second.stem.startswith(first.stem) and second.suffix == ".mkv"


def test_a_mov_take_is_keyed_at_the_outputs_size(show, tmp_path):
    """A ProRes .mov at the outputs' size gets the keyed picture (figure over transparent), not the window's."""
    engine = show.performance.engine
    takes = make_takes(show, tmp_path, size=(320, 240))
    recorder = takes.new_recorder(tmp_path / "keyed.mov")
    assert recorder.channels == 4 and takes.adopt(recorder)
    assert "keyed" in takes.bus.status["record"]
    ink = engine.decode(engine.denormalise(np.zeros((1, engine.latent_dim), np.float32))).copy()
    for frame in range(6):
        takes.feed.offer(np.zeros((SIZE[1], SIZE[0], 3), np.uint8), ink, Look(), frame / 30)
    lines = takes.finish()
    assert "320x240" in lines[0] and "keyed" in lines[0], lines
    with av.open(str(tmp_path / "keyed.mov")) as file:
        back = [f.to_ndarray(format="bgra") for f in file.decode(video=0)]
    expected = KeyedCompositor((320, 240), (engine.height, engine.width)).compose(ink, Look())[..., 3] > 127
    assert len(back) == recorder.written > 0 and back[0].shape == (240, 320, 4)
    got = back[-1][..., 3] > 127
    assert 0.02 < got.mean() < 0.6 and (got & expected).sum() / (got | expected).sum() >= 0.95


def test_without_alpha_a_mov_take_is_opaque(show, tmp_path):
    takes = make_takes(show, tmp_path, alpha=False)
    recorder = takes.new_recorder(tmp_path / "opaque.mov")
    assert recorder.channels == 3
    recorder.abort()


# --- stop and start racing the record threads ---------------------------------------------------
def test_record_on_off_on_while_the_file_opens_records(takes):
    """A performer's on, off, on before the first take has opened: the last word (on) wins."""
    takes.start()
    takes.stop()
    takes.start()
    takes.join()
    shown(takes, 3)
    assert takes.recording and takes.recorder is not None
    assert takes.bus.status["record"].startswith(f"recording to {takes.recorder.out}")
    lines = takes.finish()
    assert lines[0].startswith("wrote ")


def test_an_older_take_finishing_never_overwrites_the_newer_take_s_line(takes):
    """Stop and start at once, again and again: the take finishing and the take opening run on
    record threads side by side; whoever ends last, the HUD names the take recording now, every
    take's video and control log are whole, and no two takes share a file."""
    outs = []
    takes.start()
    takes.join()
    shown(takes, 1)
    for cycle in range(12):
        recorder = takes.recorder
        shown(takes, 4, start=cycle * 10)
        takes.stop()  # finishing `recorder` on one thread ...
        takes.start()  # ... while the next take opens on another
        outs.append(recorder.out)
        wait_until(lambda: takes._opened is not None or not takes.recording)
        shown(takes, 1)  # adopted, perhaps while the older take is still finishing
        takes.join()
        assert takes.recorder is not None and takes.recorder is not recorder
        line = takes.bus.status["record"]
        assert line.startswith(f"recording to {takes.recorder.out}"), f"cycle {cycle}: {line}"
    shown(takes, 4, start=200)
    outs.append(takes.recorder.out)
    takes.finish()
    assert len(set(outs)) == len(outs)
    assert sorted(takes.record_dir.glob("*.mkv")) == sorted(outs)  # nothing left unfinished
    for out in outs:
        assert len(read_video(out)) > 0, out
        events = read(control_log_path(out))
        assert events[-1]["type"] == "end" and [e["type"] for e in events].count("end") == 1, out


def test_record_pressed_again_as_the_opening_fails_leaves_no_opening_on_the_hud(show, tmp_path):
    """Stopped while opening, pressed again just as the opening fails: the HUD says why, not "opening"."""
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    takes = make_takes(show, blocker / "takes")
    takes.start()
    takes.stop()  # cancelled while it opens
    takes.join()  # ... and the opening fails
    takes.start()  # pressed again before the display thread's next frame: it keeps the take that was opening
    takes.poll()
    assert not takes.recording and "cannot create its folder" in takes.bus.status["record"]
    takes.start()  # and record works as ever after it
    assert takes.recording
    takes.join()
    takes.poll()
    assert not takes.recording


def test_a_take_that_fails_to_open_in_any_way_lets_the_next_one_start(takes, tmp_path):
    """Not a LivedanceError: the take still stops opening, the HUD says why, and record works again."""
    takes.codec = "no-such-codec"  # open_writer refuses it (a LivedanceError)...
    takes.start()
    takes.join()
    takes.poll()
    assert not takes.recording and takes.bus.status["record"].startswith("record: ")
    takes.codec = None
    takes.fps = float("inf")  # ...and this one an OverflowError (no frame count in a segment)
    takes.start()
    takes.join()
    shown(takes, 2)
    assert not takes.recording and takes.bus.status["record"].startswith("record: ")
    takes.fps = 30.0
    takes.start()
    takes.join()
    shown(takes, 3)
    assert takes.recording and takes.recorder is not None
    takes.finish()
