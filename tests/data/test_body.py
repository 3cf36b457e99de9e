import cv2
import numpy as np
import pytest

from livedance.data.body import Body, body_from_motion, joint_key, map_body, render
from livedance.data.bvh import Motion, Skeleton
from livedance.data.synth import dance, skeleton
from livedance.errors import LivedanceError

SYNTH = [
    "Hips",
    "Spine",
    "Chest",
    "Neck",
    "Head",
    "LeftShoulder",
    "LeftArm",
    "LeftForeArm",
    "LeftHand",
    "RightShoulder",
    "RightArm",
    "RightForeArm",
    "RightHand",
    "LeftUpLeg",
    "LeftLeg",
    "LeftFoot",
    "LeftToeBase",
    "RightUpLeg",
    "RightLeg",
    "RightFoot",
    "RightToeBase",
]
# The synth skeleton's joints under other rigs' names (same order as SYNTH).
SCHEMES = {
    "daz": [
        "hip",
        "abdomen",
        "chest",
        "neck",
        "head",
        "lCollar",
        "lShldr",
        "lForeArm",
        "lHand",
        "rCollar",
        "rShldr",
        "rForeArm",
        "rHand",
        "lThigh",
        "lShin",
        "lFoot",
        "lToe",
        "rThigh",
        "rShin",
        "rFoot",
        "rToe",
    ],
    "iclone": [
        "CC_Base_Hip",
        "CC_Base_Waist",
        "CC_Base_Spine02",
        "CC_Base_NeckTwist01",
        "CC_Base_Head",
        "CC_Base_L_Clavicle",
        "CC_Base_L_Upperarm",
        "CC_Base_L_Forearm",
        "CC_Base_L_Hand",
        "CC_Base_R_Clavicle",
        "CC_Base_R_Upperarm",
        "CC_Base_R_Forearm",
        "CC_Base_R_Hand",
        "CC_Base_L_Thigh",
        "CC_Base_L_Calf",
        "CC_Base_L_Foot",
        "CC_Base_L_ToeBase",
        "CC_Base_R_Thigh",
        "CC_Base_R_Calf",
        "CC_Base_R_Foot",
        "CC_Base_R_ToeBase",
    ],
    "mixamo": ["mixamorig:" + n.replace("Chest", "Spine2") for n in SYNTH],
    "asf": [
        "root",
        "lowerback",
        "thorax",
        "lowerneck",
        "head",
        "lclavicle",
        "lhumerus",
        "lradius",
        "lwrist",
        "rclavicle",
        "rhumerus",
        "rradius",
        "rwrist",
        "lfemur",
        "ltibia",
        "lfoot",
        "ltoes",
        "rfemur",
        "rtibia",
        "rfoot",
        "rtoes",
    ],
    "unreal": [
        "pelvis",
        "spine_01",
        "spine_03",
        "neck_01",
        "head",
        "clavicle_l",
        "upperarm_l",
        "lowerarm_l",
        "hand_l",
        "clavicle_r",
        "upperarm_r",
        "lowerarm_r",
        "hand_r",
        "thigh_l",
        "calf_l",
        "foot_l",
        "ball_l",
        "thigh_r",
        "calf_r",
        "foot_r",
        "ball_r",
    ],
    "biped": [
        "Bip01 Pelvis",
        "Bip01 Spine",
        "Bip01 Spine2",
        "Bip01 Neck",
        "Bip01 Head",
        "Bip01 L Clavicle",
        "Bip01 L UpperArm",
        "Bip01 L Forearm",
        "Bip01 L Hand",
        "Bip01 R Clavicle",
        "Bip01 R UpperArm",
        "Bip01 R Forearm",
        "Bip01 R Hand",
        "Bip01 L Thigh",
        "Bip01 L Calf",
        "Bip01 L Foot",
        "Bip01 L Toe0",
        "Bip01 R Thigh",
        "Bip01 R Calf",
        "Bip01 R Foot",
        "Bip01 R Toe0",
    ],
    "synth": SYNTH,
}
# canonical point -> index into the lists above
EXPECTED = {
    "pelvis": 0,
    "chest": 2,
    "neck": 3,
    "head": 4,
    "l_shoulder": 6,
    "l_elbow": 7,
    "l_wrist": 8,
    "r_shoulder": 10,
    "r_elbow": 11,
    "r_wrist": 12,
    "l_hip": 13,
    "l_knee": 14,
    "l_ankle": 15,
    "l_toe": 16,
    "r_hip": 17,
    "r_knee": 18,
    "r_ankle": 19,
    "r_toe": 20,
}


def renamed(names):
    s = skeleton()
    mapping = dict(zip(SYNTH, names))
    return Skeleton([mapping[n] for n in s.names], s.parents, s.offsets, s.channels, s.end_sites)


