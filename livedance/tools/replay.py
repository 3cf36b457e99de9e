"""Dance a recorded performance again, offline, at any size:

    livedance replay show.jsonl --out show-4k.mp4 [--size 3840x2160] [--fps 60] [--model M]

The control log (sessionlog.py) holds the session's start (model, seed, dancers), its frame
timeline and every control as it was applied, at the frame it was applied. Replay builds the
same instrument headless, recomputes each frame's time on the same slot grid, hands the mixer
the logged controls at those frames (before the dream, or after the decode for look controls,
as live) and lands model and dancer switches where they landed live. The dance is computed
again, not copied: at the recorded size and frame rate the frames are the recorded ones; at
4K they are the same performance, drawn sharp. `--model` re-dances it with another bundle.

Only the frames of the recording the log belongs to are written (the log covers the whole
session from its first frame, so the dancers are in the same state when the recording
starts). The camera's part is in the log too: the latents the capture gave while following,
and the window each continuation started from.
"""

from __future__ import annotations

import argparse
from types import SimpleNamespace

from tqdm import tqdm

from livedance.control.controls import Control
from livedance.errors import LivedanceError
from livedance.live.choreographer import Choreographer
from livedance.live.command import build
from livedance.live.settings import LiveSettings
from livedance.recording.recorder import Recorder
from livedance.recording.sessionlog import from_json, read
from livedance.runtime.engine import Engine
from livedance.sync.tempo import SOURCES
from livedance.video.files import CODECS, add_codec_argument
from livedance.video.size import parse_size


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("log", help="a control log (.jsonl) written beside a recording")
    parser.add_argument("--out", required=True, help=f"the video to write ({', '.join(CODECS)})")
    add_codec_argument(parser)
    parser.add_argument("--size", help="WIDTHxHEIGHT (default: the recorded size)")
    parser.add_argument("--fps", type=float, help="frame rate (default: the recorded one)")
    parser.add_argument("--model", help="dance it with another model bundle (default: the recorded one)")
    parser.add_argument(
        "--all", action="store_true", help="the whole session from its first frame, not only the recorded part"
    )


class _Timeline:
    """The recorded session's frames: their slot times, controls, switches, recorded span."""

    def __init__(self, events: list[dict]):
        self.header = events[0]
        self.early: dict[int, list[dict]] = {}
        self.late: dict[int, list[dict]] = {}
        self.swaps: dict[int, dict] = {}
        self.camera: dict[int, list[dict]] = {}  # the camera's part: captured latents, mode switches
        self.tempo: dict[int, list[dict]] = {}  # what the leading tempo source gave the step clock
        runs: dict[int, dict] = {}
        drops: dict[int, int] = {}
        self.drops = drops  # frame -> slots missed just before it (the recording repeats the frame)
        last, self.start, self.end = 0, 0, None
        for event in events[1:]:
            kind, frame = event["type"], int(event.get("frame", 0))
            last = max(last, frame)
            if kind == "run":
                runs[frame] = event
            elif kind == "drop":
                drops[frame] = int(event["missed"])
            elif kind == "control":
                (self.late if event.get("late") else self.early).setdefault(frame, []).append(event)
            elif kind == "swap":
                self.swaps[frame] = event
            elif kind in ("capture", "mode"):
                self.camera.setdefault(frame, []).append(event)
            elif kind == "tempo":
                self.tempo.setdefault(frame, []).append(event)
            elif kind == "recording":
                self.start = frame
            elif kind == "end":
                self.end = frame
        if self.end is None:  # the show crashed or was killed: everything logged is there
            self.end = last + 1
        if 0 not in runs:
            raise LivedanceError("the control log has no first run: nothing to replay")
        # The loop's own arithmetic, operation for operation, so the times are the same floats.
        self.times = []
        deadline = period = 0.0
        for k in range(self.end):
            if k in runs:
                deadline, period = float(runs[k]["t0"]), float(runs[k]["period"])
            if k in drops:
                deadline += drops[k] * period
            self.times.append(deadline)
            deadline += period


class _ReplayBus:
    """Stands in for the control bus: hands the mixer the logged controls of the frame being drawn."""

    def __init__(self, bus):
        self.bus = bus
        self.early: list = []
        self.late: list = []
        self._late_turn = False

    def frame(self, early: list, late: list) -> None:
        self.early, self.late, self._late_turn = early, late, False

    def drain(self, into: list) -> list:
        into.extend(self.late if self._late_turn else self.early)
        self._late_turn = not self._late_turn
        return into

    def __getattr__(self, name):
        return getattr(self.bus, name)


# Drawn (not written) before the recording starts, so trails and fades are as they were live.
WARM_SECONDS = 5.0
# Their effect is logged as "mode" events (with the captured window a continuation starts from).
CAMERA_CONTROLS = ("mode", "auto", "camera_learn")


def _controls(events: list[dict]) -> list:
    return [
        Control(
            e["name"],
            from_json(e.get("value")),
            e.get("source", "log"),
            float(e.get("received", 0.0)),
            0.0,
            e.get("index"),
        )
        for e in events
        if e["name"] not in CAMERA_CONTROLS
    ]


