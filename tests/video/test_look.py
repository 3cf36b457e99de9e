"""Each look option changes the pixels as it should; bad values are one-line errors."""

import cv2
import numpy as np
import pytest

from livedance.errors import LivedanceError
from livedance.video.look import CRISP_ABOVE, EDGE_SMOOTHING, Compositor, Look, edge_curve

FG, BG = (102, 0, 255), (128, 0, 0)  # '#ff0066' and '#000080' in BGR
SIZE = (400, 240)  # exactly 5:3, like the 120x200 frames: no letterbox unless a test wants one


def figure_ink(left=40, width=30, top=20, bottom=110):
    """A figure: a body column plus an arm reaching left from it (so it is left-heavy)."""
    ink = np.zeros((1, 120, 200), np.float32)
    ink[0, top:bottom, left : left + width] = 1.0
    ink[0, 40:50, max(left - 30, 0) : left] = 1.0
    return ink


def figure_mask(canvas, fg=FG):
    return np.abs(canvas.astype(int) - fg).max(axis=2) < 30


def bbox(mask):
    ys, xs = np.nonzero(mask)
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def compose(ink=None, size=SIZE, **look):
    look = Look(**{"fg": "#ff0066", "bg": "#000080", **look})
    return Compositor(size).compose(figure_ink() if ink is None else ink, look).copy()


def test_colours_where_figure_and_background_are():
    canvas = compose()
    mask = figure_mask(canvas)
    assert 0.05 < mask.mean() < 0.3
    assert (np.abs(canvas[~mask].astype(int) - BG).max(axis=1) < 30).mean() > 0.97  # the rest: blended edges
    assert tuple(canvas[5, 390]) == BG and tuple(canvas[120, 130]) == FG  # far corner; inside the body


def test_invert_swaps_colours():
    normal, inverted = compose(), compose(invert=True)
    np.testing.assert_array_equal(figure_mask(normal), figure_mask(inverted, fg=BG))


def test_mirror_flips_left_heavy_to_right_heavy():
    normal, mirrored = figure_mask(compose()), figure_mask(compose(mirror=True))
    assert np.nonzero(normal)[1].mean() < 200 < np.nonzero(mirrored)[1].mean()
    np.testing.assert_array_equal(mirrored, normal[:, ::-1])


@pytest.mark.parametrize("trails", [0.0, 0.5, 0.9])
def test_trails_keep_a_fading_copy_of_the_previous_figure(trails):
    compositor = Compositor(SIZE)
    look = Look(fg="white", bg="black", trails=trails)
    compositor.compose(figure_ink(left=20), look)
    moved = figure_ink(left=150)
    echoes = [int(compositor.compose(moved, look)[120, 60, 0]) for _ in range(3)]  # where the body was
    assert compositor.canvas[120, 302:358, 0].min() == 255  # the new figure (frame x 150-180) at full strength
    expected = [round(255 * trails**n) for n in (1, 2, 3)]
    assert np.allclose(echoes, expected, atol=2)  # 0 keeps none; otherwise it fades step by step


def test_trails_with_dt_fade_by_time_not_by_frames():
    look = Look(fg="white", bg="black", trails=0.5)
    results = []
    for dt, calls in ((1 / 60, 1), (1 / 120, 2)):  # the same 1/60 s at 60 and at 120 fps
        compositor = Compositor(SIZE)
        compositor.compose(figure_ink(left=20), look, dt=dt)
        for _ in range(calls):
            canvas = compositor.compose(figure_ink(left=150), look, dt=dt)
        results.append(int(canvas[120, 60, 0]))
    assert abs(results[0] - 128) <= 2 and abs(results[0] - results[1]) <= 2


@pytest.mark.parametrize("scale", [0.5, 0.25])
def test_scale_shrinks_the_figure(scale):
    x0, y0, x1, y1 = bbox(figure_mask(compose()))
    sx0, sy0, sx1, sy1 = bbox(figure_mask(compose(scale=scale)))
    assert abs((sx1 - sx0) / (x1 - x0) - scale) < 0.05 and abs((sy1 - sy0) / (y1 - y0) - scale) < 0.05