@pytest.mark.parametrize(
    "name, key",
    [
        ("lThigh", "lthigh"),
        ("rForeArm", "rforearm"),
        ("CC_Base_L_Thigh", "lthigh"),
        ("CC_Base_NeckTwist01", "necktwist01"),
        ("mixamorig:LeftUpLeg", "lupleg"),
        ("LeftHandMiddle1", "lhandmiddle1"),
        ("thigh_l", "lthigh"),
        ("Bip01 R Calf", "rcalf"),
        ("hip", "hip"),
        ("lfemur", "lfemur"),
        ("lowerback", "lowerback"),
        ("root", "root"),
    ],
)
def test_joint_key(name, key):
    assert joint_key(name) == key


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_body_map_across_naming_schemes(scheme):
    names = SCHEMES[scheme]
    body_map = map_body(renamed(names))
    for part, i in EXPECTED.items():
        assert body_map.joint_names[part] == names[i], (scheme, part)
    # hands come from the end site under the wrist when there are no finger joints
    assert body_map.joint_names["l_hand"] == f"End Site of {names[8]}"


def test_unplaceable_skeleton_names_the_parts_and_the_joints():
    s = skeleton()
    names = [f"bone{i}" for i in range(len(s.names))]
    names[s.names.index("Head")] = "Head"
    with pytest.raises(LivedanceError) as err:
        map_body(Skeleton(names, s.parents, s.offsets, s.channels), source="odd.bvh")
    text = str(err.value)
    assert text.startswith("odd.bvh: cannot place pelvis, left shoulder")
    assert "left knee" in text and "right ankle" in text and "head," not in text.split("(")[0]
    assert "bone0, bone1" in text and "\n" not in text


def synth_body(seconds=20.0, seed=0):
    motion, _, _ = dance(seconds, seed, 12.0)
    return body_from_motion(motion)


def figure_stats(frames):
    """Per frame: share of ink in the largest component, ink area share, bbox."""
    out = []
    for f in frames:
        mask = (f < 128).astype(np.uint8)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        areas = stats[1:, cv2.CC_STAT_AREA]
        main = int(areas.argmax()) + 1 if n > 1 else 0
        out.append((areas.max() / max(areas.sum(), 1) if n > 1 else 0.0, mask.mean(), stats[main, :4]))
    return out


def test_render_draws_one_centred_antialiased_figure():
    body = synth_body()
    frames = render(body, yaw=0, framing="close", fps=12.0)
    assert frames.shape == (len(body), 120, 200) and frames.dtype == np.uint8
    stats = figure_stats(frames)
    assert min(s[0] for s in stats) > 0.97  # one figure, no stray blobs
    areas = np.array([s[1] for s in stats])
    assert 0.04 < areas.min() and areas.max() < 0.3
    tops = np.array([s[2][1] for s in stats])
    assert np.median(tops) < 25  # the head near the top
    bottoms = np.array([s[2][1] + s[2][3] for s in stats])
    assert np.all(bottoms[areas > 0] >= 118)  # close framing cuts the legs at the frame's bottom
    centres = np.array([s[2][0] + s[2][2] / 2 for s in stats])
    assert abs(np.median(centres) - 100) < 15
    grey = np.logical_and(frames > 40, frames < 215).sum() / (frames < 128).sum()
    assert 0.02 < grey < 0.35  # anti-aliased, yet crisp


def test_full_framing_shows_the_feet_and_a_smaller_figure():
    body = synth_body(10.0)
    close = render(body, framing="close")
    full = render(body, framing="full")
    assert (full < 128).mean() < (close < 128).mean()
    bottoms = [s[2][1] + s[2][3] for s in figure_stats(full)]
    assert np.median(bottoms) < 120  # the feet stand inside the frame


def test_back_view_is_the_mirrored_front_view():
    body = synth_body(10.0)
    front, back = render(body, yaw=0), render(body, yaw=180)
    a, b = front < 128, back[:, :, ::-1] < 128
    iou = np.logical_and(a, b).sum() / np.logical_or(a, b).sum()
    assert iou > 0.99
    side = render(body, yaw=90) < 128
    assert np.logical_and(a, side).sum() / np.logical_or(a, side).sum() < 0.9


def test_units_do_not_matter():
    motion, _, _ = dance(5.0, 1, 12.0)
    s = motion.skeleton
    cm = Skeleton(s.names, s.parents, s.offsets * 100, s.channels, [(j, o * 100) for j, o in s.end_sites])
    values = motion.values.copy()
    values[:, :3] *= 100  # root positions
    a = render(body_from_motion(motion))
    b = render(body_from_motion(Motion(cm, values, motion.frame_time)))
    assert np.abs(a.astype(int) - b.astype(int)).mean() < 0.5


def test_render_rejects_unknown_framing():
    with pytest.raises(LivedanceError, match="framing 'wide'"):
        render(Body(np.zeros((1, 20, 3)), 1.7), framing="wide")
