"""The `live` command as a user runs it: flags, the headless fallback, one-line errors."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"

import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest
from videos import read_video
from waiting import wait_until

from livedance.cli import main  # noqa: E402
from livedance.live import keys  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "models" / "default")
README = ROOT / "README.md"


def test_headless_run_writes_a_video_that_moves(tmp_path, capsys):
    out = tmp_path / "run.avi"
    args = [
        "live",
        "--model",
        MODEL,
        "--headless",
        "--seconds",
        "1",
        "--fps",
        "20",
        "--size",
        "320x240",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "played" in printed and f"wrote {out}" in printed
    frames = read_video(out)
    assert 17 <= len(frames) <= 20  # a slot missed on a busy machine is repeated, so ~20 either way
    assert frames[0].shape == (240, 320, 3)
    assert np.abs(frames[0].astype(int) - frames[-1]).mean() > 0.5  # the dancer moved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.avi", "run.jsonl"]  # the video and its control log


def test_keys_prints_the_table_and_the_readme_lists_it(capsys):
    assert main(["live", "--keys"]) == 0
    printed = capsys.readouterr().out
    for binding in keys.BINDINGS:
        assert binding.label in printed and binding.help in printed
    assert keys.markdown_keys() in README.read_text()


def test_no_display_runs_headless_to_a_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["live", "--model", MODEL, "--seconds", "0.3", "--fps", "20", "--size", "160x120"]) == 0
    assert "no display here" in capsys.readouterr().out
    assert len(read_video(tmp_path / "livedance.mp4")) >= 4


def test_missing_or_broken_bundle_is_one_line(tmp_path, capsys):
    assert main(["live", "--model", str(tmp_path / "nope"), "--headless", "--seconds", "0.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(tmp_path / "nope") in err

    broken = tmp_path / "broken"
    shutil.copytree(MODEL, broken)
    (broken / "decoder.onnx").write_bytes(b"not a network")
    assert main(["live", "--model", str(broken), "--headless", "--seconds", "0.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "decoder.onnx" in err


def test_bad_arguments_are_one_line(capsys):
    assert main(["live", "--headless", "--fps", "0", "--out", "x.mp4"]) == 2
    assert main(["live", "--headless", "--dancers", "0"]) == 2
    assert main(["live", "--headless", "--size", "12x9"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 3


def test_a_show_killed_20_s_into_an_mp4_recording_leaves_18_s_that_play(tmp_path):
    """Fragmented MP4: whatever kills the process, the file plays up to its last whole second."""
    video, fps = tmp_path / "show.mp4", 15
    command = [sys.executable, "-m", "livedance", "live", "--model", MODEL, "--headless", "--seconds", "60"]
    command += ["--fps", str(fps), "--size", "320x240", "--record", str(video), "--no-osc", "--no-midi"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = video.with_suffix(".jsonl")
    try:
        # The control log ticks once a second of show: kill it 20 s in.
        wait_until(lambda: log.exists() and f'"type":"tick","frame":{20 * fps}}}' in log.read_text(), 90, 0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    unfinished = tmp_path / "show.recording.mp4"
    assert unfinished.exists() and not video.exists()
    assert len(read_video(unfinished)) >= 18 * fps


def test_outputs_that_cannot_run_here_are_said_in_one_line_and_the_show_plays(tmp_path, capsys):
    args = ["live", "--model", MODEL, "--headless", "--seconds", "0.5", "--fps", "20", "--size", "160x120"]
    args += ["--out", str(tmp_path / "show.mkv"), "--syphon", "stage", "--spout", "stage", "--no-osc", "--no-midi"]
    assert main(args) == 0
    captured = capsys.readouterr()
    refusals = captured.err.strip().splitlines()
    assert [line.split(":")[1].strip() for line in refusals] == ["--syphon", "--spout"]
    assert all(line.endswith("playing on without it") for line in refusals)
    assert "played 10 frames" in captured.out and len(read_video(tmp_path / "show.mkv")) == 10


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--ndi", "stage,size=big"], "--ndi size= 'big': expected WIDTHxHEIGHT"),
        (["--ndi", "stage,fps=90"], "--ndi 'stage,fps=90': fps=90 is above the show's 20"),
        (["--virtualcam", ",alpha=perhaps"], "alpha='perhaps': expected on or off"),
        (["--ndi", "stage", "--out-size", "641x480"], "--out-size '641x480': expected even sides"),
    ],
)
def test_a_mistyped_output_option_stops_the_start_in_one_line(tmp_path, capsys, flags, words):
    args = ["live", "--model", MODEL, "--headless", "--seconds", "0.5", "--fps", "20", "--size", "160x120"]
    assert main([*args, "--no-osc", "--no-midi", *flags]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0], err


def test_web_without_its_extra_is_one_line_and_the_show_plays(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "websockets.sync.server", None)  # as if the web extra were not installed
    args = ["live", "--model", MODEL, "--headless", "--seconds", "0.5", "--fps", "20", "--size", "160x120"]
    args += ["--out", str(tmp_path / "show.mkv"), "--web", "0", "--no-osc", "--no-midi"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.err.strip() == (
        "livedance live: --web: needs the web extra: pip install 'livedance[web]'; going on without the control page"
    )
    assert "played 10 frames" in captured.out


def test_web_prints_the_page_s_address(tmp_path, capsys):
    args = ["live", "--model", MODEL, "--headless", "--seconds", "0.2", "--fps", "20", "--size", "160x120"]
    args += ["--out", str(tmp_path / "show.mkv"), "--web", "127.0.0.1:0", "--no-osc", "--no-midi"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "livedance live: control page at http://127.0.0.1:" in captured.out and captured.err == ""
    assert "preview web:" in captured.out  # the preview sink's line in the summary
