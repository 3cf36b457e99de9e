"""Generation: the LSTM fed its own output, for a batch of independent dancers, and the
smooth interpolation that turns a few steps per second into fluid 30/60 fps motion.

Shared by `render`, `eval` and the live engine; everything is in *normalised* latent units
((z - mean) / std, see `Bundle.normalise`).

The loop, per step and per dancer (the paper's scheme plus the findings' remedy):

    prediction = step(window)                       # the LSTM's guess of the next latent
    prediction *= 1 - mean_pull                     # optional pull towards the data's mean (0)
    prediction = shown + motion_gain * (prediction - shown)   # the predicted move, made bolder
    prediction = encode(decode(prediction) > 0.5)   # re-projection onto whole figures
    shown      = prediction                         # what is decoded and seen
    window     = window[1:] + [prediction + noise * N(0, 1)]

Fed back deterministically the LSTM settles into a frozen pose within seconds; Gaussian noise
on what it reads next keeps it moving. The noise goes into the window only: what is shown is
the model's own (denoised) prediction, so the noise drives the dance without being drawn as
jitter.

Re-projection (the bundle's `generation.reproject`, on by default): a mean prediction plus
noise drifts into latents that decode to blobs, floating limbs and half-figures, and the
Catmull-Rom in-betweens inherit them. Decoding each step, cutting the figure at ink > 0.5 and
encoding it again puts every knot back on a latent the encoder gives to a whole silhouette,
so the dancer the LSTM reads and the one shown are both bodies. It costs one decode and one
encode per step (not per displayed frame).

"Random seed": a dancer's `seed` starts one `numpy.random.Generator`, which draws the initial
window (10 x 128 independent standard normals in normalised units, i.e. 10 random poses from
the data's per-dimension latent distribution, as the paper's random 1x10x128 seed) and then
every noise vector, so the same seed always gives the same dance, and dancer i of a batch
follows the same random stream as a lone dancer with that seed. A random window is not a
dance yet: `seed_random` runs `warmup` hidden steps (default: one window, 10 steps, under a
second of dance) so the first shown frame is already a prediction, a figure.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from livedance.config import INK_THRESHOLD as THRESHOLD
from livedance.errors import LivedanceError

# Larger than any latent a trained model produces (normalised units): a dancer past it, or
# not finite, is reseeded rather than allowed to poison the batch with NaNs.
RESET_LIMIT = 1e3
# How many shown latents a rollout remembers: enough for the Catmull-Rom neighbours.
SHOWN_HISTORY = 4


class Rollout:
    """`dancers` independent dancers stepped together by one step.onnx call per step."""

    def __init__(
        self,
        bundle,
        dancers: int = 1,
        noise: float | None = None,
        mean_pull: float | None = None,
        reproject: bool | None = None,
        motion_gain: float | None = None,
    ):
        if dancers < 1:
            raise LivedanceError(f"dancers: {dancers}; expected at least 1")
        self.bundle = bundle
        self.dancers = int(dancers)
        self.noise = float(bundle.generation.noise if noise is None else noise)
        self.mean_pull = float(bundle.generation.mean_pull if mean_pull is None else mean_pull)
        if not (np.isfinite(self.noise) and self.noise >= 0):
            raise LivedanceError(f"noise {self.noise:g}; expected a number >= 0 (normalised latent units, e.g. 0.3)")
        if not (0.0 <= self.mean_pull <= 1.0):
            raise LivedanceError(f"mean_pull {self.mean_pull:g}; expected a number in [0, 1]")
        self.reproject = bool(bundle.generation.reproject if reproject is None else reproject)
        self.motion_gain = float(bundle.generation.motion_gain if motion_gain is None else motion_gain)
        if not (np.isfinite(self.motion_gain) and self.motion_gain > 0):
            raise LivedanceError(f"motion_gain {self.motion_gain:g}; expected a number > 0 (1 = as the LSTM predicts)")
        dancers, window, dim = self.dancers, bundle.window, bundle.latent_dim
        shape = (dancers, window, dim)
        self.window_norm = np.zeros(shape, np.float32)
        self._shown = np.zeros((dancers, SHOWN_HISTORY, dim), np.float32)
        self.generators = [np.random.default_rng(i) for i in range(dancers)]
        self.steps = 0
        self.resets = 0
        # What a step works in, and the views it writes through, made once: step_into allocates nothing.
        self._prediction = np.zeros((dancers, dim), np.float32)
        self._last = np.zeros((dancers, dim), np.float32)
        self._noise_draws = np.zeros((dancers, dim), np.float32)
        self._noise_rows = list(self._noise_draws)
        self._factor = np.zeros((), np.float32)  # a Python number in a ufunc would be wrapped in a new array per call
        # Shifting an array onto itself makes numpy copy it to a new temporary first; a scratch is reused instead.
        self._window_shift = (
            self.window_norm[:, :-1],
            self.window_norm[:, 1:],
            np.zeros((dancers, window - 1, dim), np.float32),
        )
        self._window_newest = self.window_norm[:, -1]
        self._shown_shift = (
            self._shown[:, :-1],
            self._shown[:, 1:],
            np.zeros((dancers, SHOWN_HISTORY - 1, dim), np.float32),
        )
        self._shown_newest = self._shown[:, -1]
        self._magnitude = np.zeros(shape, np.float32)
        self._sane = np.zeros(shape, bool)
        self._limit = np.array(RESET_LIMIT, np.float32)
        if self.reproject:
            height, width = bundle.height, bundle.width
            self._raw = np.zeros((dancers, dim), np.float32)
            self._cut = np.zeros((dancers, height, width), bool)
            self._threshold = np.array(THRESHOLD, np.float32)
            # An engine's bound encoder input, written in place, spares a copy; a bundle gets a buffer of its own.
            figure = getattr(bundle, "encode_input", None)
            self._figure = np.zeros((dancers, height, width, 1), np.float32) if figure is None else figure
            self._figure_cut = self._figure.reshape(self._cut.shape)

    @property
    def shown(self) -> np.ndarray:
        """The last shown latents (dancers, 4, D), oldest first: a copy, the knots before the next step."""
        return self._shown.copy()

    # --- seeding --------------------------------------------------------------------------
    def _seeds(self, seed: int | Sequence[int]) -> list[int]:
        """One int for a lone dancer (or dancers seed, seed+1, ...), or one per dancer."""
        given = np.asarray(seed)
        if given.ndim == 0:
            return [int(given) + i for i in range(self.dancers)]
        seeds = [int(s) for s in given.ravel()]
        if len(seeds) != self.dancers:
            raise LivedanceError(f"{len(seeds)} seeds for {self.dancers} dancers; expected one per dancer")
        return seeds

    def seed_random(self, seed: int | Sequence[int] = 0, warmup: int | None = None) -> None:
        """Start every dancer from a random window, then run `warmup` hidden steps (default: one window)."""
        self.generators = [np.random.default_rng(s) for s in self._seeds(seed)]
        for i, generator in enumerate(self.generators):
            self._random_window(i, generator)
        self.steps = 0
        self.resets = 0
        warmup = self.bundle.window if warmup is None else int(warmup)
        for _ in range(warmup):
            self.step()
        self.steps = 0

    def seed_from_latents(self, latents: np.ndarray, seed: int | Sequence[int] = 0) -> None:
        """Continue real frames: raw latents (T, D) or (dancers, T, D), T >= window; the last `window` are used.

        No warm-up: the first interpolated frame is the real last frame, and the dance goes on from there.
        """
        latents = np.asarray(latents, np.float32)
        if latents.ndim == 2:
            latents = np.broadcast_to(latents, (self.dancers, *latents.shape))
        window, dim = self.bundle.window, self.bundle.latent_dim
        if latents.ndim != 3 or latents.shape[0] != self.dancers or latents.shape[2] != dim:
            raise LivedanceError(f"latents of shape {latents.shape}; expected (T, {dim}) or ({self.dancers}, T, {dim})")
        if latents.shape[1] < window:
            raise LivedanceError(f"{latents.shape[1]} frames to continue from; expected at least {window}")
        normalised = self.bundle.normalise(latents[:, -window:])
        if not np.all(np.isfinite(normalised)):
            raise LivedanceError("latents to continue from are not finite")
        self.window_norm[...] = normalised
        self._reset_shown()
        self.generators = [np.random.default_rng(s) for s in self._seeds(seed)]
        self.steps = 0
        self.resets = 0

    def set_window(self, window_norm: np.ndarray) -> None:
        """Carry on from this window (dancers, window, D), normalised: its newest latent is the
        last shown one, which the next step's move (and its motion gain) starts from."""
        self.window_norm[...] = window_norm
        self._reset_shown()

    def _random_window(self, dancer: int, generator: np.random.Generator) -> None:
        self.window_norm[dancer] = generator.standard_normal(self.window_norm.shape[1:], dtype=np.float32)
        self._reset_shown(dancer)

    def _reset_shown(self, dancer: int | slice = slice(None)) -> None:
        """Shown history before any step: the window's newest entries."""
        history = min(SHOWN_HISTORY, self.bundle.window)
        self._shown[dancer, -history:] = self.window_norm[dancer, -history:]
        self._shown[dancer, :-history] = self.window_norm[dancer, :1]

    # --- carrying on elsewhere (a replay from a session log's snapshot) ----------------------
    def snapshot(self) -> dict:
        """The window, the shown history and every dancer's random stream, as copies."""
        return {
            "window": self.window_norm.copy(),
            "shown": self._shown.copy(),
            "generators": [generator.bit_generator.state for generator in self.generators],
            "steps": self.steps,
            "resets": self.resets,
        }

    def restore(self, state: dict) -> None:
        """Carry on exactly where `snapshot` was taken (same dancers and model)."""
        if len(state["generators"]) != self.dancers:
            raise LivedanceError(f"a rollout of {len(state['generators'])} dancers; this one has {self.dancers}")
        self.window_norm[...] = state["window"]  # in place: the step's views look into these
        self._shown[...] = state["shown"]
        for generator, random_state in zip(self.generators, state["generators"]):
            generator.bit_generator.state = random_state
        self.steps, self.resets = int(state["steps"]), int(state["resets"])

    # --- stepping -------------------------------------------------------------------------
    def step(self) -> np.ndarray:
        """Advance every dancer one step; returns the shown latents (dancers, D), normalised (a new array)."""
        return self.step_into(np.empty(self._prediction.shape, np.float32))

    def step_into(self, out: np.ndarray) -> np.ndarray:
        """`step()` written into `out` (dancers, D): allocates nothing per call on an engine."""
        prediction = self._prediction
        predicted = self.bundle.step(self.window_norm)
        if self.mean_pull:
            self._factor[...] = 1.0 - self.mean_pull
            np.multiply(predicted, self._factor, out=prediction)
        else:
            np.copyto(prediction, predicted)
        if self.motion_gain != 1.0:  # last + gain * (prediction - last)
            # A contiguous copy of the last shown latents: across several dancers the view is
            # strided, and a ufunc on a strided operand allocates an iterator per call.
            last = self._last
            np.copyto(last, self._shown_newest)
            np.subtract(prediction, last, out=prediction)
            self._factor[...] = self.motion_gain
            np.multiply(prediction, self._factor, out=prediction)
            np.add(prediction, last, out=prediction)
        if self.reproject:
            self._reproject(prediction)
        fed = prediction
        if self.noise:  # prediction + noise * N(0, 1), one stream per dancer
            draws = self._noise_draws
            for generator, row in zip(self.generators, self._noise_rows):
                generator.standard_normal(dtype=np.float32, out=row)
            self._factor[...] = self.noise
            np.multiply(draws, self._factor, out=draws)
            fed = np.add(draws, prediction, out=draws)
        _shift_in(self._window_shift, self._window_newest, fed)
        _shift_in(self._shown_shift, self._shown_newest, prediction)
        self._reset_broken()
        self.steps += 1
        np.copyto(out, self._shown_newest)
        return out

    def _reproject(self, prediction: np.ndarray) -> None:
        """`prediction` becomes the latent the encoder gives to the clean silhouette it decodes to (normalised)."""
        ink = self.bundle.decode(self.bundle.denormalise(prediction, out=self._raw))
        if ink.shape != self._cut.shape:  # a bundle's (N, H, W, 1); an engine's (N, H, W)
            ink = ink.reshape(self._cut.shape)
        np.greater(ink, self._threshold, out=self._cut)
        np.copyto(self._figure_cut, self._cut)
        self.bundle.normalise(self.bundle.encode(self._figure), out=prediction)

    def run(self, steps: int) -> np.ndarray:
        """`steps` steps; returns the shown latents (steps, dancers, D), normalised."""
        out = np.empty((steps, self.dancers, self.bundle.latent_dim), np.float32)
        for t in range(steps):
            self.step_into(out[t])
        return out

    def _reset_broken(self) -> None:
        """Reseed (from its own generator) any dancer whose window went non-finite or exploded."""
        # Every entry finite and within the limit (NaN fails the comparison): nothing to do. A
        # count, not a reduction, which would allocate its iterator.
        np.abs(self.window_norm, out=self._magnitude)
        np.less_equal(self._magnitude, self._limit, out=self._sane)
        if np.count_nonzero(self._sane) == self._sane.size:
            return
        magnitude = np.abs(self.window_norm).max(axis=(1, 2))
        broken = ~np.isfinite(magnitude) | (magnitude > RESET_LIMIT)
        for i in np.flatnonzero(broken):
            self._random_window(int(i), self.generators[i])
            self.resets += 1