def test_scale_up_clips_to_the_canvas():
    canvas = compose(ink=np.ones((1, 120, 200), np.float32), scale=2.0)
    assert figure_mask(canvas).all()


@pytest.mark.parametrize("dx, dy", [(0.5, 0.0), (-0.5, 0.0), (0.0, 0.5), (0.0, -0.25), (1.0, 1.0)])
def test_offset_moves_the_figure(dx, dy):
    x0, y0, _, _ = bbox(figure_mask(compose(scale=0.5)))
    ox0, oy0, _, _ = bbox(figure_mask(compose(scale=0.5, offset_x=dx, offset_y=dy)))
    assert abs((ox0 - x0) - dx * SIZE[0] / 2) <= 2 and abs((oy0 - y0) - dy * SIZE[1] / 2) <= 2


def test_blackout_fades_to_black_not_to_background():
    assert not compose(fg="white", bg="white", blackout=1.0).any()
    full, half = compose(bg="white"), compose(bg="white", blackout=0.5)
    assert abs(half.mean() / full.mean() - 0.5) < 0.01


def test_three_dancers_side_by_side():
    ink = np.repeat(figure_ink(left=85), 3, axis=0)
    columns = figure_mask(compose(ink, size=(600, 240), dancers=3)).any(axis=0)
    starts = np.flatnonzero(columns[1:] & ~columns[:-1]) + 1
    assert len(starts) == 3
    assert np.allclose(np.diff(starts), 200, atol=2)  # one per 200-pixel cell


def test_letterbox_keeps_the_aspect():
    full = np.ones((1, 120, 200), np.float32)
    for size, picture in (((480, 240), (400, 240)), ((400, 400), (400, 240))):
        x0, y0, x1, y1 = bbox(figure_mask(compose(full, size=size)))
        assert (x1 - x0, y1 - y0) == picture
        assert (x0, y0) == ((size[0] - picture[0]) // 2, (size[1] - picture[1]) // 2)


def test_rgb_channels_for_displays_that_want_them():
    canvas = Compositor(SIZE, channels="RGB").compose(figure_ink(), Look(fg="#ff0066", bg="#000080"))
    assert tuple(canvas[5, 390]) == BG[::-1] and tuple(canvas[120, 130]) == FG[::-1]


def test_canvas_is_reused_and_reallocated_only_when_the_layout_changes():
    compositor = Compositor(SIZE)
    look = Look()
    first = compositor.compose(figure_ink(), look)
    picture = first.copy()
    first[:] = 77  # a HUD drawn over the canvas: every pixel is rewritten by the next call
    np.testing.assert_array_equal(compositor.compose(figure_ink(), look), picture)
    look.trails, look.fg = 0.5, "red"  # changed in place, as the controls will
    assert compositor.compose(figure_ink(), look) is first
    assert look.fg == (0, 0, 255)
    look.dancers = 2
    assert compositor.compose(np.repeat(figure_ink(), 2, axis=0), look) is first  # same size: same canvas
    compositor.resize((200, 120))
    assert compositor.compose(np.repeat(figure_ink(), 2, axis=0), look).shape == (120, 200, 3)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("fg", "nocolour", "fg 'nocolour': expected a colour name"),
        ("bg", (0, 0, 300), "bg (0, 0, 300): expected a BGR triple of integers 0-255"),
        ("scale", "big", "scale 'big': expected a finite number"),
        ("dancers", 0, "dancers 0: expected a whole number of 1 or more"),
        ("dancers", 2.5, "dancers 2.5: expected a whole number of 1 or more"),
        ("trails", None, "trails None: expected a finite number"),
        ("offset_x", True, "offset_x True: expected a finite number"),
        ("blackout", float("nan"), "blackout nan: expected a finite number"),
        ("mirror", "yes", "mirror 'yes': expected true or false"),
    ],
)
def test_bad_values_are_one_line_errors(field, value, message):
    with pytest.raises(LivedanceError) as made:
        Look(**{field: value})
    assert message in str(made.value) and "\n" not in str(made.value)
    look = Look()
    setattr(look, field, value)  # changed in place: caught by the next compose
    with pytest.raises(LivedanceError, match=field):
        Compositor(SIZE).compose(figure_ink(), look)


