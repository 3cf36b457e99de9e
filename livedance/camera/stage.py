"""A live camera frame -> the dancer's silhouette, framed 5:3 at 120x200 like the training frames.

The same cleaners and framing as `ingest` (livedance/data/silhouette.py), set up for a live stage:
the background model (MOG2 or KNN) learns the empty stage fast when asked to, then learns slowly
so a dancer who holds a pose is not absorbed into the stage. `threshold` suits backlit or shadow
stages; `segmenter` runs a person-segmentation ONNX network the user provides (nothing is
downloaded).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from livedance.config import FRAME_HEIGHT, FRAME_WIDTH
from livedance.data.silhouette import (
    Cleaner,
    Figure,
    Framer,
    KnnCleaner,
    MainFigure,
    Mog2Cleaner,
    ThresholdCleaner,
    check_frame,
    downscale,
)
from livedance.errors import LivedanceError
from livedance.runtime.bundle import CPU, import_onnxruntime, open_session

STAGE_METHODS = ("mog2", "knn", "threshold", "segmenter")
WORK_HEIGHT = 240  # rows the cleaners work at: enough for a 120-row output, cheap on 2 cores
# Per-frame learning rate once the stage is learned: a dancer holding still for about 20 s at
# 25 frames/s starts to fade into the stage (OpenCV's 1/history would take 2 s).
SLOW_RATE = 2e-4
PRESENT_AREA = 0.01  # a figure covering less of the frame than this is not a dancer
LEARN_FRAMES = 30  # the empty stage learned when the cutout starts


FRAMINGS = ("full", "close")


def bundle_framing(bundle) -> str:
    """The framing a bundle's training frames had: "close" when all its data was rendered with
    `body.render`'s close framing (mocap, synth), else "full" (videos framed by `Framer`)."""
    data = bundle.manifest.get("data") if isinstance(getattr(bundle, "manifest", None), dict) else None
    metas = [d.get("meta") for d in data if isinstance(d, dict)] if isinstance(data, list) else []
    close = metas and all(isinstance(m, dict) and m.get("framing") == "close" for m in metas)
    return "close" if close else "full"


class CloseFramer(Framer):
    """Frames a camera's figure as `body.render(framing="close")` frames the training dancers:
    the crop spans from `TOP` statures above the floor down to `BOTTOM` (legs cut below the
    knee), centred on the figure across. The floor (the box's bottom: the feet) and the stature
    (the box's height) are followed slowly, as the renderer keeps one framing per clip, so a
    crouch sinks in the frame and raised arms are cut at the top as in the training frames; the
    floor follows fast downwards (feet never go below it). A figure cut by the picture's bottom
    edge (no feet in view) is taken as seen from the head down to the crop's bottom."""

    TOP, BOTTOM = 1.07, 0.28

    def __init__(self, fps: float, **kwargs):
        super().__init__(fps, **kwargs)
        # The followed floor and stature: None together until the first figure, as the framing.
        self._floor: float | None = None
        self._stature: float | None = None

    def update(self, figure: Figure) -> None:
        fresh = self._arrive(figure)
        box, centre = figure.box, figure.centre
        if fresh is None or box is None:  # (_arrive returns None exactly when box is None)
            return
        assert centre is not None, "a figure's box and centre are set together"
        x, y, w, h = box
        mh = figure.mask.shape[0]
        last_floor, last_stature, last_cx = self._floor, self._stature, self._cx
        if y + h >= mh:  # no feet in view
            stature = h / (1.0 - self.BOTTOM) if fresh or last_stature is None else last_stature
            floor = y + stature
        else:
            floor, stature = float(y + h), float(h)
        if fresh or last_floor is None or last_stature is None or last_cx is None:
            self._floor, self._stature, self._cx = floor, stature, centre[0]
        else:
            self._floor = self._follow(last_floor, floor, self.grow_tau if floor > last_floor else self.scale_tau)
            self._stature = math.exp(self._follow(math.log(last_stature), math.log(max(stature, 1.0)), self.scale_tau))
            self._cx = self._follow(last_cx, centre[0], self.centre_tau)
        self._ch = (self.TOP - self.BOTTOM) * self._stature
        self._cy = self._floor - self.TOP * self._stature + self._ch / 2


@dataclass
class Cutout:
    """One frame's figure. `ink` and `mask` belong to the StageCutout and are overwritten by
    its next call: copy what you keep."""

    ink: np.ndarray  # (120, 200) float32 in [0, 1], 1 = figure, framed 5:3; zeros without a figure
    mask: np.ndarray  # uint8 at work resolution, 255 = figure, camera geometry (mirrored if asked)
    present: bool  # a figure of a plausible size is there
    area: float  # the figure's share of the frame


