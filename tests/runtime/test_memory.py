"""Giving freed memory back after a model switch."""

import sys
import threading

import pytest
from waiting import wait_until

from livedance.runtime.memory import release_free_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's (Linux)")
def test_the_trim_runs_on_a_thread_of_its_own_and_ends():
    release_free_memory()
    wait_until(lambda: not any(t.name == "livedance-trim" for t in threading.enumerate()))
