"""Make a procedural dancer dataset (and optionally its BVH): no download needed.

A seeded plan strings moves from `livedance.data.moves` into two-bar sections on a tempo,
crossfading one beat across every boundary so nothing pops. The blended anatomical pose
becomes BVH joint rotations on a small Mixamo-named skeleton: the legs are solved
from foot targets (two-bone IK) so feet stay planted and crouches bend the knees; the
pelvis height follows. The same renderer as `livedance mocap` draws the frames.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from livedance.data.body import body_from_motion, render
from livedance.data.bvh import Motion, Skeleton, write_bvh
from livedance.data.dataset import Dataset
from livedance.data.kinematics import axis_rotations, euler_rotations
from livedance.data.mocap import add_rendering_arguments, check_rendering_arguments
from livedance.data.moves import MOVES, NEUTRAL, PARAMS, mirror
from livedance.errors import LivedanceError

DEFAULT_YAWS = (0.0, 90.0, 180.0, 270.0)
SECTION_BEATS = 8
FADE_BEATS = 1.0
CLIP_SECONDS = 60.0  # the dataset is cut into clips this long, so validation can hold some out

ROT_ZXY = ("Zrotation", "Xrotation", "Yrotation")
# (name, parent, offset in metres, channels); the rest pose has arms and legs hanging straight.
_JOINTS = [
    ("Hips", None, (0.0, 0.0, 0.0), ("Xposition", "Yposition", "Zposition", "Yrotation", "Xrotation", "Zrotation")),
    ("Spine", "Hips", (0.0, 0.10, 0.0), ROT_ZXY),
    ("Chest", "Spine", (0.0, 0.17, 0.0), ROT_ZXY),
    ("Neck", "Chest", (0.0, 0.21, -0.01), ROT_ZXY),
    ("Head", "Neck", (0.0, 0.10, 0.01), ROT_ZXY),
]
for _side, _sign in (("Left", 1.0), ("Right", -1.0)):
    _JOINTS += [
        (f"{_side}Shoulder", "Chest", (0.03 * _sign, 0.17, 0.0), ROT_ZXY),
        (f"{_side}Arm", f"{_side}Shoulder", (0.15 * _sign, 0.0, 0.0), ROT_ZXY),
        (f"{_side}ForeArm", f"{_side}Arm", (0.0, -0.29, 0.0), ROT_ZXY),
        (f"{_side}Hand", f"{_side}ForeArm", (0.0, -0.25, 0.0), ROT_ZXY),
    ]
for _side, _sign in (("Left", 1.0), ("Right", -1.0)):
    _JOINTS += [
        (f"{_side}UpLeg", "Hips", (0.09 * _sign, -0.05, 0.0), ROT_ZXY),
        (f"{_side}Leg", f"{_side}UpLeg", (0.0, -0.42, 0.0), ROT_ZXY),
        (f"{_side}Foot", f"{_side}Leg", (0.0, -0.40, 0.0), ROT_ZXY),
        (f"{_side}ToeBase", f"{_side}Foot", (0.0, -0.05, 0.12), ("Xrotation",)),
    ]
_END_SITES = {
    "Head": (0.0, 0.18, 0.0),
    "LeftHand": (0.0, -0.17, 0.0),
    "RightHand": (0.0, -0.17, 0.0),
    "LeftToeBase": (0.0, 0.0, 0.06),
    "RightToeBase": (0.0, 0.0, 0.06),
}
THIGH, SHIN = 0.42, 0.40
ANKLE_HEIGHT = 0.06  # of the ankle joint above the floor with the foot flat


def skeleton() -> Skeleton:
    """The synth dancer's skeleton (metres, y up, facing +z, about 1.70 m tall)."""
    names = [j[0] for j in _JOINTS]
    parents = [-1 if j[1] is None else names.index(j[1]) for j in _JOINTS]
    ends = [(names.index(n), np.asarray(o, np.float64)) for n, o in _END_SITES.items()]
    return Skeleton(names, np.array(parents), np.array([j[2] for j in _JOINTS]), [j[3] for j in _JOINTS], ends)


