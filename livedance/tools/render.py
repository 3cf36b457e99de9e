"""Render a dance video from a model bundle; the same seed gives the same video.

The LSTM steps at the model's rate and every output frame decodes a latent interpolated
between steps, so 3 or 12 steps/s play as fluid 30/60 fps motion.

    livedance render --model models/default --seconds 20 --fps 30 --seed 7 --out out.mp4
"""

from __future__ import annotations

import argparse
import importlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from livedance.errors import LivedanceError
from livedance.runtime.bundle import Bundle
from livedance.runtime.frames import to_ink
from livedance.runtime.generate import Rollout, frame_positions, interpolate, steps_needed
from livedance.video.files import CODECS, add_codec_argument, open_writer, uses_gpu
from livedance.video.key import KeyedCompositor
from livedance.video.look import Compositor, Look, parse_colour
from livedance.video.size import parse_size

DECODE_BATCH = 32
MAX_SECONDS = 4 * 3600  # every frame's latent is planned up front: keep a typo from eating the memory


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="models/default", help="model bundle folder (default: models/default)")
    parser.add_argument("--seconds", type=float, default=20.0, help="video length in seconds (default: 20)")
    parser.add_argument("--fps", type=float, default=30.0, help="output frame rate (default: 30)")
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed: the same seed gives the same dance; with --continue-from it seeds the noise (default: 0)",
    )
    parser.add_argument("--out", default="dance.mp4", help=f"output video, {', '.join(CODECS)} (default: dance.mp4)")
    add_codec_argument(parser)
    parser.add_argument(
        "--alpha",
        action="store_true",
        help="keyed: the figure over transparent, for editors' layers (.mov, ProRes 4444)",
    )
    parser.add_argument(
        "--continue-from", metavar="VIDEO", help="continue the dancer of this video from its last frames"
    )
    parser.add_argument(
        "--size", default="1280x720", help="output WIDTHxHEIGHT, figure letterboxed (default: 1280x720)"
    )
    parser.add_argument("--fg", default="black", help="figure colour: a name or #rrggbb (default: black)")
    parser.add_argument("--bg", default="white", help="background colour: a name or #rrggbb (default: white)")
    parser.add_argument("--invert", action="store_true", help="swap figure and background colours")
    parser.add_argument("--noise", type=float, help="noise on each fed-back latent (default: the model's, e.g. 0.3)")


# --- the dance -----------------------------------------------------------------------------
def continue_latents(bundle, video: str | os.PathLike) -> np.ndarray:
    """Raw latents of the video's last `window` frames, sampled at the model's step rate."""

    path = Path(video)
    if not path.is_file():
        raise LivedanceError(f"--continue-from {path}: no such video file")
    try:
        ingest = importlib.import_module("livedance.data.ingest")
    except ModuleNotFoundError:
        raise LivedanceError("--continue-from needs livedance.data.ingest, which is not installed") from None
    silhouettes = ingest.video_silhouettes(path, bundle.step_rate, clean="threshold", threshold=230, last=bundle.window)
    silhouettes = np.asarray(silhouettes)
    if silhouettes.ndim != 3 or silhouettes.shape[1:] != (bundle.height, bundle.width):
        raise LivedanceError(
            f"--continue-from {path}: silhouettes of shape {silhouettes.shape}; "
            f"expected (n, {bundle.height}, {bundle.width})"
        )
    if len(silhouettes) < bundle.window:
        raise LivedanceError(
            f"--continue-from {path}: {len(silhouettes)} frames at {bundle.step_rate:g} steps/s; expected at least "
            f"{bundle.window} ({bundle.window / bundle.step_rate:.2f} s of video)"
        )
    return bundle.encode(to_ink(silhouettes[-bundle.window :]))


def dance_latents(
    bundle, frames: int, fps: float, seed: int, noise: float | None = None, start: np.ndarray | None = None
) -> np.ndarray:
    """Raw latents of every output frame: step the LSTM, interpolate between its steps.

    `start`: raw latents of real frames to continue (their last is the first output frame);
    None starts from a random seed after the hidden warm-up (see livedance.runtime.generate).
    """

    rollout = Rollout(bundle, dancers=1, noise=noise)
    if start is None:
        rollout.seed_random(seed)
    else:
        rollout.seed_from_latents(start, seed=seed)
    positions = frame_positions(frames, fps, bundle.step_rate, start=1.0)
    history = rollout.shown[0, -2:]  # knot 0 (the tangent's past) and knot 1 (the first frame)
    steps = rollout.run(max(steps_needed(positions) - len(history), 2))[:, 0]
    knots = np.concatenate([history, steps])
    return bundle.denormalise(interpolate(knots, positions))


