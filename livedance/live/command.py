"""Play a model bundle live: a window (or fullscreen) that dances at the display's rate.

    livedance live [--model models/default] [--fullscreen] [--display N] [--size WxH] [--fps 60]
    livedance live --headless --seconds 10 --out run.mp4     # no window: same loop, to a file
    livedance live --keys                                    # what the keys do
    livedance live --audio default                           # dance to the music (livedance audio --list)

A machine with no display (no DISPLAY or WAYLAND_DISPLAY on Linux) runs headless and writes
livedance.mp4, so the same command works on a server.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time

from livedance.audio.input import AudioInput
from livedance.camera.capture import Capture
from livedance.camera.source import CameraSource
from livedance.camera.stage import StageCutout
from livedance.control.allow import Allow, parse_networks
from livedance.control.midi import MidiInput, input_names, parse_tcp
from livedance.control.osc import OscServer
from livedance.control.params import format_params
from livedance.control.patch import Patch, resolve_patch_path
from livedance.errors import LivedanceError, one_line
from livedance.live.choreographer import Choreographer
from livedance.live.instrument import Instrument
from livedance.live.keys import PRESETS, browser_keys, format_keys
from livedance.live.performance import Performance
from livedance.live.settings import DEFAULT_MODEL, LEARN_FILE, LiveSettings
from livedance.live.takes import RECORD_DIR
from livedance.live.window import Window, no_display_reason, use_dummy_video
from livedance.outputs.ndi import NdiSink
from livedance.outputs.sink import Sink
from livedance.outputs.spec import OutputSpec, parse_output
from livedance.outputs.spout import SpoutSink
from livedance.outputs.syphon import SyphonSink
from livedance.outputs.virtualcam import VirtualCamSink
from livedance.recording.sessionlog import SessionLog
from livedance.runtime.bundle import shipped_bundles
from livedance.runtime.engine import Engine
from livedance.runtime.memory import tune_heap
from livedance.sync.link import LinkSession
from livedance.video.files import add_codec_argument
from livedance.video.look import Compositor, Look
from livedance.video.size import parse_size
from livedance.web.access import parse_listen, qr_matrix, qr_text
from livedance.web.page import PageOptions
from livedance.web.page import render as render_page
from livedance.web.preview import PreviewSink
from livedance.web.server import WebServer

log = logging.getLogger(__name__)

HEADLESS_OUT = "livedance.mp4"
HEADLESS_SECONDS = 30.0
WINDOW_SIZE = "1280x720"
OSC_PORT = 9000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"model bundle folder (default: {DEFAULT_MODEL})")
    parser.add_argument("--fullscreen", action="store_true", help="fill the screen (toggle with F11 or Alt+Enter)")
    parser.add_argument("--display", type=int, default=0, help="which display to open on, from 0 (default: 0)")
    parser.add_argument(
        "--size", help=f"output WIDTHxHEIGHT (default: the screen's size fullscreen, else {WINDOW_SIZE})"
    )
    parser.add_argument("--fps", type=float, default=60.0, help="frame rate; 0 runs uncapped (default: 60)")
    parser.add_argument("--dancers", type=int, default=1, help="dancers side by side, from offset seeds (default: 1)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the first dance (default: 0)")
    parser.add_argument("--headless", action="store_true", help="no window: run the same loop offscreen")
    parser.add_argument(
        "--seconds", type=float, help=f"stop after this long (default: until quit; headless {HEADLESS_SECONDS:g})"
    )
    parser.add_argument(
        "--record",
        "--out",
        dest="out",
        metavar="FILE",
        help="record what is played to a video (.mkv survives a crash whole; .mp4 and .avi are written in segments), "
        "with its control log beside it (.jsonl)",
    )
    parser.add_argument(
        "--hud",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show the heads-up display at start (default: on in a window, off fullscreen and headless)",
    )
    parser.add_argument("--keys", action="store_true", help="print the key bindings and exit")
    parser.add_argument("--params", action="store_true", help="print every parameter the controls can play, and exit")
    control = parser.add_argument_group("control (OSC, MIDI, patches)")
    control.add_argument(
        "--osc-port", type=int, default=OSC_PORT, help=f"UDP port for OSC; 0 picks a free one (default: {OSC_PORT})"
    )
    control.add_argument(
        "--osc-host",
        default="127.0.0.1",
        help="address OSC listens on; 0.0.0.0 opens it to the network (default: 127.0.0.1)",
    )
    control.add_argument(
        "--osc-feedback", metavar="HOST:PORT", help="echo every change there, so faders on a tablet follow"
    )
    control.add_argument("--no-osc", action="store_true", help="do not listen for OSC")
    control.add_argument(
        "--allow",
        action="append",
        metavar="CIDR",
        help="who may play OSC or the page opened to the network (e.g. 192.168.1.0/24); repeatable, "
        "and needed with a non-loopback --osc-host or --web HOST (this machine is always let in)",
    )
    control.add_argument(
        "--midi-in",
        action="append",
        metavar="NAME|all|tcp:HOST:PORT",
        help="MIDI input: a port name, all (default), or a mido port server; repeatable",
    )
    control.add_argument("--no-midi", action="store_true", help="no MIDI input")
    control.add_argument(
        "--patch", default="default", help="controller mapping: a TOML file or a name in patches/ (default: default)"
    )
    control.add_argument(
        "--learn-file",
        default=LEARN_FILE,
        help=f"where MIDI learn saves the patch (default: {LEARN_FILE})",
    )
    sync = parser.add_argument_group("tempo (Ableton Link)")
    sync.add_argument(
        "--link",
        action="store_true",
        help="join the Ableton Link session: follow its tempo and beat, propose tempos set here (the link extra)",
    )
    sync.add_argument(
        "--link-quantum",
        type=float,
        default=4.0,
        metavar="BEATS",
        help="beats to a bar, where Link lines peers' phases up (default: 4)",
    )
    camera = parser.add_argument_group("camera (follow and continue a real dancer)")
    camera.add_argument(
        "--camera", metavar="0|/dev/videoN|FILE|URL", help="a camera, or a video file standing in for one"
    )
    camera.add_argument("--camera-loop", action="store_true", help="play a camera FILE in a loop")
    camera.add_argument(
        "--segment",
        choices=("mog2", "knn", "threshold"),
        default="mog2",
        help="how the dancer is cut out: background subtraction (mog2, knn; learn the empty stage with e) "
        "or a threshold for a backlit/shadow stage (default: mog2)",
    )
    camera.add_argument(
        "--segmenter",
        metavar="MODEL.onnx",
        help="cut the dancer out with your own person-segmentation ONNX model instead",
    )
    camera.add_argument("--camera-mirror", action="store_true", help="mirror the camera, as a mirror would")
    camera.add_argument(
        "--auto",
        action="store_true",
        help="installation mode: follow whoever is there, continue their dance when they leave",
    )
    camera.add_argument(
        "--mode",
        choices=("generate", "follow", "continue"),
        default="generate",
        help="where the dancer comes from at the start (default: generate)",
    )
    music = parser.add_argument_group("music (dance to it: an audio input, or a file played at real time)")
    music.add_argument("--audio", metavar="N|NAME|default|FILE", help="an input (livedance audio --list) or a file")
    music.add_argument("--audio-loop", action="store_true", help="play an audio FILE in a loop")
    music.add_argument("--audio-patch", default="audio", help="what the music moves (default: patches/audio.toml)")
    music.add_argument("--no-audio-tempo", action="store_true", help="don't lock the step clock to the beat")
    control.add_argument(
        "--web",
        metavar="[HOST:]PORT",
        help="serve a control page for any browser (the web extra); loopback unless HOST says otherwise: "
        "open to the network, it needs the token in the URL it prints (and shows as a QR code)",
    )
    control.add_argument(
        "--web-preview",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a small live preview of the output on the control page (default: on)",
    )
    control.add_argument(
        "--record-dir", default=RECORD_DIR, help=f"where the record control writes videos (default: {RECORD_DIR})"
    )
    add_codec_argument(parser)
    outputs = parser.add_argument_group("outputs (to other apps: VJ software, OBS, video calls)")
    options = "; add ,size=WxH ,fps=N ,alpha=on|off for this output alone"
    outputs.add_argument("--ndi", metavar="NAME", help=f"send an NDI source of this name (the ndi extra){options}")
    outputs.add_argument(
        "--syphon", metavar="NAME", help=f"publish a Syphon server of this name (macOS, the syphon extra){options}"
    )
    outputs.add_argument(
        "--spout", metavar="NAME", help=f"send a Spout sender of this name (Windows, the spout extra){options}"
    )
    outputs.add_argument(
        "--virtualcam",
        nargs="?",
        const="",
        metavar="DEVICE",
        help=f"be a webcam other apps can open (the virtualcam extra; Linux needs v4l2loopback){options}",
    )
    outputs.add_argument(
        "--out-size", metavar="WxH", help="the outputs' and recordings' frame size (default: the window's)"
    )
    outputs.add_argument(
        "--alpha",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=(
            "keyed frames (figure over transparent) to the outputs that carry alpha: NDI, Syphon, Spout, "
            ".mov recordings (default: on)"
        ),
    )


def build(settings: LiveSettings, headless: bool, size: tuple[int, int] | None, recorder_out: str | None = None):
    """Engine, choreographer, compositor and window: everything up to the first frame.

    `size` None means the chosen display's desktop size."""
    tune_heap()  # before the show's threads start and its takes leave holes (runtime/memory.py)
    if headless:
        use_dummy_video()
    engine = Engine(settings.model, dancers=settings.dancers).prepare()
    choreographer = Choreographer(engine, dancers=settings.dancers, seed=settings.seed)
    if size is None:
        size = _screen_size(settings.display)
    performance = Performance(engine, choreographer, Look(dancers=settings.dancers))
    if settings.fps:
        performance.log = SessionLog(
            model=str(engine.model_path),
            dancers=settings.dancers,
            seed=settings.seed,
            fps=settings.fps,
            size=list(size),
        )
    instrument = Instrument(
        performance,
        Compositor(size=size, frame_shape=(engine.height, engine.width)),
        Window(size, headless=headless, fullscreen=settings.fullscreen, display=settings.display),
        fps=settings.fps,
        hud=settings.hud,
        record_dir=settings.record_dir,
        codec=settings.codec,
        out_size=parse_size(settings.out_size, "--out-size") if settings.out_size else None,
        alpha=settings.alpha,
    )
    try:
        if recorder_out:
            start_recorder(instrument, recorder_out)
        patch = start_controls(settings, instrument)
        start_link(settings, instrument)
        start_camera(settings, instrument)
        start_audio(settings, instrument, patch)
        start_outputs(settings, instrument)
        start_web(settings, instrument)
    except BaseException:
        instrument.finish()
        instrument.close()
        raise
    instrument.mixer.publish_all()
    return instrument


