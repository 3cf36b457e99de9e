"""The latent state a performer plays: which dancer, how fast, how wild, held or moving.

A `Choreographer` owns a `Rollout` (the LSTM's window, stepped on the engine) and a `Playhead`
(Catmull-Rom through the last four step latents). The display loop calls `frame(now)` once per
displayed frame with a monotonic time; a *step clock* decides when the next LSTM step is due,
and every frame samples the curve between steps, so the dance is fluid at 60 fps and more
while the model steps at the rate its data was sampled at (12 or 3 steps/s).

Choices, so the picture never jumps or stalls:

- Step clock: model step rate x `speed` (free), or `bpm` x `steps_per_beat` / 60 (tempo lock;
  `speed` is then ignored). Changing either keeps the clock's phase, so the motion speeds up or
  slows down without a jump.
- Catch-up: at most `MAX_STEPS_PER_FRAME` steps per frame. After a stall the backlog beyond
  that is dropped (counted in `skipped_steps`) and the fraction kept: the dancer resumes its
  tempo at once instead of racing through the steps it missed.
- Reseed / jump to seed / reset: the new dancer starts from its seed's warmed-up window at
  once, and the picture crossfades in latent space from the pose shown at that instant to the
  new dancer over `CROSSFADE_SECONDS` (smoothstep), so a new dancer morphs in. The warm-up
  (one window of steps) runs inside the call: a few milliseconds, once.
- Perturb: noise into the window the LSTM reads, never into what is shown; it shows within
  two steps (the playhead lags the newest prediction by one to two steps).
- Freeze: the step clock stops and the same latent is returned exactly; the clock resumes
  where it stopped. A crossfade still runs while frozen, so a reseed is seen.
- Safety: a latent that goes non-finite or explodes restarts the dancers from the current
  seed (`resets` counts it); `reset()` does the same on demand.

`frame` returns the choreographer's own buffer, the same array every call and overwritten by
the next: copy what you keep.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import LivedanceError
from .generate import Playhead, Rollout

MIN_SPEED, MAX_SPEED = 0.1, 4.0
MIN_BPM, MAX_BPM = 20.0, 400.0
MAX_STEPS_PER_FRAME = 2
CROSSFADE_SECONDS = 0.5
# Seeds a random reseed picks from (shown on the HUD, typed back to jump to one).
SEED_RANGE = 100_000


def _finite_number(value, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise LivedanceError(f"{name}: {value!r}; expected a finite number")
    return number


class Choreographer:
    """The live dance of `engine.dancers` dancers (dancer i follows seed + i)."""

    def __init__(self, engine, dancers: int | None = None, seed: int = 0, noise: float | None = None):
        engine.prepare()
        if dancers is not None and int(dancers) != engine.dancers:
            raise LivedanceError(f"dancers: {dancers}; the engine was prepared for {engine.dancers}")
        self.engine = engine
        self.rollout = Rollout(engine, dancers=engine.dancers, noise=noise)
        shape = (engine.dancers, engine.latent_dim)
        self._latent = np.zeros(shape, np.float32)  # what frame() returns
        self._fade_from = np.zeros(shape, np.float32)
        self._scratch = np.zeros(shape, np.float32)
        self._fade_start: float | None = None
        self._fading = False
        self._seed_picker = np.random.default_rng()
        self._speed = 1.0
        self._tempo: tuple[float, int] | None = None
        self._frozen = False
        self._phase = 0.0  # how far the playhead is between its two middle knots, in [0, 1)
        self._last_now: float | None = None
        self._shown_any = False
        self.steps = 0
        self.skipped_steps = 0
        self.resets = 0
        self._seed = int(seed)
        self.rollout.seed_random(self._seed)
        self.playhead = Playhead(self._history())

    # --- the display loop ----------------------------------------------------------------
    def frame(self, now: float) -> np.ndarray:
        """The raw latents (dancers, latent_dim) to show at monotonic time `now` (seconds)."""
        elapsed = 0.0 if self._last_now is None else max(0.0, now - self._last_now)
        self._last_now = now
        if not self._frozen and elapsed:
            self._phase += elapsed * self.step_rate
            due = int(self._phase)
            if due:
                self._phase -= due
                self.skipped_steps += max(0, due - MAX_STEPS_PER_FRAME)
                for _ in range(min(due, MAX_STEPS_PER_FRAME)):
                    self._step()
        self.playhead.sample_into(self._phase, self._latent)
        if self._fading:
            self._crossfade(now)
        if not math.isfinite(float(self._latent.sum())):
            self._restart(self._seed, fade=False)
            self.resets += 1
            self.playhead.sample_into(self._phase, self._latent)
        self._shown_any = True
        return self._latent

    def _step(self) -> None:
        resets = self.rollout.resets
        shown = self.rollout.step()
        if self.rollout.resets != resets:  # a dancer blew up: start over rather than show noise
            self.resets += 1
            self._restart(self._seed)
            return
        self.playhead.push(self.engine.denormalise(shown))
        self.steps += 1

    def _crossfade(self, now: float) -> None:
        """Blend from the pose shown when the dancer changed towards the new dancer (smoothstep)."""
        if self._fade_start is None:
            self._fade_start = now
        progress = (now - self._fade_start) / CROSSFADE_SECONDS
        if progress >= 1.0:
            self._fading = False
            return
        progress = max(progress, 0.0)
        remaining = 1.0 - progress * progress * (3.0 - 2.0 * progress)
        np.subtract(self._fade_from, self._latent, out=self._scratch)
        self._scratch *= np.float32(remaining)
        self._latent += self._scratch

    def _history(self) -> np.ndarray:
        """The rollout's last four shown latents as playhead knots (4, dancers, D), raw units."""
        return self.engine.denormalise(self.rollout.shown.transpose(1, 0, 2))

    def _restart(self, seed: int, fade: bool = True) -> None:
        fade = fade and self._shown_any and math.isfinite(float(self._latent.sum()))
        if fade:
            self._fade_from[...] = self._latent
            self._fade_start, self._fading = None, True
        else:
            self._fading = False
        self._seed = int(seed)
        self.rollout.seed_random(self._seed)
        self.playhead.reset(self._history())

    # --- operations the controls drive ---------------------------------------------------
    def reseed(self, seed: int | None = None) -> int:
        """Jump to dancer `seed` (or a new random one), crossfading; returns the seed."""
        if seed is None:
            seed = self._seed
            while seed == self._seed:
                seed = int(self._seed_picker.integers(SEED_RANGE))
        elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise LivedanceError(f"seed: {seed!r}; expected a whole number >= 0")
        self._restart(int(seed))
        return self._seed

    def reset(self) -> None:
        """The panic button: start the dancers over from the current seed (crossfading from a finite pose).

        Happens by itself whenever a latent goes non-finite or explodes.
        """
        self._restart(self._seed)

    def perturb(self, amount: float) -> None:
        """Add Gaussian noise of std `amount` (normalised units) to every dancer's whole window."""
        amount = _finite_number(amount, "perturb amount")
        if amount < 0:
            raise LivedanceError(f"perturb amount: {amount:g}; expected a number >= 0")
        window = self.rollout.window_norm
        for dancer, generator in enumerate(self.rollout.generators):
            window[dancer] += np.float32(amount) * generator.standard_normal(window.shape[1:], dtype=np.float32)

    def freeze(self, on: bool = True) -> None:
        """Hold the pose (the picture stops); unfreezing carries on from the same instant."""
        self._frozen = bool(on)

    @property
    def frozen(self) -> bool:
        return self._frozen

    @property
    def seed(self) -> int:
        """The current seed; dancer i dances seed + i."""
        return self._seed

    @property
    def dancers(self) -> int:
        return self.rollout.dancers

    @property
    def noise(self) -> float:
        """Std of the noise fed back with each prediction (normalised units): the dance's temperature."""
        return self.rollout.noise

    @noise.setter
    def noise(self, value: float) -> None:
        value = _finite_number(value, "noise")
        if value < 0:
            raise LivedanceError(f"noise: {value:g}; expected a number >= 0 (normalised latent units, e.g. 0.3)")
        self.rollout.noise = value

    temperature = noise

    @property
    def speed(self) -> float:
        """Multiplier of the model's step rate in free mode, clamped to [0.1, 4]."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._speed = min(max(_finite_number(value, "speed"), MIN_SPEED), MAX_SPEED)

    def set_tempo(self, bpm: float, steps_per_beat: int | None = None) -> None:
        """Lock the step clock to `bpm` x `steps_per_beat` / 60 steps/s.

        `steps_per_beat` defaults to the whole number that keeps the dancer nearest its
        natural rate (6 at 120 BPM for a 12 steps/s model). `bpm` is clamped to [20, 400].
        """
        bpm = min(max(_finite_number(bpm, "bpm"), MIN_BPM), MAX_BPM)
        if steps_per_beat is None:
            steps_per_beat = max(1, round(self.engine.step_rate * 60.0 / bpm))
        elif isinstance(steps_per_beat, bool) or not isinstance(steps_per_beat, (int, np.integer)) or steps_per_beat < 1:
            raise LivedanceError(f"steps_per_beat: {steps_per_beat!r}; expected a whole number >= 1")
        self._tempo = (bpm, int(steps_per_beat))

    def unlock_tempo(self) -> None:
        """Back to the model's own rate x `speed`."""
        self._tempo = None

    @property
    def tempo(self) -> tuple[float, int] | None:
        """(bpm, steps_per_beat) when locked to a tempo, else None."""
        return self._tempo

    # --- what the HUD shows --------------------------------------------------------------
    @property
    def step_rate(self) -> float:
        """Steps per second the clock runs at now (0 while frozen)."""
        if self._frozen:
            return 0.0
        if self._tempo is not None:
            bpm, steps_per_beat = self._tempo
            return bpm * steps_per_beat / 60.0
        return self.engine.step_rate * self._speed

    @property
    def mode(self) -> str:
        """One short line: free or tempo-locked, frozen or not."""
        if self._tempo is not None:
            bpm, steps_per_beat = self._tempo
            text = f"tempo {bpm:g} BPM x {steps_per_beat} steps/beat"
            rate = bpm * steps_per_beat / 60.0
        else:
            rate = self.engine.step_rate * self._speed
            text = f"free x{self._speed:.2f}"
        text += f", {rate:.3g} steps/s"
        return f"frozen ({text})" if self._frozen else text
