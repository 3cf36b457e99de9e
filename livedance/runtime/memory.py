"""Giving freed memory back to the system: large blocks mapped, the heap trimmed after a model
switch and every `TRIM_SECONDS`.

A switch loads a bundle on the switcher's thread and frees the old one when its crossfade
ends. glibc keeps what onnxruntime's sessions freed in its per-thread arenas, so the process
grew by tens of megabytes a switch over an hour-long soak (docs/reliability.md) without
leaking anything; `malloc_trim` hands it back. A take's encoder, a camera clip's decoder and
the page's previews leave the same kind of holes, a few megabytes a take, so the show also
trims now and then; it takes about a millisecond, on a thread of its own. Elsewhere (macOS,
Windows, musl) it does nothing.

Trimming could not keep up with a take's encoder: glibc raises its threshold for mapping a
block each time a mapped block is freed, so after the first take the encoder's frames (a few
megabytes each, 95 MB in all at 1080p) came from the heap, and every take left larger holes
in it; the process grew by a quarter over half an hour of soak while the memory in use stayed
flat (docs/reliability.md). `map_large_blocks` fixes the threshold at `MAP_BYTES`: such blocks
are mapped and go back to the system as they are freed. The show's own loop allocates no
such block per frame.
"""

from __future__ import annotations

import ctypes
import sys
import threading

TRIM_SECONDS = 30.0  # how often a running show gives freed memory back
MAP_BYTES = 1 << 20  # blocks this large or larger are mapped, and unmapped when freed
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)


def map_large_blocks() -> bool:
    """Fix glibc's threshold for mapping a block at `MAP_BYTES`; False where it could not."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return bool(ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, MAP_BYTES))
    except (OSError, AttributeError):  # not glibc
        return False


def _trim() -> None:
    try:  # the C library the process already runs on (no search for it: that forks a program)
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


trims = 0  # trims asked for in this process


def release_free_memory() -> None:
    """Trim the C heap on a short thread of its own: walking the arenas takes milliseconds."""
    global trims
    trims += 1
    if sys.platform.startswith("linux"):
        threading.Thread(target=_trim, name="livedance-trim", daemon=True).start()
