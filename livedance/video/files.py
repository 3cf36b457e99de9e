"""Video files the show writes: the codecs tried per container, best first, and the writer."""

from __future__ import annotations

from pathlib import Path

import cv2

from livedance.errors import LivedanceError
from livedance.quiet import quiet_stderr

# Containers and the codecs tried for them, best first (avc1 needs an H.264 encoder that
# many OpenCV builds lack; mp4v always works).
CODECS = {".mp4": ("avc1", "mp4v"), ".mkv": ("avc1", "mp4v", "MJPG"), ".avi": ("MJPG", "XVID")}


def open_writer(path: Path, fps: float, size: tuple[int, int]):
    """A cv2.VideoWriter for the first codec that opens; returns (writer, codec, codecs_failed)."""
    codecs = CODECS.get(path.suffix.lower())
    if codecs is None:
        raise LivedanceError(f"{path}: unsupported video type; expected one of {', '.join(CODECS)}")
    failed: list[str] = []
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        for codec in codecs:
            with quiet_stderr():
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*codec), float(fps), size)
            if writer.isOpened():
                return writer, codec, failed
            writer.release()
            failed.append(codec)
    finally:
        cv2.utils.logging.setLogLevel(level)
    raise LivedanceError(f"{path}: OpenCV could not open a video writer with any of {', '.join(codecs)}")
