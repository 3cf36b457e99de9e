"""Tempo from a MIDI clock and from taps: pure logic, the caller passes the timestamps.

A MIDI clock sends 24 pulses per quarter note, each arriving a few milliseconds late or early
(USB polling, the OS, our own polling). One interval is 20.8 ms at 120 BPM, so a single
interval with 2 ms of jitter is 10% off. A least-squares line through the last two beats of
tick times averages that away (well under 0.1% for 2 ms of jitter), and still follows a tempo
change within two beats.
"""

from __future__ import annotations

from collections import deque

PPQN = 24  # MIDI clock pulses per quarter note
WINDOW_TICKS = 2 * PPQN + 1  # two beats of intervals
MIN_TICKS = PPQN + 1  # one beat of intervals before the first estimate
# A pause longer than this between two ticks (a tick rate below 10 BPM) is not a tempo but a
# clock that stopped and started again: the tick times before it are forgotten.
MAX_TICK_GAP = 60.0 / (10.0 * PPQN)
# Estimates outside this range come from a broken clock, not music; they are not reported.
BPM_SANE = (10.0, 1000.0)

TAP_RESET = 2.0  # seconds: a longer gap between taps starts a new tempo
TAP_BOUNCE = 0.1  # seconds: a second tap sooner than this is a switch bouncing, not a beat
TAP_INTERVALS = 4


def _slope(times: deque) -> float:
    """Least-squares seconds per tick through (0, t0), (1, t1), ...; `times` has 2+ entries."""
    n = len(times)
    x_mean = (n - 1) / 2.0
    t0 = times[0]  # subtract the first time so large perf_counter values keep their precision
    t_mean = sum(t - t0 for t in times) / n
    num = sum((i - x_mean) * (t - t0 - t_mean) for i, t in enumerate(times))
    den = n * (n * n - 1) / 12.0  # sum of (i - x_mean)^2
    return num / den


class ClockFollower:
    """MIDI clock (24 pulses per quarter note) -> BPM.

    Ticks are followed whether or not the transport runs, so a clock-only device (no start
    message) still sets the tempo; `running` is the transport (start/continue vs stop).
    Stopping keeps `bpm`: the dance goes on at the last tempo. After a start, `beat` counts the
    beats the transport has run (the first tick after start is beat 0), so the clock gives the
    phase too; before any start it is None.
    """

    def __init__(self):
        self.bpm: float | None = None
        self.running = False
        self._position: int | None = None  # ticks the transport has run since start, the first being 0
        self._times: deque = deque(maxlen=WINDOW_TICKS)
        self._ticks = 0  # ticks since the window last started over: estimates land on beats

    def _restart(self) -> None:
        self._times.clear()
        self._ticks = 0

    def start(self, t: float) -> None:
        """Transport start: the next tick is the downbeat."""
        self.running = True
        self._position = -1
        self._restart()

    def stop(self, t: float) -> None:
        self.running = False

    def continue_(self, t: float) -> None:
        """Transport continues where it stopped; old tick times may predate a pause, so forget them."""
        self.running = True
        self._restart()

    @property
    def beat(self) -> float | None:
        """Beats since the transport started, at the last tick (None: no start seen yet)."""
        return None if self._position is None or self._position < 0 else self._position / PPQN

    def tick(self, t: float) -> float | None:
        """A clock pulse at time `t`: a fresh BPM once per beat when a beat of ticks is in, else None."""
        if self._times:
            interval = t - self._times[-1]
            if interval < 0.0 or interval > MAX_TICK_GAP:
                self._restart()
        self._times.append(t)
        self._ticks += 1
        if self.running and self._position is not None:
            self._position += 1
        if len(self._times) < MIN_TICKS or (self._ticks - 1) % PPQN:
            return None
        seconds_per_tick = _slope(self._times)
        if seconds_per_tick <= 0.0:
            return None
        bpm = 60.0 / (seconds_per_tick * PPQN)
        if not BPM_SANE[0] <= bpm <= BPM_SANE[1]:
            return None
        self.bpm = bpm
        return bpm


class TapTempo:
    """Taps -> BPM: the mean of the last (up to) four intervals, after two taps."""

    def __init__(self):
        self.bpm: float | None = None
        self._taps: deque = deque(maxlen=TAP_INTERVALS + 1)

    def tap(self, t: float) -> float | None:
        """A tap at time `t`: the new BPM, or None (first tap of a run, or a bounce)."""
        if self._taps:
            gap = t - self._taps[-1]
            if 0.0 <= gap < TAP_BOUNCE:
                return None
            if gap < 0.0 or gap > TAP_RESET:
                self._taps.clear()
        self._taps.append(t)
        if len(self._taps) < 2:
            return None
        mean = (self._taps[-1] - self._taps[0]) / (len(self._taps) - 1)
        self.bpm = 60.0 / mean
        return self.bpm

    def snapshot(self) -> dict:
        """The taps a next one counts from (a session log's snapshot)."""
        return {"bpm": self.bpm, "taps": list(self._taps)}

    def restore(self, state: dict) -> None:
        self.bpm = state["bpm"]
        self._taps.clear()
        self._taps.extend(float(t) for t in state["taps"])
