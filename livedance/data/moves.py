"""The procedural dancer's vocabulary: dance moves as smooth curves of beat time.

A move maps beats since its start (float array) to a partial pose: a dict of named
parameters (arrays). Parameters are anatomical, not BVH channels, so a move reads like
choreography ("left arm raised 150 degrees, elbow bent 30") and mirroring a move is
just swapping l_ and r_ (plus negating the few parameters that point sideways).
`synth` blends moves, solves the legs from foot targets and writes joint rotations.

Units: metres and degrees in the dancer's own frame (x to its left, y up, z forward).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

TAU = 2 * np.pi
STAND = 0.925  # pelvis height standing with the knees soft (straight legs reach 0.93)

# Every parameter and its neutral value (a relaxed stance).
NEUTRAL: dict[str, float] = {
    # pelvis offset (m), height of the pelvis joint (m), airborne lift (m)
    "px": 0.0,
    "pz": 0.0,
    "py": STAND,
    "jump": 0.0,
    # heading change rate (degrees per beat), extra heading (deg), pelvis tilt (deg)
    "turn": 0.0,
    "yaw": 0.0,
    "tilt_x": 0.0,
    "tilt_z": 0.0,
    # spine, chest, neck and head: flex forward (x), bend to the dancer's right (z), twist to its left (y)
    "spine_x": 2.0,
    "spine_z": 0.0,
    "spine_y": 0.0,
    "chest_x": 0.0,
    "chest_z": 0.0,
    "chest_y": 0.0,
    "neck_x": 0.0,
    "neck_z": 0.0,
    "neck_y": 0.0,
    "head_x": 0.0,
    "head_z": 0.0,
    "head_y": 0.0,
}
for _s in "lr":
    NEUTRAL.update(
        {
            f"{_s}_clav": 0.0,  # shrug (deg)
            f"{_s}_abd": 10.0,
            f"{_s}_flex": 5.0,
            f"{_s}_twist": 0.0,  # upper arm: out to the side, forward, twist
            f"{_s}_elbow": 15.0,
            f"{_s}_fore_in": 0.0,
            f"{_s}_fore_twist": 0.0,  # forearm: bend, bend toward the midline
            f"{_s}_wrist": 0.0,
            f"{_s}_wrist_in": 0.0,
            f"{_s}_fx": 0.11,
            f"{_s}_fy": 0.0,
            f"{_s}_fz": 0.0,  # ankle target: outward, up, forward (m)
            f"{_s}_point": 0.0,
            f"{_s}_foot_turn": 8.0,  # toe pointing down, toes turned out (deg)
        }
    )
PARAMS = tuple(NEUTRAL)
# Parameters that change sign in a mirror image (sideways positions, side bends, twists).
MIRROR_NEGATE = {
    "px",
    "turn",
    "yaw",
    "tilt_z",
    "spine_z",
    "spine_y",
    "chest_z",
    "chest_y",
    "neck_z",
    "neck_y",
    "head_z",
    "head_y",
}


def mirror(pose: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same move danced to the other side."""
    out = {}
    for key, value in pose.items():
        if key[:2] in ("l_", "r_"):
            out[("r_" if key[0] == "l" else "l_") + key[2:]] = value
        elif key in MIRROR_NEGATE:
            out[key] = -value
        else:
            out[key] = value
    return out


def wave(b, period, phase=0.0):
    """sin over `period` beats; phase in periods."""
    return np.sin(TAU * (b / period + phase))


def keys(b, period, points):
    """Periodic, eased interpolation through (beat, value) keyframes within one period."""
    t = np.array([p[0] for p in points] + [points[0][0] + period], dtype=np.float64)
    v = np.array([p[1] for p in points] + [points[0][1]], dtype=np.float64)
    x = np.mod(b - t[0], period) + t[0]
    i = np.clip(np.searchsorted(t, x, side="right") - 1, 0, len(t) - 2)
    u = (x - t[i]) / np.maximum(t[i + 1] - t[i], 1e-9)
    e = 0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0, 1))
    return v[i] + (v[i + 1] - v[i]) * e


