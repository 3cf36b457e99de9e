"""The body renderer: any BVH skeleton -> canonical body points -> a silhouette video.

Three steps, each small:
1. `map_body`: a table from joint names (DAZ/CMU BVH, iClone CC_Base, Mixamo, CMU ASF,
   Biped, Unreal/Rigify suffixes, our synth) to canonical body points.
2. `body_from_motion`: forward kinematics of just those joints, in metres, plus the
   body's stature from its own bone lengths, so cm and m files look the same.
3. `render`: an orthographic camera at a yaw, a human volume (head ellipsoid, neck,
   a two-piece torso hull built from elliptic cross-sections, tapered capsules for
   limbs, hands and feet) drawn dark on white at 4x and area-averaged down, which
   gives clean anti-aliased edges. The camera follows the smoothed pelvis sideways so
   the dancer dances in place; its height is fixed per clip from the standing height
   and the floor, so crouches and jumps read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

from livedance.config import FRAME_HEIGHT, FRAME_WIDTH
from livedance.data.bvh import Motion, Skeleton
from livedance.data.kinematics import attached_points, unit_scale
from livedance.errors import LivedanceError

SIDES = ("l", "r")
PARTS = (
    "pelvis",
    "chest",
    "neck",
    "head",
    "l_shoulder",
    "l_elbow",
    "l_wrist",
    "l_hand",
    "r_shoulder",
    "r_elbow",
    "r_wrist",
    "r_hand",
    "l_hip",
    "l_knee",
    "l_ankle",
    "l_toe",
    "r_hip",
    "r_knee",
    "r_ankle",
    "r_toe",
)
P = {name: i for i, name in enumerate(PARTS)}

# Canonical point -> normalised joint names (see `joint_key`), best first; "{s}" is the side.
NAME_TABLE: dict[str, tuple[str, ...]] = {
    "pelvis": ("hips", "hip", "pelvis", "root"),
    "chest": (
        "chest",
        "spine2",
        "spine02",
        "spine03",
        "upperchest",
        "thorax",
        "spine1",
        "spine01",
        "upperback",
        "spine3",
    ),
    "neck": ("neck", "neck1", "neck01", "necktwist01", "lowerneck", "neckbase"),
    "head": ("head",),
    "shoulder": ("{s}shldr", "{s}upperarm", "{s}arm", "{s}humerus", "{s}uparm", "{s}shoulder"),
    "elbow": ("{s}forearm", "{s}lowerarm", "{s}radius", "{s}elbow"),
    "wrist": ("{s}wrist", "{s}hand"),
    "hand": (
        "{s}mid1",
        "{s}middle1",
        "{s}handmiddle1",
        "{s}middle01",
        "{s}mid01",
        "{s}fingers",
        "{s}handindex1",
        "{s}index1",
        "{s}hand",
    ),
    "hip": ("{s}thigh", "{s}upleg", "{s}femur", "{s}upperleg", "{s}hip"),
    "knee": ("{s}shin", "{s}calf", "{s}leg", "{s}tibia", "{s}lowerleg", "{s}knee"),
    "ankle": ("{s}foot", "{s}ankle"),
    "toe": ("{s}toebase", "{s}toe", "{s}toes", "{s}ball", "{s}toe0", "{s}toe01"),
}
# Points that must come from a joint; the others can be derived from these.
REQUIRED = ("pelvis", "head") + tuple(
    f"{s}_{p}" for s in SIDES for p in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
)
_PART_WORDS = {"l": "left", "r": "right"}

_PREFIXES = ("cc_base_", "mixamorig", "bip001", "bip01", "def-", "def_")


def joint_key(name: str) -> str:
    """Normalise a joint name: no namespace or rig prefix, side as a leading l/r, lower case.

    "mixamorig:LeftUpLeg" -> "lupleg", "CC_Base_L_Thigh" -> "lthigh", "lThigh" -> "lthigh",
    "thigh_l" -> "lthigh", "Bip01 L Calf" -> "lcalf".
    """
    n = re.split(r"[:|]", name)[-1].strip()
    for prefix in _PREFIXES:
        if n.lower().startswith(prefix):
            n = n[len(prefix) :]
            break
    side = ""
    camel = re.match(r"^([lr])(?=[A-Z])", n)
    tokens = [t for t in re.split(r"[\s_.\-]+", n) if t]
    if camel:
        side, tokens[0] = camel.group(1), tokens[0][1:]
    elif len(tokens) > 1 and tokens[0].lower() in ("l", "r", "left", "right"):
        side, tokens = tokens[0][0].lower(), tokens[1:]
    elif len(tokens) > 1 and tokens[-1].lower() in ("l", "r", "left", "right"):
        side, tokens = tokens[-1][0].lower(), tokens[:-1]
    base = "".join(tokens).lower()
    if not side:
        for word in ("left", "right"):
            if base.startswith(word) and len(base) > len(word):
                side, base = word[0], base[len(word) :]
    return side + base


def _part_label(part: str) -> str:
    side, _, rest = part.partition("_")
    return f"{_PART_WORDS[side]} {rest}" if rest else part


@dataclass
class BodyMap:
    """Where each canonical point comes from: (joint, offset in its frame or None)."""

    sources: dict[str, tuple[int, np.ndarray | None]]
    joint_names: dict[str, str]  # canonical point -> joint (or "End Site of ...") it uses


def map_body(skeleton: Skeleton, source: str = "skeleton") -> BodyMap:
    """Place canonical body points on a skeleton by joint name; LivedanceError if it can't."""
    keys: dict[str, int] = {}
    for j, name in enumerate(skeleton.names):
        keys.setdefault(joint_key(name), j)
    used: set[int] = set()
    sources: dict[str, tuple[int, np.ndarray | None]] = {}
    labels: dict[str, str] = {}
    for part in PARTS:
        side, _, base = part.partition("_") if part[:2] in ("l_", "r_") else ("", "", part)
        for pattern in NAME_TABLE[base]:
            joint = keys.get(pattern.format(s=side))
            if joint is not None and joint not in used:
                sources[part] = (joint, None)
                labels[part] = skeleton.names[joint]
                used.add(joint)
                break
    missing = [p for p in REQUIRED if p not in sources]
    if missing:
        parts = ", ".join(_part_label(p) for p in missing)
        raise LivedanceError(
            f"{source}: cannot place {parts}: no joint named like them "
            f"(expected names such as hip/Hips, lThigh/LeftUpLeg, lShin/LeftLeg, lFoot/LeftFoot; "
            f"joints seen: {', '.join(skeleton.names)})"
        )
    ends: dict[int, np.ndarray] = {}
    for j, offset in skeleton.end_sites:
        ends.setdefault(j, offset)
    for side in SIDES:  # an end site below the wrist or ankle is a good hand or toe point
        for tip, base in (("hand", "wrist"), ("toe", "ankle")):
            part, j = f"{side}_{tip}", sources[f"{side}_{base}"][0]
            if part not in sources and j in ends and np.linalg.norm(ends[j]) > 0:
                sources[part] = (j, ends[j])
                labels[part] = f"End Site of {skeleton.names[j]}"
    return BodyMap(sources, labels)


