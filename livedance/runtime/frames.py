"""Frame conventions shared by data, models and players.

Files and videos hold a dark figure on white (uint8, 0 = figure). Networks see "ink":
float32 in [0, 1], 1 = figure, shaped (N, H, W, 1).
"""

from __future__ import annotations

import numpy as np

from livedance.config import INK_THRESHOLD


def to_ink(frames: np.ndarray) -> np.ndarray:
    """uint8 dark-on-white (N, H, W) -> float32 ink (N, H, W, 1)."""
    ink = 1.0 - frames.astype(np.float32) / 255.0
    return ink[..., None]


def from_ink(ink: np.ndarray) -> np.ndarray:
    """float32 ink (N, H, W[, 1]) -> uint8 dark-on-white (N, H, W)."""
    if ink.ndim == 4:
        ink = ink[..., 0]
    return np.clip(255.0 - ink * 255.0 + 0.5, 0, 255).astype(np.uint8)


def silhouette_iou(a: np.ndarray, b: np.ndarray, threshold: float = INK_THRESHOLD) -> float:
    """Mean IoU of figure masks over a batch of ink frames (figure: ink at or above `threshold`)."""
    ma = a.reshape(len(a), -1) > threshold
    mb = b.reshape(len(b), -1) > threshold
    inter = np.logical_and(ma, mb).sum(1)
    union = np.logical_or(ma, mb).sum(1)
    iou = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return float(iou.mean())


def soft_edge_ratio(ink: np.ndarray) -> float:
    """Pixels between 15% and 85% grey per figure pixel: the crispness figure (paper ~0.29)."""
    grey = np.logical_and(ink > 0.15, ink < 0.85).sum()
    figure = (ink >= INK_THRESHOLD).sum()
    return float(grey / max(int(figure), 1))
