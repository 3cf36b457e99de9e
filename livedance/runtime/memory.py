"""Giving freed memory back to the system after a model switch.

A switch loads a bundle on the switcher's thread and frees the old one when its crossfade
ends. glibc keeps what onnxruntime's sessions freed in its per-thread arenas, so the process
grew by tens of megabytes a switch over an hour-long soak (docs/reliability.md) without
leaking anything; `malloc_trim` hands it back. Elsewhere (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading


def _trim() -> None:
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def release_free_memory() -> None:
    """Trim the C heap on a short thread of its own: walking the arenas takes milliseconds."""
    if sys.platform.startswith("linux"):
        threading.Thread(target=_trim, name="livedance-trim", daemon=True).start()
