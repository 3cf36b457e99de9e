"""Where the sound comes from: an audio file played at real time, or a live input.

`parse_audio` says which `--audio` means: a device index, `default`, an audio file (a path
that exists, or any name with an audio file's suffix), else a device name. A file is read with
soundfile (its wheels carry libsndfile) and paced by the clock like a camera file: each block
is handed over when its last sample would have been heard, so tests and rehearsals see live
timing; `loop` starts it over at its end. A live input goes through sounddevice (PortAudio),
imported only when one is opened: where PortAudio or the `audio` extra is missing the error
says so in one line, and files still work.

Both readers give mono float32 blocks of `BLOCK` frames and the time (perf_counter) their
last sample was heard; `read` returns None when a file ends. A reader that fails raises
`AudioFault` (retry it) or `AudioUnavailable` (retrying cannot help). A file that stops short of
the length its header gives has failed, not ended, when it changed under us (cut off, or gone
with the disk it was on). One still as it was when opened ends there, said once, when it simply
runs out (its header only estimated the length, as a VBR MP3's does) or when a read fails at
the same place again after a retry (a part that can never be read): retrying would stop there
for ever. A read error seen once is a fault, retried, as a flaky disk's would be.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from livedance.errors import LivedanceError

log = logging.getLogger(__name__)

BLOCK = 512  # frames per block: 11.6 ms at 44.1 kHz
CATCH_UP_S = 0.25  # a paced file this far behind restarts its clock rather than bursting
AUDIO_SUFFIXES = frozenset(
    {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".aifc", ".w64", ".caf", ".au"}
)
EXPECTED = "a device index or name (livedance audio --list), default, or an audio file (.wav, .flac, .ogg, .mp3)"
PORTAUDIO_HINT = (
    "the PortAudio library is not installed (Debian/Ubuntu: apt install libportaudio2; "
    "macOS and Windows: it comes with pip install sounddevice); audio files still work"
)


class AudioFault(LivedanceError):
    """The input won't open or was lost: worth trying again."""


class AudioUnavailable(LivedanceError):
    """Live input can't work on this machine (no PortAudio, no sounddevice): trying again won't help."""


def parse_audio(spec: str) -> tuple[str, int | str | None]:
    """("device", index | name | None for the default) or ("file", path)."""
    text = str(spec).strip()
    if not text:
        raise LivedanceError(f"--audio {spec!r}: expected {EXPECTED}")
    if re.fullmatch(r"[0-9]+", text):
        return "device", int(text)
    if text.lower() == "default":
        return "device", None
    path = Path(text).expanduser()
    if path.exists() or path.suffix.lower() in AUDIO_SUFFIXES or os.sep in text or "/" in text:
        return "file", str(path)
    return "device", text


class FileSource:
    """An audio file, paced at real time (or as fast as it is read, `realtime=False`)."""

    kind = "file"

    def __init__(self, path: str, loop: bool = False, realtime: bool = True, block: int = BLOCK):
        self.path, self.loop, self.realtime, self.block = path, loop, realtime, block
        self.samplerate = 0
        self.origin = 0.0  # when the stream's first sample was heard (perf_counter); moves on a catch-up
        self._file: soundfile.SoundFile | None = None
        self._position = 0  # frames handed over since the stream started (passes of a loop added up)
        self._opened_as: tuple[int, int] | None = None  # (size, mtime) when opened: has it changed since?
        self._pass_frames = 0  # frames read since it was opened (or started over)
        self._failed_at: tuple | None = None  # (size, mtime, frames) of the last read that failed
        self._said_short = False

    def open(self) -> None:
        if not os.path.exists(self.path):
            raise AudioFault("no such file")
        if os.path.isdir(self.path):
            raise AudioFault("a folder, not an audio file")
        try:
            self._opened_as = _identity(self.path)
            self._file = soundfile.SoundFile(self.path)
        except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
            raise AudioFault(f"not an audio file soundfile can read ({_reason(exc)})") from None
        self.samplerate = self._file.samplerate
        self.origin, self._position, self._pass_frames = time.perf_counter(), 0, 0

    def read(self, stopping: threading.Event) -> tuple[np.ndarray, float] | None:
        """The next block and when its last sample is heard; None at the end (or when stopped)."""
        sound = self._file
        if sound is None:
            raise AudioFault("not open")
        try:
            short = False
            try:
                data = sound.read(self.block, dtype="float32", always_2d=True)
                short = len(data) < self.block and 0 <= sound.tell() < sound.frames
                if short:
                    at = sound.tell() / self.samplerate
                    self._stopped_short(f"read failed at {at:.1f} s of {self.duration:.1f} s", again=True)
            except (soundfile.LibsndfileError, RuntimeError) as exc:
                short = True
                self._stopped_short(f"read failed ({_reason(exc)})", again=False)
                data = np.zeros((0, sound.channels), np.float32)
            self._pass_frames += len(data)
            if len(data) == 0 and self.loop and sound.frames > 0:
                if short:  # libsndfile may keep the error it stopped on: start over on a fresh handle
                    sound.close()
                    sound = self._file = soundfile.SoundFile(self.path)
                else:
                    sound.seek(0)
                self._pass_frames = 0
                data = sound.read(self.block, dtype="float32", always_2d=True)
                self._pass_frames += len(data)
        except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
            raise AudioFault(f"read failed ({_reason(exc)})") from None
        if len(data) == 0:
            return None
        block = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
        self._position += len(block)
        heard = self.origin + self._position / self.samplerate
        if self.realtime:
            now = time.perf_counter()
            if now - heard > CATCH_UP_S:  # fell behind (a stall): carry on from now, not in a burst
                self.origin += now - heard
                heard = now
            elif heard > now and stopping.wait(heard - now):
                return None
        return block, heard

    def _stopped_short(self, reason: str, again: bool) -> None:
        """Short of the header's length: a fault to retry if the file changed since it was opened
        (or, for a failed read, unless it failed at this very place before); else its end."""
        try:
            identity = _identity(self.path)
        except OSError:
            identity = None
        if identity is None or identity != self._opened_as:
            raise AudioFault(reason)
        if not again:
            place = (*identity, self._pass_frames)
            if place != self._failed_at:
                self._failed_at = place
                raise AudioFault(reason)
        if not self._said_short:
            self._said_short = True
            log.warning("audio %s: %s, and the file is as it was when opened; played as its end", self.path, reason)

    @property
    def duration(self) -> float:
        """Seconds of sound the open file says it holds."""
        return self._file.frames / self.samplerate if self._file is not None and self.samplerate else 0.0

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def sounddevice_module() -> Any:
    """sounddevice, or AudioUnavailable saying in one line what this machine lacks."""
    try:
        import sounddevice  # noqa: PLC0415  deferred: PortAudio loads only when a live input is used
    except ImportError:
        raise AudioUnavailable(
            "live audio input needs sounddevice: pip install 'livedance[audio]'; audio files still work"
        ) from None
    except OSError:  # sounddevice's import loads PortAudio and raises this where it is missing
        raise AudioUnavailable(f"live audio input needs PortAudio: {PORTAUDIO_HINT}") from None
    return sounddevice


