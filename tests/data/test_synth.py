import cv2
import numpy as np
import pytest

import livedance.data.synth as synth
from livedance.cli import main
from livedance.data.bvh import read_bvh
from livedance.data.dataset import Dataset
from livedance.data.kinematics import euler_rotations, forward_kinematics
from livedance.data.moves import MOVES, NEUTRAL, mirror


def test_vocabulary_has_at_least_eight_moves_of_known_parameters():
    assert len(MOVES) >= 8
    b = np.linspace(-0.5, 8.5, 200)
    for name, move in MOVES.items():
        pose = move(b, 1.0)
        assert set(pose) <= set(NEUTRAL), (name, set(pose) - set(NEUTRAL))
        for key, value in pose.items():
            value = np.broadcast_to(np.asarray(value, dtype=float), b.shape)
            assert np.all(np.isfinite(value)), (name, key)
        again = mirror(mirror(pose))
        assert all(np.allclose(again[k], pose[k]) for k in pose)


def test_same_seed_same_dance_other_seed_other_dance():
    a, tempo_a, plan_a = synth.dance(30.0, seed=3, fps=12.0)
    b, tempo_b, _ = synth.dance(30.0, seed=3, fps=12.0)
    c, _, _ = synth.dance(30.0, seed=4, fps=12.0)
    assert np.array_equal(a.values, b.values) and tempo_a == tempo_b
    assert a.values.shape == c.values.shape and not np.allclose(a.values, c.values)
    assert a.num_frames == 360 and len({s.move for s in plan_a}) >= 3


def test_crossfades_weigh_to_one():
    # Moves that set nothing leave the neutral pose everywhere, across every boundary.
    sections = [synth.Section(m, 8.0 * i, 8.0, bool(i % 2), 1.0) for i, m in enumerate(["groove", "spin", "kick"])]
    plain = {k: (lambda b, a: {}) for k in MOVES}
    original = dict(synth.MOVES)
    try:
        synth.MOVES.clear()
        synth.MOVES.update(plain)
        pose = synth.blend_pose(sections, np.linspace(0, 24, 500))
    finally:
        synth.MOVES.clear()
        synth.MOVES.update(original)
    for key, value in pose.items():
        assert np.allclose(value, NEUTRAL[key]), key


def test_motion_is_continuous_no_pops():
    motion, _, _ = synth.dance(120.0, seed=5, fps=60.0, bpm=128)
    p = forward_kinematics(motion)
    speed = np.linalg.norm(np.diff(p, axis=0), axis=-1).max(axis=1) * 60.0
    assert speed.max() < 15.0  # m/s: a hand in a fast spin, never a jump cut


def test_feet_land_where_the_moves_put_them():
    # Two-bone IK + Euler channels, checked by forward kinematics: planted ankles sit on their targets.
    fps, bpm = 30.0, 110.0
    motion, _, plan = synth.dance(60.0, seed=2, fps=fps, bpm=bpm)
    pose = synth.blend_pose(plan, np.arange(motion.num_frames) / fps * bpm / 60.0)
    heading = synth.heading_at(plan, np.arange(motion.num_frames) / fps * bpm / 60.0) + pose["yaw"]
    turn = euler_rotations(heading[:, None], "Y")
    skel = motion.skeleton
    ankles = forward_kinematics(motion, [skel.index("LeftFoot"), skel.index("RightFoot")])
    for k, (side, sign) in enumerate((("l", 1.0), ("r", -1.0))):
        local = np.stack(
            [sign * pose[f"{side}_fx"], synth.ANKLE_HEIGHT + pose[f"{side}_fy"] + pose["jump"], pose[f"{side}_fz"]], -1
        )
        target = np.einsum("nij,nj->ni", turn, local)
        error = np.linalg.norm(ankles[:, k] - target, axis=-1)
        assert np.mean(error < 0.01) > 0.95, np.percentile(error, [50, 90, 99])


def test_synth_command_writes_frames_and_a_readable_bvh(tmp_path):
    out, bvh = tmp_path / "synth.npz", tmp_path / "dance.bvh"
    code = main(["synth", "--out", str(out), "--minutes", "0.2", "--seed", "7", "--yaws", "0,90", "--bvh", str(bvh)])
    assert code == 0
    d = Dataset.load(out)
    assert len(d.frames) == 0.2 * 60 * 12 * 2
    assert d.fps == 12.0 and d.clip_names == ["synth-s7-00@yaw0", "synth-s7-00@yaw90"]
    assert d.meta["seed"] == 7 and d.meta["yaws"] == [0.0, 90.0]
    # frames look like one dancer: one main figure, a sane size, clear of the side edges
    tops = []
    for frame in d.frames[::3]:
        mask = (frame < 128).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        areas = stats[1:, cv2.CC_STAT_AREA]
        assert areas.max() / areas.sum() > 0.97
        assert 0.03 < mask.mean() < 0.3
        x, y, w, h = stats[1 + areas.argmax(), :4]
        assert x > 5 and x + w < 195
        tops.append(y)
    assert np.median(tops) < 25  # head near the top; crouches may sink lower
    motion = read_bvh(bvh)
    assert motion.num_frames == 0.2 * 60 * 30 and motion.fps == pytest.approx(30.0)
    assert motion.skeleton.names == synth.skeleton().names


def test_frame_count_is_minutes_times_fps_times_yaws(tmp_path):
    out = tmp_path / "s.npz"
    assert (
        main(["synth", "--out", str(out), "--minutes", "1.5", "--fps", "8", "--yaws", "0,120,240", "--bpm", "100"]) == 0
    )
    d = Dataset.load(out)
    assert len(d.frames) == 1.5 * 60 * 8 * 3
    assert d.num_clips == 6  # one-minute clips per yaw, so validation can hold some out
    assert d.meta["bpm"] == 100.0


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--yaws", "front"], "--yaws 'front'"),
        (["--minutes", "0"], "--minutes"),
        (["--bpm", "5000"], "--bpm"),
        (["--framing", "wide"], "--framing 'wide'"),
    ],
)
def test_bad_synth_options(tmp_path, capsys, extra, message):
    code = main(["synth", "--out", str(tmp_path / "x.npz")] + extra)
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1
