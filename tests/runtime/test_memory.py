"""Giving freed memory back: the trim after a model switch, large blocks mapped."""

import ctypes
import sys
import threading

import pytest
from waiting import wait_until

from livedance.runtime.memory import MAP_BYTES, map_large_blocks, release_free_memory

GLIBC = sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "mallinfo2")


class MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's (Linux)")
def test_the_trim_runs_on_a_thread_of_its_own_and_ends():
    release_free_memory()
    wait_until(lambda: not any(t.name == "livedance-trim" for t in threading.enumerate()))


@pytest.mark.skipif(not GLIBC, reason="mallopt and mallinfo2 are glibc's (2.33 or later)")
def test_a_block_of_a_megabyte_is_mapped_even_after_a_larger_one_was_freed():
    """Left to itself, glibc would raise its threshold to the freed 16 MB block's size and
    carve the next few megabytes from the heap, where they leave holes (runtime/memory.py)."""
    libc = ctypes.CDLL(None)
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallinfo2.restype = MallInfo2
    assert map_large_blocks()
    libc.free(libc.malloc(16 * MAP_BYTES))
    before = libc.mallinfo2().hblkhd
    block = libc.malloc(2 * MAP_BYTES)
    try:
        assert libc.mallinfo2().hblkhd - before >= 2 * MAP_BYTES
    finally:
        libc.free(block)
    assert libc.mallinfo2().hblkhd == before  # unmapped as it was freed
