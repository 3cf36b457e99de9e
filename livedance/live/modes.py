"""Where the dancer on screen comes from: the model's dream, the camera's dancer, or the model
carrying on the camera's dancer.

- generate: the choreographer dreams (the model fed its own output).
- follow: the captured dancer, encoded and decoded live. The camera gives 15-30 latents a
  second; the shown latent follows the newest one with a short time constant, so the picture
  moves fluidly at the display's rate instead of in camera-frame steps.
- continue: the LSTM takes the last `window` latents captured (sampled at the model's step
  rate) and dances on; the picture crossfades from the followed pose, so there is no jump.
- auto (installation mode, on top of the others): follow while someone is in front of the
  camera, continue when they have been gone for `LEAVE_SECONDS`, follow again when someone has
  been back for `ARRIVE_SECONDS`. The two delays are the hysteresis that keeps a flickering
  mask (an arm leaving the frame, a shadow) from flipping the mode.

The display loop calls `latents(now)` once per frame; it reads the capture's latest-value slot
and never waits for the camera. The director sees the performance (the choreographer, the
session log), not the instrument.
"""

from __future__ import annotations

import math

import numpy as np

from livedance.errors import LivedanceError
from livedance.live.performance import Performance
from livedance.recording.sessionlog import jsonable

MODES = ("generate", "follow", "continue")
FOLLOW_SECONDS = 0.06  # time constant of the followed latent: about two camera frames
LEAVE_SECONDS = 1.5
ARRIVE_SECONDS = 0.5


class Director:
    def __init__(self, performance: Performance, capture=None, auto: bool = False):
        self.performance = performance
        self.capture = capture
        self.mode = "generate"
        self.auto = False
        self._shown: np.ndarray | None = None  # the followed latent, (dancers, D), raw units
        self._move: np.ndarray | None = None
        self._last_now: float | None = None
        self._seen_seq = -1
        self._present_since: float | None = None
        self._absent_since: float | None = None
        self.switches = 0  # mode changes so far (auto's included), for the HUD and tests
        if auto:
            self.set_auto(True)

    # --- controls ------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise LivedanceError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
        if mode != "generate" and self.capture is None:
            raise LivedanceError(f"mode {mode}: needs a camera (livedance live --camera 0|FILE); none is open")
        window = None
        if mode == "continue":
            window = self._continue()
        elif mode == "follow":
            self._start_following()
        self.mode = mode
        self.switches += 1
        log = self.performance.log
        if log is not None:  # what a replay needs: the camera's part is not in the controls
            event = {"type": "mode", "frame": self.performance.frames, "mode": mode}
            if window is not None:
                event["window"] = jsonable(window)
            log.add(event)

    def set_auto(self, on: bool) -> None:
        if on and self.capture is None:
            raise LivedanceError("auto: needs a camera (livedance live --camera 0|FILE); none is open")
        self.auto = bool(on)
        self._present_since = self._absent_since = None

    def snapshot(self) -> dict:
        """The mode and the followed pose, as copies. `auto` is for the record: a replay lands the
        switches it made where the log says."""
        shown = None if self._shown is None else self._shown.copy()
        return {"mode": self.mode, "auto": self.auto, "shown": shown, "last_now": self._last_now}

    def restore(self, state: dict) -> None:
        if state["mode"] not in MODES:
            raise LivedanceError(f"mode {state['mode']!r}: expected one of {', '.join(MODES)}")
        self.mode, self._last_now = state["mode"], state["last_now"]
        self._shown = None if state["shown"] is None else np.array(state["shown"], np.float32)
        self._move = None if self._shown is None else np.empty_like(self._shown)

    def _start_following(self) -> None:
        self._shown = None  # starts at the next captured latent, crossfading is the glide itself

    def _continue(self) -> np.ndarray:
        state = self.capture.latest() if self.capture is not None else None
        if state is None or state.filled < 2:
            raise LivedanceError("mode continue: nothing captured yet to continue from")
        window = state.window[-state.filled :] if state.filled < len(state.window) else state.window
        need = self.performance.choreographer.engine.window
        if len(window) < need:  # too little captured: hold its first pose for the rest
            window = np.concatenate([np.repeat(window[:1], need - len(window), axis=0), window])
        shown = self._shown if self.mode == "follow" and self._shown is not None else None
        self.performance.choreographer.continue_from(window, shown=shown)
        return window

    # --- per frame -----------------------------------------------------------------------------
    def latents(self, now: float) -> np.ndarray:
        """The raw latents (dancers, D) to show at loop time `now`."""
        choreographer = self.performance.choreographer
        if self.capture is None:
            return choreographer.frame(now)
        state = self.capture.latest()
        if state is not None and state.latent.shape[-1] != choreographer.engine.latent_dim:
            state = None  # encoded for the model before a switch: the next camera frame is the new one's
        if self.auto:
            self._auto(state, now)
        if self.mode != "follow" or state is None:
            self._last_now = now
            return choreographer.frame(now)
        return self._follow(state, now)

    def _follow(self, state, now: float) -> np.ndarray:
        dt = 0.0 if self._last_now is None else max(0.0, now - self._last_now)
        self._last_now = now
        target = state.latent
        log = self.performance.log
        if log is not None and state.seq != self._seen_seq:
            self._seen_seq = state.seq
            log.add({"type": "capture", "frame": self.performance.frames, "latent": jsonable(target)})
        dancers = self.performance.choreographer.dancers
        if self._shown is None or self._shown.shape != (dancers, target.shape[-1]):
            self._shown = np.empty((dancers, target.shape[-1]), np.float32)
            self._shown[...] = target
            self._move = np.empty_like(self._shown)  # each frame's glide, in place rather than in temporaries
        elif dt and self._move is not None:
            follow = np.float32(1.0 - math.exp(-dt / FOLLOW_SECONDS))
            np.subtract(target, self._shown, out=self._move)
            self._move *= follow
            self._shown += self._move
        return self._shown

    def _auto(self, state, now: float) -> None:
        present = state is not None and state.present
        if present:
            self._absent_since = None
            if self._present_since is None:
                self._present_since = now
            if self.mode != "follow" and now - self._present_since >= ARRIVE_SECONDS:
                self.set_mode("follow")
                self.performance.last_control = "auto: someone is here, following"
        else:
            self._present_since = None
            if self._absent_since is None:
                self._absent_since = now
            if self.mode == "follow" and now - self._absent_since >= LEAVE_SECONDS:
                try:
                    self.set_mode("continue")
                    self.performance.last_control = "auto: they left, continuing their dance"
                except LivedanceError:
                    self.set_mode("generate")
