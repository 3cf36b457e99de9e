"""The camera on its own thread: a webcam, /dev/videoN, a URL, or a video file standing in for one.

OpenCV's VideoCapture blocks for a frame, so it lives on a "livedance-camera" thread that keeps
only the newest frame in a latest-value slot: `read()` never waits, `wait()` blocks a consumer
(the capture thread) until a newer frame. A file is read at its own frame rate by default, as a
camera would deliver it, so rehearsals and tests see live timing.

Faults never leave the thread. A camera that won't open, or is lost mid-show (a read fails, or
a file ends before its frame count), is retried with backoff (1, 2, 4 ... `retry_max` s) while
`error` and `bus.status["camera"]` say so in one line, and the log when one is lost. A
file that simply ends stays ended unless `loop` is set.
"""

from __future__ import annotations

import collections
import logging
import os
import re
import threading
import time
from urllib.parse import urlsplit

import cv2
import numpy as np

from livedance.errors import LivedanceError, one_line
from livedance.quiet import quiet_stderr
from livedance.worker import Retry, Worker

log = logging.getLogger(__name__)

DEFAULT_FILE_FPS = 30.0  # for files whose container gives no sane frame rate
MAX_FILE_FPS = 240.0
CATCH_UP_S = 0.25  # a paced file this far behind restarts its clock rather than bursting
FPS_FRAMES = 30  # frames the measured rate is taken over
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_DEVICE = re.compile(r"^/dev/video\d+$")

Frame = tuple[np.ndarray, float, int]


def parse_camera(spec: str) -> int | str:
    """A device index ("0" -> 0) as an int; "/dev/video2", a file path or a URL stays a str."""
    text = str(spec).strip()
    if not text:
        raise LivedanceError(f"--camera {spec!r}: expected a camera index (0), /dev/videoN, a video file or a URL")
    if re.fullmatch(r"[0-9]+", text):
        return int(text)
    return text


def _label(target: int | str) -> str:
    """How the status line names the camera: a file by its name, a URL without credentials or query."""
    if isinstance(target, int) or _DEVICE.match(target):
        return str(target)
    if _URL.match(target):
        parts = urlsplit(target)
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return f"{parts.scheme}://{host}{parts.path}"
    return os.path.basename(target.rstrip("/")) or target


