"""The page's preview: the show's frames, small and slow, as JPEG, off the display thread.

A `Sink` like the outputs: the feed draws it at its own size (320 px wide) from the decoded ink,
15 times a second and only while a browser is watching, and the display thread only copies that
small frame into the sink's latest-value slot. The sink's thread encodes it with OpenCV and
hands the bytes to the server, which keeps only the newest for each browser: a slow one gets
fewer frames, never a queue.
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np

from livedance.outputs.sink import Sink

WIDTH = 320
FPS = 15.0
QUALITY = 70  # JPEG quality: a 320 px dancer in a few kilobytes


class Screen(Protocol):
    """Where the preview goes (the web server): whether anyone watches, and the frames."""

    @property
    def watching(self) -> bool: ...

    def show_preview(self, jpeg: bytes) -> None: ...


def preview_size(window: tuple[int, int], width: int = WIDTH) -> tuple[int, int]:
    """`width` wide (never wider than the window) and the window's shape, both even for the encoder."""
    width = min(width, window[0])
    height = max(2, round(width * window[1] / window[0]))
    return width - width % 2, height - height % 2


class PreviewSink(Sink):
    kind = "preview"

    def __init__(self, screen: Screen, window: tuple[int, int], width: int = WIDTH, fps: float = FPS):
        super().__init__("web", preview_size(window, width), channels=3, fps=fps)
        self.screen = screen
        self._params = [cv2.IMWRITE_JPEG_QUALITY, QUALITY]

    def wants(self, t: float) -> bool:
        """Nothing to draw or copy while no browser is connected."""
        return self.screen.watching and super().wants(t)

    def _send(self, frame: np.ndarray, t: float) -> None:
        ok, jpeg = cv2.imencode(".jpg", frame, self._params)
        if not ok:
            raise ValueError(f"OpenCV could not encode a {self.size[0]}x{self.size[1]} preview as JPEG")
        self.screen.show_preview(jpeg.tobytes())
