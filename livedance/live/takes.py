"""Recording on demand: the record control starts and stops takes while the show plays.

Choosing a file name, opening the video and finishing it touch the disk, so they happen on
record threads; the display thread only adopts a recorder that is ready (`poll`) and attaches
it to the feed, which hands it each frame at the recording's own size (keyed, for a .mov with
alpha) without ever waiting. The control log goes beside each video.

A take still finishing may overlap the next one opening: each take is numbered, and only the
newest take's lines reach the HUD (an older one's "wrote ..." would say nothing is recording
while something is), and no two takes are given one file name.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Container
from pathlib import Path

from livedance.control.controls import ControlBus
from livedance.errors import LivedanceError, one_line
from livedance.live.performance import Performance
from livedance.outputs.feed import Feed
from livedance.recording.recorder import MIN_FREE_MB, Recorder

log = logging.getLogger(__name__)

RECORD_DIR = "recordings"


def control_log_path(video) -> Path:
    """The control log of a recording: beside the video, same name, .jsonl."""
    return Path(video).with_suffix(".jsonl")


def new_take_path(folder: Path, taken: Container[Path] = ()) -> Path:
    """A file name no earlier take has: the time, and a number after it when needed. `taken`:
    names given to takes that may not be on disk under them yet (still being written)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    # Matroska: a file that plays up to the last frame written even if the process dies.
    path = folder / f"livedance-{stamp}.mkv"
    number = 1
    while path.exists() or path in taken:
        number += 1
        path = folder / f"livedance-{stamp}-{number}.mkv"
    return path


