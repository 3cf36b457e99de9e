"""Measure the live path: step+decode latency, uncapped frames/s, start-up, memory.

    livedance bench [--model models/default] [--json] [--seconds 10] [--size 1920x1080]

The frames/s figure runs the real live loop (livedance.live.instrument.Instrument) headless and uncapped:
choreographer, decoder, upscale and colour, and the pygame blit, as on stage. When TensorFlow
and Keras are installed, the paper's own networks (`--arch seed`, built fresh) run per frame
through Keras `predict` in the same process, for the comparison the project started from.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import sys
import threading
import time
from typing import Any

import numpy as np
from pythonosc.udp_client import SimpleUDPClient

from livedance.audio.input import AudioInput
from livedance.camera.capture import Capture
from livedance.camera.source import CameraSource
from livedance.camera.stage import StageCutout
from livedance.config import AutoencoderConfig, PredictorConfig
from livedance.control.osc import OscServer
from livedance.control.patch import Patch
from livedance.errors import LivedanceError
from livedance.live.command import build
from livedance.live.framestats import FrameStats
from livedance.live.settings import LiveSettings
from livedance.outputs.ndi import NdiSink
from livedance.outputs.sink import Sink
from livedance.outputs.spout import SpoutSink
from livedance.outputs.syphon import SyphonSink
from livedance.outputs.virtualcam import VirtualCamSink
from livedance.quiet import quiet_stderr
from livedance.runtime.generate import Rollout
from livedance.tools import metrics
from livedance.video.look import Compositor, Look
from livedance.video.size import parse_size

# The targets on the 2-core CPU machine.
TARGETS = {
    "step_decode_p99_ms": ("<=", 2.0),
    "uncapped_fps": (">=", 180.0),
    "first_frame_s": ("<=", 2.0),
    "peak_memory_mb": ("<", 400.0),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="models/default", help="model bundle folder (default: models/default)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the uncapped loop run (default: 10)")
    parser.add_argument("--size", default="1920x1080", help="output WIDTHxHEIGHT of the loop run (default: 1920x1080)")
    parser.add_argument(
        "--frames", type=int, default=2000, help="step+decode calls timed for the latency (default: 2000)"
    )
    parser.add_argument(
        "--control-seconds",
        type=float,
        default=5.0,
        help="how long to send OSC into the loop at 60 fps for the control latency; 0 skips it (default: 5)",
    )
    parser.add_argument(
        "--compositor-frames",
        type=int,
        default=200,
        help="frames composed at 1920x1080 and 3840x2160 to time the crisp compositor; 0 skips it (default: 200)",
    )
    parser.add_argument(
        "--camera",
        metavar="FILE",
        help="also follow this video (standing in for a camera) at 60 fps: "
        "captured frames/s at the file's rate and as fast as the capture goes",
    )
    parser.add_argument(
        "--camera-seconds", type=float, default=10.0, help="how long each camera run lasts (default: 10)"
    )
    parser.add_argument(
        "--audio",
        metavar="FILE",
        help="also dance to this audio file at 60 fps (onsets -> accents): the time from an onset in the file "
        "to the first frame that shows its accent, and the analysis time per audio block",
    )
    parser.add_argument("--audio-seconds", type=float, default=10.0, help="how long the audio run lasts (default: 10)")
    parser.add_argument(
        "--output",
        action="append",
        choices=sorted(OUTPUTS),
        help="also play at 60 fps with this output on (repeatable; null: the keyed frame handed over, sent nowhere): "
        "display frames/s and dropped, frames the output sent and dropped, against the same run without it",
    )
    parser.add_argument(
        "--output-seconds", type=float, default=10.0, help="how long each output run lasts (default: 10)"
    )
    parser.add_argument(
        "--keras",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also time the paper's networks through Keras predict (default: when TensorFlow is installed)",
    )
    parser.add_argument("--keras-seconds", type=float, default=5.0, help="how long to time Keras predict (default: 5)")


def process_age() -> float | None:
    """Seconds since this process started (Linux), so start-up includes Python's own imports."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def peak_memory_mb() -> float:
    import resource  # noqa: PLC0415  deferred: POSIX only

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


