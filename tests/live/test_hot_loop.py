"""The house rule, measured: the hot loop allocates nothing per frame.

A real headless instrument (the shipped bundle in onnxruntime, SDL's dummy video driver, the
real compositor and blit, the HUD hidden, no controls) plays a few hundred frames under
tracemalloc, after a warm-up long enough for every lazily built buffer to exist. tracemalloc
sees what CPython's allocators hand out and numpy's data buffers (numpy reports them to it);
what onnxruntime's C++ and SDL allocate for themselves is out of its sight, and out of scope.

- Growth (a leak): live memory before and after the frames. Filter: traces whose traceback
  passes through livedance/, which is everything the loop made (a numpy buffer carries the
  traceback of the code that asked for it), less what onnxruntime's Python binding keeps
  between calls (its own business, and bounded).
- Transients: a temporary freed within its frame is in no snapshot. A trace function sees
  every bytecode instruction of livedance's and numpy's Python code and, around each,
  resets tracemalloc's peak and keeps how far the total rose while it ran, C calls included
  (a ufunc's result, np.zeros). Filter: instructions on lines of livedance/ and numpy/. The
  rest is out: onnxruntime's wrapper is traced so that its binding's allocations land on its
  own lines, not on the engine's line calling it, and the frame objects the trace function
  itself makes CPython build at each call are not counted. A line's bound is in bytes: below
  the smallest numpy temporary worth reusing (one latent, 128 float32: 512 bytes of data and
  the array object), above the small objects an instruction makes anyway (an int past 256, a
  view's header, an enumerate), which free lists may or may not recycle.
"""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import sys  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnxruntime  # noqa: E402
import pytest  # noqa: E402
from virtual_clock import VirtualClock

from livedance.live.command import build  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "models" / "default")
PACKAGE = str(ROOT / "livedance") + os.sep
NUMPY = str(Path(np.__file__).parent) + os.sep
ONNXRUNTIME = str(Path(onnxruntime.__file__).parent) + os.sep
WARMUP_FRAMES = 200
FRAMES = 300  # 40 LSTM steps: the loop reads the virtual clock twice a frame, 90 frames a virtual second
GROWTH_LIMIT = 1024  # bytes over all the frames: a list that keeps one pointer a frame grows 2400
TRANSIENT_LIMIT = 512  # bytes one line may allocate and free: one 128-float32 temporary is 576
# Times a line must go over the limit to count. A temporary in the loop recurs every frame, or
# every LSTM step (40 of them here); another thread's allocation (a daemon thread an earlier
# test left behind) can land on a line only while that line's C call has let go of the GIL, now
# and then.
RECURRING = 10


class Temporaries:
    """A trace function: per line of livedance's, numpy's and onnxruntime's Python code, the
    most tracemalloc's total rose while one of its bytecode instructions ran (when TRANSIENT_LIMIT or more)."""

    def __init__(self):
        self.worst: dict[tuple[str, int], int] = {}
        self.times: dict[tuple[str, int], int] = {}  # how often each line went over the limit
        self._line: tuple[str, int] | None = None
        self._base = 0

    def _restart(self, line: tuple[str, int] | None) -> None:
        self._line = line
        tracemalloc.reset_peak()
        self._base = tracemalloc.get_traced_memory()[0]

    def call(self, frame, event, arg):
        # What rose since the last instruction is the call and the callee's frame object, built
        # for this trace function: not the loop's. An untraced callee counts as its own line.
        code = frame.f_code
        self._restart((code.co_filename, frame.f_lineno))
        if code.co_filename.startswith((PACKAGE, NUMPY, ONNXRUNTIME)):
            frame.f_trace_opcodes = True
            return self.instruction
        return None

    def instruction(self, frame, event, arg):
        rise = tracemalloc.get_traced_memory()[1] - self._base
        if rise >= TRANSIENT_LIMIT and self._line is not None:
            self.worst[self._line] = max(self.worst.get(self._line, 0), rise)
            self.times[self._line] = self.times.get(self._line, 0) + 1
        self._restart(None if event == "return" else (frame.f_code.co_filename, frame.f_lineno))
        return self.instruction


@pytest.mark.parametrize("dancers", [1, 2])
def test_the_hot_loop_allocates_nothing_per_frame(dancers):
    # 640x360: one dancer is enlarged 3x, past the compositor's crisp-edge threshold; two are not.
    instrument = build(LiveSettings(model=MODEL, dancers=dancers, fps=0.0), headless=True, size=(640, 360))
    instrument.clock = VirtualClock()
    in_the_loop = [
        tracemalloc.Filter(True, f"{PACKAGE}*", all_frames=True),
        tracemalloc.Filter(False, f"{ONNXRUNTIME}*"),
    ]
    temporaries = Temporaries()
    tracing = sys.gettrace()
    try:
        instrument.run(frames=WARMUP_FRAMES)
        tracemalloc.start(32)  # deep enough that every trace's traceback reaches the loop's frame
        instrument.run(frames=10)  # what each frame replaces (a counter's int) is traced from here
        before = tracemalloc.take_snapshot().filter_traces(in_the_loop)
        steps = instrument.performance.choreographer.steps
        instrument.run(frames=FRAMES)
        after = tracemalloc.take_snapshot().filter_traces(in_the_loop)
        tracemalloc.stop()
        tracemalloc.start(1)  # peaks need no tracebacks, and deep ones slow every allocation
        sys.settrace(temporaries.call)
        instrument.run(frames=FRAMES)
        sys.settrace(tracing)
        steps = instrument.performance.choreographer.steps - steps
    finally:
        sys.settrace(tracing)
        tracemalloc.stop()
        instrument.close()
    assert steps >= 60  # the frames include LSTM steps, not just sampling between them

    grown = after.compare_to(before, "traceback")
    growth = sum(stat.size_diff for stat in grown)
    where = "\n".join(f"{stat.size_diff:+d} B at {_innermost(stat.traceback)}" for stat in grown[:5])
    assert growth < GROWTH_LIMIT, f"the loop kept {growth} more bytes after {FRAMES} frames:\n{where}"

    ours = {
        line: rise
        for line, rise in temporaries.worst.items()
        if line[0].startswith((PACKAGE, NUMPY)) and temporaries.times[line] >= RECURRING
    }
    lines = "\n".join(
        f"{rise} B at {name}:{number} ({temporaries.times[name, number]} times)"
        for (name, number), rise in sorted(ours.items())
    )
    assert not ours, f"lines of the loop that allocate a temporary:\n{lines}"


def _innermost(traceback: tracemalloc.Traceback) -> str:
    """The newest livedance line in a traceback: the code that asked for the memory."""
    ours = [frame for frame in traceback if frame.filename.startswith(PACKAGE)]
    frame = ours[-1] if ours else traceback[-1]
    return f"{frame.filename}:{frame.lineno}"