class Takes:
    """The show's recorder, if any, and the threads that open and finish recordings.

    Recordings are `size` (the outputs' size) and keyed where `alpha` and the file's codec allow."""

    def __init__(
        self,
        performance: Performance,
        bus: ControlBus,
        feed: Feed,
        fps: float,
        size: tuple[int, int],
        record_dir: str | Path = RECORD_DIR,
        codec: str | None = None,
        hardware: bool = False,
        alpha: bool = True,
    ):
        self.performance = performance
        self.bus = bus
        self.feed = feed
        self.fps = fps
        self.size = size
        self.alpha = alpha
        self.record_dir = Path(record_dir)
        self.codec, self.hardware = codec, hardware  # what open_writer tries (video.files)
        self.min_free_mb: float = MIN_FREE_MB  # a take stops when the disk has less free
        self.recorder: Recorder | None = None
        self._threads: list[threading.Thread] = []
        self._starting = False
        self._cancel = False
        self._opened: Recorder | None = None  # opened by a record thread, for the display thread to adopt
        self._failed: str | None = None  # why a record thread could not open its take, for the display thread
        self._take = 0  # the newest take's number: only its lines reach the HUD
        self._named: set[Path] = set()  # every file name given to a take, so none is given twice

    @property
    def recording(self) -> bool:
        return self.recorder is not None or self._starting

    def status(self, line: str) -> None:
        """The recording's line on the HUD (a recorder calls it from its writer thread)."""
        self.bus.status["record"] = line

    def _status_of(self, take: int) -> Callable[[str], None]:
        """The HUD line of take number `take`, shown only while no newer take has started."""

        def say(line: str) -> None:
            if take == self._take:
                self.status(line)

        return say

    # --- on the display thread ----------------------------------------------------------------
    def start(self) -> None:
        """Open a new video in `record_dir` on a thread; frames go to it from the next one ready."""
        if self._starting and self._cancel:  # stopped and started again while it opens: keep it
            self._cancel = False
            self.status(f"recording: opening a take in {self.record_dir}")
            return
        if self.recording:
            return
        if not self.fps:
            raise LivedanceError("record: needs a frame rate; --fps 0 (uncapped) has none")
        self._starting, self._cancel = True, False
        self._take += 1
        self.status(f"recording: opening a take in {self.record_dir}")
        self._thread(self._open, self._take)

    def stop(self) -> None:
        """Detach the recorder now; it and its log finish writing on a thread."""
        if self._starting:
            self._cancel = True
            return
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            self.feed.detach(recorder)
            self.status(f"finishing {recorder.out}")
            self._thread(self._finish, recorder, self.performance.frames, self._status_of(self._take))

    def poll(self) -> None:
        """Adopt a recorder a record thread has opened (or drop it, if stopped meanwhile), or say
        why it could not open one: only this thread decides whether a take is starting, so a
        record pressed again as the opening fails can't leave "opening" on the HUD."""
        if self._failed is not None:
            failed, self._failed = self._failed, None
            self._starting = self._cancel = False
            self.status(failed)
            return
        if self._opened is None:
            return
        recorder, self._opened = self._opened, None
        self._starting = False
        if self._cancel:  # stopped while it was opening: nothing was recorded
            self.status("record: cancelled")
            self._thread(Recorder.abort, recorder)
        else:
            self.adopt(recorder)

    def adopt(self, recorder: Recorder) -> bool:
        """Frames go to `recorder` from the next one drawn, and its control log says so. A log
        that can't be written stops the recording, not the show."""
        session = self.performance.log
        try:
            if session is not None:
                session.attach(control_log_path(recorder.out), self.performance.frames, str(recorder.out))
        except LivedanceError as exc:
            self.status(f"not recording: {exc}")
            recorder.abort()
            return False
        self.recorder = recorder
        self.feed.attach(recorder)
        keyed = ", keyed" if recorder.channels == 4 else ""
        self.status(f"recording to {recorder.out} ({recorder.codec}{keyed})")
        return True

    def new_recorder(self, path: str | Path, status: Callable[[str], None] | None = None) -> Recorder:
        """A recorder for this show's frames (its rate, size, codec and alpha), its lines on the
        HUD (through `status`, or straight)."""
        return Recorder(
            path,
            self.fps,
            self.size,
            min_free_mb=self.min_free_mb,
            status=status or self.status,
            codec=self.codec,
            hardware=self.hardware,
            alpha=self.alpha,
        )

    # --- at the end ---------------------------------------------------------------------------
    def finish(self) -> list[str]:
        """Wait for takes opening or finishing, then end the current one; a line on each file."""
        self.join()
        if self._opened is not None or self._failed is not None:  # opened but never shown a frame, or failed
            self._cancel = True
            self.poll()
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return []
        self.feed.detach(recorder)
        return self._finish(recorder, self.performance.frames)

    def join(self) -> None:
        for thread in self._threads:
            thread.join()

    # --- on record threads --------------------------------------------------------------------
    def _open(self, take: int) -> None:
        say = self._status_of(take)
        try:
            path = new_take_path(self.record_dir, self._named)
            self._named.add(path)
            say(f"recording: opening {path}")
            recorder = self.new_recorder(path, say)
            self._named.add(recorder.out)  # the recorder may have picked another stem
            self._opened = recorder
        except Exception as exc:  # whatever it is, the take is not opening any more
            if not isinstance(exc, LivedanceError):
                log.warning("%s", one_line(exc), exc_info=True)
            self._failed = f"record: {one_line(exc)}"

    def _finish(self, recorder: Recorder, frame: int, say: Callable[[str], None] | None = None) -> list[str]:
        """Finish a recording and its control log (ended at `frame`); one line on each, the
        first also on the HUD (through `say`)."""
        lines = []
        session = self.performance.log
        if session is not None:
            error = session.detach(control_log_path(recorder.out), frame)
            lines.append(f"control log {control_log_path(recorder.out)}" + (f" incomplete: {error}" if error else ""))
        try:
            path = recorder.close()
            skipped = f" ({', '.join(recorder.codecs_failed)} unavailable)" if recorder.codecs_failed else ""
            stopped = f"; stopped early: {recorder.stopped}" if recorder.stopped else ""
            stopped += f"; {recorder.note}" if recorder.note else ""
            lines.insert(
                0,
                f"wrote {path}: {recorder.written} frames, {self.size[0]}x{self.size[1]} at {self.fps:g} fps, "
                f"codec {recorder.codec}{', keyed' if recorder.channels == 4 else ''}{skipped}; "
                f"{recorder.dropped} left out (writer behind){stopped}",
            )
        except LivedanceError as exc:
            lines.insert(0, str(exc))
        (say or self.status)(lines[0])
        for line in lines:  # a newer take may own the HUD by now: the log keeps every line
            log.info("%s", line)
        return lines

    def _thread(self, target, *args) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(target=target, args=args, name="livedance-record", daemon=True)
        self._threads.append(thread)
        thread.start()
