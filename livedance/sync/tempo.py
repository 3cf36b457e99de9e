"""One rule for the tempo: which source leads the step clock, and following it without a jump.

Four sources can say how fast the music goes: `manual` (tap, the bpm fader, the tempo keys:
the step clock's own tempo), the `midi` clock, Ableton `link` and `audio` beat tracking. A
producer on its own thread `offer`s what it knows as `(bpm, beat, at)`: the tempo, and the
beat count at perf_counter time `at` where it knows the phase (Link always, a MIDI clock
after a start, audio when it has found the one), else `beat=None`. Adding a source is one
call where its producer starts: `attach(name)`, then `offer(name, bpm, beat, at)` as it hears.

Who leads: the source last chosen (`tempo_source`, from a key, OSC or MIDI). Until one is
chosen, the first of `DEFAULT_ORDER` that has a tempo to offer: Link when --link joined a
session, else a MIDI clock once it ticks, else audio, else the performer's own tempo. A chosen
source that offers nothing (yet) holds the tempo where it was.

Following, once a frame on the display thread: the leader's tempo locks the step clock
(`set_tempo` keeps the clock's phase, so a new tempo changes the speed, never the pose), and a
leader that knows the beat pulls the steps onto its grid by bending the step rate, at most
`MAX_TRIM`, never by moving the phase: joining a session or switching leaders slides the steps
onto the new grid within a second or so, with no jump. Being steered replaces the performer's
nudge (the phase is the leader's).

A tempo set by hand while another source leads goes to the leader where it takes one (Link
proposes it to the session, which every peer then follows) and is refused in one line where it
can't (a MIDI clock or the music would override it within a beat): choose manual to play it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from livedance.errors import LivedanceError

SOURCES = ("manual", "midi", "link", "audio")
# Who leads until a source is chosen: the first of these with a tempo to offer.
DEFAULT_ORDER = ("link", "midi", "audio", "manual")
NAMES = {"manual": "the performer", "midi": "the MIDI clock", "link": "Ableton Link", "audio": "the music"}
CATCH_UP_SECONDS = 0.5  # a phase error is pulled in over about this long...
MAX_TRIM = 0.15  # ...bending the step rate by at most this fraction...
TRIM_DIGITS = 4  # ...in steps of 1e-4: a steady leader leaves it alone, so the control log rarely hears of it
# What `follow` reports changed, for the loop to publish and log.
TEMPO_CHANGED, LEADER_CHANGED, TRIM_CHANGED = 1, 2, 4


class StepClock(Protocol):
    """What the rule drives: the choreographer's step clock."""

    trim: float | None

    @property
    def tempo(self) -> tuple[float, int] | None: ...

    @property
    def phase(self) -> float: ...

    @property
    def clock_time(self) -> float | None: ...

    @property
    def beat_steps(self) -> float: ...

    def set_tempo(self, bpm: float, steps_per_beat: int | None = None) -> None: ...

    def relabel_beat(self, steps: int) -> None: ...


@dataclass(frozen=True, slots=True)
class TempoOffer:
    """A source's tempo, and its beat count at `at` (perf_counter seconds) when it knows the phase."""

    bpm: float
    beat: float | None
    at: float

    def beat_at(self, t: float) -> float | None:
        """The source's beat count at time `t`, carried on at its tempo."""
        return None if self.beat is None else self.beat + (t - self.at) * self.bpm / 60.0


def _source(name: object) -> str:
    if name not in SOURCES:
        raise LivedanceError(f"tempo source {name!r}: expected one of {', '.join(SOURCES)}")
    return str(name)


