"""The control log: values round-trip, memory holds a snapshot and the events since, files start there
and take the live events, bad logs are one line."""

import json

import numpy as np
import pytest

from livedance.errors import LivedanceError
from livedance.recording import sessionlog


@pytest.mark.parametrize(
    "value",
    [1.25, 3, True, "speed", None, (0, 0, 255), np.arange(6, dtype=np.float32).reshape(2, 3), np.float32(0.5)],
)
def test_values_round_trip_through_json(value):
    back = sessionlog.from_json(json.loads(json.dumps(sessionlog.jsonable(value))))
    if isinstance(value, np.ndarray):
        np.testing.assert_array_equal(back, value)
        assert back.shape == value.shape
    else:
        assert back == value


def test_a_file_gets_the_backlog_then_every_new_event(tmp_path):
    log = sessionlog.SessionLog(model="m", dancers=1, seed=0, fps=30, size=[4, 2])
    log.add({"type": "run", "frame": 0, "t0": 1.5, "period": 1 / 30})
    path = log.attach(tmp_path / "a.jsonl", frame=3, video="a.mkv")
    log.add({"type": "control", "frame": 5, "name": "speed", "value": 2.0})
    assert log.detach(path, frame=9) is None
    log.add({"type": "control", "frame": 11, "name": "speed", "value": 1.0})  # after the end: not in the file
    events = sessionlog.read(path)
    assert [e["type"] for e in events] == ["session", "run", "recording", "control", "end"]
    assert events[2]["frame"] == 3 and events[-1]["frame"] == 9


FPS = 30


def play(log, frames, controls_per_frame=1, start=0):
    """What the display loop gives the log: controls each frame, a tick a second, snapshots when due."""
    for frame in range(start, start + frames):
        for _ in range(controls_per_frame):
            log.add({"type": "control", "frame": frame, "name": "speed", "value": 1.5})
        if frame % FPS == 0:
            log.add({"type": "tick", "frame": frame})
        if log.due(frame + 1):
            state = {"buffer": np.full(64, frame, np.float32), "settings": {"speed": 1.5, "tempo": (120.0, 6)}}
            log.snapshot(frame + 1, 100.0 + (frame + 1) / FPS, 1 / FPS, state)


def test_memory_holds_a_snapshot_and_the_events_since_however_long_the_show(tmp_path):
    log = sessionlog.SessionLog(model="m", dancers=1, seed=0, fps=FPS, size=[4, 2])
    window = sessionlog.SNAPSHOT_SECONDS * 2 + sessionlog.WARM_SECONDS  # the most that is ever held
    bound = window * FPS * 1.05 + 10
    held = []
    for minute in range(10):
        play(log, 60 * FPS, start=minute * 60 * FPS)
        held.append(len(log.events))
        assert held[-1] < bound
    assert max(held) < bound and log.events[1]["type"] == "snapshot"
    # A recording starting now begins at the newest snapshot that is at least WARM_SECONDS old.
    frame = 10 * 60 * FPS
    path = log.attach(tmp_path / "a.jsonl", frame=frame, video="a.mkv")
    log.detach(path, frame=frame + 1)
    events = sessionlog.read(path)
    types = [e["type"] for e in events]
    assert types[:2] == ["session", "snapshot"] and types.count("snapshot") == 1
    snapshot = events[1]
    age = frame - snapshot["frame"]
    assert sessionlog.WARM_SECONDS * FPS <= age <= (sessionlog.SNAPSHOT_SECONDS + sessionlog.WARM_SECONDS) * FPS
    controls = [e for e in events if e["type"] == "control"]
    assert controls[0]["frame"] == snapshot["frame"] and controls[-1]["frame"] == frame - 1  # none missing
    assert len(controls) == age
    # The state comes back exactly, its arrays as arrays, its tuples as lists.
    state = sessionlog.arrays(snapshot["state"])
    np.testing.assert_array_equal(state["buffer"], np.full(64, snapshot["frame"] - 1, np.float32))
    assert state["settings"] == {"speed": 1.5, "tempo": [120.0, 6]}


def test_a_flood_of_controls_makes_snapshots_due_and_stays_bounded():
    log = sessionlog.SessionLog(model="m", dancers=1, seed=0, fps=FPS, size=[4, 2])
    most = 0
    for second in range(30):
        play(log, FPS, controls_per_frame=500, start=second * FPS)  # 15,000 controls a second
        most = max(most, len(log.events))
    assert most <= 1.5 * sessionlog.EVENTS_HELD + 500 + 5


def test_a_snapshot_carries_the_camera_s_latest_latent():
    log = sessionlog.SessionLog(model="m", dancers=1, seed=0, fps=FPS, size=[4, 2])
    for frame in range(3):
        log.add({"type": "capture", "frame": frame, "latent": sessionlog.jsonable(np.full(4, frame, np.float32))})
    log.snapshot(3, 100.1, 1 / FPS, {})
    np.testing.assert_array_equal(sessionlog.from_json(log.events[-1]["capture"]), np.full(4, 2, np.float32))


def test_a_recording_in_the_first_seconds_starts_at_the_first_frame(tmp_path):
    log = sessionlog.SessionLog(model="m", dancers=1, seed=0, fps=FPS, size=[4, 2])
    log.add({"type": "run", "frame": 0, "t0": 1.5, "period": 1 / FPS})
    play(log, int(sessionlog.SNAPSHOT_SECONDS * FPS) + 10)  # one snapshot, younger than the warm-up
    frame = int(sessionlog.SNAPSHOT_SECONDS * FPS) + 10
    path = log.attach(tmp_path / "early.jsonl", frame=frame, video="early.mkv")
    log.detach(path, frame=frame)
    types = [e["type"] for e in sessionlog.read(path)]
    assert types[:2] == ["session", "run"] and "snapshot" not in types


def test_values_of_any_dtype_round_trip_exactly():
    for array in (np.arange(5, dtype=np.float64) / 3, np.array([True, False]), np.arange(6, dtype=np.int64)):
        back = sessionlog.from_json(json.loads(json.dumps(sessionlog.jsonable(array))))
        assert back.dtype == array.dtype
        np.testing.assert_array_equal(back, array)


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "not a livedance control log"),
        ('{"type": "control"}\n', "no session header"),
        ('{"type": "session", "format": 99, "fps": 30}\n', "format 99"),
        ('{"type": "session", "format": 1, "fps": 0}\n', "uncapped"),
        ('{"type": "session", "format": 1, "fps": 30}\nnot json\n{"type": "end"}\n', ":2: not JSON"),
    ],
)
def test_a_bad_log_is_one_line(tmp_path, text, words):
    path = tmp_path / "x.jsonl"
    path.write_text(text)
    with pytest.raises(LivedanceError) as caught:
        sessionlog.read(path)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_log_cut_off_mid_line_by_a_crash_still_reads(tmp_path):
    path = tmp_path / "cut.jsonl"
    path.write_text(
        '{"type": "session", "format": 1, "fps": 30}\n{"type": "run", "frame": 0, "t0": 0.0, "period": 0.03}\n{"type": "tick", "fr'
    )
    assert [e["type"] for e in sessionlog.read(path)] == ["session", "run"]
