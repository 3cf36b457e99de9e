"""The house rule, measured: the hot loop allocates nothing per frame.

A real headless instrument (the shipped bundle in onnxruntime, SDL's dummy video driver, the
real compositor and blit, the HUD hidden, no controls) plays a few hundred frames under
tracemalloc, after a warm-up long enough for every lazily built buffer to exist. tracemalloc
sees what CPython's allocators hand out and numpy's data buffers (numpy reports them to it);
what onnxruntime's C++ and SDL allocate for themselves is out of its sight, and out of scope.
Small objects that CPython's free lists recycle (floats, tuples, bound methods) never reach it.

- Growth (a leak): live memory before and after the frames. Filter: traces whose traceback
  passes through livedance/, which is everything the loop made (a numpy buffer carries the
  traceback of the code that asked for it) and nothing the test or tracemalloc made.
- Transients: a temporary freed within its frame is in no snapshot, so the loop's own clock
  (injectable; read at the top of every frame and after each frame is shown) resets
  tracemalloc's peak at every reading and keeps how far the traced total rose meanwhile. A
  peak has no file to filter by, so the bound is in bytes: below the smallest numpy temporary
  the loop could make (one latent, 128 float32: 512 bytes of data and the array object), above
  the few small objects CPython makes anyway (an int past 256, a view's header) and what one
  onnxruntime call allocates in its Python binding, which come and go within the frame.
"""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import tracemalloc  # noqa: E402
from argparse import Namespace  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from virtual_clock import VirtualClock

from livedance.live.command import build  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "models" / "default")
PACKAGE = str(ROOT / "livedance")
WARMUP_FRAMES = 200
FRAMES = 300  # 40 LSTM steps: the loop reads the virtual clock twice a frame, 90 frames a virtual second
SETTLE_FRAMES = 10  # the first frames of a run(), left out of the transients (see below)
GROWTH_LIMIT = 1024  # bytes over all the frames: a list that keeps one pointer a frame grows 2400
# Bytes above a reading's start. One 128-float32 temporary is 576; what one onnxruntime call
# allocates through its Python binding, out of our hands, is up to about 360.
TRANSIENT_LIMIT = 512


class PeakClock(VirtualClock):
    """The virtual clock, which also keeps, per reading, the rise of tracemalloc's peak since the last one."""

    def __init__(self, readings: int):
        super().__init__()
        self.rises = np.zeros(readings, np.int64)  # preallocated: the clock must not allocate either
        self.readings = 0
        self.measuring = False
        self._base = 0

    def start(self) -> None:
        tracemalloc.reset_peak()
        self._base = tracemalloc.get_traced_memory()[0]
        self.measuring = True

    def __call__(self):
        if self.measuring and self.readings < len(self.rises):
            self.rises[self.readings] = tracemalloc.get_traced_memory()[1] - self._base
            self.readings += 1
            tracemalloc.reset_peak()
            self._base = tracemalloc.get_traced_memory()[0]
        return super().__call__()


@pytest.mark.parametrize("dancers", [1, 2])
def test_the_hot_loop_allocates_nothing_per_frame(dancers):
    args = Namespace(model=MODEL, dancers=dancers, seed=0, display=0, fullscreen=False, hud=None, fps=0.0)
    # 640x360: one dancer is enlarged 3x, past the compositor's crisp-edge threshold; two are not.
    instrument = build(args, headless=True, size=(640, 360))
    clock = instrument.clock = PeakClock(4 * FRAMES)
    in_the_loop = [tracemalloc.Filter(True, f"{PACKAGE}/*", all_frames=True)]
    try:
        instrument.run(frames=WARMUP_FRAMES)
        tracemalloc.start(32)  # deep enough that every trace's traceback reaches the loop's frame
        instrument.run(frames=10)  # what each frame replaces (a counter's int) is traced from here
        before = tracemalloc.take_snapshot().filter_traces(in_the_loop)
        steps = instrument.choreographer.steps
        clock.start()
        instrument.run(frames=FRAMES)
        clock.measuring = False
        after = tracemalloc.take_snapshot().filter_traces(in_the_loop)
        steps = instrument.choreographer.steps - steps
    finally:
        tracemalloc.stop()
        instrument.close()
    assert steps >= 30  # the measured frames include LSTM steps, not just sampling between them

    grown = after.compare_to(before, "traceback")
    growth = sum(stat.size_diff for stat in grown)
    where = "\n".join(f"{stat.size_diff:+d} B at {_innermost(stat.traceback)}" for stat in grown[:5])
    assert growth < GROWTH_LIMIT, f"the loop kept {growth} more bytes after {FRAMES} frames:\n{where}"

    # Left out: run()'s start and its first frames, which refill the free lists its gc.collect
    # emptied (CPython's floats, tuples, dicts...): a one-off per run, not per frame.
    rises = clock.rises[1 + 2 * SETTLE_FRAMES : clock.readings]
    assert len(rises) >= 2 * (FRAMES - SETTLE_FRAMES)
    worst = int(rises.max())
    over = int((rises >= TRANSIENT_LIMIT).sum())
    assert worst < TRANSIENT_LIMIT, f"{over} of {len(rises)} stretches of the loop allocated a temporary ({worst} B)"


def _innermost(traceback: tracemalloc.Traceback) -> str:
    """The newest livedance line in a traceback: the code that asked for the memory."""
    ours = [frame for frame in traceback if frame.filename.startswith(PACKAGE)]
    frame = ours[-1] if ours else traceback[-1]
    return f"{frame.filename}:{frame.lineno}"