class TempoRule:
    """The four sources' latest offers and who leads; see the module docstring.

    `offer`, `withdraw`, `attach` and `detach` may be called from any thread (each is one
    reference swap or counter); everything else from the display thread.
    """

    def __init__(self, order: tuple[str, ...] = DEFAULT_ORDER):
        if sorted(order) != sorted(SOURCES):
            raise ValueError(f"tempo order {order!r}: expected each of {', '.join(SOURCES)} once")
        self.order = order
        self.chosen: str | None = None  # the source chosen last; None: the default order decides
        self._offers: dict[str, TempoOffer | None] = dict.fromkeys(SOURCES)
        self._attached: dict[str, int] = dict.fromkeys(SOURCES, 0)
        self._proposers: dict[str, Callable[[float], None]] = {}
        self._followed: str | None = None  # the leader followed last frame
        self._applied: float | None = None  # the leader's bpm put on the step clock last

    # --- producers (any thread) -------------------------------------------------------------
    def attach(self, source: str, propose: Callable[[float], None] | None = None) -> None:
        """A producer for `source` is running; `propose(bpm)` takes a tempo set by hand (Link)."""
        source = _source(source)
        self._attached[source] += 1
        if propose is not None:
            self._proposers[source] = propose

    def detach(self, source: str) -> None:
        """A producer stopped: its offer goes (a chosen source then holds the tempo)."""
        source = _source(source)
        self._attached[source] = max(0, self._attached[source] - 1)
        if not self._attached[source]:
            self._proposers.pop(source, None)
            self._offers[source] = None

    def offer(self, source: str, bpm: float, beat: float | None = None, at: float | None = None) -> None:
        """What `source` hears now: `bpm`, and its beat count at perf_counter time `at` if it knows it."""
        source = _source(source)
        bpm = float(bpm)
        if not (math.isfinite(bpm) and bpm > 0.0) or (beat is not None and not math.isfinite(beat)):
            raise ValueError(f"tempo offer from {source}: bpm {bpm!r}, beat {beat!r}; expected finite, bpm > 0")
        self._offers[source] = TempoOffer(
            bpm, None if beat is None else float(beat), time.perf_counter() if at is None else at
        )

    def withdraw(self, source: str) -> None:
        """`source` has no tempo to offer any more (it lost the beat)."""
        self._offers[_source(source)] = None

    def offered(self, source: str) -> TempoOffer | None:
        return self._offers[_source(source)]

    # --- who leads ----------------------------------------------------------------------------
    @property
    def leader(self) -> str:
        """The source the step clock follows now."""
        if self.chosen is not None:
            return self.chosen
        for source in self.order:
            if source == "manual" or self._offers[source] is not None:
                return source
        return "manual"

    def choose(self, source: str) -> None:
        """Make `source` lead from now (a key, OSC or MIDI chose it)."""
        self.chosen = _source(source)

    def snapshot(self) -> dict:
        """Who was chosen and who led at the last frame (the step clock keeps the tempo and trim)."""
        return {"chosen": self.chosen, "leader": self._followed}

    def restore(self, state: dict) -> None:
        self.chosen = None if state["chosen"] is None else _source(state["chosen"])
        self._followed = None if state["leader"] is None else _source(state["leader"])

    @property
    def available(self) -> tuple[str, ...]:
        """The sources with a producer running (manual always), in `SOURCES` order."""
        return tuple(s for s in SOURCES if s == "manual" or self._attached[s])

    def next_source(self) -> str:
        """The source after the leader among those running: what a cycling key chooses."""
        running = self.available
        leader = self.leader
        return running[(running.index(leader) + 1) % len(running)] if leader in running else running[0]

    @property
    def sets_phase(self) -> bool:
        """The leader says where the beat is (a downbeat by hand would fight it)."""
        offer = self._offers[self.leader] if self.leader != "manual" else None
        return offer is not None and offer.beat is not None

    def hand_set(self, bpm: float) -> bool:
        """A tempo set by hand: False where manual leads (the caller sets it on the step clock),
        True where the leader took it as a proposal; a one-line refusal where it can't."""
        leader = self.leader
        if leader == "manual":
            return False
        propose = self._proposers.get(leader)
        if propose is None:
            raise LivedanceError(f"{NAMES[leader]} leads the tempo; choose tempo_source manual to set it by hand")
        propose(bpm)
        return True

    # --- the display loop ---------------------------------------------------------------------
    def follow(self, clock: StepClock, now: float) -> int:
        """Put the leader's tempo and phase on the step clock; what changed (TEMPO_CHANGED,
        LEADER_CHANGED, TRIM_CHANGED or'd together; 0 on most frames)."""
        leader = self.leader
        changed = LEADER_CHANGED if leader != self._followed else 0
        self._followed = leader
        offer = self._offers[leader] if leader != "manual" else None
        trim = None
        if offer is None:  # manual, or a leader with nothing to offer yet: the tempo holds
            self._applied = None
        else:
            tempo = clock.tempo
            if tempo is None or offer.bpm != self._applied:
                clock.set_tempo(offer.bpm, None if tempo is None else tempo[1])
                self._applied = offer.bpm
                changed |= TEMPO_CHANGED
            trim = self._trim(clock, offer)
        if trim != clock.trim:
            clock.trim = trim
            changed |= TRIM_CHANGED
        return changed

    def _trim(self, clock: StepClock, offer: TempoOffer) -> float | None:
        """The rate factor that pulls the steps onto the leader's grid (None: no phase to follow)."""
        tempo, then = clock.tempo, clock.clock_time
        target = None if then is None else offer.beat_at(then)
        if target is None or tempo is None:
            return None
        bpm, steps_per_beat = tempo
        # Which step starts the beat is a label: put it where the leader's beat is (nothing moves).
        into = (target % 1.0) * steps_per_beat  # steps into the leader's beat
        whole = round(
            (into - clock.beat_steps % steps_per_beat + steps_per_beat / 2) % steps_per_beat - steps_per_beat / 2
        )
        if whole:
            clock.relabel_beat(whole)
        # Steps behind (+) or ahead (-) of the grid, the nearer way round: in [-0.5, 0.5).
        error = (target * steps_per_beat - clock.phase + 0.5) % 1.0 - 0.5
        pull = error / (CATCH_UP_SECONDS * bpm * steps_per_beat / 60.0)
        return round(1.0 + min(max(pull, -MAX_TRIM), MAX_TRIM), TRIM_DIGITS)

    def describe(self, bpm: float) -> str:
        """The HUD's tempo line: who leads, why, and the tempo in use (`bpm`)."""
        leader = self.leader
        why = "chosen" if self.chosen is not None else "default order " + ", ".join(self.order)
        line = f"tempo {bpm:.1f} BPM: {leader} leads ({why})"
        if leader != "manual" and self._offers[leader] is None:
            line += f"; nothing from {NAMES[leader]} yet, holding"
        others = [f"{s} {o.bpm:.1f}" for s in SOURCES if s != leader and (o := self._offers[s]) is not None]
        return line + (f"; also {', '.join(others)}" if others else "")
