"""`livedance ingest` on real video files written in tmp_path."""

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_silhouette import H, W, dancer_mask, dark_frame, iou, stage_background, stage_frame, work_mask

from livedance import cli
from livedance.data import ingest
from livedance.data.dataset import Dataset
from livedance.data.silhouette import Framer, Mog2Cleaner, ThresholdCleaner
from livedance.errors import LivedanceError

ROOT = Path(__file__).resolve().parents[2]


def cli_main(argv):
    return cli.main(["ingest", *argv])


def write_video(path, seconds, fps, frame_at, size=(W, H)):
    """Write frame_at(t) for t = i / fps; mp4v in .mp4, MJPG in .avi."""
    codec = "mp4v" if str(path).endswith(".mp4") else "MJPG"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, size)
    assert writer.isOpened()
    for i in range(round(seconds * fps)):
        writer.write(frame_at(i / fps))
    writer.release()
    return path


def dark_video(path, seconds=4, fps=30, absent=(), size=(W, H)):
    """The paper's kind of footage; no figure during the (start, end) spans in `absent`."""

    def frame(t):
        if any(a <= t < b for a, b in absent):
            return np.full((size[1], size[0], 3), 232, np.uint8)
        return dark_frame(dancer_mask(t, w=size[0], h=size[1]))

    return write_video(path, seconds, fps, frame, size)


def truth_frames(times):
    """What ingest should give: the drawn silhouettes, cleaned and framed without a codec."""
    cleaner, framer = ThresholdCleaner(), Framer(fps=3)
    return np.stack([framer(cleaner(dark_frame(dancer_mask(t)))) for t in times])


@pytest.mark.parametrize("fps, counts", [(3, (12, 6)), (5, (20, 10))])
def test_two_videos_make_two_clips(tmp_path, capsys, fps, counts):
    a = dark_video(tmp_path / "take one.mp4", seconds=4, fps=30)
    b = dark_video(tmp_path / "b.avi", seconds=2, fps=25)
    out = tmp_path / "data" / "x.npz"
    assert cli_main([str(a), str(b), "--out", str(out), "--fps", str(fps)]) == 0
    d = Dataset.load(out)
    assert d.fps == fps and d.clip_names == ["take one", "b"]
    assert list(d.clip_starts) == [0, counts[0], counts[0] + counts[1]]
    assert d.frames.shape == (sum(counts), 120, 200)
    assert [v["file"] for v in d.meta["videos"]] == [str(a), str(b)]
    assert d.meta["clean"] == "threshold" and d.meta["threshold"] == 230 and d.meta["fps"] == fps
    assert d.meta["videos"][1]["clean"]["threshold"] == 230
    summary = capsys.readouterr().out.strip().splitlines()
    assert len(summary) == 1 and "frames/s" in summary[0] and str(out) in summary[0]


def test_threshold_ingest_matches_the_drawn_figure(tmp_path):
    video = dark_video(tmp_path / "a.mp4", seconds=4, fps=30)
    got = ingest.video_silhouettes(video, 3)
    want = truth_frames(np.arange(12) / 3)
    scores = [iou(g, w) for g, w in zip(got, want)]
    assert got.shape == (12, 120, 200) and got.dtype == np.uint8
    assert min(scores) >= 0.9, scores


