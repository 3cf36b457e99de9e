"""A scripted performer for soaks: plays every parameter over real OSC, on its own thread.

Every parameter in the registry is played in turn, a few dozen messages a second, with values
drawn across its whole range (natural units, and 0..1 through /norm where a fader would send
it); the slow parts of a show come on a schedule: a model switch, a recording toggled on and
off, the camera modes, a change of dancers, MIDI learn armed and disarmed. Everything goes
through the OSC server as a tablet's messages would, so the soak exercises the same path.
"""

from __future__ import annotations

import random
import socket
from dataclasses import dataclass, field

from pythonosc.osc_message_builder import OscMessageBuilder

from livedance.control.kinds import BOOL, CHOICE, COLOUR, FLOAT, INT, TRIGGER, VECTOR
from livedance.control.osc import PREFIX
from livedance.control.params import REGISTRY, Param
from livedance.sync.tempo import SOURCES
from livedance.worker import Worker

# Played by the schedule below, not in the round of parameters.
SCHEDULED = frozenset({"model", "record", "mode", "auto", "dancers", "learn", "fullscreen", "hud", "camera_learn"})
# A new dancer costs a warm-up (one window of model steps, on a thread of its own): a performer
# starts one every few seconds, not four a second, so these come on the schedule.
RESTARTS = ("reseed", "seed", "preset", "reset")
COLOURS = ("white", "black", "red", "#20c0ff", (255, 128, 0), (0.2, 0.9, 0.4))
MODES = ("generate", "follow", "continue")


@dataclass(frozen=True)
class Schedule:
    """When the slow parts of the show happen, in seconds from the start."""

    rate: float = 40.0  # parameter messages a second
    switch_every: float = 60.0  # a model switch
    record_every: float = 120.0  # a recording starts at `record_at` into each period ...
    record_at: float = 10.0
    record_for: float = 30.0  # ... and stops this long after
    mode_every: float = 20.0  # the next camera mode
    auto_every: float = 300.0  # installation mode on for the second half of each period
    dancers_every: float = 300.0  # two dancers for the last fifth of each period
    learn_every: float = 90.0  # MIDI learn armed, then disarmed a second later
    restart_every: float = 8.0  # a new dancer: the next of RESTARTS


@dataclass
class Played:
    """What the performer sent, by kind, for the soak's report."""

    messages: int = 0
    params: set = field(default_factory=set)
    switches: int = 0
    recordings: int = 0
    modes: int = 0


class Performer(Worker):
    """Sends the script to an OSC port on loopback until closed."""

    def __init__(self, port: int, models: list[str], schedule: Schedule | None = None, seed: int = 0):
        super().__init__("livedance-performer", join_timeout=2.0)
        self.port = port
        self.models = list(models)
        self.schedule = schedule or Schedule()
        self.played = Played()
        self._rng = random.Random(seed)
        self._sock: socket.socket | None = None
        self._round = [p for p in REGISTRY.values() if p.name not in SCHEDULED and p.name not in RESTARTS]
        self._restarts = 0

    def _open(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def _close(self) -> None:
        if self._sock is not None:
            self._sock.close()

    def send(self, name: str, *args) -> None:
        builder = OscMessageBuilder(f"{PREFIX}/{name}")
        for arg in args:
            builder.add_arg(arg)
        assert self._sock is not None
        self._sock.sendto(builder.build().dgram, ("127.0.0.1", self.port))
        self.played.messages += 1

    def _run(self) -> None:
        period = 1.0 / self.schedule.rate
        tick = 0
        while not self._stopping.wait(period):
            tick += 1
            self.play_param(self._round[tick % len(self._round)])
            self.play_schedule(tick * period, period)

    # --- the round of parameters -----------------------------------------------------------------
    def play_param(self, param: Param) -> None:
        rng, kind = self._rng, param.kind
        low, high = param.low or 0.0, param.high or 1.0
        self.played.params.add(param.name)
        if kind in (FLOAT, INT) and rng.random() < 0.25:
            self.send(f"{param.name}/norm", rng.random())
        elif kind is FLOAT:
            self.send(param.name, rng.uniform(low, high))
        elif kind is INT:
            self.send(param.name, rng.randint(int(low), int(high)))
        elif kind is BOOL:
            self.send(param.name, rng.random() < 0.3)  # mostly off: a frozen or looping show is a dull soak
        elif kind is TRIGGER:
            if param.numeric and rng.random() < 0.5:
                self.send(param.name, rng.uniform(low, high))
            else:
                self.send(param.name)
        elif kind is COLOUR:
            colour = rng.choice(COLOURS)
            self.send(param.name, *(colour if isinstance(colour, tuple) else (colour,)))
        elif kind is VECTOR:
            self.send(f"{param.name}/{rng.randrange(8)}", rng.uniform(-1.0, 1.0))
        elif kind is CHOICE and param.name == "tempo_source":
            self.send(param.name, rng.choice(SOURCES))

    # --- the slow parts ----------------------------------------------------------------------------
    def play_schedule(self, t: float, period: float) -> None:
        """What falls due in the tick ending at `t`: each event fires once, in the tick it falls in."""
        s = self.schedule

        def due(every: float, at: float = 0.0) -> bool:
            return (t - at) % every < period and t >= at

        if self.models and due(s.switch_every):
            self.played.switches += 1
            self.send("model", self.models[self.played.switches % len(self.models)])
        if due(s.record_every, s.record_at):
            self.played.recordings += 1
            self.send("record", True)
        if due(s.record_every, s.record_at + s.record_for):
            self.send("record", False)
        if due(s.mode_every):
            self.played.modes += 1
            self.send("mode", MODES[self.played.modes % len(MODES)])
        if due(s.auto_every, s.auto_every / 2):
            self.send("auto", True)
        if due(s.auto_every):
            self.send("auto", False)
        if due(s.dancers_every, s.dancers_every * 0.8):
            self.send("dancers", 2)
        if due(s.dancers_every):
            self.send("dancers", 1)
        if due(s.restart_every, s.restart_every / 2):
            self._restarts += 1
            self.play_param(REGISTRY[RESTARTS[self._restarts % len(RESTARTS)]])
        if due(s.learn_every, s.learn_every / 3):
            self.send("learn", "noise")
        if due(s.learn_every, s.learn_every / 3 + 1.0):
            self.send("learn", "off")