def start_recorder(instrument, out: str) -> None:
    """Record from the first frame. A folder that can't be written is said in one line and the
    show plays on unrecorded."""

    takes = instrument.takes
    try:
        recorder = takes.new_recorder(out)
    except LivedanceError as exc:
        print(f"livedance live: {exc}; playing on without recording", file=sys.stderr)
        takes.status(f"not recording: {exc}")
        return
    if not takes.adopt(recorder):
        print(f"livedance live: {instrument.bus.status['record']}; playing on without recording", file=sys.stderr)


CAMERA_WAIT_SECONDS = 1.0


def start_camera(settings: LiveSettings, instrument) -> None:
    """Camera and capture threads. A camera that won't open is said in one line and the show
    plays in generate mode while the camera is retried; a broken --segmenter stops the start."""
    if not settings.camera:
        return

    method = "segmenter" if settings.segmenter else settings.segment
    stage = StageCutout(method=method, mirror=settings.camera_mirror, segmenter=settings.segmenter)
    camera = CameraSource(settings.camera, loop=settings.camera_loop, bus=instrument.bus).start()
    capture = Capture(camera, instrument.performance.engine.bundle, stage, bus=instrument.bus).start()
    instrument.inputs += [capture, camera]
    instrument.director.capture = capture
    waited = time.perf_counter() + CAMERA_WAIT_SECONDS
    while not (camera.opened or camera.error) and time.perf_counter() < waited:
        time.sleep(0.01)
    if camera.error and not camera.opened:
        print(f"livedance live: {camera.error}; playing in generate mode and retrying the camera", file=sys.stderr)
    if settings.auto:
        instrument.director.set_auto(True)
    if settings.mode != "generate":
        try:
            instrument.director.set_mode(settings.mode)
        except LivedanceError as exc:
            print(f"livedance live: {exc}; starting in generate mode", file=sys.stderr)