@dataclass
class RenderResult:
    path: Path
    frames: int
    size: tuple[int, int]
    fps: float
    codec: str
    codecs_failed: list
    seconds: float


def render_video(
    bundle,
    out: str | os.PathLike,
    seconds: float = 20.0,
    fps: float = 30.0,
    seed: int = 0,
    size: tuple[int, int] = (1280, 720),
    fg=(0, 0, 0),
    bg=(255, 255, 255),
    noise: float | None = None,
    start: np.ndarray | None = None,
    progress: bool = True,
    codec: str | None = None,
    alpha: bool = False,
) -> RenderResult:
    """Write the video under a temporary name, renamed to `out` only once it is complete."""

    began = time.perf_counter()
    out = Path(out)
    frames = int(round(seconds * fps))
    if frames < 1:
        raise LivedanceError(f"--seconds {seconds:g} at --fps {fps:g} makes no frame; expected a longer video")
    latents = dance_latents(bundle, frames, fps, seed, noise, start)
    look = Look(fg=fg, bg=bg)
    compositor = (KeyedCompositor if alpha else Compositor)(size, (bundle.height, bundle.width))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LivedanceError(f"--out {out}: cannot create its folder ({exc.strerror})") from None
    partial = out.with_name(f".{out.stem}.part{out.suffix}")
    writer, codec, failed = open_writer(partial, fps, size, codec, uses_gpu(bundle.provider))
    if alpha and not writer.codec.alpha:
        writer.release()
        partial.unlink(missing_ok=True)
        raise LivedanceError(f"--alpha: {codec} in {out.suffix} has no alpha channel; write a .mov (ProRes 4444)")
    try:
        with tqdm(total=frames, unit="frame", desc="render", disable=not progress or None, leave=False) as bar:
            for first in range(0, frames, DECODE_BATCH):
                for ink in bundle.decode(latents[first : first + DECODE_BATCH]):
                    writer.write(compositor.compose(ink[None], look))
                bar.update(min(DECODE_BATCH, frames - first))
        writer.release()
        if not partial.is_file() or partial.stat().st_size == 0:
            raise LivedanceError(f"{out}: the {codec} writer produced no data")
        os.replace(partial, out)
    except BaseException:
        writer.release()
        partial.unlink(missing_ok=True)
        raise
    return RenderResult(out, frames, size, fps, codec, failed, time.perf_counter() - began)


def run(args) -> int:
    if not (0 < args.seconds <= MAX_SECONDS):
        raise LivedanceError(f"--seconds {args.seconds:g}: expected a positive length, at most {MAX_SECONDS}")
    if not (0 < args.fps <= 240):
        raise LivedanceError(f"--fps {args.fps:g}: expected a frame rate in (0, 240]")
    if args.noise is not None and not (args.noise >= 0 and np.isfinite(args.noise)):
        raise LivedanceError(f"--noise {args.noise:g}: expected a number >= 0 (normalised latent units, e.g. 0.3)")
    size = parse_size(args.size)
    fg, bg = parse_colour(args.fg, "--fg"), parse_colour(args.bg, "--bg")
    if args.invert:
        fg, bg = bg, fg
    out = Path(args.out)
    if out.suffix.lower() not in CODECS:
        raise LivedanceError(f"--out {out}: unsupported video type; expected one of {', '.join(CODECS)}")
    bundle = Bundle.load(args.model)
    start = continue_latents(bundle, args.continue_from) if args.continue_from else None
    result = render_video(
        bundle,
        out,
        args.seconds,
        args.fps,
        args.seed,
        size,
        fg,
        bg,
        args.noise,
        start,
        codec=args.codec,
        alpha=args.alpha,
    )
    skipped = f" ({', '.join(result.codecs_failed)} unavailable)" if result.codecs_failed else ""
    noise = bundle.generation.noise if args.noise is None else args.noise
    origin = f"continuing {args.continue_from}" if args.continue_from else f"seed {args.seed}"
    print(
        f"wrote {result.path}: {result.frames} frames, {size[0]}x{size[1]} at {args.fps:g} fps, "
        f"codec {result.codec}{skipped}; "
        f"{origin}, noise {noise:g}, {bundle.step_rate:g} steps/s on {bundle.provider}; {result.seconds:.1f} s"
    )
    return 0
