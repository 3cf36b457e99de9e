"""The control log: everything a performance needs to be danced again, one JSON object a line.

The animation runs on the display's slot grid, so a frame is recomputed exactly (`livedance
replay`) from the show's state at some earlier frame and what happened since: the loop's
timeline (a run's first slot time, any slots dropped), every control as the mixer applied it
(after coercion, with a toggle already resolved and a random reseed written as the seed it
picked), and every model or dancer switch with the frame it landed on.

A live run does not keep its events from the first frame: every `SNAPSHOT_SECONDS` the loop
hands the log a snapshot of the show's state at a frame boundary (copies of the dance's
buffers and the performer's settings: a fraction of a millisecond, encoded only if a file
needs it), and the log forgets what came before the newest snapshot that is at least
`WARM_SECONDS` old (what replay draws before a recording, to warm trails up). Memory stays
bounded however long the show runs: two snapshots, and the events of the last 10 to 20
seconds; a flood of controls makes the next snapshot due at once (`EVENTS_HELD`). When a
recording starts, a sink writes the header, that snapshot, the events since and then every
new event to a JSONL file beside the video, on its own thread: the loop only appends to a list
and a queue.

Event types: session (the header: model, seed, dancers, fps, size), snapshot (the state at the
start of `frame`, whose slot time is `time`: where a replay starts; a file without one starts
at the session's first frame), run (a loop run started: `t0` is its first slot time, `period`
its slot length), drop (`missed` slots before a frame), control, swap, tempo (what the leading
tempo source gave the step clock: leader, bpm, steps per beat, trim), mode and capture (the
camera's part), recording (this file's video starts at this frame), tick (once a second: how
far the show got, for a log cut off by a crash), end.
"""

from __future__ import annotations

import base64
import json
import math
import os
import queue
import threading
import time
from pathlib import Path

import numpy as np

from livedance.errors import LivedanceError
from livedance.worker import Worker

FORMAT = 2
READS = (1, 2)  # format 1: a log kept from the session's first frame, before snapshots
SNAPSHOT_SECONDS = 10.0
# Drawn (not written) by a replay before the recording starts, so trails and fades are as they
# were live: the snapshot a file starts from is at least this old when it can be.
WARM_SECONDS = 5.0
# Events held in memory past which the oldest snapshots go even if younger than WARM_SECONDS
# (a recording starting then warms up for less); half as many since the newest make one due.
EVENTS_HELD = 10_000


def jsonable(value):
    """A value as JSON: tuples and arrays become lists or base64 (floats keep every digit)."""
    if isinstance(value, np.ndarray):
        if value.dtype != np.float32:  # every other dtype exactly, named
            data = base64.b64encode(np.ascontiguousarray(value).tobytes()).decode("ascii")
            return {"array": data, "dtype": value.dtype.str, "shape": list(value.shape)}
        data = base64.b64encode(np.ascontiguousarray(value, np.float32).tobytes()).decode("ascii")
        return {"f32": data, "shape": list(value.shape)}
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def _array(value: dict) -> np.ndarray:
    if "f32" in value:
        array = np.frombuffer(base64.b64decode(value["f32"]), np.float32).copy()
    else:
        array = np.frombuffer(base64.b64decode(value["array"]), np.dtype(value["dtype"])).copy()
    return array.reshape(value["shape"]) if "shape" in value else array


def _is_array(value) -> bool:
    return isinstance(value, dict) and ("f32" in value or "array" in value)


def from_json(value):
    """The inverse of `jsonable` for what the actions take (colour triples back to tuples)."""
    if _is_array(value):
        return _array(value)
    if isinstance(value, list):
        return tuple(from_json(v) for v in value)
    return value


def arrays(value):
    """A snapshot's state as read back: its arrays numpy arrays again, everything else as JSON gave it."""
    if _is_array(value):
        return _array(value)
    if isinstance(value, dict):
        return {k: arrays(v) for k, v in value.items()}
    if isinstance(value, list):
        return [arrays(v) for v in value]
    return value


