"""The measures eval trusts, each shown failing on a frame made bad on purpose and passing real renders."""

import cv2
import numpy as np
import pytest

from livedance.data.body import body_from_motion, render
from livedance.data.synth import dance
from livedance.tools import metrics
from livedance.video.look import Compositor, Look


@pytest.fixture(scope="module")
def rendered():
    """Twenty seconds of the procedural dancer rendered at two yaws: real, whole figures (N, 120, 200)."""
    motion, _, _ = dance(20.0, seed=5, fps=12.0)
    body = body_from_motion(motion, source="synth skeleton")
    return metrics.pixel_masks(np.concatenate([render(body, yaw, fps=12.0) for yaw in (0.0, 90.0)]))


def _blob(mask, x, y, radius):
    yy, xx = np.mgrid[0 : mask.shape[0], 0 : mask.shape[1]]
    return mask | ((xx - x) ** 2 + (yy - y) ** 2 <= radius**2)


def _far_corner(mask):
    """A point well away from the figure: the emptier of the two top corners."""
    left = mask[:, :60].sum() <= mask[:, -60:].sum()
    return (20, 20) if left else (180, 20)


def test_real_renders_are_whole(rendered):
    assert metrics.broken(rendered).mean() < 0.01
    assert np.median(metrics.outside_share(rendered)) == 0.0


def test_a_figure_cut_in_two_is_broken(rendered):
    masks = rendered[::10].copy()
    for mask in masks:  # a gap across the figure's waist
        rows = np.flatnonzero(mask.any(axis=1))
        middle = (rows[0] + rows[-1]) // 2
        mask[middle - 3 : middle + 3] = False
    share = metrics.outside_share(masks)
    assert metrics.broken(masks).mean() > 0.9 and np.median(share) > 0.2


def test_a_floating_blob_is_broken_and_a_speck_is_not(rendered):
    masks = rendered[::10]
    blobs = np.stack([_blob(m, *_far_corner(m), radius=7) for m in masks])  # ~150 px, a floating limb
    specks = np.stack([_blob(m, *_far_corner(m), radius=3) for m in masks])  # ~29 px, under 0.2% of the frame
    assert metrics.broken(blobs).all()
    assert metrics.broken(specks).mean() == metrics.broken(masks).mean()


def test_realism_knows_a_body_from_a_blob(rendered):
    reference = metrics.realism_masks(rendered[::2])
    held = metrics.nearest_iou(metrics.realism_masks(rendered[1::2]), reference)
    assert np.percentile(held, 5) > 0.7 and np.median(held) > 0.85  # a neighbouring real frame is close
    yy, xx = np.mgrid[0:120, 0:200]
    blobs = np.stack([(xx - 100) ** 2 / r**2 + (yy - 60) ** 2 / 50**2 <= 1 for r in (20, 30, 40)])
    assert metrics.nearest_iou(metrics.realism_masks(blobs), reference).max() < np.percentile(held, 5) - 0.1  # 0.63
    same = metrics.nearest_iou(metrics.realism_masks(rendered[:3]), metrics.realism_masks(rendered[:3]))
    np.testing.assert_allclose(same, 1.0)


def test_longest_run_and_still_stretches():
    assert metrics.longest_run(np.array([0, 1, 1, 0, 1, 1, 1, 0], bool)) == 3
    assert metrics.longest_run(np.zeros(5, bool)) == 0
    motion = np.array([[0.1, 0.0], [0.1, 0.0], [0.1, 0.001], [0.1, 0.0]])  # dancer 1 is frozen
    assert metrics.longest_still(motion, reference=0.1).tolist() == [0, 4]


@pytest.mark.parametrize("size, scale", [((1920, 1080), 9.0), ((3840, 2160), 18.0)])
def test_the_compositor_draws_a_crisp_edge_where_a_linear_upscale_is_soft(rendered, size, scale):
    ink = cv2.GaussianBlur(rendered[40].astype(np.float32), (0, 0), 0.6)  # as soft as a decoded frame
    canvas = Compositor(size).compose(ink, Look(fg="white", bg="black"))
    soft = cv2.resize(np.round(ink * 255).astype(np.uint8), None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    assert metrics.edge_band_px(canvas[..., 0]) <= 1.5
    assert metrics.edge_band_px(soft) > scale / 2  # the measure sees the soft edge
    # the outline stays where the figure is: same area as the plain upscale, within 1%
    assert abs((canvas[..., 0] > 127).sum() / (soft > 127).sum() - 1) < 0.01


def test_reach_is_wider_with_arms_out():
    body = np.zeros((2, 120, 200), bool)
    body[:, 10:120, 90:110] = True  # a torso and legs, 20 wide and 110 high
    body[1, 30:36, 40:160] = True  # arms out to both sides
    np.testing.assert_allclose(metrics.reach(body), [20 / 110, 120 / 110])
    assert metrics.reach(np.zeros((1, 120, 200), bool)).tolist() == [0.0]
    summary = metrics.reach_summary(metrics.reach(body))
    assert summary["median"] < summary["p90"]
