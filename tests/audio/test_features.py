"""Audio features played through a patch's audio lines onto a real control bus."""

import numpy as np
import pytest
from music import RATE, clicks, kick_and_hat, ramp, silence

from livedance.audio.analysis import Analyser
from livedance.audio.beat import BeatTracker
from livedance.audio.features import FeatureControls, Follower
from livedance.control.controls import ControlBus
from livedance.control.patch import Patch

BLOCK = 512


def play(lines: str, samples: np.ndarray) -> list:
    """Run `samples` through the analysis, the tracker and a patch of `lines`; the controls offered."""
    patch = Patch.from_text(f"controls = [\n{lines}\n]")
    bus = ControlBus()
    analyser = Analyser(RATE)
    tracker = BeatTracker(analyser.hop_seconds)
    controls = FeatureControls(patch.audio_mappings(), bus, analyser.hop_seconds)
    f = analyser.features
    for start in range(0, len(samples) - BLOCK + 1, BLOCK):
        heard = (start + BLOCK) / RATE
        for time in analyser.hops(samples[start : start + BLOCK], heard):
            controls.hop(f)
            beat = tracker.push(f.low_flux, time, f.sounding, f.bass)
            if beat is not None:
                controls.beat(beat)
        controls.offer_levels(heard)
    return bus.drain([])


def test_a_loudness_ramp_moves_its_parameter_monotonically():
    sent = play('{ audio = "loudness", param = "scale", range = [0.5, 1.5] }', ramp(4.0))
    values = [c.value for c in sent if c.name == "scale"]
    assert len(values) > 50 and all(c.source == "audio" for c in sent)
    assert all(b >= a for a, b in zip(values, values[1:]))
    assert values[0] < 0.65 and values[-1] > 1.35  # -55 dBFS up to -3 dBFS: most of the range


def test_invert_turns_it_round():
    values = [c.value for c in play('{ audio = "loudness", param = "scale", invert = true }', ramp(3.0))]
    assert all(b <= a for a, b in zip(values, values[1:])) and values[-1] < values[0]


def test_silence_offers_nothing():
    lines = """{ audio = "loudness", param = "temperature" },
    { audio = "bass", param = "scale" },
    { audio = "onset", param = "perturb" },
    { audio = "beat", param = "accent" },"""
    assert play(lines, silence(4.0)) == []


def test_onsets_and_beats_fire_triggers():
    lines = """{ audio = "onset", param = "perturb", range = [0.5, 1.0] },
    { audio = "beat", param = "accent" },
    { audio = "downbeat", param = "accent", amount = 1.0 },"""
    sent = play(lines, kick_and_hat(128.0, 8.0))
    perturbs = [c for c in sent if c.name == "perturb"]
    accents = [c for c in sent if c.name == "accent"]
    assert len(perturbs) >= 20 and all(0.5 <= c.value <= 1.0 for c in perturbs)  # kicks and hats
    assert len(accents) >= 10 and any(c.value == 1.0 for c in accents)
    beats = sorted(c.received for c in accents if c.value != 1.0 and c.received > 4.0)  # settled
    assert all(abs(b - a - 60 / 128) < 0.01 for a, b in zip(beats, beats[1:]))


def test_sensitivity_zero_fires_nothing_and_a_level_into_a_trigger_fires_on_the_rise():
    assert play('{ audio = "onset", param = "perturb", sensitivity = 0 }', clicks(128.0, 4.0)) == []
    rising = play('{ audio = "loudness", param = "reseed" }', ramp(4.0, -60.0, 0.0))
    assert [c.name for c in rising] == ["reseed"]  # once, as loudness passes half (-30 dBFS)


def test_a_trigger_feature_into_a_number_is_an_envelope():
    sent = play('{ audio = "onset", param = "scale", range = [1.0, 2.0], release = 0.1 }', clicks(120.0, 3.0))
    values = np.array([c.value for c in sent])
    assert values.max() > 1.8 and values.min() < 1.1  # jumps on each click, falls between


@pytest.mark.parametrize("attack, release", [(0.0, 0.0), (0.05, 0.3)])
def test_the_follower_rises_with_attack_and_falls_with_release(attack, release):
    follower = Follower(attack, release)
    up = [follower.step(1.0, 0.01) for _ in range(5)]
    down = [follower.step(0.0, 0.01) for _ in range(5)]
    if attack == 0.0:
        assert up == [1.0] * 5 and down == [0.0] * 5
    else:
        assert 0 < up[0] < up[-1] < 1 and up[-1] > down[0] > down[-1] > 0
        assert 1 - up[0] > 1 - np.exp(-0.01 / 0.05) - 1e-9  # one step of a 50 ms attack
