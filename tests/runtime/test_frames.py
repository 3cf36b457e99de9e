"""Frame conventions: dark-on-white uint8 frames <-> float32 ink, and the two figures of merit on ink."""

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from livedance.config import INK_THRESHOLD
from livedance.runtime.frames import from_ink, silhouette_iou, soft_edge_ratio, to_ink


@pytest.mark.parametrize(
    "pixel, ink",
    [(0, 1.0), (255, 0.0), (51, 0.8), (204, 0.2)],
    ids=["black-is-all-figure", "white-is-no-figure", "dark-grey", "light-grey"],
)
def test_to_ink_turns_dark_pixels_into_figure(pixel, ink):
    out = to_ink(np.full((1, 2, 3), pixel, dtype=np.uint8))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ink, atol=1e-6)


@pytest.mark.parametrize("shape", [(1, 120, 200), (3, 4, 5), (0, 2, 2)])
def test_to_ink_adds_a_channel_axis_for_the_networks(shape):
    assert to_ink(np.zeros(shape, dtype=np.uint8)).shape == (*shape, 1)


@pytest.mark.parametrize(
    "ink, pixel",
    [
        (1.0, 0),
        (0.0, 255),
        (0.5, 128),  # a half-way grey rounds up, not down
        (0.8, 51),
        (1.7, 0),  # over-inked network output is clipped, not wrapped round
        (-0.4, 255),
    ],
    ids=["figure", "background", "half", "dark-grey", "above-one-clips", "below-zero-clips"],
)
def test_from_ink_rounds_and_clips_to_dark_on_white_bytes(ink, pixel):
    out = from_ink(np.full((1, 2, 3, 1), ink, dtype=np.float32))
    assert out.dtype == np.uint8 and out.shape == (1, 2, 3)
    assert np.all(out == pixel)


@pytest.mark.parametrize("shape", [(2, 4, 5, 1), (2, 4, 5)], ids=["with-channel", "without-channel"])
def test_from_ink_takes_ink_with_or_without_its_channel_axis(shape):
    ink = np.random.default_rng(0).random(shape, dtype=np.float32)
    out = from_ink(ink)
    assert out.shape == (2, 4, 5)
    np.testing.assert_array_equal(out, from_ink(ink.reshape(2, 4, 5)))


def test_every_byte_survives_the_trip_to_ink_and_back():
    frames = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    np.testing.assert_array_equal(from_ink(to_ink(frames)), frames)


@settings(max_examples=60, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 3), st.integers(1, 8), st.integers(1, 8))))
def test_any_frames_survive_the_trip_to_ink_and_back(frames):
    np.testing.assert_array_equal(from_ink(to_ink(frames)), frames)


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float32,
        st.tuples(st.integers(1, 3), st.integers(1, 8), st.integers(1, 8)),
        elements=st.floats(0, 1, width=32),
    )
)
def test_ink_comes_back_within_half_a_grey_level(ink):
    again = to_ink(from_ink(ink))[..., 0]
    assert np.max(np.abs(again - ink)) <= 0.5 / 255 + 1e-6


def _masks(*rows):
    """A batch of ink frames, one per row string: '#' is figure, '.' background."""
    return np.array([[[1.0 if c == "#" else 0.0 for c in row]] for row in rows], dtype=np.float32)


@pytest.mark.parametrize(
    "a, b, iou",
    [
        (["##.."], ["##.."], 1.0),
        (["##.."], ["..##"], 0.0),
        (["###."], [".###"], 0.5),  # 2 shared of 4 covered
        (["##.."], [".##."], 1 / 3),
        (["...."], ["...."], 1.0),  # two empty stages agree
        (["...."], ["#..."], 0.0),
        (["##..", "...."], ["##..", "#..."], 0.5),  # the batch's mean, not its pooled pixels
    ],
    ids=["same", "disjoint", "half", "third", "both-empty", "one-empty", "batch-mean"],
)
def test_silhouette_iou_is_the_mean_overlap_of_figure_masks(a, b, iou):
    assert silhouette_iou(_masks(*a), _masks(*b)) == pytest.approx(iou)
    assert silhouette_iou(_masks(*b), _masks(*a)) == pytest.approx(iou)


def test_silhouette_iou_counts_only_ink_above_the_threshold():
    a = np.array([[[0.9, 0.6, 0.4, 0.0]]], dtype=np.float32)
    b = np.array([[[0.9, 0.0, 0.0, 0.0]]], dtype=np.float32)
    assert silhouette_iou(a, b) == pytest.approx(0.5)  # 0.4 is not figure
    assert silhouette_iou(a, b, threshold=0.7) == pytest.approx(1.0)
    assert silhouette_iou(a, b, threshold=0.3) == pytest.approx(1 / 3)


def test_silhouette_iou_reads_ink_with_or_without_its_channel_axis():
    rng = np.random.default_rng(1)
    a, b = rng.random((2, 3, 6, 7), dtype=np.float32)
    assert silhouette_iou(a[..., None], b[..., None]) == silhouette_iou(a, b)


def test_silhouette_iou_cuts_where_the_rest_of_the_project_does():
    assert inspect.signature(silhouette_iou).parameters["threshold"].default == INK_THRESHOLD


@pytest.mark.parametrize(
    "values, ratio",
    [
        ([1.0] * 10 + [0.0] * 10, 0.0),  # crisp: no greys
        ([1.0] * 10 + [0.3] * 5, 0.5),  # 5 greys per 10 figure pixels
        ([0.5] * 4, 1.0),  # a half-grey pixel is both figure and grey
        ([1.0] * 4 + [0.15, 0.85, 0.5], 1 / 6),  # the bounds are not grey; 0.85 and 0.5 are figure
        ([0.0] * 8, 0.0),  # an empty stage: no figure, no division by zero
        ([0.2] * 3, 3.0),  # greys with no figure are counted per one pixel
    ],
    ids=["crisp", "soft", "all-half-grey", "bounds-excluded", "empty", "no-figure"],
)
def test_soft_edge_ratio_counts_grey_pixels_per_figure_pixel(values, ratio):
    ink = np.array(values, dtype=np.float32).reshape(1, 1, -1, 1)
    assert soft_edge_ratio(ink) == pytest.approx(ratio)


def test_a_blurred_figure_is_softer_than_a_crisp_one():
    crisp = np.zeros((1, 40, 40), dtype=np.float32)
    crisp[0, 10:30, 10:30] = 1.0
    kernel = np.ones(5, dtype=np.float32) / 5
    blurred = np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="same"), 2, crisp)
    blurred = np.apply_along_axis(lambda c: np.convolve(c, kernel, mode="same"), 1, blurred)
    assert soft_edge_ratio(crisp) == 0.0 < soft_edge_ratio(blurred)
