"""A keyed picture: the figure in its colour over nothing, for outputs that carry alpha.

Another layer (in Resolume, TouchDesigner, OBS) shows through wherever the dancer is not. The
colour channels are the figure's colour everywhere (straight alpha: a receiver multiplies
them by the alpha), so an anti-aliased edge is the figure's colour fading out, never a fringe
of the background colour. Per frame only the alpha is drawn, by the same crisp upscale and
edge curve as the picture (`Compositor`), and trails and crossfades key the same way.
"""

from __future__ import annotations

import numpy as np

from livedance.video.look import Compositor, Look


class KeyedCompositor(Compositor):
    """Compositor whose canvas is (height, width, 4) BGRA: colour constant, alpha the figure."""

    def __init__(self, size: tuple[int, int] = (1920, 1080), frame_shape: tuple[int, int] = (120, 200)):
        super().__init__(size, frame_shape)

    def resize(self, size: tuple[int, int]) -> None:
        before = self.size
        super().resize(size)
        if self.size != before:
            width, height = self.size
            self.canvas = np.zeros((height, width, 4), np.uint8)  # replaces the base's BGR canvas
            self._alpha = np.zeros((height, width), np.uint8)
            self._drawn = self._alpha

    def _configure(self, look: Look) -> None:
        super()._configure(look)
        figure = look.bg if look.invert else look.fg  # the figure's own colour, as the picture draws it
        self.canvas[..., :3] = np.asarray(figure, np.uint8)
        levels = np.arange(256, dtype=np.float32) * (1.0 - look.blackout)
        self._alpha_lut = np.clip(levels + 0.5, 0, 255).astype(np.uint8)
        self._alpha_crisp = self._alpha_lut[self._edge]

    def compose(
        self,
        ink: np.ndarray,
        look: Look,
        dt: float | None = None,
        fade_from: np.ndarray | None = None,
        fade: float = 1.0,
    ) -> np.ndarray:
        """As `Compositor.compose`, to (height, width, 4) BGRA with straight alpha."""
        cv2 = self.cv2
        rows, old = self._start(ink, look, fade_from, fade)
        alpha = self._alpha
        if look.trails > 0:
            self._trails(rows, old, fade, look, dt)
            cv2.LUT(self._echo, self._alpha_lut, dst=alpha)
        else:
            self._echo_live = False
            for i, place in enumerate(self._layout):
                region = place.region
                if region is not None:
                    if old is None:
                        cv2.LUT(self._upscale(rows[i], place), self._alpha_crisp, dst=region)
                    else:
                        cv2.LUT(self._dissolved(rows, old, fade, i), self._alpha_lut, dst=region)
                for corner, opposite in place.bands:
                    cv2.rectangle(alpha, corner, opposite, 0, -1)
        cv2.mixChannels([alpha], [self.canvas], [0, 3])
        return self.canvas