def test_mog2_ingest_learns_the_empty_stage(tmp_path):
    rng = np.random.default_rng(0)
    background = stage_background()

    def truth(t):
        return dancer_mask(t) if t >= 1.0 else np.zeros((H, W), np.uint8)

    video = write_video(tmp_path / "stage.mp4", 5, 30, lambda t: stage_frame(truth(t), background, rng))
    out = tmp_path / "x.npz"
    assert cli_main([str(video), "--out", str(out), "--clean", "mog2", "--empty-stage", "1"]) == 0
    d = Dataset.load(out)
    assert len(d.frames) == 12 and d.meta["clean"] == "mog2" and d.meta["videos"][0]["clean"]["method"] == "mog2"
    # Against the drawn figure framed on its own (framing differs a little): close.
    scores = [iou(g, w) for g, w in zip(d.frames, truth_frames(1 + np.arange(12) / 3))]
    assert np.mean(scores) >= 0.85 and min(scores) >= 0.8, scores
    # Through the codec, under the same framing: the masks themselves match.
    cap = cv2.VideoCapture(str(video))
    decoded = [cap.read()[1] for _ in range(150)]
    cleaner, framer = Mog2Cleaner(), Framer(fps=3)
    for frame in decoded[:30]:
        cleaner.learn(frame)
    scores = []
    for i in range(30, 150, 10):
        figure = cleaner(decoded[i])
        got = framer(figure)
        scores.append(iou(got, framer.render(work_mask(truth(i / 30), figure.mask.shape))))
    assert min(scores) >= 0.9, scores
    # No --empty-stage: MOG2 learns the stage from the median of frames spread over the take,
    # and the empty first second is trimmed as frames with no figure.
    assert cli_main([str(video), "--out", str(out), "--clean", "mog2"]) == 0
    d = Dataset.load(out)
    scores = [iou(g, w) for g, w in zip(d.frames, truth_frames(1 + np.arange(12) / 3))]
    assert len(d.frames) == 12 and np.mean(scores) >= 0.8, scores


def test_no_figure_frames_white_inside_trimmed_at_the_ends(tmp_path):
    video = dark_video(tmp_path / "a.mp4", seconds=5, fps=30, absent=[(0, 0.9), (2.0, 3.0), (4.5, 5)])
    frames = ingest.video_silhouettes(video, 3)
    # sampled at 0, 1/3, ..., 14/3: kept from 1.0 to 13/3, white from 2.0 to 2 2/3
    assert len(frames) == 11
    white = [bool((f == 255).all()) for f in frames]
    assert white == [False] * 3 + [True] * 3 + [False] * 5


def cut_off(suffix, keep=0.5, random_rest=False):
    """A 4 s video cut off (or, `random_rest`, overwritten with random bytes) after `keep` of its bytes."""

    def make(p):
        video = dark_video(p.with_suffix(suffix), seconds=4, fps=30)
        data = video.read_bytes()
        end = int(len(data) * keep)
        rest = np.random.default_rng(0).integers(0, 256, len(data) - end, np.uint8).tobytes() if random_rest else b""
        video.write_bytes(data[:end] + rest)
        return video

    return make


def random_bytes(p):
    p.write_bytes(np.random.default_rng(1).integers(0, 256, 200_000, np.uint8).tobytes())
    return p


# (how the bad video is made, what its line says: a regular expression)
STOPPED = r"decoding stopped at [12]\.\d s of the 4\.0 s its header gives; expected the whole video \(the file is cut"
BAD_VIDEOS = {
    "missing": (lambda p: p, r"no such file; expected a video file"),
    "text-renamed-mp4": (lambda p: (p.write_text("not a video at all\n"), p)[1], r"not a readable video"),
    "zero-frames": (
        lambda p: (cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"mp4v"), 30, (64, 64)).release(), p)[1],
        r"not a readable video",
    ),
    "random-bytes": (random_bytes, r"not a readable video \(not a video, or cut short or damaged\)"),
    "cut-off-mp4": (cut_off(".mp4"), r"not a readable video \(not a video, or cut short or damaged\)"),
    "cut-off-avi": (cut_off(".avi"), STOPPED),
    "random-second-half-avi": (cut_off(".avi", random_rest=True), STOPPED),
}


