"""Measure a model bundle on a dataset: reconstruction, next-step prediction, long generation.

Long generation is judged by what a viewer sees: does the figure hold together at every
displayed frame, does it look like a real pose, does it keep dancing, differ between seeds,
stay crisp.

    livedance eval --model models/default --data data/salsa.npz [--unseen data/other.npz] [--json]
    livedance eval --video show.mkv        # breakage of a recorded show

Held-out frames are the manifest's validation_clips found in the data (all clips, said so,
when none is); training frames are the rest. `--unseen` data is a dancer the model never saw:
next-step IoU is measured on it too. Generation plays seeds 0..N-1 together for `--minutes`
(default 10) as render and live play them (same warm-up, noise, mean pull, Catmull-Rom
in-betweens at `--fps`, default 60). Masks are ink > 0.5.

- broken: more than 3% of the figure's ink outside its largest 8-connected piece (pieces
  under 0.2% of the frame ignored), on every displayed frame; share per seed.
- realism: each sampled displayed frame's best IoU against the training frames (at 100x60),
  5th percentile and median, beside the same figures for held-out real frames.
- motion: 1 - IoU of a dancer's consecutive step frames; per minute (60 x step_rate steps)
  its median over the minute / the data's median per step (target 0.8-1.2 in every minute);
  a still stretch is a run of steps moving under 10% of the data's median.
- coherence: mean change over ~0.25 s / mean change over one step, next to the data's: a
  dancer going somewhere moves further in several steps than in one, jitter does not (~1).
- plausible: one 8-connected shape holds >= 80% of the ink, and the area is within the
  data's 1st-99th percentile widened (x0.8, x1.25).
- diversity: mean 1 - IoU between different seeds at the same step, next to random pairs of
  data frames. crispness: frames.soft_edge_ratio of generated frames (target < 0.15).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import TypedDict

import cv2
import numpy as np
from tqdm import tqdm

from livedance.data.dataset import Dataset, concat
from livedance.errors import LivedanceError
from livedance.runtime.bundle import Bundle, write_manifest
from livedance.runtime.frames import to_ink
from livedance.runtime.generate import Rollout, frame_positions, interpolate
from livedance.tools import metrics

BATCH = 32  # frames per encoder/decoder call (bigger batches are no faster on 2 cores)
CHUNK_FRAMES = 512  # decoded generation frames held at once (steps x seeds)
MAX_WINDOWS = 2000  # next-step windows measured
DATA_SAMPLES = 4000  # data frames / pairs sampled for the reference figures
DISPLAY_FPS = 60.0  # the live show's frame rate: eval decodes every frame it would draw
DEFAULT_MINUTES = 10.0
REALISM_SHARE = 1 / 60  # displayed frames sampled for realism (about one a second at 60 fps)
REALISM_REFERENCE = 12000  # training frames a sampled frame is compared with
REALISM_HELD_OUT = 2000  # held-out real frames measured the same way, as the reference
STILL_MOTION = 0.1  # a step moving less than this share of the data's median motion is still


class Targets(TypedDict):
    plausible_share: float
    minute_motion: float
    soft_edge_ratio: float
    broken_median: float
    broken_worst: float
    realism_gap: float
    motion_range: tuple[float, float]
    still_seconds: float


TARGETS: Targets = {
    "plausible_share": 0.95,
    "minute_motion": 0.5,
    "soft_edge_ratio": 0.15,
    "broken_median": 0.01,
    "broken_worst": 0.03,
    "realism_gap": 0.05,
    "motion_range": (0.8, 1.2),
    "still_seconds": 2.0,
}
PAPER_SOFT_EDGE_RATIO = 0.29


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="models/default", help="model bundle folder (default: models/default)")
    parser.add_argument(
        "--data",
        action="append",
        metavar="D.npz",
        help="dataset sampled at the model's step rate (repeatable, like train's)",
    )
    parser.add_argument(
        "--unseen",
        action="append",
        default=[],
        metavar="D.npz",
        help="a dancer left out of training: next-step IoU on it too (repeatable)",
    )
    parser.add_argument(
        "--video", metavar="FILE", help="measure breakage in a recorded video instead (dark figure on light)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument(
        "--minutes", type=float, default=DEFAULT_MINUTES, help="minutes generated per seed (default: 10)"
    )
    parser.add_argument(
        "--fps",
        type=float,
        default=DISPLAY_FPS,
        help="display rate the in-betweens are drawn at (default: 60, as live)",
    )
    parser.add_argument("--steps", type=int, default=None, help="generation steps per seed (instead of --minutes)")
    parser.add_argument("--seeds", type=int, default=8, help="random seeds generated together (default: 8)")
    parser.add_argument("--frames", type=int, default=4000, help="held-out frames measured at most (default: 4000)")
    parser.add_argument("--noise", type=float, help="override the model's generation noise (e.g. 0 to see it freeze)")
    parser.add_argument(
        "--write-manifest", action="store_true", help="store the figures under the manifest's 'eval' key"
    )


# --- pieces ---------------------------------------------------------------------------------
def held_out_frames(data, validation_clips: list[str], max_frames: int) -> tuple[list[np.ndarray], list[str], str]:
    """The held-out clips (the manifest's validation_clips present in the data), each cut to
    its share of `max_frames`; all clips when none is present, and the returned note says so."""
    wanted = set(validation_clips or [])
    chosen = [i for i, name in enumerate(data.clip_names) if name in wanted]
    source = "validation_clips"
    if not chosen:
        chosen = list(range(data.num_clips))
        source = "all clips: none of the manifest's validation_clips is in the data"
    clips = [data.clip(i) for i in chosen]
    total = sum(len(c) for c in clips)
    if total > max_frames:
        clips = [c[: max(1, int(len(c) * max_frames / total))] for c in clips]
    return clips, [data.clip_names[i] for i in chosen], source


def _batched(function, array: np.ndarray, batch: int = BATCH) -> np.ndarray:
    return np.concatenate([function(array[i : i + batch]) for i in range(0, len(array), batch)])


def reconstruction_and_next_step(bundle, clips: list[np.ndarray]) -> dict:
    """Reconstruction IoU of held-out frames, and next-step IoU against copying the last frame."""

    iou_sum, frames, grey, figure = 0.0, 0, 0, 0
    encoded: list[np.ndarray] = []
    for clip in clips:
        for first in range(0, len(clip), BATCH):
            ink = to_ink(clip[first : first + BATCH])
            z = bundle.encode(ink)
            decoded = bundle.decode(z)
            iou_sum += metrics.iou(metrics.ink_masks(decoded), metrics.ink_masks(ink)).sum()
            frames += len(ink)
            g, f = metrics.soft_edge_counts(decoded)
            grey, figure = grey + g, figure + f
            encoded.append(z)
    latents = np.concatenate(encoded) if encoded else np.zeros((0, bundle.latent_dim), np.float32)

    window = bundle.window
    clip_starts: list[np.ndarray] = []  # window starts as indices into the concatenated held-out frames
    offset = 0
    for clip in clips:
        if len(clip) > window:
            clip_starts.append(offset + np.arange(len(clip) - window))
        offset += len(clip)
    starts = np.concatenate(clip_starts) if clip_starts else np.zeros(0, np.int64)
    if len(starts) > MAX_WINDOWS:
        starts = starts[np.linspace(0, len(starts) - 1, MAX_WINDOWS).astype(np.int64)]
    next_step: dict[str, float | int | None] = {"iou": None, "copy_last_iou": None, "windows": int(len(starts))}
    result = {
        "reconstruction_iou": iou_sum / frames if frames else None,
        "reconstruction_soft_edge_ratio": grey / max(figure, 1) if frames else None,
        "frames": frames,
        "next_step": next_step,
    }
    if len(starts):
        frames_all = np.concatenate(clips)
        windows = bundle.normalise(latents[starts[:, None] + np.arange(window)])
        predicted = bundle.denormalise(_batched(bundle.step, windows))
        decoded = metrics.ink_masks(_batched(bundle.decode, predicted))
        truth = metrics.pixel_masks(frames_all[starts + window])
        last = metrics.pixel_masks(frames_all[starts + window - 1])
        next_step["iou"] = float(metrics.iou(decoded, truth).mean())
        next_step["copy_last_iou"] = float(metrics.iou(last, truth).mean())
    return result


def data_reference(data, lag: int, rng: np.random.Generator) -> dict:
    """What the data itself shows, on sampled frames and pairs: the yardsticks for generation."""

    def sample(starts):
        return starts if len(starts) <= DATA_SAMPLES else rng.choice(starts, DATA_SAMPLES, replace=False)

    frames = data.frames
    pick = sample(np.arange(len(frames)))
    masks = metrics.pixel_masks(frames[pick])
    allowed = metrics.area_range(metrics.areas(masks))
    step_starts = sample(data.window_starts(2))
    step_change = 1.0 - metrics.iou(
        metrics.pixel_masks(frames[step_starts]), metrics.pixel_masks(frames[step_starts + 1])
    )
    lag_starts = sample(data.window_starts(lag + 1))
    lag_change = 1.0 - metrics.iou(
        metrics.pixel_masks(frames[lag_starts]), metrics.pixel_masks(frames[lag_starts + lag])
    )
    a, b = rng.integers(0, len(frames), (2, min(DATA_SAMPLES, 2000)))
    return {
        "area_range": allowed,
        "plausible_share": float(metrics.plausible(masks, allowed).mean()),
        "motion_median": float(np.median(step_change)) if len(step_change) else None,
        "coherence": float(lag_change.mean() / step_change.mean())
        if len(lag_change) and len(step_change) and step_change.mean() > 0
        else None,
        "diversity": float((1.0 - metrics.iou(metrics.pixel_masks(frames[a]), metrics.pixel_masks(frames[b]))).mean()),
        "reach": metrics.reach_summary(metrics.reach(masks)),
    }


def generation_health(
    bundle,
    steps: int,
    seeds: int,
    reference: dict,
    lag: int,
    progress: bool,
    noise: float | None = None,
    fps: float = DISPLAY_FPS,
    realism: np.ndarray | None = None,
) -> dict:
    """Generate `steps` steps from seeds 0..seeds-1 together, as render and live play them.

    Step frames feed the step measures (motion, coherence, plausibility, diversity); every frame
    a viewer sees at `fps` (Catmull-Rom in-betweens included, through the same `interpolate`
    as render) is decoded for breakage, and a sample of them for realism against `realism`
    (training masks from `metrics.realism_masks`)."""

    rollout = Rollout(bundle, dancers=seeds, noise=noise)
    rollout.seed_random(list(range(seeds)))
    stats = metrics.GenerationStats(seeds, lag, reference["area_range"])
    display = DisplayStats(seeds, realism)
    frames = max(1, int((steps - 1) / bundle.step_rate * fps))
    positions = frame_positions(frames, fps, bundle.step_rate, start=1.0)
    knots = rollout.shown[:, -2:].transpose(1, 0, 2)  # knots 0 and 1, as render starts; (T, B, D)
    first_knot, next_frame = 0, 0
    chunk = max(1, CHUNK_FRAMES // seeds)
    with tqdm(total=steps, unit="step", desc="generate", disable=not progress or None, leave=False) as bar:
        for first in range(0, steps, chunk):
            n = min(chunk, steps - first)
            shown = rollout.run(n)
            ink = _batched(bundle.decode, bundle.denormalise(shown.reshape(n * seeds, -1)))
            stats.add(ink.reshape(n, seeds, *ink.shape[1:]))
            knots = np.concatenate([knots, shown])
            end = int(np.searchsorted(positions, first_knot + len(knots) - 2, side="right"))
            if end > next_frame:
                latents = interpolate(knots, positions[next_frame:end] - first_knot)
                ink = _batched(bundle.decode, bundle.denormalise(latents.reshape(-1, latents.shape[-1])))
                display.add(ink.reshape(end - next_frame, seeds, bundle.height, bundle.width))
                next_frame = end
            if next_frame < frames:  # keep the knots the next frames' segments need
                keep = int(np.floor(positions[next_frame])) - 1 - first_knot
                knots, first_knot = knots[keep:], first_knot + keep
            bar.update(n)

    minute_steps = max(1, int(round(60 * bundle.step_rate)))
    reference_motion = reference["motion_median"] or 0.0
    motion = stats.motion_per_step()
    per_minute = metrics.minute_motion(motion, minute_steps, reference_motion) if reference_motion > 0 else None
    still_steps = metrics.longest_still(motion, reference_motion, STILL_MOTION) if reference_motion > 0 else [0]
    coherence = stats.coherence()
    diversity = stats.mean_diversity()
    broken = display.broken_shares()

    def ratio(a, b):
        return a / b if a is not None and b else None

    return {
        "steps": steps,
        "seeds": seeds,
        "noise": rollout.noise,
        "mean_pull": rollout.mean_pull,
        "warmup_steps": bundle.window,
        "minute_steps": minute_steps,
        "minutes": 0 if per_minute is None else int(per_minute.shape[0]),
        "motion": {
            "measure": "1 - IoU of consecutive step frames",
            "data_median_per_step": reference["motion_median"],
            "relative_median": ratio(float(np.median(motion)), reference_motion) if motion.size else None,
            "relative_min_minute": float(per_minute.min()) if per_minute is not None and per_minute.size else None,
            "relative_max_minute": float(per_minute.max()) if per_minute is not None and per_minute.size else None,
            "every_minute_alive": bool(per_minute.min() >= TARGETS["minute_motion"])
            if per_minute is not None and per_minute.size
            else False,
            "every_minute_in_range": bool(
                per_minute.min() >= TARGETS["motion_range"][0] and per_minute.max() <= TARGETS["motion_range"][1]
            )
            if per_minute is not None and per_minute.size
            else False,
            "per_minute_min": [float(v) for v in per_minute.min(axis=1)] if per_minute is not None else [],
            "per_minute_max": [float(v) for v in per_minute.max(axis=1)] if per_minute is not None else [],
            "still_below": STILL_MOTION,
            "longest_still_seconds": int(np.max(still_steps, initial=0)) / bundle.step_rate,
        },
        "coherence": {
            "lag_steps": lag,
            "generated": coherence,
            "data": reference["coherence"],
            "relative": ratio(coherence, reference["coherence"]),
        },
        "plausible_share": stats.plausible_share(),
        "data_plausible_share": reference["plausible_share"],
        "area_range": [float(v) for v in reference["area_range"]],
        "diversity": {
            "between_seeds": diversity,
            "data_pairs": reference["diversity"],
            "relative": ratio(diversity, reference["diversity"]),
        },
        "soft_edge_ratio": stats.soft_edge_ratio(),
        "display": {
            "fps": fps,
            "frames_per_seed": frames,
            "seconds_per_seed": frames / fps,
            "broken_per_seed": [float(v) for v in broken],
            "broken_median": float(np.median(broken)),
            "broken_worst": float(np.max(broken)),
            "longest_broken_seconds": display.longest_broken() / fps,
            "soft_edge_ratio": display.soft_edge_ratio(),
            "realism": display.realism(),
            "reach": display.reach(),
            "data_reach": reference["reach"],
        },
        "resets": rollout.resets,
    }


class DisplayStats:
    """Streams displayed frames (n, B, H, W) ink: breakage per dancer, crispness, a realism sample."""

    def __init__(self, dancers: int, realism: np.ndarray | None, seed: int = 0):
        self.dancers = dancers
        self.reference = realism
        self.frames = 0
        self.flags: list[np.ndarray] = []  # (n, B) broken or not, per chunk
        self.grey = self.figure = 0
        self.scores: list[np.ndarray] = []
        self.reaches: list[np.ndarray] = []
        self.rng = np.random.default_rng(seed)

    def add(self, ink: np.ndarray) -> None:
        n = len(ink)
        masks = ink > metrics.THRESHOLD
        self.flags.append(metrics.broken(masks.reshape(n * self.dancers, *masks.shape[2:])).reshape(n, self.dancers))
        grey, figure = metrics.soft_edge_counts(ink)
        self.grey, self.figure = self.grey + grey, self.figure + figure
        self.frames += n
        if self.reference is not None and len(self.reference):
            picks = np.flatnonzero(self.rng.random(n * self.dancers) < REALISM_SHARE)
            if len(picks):
                flat = masks.reshape(n * self.dancers, *masks.shape[2:])
                self.scores.append(metrics.nearest_iou(metrics.realism_masks(flat[picks]), self.reference))
                self.reaches.append(metrics.reach(flat[picks]))

    def _broken(self) -> np.ndarray:
        return np.concatenate(self.flags) if self.flags else np.zeros((0, self.dancers), bool)

    def broken_shares(self) -> np.ndarray:
        return self._broken().sum(axis=0) / max(self.frames, 1)

    def longest_broken(self) -> int:
        """The longest run of broken frames of any dancer."""
        return int(metrics.longest_runs(self._broken()).max(initial=0))

    def soft_edge_ratio(self) -> float:
        return self.grey / max(self.figure, 1)

    def reach(self) -> dict:
        return metrics.reach_summary(np.concatenate(self.reaches) if self.reaches else np.zeros(0))

    def realism(self) -> dict | None:
        if not self.scores:
            return None
        return realism_summary(np.concatenate(self.scores))


def realism_summary(scores: np.ndarray) -> dict:
    """Best IoU against the training frames: its 5th percentile and median."""
    return {"p5": float(np.percentile(scores, 5)), "median": float(np.median(scores)), "frames": int(len(scores))}


def realism_reference(data, validation_clips: list[str], held_clips: list[np.ndarray], rng: np.random.Generator):
    """(training masks for `nearest_iou`, the held-out real frames' realism or None).

    Training frames are the data's clips not held out; with nothing held out there is no
    honest reference (a frame always finds itself), so that figure is None."""
    wanted = set(validation_clips or [])
    train = [data.clip(i) for i, name in enumerate(data.clip_names) if name not in wanted]
    if not train or len(train) == data.num_clips:
        frames = data.frames
        held = None
    else:
        frames = np.concatenate(train)
        held = np.concatenate(held_clips) if held_clips else None
    if len(frames) > REALISM_REFERENCE:
        frames = frames[np.sort(rng.choice(len(frames), REALISM_REFERENCE, replace=False))]
    reference = metrics.realism_masks(metrics.pixel_masks(frames))
    if held is None or not len(held):
        return reference, None
    if len(held) > REALISM_HELD_OUT:
        held = held[np.sort(rng.choice(len(held), REALISM_HELD_OUT, replace=False))]
    scores = metrics.nearest_iou(metrics.realism_masks(metrics.pixel_masks(held)), reference)
    return reference, realism_summary(scores)


def evaluate(
    bundle,
    data,
    data_path: str,
    steps: int = 10000,
    seeds: int = 8,
    max_frames: int = 4000,
    noise: float | None = None,
    progress: bool = True,
    fps: float = DISPLAY_FPS,
    unseen=None,
) -> dict:
    began = time.perf_counter()
    validation = bundle.manifest.get("validation_clips", [])
    clips, names, source = held_out_frames(data, validation, max_frames)
    held = reconstruction_and_next_step(bundle, clips)
    unseen_result = None
    if unseen is not None:
        unseen_data, unseen_path = unseen
        unseen_clips, _, _ = held_out_frames(unseen_data, [], max_frames)
        unseen_result = reconstruction_and_next_step(bundle, unseen_clips)
        unseen_result = {
            "data": unseen_path,
            "frames": unseen_result["frames"],
            "reconstruction_iou": unseen_result["reconstruction_iou"],
            "next_step": unseen_result["next_step"],
        }
    lag = metrics.coherence_lag(bundle.step_rate)
    rng = np.random.default_rng(0)
    reference = data_reference(data, lag, rng)
    training_masks, held_realism = realism_reference(
        data, validation, clips if source == "validation_clips" else [], rng
    )
    generation = generation_health(bundle, steps, seeds, reference, lag, progress, noise, fps, training_masks)
    display = generation["display"]
    display["realism_held_out"] = held_realism
    next_step = held["next_step"]
    realism = display["realism"]

    def beats(ns):
        return ns["iou"] is not None and ns["iou"] > ns["copy_last_iou"]

    result = {
        "model": str(bundle.path),
        "data": str(data_path),
        "provider": bundle.provider,
        "held_out": {"clips": names, "frames": held["frames"], "source": source},
        "reconstruction_iou": held["reconstruction_iou"],
        "next_step": next_step,
        "unseen": unseen_result,
        "generation": generation,
        "crispness": {
            "generated": generation["soft_edge_ratio"],
            "reconstruction": held["reconstruction_soft_edge_ratio"],
            "target": TARGETS["soft_edge_ratio"],
            "paper": PAPER_SOFT_EDGE_RATIO,
        },
        "passed": {
            "beats_copy_last": beats(next_step),
            "beats_copy_last_unseen": None if unseen_result is None else beats(unseen_result["next_step"]),
            "holds_together": display["broken_median"] <= TARGETS["broken_median"]
            and display["broken_worst"] <= TARGETS["broken_worst"],
            "realistic": None
            if realism is None or held_realism is None
            else realism["p5"] >= held_realism["p5"] - TARGETS["realism_gap"],
            "keeps_moving": generation["motion"]["every_minute_alive"],
            "motion_like_data": generation["motion"]["every_minute_in_range"],
            "never_still": generation["motion"]["longest_still_seconds"] <= TARGETS["still_seconds"],
            "plausible": generation["plausible_share"] >= TARGETS["plausible_share"],
            "crisp": generation["soft_edge_ratio"] < TARGETS["soft_edge_ratio"],
        },
        "seconds": time.perf_counter() - began,
    }
    return _plain(result)


def video_breakage(path: str, frame_height: int = 120) -> dict:
    """Broken-frame share of a recorded video (a dark figure on a light background), each frame
    shrunk to `frame_height` rows so the piece threshold means what it means at model size."""

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise LivedanceError(f"--video {path}: cannot be read as a video; expected a file livedance recorded")
    broken: list[bool] = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            h, w = grey.shape
            small = cv2.resize(grey, (max(1, round(w * frame_height / h)), frame_height), interpolation=cv2.INTER_AREA)
            broken.append(bool(metrics.broken((small < 128)[None])[0]))
    finally:
        capture.release()
    if not broken:
        raise LivedanceError(f"--video {path}: no frames could be read; expected a video livedance recorded")
    flags = np.array(broken)
    return {
        "video": str(path),
        "frames": int(len(flags)),
        "broken_share": float(flags.mean()),
        "broken_frames": int(flags.sum()),
        "longest_broken_frames": metrics.longest_run(flags),
    }


def _plain(value):
    """numpy scalars -> Python, non-finite floats -> None: strict JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    return value


# --- output -----------------------------------------------------------------------------------
def _num(value, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _mark(ok) -> str:
    return "n/a" if ok is None else ("ok" if ok else "FAIL")


def _realism(r) -> str:
    return "n/a" if r is None else f"p5 {r['p5']:.3f}  median {r['median']:.3f}"


def format_table(result: dict) -> str:
    g, held, ns, crisp, ok = (
        result["generation"],
        result["held_out"],
        result["next_step"],
        result["crispness"],
        result["passed"],
    )
    motion, coherence, diversity, display = g["motion"], g["coherence"], g["diversity"], g["display"]
    source = "" if held["source"] == "validation_clips" else f"  ({held['source']})"
    low, high = TARGETS["motion_range"]
    lines = [
        f"model {result['model']} on {result['provider']}; data {result['data']}",
        f"held-out: {held['frames']} frames of {', '.join(held['clips'])}{source}",
        "",
        f"reconstruction IoU          {_num(result['reconstruction_iou'])}",
        f"next-step IoU               {_num(ns['iou'])}   copy-last {_num(ns['copy_last_iou'])}   "
        f"({ns['windows']} windows)  {_mark(ok['beats_copy_last'])}",
    ]
    unseen = result.get("unseen")
    if unseen:
        uns = unseen["next_step"]
        lines.append(
            f"  unseen dancer             {_num(uns['iou'])}   copy-last {_num(uns['copy_last_iou'])}   "
            f"({uns['windows']} windows of {unseen['data']}; reconstruction {_num(unseen['reconstruction_iou'])})  "
            f"{_mark(ok['beats_copy_last_unseen'])}"
        )
    lines += [
        "",
        f"generation: {g['seeds']} seeds x {g['steps']} steps, noise {g['noise']:g}, mean pull {g['mean_pull']:g}, "
        f"{g['warmup_steps']} hidden warm-up steps, minute = {g['minute_steps']} steps",
        f"  displayed frames          {display['frames_per_seed']} per seed at {display['fps']:g} fps "
        f"({display['seconds_per_seed'] / 60:.1f} min), in-betweens included",
        f"  broken frames             median seed {100 * display['broken_median']:.2f}%   worst "
        f"{100 * display['broken_worst']:.2f}%   longest {display['longest_broken_seconds']:.2f} s   "
        f"(<= {100 * TARGETS['broken_median']:g}% / {100 * TARGETS['broken_worst']:g}%)  {_mark(ok['holds_together'])}",
        f"  realism (best IoU to training)  {_realism(display['realism'])}   held-out real "
        f"{_realism(display.get('realism_held_out'))}  {_mark(ok['realistic'])}",
        f"  reach (width / height)    median {_num(display['reach']['median'], 2)}   p90 "
        f"{_num(display['reach']['p90'], 2)}   data {_num(display['data_reach']['median'], 2)} / "
        f"{_num(display['data_reach']['p90'], 2)}",
        f"  motion / data's           median {_num(motion['relative_median'], 2)}   minutes "
        f"{_num(motion['relative_min_minute'], 2)}-{_num(motion['relative_max_minute'], 2)} ({low}-{high})  "
        f"{_mark(ok['motion_like_data'])}",
        f"  longest still stretch     {motion['longest_still_seconds']:.2f} s (<= {TARGETS['still_seconds']:g})  "
        f"{_mark(ok['never_still'])}",
        f"  coherence ({coherence['lag_steps']}-step)       {_num(coherence['generated'], 2)}   data "
        f"{_num(coherence['data'], 2)}   (jitter ~1, dance ~ data)",
        f"  plausible figures         {_num(g['plausible_share'])}   data {_num(g['data_plausible_share'])}   "
        f"(>= {TARGETS['plausible_share']})  {_mark(ok['plausible'])}",
        f"  diversity between seeds   {_num(diversity['between_seeds'])}   data pairs {_num(diversity['data_pairs'])}",
        f"  soft-edge ratio           {_num(crisp['generated'])}   displayed {_num(display['soft_edge_ratio'])}   "
        f"reconstruction {_num(crisp['reconstruction'])}   "
        f"(< {crisp['target']}; paper {crisp['paper']})  {_mark(ok['crisp'])}",
        f"  resets                    {g['resets']}",
        f"({result['seconds']:.1f} s)",
    ]
    return "\n".join(lines)


def _load_data(paths: list[str], bundle, option: str):
    data = concat([Dataset.load(path) for path in paths], paths)
    data_path = ", ".join(paths)
    if len(data.frames) < 2:
        raise LivedanceError(f"{option} {data_path}: {len(data.frames)} frames; expected at least 2")
    if (bundle.height, bundle.width) != data.frames.shape[1:]:
        raise LivedanceError(
            f"{option} {data_path}: frames of {data.frames.shape[1:]}; "
            f"the model expects ({bundle.height}, {bundle.width})"
        )
    if not math.isclose(data.fps, bundle.step_rate, rel_tol=1e-3):
        raise LivedanceError(
            f"{option} {data_path}: sampled at {data.fps:g} fps; "
            f"expected the model's step rate, {bundle.step_rate:g} steps/s"
        )
    return data, data_path


def run(args) -> int:
    if args.video:
        result = video_breakage(args.video)
        print(
            json.dumps(result, indent=2)
            if args.json
            else f"{result['video']}: {result['broken_frames']} of {result['frames']} frames broken "
            f"({100 * result['broken_share']:.2f}%), longest run {result['longest_broken_frames']} frames"
        )
        return 0
    if not args.data:
        raise LivedanceError("--data: expected at least one dataset (or --video FILE)")
    if not (args.fps > 0 and math.isfinite(args.fps)):
        raise LivedanceError(f"--fps {args.fps:g}: expected a positive frame rate")
    if not (args.minutes > 0 and math.isfinite(args.minutes)):
        raise LivedanceError(f"--minutes {args.minutes:g}: expected a positive number of minutes")
    if args.steps is not None and args.steps < 2:
        raise LivedanceError(f"--steps {args.steps}: expected at least 2")
    if not 1 <= args.seeds <= 256:
        raise LivedanceError(f"--seeds {args.seeds}: expected 1 to 256")
    if args.frames < 1:
        raise LivedanceError(f"--frames {args.frames}: expected at least 1")
    if args.noise is not None and not (args.noise >= 0 and math.isfinite(args.noise)):
        raise LivedanceError(f"--noise {args.noise:g}: expected a number >= 0 (normalised latent units, e.g. 0.3)")
    bundle = Bundle.load(args.model)
    data, data_path = _load_data(args.data, bundle, "--data")
    unseen = _load_data(args.unseen, bundle, "--unseen") if args.unseen else None
    steps = args.steps if args.steps is not None else max(2, int(round(args.minutes * 60 * bundle.step_rate)) + 1)
    result = evaluate(
        bundle,
        data,
        data_path,
        steps,
        args.seeds,
        args.frames,
        args.noise,
        progress=not args.json,
        fps=args.fps,
        unseen=unseen,
    )
    if args.write_manifest:
        manifest = dict(bundle.manifest)
        manifest["eval"] = result
        write_manifest(bundle.path, manifest)
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0
