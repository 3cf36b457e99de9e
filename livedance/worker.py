"""One lifecycle for every object that owns a thread: the camera, capture, OSC, MIDI and the writers.

Shaped like mido's `BasePort`: the public methods hold the lock and the bookkeeping, a subclass
writes only the hooks. `_open()` acquires what the threads need and may raise (start() then
leaves the worker unstarted, to be tried again); `_run()` is the thread's body and returns once
`_stopping` is set; `_wake()` gets a thread past a blocking wait at once (a queue sentinel, a
datagram to itself); `_close()` releases what is left after the threads are joined.

A worker runs once: start() after stop() or close() starts nothing, and so does a second
start(). close() is safe twice, before start() and from the worker's own thread (which is never
joined); one re-entered from a signal handler while closing returns at once, and one
interrupted (KeyboardInterrupt in a join) runs again next time.

A thread that dies from an exception logs its traceback and leaves the reason in one line in
`died`, for the owner's status line: a fault a subclass expects stays in the subclass.

On Linux a worker's threads run at a lower priority than the display thread (`NICE` steps
nicer; raising a thread's nice value needs no privilege): on two cores an encoder or a stream
busy at the wrong moment then waits for the frame, not the frame for it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Self, TypeVar

from livedance.errors import one_line

log = logging.getLogger(__name__)

T = TypeVar("T")
NICE = 5  # how much nicer a worker's threads are than the thread that started them


def lower_priority(steps: int = NICE) -> None:
    """Make the calling thread `steps` nicer, on Linux (elsewhere the priority is the process's)."""
    if sys.platform != "linux" or steps <= 0:
        return
    thread = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread, min(os.getpriority(os.PRIO_PROCESS, thread) + steps, 19))
    except OSError as exc:  # a sandbox that forbids it: the thread runs at the show's priority
        log.debug("could not lower thread %s's priority: %s", thread, exc)


def run_nicer(call: Callable[[], T]) -> T:
    """`call()` on a short-lived thread of lower priority, its result or its exception returned
    here: threads a library starts inside it (NDI's senders) inherit the lower priority."""
    outcome: list = []

    def body() -> None:
        lower_priority()
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # handed back to the caller's thread, whatever it is
            outcome.append((False, exc))

    thread = threading.Thread(target=body, name="livedance-open", daemon=True)
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


class Worker:
    """Daemon threads started by start(), ended by stop(), released by close(); see the module docstring.

    `name` names the thread; `join_timeout` bounds how long stop() waits for each (None: until it
    ends), so a thread stuck in a device call cannot hang the show's exit.
    """

    def __init__(self, name: str, join_timeout: float | None = None):
        self.died: str | None = None  # one line: why a thread died from an exception
        self.closed = False
        self._name = name
        self._join_timeout = join_timeout
        self._stopping = threading.Event()  # the bodies' signal to return
        self._threads: list[threading.Thread] = []
        self._lock = threading.RLock()
        self._started = False
        self._closing = False

    # --- the hooks ---------------------------------------------------------------------------
    def _open(self) -> None:
        """Acquire what the threads need, before they start; raising here fails start()."""

    def _run(self) -> None:
        """The thread's body: return once `_stopping` is set."""

    def _targets(self) -> list[tuple[str, Callable[[], None]]]:
        """(thread name, body) for each thread to start: one running `_run` unless overridden."""
        return [(self._name, self._run)]

    def _wake(self) -> None:
        """Get the threads past a blocking wait now rather than at their next timeout."""

    def _close(self) -> None:
        """Release what is left once the threads are joined (called even when never started)."""

    # --- the lifecycle -----------------------------------------------------------------------
    def start(self) -> Self:
        """Open and start the threads; the worker itself, so `x = Worker(...).start()` reads well."""
        with self._lock:
            if self._started or self._stopping.is_set() or self.closed or self._closing:
                return self
            self._open()
            self._started = True
            for name, target in self._targets():
                thread = threading.Thread(target=self._body, args=(target,), name=name, daemon=True)
                self._threads.append(thread)
                thread.start()
        return self

    def stop(self) -> None:
        """Tell the threads to end, wake them and join them (within `join_timeout` each)."""
        self._stopping.set()
        self._wake()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(self._join_timeout)

    def close(self) -> None:
        """stop(), then release everything; idempotent."""
        with self._lock:
            if self.closed or self._closing:
                return
            self._closing = True
            try:
                self.stop()
                self._close()
                self.closed = True
            finally:
                self._closing = False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def threads(self) -> tuple[threading.Thread, ...]:
        """The threads started, alive or not."""
        return tuple(self._threads)

    @property
    def alive(self) -> bool:
        """Some thread of this worker is still running."""
        return any(thread.is_alive() for thread in self._threads)

    def _body(self, target: Callable[[], None]) -> None:
        lower_priority()
        try:
            target()
        except Exception as exc:  # the traceback goes to the log, then the owner sees `died`
            reason = one_line(exc)
            log.error("thread %s died: %s", threading.current_thread().name, reason, exc_info=True)
            self.died = reason


class Retry:
    """How a device's thread retries (camera, audio): waits of 1, 2, 4 ... `most` s after each
    failure, and the status line's words for it; a device lost after it worked starts them over."""

    def __init__(self, most: float):
        if not most > 0:
            raise ValueError(f"retry_max {most}: expected a positive number of seconds")
        self.most = float(most)
        self.failures = 0  # consecutive attempts that gave nothing: sets the wait
        self.was_lost = False

    def failed(self, lost: bool, reason: str | None) -> tuple[str, float]:
        """After a failure (`lost` mid-show, else won't open): (what the status says, seconds to wait)."""
        if lost:
            self.was_lost, self.failures = True, 0
            what = f"lost ({reason})"
        else:
            what = f"lost; won't reopen ({reason})" if self.was_lost else f"won't open ({reason})"
        delay = min(2.0**self.failures, self.most)
        self.failures = min(self.failures + 1, 30)
        return f"{what}; retrying in {delay:g} s", delay

    @property
    def first(self) -> bool:
        """The failure just counted starts a run of them: the one the log hears of."""
        return self.failures == 1