AUDIO_WAIT_SECONDS = 1.0


def start_audio(settings: LiveSettings, instrument, patch: Patch | None = None) -> None:
    """The audio thread, playing the audio patch's lines (and any in `patch`). A bad --audio or
    audio patch stops the start in one line; an input that won't open is said in one line and
    the show plays on while it is retried (or without it, where live input can't work here)."""
    if not settings.audio:
        return
    mappings = Patch.load(resolve_patch_path(settings.audio_patch)).audio_mappings() if settings.audio_patch else []
    if patch is not None:
        mappings += [m for m in patch.audio_mappings() if m not in mappings]
    audio = AudioInput(
        settings.audio,
        instrument.bus,
        mappings,
        loop=settings.audio_loop,
        tempo=instrument.performance.tempo_rule if settings.audio_tempo else None,
    ).start()
    instrument.inputs.append(audio)
    waited = time.perf_counter() + AUDIO_WAIT_SECONDS
    while not (audio.opened or audio.error or audio.died) and time.perf_counter() < waited:
        time.sleep(0.01)
    if audio.error and not audio.opened:
        going_on = "playing on and retrying it" if audio.alive else "playing on without it"
        print(f"livedance live: {audio.error}; {going_on}", file=sys.stderr)


def start_controls(settings: LiveSettings, instrument) -> Patch | None:
    """OSC and MIDI inputs on their own threads, feeding the instrument's control bus.

    A patch with a mistake, or OSC opened to the network without --allow, stops the start (one
    line: what and why); an OSC port that is taken or a machine with no MIDI system is said
    once, and the show goes on without it."""
    bus = instrument.bus
    patch = None
    if settings.patch:
        patch = Patch.load(resolve_patch_path(settings.patch))
        bus.status["patch"] = f"patch {patch.name}"
    if settings.osc_port is not None:
        server = OscServer(
            bus,
            port=settings.osc_port,
            host=settings.osc_host,
            feedback=settings.osc_feedback,
            patch=patch,
            allow=settings.allow,
        )
        try:
            instrument.inputs.append(server.start())
        except LivedanceError as exc:
            print(f"livedance live: {exc}; going on without OSC", file=sys.stderr)
            bus.status["osc"] = f"no OSC ({exc})"
    if patch is not None and settings.midi:
        specs = settings.midi_in or ["all"]
        if any(parse_tcp(spec) is None for spec in specs):
            try:
                input_names()
            except LivedanceError as exc:  # no MIDI system: network MIDI (tcp:) still works
                print(f"livedance live: {exc}; going on without it", file=sys.stderr)
                bus.status["midi"] = str(exc)
                specs = [spec for spec in specs if parse_tcp(spec) is not None]
        for spec in specs:
            midi = MidiInput(bus, spec, patch, learn_file=settings.learn_file, tempo=instrument.performance.tempo_rule)
            instrument.inputs.append(midi.start())
    return patch


