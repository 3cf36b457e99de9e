import numpy as np
import pytest

from livedance.data.arms import SEGMENTS, arm_directions, splice, transplant_arms
from livedance.data.body import PARTS, SIDES, Body, P, body_from_motion
from livedance.data.synth import dance
from livedance.errors import LivedanceError

ARM_POINTS = [P[f"{s}_{b}"] for s in SIDES for _, b in SEGMENTS]
KEPT_POINTS = [i for i in range(len(PARTS)) if i not in ARM_POINTS]


@pytest.fixture(scope="module")
def bodies():
    """Two different procedural dances: a recipient and a donor."""
    return tuple(body_from_motion(dance(6.0, seed=seed, fps=12.0)[0]) for seed in (1, 2))


def _turned(body: Body, degrees: float, shift=(0.7, 0.0, -1.2)) -> Body:
    a = np.radians(degrees)
    r = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    return Body(body.points @ r.T + np.asarray(shift), body.stature)


def test_a_body_given_its_own_arms_is_unchanged(bodies):
    body, _ = bodies
    out = transplant_arms(body, arm_directions(body))
    np.testing.assert_allclose(out.points, body.points, atol=1e-6)


def test_transplanted_arms_turn_with_the_body_that_receives_them(bodies):
    body, donor = bodies
    stream = arm_directions(donor)
    turned_after = _turned(transplant_arms(body, stream), 75.0)
    turned_before = transplant_arms(_turned(body, 75.0), stream)
    np.testing.assert_allclose(turned_before.points, turned_after.points, atol=1e-6)


def test_only_the_arms_move_and_they_keep_the_recipients_bone_lengths(bodies):
    body, donor = bodies
    out = transplant_arms(body, arm_directions(donor), start=5)
    np.testing.assert_array_equal(out.points[:, KEPT_POINTS], body.points[:, KEPT_POINTS])
    assert np.abs(out.points[:, ARM_POINTS] - body.points[:, ARM_POINTS]).max() > 0.1
    for s in SIDES:
        for a, b in SEGMENTS:
            before = np.linalg.norm(body.points[:, P[f"{s}_{b}"]] - body.points[:, P[f"{s}_{a}"]], axis=-1)
            after = np.linalg.norm(out.points[:, P[f"{s}_{b}"]] - out.points[:, P[f"{s}_{a}"]], axis=-1)
            np.testing.assert_allclose(after, np.median(before), rtol=1e-6)


def test_donor_directions_read_from_start_and_loop(bodies):
    body, donor = bodies
    stream = arm_directions(donor)[:20]
    out = arm_directions(transplant_arms(body, stream, start=7))
    np.testing.assert_allclose(out[:13], stream[7:], atol=1e-6)
    np.testing.assert_allclose(out[13:33], stream, atol=1e-6)


def _still(direction, frames):
    return np.broadcast_to(np.asarray(direction, float), (frames, 2, 3, 3)).copy()


def test_splice_crossfades_every_seam_and_the_wrap():
    clips = [_still((1, 0, 0), 30), _still((0, 1, 0), 40), _still((0, 0, 1), 25)]
    stream = splice(clips, fade=6)
    assert len(stream) == 30 + 40 + 25 - 3 * 6
    np.testing.assert_allclose(np.linalg.norm(stream, axis=-1), 1.0)
    looped = np.concatenate([stream, stream[:1]])
    steps = np.linalg.norm(np.diff(looped, axis=0), axis=-1).max()
    assert steps < 0.4  # a quarter turn over 6 frames; a cut would jump by sqrt(2)
    for direction in np.eye(3):  # every clip still plays
        assert np.any(np.all(np.isclose(stream[:, 0, 0], direction), axis=-1))


def test_splice_skips_clips_too_short_to_fade_and_says_when_none_is_left():
    stream = splice([_still((1, 0, 0), 5), _still((0, 1, 0), 30)], fade=4)
    assert len(stream) == 30 - 4
    with pytest.raises(LivedanceError, match="shorter than 9 frames"):
        splice([_still((1, 0, 0), 5)], fade=4)
    with pytest.raises(LivedanceError, match="expected at least one BVH file"):
        splice([], fade=4)
