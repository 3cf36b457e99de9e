"""How the dancers look: colours, mirror, trails, size and place, blackout, several dancers.

`Look` holds the parameters with their defaults (the controls drive them, within the ranges of
the control registry); `Compositor` turns decoded ink frames into the output picture under a
look. The live loop calls `compose` at 60-200 fps at 1920x1080, so the per-frame work at output
size is one resize per dancer and two table look-ups, into buffers that are allocated once and
reused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from typing import NamedTuple

import cv2
import numpy as np

from livedance.errors import LivedanceError

COLOURS = {  # BGR, as OpenCV wants it
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "grey": (128, 128, 128),
    "gray": (128, 128, 128),
    "red": (0, 0, 255),
    "green": (0, 160, 0),
    "blue": (255, 0, 0),
    "yellow": (0, 255, 255),
    "cyan": (255, 255, 0),
    "magenta": (255, 0, 255),
    "orange": (0, 140, 255),
    "pink": (203, 192, 255),
    "purple": (128, 0, 128),
}
TRAIL_RATE = 60.0  # with compose(dt=...), `trails` is the echo kept per 1/60 s
# The ink's bounds as arrays: a Python number in a ufunc call is wrapped in a new array per call.
_ZERO = np.zeros((), np.float32)
_ONE = np.ones((), np.float32)


def parse_colour(text, option: str = "colour") -> tuple[int, int, int]:
    """A colour name, hex (#rgb / #rrggbb) or a BGR triple -> BGR."""
    if isinstance(text, (tuple, list, np.ndarray)):
        if len(text) == 3 and all(isinstance(c, (int, np.integer)) and 0 <= c <= 255 for c in text):
            return tuple(int(c) for c in text)
        raise LivedanceError(
            f"{option} {tuple(text)!r}: expected a BGR triple of integers 0-255, a colour name or hex like #ff0066"
        )
    name = str(text).strip().lower()
    if name in COLOURS:
        return COLOURS[name]
    match = re.fullmatch(r"#?([0-9a-f]{6}|[0-9a-f]{3})", name)
    if not match:
        raise LivedanceError(f"{option} {text!r}: expected a colour name ({', '.join(COLOURS)}) or hex like #ff0066")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    red, green, blue = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return blue, green, red


@dataclass
class Look:
    """Every look parameter with its default. The ranges the controls keep to are the control
    registry's (`control/params.py`), which clamps whatever reaches a look; construction (and
    `check`) validates types, so the compositor can draw anything that passes, and turns colour
    names into BGR. The compositor re-checks whenever a field was changed in place."""

    fg: object = (0, 0, 0)
    bg: object = (255, 255, 255)
    invert: bool = False
    mirror: bool = False
    trails: float = 0.0
    scale: float = 1.0
    offset_x: float = 0.0
    offset_y: float = 0.0
    blackout: float = 0.0
    dancers: int = 1

    def __post_init__(self):
        self.check()

    def check(self) -> "Look":
        """Validate every field's type (one-line LivedanceError naming it); colours -> BGR."""
        self.fg, self.bg = parse_colour(self.fg, "fg"), parse_colour(self.bg, "bg")
        self.invert, self.mirror = _flag(self.invert, "invert"), _flag(self.mirror, "mirror")
        self.trails, self.scale = _finite(self.trails, "trails"), _finite(self.scale, "scale")
        self.offset_x, self.offset_y = _finite(self.offset_x, "offset_x"), _finite(self.offset_y, "offset_y")
        self.blackout = _finite(self.blackout, "blackout")
        dancers = self.dancers
        if isinstance(dancers, bool) or not isinstance(dancers, (int, np.integer)) or dancers < 1:
            raise LivedanceError(f"dancers {dancers!r}: expected a whole number of 1 or more")
        self.dancers = int(dancers)
        return self

    def snapshot(self) -> dict:
        """Every field as it is (a session log's snapshot)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}

    def restore(self, state: dict) -> None:
        for field in fields(self):
            setattr(self, field.name, state[field.name])
        self.check()


class Compositor:
    """Ink frames of B dancers -> one (height, width, 3) uint8 picture, reusing every buffer.

    Crisp at any size: the decoder's soft 120x200 ink is upscaled as a grey level map, and a
    steep transfer curve, as steep as the upscale is large, turns it back into a silhouette
    whose edge is an anti-aliased line about one output pixel wide (the curve's 50% point is
    the figure's outline, so nothing moves; only the blur goes). The colour table (fg/bg,
    invert, blackout) is applied after, at output size.

    Per frame: ink -> uint8 levels and mirror on the small frames, one resize per dancer into a
    reused one-channel buffer, then grey -> colour through a 256-entry table straight into the
    canvas. Trails are kept at output size, on the crisp figure: an echo map decays and each new
    figure is drawn over it at full strength, so echoes stay as sharp as the dancer. A figure
    partly outside its cell (scale above 1, far offsets) is resized from the source pixels it
    shows only.
    """

    def __init__(
        self, size: tuple[int, int] = (1920, 1080), frame_shape: tuple[int, int] = (120, 200), channels: str = "BGR"
    ):

        self.cv2 = cv2
        if channels not in ("BGR", "RGB"):
            raise LivedanceError(f"channels {channels!r}: expected BGR or RGB")
        self.channels = channels
        self.frame_shape = _positive_pair(frame_shape, "frame_shape")
        self.size = (0, 0)
        self.resize(size)

    # --- allocation (only when the size or the number of dancers changes) ------------------
    def resize(self, size: tuple[int, int]) -> None:
        """A new output size (width, height): reallocates the canvas once."""
        width, height = _positive_pair(size, "size")
        if (width, height) != self.size:
            self.size = (width, height)
            self.canvas = np.empty((height, width, 3), np.uint8)
            self._drawn: np.ndarray = self.canvas  # what the layout's regions are views of (a keyed picture: its alpha)
            self._echo = np.zeros((height, width), np.uint8)  # trails: the crisp figures shown, decaying
            self._echo_live = False
            self._dancers = 0  # forces the per-dancer buffers and the layout to be redone
            self._configured: dict | None = None  # the look's fields the tables were last built for

    def _allocate(self, dancers: int) -> None:
        fh, fw = self.frame_shape
        self._dancers = dancers
        self._clipped = np.empty((dancers, fh, fw), np.float32)
        self._clipped_rows = self._clipped.reshape(dancers * fh, fw)
        # Grey levels of the dancers stacked (one call for all), flipped copies for the mirror;
        # the second of each is for the outgoing dancers of a crossfade. Each dancer's rows in
        # them are sliced here once, not per frame.
        self._levels = [np.empty((dancers * fh, fw), np.uint8) for _ in range(2)]
        self._flipped = [np.empty((dancers * fh, fw), np.uint8) for _ in range(2)]
        self._level_rows = [[level[i * fh : (i + 1) * fh] for i in range(dancers)] for level in self._levels]
        self._flipped_rows = [[level[i * fh : (i + 1) * fh] for i in range(dancers)] for level in self._flipped]
        width, height = self.size
        self._cells = [(round(i * width / dancers), round((i + 1) * width / dancers)) for i in range(dancers)]
        self._scratch = [None, None]  # one-channel upscale buffers, grown as needed
        self._scratch_views: list = [None, None]  # the last (h, w) view of each, reused while the size holds

    # --- per frame -------------------------------------------------------------------------
    def compose(
        self,
        ink: np.ndarray,
        look: Look,
        dt: float | None = None,
        fade_from: np.ndarray | None = None,
        fade: float = 1.0,
    ) -> np.ndarray:
        """ink (B, H, W[, 1]) float32 in [0, 1] with B == look.dancers (or (H, W) for one) ->
        the canvas (height, width, 3) uint8, BGR unless channels="RGB", valid until the next call.
        Every pixel is rewritten per call, so a caller may draw on it (a HUD).

        `dt`: seconds since the previous frame; when given, trails fade at the same speed at any
        frame rate (`trails` is then the echo kept per 1/60 s), otherwise per call.
        `fade_from`: outgoing dancers' ink (same shape), dissolved into `ink` at share `fade`
        (0 = all outgoing, 1 = all new). The dissolve mixes the two crisp figures: mixing the
        soft inks first would leave a ghost below the edge curve's middle, and it would vanish.
        """
        cv2 = self.cv2
        rows, old = self._start(ink, look, fade_from, fade)
        canvas = self.canvas
        if look.trails > 0:
            return self._compose_trails(rows, old, fade, look, dt)
        self._echo_live = False
        for i, place in enumerate(self._layout):
            region = place.region
            if region is not None:
                if old is None:
                    grey = self._upscale(rows[i], place)
                    cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR, dst=region)
                    cv2.LUT(region, self._lut_crisp, dst=region)
                else:
                    grey = self._dissolved(rows, old, fade, i)
                    cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR, dst=region)
                    cv2.LUT(region, self._lut, dst=region)
            for corner, opposite in place.bands:
                cv2.rectangle(canvas, corner, opposite, self._fill, -1)
        return canvas

    def _start(
        self, ink: np.ndarray, look: Look, fade_from: np.ndarray | None, fade: float
    ) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
        """Tables and layout for `look` (rebuilt only when it changed), then the grey levels of the
        new dancers and of the outgoing ones while they fade."""
        if look.__dict__ != self._configured:  # field by field: a key tuple would be a new object per frame
            self._configure(look)
            self._configured = dict(look.__dict__)
        rows = self._prepare(ink, look, 0)
        return rows, self._prepare(fade_from, look, 1) if fade_from is not None and fade < 1.0 else None

    def _prepare(self, ink: np.ndarray, look: Look, slot: int) -> list[np.ndarray]:
        """ink -> each dancer's grey levels at frame size (mirrored, smoothed): views of buffer `slot`."""
        cv2 = self.cv2
        fh, fw = self.frame_shape
        dancers = self._dancers
        ink = np.asarray(ink)
        if ink.ndim == 2:
            ink = ink[None]
        if ink.shape[:3] != (dancers, fh, fw) or ink.ndim not in (3, 4) or ink.size != dancers * fh * fw:
            raise LivedanceError(f"ink of shape {ink.shape}: expected ({dancers}, {fh}, {fw}) for {dancers} dancer(s)")
        if ink.shape != self._clipped.shape:  # (B, H, W, 1), or one dancer's (H, W)
            ink = ink.reshape(self._clipped.shape)
        # fmax against 0 turns a NaN pixel into background instead of garbage.
        np.fmax(ink, _ZERO, out=self._clipped)
        np.minimum(self._clipped, _ONE, out=self._clipped)
        level, rows = self._levels[slot], self._level_rows[slot]
        cv2.convertScaleAbs(self._clipped_rows, dst=level, alpha=255.0)
        if look.mirror:
            cv2.flip(level, 1, dst=self._flipped[slot])
            rows = self._flipped_rows[slot]
        if self._smooth:  # per dancer, so one figure's feet never bleed into the next one's head
            for figure in rows:
                cv2.GaussianBlur(figure, (0, 0), EDGE_SMOOTHING, dst=figure)
        return rows

    def _crisp(self, rows: list[np.ndarray], i: int, slot: int = 0) -> np.ndarray:
        """Dancer i's visible figure at output size through the edge curve (a scratch view)."""
        grey = self._upscale(rows[i], self._layout[i], slot)
        return self.cv2.LUT(grey, self._edge, dst=grey)

    def _dissolved(self, rows: list[np.ndarray], old: list[np.ndarray], fade: float, i: int) -> np.ndarray:
        """The crisp new figure over the crisp outgoing one, mixed at `fade` (a scratch view)."""
        grey = self._crisp(rows, i, 0)
        previous = self._crisp(old, i, 1)
        return self.cv2.addWeighted(grey, float(fade), previous, 1.0 - float(fade), 0.0, dst=grey)

    def _compose_trails(
        self, rows: list[np.ndarray], old: list[np.ndarray] | None, fade: float, look: Look, dt: float | None
    ) -> np.ndarray:
        """echo = max(new crisp figure, decayed echo), at output size; then colour the whole canvas."""
        self._trails(rows, old, fade, look, dt)
        self.cv2.cvtColor(self._echo, self.cv2.COLOR_GRAY2BGR, dst=self.canvas)
        self.cv2.LUT(self.canvas, self._lut, dst=self.canvas)
        return self.canvas

    def _trails(
        self, rows: list[np.ndarray], old: list[np.ndarray] | None, fade: float, look: Look, dt: float | None
    ) -> None:
        """The echo map: the new crisp figures over the old ones, decayed by the time since."""
        cv2 = self.cv2
        echo = self._echo
        if not self._echo_live:  # trails just turned on: start from nothing
            echo.fill(0)
            self._echo_live = True
        decay = look.trails if dt is None else look.trails ** (max(dt, 0.0) * TRAIL_RATE)
        # -0.5: every level falls by at least one per frame, so an echo always fades out.
        cv2.convertScaleAbs(echo, dst=echo, alpha=decay, beta=-0.5)
        for i, place in enumerate(self._layout):
            region = place.echo_region
            if region is not None:
                grey = self._crisp(rows, i) if old is None else self._dissolved(rows, old, fade, i)
                cv2.max(region, grey, dst=region)

    def _upscale(self, small: np.ndarray, place: "_Place", slot: int = 0) -> np.ndarray:
        """The grey levels of the visible part of a figure at output size (a view of scratch
        buffer `slot`, valid until the next call)."""
        cv2 = self.cv2
        figure, visible = place.figure, place.visible
        (x0, y0, w, h), (vx0, vy0, vx1, vy1) = figure, visible
        if place.whole:
            return cv2.resize(small, place.size, dst=self._scratch_for(w, h, slot), interpolation=self._interpolation)
        # Enlarging: resize only the source pixels that reach the visible part (plus a margin
        # for the filter) at the figure's exact scale; placement is off by under half a pixel.
        # Shrinking, or if the arithmetic disagrees: resize the whole figure, then crop.
        fh, fw = self.frame_shape
        if self._interpolation == cv2.INTER_LINEAR:
            sx, sy = w / fw, h / fh
            c0, c1 = _source_span(vx0 - x0, vx1 - x0, sx, fw)
            r0, r1 = _source_span(vy0 - y0, vy1 - y0, sy, fh)
            nw, nh = round((c1 - c0) * sx), round((r1 - r0) * sy)  # the size cv2.resize makes for fx, fy
            jx, jy = vx0 - x0 - round(c0 * sx), vy0 - y0 - round(r0 * sy)
            if 0 <= jx and jx + vx1 - vx0 <= nw and 0 <= jy and jy + vy1 - vy0 <= nh:
                part = cv2.resize(small[r0:r1, c0:c1], (0, 0), dst=self._scratch_for(nw, nh, slot), fx=sx, fy=sy)
                return part[jy : jy + vy1 - vy0, jx : jx + vx1 - vx0]
        whole = cv2.resize(small, (w, h), dst=self._scratch_for(w, h, slot), interpolation=self._interpolation)
        return whole[vy0 - y0 : vy1 - y0, vx0 - x0 : vx1 - x0]

    def _scratch_for(self, w: int, h: int, slot: int = 0) -> np.ndarray:
        """A (h, w) view of scratch buffer `slot`, which only ever grows (so a scale sweep
        allocates at most a few times, not per frame)."""
        view = self._scratch_views[slot]
        if view is not None and view.shape[0] == h and view.shape[1] == w:
            return view
        scratch = self._scratch[slot]
        if scratch is None or scratch.shape[0] < h or scratch.shape[1] < w:
            old = (0, 0) if scratch is None else scratch.shape[:2]
            scratch = np.empty((max(h, old[0], self.size[1] + 64), max(w, old[1], self.size[0] + 64)), np.uint8)
            self._scratch[slot] = scratch
        view = self._scratch_views[slot] = scratch[:h, :w]
        return view

    # --- when the look changes -------------------------------------------------------------
    def _configure(self, look: Look) -> None:
        """Validate the look, then rebuild the colour tables and the layout (not per frame)."""
        look.check()
        if look.dancers != self._dancers:
            self._allocate(look.dancers)
        self._layout_for(look)
        fg, bg = (look.bg, look.fg) if look.invert else (look.fg, look.bg)
        fg, bg = np.array(fg, np.float32), np.array(bg, np.float32)
        if self.channels == "RGB":
            fg, bg = fg[::-1], bg[::-1]
        levels = np.arange(256, dtype=np.float32)[:, None] / 255.0
        colours = (bg + levels * (fg - bg)) * (1.0 - look.blackout)
        self._lut = np.clip(colours + 0.5, 0, 255).astype(np.uint8).reshape(256, 1, 3)
        self._fill = tuple(int(c) for c in self._lut[0, 0])
        self._edge = edge_curve(self._fit * look.scale)
        self._smooth = self._fit * look.scale > CRISP_ABOVE
        self._lut_crisp = self._lut[self._edge]  # edge curve, then colour: one table

    def _layout_for(self, look: Look) -> None:
        """Per dancer: its figure (x, y, w, h), the part visible in its cell, the rest of the cell
        (see `_Place`), with the views and corners each frame draws through."""
        cv2 = self.cv2
        fh, fw = self.frame_shape
        height = self.size[1]
        self._layout = []
        fits = []
        for cx0, cx1 in self._cells:
            cw = cx1 - cx0
            fit = min(cw / fw, height / fh)
            fits.append(fit)
            w, h = max(1, round(fw * fit * look.scale)), max(1, round(fh * fit * look.scale))
            x0 = round(cx0 + cw / 2 * (1 + look.offset_x) - w / 2)
            y0 = round(height / 2 * (1 + look.offset_y) - h / 2)
            visible = (max(x0, cx0), max(y0, 0), min(x0 + w, cx1), min(y0 + h, height))
            if visible[0] >= visible[2] or visible[1] >= visible[3]:
                visible = None
            self._layout.append(self._place((x0, y0, w, h), visible, _bands((cx0, 0, cx1, height), visible)))
        self._fit = max(fits)
        # Linear is smooth and as fast as it gets when enlarging; area averaging avoids aliasing when shrinking.
        self._interpolation = cv2.INTER_LINEAR if self._fit * look.scale >= 1 else cv2.INTER_AREA

    def _place(self, figure: tuple, visible: tuple | None, bands: list) -> "_Place":
        region = echo_region = None
        whole = False
        if visible is not None:
            vx0, vy0, vx1, vy1 = visible
            region, echo_region = self._drawn[vy0:vy1, vx0:vx1], self._echo[vy0:vy1, vx0:vx1]
            whole = (vx0, vy0, vx1 - vx0, vy1 - vy0) == figure
        corners = [((bx0, by0), (bx1 - 1, by1 - 1)) for bx0, by0, bx1, by1 in bands]
        return _Place(figure, visible, corners, region, echo_region, whole, figure[2:])


class _Place(NamedTuple):
    """Where one dancer goes: its figure (x, y, w, h) at output size, the part of it visible in
    its cell (x0, y0, x1, y1, or None), and what each frame draws through, made with the layout:
    the rest of the cell as rectangle corners, the visible part's views of the canvas and of the
    trails' echo, whether the whole figure is visible, and its size for cv2.resize."""

    figure: tuple
    visible: tuple | None
    bands: list
    region: np.ndarray | None
    echo_region: np.ndarray | None
    whole: bool
    size: tuple


# Enlarged more than this, a figure is drawn crisp: smoothed a little at frame size (the
# decoder's pixel ripple would otherwise show as a wobbly outline), then sharpened at output
# size by the edge curve.
CRISP_ABOVE = 2.0
EDGE_SMOOTHING = 1.0  # Gaussian sigma, frame pixels
# Steepness of the edge curve per unit of enlargement: the smoothed edge spans about this many
# frame pixels, so after an s-fold enlargement the curve narrows s x EDGE_STEEPNESS output
# pixels back to about one.
EDGE_STEEPNESS = 1.6


def edge_curve(upscale: float) -> np.ndarray:
    """A 256-entry uint8 table: grey levels after an `upscale`x enlargement -> a crisp edge.

    A ramp through 50% made steeper about its middle, so the outline stays where the figure's
    is and only the blur goes; the identity at or below CRISP_ABOVE (nothing to sharpen).
    """
    steepness = float(upscale) * EDGE_STEEPNESS if upscale > CRISP_ABOVE else 1.0
    levels = np.arange(256, dtype=np.float32) / 255.0
    alpha = np.clip((levels - 0.5) * max(steepness, 1.0) + 0.5, 0.0, 1.0)
    return np.round(alpha * 255.0).astype(np.uint8)


def _bands(cell, visible):
    """The parts of a cell (x0, y0, x1, y1) outside the visible figure: up to four rectangles."""
    if visible is None:
        return [cell]
    cx0, cy0, cx1, cy1 = cell
    vx0, vy0, vx1, vy1 = visible
    bands = [(cx0, cy0, cx1, vy0), (cx0, vy1, cx1, cy1), (cx0, vy0, vx0, vy1), (vx1, vy0, cx1, vy1)]
    return [b for b in bands if b[0] < b[2] and b[1] < b[3]]


def _source_span(d0: int, d1: int, scale: float, n: int) -> tuple[int, int]:
    """Source pixels [lo, hi) that a linear resize at `scale` reads for output pixels [d0, d1)."""
    lo = math.floor((d0 + 0.5) / scale - 0.5) - 1
    hi = math.floor((d1 - 0.5) / scale - 0.5) + 3
    return max(lo, 0), min(hi, n)


def _flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise LivedanceError(f"{name} {value!r}: expected true or false")
    return bool(value)


def _finite(value, name: str) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value):
        raise LivedanceError(f"{name} {value!r}: expected a finite number")
    return float(value)


def _positive_pair(pair, name: str) -> tuple[int, int]:
    try:
        a, b = (int(v) for v in pair)
    except (TypeError, ValueError):
        raise LivedanceError(f"{name} {pair!r}: expected two whole numbers") from None
    if a < 1 or b < 1 or a > 16384 or b > 16384:
        raise LivedanceError(f"{name} {pair!r}: expected two whole numbers from 1 to 16384")
    return a, b
