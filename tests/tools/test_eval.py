import json
import shutil

import cv2
import numpy as np
import pytest

from livedance.cli import main
from livedance.data.dataset import Dataset
from livedance.runtime.bundle import Bundle
from livedance.runtime.frames import from_ink
from livedance.runtime.generate import Rollout
from livedance.tools import metrics

KEYS = {
    "model",
    "data",
    "provider",
    "held_out",
    "reconstruction_iou",
    "next_step",
    "unseen",
    "generation",
    "crispness",
    "passed",
    "seconds",
}
GENERATION_KEYS = {
    "steps",
    "seeds",
    "noise",
    "mean_pull",
    "warmup_steps",
    "minute_steps",
    "minutes",
    "motion",
    "coherence",
    "plausible_share",
    "data_plausible_share",
    "area_range",
    "diversity",
    "soft_edge_ratio",
    "display",
    "resets",
}
PASSED = {
    "beats_copy_last",
    "beats_copy_last_unseen",
    "holds_together",
    "realistic",
    "keeps_moving",
    "motion_like_data",
    "never_still",
    "plausible",
    "crisp",
}


def make_data(bundle_dir, path, names=None, fps=None):
    """Three 40-frame clips danced by the bundle itself (any bundle will do), at its step rate."""
    bundle = Bundle.load(bundle_dir)
    held = list(bundle.manifest.get("validation_clips") or ["held"])[:1]
    names = names or held + ["train_a", "train_b"]
    clips = []
    for seed in range(len(names)):
        rollout = Rollout(bundle)
        rollout.seed_random(100 + seed)
        clips.append(from_ink(bundle.decode(bundle.denormalise(rollout.run(40)[:, 0]))))
    return Dataset.from_clips(clips, names, fps or bundle.step_rate).save(path)


@pytest.fixture(scope="module")
def data_path(bundle_dir, tmp_path_factory):
    return make_data(bundle_dir, tmp_path_factory.mktemp("data") / "dance.npz")


def eval_args(bundle_dir, data_path, *extra):
    return ["eval", "--model", str(bundle_dir), "--data", str(data_path), "--steps", "30", "--seeds", "3", *extra]


def test_json_report(bundle_dir, data_path, capsys):
    assert main(eval_args(bundle_dir, data_path, "--json")) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == KEYS
    assert set(report["generation"]) == GENERATION_KEYS
    assert report["held_out"]["source"] == "validation_clips" and report["held_out"]["frames"] == 40
    assert 0 <= report["reconstruction_iou"] <= 1
    assert report["next_step"]["windows"] == 30 and 0 <= report["next_step"]["copy_last_iou"] <= 1
    generation = report["generation"]
    assert generation["steps"] == 30 and generation["seeds"] == 3 and generation["minutes"] == 1
    assert generation["motion"]["relative_min_minute"] > 0
    assert 0 <= generation["plausible_share"] <= 1 and generation["diversity"]["between_seeds"] > 0
    display = generation["display"]
    # 29 steps after the first at 12 steps/s, drawn at 60 fps: every displayed frame, in-betweens included
    assert display["fps"] == 60 and display["frames_per_seed"] == int(29 / 12 * 60)
    assert len(display["broken_per_seed"]) == 3 and 0 <= display["broken_worst"] <= 1
    assert display["realism_held_out"]["frames"] == 40 and 0 < display["realism_held_out"]["p5"] <= 1
    assert set(report["passed"]) == PASSED and report["unseen"] is None


def test_table_and_all_clips_fallback(bundle_dir, tmp_path, capsys):
    data = make_data(bundle_dir, tmp_path / "other.npz", names=["x", "y"])
    assert main(eval_args(bundle_dir, data)) == 0
    out = capsys.readouterr().out
    assert "reconstruction IoU" in out and "next-step IoU" in out and "plausible figures" in out
    assert "all clips: none of the manifest's validation_clips is in the data" in out


def test_noise_override(bundle_dir, data_path, capsys):
    assert main(eval_args(bundle_dir, data_path, "--json", "--noise", "0")) == 0
    assert json.loads(capsys.readouterr().out)["generation"]["noise"] == 0


