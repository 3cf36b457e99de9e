"""The hand-over from control threads (OSC, MIDI, the camera) to the display loop.

Control threads never touch the instrument. They turn what arrived into a `Control` (a
parameter name from `params.REGISTRY` and a value already coerced to its natural type and
range) and `submit` it; the loop drains the queue at the top of every frame, so a control
shows in the next frame drawn. `offer` is the one call a thread needs: it looks the parameter
up, coerces (or maps a 0..1 value), counts what was clamped or refused, keeps the last refusal
for the HUD, and never raises.

The other way, the loop `publish`es every value it applied: `values` is a latest-value slot
per parameter that threads read (MIDI pick-up needs the current value, OSC answers queries),
and each `listen()` queue (OSC feedback) gets every change.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

import numpy as np

from livedance.control import params as _params
from livedance.errors import LivedanceError

REFUSAL_CHARS = 300  # a refusal quotes what was sent: a 60 KB string must not become a 60 KB HUD line


@dataclass
class Control:
    """One change for the loop to make.

    value: natural units, already coerced (None: a trigger with no amount).
    op: "set", or "toggle" (a switch flips; a number goes between its default and toggle_on).
    received: time.perf_counter() when it arrived (control-to-frame latency starts here).
    due: perf_counter time it should act (an OSC bundle's timetag); 0 = at once.
    index: the latent dimension, for the "latent" vector.
    """

    name: str
    value: object = None
    source: str = "key"
    received: float = 0.0
    due: float = 0.0
    index: int | None = None
    op: str = "set"


class SourceCounts:
    """What one source sent: messages taken, values clamped into range, messages refused."""

    __slots__ = ("received", "clamped", "refused")

    def __init__(self):
        self.received = 0
        self.clamped = 0
        self.refused = 0

    def __repr__(self) -> str:
        return f"{self.received} received, {self.clamped} clamped, {self.refused} refused"


class ControlBus:
    def __init__(self):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self.counts: dict[str, SourceCounts] = {}
        self.last_refusal: str | None = None  # one line, for the HUD
        self.values: dict[str, object] = {}  # latest applied value per parameter (the loop writes)
        self.status: dict[str, str] = {}  # one line per input (e.g. "osc": "127.0.0.1:9000"), for the HUD
        self.learning: str | None = None  # the parameter MIDI learn is armed for, if any
        self._listeners: list[queue.SimpleQueue] = []

    # --- control threads -----------------------------------------------------------------------
    def submit(self, control: Control) -> None:
        """Queue a control for the next frame (any thread; never blocks)."""
        if not control.received:
            control.received = time.perf_counter()
        self._queue.put(control)

    def offer(
        self,
        name: str,
        value=None,
        source: str = "osc",
        *,
        norm: bool = False,
        index: int | None = None,
        op: str = "set",
        due: float = 0.0,
        received: float | None = None,
    ) -> bool:
        """Look up, coerce (or map from 0..1 when `norm`), count and submit; False when refused.

        Never raises: a refusal is counted against `source` and kept in `last_refusal`.
        """
        counts = self.count(source)
        try:
            param = _params.lookup(name)
            if op == "toggle" or (param.kind.fires and value is None):
                coerced, clamped = None, False
            elif norm:
                coerced, clamped = _params.from_norm(param, value)
            else:
                coerced, clamped = _params.coerce(param, value)
            if param.kind.indexed and index is not None and not (isinstance(index, int) and index >= 0):
                raise LivedanceError(f"{name}/{index}: expected a dimension index >= 0")
            if index is not None and isinstance(coerced, np.ndarray):
                raise LivedanceError(f"{name}/{index}: expected one number for one dimension")
            if param.kind.indexed and index is None and op == "set" and not isinstance(coerced, np.ndarray):
                raise LivedanceError(f"{name}: expected one number per dimension, or a dimension index for one")
        except LivedanceError as exc:
            with self._lock:
                counts.refused += 1
                self.last_refusal = _capped(f"{source}: {exc}")
            return False
        with self._lock:
            counts.received += 1
            counts.clamped += bool(clamped)
        self.submit(Control(name, coerced, source, received or time.perf_counter(), due, index, op))
        return True

    def count(self, source: str) -> SourceCounts:
        with self._lock:
            counts = self.counts.get(source)
            if counts is None:
                counts = self.counts[source] = SourceCounts()
            return counts

    def refuse(self, source: str, reason: str) -> None:
        """Count a message a source could not even turn into a parameter (wrong address, bad bytes)."""
        counts = self.count(source)
        with self._lock:
            counts.refused += 1
            self.last_refusal = _capped(f"{source}: {reason}")

    def listen(self) -> queue.SimpleQueue:
        """A queue that gets (name, value, index) for every value the loop applies.

        `values` keys a latent dimension as "latent/<i>"."""
        listener: queue.SimpleQueue = queue.SimpleQueue()
        self._listeners.append(listener)
        return listener

    def unlisten(self, listener: queue.SimpleQueue) -> None:
        """Stop feeding a listener (its sender closed)."""
        try:
            self._listeners.remove(listener)
        except ValueError:
            pass

    # --- the loop ------------------------------------------------------------------------------
    def drain(self, into: list) -> list:
        """Move every queued control into `into` (a list the caller reuses); returns it."""
        pending = self._queue
        while not pending.empty():  # asked first: an Empty raised every frame would allocate its exception
            into.append(pending.get_nowait())
        return into

    def publish(self, name: str, value, index: int | None = None) -> None:
        """The loop applied `value`: update the latest-value slot and tell the listeners."""
        self.values[name if index is None else f"{name}/{index}"] = value
        for listener in self._listeners:
            listener.put((name, value, index))


def _capped(text: str) -> str:
    """The line's start and end (what was refused, and what was expected), the middle cut out."""
    if len(text) <= REFUSAL_CHARS:
        return text
    half = (REFUSAL_CHARS - 5) // 2
    return f"{text[:half]} ... {text[-half:]}"
