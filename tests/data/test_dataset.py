import numpy as np
import pytest

from livedance.data.dataset import Dataset, concat
from livedance.errors import LivedanceError


def make(n_clips=2, n=5, fps=12.0):
    clips = [np.full((n, 120, 200), 255 - i, np.uint8) for i in range(n_clips)]
    return Dataset.from_clips(clips, [f"c{i}" for i in range(n_clips)], fps, {"kind": "test"})


def test_roundtrip(tmp_path):
    d = make()
    path = d.save(tmp_path / "d.npz")
    e = Dataset.load(path)
    assert e.frames.shape == (10, 120, 200)
    assert e.clip_names == ["c0", "c1"]
    assert e.fps == 12.0 and e.meta == {"kind": "test"}
    assert e.content_hash() == d.content_hash()


def test_windows_never_straddle_clips():
    d = make(n=5)
    starts = d.window_starts(4)
    assert list(starts) == [0, 1, 5, 6]


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: None, "no such dataset file"),
        (lambda p: p.write_text("junk"), "not a livedance dataset"),
        (lambda p: np.savez(p, x=np.zeros(3)), "not a livedance dataset"),
    ],
)
def test_load_errors(tmp_path, setup, message):
    path = tmp_path / "bad.npz"
    setup(path)
    with pytest.raises(LivedanceError, match=message):
        Dataset.load(path)


def test_concat_rejects_mixed_rates():
    with pytest.raises(LivedanceError, match="different frame rates"):
        concat([make(fps=12), make(fps=3)])
    assert concat([make(), make()]).num_clips == 4
