"""Keeping the C heap from growing: glibc tuned at start, the heap trimmed after a model
switch and every `TRIM_SECONDS`.

A switch loads a bundle on the switcher's thread and frees the old one when its crossfade
ends. glibc keeps what onnxruntime's sessions freed in its per-thread arenas, so the process
grew by tens of megabytes a switch over an hour-long soak (docs/reliability.md) without
leaking anything; `malloc_trim` hands it back. A take's encoder, a camera clip's decoder and
the page's previews leave the same kind of holes, a few megabytes a take, so the show also
trims now and then; it takes about a millisecond, on a thread of its own.

Trimming could not keep up with the rest, so `tune_heap` sets two of glibc's parameters
before the show starts (docs/reliability.md has the soaks that found them):
- glibc raises its threshold for mapping a block each time a mapped block is freed, so after
  the first take the encoder's frames (a few megabytes each, 95 MB in all at 1080p) came from
  the heap and every take left larger holes in it: a quarter's growth in half an hour while
  the memory in use stayed flat. Blocks of `MAP_BYTES` or more are now always mapped, and go
  back to the system as they are freed.
- Each of the show's threads (capture, writer, web, switcher, warm-ups) got an arena of its
  own, up to 16 on two cores, each with its own holes: the held heap still grew by a third in
  six minutes. `ARENAS` arenas hold it flat; the threads allocate little once running.
Elsewhere (macOS, Windows, musl) none of this does anything.
"""

from __future__ import annotations

import ctypes
import sys
import threading

TRIM_SECONDS = 30.0  # how often a running show gives freed memory back
MAP_BYTES = 1 << 20  # blocks this large or larger are mapped, and unmapped when freed
ARENAS = 2  # arenas all the threads share
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # glibc's mallopt parameters (malloc.h)


def _glibc(name: str):
    """The C library's function `name` (the library the process already runs on: no search for
    it, which forks a program), or None where it has none (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None


def tune_heap() -> bool:
    """Fix glibc's threshold for mapping a block at `MAP_BYTES` and its arenas at `ARENAS`, for
    the threads started from now on; False where it could not."""
    mallopt = _glibc("mallopt")
    return mallopt is not None and bool(mallopt(M_MMAP_THRESHOLD, MAP_BYTES)) and bool(mallopt(M_ARENA_MAX, ARENAS))


def _trim() -> None:
    malloc_trim = _glibc("malloc_trim")
    if malloc_trim is not None:
        malloc_trim(0)


trims = 0  # trims asked for in this process


def release_free_memory() -> None:
    """Trim the C heap on a short thread of its own: walking the arenas takes milliseconds."""
    global trims
    trims += 1
    if sys.platform.startswith("linux"):
        threading.Thread(target=_trim, name="livedance-trim", daemon=True).start()
