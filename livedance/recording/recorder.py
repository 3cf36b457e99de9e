"""Recording the live loop to a video that is never lost and never makes the loop wait.

The loop copies its canvas into one of a few preallocated frame buffers and hands it to a
writer thread through a bounded queue; when every buffer is still waiting to be encoded the
frame is left out and counted, and the loop carries on. A frame shown late is queued once
with a repeat count for the display slots it covered, so the video keeps the show's timing.

A killed process must still leave a playable video. Fragmented MP4 and QuickTime and
Matroska are readable up to their last second written (`video.files`), so such a file is one
file named `show.recording.mp4` until it is finished. An .avi is unreadable (or partly so)
until released, so it is written in segments of `segment_seconds`: the open one is
`show.0003.recording.avi`, each is released and renamed `show.0003.avi` when the next
starts, and close() joins them into `show.avi` (a remux: no frame is encoded twice). A name
with `.recording` or `.joining` in it is unfinished. Full disks and writer errors stop the
recording (`stopped` says why), never the show.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import re
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from livedance.errors import LivedanceError, one_line
from livedance.video.files import container_for, open_writer, remux
from livedance.worker import Worker, run_nicer

log = logging.getLogger(__name__)

BUFFERS = 6  # ~37 MiB at 1920x1080: a tenth of a second of slack at 60 fps
SEGMENT_SECONDS = 60.0
MIN_FREE_MB = 200
CHECK_EVERY = 1.0  # seconds between free-space checks while frames arrive
RECORDING = ".recording"  # marks the file still being written
JOINING = ".joining"  # marks the joined file still being written
MB = 1 << 20


def _no_room(exc: BaseException) -> bool:
    """A write failed for want of space (a full disk, a quota)."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class Recorder(Worker):
    """push() frames from the display loop; close() on every way out of the show.

    The writer thread starts with the recorder (a `Worker`); close() also returns the video's path.
    With `alpha`, a codec that keeps alpha (ProRes 4444 in .mov) takes keyed BGRA frames
    (`channels` 4); every other recording takes BGR. It is an `outputs.Output` (`offer`,
    `status`), so the feed can hand it frames at its own size.
    """

    kind = "record"

    def __init__(
        self,
        out: str | os.PathLike,
        fps: float,
        size: tuple[int, int],
        buffers: int = BUFFERS,
        segment_seconds: float = SEGMENT_SECONDS,
        min_free_mb: float = MIN_FREE_MB,
        status: Callable[[str], None] | None = None,
        codec: str | None = None,
        hardware: bool = False,
        alpha: bool = False,
    ):
        super().__init__("livedance-recorder")  # close() waits for every frame queued to be written
        self.out = Path(out)
        container = container_for(self.out)  # refuses a file type it has no writer for
        if not fps or fps <= 0:
            raise LivedanceError(f"{self.out}: recording needs a frame rate above 0, got {fps}")
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))
        self.segmented = not container.crash_safe
        self._codec_asked, self._hardware = codec, hardware  # for open_writer: a codec by name, NVENC
        self.segment_frames = max(1, round(segment_seconds * self.fps))
        self.min_free_mb = min_free_mb  # read at every check: may be changed while recording
        self._on_status = status
        self.last_status = ""
        self.queued = 0  # frames accepted by push()
        self.dropped = 0  # frames left out because the writer was behind
        self.written = 0
        self._refused = 0  # push() calls turned away after the stop
        self._unwritten = 0  # frames queued before the stop that the writer then left out
        self.error: BaseException | None = None
        self.stopped: str | None = None  # one line: why the recording ended early, set once when it is whole
        self._ended = False  # the writer thread's own flag: set first, so nothing more is written
        self.note: str | None = None  # one line: where the frames are when not all in `out`
        self.segments: list[Path] = []  # finished segments still on disk, oldest first
        self.path: Path | None = None  # the finished recording, once there is one file
        self._counts: list[int] = []  # frames in each finished segment
        self._number = 0
        self._in_part = 0  # frames in the open part
        self._joining: Path | None = None
        self._refuse = False
        self._halted = False  # the writer has been told to end
        # push() checks `_refuse` and queues under this lock, and the stop sets it and queues the
        # end under it: no frame is accepted after the end is queued, to sit there unwritten.
        self._handover = threading.Lock()
        self._result: Path | LivedanceError | None = None
        self._next_check = 0.0

        folder = self.out.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:  # a file where the folder should be
            raise LivedanceError(
                f"{self.out}: cannot create its folder {folder} ({os.strerror(errno.ENOTDIR)})"
            ) from None
        except OSError as exc:
            raise LivedanceError(f"{self.out}: cannot create its folder {folder} ({exc.strerror or exc})") from None
        self._stem = self._unused_stem()
        if self._stem != self.out.stem:  # an earlier killed recording's files are kept: so is its log
            self.out = self.out.with_name(self._stem + self.out.suffix)
        self.writer = None
        self.partial: Path | None = None  # the open, unfinished file
        self._open_part()
        free = self._free_bytes()
        if free is not None and free < self.min_free_mb * MB:
            self.writer.release()
            self.partial.unlink(missing_ok=True)
            raise LivedanceError(
                f"{self.out}: disk full: {free // MB} MB free in {folder}, {self.min_free_mb:g} MB needed to record"
            )
        self.channels = 4 if alpha and self.writer.codec.alpha else 3
        self._say_recording()
        self._next_check = time.monotonic() + CHECK_EVERY
        self._free: queue.Queue = queue.Queue()
        for _ in range(buffers):
            self._free.put(np.empty((self.size[1], self.size[0], self.channels), np.uint8))
        self._full: queue.Queue = queue.Queue(maxsize=buffers + 2)  # + a stop request + the end
        self.start()

    # --- the loop's side --------------------------------------------------------------------
    def push(self, canvas: np.ndarray, repeat: int = 1, block: bool = False) -> bool:
        """Queue a copy of the canvas (shown for `repeat` slots); never raises.

        The live loop never blocks: a frame with no free buffer is left out and counted. An
        offline render (`replay`) passes `block=True` to wait for the writer instead."""
        if self._refuse:
            self._refused += repeat
            return False
        try:
            buffer = self._free.get(timeout=60.0) if block else self._free.get_nowait()
        except queue.Empty:
            self.dropped += repeat
            return False
        try:
            np.copyto(buffer, canvas)
        except (ValueError, TypeError):
            self._free.put(buffer)
            shape = "x".join(map(str, np.shape(canvas)))
            size = f"{self.size[0]}x{self.size[1]}"
            why = f"a {shape} {getattr(canvas, 'dtype', '?')} frame does not fit the {size} recording"
            with self._handover:
                self._refused += repeat
                if not self._refuse:
                    self._refuse = True
                    self._full.put_nowait((None, why))
            return False
        with self._handover:
            if self._refuse:  # stopped while the frame was copied
                self._free.put(buffer)
                self._refused += repeat
                return False
            self._full.put_nowait((buffer, repeat))
            self.queued += repeat
        return True

    def wants(self, t: float) -> bool:
        """A recording takes every frame it is offered (until it stops)."""
        return not self._refuse

    def offer(self, frame: np.ndarray, t: float, repeat: int = 1) -> bool:
        """`push` as an output of the feed: the frame shown at `t` for `repeat` slots."""
        return self.push(frame, repeat)

    def status(self) -> str:
        return self.last_status

    @property
    def refused_after_stop(self) -> int:
        """Frames not recorded because the recording had stopped (not counted as dropped)."""
        return self._refused + self._unwritten

    @property
    def seconds(self) -> float:
        """Length of the video recorded so far."""
        return self.written / self.fps

    def files(self) -> list[Path]:
        """This recording's files on disk now: finished ones first, then any unfinished."""
        paths = [self.path] if self.path is not None else []
        paths += self.segments + [p for p in (self.partial, self._joining) if p is not None]
        return [p for p in paths if p.exists()]

    # --- the writer thread ------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._full.get()
            if item is None:
                return
            buffer, repeat = item
            if buffer is None:  # push() refused a frame: end the recording here
                self._end(repeat)
                continue
            try:
                if not self._ended:
                    self._write(buffer, repeat)
                else:
                    self._unwritten += repeat
            except Exception as exc:  # keep draining so the loop never stalls
                log.debug("writer failed", exc_info=True)
                self.error = exc
                self._end(self._disk_full() if _no_room(exc) else f"writer failed: {one_line(exc)}")
            finally:
                self._free.put(buffer)

    def _write(self, buffer: np.ndarray, repeat: int) -> None:
        for done in range(repeat):
            if self.segmented and self._in_part >= self.segment_frames:
                self._finish_part()
                self._check_disk()
                if not self._ended:
                    self._open_part()
            elif time.monotonic() >= self._next_check:
                self._check_disk()
            if self._ended:
                self._unwritten += repeat - done
                return
            self.writer.write(buffer)
            self.written += 1
            self._in_part += 1

    def _check_disk(self) -> None:
        self._next_check = time.monotonic() + CHECK_EVERY
        free = self._free_bytes()
        if free is not None and free < self.min_free_mb * MB:
            self._end(self._disk_full(free))

    def _disk_full(self, free: int | None = None) -> str:
        """The one line for a disk that filled (found by the check, or by a write that failed)."""
        free = self._free_bytes() if free is None else free
        return f"disk full: {(free or 0) // MB} MB free in {self.out.parent}"

    def _end(self, reason: str) -> None:
        """Finish what was recorded and record nothing more."""
        if self._ended:
            return
        self._refuse = self._ended = True
        for step in (self._finish_part, self._settle):  # a file that won't finish is still named as done
            try:
                step()
            except Exception as exc:
                log.debug("finishing after the stop", exc_info=True)
                self.note = self.note or f"could not finish {self.out.name} ({one_line(exc)})"
        files = self.files()
        if not files:
            kept = "nothing recorded"
        elif len(files) == 1:
            kept = f"kept in {files[0]}"
        else:
            kept = f"kept in {len(files)} files {files[0]} .. {files[-1].name}"
        self.stopped = f"{reason}; recording stopped after {clock(self.seconds)}, {kept}"
        log.warning("%s: %s", self.out.name, self.stopped)
        self._say(f"stopped: {self.stopped}")

    # --- files ------------------------------------------------------------------------------
    def _free_bytes(self) -> int | None:
        try:
            usage = shutil.disk_usage(self.out.parent)
        except OSError:
            return None
        return usage.free if usage.total else None  # /proc and the like have no size at all

    def _unused_stem(self) -> str:
        """The out stem, or stem-2, -3 ... where files of a killed earlier recording would clash."""
        try:
            names = set(os.listdir(self.out.parent))
        except OSError:
            names = set()
        suffix = re.escape(self.out.suffix)
        for number in range(1, 10_000):
            stem = self.out.stem if number == 1 else f"{self.out.stem}-{number}"
            pattern = re.compile(
                re.escape(stem)
                + rf"(\.\d{{4,}}({re.escape(RECORDING)})?|{re.escape(RECORDING)}|{re.escape(JOINING)}){suffix}"
            )
            if not any(pattern.fullmatch(name) for name in names):
                return stem
        raise LivedanceError(f"{self.out}: too many unfinished recordings beside it; move them away")

    def _part_name(self, finished: bool) -> Path:
        mark = "" if finished else RECORDING
        number = f".{self._number:04d}" if self.segmented else ""
        return self.out.with_name(f"{self._stem}{number}{mark}{self.out.suffix}")

    def _open_part(self) -> None:
        self._number += 1
        path = self._part_name(finished=False)
        try:  # creating it is the only honest test that the folder is writable (root ignores modes)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except OSError as exc:
            raise LivedanceError(
                f"{self.out}: cannot write {path.name} in {path.parent} ({exc.strerror or exc})"
            ) from None
        try:
            # The encoder's threads (x264's) are made as it opens: from a nicer thread, they
            # yield to the show's display thread, as the writer's own thread does.
            writer, codec, failed = run_nicer(
                lambda: open_writer(path, self.fps, self.size, self._codec_asked, self._hardware)
            )
        except LivedanceError:
            path.unlink(missing_ok=True)
            raise
        if self._number == 1:
            self.codec, self.codecs_failed = codec, failed
        self.writer, self.partial, self._in_part = writer, path, 0
        if self._number > 1:
            self._say_recording()

    def _say_recording(self) -> None:
        skipped = f"; {', '.join(self.codecs_failed)} unavailable" if self.codecs_failed else ""
        part = f"segment {self._number}, " if self.segmented else ""
        self._say(f"recording {self.out.name} ({part}codec {self.codec}{skipped})")

    def _finish_part(self) -> None:
        """Release the open file; a finished segment loses its mark, an empty file goes."""
        writer, self.writer = self.writer, None
        try:
            if writer is not None:
                writer.release()
        finally:  # a writer that failed to finish (a full disk) leaves what it wrote: keep it
            if self.partial is not None and self._in_part == 0:
                self.partial.unlink(missing_ok=True)
                self.partial = None
            elif self.partial is not None and self.segmented:
                done = self._part_name(finished=True)
                # Listed before it is renamed: files() from another thread always finds it.
                self.segments.append(done)
                self._counts.append(self._in_part)
                os.replace(self.partial, done)
                self.partial = None

    def _settle(self) -> None:
        """Move the recording to `out` where that is a rename: one file, nothing to join."""
        if self.writer is not None:
            return
        # `path` is set before the rename and the old name dropped after: files() from another
        # thread finds the video under one name or the other, never under none.
        if self.partial is not None and not self.segmented:
            self._rename(self.partial, self.out)
            self.partial = None
        elif len(self.segments) == 1:
            self._rename(self.segments[0], self.out)
            self.segments = []

    def _rename(self, path: Path, out: Path) -> None:
        self.path = out
        try:
            os.replace(path, out)
        except BaseException:
            self.path = None
            raise

    # --- finishing --------------------------------------------------------------------------
    def close(self) -> Path:
        """Write what was queued, finish the files and put the video at `out`; idempotent.

        Several segments are joined here by re-encoding (a progress bar on a terminal), so this
        may take a while: call it off the display loop. Returns `out`, or the first kept file
        when the segments could not be joined (`note` says why). Raises LivedanceError when
        nothing was recorded or a file could not be finished; the frames stay on disk.
        """
        super().close()
        if isinstance(self._result, LivedanceError):
            raise LivedanceError(str(self._result))
        if self._result is None:  # re-entered from a signal handler: the outer call finishes
            return self.path or self.out
        return self._result

    def _wake(self) -> None:
        """Take no more frames, then tell the writer to end once it has written those queued."""
        with self._handover:
            self._refuse = True
            if not self._halted:
                self._halted = True
                self._full.put_nowait(None)

    def _close(self) -> None:
        try:
            self._result = self._finish()
        except LivedanceError as exc:
            self._result = exc

    def abort(self) -> None:
        """close() for a recording that may hold nothing: an empty one leaves no file."""
        try:
            self.close()
        except LivedanceError:
            pass

    def _finish(self) -> Path:
        try:
            self._finish_part()
            self._settle()
        except Exception as exc:
            where = ", ".join(map(str, self.files())) or "nothing"
            raise LivedanceError(
                f"{self.out}: could not finish the video ({one_line(exc)}); frames kept in {where}"
            ) from None
        if self.written == 0:
            raise LivedanceError(
                f"{self.out}: no frames were recorded" + (f" ({self.stopped})" if self.stopped else "")
            )
        if len(self.segments) > 1:
            self._join()
        result = self.path or self.segments[0]
        skipped = f" ({', '.join(self.codecs_failed)} unavailable)" if self.codecs_failed else ""
        where = (
            f"{result}"
            if self.path
            else f"{len(self.segments)} segments {self.segments[0]} .. {self.segments[-1].name}"
        )
        self._say(
            f"wrote {where}: {self.written} frames ({clock(self.seconds)}), "
            f"codec {self.codec}{skipped}, {self.dropped} left out"
        )
        return result

    def _join(self) -> None:
        """Remux the segments into `out`; they are removed only once it holds every frame."""
        count, first, last = len(self.segments), self.segments[0], self.segments[-1].name
        kept = f"kept {count} segments {first} .. {last}"
        need = sum(p.stat().st_size for p in self.segments) + self.min_free_mb * MB
        free = self._free_bytes()
        if free is not None and free < need:
            self.note = (
                f"not enough room to join into {self.out.name} "
                f"({free // MB} MB free, about {need // MB} MB needed); {kept}"
            )
            self._say(self.note)
            return

        self._joining = self.out.with_name(f"{self._stem}{JOINING}{self.out.suffix}")
        total, shown = sum(self._counts), [-1]
        desc = f"joining {count} segments into {self.out.name}"
        joining = self._joining
        try:
            with tqdm(total=total, unit="frame", desc=desc, file=sys.stderr, disable=None, leave=False) as bar:

                def progress(done: int) -> None:
                    bar.update(1)
                    percent = 100 * done // max(total, 1) // 10 * 10
                    if percent != shown[0]:
                        shown[0] = percent
                        self._say(f"{desc}: {percent}%")
                    if time.monotonic() >= self._next_check:
                        self._next_check = time.monotonic() + CHECK_EVERY
                        free = self._free_bytes()
                        if free is not None and free < self.min_free_mb * MB:
                            raise OSError(f"disk full: {free // MB} MB free in {self.out.parent}")

                done = remux(self.segments, joining, progress)
            os.replace(joining, self.out)
            self._joining = None
        except BaseException as exc:
            joining.unlink(missing_ok=True)
            self._joining = None
            if not isinstance(exc, Exception):
                raise
            self.note = f"joining into {self.out.name} failed ({one_line(exc)}); {kept}"
            self._say(self.note)
            return
        self.path = self.out
        if done < total:  # some frames did not decode: keep the segments as well
            self.note = f"{self.out} holds {done} of {total} frames; {kept}"
            self._say(self.note)
            return
        for segment in self.segments:
            segment.unlink(missing_ok=True)
        self.segments, self._counts = [], []

    def _say(self, line: str) -> None:
        self.last_status = line
        if self._on_status is not None:
            try:
                self._on_status(line)
            except Exception:
                log.debug("caught", exc_info=True)
                pass  # a status display must not break the recording
