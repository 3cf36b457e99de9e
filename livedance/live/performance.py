"""The performance: what is dancing and what the performer has set, apart from the loop that plays it.

Controls (the mixer, the actions, the modes) change the show through this object and the
narrow `Show` interface, never through the instrument as a whole: the instrument's pacing,
window and counters stay its own, and a control can be tested against a show with no window.
Everything here is touched on the display thread only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from livedance.control.clock import TapTempo
from livedance.control.controls import ControlBus
from livedance.live.choreographer import Choreographer
from livedance.recording.sessionlog import SessionLog
from livedance.runtime.engine import Engine
from livedance.sync.tempo import TempoRule
from livedance.video.look import Look

if TYPE_CHECKING:  # the show's parts import this module for `Performance`
    from livedance.live.hud import Hud
    from livedance.live.modes import Director
    from livedance.live.takes import Takes
    from livedance.live.window import Window


@dataclass
class Performance:
    """The dancer (engine and choreographer, swapped whole by a model switch), the look, and
    the performer's own settings and last touch, which outlive a switch."""

    engine: Engine
    choreographer: Choreographer
    look: Look
    log: SessionLog | None = None  # what `livedance replay` needs: a snapshot and the events since
    frames: int = 0  # frames shown so far: the clock the session log counts in
    perturb_amount: float = 1.0
    loop_beats: float = 4.0
    tap_tempo: TapTempo = field(default_factory=TapTempo)
    tempo_rule: TempoRule = field(default_factory=TempoRule)  # which tempo source leads
    control_time: float = 0.0  # arrival time of the control being applied (tap tempo)
    last_preset: str | None = None
    last_control: str = "-"  # the HUD's "last:" line
    last_param: str | None = None  # what MIDI learn from the keyboard arms

    @property
    def model_name(self) -> str:
        return Path(str(self.engine.model_path)).name

    def snapshot(self) -> dict:
        """The dancer, the look and the performer's settings, as copies (a session log's snapshot)."""
        return {
            "choreographer": self.choreographer.snapshot(),
            "look": self.look.snapshot(),
            "tempo_rule": self.tempo_rule.snapshot(),
            "tap_tempo": self.tap_tempo.snapshot(),
            "perturb_amount": self.perturb_amount,
            "loop_beats": self.loop_beats,
        }

    def restore(self, state: dict) -> None:
        """Carry on from `snapshot` (the engine and choreographer already the snapshot's model and dancers)."""
        self.choreographer.restore(state["choreographer"])
        self.look.restore(state["look"])
        self.tempo_rule.restore(state["tempo_rule"])
        self.tap_tempo.restore(state["tap_tempo"])
        self.perturb_amount, self.loop_beats = state["perturb_amount"], state["loop_beats"]


class Show(Protocol):
    """What a control may reach: the performance and the show's parts, not the loop."""

    performance: Performance
    bus: ControlBus
    director: Director
    hud: Hud
    window: Window
    takes: Takes
    running: bool

    def switch(self, model: str | int | None = None, dancers: int | None = None) -> None: ...