def start_link(settings: LiveSettings, instrument) -> None:
    """Join the Link session on its own thread. Without the link extra it is said in one line
    and the show plays on, its tempo the other sources'."""
    if not settings.link:
        return
    show = instrument.performance
    session = LinkSession(show.tempo_rule, instrument.bus.status, settings.link_quantum, show.choreographer.last_bpm)
    try:
        instrument.inputs.append(session.start())
    except LivedanceError as exc:
        print(f"livedance live: {exc}; playing on without Link", file=sys.stderr)
        instrument.bus.status["link"] = f"no Link: {exc}"


OUTPUT_FLAGS = ("ndi", "syphon", "spout", "virtualcam")


def _make_sink(flag: str, spec: OutputSpec, size: tuple[int, int], alpha: bool, rate: float) -> Sink:
    if flag == "ndi":
        return NdiSink(spec.name, size, rate, alpha=alpha)
    if flag == "syphon":
        return SyphonSink(spec.name, size, alpha=alpha)
    if flag == "spout":
        return SpoutSink(spec.name, size, alpha=alpha)
    return VirtualCamSink(size, rate, device=spec.name or None)


def start_outputs(settings: LiveSettings, instrument) -> None:
    """The sinks the flags ask for, each at its own size, rate and alpha (`outputs.spec`). One that
    can't start (another OS, an extra not installed, no v4l2loopback) is said in one line and the
    show plays on without it; a bad output option stops the start."""
    size = instrument.feed.out_size  # --out-size, read once by `build`
    show_rate = instrument.fps or 60.0
    wanted: list[tuple[str, OutputSpec]] = []
    for flag in OUTPUT_FLAGS:
        text = getattr(settings, flag)
        if text is None or (not text and flag != "virtualcam"):  # --virtualcam alone: the first free device
            continue
        spec = parse_output(f"--{flag}", text)
        if spec.fps is not None and spec.fps > show_rate:
            raise LivedanceError(f"--{flag} {text!r}: fps={spec.fps:g} is above the show's {show_rate:g}")
        wanted.append((flag, spec))
    for flag, spec in wanted:
        own_size, alpha = spec.resolved(size, settings.alpha)
        rate = spec.fps or show_rate
        try:
            sink = _make_sink(flag, spec, own_size, alpha, rate)
            if spec.fps is not None and spec.fps < show_rate:
                sink.take_at_most(spec.fps)
            instrument.feed.add(sink)
        except LivedanceError as exc:
            print(f"livedance live: {exc}; playing on without it", file=sys.stderr)
            instrument.bus.status[flag] = f"not sending: {exc}"
            continue
        keyed = ", keyed" if sink.channels == 4 else ""
        log.info("sending to %s %s at %dx%d, %g fps%s", sink.kind, sink.name, *sink.size, rate, keyed)


