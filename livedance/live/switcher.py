"""Loading another model, or the same one for a different number of dancers, mid-show.

Opening onnxruntime sessions and warming them up takes a few hundred milliseconds: far more
than a frame. The switcher does it on its own thread while the current dancers keep dancing;
the display loop polls it once per frame (a non-blocking look at a latest-value slot) and
swaps the new engine and choreographer in when they are ready.
"""

from __future__ import annotations

import logging
import threading

from livedance.errors import LivedanceError, one_line
from livedance.live.choreographer import Choreographer
from livedance.runtime.engine import Engine

log = logging.getLogger(__name__)


class Switcher:
    def __init__(self):
        self._thread: threading.Thread | None = None
        self._ready = None  # (engine, choreographer, what) or a LivedanceError, once
        self._queued = None  # the newest request made while loading
        self.pending: str | None = None  # what is loading, for the HUD

    def request(self, model_path, dancers: int, seed: int, what: str) -> None:
        """Start loading `model_path` for `dancers` dancers dancing from `seed`. While a load is
        under way the newest request waits its turn (a fader swept over the dancer count
        lands on where it stopped), replacing any that waited before it."""
        if self.pending is not None:
            self._queued = (model_path, dancers, seed, what)
            return
        self.pending = what
        self._thread = threading.Thread(
            target=self._load, args=(model_path, dancers, seed, what), name="livedance-switcher", daemon=True
        )
        self._thread.start()

    def _load(self, model_path, dancers: int, seed: int, what: str) -> None:
        try:
            engine = Engine(model_path, dancers=dancers).prepare()
            self._ready = (engine, Choreographer(engine, dancers=dancers, seed=seed), what)
        except LivedanceError as exc:
            self._ready = exc
        except Exception as exc:  # a broken file must not take the show down: say it on the HUD
            log.warning("%s", one_line(exc), exc_info=True)
            self._ready = LivedanceError(f"{what}: {type(exc).__name__}: {one_line(exc, None, first=True)}")

    def poll(self):
        """(engine, choreographer, what) when a load finished, a LivedanceError when it failed, else None."""
        ready = self._ready
        if ready is None:
            return None
        self._ready = None
        self.pending = None
        if self._queued is not None:
            queued, self._queued = self._queued, None
            self.request(*queued)
        return ready

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=5.0)
