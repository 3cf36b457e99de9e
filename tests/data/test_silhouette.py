"""Cleaning and framing on drawn frames whose true silhouette is known.

`dancer_mask`, `dark_frame` and `stage_frame` are shared with test_ingest.py.
"""

import math

import cv2
import numpy as np
import pytest

from livedance.data.silhouette import Figure, Framer, MainFigure, Mog2Cleaner, ThresholdCleaner, make_cleaner
from livedance.errors import LivedanceError

W, H = 854, 480


def dancer_mask(t, w=W, h=H, cx=None, top=None, height=None):
    """The true silhouette (255) at time t: head, torso, two-part limbs swinging."""
    mask = np.zeros((h, w), np.uint8)
    cx = w / 2 + w * 0.15 * math.sin(0.8 * t) if cx is None else cx
    top = h * 0.1 if top is None else top
    s = (h * 0.8 if height is None else height) / 8.0

    def pt(x, y):
        return int(round(x)), int(round(y))

    cv2.ellipse(mask, pt(cx, top + 0.6 * s), (int(0.45 * s), int(0.6 * s)), 0, 0, 360, 255, -1)
    cv2.ellipse(mask, pt(cx, top + 2.6 * s), (int(0.8 * s), int(1.5 * s)), 0, 0, 360, 255, -1)
    arm, leg = max(2, int(0.35 * s)), max(3, int(0.5 * s))
    for side in (-1, 1):
        a = math.sin(2 * math.pi * 0.7 * t + (0 if side > 0 else 1.7))
        shoulder = (cx + side * 0.5 * s, top + 1.5 * s)
        elbow = (cx + side * 1.3 * s, top + s * (1.8 - 1.2 * a))
        hand = (elbow[0] + side * 1.2 * s * math.cos(a), elbow[1] - 1.0 * s * a)
        cv2.line(mask, pt(*shoulder), pt(*elbow), 255, arm)
        cv2.line(mask, pt(*elbow), pt(*hand), 255, arm)
        b = math.sin(2 * math.pi * 0.5 * t + (0 if side > 0 else 3.1))
        hip = (cx + side * 0.4 * s, top + 4.0 * s)
        knee = (cx + side * s * (0.5 + 0.4 * b), top + 6.0 * s)
        cv2.line(mask, pt(*hip), pt(*knee), 255, leg)
        cv2.line(mask, pt(*knee), pt(knee[0] + side * 0.2 * s, top + 7.9 * s), 255, arm)
    return mask


def dark_frame(mask, rng=None):
    """The paper's kind of footage: a near-black figure on light grey, a little noise."""
    frame = np.full(mask.shape + (3,), 232, np.uint8)
    frame[mask > 0] = (25, 20, 30)
    if rng is not None:
        frame = cv2.add(frame, rng.integers(0, 8, frame.shape, dtype=np.uint8))
    return frame


def stage_background(w=W, h=H):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack(
        [120 + 60 * np.sin(xx / 17.0), 130 + 50 * np.cos(yy / 23.0), 110 + 40 * np.sin((xx + yy) / 31.0)], -1
    ).astype(np.uint8)


def stage_frame(mask, background, rng):
    """Ordinary footage: the figure in mid-dark clothes over a textured, noisy background."""
    frame = background.copy()
    frame[mask > 0] = (40, 60, 90)
    noise = rng.integers(0, 8, frame.shape[:2] + (1,), dtype=np.uint8)  # sensor noise, about +-2.5
    return cv2.subtract(cv2.add(frame, np.broadcast_to(noise, frame.shape)), 4)