def bump(b, start, length):
    """0 -> 1 -> 0 (a sin^2 hump) over [start, start + length] beats, 0 elsewhere."""
    u = (b - start) / length
    return np.where((u > 0) & (u < 1), np.sin(np.pi * np.clip(u, 0, 1)) ** 2, 0.0)


def arms(side: str, **values) -> dict:
    return {f"{side}_{k}": v for k, v in values.items()}


# ----------------------------------------------------------------------------- moves
# Each takes (b, a): beats since the move began and an amplitude factor near 1.


def groove(b, a):
    """Bounce on the knees every beat, arms pumping."""
    pump = wave(b, 2)
    return {
        "py": STAND - 0.01 - 0.045 * a * (0.5 + 0.5 * np.cos(TAU * b)),
        "l_fx": 0.13,
        "r_fx": 0.13,
        **arms("l", abd=18, flex=25 + 30 * a * pump, elbow=85 + 10 * pump),
        **arms("r", abd=18, flex=25 - 30 * a * pump, elbow=85 - 10 * pump),
        "chest_y": 12 * a * pump,
        "tilt_z": 4 * a * pump,
        "head_x": 6 * np.cos(TAU * b),
        "spine_x": 6.0,
    }


def sway(b, a):
    """Weight side to side over two beats, arms swinging along."""
    s = wave(b, 2)
    return {
        "px": 0.07 * a * s,
        "py": STAND - 0.02 + 0.012 * np.cos(TAU * b),
        "l_fx": 0.17,
        "r_fx": 0.17,
        "tilt_z": 7 * a * s,
        "chest_z": 7 * a * s,
        "head_z": -5 * s,
        **arms("l", abd=25 + 28 * a * s, flex=15, elbow=35 + 15 * s),
        **arms("r", abd=25 - 28 * a * s, flex=15, elbow=35 - 15 * s),
    }


def arm_wave(b, a):
    """Both arms overhead, waving from the elbows and wrists; slow hip sway."""
    s = wave(b, 4)
    return {
        "px": 0.05 * a * s,
        "tilt_z": 6 * a * s,
        "chest_z": -4 * a * s,
        "py": STAND - 0.005 - 0.02 * (0.5 + 0.5 * np.cos(TAU * b)),
        "l_fx": 0.14,
        "r_fx": 0.14,
        **arms(
            "l",
            abd=145 + 12 * wave(b, 4),
            flex=10,
            elbow=10,
            fore_in=35 * a * wave(b, 2),
            wrist_in=30 * wave(b, 2, 0.15),
        ),
        **arms(
            "r",
            abd=145 - 12 * wave(b, 4),
            flex=10,
            elbow=10,
            fore_in=-35 * a * wave(b, 2),
            wrist_in=-30 * wave(b, 2, 0.15),
        ),
        "head_z": -6 * s,
    }


def hip_roll(b, a):
    """Hands on hips, the pelvis circling once every two beats, the chest held still."""
    c, s = np.cos(TAU * b / 2), np.sin(TAU * b / 2)
    return {
        "px": 0.07 * a * c,
        "pz": 0.05 * a * s,
        "py": STAND - 0.035,
        "tilt_z": 8 * a * c,
        "tilt_x": 7 * a * s,
        "spine_z": 8 * a * c,
        "spine_x": 4 - 7 * a * s,
        "l_fx": 0.16,
        "r_fx": 0.16,
        **arms("l", abd=48, flex=-12, elbow=15, fore_in=100, wrist_in=-20),
        **arms("r", abd=48, flex=-12, elbow=15, fore_in=100, wrist_in=-20),
        "head_z": -5 * c,
    }


