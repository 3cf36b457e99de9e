"""A sink: a stream the show's frames go to (NDI, Syphon, Spout, a virtual camera), on a thread of its own.

The display thread `offer()`s each frame: it is copied into a spare buffer and handed over
through a latest-value slot, never waited for. The sink's thread sends the newest frame it
finds; a frame replaced before it was sent is dropped and counted, so a slow or stuck receiver
costs frames of its own, never one of the show's. Three buffers turn round (being filled,
waiting, being sent), made once at the sink's size.
"""

from __future__ import annotations

import logging
import threading

import cv2
import numpy as np

from livedance.errors import one_line
from livedance.worker import Worker

log = logging.getLogger(__name__)

WAIT_SECONDS = 0.1  # how often an idle sink thread looks whether it should stop (and `_look`s around)


class Sink(Worker):
    """Subclasses write `_send(frame, t)` (and the `Worker` hooks `_open`/`_close` for their device).

    `size` (width, height) and `channels` (3: BGR, 4: BGRA) are what `offer` takes; `fps`
    limits how often a frame is taken (None: every frame offered)."""

    kind = "sink"  # what the HUD and the summary call it

    def __init__(self, name: str, size: tuple[int, int], channels: int = 3, fps: float | None = None):
        super().__init__(f"livedance-{self.kind}", join_timeout=2.0)
        self.name = name
        self.size = (int(size[0]), int(size[1]))
        self.channels = channels
        self.period = 1.0 / fps if fps else 0.0
        shape = (self.size[1], self.size[0], channels)
        self._filling, self._waiting, self._sending = (np.zeros(shape, np.uint8) for _ in range(3))
        self._waiting_time: float | None = None  # the waiting frame's show time; None: nothing waits
        self._slot = threading.Lock()  # guards the hand-over of buffers
        self._ready = threading.Event()
        self._next = 0.0
        self.offered = 0  # frames taken from the show
        self.sent = 0
        self.dropped = 0  # frames replaced before the sink could send them
        self.failed: str | None = None  # one line: the last send that failed
        self._opaque: np.ndarray | None = None  # BGR widened to BGRA, for protocols that take only BGRA

    def take_at_most(self, fps: float) -> None:
        """Take at most `fps` frames a second of the show's (a 30 fps stream from a 60 fps show)."""
        self.period = 1.0 / fps

    # --- the display thread ---------------------------------------------------------------------
    def offer(self, frame: np.ndarray, t: float, repeat: int = 1) -> bool:
        """Hand over a frame shown at show time `t`; never waits. False when not taken (not
        due at the sink's rate, or the sink has stopped). A stream sends the newest frame, so
        `repeat` (the display slots it covered) is not used."""
        if not self.wants(t):
            return False
        self._next = max(self._next + self.period, t) if self.period else t
        np.copyto(self._filling, frame)
        with self._slot:
            self._filling, self._waiting = self._waiting, self._filling
            if self._waiting_time is not None:
                self.dropped += 1
            self._waiting_time = t
        self.offered += 1
        self._ready.set()
        return True

    def wants(self, t: float) -> bool:
        """Whether a frame shown at `t` would be taken: the feed draws a sink's own size only then."""
        if self.period and t < self._next - 0.01 * self.period:  # a frame a hair early on the show's grid is due
            return False
        return not self._stopping.is_set() and self.alive

    # --- the sink's thread ------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self._ready.wait(WAIT_SECONDS):
                self._look()
                continue
            with self._slot:
                self._ready.clear()
                t = self._waiting_time
                if t is None:
                    continue
                self._waiting, self._sending = self._sending, self._waiting
                self._waiting_time = None
            try:
                self._send(self._sending, t)
                self.sent += 1
            except Exception as exc:  # a receiver's fault is the sink's, never the show's
                log.warning("%s %s: %s", self.kind, self.name, one_line(exc), exc_info=True)
                self.failed = one_line(exc)

    def _wake(self) -> None:
        self._ready.set()

    def _send(self, frame: np.ndarray, t: float) -> None:
        """Send one frame (the sink's own buffer, valid until this returns)."""

    def _look(self) -> None:
        """On the sink's thread, when no frame came for WAIT_SECONDS: check on the device (receivers...)."""

    def _as_bgra(self, frame: np.ndarray) -> np.ndarray:
        """`frame` as BGRA: a keyed frame as it is, a BGR one made opaque in a buffer made once."""
        if frame.shape[2] == 4:
            return frame
        if self._opaque is None:
            self._opaque = np.empty(frame.shape[:2] + (4,), np.uint8)
        return cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA, dst=self._opaque)

    def status(self) -> str:
        """One line for the HUD: where frames go and what was lost."""
        line = f"{self.kind} {self.name}: {self.sent} sent, {self.dropped} dropped"
        if self.died or self.failed:
            line += f"; {self.died or self.failed}"
        return line
