"""A tiny hand-drawn dancer dataset for training tests: fast, deterministic, no renderer needed."""

import cv2
import numpy as np

from livedance.data.dataset import Dataset


def draw_frame(t: float, phase: float = 0.0) -> np.ndarray:
    img = np.full((120, 200), 255, np.uint8)
    x = 100 + int(20 * np.sin(t / 5 + phase))
    cv2.ellipse(img, (x, 22), (9, 11), 0, 0, 360, 0, -1)
    cv2.rectangle(img, (x - 13, 34), (x + 13, 100), 0, -1)
    for side in (-1, 1):
        angle = t / 3 + phase + (0 if side < 0 else np.pi)
        end = (x + side * 13 + int(side * 28 * abs(np.cos(angle))), 40 + int(28 * np.sin(angle)))
        cv2.line(img, (x + side * 13, 40), end, 0, 6)
        cv2.line(img, (x + side * 7, 100), (x + side * (9 + int(8 * np.sin(angle))), 119), 0, 8)
    return img


def drawn_dataset(clips: int = 3, frames: int = 48, fps: float = 12.0) -> Dataset:
    data = [np.stack([draw_frame(t, phase=c) for t in range(frames)]) for c in range(clips)]
    return Dataset.from_clips(data, [f"take{c}" for c in range(clips)], fps, {"kind": "drawn"})