def test_write_manifest(bundle_dir, data_path, tmp_path, capsys):
    model = tmp_path / "model"
    shutil.copytree(bundle_dir, model)
    assert main(eval_args(model, data_path, "--json", "--write-manifest")) == 0
    printed = json.loads(capsys.readouterr().out)
    stored = json.loads((model / "manifest.json").read_text())
    assert stored["eval"] == printed and stored["latent_dim"] == 128
    Bundle.load(model)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--steps", "1"], "--steps 1: expected at least 2"),
        (["--fps", "0"], "--fps 0: expected a positive frame rate"),
        (["--unseen", "no_such_dancer.npz"], "no_such_dancer.npz: no such dataset file"),
        (["--seeds", "0"], "--seeds 0: expected 1 to 256"),
        (["--noise", "-2"], "--noise -2"),
        (["--model", "no/such/model"], "no/such/model: no such model bundle folder"),
        (["--data", "no_such_data.npz"], "no_such_data.npz: no such dataset file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(bundle_dir, data_path, capsys, extra, message):
    assert main(eval_args(bundle_dir, data_path) + extra) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("livedance eval: error: ") and message in err and "\n" not in err


def test_unseen_dancer_gets_its_own_next_step_figure(bundle_dir, data_path, tmp_path, capsys):
    other = make_data(bundle_dir, tmp_path / "other.npz", names=["x", "y"])
    assert main(eval_args(bundle_dir, data_path, "--json", "--unseen", str(other))) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["unseen"]["data"] == str(other) and report["unseen"]["frames"] == 80
    assert report["unseen"]["next_step"]["windows"] == 60
    assert report["passed"]["beats_copy_last_unseen"] in (True, False)


def test_data_at_another_rate(bundle_dir, tmp_path, capsys):
    data = make_data(bundle_dir, tmp_path / "slow.npz", fps=Bundle.load(bundle_dir).step_rate / 4)
    assert main(eval_args(bundle_dir, data)) == 2
    assert "expected the model's step rate" in capsys.readouterr().err


# --- the measures themselves -------------------------------------------------------------------
def _blob(x, y, radius=10, size=(60, 80)):
    yy, xx = np.mgrid[0 : size[0], 0 : size[1]]
    return (xx - x) ** 2 + (y - yy) ** 2 <= radius**2


def test_plausibility_rule():
    one = _blob(40, 30)
    two = _blob(20, 30) | _blob(60, 30)
    tiny = _blob(40, 30, radius=2)
    masks = np.stack([one, two, tiny, np.zeros_like(one)])
    allowed = metrics.area_range(metrics.areas(np.stack([one] * 10)))
    assert metrics.plausible(masks, allowed).tolist() == [True, False, False, False]
    np.testing.assert_allclose(metrics.main_shape_share(masks[:2]), [1.0, 0.5])


def test_motion_coherence_and_diversity():
    walk = np.stack([_blob(10 + 2 * t, 30) for t in range(30)])  # going somewhere
    jitter = np.stack([_blob(40 + (t % 2) * 2, 30) for t in range(30)])  # trembling on the spot
    frozen = np.stack([_blob(40, 30)] * 30)
    ink = np.stack([walk, jitter, frozen], axis=1).astype(np.float32)  # (steps, dancers, H, W)
    stats = metrics.GenerationStats(dancers=3, lag=3, allowed_area=(0, 1e9))
    for first in range(0, 30, 7):  # in uneven chunks, as eval streams them
        stats.add(ink[first : first + 7])
    motion = stats.motion_per_step()
    assert motion.shape == (29, 3)
    assert motion[:, 0].min() > 0 and motion[:, 1].min() > 0 and motion[:, 2].max() == 0
    per_minute = metrics.minute_motion(motion, minute_steps=100, reference=float(np.median(motion[:, 0])))
    assert per_minute.shape == (1, 3) and per_minute[0, 0] == 1.0 and per_minute[0, 2] == 0.0
    walker = metrics.GenerationStats(1, 3, (0, 1e9))
    walker.add(walk[:, None].astype(np.float32))
    trembler = metrics.GenerationStats(1, 3, (0, 1e9))
    trembler.add(jitter[:, None].astype(np.float32))
    assert walker.coherence() > 2 > 1.2 > trembler.coherence()
    assert stats.mean_diversity() > 0
    same = np.stack([frozen, frozen], axis=1).reshape(30, 2, -1)
    np.testing.assert_allclose(metrics.pairwise_dissimilarity(same), 0.0)


def test_video_breakage_counts_the_broken_frames_of_a_real_file(tmp_path, capsys):
    """A recorded show (dark figure on white, letterboxed): 10 whole frames, then 5 with a
    floating blob; eval --video finds exactly those."""
    frames = []
    for i in range(15):
        canvas = np.full((360, 640, 3), 255, np.uint8)
        cv2.ellipse(canvas, (320, 190), (40, 150), 0, 0, 360, (0, 0, 0), -1)  # a body
        if i >= 10:
            cv2.circle(canvas, (470, 60), 22, (0, 0, 0), -1)  # a limb floating beside it
        frames.append(canvas)
    path = tmp_path / "show.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 360))
    for frame in frames:
        writer.write(frame)
    writer.release()
    assert main(["eval", "--video", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 15 and report["broken_frames"] == 5 and report["longest_broken_frames"] == 5


def test_video_that_is_not_one_is_a_one_line_error(tmp_path, capsys):
    junk = tmp_path / "junk.mkv"
    junk.write_bytes(b"not a video")
    assert main(["eval", "--video", str(junk)]) == 2
    err = capsys.readouterr().err.strip()
    assert "junk.mkv" in err and "\n" not in err
