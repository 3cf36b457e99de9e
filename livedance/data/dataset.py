"""The silhouette dataset file (.npz): frames in clips, with the frame rate they were sampled at.

Frames are uint8 (N, 120, 200), a dark figure (0) on white (255), like the paper's.
`clip_starts` (C + 1,) bounds the clips, so a training window never straddles two takes.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from livedance.config import FRAME_HEIGHT, FRAME_WIDTH
from livedance.errors import LivedanceError


@dataclass
class Dataset:
    frames: np.ndarray
    clip_starts: np.ndarray
    clip_names: list[str]
    fps: float
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.frames = np.asarray(self.frames, dtype=np.uint8)
        self.clip_starts = np.asarray(self.clip_starts, dtype=np.int64)
        if self.frames.ndim != 3 or self.frames.shape[1:] != (FRAME_HEIGHT, FRAME_WIDTH):
            raise LivedanceError(
                f"dataset frames have shape {self.frames.shape}; expected (N, {FRAME_HEIGHT}, {FRAME_WIDTH})"
            )
        starts = self.clip_starts
        if (
            starts.ndim != 1
            or starts.size < 1
            or starts[0] != 0
            or starts[-1] != len(self.frames)
            or np.any(np.diff(starts) < 0)
        ):
            raise LivedanceError("dataset clip_starts must rise from 0 to the frame count")
        if len(self.clip_names) != starts.size - 1:
            raise LivedanceError("dataset has a different number of clip names and clips")

    @classmethod
    def from_clips(cls, clips: list[np.ndarray], names: list[str], fps: float, meta: dict | None = None) -> "Dataset":
        """Join clips (each (n, 120, 200) uint8); empty clips are dropped."""
        kept = [(c, n) for c, n in zip(clips, names) if len(c)]
        frames = np.concatenate([c for c, _ in kept]) if kept else np.zeros((0, FRAME_HEIGHT, FRAME_WIDTH), np.uint8)
        starts = np.concatenate([[0], np.cumsum([len(c) for c, _ in kept])]).astype(np.int64)
        return cls(frames, starts, [n for _, n in kept], float(fps), dict(meta or {}))

    @property
    def num_clips(self) -> int:
        return len(self.clip_names)

    def clip(self, i: int) -> np.ndarray:
        return self.frames[self.clip_starts[i] : self.clip_starts[i + 1]]

    def clips(self) -> list[np.ndarray]:
        return [self.clip(i) for i in range(self.num_clips)]

    def window_starts(self, length: int, clips: list[int] | None = None) -> np.ndarray:
        """Start indices of every run of `length` consecutive frames inside one clip."""
        out = []
        for i in range(self.num_clips) if clips is None else clips:
            a, b = int(self.clip_starts[i]), int(self.clip_starts[i + 1])
            if b - a >= length:
                out.append(np.arange(a, b - length + 1))
        return np.concatenate(out) if out else np.zeros(0, np.int64)

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        if path.suffix != ".npz":
            raise LivedanceError(f"{path}: dataset files end in .npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part.npz")
        try:
            np.savez_compressed(
                tmp,
                frames=self.frames,
                clip_starts=self.clip_starts,
                clip_names=np.array(self.clip_names, dtype=str),
                fps=np.float64(self.fps),
                meta=np.array(json.dumps(self.meta)),
            )
            os.replace(tmp, path)
        except OSError as exc:  # a full disk: no half-written file left beside the old one
            tmp.unlink(missing_ok=True)
            raise LivedanceError(f"{path}: cannot write the dataset ({exc.strerror or exc})") from None
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Dataset":
        path = Path(path)
        if not path.is_file():
            raise LivedanceError(
                f"{path}: no such dataset file; expected an .npz made by livedance mocap, synth or ingest"
            )
        try:
            with np.load(path, allow_pickle=False) as z:
                return cls(
                    frames=z["frames"],
                    clip_starts=z["clip_starts"],
                    clip_names=[str(n) for n in z["clip_names"]],
                    fps=float(z["fps"]),
                    meta=json.loads(str(z["meta"])) if "meta" in z else {},
                )
        except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
            if isinstance(exc, LivedanceError):
                raise LivedanceError(f"{path}: {exc}") from None
            raise LivedanceError(
                f"{path}: not a livedance dataset (expected an .npz with frames, clip_starts, clip_names, fps)"
            ) from None

    def content_hash(self) -> str:
        """Short hash of the frames and clip layout: the manifest records what a model saw."""
        h = hashlib.sha256()
        h.update(self.frames.tobytes())
        h.update(self.clip_starts.tobytes())
        return h.hexdigest()[:16]


def keep_before(dataset: Dataset, out: Path, bad: Path, exc: LivedanceError, left: int, kept: str) -> LivedanceError:
    """A batch stopped at its input `bad` (with `left` inputs not done, it included): save what the
    inputs before it made to `out`, its meta marked `incomplete`, and return the line to raise."""
    dataset.meta["incomplete"] = {"stopped_at": str(bad), "reason": str(exc), "inputs_left": left}
    dataset.save(out)
    return LivedanceError(f"{exc}; kept the {kept} before it in {out} (its meta says incomplete)")


def concat(datasets: list[Dataset], names: list[str] | None = None) -> Dataset:
    """Join datasets sampled at the same rate (the LSTM's step rate is the data's frame rate)."""
    if not datasets:
        raise LivedanceError("no dataset given")
    rates = {d.fps for d in datasets}
    if len(rates) > 1:
        listed = ", ".join(f"{n}: {d.fps:g} fps" for n, d in zip(names or range(len(datasets)), datasets))
        raise LivedanceError(f"datasets have different frame rates ({listed}); expected one step rate")
    clips, clip_names = [], []
    for d in datasets:
        clips += d.clips()
        clip_names += d.clip_names
    meta = {"parts": [d.meta for d in datasets]}
    return Dataset.from_clips(clips, clip_names, datasets[0].fps, meta)