@pytest.mark.parametrize("make_bad, words", BAD_VIDEOS.values(), ids=BAD_VIDEOS)
def test_unreadable_video_stops_and_keeps_earlier_clips(tmp_path, capsys, make_bad, words):
    """Stop at the bad video (a dataset silently short of a take is worse than an error), and
    keep the clips before it, saved and marked incomplete: the line says where."""
    good = dark_video(tmp_path / "good.mp4", seconds=2, fps=30)
    bad = make_bad(tmp_path / "bad.mp4")
    out = tmp_path / "x.npz"
    assert cli_main([str(good), str(bad), str(good), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.match(rf"livedance ingest: error: {re.escape(str(bad))}: {words}", err[0]), err
    assert err[0].endswith(f"; kept the 1 clip(s) ingested before it in {out} (its meta says incomplete)")
    d = Dataset.load(out)
    assert d.clip_names == ["good"] and len(d.frames) == 6
    assert d.meta["incomplete"]["stopped_at"] == str(bad) and d.meta["incomplete"]["inputs_left"] == 2
    assert not list(tmp_path.glob("*.part*"))  # nothing half-written beside it
    # First video bad: nothing to keep, nothing written.
    out.unlink()
    assert cli_main([str(bad), str(good), "--out", str(out)]) == 2
    assert not out.exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--fps", "0"], "--fps"),
        (["--fps", "-3"], "--fps"),
        (["--fps", "nan"], "--fps"),
        (["--fps", "60"], "at most"),  # above the video's 30 frames/s
        (["--threshold", "900"], "--threshold"),
        (["--empty-stage", "-1"], "--empty-stage"),
        (["--out", "x.txt"], ".npz"),
    ],
)
def test_bad_values_rejected(tmp_path, capsys, extra, message):
    video = dark_video(tmp_path / "a.mp4", seconds=1, fps=30, size=(320, 192))
    out = tmp_path / "x.npz"
    assert cli_main([str(video), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_bad_clean_method_rejected(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main(["a.mp4", "--out", str(tmp_path / "x.npz"), "--clean", "grabcut"])
    assert exc.value.code == 2 and "--clean" in capsys.readouterr().err
    with pytest.raises(LivedanceError, match="expected one of threshold, mog2"):
        ingest.video_silhouettes(tmp_path / "a.mp4", 3, clean="grabcut")


def test_video_without_a_figure_is_an_error(tmp_path):
    video = dark_video(tmp_path / "empty.mp4", seconds=1, fps=30, absent=[(0, 1)], size=(320, 192))
    with pytest.raises(LivedanceError, match=r"empty\.mp4: no figure found"):
        ingest.video_silhouettes(video, 3)


def test_last_frames_clean_only_the_tail(tmp_path, monkeypatch):
    """A 40 s video: `last=10` seeks near the end and cleans a few seconds, not all 120 samples."""
    video = dark_video(tmp_path / "long.mp4", seconds=40, fps=10, size=(320, 192))
    full = ingest.video_silhouettes(video, 3)
    calls = []

    class Counting(ThresholdCleaner):
        def __call__(self, frame):
            calls.append(1)
            return super().__call__(frame)

    monkeypatch.setattr(ingest, "make_cleaner", lambda method, threshold=230: Counting(threshold))
    tail = ingest.video_silhouettes(video, 3, last=10)
    assert tail.shape == (10, 120, 200) and len(full) == 120
    assert len(calls) < 40
    assert min(iou(a, b) for a, b in zip(tail, full[-10:])) >= 0.95
    with pytest.raises(LivedanceError, match="last"):
        ingest.video_silhouettes(video, 3, last=0)


def test_sampling_follows_timestamps_at_odd_rates(tmp_path):
    video = dark_video(tmp_path / "a.mp4", seconds=3, fps=25, size=(320, 192))
    assert len(ingest.video_silhouettes(video, 7)) == math.ceil(3 * 7)
    assert len(ingest.video_silhouettes(video, 25)) == 75


@pytest.mark.parametrize("make_bad", [cut_off(".mp4"), cut_off(".avi", random_rest=True)], ids=["moov", "mjpeg"])
def test_ffmpeg_s_own_complaints_stay_off_the_terminal(tmp_path, make_bad):
    """FFmpeg writes 'moov atom not found' or a line per damaged JPEG straight to fd 2; a real
    process shows only livedance's one line."""
    bad = make_bad(tmp_path / "bad")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("OPENCV_FFMPEG_LOGLEVEL", None)
    run = subprocess.run(
        [sys.executable, "-m", "livedance", "ingest", str(bad), "--out", str(tmp_path / "x.npz")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 2 and run.stderr.startswith(f"livedance ingest: error: {bad}: ")
    assert run.stderr.count("\n") == 1, run.stderr
