"""Play the whole instrument for a long time and say whether it held.

    livedance soak --minutes 60 [--size 1920x1080] [--fps 60] [--json soak.json]
    livedance soak --minutes 1 --flood osc [--flood-rate 10000] [--flood-seconds 10]

A headless show at the stage's size and rate with everything on that a machine without
devices can have: OSC, the control page, a camera (a rendered clip standing in), recordings.
A scripted performer (`performer.py`) plays every parameter, trigger and mode over real OSC,
switches models, changes the dancers and toggles recordings; `--flood` adds hostile traffic
from another process (`flood.py`). The report, per window of `--window` minutes: frames drawn
and dropped, the loop's work and the display thread's CPU time per frame (percentiles), the
process's memory, the cores each thread kept busy, the machine's speed (`yardstick.py`, in a
process of its own), and the latents' range; whether the last window's frame time is worse
than the first's beyond the show's own spread, and whether it crept over the run
(`steadiness.py`), also at the machine's first speed; then whether every parameter ended in
its range, every latent stayed finite, and every recording decodes whole. The soak's own
bookkeeping is arrays made before the first frame.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import av
import numpy as np

from livedance.control.osc import OscServer
from livedance.control.params import REGISTRY
from livedance.errors import LivedanceError
from livedance.live.actions import ACTIONS
from livedance.live.command import build
from livedance.live.framestats import FrameStats
from livedance.live.settings import DEFAULT_MODEL, LiveSettings
from livedance.runtime.bundle import Bundle, resolve_bundle_path, shipped_bundles
from livedance.tools.flood import KINDS as FLOOD_KINDS
from livedance.tools.performer import Performer, Schedule
from livedance.tools.render import render_video
from livedance.tools.steadiness import steadiness
from livedance.tools.yardstick import Measuring
from livedance.video.size import parse_size
from livedance.web.server import WebServer
from livedance.worker import Worker

SAMPLE_S = 1.0  # how often memory and drops are sampled
THREADS_EVERY = 5  # samples between readings of every thread's CPU time
THREADS_SHOWN = 7  # the busiest threads a window's line names
FLOOD_AT_S = 5.0  # a flood starts this long into the soak, once the show has settled
CAMERA_SECONDS, CAMERA_FPS, CAMERA_SIZE = 12.0, 30.0, (640, 360)  # the clip standing in for a camera
WORST = 12  # slowest frames listed, with when they happened


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--minutes", type=float, default=60.0, help="how long to play (default: 60)")
    parser.add_argument("--window", type=float, default=10.0, help="minutes per report row (default: 10)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"model bundle folder (default: {DEFAULT_MODEL})")
    parser.add_argument("--size", default="1920x1080", help="output WIDTHxHEIGHT (default: 1920x1080)")
    parser.add_argument("--fps", type=float, default=60.0, help="frame rate (default: 60)")
    parser.add_argument("--camera", help="a video standing in for the camera (default: a clip the soak renders)")
    parser.add_argument("--no-camera", action="store_true", help="no camera: the follow modes are refused")
    parser.add_argument("--no-web", action="store_true", help="no control page")
    parser.add_argument(
        "--no-performer", action="store_true", help="no scripted performer (and so no recordings): a flood's cost alone"
    )
    parser.add_argument("--flood", action="append", choices=FLOOD_KINDS, help="hostile traffic; repeatable")
    parser.add_argument("--flood-rate", type=float, default=10_000.0, help="OSC and MIDI messages/s (default: 10000)")
    parser.add_argument("--flood-seconds", type=float, default=10.0, help="how long each flood lasts (default: 10)")
    parser.add_argument("--record-dir", help="where the takes go (default: a temporary folder, removed after)")
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    parser.add_argument("--frames", metavar="FILE", help="also write every frame's end time, work and CPU time (.npz)")
    parser.add_argument("--seed", type=int, default=0)


# --- the soak's bookkeeping ------------------------------------------------------------------------
class SoakStats(FrameStats):
    """FrameStats that also keeps every frame's end time, work and the display thread's CPU time
    since the frame before, in arrays made up front. Work that grows with CPU time flat is the
    frame waiting for a core (the show's other threads, or another program); CPU time that grows
    is the frame's own work, or a slower core."""

    def __init__(self, frames: int):
        super().__init__()
        self.ended = np.zeros(frames, np.float64)
        self.work = np.zeros(frames, np.float32)
        self.cpu = np.zeros(frames, np.float32)
        self.count = 0
        self._cpu_at = time.thread_time()

    def account(self, began: float, ended: float) -> None:
        super().account(began, ended)
        cpu = time.thread_time()
        if self.count < len(self.ended):
            self.ended[self.count] = ended
            self.work[self.count] = ended - began
            self.cpu[self.count] = cpu - self._cpu_at
            self.count += 1
        self._cpu_at = cpu


class LatentWatch:
    """Wraps the director's `latents(now)`: the running range of every latent the decoder got."""

    def __init__(self, director):
        self._latents = director.latents
        director.latents = self
        self.low, self.high, self.nonfinite = math.inf, -math.inf, 0

    def __call__(self, now: float) -> np.ndarray:
        latents = self._latents(now)
        low, high = float(latents.min()), float(latents.max())
        if not (math.isfinite(low) and math.isfinite(high)):
            self.nonfinite += 1
        else:
            self.low, self.high = min(self.low, low), max(self.high, high)
        return latents


def resident_mb() -> float:
    """The process's resident memory now (Linux), else its peak."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _task_seconds(path: str) -> float:
    """User plus system CPU seconds from a `/proc/.../stat` file (a process's or a thread's);
    raises OSError, ValueError or IndexError where there is none."""
    with open(path, encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()  # after the name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> tuple[float, float, float]:
    """CPU seconds so far (Linux; else zeros): the machine's busy time over all cores, the time
    the hypervisor gave to others (steal), and this process's own."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:9]]
        own = _task_seconds("/proc/self/stat")
    except (OSError, ValueError, IndexError):
        return 0.0, 0.0, 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick, own


def thread_cpu() -> dict[int, tuple[str, float]]:
    """Every thread of this process: its name (Python's, without the counter; "native" for the
    threads onnxruntime, the codecs and OpenCV start) and its CPU seconds so far (Linux; else none)."""
    names = {thread.native_id: re.sub(r"-\d+", "", thread.name) for thread in threading.enumerate()}
    threads: dict[int, tuple[str, float]] = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return threads
    for tid in tids:
        try:
            threads[int(tid)] = (names.get(int(tid), "native"), _task_seconds(f"/proc/self/task/{tid}/stat"))
        except (OSError, ValueError, IndexError):  # it ended meanwhile
            continue
    return threads


class Sampler(Worker):
    """Once a second: the time, memory, drops so far and CPU seconds so far; every few seconds,
    every thread's CPU seconds (on its own thread). The machine's speed is measured alongside,
    in a process of its own (`yardstick.py`), from `_open` to `_close`."""

    def __init__(self, stats: FrameStats, clock, yardstick: Path | None = None):
        super().__init__("livedance-soak-sampler", join_timeout=2.0)
        self.stats, self.clock = stats, clock
        self.samples: list[tuple] = []  # (time, MB, dropped, busy s, steal s, own s)
        self.thread_cpu: list[tuple[float, dict]] = []  # (time, thread_cpu())
        self.yardstick = yardstick
        self._measuring: Measuring | None = None

    def _open(self) -> None:
        if self.yardstick is not None:
            self._measuring = Measuring(self.yardstick)

    def _run(self) -> None:
        while not self._stopping.wait(SAMPLE_S):
            self.samples.append((self.clock(), resident_mb(), self.stats.dropped, *cpu_seconds()))
            if len(self.samples) % THREADS_EVERY == 1:
                self.thread_cpu.append((self.clock(), thread_cpu()))

    def _close(self) -> None:
        if self._measuring is not None:
            self._measuring.close()

    def readings(self) -> list[tuple[float, float]]:
        """The yardstick's (time, CPU seconds) readings."""
        return self._measuring.readings() if self._measuring is not None else []


# --- the report ----------------------------------------------------------------------------------------
@dataclass
class Window:
    minutes: tuple[float, float]
    frames: int
    dropped: int
    fps: float
    work_ms: dict  # p50, p95, p99, max
    memory_mb: dict  # mean, max
    cpu_ms: dict = field(default_factory=dict)  # the display thread's CPU time per frame: p50, p95, p99, max
    cores: dict = field(default_factory=dict)  # cores kept busy on average: by the soak, by others, stolen
    yardstick_ms: float = 0.0  # the machine's speed: the median CPU ms of a fixed round of work (yardstick.py)
    threads: dict = field(default_factory=dict)  # cores kept busy by each of the soak's threads, busiest first


@dataclass
class Report:
    machine: str
    size: list
    fps: float
    minutes: float
    frames: int = 0
    dropped: int = 0
    windows: list = field(default_factory=list)
    memory_growth: float = 0.0  # last window's mean memory over the first's, less 1
    p99_ratio: float = 0.0  # last window's p99 work over the first's
    p99_interval: list | None = None  # its 95% interval over paired blocks (steadiness.py)
    p99_trend: float = 0.0  # the blocks' p99 fitted from the run's start to its end, over their mean
    p99_trend_interval: list | None = None
    p99_verdict: str = ""
    cpu_p99_verdict: str = ""  # the same judgement of the display thread's CPU time per frame
    yardstick_ratio: float = 0.0  # the last window's yardstick over the first's: how much slower the machine got
    cpu_at_start_speed_verdict: str = ""  # the CPU time judged again, each frame's scaled to the machine's first speed
    block_p99_ms: list = field(default_factory=list)  # each tenth of a window's p99 work
    latent_range: list = field(default_factory=list)
    nonfinite_latents: int = 0
    out_of_range: list = field(default_factory=list)
    controls: dict = field(default_factory=dict)
    played: dict = field(default_factory=dict)
    recordings: list = field(default_factory=list)
    floods: list = field(default_factory=list)
    flood_fps: float | None = None  # frames shown a second while the floods poured in
    flood_dropped: int | None = None
    worst: list = field(default_factory=list)  # (second into the soak, ms) of the slowest frames
    problems: list = field(default_factory=list)


def windows(
    stats: SoakStats,
    samples: list,
    start: float,
    window_s: float,
    total_s: float,
    yardstick: list | None = None,
    threads: list | None = None,
) -> list[Window]:
    """The report's rows: `samples` from the sampler, `yardstick` its (time, CPU s) readings and
    `threads` its (time, thread_cpu()) readings."""
    ended, work, cpu = stats.ended[: stats.count], stats.work[: stats.count], stats.cpu[: stats.count]
    rows = []
    edges = list(np.arange(0.0, total_s, window_s)) + [total_s]
    for a, b in zip(edges[:-1], edges[1:]):
        inside = (ended >= start + a) & (ended < start + b)
        ms = work[inside].astype(np.float64) * 1000.0
        near = [s for s in samples if start + a <= s[0] < start + b]
        drops = [s[2] for s in samples if s[0] < start + b]
        before = [s[2] for s in samples if s[0] < start + a]
        memory = [s[1] for s in near]
        cpu_ms = cpu[inside].astype(np.float64) * 1000.0
        rows.append(
            Window(
                minutes=(round(a / 60, 2), round(b / 60, 2)),
                frames=int(inside.sum()),
                dropped=(drops[-1] if drops else 0) - (before[-1] if before else 0),
                fps=float(inside.sum() / (b - a)),
                work_ms=_percentiles(ms),
                memory_mb={
                    "mean": float(np.mean(memory)) if memory else 0.0,
                    "max": float(np.max(memory)) if memory else 0.0,
                },
                cpu_ms=_percentiles(cpu_ms),
                cores=_cores([s for s in near if len(s) > 5]),
                yardstick_ms=_median_ms([y for t, y in yardstick or () if start + a <= t < start + b]),
                threads=_thread_cores(threads or [], start + a, start + b),
            )
        )
    return rows


PERCENTILES = (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))


