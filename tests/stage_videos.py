"""Video files that stand in for a camera watching a dancer, with the truth to score against.

`make_stage_video` models a fixed camera on a lit stage:
- the stage: a fixed, smooth random texture (a lit back wall with a few darker panels and a
  floor that gets darker towards the camera), mildly coloured, light enough (R+G+B well
  above 230) that only the figure reads as dark;
- the sensor: fresh Gaussian noise of a few grey levels on every frame, plus the video codec's
  own (MJPG) artefacts;
- the dancer: a synth dance (`livedance.data.synth`) drawn by the project's renderer
  (`livedance.data.body.render`, full-body framing, at the video's own size, so it fills most of
  the height and the camera follows it sideways), dressed in dark, textured, noisy clothing
  that is not black: some clothing pixels are lighter than a threshold of 230 would allow,
  and the renderer's anti-aliased edge is blended into the stage;
- entrances and exits: nobody for the first `empty_seconds`, then the dancer appears at once
  (no walk-in); optionally gone again from `leave_at` s until `return_at` s (or the end).
  The dance itself runs on while the dancer is away, so they come back mid-dance.
Ground truth per frame: the rendered silhouette (anti-aliased value under half) where the
dancer is present, nothing where not. No shadows, no lighting changes, no camera shake.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from livedance.data.body import body_from_motion, render
from livedance.data.synth import dance
from livedance.video.files import open_writer

CLOTHING_BGR = (62.0, 50.0, 46.0)  # dark blue-grey: mean ~53, under a threshold of 230/3
CLOTHING_TEXTURE = 14.0  # +- grey levels of fixed fabric/shading pattern
SENSOR_NOISE = 3.0  # std of per-frame noise, grey levels


@dataclass
class StageTruth:
    masks: np.ndarray  # (T, H, W) uint8, 255 = figure
    present: np.ndarray  # (T,) bool
    fps: float
    size: tuple[int, int]  # (width, height)
    background: np.ndarray  # (H, W, 3) uint8: the empty stage without sensor noise

    def __len__(self) -> int:
        return len(self.present)


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Smooth random field in [-1, 1] at `shape` (h, w): a coarse grid upscaled bicubically."""
    h, w = shape
    coarse = rng.uniform(-1.0, 1.0, (max(2, h * cells // w), cells)).astype(np.float32)
    return np.clip(cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC), -1.0, 1.0)


def _stage(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """The empty stage, float32 BGR: wall with panels, floor, texture, mild colour."""
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    floor = rows > 0.78
    grey = np.where(floor, 185.0 - 45.0 * (rows - 0.78) / 0.22, 175.0 + 15.0 * rows).astype(np.float32)
    grey = np.broadcast_to(grey, (height, width)).copy()
    for _ in range(3):  # darker panels / doorframes on the back wall
        x0 = int(rng.integers(0, width - width // 6))
        w = int(rng.integers(width // 12, width // 5))
        cv2.rectangle(grey, (x0, int(0.1 * height)), (x0 + w, int(0.78 * height)), float(rng.uniform(135, 160)), -1)
    grey += 12.0 * _smooth_noise(rng, (height, width), 24) + 5.0 * _smooth_noise(rng, (height, width), 96)
    tint = np.array([1.04, 1.0, 0.94], np.float32)  # slightly cool light
    bgr = grey[..., None] * tint + 6.0 * np.stack([_smooth_noise(rng, (height, width), 8) for _ in range(3)], -1)
    return np.clip(bgr, 110.0, 245.0)


def make_stage_video(
    path,
    seconds: float = 4.0,
    fps: float = 15,
    size: tuple[int, int] = (640, 384),
    empty_seconds: float = 1.0,
    leave_at: float | None = None,
    return_at: float | None = None,
    seed: int = 0,
) -> StageTruth:
    """Write the video (.avi: MJPG; .mp4/.mkv also work) and return its ground truth."""
    width, height = int(size[0]), int(size[1])
    rng = np.random.default_rng(seed)
    n = max(1, int(round(seconds * fps)))
    times = np.arange(n) / float(fps)
    present = times >= empty_seconds
    if leave_at is not None:
        back = np.inf if return_at is None else return_at
        present &= ~((times >= leave_at) & (times < back))

    motion, _, _ = dance(n / float(fps), seed, float(fps))
    body = body_from_motion(motion, source="stage dancer")
    ink = render(body, 0.0, framing="full", fps=float(fps), height=height, width=width, supersample=2)[:n]
    masks = np.where(ink < 128, np.uint8(255), np.uint8(0))
    masks[~present] = 0

    stage = _stage(rng, width, height)
    clothing = (
        np.asarray(CLOTHING_BGR, np.float32) + CLOTHING_TEXTURE * _smooth_noise(rng, (height, width), 48)[..., None]
    )
    writer, _, _ = open_writer(Path(path), float(fps), (width, height))
    frame = np.empty((height, width, 3), np.float32)
    try:
        for t in range(n):
            if present[t]:
                alpha = (1.0 - ink[t].astype(np.float32) / 255.0)[..., None]
                np.multiply(stage, 1.0 - alpha, out=frame)
                frame += alpha * clothing
            else:
                frame[:] = stage
            frame += rng.standard_normal((height, width, 3), dtype=np.float32) * SENSOR_NOISE
            writer.write(np.clip(frame, 0, 255).astype(np.uint8))
    finally:
        writer.release()
    return StageTruth(masks, present, float(fps), (width, height), np.clip(stage, 0, 255).astype(np.uint8))