class SegmenterCleaner(Cleaner):
    """A person-segmentation ONNX network as a cleaner: RGB 0..1 in (NCHW or NHWC, sized from
    the network's input), a person probability out, thresholded at 0.5 at work resolution."""

    def __init__(
        self,
        path: str,
        work_height: int = WORK_HEIGHT,
        open_px: int = 3,
        close_px: int = 7,
        figure: MainFigure | None = None,
    ):
        super().__init__(work_height, open_px, close_px, figure)
        self.path = Path(path)
        if not self.path.is_file():
            raise LivedanceError(f"{self.path}: no such segmenter model; expected a person-segmentation ONNX file")

        self._session = open_session(import_onnxruntime(), self.path, 1, [CPU], spinning=False)
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        shape = list(inputs[0].shape) if inputs else []
        if len(inputs) != 1 or not outputs or len(shape) != 4 or 3 not in (shape[1], shape[3]):
            raise LivedanceError(
                f"{self.path}: segmenter input {[i.shape for i in inputs]}; "
                "expected one image input (1, 3, H, W) or (1, H, W, 3)"
            )
        self._input, self._output = inputs[0].name, outputs[0].name
        self.nchw = shape[1] == 3
        h, w = (shape[2], shape[3]) if self.nchw else (shape[1], shape[2])
        # Dynamic sizes (names or None): feed 256 rows, the frame's aspect, in multiples of 32.
        self.size = (h, w) if isinstance(h, int) and isinstance(w, int) and h > 0 and w > 0 else None
        self._small: np.ndarray | None = None
        self._prob: np.ndarray | None = None

    def settings(self) -> dict:
        return {"method": "segmenter", "segmenter": str(self.path), **super().settings()}

    def _person(self, out: np.ndarray) -> np.ndarray:
        """The network's output as one (h, w) person probability map."""
        out = np.asarray(out, np.float32)
        while out.ndim > 2 and out.shape[0] == 1:
            out = out[0]
        if out.ndim == 3:  # classes first or last: the person is the last class
            out = out[-1] if out.shape[0] < out.shape[-1] else out[..., -1]
        if out.ndim != 2:
            raise LivedanceError(
                f"{self.path}: segmenter output of shape {np.shape(out)}; expected a (1, 1, H, W) or (1, H, W, 1) mask"
            )
        return out

    def __call__(self, frame: np.ndarray) -> Figure:
        small, self._small = downscale(check_frame(frame), self.work_height, self._small)
        if small.ndim == 2:
            small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
        sh, sw = small.shape[:2]
        mask, tmp = self._buffers((sh, sw))
        h, w = self.size or (256, max(32, round(256 * sw / sh / 32) * 32))
        rgb = cv2.cvtColor(cv2.resize(small, (w, h), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        x = rgb.astype(np.float32) * (1.0 / 255.0)
        x = (x.transpose(2, 0, 1) if self.nchw else x)[None]
        (out,) = self._session.run([self._output], {self._input: np.ascontiguousarray(x)})
        prob = cv2.resize(self._person(out), (sw, sh), interpolation=cv2.INTER_LINEAR)
        cv2.threshold(prob, 0.5, 255, cv2.THRESH_BINARY, dst=prob)
        np.copyto(mask, prob, casting="unsafe")
        return self._finish(mask, tmp)


class StageCutout:
    """BGR camera frames -> `Cutout`s. Not thread-safe: one thread calls it (the capture's)."""

    def __init__(
        self,
        method: str = "mog2",
        mirror: bool = False,
        threshold: int = 230,
        segmenter: str | None = None,
        frame_shape=(FRAME_HEIGHT, FRAME_WIDTH),
        framing: str | None = None,
    ):
        """`framing`: "full" (the whole figure, as `ingest` frames videos) or "close" (as the
        renderer frames mocap and synth data); None: "full" until `Capture` sets the framing
        its bundle was trained on (`bundle_framing`)."""
        if method not in STAGE_METHODS:
            raise LivedanceError(f"stage method {method!r}; expected one of {', '.join(STAGE_METHODS)}")
        if method == "segmenter" and not segmenter:
            raise LivedanceError("stage method 'segmenter' without a model; expected --segmenter MODEL.onnx")
        self.method, self.mirror, self.threshold, self.segmenter = method, bool(mirror), int(threshold), segmenter
        self.frame_shape = (int(frame_shape[0]), int(frame_shape[1]))
        self.learning = False  # only ever True with a background model (mog2, knn): see learn_empty
        self._learn_left = 0
        self._cleaner: ThresholdCleaner | SegmenterCleaner | Mog2Cleaner
        if method == "threshold":
            self._cleaner = ThresholdCleaner(level=self.threshold, work_height=WORK_HEIGHT)
        elif method == "segmenter" and segmenter:  # (a segmenter without a model was refused above)
            self._cleaner = SegmenterCleaner(segmenter)
        else:
            self._cleaner = self._background()
            self.learn_empty(LEARN_FRAMES)  # without a stage to subtract nothing works
        self.framing_auto = framing is None
        self.use_framing(framing or "full")
        self._dark = np.empty(self.frame_shape, np.uint8)
        self._ink = np.zeros(self.frame_shape, np.float32)
        self._mask: np.ndarray | None = None
        self._last_time: float | None = None

    def use_framing(self, framing: str) -> None:
        """Frame the figure as "full" or "close" from the next frame on."""
        if framing not in FRAMINGS:
            raise LivedanceError(f"framing {framing!r}; expected one of {', '.join(FRAMINGS)}")
        cls = CloseFramer if framing == "close" else Framer
        self.framing = framing
        self.framer = cls(fps=25.0, height=self.frame_shape[0], width=self.frame_shape[1])

    @property
    def background(self) -> bool:
        """Whether this method learns the stage (mog2, knn)."""
        return self.method in ("mog2", "knn")

    def _background(self) -> Mog2Cleaner:
        cls = KnnCleaner if self.method == "knn" else Mog2Cleaner
        return cls(work_height=WORK_HEIGHT, learning_rate=SLOW_RATE)

    def learn_empty(self, frames: int = LEARN_FRAMES) -> None:
        """Take the next `frames` frames as the empty stage: a fresh background model learns them
        at OpenCV's start-up rate (their running mean); no figure is reported meanwhile.
        Methods without a background model (threshold, segmenter) have nothing to learn."""
        if not self.background or frames < 1:
            return
        figure = self._cleaner.figure
        self._cleaner = self._background()
        self._cleaner.figure = figure
        self._learn_left, self.learning = int(frames), True

    def _fps(self, now: float) -> None:
        """Feed the framer the real frame interval, so its smoothing is in seconds."""
        if self._last_time is not None and now > self._last_time:
            self.framer.fps = min(120.0, max(2.0, 1.0 / (now - self._last_time)))
        self._last_time = now

    def _out_mask(self, mask: np.ndarray) -> np.ndarray:
        if not self.mirror:
            return mask
        if self._mask is None or self._mask.shape != mask.shape:
            self._mask = np.empty_like(mask)
        return cv2.flip(mask, 1, dst=self._mask)

    def __call__(self, frame: np.ndarray, time_s: float | None = None) -> Cutout:
        """Cut the figure out of one BGR frame; `time_s` (perf_counter when grabbed, default now)
        paces the framing."""
        self._fps(time.perf_counter() if time_s is None else time_s)
        if self.learning:
            learner = self._cleaner
            assert isinstance(learner, Mog2Cleaner), "learn_empty starts learning with a background model only"
            learner.learn(frame)
            self._learn_left -= 1
            self.learning = self._learn_left > 0
            small = self._cleaner.mask
            shape = small.shape if small is not None else frame.shape[:2]
            if self._mask is None or self._mask.shape != shape:
                self._mask = np.zeros(shape, np.uint8)
            self._mask[:] = 0
            self._ink[:] = 0
            self.framer.update(Figure(self._mask))
            return Cutout(self._ink, self._mask, False, 0.0)
        figure = self._cleaner(frame)
        mask = figure.mask
        area = float(cv2.countNonZero(mask)) / mask.size if figure.found else 0.0
        present = area > PRESENT_AREA
        if present:
            self.framer(figure, out=self._dark)
            # frames.to_ink: dark on white -> ink, 1 = figure.
            np.multiply(self._dark, -1.0 / 255.0, out=self._ink, casting="unsafe")
            self._ink += 1.0
            if self.mirror:
                self._ink[:] = self._ink[:, ::-1]
        else:
            self.framer.update(Figure(mask))  # counts the time without a figure
            self._ink[:] = 0
        return Cutout(self._ink, self._out_mask(mask), present, area)