@dataclass
class Body:
    """Canonical points (T, len(PARTS), 3) in metres, y up, and the body's standing height."""

    points: np.ndarray
    stature: float

    def __len__(self) -> int:
        return len(self.points)


def unit(v: np.ndarray, fallback: np.ndarray | None = None) -> np.ndarray:
    """Vectors along the last axis scaled to length 1 (`fallback` where one has no length)."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    out = v / np.maximum(n, 1e-9)
    if fallback is not None:
        out = np.where(n > 1e-6, out, fallback)
    return out


def _median_length(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.median(np.linalg.norm(a - b, axis=-1))) if len(a) else 0.0


def stature_of(points: np.ndarray) -> float:
    """Standing height from bone lengths: ankle-knee-hip-neck-head chain, anthropometric ratios.

    The head joint sits at about 0.90 of stature and the ankle at 0.045, so the chain
    between them spans 0.855 of it (Drillis & Contini proportions, rounded).
    """
    pts = points[:: max(1, len(points) // 500)]
    leg = np.mean(
        [
            _median_length(pts[:, P[f"{s}_hip"]], pts[:, P[f"{s}_knee"]])
            + _median_length(pts[:, P[f"{s}_knee"]], pts[:, P[f"{s}_ankle"]])
            for s in SIDES
        ]
    )
    mid_hips = 0.5 * (pts[:, P["l_hip"]] + pts[:, P["r_hip"]])
    trunk = _median_length(mid_hips, pts[:, P["neck"]]) + _median_length(pts[:, P["neck"]], pts[:, P["head"]])
    return float((leg + trunk) / 0.855)


def body_from_motion(motion: Motion, body_map: BodyMap | None = None, source: str = "skeleton") -> Body:
    """Forward kinematics of the canonical points only; missing optional points are derived."""
    if motion.num_frames == 0:
        raise LivedanceError(f"{source}: has no frames; expected at least one frame of motion")
    body_map = body_map or map_body(motion.skeleton, source)
    names = [p for p in PARTS if p in body_map.sources]
    scale = unit_scale(motion.skeleton)
    found = attached_points(motion, [body_map.sources[p] for p in names], scale)
    pts = np.full((motion.num_frames, len(PARTS), 3), np.nan)
    for k, p in enumerate(names):
        pts[:, P[p]] = found[:, k]
    up = np.array([0.0, 1.0, 0.0])
    if "neck" not in body_map.sources:
        pts[:, P["neck"]] = 0.5 * (pts[:, P["l_shoulder"]] + pts[:, P["r_shoulder"]])
    if "chest" not in body_map.sources:
        pts[:, P["chest"]] = 0.45 * pts[:, P["pelvis"]] + 0.55 * pts[:, P["neck"]]
    for s in SIDES:
        if f"{s}_hand" not in body_map.sources:  # carry on along the forearm
            w, e = pts[:, P[f"{s}_wrist"]], pts[:, P[f"{s}_elbow"]]
            pts[:, P[f"{s}_hand"]] = w + 0.5 * (w - e)
        if f"{s}_toe" not in body_map.sources:  # forward from the ankle, facing from the hips
            lateral = pts[:, P["l_hip"]] - pts[:, P["r_hip"]]
            forward = unit(np.cross(lateral, up))
            pts[:, P[f"{s}_toe"]] = pts[:, P[f"{s}_ankle"]] + 0.1 * forward - 0.04 * up
    stature = stature_of(pts)
    if not np.isfinite(stature) or stature <= 0:
        raise LivedanceError(f"{source}: the skeleton's legs and trunk have no length; expected a standing body")
    return Body(pts, stature)


# ----------------------------------------------------------------------------- drawing

FRAMINGS = ("close", "full")
# Radii as fractions of stature, (start, end) of each tapered capsule.
LIMBS = (
    ("shoulder", "elbow", 0.033, 0.025),
    ("elbow", "wrist", 0.024, 0.017),
    ("hip", "knee", 0.058, 0.035),
    ("knee", "ankle", 0.034, 0.021),
)
HEAD_HALF_HEIGHT, HEAD_HALF_WIDTH = 0.066, 0.05
NECK_RADIUS = 0.03
HAND_LENGTH, HAND_RADII = 0.085, (0.017, 0.013)
FOOT_LENGTH, FOOT_RADII, HEEL = 0.12, (0.024, 0.015), 0.035
# The torso is two convex hulls of elliptic cross-sections (sizes in fractions of stature).
_RING_ANGLES = np.linspace(0, 2 * np.pi, 12, endpoint=False)
_ARC = 7  # points per half circle of a capsule end


def _ellipse_ring(center, lateral, forward, half_w, half_d):
    """(T, 12, 3) points of an elliptic cross-section."""
    c, s = np.cos(_RING_ANGLES), np.sin(_RING_ANGLES)
    return (
        center[:, None]
        + lateral[:, None] * (half_w[:, None, None] * c[None, :, None])
        + forward[:, None] * (half_d[:, None, None] * s[None, :, None])
    )


def _along_spine(pelvis, chest, neck, frac):
    """Point at arc-length fraction `frac` of the polyline pelvis -> chest -> neck (rigs put
    their chest joints at different heights; arc length keeps the rings where bodies have them)."""
    a = np.linalg.norm(chest - pelvis, axis=-1, keepdims=True)
    b = np.linalg.norm(neck - chest, axis=-1, keepdims=True)
    d = frac * (a + b)
    t1 = np.clip(d / np.maximum(a, 1e-9), 0, 1)
    t2 = np.clip((d - a) / np.maximum(b, 1e-9), 0, 1)
    return np.where(d <= a, pelvis + (chest - pelvis) * t1, chest + (neck - chest) * t2)


def _torso_rings(p: np.ndarray, H: float) -> tuple[np.ndarray, np.ndarray]:
    """3D point clouds (T, n, 3) of the upper and lower torso; each is drawn as a convex hull."""
    up0 = np.array([0.0, 1.0, 0.0])
    chest, neck = p[:, P["chest"]], p[:, P["neck"]]
    mid_sh = 0.5 * (p[:, P["l_shoulder"]] + p[:, P["r_shoulder"]])
    mid_hip = 0.5 * (p[:, P["l_hip"]] + p[:, P["r_hip"]])
    up = unit(neck - mid_hip, up0)

    def frame(lat_vec):
        lat = lat_vec - up * np.sum(lat_vec * up, -1, keepdims=True)
        lat = unit(lat, np.array([1.0, 0.0, 0.0]))
        return lat, np.cross(lat, up)

    lat_sh, fwd_sh = frame(p[:, P["l_shoulder"]] - p[:, P["r_shoulder"]])
    lat_hp, fwd_hp = frame(p[:, P["l_hip"]] - p[:, P["r_hip"]])
    lat_mid, fwd_mid = frame(lat_sh + lat_hp)
    sh_half = 0.5 * np.linalg.norm(p[:, P["l_shoulder"]] - p[:, P["r_shoulder"]], axis=-1)
    hip_half = 0.5 * np.linalg.norm(p[:, P["l_hip"]] - p[:, P["r_hip"]], axis=-1)
    ones = np.ones(len(p))
    neck_base = _ellipse_ring(neck + up * 0.01 * H, lat_sh, fwd_sh, 0.04 * H * ones, 0.04 * H * ones)
    shoulders = _ellipse_ring(mid_sh - up * 0.01 * H, lat_sh, fwd_sh, np.maximum(sh_half, 0.07 * H), 0.056 * H * ones)
    armpits = _ellipse_ring(
        _along_spine(mid_hip, chest, neck, 0.72),
        lat_sh,
        fwd_sh,
        np.maximum(sh_half * 0.95, 0.085 * H),
        0.068 * H * ones,
    )
    waist = _ellipse_ring(_along_spine(mid_hip, chest, neck, 0.38), lat_mid, fwd_mid, 0.074 * H * ones, 0.06 * H * ones)
    hips = _ellipse_ring(
        mid_hip + up * 0.02 * H - fwd_hp * 0.008 * H, lat_hp, fwd_hp, hip_half + 0.045 * H, 0.07 * H * ones
    )
    seat = _ellipse_ring(
        mid_hip - up * 0.04 * H - fwd_hp * 0.015 * H, lat_hp, fwd_hp, hip_half + 0.035 * H, 0.066 * H * ones
    )
    crotch = _ellipse_ring(
        mid_hip - up * 0.075 * H - fwd_hp * 0.018 * H, lat_hp, fwd_hp, hip_half + 0.01 * H, 0.05 * H * ones
    )
    return np.concatenate([neck_base, shoulders, armpits, waist], 1), np.concatenate([waist, hips, seat, crotch], 1)


def _capsules_2d(a: np.ndarray, b: np.ndarray, ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """Outlines (..., 2*_ARC, 2) of 2D tapered capsules: the hull of circle(a, ra) and circle(b, rb)."""
    d = b - a
    length = np.linalg.norm(d, axis=-1)
    u = np.where(length[..., None] > 1e-9, d / np.maximum(length, 1e-9)[..., None], np.array([1.0, 0.0]))
    n = np.stack([-u[..., 1], u[..., 0]], -1)
    sin_a = np.clip((ra - rb) / np.maximum(length, 1e-9), -1.0, 1.0)
    alpha = np.arcsin(sin_a)[..., None]
    t = np.linspace(0.0, 1.0, _ARC)
    # Circle a: its far side, from +(pi/2 - alpha) through pi to -(pi/2 - alpha) (angles from u).
    ang_a = (np.pi / 2 - alpha) + t * (np.pi + 2 * alpha)
    ang_b = -(np.pi / 2 - alpha) + t * (np.pi - 2 * alpha)
    pa = a[..., None, :] + ra[..., None, None] * (
        np.cos(ang_a)[..., None] * u[..., None, :] + np.sin(ang_a)[..., None] * n[..., None, :]
    )
    pb = b[..., None, :] + rb[..., None, None] * (
        np.cos(ang_b)[..., None] * u[..., None, :] + np.sin(ang_b)[..., None] * n[..., None, :]
    )
    return np.concatenate([pa, pb], -2)


def _gaussian_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing of a 1-D series with edge padding (no scipy)."""
    if sigma <= 0 or len(x) < 2:
        return x.copy()
    r = int(3 * sigma) + 1
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    padded = np.pad(x, (r, r), mode="edge")
    return np.convolve(padded, k, mode="valid")