def test_a_look_beyond_the_controls_ranges_still_draws():
    """The ranges are the control registry's; the compositor draws any finite look."""
    look = Look(fg="white", bg="black", scale=3.0, trails=1.0, blackout=-0.5, offset_x=4.0, dancers=9)
    canvas = Compositor(SIZE).compose(np.repeat(figure_ink(), 9, axis=0), look, dt=1 / 60)
    assert canvas.shape == (240, 400, 3)


def test_ink_of_the_wrong_shape_is_an_error():
    with pytest.raises(LivedanceError, match=r"expected \(2, 120, 200\) for 2 dancer"):
        Compositor(SIZE).compose(figure_ink(), Look(dancers=2))


@pytest.mark.parametrize("scale, dx, dy", [(2.0, 0.0, 0.0), (1.3, 0.37, -0.21), (1.0, -0.83, 0.6), (0.5, 0.9, -0.95)])
def test_a_clipped_figure_matches_the_whole_figure_cropped(scale, dx, dy):
    """Figures partly outside the canvas are drawn from a cropped source: the same picture."""
    rng = np.random.default_rng(1)
    blocks = np.kron(rng.random((12, 20), dtype=np.float32), np.ones((10, 10), np.float32))
    ink = cv2.GaussianBlur(blocks, (0, 0), 2.0)[None]  # soft, like decoded frames
    canvas = Compositor((500, 300)).compose(ink, Look(fg="white", bg="black", scale=scale, offset_x=dx, offset_y=dy))
    w, h = round(200 * 2.5 * scale), round(120 * 2.5 * scale)
    x0, y0 = round(250 * (1 + dx) - w / 2), round(150 * (1 + dy) - h / 2)
    level = np.clip(ink[0] * 255 + 0.5, 0, 255).astype(np.uint8)
    if 2.5 * scale > CRISP_ABOVE:  # smoothed at frame size before it is enlarged, as the compositor does
        level = cv2.GaussianBlur(level, (0, 0), EDGE_SMOOTHING)
    whole = cv2.resize(level, (w, h), interpolation=cv2.INTER_LINEAR if scale * 2.5 >= 1 else cv2.INTER_AREA)
    big = np.zeros((h + 600, w + 1000), np.uint8)
    big[300 : 300 + h, 500 : 500 + w] = whole
    expected = edge_curve(2.5 * scale)[big[300 - y0 : 600 - y0, 500 - x0 : 1000 - x0]]
    assert ((canvas[..., 0] > 127) != (expected > 127)).mean() < 0.01  # the same figure, a pixel apart at most
    assert np.abs(canvas[..., 0].astype(int) - expected).mean() < 3  # a pixel apart on steep edges: mean 8


@pytest.mark.parametrize("size", [(400, 240), (1920, 1152)])
def test_a_crossfade_dissolves_one_crisp_figure_into_the_other(size):
    """Halfway through a model switch both figures show at half strength, each with its crisp
    edge (mixing the soft inks first would put both below the edge curve's middle: nothing)."""
    old, new = figure_ink(left=20), figure_ink(left=150)
    compositor = Compositor(size)
    look = Look(fg="white", bg="black")
    scale = size[0] / 200
    at = lambda x: int(compositor.canvas[size[1] // 2, round(x * scale), 0])  # noqa: E731
    compositor.compose(new, look, fade_from=old, fade=0.5)
    assert abs(at(35) - 128) <= 2 and abs(at(165) - 128) <= 2  # inside each body
    compositor.compose(new, look, fade_from=old, fade=0.0)
    assert at(35) == 255 and at(165) == 0
    compositor.compose(new, look, fade_from=old, fade=1.0)
    assert at(35) == 0 and at(165) == 255
