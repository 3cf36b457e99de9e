"""The show's frames for its sinks, each at its own size, keyed where the sink carries alpha.

Sinks that want the window's own picture share its canvas; the others are grouped by size and
by keyed or not, and each group has a compositor of its own that draws from the same decoded
ink (`video.look`, `video.key`), so a 1080p stream does not depend on a small preview window.
On the display thread, per frame: one compose per group that some sink wants a frame from
(a sink with a rate of its own, or one nobody is watching, skips frames), then a non-blocking
offer to each sink (`Sink.offer`).
"""

from __future__ import annotations

import logging

import numpy as np

from livedance.errors import LivedanceError
from livedance.outputs.sink import Sink
from livedance.video.key import KeyedCompositor
from livedance.video.look import Compositor, Look

log = logging.getLogger(__name__)


class _Group:
    """Sinks fed the same frames: a compositor (None: the window's canvas) and its sinks."""

    def __init__(self, compositor: Compositor | None, sinks: list[Sink]):
        self.compositor, self.sinks = compositor, sinks
        self.idle = 0.0  # seconds of frames not drawn because no sink wanted them (trails fade over them)

    def wanted(self, t: float) -> bool:
        for sink in self.sinks:
            if sink.wants(t):
                return True
        return False


class Feed:
    def __init__(self, window_size: tuple[int, int], frame_shape: tuple[int, int]):
        self.window_size = (int(window_size[0]), int(window_size[1]))
        self.frame_shape = frame_shape
        self._groups: dict[tuple[tuple[int, int], int], _Group] = {}

    @property
    def sinks(self) -> list[Sink]:
        return [sink for group in self._groups.values() for sink in group.sinks]

    def add(self, sink: Sink) -> Sink:
        """Start `sink` and feed it from the next frame; a sink that refuses to start is not added
        (its LivedanceError goes to the caller, who says it and plays on)."""
        sink.start()
        key = (sink.size, sink.channels)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(self._compositor(sink.size, sink.channels), [])
        group.sinks.append(sink)
        return sink

    def _compositor(self, size: tuple[int, int], channels: int) -> Compositor | None:
        if channels == 4:
            return KeyedCompositor(size, self.frame_shape)
        if channels == 3:
            return None if size == self.window_size else Compositor(size, self.frame_shape)
        raise LivedanceError(f"a sink of {channels} channels: expected 3 (BGR) or 4 (BGRA)")

    def resize(self, frame_shape: tuple[int, int]) -> None:
        """A model with other frames took over: every group's compositor is made anew."""
        self.frame_shape = frame_shape
        for (size, channels), group in self._groups.items():
            group.compositor = self._compositor(size, channels)

    # --- per frame, on the display thread ----------------------------------------------------------
    def offer(
        self,
        canvas: np.ndarray,
        ink: np.ndarray,
        look: Look,
        t: float,
        dt: float | None = None,
        fade_from: np.ndarray | None = None,
        fade: float = 1.0,
    ) -> None:
        """The frame shown at `t` (the window's `canvas`, and `ink` for the groups drawing their own)."""
        for group in self._groups.values():
            compositor = group.compositor
            if compositor is None:
                frame = canvas
            elif group.wanted(t):  # a slower sink (the page's preview) is drawn only when due
                since = None if dt is None else dt + group.idle
                frame = compositor.compose(ink, look, dt=since, fade_from=fade_from, fade=fade)
                group.idle = 0.0
            else:
                group.idle += dt or 0.0
                continue
            for sink in group.sinks:
                sink.offer(frame, t)

    # --- what happened -----------------------------------------------------------------------------
    def status(self) -> list[str]:
        return [sink.status() for sink in self.sinks]

    def close(self) -> list[str]:
        """Close every sink; a line on what each sent."""
        lines = []
        for sink in self.sinks:
            sink.close()
            lines.append(sink.status())
        self._groups.clear()
        return lines
