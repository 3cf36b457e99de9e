"""Camera frames -> a dark figure on white, framed steadily at 120x200.

Per-frame objects with state and reusable buffers, shared by `ingest` (videos) and the live
webcam path. A cleaner turns a BGR frame into a `Figure` (a mask at the cleaner's work
resolution, with the main figure's box): `ThresholdCleaner` for dark-figure footage like the
paper's, `Mog2Cleaner` for ordinary footage in front of a still background. A `Framer` then
crops the 5:3 frame around the figure, smoothing size and centre over time so the figure does
not pump in size from frame to frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from livedance.config import FRAME_HEIGHT, FRAME_WIDTH
from livedance.errors import LivedanceError

CLEAN_METHODS = ("threshold", "mog2")


@dataclass
class Figure:
    """One cleaned frame: `mask` is uint8 (h, w), 255 = figure, owned by the cleaner (the next
    call overwrites it). `box` (x, y, w, h) and `centre` (x, y) are in mask pixels, None when
    the frame holds no figure."""

    mask: np.ndarray
    box: tuple[int, int, int, int] | None = None
    centre: tuple[float, float] | None = None

    @property
    def found(self) -> bool:
        return self.box is not None


def _disc(px: int) -> np.ndarray | None:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (px, px)) if px > 1 else None


def _work_factor(height: int, work_height: int) -> int:
    """Integer downscale to about `work_height` rows: integer factors keep area resizes exact."""
    return max(1, round(height / work_height))


class MainFigure:
    """Keep the main connected figure: the largest component, plus parts big enough and near it
    (a hand cut off by a thin wrist, a foot over a dark line). Labelling runs at half the mask
    resolution, which is the single costliest step at full size and needs no fine detail."""

    def __init__(self, min_area: float = 0.002, part_area: float = 0.005, near: float = 0.25):
        self.min_area = min_area  # smallest figure, as a share of the frame: less is noise
        self.part_area = part_area  # smallest extra part, as a share of the largest component
        self.near = near  # farthest extra part, as a share of the largest component's height
        # Buffers, sized on the first call: no mask's sizes match this empty shape.
        empty = np.empty((0, 0), np.uint8)
        self._small: np.ndarray = empty
        self._labels: np.ndarray = empty
        self._keep: np.ndarray = empty
        self._part: np.ndarray = empty
        self._up: np.ndarray = empty
        self._ltype = cv2.CV_16U

    def settings(self) -> dict:
        return {"min_area": self.min_area, "part_area": self.part_area, "near": self.near}

    def __call__(self, mask: np.ndarray) -> Figure:
        """Zero everything but the figure in `mask` (edited in place) and locate it."""
        h, w = mask.shape
        sh, sw = max(1, h // 2), max(1, w // 2)
        if self._small.shape != (sh, sw) or self._up.shape != (h, w):
            self._small = np.empty((sh, sw), np.uint8)
            # 16-bit labels are ~3x faster than 32-bit; they only overflow on a half-size
            # mask above 1024x512 pixels of pure speckle.
            self._ltype = cv2.CV_16U if sh * sw <= 1 << 19 else cv2.CV_32S
            self._labels = np.empty((sh, sw), np.uint16 if self._ltype == cv2.CV_16U else np.int32)
            self._keep = np.empty((sh, sw), np.uint8)
            self._part = np.empty((sh, sw), np.uint8)
            self._up = np.empty((h, w), np.uint8)
        # Any figure pixel marks its half-size pixel, so kept labels cover every full-size pixel.
        cv2.resize(mask, (sw, sh), dst=self._small, interpolation=cv2.INTER_AREA)
        cv2.threshold(self._small, 0, 255, cv2.THRESH_BINARY, dst=self._small)
        n, labels, stats, centroids = cv2.connectedComponentsWithStats(
            self._small, self._labels, connectivity=8, ltype=self._ltype
        )
        if n < 2:
            return Figure(mask)
        areas = stats[1:, cv2.CC_STAT_AREA]
        main = int(np.argmax(areas)) + 1
        if areas[main - 1] < self.min_area * sh * sw:
            mask[:] = 0
            return Figure(mask)
        keep = [main]
        mx, my, mw, mh = stats[main, :4]
        for i in np.flatnonzero(areas >= self.part_area * areas[main - 1]) + 1:
            if i == main:
                continue
            x, y, bw, bh = stats[i, :4]
            gap = max(x - (mx + mw), mx - (x + bw), y - (my + mh), my - (y + bh), 0)
            if gap <= self.near * mh:
                keep.append(int(i))
        if len(keep) < n - 1:  # something to drop: mask off all but the kept labels
            # OpenCV's stubs type compare's src2 as an array only; the binding takes a scalar too.
            cv2.compare(labels, keep[0], cv2.CMP_EQ, dst=self._keep)  # type: ignore[call-overload]
            for label in keep[1:]:
                cv2.compare(labels, label, cv2.CMP_EQ, dst=self._part)  # type: ignore[call-overload]
                cv2.bitwise_or(self._keep, self._part, dst=self._keep)
            cv2.resize(self._keep, (w, h), dst=self._up, interpolation=cv2.INTER_NEAREST)
            cv2.bitwise_and(mask, self._up, dst=mask)
        kept = stats[keep]
        sx, sy = w / sw, h / sh
        x0, y0 = kept[:, 0].min(), kept[:, 1].min()
        x1, y1 = (kept[:, 0] + kept[:, 2]).max(), (kept[:, 1] + kept[:, 3]).max()
        box = (int(x0 * sx), int(y0 * sy), max(1, round((x1 - x0) * sx)), max(1, round((y1 - y0) * sy)))
        weights = kept[:, cv2.CC_STAT_AREA].astype(np.float64)
        cx, cy = (centroids[keep] * weights[:, None]).sum(0) / weights.sum()
        return Figure(mask, box, (float((cx + 0.5) * sx - 0.5), float((cy + 0.5) * sy - 0.5)))


class Cleaner:
    """Shared morphology + main-figure step; subclasses fill `self._mask` from a frame."""

    def __init__(self, work_height: int, open_px: int, close_px: int, figure: MainFigure | None):
        if work_height < 16:
            raise LivedanceError(f"work height {work_height} is too small; expected at least 16 rows")
        self.work_height = int(work_height)
        self.open_px, self.close_px = int(open_px), int(close_px)
        self._open, self._close = _disc(self.open_px), _disc(self.close_px)
        self.figure = figure or MainFigure()
        self._mask: np.ndarray | None = None
        self._tmp: np.ndarray | None = None

    @property
    def mask(self) -> np.ndarray | None:
        """The working-size mask of the last frame (None before the first): its shape sizes a blank figure."""
        return self._mask

    def _buffers(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The (mask, scratch) buffers for a frame of `shape`: a subclass fills the mask, then
        hands both to `_finish`."""
        if self._mask is None or self._tmp is None or self._mask.shape != shape:
            self._mask = np.empty(shape, np.uint8)
            self._tmp = np.empty(shape, np.uint8)
        return self._mask, self._tmp

    def _finish(self, mask: np.ndarray, tmp: np.ndarray) -> Figure:
        """Open (drops specks and hairlines stuck to the figure), close (fills pinholes), keep the figure."""
        if self._open is not None:
            cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._open, dst=tmp)
            mask, tmp = tmp, mask
        if self._close is not None:
            cv2.morphologyEx(mask, cv2.MORPH_CLOSE, self._close, dst=tmp)
            mask, tmp = tmp, mask
        self._mask, self._tmp = mask, tmp
        return self.figure(mask)

    def settings(self) -> dict:
        return {
            "work_height": self.work_height,
            "open_px": self.open_px,
            "close_px": self.close_px,
            **self.figure.settings(),
        }


