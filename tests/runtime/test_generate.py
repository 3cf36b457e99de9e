import numpy as np
import pytest

from livedance.config import GenerationConfig
from livedance.errors import LivedanceError
from livedance.runtime.bundle import Bundle
from livedance.runtime.generate import Playhead, Rollout, catmull_rom, frame_positions, interpolate, steps_needed


class EchoBundle:
    """A bundle whose LSTM repeats the newest latent: isolates the rollout's own arithmetic."""

    window, latent_dim = 10, 4
    generation = GenerationConfig(noise=0.0, mean_pull=0.0, reproject=False)

    def __init__(self):
        self.calls = 0
        self.poison_at = None

    def step(self, window_norm):
        self.calls += 1
        out = window_norm[:, -1].copy()
        if self.calls == self.poison_at:
            out[0] = np.nan
        return out

    def normalise(self, latents):
        return np.asarray(latents, np.float32)


@pytest.fixture(scope="module")
def bundle(bundle_dir):
    return Bundle.load(bundle_dir)


def test_reprojection_shows_the_latent_of_the_clean_figure(bundle):
    """Every shown step is the encoder's latent of a cut-out silhouette: re-projecting it again
    changes little, while the raw prediction it came from is further off."""
    rollout = Rollout(bundle)
    assert rollout.reproject  # the default for bundles that don't say
    rollout.seed_random(3)
    window = rollout.window_norm.copy()
    shown = rollout.step()
    raw = bundle.step(window)
    figure = (bundle.decode(bundle.denormalise(raw)) > 0.5).astype(np.float32)
    np.testing.assert_allclose(shown, bundle.normalise(bundle.encode(figure)), atol=1e-4)
    plain = Rollout(bundle, reproject=False)
    plain.window_norm[...] = window
    np.testing.assert_allclose(plain.step(), raw, atol=1e-5)


def test_motion_gain_scales_each_predicted_move():
    class Drift(EchoBundle):
        def step(self, window_norm):
            return window_norm[:, -1] + 1.0  # moves by one unit a step

    for gain in (1.0, 2.5):
        bundle = Drift()
        bundle.generation = GenerationConfig(noise=0.0, reproject=False, motion_gain=gain)
        rollout = Rollout(bundle)
        rollout.seed_from_latents(np.zeros((10, 4), np.float32))
        steps = rollout.run(3)[:, 0, 0]
        # the first move starts from the last shown latent (the window's newest, 0)
        assert steps[0] == pytest.approx(gain) and steps[1] - steps[0] == pytest.approx(gain)


def test_same_seed_same_dance_other_seed_other_dance(bundle):
    runs = {}
    for seed in (7, 7, 8):
        rollout = Rollout(bundle)
        rollout.seed_random(seed)
        runs.setdefault(seed, []).append(rollout.run(30))
    np.testing.assert_array_equal(runs[7][0], runs[7][1])
    assert np.abs(runs[7][0] - runs[8][0]).mean() > 1e-3


def test_batched_dancers_follow_their_own_seed(bundle):
    together = Rollout(bundle, dancers=3)
    together.seed_random([5, 6, 7])
    batch = together.run(5)
    alone = Rollout(bundle)
    alone.seed_random(6)
    np.testing.assert_allclose(batch[:, 1], alone.run(5)[:, 0], atol=1e-3)
    assert np.abs(batch[:, 0] - batch[:, 2]).mean() > 0.1


def test_noise_keeps_the_window_moving(bundle):
    still = Rollout(bundle, noise=0.0)
    still.seed_random(1)
    moving = Rollout(bundle, noise=0.5)
    moving.seed_random(1)
    a, b = still.run(40), moving.run(40)
    assert not np.array_equal(a, b)
    assert np.all(np.isfinite(b))


def test_warmup_is_hidden_and_deterministic():
    echo = EchoBundle()
    rollout = Rollout(echo, noise=0.0)
    rollout.seed_random(3, warmup=4)
    assert echo.calls == 4 and rollout.steps == 0
    # Echo model, no noise: after warm-up the window's newest latent was repeated four times.
    np.testing.assert_array_equal(rollout.window_norm[0, -4:], np.repeat(rollout.window_norm[0, -5:-4], 4, axis=0))


