"""A model switch asked of a running headless instrument, and what the show did meanwhile.

Controls switch by name only (docs/security.md): a name in models/, or the bundle the show
started with (--model). So a broken bundle reaches a show as the started bundle damaged on
disk after the start (a copy over it, a disk fault), then named by a control; or as a broken
bundle in models/. Imported by test_switch_faults.py, and run as a script
(`python switch_probe.py FOLDER CASE...`, one JSON line per case of broken_bundles.UNREADABLE)
where the files must be unreadable to the process itself (root without its capabilities).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from broken_bundles import SHIPPED, UNREADABLE, unlock  # noqa: E402
from virtual_clock import VirtualClock  # noqa: E402
from waiting import wait_until  # noqa: E402

from livedance.live.command import build  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402


def restore(folder: Path) -> Path:
    """`folder` as a good copy of the shipped bundle again, whatever a case left there."""
    if folder.is_dir():
        shutil.rmtree(folder)
    elif folder.exists():
        folder.unlink()
    shutil.copytree(SHIPPED, folder)
    return folder


def make(model: Path):
    instrument = build(LiveSettings(model=str(model), fps=0.0, midi=False), headless=True, size=(320, 240))
    instrument.clock = VirtualClock()
    instrument.run(frames=2)
    return instrument


def switch_to(instrument, value, control: str = "model") -> dict:
    """Offer `control` (model or dancers) `value` as a control would and run frames until the
    switch settled either way."""
    show = instrument.performance
    before = {"model": show.model_name, "frames": show.frames, "engine": id(show.engine)}
    instrument.bus.offer(control, value, "osc")
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
    folder, cases = Path(sys.argv[1]), dict((case, breaks) for case, breaks, _, _ in UNREADABLE)
    instrument = make(restore(folder))
    try:
        for case in sys.argv[2:]:
            cases[case](folder)
            try:
                result = switch_to(instrument, folder.name)
            finally:
                unlock(folder)
            print(json.dumps(result), flush=True)
    finally:
        instrument.close()
