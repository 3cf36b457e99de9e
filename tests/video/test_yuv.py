"""UYVY packing: BT.709 studio-range values for known colours, pairs of pixels sharing chroma, and a round trip."""

import tracemalloc

import cv2
import numpy as np
import pytest

from livedance.video.yuv import UyvyPacker


@pytest.mark.parametrize(
    ("bgr", "uyvy"),
    [
        ((0, 0, 0), (128, 16, 128, 16)),
        ((255, 255, 255), (128, 235, 128, 235)),
        ((0, 0, 255), (102, 63, 240, 63)),  # red: Y 16 + 219 x 0.2126 (BT.601 would give 82)
        ((0, 255, 0), (42, 173, 26, 173)),
        ((255, 0, 0), (240, 32, 118, 32)),
    ],
)
def test_known_colours_pack_to_bt709_studio_range(bgr, uyvy):
    picture = np.full((2, 4, 3), bgr, np.uint8)
    packed = UyvyPacker((4, 2)).pack(picture)
    assert packed.shape == (2, 8)
    assert np.abs(packed[0, :4].astype(int) - uyvy).max() <= 1, packed[0, :4]


def test_a_pair_of_pixels_shares_the_mean_of_its_chroma():
    picture = np.zeros((1, 2, 3), np.uint8)
    picture[0, 0] = (255, 0, 0)  # blue, then black
    u, y0, v, y1 = UyvyPacker((2, 1)).pack(picture)[0]
    assert abs(int(u) - (240 + 128) / 2) <= 1 and abs(int(v) - (118 + 128) / 2) <= 1
    assert (y0, y1) == (32, 16)


def _bt709_to_bgr(packed: np.ndarray) -> np.ndarray:
    """A receiver's decoding, written out: studio-range BT.709 UYVY back to BGR floats."""
    quads = packed.reshape(packed.shape[0], -1, 4).astype(float)
    y = np.stack([quads[..., 1], quads[..., 3]], axis=-1).reshape(packed.shape[0], -1)
    cb = np.repeat(quads[..., 0], 2, axis=1) - 128
    cr = np.repeat(quads[..., 2], 2, axis=1) - 128
    luma = (y - 16) * 255 / 219
    scale = 255 / 224
    r = luma + 1.5748 * cr * scale
    g = luma - (0.1873 * cb + 0.4681 * cr) * scale
    b = luma + 1.8556 * cb * scale
    return np.stack([b, g, r], axis=-1)


def test_a_picture_survives_the_round_trip():
    picture = np.full((120, 200, 3), (235, 240, 245), np.uint8)
    cv2.ellipse(picture, (100, 60), (40, 55), 0, 0, 360, (90, 40, 200), -1, cv2.LINE_AA)
    back = _bt709_to_bgr(UyvyPacker((200, 120)).pack(picture))
    error = np.abs(back - picture)
    assert error.mean() < 1.5 and np.percentile(error, 99) < 12  # only edges lose chroma detail


def test_packing_allocates_no_frame():
    packer = UyvyPacker((1280, 720))
    picture = np.zeros((720, 1280, 3), np.uint8)
    packer.pack(picture)
    tracemalloc.start()
    try:
        packer.pack(picture)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10_000


@pytest.mark.parametrize("size", [(3, 2), (0, 2), (4, 0)])
def test_sizes_uyvy_cannot_hold_are_refused(size):
    with pytest.raises(ValueError, match=f"{size[0]}x{size[1]}"):
        UyvyPacker(size)
