"""The per-hop analysis on generated sound."""

import math

import numpy as np
import pytest
from music import RATE, clicks, noise, silence

from livedance.audio.analysis import Analyser


def analyse(samples: np.ndarray, block: int = 512, rate: int = RATE) -> list[dict]:
    analyser = Analyser(rate)
    out = []
    for start in range(0, len(samples) - block + 1, block):
        for time in analyser.hops(samples[start : start + block], (start + block) / rate):
            f = analyser.features
            out.append({name: getattr(f, name) for name in f.__slots__} | {"time": time})
    return out


def tone(freq: float, db: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (10 ** (db / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("db", [0.0, -20.0, -50.0])
def test_loudness_is_the_level_in_dbfs(db):
    last = analyse(tone(1000.0, db))[-1]
    assert abs(last["loudness_db"] - db) < 0.5
    assert abs(last["loudness"] - (db + 60) / 60) < 0.01 and last["sounding"]


def test_silence_is_nothing():
    hops = analyse(silence(0.5))
    assert all(h["loudness_db"] == -math.inf and not h["sounding"] for h in hops)
    assert all(h["loudness"] == h["bass"] == h["high"] == h["low_flux"] == h["onset"] == 0 for h in hops)


def test_bands_follow_where_the_sound_is():
    low, high = analyse(tone(70.0, -12.0))[-1], analyse(noise(1.0, 0.05))[-1]
    assert low["bass"] > 0.9 and low["high"] < 0.1
    assert high["high"] > 0.9


def test_hops_are_timed_by_their_newest_sample_whatever_the_block_size():
    for block in (100, 512, 4096):
        times = [h["time"] for h in analyse(silence(0.5), block=block)]
        assert np.allclose(np.diff(times), 256 / RATE) and abs(times[0] - 1024 / 4 / RATE) < 1e-9


def test_an_onset_fires_once_per_click_on_its_rise():
    hops = analyse(clicks(120.0, 4.0))
    fired = [h["time"] for h in hops if h["onset"] > 0]
    assert len(fired) == len(np.arange(0.1, 4.0, 0.5))
    assert all(0 <= t - (0.1 + 0.5 * k) < 0.02 for k, t in enumerate(fired))  # within a few hops of it


def test_the_window_suits_the_rate():
    assert Analyser(44100).window == Analyser(48000).window == 1024
    assert Analyser(22050).window == 512 and Analyser(96000).window == 2048
    with pytest.raises(ValueError):
        Analyser(0)