@dataclass
class Section:
    move: str
    start: float  # beats
    beats: float
    mirrored: bool
    amplitude: float
    style: dict = field(default_factory=dict)  # offsets added to the move's parameters: no two sections alike


def plan_dance(seconds: float, bpm: float, rng: np.random.Generator) -> list[Section]:
    """Two-bar sections of moves, never the same move twice in a row."""
    total = seconds * bpm / 60.0 + FADE_BEATS
    names = sorted(MOVES)
    sections, start, last = [], 0.0, None
    while start < total:
        choices = [n for n in names if n != last]
        move = choices[int(rng.integers(len(choices)))]
        style = {
            "yaw": float(rng.uniform(-35, 35)),
            "spine_x": float(rng.normal(0, 3)),
            "head_z": float(rng.normal(0, 4)),
        }
        for side in "lr":
            style.update(
                {
                    f"{side}_abd": float(rng.normal(0, 10)),
                    f"{side}_flex": float(rng.normal(0, 12)),
                    f"{side}_elbow": float(rng.normal(0, 15)),
                }
            )
        sections.append(Section(move, start, SECTION_BEATS, bool(rng.integers(2)), float(rng.uniform(0.8, 1.2)), style))
        start += SECTION_BEATS
        last = move
    return sections


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def blend_pose(sections: list[Section], beats: np.ndarray) -> dict[str, np.ndarray]:
    """Crossfaded anatomical pose at each beat time: weights of neighbouring sections sum to 1."""
    pose = {k: np.zeros(len(beats)) for k in PARAMS}
    half = FADE_BEATS / 2
    for i, sec in enumerate(sections):
        lo, hi = sec.start - half, sec.start + sec.beats + half
        idx = np.flatnonzero((beats >= lo) & (beats < hi))
        if idx.size == 0:
            continue
        b = beats[idx]
        w = np.ones(idx.size) if i == 0 else _smoothstep((b - lo) / FADE_BEATS)
        if i + 1 < len(sections):
            w = w * (1 - _smoothstep((b - (hi - FADE_BEATS)) / FADE_BEATS))
        part = MOVES[sec.move](b - sec.start, sec.amplitude)
        if sec.mirrored:
            part = mirror(part)
        for key in PARAMS:
            value = np.asarray(part.get(key, NEUTRAL[key]), dtype=np.float64) + sec.style.get(key, 0.0)
            pose[key][idx] += w * np.broadcast_to(np.asarray(value, dtype=np.float64), b.shape)
    return pose


def heading_at(sections: list[Section], beats: np.ndarray, steps_per_beat: int = 48) -> np.ndarray:
    """Heading (degrees) at each beat time: the blended turn rate integrated on a fine grid,
    so a dance sampled at 12 or 60 fps turns by the same amount."""
    if len(beats) == 0:
        return np.zeros(0)
    fine = np.arange(0.0, float(np.max(beats)) + 2.0 / steps_per_beat, 1.0 / steps_per_beat)
    rate = blend_pose(sections, fine)["turn"]
    total = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) / steps_per_beat)])
    return np.interp(beats, fine, total)


def _zxy_from_matrices(r: np.ndarray) -> np.ndarray:
    """(N, 3, 3) = Rz @ Rx @ Ry -> (N, 3) angles (z, x, y) in degrees."""
    x = np.arcsin(np.clip(r[:, 2, 1], -1.0, 1.0))
    y = np.arctan2(-r[:, 2, 0], r[:, 2, 2])
    z = np.arctan2(-r[:, 0, 1], r[:, 1, 1])
    return np.degrees(np.stack([z, x, y], -1))