def start_web(settings: LiveSettings, instrument) -> None:
    """The control page on its own threads, and its preview as one more sink. A bad address, or
    one open to the network without --allow, stops the start; a port that is taken or a missing
    web extra is said in one line and the show goes on."""
    if settings.web is None:
        return
    host, port = parse_listen(settings.web)
    bus = instrument.bus
    options = PageOptions(
        # the names a control may pick: the shipped bundles and the one --model named (never a path)
        choices={"model": tuple(dict.fromkeys([*shipped_bundles(), instrument.performance.model_name]))},
        labels={"preset": {n: f"{n} {preset.name}" for n, preset in PRESETS.items()}},
        latent_dims=instrument.performance.engine.latent_dim,
        keys=browser_keys(),
    )
    server = WebServer(bus, render_page(options), host, port, status=instrument.hud_lines, allow=settings.allow)
    try:
        instrument.inputs.append(server.start())
    except LivedanceError as exc:
        print(f"livedance live: {exc}; going on without the control page", file=sys.stderr)
        bus.status["web"] = f"no web page ({exc})"
        return
    print(f"livedance live: control page at {server.url}")
    if server.access.token is not None:
        try:
            matrix = qr_matrix(server.url)
        except LivedanceError as exc:
            print(f"livedance live: {exc}; no QR code", file=sys.stderr)
        else:
            print(qr_text(matrix))
            instrument.hud.show_code(matrix)
    if settings.web_preview:
        instrument.feed.add(PreviewSink(server, instrument.window.size))


