"""Solo arms: give a partner dancer's body the arm motion of solo dancers.

The CMU salsa takes are partner dances with the partner not drawn: rendered as they were
danced, the arms reach for a hand that is not there or hang by the sides, and a model
trained on them dreams a dancer who never lifts an arm. `transplant_arms` keeps the
partner dancer's legs, hips, torso and head and replaces each arm's pose (upper arm,
forearm, hand) by a solo dancer's, measured in the chest's own frame so it turns and
bends with the body that receives it, at that body's bone lengths.

Donor motion is spliced into one endless stream: clips follow each other and wrap
around with a short crossfade of the arm directions, so no arm ever snaps.
"""

from __future__ import annotations

import numpy as np

from livedance.data.body import SIDES, Body, P, unit
from livedance.errors import LivedanceError

SEGMENTS = (("shoulder", "elbow"), ("elbow", "wrist"), ("wrist", "hand"))
FADE_SECONDS = 0.5


def chest_frames(points: np.ndarray) -> np.ndarray:
    """(T, 3, 3): rows lateral (right shoulder to left), up (pelvis to neck, made orthogonal), forward."""
    lateral = unit(points[:, P["l_shoulder"]] - points[:, P["r_shoulder"]])
    up = points[:, P["neck"]] - points[:, P["pelvis"]]
    up = unit(up - np.sum(up * lateral, axis=-1, keepdims=True) * lateral)
    forward = np.cross(lateral, up)
    return np.stack([lateral, up, forward], axis=1)


def arm_directions(body: Body) -> np.ndarray:
    """(T, 2 sides, 3 segments, 3): each arm segment's direction in the chest's frame."""
    frames = chest_frames(body.points)
    out = np.empty((len(body), len(SIDES), len(SEGMENTS), 3))
    for i, s in enumerate(SIDES):
        for k, (a, b) in enumerate(SEGMENTS):
            world = unit(body.points[:, P[f"{s}_{b}"]] - body.points[:, P[f"{s}_{a}"]])
            out[:, i, k] = np.einsum("tij,tj->ti", frames, world)
    return out


def splice(clips: list[np.ndarray], fade: int) -> np.ndarray:
    """Clips of arm directions joined into one loop, each seam (the wrap included) crossfaded over `fade` frames."""
    if not clips:
        raise LivedanceError("arms: no donor motion; expected at least one BVH file to take the arms from")
    parts = [c for c in clips if len(c) > 2 * fade]
    if not parts:
        raise LivedanceError(f"arms: every donor clip is shorter than {2 * fade + 1} frames; expected longer motion")
    weight = ((np.arange(fade) + 0.5) / fade)[:, None, None, None]
    out = [parts[0][fade:]]
    for clip in parts[1:] + [parts[0]]:
        tail, head = out[-1][-fade:], clip[:fade]
        out[-1] = out[-1][:-fade]
        out.append(unit((1 - weight) * tail + weight * head))
        out.append(clip[fade:])
    out[-1] = out[-1][:0]  # the first clip's body is already at the start: the loop closes on its head
    return np.concatenate(out)


def transplant_arms(body: Body, stream: np.ndarray, start: int = 0) -> Body:
    """`body` with its arms posed from `stream` (see `splice`), read from frame `start` and looped."""
    if len(body) == 0:
        return body
    take = (start + np.arange(len(body))) % len(stream)
    directions = stream[take]
    frames = chest_frames(body.points)
    points = body.points.copy()
    for i, s in enumerate(SIDES):
        for k, (a, b) in enumerate(SEGMENTS):
            ja, jb = P[f"{s}_{a}"], P[f"{s}_{b}"]
            length = float(np.median(np.linalg.norm(body.points[:, jb] - body.points[:, ja], axis=-1)))
            world = np.einsum("tji,tj->ti", frames, directions[:, i, k])
            points[:, jb] = points[:, ja] + length * world
    return Body(points, body.stature)
