"""Audio features as control sources: a patch's `audio = "..."` lines, played like a fader or a pad.

Each line follows its feature with its own attack and release (one-pole, so the same at any
hop size) after multiplying it by its `sensitivity`, and hands the result to the same
takeover code MIDI and OSC use (`control.takeover.on_control`), so curves, ranges, invert,
buttons and amounts mean what they mean there:

- a level (loudness, bass, mid, high) moves a number like a fader; into a trigger it fires as
  it rises past half, as a fader does;
- a trigger feature (onset, beat, downbeat) fires a trigger with its strength as the amount
  (an amount on the line fixes it); into a number it is an envelope that jumps to the strength
  and falls with the release, so `onset -> scale` pumps.

An onset fires a line when its strength x sensitivity reaches `MIN_STRENGTH`. Levels are
offered at most once a block and only when they moved, and not at all until something was
heard: silence leaves every parameter where it is. Everything is offered as source "audio".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from livedance.audio.analysis import Features
from livedance.audio.beat import Beat
from livedance.control import params as _params
from livedance.control import takeover as _takeover
from livedance.control.controls import ControlBus
from livedance.control.mapping import AUDIO_TRIGGERS, Mapping

SOURCE = "audio"
MIN_STRENGTH = 0.2  # an onset weaker than this (after sensitivity) fires nothing
MOVED = 0.002  # a level offered again only when it moved this much (0..1)


@dataclass(frozen=True)
class Smoothing:
    attack: float  # seconds (time constant) to rise
    release: float  # seconds to fall


# Each feature's own attack and release, when its line sets none.
DEFAULT_SMOOTHING = {
    "loudness": Smoothing(0.05, 0.3),
    "bass": Smoothing(0.01, 0.15),
    "mid": Smoothing(0.02, 0.2),
    "high": Smoothing(0.01, 0.1),
    "onset": Smoothing(0.0, 0.15),
    "beat": Smoothing(0.0, 0.15),
    "downbeat": Smoothing(0.0, 0.3),
}


class Follower:
    """Attack/release smoothing of a 0..1 level: rises with `attack`, falls with `release` (0: at once)."""

    __slots__ = ("attack", "release", "value")

    def __init__(self, attack: float, release: float):
        self.attack, self.release = attack, release
        self.value = 0.0

    def step(self, target: float, dt: float) -> float:
        tau = self.attack if target > self.value else self.release
        self.value = target if tau <= 0 else self.value + (target - self.value) * (1.0 - math.exp(-dt / tau))
        return self.value


class _Line:
    """One audio line of a patch and what it remembers."""

    __slots__ = ("mapping", "state", "follower", "sensitivity", "fires", "sent", "hit")

    def __init__(self, mapping: Mapping):
        feature = str(mapping.feature)
        smoothing = DEFAULT_SMOOTHING[feature]
        self.mapping = mapping
        self.state = _takeover.State()
        attack = smoothing.attack if mapping.attack is None else mapping.attack
        release = smoothing.release if mapping.release is None else mapping.release
        self.follower = Follower(attack, release)
        self.sensitivity = 1.0 if mapping.sensitivity is None else mapping.sensitivity
        # A trigger feature firing a trigger parameter: fired by events, not by a level.
        self.fires = feature in AUDIO_TRIGGERS and _params.REGISTRY[mapping.param].kind.fires
        self.sent: float | None = None  # the level last offered
        self.hit = 0.0  # a trigger feature's strength this hop (0: none)


class FeatureControls:
    """The audio lines of a patch, offered to `bus` as the analysis and the beats come in."""

    def __init__(self, mappings: list[Mapping], bus: ControlBus, hop_seconds: float):
        self.bus, self.hop_seconds = bus, hop_seconds
        self.lines = [_Line(m) for m in mappings if m.source == "audio"]
        self.heard = False  # something above silence came in: levels may move things

    def hop(self, features: Features) -> None:
        """One hop: onsets fire, every line's level follows its feature."""
        self.heard = self.heard or features.sounding
        for line in self.lines:
            feature = line.mapping.feature
            if feature == "onset":
                self._hit(line, features.onset, features.time)
            raw = line.hit if feature in AUDIO_TRIGGERS else getattr(features, str(feature))
            line.follower.step(min(raw * line.sensitivity, 1.0), self.hop_seconds)
            line.hit = 0.0

    def beat(self, beat: Beat) -> None:
        """A beat's time came: beat lines fire (downbeat lines on the candidate one)."""
        for line in self.lines:
            if line.mapping.feature == "beat" or (line.mapping.feature == "downbeat" and beat.downbeat):
                self._hit(line, beat.confidence, beat.time)

    def offer_levels(self, received: float) -> None:
        """Offer each level that moved (once a block: the loop applies one value a frame anyway)."""
        if not self.heard:
            return
        for line in self.lines:
            if line.fires:
                continue
            level = line.follower.value
            if line.sent is not None and abs(level - line.sent) < MOVED:
                continue
            line.sent = level
            _takeover.on_control(line.mapping, line.state, level, level >= 0.5, True, self.bus, received, SOURCE)

    def _hit(self, line: _Line, strength: float, time: float) -> None:
        strength = min(strength * line.sensitivity, 1.0)
        if strength < MIN_STRENGTH:
            return
        line.hit = max(line.hit, strength)
        if line.fires:
            _takeover.on_control(line.mapping, line.state, strength, True, False, self.bus, time, SOURCE)
