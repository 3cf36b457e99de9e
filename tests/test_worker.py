"""The Worker lifecycle with real threads: every order of start, stop and close, deaths, hooks."""

import logging
import os
import sys
import threading
import time
from collections import Counter

import pytest
from waiting import wait_until

from livedance.errors import LivedanceError
from livedance.worker import NICE, Retry, Worker, run_nicer


class Probe(Worker):
    """Counts its hooks; its thread waits for the stop, then does what `then` says."""

    def __init__(self, join_timeout=None, then=None, open_error=None, close_error=None):
        super().__init__("livedance-probe", join_timeout)
        self.calls: Counter = Counter()
        self.then, self.open_error, self.close_error = then, open_error, close_error
        self.release = threading.Event()  # for a thread that ignores the stop

    def _open(self):
        self.calls["open"] += 1
        if self.open_error is not None:
            raise self.open_error

    def _run(self):
        self.calls["run"] += 1
        if self.then == "raise now":
            raise RuntimeError("boom")
        if self.then == "ignore the stop":
            self.release.wait(10)
            return
        self._stopping.wait()
        if self.then == "take a while":
            time.sleep(0.2)  # the subject's slow clean-up, for stop() to wait out
            self.calls["finished"] += 1

    def _wake(self):
        self.calls["wake"] += 1

    def _close(self):
        self.calls["close"] += 1
        error, self.close_error = self.close_error, None  # fails once, as an interrupted join would
        if error is not None:
            raise error


