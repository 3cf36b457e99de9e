import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from livedance.cli import main
from livedance.data.bvh import Motion, Skeleton, write_bvh
from livedance.data.dataset import Dataset
from livedance.data.mocap import CMU_CREDIT
from livedance.data.synth import dance, skeleton


@pytest.fixture(scope="module")
def dance_bvh(tmp_path_factory):
    """Ten seconds of the synth dancer at 30 fps, written as BVH: the project's own mocap file."""
    motion, _, _ = dance(10.0, seed=1, fps=30.0)
    return write_bvh(motion, tmp_path_factory.mktemp("bvh") / "dance.bvh")


def run_mocap(*args):
    return main(["mocap", *map(str, args)])


def test_mocap_of_a_synth_bvh(tmp_path, dance_bvh):
    out = tmp_path / "m.npz"
    assert run_mocap(dance_bvh, "--out", out, "--fps", 12, "--yaws", "0,90,180") == 0
    d = Dataset.load(out)
    assert d.clip_names == ["dance@yaw0", "dance@yaw90", "dance@yaw180"]
    per_clip = (300 - 1) * 12 // 30 + 1  # frames at 12 fps inside a 300-frame, 30 fps take
    assert list(np.diff(d.clip_starts)) == [per_clip] * 3
    assert d.fps == 12.0
    meta = d.meta
    assert meta["yaws"] == [0.0, 90.0, 180.0] and meta["framing"] == "close" and meta["fps"] == 12.0
    assert meta["sources"][0]["file"] == str(dance_bvh) and meta["sources"][0]["source_fps"] == 30.0
    assert "credit" not in meta
    ink = (d.frames < 128).mean(axis=(1, 2))
    assert ink.min() > 0.03 and ink.max() < 0.3


def test_mocap_matches_the_synth_renderer(tmp_path, dance_bvh):
    """The BVH round trip (write, read, FK, resample) draws what synth draws."""
    from livedance.data.body import body_from_motion, render

    direct, _, _ = dance(10.0, seed=1, fps=12.0)
    out = tmp_path / "m.npz"
    assert run_mocap(dance_bvh, "--out", out, "--yaws", "0") == 0
    via_bvh = Dataset.load(out).frames
    drawn = render(body_from_motion(direct), 0, fps=12.0)[: len(via_bvh)]
    a, b = drawn < 128, via_bvh < 128
    assert np.logical_and(a, b).sum() / np.logical_or(a, b).sum() > 0.9


def test_source_fps_overrides_the_header(tmp_path, dance_bvh):
    out = tmp_path / "m.npz"
    assert run_mocap(dance_bvh, "--out", out, "--yaws", "0", "--source-fps", 60) == 0
    d = Dataset.load(out)
    assert len(d.frames) == (300 - 1) * 12 // 60 + 1  # the same 300 frames last half as long
    assert d.meta["sources"][0]["source_fps"] == 60.0 and d.meta["source_fps_override"] == 60.0


def test_arms_from_a_solo_dance_replace_the_arms_and_keep_the_body(tmp_path, dance_bvh):
    donor, _, _ = dance(8.0, seed=2, fps=30.0)
    donor_bvh = write_bvh(donor, tmp_path / "donor.bvh")
    plain, solo = tmp_path / "plain.npz", tmp_path / "solo.npz"
    assert run_mocap(dance_bvh, "--out", plain, "--yaws", "0") == 0
    assert run_mocap(dance_bvh, "--out", solo, "--yaws", "0", "--arms-from", tmp_path) == 0  # a folder: the donor
    a, b = Dataset.load(plain), Dataset.load(solo)
    assert b.meta["arms_from"] == [str(donor_bvh)] and "arms_from" not in a.meta
    assert len(a.frames) == len(b.frames)
    ink_a, ink_b = a.frames < 128, b.frames < 128
    iou = np.logical_and(ink_a, ink_b).sum(axis=(1, 2)) / np.logical_or(ink_a, ink_b).sum(axis=(1, 2))
    assert 0.5 < np.median(iou) < 0.97  # the same body, other arms
    legs = slice(90, 120)  # close framing: the thighs fill the bottom rows, where arms rarely reach
    assert np.mean(ink_a[:, legs] == ink_b[:, legs]) > 0.97


def test_folders_take_every_bvh_sorted_and_cmu_files_get_the_credit(tmp_path, dance_bvh):
    folder = tmp_path / "takes"
    folder.mkdir()
    shutil.copy(dance_bvh, folder / "61_02.bvh")
    shutil.copy(dance_bvh, folder / "60_01.bvh")
    (folder / "notes.txt").write_text("not motion")
    out = tmp_path / "m.npz"
    assert run_mocap(folder, "--out", out, "--yaws", "0,270", "--fps", 6, "--framing", "full") == 0
    d = Dataset.load(out)
    assert d.clip_names == ["60_01@yaw0", "60_01@yaw270", "61_02@yaw0", "61_02@yaw270"]
    assert d.meta["credit"] == CMU_CREDIT and d.fps == 6.0 and d.meta["framing"] == "full"


def test_centimetre_files_render_like_metre_files(tmp_path):
    motion, _, _ = dance(5.0, seed=2, fps=30.0)
    s = motion.skeleton
    values = motion.values.copy()
    values[:, :3] *= 100
    cm = Motion(
        Skeleton(s.names, s.parents, s.offsets * 100, s.channels, [(j, o * 100) for j, o in s.end_sites]),
        values,
        motion.frame_time,
    )
    for name, m in (("m", motion), ("cm", cm)):
        write_bvh(m, tmp_path / f"{name}.bvh")
        assert run_mocap(tmp_path / f"{name}.bvh", "--out", tmp_path / f"{name}.npz", "--yaws", "30") == 0
    a, b = Dataset.load(tmp_path / "m.npz").frames, Dataset.load(tmp_path / "cm.npz").frames
    assert np.abs(a.astype(int) - b.astype(int)).mean() < 1.0