class _LoggedCapture:
    """Stands in for the camera: the latents and windows the live capture gave, from the log."""

    def __init__(self):
        self.state = None
        self.seq = 0

    def latest(self):
        return self.state

    def take(self, event: dict) -> None:
        latest = self.state
        if event["type"] == "capture":
            self.seq += 1
            latent = from_json(event["latent"])
            window = latest.window if latest is not None else latent[None]
            self.state = SimpleNamespace(
                latent=latent, window=window, filled=len(window), present=True, seq=self.seq, preview=None
            )
        elif "window" in event:  # a continuation starts from this window
            window = from_json(event["window"])
            latent = latest.latent if latest is not None else window[-1]
            self.state = SimpleNamespace(
                latent=latent, window=window, filled=len(window), present=True, seq=self.seq, preview=None
            )


def _follow_logged(performance, event: dict) -> None:
    """The step clock as the leading tempo source left it live (Link, MIDI clock and audio are not
    there to ask): the leader, its tempo and the trim that pulled the steps onto its beat."""
    performance.tempo_rule.choose(event["leader"])
    c = performance.choreographer
    if event["leader"] != "manual" and event["bpm"] is not None:
        c.set_tempo(event["bpm"], event["steps_per_beat"])
    c.trim = event["trim"]


def _ignore_proposal(bpm: float) -> None:
    """A tempo set by hand while another source led went to it live; the log says what came back."""


def replay(args) -> tuple[str, int]:
    timeline = _Timeline(read(args.log))
    header = timeline.header
    size = parse_size(args.size) if args.size else tuple(header["size"])
    fps = float(args.fps or header["fps"])
    model = args.model or header["model"]
    settings = LiveSettings(model=model, dancers=int(header["dancers"]), seed=int(header["seed"]), hud=False, fps=fps)
    inst = build(settings, headless=True, size=size)
    inst.performance.log = None  # a replay is not a session of its own
    captured = next((e for events in timeline.camera.values() for e in events if e["type"] == "capture"), None)
    latent_dim = inst.performance.engine.latent_dim
    if captured is not None and captured["latent"].get("shape", [0])[-1] != latent_dim:
        inst.close()
        raise LivedanceError(
            f"{args.log}: the camera's dancer was encoded for a model with {captured['latent']['shape'][-1]} "
            f"latent dimensions; {model} has {latent_dim}, so it can't re-dance them"
        )
    inst.switch = lambda model=None, dancers=None: None  # switches land where the log says
    inst.takes.start = inst.takes.stop = lambda: None  # the replay is the recording
    bus = inst.mixer.bus = _ReplayBus(inst.bus)
    logged = inst.director.capture = _LoggedCapture()
    for source in SOURCES:
        if source != "manual":
            inst.performance.tempo_rule.attach(source, propose=_ignore_proposal)
    first = 0 if args.all else timeline.start
    recorded = timeline.times
    same_rate = abs(fps - float(header["fps"])) < 1e-9
    # Frames to draw: the recorded frames (with the same arithmetic, so the same floats), or a
    # new grid at another frame rate over the same time.
    if same_rate:
        times = list(recorded)
    else:
        times = [recorded[0] + j / fps for j in range(int((recorded[-1] - recorded[0]) * fps) + 1)]
    start = recorded[min(first, len(recorded) - 1)]
    warm_from = start - WARM_SECONDS
    recorder = None
    written = 0
    try:
        recorder = Recorder(args.out, fps, size, codec=args.codec)
        k = 0  # the next recorded frame whose controls and switches are still to come
        for now in tqdm(times, desc="replay", unit="frame", disable=None):
            early, late, swaps, camera, tempo = [], [], [], [], []
            while k < len(recorded) and recorded[k] <= now + 1e-9:
                early += _controls(timeline.early.get(k, []))
                late += _controls(timeline.late.get(k, []))
                camera += timeline.camera.get(k, [])
                tempo += timeline.tempo.get(k, [])
                if k in timeline.swaps:
                    swaps.append(timeline.swaps[k])
                k += 1
            # As in the live loop's poll: controls first, then a switch that finished loading.
            bus.frame(early, late)
            inst.mixer.apply(now)
            for event in tempo:
                _follow_logged(inst.performance, event)
            for event in camera:
                logged.take(event)
                if event["type"] == "mode":
                    inst.director.set_mode(event["mode"])
            for swap in swaps:
                dancers = int(swap["dancers"])
                engine = Engine(args.model or swap["model"], dancers=dancers).prepare()
                inst.swap_in(engine, Choreographer(engine, dancers=dancers, seed=int(swap["seed"])), "switch", now)
            if inst.fading:
                inst.settle_switch(now)
            if now < warm_from:  # long before the recording: dance, but draw nothing
                inst.director.latents(now)
                inst.advance_outgoing(now)
                inst.mixer.apply_late()
                continue
            canvas = inst.draw(now)
            if now >= start - 1e-9:
                # At the recorded rate a slot the live loop missed holds this frame, as the recording did.
                repeat = 1 + timeline.drops.get(k - 1, 0) if same_rate else 1
                if recorder.push(canvas, repeat, block=True):
                    written += repeat
    finally:
        try:
            path = recorder.close() if recorder is not None else None
        finally:
            inst.close()
    return str(path), written


def run(args) -> int:
    path, frames = replay(args)
    print(f"wrote {path}: {frames} frames")
    return 0
