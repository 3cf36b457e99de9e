"""Loading another model, or the same one for a different number of dancers, mid-show.

Finding the bundle on disk, opening onnxruntime sessions and warming them up takes a few
hundred milliseconds: far more than a frame. The switcher does it all on its own thread
while the current dancers keep dancing; the display loop polls it once per frame (a
non-blocking look at a latest-value slot) and swaps the new engine and choreographer in when
they are ready. The old dancers then dissolve out over `FADE_SECONDS` (`Crossfade`).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from livedance.errors import LivedanceError, one_line
from livedance.live.choreographer import Choreographer
from livedance.runtime.bundle import resolve_bundle_path, shipped_bundles
from livedance.runtime.engine import Engine

log = logging.getLogger(__name__)

Loaded = tuple[Engine, Choreographer, str]  # a finished load: what `Instrument.swap_in` takes

FADE_SECONDS = 1.0  # a model switch crossfades the old dancers' frames into the new ones'


def find_bundle(model: str | int, named: Path | None = None) -> Path:
    """A model named by the controls: a name in models/, an index into them, or the name of the
    bundle the user `named` on the command line (--model). Never a path: a control on the
    network must not pick what is loaded from disk (docs/security.md)."""
    names = shipped_bundles()
    if isinstance(model, int):
        if not 0 <= model < len(names):
            raise LivedanceError(
                f"model {model}: there are {len(names)} models in models/ ({', '.join(names)}), numbered from 0"
            )
        model = names[model]
    if named is not None and model == named.name:
        return named
    if model not in names:
        known = ", ".join([*names, *([named.name] if named is not None and named.name not in names else [])])
        raise LivedanceError(f"model {model!r}: no model bundle there; expected one of {known}, by name")
    return resolve_bundle_path(f"models/{model}")


class Switcher:
    def __init__(self, named: Path | None = None) -> None:
        self.named = named  # the bundle the show started with (--model): controls may name it too
        self._thread: threading.Thread | None = None
        self._ready: Loaded | LivedanceError | None = None  # (engine, choreographer, what) or the error, once
        self._queued: tuple | None = None  # the newest request made while loading
        self.pending: str | None = None  # what is loading, for the HUD
        self.outgoing: Crossfade | None = None  # the previous model's dancers while they fade out

    @property
    def busy(self) -> bool:
        """A load under way or a crossfade still running: the loop has something to settle."""
        return self.pending is not None or self.outgoing is not None

    def request(self, model: str | int | Path, dancers: int, seed: int, what: str) -> None:
        """Start loading `model` (see `find_bundle`) for `dancers` dancers dancing from `seed`.
        While a load is under way the newest request waits its turn (a fader swept over the
        dancer count lands on where it stopped), replacing any that waited before it."""
        if self.pending is not None:
            self._queued = (model, dancers, seed, what)
            return
        self.pending = what
        self._thread = threading.Thread(
            target=self._load, args=(model, dancers, seed, what), name="livedance-switcher", daemon=True
        )
        self._thread.start()

    def _load(self, model, dancers: int, seed: int, what: str) -> None:
        """Ends with `_ready` set, always: the loaded parts, or one line saying why the show plays
        on without them (a name that is not there says which ones are; a bundle that is, what is
        wrong with it)."""
        path = None
        try:
            path = model if isinstance(model, Path) else find_bundle(model, self.named)
            engine = Engine(path, dancers=dancers).prepare()
            self._ready = (engine, Choreographer(engine, dancers=dancers, seed=seed), what)
        except LivedanceError as exc:
            log.warning("%s: not loaded: %s", what, exc)
            self._ready = exc if path is None else LivedanceError(f"{what}: not loaded: {exc}")
        except Exception as exc:  # a broken file must not take the show down: say it on the HUD
            log.warning("%s", one_line(exc), exc_info=True)
            self._ready = LivedanceError(f"{what}: not loaded: {type(exc).__name__}: {one_line(exc, 200, first=True)}")

    def poll(self) -> Loaded | LivedanceError | None:
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


class Crossfade:
    """The previous model's dancers, still dancing while they dissolve out over the new ones."""

    def __init__(self, engine: Engine, choreographer: Choreographer, start: float):
        self.engine, self.choreographer, self.start = engine, choreographer, start

    def done(self, now: float) -> bool:
        return now - self.start >= FADE_SECONDS

    def snapshot(self) -> dict:
        """The outgoing dancers, as copies (a session log's snapshot taken mid-crossfade)."""
        return {"choreographer": self.choreographer.snapshot(), "start": self.start}

    @classmethod
    def restored(cls, state: dict, model: str | None = None) -> Crossfade:
        """The crossfade `snapshot` saw, its dancers loaded again (from `model` where given)."""
        dancer = state["choreographer"]
        engine = Engine(model or dancer["model"], dancers=int(dancer["dancers"])).prepare()
        choreographer = Choreographer(engine, dancers=engine.dancers, seed=int(dancer["seed"]))
        choreographer.restore(dancer)
        return cls(engine, choreographer, float(state["start"]))

    def frame(self, now: float) -> tuple[np.ndarray, float]:
        """The outgoing dancers at `now` (their engine's own buffer) and the new ones' share, eased."""
        progress = min(max((now - self.start) / FADE_SECONDS, 0.0), 1.0)
        return self.engine.decode(self.choreographer.frame(now)), progress * progress * (3.0 - 2.0 * progress)
