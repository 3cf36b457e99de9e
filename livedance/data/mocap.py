"""Render BVH motion capture into a silhouette dataset: one clip per (file, camera yaw).

Each file goes through forward kinematics (just the body's joints), is resampled by
time to `--fps` (the LSTM's step rate becomes the data's frame rate), and is drawn from
every yaw by `livedance.data.body`. A BVH header's frame time is trusted unless
`--source-fps` says otherwise: the CMU salsa BVHs (subjects 60 and 61) claim 120 fps
but were captured at 60 fps, so render them with `--source-fps 60`.
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

from tqdm import tqdm

from livedance.data.arms import FADE_SECONDS, arm_directions, splice, transplant_arms
from livedance.data.body import FRAMINGS, Body, body_from_motion, render
from livedance.data.bvh import read_bvh
from livedance.data.dataset import Dataset, keep_before
from livedance.data.kinematics import resample
from livedance.errors import LivedanceError

CMU_CREDIT = (
    "The data used in this project was obtained from mocap.cs.cmu.edu. "
    "The database was created with funding from NSF EIA-0196217."
)


def collect_inputs(paths: list[str]) -> list[Path]:
    """Files as given, folders as every .bvh inside them (sorted); clear errors otherwise."""
    files: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".bvh")
            if not found:
                raise LivedanceError(f"{path}: folder has no .bvh files; expected BVH motion capture files")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise LivedanceError(f"{path}: no such file or folder; expected a BVH file or a folder of them")
    return files


def parse_yaws(text: str) -> list[float]:
    """ "0,90,180,270" -> [0.0, 90.0, 180.0, 270.0]; LivedanceError naming --yaws otherwise."""
    try:
        yaws = [float(part) for part in str(text).split(",")]
    except ValueError:
        yaws = []
    if not yaws or not all(math.isfinite(y) for y in yaws):
        raise LivedanceError(f"--yaws {text!r}: expected comma-separated camera angles in degrees, like 0,90,180,270")
    if len(set(yaws)) != len(yaws):
        raise LivedanceError(f"--yaws {text!r}: expected each camera angle once")
    return yaws


def is_cmu(path: Path) -> bool:
    """CMU takes are named SUBJECT_TRIAL (60_01, 005_02) or live under a cmu folder."""
    return (
        any(part.lower() == "cmu" for part in path.parts) or re.match(r"^\d{1,3}_\d{1,2}(\D|$)", path.stem) is not None
    )


def header_fps(frame_time: float) -> float:
    """Frame rate from a BVH Frame Time, which files print with few digits (0.008333 -> 120)."""
    fps = 1.0 / frame_time
    nearest = round(fps)
    return float(nearest) if nearest > 0 and abs(fps - nearest) < 1e-3 * fps else fps


def clip_name(path: Path, yaw: float) -> str:
    return f"{path.stem}@yaw{yaw:g}"


def add_rendering_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every command that renders a dancer into a dataset shares (mocap, synth)."""
    parser.add_argument("--out", required=True, help="dataset file to write (.npz)")
    parser.add_argument(
        "--fps", type=float, default=12.0, help="frame rate of the dataset, i.e. the LSTM's step rate (default 12)"
    )
    parser.add_argument(
        "--yaws", default="0,90,180,270", help="camera angles in degrees around the dancer (default 0,90,180,270)"
    )
    parser.add_argument("--framing", default="close", help="close: head to knees (default); full: head to feet")


def check_rendering_arguments(args: argparse.Namespace) -> list[float]:
    """Checks `add_rendering_arguments`' options; returns the yaws."""
    yaws = parse_yaws(args.yaws)
    if args.framing not in FRAMINGS:
        raise LivedanceError(f"--framing {args.framing!r}: expected one of {', '.join(FRAMINGS)}")
    if not (args.fps > 0 and math.isfinite(args.fps)):
        raise LivedanceError(f"--fps {args.fps}: expected a positive frame rate")
    if not str(args.out).endswith(".npz"):
        raise LivedanceError(f"--out {args.out}: expected a dataset file name ending in .npz")
    return yaws


def donor_arms(files: list[Path], fps: float):
    """The donors' arm directions at `fps`, spliced into one loop (see `livedance.data.arms`)."""

    clips = []
    for path in files:
        motion = read_bvh(path)
        body = body_from_motion(motion, source=str(path))
        clips.append(arm_directions(Body(resample(body.points, header_fps(motion.frame_time), fps), body.stature)))
    return splice(clips, max(1, round(FADE_SECONDS * fps)))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs", nargs="+", metavar="BVH_OR_FOLDER", help="BVH files, or folders whose .bvh files are all taken"
    )
    add_rendering_arguments(parser)
    parser.add_argument(
        "--source-fps",
        type=float,
        default=None,
        help="the capture's real frame rate, overriding the BVH headers (CMU salsa: 60)",
    )
    parser.add_argument(
        "--arms-from",
        nargs="+",
        default=None,
        metavar="BVH_OR_FOLDER",
        help="solo dance whose arm motion replaces the dancer's (for partner dances: "
        "legs, hips and torso stay, the arms dance free); their own headers give their frame rate",
    )


def run(args: argparse.Namespace) -> int:
    yaws = check_rendering_arguments(args)
    if args.source_fps is not None and not (args.source_fps > 0 and math.isfinite(args.source_fps)):
        raise LivedanceError(f"--source-fps {args.source_fps}: expected a positive frame rate")
    files = collect_inputs(args.inputs)
    donors = collect_inputs(args.arms_from) if args.arms_from else []
    arms = donor_arms(donors, args.fps) if donors else None

    clips: list = []
    names: list[str] = []
    sources: list[dict] = []
    meta = {
        "kind": "mocap",
        "sources": sources,
        "yaws": yaws,
        "fps": args.fps,
        "framing": args.framing,
        "source_fps_override": args.source_fps,
    }
    if donors:
        meta["arms_from"] = [str(p) for p in donors]
    if any(is_cmu(p) for p in files):
        meta["credit"] = CMU_CREDIT
    with tqdm(files, unit="file", desc="mocap", leave=False, disable=None) as bar:
        for path in bar:
            bar.set_postfix_str(path.name)
            try:
                motion = read_bvh(path)
                source_fps = float(args.source_fps or header_fps(motion.frame_time))
                body = body_from_motion(motion, source=str(path))
            except LivedanceError as exc:  # stop at a bad file; keep what the files before it made
                if not sources:
                    raise
                done = Dataset.from_clips(clips, names, args.fps, meta)
                left = len(files) - len(sources)
                raise keep_before(done, Path(args.out), path, exc, left, f"{len(sources)} file(s) rendered") from None
            body = Body(resample(body.points, source_fps, args.fps), body.stature)
            if arms is not None:
                body = transplant_arms(body, arms, start=len(arms) * len(sources) // len(files))
            for yaw in yaws:
                clips.append(render(body, yaw, framing=args.framing, fps=args.fps))
                names.append(clip_name(path, yaw))
            sources.append(
                {
                    "file": str(path),
                    "frames": motion.num_frames,
                    "header_fps": header_fps(motion.frame_time),
                    "source_fps": source_fps,
                    "seconds": round(motion.num_frames / source_fps, 3),
                    "joints": motion.skeleton.num_joints,
                    "stature_m": round(body.stature, 3),
                }
            )
    path = Dataset.from_clips(clips, names, args.fps, meta).save(args.out)
    total = sum(len(c) for c in clips)
    print(f"wrote {path}: {total} frames in {len(clips)} clips from {len(files)} files at {args.fps:g} fps")
    return 0
