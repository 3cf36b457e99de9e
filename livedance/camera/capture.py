"""The capture thread: camera frames -> silhouettes -> latents, and the window the LSTM continues.

It runs off the display loop's thread and publishes each result as a fresh, read-only
`CaptureState` in a latest-value slot: the loop reads `Capture.latest()` without waiting and
never sees a half-written state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from livedance.camera.stage import StageCutout, bundle_framing
from livedance.errors import one_line
from livedance.worker import Worker

log = logging.getLogger(__name__)

PREVIEW_HEIGHT = 96  # rows of the picture-in-picture mask
_WAIT_S = 0.1  # longest wait for a camera frame: bounds how long close() takes
_FPS_SPAN_S = 1.0  # captured frames/s is measured over about this much recent time


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class CaptureState:
    """One captured frame. Arrays are read-only; an unchanged window is shared between states."""

    ink: np.ndarray  # (120, 200) float32, 1 = figure
    latent: np.ndarray  # (D,) float32, raw units
    window: np.ndarray  # (window, D) float32 raw, newest last, one entry per 1/step_rate s; zeros before `filled`
    filled: int  # entries taken so far (the window is complete when filled >= window)
    present: bool  # a dancer is there
    seq: int  # the camera's frame number
    time: float  # perf_counter when the camera grabbed the frame
    preview: np.ndarray  # uint8 mask, PREVIEW_HEIGHT rows, 255 = figure
    fps: float  # captured frames/s, recent


class Capture(Worker):
    """Runs `stage` and `bundle.encode` on each new frame of `camera` on thread "livedance-capture".

    It does not own the camera: close the camera yourself. Errors inside the thread (a bad frame,
    an encoder failure) are counted in `errors` and shown in bus.status["capture"], never raised.
    start() and close() are `Worker`'s; close() returns within a camera wait (`_WAIT_S`).
    """

    def __init__(self, camera, bundle, stage: StageCutout, bus=None):
        super().__init__("livedance-capture", join_timeout=2.0)
        self.camera, self.stage, self.bus = camera, stage, bus
        self._use(bundle)
        self._next_bundle = None
        self.fps = 0.0
        self.frames = 0
        self.errors = 0
        self.last_error: str | None = None
        self._state: CaptureState | None = None
        self._learn = threading.Event()
        self._done = deque()  # perf_counter of recent captured frames
        self._status = ""

    def _use(self, bundle) -> None:
        """Encode for `bundle` from now on: its latent space, window and step rate."""
        self.bundle = bundle
        if self.stage.framing_auto:  # frame the dancer as the model's training frames were
            self.stage.use_framing(bundle_framing(bundle))
        self._period = 1.0 / float(bundle.step_rate)
        self._window = _frozen(np.zeros((bundle.window, bundle.latent_dim), np.float32))
        self._filled = 0
        self._next_entry: float | None = None  # camera time when the window takes its next entry
        self._latent = _frozen(np.zeros(bundle.latent_dim, np.float32))

    def use_bundle(self, bundle) -> None:
        """The show switched models: encode for the new one from the next frame (thread-safe).
        The same model reloaded for another number of dancers keeps the captured window."""
        if str(bundle.path) == str(self.bundle.path):
            self.bundle = bundle
            return
        self._next_bundle = bundle

    def latest(self) -> CaptureState | None:
        return self._state

    def learn_empty(self) -> None:
        """Ask for the empty stage to be learned from the next frames (done on the capture thread)."""
        self._learn.set()

    # --- the thread ----------------------------------------------------------------------
    def _say(self, line: str) -> None:
        if self.errors:
            line += f"; {self.errors} errors (last: {self.last_error})"
        if line != self._status and self.bus is not None:
            self.bus.status["capture"] = line
        self._status = line

    def _fail(self, exc: Exception) -> None:
        self.errors += 1
        self.last_error = one_line(exc, 120, first=True)

    def _run(self) -> None:
        seq = -1
        self._say("capture waiting for the camera")
        while not self._stopping.is_set():
            if self._learn.is_set():
                self._learn.clear()
                try:
                    self.stage.learn_empty()
                except Exception as exc:  # never out of the thread
                    log.warning("%s", one_line(exc), exc_info=True)
                    self._fail(exc)
                if self.stage.learning:
                    self._say("learning the empty stage")
            try:
                got = self.camera.wait(seq, _WAIT_S)
            except Exception as exc:
                log.warning("%s", one_line(exc), exc_info=True)
                self._fail(exc)
                self._stopping.wait(_WAIT_S)
                continue
            if got is None:
                self._tick_fps(None)
                if not self._done and not self.stage.learning:
                    self._say("capture: no camera frames")
                continue
            frame, grabbed, seq = got
            try:
                self._capture(frame, grabbed, seq)
            except Exception as exc:
                log.warning("%s", one_line(exc), exc_info=True)
                self._fail(exc)
                self._say(self._status.split(";")[0] or "capture")

    def _tick_fps(self, now: float | None) -> None:
        if now is not None:
            self._done.append(now)
        else:
            now = time.perf_counter()
        while self._done and now - self._done[0] > _FPS_SPAN_S * 2:
            self._done.popleft()
        while len(self._done) > 2 and self._done[-1] - self._done[0] > _FPS_SPAN_S:
            self._done.popleft()
        span = self._done[-1] - self._done[0] if len(self._done) > 1 else 0.0
        self.fps = (len(self._done) - 1) / span if span > 0 else 0.0

    def _take(self, latent: np.ndarray, grabbed: float) -> None:
        """A new window entry each 1/step_rate s of camera time, while the dancer is there."""
        if self._next_entry is not None and grabbed < self._next_entry:
            return
        window = np.empty_like(self._window)
        window[:-1] = self._window[1:]
        window[-1] = latent
        self._window, self._filled = _frozen(window), self._filled + 1
        late = self._next_entry is None or grabbed - self._next_entry >= self._period
        self._next_entry = grabbed + self._period if late else self._next_entry + self._period

    def _capture(self, frame: np.ndarray, grabbed: float, seq: int) -> None:
        if self._next_bundle is not None:
            bundle, self._next_bundle = self._next_bundle, None
            self._use(bundle)
        learning = self.stage.learning
        cut = self.stage(frame, grabbed)
        ink = _frozen(cut.ink.copy())
        try:
            self._latent = _frozen(np.asarray(self.bundle.encode(ink[None])[0], np.float32))
        except Exception as exc:
            log.warning("%s", one_line(exc), exc_info=True)
            self._fail(exc)  # keep the last latent; the frame is still shown
        present = cut.present
        if present:
            self._take(self._latent, grabbed)
        mask = cut.mask
        width = max(1, round(mask.shape[1] * PREVIEW_HEIGHT / mask.shape[0]))
        preview = _frozen(cv2.resize(mask, (width, PREVIEW_HEIGHT), interpolation=cv2.INTER_AREA))
        self.frames += 1
        self._tick_fps(time.perf_counter())
        self._state = CaptureState(
            ink, self._latent, self._window, self._filled, present, seq, grabbed, preview, self.fps
        )
        if self.stage.learning or learning:
            self._say("learning the empty stage")
        else:
            self._say(f"capture {self.fps:.1f} fps, {'dancer present' if present else 'no dancer'}")
