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
import time

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from .errors import LivedanceError  # noqa: E402
from .hud import Hud  # noqa: E402
from .keys import binding_for  # noqa: E402

CAPTION = "livedance"


def use_dummy_video() -> None:
    """No window: SDL's dummy driver still gives a real surface to draw and blit into."""
    os.environ["SDL_VIDEODRIVER"] = "dummy"


def no_display_reason() -> str | None:
    """Why a window cannot open here, or None when it can (Linux/BSD need X11 or Wayland)."""
    import sys

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
    def poll(self) -> None:
        """Handle whatever input arrived since the last frame; never waits."""
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.running = False
                self.last_control = "quit"
            elif event.type == pygame.KEYDOWN:
                binding = binding_for(event.key, event.mod)
                if binding is not None:
                    self.control(binding.action)

    def control(self, action) -> None:
        """Run one action on this instrument; a bad value shows on the HUD instead of stopping the show."""
        try:
            self.last_control = action(self)
        except LivedanceError as exc:
            self.last_control = f"{getattr(action, '__name__', 'control')}: {exc}"

    def draw(self, now: float):
        """Dream, decode, compose and show one frame; returns the canvas (reused next frame)."""
        latents = self.choreographer.frame(now)
        ink = self.engine.decode(latents)
        # dt keeps trails fading at the same speed whatever the frame rate.
        dt = None if self._last_draw is None else now - self._last_draw
        self._last_draw = now
        canvas = self.compositor.compose(ink, self.look, dt=dt)
        if canvas is not self._canvas:  # wrap the compositor's buffer once, not every frame
            height, width = canvas.shape[:2]
            self._picture = pygame.image.frombuffer(canvas, (width, height), "BGR")
            self._canvas = canvas
        self.screen.blit(self._picture, (0, 0))
        if self.hud.visible:
            if self.hud.due(now):
                self.hud.update(self.hud_lines(), now)
            self.hud.draw(self.screen)
        pygame.display.flip()
        return canvas

    def hud_lines(self) -> list[str]:
        c = self.choreographer
        cap = f"/{self.fps:g}" if self.fps else " uncapped"
        return [
            f"{self.shown_fps:5.1f}{cap} fps   frame {self.frame_ms:4.1f} ms (worst {self.worst_ms:4.1f})   dropped {self.dropped}",
            self.engine.provider_line,
            f"{c.mode}   seed {c.seed}   step {c.steps}",
            f"last: {self.last_control}",
        ]

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
        while self.running:
            now = clock()
            missed = 0
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
                deadline += period
            elif seconds is not None and now - start >= seconds:
                break
            self.poll()
            if not self.running:
                break
            canvas = self.draw(now)
            if self.first_frame_at is None:
                self.first_frame_at = clock()
            if self.recorder is not None:
                self.recorder.push(canvas, 1 + missed)
            self.frames += 1
            shown += 1
            used += 1 + missed
            self._account(now, clock())
            if frames is not None and shown >= frames:
                break
        self.elapsed = clock() - start

    def close(self) -> None:
        pygame.display.quit()
