"""The window: where it can open, the headless surface, and a canvas wrapped once."""

import numpy as np
import pygame
import pytest

from livedance.errors import LivedanceError
from livedance.live.window import Window, no_display_reason


@pytest.mark.parametrize(
    ("environment", "reason"),
    [
        ({"SDL_VIDEODRIVER": "dummy"}, "SDL_VIDEODRIVER=dummy"),
        ({"SDL_VIDEODRIVER": "", "DISPLAY": "", "WAYLAND_DISPLAY": ""}, "DISPLAY and WAYLAND_DISPLAY unset"),
        ({"SDL_VIDEODRIVER": "", "DISPLAY": ":0"}, None),
    ],
)
def test_why_a_window_cannot_open(monkeypatch, environment, reason):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert no_display_reason() == reason


def test_a_headless_window_shows_the_canvas_it_is_given():
    window = Window((64, 48), headless=True)
    try:
        canvas = np.zeros((48, 64, 3), np.uint8)
        canvas[..., 2] = 255  # BGR red
        window.blit(canvas)
        assert window.screen.get_at((10, 10))[:3] == (255, 0, 0)
        canvas[..., 2] = 0  # the same buffer, changed in place: no new wrapper needed
        canvas[..., 0] = 255
        window.blit(canvas)
        assert window.screen.get_at((10, 10))[:3] == (0, 0, 255)
        window.toggle_fullscreen()  # headless: only the flag
        assert window.fullscreen
    finally:
        window.close()


def test_a_display_that_is_not_there_is_named():
    with pytest.raises(LivedanceError, match="--display 5: this machine has 1 display"):
        Window((64, 48), headless=True, display=5)
    pygame.display.quit()
