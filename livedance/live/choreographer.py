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
- Reseed / jump to seed / reset: the new dancer's window is warmed up (one window of steps)
  on a thread of its own (`livedance.live.warmup`) while the old dancer dances on, and comes in
  `WARMUP_SECONDS` of show time after the ask; the picture then crossfades in latent space from
  the pose shown at that instant to the new dancer over `CROSSFADE_SECONDS` (smoothstep), so a
  new dancer morphs in. The swap lands at a show time, not when the thread finishes (the frame
  waits for a late one), so a replay lands it on the same frame. One starts at most every
  `MIN_RESTART_S`; one asked for sooner waits its turn (the latest ask wins, the seed shows at
  once), so a flood of pads costs a few warm-ups a second. A perturb (or an accent's jolt)
  asked for while a new dancer is on its way is kept for the new dancer; a loop is refused
  until it has come in (there is nothing of it to loop yet). A warm-up that fails leaves the
  old dancer dancing and says why in the log. The safety restart and a new dancer asked for
  before the first frame warm up at once, in the call.
- Perturb: noise into the window the LSTM reads, never into what is shown; it shows within
  two steps (the playhead lags the newest prediction by one to two steps).
- Freeze: the step clock stops and the same latent is returned exactly; the clock resumes
  where it stopped. A crossfade still runs while frozen, so a reseed is seen.
- Safety: a latent that goes non-finite or explodes restarts the dancers from the current
  seed (`resets` counts it); `reset()` does the same on demand.
- Temperature and latent offsets shape what is shown, after the playhead and the crossfade:
  `mean + (latent - mean) * temperature + offset * std` (raw units). They never reach the
  window the LSTM reads: a constant fed back every step would be carried forward and pile up,
  while on the display side they can't blow the rollout up, and turning a knob back gives back
  exactly the dance that was going on underneath. Both cost nothing while neutral.
- Nudge bends the step rate by up to +-10% (a DJ's pitch bend) in free and tempo-locked modes;
  `trim`, set by an outside clock that knows the beat (`livedance.sync.tempo`), bends it
  instead of the nudge to pull the steps onto that clock's grid (the phase itself never moves);
  `downbeat()` makes the next frame take a step, so the step clock starts an interval there
  (the picture catches up to that step in one frame: at most one step's motion).
- Beat: while locked to a tempo the clock also counts steps within the beat (`beat_phase`).
  A leader that knows the beat relabels which step is the beat's first (`relabel_beat`):
  nothing on screen moves, and the trim pulls the fraction of a step in.
- Accent: `accent(a)` swells the pose away from the mean pose (temperature x 1 + 0.5 a) in
  the frame it lands, fading over `ACCENT_SECONDS`, and jolts the window with a perturb of
  a x `ACCENT_JOLT`: the dancer hits the beat and moves on from it.
- Phrase loop: every step latent shown is kept in a ring of the last `LOOP_CAPACITY` steps.
  `loop(n)` replays the last n of them, cyclically, one per clock step (the LSTM rests), so
  the phrase repeats in time with the clock and Catmull-Rom smooths the seam. On release the
  window is rebuilt from the phrase up to the step just shown, so the LSTM dreams on from the
  looped pose with no jump. Reseed, reset and jump release the loop at once (the new dancer
  comes in from there); the safety restart drops it; a perturb while looping is lost with the
  window that release rebuilds.

`frame` returns the choreographer's own buffer, the same array every call and overwritten by
the next: copy what you keep.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from livedance.control.params import MAX_BPM, MAX_SPEED, MAX_STEPS_PER_BEAT, MIN_BPM, MIN_SPEED, SEED_RANGE
from livedance.errors import LivedanceError, one_line
from livedance.live.warmup import Warmup
from livedance.runtime.generate import Playhead, Rollout

log = logging.getLogger(__name__)

MAX_STEPS_PER_FRAME = 2
# How many shown step latents the phrase loop can reach back (about 21 s at 12 steps/s).
LOOP_CAPACITY = 256
# Nudge at full deflection bends the step rate by this fraction.
NUDGE_RANGE = 0.1
CROSSFADE_SECONDS = 0.5
# A new dancer comes in this long after the ask: its warm-up's time on a thread of its own,
# with room for a busy machine (the frame waits for a warm-up later than this).
WARMUP_SECONDS = 0.1
# One new dancer starts at most this often; one asked for sooner waits its turn, the latest ask
# winning, so a flood of pads or presets costs a few warm-ups a second.
MIN_RESTART_S = 0.25
# The accent's shape.
ACCENT_DEFAULT = 0.6
ACCENT_GAIN = 0.5  # the pose's distance from the mean x (1 + gain x accent) at the hit
ACCENT_SECONDS = 0.18  # the swell's time constant
ACCENT_JOLT = 0.6  # perturb amount (normalised units) of a full accent


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
        self._pose = np.zeros(shape, np.float32)  # the playhead after the crossfade, before temperature and offsets
        self._mean = np.asarray(engine.bundle.latent_mean, np.float32)
        self._std = np.asarray(engine.bundle.latent_std, np.float32)
        self._temperature = 1.0
        self._temperature32 = np.float32(1.0)  # made once, not per frame
        self._offset = np.zeros(engine.latent_dim, np.float32)
        self._offset_raw = np.zeros(engine.latent_dim, np.float32)  # offset * std, added as is
        self._offset_on = False
        self._nudge = 0.0
        self.trim: float | None = None  # an outside clock's rate factor, in place of the nudge
        self._downbeat = False
        self._beat_step = 0  # steps taken since the clock's beat began (locked: mod steps per beat)
        self._accent = 0.0  # the last accent's strength, until it has faded
        self._accent_at: float | None = None  # when it was first shown
        # The phrase loop: a ring of the last shown step latents, and the phrase it replays.
        self._ring = np.zeros((LOOP_CAPACITY, *shape), np.float32)
        self._ring_next = 0
        self._recorded = 0
        self._phrase = np.zeros((LOOP_CAPACITY, *shape), np.float32)
        self._loop_length: int | None = None
        self._loop_position = 0  # the phrase entry the next step pushes
        self._fade_from = np.zeros(shape, np.float32)
        self._scratch = np.zeros(shape, np.float32)
        self._finite = np.zeros(shape, bool)
        self._stepped = np.zeros(shape, np.float32)  # each step's latents, copied on into the playhead and ring
        self._fade_start: float | None = None
        self._fading = False
        self._seed_picker = np.random.default_rng()
        self._speed = 1.0
        self._tempo: tuple[float, int] | None = None
        self.last_bpm = 120.0  # the tempo a lock returns to (kept while unlocked)
        self._frozen = False
        self._phase = 0.0  # how far the playhead is between its two middle knots, in [0, 1)
        self._last_now: float | None = None
        self._shown_any = False
        self.steps = 0
        self.skipped_steps = 0
        self.resets = 0
        self.restarts_passed_over = 0  # new dancers asked for and replaced by a later ask before their turn
        self._restarted_at: float | None = None  # the show time of the last warm-up
        self._pending: tuple[int, bool] | None = None  # (seed, fade) waiting for MIN_RESTART_S
        self._warming: tuple[int, bool, float, float] | None = None  # (seed, fade, show time it comes in, noise)
        self._warmup = Warmup(engine, self.rollout)
        self._jolts: list[float] = []  # perturbs asked for while a new dancer is on its way, for it
        self._seed = int(seed)
        self._dancing = self._seed  # the seed of the dancer in the rollout (`_seed` may be on its way)
        self.rollout.seed_random(self._seed)
        self.playhead = Playhead(self._history())
        self._record_history()

    # --- the display loop ----------------------------------------------------------------
    def frame(self, now: float) -> np.ndarray:
        """The raw latents (dancers, latent_dim) to show at monotonic time `now` (seconds)."""
        elapsed = 0.0 if self._last_now is None else max(0.0, now - self._last_now)
        self._last_now = now
        if self._warming is not None and now >= self._warming[2]:
            self._swap_in()
        if self._pending is not None and self._warming is None and self._restart_due():
            self._begin_restart(*self._pending)
        if not self._frozen:
            if self._downbeat:  # a step lands on this frame and the next interval starts here
                self._downbeat = False
                self._phase = 1.0
                self._beat_step = -1
            elif elapsed:
                self._phase += elapsed * self.step_rate
            due = int(self._phase)
            if due > 0:
                self._phase -= due
                self._beat_step += due
                self.skipped_steps += max(0, due - MAX_STEPS_PER_FRAME)
                for _ in range(min(due, MAX_STEPS_PER_FRAME)):
                    self._step()
        pose = self._pose
        self.playhead.sample_into(max(self._phase, 0.0), pose)
        if self._fading:
            self._crossfade(now)
        # Every entry finite, counted rather than summed: a reduction would allocate per frame.
        np.isfinite(pose, out=self._finite)
        if np.count_nonzero(self._finite) != self._finite.size:  # safety: at once
            self._restart_now(self._seed, fade=False)
            self.resets += 1
            self.playhead.sample_into(self._phase, pose)
        shown = self._latent
        temperature = self._temperature32
        if self._accent:
            temperature = np.float32(self._temperature * (1.0 + ACCENT_GAIN * self._accent_level(now)))
        if temperature != 1.0:
            np.subtract(pose, self._mean, out=shown)
            shown *= temperature
            shown += self._mean
        else:
            np.copyto(shown, pose)
        if self._offset_on:
            shown += self._offset_raw
        self._shown_any = True
        return shown

    def _accent_level(self, now: float) -> float:
        """What is left of the last accent at `now`: its strength at the first frame that shows it, then fading."""
        if self._accent_at is None:
            self._accent_at = now
        level = self._accent * math.exp(-(now - self._accent_at) / ACCENT_SECONDS)
        if level < 0.01:
            self._accent, self._accent_at = 0.0, None
        return level

    def _step(self) -> None:
        if self._loop_length is not None:
            latent = self._phrase[self._loop_position]
            self._loop_position = (self._loop_position + 1) % self._loop_length
            self.playhead.push(latent)
            self._record(latent)
            self.steps += 1
            return
        resets = self.rollout.resets
        latent = self.rollout.step_into(self._stepped)
        if self.rollout.resets != resets:  # a dancer blew up: start over rather than show noise
            self.resets += 1
            self._restart_now(self._seed)
            return
        self.engine.denormalise(latent, out=latent)
        self.playhead.push(latent)
        self._record(latent)
        self.steps += 1

    def _record(self, latent: np.ndarray) -> None:
        """Keep a shown step latent (dancers, D) in the loop's ring."""
        self._ring[self._ring_next] = latent
        self._ring_next = (self._ring_next + 1) % LOOP_CAPACITY
        self._recorded = min(self._recorded + 1, LOOP_CAPACITY)

    def _record_history(self) -> None:
        """A new dancer's ring: just the knots it starts from."""
        self._ring_next = self._recorded = 0
        for knot in self.playhead.knots:
            self._record(knot)

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
        np.subtract(self._fade_from, self._pose, out=self._scratch)
        self._scratch *= np.float32(remaining)
        self._pose += self._scratch

    def _history(self) -> np.ndarray:
        """The rollout's last four shown latents as playhead knots (4, dancers, D), raw units."""
        return self.engine.denormalise(self.rollout.shown.transpose(1, 0, 2))

    def _restart_due(self) -> bool:
        last, now = self._restarted_at, self._last_now
        return last is None or now is None or now - last >= MIN_RESTART_S

    def _restart(self, seed: int, fade: bool = True) -> None:
        """A new dancer from `seed`, warming up now or once the last has had MIN_RESTART_S (the seed shows at once)."""
        self._seed = int(seed)
        self.release_loop()  # the LSTM dreams on from the looped pose until the new dancer comes in
        if self._last_now is None:  # nothing shown yet: nothing to dance on meanwhile
            self._restart_now(seed, fade)
        elif self._pending is None and self._warming is None and self._restart_due():
            self._begin_restart(seed, fade)
        else:
            if self._pending is not None:
                self.restarts_passed_over += 1
            self._pending = (int(seed), fade)

    def _begin_restart(self, seed: int, fade: bool) -> None:
        """Warm dancer `seed` up on the warm-up's thread; it comes in WARMUP_SECONDS of show time from now."""
        self._pending = None
        self._restarted_at = self._last_now
        noise = self.rollout.noise
        self._warmup.start(int(seed), noise)
        self._warming = (int(seed), fade, (self._last_now or 0.0) + WARMUP_SECONDS, noise)

    def _swap_in(self) -> None:
        if self._warming is None:
            return
        seed, fade = self._warming[:2]
        self._warming = None
        jolts, self._jolts = self._jolts, []
        try:
            state = self._warmup.take()
        except Exception as exc:  # the old dancer dances on: nothing a control asks may stop the frames
            log.warning("new dancer %d: not started (%s); dancer %d dances on", seed, one_line(exc), self._dancing)
            if self._pending is None:
                self._seed = self._dancing
            return
        self.rollout.restore(state)
        self._dancing = seed
        self._arrive(fade)
        for amount in jolts:
            self.perturb(amount)

    def _restart_now(self, seed: int, fade: bool = True) -> None:
        """A new dancer from `seed` at once, warmed up in the call (one on its way is dropped)."""
        self._pending = self._warming = None
        self._jolts.clear()
        self._restarted_at = self._last_now
        self._seed = self._dancing = int(seed)
        self.rollout.seed_random(self._seed)
        self._arrive(fade)

    def _arrive(self, fade: bool) -> None:
        """The rollout holds a new dancer: show it, crossfading from the pose on screen when `fade`."""
        fade = fade and self._shown_any and math.isfinite(float(self._pose.sum()))
        if fade:
            self._fade_from[...] = self._pose
            self._fade_start, self._fading = None, True
        else:
            self._fading = False
        self._loop_length = None  # a new dancer: the old phrase is gone
        self.playhead.reset(self._history())
        self._record_history()

    def continue_from(self, window_raw: np.ndarray, shown: np.ndarray | None = None) -> None:
        """Every dancer carries on from a real dancer's last latents (T >= window, raw units).

        The picture crossfades from `shown` (the pose on screen, e.g. the camera's dancer) to the
        continuation, so switching from following a dancer to continuing them never jumps."""
        self.rollout.seed_from_latents(window_raw, seed=self._seed)
        self._pending = self._warming = None  # the latest ask wins
        self._jolts.clear()
        self._dancing = self._seed
        self._loop_length = None
        if shown is not None and math.isfinite(float(np.sum(shown))):
            self._fade_from[...] = shown
            self._fade_start, self._fading = None, True
        self.playhead.reset(self._history())
        self._record_history()

    def close(self) -> None:
        """Let a warm-up under way finish: the show is ending."""
        self._warmup.close()

    # --- carrying on elsewhere (a replay from a session log's snapshot) ----------------------
    def snapshot(self) -> dict:
        """The performer's settings, the step clock and the dance itself, as copies."""
        order = (self._ring_next - self._recorded + np.arange(self._recorded)) % LOOP_CAPACITY
        looping = self._loop_length is not None
        return {
            "model": str(self.engine.model_path),
            "dancers": self.dancers,
            "seed": self._seed,
            "noise": self.rollout.noise,
            "speed": self._speed,
            "temperature": self._temperature,
            "nudge": self._nudge,
            "trim": self.trim,
            "tempo": self._tempo,
            "last_bpm": self.last_bpm,
            "frozen": self._frozen,
            "offset": self._offset.copy(),
            "clock": [self._phase, self._last_now, self._downbeat, self._beat_step, self._accent, self._accent_at],
            "counts": [self.steps, self.skipped_steps, self.resets],
            "restart": [self._restarted_at, self._pending, self._warming, list(self._jolts), self._dancing],
            "dance": {  # this model's latents
                "rollout": self.rollout.snapshot(),
                "knots": self.playhead.knots.copy(),
                "ring": self._ring[order],  # oldest first
                "phrase": self._phrase[: self._loop_length].copy() if looping else None,
                "loop_position": self._loop_position,
                "pose": self._pose.copy(),
                "fade": [self._fading, self._fade_start, self._shown_any],
                "fade_from": self._fade_from.copy(),
            },
        }

    def restore(self, state: dict) -> None:
        """Carry on from `snapshot`: exactly, for the same model and dancers; for another, with
        the performer's settings and the step clock, the dancers starting from the seed."""
        self.noise = state["noise"]
        self.speed, self.temperature, self.nudge = state["speed"], state["temperature"], state["nudge"]
        self.trim = state["trim"]
        self._tempo = None if state["tempo"] is None else (float(state["tempo"][0]), int(state["tempo"][1]))
        self.last_bpm = state["last_bpm"]
        self.freeze(state["frozen"])
        if np.shape(state["offset"]) == self._offset.shape:
            self.set_offsets(state["offset"])
        self._phase, self._last_now, self._downbeat, self._beat_step, self._accent, self._accent_at = state["clock"]
        self.steps, self.skipped_steps, self.resets = state["counts"]
        restart = list(state.get("restart", [None, None]))
        restart += [None, [], state["seed"]][len(restart) - 2 :]  # an older snapshot: nothing on its way
        restarted_at, pending, warming, jolts, dancing = restart
        dance = state["dance"]
        if state["model"] != str(self.engine.model_path) or np.shape(dance["pose"]) != self._pose.shape:
            self._restart_now(int(state["seed"]), fade=False)
            return
        self._restarted_at = restarted_at
        self._pending = None if pending is None else (int(pending[0]), bool(pending[1]))
        self._warming = None
        if warming is not None:  # a new dancer on its way: warmed up again, as it was
            seed, fade, at, noise = warming
            self._warmup.start(int(seed), float(noise))
            self._warming = (int(seed), bool(fade), float(at), float(noise))
        self._jolts = [float(amount) for amount in jolts]
        self._dancing = int(dancing)
        self._seed = int(state["seed"])
        self.rollout.restore(dance["rollout"])
        self.playhead.reset(dance["knots"])
        self._recorded = len(dance["ring"])
        self._ring[: self._recorded] = dance["ring"]
        self._ring_next = self._recorded % LOOP_CAPACITY
        phrase = dance["phrase"]
        self._loop_length = None if phrase is None else len(phrase)
        if phrase is not None:
            self._phrase[: len(phrase)] = phrase
        self._loop_position = int(dance["loop_position"])
        self._pose[...] = dance["pose"]
        self._fading, self._fade_start, self._shown_any = dance["fade"]
        self._fade_from[...] = dance["fade_from"]

    # --- operations the controls drive ---------------------------------------------------
    def carry_over(self, old: Choreographer) -> None:
        """Take the performer's settings from the choreographer this one replaces (a model switch)."""
        self.speed = old.speed
        self.temperature = old.temperature
        self.nudge = old.nudge
        self.trim = old.trim
        if old.tempo is not None:
            self.set_tempo(*old.tempo)
        self.freeze(old.frozen)
        if self.offset.shape == old.offset.shape:
            self.set_offsets(old.offset)

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
        if self._warming is not None or self._pending is not None:  # for the dancer on its way
            self._jolts.append(amount)
            return
        window = self.rollout.window_norm
        for dancer, generator in enumerate(self.rollout.generators):
            window[dancer] += np.float32(amount) * generator.standard_normal(window.shape[1:], dtype=np.float32)

    def accent(self, amount: float = ACCENT_DEFAULT) -> None:
        """Hit the beat: a swell of the pose from the next frame, fading, and a jolt of `amount` x ACCENT_JOLT."""
        amount = _finite_number(amount, "accent")
        if not 0.0 <= amount <= 1.0:
            raise LivedanceError(f"accent: {amount:g}; expected a strength from 0 to 1")
        if amount == 0.0:
            return
        self._accent, self._accent_at = amount, None
        self.perturb(amount * ACCENT_JOLT)

    @property
    def accenting(self) -> float:
        """The strength of the accent being shown, 0 when none (its level at its first frame)."""
        return self._accent

    @property
    def beat_steps(self) -> float:
        """Steps into the clock's beat (whole steps since the beat began, plus the phase)."""
        return self._beat_step + min(max(self._phase, 0.0), 1.0)

    def relabel_beat(self, steps: int) -> None:
        """Count `steps` more steps into the beat: which step is the beat's first changes, the picture doesn't."""
        self._beat_step += int(steps)

    @property
    def beat_phase(self) -> float | None:
        """Where the clock is in its beat, in [0, 1), when locked to a tempo; None when free."""
        if self._tempo is None:
            return None
        per_beat = self._tempo[1]
        return self.beat_steps % per_beat / per_beat % 1.0

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
        """Std of the noise fed back with each prediction (normalised units): how restless the dance is."""
        return self.rollout.noise

    @noise.setter
    def noise(self, value: float) -> None:
        value = _finite_number(value, "noise")
        if value < 0:
            raise LivedanceError(f"noise: {value:g}; expected a number >= 0 (normalised latent units, e.g. 0.3)")
        self.rollout.noise = value

    @property
    def temperature(self) -> float:
        """Pose intensity: the shown pose's distance from the data's mean pose x this (1 = as dreamt)."""
        return self._temperature

    @temperature.setter
    def temperature(self, value: float) -> None:
        value = _finite_number(value, "temperature")
        if value < 0:
            raise LivedanceError(
                f"temperature: {value:g}; expected a number >= 0 (1 = as dreamt, below tamer, above bolder)"
            )
        self._temperature, self._temperature32 = value, np.float32(value)

    @property
    def offset(self) -> np.ndarray:
        """Latent offsets (latent_dim,), normalised units, added to every dancer's shown pose: a copy."""
        return self._offset.copy()

    def set_offset(self, index: int, value: float) -> None:
        """Offset latent dimension `index` by `value` x its std."""
        dim = len(self._offset)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < dim:
            raise LivedanceError(f"latent index: {index!r}; expected a whole number from 0 to {dim - 1}")
        self._offset[index] = _finite_number(value, f"latent/{index} offset")
        self._offsets_changed()

    def set_offsets(self, values) -> None:
        """All latent offsets at once: one number per latent dimension (zeros: none)."""
        dim = len(self._offset)
        try:
            array = np.asarray(values, np.float32)
        except (TypeError, ValueError):
            raise LivedanceError(f"latent offsets: a {type(values).__name__}; expected {dim} numbers") from None
        if array.shape != (dim,):
            given = f"{array.size} values" if array.ndim == 1 else f"an array of shape {array.shape}"
            raise LivedanceError(f"latent offsets: {given}; expected {dim}, one per latent dimension")
        if not np.all(np.isfinite(array)):
            raise LivedanceError(f"latent offsets: not all finite; expected {dim} finite numbers")
        self._offset[...] = array
        self._offsets_changed()

    def _offsets_changed(self) -> None:
        np.multiply(self._offset, self._std, out=self._offset_raw)
        self._offset_on = bool(np.any(self._offset))

    @property
    def speed(self) -> float:
        """Multiplier of the model's step rate in free mode, clamped to [0.1, 4]."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._speed = min(max(_finite_number(value, "speed"), MIN_SPEED), MAX_SPEED)

    @property
    def nudge(self) -> float:
        """Pitch bend of the step rate in [-1, 1]: the rate is x (1 + 0.1 nudge) while off centre."""
        return self._nudge

    @nudge.setter
    def nudge(self, value: float) -> None:
        self._nudge = min(max(_finite_number(value, "nudge"), -1.0), 1.0)

    def downbeat(self) -> None:
        """On the one: the next frame takes a step, and the step clock counts its intervals from there."""
        self._downbeat = True

    def tempo_double(self) -> None:
        """Locked: twice the BPM (same steps per beat); free: twice the speed. Clamped."""
        self._scale_tempo(2.0)

    def tempo_half(self) -> None:
        """Locked: half the BPM (same steps per beat); free: half the speed. Clamped."""
        self._scale_tempo(0.5)

    def _scale_tempo(self, factor: float) -> None:
        if self._tempo is None:
            self.speed = self._speed * factor
        else:
            bpm, steps_per_beat = self._tempo
            self._tempo = (min(max(bpm * factor, MIN_BPM), MAX_BPM), steps_per_beat)

    def loop(self, steps: int) -> None:
        """Repeat the last `steps` shown steps (all there are, if fewer) in time with the clock.

        Engaged while looping, it re-cuts the loop from the last steps shown (a loop roll).
        """
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= LOOP_CAPACITY:
            raise LivedanceError(f"loop steps: {steps!r}; expected a whole number from 1 to {LOOP_CAPACITY}")
        if self._warming is not None or self._pending is not None:
            raise LivedanceError(f"loop: dancer {self._seed} is on its way; loop once it has come in")
        length = min(int(steps), self._recorded)
        entries = (self._ring_next - length + np.arange(length)) % LOOP_CAPACITY
        self._phrase[:length] = self._ring[entries]
        self._loop_length, self._loop_position = length, 0

    def release_loop(self) -> None:
        """Let the LSTM dream on from the looped pose: its window becomes the phrase up to the step just shown."""
        if self._loop_length is None:
            return
        length, window = self._loop_length, self.engine.window
        entries = (self._loop_position - window + np.arange(window)) % length
        self.rollout.set_window(self.engine.normalise(self._phrase[entries].transpose(1, 0, 2)))
        self._loop_length = None

    @property
    def looping(self) -> int | None:
        """The loop's length in steps while a phrase loop plays, else None."""
        return self._loop_length

    def set_tempo(self, bpm: float, steps_per_beat: int | None = None) -> None:
        """Lock the step clock to `bpm` x `steps_per_beat` / 60 steps/s.

        `steps_per_beat` defaults to the whole number that keeps the dancer nearest its
        natural rate (6 at 120 BPM for a 12 steps/s model), at most MAX_STEPS_PER_BEAT.
        `bpm` is clamped to [20, 400].
        """
        bpm = min(max(_finite_number(bpm, "bpm"), MIN_BPM), MAX_BPM)
        if steps_per_beat is None:
            steps_per_beat = min(max(1, round(self.engine.step_rate * 60.0 / bpm)), MAX_STEPS_PER_BEAT)
        elif (
            isinstance(steps_per_beat, bool) or not isinstance(steps_per_beat, (int, np.integer)) or steps_per_beat < 1
        ):
            raise LivedanceError(f"steps_per_beat: {steps_per_beat!r}; expected a whole number >= 1")
        self._tempo = (bpm, int(steps_per_beat))
        self.last_bpm = bpm

    def unlock_tempo(self) -> None:
        """Back to the model's own rate x `speed` (and no longer following a beat)."""
        self._tempo = None

    @property
    def tempo(self) -> tuple[float, int] | None:
        """(bpm, steps_per_beat) when locked to a tempo, else None."""
        return self._tempo

    # --- what the HUD shows --------------------------------------------------------------
    @property
    def step_rate(self) -> float:
        """Steps per second the clock runs at now, nudge included (0 while frozen)."""
        return 0.0 if self._frozen else self._running_rate()

    def _running_rate(self) -> float:
        if self._tempo is not None:
            bpm, steps_per_beat = self._tempo
            rate = bpm * steps_per_beat / 60.0
        else:
            rate = self.engine.step_rate * self._speed
        if self.trim is not None:
            return rate * self.trim
        return rate * (1.0 + NUDGE_RANGE * self._nudge) if self._nudge else rate

    @property
    def phase(self) -> float:
        """Where the playhead is between two steps, in [0, 1)."""
        return self._phase

    @property
    def clock_time(self) -> float | None:
        """The time of the last frame (what `phase` is the phase at); None before the first."""
        return self._last_now

    @property
    def mode(self) -> str:
        """One short line: free or tempo-locked, nudged, looping, frozen."""
        if self._tempo is not None:
            bpm, steps_per_beat = self._tempo
            text = f"tempo {bpm:g} BPM x {steps_per_beat} steps/beat"
        else:
            text = f"free x{self._speed:.2f}"
        if self.trim is not None:
            text += ", on the leader's beat"
        elif self._nudge:
            text += f", nudge {100 * NUDGE_RANGE * self._nudge:+.2g}%"
        text += f", {self._running_rate():.3g} steps/s"
        if self._loop_length is not None:
            text += f", loop {self._loop_length} steps"
        return f"frozen ({text})" if self._frozen else text
