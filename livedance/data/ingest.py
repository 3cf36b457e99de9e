"""Turn videos into a silhouette dataset: sample at a step rate, clean, frame, one clip per video.

Frames are sampled by timestamp at `--fps` (the LSTM's step rate), decoding only the frames
that are kept (`grab` skips the rest). Leading and trailing frames with no figure (the empty
stage before the dancer enters and after she leaves) are dropped; gaps inside a take are kept
as white frames, so a clip's time steps stay even.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from livedance.data.dataset import Dataset, keep_before
from livedance.data.silhouette import CLEAN_METHODS, Framer, Mog2Cleaner, make_cleaner
from livedance.errors import LivedanceError
from livedance.quiet import quiet_ffmpeg

# Framing settles within a few seconds: a tail of `last` frames is cleaned from this far before it.
_WARMUP_S = 4.0
# Seek rather than grab through a video when the skipped part is longer than this.
_SEEK_MIN_S = 30.0
# Frames whose median is taken as the stage, for MOG2 without an empty stage.
_MEDIAN_FRAMES = 25
# Decoding may end this much (or this share of the length) before the header's length: the
# last frames' timing and a longer audio track differ that much; a cut-off file, more.
_SHORT_S, _SHORT_SHARE = 1.0, 0.1


def _open(path: Path) -> cv2.VideoCapture:
    quiet_ffmpeg()
    if not path.is_file():
        raise LivedanceError(f"{path}: no such file; expected a video file (mp4, mov, avi, mkv...)")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise LivedanceError(
            f"{path}: not a readable video (not a video, or cut short or damaged); "
            "expected a video file FFmpeg can decode (mp4, mov, avi, mkv...)"
        )
    return cap


def _video_fps(cap: cv2.VideoCapture) -> float:
    fps = cap.get(cv2.CAP_PROP_FPS)
    return float(fps) if math.isfinite(fps) and 0 < fps < 1000 else 0.0


def _duration(cap: cv2.VideoCapture) -> float:
    """Length in seconds as the container states it; 0 when unknown."""
    fps, count = _video_fps(cap), cap.get(cv2.CAP_PROP_FRAME_COUNT)
    return float(count) / fps if fps and math.isfinite(count) and count > 0 else 0.0


def _check_whole(path: Path, length: float, reached: float, fps: float) -> None:
    """FFmpeg decodes a file cut short, or damaged from some point on, without a word up to where
    it breaks: a clip shorter than the header's length by more than timing explains is refused."""
    if length and length - reached > max(_SHORT_S, _SHORT_SHARE * length, 2.0 / fps):
        raise LivedanceError(
            f"{path}: decoding stopped at {reached:.1f} s of the {length:.1f} s its header gives; "
            "expected the whole video (the file is cut short or damaged)"
        )


def _estimate(path: Path, fps: float) -> int:
    """Sampled frames to expect, for the progress bar; 0 when the file will not open."""
    try:
        cap = _open(path)
    except LivedanceError:
        return 0
    try:
        return math.ceil(_duration(cap) * fps)
    finally:
        cap.release()


def _samples(cap: cv2.VideoCapture, path: Path, fps: float, start: float = 0.0, every_until: float = 0.0):
    """Yield (time s, BGR frame, sampled) for the frames nearest k / fps, k >= start * fps.

    Other frames are only grabbed, not converted, except those before `every_until` s, which
    are yielded with sampled=False (to learn the empty stage from). The frame is a reused
    buffer: use it before asking for the next.
    """
    video_fps = _video_fps(cap)
    if video_fps and fps > video_fps * 1.01:
        raise LivedanceError(f"{path}: video has {video_fps:g} frames/s; expected --fps at most that, not {fps:g}")
    half = 0.5 / video_fps if video_fps else 0.0
    k = max(0, math.ceil(start * fps - 1e-9))
    first = 0
    if start > _SEEK_MIN_S and video_fps:
        first = max(0, math.floor(k / fps * video_fps) - 1)
        if not cap.set(cv2.CAP_PROP_POS_FRAMES, first):
            first = 0
    buf, prev, index = None, -math.inf, first
    while cap.grab():
        t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        if not math.isfinite(t) or t <= prev:  # no usable timestamps: count frames
            t = prev + 1.0 / (video_fps or fps) if prev > -math.inf else index / (video_fps or fps)
        prev, index = t, index + 1
        sampled = t + half >= k / fps
        if not sampled and t >= every_until:
            continue
        ok, buf = cap.retrieve(buf)
        if not ok:
            break
        yield t, buf, sampled
        if sampled:
            k = max(k + 1, math.floor((t + half) * fps) + 1)


