"""The latent state the controls drive, on the shipped model; time is simulated, never measured."""

import numpy as np
import pytest

from livedance.choreographer import CROSSFADE_SECONDS, MAX_STEPS_PER_FRAME, Choreographer
from livedance.engine import Engine
from livedance.errors import LivedanceError
from livedance.generate import Playhead

FPS = 60.0


@pytest.fixture(scope="module")
def engine():
    return Engine("models/default", dancers=1).prepare()


def play(choreographer, seconds, start=0.0, fps=FPS):
    """Frames (copies) for `seconds` of simulated time at `fps`, from time `start`."""
    count = int(round(seconds * fps))
    return np.stack([choreographer.frame(start + k / fps).copy() for k in range(count)])


def largest_jump(frames):
    return float(np.linalg.norm(np.diff(frames, axis=0), axis=-1).max())


def play_with_knots(choreographer, seconds, start=0.0, fps=FPS):
    """Like `play`, also returning each step latent as it arrives (the data steps)."""
    knots, frames = [], []
    for k in range(int(round(seconds * fps))):
        steps = choreographer.steps
        frames.append(choreographer.frame(start + k / fps).copy())
        if choreographer.steps != steps:
            knots.append(choreographer.playhead.knots[-1].copy())
    return np.stack(frames), np.stack(knots)


def test_frames_change_over_time_and_reuse_one_buffer(engine):
    choreographer = Choreographer(engine, seed=1)
    first = choreographer.frame(0.0)
    assert choreographer.frame(0.5) is first
    frames = play(choreographer, 2.0, start=1.0)
    assert frames.shape == (120, 1, 128) and np.all(np.isfinite(frames))
    assert np.linalg.norm(frames[-1] - frames[0]) > 1.0
    assert choreographer.steps > 0


def test_same_seed_same_latents(engine):
    a, b = Choreographer(engine, seed=4), Choreographer(engine, seed=4)
    np.testing.assert_array_equal(play(a, 1.5), play(b, 1.5))


def test_reseed_changes_the_dancer_without_a_jump(engine):
    choreographer = Choreographer(engine, seed=2)
    before, knots = play_with_knots(choreographer, 1.0)
    other = Choreographer(engine, seed=2)
    play(other, 1.0)
    assert choreographer.reseed(9) == 9 and choreographer.seed == 9
    # It is seed 9's own dancer from here on (the crossfade only changes what is shown).
    np.testing.assert_array_equal(choreographer.rollout.window_norm, Choreographer(engine, seed=9).rollout.window_norm)
    after = play(choreographer, 2.0, start=1.0)
    same = play(other, 2.0, start=1.0)
    assert np.linalg.norm(after[-1] - same[-1]) > 1.0
    # The crossfade starts from the pose on screen: no frame jumps further than a data step.
    assert largest_jump(np.concatenate([before, after])) <= largest_jump(knots)
    assert choreographer.reseed() != 9


def test_dancer_i_follows_seed_plus_i():
    pair = Choreographer(Engine("models/default", dancers=2).prepare(), seed=5)
    alone = Choreographer(Engine("models/default", dancers=1).prepare(), seed=6)
    np.testing.assert_allclose(play(pair, 0.5)[:, 1], play(alone, 0.5)[:, 0], atol=1e-2)
    with pytest.raises(LivedanceError, match="dancers: 3"):
        Choreographer(alone.engine, dancers=3)


def test_freeze_holds_exactly_and_resumes_without_a_jump(engine):
    choreographer = Choreographer(engine, seed=3)
    moving = play(choreographer, 1.0)
    choreographer.freeze(True)
    assert choreographer.frozen and choreographer.step_rate == 0 and "frozen" in choreographer.mode
    held = play(choreographer, 2.0, start=1.0)
    assert np.array_equal(held, np.broadcast_to(moving[-1], held.shape))
    steps = choreographer.steps
    choreographer.freeze(False)
    resumed = play(choreographer, 1.0, start=3.0)
    assert choreographer.steps > steps
    assert np.linalg.norm(resumed[0] - moving[-1]) <= 1.5 * largest_jump(moving)


