"""The beat tracker on generated music, block by block as the audio thread feeds it (no threads here)."""

import numpy as np
import pytest
from music import RATE, beat_error, clicks, kick_and_hat, noise, silence

from livedance.audio.analysis import Analyser
from livedance.audio.beat import BeatConfig, BeatTracker

BLOCK = 512


def track(samples: np.ndarray, config: BeatConfig | None = None):
    """Feed `samples` through the analysis and the tracker; (tracker, beats)."""
    analyser = Analyser(RATE)
    tracker = BeatTracker(analyser.hop_seconds, config)
    beats = []
    for start in range(0, len(samples) - BLOCK + 1, BLOCK):
        for time in analyser.hops(samples[start : start + BLOCK], (start + BLOCK) / RATE):
            f = analyser.features
            beat = tracker.push(f.low_flux, time, f.sounding, f.bass)
            if beat is not None:
                beats.append(beat)
    return tracker, beats


@pytest.mark.parametrize("bpm", [128.0, 100.0, 160.0, 90.0])
def test_a_click_track_locks_to_its_tempo_and_phase(bpm):
    tracker, beats = track(clicks(bpm, 8.0))
    assert tracker.locked and abs(tracker.bpm / bpm - 1) < 0.01
    late = [b for b in beats if b.time >= 4.0]
    assert len(late) >= int(3.5 * bpm / 60)
    assert max(abs(beat_error(b.time, bpm)) for b in late) < 0.03
    assert all(b - a > 0.5 * 60 / bpm for a, b in zip([b.time for b in beats], [b.time for b in beats][1:]))


def test_it_locks_within_three_seconds():
    _, beats = track(clicks(128.0, 6.0))
    assert beats and beats[0].time < 3.0


@pytest.mark.parametrize("bpm", [128.0, 150.0])
def test_a_kick_with_an_off_beat_hi_hat_locks_on_the_kick(bpm):
    tracker, beats = track(kick_and_hat(bpm, 8.0))
    assert tracker.locked and abs(tracker.bpm / bpm - 1) < 0.01
    errors = [beat_error(b.time, bpm) for b in beats if b.time >= 4.0]
    # Half a beat off would be +-0.234 s at 128 BPM; on the kick is within 30 ms.
    assert errors and max(abs(e) for e in errors) < 0.03, errors


@pytest.mark.parametrize("sound", [silence(8.0), noise(8.0)], ids=["silence", "noise"])
def test_silence_and_noise_never_lock(sound):
    tracker, beats = track(sound)
    assert not tracker.locked and beats == []


def test_the_lock_is_lost_when_the_music_stops():
    tracker, beats = track(np.concatenate([clicks(128.0, 6.0), silence(7.0)]))
    assert not tracker.locked
    assert beats and max(b.time for b in beats) < 6.0 + 1.1  # a second of silence unlocks


def test_the_downbeat_candidate_is_the_accented_beat():
    _, beats = track(kick_and_hat(128.0, 12.0, kick_accent_every=4))
    downbeats = [b for b in beats if b.downbeat and b.time >= 6.0]
    assert downbeats
    beat = 60.0 / 128.0
    for b in downbeats:  # the loud kicks are beats 0, 4, 8 ... of the track
        assert round((b.time - 0.1) / beat) % 4 == 0


def test_a_bad_config_is_refused():
    with pytest.raises(ValueError):
        BeatConfig(min_bpm=170, max_bpm=85)
    with pytest.raises(ValueError):
        BeatTracker(0.0)
