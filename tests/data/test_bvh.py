import numpy as np
import pytest

from livedance.data.bvh import Motion, Skeleton, read_bvh, write_bvh
from livedance.errors import LivedanceError

GOOD = """HIERARCHY
ROOT hip
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  JOINT chest
  {
    OFFSET 0 0.5 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 0.25 0
    }
  }
  JOINT lThigh
  {
    OFFSET 0.1 -0.05 0
    CHANNELS 1 Xrotation
  }
}
MOTION
Frames: 2
Frame Time: 0.008333
1 2 3 10 20 30 40 50 60 70
-1 -2 -3 -10 -20 -30 -40 -50 -60 -70
"""


def test_reads_hierarchy_channels_and_values(tmp_path):
    path = tmp_path / "good.bvh"
    path.write_text(GOOD)
    m = read_bvh(path)
    s = m.skeleton
    assert s.names == ["hip", "chest", "lThigh"]
    assert list(s.parents) == [-1, 0, 0]
    assert s.channels[0] == ("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")
    assert s.channels[1] == ("Zrotation", "Xrotation", "Yrotation")  # each joint keeps its own order
    assert s.channels[2] == ("Xrotation",)
    assert np.allclose(s.offsets[2], [0.1, -0.05, 0])
    assert len(s.end_sites) == 1 and s.end_sites[0][0] == 1 and np.allclose(s.end_sites[0][1], [0, 0.25, 0])
    assert m.values.shape == (2, 10) and m.values[1, 9] == -70
    assert s.column("chest", "Yrotation") == 8
    assert m.fps == pytest.approx(120.0, rel=1e-3)


def test_round_trip_keeps_everything(tmp_path):
    rng = np.random.default_rng(0)
    skel = Skeleton(
        names=["Hips", "Spine", "Head", "LeftUpLeg", "LeftLeg"],
        parents=np.array([-1, 0, 1, 0, 3]),
        offsets=rng.normal(size=(5, 3)),
        channels=[
            ("Xposition", "Yposition", "Zposition", "Yrotation", "Xrotation", "Zrotation"),
            ("Zrotation", "Xrotation", "Yrotation"),
            ("Zrotation", "Yrotation", "Xrotation"),
            ("Xrotation", "Zrotation", "Yrotation"),
            (),
        ],
        end_sites=[(2, np.array([0.0, 0.2, 0.0])), (4, np.array([0.0, -0.4, 0.1]))],
    )
    values = rng.uniform(-180, 180, size=(7, skel.num_channels))
    m = Motion(skel, values, 1 / 60)
    path = write_bvh(m, tmp_path / "a.bvh")
    back = read_bvh(path)
    assert back.skeleton.names == skel.names
    assert list(back.skeleton.parents) == list(skel.parents)
    assert back.skeleton.channels == skel.channels
    assert np.allclose(back.skeleton.offsets, skel.offsets, atol=1e-6)
    assert [j for j, _ in back.skeleton.end_sites] == [2, 4]
    assert np.allclose(back.values, values, atol=1e-6)
    assert back.frame_time == pytest.approx(1 / 60)
    # and writing it again gives the same text
    assert write_bvh(back, tmp_path / "b.bvh").read_text() == path.read_text()


def _break(old, new, count=1):
    return lambda text: text.replace(old, new, count)


@pytest.mark.parametrize(
    "mutate, line, message",
    [
        (lambda t: "", 1, "expected 'HIERARCHY'"),
        (_break("HIERARCHY", "HIERARCHIE"), 1, "expected 'HIERARCHY'"),
        (_break("ROOT hip", "BONE hip"), 2, "expected ROOT"),
        (_break("OFFSET 0 0.5 0", "OFFSET 0 zero 0"), 8, "OFFSET value"),
        (_break("CHANNELS 3 Zrotation", "CHANNELS three Zrotation"), 9, "channel count"),
        (_break("Xrotation Yrotation\n", "Xrotation Wrotation\n"), 9, "channel name"),
        (_break("JOINT lThigh", "JOINT chest"), 15, "used twice"),
        (_break("    End Site", "    Finish Site"), 10, "JOINT, End Site"),
        (_break("MOTION", "MOVEMENT"), 21, "expected ROOT or MOTION"),
        (lambda t: t[: t.index("MOTION")], 20, "expected MOTION"),
        (_break("Frames: 2", "Frames: two"), 22, "Frames:"),
        (_break("Frame Time: 0.008333", "Frame Time: -1"), 23, "positive Frame Time"),
        (_break("Frames: 2", "Frames: 3"), 25, "expected 3 frames"),
        (_break("Frames: 2", "Frames: 1"), 25, "found more"),
        (_break("1 2 3 10 20 30 40 50 60 70", "1 2 3 10 20 30 40 50 60"), 24, "expected 10 channel values, found 9"),
        (_break("-1 -2 -3", "-1 x -3"), 25, "expected a number, found 'x'"),
        (_break("-1 -2 -3", "-1 nan -3"), 25, "expected a number"),
    ],
)
def test_malformed_files_name_the_line(tmp_path, mutate, line, message):
    path = tmp_path / "bad.bvh"
    path.write_text(mutate(GOOD))
    with pytest.raises(LivedanceError) as err:
        read_bvh(path)
    text = str(err.value)
    assert text.startswith(f"{path}: line {line}: "), text
    assert message in text
    assert "\n" not in text


def test_missing_file(tmp_path):
    with pytest.raises(LivedanceError, match="no such file"):
        read_bvh(tmp_path / "nope.bvh")