def test_interpolation_is_continuous(engine):
    frames, knots = play_with_knots(Choreographer(engine, seed=6), 4.0)
    assert len(knots) > 40
    assert largest_jump(frames) <= largest_jump(knots)


def count_steps(choreographer, seconds, fps=FPS):
    before = choreographer.steps
    play(choreographer, seconds, fps=fps)
    return choreographer.steps - before


def test_speed_two_steps_twice_as_often(engine):
    normal, fast = Choreographer(engine), Choreographer(engine)
    fast.speed = 2.0
    assert fast.step_rate == 2 * normal.step_rate
    plain = count_steps(normal, 5.0)
    assert abs(plain - 5 * engine.step_rate) <= 1
    assert abs(count_steps(fast, 5.0) - 2 * plain) <= 2
    fast.speed = 100
    assert fast.speed == 4.0


def test_tempo_lock(engine):
    choreographer = Choreographer(engine)
    choreographer.set_tempo(120, steps_per_beat=4)
    assert choreographer.step_rate == 8.0 and "120 BPM" in choreographer.mode
    assert abs(count_steps(choreographer, 10.0) - 80) <= 1
    choreographer.set_tempo(120)  # nearest to the model's 12 steps/s
    assert choreographer.tempo == (120.0, 6)
    choreographer.unlock_tempo()
    assert choreographer.step_rate == engine.step_rate and choreographer.tempo is None


def test_catch_up_is_bounded_after_a_stall(engine):
    choreographer = Choreographer(engine)
    choreographer.frame(0.0)
    choreographer.frame(5.0)  # a five-second stall: 60 steps due
    assert choreographer.steps == MAX_STEPS_PER_FRAME and choreographer.skipped_steps > 50


def test_perturb_and_noise_change_the_dance(engine):
    calm, shaken = Choreographer(engine, seed=8), Choreographer(engine, seed=8)
    play(calm, 0.5), play(shaken, 0.5)
    shaken.perturb(2.0)
    assert np.linalg.norm(play(calm, 1.0, start=0.5)[-1] - play(shaken, 1.0, start=0.5)[-1]) > 1.0
    shaken.noise = 0.0
    assert shaken.noise == shaken.temperature == 0.0
    with pytest.raises(LivedanceError, match="noise"):
        shaken.noise = -1
    with pytest.raises(LivedanceError, match="perturb amount"):
        shaken.perturb(float("nan"))


def test_non_finite_state_is_reset(engine):
    choreographer = Choreographer(engine, seed=2)
    play(choreographer, 0.5)
    choreographer.rollout.window_norm[0, 4] = np.nan  # the LSTM will predict NaN
    frames = play(choreographer, 1.0, start=0.5)
    assert np.all(np.isfinite(frames)) and choreographer.resets >= 1 and choreographer.seed == 2
    choreographer.playhead.knots[2] = np.inf  # shown directly
    assert np.all(np.isfinite(choreographer.frame(1.6)))
    assert choreographer.resets >= 2


def test_reset_on_demand_crossfades(engine):
    choreographer = Choreographer(engine, seed=3)
    before = play(choreographer, 1.0)
    choreographer.reset()
    after = play(choreographer, CROSSFADE_SECONDS + 0.5, start=1.0)
    assert choreographer.seed == 3 and np.all(np.isfinite(after))
    np.testing.assert_allclose(after[0], before[-1], atol=1e-3 + largest_jump(before))


def test_playhead_sample_into_matches_sample():
    knots = np.random.default_rng(2).normal(size=(5, 3, 8)).astype(np.float32)
    playhead = Playhead(knots[:4])
    out = np.empty((3, 8), np.float32)
    for u in (0.0, 0.3, 1.0):
        assert playhead.sample_into(u, out) is out
        np.testing.assert_allclose(out, playhead.sample(u), atol=1e-5)
    playhead.push(knots[4])
    np.testing.assert_allclose(playhead.sample_into(0.0, out), knots[2], atol=1e-6)
    assert np.array_equal(knots[:4], np.random.default_rng(2).normal(size=(5, 3, 8)).astype(np.float32)[:4])
    with pytest.raises(LivedanceError, match="playhead output"):
        playhead.sample_into(0.5, np.empty((3, 4), np.float32))