def _leg(pose, side: str, sign: float):
    """Two-bone IK in the pelvis frame: hip (z, x) and knee x angles, plus the ankle's rotation."""
    target = np.stack(
        [sign * pose[f"{side}_fx"], ANKLE_HEIGHT + pose[f"{side}_fy"] + pose["jump"], pose[f"{side}_fz"]], -1
    )
    pelvis = np.stack([pose["px"], pose["py"] + pose["jump"], pose["pz"]], -1)
    tilt = euler_rotations(np.stack([pose["tilt_x"], pose["tilt_z"]], -1), "XZ")
    d = np.einsum("nji,nj->ni", tilt, target - pelvis) - np.array([0.09 * sign, -0.05, 0.0])
    dist = np.linalg.norm(d, axis=-1)
    reach = np.clip(dist, abs(THIGH - SHIN) + 1e-3, THIGH + SHIN - 1e-4)
    dhat = d / np.maximum(dist, 1e-9)[:, None]
    knee = np.arccos(np.clip((reach**2 - THIGH**2 - SHIN**2) / (2 * THIGH * SHIN), -1.0, 1.0))
    delta = np.arctan2(SHIN * np.sin(knee), THIGH + SHIN * np.cos(knee))
    aim_x = -np.arcsin(np.clip(dhat[:, 2], -1.0, 1.0))
    hip_z = np.degrees(np.arctan2(dhat[:, 0], -dhat[:, 1]))
    hip_x = np.degrees(aim_x - delta)
    knee_x = np.degrees(knee)
    chain = tilt @ euler_rotations(np.stack([hip_z, hip_x], -1), "ZX") @ axis_rotations(knee_x, "X")
    wanted = axis_rotations(sign * pose[f"{side}_foot_turn"], "Y") @ axis_rotations(pose[f"{side}_point"], "X")
    ankle = _zxy_from_matrices(np.transpose(chain, (0, 2, 1)) @ wanted)
    return hip_z, hip_x, knee_x, ankle


def perform(sections: list[Section], bpm: float, fps: float, frames: int) -> Motion:
    """Sample the planned dance at `fps` into BVH channel values on `skeleton()`."""
    skel = skeleton()
    beats = np.arange(frames) / fps * bpm / 60.0
    pose = blend_pose(sections, beats)
    for side in "lr":  # style offsets must not bend an elbow backwards
        pose[f"{side}_elbow"] = np.maximum(pose[f"{side}_elbow"], 0.0)
    values = np.zeros((frames, skel.num_channels))

    def put(joint: str, channel: str, v):
        values[:, skel.column(joint, channel)] = v

    heading = heading_at(sections, beats) + pose["yaw"]
    h = np.radians(heading)
    put("Hips", "Xposition", np.cos(h) * pose["px"] + np.sin(h) * pose["pz"])
    put("Hips", "Yposition", pose["py"] + pose["jump"])
    put("Hips", "Zposition", -np.sin(h) * pose["px"] + np.cos(h) * pose["pz"])
    put("Hips", "Yrotation", heading)
    put("Hips", "Xrotation", pose["tilt_x"])
    put("Hips", "Zrotation", pose["tilt_z"])
    for joint, key in (("Spine", "spine"), ("Chest", "chest"), ("Neck", "neck"), ("Head", "head")):
        for axis in "xyz":
            put(joint, f"{axis.upper()}rotation", pose[f"{key}_{axis}"])
    for side, s, sign in (("Left", "l", 1.0), ("Right", "r", -1.0)):
        put(f"{side}Shoulder", "Zrotation", sign * pose[f"{s}_clav"])
        put(f"{side}Arm", "Zrotation", sign * pose[f"{s}_abd"])
        put(f"{side}Arm", "Xrotation", -pose[f"{s}_flex"])
        put(f"{side}Arm", "Yrotation", sign * pose[f"{s}_twist"])
        put(f"{side}ForeArm", "Xrotation", -pose[f"{s}_elbow"])
        put(f"{side}ForeArm", "Zrotation", -sign * pose[f"{s}_fore_in"])
        put(f"{side}ForeArm", "Yrotation", sign * pose[f"{s}_fore_twist"])
        put(f"{side}Hand", "Xrotation", -pose[f"{s}_wrist"])
        put(f"{side}Hand", "Zrotation", -sign * pose[f"{s}_wrist_in"])
        hip_z, hip_x, knee_x, ankle = _leg(pose, s, sign)
        put(f"{side}UpLeg", "Zrotation", hip_z)
        put(f"{side}UpLeg", "Xrotation", hip_x)
        put(f"{side}Leg", "Xrotation", knee_x)
        put(f"{side}Foot", "Zrotation", ankle[:, 0])
        put(f"{side}Foot", "Xrotation", ankle[:, 1])
        put(f"{side}Foot", "Yrotation", ankle[:, 2])
        put(f"{side}ToeBase", "Xrotation", -0.6 * pose[f"{s}_point"] * (pose[f"{s}_fy"] < 0.05))
    return Motion(skel, values, 1.0 / fps)