def machine() -> str:
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            name = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{name}, {os.cpu_count()} logical CPUs"


def _percentiles(seconds: np.ndarray) -> dict:
    ms = seconds * 1000.0
    return {
        "p50": round(float(np.percentile(ms, 50)), 3),
        "p99": round(float(np.percentile(ms, 99)), 3),
        "max": round(float(ms.max()), 3),
        "mean": round(float(ms.mean()), 3),
    }


def time_step_decode(engine, frames: int) -> dict:
    """One LSTM step and one decode per frame, the worst case of a live frame (the
    choreographer steps only at the model's rate), timed call by call."""
    rng = np.random.default_rng(0)
    window = engine.step_input
    window[...] = rng.standard_normal(window.shape, dtype=np.float32)
    latent = engine.decode_input
    std, mean = engine.bundle.latent_std, engine.bundle.latent_mean
    both, step, decode = (np.empty(frames) for _ in range(3))
    clock = time.perf_counter
    for i in range(frames):
        t0 = clock()
        prediction = engine.step(window)
        t1 = clock()
        np.multiply(prediction, std, out=latent)
        np.add(latent, mean, out=latent)
        engine.decode(latent)
        t2 = clock()
        window[:, :-1] = window[:, 1:]  # feed back, as generation does
        window[:, -1] = prediction
        both[i], step[i], decode[i] = t2 - t0, t1 - t0, t2 - t1
    return {"step_decode_ms": _percentiles(both), "step_ms": _percentiles(step), "decode_ms": _percentiles(decode)}


