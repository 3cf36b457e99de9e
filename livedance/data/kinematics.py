"""Forward kinematics for BVH motion, vectorised over frames, and resampling by time.

The loop runs over joints (tens), never over frames (up to 100k+): each joint's local
rotation for all frames is built from its own channels in its own order, then chained
onto its parent's world transform. Only the joints the caller needs (and their
ancestors) are solved, so a 100-joint rig with faces and fingers costs little more
than a 20-joint one.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from livedance.data.bvh import Motion, Skeleton
from livedance.errors import LivedanceError

_AXES = {"X": 0, "Y": 1, "Z": 2}


def axis_rotations(angles_deg: np.ndarray, axis: str) -> np.ndarray:
    """(N,) angles in degrees about X, Y or Z -> (N, 3, 3) rotation matrices (right-handed)."""
    a = np.radians(np.asarray(angles_deg, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    m = np.zeros(a.shape + (3, 3))
    i = _AXES[axis]
    j, k = (i + 1) % 3, (i + 2) % 3
    m[..., i, i] = 1.0
    m[..., j, j] = c
    m[..., k, k] = c
    m[..., j, k] = -s
    m[..., k, j] = s
    return m


def euler_rotations(angles_deg: np.ndarray, order: str) -> np.ndarray:
    """(N, k) angles in channel order, e.g. order "ZXY" -> (N, 3, 3) = Rz @ Rx @ Ry.

    This is the BVH convention: the first listed channel is the outermost rotation.
    """
    angles = np.asarray(angles_deg, dtype=np.float64)
    out = np.broadcast_to(np.eye(3), angles.shape[:1] + (3, 3)).copy()
    for n, axis in enumerate(order):
        out = out @ axis_rotations(angles[:, n], axis)
    return out


def _local_transforms(motion: Motion, joint: int, frames: slice) -> tuple[np.ndarray | None, np.ndarray]:
    """Local rotation (n, 3, 3) or None (no rotation channels) and translation (n, 3) of one joint."""
    skel = motion.skeleton
    start = int(skel.channel_starts[joint])
    values = motion.values[frames]
    n = len(values)
    translation = np.broadcast_to(skel.offsets[joint], (n, 3)).copy()
    rotation = None
    for k, channel in enumerate(skel.channels[joint]):
        axis = channel[0]
        column = values[:, start + k]
        if channel.endswith("position"):
            translation[:, _AXES[axis]] += column
        else:
            r = axis_rotations(column, axis)
            rotation = r if rotation is None else rotation @ r
    return rotation, translation


def _needed(skel: Skeleton, joints: Sequence[int]) -> list[int]:
    need = set()
    for j in joints:
        j = int(j)
        if not 0 <= j < skel.num_joints:
            raise LivedanceError(f"joint index {j} is out of range for a {skel.num_joints}-joint skeleton")
        while j >= 0 and j not in need:
            need.add(j)
            j = int(skel.parents[j])
    return sorted(need)  # parents come before children in a Skeleton


def attached_points(
    motion: Motion, points: Sequence[tuple[int, np.ndarray | None]], scale: float = 1.0, chunk: int = 20000
) -> np.ndarray:
    """World positions (T, P, 3) of points rigidly attached to joints.

    Each point is (joint, offset in that joint's frame) or (joint, None) for the joint
    itself; end sites are (joint, end offset). Positions are multiplied by `scale`.
    """
    skel = motion.skeleton
    order = _needed(skel, [j for j, _ in points])
    out = np.empty((motion.num_frames, len(points), 3))
    for a in range(0, motion.num_frames, chunk):
        frames = slice(a, min(a + chunk, motion.num_frames))
        rot: dict[int, np.ndarray | None] = {}
        pos: dict[int, np.ndarray] = {}
        for j in order:
            local_rot, local_pos = _local_transforms(motion, j, frames)
            p = int(skel.parents[j])
            if p < 0:
                pos[j], rot[j] = local_pos, local_rot
                continue
            parent_rot = rot[p]
            if parent_rot is None:
                pos[j] = pos[p] + local_pos
                rot[j] = local_rot
            else:
                pos[j] = pos[p] + np.einsum("nij,nj->ni", parent_rot, local_pos)
                rot[j] = parent_rot if local_rot is None else parent_rot @ local_rot
        for k, (j, offset) in enumerate(points):
            if offset is None or not np.any(offset):
                out[frames, k] = pos[j]
            elif (turn := rot[j]) is None:
                out[frames, k] = pos[j] + offset
            else:
                out[frames, k] = pos[j] + turn @ np.asarray(offset, dtype=np.float64)
    return out * scale


def forward_kinematics(motion: Motion, joints: Sequence[int] | None = None, scale: float = 1.0) -> np.ndarray:
    """World joint positions (T, len(joints), 3), file units times `scale`; all joints by default."""
    if joints is None:
        joints = range(motion.skeleton.num_joints)
    return attached_points(motion, [(int(j), None) for j in joints], scale)


def end_site_positions(motion: Motion, scale: float = 1.0) -> np.ndarray:
    """World positions (T, E, 3) of the skeleton's end sites, in `skeleton.end_sites` order."""
    return attached_points(motion, motion.skeleton.end_sites, scale)


def unit_scale(skeleton: Skeleton) -> float:
    """Factor from file units to metres, guessed as a power of ten from bone lengths.

    A person's longest root-to-tip chain (root to fingertip or toe) is about a metre;
    files in centimetres make it about 100. Shapes are drawn relative to the skeleton's
    own size anyway, so the guess only labels units; it never distorts a body.
    """
    n = skeleton.num_joints
    reach = np.zeros(n)
    for j in range(n):
        p = skeleton.parents[j]
        reach[j] = (reach[p] if p >= 0 else 0.0) + (np.linalg.norm(skeleton.offsets[j]) if p >= 0 else 0.0)
    tips = [reach[j] + np.linalg.norm(o) for j, o in skeleton.end_sites] + list(reach)
    longest = max(tips) if tips else 0.0
    if longest <= 0:
        return 1.0
    return float(10.0 ** -np.round(np.log10(longest / 1.1)))


def resample_times(num_frames: int, source_fps: float, target_fps: float) -> np.ndarray:
    """Source-frame positions (fractional) of every target frame inside the take."""
    if source_fps <= 0 or target_fps <= 0:
        raise LivedanceError(f"frame rates must be positive (got source {source_fps}, target {target_fps})")
    if num_frames < 1:
        return np.zeros(0)
    count = int(np.floor((num_frames - 1) * target_fps / source_fps + 1e-9)) + 1
    return np.arange(count) * (source_fps / target_fps)


def resample(values: np.ndarray, source_fps: float, target_fps: float) -> np.ndarray:
    """Linearly interpolate per-frame values (T, ...) from one frame rate to another by time."""
    values = np.asarray(values, dtype=np.float64)
    where = resample_times(len(values), source_fps, target_fps)
    if len(where) == 0:
        return values[:0].copy()
    lo = np.minimum(np.floor(where).astype(np.int64), len(values) - 1)
    hi = np.minimum(lo + 1, len(values) - 1)
    w = (where - lo).reshape((-1,) + (1,) * (values.ndim - 1))
    return values[lo] * (1.0 - w) + values[hi] * w
