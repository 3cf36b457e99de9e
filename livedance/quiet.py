"""Silencing C libraries that write straight to file descriptor 2, past Python's sys.stderr.

FFmpeg (while OpenCV probes codecs), ALSA (while mido probes for a MIDI system) and
TensorFlow (at import) print lines a user should never see for a question that has a clean
answer of our own. The lock keeps two threads from swapping fd 2 under each other.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

_LOCK = threading.RLock()  # re-entrant: a quiet block inside another on the same thread must not hang


@contextlib.contextmanager
def quiet_stderr():
    """Point fd 2 at /dev/null for the duration (what other threads write to it meanwhile is lost)."""
    with _LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):
            yield  # no fd 2 to silence
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)


def quiet_ffmpeg() -> None:
    """Keep FFmpeg's own lines about a damaged file ('moov atom not found', 'ac-tex damaged')
    off the terminal, where livedance's one line says what is wrong with it. OpenCV reads the
    level at its first capture, so call this before; a level the user set (32: FFmpeg's
    errors again) is kept."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