class Kept(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def records():
    """The worker's log records, kept by a handler of its own: livedance's logger stops
    propagating to pytest's once a command has run `logs.setup`."""
    logger, kept = logging.getLogger("livedance.worker"), Kept()
    logger.addHandler(kept)
    yield kept.records
    logger.removeHandler(kept)


def act(worker, step):
    if step == "start":
        assert worker.start() is worker  # refused or not, start() returns the worker
    else:
        assert getattr(worker, step)() is None


LIFECYCLES = [
    # steps, hook calls, threads started
    (["close"], {"wake": 1, "close": 1}, 0),  # never started: still released
    (["close", "close"], {"wake": 1, "close": 1}, 0),
    (["start", "close"], {"open": 1, "run": 1, "wake": 1, "close": 1}, 1),
    (["start", "close", "close"], {"open": 1, "run": 1, "wake": 1, "close": 1}, 1),
    (["start", "start", "close"], {"open": 1, "run": 1, "wake": 1, "close": 1}, 1),  # a second start: harmless
    (["close", "start"], {"wake": 1, "close": 1}, 0),  # closed: never starts
    (["start", "stop", "start", "close"], {"open": 1, "run": 1, "wake": 2, "close": 1}, 1),  # runs once
    (["stop", "start", "close"], {"wake": 2, "close": 1}, 0),
    (["start", "stop", "stop"], {"open": 1, "run": 1, "wake": 2}, 1),  # stopped, not released
]


@pytest.mark.parametrize("steps, calls, threads", LIFECYCLES, ids=[" ".join(case[0]) for case in LIFECYCLES])
def test_lifecycle(steps, calls, threads):
    worker = Probe()
    for step in steps:
        act(worker, step)
    assert worker.calls == calls
    assert len(worker.threads) == threads and not worker.alive
    assert worker.closed == ("close" in steps) and worker.died is None


def test_the_thread_is_a_named_daemon_running_until_stopped():
    worker = Probe().start()
    try:
        (thread,) = worker.threads
        assert thread.name == "livedance-probe" and thread.daemon
        wait_until(lambda: worker.calls["run"])
        assert worker.alive
    finally:
        worker.close()
    assert not thread.is_alive()


def test_stop_joins_a_thread_that_takes_a_while():
    worker = Probe(then="take a while").start()
    wait_until(lambda: worker.calls["run"])
    worker.stop()
    assert worker.calls["finished"] == 1 and not worker.alive


def test_stop_gives_up_on_a_stuck_thread_after_join_timeout():
    worker = Probe(join_timeout=0.1, then="ignore the stop").start()
    started = time.monotonic()
    worker.close()
    assert time.monotonic() - started < 5.0 and worker.alive and worker.closed
    worker.release.set()
    wait_until(lambda: not worker.alive)


@pytest.mark.parametrize(
    "error, reason",
    [
        (RuntimeError("boom"), "boom"),
        (RuntimeError("line one\n  line two"), "line one line two"),
        (KeyError("missing"), "'missing'"),
        (ValueError(), "ValueError"),
        (OSError(28, "No space left on device"), "[Errno 28] No space left on device"),
        (RuntimeError("x" * 500), "x" * 197 + "..."),
    ],
    ids=["message", "lines", "key", "empty", "errno", "long"],
)
def test_a_thread_that_dies_says_why_in_one_line_and_logs_its_traceback(records, error, reason):
    class Dies(Worker):
        def _run(self):
            raise error

    worker = Dies("livedance-dies").start()
    wait_until(lambda: worker.died)
    assert worker.died == reason and not worker.alive
    (record,) = records
    assert record.levelno == logging.ERROR
    assert record.getMessage() == f"thread livedance-dies died: {reason}"
    text = logging.Formatter().format(record)
    assert "Traceback (most recent call last)" in text and f"{type(error).__name__}" in text and "_run" in text
    worker.close()  # a dead worker still closes
    assert worker.closed


def test_a_failed_open_starts_nothing_and_may_be_tried_again():
    worker = Probe(open_error=LivedanceError("--port 1: taken"))
    with pytest.raises(LivedanceError, match="taken"):
        worker.start()
    assert worker.threads == () and not worker.closed
    worker.open_error = None
    assert worker.start() is worker and len(worker.threads) == 1
    worker.close()
    assert worker.calls == {"open": 2, "run": 1, "wake": 1, "close": 1}


def test_an_interrupted_close_runs_again():
    worker = Probe(close_error=KeyboardInterrupt()).start()
    with pytest.raises(KeyboardInterrupt):
        worker.close()
    assert not worker.closed
    worker.close()
    assert worker.closed and worker.calls["close"] == 2
    worker.close()
    assert worker.calls["close"] == 2


def test_close_reentered_while_closing_returns_at_once():
    """As from a signal handler on the closing thread: the outer close() finishes the work."""

    class Reenters(Probe):
        def _close(self):
            super()._close()
            self.close()
            assert not self.closed

    worker = Reenters().start()
    worker.close()
    assert worker.closed and worker.calls["close"] == 1


def test_close_from_the_workers_own_thread():
    class ClosesItself(Worker):
        def _run(self):
            self.close()

    worker = ClosesItself("livedance-self").start()
    wait_until(lambda: worker.closed)
    wait_until(lambda: not worker.alive)
    assert worker.died is None


def test_several_threads_start_and_stop_together_and_die_alone(records):
    class Two(Worker):
        def _targets(self):
            return [("livedance-a", self._wait), ("livedance-b", self._fail)]

        def _wait(self):
            self._stopping.wait()

        def _fail(self):
            raise RuntimeError("b broke")

    worker = Two("unused").start()
    assert [t.name for t in worker.threads] == ["livedance-a", "livedance-b"]
    wait_until(lambda: worker.died)
    assert worker.died == "b broke" and worker.alive  # a still runs
    worker.close()
    assert not worker.alive


def test_a_context_manager_starts_and_closes():
    with Probe() as worker:
        assert worker.alive
    assert worker.closed and not worker.alive


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priorities are Linux's")
def test_a_worker_s_threads_yield_to_the_thread_that_started_them():
    seen = {}

    class Nice(Worker):
        def _run(self):
            seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    worker = Nice("livedance-test").start()
    wait_until(lambda: "nice" in seen)
    worker.close()
    assert seen["nice"] == min(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) + NICE, 19)


def test_run_nicer_hands_back_the_result_and_the_exception():
    assert run_nicer(lambda: threading.current_thread().name) == "livedance-open"
    with pytest.raises(LivedanceError, match="refused"):
        run_nicer(lambda: (_ for _ in ()).throw(LivedanceError("refused")))


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priorities are Linux's")
def test_threads_started_inside_run_nicer_inherit_its_priority():
    seen = {}

    def library_open():
        def library_thread():
            seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

        thread = threading.Thread(target=library_thread)
        thread.start()
        thread.join()

    run_nicer(library_open)
    assert seen["nice"] == min(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) + NICE, 19)


def test_retry_waits_longer_after_each_failure_and_starts_over_when_lost():
    retry = Retry(5.0)
    waits = [retry.failed(False, "busy") for _ in range(5)]
    assert [delay for _, delay in waits] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert waits[0][0] == "won't open (busy); retrying in 1 s"
    assert retry.failed(True, "unplugged") == ("lost (unplugged); retrying in 1 s", 1.0)
    assert retry.failed(False, "gone") == ("lost; won't reopen (gone); retrying in 2 s", 2.0)
    with pytest.raises(ValueError, match="retry_max 0"):
        Retry(0)