def _percentiles(ms: np.ndarray) -> dict:
    return {q: float(np.percentile(ms, p)) if len(ms) else 0.0 for q, p in PERCENTILES}


def _median_ms(seconds: list[float]) -> float:
    return float(np.median(seconds)) * 1000.0 if seconds else 0.0


def _thread_cores(readings: list[tuple[float, dict]], a: float, b: float) -> dict:
    """Cores each named group of threads kept busy from `a` to `b`: every thread's CPU time from
    the reading before `a` (none for a thread born since) to its last reading before `b`."""
    before = [r for r in readings if r[0] < a]
    inside = [r for r in readings if a <= r[0] < b]
    if not inside:
        return {}
    base = before[-1][1] if before else {}
    t0 = before[-1][0] if before else inside[0][0]
    span = inside[-1][0] - t0
    if span <= 0:
        return {}
    last: dict[int, tuple[str, float]] = {}
    for _, threads in inside:
        last.update(threads)
    cores: dict[str, float] = {}
    for tid, (name, seconds) in last.items():
        cores[name] = cores.get(name, 0.0) + (seconds - base.get(tid, (name, 0.0))[1]) / span
    return dict(sorted(((k, round(v, 3)) for k, v in cores.items()), key=lambda kv: -kv[1]))


def _cores(near: list[tuple]) -> dict:
    """Cores kept busy between the first and last of a window's samples: by this process, by
    every other program on the machine, and by other machines on the host (steal)."""
    if len(near) < 2 or near[-1][0] <= near[0][0]:
        return {"own": 0.0, "others": 0.0, "steal": 0.0}
    first, last = near[0], near[-1]
    span = last[0] - first[0]
    busy, steal, own = ((last[i] - first[i]) / span for i in (3, 4, 5))
    return {"own": own, "others": max(0.0, busy - own), "steal": steal}