def _odd_skeleton_bvh(path):
    s = skeleton()
    names = [f"bone{i}" for i in range(len(s.names))]
    m = Motion(Skeleton(names, s.parents, s.offsets, s.channels, s.end_sites), np.zeros((3, s.num_channels)), 1 / 30)
    return write_bvh(m, path)


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda t: [t / "missing.bvh"], "missing.bvh: no such file or folder"),
        (lambda t: [(t / "empty").mkdir() or t / "empty"], "empty: folder has no .bvh files"),
        (
            lambda t: [(t / "bad.bvh").write_text("HIERARCHY\nROOT\n") and t / "bad.bvh"],
            "bad.bvh: line 2: expected a joint name",
        ),
        (lambda t: [_odd_skeleton_bvh(t / "odd.bvh")], "odd.bvh: cannot place pelvis"),
        (lambda t: [_odd_skeleton_bvh(t / "odd.bvh"), "--yaws", "0,ninety"], "--yaws '0,ninety'"),
        (lambda t: [_odd_skeleton_bvh(t / "odd.bvh"), "--yaws", "0,90,0"], "each camera angle once"),
        (lambda t: [_odd_skeleton_bvh(t / "odd.bvh"), "--source-fps", "-5"], "--source-fps"),
        (lambda t: [_odd_skeleton_bvh(t / "odd.bvh"), "--framing", "wide"], "--framing 'wide'"),
        (
            lambda t: [_odd_skeleton_bvh(t / "odd.bvh"), "--arms-from", t / "nobody.bvh"],
            "nobody.bvh: no such file or folder",
        ),
    ],
)
def test_bad_inputs_exit_2_with_one_line(tmp_path, capsys, make_args, message):
    code = run_mocap(*make_args(tmp_path), "--out", tmp_path / "out.npz")
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("livedance mocap: error: ") and message in err, err
    assert err.count("\n") == 1
    assert not (tmp_path / "out.npz").exists()


# --- a bad file in a batch ------------------------------------------------------------------------
CMU = Path(__file__).resolve().parents[3] / "shared" / "mocap" / "cmu" / "modern"


@pytest.fixture(params=["synth", "cmu"])
def takes(request, tmp_path, dance_bvh):
    """Two good takes to break copies of: the synth dancer's, or real CMU captures where ../shared has them."""
    if request.param == "cmu":
        sources = [CMU / "005_03.bvh", CMU / "005_15.bvh"]
        if not all(p.is_file() for p in sources):
            pytest.skip(f"no CMU motion capture at {CMU} (the project's ../shared/mocap)")
    else:
        sources = [dance_bvh, dance_bvh]
    return [Path(shutil.copy(p, tmp_path / f"good{i}.bvh")) for i, p in enumerate(sources)]


def _motion_at(text: str) -> int:
    return text.index("MOTION")


def cut_motion(text):
    start = _motion_at(text)
    return text[: start + (len(text) - start) // 2]  # mid-line, half the frames gone


def cut_header(text):
    return text[: _motion_at(text) // 2]


def _middle_value(text, value):
    lines = text.split("\n")
    first = text[: _motion_at(text)].count("\n") + 3  # MOTION, Frames:, Frame Time:
    k = (first + len(lines)) // 2
    words = lines[k].split()
    words[len(words) // 2] = value
    lines[k] = " ".join(words)
    return "\n".join(lines)


BAD_TAKES = {
    "cut mid-motion": (cut_motion, r"line \d+: expected \d+ frames as the header says, found \d+"),
    "cut in the header": (cut_header, r"line \d+: expected .+, found the end of the hierarchy"),
    "garbage number": (lambda t: _middle_value(t, "1.2.3e"), r"line \d+: expected a number, found '1\.2\.3e'"),
    "infinite number": (lambda t: _middle_value(t, "1e999"), r"line \d+: expected a number, found '1e999'"),
    "random bytes": (None, r"line 1: expected 'HIERARCHY', found '.{1,130}$"),
}


@pytest.mark.parametrize("breaks, words", BAD_TAKES.values(), ids=BAD_TAKES)
def test_a_bad_take_stops_the_batch_and_keeps_the_takes_before_it(tmp_path, capsys, takes, breaks, words):
    """Stop at the bad file, as ingest does: its line names the file and line, and the dataset of
    the files before it is saved, loadable, and says in its meta that it is incomplete."""
    bad = tmp_path / "bad.bvh"
    if breaks is None:
        bad.write_bytes(np.random.default_rng(0).integers(0, 256, 100_000, np.uint8).tobytes())
    else:
        bad.write_text(breaks(takes[0].read_text()))
    out = tmp_path / "out.npz"
    assert run_mocap(takes[0], bad, takes[1], "--out", out, "--yaws", "0,90") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    line = err.strip()
    assert re.match(rf"livedance mocap: error: {re.escape(str(bad))}: {words}", line.split("; kept")[0]), line
    assert line.endswith(f"; kept the 1 file(s) rendered before it in {out} (its meta says incomplete)"), line
    d = Dataset.load(out)
    assert d.clip_names == ["good0@yaw0", "good0@yaw90"] and len(d.frames) > 0
    assert d.meta["incomplete"]["stopped_at"] == str(bad) and d.meta["incomplete"]["inputs_left"] == 2
    assert [s["file"] for s in d.meta["sources"]] == [str(takes[0])]
    assert not list(tmp_path.glob("*.part*"))  # nothing half-written beside it
