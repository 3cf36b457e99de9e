"""Giving freed memory back to the system: after a model switch, and every `TRIM_SECONDS`.

A switch loads a bundle on the switcher's thread and frees the old one when its crossfade
ends. glibc keeps what onnxruntime's sessions freed in its per-thread arenas, so the process
grew by tens of megabytes a switch over an hour-long soak (docs/reliability.md) without
leaking anything; `malloc_trim` hands it back. A take's encoder, a camera clip's decoder and
the page's previews leave the same kind of holes, a few megabytes a take, so the show also
trims now and then; it takes about a millisecond, on a thread of its own. Elsewhere (macOS,
Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import sys
import threading

TRIM_SECONDS = 30.0  # how often a running show gives freed memory back


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
