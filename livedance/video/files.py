"""Video files the show writes, through PyAV (FFmpeg's libraries): real H.264, ProRes and FFV1.

The file name's suffix picks the container and its codecs, tried best first:

- `.mp4`: H.264 in fragmented MP4. Each fragment (a second: one keyframe each) is whole
  on disk as soon as it is written, so a killed process leaves a file that plays up to
  its last second.
- `.mkv`: H.264 in Matroska, readable up to the last frame written; `codec="ffv1"`
  makes it lossless.
- `.mov`: ProRes 4444 with an alpha channel (a figure keyed over the next layer), in
  fragmented QuickTime.
- `.avi`: Motion JPEG, for old tools; not crash-safe (the recorder writes it in segments).

`NVENC` takes H.264 on NVIDIA GPUs when asked for (`hardware=True`) and the driver answers.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from livedance.errors import LivedanceError, one_line

log = logging.getLogger(__name__)

# Every packet goes to disk as it is muxed (FFmpeg would otherwise hold up to 32 KiB, a minute
# of flat silhouettes); MP4 and QuickTime close a fragment at every keyframe, Matroska a
# cluster every second.
FLUSHED = {"flush_packets": "1"}
FRAGMENTED = {**FLUSHED, "movflags": "frag_keyframe+empty_moov+default_base_moof"}
CLUSTERED = {**FLUSHED, "cluster_time_limit": "1000"}
# Constant quality, not bitrate: silhouettes are mostly flat colour, so most frames cost little.
H264_QUALITY = {"crf": "20", "preset": "ultrafast", "tune": "zerolatency"}


@dataclass(frozen=True)
class Codec:
    """One way of encoding: the FFmpeg encoder, its pixel format, and its options."""

    name: str  # what the summary and the HUD call it
    encoder: str
    pix_fmt: str
    options: dict[str, str] = field(default_factory=dict)
    alpha: bool = False  # takes BGRA frames and keeps their alpha
    hardware: bool = False  # tried only when hardware encoding is asked for


H264 = Codec("h264", "libx264", "yuv420p", H264_QUALITY)
NVENC = Codec("h264_nvenc", "h264_nvenc", "yuv420p", {"preset": "p4", "rc": "vbr", "cq": "21"}, hardware=True)
PRORES_4444 = Codec("prores4444", "prores_ks", "yuva444p10le", {"profile": "4"}, alpha=True)
FFV1 = Codec("ffv1", "ffv1", "bgr0", {"level": "3", "slices": "4"})
MJPEG = Codec("mjpeg", "mjpeg", "yuvj420p", {"q:v": "3"})
CODECS_BY_NAME = {c.name: c for c in (H264, NVENC, PRORES_4444, FFV1, MJPEG)}


@dataclass(frozen=True)
class Container:
    codecs: tuple[Codec, ...]  # best first
    options: dict[str, str] = field(default_factory=dict)
    crash_safe: bool = True  # readable up to what was written, whatever kills the writer
    extra: tuple[Codec, ...] = ()  # codecs it takes when named, beside its defaults


CONTAINERS = {
    ".mp4": Container((NVENC, H264), FRAGMENTED),
    ".mkv": Container((NVENC, H264), CLUSTERED, extra=(FFV1,)),
    ".mov": Container((PRORES_4444,), FRAGMENTED),
    ".avi": Container((MJPEG,), FLUSHED, crash_safe=False),  # packets on disk as written: a full disk keeps them
}
CODECS = tuple(CONTAINERS)  # the suffixes a video may have


def container_for(path: Path) -> Container:
    container = CONTAINERS.get(path.suffix.lower())
    if container is None:
        raise LivedanceError(f"{path}: unsupported video type; expected one of {', '.join(CONTAINERS)}")
    return container


def frame_rate(fps: float) -> Fraction:
    """The exact rate for the usual ones (29.97 is 30000/1001), a close fraction for the rest."""
    if not fps > 0:
        raise LivedanceError(f"frame rate {fps:g}: expected a number above 0")
    ntsc = round(fps * 1.001)
    if fps != round(fps) and abs(fps - ntsc / 1.001) < 0.005:
        return Fraction(ntsc * 1000, 1001)
    return Fraction(fps).limit_denominator(1000)


class VideoWriter:
    """Frames in (BGR, or BGRA for a codec with alpha), a file out; the cv2.VideoWriter calls
    (`write`, `release`) so the recorder and render need not know which library writes."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int], codec: Codec, options: dict[str, str]):
        self.path, self.codec = Path(path), codec
        self.size = (int(size[0]), int(size[1]))
        try:
            self._file = av.open(str(self.path), "w", options=options)
        except (OSError, av.FFmpegError) as exc:
            raise LivedanceError(f"{self.path}: cannot write it ({one_line(exc, None, first=True)})") from None
        try:
            rate = frame_rate(fps)
            stream = self._file.add_stream(
                codec.encoder, rate=rate, options={"g": str(max(1, round(fps))), **codec.options}
            )
            if not isinstance(stream, av.video.stream.VideoStream):
                raise ValueError(f"{codec.encoder} is not a video encoder")
            stream.width, stream.height = self.size
            stream.pix_fmt = codec.pix_fmt
            stream.thread_type = "AUTO"
            stream.codec_context.open()  # fails here, not on the first frame, when the encoder can't run
        except BaseException:
            self._file.close()
            raise
        try:
            # Opens the file and writes the header, so a folder that cannot be written says so now.
            self._file.start_encoding()
        except OSError as exc:
            self._file.close()
            raise LivedanceError(f"{self.path}: cannot write it ({exc.strerror or one_line(exc)})") from None
        self._stream = stream
        self._format = "bgra" if codec.alpha else "bgr24"
        # 4:2:0 codecs get their planes from OpenCV, several times faster than FFmpeg's swscale here.
        self._kept = _KeptFrame(*self.size) if codec.pix_fmt == "yuv420p" else None
        self._open = True

    def isOpened(self) -> bool:  # noqa: N802  cv2.VideoWriter's name
        return self._open

    def write(self, image: np.ndarray) -> None:
        """Encode one frame: (H, W, 3) BGR, or (H, W, 4) BGRA (its alpha kept where the codec has one)."""
        channels = 4 if self._format == "bgra" else 3
        if image.shape[2] != channels:
            image = _with_channels(image, channels)
        if self._kept is not None:
            cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420, dst=self._kept.image)
            frame = self._kept.fill()
        else:
            frame = av.VideoFrame.from_ndarray(image, format=self._format)
        for packet in self._stream.encode(frame):
            self._file.mux(packet)

    def release(self) -> None:
        """Flush the encoder and finish the file; safe to call twice."""
        if not self._open:
            return
        self._open = False
        try:
            for packet in self._stream.encode():
                self._file.mux(packet)
        finally:
            self._file.close()


