"""StageCutout on rendered stage videos whose true silhouettes are known."""

from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from stage_videos import make_stage_video
from videos import read_video

from livedance.camera.stage import PRESENT_AREA, StageCutout, bundle_framing
from livedance.errors import LivedanceError
from livedance.runtime.bundle import CPU, Bundle

FPS = 15
LEARN = 10  # frames of empty stage learned (the video's first second is empty)


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    """A dancer on stage from 1 s, away from 3 s to 4 s: (frames, truth)."""
    path = tmp_path_factory.mktemp("stage") / "stage.avi"
    truth = make_stage_video(path, seconds=5.0, fps=FPS, leave_at=3.0, return_at=4.0, seed=3)
    frames = read_video(path)
    assert len(frames) == len(truth)
    return frames, truth


def run(cutout, frames, start=0):
    """Cut every frame (camera time = frame time): [(mask copy, ink copy, present, area)]."""
    out = []
    for i, frame in enumerate(frames[start:], start):
        c = cutout(frame, i / FPS)
        out.append((c.mask.copy(), c.ink.copy(), c.present, c.area))
    return out


def mask_iou(mask, truth):
    """IoU of a cutout mask with the true mask brought to the same (work) resolution."""
    small = cv2.resize(truth, (mask.shape[1], mask.shape[0]), interpolation=cv2.INTER_AREA) >= 128
    found = mask > 0
    union = np.logical_or(small, found).sum()
    return 1.0 if union == 0 else np.logical_and(small, found).sum() / union


def mean_iou(cuts, truth, start=0):
    scores = [mask_iou(cut[0], truth.masks[i]) for i, cut in enumerate(cuts, start) if truth.present[i]]
    assert len(scores) > 10
    return float(np.mean(scores))


def learned(method, frames, **kwargs):
    cutout = StageCutout(method, **kwargs)
    cutout.learn_empty(LEARN)
    return cutout


@pytest.mark.parametrize("method", ["mog2", "knn", "threshold"])
def test_mask_matches_the_true_silhouette(stage, method):
    frames, truth = stage
    cutout = learned(method, frames)
    cuts = run(cutout, frames)
    assert mean_iou(cuts[LEARN:], truth, LEARN) >= 0.9
    # Framed ink: dancer frames hold a figure of a plausible size, 1 = figure; others are blank.
    for (mask, ink, present, area), there in zip(cuts[LEARN:], truth.present[LEARN:]):
        assert ink.shape == (120, 200) and ink.dtype == np.float32
        assert 0.0 <= ink.min() and ink.max() <= 1.0
        if present:
            assert 0.05 < (ink > 0.5).mean() < 0.6 and ink[0].mean() < 0.2  # a figure, not a band
        else:
            assert not ink.any()


@pytest.mark.parametrize("method", ["mog2", "knn"])
def test_learning_reports_no_figure_then_follows_the_truth(stage, method):
    frames, truth = stage
    cutout = StageCutout(method)
    cutout.learn_empty(LEARN)
    assert cutout.learning
    cuts = run(cutout, frames)
    assert not cutout.learning
    assert not any(present for _, _, present, _ in cuts[:LEARN])
    presents = np.array([present for _, _, present, _ in cuts])
    # Every entrance / exit of the truth is followed within 2 frames; no flicker in between.
    changes = np.flatnonzero(np.diff(truth.present.astype(int))) + 1
    assert len(changes) == 3
    for k in changes:
        assert presents[k + 2] == truth.present[k]
    lag_ok = np.ones(len(truth), bool)
    for k in changes:
        lag_ok[k : k + 2] = False
    assert np.array_equal(presents[LEARN:][lag_ok[LEARN:]], truth.present[LEARN:][lag_ok[LEARN:]])


def test_relearning_the_stage_clears_a_wrongly_learned_one(stage):
    """Learned with the dancer in view, her ghost spoils the masks; relearning while she is
    away (3 s to 4 s) gives clean masks when she returns."""
    frames, truth = stage
    cutout = StageCutout("mog2")
    cutout.learn_empty(LEARN)
    first = 20  # the dancer is there at 20..30: learned as the stage
    ghosted = run(cutout, frames[: 45 + LEARN], first)[LEARN:]
    cutout.learn_empty(LEARN)  # frames 45.. are the empty stage
    run(cutout, frames[: 45 + LEARN], 45)
    after = run(cutout, frames, 45 + LEARN)
    assert mean_iou(after, truth, 45 + LEARN) >= 0.9
    assert mean_iou(ghosted, truth, first + LEARN) < 0.85


