"""A show without its loop: the real performance and the real parts a control reaches
(`livedance.live.performance.Show`), for testing the mixer, the actions and the modes one by one."""

from __future__ import annotations

from pathlib import Path

from livedance.control.controls import ControlBus
from livedance.live.choreographer import Choreographer
from livedance.live.hud import Hud
from livedance.live.modes import Director
from livedance.live.performance import Performance
from livedance.live.takes import Takes
from livedance.live.window import Window
from livedance.outputs.feed import Feed
from livedance.runtime.engine import Engine
from livedance.video.look import Look

MODEL = Path(__file__).resolve().parents[1] / "models" / "default"
SIZE = (160, 120)


class BareShow:
    """Satisfies `Show`; `switch` notes what was asked (loading a model is the switcher's, tested with the loop)."""

    def __init__(self, engine: Engine, record_dir: Path, fps: float = 30.0, seed: int = 0):
        self.performance = Performance(engine, Choreographer(engine, seed=seed), Look())
        self.bus = ControlBus()
        self.director = Director(self.performance)
        self.hud = Hud(visible=False)
        self.window = Window(SIZE, headless=True)
        self.takes = Takes(self.performance, self.bus, Feed(SIZE, (engine.height, engine.width)), fps, SIZE, record_dir)
        self.running = True
        self.switches: list[tuple] = []

    def switch(self, model=None, dancers=None) -> None:
        self.switches.append((model, dancers))