def test_mean_pull_and_noise_arithmetic():
    rollout = Rollout(EchoBundle(), noise=0.0, mean_pull=0.5)
    rollout.seed_from_latents(np.ones((10, 4)))
    shown = rollout.step()
    np.testing.assert_allclose(shown, 0.5)
    np.testing.assert_allclose(rollout.window_norm[0, -1], 0.5)
    noisy = Rollout(EchoBundle(), noise=1.0)
    noisy.seed_from_latents(np.zeros((10, 4)), seed=2)
    shown = noisy.step()
    np.testing.assert_array_equal(shown, 0.0)  # shown: the clean prediction
    assert np.abs(noisy.window_norm[0, -1]).sum() > 0  # fed back: prediction + noise


def test_seed_from_latents_continues_the_real_frames(bundle):
    latents = np.random.default_rng(0).normal(size=(14, 128)).astype(np.float32)
    rollout = Rollout(bundle)
    rollout.seed_from_latents(latents)
    np.testing.assert_allclose(rollout.window_norm[0], bundle.normalise(latents[-10:]), rtol=1e-6)
    np.testing.assert_allclose(rollout.shown[0, -1], bundle.normalise(latents[-1]), rtol=1e-6)
    with pytest.raises(LivedanceError, match="9 frames to continue from; expected at least 10"):
        rollout.seed_from_latents(latents[:9])


def test_non_finite_dancer_is_reset_alone():
    echo = EchoBundle()
    rollout = Rollout(echo, dancers=2, noise=0.0)
    rollout.seed_random([0, 1], warmup=0)
    before = rollout.window_norm[1].copy()
    echo.poison_at = 1
    rollout.step()
    assert rollout.resets == 1
    assert np.all(np.isfinite(rollout.window_norm))
    np.testing.assert_array_equal(rollout.window_norm[1, :-1], before[1:])


@pytest.mark.parametrize(
    "kwargs, message", [({"noise": -1}, "noise -1"), ({"mean_pull": 2}, "mean_pull 2"), ({"dancers": 0}, "dancers: 0")]
)
def test_bad_settings(kwargs, message):
    with pytest.raises(LivedanceError, match=message):
        Rollout(EchoBundle(), **kwargs)


def test_interpolation_hits_the_steps():
    knots = np.random.default_rng(0).normal(size=(8, 2, 5)).astype(np.float32)
    np.testing.assert_allclose(interpolate(knots, np.arange(1, 7)), knots[1:7], atol=1e-6)
    assert interpolate(knots, [2.5]).shape == (1, 2, 5)


@pytest.mark.parametrize("fps, step_rate", [(30, 12), (60, 12), (30, 3), (24, 10)])
def test_interpolation_never_jumps_more_than_a_step(bundle, fps, step_rate):
    rollout = Rollout(bundle)
    rollout.seed_random(4)
    knots = np.concatenate([rollout.shown[:, -2:].transpose(1, 0, 2), rollout.run(40)])[:, 0]
    positions = frame_positions(fps * 3, fps, step_rate)
    assert steps_needed(positions) <= len(knots)
    frames = interpolate(knots, positions)
    step_sizes = np.linalg.norm(np.diff(knots, axis=0), axis=1)  # step j -> j+1
    frame_jumps = np.linalg.norm(np.diff(frames, axis=0), axis=1)
    segment = np.floor(positions[1:] - 1e-9).astype(int)
    local = np.maximum.reduce([step_sizes[np.clip(segment + k, 0, len(step_sizes) - 1)] for k in (-1, 0, 1)])
    assert np.all(frame_jumps <= local + 1e-5)
    assert np.all(frame_jumps <= step_sizes.max())


def test_playhead_matches_offline_interpolation():
    knots = np.random.default_rng(1).normal(size=(6, 3)).astype(np.float32)
    playhead = Playhead(knots[:4])
    np.testing.assert_allclose(playhead.sample(0.3), interpolate(knots, [1.3])[0], atol=1e-6)
    playhead.push(knots[4])
    np.testing.assert_allclose(playhead.sample(0.75), interpolate(knots, [2.75])[0], atol=1e-6)
    np.testing.assert_allclose(playhead.sample(0.0), knots[2], atol=1e-6)


def test_catmull_rom_is_linear_on_a_line():
    points = [np.array([float(i)]) for i in range(4)]
    for u in (0.0, 0.25, 0.5, 1.0):
        np.testing.assert_allclose(catmull_rom(*points, u), [1.0 + u], atol=1e-6)
