"""A Spout sender: the show's frames shared as a GPU texture with Resolume, TouchDesigner or OBS on one Windows PC.

SpoutGL (the `spout` extra, Windows only, BSD-3-Clause; its wheel bundles Spout.dll, Spout
SDK, BSD-2-Clause) is imported only when the sink opens, so the live path runs without it.

Spout shares a DirectX 11 texture through OpenGL, and an OpenGL context is current on one
thread only: the sink's thread makes its own (hidden) context before its first frame and
releases the sender and the context when it ends. A machine where that fails shows it as the
sink's `died` line.

Frames go as BGRA with straight alpha, as drawn: Spout defines no premultiplication
(SendImage copies the pixels into the shared texture unchanged) and receivers choose their
own alpha handling.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from livedance.errors import LivedanceError, one_line
from livedance.outputs.sink import Sink

NOT_HERE = "--spout: Spout is Windows only; on macOS use --syphon, elsewhere --ndi"
MISSING_EXTRA = "--spout: needs the spout extra: pip install 'livedance[spout]'"


class SpoutSink(Sink):
    """Sends each BGRA frame it takes to a Spout sender named `name`.

    `size` (width, height) is the shared texture's. Every frame offered is taken: the show paces them."""

    kind = "spout"

    def __init__(self, name: str, size: tuple[int, int], alpha: bool = True):
        super().__init__(name, size, channels=4 if alpha else 3)  # without alpha: BGR, sent as opaque BGRA
        self._sender: Any = None  # SpoutGL.SpoutSender while open
        self._format = 0  # GL_BGRA_EXT, from SpoutGL's enums at open

    def _open(self) -> None:
        if sys.platform != "win32":
            raise LivedanceError(NOT_HERE)
        try:
            # SpoutGL is the optional `spout` extra (Windows only): imported here so the live path runs without it.
            import SpoutGL  # noqa: PLC0415
            from SpoutGL.enums import GL_BGRA_EXT  # noqa: PLC0415
        except ImportError as exc:
            raise LivedanceError(MISSING_EXTRA) from exc
        try:
            sender = SpoutGL.SpoutSender()
            sender.setSenderName(self.name)  # the sender itself appears with the first frame sent
        except Exception as exc:
            raise LivedanceError(
                f"--spout: Spout could not make a sender named {self.name!r}: {one_line(exc)}"
            ) from exc
        self._sender, self._format = sender, int(GL_BGRA_EXT)

    def _run(self) -> None:
        sender = self._sender
        if not sender.createOpenGL():  # a hidden window's context, current on this thread only
            raise RuntimeError("Spout could not create an OpenGL context (no OpenGL driver?)")
        try:
            super()._run()
        finally:
            sender.releaseSender()  # the sender leaves the receivers' lists
            sender.closeOpenGL()  # on the thread whose context it is

    def _send(self, frame: np.ndarray, t: float) -> None:
        width, height = self.size
        # Positional on purpose: SpoutGL 0.1.1 names its parameters (height, width) but passes
        # them on as SendImage(pixels, width, height, ...), as its own examples call it.
        # invert False: rows run top to bottom, as DirectX textures do.
        if not self._sender.sendImage(self._as_bgra(frame), width, height, self._format, False, 0):
            raise RuntimeError("Spout did not take the frame (DirectX 11 unavailable?)")
        self._sender.setFrameSync(self.name)  # receivers that wait for frames are woken

    def _close(self) -> None:
        self._sender = None  # released by its own thread (see _run)
