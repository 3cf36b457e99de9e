import sys

import av
import cv2
import numpy as np
import pytest
from videos import read_video

from livedance.cli import main
from livedance.runtime.bundle import Bundle
from livedance.runtime.frames import from_ink
from livedance.runtime.generate import Rollout
from livedance.tools import render


def render_args(bundle_dir, out, *extra):
    return [
        "render",
        "--model",
        str(bundle_dir),
        "--seconds",
        "1",
        "--fps",
        "12",
        "--size",
        "320x240",
        "--out",
        str(out),
        *extra,
    ]


@pytest.fixture(scope="module")
def rendered(bundle_dir, tmp_path_factory):
    """Videos rendered once and shared: seed 3 twice, seed 4, seed 3 inverted, seed 3 coloured."""
    folder = tmp_path_factory.mktemp("videos")
    videos = {}
    for name, extra in {
        "a": ["--seed", "3"],
        "again": ["--seed", "3"],
        "other": ["--seed", "4"],
        "inverted": ["--seed", "3", "--invert"],
        "coloured": ["--seed", "3", "--fg", "#ff0066", "--bg", "#000080"],
    }.items():
        out = folder / f"{name}.mp4"
        assert main(render_args(bundle_dir, out, *extra)) == 0
        videos[name] = read_video(out)
    return videos


