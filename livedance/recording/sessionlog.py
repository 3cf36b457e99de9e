"""The control log: everything a performance needs to be danced again, one JSON object a line.

A live run keeps its events in memory from its first frame: the loop's timeline (the slot
time of the first frame, and any slots dropped), every control as the mixer applied it (after
coercion, with a toggle already resolved and a random reseed written as the seed it picked),
and every model or dancer switch with the frame it landed on. The animation runs on the
display's slot grid, so these are enough to recompute every frame exactly (`livedance
replay`). When a recording starts, a sink writes the whole backlog and then every new event to
a JSONL file beside the video, on its own thread: the loop only appends to a list and a queue.

Event types: session (the header: model, seed, dancers, fps, size), run (a loop run started:
`t0` is its first slot time, `period` its slot length), drop (`missed` slots before a frame),
control, swap, tempo (what the leading tempo source gave the step clock: leader, bpm, steps per
beat, trim), recording (this file's video starts at this frame), tick (once a second: how far
the show got, for a log cut off by a crash), end.
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

FORMAT = 1
# Captured latents kept in memory for a recording that starts later (a follow stretch's glide
# forgets anything older within a second); a file being written gets them all.
CAPTURES_KEPT = 256


def jsonable(value):
    """A control's value as JSON: tuples and arrays become lists (floats keep every digit)."""
    if isinstance(value, np.ndarray):
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


def from_json(value):
    """The inverse of `jsonable` for what the actions take (colour triples back to tuples)."""
    if isinstance(value, dict) and "f32" in value:
        array = np.frombuffer(base64.b64decode(value["f32"]), np.float32).copy()
        return array.reshape(value["shape"]) if "shape" in value else array
    if isinstance(value, list):
        return tuple(from_json(v) for v in value)
    return value


class _Sink(Worker):
    """One JSONL file fed from a queue by its own thread; close() writes what was queued first."""

    def __init__(self, path: Path, backlog: list[dict]):
        super().__init__("livedance-log")
        self.path = path
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.error: str | None = None
        try:
            self.file = open(path, "w", encoding="utf-8")
        except OSError as exc:
            raise LivedanceError(f"{path}: cannot write the control log ({exc.strerror})") from None
        for event in backlog:
            self.queue.put(event)
        self.start()

    def _run(self) -> None:
        while True:
            event = self.queue.get()
            if event is None:
                break
            if self.error is not None:
                continue
            try:
                self.file.write(json.dumps(event, separators=(",", ":")) + "\n")
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
    def __init__(self, **header):
        self.events: list[dict] = [
            {"type": "session", "format": FORMAT, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **header}
        ]
        self._sinks: dict[str, _Sink] = {}
        self._lock = threading.Lock()
        self._captures = 0

    def add(self, event: dict) -> None:
        """Append one event (the display loop's thread); sinks write it on theirs."""
        with self._lock:  # a sink attaches or detaches atomically with respect to events
            self.events.append(event)
            sinks = list(self._sinks.values())
            if event["type"] == "capture":
                self._captures += 1
                if self._captures > 4 * CAPTURES_KEPT:  # an installation follows for days
                    self._forget_old_captures()
        for sink in sinks:
            sink.queue.put(event)

    def _forget_old_captures(self) -> None:
        captures = [i for i, e in enumerate(self.events) if e["type"] == "capture"]
        drop = set(captures[:-CAPTURES_KEPT])
        self.events = [e for i, e in enumerate(self.events) if i not in drop]
        self._captures = CAPTURES_KEPT

    def attach(self, path: str | os.PathLike, frame: int, video: str) -> Path:
        """Write the session so far, then every new event, to `path`; this file's video starts at `frame`."""
        path = Path(path)
        with self._lock:
            sink = _Sink(path, list(self.events) + [{"type": "recording", "frame": frame, "video": str(video)}])
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
    if events[0].get("format") != FORMAT:
        raise LivedanceError(f"{path}: control log format {events[0].get('format')}; this livedance reads {FORMAT}")
    fps = events[0].get("fps")
    if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
        raise LivedanceError(f"{path}: recorded uncapped (fps {fps}); only a paced session can be replayed")
    return events
