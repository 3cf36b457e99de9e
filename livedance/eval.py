"""Measure a model bundle on a dataset: reconstruction, next-step prediction, long generation.

Long generation is judged by its health: does it keep dancing, stay a figure, differ between
seeds, stay crisp.

    livedance eval --model models/default --data data/salsa.npz [--json] [--write-manifest]

Held-out frames are the manifest's validation_clips found in the data (all clips, said so,
when none is). Generation is measured on what a viewer sees: the decoded frame of every step
of seeds 0..N-1 generated together, played as render plays them (same warm-up, noise, mean
pull), plus the interpolated frame halfway through every 8th step. Masks are ink > 0.5.

- motion: 1 - IoU of a dancer's consecutive frames; per minute (60 x step_rate steps) its
  median over the minute / the data's median per step. A frozen dancer scores ~0; >= 0.5 in
  every minute of every seed counts as alive.
- coherence: mean change over ~0.25 s / mean change over one step, next to the data's: a
  dancer going somewhere moves further in several steps than in one, jitter does not (~1).
- plausible: one 8-connected shape holds >= 80% of the ink, and the area is within the
  data's 1st-99th percentile widened (x0.8, x1.25). Target >= 95%.
- diversity: mean 1 - IoU between different seeds at the same step, next to random pairs of
  data frames. crispness: frames.soft_edge_ratio of generated frames (target < 0.15).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

from . import metrics
from .errors import LivedanceError

BATCH = 32  # frames per encoder/decoder call (bigger batches are no faster on 2 cores)
CHUNK_FRAMES = 512  # decoded generation frames held at once (steps x seeds)
MAX_WINDOWS = 2000  # next-step windows measured
DATA_SAMPLES = 4000  # data frames / pairs sampled for the reference figures
IN_BETWEEN_EVERY = 8  # measure the interpolated frame halfway through every 8th step
TARGETS = {"plausible_share": 0.95, "minute_motion": 0.5, "soft_edge_ratio": 0.15}
PAPER_SOFT_EDGE_RATIO = 0.29


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="models/default", help="model bundle folder (default: models/default)")
    parser.add_argument("--data", action="append", required=True, metavar="D.npz", help="dataset sampled at the model's step rate (repeatable, like train's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--steps", type=int, default=10000, help="generation steps per seed (default: 10000)")
    parser.add_argument("--seeds", type=int, default=8, help="random seeds generated together (default: 8)")
    parser.add_argument("--frames", type=int, default=4000, help="held-out frames measured at most (default: 4000)")
    parser.add_argument("--noise", type=float, help="override the model's generation noise (e.g. 0 to see it freeze)")
    parser.add_argument("--write-manifest", action="store_true", help="store the figures under the manifest's 'eval' key")


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
    from .frames import to_ink

    iou_sum, frames, grey, figure = 0.0, 0, 0, 0
    latents = []
    for clip in clips:
        for first in range(0, len(clip), BATCH):
            ink = to_ink(clip[first : first + BATCH])
            z = bundle.encode(ink)
            decoded = bundle.decode(z)
            iou_sum += metrics.iou(metrics.ink_masks(decoded), metrics.ink_masks(ink)).sum()
            frames += len(ink)
            g, f = metrics.soft_edge_counts(decoded)
            grey, figure = grey + g, figure + f
            latents.append(z)
    latents = np.concatenate(latents) if latents else np.zeros((0, bundle.latent_dim), np.float32)

    window = bundle.window
    starts, offset = [], 0  # window starts as indices into the concatenated held-out frames
    for clip in clips:
        if len(clip) > window:
            starts.append(offset + np.arange(len(clip) - window))
        offset += len(clip)
    starts = np.concatenate(starts) if starts else np.zeros(0, np.int64)
    if len(starts) > MAX_WINDOWS:
        starts = starts[np.linspace(0, len(starts) - 1, MAX_WINDOWS).astype(np.int64)]
    result = {
        "reconstruction_iou": iou_sum / frames if frames else None,
        "reconstruction_soft_edge_ratio": grey / max(figure, 1) if frames else None,
        "frames": frames,
        "next_step": {"iou": None, "copy_last_iou": None, "windows": int(len(starts))},
    }
    if len(starts):
        frames_all = np.concatenate(clips)
        windows = bundle.normalise(latents[starts[:, None] + np.arange(window)])
        predicted = bundle.denormalise(_batched(bundle.step, windows))
        decoded = metrics.ink_masks(_batched(bundle.decode, predicted))
        truth = metrics.pixel_masks(frames_all[starts + window])
        last = metrics.pixel_masks(frames_all[starts + window - 1])
        result["next_step"]["iou"] = float(metrics.iou(decoded, truth).mean())
        result["next_step"]["copy_last_iou"] = float(metrics.iou(last, truth).mean())
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
    step_change = 1.0 - metrics.iou(metrics.pixel_masks(frames[step_starts]), metrics.pixel_masks(frames[step_starts + 1]))
    lag_starts = sample(data.window_starts(lag + 1))
    lag_change = 1.0 - metrics.iou(metrics.pixel_masks(frames[lag_starts]), metrics.pixel_masks(frames[lag_starts + lag]))
    a, b = rng.integers(0, len(frames), (2, min(DATA_SAMPLES, 2000)))
    return {
        "area_range": allowed,
        "plausible_share": float(metrics.plausible(masks, allowed).mean()),
        "motion_median": float(np.median(step_change)) if len(step_change) else None,
        "coherence": float(lag_change.mean() / step_change.mean())
        if len(lag_change) and len(step_change) and step_change.mean() > 0
        else None,
        "diversity": float((1.0 - metrics.iou(metrics.pixel_masks(frames[a]), metrics.pixel_masks(frames[b]))).mean()),
    }


def generation_health(
    bundle, steps: int, seeds: int, reference: dict, lag: int, progress: bool, noise: float | None = None
) -> dict:
    """Generate `steps` steps from seeds 0..seeds-1 together, decode every step, measure."""
    from tqdm import tqdm

    from .generate import Rollout

    rollout = Rollout(bundle, dancers=seeds, noise=noise)
    rollout.seed_random(list(range(seeds)))
    stats = metrics.GenerationStats(seeds, lag, reference["area_range"])
    between = {"frames": 0, "plausible": 0, "grey": 0, "figure": 0}
    knots_tail = rollout.shown[:, -3:].transpose(1, 0, 2)  # steps -3..-1: warm-up, the curve's past
    chunk = max(1, CHUNK_FRAMES // seeds)
    with tqdm(total=steps, unit="step", desc="generate", disable=not progress or None, leave=False) as bar:
        for first in range(0, steps, chunk):
            n = min(chunk, steps - first)
            shown = rollout.run(n)
            ink = _batched(bundle.decode, bundle.denormalise(shown.reshape(n * seeds, -1)))
            stats.add(ink.reshape(n, seeds, *ink.shape[1:]))
            knots = np.concatenate([knots_tail, shown])
            _measure_in_between(bundle, knots, first - len(knots_tail), reference["area_range"], between)
            knots_tail = knots[-3:]
            bar.update(n)

    minute_steps = max(1, int(round(60 * bundle.step_rate)))
    reference_motion = reference["motion_median"] or 0.0
    motion = stats.motion_per_step()
    per_minute = metrics.minute_motion(motion, minute_steps, reference_motion) if reference_motion > 0 else None
    coherence = stats.coherence()
    diversity = stats.mean_diversity()

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
            "measure": "1 - IoU of consecutive frames",
            "data_median_per_step": reference["motion_median"],
            "relative_median": ratio(float(np.median(motion)), reference_motion) if motion.size else None,
            "relative_min_minute": float(per_minute.min()) if per_minute is not None and per_minute.size else None,
            "every_minute_alive": bool(per_minute.min() >= TARGETS["minute_motion"])
            if per_minute is not None and per_minute.size
            else False,
            "per_minute_min": [float(v) for v in per_minute.min(axis=1)] if per_minute is not None else [],
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
        "in_between": {
            "every_steps": IN_BETWEEN_EVERY,
            "frames": between["frames"],
            "plausible_share": between["plausible"] / between["frames"] if between["frames"] else None,
            "soft_edge_ratio": between["grey"] / max(between["figure"], 1) if between["frames"] else None,
        },
        "resets": rollout.resets,
    }


def _measure_in_between(bundle, knots: np.ndarray, first_step: int, allowed_area, totals: dict) -> None:
    """Decode the interpolated frame halfway between steps t and t + 1 (as render shows it) for
    every IN_BETWEEN_EVERY-th t whose curve became known with these knots ((T, B, D), knot 0 = step
    `first_step`): in-between frames are most of a 30 fps video, so they must be figures too."""
    from .generate import interpolate

    segments = np.arange(1, len(knots) - 2)  # segment i -> i + 1 needs knots i - 1 and i + 2
    steps = first_step + segments
    segments = segments[(steps >= 0) & (steps % IN_BETWEEN_EVERY == 0)]
    if not len(segments):
        return
    latents = interpolate(knots, segments + 0.5)
    ink = _batched(bundle.decode, bundle.denormalise(latents.reshape(-1, latents.shape[-1])))
    grey, figure = metrics.soft_edge_counts(ink)
    totals["frames"] += len(ink)
    totals["plausible"] += int(metrics.plausible(metrics.ink_masks(ink), allowed_area).sum())
    totals["grey"] += grey
    totals["figure"] += figure


def evaluate(
    bundle,
    data,
    data_path: str,
    steps: int = 10000,
    seeds: int = 8,
    max_frames: int = 4000,
    noise: float | None = None,
    progress: bool = True,
) -> dict:
    began = time.perf_counter()
    clips, names, source = held_out_frames(data, bundle.manifest.get("validation_clips", []), max_frames)
    held = reconstruction_and_next_step(bundle, clips)
    lag = metrics.coherence_lag(bundle.step_rate)
    reference = data_reference(data, lag, np.random.default_rng(0))
    generation = generation_health(bundle, steps, seeds, reference, lag, progress, noise)
    next_step = held["next_step"]
    result = {
        "model": str(bundle.path),
        "data": str(data_path),
        "provider": bundle.provider,
        "held_out": {"clips": names, "frames": held["frames"], "source": source},
        "reconstruction_iou": held["reconstruction_iou"],
        "next_step": next_step,
        "generation": generation,
        "crispness": {
            "generated": generation["soft_edge_ratio"],
            "reconstruction": held["reconstruction_soft_edge_ratio"],
            "target": TARGETS["soft_edge_ratio"],
            "paper": PAPER_SOFT_EDGE_RATIO,
        },
        "passed": {
            "beats_copy_last": next_step["iou"] is not None and next_step["iou"] > next_step["copy_last_iou"],
            "keeps_moving": generation["motion"]["every_minute_alive"],
            "plausible": generation["plausible_share"] >= TARGETS["plausible_share"],
            "crisp": generation["soft_edge_ratio"] < TARGETS["soft_edge_ratio"],
        },
        "seconds": time.perf_counter() - began,
    }
    return _plain(result)


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


def _mark(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def format_table(result: dict) -> str:
    g, held, ns, crisp, ok = result["generation"], result["held_out"], result["next_step"], result["crispness"], result["passed"]
    motion, coherence, diversity = g["motion"], g["coherence"], g["diversity"]
    source = "" if held["source"] == "validation_clips" else f"  ({held['source']})"
    lines = [
        f"model {result['model']} on {result['provider']}; data {result['data']}",
        f"held-out: {held['frames']} frames of {', '.join(held['clips'])}{source}",
        "",
        f"reconstruction IoU          {_num(result['reconstruction_iou'])}",
        f"next-step IoU               {_num(ns['iou'])}   copy-last {_num(ns['copy_last_iou'])}   "
        f"({ns['windows']} windows)  {_mark(ok['beats_copy_last'])}",
        "",
        f"generation: {g['seeds']} seeds x {g['steps']} steps, noise {g['noise']:g}, mean pull {g['mean_pull']:g}, "
        f"{g['warmup_steps']} hidden warm-up steps, minute = {g['minute_steps']} steps",
        f"  motion / data's           median {_num(motion['relative_median'], 2)}   worst minute "
        f"{_num(motion['relative_min_minute'], 2)} (>= {TARGETS['minute_motion']})  {_mark(ok['keeps_moving'])}",
        f"  coherence ({coherence['lag_steps']}-step)       {_num(coherence['generated'], 2)}   data "
        f"{_num(coherence['data'], 2)}   (jitter ~1, dance ~ data)",
        f"  plausible figures         {_num(g['plausible_share'])}   data {_num(g['data_plausible_share'])}   "
        f"(>= {TARGETS['plausible_share']})  {_mark(ok['plausible'])}",
        f"  diversity between seeds   {_num(diversity['between_seeds'])}   data pairs {_num(diversity['data_pairs'])}",
        f"  soft-edge ratio           {_num(crisp['generated'])}   reconstruction {_num(crisp['reconstruction'])}   "
        f"(< {crisp['target']}; paper {crisp['paper']})  {_mark(ok['crisp'])}",
        f"  in-between frames         plausible {_num(g['in_between']['plausible_share'])}   soft-edge "
        f"{_num(g['in_between']['soft_edge_ratio'])}   ({g['in_between']['frames']} interpolated frames)",
        f"  resets                    {g['resets']}",
        f"({result['seconds']:.1f} s)",
    ]
    return "\n".join(lines)


def run(args) -> int:
    from .bundle import Bundle, write_manifest
    from .dataset import Dataset, concat

    if args.steps < 2:
        raise LivedanceError(f"--steps {args.steps}: expected at least 2")
    if not 1 <= args.seeds <= 256:
        raise LivedanceError(f"--seeds {args.seeds}: expected 1 to 256")
    if args.frames < 1:
        raise LivedanceError(f"--frames {args.frames}: expected at least 1")
    bundle = Bundle.load(args.model)
    data = concat([Dataset.load(path) for path in args.data], args.data)
    data_path = ", ".join(args.data)
    if len(data.frames) < 2:
        raise LivedanceError(f"{data_path}: {len(data.frames)} frames; expected at least 2")
    if (bundle.height, bundle.width) != data.frames.shape[1:]:
        raise LivedanceError(f"{data_path}: frames of {data.frames.shape[1:]}; the model expects ({bundle.height}, {bundle.width})")
    if not math.isclose(data.fps, bundle.step_rate, rel_tol=1e-3):
        raise LivedanceError(
            f"{data_path}: sampled at {data.fps:g} fps; expected the model's step rate, {bundle.step_rate:g} steps/s"
        )
    if args.noise is not None and not (args.noise >= 0 and math.isfinite(args.noise)):
        raise LivedanceError(f"--noise {args.noise:g}: expected a number >= 0 (normalised latent units, e.g. 0.3)")
    result = evaluate(bundle, data, data_path, args.steps, args.seeds, args.frames, args.noise, progress=not args.json)
    if args.write_manifest:
        manifest = dict(bundle.manifest)
        manifest["eval"] = result
        write_manifest(bundle.path, manifest)
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0