def time_keras(seconds: float, latent_dim: int = 128) -> dict:
    """The paper's seed architecture, built fresh, run per frame through Keras `predict`."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    with quiet_stderr():  # TensorFlow's import-time banners go straight to fd 2
        importlib.import_module("tensorflow")
    # Deferred on purpose: Keras is the train extra; the rest of the bench never loads it.
    from livedance.training.models import build_autoencoder, build_predictor  # noqa: PLC0415

    _, decoder, _ = build_autoencoder(AutoencoderConfig(arch="seed", latent_dim=latent_dim))
    predictor = build_predictor(PredictorConfig(arch="seed"), latent_dim)
    window = np.random.default_rng(0).standard_normal((1, predictor.input_shape[1], latent_dim)).astype(np.float32)

    def one_frame():
        latent = predictor.predict(window, verbose=0)
        decoder.predict(latent, verbose=0)

    for _ in range(3):  # tracing and first-call allocation are not per-frame costs
        one_frame()
    taken: list[float] = []
    began = time.perf_counter()
    while time.perf_counter() - began < seconds or len(taken) < 3:
        t0 = time.perf_counter()
        one_frame()
        taken.append(time.perf_counter() - t0)
    times = np.asarray(taken)
    return {
        "frames_per_s": round(len(times) / float(times.sum()), 2),
        "frame_ms": _percentiles(times),
        "frames": len(times),
    }


def time_control_latency(instrument, seconds: float, fps: float = 60.0) -> dict:
    """Real OSC packets over loopback into the running loop at `fps`: the time from a packet's
    arrival on the OSC thread to the moment the first frame that uses it is handed to the display."""

    server = OscServer(instrument.bus, port=0).start()
    instrument.inputs.append(server)
    stop = threading.Event()
    sent = [0]

    def send() -> None:
        client = SimpleUDPClient("127.0.0.1", server.port)
        rng = np.random.default_rng(0)
        while not stop.wait(float(rng.uniform(0.01, 0.05))):  # off the frame grid on purpose
            # A look control (drawn by the compositor) and a dance control (shapes the latent), in turn.
            address = "/livedance/offset_x" if sent[0] % 2 else "/livedance/temperature"
            value = float(rng.uniform(-0.2, 0.2)) if sent[0] % 2 else float(rng.uniform(0.8, 1.2))
            client.send_message(address, value)
            sent[0] += 1

    sender = threading.Thread(target=send, name="livedance-bench-osc", daemon=True)
    _restart(instrument, fps)
    before = instrument.mixer.latency_count
    sender.start()
    try:
        instrument.run(seconds=seconds)
    finally:
        stop.set()
        sender.join()
    mixer = instrument.mixer
    taken = mixer.latency_count - before
    samples, kinds = (
        (array[-taken:] for array in mixer.recent_latencies()) if taken else (np.zeros(0), np.zeros(0, bool))
    )
    look, dance = samples[kinds], samples[~kinds]
    return {
        "control_latency_ms": _percentiles(samples) if len(samples) else None,
        "look_control_latency_ms": _percentiles(look) if len(look) else None,
        "dance_control_latency_ms": _percentiles(dance) if len(dance) else None,
        "control_packets": int(sent[0]),
        "control_applied": int(taken),
        "control_fps": fps,
        "control_dropped_frames": instrument.stats.dropped,
    }


class NullSink(Sink):
    """Takes keyed frames and sends them nowhere: what an output costs the show before its protocol."""

    kind = "null"

    def __init__(self, name: str, size: tuple[int, int]):
        super().__init__(name, size, channels=4)


OUTPUTS = {
    "null": lambda size, fps: NullSink("bench", size),
    "ndi": lambda size, fps: NdiSink("livedance-bench", size, fps),
    "syphon": lambda size, fps: SyphonSink("livedance-bench", size),
    "spout": lambda size, fps: SpoutSink("livedance-bench", size),
    "virtualcam": lambda size, fps: VirtualCamSink(size, fps),
}


def time_outputs(instrument, kinds: list[str], seconds: float, fps: float = 60.0) -> dict:
    """The loop at `fps` with no output, then with each of `kinds` at the loop's size (keyed where it
    carries alpha): frames shown and dropped by the show, frames sent and dropped by the output."""
    size = instrument.window.size

    def played(label: str) -> dict:
        _restart(instrument, fps)
        instrument.run(seconds=seconds)
        shown, elapsed = instrument.performance.frames, instrument.stats.elapsed
        return {"output": label, "display_fps": round(shown / elapsed, 1), "display_dropped": instrument.stats.dropped}

    rows = [played("none")]
    for kind in kinds:
        try:
            sink = instrument.feed.add(OUTPUTS[kind](size, fps))
        except LivedanceError as exc:
            rows.append({"output": kind, "refused": str(exc)})
            continue
        row = played(f"{sink.kind} {sink.name}")
        instrument.feed.close()
        row.update(offered=sink.offered, sent=sink.sent, output_dropped=sink.dropped, failed=sink.died or sink.failed)
        rows.append(row)
    return {"outputs": rows, "outputs_fps": fps}


def time_camera(instrument, camera_path: str, seconds: float, realtime: bool, fps: float = 60.0) -> dict:
    """The display loop at `fps` following a camera (a video file standing in for one) while the
    camera and capture threads cut out, frame and encode every camera frame."""

    camera = CameraSource(camera_path, loop=True, bus=instrument.bus, realtime=realtime).start()
    capture = Capture(camera, instrument.performance.engine.bundle, StageCutout("mog2"), bus=instrument.bus).start()
    instrument.inputs += [capture, camera]
    instrument.director.capture = capture
    instrument.director.set_mode("follow")
    _restart(instrument, fps)
    before = capture.frames
    instrument.run(seconds=seconds)
    captured = capture.frames - before
    instrument.director.set_mode("generate")
    capture.close()
    camera.close()
    return {
        "camera": camera_path,
        "camera_realtime": realtime,
        "captured_fps": round(captured / instrument.stats.elapsed, 1),
        "display_fps": round(instrument.performance.frames / instrument.stats.elapsed, 1),
        "display_dropped": instrument.stats.dropped,
    }


AUDIO_ACCENTS = 'controls = [ { audio = "onset", param = "accent" } ]'


def time_audio(instrument, path: str, seconds: float, fps: float = 60.0) -> dict:
    """The loop at `fps` dancing to an audio file played at real time (looped), every onset an accent:
    audio-to-frame latency (from the hop the onset rose in, at most one hop after it, to the first
    frame that shows the accent handed to the display) and the analysis time per block."""
    audio = AudioInput(path, instrument.bus, Patch.from_text(AUDIO_ACCENTS).audio_mappings(), loop=True)
    instrument.inputs.append(audio.start())
    waited = time.perf_counter() + 2.0
    while not (audio.opened or audio.error) and time.perf_counter() < waited:
        time.sleep(0.01)
    if not audio.opened:
        audio.close()
        raise LivedanceError(audio.error or f"--audio {path}: did not open within 2 s")
    _restart(instrument, fps)
    before = instrument.mixer.latency_count
    instrument.run(seconds=seconds)
    audio.close()
    mixer = instrument.mixer
    taken = mixer.latency_count - before
    latency = mixer.recent_latencies()[0][-taken:] if taken else np.zeros(0)
    costs = audio.recent_costs()
    analyser = audio.analyser
    return {
        "audio": path,
        "audio_fps": fps,
        "audio_accents": int(taken),
        "audio_to_frame_ms": _percentiles(latency) if taken else None,
        "audio_block_ms": round(1000.0 * 512 / analyser.samplerate, 2) if analyser else None,
        "audio_hop_ms": round(1000.0 * analyser.hop_seconds, 2) if analyser else None,
        "audio_analysis_per_block_ms": _percentiles(costs) if len(costs) else None,
        "audio_display_fps": round(instrument.performance.frames / instrument.stats.elapsed, 1),
        "audio_dropped_frames": instrument.stats.dropped,
    }


def _restart(instrument, fps: float) -> None:
    """Count a new measurement from zero, at `fps` (0: uncapped)."""
    instrument.fps = fps
    instrument.performance.frames = 0
    instrument.stats = FrameStats()


COMPOSITOR_SIZES = ((1920, 1080), (3840, 2160))


def time_compositor(engine, frames: int = 200) -> dict:
    """The crisp compositor alone at 1080p and 2160p (a decoded dancer, trails off and on), and
    the width of the edge it draws (metrics.edge_band_px, the target is at most 1.5 px)."""

    rollout = Rollout(engine.bundle)
    rollout.seed_random(0)
    latents = engine.denormalise(rollout.run(24)[:, 0])
    inks = engine.bundle.decode(latents)[..., 0]
    result = {}
    for size in COMPOSITOR_SIZES:
        compositor = Compositor(size, (engine.height, engine.width))
        row: dict[str, Any] = {}
        for name, look in (("ms", Look()), ("trails_ms", Look(trails=0.8))):
            times = np.empty(frames)
            for i in range(frames + 3):
                t0 = time.perf_counter()
                compositor.compose(inks[i % len(inks)], look)
                if i >= 3:  # the first calls configure and allocate
                    times[i - 3] = time.perf_counter() - t0
            row[name] = _percentiles(times)
        bands = [
            metrics.edge_band_px(compositor.compose(ink, Look(fg="white", bg="black"))[..., 0]) for ink in inks[::4]
        ]
        row["edge_band_px"] = round(float(np.median(bands)), 2)
        row["frame_budget_share_at_60fps"] = round(row["ms"]["p50"] / (1000.0 / 60.0), 3)
        result[f"{size[0]}x{size[1]}"] = row
    return result


def keras_available() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("tensorflow", "keras"))


def bench(args) -> dict:
    if not args.seconds > 0:
        raise LivedanceError(f"--seconds {args.seconds:g}: expected a positive length")
    if args.frames < 10:
        raise LivedanceError(f"--frames {args.frames}: expected at least 10")
    size = parse_size(args.size)
    began = time.perf_counter()
    age_at_start = process_age()
    instrument = build(LiveSettings(model=args.model, hud=False, fps=0.0), headless=True, size=size)
    try:
        instrument.run(frames=1)
        first_in_process = instrument.stats.first_frame_at - began
        engine = instrument.performance.engine
        latency = time_step_decode(engine, args.frames)
        compositor = time_compositor(engine, args.compositor_frames) if args.compositor_frames > 0 else {}
        _restart(instrument, 0.0)
        instrument.run(seconds=args.seconds)
        loop_frames, loop_seconds = instrument.performance.frames, instrument.stats.elapsed
        control = time_control_latency(instrument, args.control_seconds) if args.control_seconds else {}
        if args.output:
            control.update(time_outputs(instrument, args.output, args.output_seconds))
        if args.audio:
            control.update(time_audio(instrument, args.audio, args.audio_seconds))
        if args.camera:
            control["camera_paced"] = time_camera(instrument, args.camera, args.camera_seconds, realtime=True)
            control["camera_unpaced"] = time_camera(instrument, args.camera, args.camera_seconds, realtime=False)
    finally:
        instrument.close()
    result = {
        "model": str(engine.bundle.path),
        "machine": machine(),
        "provider": engine.provider,
        "provider_line": engine.provider_line,
        "size": f"{size[0]}x{size[1]}",
        **latency,
        "step_decode_p99_ms": latency["step_decode_ms"]["p99"],
        "uncapped_fps": round(loop_frames / loop_seconds, 1),
        "loop_frames": loop_frames,
        "loop_seconds": round(loop_seconds, 2),
        # From process start when the OS says when that was (Python and imports included).
        "first_frame_s": round(first_in_process + (age_at_start or 0.0), 3),
        "first_frame_in_process_s": round(first_in_process, 3),
        "engine_startup_s": round(engine.startup_seconds, 3),
        "peak_memory_mb": round(peak_memory_mb(), 1),
        "compositor": compositor,
        **control,
    }
    if control.get("control_latency_ms"):
        # The bound: one frame interval plus the decode time (p99).
        budget = 1000.0 / control["control_fps"] + latency["decode_ms"]["p99"]
        result["control_latency_p99_ms"] = control["control_latency_ms"]["p99"]
        result["control_latency_budget_ms"] = round(budget, 3)
    use_keras = keras_available() if args.keras is None else args.keras
    if use_keras:
        if not keras_available():
            raise LivedanceError("--keras needs TensorFlow and Keras: pip install -e '.[train]'")
        keras = time_keras(args.keras_seconds, engine.latent_dim)
        onnx_fps = 1000.0 / latency["step_decode_ms"]["mean"]
        keras["onnx_step_decode_frames_per_s"] = round(onnx_fps, 1)
        keras["ratio"] = round(onnx_fps / keras["frames_per_s"], 1)
        result["keras_seed_arch"] = keras
    else:
        result["keras_seed_arch"] = None
    targets = dict(TARGETS)
    if "control_latency_budget_ms" in result:
        targets["control_latency_p99_ms"] = ("<=", result["control_latency_budget_ms"])
    result["targets"] = {
        name: {
            "target": f"{op} {limit:g}",
            "met": bool(
                result[name] <= limit if op == "<=" else result[name] >= limit if op == ">=" else result[name] < limit
            ),
        }
        for name, (op, limit) in targets.items()
    }
    return result


def format_table(r: dict) -> str:
    t = r["targets"]
    sd, s, d = r["step_decode_ms"], r["step_ms"], r["decode_ms"]

    def met(name):
        return f"{t[name]['target']} ({'met' if t[name]['met'] else 'MISSED'})"

    rows = [
        (
            "step+decode per frame, ms p50 / p99 / max",
            met("step_decode_p99_ms"),
            f"{sd['p50']:.3f} / {sd['p99']:.3f} / {sd['max']:.3f}",
        ),
        ("  step alone / decode alone, ms p50", "", f"{s['p50']:.3f} / {d['p50']:.3f}"),
        (
            f"uncapped frames/s headless at {r['size']}",
            met("uncapped_fps"),
            f"{r['uncapped_fps']:.1f} ({r['loop_frames']} frames in {r['loop_seconds']:.1f} s)",
        ),
        (
            "first frame after process start, s",
            met("first_frame_s"),
            f"{r['first_frame_s']:.2f} (engine ready in {r['engine_startup_s']:.2f})",
        ),
        ("peak memory, MB (ru_maxrss)", met("peak_memory_mb"), f"{r['peak_memory_mb']:.0f}"),
        ("provider", "", r["provider_line"]),
    ]
    for out in r.get("outputs", []):
        if "refused" in out:
            rows.append((f"output {out['output']}", "", f"refused: {out['refused']}"))
            continue
        shown = f"{out['display_fps']:.1f} frames/s, {out['display_dropped']} dropped"
        sent = f"; sent {out['sent']} of {out['offered']}, {out['output_dropped']} dropped" if "sent" in out else ""
        rows.append((f"at {r['outputs_fps']:g} fps with output {out['output']}", "no frame dropped", shown + sent))
    for size, row in r.get("compositor", {}).items():
        rows.append(
            (
                f"crisp compositor at {size}, ms p50 / p99 (trails on: p50)",
                "edge <= 1.5 px",
                f"{row['ms']['p50']:.2f} / {row['ms']['p99']:.2f} ({row['trails_ms']['p50']:.2f}); "
                f"edge {row['edge_band_px']:.2f} px; {100 * row['frame_budget_share_at_60fps']:.0f}% of a 60 fps frame",
            )
        )
    if r.get("control_latency_ms"):
        cl = r["control_latency_ms"]
        rows.insert(
            4,
            (
                f"OSC control to frame at {r['control_fps']:g} fps, ms p50 / p99",
                met("control_latency_p99_ms"),
                f"{cl['p50']:.2f} / {cl['p99']:.2f} ({r['control_applied']} of {r['control_packets']} packets)",
            ),
        )
        for kind in ("look", "dance"):
            part = r.get(f"{kind}_control_latency_ms")
            if part:
                rows.insert(5, (f"  {kind} controls only, ms p50 / p99", "", f"{part['p50']:.2f} / {part['p99']:.2f}"))
    for key, words in (("camera_paced", "at the file's rate"), ("camera_unpaced", "as fast as it goes")):
        cam = r.get(key)
        if cam:
            rows.append(
                (
                    f"camera {words}: captured fps / display fps (dropped)",
                    "",
                    f"{cam['captured_fps']:.1f} / {cam['display_fps']:.1f} ({cam['display_dropped']})",
                )
            )
    if r.get("audio_to_frame_ms"):
        al, cost = r["audio_to_frame_ms"], r["audio_analysis_per_block_ms"]
        rows.append(
            (
                f"audio onset to accent shown at {r['audio_fps']:g} fps, ms p50 / p99",
                "",
                f"{al['p50']:.1f} / {al['p99']:.1f} ({r['audio_accents']} accents; hop {r['audio_hop_ms']:g} ms, "
                f"{r['audio_dropped_frames']} frames dropped)",
            )
        )
        rows.append(
            (
                f"audio analysis per {r['audio_block_ms']:g} ms block, ms p50 / p99",
                "",
                f"{cost['p50']:.3f} / {cost['p99']:.3f}",
            )
        )
    keras = r.get("keras_seed_arch")
    if keras:
        rows.append(
            (
                "paper's seed networks, Keras predict, frames/s",
                "",
                (
                    f"{keras['frames_per_s']:.1f} "
                    f"(ONNX step+decode {keras['onnx_step_decode_frames_per_s']:.0f}: x{keras['ratio']:.0f})"
                ),
            )
        )
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{r['model']} on {r['machine']}"]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, width)).rstrip() for row in rows]
    return "\n".join(lines)


def run(args) -> int:
    result = bench(args)
    print(json.dumps(result) if args.json else format_table(result))
    return 0
