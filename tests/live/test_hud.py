"""The heads-up display: text rendered only when it changes, a dark box under it, the camera's mask in a corner."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from livedance.live.hud import REFRESH_SECONDS, Hud  # noqa: E402


@pytest.fixture
def surface():
    pygame.display.init()
    page = pygame.Surface((320, 240))
    page.fill((255, 255, 255))
    return page


def test_only_lines_that_changed_are_rendered_again():
    hud = Hud()
    hud.update(["a", "b"], now=0.0)
    hud.update(["a", "c"], now=1.0)
    assert hud.renders == 3
    hud.update(["a", "c", "d"], now=2.0)  # another line count: every line anew
    assert hud.renders == 6


def test_the_text_is_refreshed_a_few_times_a_second():
    hud = Hud()
    hud.update(["x"], now=10.0)
    assert not hud.due(10.0 + REFRESH_SECONDS / 2) and hud.due(10.0 + REFRESH_SECONDS)


def test_a_hidden_hud_draws_nothing_and_is_never_due(surface):
    hud = Hud(visible=False)
    hud.update(["x"], now=0.0)
    hud.draw(surface)
    assert pygame.surfarray.array3d(surface).min() == 255 and not hud.due(100.0)


def test_the_text_sits_on_a_dark_box_readable_over_a_white_stage(surface):
    hud = Hud()
    hud.update(["livedance"], now=0.0)
    hud.draw(surface)
    pixels = pygame.surfarray.array3d(surface)
    assert pixels.min() < 128 and pixels.max() == 255  # dark box, white text and stage


def test_the_camera_mask_shows_in_the_bottom_right_corner(surface):
    hud = Hud()
    mask = np.zeros((30, 40), np.uint8)
    mask[5:25, 10:30] = 255
    hud.draw_preview(surface, mask, seq=1)
    pixels = pygame.surfarray.array3d(surface)  # (x, y, 3)
    corner = pixels[320 - 10 - 40 : 320 - 10, 240 - 10 - 30 : 240 - 10]
    assert corner[20, 15].tolist() == [255, 255, 255] and corner[2, 2].tolist() == [0, 0, 0]
    assert pixels[5, 5].tolist() == [255, 255, 255]  # nothing elsewhere