def test_frame_count_size_and_no_leftovers(rendered, bundle_dir, tmp_path, capsys):
    assert rendered["a"].shape == (12, 240, 320, 3)
    out = tmp_path / "clip.avi"
    assert main(render_args(bundle_dir, out, "--fps", "10", "--seconds", "1.5", "--size", "200x120")) == 0
    assert read_video(out).shape == (15, 120, 200, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["clip.avi"]
    assert "codec mjpeg" in capsys.readouterr().out


def test_same_seed_same_video(rendered):
    np.testing.assert_array_equal(rendered["a"], rendered["again"])
    assert np.abs(rendered["a"].astype(int) - rendered["other"]).mean() > 1.0


def test_invert_swaps_figure_and_background(rendered):
    normal, inverted = rendered["a"].astype(int), rendered["inverted"].astype(int)
    assert normal.mean() > 128 > inverted.mean()  # a small dark figure on white, then a white one on black
    assert np.abs(inverted - (255 - normal)).mean() < 4  # the same picture, tones swapped (codec noise aside)


def test_colours_and_letterbox(rendered):
    frames = rendered["coloured"].astype(int)  # BGR
    bar = frames[:, :16]  # 320x240 holds a 320x192 picture: 24-pixel bars above and below
    assert np.abs(bar - [128, 0, 0]).max() < 12
    figure = frames[(frames[..., 2] > 200)]
    assert len(figure) > 100
    assert np.abs(np.median(figure, axis=0) - [102, 0, 255]).max() < 20


def test_first_frame_continues_the_given_latents(bundle_dir):
    bundle = Bundle.load(bundle_dir)
    start = bundle.encode(np.random.default_rng(0).random((10, 120, 200, 1), dtype=np.float32))
    latents = render.dance_latents(bundle, frames=25, fps=30, seed=1, start=start)
    assert latents.shape == (25, 128)
    np.testing.assert_allclose(latents[0], start[-1], rtol=1e-4, atol=1e-4)


def test_crash_leaves_no_file(bundle_dir, tmp_path):
    bundle = Bundle.load(bundle_dir)
    calls = []

    def failing_decode(latents):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("boom")
        return Bundle.decode(bundle, latents)

    bundle.decode = failing_decode
    with pytest.raises(RuntimeError):
        render.render_video(bundle, tmp_path / "out.mp4", seconds=4, fps=30, size=(64, 48), progress=False)
    assert list(tmp_path.iterdir()) == []


def write_dancer_video(bundle_dir, path, steps):
    """A video of a dark dancer on white at 12 frames/s, made with the bundle itself."""
    bundle = Bundle.load(bundle_dir)
    rollout = Rollout(bundle)
    rollout.seed_random(11)
    frames = from_ink(bundle.decode(bundle.denormalise(rollout.run(steps)[:, 0])))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 12.0, (400, 240))
    for frame in frames:
        writer.write(cv2.cvtColor(cv2.resize(frame, (400, 240)), cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


@pytest.fixture
def dancer_video(bundle_dir, tmp_path):
    return write_dancer_video(bundle_dir, tmp_path / "dancer.avi", 36)


def test_continue_from_a_video(bundle_dir, dancer_video, tmp_path, capsys):
    out = tmp_path / "continued.mp4"
    assert main(render_args(bundle_dir, out, "--continue-from", str(dancer_video))) == 0
    assert read_video(out).shape == (12, 240, 320, 3)
    assert f"continuing {dancer_video}" in capsys.readouterr().out


def test_continue_from_too_short_a_video(bundle_dir, tmp_path, capsys):
    short = write_dancer_video(bundle_dir, tmp_path / "short.avi", 4)
    assert main(render_args(bundle_dir, tmp_path / "x.mp4", "--continue-from", str(short))) == 2
    err = capsys.readouterr().err.strip()
    assert "at 12 steps/s; expected at least 10" in err and "\n" not in err
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--size", "12x"], "--size '12x': expected WIDTHxHEIGHT"),
        (["--size", "321x240"], "expected even sides"),
        (["--fg", "nocolour"], "--fg 'nocolour': expected a colour name"),
        (["--bg", "#12345"], "--bg '#12345'"),
        (["--seconds", "0"], "--seconds 0: expected a positive length"),
        (["--fps", "-5"], "--fps -5"),
        (["--noise", "-1"], "--noise -1"),
        (["--model", "no/such/model"], "no/such/model: no such model bundle folder"),
        (["--out", "dance.gif"], "dance.gif: unsupported video type"),
        (["--continue-from", "no_such_video.mp4"], "no_such_video.mp4: no such video file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(bundle_dir, tmp_path, capsys, extra, message):
    argv = render_args(bundle_dir, tmp_path / "out.mp4") + extra
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("livedance render: error: ") and message in err and "\n" not in err


@pytest.mark.parametrize(
    "text, bgr", [("black", (0, 0, 0)), ("White", (255, 255, 255)), ("#ff0066", (102, 0, 255)), ("#0f0", (0, 255, 0))]
)
def test_parse_colour(text, bgr):
    assert render.parse_colour(text) == bgr


def test_players_never_import_tensorflow(bundle_dir):
    import subprocess

    code = (
        "import sys\n"
        "from livedance.runtime import bundle\n"
        "from livedance.tools import render\n"
        f"b = bundle.Bundle.load({str(bundle_dir)!r})\n"
        "render.dance_latents(b, frames=5, fps=30, seed=0)\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras', 'tf2onnx'})\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("out", "codec", "said"),
    [("take.mkv", "ffv1", "codec ffv1"), ("take.mov", None, "codec prores4444"), ("take.mp4", None, "codec h264")],
)
def test_the_codec_follows_the_file_type_or_the_flag(bundle_dir, tmp_path, capsys, out, codec, said):
    extra = ["--codec", codec] if codec else []
    assert main(render_args(bundle_dir, tmp_path / out, *extra)) == 0
    assert said in capsys.readouterr().out
    assert len(read_video(tmp_path / out)) == 12


def test_a_codec_the_file_type_cannot_hold_is_one_line(bundle_dir, tmp_path, capsys):
    assert main(render_args(bundle_dir, tmp_path / "take.mp4", "--codec", "ffv1")) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--codec ffv1: .mp4 files take" in err


def test_a_keyed_render_keeps_the_figure_s_alpha(bundle_dir, tmp_path, capsys):
    out = tmp_path / "key.mov"
    assert main(render_args(bundle_dir, out, "--alpha", "--fg", "white")) == 0
    with av.open(str(out)) as file:
        frames = [f.to_ndarray(format="bgra") for f in file.decode(video=0)]
    alpha = np.array([f[..., 3] for f in frames])
    assert len(frames) == 12 and alpha.max() == 255 and alpha[:, 0, 0].max() == 0  # the figure in, the ground clear
    assert np.all(np.array([f[..., :3][f[..., 3] == 255] for f in frames][0]) >= 250)  # in its colour


def test_alpha_in_a_file_that_cannot_carry_it_is_one_line(bundle_dir, tmp_path, capsys):
    assert main(render_args(bundle_dir, tmp_path / "key.mp4", "--alpha")) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--alpha: h264 in .mp4 has no alpha channel" in err and not list(tmp_path.iterdir())
