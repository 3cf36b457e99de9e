"""A virtual camera: the show's frames as a webcam for Zoom, a browser or OBS, without alpha.

pyvirtualcam (the `virtualcam` extra) is imported only when the sink opens, so the live path
runs without it. Its backends: v4l2loopback on Linux (the kernel module must be loaded and
have made a /dev/videoN), OBS's virtual camera on macOS (OBS 30 or later on macOS 13+) and on
Windows (or Unity Capture there). Frames go as BGR: every backend takes BGR and converts it
in its native code (to I420 on Linux, NV12 or UYVY elsewhere), so Python copies nothing.

Licence: pyvirtualcam is GPL-2.0 (its LICENSE and its PyPI classifier, GPLv2), not MIT like
livedance, which neither ships nor includes it. Installing the extra for your own use asks
nothing of you; distributing livedance together with pyvirtualcam (a frozen app, an image
with it installed) makes that combined work subject to the GPL-2.0's terms, source included.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import numpy as np

from livedance.errors import LivedanceError, one_line
from livedance.outputs.sink import Sink

MISSING_EXTRA = "--virtualcam: needs the virtualcam extra: pip install 'livedance[virtualcam]'"
NO_LOOPBACK = (
    "--virtualcam: no v4l2loopback device: load the module "
    "(sudo modprobe v4l2loopback devices=1 exclusive_caps=1) and start again"
)
NO_ACCESS = (
    "--virtualcam: no permission to write {device}: "
    "add yourself to the video group (sudo usermod -aG video $USER) and log in again"
)
OBS_HINT = "install OBS Studio (30 or later) and start its Virtual Camera once"

# pyvirtualcam 0.15.0's own messages (native_linux_v4l2loopback/virtual_output.h), each raised
# as "'v4l2loopback' backend: ..." inside one RuntimeError.
_NO_DEVICE = "No v4l2 loopback device found"
_DENIED = re.compile(r"Could not access (\S+) due to missing permissions")


class VirtualCamSink(Sink):
    """Sends each BGR frame it takes to a virtual camera (`device`: which one, e.g. /dev/video4;
    None: the first free one).

    `size` (width, height) and `fps` are the camera's as apps see it; every frame offered is
    taken (the show paces them; pyvirtualcam takes `fps` as a hint only)."""

    kind = "virtualcam"

    def __init__(self, size: tuple[int, int], fps: float, device: str | None = None):
        super().__init__(device or "virtual camera", size, channels=3)
        self.fps = float(fps)
        self.device = device
        self._camera: Any = None  # pyvirtualcam.Camera while open

    def _open(self) -> None:
        try:
            # pyvirtualcam is the optional `virtualcam` extra (GPL-2.0): imported here so the live path runs without it.
            import pyvirtualcam  # noqa: PLC0415
        except ImportError as exc:
            raise LivedanceError(MISSING_EXTRA) from exc
        width, height = self.size
        try:
            camera = pyvirtualcam.Camera(width, height, self.fps, fmt=pyvirtualcam.PixelFormat.BGR, device=self.device)
        except Exception as exc:  # pyvirtualcam joins every backend's refusal into one RuntimeError
            raise LivedanceError(refusal(exc)) from exc
        self._camera = camera
        self.name = str(camera.device)  # the HUD names the device apps list

    def _send(self, frame: np.ndarray, t: float) -> None:
        self._camera.send(frame)  # a contiguous (h, w, 3) buffer: flattened as a view, not copied

    def _close(self) -> None:
        camera, self._camera = self._camera, None
        if camera is not None:
            camera.close()  # the device is free for the next sink or app


def refusal(exc: BaseException) -> str:
    """pyvirtualcam's error as one line naming the flag and what to do about it."""
    text = str(exc)
    if sys.platform.startswith("linux"):
        if _NO_DEVICE in text:
            return NO_LOOPBACK
        denied = _DENIED.search(text)
        if denied:
            return NO_ACCESS.format(device=denied.group(1))
    hint = f"; {OBS_HINT}" if sys.platform in ("darwin", "win32") else ""
    return f"--virtualcam: no virtual camera started: {one_line(exc, limit=160)}{hint}"
