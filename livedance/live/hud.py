"""The heads-up display: a few lines of text drawn over the dancer.

Rendering text with pygame.font costs far more than blitting it, so each line's surface is
cached and re-rendered only when its text changes, and the text itself is refreshed a few
times a second (a number changing at 60 Hz is unreadable anyway).
"""

from __future__ import annotations

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import numpy as np
import pygame  # noqa: E402

REFRESH_SECONDS = 0.25
FONT_SIZE = 22
MARGIN = 10
TEXT = (255, 255, 255)
SHADOW = (0, 0, 0)


class Hud:
    def __init__(self, visible: bool = True, size: int = FONT_SIZE):
        pygame.font.init()
        self.font = pygame.font.Font(None, size)
        self.visible = visible
        self._lines: list[str] = []
        self._surfaces: list[pygame.Surface | None] = []
        self._next_refresh = 0.0
        self.renders = 0  # text renders so far: the cache's hit rate is visible in tests
        self._preview: pygame.Surface | None = None
        self._preview_seq = -1
        self.code: pygame.Surface | None = None  # a QR code in the top-right corner (the control page's URL)

    def due(self, now: float) -> bool:
        """Whether the text should be recomputed this frame."""
        return self.visible and now >= self._next_refresh

    def update(self, lines: list[str], now: float) -> None:
        """New text; only lines that changed are rendered again."""
        self._next_refresh = now + REFRESH_SECONDS
        if len(lines) != len(self._lines):
            self._surfaces = [None] * len(lines)
            self._lines = [""] * len(lines)
        for i, line in enumerate(lines):
            if line != self._lines[i] or self._surfaces[i] is None:
                self._lines[i] = line
                self._surfaces[i] = self._render(line)

    def _render(self, text: str) -> pygame.Surface:
        """White text on a dark box: readable over a white or a black stage."""
        self.renders += 1
        glyphs = self.font.render(text, True, TEXT)
        box = pygame.Surface((glyphs.get_width() + 8, glyphs.get_height() + 2))
        box.fill(SHADOW)
        box.set_alpha(190)
        box.blit(glyphs, (4, 1))
        return box

    def show_code(self, matrix: list[list[bool]], module: int = 4) -> None:
        """Draw a QR code (rows of modules, True dark) in the top-right corner from now on."""
        light = np.array([[not dark for dark in row] for row in matrix], np.uint8) * 255
        pixels = np.repeat(np.repeat(light, module, axis=0), module, axis=1)
        self.code = pygame.surfarray.make_surface(np.ascontiguousarray(np.repeat(pixels.T[..., None], 3, axis=2)))

    def draw(self, surface: pygame.Surface) -> None:
        if not self.visible:
            return
        if self.code is not None:
            surface.blit(self.code, (surface.get_width() - self.code.get_width() - MARGIN, MARGIN))
        y = MARGIN
        for line in self._surfaces:
            if line is not None:
                surface.blit(line, (MARGIN, y))
                y += line.get_height()

    def draw_preview(self, surface: pygame.Surface, mask, seq: int) -> None:
        """The camera's mask as a small picture in the bottom-right corner (rebuilt only when
        a new camera frame arrived, so at the camera's rate, not the display's)."""
        if not self.visible or mask is None:
            return
        if seq != self._preview_seq or self._preview is None:
            height, width = mask.shape[:2]
            grey = np.ascontiguousarray(np.repeat(mask[..., None], 3, axis=2))
            self._preview = pygame.image.frombuffer(grey.tobytes(), (width, height), "RGB")
            self._preview_seq = seq
        x = surface.get_width() - self._preview.get_width() - MARGIN
        y = surface.get_height() - self._preview.get_height() - MARGIN
        surface.blit(self._preview, (x, y))
        pygame.draw.rect(
            surface, TEXT, (x - 1, y - 1, self._preview.get_width() + 2, self._preview.get_height() + 2), 1
        )
