"""The live loop: choreographer -> decoder -> compositor -> screen, once per display frame.

Pacing comes from a monotonic clock (`time.perf_counter`), never from input: events are
polled without blocking at the top of every frame. A frame that starts a whole slot or more
after its deadline skips to the newest slot and counts the slots it missed as dropped, so a
hiccup never turns into a slow-motion backlog. `fps=0` runs uncapped (what `bench`
measures). Headless, the same loop draws into SDL's dummy video driver, so tests and
benchmarks exercise the real blit.

The compositor's BGR canvas is wrapped once by `pygame.image.frombuffer(..., "BGR")` (no
copy, no colour conversion: it shares the canvas's memory) and blitted each frame: 0.6 ms at
1920x1080 on the 2-core EPYC, against 0.7 ms for cv2 BGR->RGB plus frombuffer and 1.7 ms for
`surfarray.blit_array`. The hot path allocates no frame-sized buffer and does no I/O.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import sys

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from livedance.control.clock import TapTempo  # noqa: E402
from livedance.control.controls import Control, ControlBus  # noqa: E402
from livedance.errors import LivedanceError  # noqa: E402
from livedance.live.hud import Hud  # noqa: E402
from livedance.live.keys import binding_for  # noqa: E402
from livedance.live.mixer import Mixer  # noqa: E402
from livedance.live.modes import Director  # noqa: E402
from livedance.live.switcher import Switcher  # noqa: E402
from livedance.recording.recorder import Recorder
from livedance.runtime.bundle import MANIFEST, resolve_bundle_path, shipped_bundles  # noqa: E402
from livedance.video.look import Compositor

CAPTION = "livedance"
MODEL_FADE_SECONDS = 1.0  # a model switch crossfades the old dancers' frames into the new ones'
RECORD_DIR = "recordings"


def control_log_path(video) -> Path:
    """The control log of a recording: beside the video, same name, .jsonl."""
    return Path(video).with_suffix(".jsonl")


def use_dummy_video() -> None:
    """No window: SDL's dummy driver still gives a real surface to draw and blit into."""
    os.environ["SDL_VIDEODRIVER"] = "dummy"


def no_display_reason() -> str | None:
    """Why a window cannot open here, or None when it can (Linux/BSD need X11 or Wayland)."""

    if os.environ.get("SDL_VIDEODRIVER") == "dummy":
        return "SDL_VIDEODRIVER=dummy"
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return "DISPLAY and WAYLAND_DISPLAY unset"
    return None


