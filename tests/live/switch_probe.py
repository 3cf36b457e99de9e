"""A model switch asked of a running headless instrument, and what the show did meanwhile.

Imported by test_switch_faults.py, and run as a script (`python switch_probe.py FOLDER...`,
one JSON line per folder) where the switch must happen in a process without root's
capabilities (a bundle this user cannot read).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from virtual_clock import VirtualClock  # noqa: E402
from waiting import wait_until  # noqa: E402

from livedance.live.command import build  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402

MODEL = str(Path(__file__).resolve().parents[2] / "models" / "default")


def make():
    instrument = build(LiveSettings(model=MODEL, fps=0.0, midi=False), headless=True, size=(320, 240))
    instrument.clock = VirtualClock()
    instrument.run(frames=2)
    return instrument


def switch_to(instrument, model: str | Path) -> dict:
    """Offer `model` as a control would and run frames until the switch settled either way."""
    show = instrument.performance
    before = {"model": show.model_name, "frames": show.frames, "engine": id(show.engine)}
    instrument.bus.offer("model", str(model), "osc")
    instrument.run(frames=1)
    wait_until(
        lambda: (
            (instrument.run(frames=1) or True)
            and instrument.switcher.pending is None
            and not show.last_control.endswith(": loading")
        ),
        60,
    )
    instrument.run(frames=5)  # and the show goes on after it
    return {
        "model_before": before["model"],
        "model": show.model_name,
        "same_engine": id(show.engine) == before["engine"],
        "frames": show.frames - before["frames"],
        "last": show.last_control,
        "hud": instrument.hud_lines(),
        "frame_shape": [show.engine.height, show.engine.width],
        "canvas_shape": list(instrument.compositor.canvas.shape),
    }


if __name__ == "__main__":
    instrument = make()
    try:
        for folder in sys.argv[1:]:
            print(json.dumps(switch_to(instrument, folder)), flush=True)
    finally:
        instrument.close()
