import numpy as np
import pytest

from livedance.data.bvh import Motion, Skeleton
from livedance.data.kinematics import (
    end_site_positions,
    euler_rotations,
    forward_kinematics,
    resample,
    resample_times,
    unit_scale,
)


def arm(root_order=("Zrotation", "Yrotation", "Xrotation")):
    """root -> a (1 m along x) -> b (1 m along y), end site 0.5 m along y below b."""
    return Skeleton(
        names=["root", "a", "b"],
        parents=np.array([-1, 0, 1]),
        offsets=np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
        channels=[
            ("Xposition", "Yposition", "Zposition") + tuple(root_order),
            ("Zrotation", "Xrotation", "Yrotation"),
            (),
        ],
        end_sites=[(2, np.array([0.0, 0.5, 0.0]))],
    )


def pose(skel, **channels):
    values = np.zeros((1, skel.num_channels))
    for key, v in channels.items():
        joint, channel = key.split("_")
        values[0, skel.column(joint, channel)] = v
    return Motion(skel, values, 1 / 30)


@pytest.mark.parametrize(
    "channels, expected",
    [
        ({}, [[0, 0, 0], [1, 0, 0], [1, 1, 0]]),
        ({"root_Xposition": 1, "root_Yposition": 2, "root_Zposition": 3}, [[1, 2, 3], [2, 2, 3], [2, 3, 3]]),
        ({"root_Zrotation": 90}, [[0, 0, 0], [0, 1, 0], [-1, 1, 0]]),
        ({"root_Yrotation": 90}, [[0, 0, 0], [0, 0, -1], [0, 1, -1]]),
        ({"a_Zrotation": 90}, [[0, 0, 0], [1, 0, 0], [0, 0, 0]]),
        ({"a_Xrotation": 90}, [[0, 0, 0], [1, 0, 0], [1, 0, 1]]),
        ({"root_Xposition": 5, "a_Xrotation": -90}, [[5, 0, 0], [6, 0, 0], [6, 0, -1]]),
    ],
)
def test_known_answers(channels, expected):
    got = forward_kinematics(pose(arm(), **channels))
    assert got.shape == (1, 3, 3)
    assert np.allclose(got[0], expected, atol=1e-9)


def test_each_joint_honours_its_channel_order():
    # Z then X (Rz @ Rx) and X then Z (Rx @ Rz) put joint b in different places.
    zx = forward_kinematics(pose(arm(("Zrotation", "Xrotation", "Yrotation")), root_Zrotation=90, root_Xrotation=90))
    xz = forward_kinematics(pose(arm(("Xrotation", "Zrotation", "Yrotation")), root_Zrotation=90, root_Xrotation=90))
    # Rz(90) Rx(90): a -> (0,1,0), a->b offset (0,1,0) -> (0,0,1)
    assert np.allclose(zx[0, 2], [0, 1, 1], atol=1e-9)
    # Rx(90) Rz(90): a -> (0,0,1), offset (0,1,0) -> (-1,0,0)
    assert np.allclose(xz[0, 2], [-1, 0, 1], atol=1e-9)


def test_euler_rotations_is_the_product_in_channel_order():
    angles = np.array([[30.0, -20.0, 75.0]])
    r = euler_rotations(angles, "ZXY")
    rz = euler_rotations(angles[:, :1], "Z")
    rx = euler_rotations(angles[:, 1:2], "X")
    ry = euler_rotations(angles[:, 2:], "Y")
    assert np.allclose(r, rz @ rx @ ry)
    assert np.allclose(r[0] @ r[0].T, np.eye(3))


def test_end_sites_and_joint_subsets():
    m = pose(arm(), a_Zrotation=90)
    assert np.allclose(end_site_positions(m)[0, 0], [-0.5, 0, 0])
    only_b = forward_kinematics(m, joints=[2])
    assert only_b.shape == (1, 1, 3) and np.allclose(only_b[0, 0], [0, 0, 0])
    assert np.allclose(forward_kinematics(m, scale=0.01)[0, 1], [0.01, 0, 0])


def test_unit_scale_guesses_centimetres():
    s = arm()
    assert unit_scale(s) == 1.0
    s_cm = Skeleton(s.names, s.parents, s.offsets * 100, s.channels, [(j, o * 100) for j, o in s.end_sites])
    assert unit_scale(s_cm) == pytest.approx(0.01)


def test_resample_by_time():
    x = np.arange(10, dtype=float)[:, None]
    assert np.allclose(resample(x, 10, 5)[:, 0], [0, 2, 4, 6, 8])
    assert np.allclose(resample(x, 10, 20)[:, 0], np.arange(19) / 2)
    # 30 fps -> 12 fps: a frame every 2.5 source frames, never past the end of the take
    assert np.allclose(resample_times(181, 30, 12), np.arange(73) * 2.5)
    assert len(resample(np.zeros((1800, 4, 3)), 30, 12)) == 720
    assert len(resample(np.zeros((0, 3)), 30, 12)) == 0


def test_vectorised_over_frames_is_fast():
    # A 43-joint chain-and-branches skeleton over many frames, checked against a per-frame loop.
    rng = np.random.default_rng(0)
    n = 43
    parents = np.array([-1] + [int(rng.integers(0, j)) for j in range(1, n)])
    skel = Skeleton(
        [f"j{j}" for j in range(n)],
        parents,
        rng.normal(size=(n, 3)) * 0.1,
        [("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")]
        + [("Zrotation", "Xrotation", "Yrotation")] * (n - 1),
    )
    m = Motion(skel, rng.uniform(-90, 90, size=(30000, skel.num_channels)), 1 / 120)
    p = forward_kinematics(m)
    assert p.shape == (30000, n, 3)
    # spot check one frame against a plain per-frame loop
    t = 1234
    world_r, world_p = {}, {}
    for j in range(n):
        cols = m.values[t, skel.channel_starts[j] : skel.channel_starts[j] + len(skel.channels[j])]
        local_p = skel.offsets[j].copy()
        r = np.eye(3)
        for c, v in zip(skel.channels[j], cols):
            if c.endswith("position"):
                local_p["XYZ".index(c[0])] += v
            else:
                r = r @ euler_rotations(np.array([[v]]), c[0])[0]
        if parents[j] < 0:
            world_r[j], world_p[j] = r, local_p
        else:
            world_r[j] = world_r[parents[j]] @ r
            world_p[j] = world_p[parents[j]] + world_r[parents[j]] @ local_p
    assert np.allclose(p[t], np.array([world_p[j] for j in range(n)]), atol=1e-9)