class CameraSource(Worker):
    """Frames from a camera or a file on a daemon thread; see the module docstring.

    `error`: the current fault in one line (None while frames flow). `opened`: a capture is open
    and delivering. `frames`: frames captured. `fps`: measured over the last frames (0 when none
    come). `lost`: times an open camera was lost and retried. `ended`: a file ended (no loop).
    Frame seqs start at 1, so `wait(0, t)` waits for the first frame. start(), close() and
    `died` (the thread ended by a bug, not a camera fault) are `Worker`'s.
    """

    def __init__(self, spec: str, loop: bool = False, bus=None, retry_max: float = 10.0, realtime: bool | None = None):
        if not retry_max > 0:
            raise ValueError(f"retry_max {retry_max}: expected a positive number of seconds")
        # close() waits a second: a device stuck inside a read is left to its daemon thread.
        super().__init__("livedance-camera", join_timeout=1.0)
        self.spec = str(spec)
        self.target = parse_camera(spec)
        self.kind = (
            "device"
            if isinstance(self.target, int) or _DEVICE.match(self.target)
            else "url"
            if _URL.match(self.target)
            else "file"
        )
        self.label = _label(self.target)
        self.loop = bool(loop)
        self.bus = bus
        self.retry_max = float(retry_max)
        self.retry = Retry(self.retry_max)  # its waits and words, kept across reopenings
        # Devices deliver in real time by themselves; a URL is paced only when asked.
        self.realtime = self.kind == "file" if realtime is None else bool(realtime) and self.kind != "device"
        self.opened = False
        self.error: str | None = None
        self.ended = False
        self.frames = 0
        self.fps = 0.0
        self.lost = 0
        self._times: collections.deque[float] = collections.deque(maxlen=FPS_FRAMES)
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._seq = 0
        self._status: str | None = None

    # --- consumers -----------------------------------------------------------------------------
    def read(self) -> Frame | None:
        """The newest (frame BGR uint8, perf_counter when grabbed, seq); None before the first. Never blocks."""
        return self._latest

    def wait(self, after_seq: int, timeout: float) -> Frame | None:
        """Block until a frame newer than `after_seq` (returned), or `timeout` s or close() (None)."""
        with self._cond:
            self._cond.wait_for(lambda: self._seq > after_seq or self._stopping.is_set(), timeout)
            latest = self._latest
        return latest if latest is not None and latest[2] > after_seq else None

    # --- lifecycle -----------------------------------------------------------------------------
    def _open(self) -> None:
        """Opening the camera happens on the thread, so start() never raises for one that won't open."""
        self._set_status("opening")

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _close(self) -> None:
        if self.bus is not None and self._status is not None and self.bus.status.get("camera") == self._status:
            del self.bus.status["camera"]

    # --- the thread ----------------------------------------------------------------------------
    def _set_status(self, text: str) -> None:
        self._status = f"camera {self.label}: {text}"
        if self.bus is not None:
            self.bus.status["camera"] = self._status

    def _run(self) -> None:
        retry = self.retry
        while not self._stopping.is_set():
            capture, reason = None, None
            try:
                capture, reason = self._open_capture()
                if capture is not None:
                    outcome, reason = self._play(capture)
                else:
                    outcome = "dead"
            except Exception as exc:  # nothing OpenCV does may end the thread
                log.warning("%s", one_line(exc), exc_info=True)
                outcome, reason = ("lost" if self.opened else "dead"), one_line(exc, 160)
            finally:
                if capture is not None:
                    try:
                        capture.release()
                    except Exception:
                        log.debug("caught", exc_info=True)
                        pass
            self.opened = False
            self.fps = 0.0
            self._times.clear()
            if outcome == "stopped":
                return
            if outcome == "ended":
                self.ended = True
                self._set_status("ended")
                return
            if outcome == "reopen":  # a looping file that would not rewind in place
                continue
            if outcome == "lost":
                self.lost += 1
                self.error = f"--camera {self.spec}: lost ({reason})"
            else:
                self.error = f"--camera {self.spec}: won't open ({reason})"
            what, delay = retry.failed(outcome == "lost", reason)
            self._set_status(what)
            if retry.first and outcome == "lost":  # one that won't open at the start: the command says so
                log.warning("%s", self._status)
            if self._stopping.wait(delay):
                return

    def _open_capture(self) -> tuple[cv2.VideoCapture | None, str | None]:
        """(capture, None) or (None, why it won't open)."""
        target = self.target
        if self.kind == "file":
            if not os.path.exists(target):
                return None, "no such file"
            if os.path.isdir(target):
                return None, "a folder, not a video file"
        if self.kind == "url":  # network opens can take long: don't hold the stderr lock meanwhile
            capture = cv2.VideoCapture(target)
        else:
            with quiet_stderr():
                if self.kind == "device" and isinstance(target, str):
                    capture = cv2.VideoCapture(target, cv2.CAP_V4L2)
                else:
                    capture = cv2.VideoCapture(target)
        if not capture.isOpened():
            capture.release()
            why = {
                "file": "OpenCV cannot read it as a video",
                "url": "OpenCV cannot open the stream",
                "device": "no such camera, or it is in use",
            }[self.kind]
            return None, why
        if self.kind == "device":
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a queue of stale ones
        return capture, None

    def _play(self, capture: cv2.VideoCapture) -> tuple[str, str | None]:
        """Grab until stopped or the source fails: ("stopped"|"ended"|"reopen"|"lost"|"dead", reason)."""
        is_file = self.kind == "file"
        rate = capture.get(cv2.CAP_PROP_FPS) if self.realtime else 0.0
        if self.realtime and not (1.0 <= rate <= MAX_FILE_FPS):
            rate = DEFAULT_FILE_FPS
        period = 1.0 / rate if self.realtime else 0.0
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if is_file else 0
        early = max(2, count // 50)  # containers that estimate their frame count may be a little off
        pos, rewound = 0, False  # frames read in this pass; just rewound to the start
        due = time.perf_counter()
        while not self._stopping.is_set():
            if period:
                now = time.perf_counter()
                if due > now:
                    if self._stopping.wait(due - now):
                        return "stopped", None
                elif now - due > CATCH_UP_S:
                    due = now
                due += period
            ok = capture.grab()
            grabbed = time.perf_counter()
            frame = None
            if ok:
                ok, frame = capture.retrieve()
            if not ok or frame is None:
                if pos == 0:
                    return ("reopen", None) if rewound else ("dead", "opened but delivers no frames")
                if not is_file:
                    return "lost", "read failed"
                if count > early and pos < count - early:
                    return "lost", f"read failed at frame {pos + 1} of {count}"
                if not self.loop:
                    return "ended", None
                rewound, pos = bool(capture.set(cv2.CAP_PROP_POS_FRAMES, 0)), 0
                if not rewound:
                    return "reopen", None
                continue
            pos, rewound = pos + 1, False
            self._publish(frame, grabbed)
        return "stopped", None

    def _publish(self, frame: np.ndarray, grabbed: float) -> None:
        with self._cond:
            self._seq += 1
            self._latest = (frame, grabbed, self._seq)
            self._cond.notify_all()
        self.frames += 1
        self.opened = True
        if self.error is not None:
            log.info("camera %s: back", self.label)
            self.error = None
        times = self._times
        times.append(grabbed)
        if len(times) >= 2 and times[-1] > times[0]:
            self.fps = (len(times) - 1) / (times[-1] - times[0])
        self._set_status(f"{self.fps:.1f} fps" if self.fps else "open")