def input_devices(sd: Any) -> list[tuple[int, str, int]]:
    """(index, name, input channels) of every device that can record."""
    return [
        (index, str(device["name"]), int(device["max_input_channels"]))
        for index, device in enumerate(sd.query_devices())
        if int(device["max_input_channels"]) > 0
    ]


def pick_device(target: int | str | None, devices: list[tuple[int, str, int]], default: int | None) -> int:
    """The input `target` names: an index, None (the default input), or a unique part of a name (any case)."""
    have = ", ".join(f"{index} {name}" for index, name, _ in devices) or "none"
    indices = [index for index, _, _ in devices]
    if target is None:
        if default is None or default not in indices:
            raise AudioFault(f"no default input device (inputs: {have})")
        return default
    if isinstance(target, int):
        if target not in indices:
            raise AudioFault(f"no input device {target} (inputs: {have})")
        return target
    exact = [index for index, name, _ in devices if name == target]
    matches = exact or [index for index, name, _ in devices if target.lower() in name.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AudioFault(f"matches {len(matches)} inputs (inputs: {have}); expected a unique part of one name")
    raise AudioFault(f"no such input device (inputs: {have})")


class DeviceSource:
    """A live input through sounddevice: mono (a stereo input is mixed down), the device's own rate."""

    kind = "device"

    def __init__(self, target: int | str | None, block: int = BLOCK):
        self.target, self.block = target, block
        self.samplerate = 0
        self.origin = 0.0
        self._stream: Any = None

    def open(self) -> None:
        sd = sounddevice_module()
        try:
            default = sd.default.device[0]
            index = pick_device(self.target, input_devices(sd), default if isinstance(default, int) else None)
            channels = min(2, int(sd.query_devices(index)["max_input_channels"]))
            stream = sd.InputStream(device=index, channels=channels, blocksize=self.block, dtype="float32")
            stream.start()
        except AudioFault:
            raise
        except Exception as exc:  # PortAudio's own errors: a device in use, a format it refuses
            raise AudioFault(f"won't start ({_reason(exc)})") from None
        self._stream = stream
        self.samplerate = int(stream.samplerate)
        self.origin = time.perf_counter()

    def read(self, stopping: threading.Event) -> tuple[np.ndarray, float] | None:
        """The next block (waits for it: about 12 ms) and when its last sample was heard."""
        if self._stream is None:
            raise AudioFault("not open")
        try:
            data, _overflowed = self._stream.read(self.block)
        except Exception as exc:  # unplugged, or the host API gave up
            raise AudioFault(f"read failed ({_reason(exc)})") from None
        heard = time.perf_counter() - float(self._stream.latency or 0.0)
        block = np.asarray(data, np.float32)
        return (block.mean(axis=1) if block.shape[1] > 1 else block[:, 0]), heard

    def close(self) -> None:
        if self._stream is not None:
            try:
                self._stream.close()
            finally:
                self._stream = None


def open_source(spec: str, loop: bool = False, realtime: bool = True) -> FileSource | DeviceSource:
    """The reader `--audio spec` asks for (not yet opened)."""
    kind, target = parse_audio(spec)
    if kind == "file":
        return FileSource(str(target), loop=loop, realtime=realtime)
    return DeviceSource(target)


def _identity(path: str) -> tuple[int, int]:
    """What changes when a file is cut, rewritten or replaced: its size and modification time."""
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()).rstrip(".")
    return text[:160] or type(exc).__name__
