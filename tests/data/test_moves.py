"""The procedural dancer's vocabulary: the neutral stance, mirroring, the curve helpers moves are
written with, and the moves themselves as smooth, repeating curves of beat time."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livedance.data.moves import (
    MIRROR_NEGATE,
    MOVES,
    NEUTRAL,
    PARAMS,
    STAND,
    arms,
    bump,
    keys,
    mirror,
    spin,
    wave,
)

BEATS = np.linspace(-1.0, 12.0, 1301)


def _full(value, shape=BEATS.shape):
    return np.broadcast_to(np.asarray(value, dtype=np.float64), shape)


# ----------------------------------------------------------------------------- parameters


def test_every_parameter_has_a_neutral_value_and_the_pelvis_stands():
    assert PARAMS == tuple(NEUTRAL) and len(set(PARAMS)) == len(PARAMS)
    assert NEUTRAL["py"] == STAND
    assert all(isinstance(v, float) for v in NEUTRAL.values())


def test_every_left_parameter_has_a_right_twin_and_the_stance_is_symmetric():
    left = {p[2:] for p in PARAMS if p.startswith("l_")}
    right = {p[2:] for p in PARAMS if p.startswith("r_")}
    assert left == right and left
    assert all(NEUTRAL[f"l_{name}"] == NEUTRAL[f"r_{name}"] for name in left)


def test_the_parameters_a_mirror_negates_are_central_and_neutral_at_zero():
    assert MIRROR_NEGATE <= set(PARAMS)
    assert not any(p.startswith(("l_", "r_")) for p in MIRROR_NEGATE)
    assert all(NEUTRAL[p] == 0.0 for p in MIRROR_NEGATE)


# ----------------------------------------------------------------------------- mirror


@pytest.mark.parametrize(
    "pose, mirrored",
    [
        ({"l_abd": 150.0}, {"r_abd": 150.0}),
        ({"r_elbow": 30.0, "l_elbow": 90.0}, {"l_elbow": 30.0, "r_elbow": 90.0}),
        ({"px": 0.07}, {"px": -0.07}),  # a step to the left is a step to the right
        ({"turn": 180.0, "yaw": 10.0}, {"turn": -180.0, "yaw": -10.0}),
        (
            {"tilt_z": 5.0, "spine_z": 3.0, "chest_y": 12.0, "head_y": -4.0},
            {"tilt_z": -5.0, "spine_z": -3.0, "chest_y": -12.0, "head_y": 4.0},
        ),
        (
            {"py": 0.9, "pz": 0.05, "jump": 0.2, "tilt_x": 7.0, "spine_x": 4.0},
            {"py": 0.9, "pz": 0.05, "jump": 0.2, "tilt_x": 7.0, "spine_x": 4.0},
        ),
        ({"l_fx": 0.19, "r_fx": -0.06}, {"r_fx": 0.19, "l_fx": -0.06}),  # feet outward stay outward
        ({}, {}),
    ],
    ids=[
        "one-arm",
        "both-arms",
        "sideways-offset",
        "turns",
        "side-bends-and-twists",
        "up-down-forward",
        "feet",
        "empty",
    ],
)
def test_mirror_swaps_sides_and_negates_what_points_sideways(pose, mirrored):
    assert mirror(pose) == mirrored


def test_mirror_works_on_arrays_and_leaves_its_input_alone():
    pose = {"px": np.array([0.1, -0.2]), "l_abd": np.array([10.0, 20.0])}
    out = mirror(pose)
    np.testing.assert_array_equal(out["px"], [-0.1, 0.2])
    np.testing.assert_array_equal(out["r_abd"], [10.0, 20.0])
    assert set(pose) == {"px", "l_abd"} and pose["px"][0] == 0.1


def test_the_neutral_stance_is_its_own_mirror_image():
    assert mirror(NEUTRAL) == NEUTRAL


@pytest.mark.parametrize("name", MOVES)
def test_mirroring_a_move_twice_gives_the_move_back(name):
    pose = MOVES[name](BEATS, 1.1)
    again = mirror(mirror(pose))
    assert set(again) == set(pose)
    for key in pose:
        np.testing.assert_array_equal(_full(again[key]), _full(pose[key]), err_msg=key)


# ----------------------------------------------------------------------------- curve helpers


@pytest.mark.parametrize(
    "b, period, phase, expected",
    [
        (0.0, 2, 0.0, 0.0),
        (0.5, 2, 0.0, 1.0),  # a quarter of the period: the crest
        (1.5, 2, 0.0, -1.0),
        (0.0, 4, 0.25, 1.0),  # phase is in periods
        (1.0, 4, 0.5, -1.0),
        (3.0, 1, 0.0, 0.0),
    ],
)
def test_wave_is_a_sine_over_its_period_with_phase_in_periods(b, period, phase, expected):
    assert wave(b, period, phase) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    "b, start, length, expected",
    [
        (-1.0, 0, 1, 0.0),
        (0.0, 0, 1, 0.0),
        (0.25, 0, 1, 0.5),
        (0.5, 0, 1, 1.0),  # the top of the hump
        (1.0, 0, 1, 0.0),
        (3.0, 2, 2, 1.0),
        (4.5, 2, 2, 0.0),
    ],
)
def test_bump_rises_to_one_midway_and_is_zero_outside(b, start, length, expected):
    assert float(bump(np.array(b), start, length)) == pytest.approx(expected, abs=1e-12)


def test_bump_is_a_symmetric_hump_between_zero_and_one():
    b = np.linspace(-1, 4, 501)
    hump = bump(b, 0.5, 2.5)
    assert hump.min() == 0.0 and hump.max() == pytest.approx(1.0)
    np.testing.assert_allclose(hump, bump(3.5 - b, 0.5, 2.5), atol=1e-12)


def test_arms_names_parameters_for_one_side():
    assert arms("l", abd=10, elbow=90) == {"l_abd": 10, "l_elbow": 90}
    assert arms("r") == {}


KEYFRAMES = {
    "step-touch": (4, [(0, 0.19), (1, 0.19), (2, -0.06), (3, 0.19)]),
    "starts-late": (4, [(0.5, 1.0), (1.75, 1.0), (2.5, -1.0), (3.75, -1.0)]),
    "two-beats": (2, [(0.25, 1.0), (0.75, 1.0), (1.25, 0.0), (1.75, 0.0)]),
    "one-key": (2, [(0, 3.0)]),
}


@pytest.mark.parametrize("period, points", KEYFRAMES.values(), ids=KEYFRAMES.keys())
def test_keys_passes_through_each_keyframe_in_every_period(period, points):
    for cycle in (-1, 0, 1, 5):
        for beat, value in points:
            assert keys(np.array(beat + cycle * period), period, points) == pytest.approx(value, abs=1e-9)


@pytest.mark.parametrize(
    "b, expected",
    [
        (0.5, 0.5),  # half-way between keys: half-way between values
        (0.25, 0.5 - 0.5 * np.cos(np.pi / 4)),  # eased: slow off the key
        (1.5, 0.5),  # and back, closing the period
        (2.0, 0.0),
    ],
)
def test_keys_eases_between_keyframes(b, expected):
    assert keys(np.array(b), 2, [(0, 0.0), (1, 1.0)]) == pytest.approx(expected, abs=1e-12)


# Keyframe beats on a twentieth-of-a-beat grid within one four-beat period, each with a value.
_keyframes = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 79), min_size=n, max_size=n, unique=True).map(lambda ts: [t / 20 for t in sorted(ts)]),
        st.lists(st.floats(-200, 200), min_size=n, max_size=n),
    )
)


@settings(deadline=None)  # a shared machine can stall any one example
@given(_keyframes, st.floats(-20, 20))
def test_keys_is_periodic_and_never_overshoots_its_keyframes(frames, b):
    times, values = frames
    points = list(zip(times, values))
    here = float(keys(np.array(b), 4, points))
    assert min(values) - 1e-9 <= here <= max(values) + 1e-9
    assert float(keys(np.array(b + 4), 4, points)) == pytest.approx(here, abs=1e-6)


# ----------------------------------------------------------------------------- moves


def test_there_are_moves_and_each_has_a_docstring():
    assert len(MOVES) >= 8
    assert all(move.__doc__ for move in MOVES.values())


@pytest.mark.parametrize("amplitude", [0.6, 1.0, 1.4])
@pytest.mark.parametrize("name", MOVES)
def test_a_move_gives_finite_known_parameters_for_every_beat(name, amplitude):
    pose = MOVES[name](BEATS, amplitude)
    assert pose and set(pose) <= set(PARAMS), set(pose) - set(PARAMS)
    for key, value in pose.items():
        assert np.all(np.isfinite(_full(value))), key


# How often each move repeats, in beats (spin is a one-off, below).
PERIODS = {
    "groove": 2,
    "sway": 2,
    "arm_wave": 4,
    "hip_roll": 2,
    "step_touch": 4,
    "kick": 4,
    "crouch_jump": 4,
    "point": 4,
    "shimmy": 4,
    "strut": 2,
}


def test_every_move_but_the_spin_has_a_period():
    assert set(PERIODS) | {"spin"} == set(MOVES)


@pytest.mark.parametrize("name, period", PERIODS.items(), ids=PERIODS.keys())
def test_a_move_repeats_every_period(name, period):
    now, later = MOVES[name](BEATS, 1.0), MOVES[name](BEATS + period, 1.0)
    for key in now:
        np.testing.assert_allclose(_full(later[key]), _full(now[key]), atol=1e-9, err_msg=key)


@pytest.mark.parametrize("name", MOVES)
def test_a_move_is_smooth_in_beat_time(name):
    """Halving the sampling step halves the largest change between samples: no jumps anywhere."""
    fine, finer = np.linspace(-1, 9, 2001), np.linspace(-1, 9, 4001)
    coarse_pose, fine_pose = MOVES[name](fine, 1.2), MOVES[name](finer, 1.2)
    for key in coarse_pose:
        coarse_step = np.abs(np.diff(_full(coarse_pose[key], fine.shape))).max()
        fine_step = np.abs(np.diff(_full(fine_pose[key], finer.shape))).max()
        assert fine_step <= 0.6 * coarse_step + 1e-9, key


@pytest.mark.parametrize(
    "beats, degrees", [((1, 3), 360.0), ((5, 7), -360.0), ((-1, 1), 0.0), ((3, 5), 0.0), ((7, 12), 0.0)]
)
def test_the_spin_turns_once_round_and_back(beats, degrees):
    b = np.linspace(*beats, 20001)
    assert np.trapezoid(spin(b, 1.0)["turn"], b) == pytest.approx(degrees, abs=1e-3)


@pytest.mark.parametrize("name", ["groove", "sway", "hip_roll", "step_touch", "shimmy", "strut", "point", "arm_wave"])
def test_a_grounded_move_keeps_the_pelvis_near_standing_height(name):
    py = _full(MOVES[name](BEATS, 1.4).get("py", STAND))
    assert np.all((STAND - 0.12 < py) & (py <= STAND))


def test_the_crouch_jump_sinks_low_and_leaves_the_ground_by_its_amplitude():
    b = np.linspace(0, 4, 4001)
    for amplitude in (0.8, 1.0, 1.2):
        pose = MOVES["crouch_jump"](b, amplitude)
        assert pose["py"].min() < STAND - 0.25
        assert pose["jump"].min() == 0.0 and pose["jump"].max() == pytest.approx(0.2 * amplitude, rel=1e-3)
