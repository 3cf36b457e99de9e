"""BGR pictures as UYVY (4:2:2, BT.709, studio range): what NDI carries natively for opaque video.

Half the bytes of BGRX on the wire and no conversion in the receiver. OpenCV's own
COLOR_BGR2YUV_UYVY is BT.601, which HD receivers would show with shifted reds and greens, so
the BT.709 matrix is applied here. Buffers are made once at the picture's size, so packing a
frame allocates nothing.
"""

from __future__ import annotations

import cv2
import numpy as np

# BT.709 in studio range (Y 16..235, Cb/Cr 16..240) from B, G, R in 0..255; the last column is the offset.
_Y = np.array([0.0722, 0.7152, 0.2126]) * 219 / 255
_CB = np.array([0.5, -0.3854, -0.1146]) * 224 / 255
_CR = np.array([-0.0458, -0.4542, 0.5]) * 224 / 255
BT709 = np.array([[*_Y, 16.0], [*_CB, 128.0], [*_CR, 128.0]], np.float32)


class UyvyPacker:
    """Packs (H, W, 3) BGR frames into one (H, W * 2) UYVY buffer; W must be even."""

    def __init__(self, size: tuple[int, int]):
        width, height = int(size[0]), int(size[1])
        if width <= 0 or height <= 0 or width % 2:
            raise ValueError(f"UYVY size {width}x{height}: expected a positive size with an even width")
        self.size = (width, height)
        self._yuv = np.empty((height, width, 3), np.uint8)
        self._chroma = np.empty((height, width // 2, 3), np.uint8)  # each pair of pixels averaged
        self.packed = np.empty((height, width * 2), np.uint8)
        quads = self.packed.reshape(height, width // 2, 4)  # U0 Y0 V0 Y1 for each pair
        self._u, self._y0, self._v, self._y1 = (quads[..., k] for k in range(4))

    def pack(self, bgr: np.ndarray) -> np.ndarray:
        """The UYVY bytes of `bgr` (this packer's buffer, overwritten by the next call)."""
        cv2.transform(bgr, BT709, dst=self._yuv)
        # Halving the width bilinearly averages each pair of pixels exactly, at half INTER_AREA's cost.
        cv2.resize(self._yuv, (self.size[0] // 2, self.size[1]), dst=self._chroma, interpolation=cv2.INTER_LINEAR)
        np.copyto(self._u, self._chroma[..., 1])
        np.copyto(self._v, self._chroma[..., 2])
        np.copyto(self._y0, self._yuv[:, 0::2, 0])
        np.copyto(self._y1, self._yuv[:, 1::2, 0])
        return self.packed
