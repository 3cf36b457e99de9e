"""A fixed piece of frame-like work, timed in CPU time in a process of its own: how fast the machine is now.

A virtual machine's cores slow down with what its neighbours on the host do (a lower clock, a
shared cache), and none of that shows as steal or as another program's load. A soak that sees
the display thread's CPU time per frame grow cannot tell that from its own work growing unless
it measures the machine alongside. The measure runs in a single-threaded process of its own:
inside the show's process its CPU time also grows with what the other Python threads do, which
is the show's own load, not the machine's (the round below: 2.4 ms alone; 9.0 ms beside one
thread running Python bytecode, 4.1 ms beside one copying arrays in numpy; 2.5 ms beside a
busy process on the other core). Every operation is single-threaded numpy (no BLAS, no OpenCV
pool): a table lookup over an image, a streaming multiply and maximum, transcendental and small
dot-product arithmetic, as the compositor and the decoder do.

    python -m livedance.tools.yardstick FILE [--every 1.0]

appends "perf_counter_seconds cpu_seconds" lines to FILE until its parent process ends.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from livedance.worker import NICE

REPEATS = 3  # the fastest of a few: an interrupt or a migration lands in one, rarely in all


class Yardstick:
    """`measure()` -> seconds of CPU for one fixed round of work; its buffers are made once."""

    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        self._grey = rng.integers(0, 256, (540, 960), np.uint8)
        self._looked = np.empty_like(self._grey)
        self._table = rng.integers(0, 256, 256, np.uint8)
        self._echo = rng.standard_normal((540, 960)).astype(np.float32)
        self._decayed = np.empty_like(self._echo)
        self._latents = rng.standard_normal((200, 256)).astype(np.float32)
        self._out = np.empty_like(self._latents)
        self.measure()  # first touches and lazy imports out of the first sample

    def _round(self) -> None:
        for _ in range(2):
            np.take(self._table, self._grey, out=self._looked)
        for _ in range(4):
            np.multiply(self._echo, 0.97, out=self._decayed)
            np.maximum(self._decayed, self._echo, out=self._decayed)
        for _ in range(5):
            np.exp(self._latents, out=self._out)
        for _ in range(10):
            np.einsum("ij,kj->ik", self._latents[:16], self._latents[:64], out=self._out[:16, :64])

    def measure(self) -> float:
        best = float("inf")
        for _ in range(REPEATS):
            began = time.thread_time()
            self._round()
            best = min(best, time.thread_time() - began)
        return best


class Measuring:
    """The yardstick in a child process, measuring every `every` seconds until `close()`;
    `readings()` -> [(perf_counter seconds, CPU seconds)], on the caller's clock (the same
    monotonic clock in every process on Linux and macOS)."""

    def __init__(self, path: Path, every: float = 1.0):
        self.path = Path(path)
        self.path.write_text("", encoding="ascii")
        command = [sys.executable, "-m", "livedance.tools.yardstick", str(self.path), "--every", str(every)]
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def readings(self) -> list[tuple[float, float]]:
        out = []
        for line in self.path.read_text(encoding="ascii").splitlines():
            try:
                at, seconds = (float(v) for v in line.split())
            except ValueError:  # a line cut short by close()
                continue
            out.append((at, seconds))
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m livedance.tools.yardstick", description=__doc__.split("\n")[0])
    parser.add_argument("file", help="appends 'perf_counter_seconds cpu_seconds' lines here")
    parser.add_argument("--every", type=float, default=1.0, help="seconds between measures (default: 1)")
    args = parser.parse_args(argv)
    stick, parent = Yardstick(), os.getppid()
    if hasattr(os, "nice"):
        os.nice(NICE)  # the frame never waits for the measure; its CPU time is the same either way
    with open(args.file, "a", encoding="ascii") as out:
        while os.getppid() == parent:  # orphaned (the show killed): stop
            out.write(f"{time.perf_counter():.6f} {stick.measure():.9f}\n")
            out.flush()
            time.sleep(args.every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
