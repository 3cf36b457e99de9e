"""An NDI® source: the show's frames on the network, alpha kept, for Resolume, TouchDesigner or OBS.

Receivers list the source as "MACHINE (name)". Frames go as BGRA (the figure opaque, the
background transparent) or, when alpha is off, as UYVY (NDI's own 4:2:2, BT.709; half the bytes);
the stream's frame rate is the show's.
cyndilib (the `ndi` extra) wraps the NDI SDK and is imported only when a sink opens, so the
live path runs without it.

Licence: NDI® is a registered trademark of Vizrt NDI AB. The NDI runtime bundled in cyndilib's
wheel is Vizrt's, under the NDI SDK licence (http://ndi.link/ndisdk_license), not under this
project's MIT licence. cyndilib's README asks that anyone distributing it, or including it in
their own project, first read the "Licensing" section of the NDI SDK documentation
(https://docs.ndi.video/docs): "There are specific requirements listed for branding, trademark use
and URLs to be displayed". Users and packagers of livedance[ndi] must follow NDI's terms.
"""

from __future__ import annotations

import logging
import time
from fractions import Fraction
from typing import Any

import numpy as np

from livedance.errors import LivedanceError
from livedance.outputs.sink import Sink
from livedance.video.files import frame_rate, one_line
from livedance.video.yuv import UyvyPacker
from livedance.worker import run_nicer

LOOK_SECONDS = 0.25  # how often the sink asks NDI whether a receiver is connected
MISSING_EXTRA = "--ndi: needs the ndi extra: pip install 'livedance[ndi]'"

log = logging.getLogger(__name__)


class NdiSink(Sink):
    """Sends each frame it takes to an NDI sender named `name`.

    `size` (width, height) is the stream's; `fps` (a float or a Fraction such as 30000/1001)
    is the show's and becomes the stream's frame rate. With `alpha` the sink takes BGRA frames
    and sends them as they are; without, it takes BGR frames and sends them as UYVY, packed into
    a buffer made once (NDI has no packed 3-byte format)."""

    kind = "ndi"

    def __init__(self, name: str, size: tuple[int, int], fps: float | Fraction, alpha: bool = True):
        width, height = int(size[0]), int(size[1])
        if width <= 0 or height <= 0 or width % 2:
            expected = "expected a positive size with an even width (NDI is 4:2:2)"
            raise LivedanceError(f"--ndi: size {width}x{height}: {expected}")
        if not fps > 0:
            raise LivedanceError(f"--ndi: fps {fps}: expected a frame rate above 0")
        rate = fps if isinstance(fps, Fraction) else frame_rate(fps)  # 29.97 is 30000/1001, as files have it
        # Every frame offered is taken (no rate of the sink's own): the show already paces its
        # frames at `fps`, and a second limit at the same rate would refuse frames on clock jitter.
        super().__init__(name, (width, height), channels=4 if alpha else 3)
        self.rate = rate
        self.alpha = alpha
        self._sender: Any = None  # cyndilib.Sender while open
        self._uyvy: UyvyPacker | None = None  # BGR packed as UYVY when alpha is off
        # Whether a receiver is connected, looked up on the sink's thread: with none, the show
        # neither draws nor copies frames for this stream (the feed asks `wants`).
        self.watched = False
        self._looked = 0.0

    def _open(self) -> None:
        try:
            # cyndilib is the optional `ndi` extra: imported here so the live path runs without it.
            from cyndilib import FourCC, Sender, VideoSendFrame  # noqa: PLC0415
        except ImportError as exc:
            raise LivedanceError(MISSING_EXTRA) from exc
        width, height = self.size
        try:
            frame = VideoSendFrame()
            frame.set_resolution(width, height)
            # NDI's BGRA carries straight (not premultiplied) alpha: receivers multiply colour by
            # alpha themselves (a premultiplied source shows half-transparent colour darkened twice
            # in NDI Studio Monitor, CasparCG issue 1421), so the show's colours go as drawn.
            frame.set_fourcc(FourCC.BGRA if self.alpha else FourCC.UYVY)
            frame.set_frame_rate(self.rate)
            # clock_video off: the show is the clock; NDI's own clocking would hold the sink's
            # thread in each send, and frames the show made meanwhile would be dropped as stale.
            sender = Sender(self.name, clock_video=False, clock_audio=False)
            sender.set_video_frame(frame)
            # NDI's own threads (compression, network) are made here: made from a nicer thread,
            # they yield to the show's display thread as the sink's thread does.
            run_nicer(sender.open)
        except Exception as exc:  # the runtime's refusal, whatever its type, in one line
            raise LivedanceError(f"--ndi: NDI could not start a sender named {self.name!r}: {one_line(exc)}") from exc
        if not self.alpha:
            self._uyvy = UyvyPacker(self.size)
        self._sender = sender

    def wants(self, t: float) -> bool:
        return self.watched and super().wants(t)

    def _look(self) -> None:
        now = time.monotonic()
        if self._sender is not None and now >= self._looked:
            self._looked = now + LOOK_SECONDS
            watched = self._sender.get_num_connections(0) > 0
            if watched != self.watched:  # a receiver came, or the last one left (or died)
                log.info("ndi %s: %s", self.name, "a receiver connected" if watched else "no receiver")
            self.watched = watched

    def status(self) -> str:
        line = super().status()
        return line if self.watched else f"{line}; no receiver"

    def _send(self, frame: np.ndarray, t: float) -> None:
        # cyndilib 0.1.3 offers no public way to fill its send buffer in place and mark it ready
        # (its VideoSendFrame buffer can be written, but only write_data/write_video* complete a
        # write), so write_video_async copies the frame into its ring of buffers made at open:
        # one memcpy, no frame-sized allocation. NDI compresses and sends from that buffer on its
        # own threads; the next send waits until it is done, so a slow encode costs the sink
        # frames (dropped and counted by `Sink`), never the show.
        if self._uyvy is not None:
            frame = self._uyvy.pack(frame)
        self._sender.write_video_async(frame.reshape(-1))
        self._look()  # a receiver that left: stop drawing for it

    def _close(self) -> None:
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.close()  # flushes the async frame and destroys the sender: the source leaves the network

    @property
    def source(self) -> str | None:
        """The name receivers list ("MACHINE (name)"), while the sender is open."""
        return None if self._sender is None else str(self._sender.name)
