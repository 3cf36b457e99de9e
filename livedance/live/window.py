"""The window the show plays in: opening it, fullscreen, and putting a canvas on it.

The compositor's BGR canvas is wrapped once by `pygame.image.frombuffer(..., "BGR")` (no
copy, no colour conversion: it shares the canvas's memory) and blitted each frame; the
measured alternatives are in docs/benchmarks.md. Headless, the same code draws into SDL's
dummy video driver, so tests and benchmarks exercise the real blit.
"""

from __future__ import annotations

import os
import sys

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from livedance.errors import LivedanceError  # noqa: E402

CAPTION = "livedance"


def use_dummy_video() -> None:
    """No window: SDL's dummy driver still gives a real surface to draw and blit into."""
    os.environ["SDL_VIDEODRIVER"] = "dummy"


def no_display_reason() -> str | None:
    """Why a window cannot open here, or None when it can (Linux/BSD need X11 or Wayland)."""
    if os.environ.get("SDL_VIDEODRIVER") == "dummy":
        return "SDL_VIDEODRIVER=dummy"
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return "DISPLAY and WAYLAND_DISPLAY unset"
    return None


class Window:
    """The display surface at the output size; SCALED lets SDL fit it to the screen and gives
    vsync where the driver has it (falling back to plain pacing where it doesn't)."""

    def __init__(self, size: tuple[int, int], headless: bool = False, fullscreen: bool = False, display: int = 0):
        self.size = (int(size[0]), int(size[1]))
        self.headless = headless
        self.fullscreen = fullscreen
        self.display = int(display)
        if headless:
            use_dummy_video()
        pygame.display.init()
        self.screen = self._open()
        self._canvas: np.ndarray | None = None
        self._picture: pygame.Surface | None = None

    def _open(self) -> pygame.Surface:
        displays = pygame.display.get_num_displays()
        if not 0 <= self.display < max(displays, 1):
            raise LivedanceError(f"--display {self.display}: this machine has {displays} display(s), numbered from 0")
        flags = 0 if self.headless else pygame.SCALED
        if self.fullscreen and not self.headless:
            flags |= pygame.FULLSCREEN
        error: pygame.error | None = None
        for vsync in (0,) if self.headless else (1, 0):
            try:
                screen = pygame.display.set_mode(self.size, flags, display=self.display, vsync=vsync)
                break
            except pygame.error as exc:
                error = exc
        else:
            raise LivedanceError(f"cannot open a {self.size[0]}x{self.size[1]} window ({error})")
        pygame.display.set_caption(CAPTION)
        if not self.headless:
            pygame.mouse.set_visible(not self.fullscreen)
        return screen

    def toggle_fullscreen(self) -> None:
        self.fullscreen = not self.fullscreen
        if self.headless:
            return  # nothing to show: the flag is all there is
        try:
            switched = pygame.display.toggle_fullscreen()
        except pygame.error:
            switched = 0
        if not switched:
            self.screen = self._open()
        pygame.mouse.set_visible(not self.fullscreen)

    def blit(self, canvas: np.ndarray) -> None:
        """Put `canvas` on the screen's back buffer; the wrapper is made once per canvas buffer."""
        picture = self._picture
        if canvas is not self._canvas or picture is None:
            height, width = canvas.shape[:2]
            picture = self._picture = pygame.image.frombuffer(canvas, (width, height), "BGR")  # type: ignore[arg-type]
            self._canvas = canvas
        self.screen.blit(picture, (0, 0))

    @staticmethod
    def flip() -> None:
        pygame.display.flip()

    @staticmethod
    def close() -> None:
        pygame.display.quit()