def machine_speed(ended: np.ndarray, readings: list, span: int = 15) -> np.ndarray:
    """Each frame's machine slowness relative to the run's start: the yardstick's running median
    over `span` (time, CPU s) readings at the frame's time, over its median in the first `span`.
    A frame's CPU time divided by it is what the frame would have cost on the machine as it started."""
    if len(readings) < span:
        return np.ones(len(ended))
    times = np.array([r[0] for r in readings])
    yard = np.array([r[1] for r in readings])
    smooth = np.array([np.median(yard[max(0, i - span // 2) : i + span // 2 + 1]) for i in range(len(yard))])
    return np.interp(ended, times, smooth) / np.median(yard[:span])


def out_of_range(instrument) -> list[str]:
    """Every numeric parameter whose value as the show reads it is outside its declared range."""
    wrong = []
    for name, param in REGISTRY.items():
        if param.low is None or param.high is None or name not in ACTIONS:
            continue
        value = ACTIONS[name].read(instrument)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            continue
        value = float(value)
        if not (math.isfinite(value) and param.low - 1e-6 <= value <= param.high + 1e-6):
            wrong.append(f"{name}={value!r} outside {param.low:g}..{param.high:g}")
    return wrong


def check_recording(path: Path) -> dict:
    """Decode a take from end to end: its frames, or why it would not play."""
    frames = 0
    try:
        with av.open(str(path)) as container:
            for _ in container.decode(video=0):
                frames += 1
    except (av.error.FFmpegError, OSError) as exc:
        return {"file": path.name, "frames": frames, "error": str(exc)}
    return {"file": path.name, "frames": frames, "error": None}


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores"


# --- the run -----------------------------------------------------------------------------------------------
def soak(args) -> Report:
    if not 0 < args.minutes <= 24 * 60:
        raise LivedanceError(f"--minutes {args.minutes:g}: expected 0 to 1440")
    if not 0 < args.fps <= 240:
        raise LivedanceError(f"--fps {args.fps:g}: a soak needs a frame rate, up to 240")
    size = parse_size(args.size)
    total_s = args.minutes * 60.0
    with tempfile.TemporaryDirectory(prefix="livedance-soak-") as scratch:
        record_dir = Path(args.record_dir or Path(scratch) / "takes")
        camera = None if args.no_camera else (args.camera or _camera_clip(args.model, Path(scratch)))
        floods = args.flood or []
        midi_port = _free_tcp_port() if "midi" in floods else None
        settings = LiveSettings(
            model=args.model,
            fps=args.fps,
            seed=args.seed,
            hud=False,
            osc_port=0,
            patch="default",
            midi=midi_port is not None,
            midi_in=[f"tcp:127.0.0.1:{midi_port}"] if midi_port else None,
            camera=camera,
            camera_loop=True,
            web=None if args.no_web else "127.0.0.1:0",
            web_preview=True,
            record_dir=str(record_dir),
        )
        instrument = build(settings, headless=True, size=size)
        report = Report(machine=machine(), size=list(size), fps=args.fps, minutes=args.minutes)
        try:
            _play(instrument, args, report, total_s, floods, midi_port, Path(scratch))
        finally:
            report.controls = {k: str(v) for k, v in instrument.bus.counts.items()}
            instrument.finish()
            instrument.close()
        report.recordings = [check_recording(p) for p in sorted(record_dir.glob("*")) if p.suffix != ".jsonl"]
        for take in report.recordings:
            if take["error"] or not take["frames"]:
                report.problems.append(f"take {take['file']} does not play whole: {take['error'] or 'no frames'}")
    return report


def _play(
    instrument, args, report: Report, total_s: float, floods: list[str], midi_port: int | None, scratch: Path
) -> None:
    stats = instrument.stats = SoakStats(int(total_s * args.fps * 1.05) + 600)
    watch = LatentWatch(instrument.director)
    osc = next(source for source in instrument.inputs if isinstance(source, OscServer))
    web = next((source for source in instrument.inputs if isinstance(source, WebServer)), None)
    performer = Performer(osc.port, shipped_bundles(), Schedule(), seed=args.seed)
    sampler = Sampler(stats, instrument.clock, scratch / "yardstick.txt")
    processes = _start_floods(floods, args, osc.port, midi_port, web)
    started = instrument.clock()
    if not args.no_performer:
        performer.start()
    sampler.start()
    try:
        instrument.run(seconds=total_s)
    finally:
        performer.close()
        sampler.close()
        for kind, process in processes:
            try:
                out, err = process.communicate(timeout=args.flood_seconds + FLOOD_AT_S + 30)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
            line = out.strip().splitlines()[-1] if out.strip() else ""
            report.floods.append(json.loads(line) if line.startswith("{") else {"kind": kind, "error": err.strip()})
    report.frames, report.dropped = instrument.performance.frames, stats.dropped
    readings = sampler.readings()
    rows = windows(stats, sampler.samples, started, args.window * 60.0, total_s, readings, sampler.thread_cpu)
    report.windows = [asdict(w) for w in rows]
    first, last = report.windows[0], report.windows[-1]
    if first["memory_mb"]["mean"]:
        report.memory_growth = last["memory_mb"]["mean"] / first["memory_mb"]["mean"] - 1.0
    ended, work = stats.ended[: stats.count], stats.work[: stats.count]

    def judge(values: np.ndarray):
        return steadiness(ended, values, started, args.window * 60.0, total_s, seed=args.seed)

    steady = judge(work)
    report.p99_ratio, report.p99_trend, report.block_p99_ms = steady.ratio, steady.trend, steady.block_p99_ms
    report.p99_interval = list(steady.interval) if steady.interval else None
    report.p99_trend_interval = list(steady.trend_interval) if steady.trend_interval else None
    report.p99_verdict = steady.describe()
    cpu = stats.cpu[: stats.count]
    report.cpu_p99_verdict = judge(cpu).describe()
    if first["yardstick_ms"]:
        report.yardstick_ratio = last["yardstick_ms"] / first["yardstick_ms"]
    report.cpu_at_start_speed_verdict = judge(cpu / machine_speed(ended, readings)).describe()
    if args.frames:
        yard = np.array([(t - started, y) for t, y in readings]).reshape(-1, 2)
        np.savez_compressed(args.frames, ended=ended - started, work=work, cpu=cpu, yardstick=yard)
    if processes:
        _flood_window(report, stats, sampler.samples, started, args)
    slowest = np.argsort(stats.work[: stats.count])[-WORST:][::-1]
    report.worst = [(round(float(stats.ended[i] - started), 2), round(float(stats.work[i]) * 1000, 1)) for i in slowest]
    report.latent_range = [watch.low, watch.high]
    report.nonfinite_latents = watch.nonfinite
    report.out_of_range = out_of_range(instrument)
    played = performer.played
    report.played = {
        "messages": played.messages,
        "parameters": len(played.params),
        "switches": played.switches,
        "recordings": played.recordings,
        "modes": played.modes,
    }
    if watch.nonfinite:
        report.problems.append(f"{watch.nonfinite} frames had a non-finite latent")
    report.problems += [f"parameter {line}" for line in report.out_of_range]
    if performer.died:
        report.problems.append(f"the scripted performer died: {performer.died}")
    for source in instrument.inputs:
        if getattr(source, "died", None):
            report.problems.append(f"{type(source).__name__} thread died: {source.died}")


def _flood_window(report: Report, stats: SoakStats, samples: list, started: float, args) -> None:
    """The frame rate and drops over the seconds the floods ran."""
    a, b = started + FLOOD_AT_S, started + FLOOD_AT_S + args.flood_seconds
    ended = stats.ended[: stats.count]
    report.flood_fps = float(((ended >= a) & (ended < b)).sum() / args.flood_seconds)
    drops = [s[2] for s in samples if a <= s[0] < b + SAMPLE_S]
    report.flood_dropped = drops[-1] - drops[0] if len(drops) > 1 else 0


def _camera_clip(model: str, folder: Path) -> str:
    """A short dance rendered by the model itself, looped as the camera's picture."""
    bundle = Bundle.load(resolve_bundle_path(model), threads=1)
    clip = folder / "camera.mp4"
    render_video(bundle, clip, CAMERA_SECONDS, CAMERA_FPS, seed=7, size=CAMERA_SIZE, progress=False)
    return str(clip)


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_floods(floods: list[str], args, osc_port: int, midi_port: int | None, web) -> list:
    """Each flood in a process of its own, starting once the show has settled."""
    if "web" in floods and web is None:
        raise LivedanceError("--flood web needs the control page (drop --no-web)")
    processes = []
    for kind in floods:
        command = [sys.executable, "-m", "livedance.tools.flood", kind, "--seconds", str(args.flood_seconds)]
        command += ["--rate", str(args.flood_rate)]
        if kind == "osc":
            command += ["--port", str(osc_port)]
        elif kind == "midi":
            command += ["--port", str(midi_port), "--delay", str(FLOOD_AT_S)]
        else:
            command += ["--url", web.url]
        delayed = ["sh", "-c", f'sleep {FLOOD_AT_S} && exec "$@"', "flood", *command]
        if kind == "midi":
            delayed = command  # the show connects to it: it serves from the start, and pours from FLOOD_AT_S
        processes.append((kind, subprocess.Popen(delayed, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    return processes


# --- the command ----------------------------------------------------------------------------------------------
def format_report(report: Report) -> str:
    lines = [
        f"soak: {report.minutes:g} min at {report.size[0]}x{report.size[1]}, {report.fps:g} fps, on {report.machine}",
        f"{'minutes':>11} {'frames':>8} {'dropped':>8} {'fps':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'MB':>7}"
        f" {'cpu p50':>7} {'cpu p99':>7} {'own':>5} {'others':>6} {'steal':>5} {'yard ms':>7}",
    ]
    for w in report.windows:
        a, b = w["minutes"]
        ms, mb, cpu, cores = w["work_ms"], w["memory_mb"], w["cpu_ms"], w["cores"]
        lines.append(
            f"{a:5.1f}-{b:5.1f} {w['frames']:8d} {w['dropped']:8d} {w['fps']:6.2f} "
            f"{ms['p50']:7.2f} {ms['p99']:7.2f} {ms['max']:7.1f} {mb['mean']:7.1f}"
            f" {cpu['p50']:7.2f} {cpu['p99']:7.2f} {cores['own']:5.2f} {cores['others']:6.2f} {cores['steal']:5.2f}"
            f" {w['yardstick_ms']:7.3f}"
        )
    lines.append("cores by thread:")
    for w in report.windows:
        a, b = w["minutes"]
        busiest = list(w["threads"].items())[:THREADS_SHOWN]
        lines.append(f"{a:5.1f}-{b:5.1f} " + "  ".join(f"{name} {cores:.2f}" for name, cores in busiest))
    lines += [
        f"frames {report.frames}, dropped {report.dropped}; memory growth {report.memory_growth:+.1%}",
        "work: " + report.p99_verdict,
        "display thread's CPU time: " + report.cpu_p99_verdict,
        f"machine: the yardstick's last window over its first {report.yardstick_ratio:.3f}; the CPU time at the"
        " machine's first speed: " + report.cpu_at_start_speed_verdict,
        "(cpu: the display thread's CPU ms a frame; own, others, steal: cores kept busy by the soak,"
        " by other programs, and by other machines on the host; yard: the CPU ms of a fixed round of work)",
        f"latents within [{report.latent_range[0]:.2f}, {report.latent_range[1]:.2f}], "
        f"{report.nonfinite_latents} non-finite",
        f"played: {report.played}",
        f"controls: {report.controls}",
    ]
    lines += [
        f"take {t['file']}: {t['frames']} frames{', ' + t['error'] if t['error'] else ''}" for t in report.recordings
    ]
    lines += [f"flood: {flood}" for flood in report.floods]
    if report.flood_fps is not None:
        lines.append(f"while flooded: {report.flood_fps:.1f} frames/s, {report.flood_dropped} dropped")
    lines.append("slowest frames (s, ms): " + ", ".join(f"{t:g}s {ms:g}" for t, ms in report.worst))
    lines.append("problems: " + ("; ".join(report.problems) if report.problems else "none"))
    return "\n".join(lines)


def run(args) -> int:
    began = time.perf_counter()
    report = soak(args)
    print(format_report(report))
    print(f"soak took {time.perf_counter() - began:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(report), indent=1), encoding="utf-8")
    return 1 if report.problems else 0