# --- interpolation ------------------------------------------------------------------------
def catmull_rom(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, p3: np.ndarray, u) -> np.ndarray:
    """Uniform Catmull-Rom between p1 (u = 0) and p2 (u = 1); p0 and p3 set the tangents.

    `u` is a scalar, or an array of the points' leading shape (one u per row of points).

    The curve passes through every step latent and its velocity is continuous across steps,
    so motion has no kinks at step times (linear interpolation would jerk 12 times a second).
    """
    u = np.asarray(u, np.float32)
    u = u.reshape(u.shape + (1,) * (np.ndim(p1) - u.ndim))
    u2, u3 = u * u, u * u * u
    return (
        p1
        + 0.5 * u * (p2 - p0)
        + u2 * (p0 - 2.5 * p1 + 2.0 * p2 - 0.5 * p3)
        + u3 * (-0.5 * p0 + 1.5 * p1 - 1.5 * p2 + 0.5 * p3)
    ).astype(np.float32, copy=False)


def interpolate(knots: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Sample the Catmull-Rom curve through `knots` (T, ...) at fractional step `positions` (F,).

    Knot t sits at position t; a position needs a knot on either side of its segment, so
    positions must lie in [1, T - 2]. Returns (F, ...).
    """
    knots = np.asarray(knots, np.float32)
    positions = np.asarray(positions, np.float64)
    if len(knots) < 4 and len(positions):
        raise LivedanceError(f"{len(knots)} step latents; interpolation needs at least 4")
    if len(positions) and (positions.min() < 1 or positions.max() > len(knots) - 2):
        raise LivedanceError(f"positions must lie in [1, {len(knots) - 2}] for {len(knots)} step latents")
    segment = np.minimum(np.floor(positions).astype(np.int64), len(knots) - 3)
    u = positions - segment
    return catmull_rom(knots[segment - 1], knots[segment], knots[segment + 1], knots[segment + 2], u)


def frame_positions(frames: int, fps: float, step_rate: float, start: float = 1.0) -> np.ndarray:
    """Fractional step position of each output frame: frame k is shown at time k / fps."""
    return start + np.arange(frames, dtype=np.float64) * (step_rate / fps)


def steps_needed(positions: np.ndarray) -> int:
    """How many knots `interpolate` needs to reach the last position."""
    return int(np.floor(positions[-1])) + 3 if len(positions) else 0


def catmull_rom_weights(u: float, out: np.ndarray | None = None) -> np.ndarray:
    """The weights of p0..p3 in `catmull_rom` at scalar u: the same curve as a weighted sum.

    A live loop samples with one small matrix product into a reused buffer instead of the
    dozen temporaries the polynomial form allocates.
    """
    out = np.empty(4, np.float32) if out is None else out
    u2, u3 = u * u, u * u * u
    out[0] = -0.5 * u + u2 - 0.5 * u3
    out[1] = 1.0 - 2.5 * u2 + 1.5 * u3
    out[2] = 0.5 * u + 2.0 * u2 - 1.5 * u3
    out[3] = -0.5 * u2 + 0.5 * u3
    return out


class Playhead:
    """Streaming Catmull-Rom for a live loop: push step latents as they come, sample in between.

    It plays the segment between the 3rd and 2nd newest latents, so the picture lags the newest
    prediction by one to two steps (83-167 ms at 12 steps/s): the price of a curve that never
    has to guess the future. A knot may be one latent (D,) or a batch of dancers (B, D).
    """

    def __init__(self, history: np.ndarray):
        history = np.asarray(history, np.float32)
        if len(history) < 4:
            raise LivedanceError(f"{len(history)} latents to start a playhead; expected at least 4")
        # A C-contiguous copy: push must not write into the caller's array (often a transposed
        # view), and the flat view sample_into reads must be a view, not a copy.
        self.knots = np.array(history[-4:], np.float32, order="C")
        self._weights = np.zeros(4, np.float32)
        # Views and a scratch made once, so push and sample_into allocate nothing per call.
        self._knots_flat = self.knots.reshape(4, -1)
        self._shift = (self.knots[:-1], self.knots[1:], np.zeros_like(self.knots[1:]))
        self._newest = self.knots[-1]
        self._out: np.ndarray | None = None
        self._out_flat: np.ndarray | None = None

    def reset(self, history: np.ndarray) -> None:
        """Start over from the last 4 of `history` (same shapes), in place."""
        self.knots[...] = np.asarray(history, np.float32)[-4:]

    def push(self, latent: np.ndarray) -> None:
        _shift_in(self._shift, self._newest, latent)

    def sample(self, u: float) -> np.ndarray:
        """Latent at fraction u in [0, 1] of the way from the 3rd newest to the 2nd newest step."""
        return catmull_rom(self.knots[0], self.knots[1], self.knots[2], self.knots[3], min(max(float(u), 0.0), 1.0))

    def sample_into(self, u: float, out: np.ndarray) -> np.ndarray:
        """`sample(u)` written into `out` (a contiguous array of one knot's shape): allocates nothing per call."""
        if out is not self._out:  # the flat view of the caller's buffer, made once per buffer
            if not out.flags.c_contiguous or out.size != self._knots_flat.shape[1]:
                raise LivedanceError(
                    f"playhead output of shape {out.shape}; expected a contiguous {self.knots.shape[1:]}"
                )
            self._out, self._out_flat = out, out.reshape(-1)
        weights = catmull_rom_weights(min(max(float(u), 0.0), 1.0), self._weights)
        # dot, not matmul: the same BLAS product, without the generalised ufunc's per-call iterator.
        np.dot(weights, self._knots_flat, out=self._out_flat)
        return out


def _shift_in(shift: tuple[np.ndarray, np.ndarray, np.ndarray], newest: np.ndarray, value: np.ndarray) -> None:
    """Move every entry one place older (`shift`: the older and newer views, and a scratch) and put `value` last."""
    older, newer, scratch = shift
    np.copyto(scratch, newer)
    np.copyto(older, scratch)
    np.copyto(newest, value)