def step_touch(b, a):
    """Step to the side, touch the other foot in, and back (four beats)."""
    wide, tap = 0.19 + 0.04 * (a - 1), -0.06  # outward distance of the stepping and the touching foot
    l_fx = keys(b, 4, [(0, wide), (1, wide), (2, tap), (3, wide)])
    r_fx = keys(b, 4, [(0, tap), (1, wide), (3, wide)])
    w = 0.13 * a
    px = keys(b, 4, [(0, w), (1, 0.0), (2, -w), (3, 0.0)])
    lift_r = bump(np.mod(b, 4), 0, 1) + bump(np.mod(b, 4), 3, 1)
    lift_l = bump(np.mod(b, 4), 1, 1) + bump(np.mod(b, 4), 2, 1)
    side = px / max(w, 1e-6)
    return {
        "px": px,
        "py": STAND - 0.015 - 0.03 * (0.5 + 0.5 * np.cos(TAU * b)),
        "l_fx": l_fx,
        "r_fx": r_fx,
        "l_fy": 0.07 * lift_l,
        "r_fy": 0.07 * lift_r,
        "tilt_z": 6 * side,
        "chest_y": 12 * a * side,
        "head_y": 10 * side,
        **arms("l", abd=25 + 25 * a * side, flex=35, elbow=70 + 20 * np.cos(TAU * b)),
        **arms("r", abd=25 - 25 * a * side, flex=35, elbow=70 + 20 * np.cos(TAU * b)),
    }


def kick(b, a):
    """Alternating front kicks, arms out for balance, the opposite arm swinging forward."""
    kl = bump(np.mod(b, 4), 0.1, 1.2)
    kr = bump(np.mod(b, 4), 2.1, 1.2)
    return {
        "px": 0.05 * (kr - kl),
        "py": STAND - 0.01 - 0.03 * (kl + kr),
        "tilt_x": -6 * a * (kl + kr),
        "spine_x": -4 * (kl + kr),
        "l_fz": 0.52 * a * kl,
        "l_fy": 0.34 * a * kl,
        "l_point": 45 * kl,
        "r_fz": 0.52 * a * kr,
        "r_fy": 0.34 * a * kr,
        "r_point": 45 * kr,
        "l_fx": 0.1,
        "r_fx": 0.1,
        **arms("l", abd=65 - 20 * kr, flex=15 + 45 * kr, elbow=20 + 20 * kr),
        **arms("r", abd=65 - 20 * kl, flex=15 + 45 * kl, elbow=20 + 20 * kl),
    }


def spin(b, a):
    """A full turn on the balls of the feet (beats 1-3) and back the other way (5-7)."""
    turn = 180.0 * (1 - np.cos(TAU * (b - 1) / 2)) * ((b > 1) & (b < 3)) - 180.0 * (1 - np.cos(TAU * (b - 5) / 2)) * (
        (b > 5) & (b < 7)
    )
    spinning = bump(b, 0.6, 2.8) + bump(b, 4.6, 2.8)
    open_ = bump(b, -0.2, 1.4) + bump(b, 3.8, 1.4)
    return {
        "turn": turn,
        "py": STAND - 0.005 + 0.025 * spinning,
        "l_fx": 0.11 - 0.04 * spinning,
        "r_fx": 0.11 - 0.04 * spinning,
        "l_fy": 0.03 * spinning,
        "r_fy": 0.03 * spinning,
        "l_point": 25 * spinning,
        "r_point": 25 * spinning,
        "head_y": 0.0,
        **arms("l", abd=20 + 70 * open_, flex=20 + 45 * spinning, elbow=25 + 70 * spinning, twist=-20 * spinning),
        **arms("r", abd=20 + 70 * open_, flex=20 + 45 * spinning, elbow=25 + 70 * spinning, twist=20 * spinning),
    }


def crouch_jump(b, a):
    """Sink into a deep crouch, arms swinging back, then jump with the arms up, and land soft."""
    x = np.mod(b, 4)
    py = keys(
        b,
        4,
        [(0, STAND - 0.01), (1.1, 0.62), (1.6, 0.64), (1.95, STAND), (2.75, STAND), (3.05, 0.72), (3.6, STAND - 0.03)],
    )
    u = (x - 1.95) / 0.8
    air = (u > 0) & (u < 1)
    jump = np.where(air, 4 * 0.2 * a * u * (1 - u), 0.0)
    crouch = np.clip((STAND - py) / 0.3, 0, 1)
    up_arms = bump(x, 1.3, 2.1)
    tuck = np.where(air, np.sin(np.pi * np.clip(u, 0, 1)), 0.0)
    return {
        "py": py,
        "jump": jump,
        "spine_x": 4 + 22 * crouch,
        "chest_x": 10 * crouch,
        "head_x": -12 * crouch,
        "l_fx": 0.15,
        "r_fx": 0.15,
        "l_fy": 0.05 * tuck,
        "r_fy": 0.05 * tuck,
        "l_point": 30 * tuck,
        "r_point": 30 * tuck,
        **arms("l", abd=20 + 130 * up_arms, flex=-35 * crouch * (1 - up_arms) + 20 * up_arms, elbow=20),
        **arms("r", abd=20 + 130 * up_arms, flex=-35 * crouch * (1 - up_arms) + 20 * up_arms, elbow=20),
    }


