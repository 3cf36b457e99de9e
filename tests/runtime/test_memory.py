"""Keeping the C heap from growing: the trim after a model switch, glibc tuned at start."""

import ctypes
import subprocess
import sys
import threading

import pytest
from waiting import wait_until

from livedance.runtime.memory import ARENAS, MAP_BYTES, release_free_memory

GLIBC = sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "mallinfo2")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's (Linux)")
def test_the_trim_runs_on_a_thread_of_its_own_and_ends():
    release_free_memory()
    wait_until(lambda: not any(t.name == "livedance-trim" for t in threading.enumerate()))


def in_a_fresh_process(script: str, tuned: bool) -> subprocess.CompletedProcess:
    """glibc's state is the process's own: each check starts from a new one."""
    done = subprocess.run(
        [sys.executable, "-c", script, "tuned" if tuned else "untuned"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done


MAPPED = """
import ctypes, sys
from livedance.runtime.memory import MAP_BYTES, tune_heap
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "tuned":
    assert tune_heap()
libc.free(libc.malloc(16 * MAP_BYTES))
before = libc.mallinfo2().hblkhd
block = libc.malloc(2 * MAP_BYTES)
mapped = libc.mallinfo2().hblkhd - before
libc.free(block)
print(mapped, libc.mallinfo2().hblkhd - before)
"""


@pytest.mark.skipif(not GLIBC, reason="mallopt and mallinfo2 are glibc's (2.33 or later)")
@pytest.mark.parametrize("tuned", [True, False], ids=["tuned", "untuned"])
def test_a_block_of_a_megabyte_is_mapped_even_after_a_larger_one_was_freed(tuned):
    """Left to itself, glibc raises its threshold to the freed 16 MB block's size and carves the
    next few megabytes from the heap, where they leave holes (runtime/memory.py). In a fresh
    process: one that has run for a while serves such a block from its heap's free space."""
    done = in_a_fresh_process(MAPPED, tuned)
    mapped, left = (int(word) for word in done.stdout.split())
    if tuned:
        assert mapped >= 2 * MAP_BYTES and left == 0  # mapped, and unmapped as it was freed
    else:
        assert mapped == 0


THREADS = """
import ctypes, sys, threading
from livedance.runtime.memory import tune_heap
if sys.argv[1] == "tuned":
    assert tune_heap()
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
together = threading.Barrier(8)
def allocate():
    together.wait()  # all eight alive at once, each allocating for the first time
    libc.malloc(4096)
threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
libc.malloc_stats()  # one "Arena N:" block per arena, on stderr
"""


@pytest.mark.skipif(not GLIBC, reason="mallopt and malloc_stats are glibc's")
@pytest.mark.parametrize("tuned", [True, False], ids=["tuned", "untuned"])
def test_eight_threads_share_the_tuned_arenas(tuned):
    """The untuned case shows the measure can fail: glibc gives each new thread an arena."""
    done = in_a_fresh_process(THREADS, tuned)
    arenas = sum(line.startswith("Arena ") for line in done.stderr.splitlines())
    assert (arenas <= ARENAS) if tuned else (arenas > ARENAS), done.stderr
