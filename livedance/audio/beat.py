"""Tempo, beat phase and downbeat candidates from the kick's onset function, in real time.

Our own numpy tracker, not aubio: aubio-ledfx is GPLv3 (the core is MIT), and of its methods
only `energy` locked onto the kick of a kick + off-beat hi-hat track, the others half a beat
off on the hi-hat (shared/findings.md). Here the tracker reads only the low band's flux
(`analysis.low_flux`), where a hi-hat has next to nothing, and measures how periodic it is:

- Every `update_seconds` the last `history_seconds` of flux (older half tapered) are folded
  against every tempo on a fine grid from `min_bpm` to `max_bpm` (a Fourier sum at each
  beat frequency, one matrix-vector product). The range is one octave, so a pulse train's
  double and half tempo fall outside it (octave errors were what limiting 85-170 BPM fixed).
  The peak's height against the flux's total is the confidence (1: a perfect pulse train,
  about 0.05 for noise); a log-normal prior around 120 BPM breaks near-ties.
- The winning frequency's phase says where the beats fall, to a fraction of a hop, so one
  estimate gives tempo and phase together; no peak picking, no waiting for the next onset.
- Beats are predicted from that grid and reported as each one's time comes (`push` returns
  it), so a beat trigger is not late by a detection.
- Downbeat candidates: the bass level at each beat (the flux is too compressed to tell a
  loud kick from a soft one) is summed, decaying, into four slots of a bar; the strongest
  slot is the candidate one. A guess, named as such.

Silence or noise gives no lock; a second of silence or a confidence fallen below `unlock`
loses it, which stops the beats: the dancer keeps its own clock, at the last tempo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BEATS_PER_BAR = 4
JUST_HEARD = 0.05  # seconds: a first beat this far in the past is still reported
SILENCE_UNLOCKS = 1.0  # seconds of silence that end a lock (the dancer keeps the last tempo)


@dataclass(frozen=True)
class BeatConfig:
    min_bpm: float = 85.0
    max_bpm: float = 170.0
    step_bpm: float = 0.25  # the grid; the peak is interpolated between its points
    history_seconds: float = 6.0
    min_history_seconds: float = 2.0  # no estimate before this much sound
    update_seconds: float = 0.1
    lock: float = 0.3  # confidence that locks ...
    unlock: float = 0.2  # ... and below which the lock is lost
    prior_bpm: float = 120.0
    prior_octaves: float = 1.0  # the prior's width (it only breaks near-ties)
    switch_updates: int = 3  # updates a tempo more than 4% away must win before it is taken

    def __post_init__(self):
        if not 0 < self.min_bpm < self.max_bpm:
            raise ValueError(f"tempo range {self.min_bpm:g}-{self.max_bpm:g} BPM: expected 0 < low < high")
        if not self.history_seconds >= self.min_history_seconds > 0:
            raise ValueError("history_seconds: expected at least min_history_seconds, above 0")


@dataclass(frozen=True)
class Beat:
    """A beat as its time comes: when it fell, its place in the bar, whether it is the candidate one."""

    time: float
    bpm: float
    in_bar: int
    downbeat: bool
    confidence: float


class BeatTracker:
    """Onset values in, one per hop (`push`); beats out. See the module docstring."""

    def __init__(self, hop_seconds: float, config: BeatConfig | None = None):
        if not hop_seconds > 0:
            raise ValueError(f"hop_seconds {hop_seconds}: expected a positive number")
        self.config = c = config or BeatConfig()
        self.hop_seconds = hop_seconds
        self._size = int(round(c.history_seconds / hop_seconds))
        self._ring = np.zeros(self._size, np.float32)
        self._next = 0  # where the next value goes
        self._count = 0  # values pushed (sounding or not) since the last silence reset
        self._since_update = 0.0
        self._silent = 0.0  # seconds of silence just heard
        self._grid = np.arange(c.min_bpm, c.max_bpm + c.step_bpm / 2, c.step_bpm)
        ages = (np.arange(self._size) - (self._size - 1)) * hop_seconds  # oldest .. 0 (the newest)
        angles = 2.0 * np.pi * np.outer(self._grid / 60.0, ages)
        self._cos, self._sin = np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)
        self._ages = ages
        self._prior = np.exp(-0.5 * (np.log2(self._grid / c.prior_bpm) / c.prior_octaves) ** 2)
        self.bpm: float | None = None
        self.confidence = 0.0
        self.locked = False
        self.anchor: float | None = None  # the time of a beat on the current grid
        self._rival: tuple[float, int] | None = None  # a far tempo winning, and for how many updates
        self._upcoming: float | None = None  # the next beat to report
        self._last_beat = -math.inf
        self._beats = 0
        self._slots = np.zeros(BEATS_PER_BAR)
        self._pending: list[tuple[float, int]] = []  # beats whose kick is still to be measured
        self._recent: list[tuple[float, float]] = []  # (time, bass) of the last hops, for that

    @property
    def period(self) -> float | None:
        return None if self.bpm is None else 60.0 / self.bpm

    def push(self, value: float, time: float, sounding: bool = True, bass: float = 0.0) -> Beat | None:
        """One hop's low-band flux heard at `time` (and its bass level, which weighs the beats
        of a bar for the downbeat); the beat whose time has come, if any."""
        self._silent = 0.0 if sounding else self._silent + self.hop_seconds
        if self._silent >= SILENCE_UNLOCKS:
            self._set_confidence(0.0)
        self._ring[self._next] = value if sounding else 0.0
        self._next = (self._next + 1) % self._size
        self._count = self._count + 1 if sounding or self._count else 0
        self._measure(bass, time)
        self._since_update += self.hop_seconds
        if self._since_update >= self.config.update_seconds and self._silent < SILENCE_UNLOCKS:
            self._since_update = 0.0
            self._estimate(time)
        return self._due(time)

    # --- tempo and phase ---------------------------------------------------------------------
    def _estimate(self, now: float) -> None:
        c = self.config
        filled = min(self._count, self._size)
        if filled * self.hop_seconds < c.min_history_seconds:
            return
        onsets = np.roll(self._ring, -self._next)[-filled:]
        weights = np.ones(filled, np.float32)
        taper = filled // 2  # the older half fades in: less leakage between tempi
        weights[:taper] = 0.5 - 0.5 * np.cos(np.pi * np.arange(taper) / max(taper, 1))
        x = onsets * weights
        total = float(x.sum())
        if total <= 1e-6:
            self._set_confidence(0.0)
            return
        real, imag = self._cos[:, -filled:] @ x, self._sin[:, -filled:] @ x
        strength = np.hypot(real, imag) / total
        score = strength * self._prior
        k = int(np.argmax(score))
        shift = 0.0
        if 0 < k < len(score) - 1:
            a, b, d = score[k - 1], score[k], score[k + 1]
            bend = a - 2 * b + d
            shift = 0.5 * (a - d) / bend if bend < 0 else 0.0
        bpm = float(self._grid[k] + shift * c.step_bpm)
        self._set_confidence(float(strength[k]))
        if not self.locked:
            return
        if self.bpm is not None and abs(bpm / self.bpm - 1.0) > 0.04:
            rival, wins = self._rival if self._rival is not None else (bpm, 0)
            wins = wins + 1 if abs(bpm / rival - 1.0) <= 0.04 else 1
            self._rival = (bpm, wins)
            if wins < c.switch_updates:
                return
        self._rival = None
        # The phase at that exact frequency: S = sum x e^(-2 pi i f age) peaks where beats fall.
        f = bpm / 60.0
        angle = 2.0 * np.pi * f * self._ages[-filled:]
        theta = math.atan2(-float(np.sin(angle) @ x), float(np.cos(angle) @ x))
        period = 60.0 / bpm
        last = -((theta / (2.0 * np.pi * f)) % period)  # age of the newest beat, in (-period, 0]
        self.bpm = bpm
        self.anchor = now + last - self.hop_seconds  # a hit's flux peaks about a hop after it

    def _set_confidence(self, confidence: float) -> None:
        c = self.config
        self.confidence = confidence
        if self.locked and confidence < c.unlock:
            self.locked, self._upcoming = False, None
        elif not self.locked and confidence >= c.lock:
            self.locked = True

    # --- beats ---------------------------------------------------------------------------------
    def _due(self, now: float) -> Beat | None:
        """The next beat on the grid once `now` reaches it (never one twice, never two in half a beat)."""
        if not self.locked or self.anchor is None or self.bpm is None:
            return None
        period = 60.0 / self.bpm
        if self._upcoming is None or abs(self._upcoming - self._nearest(self._upcoming)) > 1e-9:
            fresh = self._upcoming is None
            upcoming = self._nearest(now if self._upcoming is None else self._upcoming)
            while (fresh and upcoming < now - JUST_HEARD) or upcoming <= self._last_beat + period / 2:
                upcoming += period
            self._upcoming = upcoming
        if now < self._upcoming:
            return None
        time = self._upcoming
        self._last_beat, self._upcoming = time, time + period
        in_bar = self._beats % BEATS_PER_BAR
        self._beats += 1
        self._pending.append((time, in_bar))
        candidate = int(np.argmax(self._slots))
        return Beat(time, self.bpm, in_bar, in_bar == candidate, self.confidence)

    def _nearest(self, time: float) -> float:
        """The beat of the current grid nearest `time`."""
        period = 60.0 / (self.bpm or self.config.prior_bpm)
        anchor = self.anchor if self.anchor is not None else time
        return anchor + round((time - anchor) / period) * period

    def _measure(self, bass: float, now: float) -> None:
        """Once a reported beat is heard out, add its bass to its slot of the bar."""
        self._recent.append((now, bass))
        if len(self._recent) > 32:
            del self._recent[0]
        while self._pending and now > self._pending[0][0] + 0.05:
            time, slot = self._pending.pop(0)
            kick = max((v for t, v in self._recent if time - 0.03 <= t <= time + 0.05), default=0.0)
            self._slots[slot] = 0.75 * self._slots[slot] + kick  # each slot remembers its last few bars