@dataclass
class _Clip:
    frames: np.ndarray
    info: dict = field(default_factory=dict)
    cleaned: int = 0
    clean_s: float = 0.0
    total_s: float = 0.0


def _spread_frames(path: Path, count: int, start: float):
    """Yield about `count` BGR frames spread evenly from `start` s to the end, seeking to each
    (a few decodes from the keyframe before it) where the container's length is known."""
    cap = _open(path)
    try:
        video_fps, length = _video_fps(cap), _duration(cap) - start
        if length <= 0:
            yield from islice((frame for _, frame, _ in _samples(cap, path, _video_fps(cap) or 1.0, start)), count)
            return
        buf = None
        for i in range(count):
            index = round((start + (i + 0.5) * length / count) * video_fps)
            if cap.set(cv2.CAP_PROP_POS_FRAMES, index) and cap.grab():
                ok, buf = cap.retrieve(buf)
                if ok:
                    yield buf
    finally:
        cap.release()


def _clean_video(
    path: Path,
    fps: float,
    clean: str,
    threshold: int,
    empty_stage: float = 0.0,
    start: float = 0.0,
    progress=None,
) -> _Clip:
    """Sample, clean and frame one video; trims the frames with no figure at both ends."""
    t_begin = time.perf_counter()
    cap = _open(path)
    try:
        cleaner = make_cleaner(clean, threshold)
        framer = Framer(fps)
        background = cleaner if isinstance(cleaner, Mog2Cleaner) else None
        mog2 = background is not None
        if background is not None and not empty_stage:
            # No empty stage to learn from: the dancer of the first frame would haunt the masks.
            background.learn_median(_spread_frames(path, _MEDIAN_FRAMES, start))
        frames, found, times = [], [], []
        seen, clean_s, reached = 0, 0.0, 0.0
        # Every frame of the empty stage trains MOG2's background, not only the sampled ones.
        for t, frame, sampled in _samples(cap, path, fps, start, empty_stage if mog2 else 0.0):
            seen, reached = seen + 1, t
            if t < empty_stage:
                if background is not None:
                    background.learn(frame)
                continue
            t0 = time.perf_counter()
            figure = cleaner(frame)
            frames.append(framer(figure))
            clean_s += time.perf_counter() - t0
            found.append(figure.found)
            times.append(t)
            if progress is not None:
                progress.update(1)
        if seen == 0:
            raise LivedanceError(
                f"{path}: video has no frames{' after ' + format(start, 'g') + ' s' if start else ''}; "
                "expected a video with at least one"
            )
        _check_whole(path, _duration(cap), reached, fps)
        if not any(found):
            raise LivedanceError(
                f"{path}: no figure found in its {len(found)} sampled frames; expected "
                + (
                    "a dark figure on a light ground (or try --clean mog2)"
                    if clean == "threshold"
                    else "a dancer moving in front of a still camera"
                )
            )
        first = found.index(True)
        end = len(found) - found[::-1].index(True)
        info = {
            "file": str(path),
            "video_fps": _video_fps(cap),
            "sampled": len(found),
            "frames": end - first,
            "figure_frames": int(sum(found)),
            "from_s": round(times[first], 3),
            "to_s": round(times[end - 1], 3),
            "clean": cleaner.settings(),
            "framing": framer.settings(),
        }
        return _Clip(np.stack(frames[first:end]), info, len(found), clean_s, time.perf_counter() - t_begin)
    finally:
        cap.release()


def _check(fps: float, clean: str, threshold: int) -> None:
    if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
        raise LivedanceError(f"--fps {fps}; expected a frame rate above 0, such as 3 (the paper's)")
    if clean not in CLEAN_METHODS:
        raise LivedanceError(f"--clean {clean}; expected one of {', '.join(CLEAN_METHODS)}")
    if not 1 <= threshold <= 765:
        raise LivedanceError(f"--threshold {threshold}; expected an R+G+B level between 1 and 765")