def check_frame(frame: np.ndarray) -> np.ndarray:
    if (
        not isinstance(frame, np.ndarray)
        or frame.dtype != np.uint8
        or not (frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 3))
    ):
        shape = getattr(frame, "shape", None)
        raise LivedanceError(f"frame of shape {shape}; expected a uint8 BGR (h, w, 3) or grey (h, w) image")
    return frame if frame.flags.c_contiguous else np.ascontiguousarray(frame)


def downscale(frame: np.ndarray, work_height: int, buf: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """The frame at about `work_height` rows, by an integer-factor area resize (OpenCV's fast
    path); `buf` is reused when it fits. Returns (frame, buf)."""
    h, w = frame.shape[:2]
    f = _work_factor(h, work_height)
    if f == 1:
        return frame, buf
    size = (h // f, w // f) + frame.shape[2:]
    if buf is None or buf.shape != size:
        buf = np.empty(size, np.uint8)
    return cv2.resize(frame, (w // f, h // f), dst=buf, interpolation=cv2.INTER_AREA), buf


class ThresholdCleaner(Cleaner):
    """Dark figure on a light ground, as in the paper's shadow-dance footage: a pixel is figure
    where R+G+B is under `level` (0..765).

    The sum comes as a rounded channel mean from one cv2.transform (a tenth of the cost of
    summing in numpy, exact for the default 230 and within 2 levels of the sum otherwise).
    Frames taller than about 1.5 x `work_height` are area-downscaled by an integer factor first.
    """

    _THIRDS = np.full((1, 3), 1.0 / 3.0, np.float32)

    def __init__(
        self,
        level: int = 230,
        work_height: int = 480,
        open_px: int = 3,
        close_px: int = 5,
        figure: MainFigure | None = None,
    ):
        if not 1 <= level <= 765:
            raise LivedanceError(f"threshold {level}; expected an R+G+B level between 1 and 765")
        super().__init__(work_height, open_px, close_px, figure)
        self.level = int(level)
        # round(sum / 3) <= k  <=>  sum <= 3k + 1: the largest k with 3k + 1 < level.
        self._mean_max = (self.level - 2) // 3
        self._small: np.ndarray | None = None
        self._mean: np.ndarray | None = None

    def settings(self) -> dict:
        return {"method": "threshold", "threshold": self.level, **super().settings()}

    def __call__(self, frame: np.ndarray) -> Figure:
        small, self._small = downscale(check_frame(frame), self.work_height, self._small)
        mask, tmp = self._buffers(small.shape[:2])
        if small.ndim == 3:
            if self._mean is None or self._mean.shape != small.shape[:2]:
                self._mean = np.empty(small.shape[:2], np.uint8)
            small = cv2.transform(small, self._THIRDS, dst=self._mean)
        cv2.threshold(small, self._mean_max, 255, cv2.THRESH_BINARY_INV, dst=mask)
        return self._finish(mask, tmp)


class Mog2Cleaner(Cleaner):
    """Ordinary footage from a still camera: MOG2 background subtraction; shadows it detects
    are not figure. It runs at about 240 rows, where MOG2 is 4x cheaper than at 480p and its
    masks lose nothing the 120-row output keeps.

    Teach it the stage first: `learn` on frames of the empty stage, or `learn_median` on frames
    spread over the take. Dancing frames then update the model at `learning_rate` (None:
    1/history per frame), slowly, so a dancer who holds still is not absorbed into the
    background within a few frames as OpenCV's fast start-up rate would.
    """

    def __init__(
        self,
        work_height: int = 240,
        history: int = 500,
        var_threshold: float = 16.0,
        learning_rate: float | None = None,
        open_px: int = 3,
        close_px: int = 7,
        figure: MainFigure | None = None,
    ):
        super().__init__(work_height, open_px, close_px, figure)
        self.history, self.var_threshold, self.learning_rate = int(history), float(var_threshold), learning_rate
        self._mog = self._subtractor()
        self._small: np.ndarray | None = None
        self._fg: np.ndarray | None = None

    def _subtractor(self):
        return cv2.createBackgroundSubtractorMOG2(
            history=self.history, varThreshold=self.var_threshold, detectShadows=True
        )

    def settings(self) -> dict:
        return {
            "method": "mog2",
            "history": self.history,
            "var_threshold": self.var_threshold,
            "learning_rate": self.learning_rate,
            **super().settings(),
        }

    def _work(self, frame: np.ndarray) -> np.ndarray:
        """The frame at work resolution (a reused buffer when downscaled)."""
        small, self._small = downscale(check_frame(frame), self.work_height, self._small)
        return small

    def _subtract(self, small: np.ndarray, rate: float) -> np.ndarray:
        self._buffers(small.shape[:2])
        if self._fg is None or self._fg.shape != small.shape[:2]:
            self._fg = np.empty(small.shape[:2], np.uint8)
        return self._mog.apply(small, fgmask=self._fg, learningRate=rate)

    def learn(self, frame: np.ndarray) -> None:
        """Show the empty stage: the frame trains the background model only."""
        self._subtract(self._work(frame), -1.0)

    def learn_median(self, frames: Iterable[np.ndarray], cut: int = 40) -> None:
        """Learn the stage from frames spread over a take with the dancer in them. Wherever she
        is elsewhere more than half the time, a pixel's median over time is the stage; each
        frame, with pixels more than `cut` off that median replaced by it, then teaches MOG2
        the stage and its real noise. (Learning from the dancer's first frame instead leaves
        her ghost in every mask for a long while.)"""
        works = [self._work(f).copy() for f in frames]
        if not works:
            return
        small = np.stack(works)
        median = np.partition(small, len(small) // 2, axis=0)[len(small) // 2]
        for frame in small:
            off = cv2.absdiff(frame, median)
            if off.ndim == 3:
                off = off.max(axis=2)
            np.copyto(frame, median, where=(off > cut)[..., None] if frame.ndim == 3 else off > cut)
            self._subtract(frame, -1.0)

    def __call__(self, frame: np.ndarray) -> Figure:
        rate = 1.0 / self.history if self.learning_rate is None else float(self.learning_rate)
        small = self._work(frame)
        fg = self._subtract(small, rate)
        mask, tmp = self._buffers(small.shape[:2])  # as `_subtract` sized them
        cv2.threshold(fg, 200, 255, cv2.THRESH_BINARY, dst=mask)  # 127 = shadow
        return self._finish(mask, tmp)


class KnnCleaner(Mog2Cleaner):
    """As `Mog2Cleaner`, with OpenCV's KNN background model: each pixel keeps samples of the
    stage rather than Gaussians, which copes better with a flickering or many-coloured stage.
    `var_threshold` is KNN's squared distance threshold (OpenCV's default 400)."""

    def __init__(self, work_height: int = 240, history: int = 500, var_threshold: float = 400.0, **kwargs):
        super().__init__(work_height, history, var_threshold, **kwargs)

    def _subtractor(self):
        return cv2.createBackgroundSubtractorKNN(
            history=self.history, dist2Threshold=self.var_threshold, detectShadows=True
        )

    def settings(self) -> dict:
        return {**super().settings(), "method": "knn"}


def make_cleaner(method: str, threshold: int = 230) -> ThresholdCleaner | Mog2Cleaner:
    """The cleaner `--clean METHOD` names, with its defaults."""
    if method == "threshold":
        return ThresholdCleaner(level=threshold)
    if method == "mog2":
        return Mog2Cleaner()
    raise LivedanceError(f"clean method {method!r}; expected one of {', '.join(CLEAN_METHODS)}")


class Framer:
    """Crop a 5:3 frame around the figure and area-resize it to 120x200, dark on white.

    The crop height aims at the figure's height over `fill` (the figure fills most of the
    frame, as in the paper's results) and follows it in log scale: fast when the figure grows
    (`grow_tau`), slowly when it shrinks (`scale_tau`), and never smaller than the figure, so it
    is never cut. The centre follows the figure's centroid across and its box's middle up and
    down. A figure cut by the picture edge (a close shot cut at the thighs) stays cut at the
    output's edge. Without a figure the output is white and the framing is kept; after
    `reset_after` seconds without one, the next figure is framed afresh.
    """

    def __init__(
        self,
        fps: float,
        fill: float = 0.85,
        scale_tau: float = 1.5,
        grow_tau: float = 0.2,
        centre_tau: float = 0.2,
        reset_after: float = 1.0,
        height: int = FRAME_HEIGHT,
        width: int = FRAME_WIDTH,
    ):
        if not fps > 0 or not 0 < fill <= 1:
            raise LivedanceError(f"framer fps {fps} and fill {fill}; expected fps > 0 and 0 < fill <= 1")
        self.fps, self.fill = float(fps), float(fill)
        self.scale_tau, self.grow_tau, self.centre_tau, self.reset_after = scale_tau, grow_tau, centre_tau, reset_after
        self.height, self.width = int(height), int(width)
        self._aspect = self.height / self.width
        self._ink = np.zeros((self.height, self.width), np.uint8)
        # The framing (crop height, centre): None together until the first figure.
        self._ch: float | None = None
        self._cx: float | None = None
        self._cy: float | None = None
        self._missing = 0.0

    def settings(self) -> dict:
        return {
            "fill": self.fill,
            "scale_tau": self.scale_tau,
            "grow_tau": self.grow_tau,
            "centre_tau": self.centre_tau,
            "reset_after": self.reset_after,
        }

    @property
    def rect(self) -> tuple[float, float, float, float] | None:
        """The current crop (x, y, w, h) in mask pixels; None before the first figure."""
        ch, cx, cy = self._ch, self._cx, self._cy
        if ch is None or cx is None or cy is None:
            return None
        cw = ch / self._aspect
        return (cx - cw / 2, cy - ch / 2, cw, ch)

    def _follow(self, value: float, target: float, tau: float) -> float:
        return value + (target - value) * (1.0 - math.exp(-1.0 / (self.fps * tau))) if tau > 0 else target

    def _arrive(self, figure: Figure) -> bool | None:
        """Count a frame with no figure (None); else whether the framing starts afresh (the
        first figure, or one back after `reset_after` seconds away: never False before the
        first, so a framing that is not fresh is set)."""
        if figure.box is None:
            self._missing += 1.0 / self.fps
            return None
        fresh = self._ch is None or self._missing >= self.reset_after
        self._missing = 0.0
        return fresh

    def update(self, figure: Figure) -> None:
        """Move the framing towards this frame's figure."""
        fresh = self._arrive(figure)
        box, centre = figure.box, figure.centre
        if fresh is None or box is None:  # (_arrive returns None exactly when box is None)
            return
        assert centre is not None, "a figure's box and centre are set together"
        x, y, w, h = box
        mh, mw = figure.mask.shape[:2]
        need = max(h, w * self._aspect)  # crop height that just holds the figure
        target = need / self.fill
        last_ch, last_cx, last_cy = self._ch, self._cx, self._cy
        if fresh or last_ch is None:
            self._ch = target
        else:
            tau = self.grow_tau if target > last_ch else self.scale_tau
            self._ch = math.exp(self._follow(math.log(last_ch), math.log(target), tau))
        ch = self._ch = max(self._ch, need)
        cw = ch / self._aspect
        tx, ty = centre[0], y + h / 2
        # Cut by exactly one picture edge: keep the cut at the output's edge.
        if y + h >= mh and y > 0:
            ty = mh - ch / 2
        elif y <= 0 and y + h < mh:
            ty = ch / 2
        if x + w >= mw and x > 0:
            tx = mw - cw / 2
        elif x <= 0 and x + w < mw:
            tx = cw / 2
        if fresh or last_cx is None or last_cy is None:
            self._cx, self._cy = tx, ty
        else:
            self._cx = self._follow(last_cx, tx, self.centre_tau)
            self._cy = self._follow(last_cy, ty, self.centre_tau)
        # Never cut the figure: clamp the centre so the box lies inside the crop.
        self._cx = min(max(self._cx, x + w - cw / 2), x + cw / 2)
        self._cy = min(max(self._cy, y + h - ch / 2), y + ch / 2)

    def render(self, mask: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Crop `mask` (255 = figure) with the current framing: uint8 (120, 200), dark on white.
        Parts of the crop outside the picture are white."""
        if out is None:
            out = np.empty((self.height, self.width), np.uint8)
        ink = self._ink
        ink[:] = 0
        rect = self.rect
        if rect is not None:
            x0, y0 = round(rect[0]), round(rect[1])
            cw, ch = max(1, round(rect[2])), max(1, round(rect[3]))
            mh, mw = mask.shape[:2]
            ix0, iy0, ix1, iy1 = max(x0, 0), max(y0, 0), min(x0 + cw, mw), min(y0 + ch, mh)
            # Area resize in two steps: an integer factor first (OpenCV's fast path), then the
            # remaining factor under 2; a third of the cost of one step, the same averages.
            f = max(1, int(ch / self.height))
            ix1, iy1 = ix0 + (ix1 - ix0) // f * f, iy0 + (iy1 - iy0) // f * f
            ox0, ox1 = round((ix0 - x0) * self.width / cw), round((ix1 - x0) * self.width / cw)
            oy0, oy1 = round((iy0 - y0) * self.height / ch), round((iy1 - y0) * self.height / ch)
            if ix1 > ix0 and iy1 > iy0 and ox1 > ox0 and oy1 > oy0:
                src = mask[iy0:iy1, ix0:ix1]
                if f > 1:
                    src = cv2.resize(src, ((ix1 - ix0) // f, (iy1 - iy0) // f), interpolation=cv2.INTER_AREA)
                cv2.resize(src, (ox1 - ox0, oy1 - oy0), dst=ink[oy0:oy1, ox0:ox1], interpolation=cv2.INTER_AREA)
        return cv2.bitwise_not(ink, dst=out)

    def __call__(self, figure: Figure, out: np.ndarray | None = None) -> np.ndarray:
        """Update with this frame's figure and render it (white when there is none)."""
        self.update(figure)
        if figure.box is None:
            if out is None:
                return np.full((self.height, self.width), 255, np.uint8)
            out[:] = 255
            return out
        return self.render(figure.mask, out)