def facing_angle(body: Body, seconds: float = 1.0, fps: float = 12.0) -> float:
    """Heading (radians, atan2(x, z)) the dancer faces over the first `seconds`, from hips and shoulders."""
    n = max(1, int(round(seconds * fps)))
    p = body.points[:n]
    lateral = (p[:, P["l_hip"]] - p[:, P["r_hip"]]) + (p[:, P["l_shoulder"]] - p[:, P["r_shoulder"]])
    forward = np.cross(lateral, np.array([0.0, 1.0, 0.0])).sum(0)
    return float(np.arctan2(forward[0], forward[2]))


def render(
    body: Body,
    yaw: float = 0.0,
    framing: str = "close",
    fps: float = 12.0,
    follow_seconds: float = 0.5,
    supersample: int = 4,
    height: int = FRAME_HEIGHT,
    width: int = FRAME_WIDTH,
    batch: int = 32,
) -> np.ndarray:
    """Silhouette frames (T, height, width) uint8, dark figure (0) on white (255).

    `yaw` (degrees) turns the camera around the dancer from the front it faces in the
    first second (0 = front, 90 = its left side). The camera follows the pelvis sideways,
    smoothed over `follow_seconds`, and keeps one height for the whole clip.
    """
    if framing not in FRAMINGS:
        raise LivedanceError(f"framing {framing!r} is not known; expected one of {', '.join(FRAMINGS)}")
    T = len(body)
    out = np.empty((T, height, width), np.uint8)
    if T == 0:
        return out
    p = body.points
    H = body.stature
    phi = facing_angle(body, fps=fps) + np.radians(yaw)
    right = np.array([np.cos(phi), 0.0, -np.sin(phi)])

    # Fixed vertical placement per clip: the floor and the standing height.
    lowest = np.minimum(p[:, P["l_ankle"], 1], p[:, P["r_ankle"], 1]) - 0.045 * H
    floor = float(np.percentile(lowest, 5))
    if framing == "close":
        top, bottom = floor + 1.07 * H, floor + 0.28 * H
    else:
        top, bottom = floor + 1.07 * H, floor - 0.04 * H
    k = height / (top - bottom)  # pixels per metre
    u_pelvis = p[:, P["pelvis"]] @ right
    u_center = _gaussian_smooth(u_pelvis, follow_seconds * fps)

    def project(x):  # (T, ..., 3) -> canvas pixels (T, ..., 2), float
        u = np.tensordot(x, right, axes=([-1], [0]))
        shape = (T,) + (1,) * (u.ndim - 1)
        col = width / 2 + (u - u_center.reshape(shape)) * k
        row = (top - x[..., 1]) * k
        return np.stack([col, row], -1) * supersample - 0.5  # cv2 puts pixel centres on integers

    r_px = H * k * supersample  # pixels per unit of stature on the canvas

    # Capsules: limbs, neck, hands, feet -> (T, n, 2*_ARC, 2)
    starts, ends, ra, rb = [], [], [], []
    for s in SIDES:
        for a, b, r0, r1 in LIMBS:
            starts.append(p[:, P[f"{s}_{a}"]])
            ends.append(p[:, P[f"{s}_{b}"]])
            ra.append(r0)
            rb.append(r1)
        wrist = p[:, P[f"{s}_wrist"]]
        hand_dir = unit(p[:, P[f"{s}_hand"]] - wrist, unit(wrist - p[:, P[f"{s}_elbow"]]))
        starts.append(wrist)
        ends.append(wrist + hand_dir * HAND_LENGTH * H)
        ra.append(HAND_RADII[0])
        rb.append(HAND_RADII[1])
        ankle = p[:, P[f"{s}_ankle"]]
        foot_dir = unit(p[:, P[f"{s}_toe"]] - ankle)
        starts.append(ankle - foot_dir * HEEL * H)
        ends.append(ankle + foot_dir * FOOT_LENGTH * H)
        ra.append(FOOT_RADII[0])
        rb.append(FOOT_RADII[1])
    head, neck = p[:, P["head"]], p[:, P["neck"]]
    starts.append(neck)
    ends.append(head)
    ra.append(NECK_RADIUS)
    rb.append(NECK_RADIUS * 0.95)
    a2, b2 = project(np.stack(starts, 1)), project(np.stack(ends, 1))
    caps = _capsules_2d(
        a2, b2, np.broadcast_to(np.array(ra) * r_px, a2.shape[:2]), np.broadcast_to(np.array(rb) * r_px, a2.shape[:2])
    )

    # Head: a spheroid whose long axis follows neck -> head.
    upper_torso, lower_torso = _torso_rings(p, H)
    torso_up = unit(neck - 0.5 * (p[:, P["l_hip"]] + p[:, P["r_hip"]]), np.array([0.0, 1.0, 0.0]))
    head_up = unit(unit(head - neck, torso_up) + torso_up)
    center = head + head_up * 0.036 * H
    c2 = project(center)
    up2 = np.stack([head_up @ right, -head_up[:, 1]], -1)  # image direction of head_up (row grows down)
    s = np.linalg.norm(up2, axis=-1)
    major_dir = np.where(s[:, None] > 1e-6, up2 / np.maximum(s, 1e-6)[:, None], np.array([0.0, -1.0]))
    semi_major = np.sqrt((HEAD_HALF_HEIGHT * s) ** 2 + (HEAD_HALF_WIDTH**2) * (1 - s**2)) * r_px
    semi_minor = HEAD_HALF_WIDTH * r_px
    ang = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    minor_dir = np.stack([-major_dir[:, 1], major_dir[:, 0]], -1)
    head_poly = (
        c2[:, None]
        + np.cos(ang)[None, :, None] * semi_major[:, None, None] * major_dir[:, None]
        + np.sin(ang)[None, :, None] * semi_minor * minor_dir[:, None]
    )

    shift = 4
    fix = float(1 << shift)
    caps_i = np.round(caps * fix).astype(np.int32)
    head_i = np.round(head_poly * fix).astype(np.int32)
    upper_i = np.round(project(upper_torso) * fix).astype(np.int32)
    lower_i = np.round(project(lower_torso) * fix).astype(np.int32)

    hs, ws = height * supersample, width * supersample
    for first in range(0, T, batch):
        stop = min(first + batch, T)
        canvas = np.full(((stop - first) * hs, ws), 255, np.uint8)
        for t in range(first, stop):
            tile = canvas[(t - first) * hs : (t - first + 1) * hs]
            for hull_src in (upper_i[t], lower_i[t]):
                hull = cv2.convexHull(hull_src)
                cv2.fillConvexPoly(tile, hull, 0, cv2.LINE_8, shift)
            for poly in caps_i[t]:
                cv2.fillConvexPoly(tile, poly, 0, cv2.LINE_8, shift)
            cv2.fillConvexPoly(tile, head_i[t], 0, cv2.LINE_8, shift)
        small = cv2.resize(canvas, (width, (stop - first) * height), interpolation=cv2.INTER_AREA)
        out[first:stop] = small.reshape(stop - first, height, width)
    return out