def point(b, a):
    """Disco point: one arm up to the sky, then down across the body; the other hand on the hip."""
    up, across, hip = (140, 25, 5, 0), (-15, 45, 5, 0), (48, -12, 15, 100)  # abd, flex, elbow, fore_in

    def arm_keys(shift):
        frames = [(0.25, up), (0.75, up), (1.25, across), (1.75, across), (2.4, hip), (3.6, hip)]
        return {
            name: keys(b - shift, 4, [(t, pose[i]) for t, pose in frames])
            for i, name in enumerate(("abd", "flex", "elbow", "fore_in"))
        }

    side = keys(b, 4, [(0.5, 1.0), (1.75, 1.0), (2.5, -1.0), (3.75, -1.0)])  # +1 while the right arm points
    reach = keys(
        b, 2, [(0.25, 1.0), (0.75, 1.0), (1.25, 0.0), (1.75, 0.0)]
    )  # up on the first beat, across on the second
    return {
        "px": -0.05 * a * side * (0.6 + 0.4 * np.cos(TAU * b)),
        "tilt_z": -6 * side,
        "py": STAND - 0.015 - 0.03 * (0.5 + 0.5 * np.cos(TAU * b)),
        "chest_y": -10 * side,
        "head_y": -15 * side * reach,
        "head_x": -10 * reach + 10 * (1 - reach),
        "l_fx": 0.15,
        "r_fx": 0.15,
        **arms("r", **arm_keys(0.0), wrist_in=-10),
        **arms("l", **arm_keys(2.0), wrist_in=-10),
    }


def shimmy(b, a):
    """Knees bent, leaning in, shoulders shaking: the chest twists every beat."""
    s = np.sin(TAU * b)
    return {
        "py": STAND - 0.06 + 0.015 * np.cos(TAU * b),
        "spine_x": 14,
        "chest_x": 6,
        "head_x": -14,
        "chest_y": 16 * a * s,
        "l_clav": 6 * s,
        "r_clav": -6 * s,
        "l_fx": 0.18,
        "r_fx": 0.18,
        "px": 0.03 * wave(b, 4),
        **arms("l", abd=40, flex=30 + 10 * s, elbow=60),
        **arms("r", abd=40, flex=30 - 10 * s, elbow=60),
    }


def strut(b, a):
    """A walking strut in place: alternate knee lifts every beat, arms swinging opposite."""
    s = wave(b, 2)
    ll = np.clip(s, 0, None) ** 2
    rl = np.clip(-s, 0, None) ** 2
    return {
        "py": STAND - 0.01 - 0.02 * np.abs(s),
        "px": -0.03 * s,
        "l_fy": 0.14 * a * ll,
        "l_fz": 0.1 * a * ll,
        "r_fy": 0.14 * a * rl,
        "r_fz": 0.1 * a * rl,
        "l_fx": 0.1,
        "r_fx": 0.1,
        "tilt_z": -4 * s,
        "chest_y": -10 * a * s,
        **arms("l", abd=15, flex=10 - 35 * a * s, elbow=40 + 20 * rl),
        **arms("r", abd=15, flex=10 + 35 * a * s, elbow=40 + 20 * ll),
        "head_x": 4 * np.cos(TAU * b),
    }


MOVES: dict[str, Callable[[np.ndarray, float], dict]] = {
    "groove": groove,
    "sway": sway,
    "arm_wave": arm_wave,
    "hip_roll": hip_roll,
    "step_touch": step_touch,
    "kick": kick,
    "spin": spin,
    "crouch_jump": crouch_jump,
    "point": point,
    "shimmy": shimmy,
    "strut": strut,
}
