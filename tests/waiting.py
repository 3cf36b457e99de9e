"""wait_until: the tests' one way to wait for a thread to get somewhere.

A bare sleep either wastes time or, on a loaded machine, is too short and makes a test flaky;
polling a condition with a deadline does neither, and says what it waited for when it fails.
"""

import inspect
import time

import pytest


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.005, message: str | None = None):
    """Poll `predicate` every `interval` s until it returns something true, and return that; fail
    the test after `timeout` s, naming the condition (its source line) and `message`."""
    __tracebackhide__ = True  # the failure points at the test's line, not at this loop
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    what = _describe(predicate) + (f" ({message})" if message else "")
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}")


def _describe(predicate) -> str:
    name = getattr(predicate, "__qualname__", repr(predicate))
    if getattr(predicate, "__name__", "") != "<lambda>":
        return name
    try:
        return inspect.getsource(predicate).strip().splitlines()[0]
    except (OSError, TypeError):
        return name