def test_mirror_flips_mask_and_ink(stage):
    frames, truth = stage
    plain = run(learned("mog2", frames), frames)
    mirrored = run(learned("mog2", frames, mirror=True), frames)
    for (mask, ink, present, area), (mmask, mink, mpresent, marea) in zip(plain, mirrored):
        assert present == mpresent and area == pytest.approx(marea)
        np.testing.assert_array_equal(mmask, mask[:, ::-1])
        np.testing.assert_allclose(mink, ink[:, ::-1], atol=1e-6)
    assert any(not np.array_equal(m[0], m[0][:, ::-1]) for m in plain[20:25])


def test_close_framing_looks_like_the_training_frames(stage):
    """As body.render frames mocap and synth data: head near the top, legs cut by the bottom
    edge, the figure as big as the shipped model's training figures (1500..4000 pixels)."""
    frames, truth = stage
    cuts = run(learned("mog2", frames, framing="close"), frames)
    inks = np.stack([ink for _, ink, present, _ in cuts if present]) > 0.5
    assert len(inks) > 20
    top = np.array([np.flatnonzero(ink.any(1))[0] for ink in inks])
    assert 1 <= np.median(top) <= 15
    assert inks[:, -1].any(1).mean() > 0.9  # legs run off the bottom edge
    assert 1500 <= np.median(inks.sum((1, 2))) <= 4000
    full = np.stack([ink for _, ink, present, _ in run(learned("mog2", frames), frames) if present]) > 0.5
    assert not full[:, -1].any(1).mean() > 0.1  # the full framing shows the feet


@pytest.mark.parametrize(
    "data, framing",
    [
        ([{"meta": {"kind": "mocap", "framing": "close"}}, {"meta": {"kind": "synth", "framing": "close"}}], "close"),
        ([{"meta": {"kind": "mocap", "framing": "close"}}, {"meta": {"source": "ingest", "videos": []}}], "full"),
        ([{"meta": {"kind": "synth", "framing": "full"}}], "full"),
        (None, "full"),
    ],
)
def test_bundle_framing_follows_the_training_data(data, framing):
    assert bundle_framing(SimpleNamespace(manifest={"data": data})) == framing


def test_shipped_bundle_was_trained_on_close_frames():
    assert bundle_framing(Bundle.load("models/default", providers=[CPU])) == "close"


def test_threshold_finds_nothing_on_a_light_stage_when_set_too_low(stage):
    frames, truth = stage
    cuts = run(StageCutout("threshold", threshold=60), frames)  # R+G+B under 60: darker than the clothing
    assert not any(present for _, _, present, _ in cuts)
    assert all(area <= PRESENT_AREA for *_, area in cuts)


# --- segmenter --------------------------------------------------------------------------
def darkness_model(path, layout, size):
    """A tiny 'person segmentation' network: the figure is what is clearly darker than the
    stage, person = 0.9 - mean(R, G, B) (over 0.5 below 40% grey). `size` None: dynamic
    height and width."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    h, w = size or ("height", "width")
    shape, axis = ([1, 3, h, w], 1) if layout == "nchw" else ([1, h, w, 3], 3)
    out_shape = [1, 1, h, w] if layout == "nchw" else [1, h, w, 1]
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["image"], ["mean"], axes=[axis], keepdims=1),
            helper.make_node("Sub", ["cut", "mean"], ["person"]),
        ],
        "darkness",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("person", TensorProto.FLOAT, out_shape)],
        [helper.make_tensor("cut", TensorProto.FLOAT, [], [0.9])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("layout, size", [("nchw", (192, 320)), ("nhwc", (96, 160)), ("nchw", None)])
def test_segmenter_network_cuts_out_the_figure(stage, tmp_path, layout, size):
    frames, truth = stage
    model = darkness_model(tmp_path / "person.onnx", layout, size)
    cutout = StageCutout("segmenter", segmenter=str(model))
    assert not cutout.learning
    cuts = run(cutout, frames)
    assert mean_iou(cuts, truth) >= (0.85 if size == (96, 160) else 0.9)
    assert [present for _, _, present, _ in cuts][16:44] == [True] * 28
    assert not any(present for _, _, present, _ in cuts[:14])


@pytest.mark.parametrize(
    "content",
    [b"", b"not an onnx file at all", None],
    ids=["empty", "garbage", "missing"],
)
def test_unreadable_segmenter_is_a_one_line_error(tmp_path, content):
    path = tmp_path / "person.onnx"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LivedanceError) as info:
        StageCutout("segmenter", segmenter=str(path))
    message = str(info.value)
    assert "\n" not in message and str(path) in message


def test_segmenter_without_an_image_input_is_refused(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "flat",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = tmp_path / "flat.onnx"
    onnx.save(model, str(path))
    with pytest.raises(LivedanceError, match="expected one image input") as info:
        StageCutout("segmenter", segmenter=str(path))
    assert "\n" not in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "grabcut"}, "expected one of mog2, knn, threshold, segmenter"),
        ({"method": "segmenter"}, "expected --segmenter"),
        ({"framing": "wide"}, "expected one of full, close"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(LivedanceError, match=message):
        StageCutout(**kwargs)
