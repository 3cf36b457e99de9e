"""The show's frames for its outputs (streams and recordings), each at its own size, keyed where it carries alpha.

Outputs that want the window's own picture share its canvas; the others are grouped by size
and by keyed or not, and each group has a compositor of its own that draws from the same
decoded ink (`video.look`, `video.key`), so a 1080p stream or recording does not depend on a
small preview window. On the display thread, per frame: one compose per group that some
output wants a frame from (a sink with a rate of its own, or one nobody is watching, skips
frames), then a non-blocking offer to each output (`Output.offer`).

The feed starts and closes the streams it is given (`add`); a recording is only fed
(`attach` / `detach`): the takes open and finish it.
"""

from __future__ import annotations

import logging

import numpy as np

from livedance.errors import LivedanceError
from livedance.outputs.output import Output
from livedance.outputs.sink import Sink
from livedance.video.key import KeyedCompositor
from livedance.video.look import Compositor, Look

log = logging.getLogger(__name__)


class _Group:
    """Outputs fed the same frames: a compositor (None: the window's canvas) and its outputs."""

    def __init__(self, compositor: Compositor | None):
        self.compositor = compositor
        self.outputs: list[Output] = []
        self.idle = 0.0  # seconds of frames not drawn because no output wanted them (trails fade over them)

    def wanted(self, t: float) -> bool:
        for output in self.outputs:
            if output.wants(t):
                return True
        return False


class Feed:
    def __init__(
        self, window_size: tuple[int, int], frame_shape: tuple[int, int], out_size: tuple[int, int] | None = None
    ):
        self.window_size = (int(window_size[0]), int(window_size[1]))
        # The outputs' and recordings' size unless one names its own (--out-size; None: the window's).
        self.out_size = self.window_size if out_size is None else (int(out_size[0]), int(out_size[1]))
        self.frame_shape = frame_shape
        self._groups: dict[tuple[tuple[int, int], int], _Group] = {}
        self.sinks: list[Sink] = []  # the streams this feed started, and closes

    def add(self, sink: Sink) -> Sink:
        """Start `sink` and feed it from the next frame; a sink that refuses to start is not added
        (its LivedanceError goes to the caller, who says it and plays on)."""
        sink.start()
        try:
            self.attach(sink)
        except LivedanceError:  # a channel count no compositor draws
            sink.close()
            raise
        self.sinks.append(sink)
        return sink

    def attach(self, output: Output) -> None:
        """Feed `output` (started and finished by its owner) from the next frame."""
        self._group(output).outputs.append(output)

    def detach(self, output: Output) -> None:
        """Feed `output` no more; a group left empty draws nothing."""
        for key, group in list(self._groups.items()):
            if output in group.outputs:
                group.outputs.remove(output)
            if not group.outputs:
                del self._groups[key]

    def _group(self, output: Output) -> _Group:
        key = (output.size, output.channels)
        group = self._groups.get(key)
        if group is None:
            group = _Group(self._compositor(output.size, output.channels))
            self._groups[key] = group
        return group

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
        repeat: int = 1,
    ) -> None:
        """The frame shown at `t` for `repeat` display slots (the window's `canvas`, and `ink`
        for the groups drawing their own)."""
        for group in self._groups.values():
            compositor = group.compositor
            if compositor is None:
                frame = canvas
            elif group.wanted(t):  # a slower output (the page's preview) is drawn only when due
                since = None if dt is None else dt + group.idle
                frame = compositor.compose(ink, look, dt=since, fade_from=fade_from, fade=fade)
                group.idle = 0.0
            else:
                group.idle += dt or 0.0
                continue
            for output in group.outputs:
                output.offer(frame, t, repeat)

    # --- what happened -----------------------------------------------------------------------------
    def status(self) -> list[str]:
        return [sink.status() for sink in self.sinks]

    def close(self) -> list[str]:
        """Close every sink; a line on what each sent."""
        lines = []
        for sink in self.sinks:
            sink.close()
            lines.append(sink.status())
            self.detach(sink)
        self.sinks.clear()
        return lines