class Instrument:
    """One running performance: owns the window, the pacing, the HUD and the key handling."""

    def __init__(
        self,
        engine,
        choreographer,
        compositor,
        look,
        size: tuple[int, int],
        fps: float = 60.0,
        headless: bool = False,
        fullscreen: bool = False,
        display: int = 0,
        hud: bool | None = None,
        recorder=None,
        clock=time.perf_counter,
        bus: ControlBus | None = None,
        record_dir: str | os.PathLike = RECORD_DIR,
    ):
        if fps < 0:
            raise LivedanceError(f"--fps {fps:g}: expected a frame rate > 0, or 0 for uncapped")
        self.engine = engine
        self.choreographer = choreographer
        self.compositor = compositor
        self.look = look
        self.size = tuple(size)
        self.fps = float(fps)
        self.headless = headless
        self.fullscreen = fullscreen
        self.display = int(display)
        self.recorder = recorder
        # Any monotonic clock in seconds; tests pass a virtual one to make frames repeatable.
        self.clock = clock
        self.running = False
        self.last_control = "-"
        self.last_param: str | None = None  # what MIDI learn from the keyboard arms
        # Controls: every input hands over through the bus; the mixer applies them per frame.
        self.bus = bus if bus is not None else ControlBus()
        self.mixer = Mixer(self, self.bus)
        self.inputs: list = []  # OSC server, MIDI inputs: closed with the instrument
        self.perturb_amount = 1.0
        self.loop_beats = 4.0
        self.director = Director(self)  # generate, or the camera's dancer (live.py gives it the capture)
        self.tap_tempo = TapTempo()
        self.control_time = 0.0  # arrival time of the control being applied (tap tempo)
        self.model_name = Path(str(engine.model_path)).name
        self.last_preset = None
        # Model and dancer switches load on a thread; the old dancers fade out over the new.
        self.switcher = Switcher()
        self._outgoing = None  # (engine, choreographer, fade start) while crossfading
        # Recording on demand: opening and finishing a video happen off the loop's thread.
        self.log = None  # sessionlog.SessionLog: what `livedance replay` needs, kept from the first frame
        self.record_dir = Path(record_dir)
        self._record_threads: list[threading.Thread] = []
        self._record_starting = False
        self._record_cancel = False
        self._opened = None  # a recorder a record thread opened, for the display thread to adopt
        # Counters, read by the HUD, the summary and the tests.
        self.frames = 0
        self.dropped = 0
        self.first_frame_at: float | None = None
        self.elapsed = 0.0
        self._recent_frames = 0
        self._recent_work = 0.0
        self._recent_worst = 0.0
        self._recent_since = 0.0
        self.shown_fps = 0.0
        self.frame_ms = 0.0
        self.worst_ms = 0.0

        if headless:
            use_dummy_video()
        pygame.display.init()
        self.screen = self._open_window()
        self._canvas = None
        self._picture = None
        self._last_draw: float | None = None
        # On in a rehearsal window; off headless and fullscreen, where an audience may see it.
        self.hud = Hud(visible=(not headless and not fullscreen) if hud is None else hud)

    # --- the window -------------------------------------------------------------------------
    def _open_window(self) -> pygame.Surface:
        """The display surface at the output size; SCALED lets SDL fit it to the screen and
        gives vsync where the driver has it (falling back to plain pacing where it doesn't)."""
        displays = pygame.display.get_num_displays()
        if not 0 <= self.display < max(displays, 1):
            raise LivedanceError(f"--display {self.display}: this machine has {displays} display(s), numbered from 0")
        flags = 0 if self.headless else pygame.SCALED
        if self.fullscreen and not self.headless:
            flags |= pygame.FULLSCREEN
        for vsync in (0,) if self.headless else (1, 0):
            try:
                screen = pygame.display.set_mode(self.size, flags, display=self.display, vsync=vsync)
                break
            except pygame.error as exc:
                error = exc
        else:
            raise LivedanceError(f"cannot open a {self.size[0]}x{self.size[1]} window ({error})")
        pygame.display.set_caption(CAPTION)
        if not self.headless:
            pygame.mouse.set_visible(not self.fullscreen)
        return screen

    def toggle_fullscreen(self) -> None:
        self.fullscreen = not self.fullscreen
        if self.headless:
            return  # nothing to show: the flag is all there is
        try:
            switched = pygame.display.toggle_fullscreen()
        except pygame.error:
            switched = 0
        if not switched:
            self.screen = self._open_window()
        pygame.mouse.set_visible(not self.fullscreen)

    # --- one frame ----------------------------------------------------------------------------
    def poll(self, now: float | None = None) -> None:
        """Handle whatever input arrived since the last frame; never waits."""
        now = self.clock() if now is None else now
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.running = False
                self.last_control = "quit"
            elif event.type == pygame.KEYDOWN:
                binding = binding_for(event.key, event.mod)
                if binding is None:
                    continue
                if binding.action is not None:
                    self.control(binding.action)
                else:
                    self.bus.submit(Control(binding.param, binding.value, "key", time.perf_counter(), op=binding.op))
                    self.last_param = binding.param
        self.mixer.apply(now)
        if self._opened is not None:
            self._take_opened()
        if self.switcher.pending is not None or self._outgoing is not None:
            self.settle_switch(now)

    def control(self, action) -> None:
        """Run one keyboard-only action; a bad value shows on the HUD instead of stopping the show."""
        try:
            self.last_control = action(self)
        except LivedanceError as exc:
            self.last_control = f"{getattr(action, '__name__', 'control')}: {exc}"

    def draw(self, now: float):
        """Dream, decode, compose and show one frame; returns the canvas (reused next frame)."""
        latents = self.director.latents(now)
        ink = self.engine.decode(latents)
        fade_from, fade = self._outgoing_frame(now) if self._outgoing is not None else (None, 1.0)
        self.mixer.apply_late()  # look controls that arrived during the decode still make this frame
        # dt keeps trails fading at the same speed whatever the frame rate.
        dt = None if self._last_draw is None else now - self._last_draw
        self._last_draw = now
        canvas = self.compositor.compose(ink, self.look, dt=dt, fade_from=fade_from, fade=fade)
        if canvas is not self._canvas:  # wrap the compositor's buffer once, not every frame
            height, width = canvas.shape[:2]
            self._picture = pygame.image.frombuffer(canvas, (width, height), "BGR")
            self._canvas = canvas
        self.screen.blit(self._picture, (0, 0))
        if self.hud.visible:
            if self.hud.due(now):
                self.hud.update(self.hud_lines(), now)
            self.hud.draw(self.screen)
            capture = self.director.capture
            state = capture.latest() if capture is not None else None
            if state is not None:
                self.hud.draw_preview(self.screen, state.preview, state.seq)
        pygame.display.flip()
        self.mixer.frame_shown(time.perf_counter())
        return canvas

    # --- switching model or dancers mid-show ----------------------------------------------------
    def switch(self, model=None, dancers: int | None = None) -> None:
        """Load `model` (a name in models/, an index into them, or a bundle folder) and/or a new
        number of dancers on a thread; the swap happens at a frame boundary when it is ready."""
        path, what = self.engine.model_path, None
        if model is not None:
            names = shipped_bundles()
            if isinstance(model, int):
                if model >= len(names):
                    raise LivedanceError(
                        f"model {model}: there are {len(names)} models in models/ ({', '.join(names)}), numbered from 0"
                    )
                model = names[model]
            path = resolve_bundle_path(model if model not in names else f"models/{model}")
            if not (Path(path) / MANIFEST).is_file():
                raise LivedanceError(
                    f"model {model}: no model bundle there; expected one of {', '.join(names)} or a bundle folder"
                )
            what = f"model {Path(path).name}"
        count = self.engine.dancers if dancers is None else int(dancers)
        if dancers is not None:
            what = f"{what}, {count} dancers" if what else f"dancers {count}"
        self.switcher.request(path, count, self.choreographer.seed, what or "model")
        self.last_control = f"{what}: loading"

    def settle_switch(self, now: float) -> None:
        """Take in a model that finished loading; end the crossfade when it is done."""
        ready = self.switcher.poll()
        if isinstance(ready, LivedanceError):
            self.last_control = str(ready)
        elif ready is not None:
            self.swap_in(*ready, now)
        if self._outgoing is not None and now - self._outgoing[2] >= MODEL_FADE_SECONDS:
            self._outgoing = None

    def swap_in(self, engine, choreographer, what: str, now: float) -> None:
        """Make `engine` and `choreographer` the show, carrying the performance over; the old dancer fades out."""
        old_engine, old = self.engine, self.choreographer
        choreographer.speed = old.speed
        choreographer.temperature = old.temperature
        choreographer.nudge = old.nudge
        if old.tempo is not None:
            choreographer.set_tempo(*old.tempo)
        choreographer.freeze(old.frozen)
        if choreographer.offset.shape == old.offset.shape:
            choreographer.set_offsets(old.offset)
        same_frames = (engine.dancers, engine.height, engine.width) == (
            old_engine.dancers,
            old_engine.height,
            old_engine.width,
        )
        if same_frames:  # the old dancers fade out over the new ones
            self._outgoing = (old_engine, old, now)
        else:
            self._outgoing = None
        if (engine.height, engine.width) != (old_engine.height, old_engine.width):
            self.compositor = Compositor(self.size, (engine.height, engine.width))
        self.engine, self.choreographer = engine, choreographer
        if self.director.capture is not None:
            self.director.capture.use_bundle(engine.bundle)
        self.look.dancers = engine.dancers
        self.model_name = Path(str(engine.model_path)).name
        if self.log is not None:
            self.log.add(
                {
                    "type": "swap",
                    "frame": self.frames,
                    "model": str(engine.model_path),
                    "dancers": engine.dancers,
                    "seed": choreographer.seed,
                }
            )
        self.bus.publish("model", self.model_name)
        self.mixer.republish()  # the new model's noise, steps per beat...
        self.last_control = f"{what}: in"

    @property
    def fading(self) -> bool:
        """True while the previous model's dancer is still dissolving out."""
        return self._outgoing is not None

    def advance_outgoing(self, now: float) -> None:
        """Keep the outgoing dancer dancing without drawing it (replay's warm-up)."""
        if self._outgoing is not None:
            self._outgoing[1].frame(now)

    def _outgoing_frame(self, now: float) -> tuple[np.ndarray, float]:
        """The outgoing model's dancers at `now` (its engine's own buffer) and the new ones' share."""
        old_engine, old, start = self._outgoing
        progress = min(max((now - start) / MODEL_FADE_SECONDS, 0.0), 1.0)
        return old_engine.decode(old.frame(now)), progress * progress * (3.0 - 2.0 * progress)

    # --- recording on demand -----------------------------------------------------------------
    @property
    def recording(self) -> bool:
        return self.recorder is not None or self._record_starting

    def start_recording(self) -> None:
        """Open a new video in `record_dir` on a thread; frames go to it from the next one ready."""
        if self.recording:
            return
        if not self.fps:
            raise LivedanceError("record: needs a frame rate; --fps 0 (uncapped) has none")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        # Matroska: a file that plays up to the last frame written even if the process dies.
        path = self.record_dir / f"livedance-{stamp}.mkv"
        number = 1
        while path.exists():
            number += 1
            path = self.record_dir / f"livedance-{stamp}-{number}.mkv"
        self._record_starting, self._record_cancel = True, False
        self.bus.status["record"] = f"recording: opening {path}"
        self._record_thread(self._open_recorder, path)

    def _open_recorder(self, path) -> None:
        """On a record thread: open the video; the display thread adopts it (`_take_opened`)."""

        try:
            self._opened = Recorder(path, self.fps, self.size, status=self.record_status)
        except LivedanceError as exc:
            self.bus.status["record"] = f"record: {exc}"
            self._record_starting = False

    def _take_opened(self) -> None:
        recorder, self._opened = self._opened, None
        self._record_starting = False
        if self._record_cancel:  # stopped while it was opening: nothing was recorded
            self.bus.status["record"] = "record: cancelled"
            self._record_thread(lambda r: r.abort(), recorder)
        else:
            self.adopt_recorder(recorder)

    def adopt_recorder(self, recorder) -> bool:
        """On the display thread: frames go to `recorder` from the next one drawn, and its control
        log says so. A log that can't be written stops the recording, not the show."""
        try:
            self.attach_log(recorder)
        except LivedanceError as exc:
            self.bus.status["record"] = f"not recording: {exc}"
            recorder.abort()
            return False
        self.recorder = recorder
        self.bus.status["record"] = f"recording to {recorder.out} ({recorder.codec})"
        return True

    def attach_log(self, recorder) -> None:
        """The control log goes beside the video (same name, .jsonl), from this frame on."""
        if self.log is not None:
            self.log.attach(control_log_path(recorder.out), self.frames, recorder.out)

    def record_status(self, line: str) -> None:
        self.bus.status["record"] = line

    def stop_recording(self) -> None:
        """Detach the recorder now; it and its log finish writing on a thread."""
        if self._record_starting:
            self._record_cancel = True
            return
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            self.bus.status["record"] = f"finishing {recorder.out}"
            self._record_thread(self._close_recorder, recorder, self.frames)

    def _close_recorder(self, recorder, frame: int) -> list[str]:
        """Finish a recording and its control log (ended at `frame`); one line on each, the first
        also on the HUD."""
        lines = []
        if self.log is not None:
            error = self.log.detach(control_log_path(recorder.out), frame)
            lines.append(f"control log {control_log_path(recorder.out)}" + (f" incomplete: {error}" if error else ""))
        try:
            path = recorder.close()
            skipped = f" ({', '.join(recorder.codecs_failed)} unavailable)" if recorder.codecs_failed else ""
            stopped = f"; stopped early: {recorder.stopped}" if recorder.stopped else ""
            stopped += f"; {recorder.note}" if recorder.note else ""
            lines.insert(
                0,
                f"wrote {path}: {recorder.written} frames, {self.size[0]}x{self.size[1]} at {self.fps:g} fps, "
                f"codec {recorder.codec}{skipped}; {recorder.dropped} left out (writer behind){stopped}",
            )
        except LivedanceError as exc:
            lines.insert(0, str(exc))
        self.bus.status["record"] = lines[0]
        return lines

    def _record_thread(self, target, *args) -> None:
        self._record_threads = [t for t in self._record_threads if t.is_alive()]
        thread = threading.Thread(target=target, args=args, name="livedance-record", daemon=True)
        self._record_threads.append(thread)
        thread.start()

    def hud_lines(self) -> list[str]:
        c = self.choreographer
        cap = f"/{self.fps:g}" if self.fps else " uncapped"
        lines = [
            (
                f"{self.shown_fps:5.1f}{cap} fps   frame {self.frame_ms:4.1f} ms (worst {self.worst_ms:4.1f})   "
                f"dropped {self.dropped}"
            ),
            f"{self.engine.provider_line}   model {self.model_name}",
            f"{self.director.mode}{' (auto)' if self.director.auto else ''}: {c.mode}   seed {c.seed}   step {c.steps}",
            f"last: {self.last_control}",
        ]
        bus = self.bus
        if bus.learning:
            lines.append(f"learn: move a MIDI control for {bus.learning}   (a: cancel)")
        lines.extend(list(bus.status.values()))  # copies: control threads add keys meanwhile
        counted = [f"{source} {counts}" for source, counts in list(bus.counts.items()) if source != "key"]
        if counted:
            lines.append("   ".join(counted))
        if bus.last_refusal:
            lines.append(f"refused: {bus.last_refusal}")
        return lines

    def _account(self, began: float, ended: float) -> None:
        work = ended - began
        self._recent_frames += 1
        self._recent_work += work
        self._recent_worst = max(self._recent_worst, work)
        if ended - self._recent_since >= 0.5:
            span = ended - self._recent_since
            self.shown_fps = self._recent_frames / span
            self.frame_ms = 1000.0 * self._recent_work / self._recent_frames
            self.worst_ms = 1000.0 * self._recent_worst
            self._recent_frames, self._recent_work, self._recent_worst = 0, 0.0, 0.0
            self._recent_since = ended

    # --- the loop -----------------------------------------------------------------------------
    def run(self, seconds: float | None = None, frames: int | None = None) -> None:
        """Play until quit, or for `seconds` (display slots at a fixed fps; wall time uncapped)
        or `frames` shown frames, whichever comes first. Counters carry on across calls."""
        period = 1.0 / self.fps if self.fps else 0.0
        slots = round(seconds * self.fps) if (seconds is not None and period) else None
        clock = self.clock
        # Sessions, buffers and modules made so far live for the whole show: freeze them out of
        # the garbage collector's reach, so a full collection never rescans them mid-frame.
        gc.collect()
        gc.freeze()
        start = deadline = self._recent_since = clock()
        shown = used = 0  # this run's frames, and display slots (shown or dropped)
        self.running = True
        if self.log is not None:
            self.log.add({"type": "run", "frame": self.frames, "t0": start, "period": period})
        while self.running:
            now = clock()
            missed = 0
            show_at = now  # uncapped: animate at the moment the frame starts
            if period:
                if now < deadline:
                    time.sleep(deadline - now)
                    now = clock()
                missed = int((now - deadline) / period)
                if slots is not None and used + missed >= slots:
                    self.dropped += slots - used  # due before the end, and missed
                    break
                if missed:  # late by whole slots: show the newest, count the rest
                    self.dropped += missed
                    deadline += missed * period
                    if self.log is not None:
                        self.log.add({"type": "drop", "frame": self.frames, "missed": missed})
                # Paced: animate on the slot grid, not the wake-up time, so motion is even and
                # a logged session replays to the same frames (sessionlog.py).
                show_at = deadline
                deadline += period
            elif seconds is not None and now - start >= seconds:
                break
            self.poll(show_at)
            if not self.running:
                break
            canvas = self.draw(show_at)
            if self.first_frame_at is None:
                self.first_frame_at = clock()
            if self.recorder is not None:
                self.recorder.push(canvas, 1 + missed)
            self.frames += 1
            if self.log is not None and period and self.frames % round(self.fps) == 0:
                self.log.add({"type": "tick", "frame": self.frames})  # a killed show's log still says how long it ran
            shown += 1
            used += 1 + missed
            self._account(now, clock())
            if frames is not None and shown >= frames:
                break
        self.elapsed = clock() - start

    def finish(self) -> list[str]:
        """End the show's recording (video and control log); one line each on what was written."""
        for thread in self._record_threads:  # a recording still opening or finishing
            thread.join()
        if self._opened is not None:  # opened but never shown a frame
            self._record_cancel = True
            self._take_opened()
        recorder, self.recorder = self.recorder, None
        lines = self._close_recorder(recorder, self.frames) if recorder is not None else []
        if self.log is not None:
            self.log.close(self.frames)
        return lines

    def close(self) -> None:
        """Stop the inputs, let recordings finish, close the window."""
        for source in self.inputs:
            source.close()
        self.inputs.clear()
        self.switcher.close()
        for thread in self._record_threads:
            thread.join()
        pygame.display.quit()