class _KeptFrame:
    """One 4:2:0 frame for a whole take: OpenCV converts into `image`, `fill()` copies its planes
    into the frame the encoder reads. A new frame each time would map and unmap megabytes of
    memory per frame on the tuned heap (runtime/memory.py)."""

    def __init__(self, width: int, height: int):
        self.image = np.empty((height * 3 // 2, width), np.uint8)
        flat, luma, chroma = self.image.reshape(-1), width * height, (width // 2) * (height // 2)
        self._sources = (
            self.image[:height],
            flat[luma : luma + chroma].reshape(height // 2, width // 2),
            flat[luma + chroma :].reshape(height // 2, width // 2),
        )
        self._frame = av.VideoFrame(width, height, "yuv420p")
        self._where = 0  # the frame's buffer that `_views` show
        self._views: list[np.ndarray] = []

    def fill(self) -> av.VideoFrame:
        frame = self._frame
        # A new buffer only while the encoder still holds the last one (a frame-threaded encoder
        # may): then the planes are viewed again.
        frame.make_writable()
        planes = frame.planes
        if planes[0].buffer_ptr != self._where:
            rows = [np.frombuffer(memoryview(p), np.uint8).reshape(p.height, p.line_size) for p in planes]
            self._views = [r[:, : p.width] for r, p in zip(rows, planes, strict=True)]
            self._where = planes[0].buffer_ptr
        for view, source in zip(self._views, self._sources, strict=True):
            np.copyto(view, source)
        frame.pts = None  # the encoder numbers it
        return frame


def _with_channels(image: np.ndarray, channels: int) -> np.ndarray:
    if channels == 3:
        return np.ascontiguousarray(image[..., :3])
    opaque = np.full(image.shape[:2] + (1,), 255, np.uint8)
    return np.concatenate([image, opaque], axis=2)


def open_writer(
    path: Path, fps: float, size: tuple[int, int], codec: str | None = None, hardware: bool = False
) -> tuple[VideoWriter, str, list[str]]:
    """A writer for the first codec that opens for `path`'s container (or `codec` by name);
    returns (writer, codec name, codecs that failed before it)."""
    path = Path(path)
    container = container_for(path)
    if codec is not None:
        chosen = [c for c in container.codecs + container.extra if c.name == codec]
        if not chosen:
            names = ", ".join(c.name for c in container.codecs + container.extra)
            raise LivedanceError(f"--codec {codec}: {path.suffix} files take {names}")
    else:
        chosen = [c for c in container.codecs if hardware or not c.hardware]
    failed: list[str] = []
    for candidate in chosen:
        try:
            return VideoWriter(path, fps, size, candidate, container.options), candidate.name, failed
        except LivedanceError:
            raise
        except (av.FFmpegError, ValueError) as exc:
            log.debug("%s: %s did not open: %s", path, candidate.name, one_line(exc))
            failed.append(candidate.name)
            path.unlink(missing_ok=True)
    raise LivedanceError(f"{path}: could not open a video encoder with any of {', '.join(failed)}")


def remux(parts: list[Path], out: Path, progress=None) -> int:
    """Join video files made by the same writer into `out` without re-encoding: their packets,
    one after another on one clock. Returns the frames joined; `progress(done)` after each."""
    done = 0
    with av.open(str(out), "w", options=container_for(out).options) as joined:
        target = None
        offset = 0  # where the next part starts, in the output stream's time base
        for part in parts:
            with av.open(str(part)) as source:
                stream = source.streams.video[0]
                if target is None:
                    target = joined.add_stream_from_template(stream)
                end = offset
                for packet in source.demux(stream):
                    if packet.dts is None:  # the demuxer's end-of-stream marker
                        continue
                    duration = packet.duration or 1
                    packet.pts = None if packet.pts is None else packet.pts + offset
                    packet.dts = packet.dts + offset
                    end = max(end, (packet.pts if packet.pts is not None else packet.dts) + duration)
                    packet.stream = target
                    joined.mux(packet)
                    done += 1
                    if progress is not None:
                        progress(done)
                offset = end
    return done


def add_codec_argument(parser: argparse.ArgumentParser) -> None:
    """`--codec`, the same for every command that writes video."""
    defaults = ", ".join(f"{suffix} {c.codecs[-1].name}" for suffix, c in CONTAINERS.items())
    parser.add_argument(
        "--codec",
        choices=sorted(CODECS_BY_NAME),
        help=f"video codec (default by file type: {defaults}; ffv1 is lossless, in .mkv)",
    )


def uses_gpu(provider: str) -> bool:
    """Whether the networks run on CUDA, where NVENC encodes H.264 beside them."""
    return provider.startswith("CUDA")
