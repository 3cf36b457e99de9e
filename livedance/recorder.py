"""Recording the live loop to a video without ever making the loop wait for the disk.

The loop copies its canvas into one of a few preallocated frame buffers and hands it to a
writer thread through a bounded queue; when every buffer is still waiting to be encoded the
frame is left out of the recording and counted, and the loop carries on. A frame shown late
is queued once with a repeat count for the display slots it covered, so the video keeps the
performance's timing without copying the frame again.
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

import numpy as np

from .errors import LivedanceError
from .render import CODECS, open_writer

BUFFERS = 6  # ~37 MiB at 1920x1080: a tenth of a second of slack at 60 fps


class Recorder:
    def __init__(self, out: str | os.PathLike, fps: float, size: tuple[int, int], buffers: int = BUFFERS):
        self.out = Path(out)
        if self.out.suffix.lower() not in CODECS:
            raise LivedanceError(f"--out {self.out}: unsupported video type; expected one of {', '.join(CODECS)}")
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LivedanceError(f"--out {self.out}: cannot create its folder ({exc.strerror})") from None
        self.partial = self.out.with_name(f".{self.out.stem}.part{self.out.suffix}")
        self.writer, self.codec, self.codecs_failed = open_writer(self.partial, fps, size)
        width, height = size
        self._free: queue.Queue = queue.Queue()
        for _ in range(buffers):
            self._free.put(np.empty((height, width, 3), np.uint8))
        self._full: queue.Queue = queue.Queue(maxsize=buffers + 1)  # + the stop sentinel
        self.queued = 0
        self.dropped = 0  # frames left out because the writer was behind
        self.written = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._write, name="livedance-recorder", daemon=True)
        self._thread.start()

    def push(self, canvas: np.ndarray, repeat: int = 1) -> bool:
        """Queue a copy of the canvas (shown for `repeat` slots); never blocks."""
        try:
            buffer = self._free.get_nowait()
        except queue.Empty:
            self.dropped += repeat
            return False
        np.copyto(buffer, canvas)
        self._full.put_nowait((buffer, repeat))
        self.queued += repeat
        return True

    def _write(self) -> None:
        while True:
            item = self._full.get()
            if item is None:
                return
            buffer, repeat = item
            try:
                if self.error is None:
                    for _ in range(repeat):
                        self.writer.write(buffer)
                        self.written += 1
            except BaseException as exc:  # keep draining so the loop never stalls
                self.error = exc
            finally:
                self._free.put(buffer)

    def close(self) -> Path:
        """Finish encoding what was queued and move the video into place."""
        self._full.put(None)
        self._thread.join()
        self.writer.release()
        if self.error is not None or not self.partial.is_file() or self.partial.stat().st_size == 0:
            self.partial.unlink(missing_ok=True)
            reason = f" ({self.error})" if self.error is not None else ""
            raise LivedanceError(f"{self.out}: the {self.codec} writer produced no video{reason}")
        os.replace(self.partial, self.out)
        return self.out

    def abort(self) -> None:
        self._full.put(None)
        self._thread.join()
        self.writer.release()
        self.partial.unlink(missing_ok=True)
