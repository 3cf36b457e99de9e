"""A Syphon server: the show's frames shared as a GPU texture with Resolume, MadMapper, VDMX or OBS on one Mac.

syphon-python (the `syphon` extra, macOS only, MIT; it bundles the Syphon framework under its
BSD-style licence) is imported only when the sink opens, so the live path runs without it.
It wraps Syphon through PyObjC; the Metal server needs no OpenGL context, so the sink's own
thread can publish (Syphon documents SyphonMetalServer as safe across threads).

Frames go as BGRA8 with straight alpha, as drawn: Syphon defines no premultiplication (its
server blits the texture's bytes into the shared surface unchanged) and receivers choose
their own alpha handling. Other apps find the server through the main thread's run loop,
which the show's window already runs; a show without a window would not be listed.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from livedance.errors import LivedanceError, one_line
from livedance.outputs.sink import Sink

NOT_HERE = "--syphon: Syphon is macOS only; on Windows use --spout, elsewhere --ndi"
MISSING_EXTRA = "--syphon: needs the syphon extra: pip install 'livedance[syphon]'"


class SyphonSink(Sink):
    """Publishes each BGRA frame it takes on a Syphon server named `name`.

    `size` (width, height) is the texture's. Every frame offered is taken: the show paces them."""

    kind = "syphon"

    def __init__(self, name: str, size: tuple[int, int], alpha: bool = True):
        super().__init__(name, size, channels=4 if alpha else 3)  # without alpha: BGR, sent as opaque BGRA
        self._server: Any = None  # syphon.SyphonMetalServer while open
        self._texture: Any = None  # one MTLTexture (BGRA8Unorm) made at open, rewritten per frame
        self._objc: Any = None
        self._copy: Any = None  # syphon.utils.raw.copy_bytes_to_mtl_texture

    def _open(self) -> None:
        if sys.platform != "darwin":
            raise LivedanceError(NOT_HERE)
        try:
            # syphon-python is the optional `syphon` extra (macOS only): imported here so the live path runs without it.
            import Metal  # noqa: PLC0415
            import objc  # noqa: PLC0415
            import syphon  # noqa: PLC0415
            from syphon.utils.raw import copy_bytes_to_mtl_texture, create_mtl_texture  # noqa: PLC0415
        except ImportError as exc:
            raise LivedanceError(MISSING_EXTRA) from exc
        width, height = self.size
        try:
            server = syphon.SyphonMetalServer(self.name)
            # BGRA8Unorm is the server's own surface format (SyphonMetalServer.m): the frame's
            # bytes go in as they are, no colour swizzle on either side.
            texture = create_mtl_texture(server.device, width, height, Metal.MTLPixelFormatBGRA8Unorm)
        except Exception as exc:  # no Metal device, or the framework refused: one line either way
            raise LivedanceError(
                f"--syphon: Syphon could not start a server named {self.name!r}: {one_line(exc)}"
            ) from exc
        self._server, self._texture = server, texture
        self._objc, self._copy = objc, copy_bytes_to_mtl_texture

    def _send(self, frame: np.ndarray, t: float) -> None:
        # Metal hands back autoreleased objects (a command buffer per publish) and nothing drains
        # a pool on a plain Python thread: without one, every frame's objects would be kept.
        with self._objc.autorelease_pool():
            # tobytes() is syphon-python's own path into the texture (its numpy helper does the
            # same): one copy on the sink's thread, never on the show's.
            self._copy(self._as_bgra(frame).tobytes(), self._texture)
            # Rows run top to bottom, and syphon-python's own video example publishes such frames
            # (OpenCV's) flipped; not yet seen on a Mac here: if receivers show the figure upside
            # down, this flag is the one to turn.
            self._server.publish_frame_texture(self._texture, is_flipped=True)

    def _close(self) -> None:
        server, self._server, self._texture = self._server, None, None
        if server is not None:
            server.stop()  # the server leaves the other apps' lists
