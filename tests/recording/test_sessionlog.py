"""The control log: values round-trip, files hold the backlog then the live events, bad logs are one line."""

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


def test_old_captures_are_forgotten_in_memory_only(tmp_path):
    log = sessionlog.SessionLog(model="m", dancers=1, seed=0, fps=30, size=[4, 2])
    path = log.attach(tmp_path / "all.jsonl", frame=0, video="all.mkv")
    total = 5 * sessionlog.CAPTURES_KEPT
    for frame in range(total):
        log.add({"type": "capture", "frame": frame, "latent": [0.0]})
    log.detach(path, frame=total)
    kept = [e for e in log.events if e["type"] == "capture"]
    assert sessionlog.CAPTURES_KEPT <= len(kept) < 4 * sessionlog.CAPTURES_KEPT and kept[-1]["frame"] == total - 1
    in_file = [e for e in sessionlog.read(path) if e["type"] == "capture"]
    assert len(in_file) == total  # the file being written got every one


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
