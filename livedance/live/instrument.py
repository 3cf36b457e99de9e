"""The live loop: choreographer -> decoder -> compositor -> screen, once per display frame.

Pacing comes from a monotonic clock (`time.perf_counter`), never from input: events are
polled without blocking at the top of every frame. A frame that starts a whole slot or more
after its deadline skips to the newest slot and counts the slots it missed as dropped, so a
hiccup never turns into a slow-motion backlog. `fps=0` runs uncapped (what `bench`
measures). The hot path allocates no frame-sized buffer and does no I/O.

The instrument only plays: what is dancing and what the performer set is the `Performance`;
the window, recording on demand, model switches and frame statistics are parts of their own.
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from livedance.control.controls import Control, ControlBus  # noqa: E402
from livedance.errors import LivedanceError  # noqa: E402
from livedance.live.actions import ACTIONS  # noqa: E402
from livedance.live.framestats import FrameStats  # noqa: E402
from livedance.live.hud import Hud  # noqa: E402
from livedance.live.keys import binding_for  # noqa: E402
from livedance.live.mixer import Mixer  # noqa: E402
from livedance.live.modes import Director  # noqa: E402
from livedance.live.performance import Performance  # noqa: E402
from livedance.live.switcher import Crossfade, Switcher  # noqa: E402
from livedance.live.takes import RECORD_DIR, Takes  # noqa: E402
from livedance.live.window import Window  # noqa: E402
from livedance.outputs.feed import Feed  # noqa: E402
from livedance.runtime.engine import Engine  # noqa: E402
from livedance.runtime.memory import TRIM_SECONDS, release_free_memory  # noqa: E402
from livedance.sync.tempo import LEADER_CHANGED, TEMPO_CHANGED  # noqa: E402
from livedance.video.files import uses_gpu  # noqa: E402
from livedance.video.look import Compositor  # noqa: E402


class Instrument:
    """One running performance: pacing, the per-frame pipeline and the window it plays in."""

    def __init__(
        self,
        performance: Performance,
        compositor: Compositor,
        window: Window,
        fps: float = 60.0,
        hud: bool | None = None,
        clock=time.perf_counter,
        bus: ControlBus | None = None,
        record_dir: str = RECORD_DIR,
        codec: str | None = None,
        out_size: tuple[int, int] | None = None,
        alpha: bool = True,
    ):
        if fps < 0:
            raise LivedanceError(f"--fps {fps:g}: expected a frame rate > 0, or 0 for uncapped")
        self.performance = performance
        self.compositor = compositor
        self.window = window
        self.fps = float(fps)
        # Any monotonic clock in seconds; tests pass a virtual one to make frames repeatable.
        self.clock = clock
        self.running = False
        # Controls: every input hands over through the bus; the mixer applies them per frame.
        self.bus = bus if bus is not None else ControlBus()
        self.mixer = Mixer(self, self.bus)
        self.inputs: list = []  # OSC server, MIDI inputs, camera: closed with the instrument
        self.director = Director(performance)  # generate, or the camera's dancer (command gives it the capture)
        # Model and dancer switches load on a thread; controls may name the starting bundle too.
        self.switcher = Switcher(named=Path(performance.engine.model_path))
        # Outputs (NDI..., recordings) at `out_size` (None: the window's), keyed where they carry alpha.
        self.feed = Feed(window.size, (performance.engine.height, performance.engine.width), out_size)
        hardware = uses_gpu(performance.engine.provider)
        self.takes = Takes(
            performance, self.bus, self.feed, self.fps, self.feed.out_size, record_dir, codec, hardware, alpha
        )
        self.stats = FrameStats()
        # On in a rehearsal window; off headless and fullscreen, where an audience may see it.
        self.hud = Hud(visible=(not window.headless and not window.fullscreen) if hud is None else hud)

    # --- one frame ----------------------------------------------------------------------------
    def poll(self, now: float | None = None) -> None:
        """Handle whatever input arrived since the last frame; never waits."""
        now = self.clock() if now is None else now
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.running = False
                self.performance.last_control = "quit"
            elif event.type == pygame.KEYDOWN:
                binding = binding_for(event.key, event.mod)
                if binding is None:
                    continue
                if binding.action is not None:
                    self.control(binding.action)
                elif binding.param is not None:
                    self.bus.submit(Control(binding.param, binding.value, "key", time.perf_counter(), op=binding.op))
                    self.performance.last_param = binding.param
        self.mixer.apply(now)
        self.follow_tempo(now)
        self.takes.poll()
        if self.switcher.busy:
            self.settle_switch(now)

    def follow_tempo(self, now: float) -> None:
        """The leading tempo source onto the step clock; the tempo in use and the leader published,
        and what the step clock was given logged (a replay gives it the same)."""
        show = self.performance
        changed = show.tempo_rule.follow(show.choreographer, now)
        if not changed:
            return
        if changed & TEMPO_CHANGED:
            self.bus.publish("bpm", ACTIONS["bpm"].read(self))
        if changed & LEADER_CHANGED:
            self.bus.publish("tempo_source", show.tempo_rule.leader)
        if show.log is not None:
            c = show.choreographer
            bpm, steps_per_beat = c.tempo if c.tempo is not None else (None, None)
            show.log.add(
                {
                    "type": "tempo",
                    "frame": show.frames,
                    "leader": show.tempo_rule.leader,
                    "bpm": bpm,
                    "steps_per_beat": steps_per_beat,
                    "trim": c.trim,
                }
            )

    def control(self, action) -> None:
        """Run one keyboard-only action; a bad value shows on the HUD instead of stopping the show."""
        try:
            self.performance.last_control = action(self)
        except LivedanceError as exc:
            self.performance.last_control = f"{getattr(action, '__name__', 'control')}: {exc}"

    def draw(self, now: float, repeat: int = 1) -> np.ndarray:
        """Dream, decode, compose and show one frame, and hand it to the outputs as standing for
        `repeat` display slots; returns the canvas (reused next frame)."""
        latents = self.director.latents(now)
        ink = self.performance.engine.decode(latents)
        outgoing = self.switcher.outgoing
        fade_from, fade = outgoing.frame(now) if outgoing is not None else (None, 1.0)
        self.mixer.apply_late()  # look controls that arrived during the decode still make this frame
        # dt keeps trails fading at the same speed whatever the frame rate.
        last, look = self.stats.last_drawn, self.performance.look
        dt = None if last is None else now - last
        self.stats.last_drawn = now
        canvas = self.compositor.compose(ink, look, dt=dt, fade_from=fade_from, fade=fade)
        self.window.blit(canvas)
        self.feed.offer(canvas, ink, look, now, dt, fade_from, fade, repeat)
        if self.hud.visible:
            if self.hud.due(now):
                self.hud.update(self.hud_lines(), now)
            self.hud.draw(self.window.screen)
            capture = self.director.capture
            state = capture.latest() if capture is not None else None
            if state is not None:
                self.hud.draw_preview(self.window.screen, state.preview, state.seq)
        self.window.flip()
        self.mixer.frame_shown(time.perf_counter())
        return canvas

    # --- switching model or dancers mid-show ----------------------------------------------------
    def switch(self, model: str | int | None = None, dancers: int | None = None) -> None:
        """Load `model` (a name in models/, an index into them, or a bundle folder) and/or a new
        number of dancers on a thread; the swap happens at a frame boundary when it is ready."""
        engine = self.performance.engine
        what = None if model is None else f"model {model}"
        count = engine.dancers if dancers is None else int(dancers)
        if dancers is not None:
            what = f"{what}, {count} dancers" if what else f"dancers {count}"
        target = Path(engine.model_path) if model is None else model
        self.switcher.request(target, count, self.performance.choreographer.seed, what or "model")
        self.performance.last_control = f"{what}: loading"

    def settle_switch(self, now: float) -> None:
        """Take in a model that finished loading; end the crossfade when it is done."""
        ready = self.switcher.poll()
        if isinstance(ready, LivedanceError):
            self.performance.last_control = str(ready)
        elif ready is not None:
            engine, choreographer, what = ready
            self.swap_in(engine, choreographer, what, now)
            if self.switcher.outgoing is None:  # no crossfade: the old model is gone already
                release_free_memory()
        outgoing = self.switcher.outgoing
        if outgoing is not None and outgoing.done(now):
            self.switcher.outgoing = outgoing = None
            release_free_memory()  # the old model's sessions are freed by now

    def swap_in(self, engine: Engine, choreographer, what: str, now: float) -> None:
        """Make `engine` and `choreographer` the show, carrying the performance over; the old dancer fades out."""
        show = self.performance
        old_engine, old = show.engine, show.choreographer
        choreographer.carry_over(old)
        frames = (engine.dancers, engine.height, engine.width)
        same_frames = frames == (old_engine.dancers, old_engine.height, old_engine.width)
        # The old dancers fade out over the new ones (when their frames are alike).
        self.switcher.outgoing = Crossfade(old_engine, old, now) if same_frames else None
        if (engine.height, engine.width) != (old_engine.height, old_engine.width):
            self.compositor = Compositor(self.window.size, (engine.height, engine.width))
            self.feed.resize((engine.height, engine.width))
        show.engine, show.choreographer = engine, choreographer
        if self.director.capture is not None:
            self.director.capture.use_bundle(engine.bundle)
        show.look.dancers = engine.dancers
        if show.log is not None:
            show.log.add(
                {
                    "type": "swap",
                    "frame": show.frames,
                    "model": str(engine.model_path),
                    "dancers": engine.dancers,
                    "seed": choreographer.seed,
                }
            )
        self.bus.publish("model", show.model_name)
        self.mixer.republish()  # the new model's noise, steps per beat...
        show.last_control = f"{what}: in"

    # --- a session log's snapshot --------------------------------------------------------------
    def snapshot(self) -> dict:
        """What a replay needs to carry on from this frame boundary exactly: copies, taken in a
        fraction of a millisecond (the log encodes them only if a file needs them)."""
        outgoing = self.switcher.outgoing
        return {
            "performance": self.performance.snapshot(),
            "mixer": self.mixer.snapshot(),
            "director": self.director.snapshot(),
            "outgoing": None if outgoing is None else outgoing.snapshot(),
        }

    def restore(self, state: dict, model: str | None = None) -> None:
        """Carry on from `snapshot` (this show built for its model and dancers; `model` re-dances
        it, the dancers starting from their seed)."""
        self.performance.restore(state["performance"])
        self.mixer.restore(state["mixer"])
        self.director.restore(state["director"])
        outgoing = state["outgoing"]
        self.switcher.outgoing = None if outgoing is None else Crossfade.restored(outgoing, model)

    @property
    def fading(self) -> bool:
        """True while the previous model's dancer is still dissolving out."""
        return self.switcher.outgoing is not None

    def advance_outgoing(self, now: float) -> None:
        """Keep the outgoing dancer dancing without drawing it (replay's warm-up)."""
        if self.switcher.outgoing is not None:
            self.switcher.outgoing.choreographer.frame(now)

    def hud_lines(self) -> list[str]:
        show, stats = self.performance, self.stats
        c = show.choreographer
        cap = f"/{self.fps:g}" if self.fps else " uncapped"
        lines = [
            (
                f"{stats.shown_fps:5.1f}{cap} fps   frame {stats.frame_ms:4.1f} ms (worst {stats.worst_ms:4.1f})   "
                f"dropped {stats.dropped}"
            ),
            f"{show.engine.provider_line}   model {show.model_name}",
            f"{self.director.mode}{' (auto)' if self.director.auto else ''}: {c.mode}   seed {c.seed}   step {c.steps}",
            show.tempo_rule.describe(ACTIONS["bpm"].read(self)),
            f"last: {show.last_control}",
        ]
        bus = self.bus
        if bus.learning:
            lines.append(f"learn: move a MIDI control for {bus.learning}   (a: cancel)")
        lines.extend(list(bus.status.values()))  # copies: control threads add keys meanwhile
        lines.extend(self.feed.status())
        counted = [f"{source} {counts}" for source, counts in list(bus.counts.items()) if source != "key"]
        if counted:
            lines.append("   ".join(counted))
        if bus.last_refusal:
            lines.append(f"refused: {bus.last_refusal}")
        return lines

    # --- the loop -----------------------------------------------------------------------------
    def run(self, seconds: float | None = None, frames: int | None = None) -> None:
        """Play until quit, or for `seconds` (display slots at a fixed fps; wall time uncapped)
        or `frames` shown frames, whichever comes first. Counters carry on across calls."""
        period = 1.0 / self.fps if self.fps else 0.0
        slots = round(seconds * self.fps) if (seconds is not None and period) else None
        clock, show, stats = self.clock, self.performance, self.stats
        # Sessions, buffers and modules made so far live for the whole show: freeze them out of
        # the garbage collector's reach, so a full collection never rescans them mid-frame.
        gc.collect()
        gc.freeze()
        start = deadline = clock()
        stats.restart(start)
        shown = used = 0  # this run's frames, and display slots (shown or dropped)
        next_trim = start + TRIM_SECONDS
        self.running = True
        if show.log is not None:
            show.log.add({"type": "run", "frame": show.frames, "t0": start, "period": period})
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
                    stats.dropped += slots - used  # due before the end, and missed
                    break
                if missed:  # late by whole slots: show the newest, count the rest
                    stats.dropped += missed
                    deadline += missed * period
                    if show.log is not None:
                        show.log.add({"type": "drop", "frame": show.frames, "missed": missed})
                # Paced: animate on the slot grid, not the wake-up time, so motion is even and
                # a logged session replays to the same frames (sessionlog.py).
                show_at = deadline
                deadline += period
            elif seconds is not None and now - start >= seconds:
                break
            self.poll(show_at)
            if not self.running:
                break
            self.draw(show_at, 1 + missed)
            if stats.first_frame_at is None:
                stats.first_frame_at = clock()
            show.frames += 1
            if show.log is not None and period:
                if show.frames % round(self.fps) == 0:  # a killed show's log still says how long it ran
                    show.log.add({"type": "tick", "frame": show.frames})
                if show.log.due(show.frames):  # the next frame's slot time: where a replay carries on
                    show.log.snapshot(show.frames, deadline, period, self.snapshot())
            if now >= next_trim:  # takes, camera clips and previews free in turn: give it back
                next_trim = now + TRIM_SECONDS
                release_free_memory()
            shown += 1
            used += 1 + missed
            stats.account(now, clock())
            if frames is not None and shown >= frames:
                break
        stats.elapsed = clock() - start

    def finish(self) -> list[str]:
        """End the show's recording (video and control log) and its outputs; a line on each."""
        lines = self.takes.finish() + self.feed.close()
        if self.performance.log is not None:
            self.performance.log.close(self.performance.frames)
        return lines

    def close(self) -> None:
        """Stop the inputs, let recordings finish, close the window."""
        for source in self.inputs:
            source.close()
        self.inputs.clear()
        self.switcher.close()
        self.performance.choreographer.close()
        if self.switcher.outgoing is not None:
            self.switcher.outgoing.choreographer.close()
        self.takes.join()
        self.window.close()