def video_silhouettes(
    path, fps: float, clean: str = "threshold", threshold: int = 230, last: int | None = None
) -> np.ndarray:
    """A video's silhouettes sampled at `fps`: uint8 (n, 120, 200), dark figure on white, as
    `ingest` makes them (frames with no figure at either end dropped).

    With `last`, only the last `last` frames are returned (the seed for continuing a video),
    and the threshold cleaner only cleans a few seconds before them; MOG2 needs the whole
    video to know its background, so it cleans everything.
    """
    path = Path(path)
    _check(fps, clean, threshold)
    if last is not None and (not isinstance(last, (int, np.integer)) or last < 1):
        raise LivedanceError(f"last={last!r}; expected a whole number of frames, at least 1")
    start = 0.0
    if last is not None and clean == "threshold":
        cap = _open(path)
        duration = _duration(cap)
        cap.release()
        start = max(0.0, duration - (last + 1) / fps - _WARMUP_S)
    if start and last is not None:
        try:
            frames = _clean_video(path, fps, clean, threshold, start=start).frames
            if len(frames) >= last:
                return frames[-last:]
        except LivedanceError:
            pass  # the tail holds too few figures (or the length was wrong): clean it all
    frames = _clean_video(path, fps, clean, threshold).frames
    return frames if last is None else frames[-last:]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "videos", nargs="+", metavar="VIDEO", help="video files; each becomes one clip, named by its file stem"
    )
    parser.add_argument("--out", required=True, help="dataset file to write (.npz)")
    parser.add_argument(
        "--fps",
        type=float,
        default=3.0,
        help="sampling rate in frames/s: the LSTM's step rate (default 3, the paper's)",
    )
    parser.add_argument(
        "--clean",
        choices=CLEAN_METHODS,
        default="threshold",
        help="threshold: dark figure on a light ground (the paper's footage); "
        "mog2: a dancer in front of any still background",
    )
    parser.add_argument(
        "--threshold",
        type=int,
        default=230,
        help="threshold cleaning: a pixel is figure where R+G+B is under this (default 230)",
    )
    parser.add_argument(
        "--empty-stage",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="the first SECONDS of each video show the empty stage: left out, "
        "and with mog2 every frame of them trains the background",
    )


def _clip_names(paths: list[Path]) -> list[str]:
    names, used = [], set()
    for p in paths:
        name, i = p.stem, 2
        while name in used:
            name, i = f"{p.stem}-{i}", i + 1
        used.add(name)
        names.append(name)
    return names


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    _check(args.fps, args.clean, args.threshold)
    if out.suffix != ".npz":
        raise LivedanceError(f"--out {out}: expected a dataset file name ending in .npz")
    if not (math.isfinite(args.empty_stage) and args.empty_stage >= 0):
        raise LivedanceError(f"--empty-stage {args.empty_stage}; expected seconds, 0 or more")
    paths = [Path(v) for v in args.videos]
    names = _clip_names(paths)
    meta = {
        "source": "ingest",
        "fps": args.fps,
        "clean": args.clean,
        "threshold": args.threshold if args.clean == "threshold" else None,
        "empty_stage_s": args.empty_stage,
        "videos": [],
    }

    def dataset(clips):
        return Dataset.from_clips([c.frames for c in clips], names[: len(clips)], args.fps, meta)

    clips: list[_Clip] = []
    total = sum(_estimate(p, args.fps) for p in paths)
    with tqdm(total=total or None, unit="frame", desc="ingest", file=sys.stderr, disable=None) as bar:
        for path, name in zip(paths, names):
            bar.set_postfix_str(path.name)
            try:
                clip = _clean_video(path, args.fps, args.clean, args.threshold, args.empty_stage, progress=bar)
            except LivedanceError as exc:
                if not clips:
                    raise
                left = len(paths) - len(clips)
                raise keep_before(dataset(clips), out, path, exc, left, f"{len(clips)} clip(s) ingested") from None
            clip.info["clip"] = name
            meta["videos"].append(clip.info)
            clips.append(clip)
    data = dataset(clips)
    data.save(out)
    cleaned = sum(c.cleaned for c in clips)
    clean_s = sum(c.clean_s for c in clips)
    total_s = sum(c.total_s for c in clips)
    with_figure = sum(c.info["figure_frames"] for c in clips)
    print(
        f"ingest: {len(clips)} clip(s), {len(data.frames)} frames at {args.fps:g} fps "
        f"({with_figure} with a figure) -> {out}; "
        f"cleaned {cleaned / max(clean_s, 1e-9):.0f} frames/s, "
        f"{cleaned / max(total_s, 1e-9):.0f} frames/s with decoding"
    )
    return 0