def work_mask(mask, shape):
    """The true mask at a cleaner's work resolution."""
    small = cv2.resize(mask, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return np.where(small >= 128, 255, 0).astype(np.uint8)


def iou(a, b):
    """IoU of the dark (figure) pixels of two dark-on-white frames."""
    fa, fb = a < 128, b < 128
    union = np.logical_or(fa, fb).sum()
    return 1.0 if union == 0 else np.logical_and(fa, fb).sum() / union


def clean_and_truth(cleaner, framer, frame, truth):
    fig = cleaner(frame)
    out = framer(fig)
    return fig, out, framer.render(work_mask(truth, fig.mask.shape))


def test_threshold_matches_drawn_figure():
    rng = np.random.default_rng(0)
    cleaner, framer = ThresholdCleaner(), Framer(fps=3)
    scores = []
    for i in range(12):
        truth = dancer_mask(i / 3)
        fig, out, want = clean_and_truth(cleaner, framer, dark_frame(truth, rng), truth)
        assert fig.found and out.shape == (120, 200) and out.dtype == np.uint8
        scores.append(iou(out, want))
    assert min(scores) >= 0.95
    # dark figure (0) on white (255)
    assert out[0, 0] == 255 and out.min() == 0


def test_threshold_level_is_a_parameter():
    truth = dancer_mask(0.0)
    frame = np.full((H, W, 3), 240, np.uint8)
    frame[truth > 0] = 100  # R+G+B = 300: figure only above the default level
    assert not ThresholdCleaner()(frame).found
    fig = ThresholdCleaner(level=400)(frame)
    assert fig.found and iou(255 - fig.mask, 255 - truth) > 0.98
    with pytest.raises(LivedanceError, match="between 1 and 765"):
        ThresholdCleaner(level=0)


def test_sum_threshold_is_exact_at_pixel_level():
    """The resize trick must agree with a plain R+G+B < level on every pixel (at factor 1)."""
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
    for level in (100, 230, 500):
        cleaner = ThresholdCleaner(
            level=level, open_px=0, close_px=0, figure=MainFigure(min_area=0, part_area=0, near=1e9)
        )
        got = cleaner(frame).mask > 0
        want = frame.sum(2, dtype=np.int32) < level
        assert np.mean(got != want) < 0.01  # exact but for sums within 2 of the level
        assert np.array_equal(got, want) or level % 3 != 2


def test_specks_and_far_blobs_removed_detached_hand_kept():
    rng = np.random.default_rng(2)
    truth = dancer_mask(0.5, cx=W / 2)
    dirty = truth.copy()
    for x, y in rng.integers([0, 0], [W, H], (300, 2)):  # specks 1-2 px all over
        cv2.circle(dirty, (int(x), int(y)), int(rng.integers(0, 2)), 255, -1)
    cv2.rectangle(dirty, (10, 10), (60, 40), 255, -1)  # a dark object far off: 1500 px
    hand = (int(W / 2 + 120), int(H * 0.45))
    cv2.circle(dirty, hand, 10, 255, -1)  # a hand cut off at the wrist, near the body
    cleaner = ThresholdCleaner()
    fig = cleaner(dark_frame(dirty))
    kept = fig.mask > 0
    assert kept[hand[1], hand[0]]
    assert not kept[10:41, 10:61].any()
    with_hand = truth.copy()
    cv2.circle(with_hand, hand, 10, 255, -1)
    stray = np.logical_and(kept, with_hand == 0).sum()
    assert stray < 0.01 * (with_hand > 0).sum()
    x, y, w, h = fig.box
    ys, xs = np.nonzero(with_hand)
    assert (
        abs(x - xs.min()) <= 2
        and abs(y - ys.min()) <= 2
        and abs(x + w - xs.max() - 1) <= 2
        and abs(y + h - ys.max() - 1) <= 2
    )


def test_no_figure_gives_white_and_keeps_framing():
    cleaner, framer = ThresholdCleaner(), Framer(fps=3, reset_after=2.0)
    figure = dark_frame(dancer_mask(0.0))
    empty = np.full((H, W, 3), 232, np.uint8)
    fresh = framer(cleaner(empty))
    assert (fresh == 255).all() and framer.rect is None
    framer(cleaner(figure))
    rect = framer.rect
    fig = cleaner(empty)
    assert not fig.found and fig.box is None
    assert (framer(fig) == 255).all() and framer.rect == rect
    # back within reset_after: framing carries on smoothly; after a long gap it starts afresh
    moved = dark_frame(dancer_mask(0.0, cx=150, height=200))
    framer(cleaner(moved))
    assert 0.8 * rect[3] < framer.rect[3] < 0.95 * rect[3]
    for _ in range(7):
        framer(cleaner(empty))
    framer(cleaner(moved))
    assert framer.rect[3] == pytest.approx(200 / 0.85, rel=0.1)


def test_framing_is_steady_and_never_cuts_the_figure():
    """A dancer waving her arms and crouching: the crop size changes slowly, the figure stays
    whole and fills most of the frame height."""
    cleaner, framer = ThresholdCleaner(), Framer(fps=3)
    heights, fills = [], []
    for i in range(45):
        t = i / 3
        height = H * (0.8 - 0.15 * (math.sin(t) > 0.5))  # crouches now and then
        out = framer(cleaner(dark_frame(dancer_mask(t, height=height))))
        heights.append(framer.rect[3])
        rows = np.nonzero((out < 128).any(1))[0]
        cols = np.nonzero((out < 128).any(0))[0]
        assert rows[0] > 0 and rows[-1] < 119 and cols[0] > 0 and cols[-1] < 199  # not cut
        fills.append((rows[-1] - rows[0] + 1) / 120)
    steps = np.abs(np.diff(np.log(heights)))
    assert np.median(steps) < 0.05 and steps.max() < 0.35
    assert 0.7 <= np.median(fills) <= 0.95


def test_figure_cut_by_the_picture_stays_cut_at_the_edge():
    truth = dancer_mask(0.3, top=H * 0.15, height=H * 1.6)  # a close shot, cut at the thighs
    assert truth[-1].any() and not truth[:20].any()
    out = Framer(fps=3)(ThresholdCleaner()(dark_frame(truth)))
    rows = np.nonzero((out < 128).any(1))[0]
    assert rows[-1] == 119 and 2 <= rows[0] <= 30


def test_large_frames_are_cleaned_at_work_height():
    truth = dancer_mask(0.0, w=1920, h=1080)
    cleaner = ThresholdCleaner()
    fig = cleaner(dark_frame(truth))
    assert fig.mask.shape == (540, 960)
    grey = cv2.cvtColor(dark_frame(truth), cv2.COLOR_BGR2GRAY)
    assert iou(255 - ThresholdCleaner()(grey).mask, 255 - fig.mask) > 0.99


def test_mog2_learns_the_stage_and_ignores_shadows():
    rng = np.random.default_rng(3)
    background = stage_background()
    cleaner, framer = Mog2Cleaner(), Framer(fps=3)
    for _ in range(10):
        cleaner.learn(stage_frame(np.zeros((H, W), np.uint8), background, rng))
    scores, shadow_pixels = [], []
    for i in range(9):
        truth = dancer_mask(i / 3)
        frame = stage_frame(truth, background, rng)
        x0 = int(np.nonzero(truth.any(0))[0].max()) + 5  # a shadow on the floor beside her
        shadow = frame[int(H * 0.75) : int(H * 0.9), x0 : x0 + 120]
        shadow[:] = (shadow * 0.6).astype(np.uint8)
        fig, out, want = clean_and_truth(cleaner, framer, frame, truth)
        scores.append(iou(out, want))
        sh, sw = fig.mask.shape
        shadow_pixels.append(
            (fig.mask[int(sh * 0.77) : int(sh * 0.88), x0 * sw // W + 3 : (x0 + 117) * sw // W] > 0).mean()
        )
    assert min(scores) >= 0.9
    assert max(shadow_pixels) < 0.05


def test_mog2_learns_the_stage_from_a_take_with_the_dancer_in_it():
    """No empty stage: the median over a take where she travels across the stage."""
    rng = np.random.default_rng(4)
    background = stage_background()

    def truth(t):
        return dancer_mask(t, cx=W * (0.15 + 0.7 * (t / 8) % 1.0))

    cleaner, framer = Mog2Cleaner(), Framer(fps=3)
    cleaner.learn_median(stage_frame(truth(t), background, rng) for t in np.linspace(0, 8, 25, endpoint=False))
    scores = []
    for i in range(9):
        t = i / 3
        fig, out, want = clean_and_truth(cleaner, framer, stage_frame(truth(t), background, rng), truth(t))
        scores.append(iou(out, want))
    assert min(scores) >= 0.85


def test_bad_input():
    with pytest.raises(LivedanceError, match="expected a uint8 BGR"):
        ThresholdCleaner()(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(LivedanceError, match="expected one of threshold, mog2"):
        make_cleaner("grabcut")
    with pytest.raises(LivedanceError, match="fps"):
        Framer(fps=0)


def test_cleaners_reuse_their_buffers():
    cleaner = ThresholdCleaner()
    frame = dark_frame(dancer_mask(0.0))
    a, b = cleaner(frame).mask, cleaner(frame).mask
    assert isinstance(cleaner(frame), Figure)
    assert a is b or np.shares_memory(a, cleaner._mask) or np.shares_memory(a, cleaner._tmp)


def test_the_main_figure_follows_a_mask_whose_size_changes_by_one_row():
    """240 and 241 rows share a half size: the full-size buffer must still follow."""
    figure = MainFigure()
    for rows in (241, 240, 241):
        mask = np.zeros((rows, 320), np.uint8)
        mask[60:180, 100:160] = 255
        mask[5:15, 300:310] = 255  # a speck far away: dropped through the full-size buffer
        found = figure(mask)
        assert found.box is not None and mask[100, 130] == 255 and mask[10, 305] == 0
