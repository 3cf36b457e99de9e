"""wait_until, the tests' helper for waiting on threads: it returns what came true, or fails naming the wait."""

import threading

import pytest
from waiting import wait_until


def test_returns_the_first_true_value():
    values = iter([0, None, "", [], 7, 8])
    assert wait_until(lambda: next(values), interval=0) == 7


def test_sees_another_thread_get_there():
    done = threading.Event()
    threading.Timer(0.05, done.set).start()
    assert wait_until(done.is_set) is True


def test_a_timeout_fails_naming_the_lambda_and_the_message():
    with pytest.raises(pytest.fail.Exception) as failed:
        wait_until(lambda: 1 > 2, timeout=0.05, message="never")
    assert (
        str(failed.value)
        == 'timed out after 0.05 s waiting for wait_until(lambda: 1 > 2, timeout=0.05, message="never") (never)'
    )


def test_a_timeout_fails_naming_a_function():
    def nothing_yet():
        return None

    with pytest.raises(pytest.fail.Exception, match=r"^timed out after 0.01 s waiting for .*<locals>\.nothing_yet$"):
        wait_until(nothing_yet, timeout=0.01)
