"""A new dancer's warm-up, off the display thread.

A random window is not a dance yet: `Rollout.seed_random` runs one window of hidden steps (a
step, a decode and an encode each) before the dancer's first frame. On the display thread that
is two missed frames at 1080p60 on a 2-core machine, each time a pad is hit. A `Warmup` runs
it on a thread of its own, on a twin of the engine's buffers (the same onnxruntime sessions),
and hands back the warmed-up rollout's state for the choreographer to swap in.

What comes back depends only on the seed and the noise, never on when the thread ran, so a
replay that swaps it in at the same show time dances the same frames.
"""

from __future__ import annotations

import logging
import threading
import time

from livedance.runtime.generate import Rollout
from livedance.worker import lower_priority

log = logging.getLogger(__name__)


class Warmup:
    """One new dancer at a time, warmed up on its own thread like `rollout` (its engine, dancers
    and generation settings; the noise is given per warm-up, as a knob may have moved it)."""

    def __init__(self, engine, rollout: Rollout) -> None:
        self._rollout = Rollout(
            engine.twin(),
            dancers=rollout.dancers,
            noise=rollout.noise,
            mean_pull=rollout.mean_pull,
            reproject=rollout.reproject,
            motion_gain=rollout.motion_gain,
        )
        self._thread: threading.Thread | None = None
        self._state: dict | None = None
        self._error: BaseException | None = None
        self.late = 0  # warm-ups the display thread had to wait for

    def start(self, seed: int, noise: float) -> None:
        """Begin warming up dancer `seed` with this noise. One asked for before finishes first:
        the choreographer takes each before it asks again, and MIN_RESTART_S apart keeps a
        dropped one (a safety restart, a continuation) long finished by the next ask."""
        self._join()
        self._state = self._error = None
        self._thread = threading.Thread(target=self._run, args=(seed, noise), name="livedance-warmup", daemon=True)
        self._thread.start()

    def _run(self, seed: int, noise: float) -> None:
        lower_priority()  # the frames come first; a warm-up still running at its show time is waited for
        try:
            self._rollout.noise = noise
            self._rollout.seed_random(seed)
            self._state = self._rollout.snapshot()
        except BaseException as exc:  # handed to the display thread, which raises it where it asked
            self._error = exc

    def take(self) -> dict:
        """The warmed-up rollout's state (`Rollout.snapshot`), waiting for it if it is not ready yet."""
        if self._thread is not None and self._thread.is_alive():
            self.late += 1
            waited = time.perf_counter()
            self._join()
            log.debug("a new dancer's warm-up came %.1f ms late", (time.perf_counter() - waited) * 1000)
        self._join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        if self._state is None:
            raise RuntimeError("Warmup.take() before start()")
        state, self._state = self._state, None
        return state

    def close(self) -> None:
        """Wait for a warm-up under way (the show is ending: its sessions are about to go)."""
        self._join()
        self._state = self._error = None

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