def dance(seconds: float, seed: int, fps: float, bpm: float | None = None) -> tuple[Motion, float, list[Section]]:
    """A seeded dance of `seconds` at `fps`: (motion, tempo, plan). The same seed gives the same dance."""
    rng = np.random.default_rng(seed)
    tempo = float(bpm) if bpm is not None else float(rng.uniform(100, 128))
    sections = plan_dance(seconds, tempo, rng)
    frames = int(round(seconds * fps))
    return perform(sections, tempo, fps, frames), tempo, sections


def clip_label(yaw: float) -> str:
    return f"yaw{yaw:g}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_rendering_arguments(parser)
    parser.add_argument("--minutes", type=float, default=2.0, help="minutes of dance per camera yaw (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="the dance: the same seed gives the same frames")
    parser.add_argument(
        "--bpm", type=float, default=None, help="tempo in beats per minute (default: drawn from the seed, 100-128)"
    )
    parser.add_argument("--bvh", default=None, help="also write the dance as a BVH file")
    parser.add_argument("--bvh-fps", type=float, default=30.0, help="frame rate of the --bvh file (default 30)")


def run(args: argparse.Namespace) -> int:
    yaws = check_rendering_arguments(args)
    if not (args.minutes > 0 and math.isfinite(args.minutes)):
        raise LivedanceError(f"--minutes {args.minutes}: expected a positive number of minutes")
    if args.bpm is not None and not (20 <= args.bpm <= 400):
        raise LivedanceError(f"--bpm {args.bpm}: expected a tempo between 20 and 400 beats per minute")
    seconds = args.minutes * 60.0
    motion, tempo, sections = dance(seconds, args.seed, args.fps, args.bpm)
    body = body_from_motion(motion, source="synth skeleton")
    per_clip = max(1, int(round(CLIP_SECONDS * args.fps)))
    clips, names = [], []
    with tqdm(total=len(yaws) * motion.num_frames, unit="frame", desc="synth", leave=False, disable=None) as bar:
        for yaw in yaws:
            frames = render(body, yaw, framing=args.framing, fps=args.fps)
            for k, a in enumerate(range(0, len(frames), per_clip)):
                clips.append(frames[a : a + per_clip])
                names.append(f"synth-s{args.seed}-{k:02d}@{clip_label(yaw)}")
            bar.update(len(frames))
    meta = {
        "kind": "synth",
        "seed": args.seed,
        "minutes": args.minutes,
        "bpm": tempo,
        "yaws": yaws,
        "fps": args.fps,
        "framing": args.framing,
        "moves": sorted({s.move for s in sections}),
    }
    if args.bvh:
        if not (args.bvh_fps > 0 and math.isfinite(args.bvh_fps)):
            raise LivedanceError(f"--bvh-fps {args.bvh_fps}: expected a positive frame rate")
        bvh_motion = perform(sections, tempo, args.bvh_fps, int(round(seconds * args.bvh_fps)))
        write_bvh(bvh_motion, args.bvh)
        meta["bvh"] = str(args.bvh)
    path = Dataset.from_clips(clips, names, args.fps, meta).save(args.out)
    print(
        f"wrote {path}: {sum(len(c) for c in clips)} frames in {len(clips)} clips at {args.fps:g} fps "
        f"({tempo:.0f} bpm, {len(yaws)} yaws)"
    )
    return 0
