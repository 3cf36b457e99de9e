"""Dance a recorded performance again, offline, at any size:

    livedance replay show.jsonl --out show-4k.mp4 [--size 3840x2160] [--fps 60] [--model M]

The control log (sessionlog.py) holds the session's start (model, seed, dancers, size), a
snapshot of the show's state some seconds before the recording started, the frame timeline
from there and every control as it was applied, at the frame it was applied. Replay builds the
same instrument headless, restores the snapshot, recomputes each frame's time on the same slot
grid, hands the mixer the logged controls at those frames (before the dream, or after the
decode for look controls, as live) and lands model and dancer switches where they landed
live. The dance is computed again, not copied: at the recorded size and frame rate the frames
are the recorded ones; at 4K they are the same performance, drawn sharp. `--model` re-dances
it with another bundle (whose dancers start from the snapshot's seed, with the performer's
settings).

Only the frames of the recording the log belongs to are written; the frames from the snapshot
(at least `WARM_SECONDS` before the recording, when the show had run that long) are danced,
and the last `WARM_SECONDS` of them drawn, so trails and fades are as they were live. The
camera's part is in the log too: the latents the capture gave while following, and the window
each continuation started from. A log without a snapshot (format 1, or a recording started in
the show's first seconds) is danced from the session's first frame.
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
from livedance.recording.sessionlog import WARM_SECONDS, arrays, from_json, read
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
        "--all",
        action="store_true",
        help="everything the log holds, from its snapshot (or the session's first frame), not only the recorded part",
    )


class _Timeline:
    """The recorded session's frames from its snapshot (or its first frame) on: their slot times
    (`times[k - first]`), controls, switches, recorded span."""

    def __init__(self, events: list[dict]):
        self.header = events[0]
        self.snapshot: dict | None = None  # where the file starts, if not at the session's first frame
        self.early: dict[int, list[dict]] = {}
        self.late: dict[int, list[dict]] = {}
        self.swaps: dict[int, dict] = {}
        self.camera: dict[int, list[dict]] = {}  # the camera's part: captured latents, mode switches
        self.tempo: dict[int, list[dict]] = {}  # what the leading tempo source gave the step clock
        runs: dict[int, dict] = {}
        drops: dict[int, int] = {}
        self.drops = drops  # frame -> slots missed just before it (the recording repeats the frame)
        last, start, end = 0, None, None
        for event in events[1:]:
            kind, frame = event["type"], int(event.get("frame", 0))
            last = max(last, frame)
            if kind == "snapshot":
                self.snapshot = self.snapshot or event  # a later one (there is none in a file) changes nothing
            elif kind == "run":
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
                start = frame
            elif kind == "end":
                end = frame
        snapshot = self.snapshot
        self.first = 0 if snapshot is None else int(snapshot["frame"])
        self.start = self.first if start is None else start
        self.end = last + 1 if end is None else end  # none: the show crashed or was killed, all logged is there
        if snapshot is None and 0 not in runs:
            raise LivedanceError("the control log has no first run: nothing to replay")
        if self.end <= self.first:
            raise LivedanceError("the control log ends where it starts: nothing to replay")
        # The loop's own arithmetic, operation for operation, so the times are the same floats.
        self.times = []
        deadline = period = 0.0
        if snapshot is not None:  # the slot time of its frame, as the loop had it
            deadline, period = float(snapshot["time"]), float(snapshot["period"])
        for k in range(self.first, self.end):
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

    def use_bundle(self, bundle) -> None:
        """A model switch: the log's latents were encoded live, by whichever model was in then."""

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


def _restore(inst, snapshot: dict, model: str | None, logged: _LoggedCapture) -> None:
    """The show as it was at the snapshot's frame, with the camera's latest latent and the leader
    that `_follow_logged` would have chosen by then."""
    state = arrays(snapshot["state"])
    inst.restore(state, model)
    leader = state["performance"]["tempo_rule"]["leader"]
    if leader is not None:
        inst.performance.tempo_rule.choose(leader)
    if "capture" in snapshot:
        logged.take({"type": "capture", "latent": snapshot["capture"]})


def _dancer(timeline: _Timeline) -> dict:
    """The model, dancers and seed dancing where the timeline starts."""
    if timeline.snapshot is None:
        return timeline.header
    return timeline.snapshot["state"]["performance"]["choreographer"]


def _captured(timeline: _Timeline) -> dict | None:
    """The first of the camera's latents in the log, if any (encoded)."""
    if timeline.snapshot is not None and "capture" in timeline.snapshot:
        return timeline.snapshot["capture"]
    event = next((e for events in timeline.camera.values() for e in events if e["type"] == "capture"), None)
    return None if event is None else event["latent"]


def replay(args) -> tuple[str, int]:
    timeline = _Timeline(read(args.log))
    header = timeline.header
    size = parse_size(args.size) if args.size else tuple(header["size"])
    fps = float(args.fps or header["fps"])
    dancer = _dancer(timeline)
    model = args.model or dancer["model"]
    settings = LiveSettings(model=model, dancers=int(dancer["dancers"]), seed=int(dancer["seed"]), hud=False, fps=fps)
    inst = build(settings, headless=True, size=size)
    inst.performance.log = None  # a replay is not a session of its own
    captured = _captured(timeline)
    latent_dim = inst.performance.engine.latent_dim
    if captured is not None and captured.get("shape", [0])[-1] != latent_dim:
        inst.close()
        raise LivedanceError(
            f"{args.log}: the camera's dancer was encoded for a model with {captured['shape'][-1]} "
            f"latent dimensions; {model} has {latent_dim}, so it can't re-dance them"
        )
    inst.switch = lambda model=None, dancers=None: None  # switches land where the log says
    inst.takes.start = inst.takes.stop = lambda: None  # the replay is the recording
    bus = inst.mixer.bus = _ReplayBus(inst.bus)
    logged = inst.director.capture = _LoggedCapture()
    for source in SOURCES:
        if source != "manual":
            inst.performance.tempo_rule.attach(source, propose=_ignore_proposal)
    if timeline.snapshot is not None:
        try:
            _restore(inst, timeline.snapshot, args.model, logged)
        except (KeyError, IndexError, TypeError, ValueError, LivedanceError) as exc:
            inst.close()
            raise LivedanceError(
                f"{args.log}: the snapshot at frame {timeline.first} can't be restored "
                f"({type(exc).__name__}: {exc}); expected one written by livedance live"
            ) from None
    first, recorded = timeline.first, timeline.times
    same_rate = abs(fps - float(header["fps"])) < 1e-9
    # Frames to draw: the recorded frames (with the same arithmetic, so the same floats), or a
    # new grid at another frame rate over the same time.
    if same_rate:
        times = list(recorded)
    else:
        times = [recorded[0] + j / fps for j in range(int((recorded[-1] - recorded[0]) * fps) + 1)]
    start = recorded[min((first if args.all else timeline.start) - first, len(recorded) - 1)]
    warm_from = start - WARM_SECONDS
    recorder = None
    written = 0
    try:
        recorder = Recorder(args.out, fps, size, codec=args.codec)
        k = first  # the next recorded frame whose controls and switches are still to come
        for now in tqdm(times, desc="replay", unit="frame", disable=None):
            early, late, swaps, camera, tempo = [], [], [], [], []
            while k < timeline.end and recorded[k - first] <= now + 1e-9:
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