def _screen_size(display: int) -> tuple[int, int]:
    """The desktop size of the chosen display, made even for video codecs."""
    import pygame  # noqa: PLC0415  deferred: headless shows never start SDL

    pygame.display.init()
    sizes = pygame.display.get_desktop_sizes()
    if not 0 <= display < len(sizes):
        raise LivedanceError(f"--display {display}: this machine has {len(sizes)} display(s), numbered from 0")
    width, height = sizes[display]
    return width - width % 2, height - height % 2


def check_args(args) -> None:
    if not (args.fps == 0 or 0 < args.fps <= 1000):
        raise LivedanceError(f"--fps {args.fps:g}: expected a frame rate up to 1000, or 0 for uncapped")
    if args.seconds is not None and not args.seconds > 0:
        raise LivedanceError(f"--seconds {args.seconds:g}: expected a positive length")
    if not 1 <= args.dancers <= 8:
        raise LivedanceError(f"--dancers {args.dancers}: expected 1 to 8")
    if args.out and args.fps == 0:
        raise LivedanceError("--out needs a frame rate for the video; --fps 0 (uncapped) has none")
    # A bad --allow, or a listener opened to the network without one, stops the start before
    # anything loads or opens.
    parse_networks(args.allow)
    listeners = [] if args.no_osc else [(args.osc_host, "--osc-host")]
    if args.web is not None:
        listeners.append((parse_listen(args.web)[0], "--web"))
    for host, option in listeners:
        Allow.for_listener(host, args.allow, option)


def run(args) -> int:
    if args.keys:
        print(format_keys())
        return 0
    if args.params:
        print(format_params())
        return 0
    check_args(args)
    headless = args.headless
    seconds, out = args.seconds, args.out
    reason = None if headless else no_display_reason()
    if reason:
        seconds = HEADLESS_SECONDS if seconds is None else seconds
        out = out or (HEADLESS_OUT if args.fps else None)  # uncapped has no frame rate to record at
        doing = f"writing {out}" if out else "uncapped, recording nothing"
        print(f"livedance live: no display here ({reason}); running headless, {doing} for {seconds:g} s")
        headless = True
    if headless and seconds is None:
        seconds = HEADLESS_SECONDS
    size = (
        parse_size(args.size) if args.size else (None if args.fullscreen and not headless else parse_size(WINDOW_SIZE))
    )

    began = time.perf_counter()
    instrument = build(LiveSettings.from_args(args), headless, size, recorder_out=out)
    crashed = None
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        instrument.run(seconds=seconds)
    except KeyboardInterrupt:
        pass  # Ctrl-C or SIGTERM is a way to stop: the summary and the recording still happen
    except BaseException as exc:  # even a crash finishes the recording first
        log.warning("%s", one_line(exc), exc_info=True)
        crashed = exc
    finally:
        signal.signal(signal.SIGTERM, previous)
        finished = instrument.finish()
        instrument.close()
    if crashed is not None:
        for line in finished:
            print(f"livedance live: {line}", file=sys.stderr)
        raise crashed
    stats, frames = instrument.stats, instrument.performance.frames
    first = (stats.first_frame_at - began) if stats.first_frame_at else float("nan")
    rate = frames / stats.elapsed if stats.elapsed else 0.0
    cap = f"at {args.fps:g} fps" if args.fps else "uncapped"
    print(
        f"played {frames} frames in {stats.elapsed:.1f} s ({rate:.1f} fps, {cap}), {stats.dropped} dropped; "
        f"first frame {first:.2f} s after start; {instrument.performance.engine.provider_line}"
    )
    for line in finished:
        print(line)
    return 0


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # a service manager stopping the show: finish like Ctrl-C