def _encoded(value):
    """What `json` can't write itself: the arrays and numpy numbers a snapshot holds."""
    if isinstance(value, (np.ndarray, np.generic)):
        return jsonable(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def line(event: dict) -> str:
    """One event as the line a file gets (a snapshot's arrays encoded here, off the display thread)."""
    return json.dumps(event, separators=(",", ":"), default=_encoded) + "\n"


class _Sink(Worker):
    """One JSONL file: `backlog` then what comes through the queue, written by its own thread;
    close() writes what was queued first."""

    def __init__(self, path: Path, backlog: list[dict]):
        super().__init__("livedance-log")
        self.path = path
        self.backlog = backlog
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.error: str | None = None
        try:
            self.file = open(path, "w", encoding="utf-8")
        except OSError as exc:
            raise LivedanceError(f"{path}: cannot write the control log ({exc.strerror})") from None
        self.start()

    def _run(self) -> None:
        backlog, self.backlog = self.backlog, []
        for number, event in enumerate(backlog):
            if event["type"] != "snapshot" or number == 1:  # the one it starts from; later ones are for later files
                self._write(event)
        while True:
            event = self.queue.get()
            if event is None:
                break
            self._write(event)

    def _write(self, event: dict) -> None:
        if self.error is not None:
            return
        try:
            self.file.write(line(event))
            if self.queue.empty():  # caught up: let it reach the disk, so a killed show keeps its log
                self.file.flush()
        except (OSError, TypeError, ValueError) as exc:
            self.error = str(exc)

    def _wake(self) -> None:
        self.queue.put(None)

    def _close(self) -> None:
        try:
            self.file.close()
        except OSError as exc:
            self.error = self.error or str(exc)


class SessionLog:
    """The header, the snapshots kept and the events since the oldest of them (see the module docstring)."""

    def __init__(self, **header):
        self.header = {"type": "session", "format": FORMAT, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **header}
        self.events: list[dict] = [self.header]  # after the header: the oldest snapshot kept, if any
        self._snapshots: list[int] = []  # where the snapshots kept are in `events`, oldest first
        fps = float(header.get("fps") or 0.0)
        self._every = max(1, round(SNAPSHOT_SECONDS * fps))  # in frames
        self._warm = math.ceil(WARM_SECONDS * fps)  # frames are at least a slot apart: as old in time, or older
        self._last_frame = 0  # the newest snapshot's frame (the session's start: frame 0)
        self._since = 0  # events since it
        self._capture: dict | None = None  # the camera's latest latent, for a replay that starts following
        self._sinks: dict[str, _Sink] = {}
        self._lock = threading.Lock()

    def add(self, event: dict) -> None:
        """Append one event (the display loop's thread); sinks write it on theirs."""
        with self._lock:  # a sink attaches or detaches atomically with respect to events
            self.events.append(event)
            self._since += 1
            if event["type"] == "capture":
                self._capture = event
            for sink in self._sinks.values():  # under the lock: no event can follow a detach's end
                sink.queue.put(event)

    def due(self, frame: int) -> bool:
        """Whether the loop should hand over a snapshot at the start of `frame` (a few comparisons)."""
        return frame - self._last_frame >= self._every or self._since >= EVENTS_HELD // 2

    def snapshot(self, frame: int, slot_time: float, period: float, state: dict) -> None:
        """Keep `state` (copies the log may hold: the show at the start of `frame`, whose slot
        time is `slot_time`) and forget what no recording can need any more. Display thread."""
        event = {"type": "snapshot", "frame": frame, "time": slot_time, "period": period, "state": state}
        if self._capture is not None:
            event["capture"] = self._capture["latent"]
        with self._lock:
            self._snapshots.append(len(self.events))
            self.events.append(event)
            self._last_frame, self._since = frame, 0
            self._forget(frame)

    def _forget(self, frame: int) -> None:
        """Drop everything before the newest snapshot a recording starting from `frame` on can start from."""
        events, kept = self.events, self._snapshots
        base = None
        for index in kept:
            if events[index]["frame"] <= frame - self._warm:
                base = index
        if len(events) - (1 if base is None else base) > EVENTS_HELD:
            base = kept[-1]  # a flood: less warm-up for a recording that starts now, not more memory
        if base is None or base == 1:
            return
        self.events = [self.header, *events[base:]]
        self._snapshots = [index - base + 1 for index in kept if index >= base]

    def attach(self, path: str | os.PathLike, frame: int, video: str) -> Path:
        """Write the session from a snapshot to `frame`, then every new event, to `path`; this
        file's video starts at `frame`."""
        path = Path(path)
        with self._lock:
            start = 1  # the oldest kept: a snapshot, or the session's first frame
            for index in self._snapshots:
                if self.events[index]["frame"] <= frame - self._warm:
                    start = index
            backlog = [self.header, *self.events[start:], {"type": "recording", "frame": frame, "video": str(video)}]
            sink = _Sink(path, backlog)
            self._sinks[str(path)] = sink
        return path

    def detach(self, path: str | os.PathLike, frame: int) -> str | None:
        """End the file at `frame` (the last frame recorded is frame - 1); returns a write error, if any."""
        with self._lock:
            sink = self._sinks.pop(str(Path(path)), None)
        if sink is None:
            return None
        sink.queue.put({"type": "end", "frame": frame})
        sink.close()
        return sink.error or sink.died

    def close(self, frame: int) -> None:
        for path in list(self._sinks):
            self.detach(path, frame)


def read(path: str | os.PathLike) -> list[dict]:
    """Every event of a JSONL control log; one-line errors name the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LivedanceError(f"{path}: cannot read ({exc.strerror})") from None
    events = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(text.splitlines()):  # the last line of a log cut off by a crash
                break
            raise LivedanceError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(event, dict) or "type" not in event:
            raise LivedanceError(f"{path}:{number}: expected an object with a type")
        events.append(event)
    if not events or events[0].get("type") != "session":
        raise LivedanceError(f"{path}: not a livedance control log (no session header on line 1)")
    if events[0].get("format") not in READS:
        raise LivedanceError(
            f"{path}: control log format {events[0].get('format')}; this livedance reads {', '.join(map(str, READS))}"
        )
    fps = events[0].get("fps")
    if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
        raise LivedanceError(f"{path}: recorded uncapped (fps {fps}); only a paced session can be replayed")
    return events
