"""The latent state the controls drive, on the shipped model; time is simulated, never measured."""

import numpy as np
import pytest

from livedance.errors import LivedanceError
from livedance.live.choreographer import (
    CROSSFADE_SECONDS,
    LOOP_CAPACITY,
    MAX_BPM,
    MAX_STEPS_PER_FRAME,
    MIN_BPM,
    MIN_RESTART_S,
    WARMUP_SECONDS,
    Choreographer,
)
from livedance.runtime.engine import Engine
from livedance.runtime.generate import Playhead

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
    after = play(choreographer, 2.0, start=1.0)
    same = play(other, 2.0, start=1.0)
    assert np.linalg.norm(after[-1] - same[-1]) > 1.0
    # The crossfade starts from the pose on screen: no frame jumps further than a data step.
    assert largest_jump(np.concatenate([before, after])) <= largest_jump(knots)
    assert choreographer.reseed() != 9


def test_a_new_dancer_comes_in_warmup_seconds_after_the_ask(engine):
    """Warmed up on its own thread meanwhile; it lands at a show time, so a replay lands it on the same frame."""
    choreographer = Choreographer(engine, seed=2)
    choreographer.frame(1.0)  # the ask comes after this frame
    choreographer.freeze(True)  # no steps: the window is the dancer that came in
    old = choreographer.rollout.window_norm.copy()
    choreographer.reseed(9)
    for now in (1.02, 1.05, 1.0 + WARMUP_SECONDS - 0.002):
        choreographer.frame(now)
        np.testing.assert_array_equal(choreographer.rollout.window_norm, old)  # the old dancer meanwhile
    choreographer.frame(1.0 + WARMUP_SECONDS + 0.002)  # the first frame at its show time
    # It is seed 9's own dancer from here on (the crossfade only changes what is shown).
    np.testing.assert_array_equal(choreographer.rollout.window_norm, Choreographer(engine, seed=9).rollout.window_norm)


def test_a_perturb_asked_for_while_a_new_dancer_is_on_its_way_is_kept_for_it(engine):
    jolted, plain = Choreographer(engine, seed=2), Choreographer(engine, seed=2)
    for c in (jolted, plain):
        play(c, 1.0)
        c.freeze(True)
        c.reseed(9)
    jolted.perturb(2.0)
    for c in (jolted, plain):
        play(c, 0.2, start=1.0)
    arrived = Choreographer(engine, seed=9).rollout.window_norm
    np.testing.assert_array_equal(plain.rollout.window_norm, arrived)
    assert np.linalg.norm(jolted.rollout.window_norm - arrived) > 10.0  # the new dancer got the jolt


def test_a_loop_is_refused_until_the_new_dancer_has_come_in(engine):
    choreographer = Choreographer(engine, seed=2)
    play(choreographer, 1.0)
    choreographer.reseed(9)
    with pytest.raises(LivedanceError, match="loop: dancer 9 is on its way; loop once it has come in"):
        choreographer.loop(8)
    play(choreographer, 0.2, start=1.0)
    choreographer.loop(8)
    assert choreographer.looping is not None  # all the new dancer has shown so far, up to 8 steps


def test_a_warm_up_that_fails_leaves_the_old_dancer_dancing(engine, warned):
    choreographer, alone = Choreographer(engine, seed=2), Choreographer(engine, seed=2)
    play(choreographer, 1.0)
    play(alone, 1.0)
    choreographer._restart(-1)  # numpy refuses a negative seed, on the warm-up's thread
    np.testing.assert_array_equal(play(choreographer, 1.0, start=1.0), play(alone, 1.0, start=1.0))
    assert choreographer.seed == 2
    said = warned.about("new dancer -1")
    assert len(said) == 1 and "not started" in said[0] and "dancer 2 dances on" in said[0], said


def test_new_dancers_asked_for_in_a_flood_start_at_most_every_min_restart_s(engine):
    """Each new dancer costs a warm-up: a flood of pads must cost a few, not one each."""
    flooded, twin = Choreographer(engine, seed=2), Choreographer(engine, seed=2)
    play(flooded, 1.0)
    play(twin, 1.0)
    for seed in (11, 12, 13):
        flooded.reseed(seed)
    twin.reseed(11)
    assert flooded.seed == 13  # shown at once
    np.testing.assert_array_equal(flooded.rollout.window_norm, twin.rollout.window_norm)  # 11 on its way in both
    half = play(flooded, MIN_RESTART_S / 2, start=1.0)
    np.testing.assert_array_equal(half, play(twin, MIN_RESTART_S / 2, start=1.0))  # 13 waits its turn
    twin.reseed(13)  # asked for just before its turn: it waits too
    later = play(flooded, 0.5, start=1.0 + MIN_RESTART_S)
    np.testing.assert_array_equal(later, play(twin, 0.5, start=1.0 + MIN_RESTART_S))
    assert (flooded.restarts_passed_over, twin.restarts_passed_over) == (1, 0)  # 12 never started
    np.testing.assert_array_equal(flooded.rollout.window_norm, twin.rollout.window_norm)


def test_a_waiting_new_dancer_survives_a_snapshot(engine):
    choreographer = Choreographer(engine, seed=2)
    play(choreographer, 1.0)
    choreographer.reseed(5)
    choreographer.reseed(6)
    state = choreographer.snapshot()
    again = Choreographer(engine, seed=0)
    again.restore(state)
    after = play(choreographer, 1.0, start=1.0 + 1 / FPS)
    np.testing.assert_array_equal(play(again, 1.0, start=1.0 + 1 / FPS), after)


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
    # Found by tests/fuzz: 20 BPM wanted 36 steps per beat, past the parameter's range (1 to 24).
    choreographer.set_tempo(20)
    assert choreographer.tempo == (20.0, 24)
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
    assert shaken.noise == 0.0 and shaken.temperature == 1.0  # temperature is the pose's, not the noise
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


# --- pose intensity, latent offsets ----------------------------------------------------------
@pytest.mark.parametrize("temperature", [0.0, 0.5, 1.0, 2.0])
def test_temperature_scales_the_pose_away_from_the_mean(engine, temperature):
    plain, scaled = Choreographer(engine, seed=7), Choreographer(engine, seed=7)
    scaled.temperature = temperature
    mean = engine.bundle.latent_mean
    shown, dreamt = play(scaled, 1.0), play(plain, 1.0)
    if temperature == 0.0:  # the average pose, exactly, whatever the dancer does
        assert np.array_equal(shown, np.broadcast_to(mean, shown.shape))
    elif temperature == 1.0:
        assert np.array_equal(shown, dreamt)
    else:
        np.testing.assert_allclose(shown - mean, (dreamt - mean) * temperature, atol=1e-3)
    # Display-side only: the dance underneath is the same.
    assert np.array_equal(scaled.rollout.window_norm, plain.rollout.window_norm)
    assert scaled.noise == plain.noise


@pytest.mark.parametrize("index, value", [(0, 1.0), (5, -2.5), (127, 0.25)])
def test_an_offset_moves_only_its_dimension_by_value_times_std(engine, index, value):
    plain, steered = Choreographer(engine, seed=3), Choreographer(engine, seed=3)
    steered.set_offset(index, value)
    assert steered.offset[index] == value and np.count_nonzero(steered.offset) == 1
    moved = play(steered, 1.0) - play(plain, 1.0)
    np.testing.assert_allclose(moved[..., index], value * engine.bundle.latent_std[index], rtol=1e-4, atol=1e-4)
    assert not np.any(np.delete(moved, index, axis=-1))
    assert np.array_equal(steered.rollout.window_norm, plain.rollout.window_norm)  # steers the picture only


def test_zero_offsets_leave_the_frames_alone(engine):
    plain, zeroed = Choreographer(engine, seed=3), Choreographer(engine, seed=3)
    zeroed.set_offsets(np.full(engine.latent_dim, 0.5))
    play(zeroed, 0.5), play(plain, 0.5)
    zeroed.set_offsets([0.0] * engine.latent_dim)
    assert np.array_equal(play(zeroed, 1.0, start=0.5), play(plain, 1.0, start=0.5))
    offset = zeroed.offset
    offset[0] = 1.0  # a copy: set_offset is the way in
    assert not np.any(zeroed.offset) and offset.dtype == np.float32 and offset.shape == (engine.latent_dim,)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c.set_offsets([1.0, 2.0, 3.0]), "latent offsets: 3 values; expected 128"),
        (lambda c: c.set_offsets(np.zeros(129)), "latent offsets: 129 values; expected 128"),
        (lambda c: c.set_offsets(np.zeros((1, 128))), "latent offsets: an array of shape \\(1, 128\\); expected 128"),
        (lambda c: c.set_offsets(["a"] * 128), "latent offsets: a list; expected 128 numbers"),
        (lambda c: c.set_offsets([float("nan")] * 128), "latent offsets: not all finite"),
        (lambda c: c.set_offset(128, 1.0), "latent index: 128; expected a whole number from 0 to 127"),
        (lambda c: c.set_offset(-1, 1.0), "latent index: -1"),
        (lambda c: c.set_offset(2, float("inf")), "latent/2 offset"),
        (lambda c: setattr(c, "temperature", -0.5), "temperature: -0.5; expected a number >= 0"),
        (lambda c: setattr(c, "temperature", "hot"), "temperature: 'hot'; expected a finite number"),
        (lambda c: setattr(c, "nudge", float("nan")), "nudge"),
    ],
)
def test_bad_shaping_values_are_one_line_errors(engine, change, message):
    choreographer = Choreographer(engine)
    with pytest.raises(LivedanceError, match=message) as error:
        change(choreographer)
    assert "\n" not in str(error.value)
    assert choreographer.temperature == 1.0 and not np.any(choreographer.offset) and choreographer.nudge == 0.0


# --- the step clock: nudge, downbeat, tempo x2 and /2 ----------------------------------------
@pytest.mark.parametrize("locked", [False, True])
@pytest.mark.parametrize("nudge, factor", [(1.0, 1.1), (-1.0, 0.9), (0.5, 1.05), (7.0, 1.1)])
def test_nudge_bends_the_step_rate(engine, locked, nudge, factor):
    plain, nudged = Choreographer(engine), Choreographer(engine)
    for choreographer in (plain, nudged):
        if locked:
            choreographer.set_tempo(120, steps_per_beat=5)
    nudged.nudge = nudge
    assert nudged.nudge == min(nudge, 1.0)
    assert nudged.step_rate == pytest.approx(factor * plain.step_rate)
    assert f"nudge {100 * (factor - 1):+.2g}%" in nudged.mode
    steps = count_steps(plain, 10.0)
    assert abs(count_steps(nudged, 10.0) - factor * steps) <= 1
    nudged.nudge = 0
    assert nudged.step_rate == plain.step_rate and "nudge" not in nudged.mode


# Tempo-locked at 120 BPM x 4 = 8 steps/s and shown at 32 fps, every phase is an exact multiple of
# 1/4: a step lands on every 4th frame and repeats sample at exactly the same phase.
LOCKED_FPS = 32.0


def locked(engine, seed):
    choreographer = Choreographer(engine, seed=seed)
    choreographer.set_tempo(120, steps_per_beat=4)
    return choreographer


def test_downbeat_makes_the_next_frame_take_a_step(engine):
    choreographer = locked(engine, seed=1)
    play(choreographer, 1.0 + 3 / LOCKED_FPS, fps=LOCKED_FPS)  # the last frame half way between two steps
    assert choreographer.phase == 0.5
    now = 1.0 + 2 / LOCKED_FPS + 0.001
    steps = choreographer.steps
    choreographer.downbeat()
    choreographer.frame(now)
    assert choreographer.steps == steps + 1 and choreographer.phase == 0.0
    # The clock counts from the downbeat: the next step is one interval (1/8 s) later.
    choreographer.frame(now + 0.124)
    assert choreographer.steps == steps + 1
    choreographer.frame(now + 0.126)
    assert choreographer.steps == steps + 2
    # Frozen, the pose holds exactly; the downbeat waits for the clock to run again.
    choreographer.freeze(True)
    held = choreographer.frame(now + 0.2).copy()
    choreographer.downbeat()
    assert np.array_equal(choreographer.frame(now + 0.3), held) and choreographer.steps == steps + 2
    choreographer.freeze(False)
    choreographer.frame(now + 0.3)
    assert choreographer.steps == steps + 3


@pytest.mark.parametrize(
    "start, change, expected",
    [
        (("tempo", 120.0, 4), "tempo_double", ("tempo", 240.0, 4)),
        (("tempo", 120.0, 4), "tempo_half", ("tempo", 60.0, 4)),
        (("tempo", 300.0, 3), "tempo_double", ("tempo", MAX_BPM, 3)),
        (("tempo", 30.0, 8), "tempo_half", ("tempo", MIN_BPM, 8)),
        (("speed", 1.0), "tempo_double", ("speed", 2.0)),
        (("speed", 1.0), "tempo_half", ("speed", 0.5)),
        (("speed", 3.0), "tempo_double", ("speed", 4.0)),
        (("speed", 0.15), "tempo_half", ("speed", 0.1)),
    ],
)
def test_tempo_double_and_half(engine, start, change, expected):
    choreographer = Choreographer(engine)
    if start[0] == "tempo":
        choreographer.set_tempo(start[1], steps_per_beat=start[2])
    else:
        choreographer.speed = start[1]
    assert getattr(choreographer, change)() is None
    if expected[0] == "tempo":
        assert choreographer.tempo == expected[1:]
        assert choreographer.step_rate == pytest.approx(expected[1] * expected[2] / 60.0)
    else:
        assert choreographer.tempo is None and choreographer.speed == pytest.approx(expected[1])
        assert choreographer.step_rate == pytest.approx(expected[1] * engine.step_rate)


# --- the phrase loop -------------------------------------------------------------------------
def test_loop_repeats_the_phrase_and_release_dreams_on_without_a_jump(engine):
    choreographer = locked(engine, seed=0)
    before, knots = play_with_knots(choreographer, 3.0, fps=LOCKED_FPS)
    choreographer.loop(8)
    assert choreographer.looping == 8 and "loop 8 steps" in choreographer.mode
    lstm_steps, steps = choreographer.rollout.steps, choreographer.steps
    period = 8 * 4  # frames per loop: 8 steps of 4 frames
    looped, phrase = play_with_knots(choreographer, 4.5, start=3.0, fps=LOCKED_FPS)
    assert choreographer.rollout.steps == lstm_steps and choreographer.steps == steps + 36  # the LSTM rests
    # The same 8 steps, again and again, sampled at the same phase: identical pictures.
    assert np.array_equal(looped[period:], looped[:-period])
    assert np.array_equal(phrase[8:], phrase[:-8]) and np.array_equal(phrase[:8], knots[-8:])
    assert np.linalg.norm(looped[0] - before[-1]) <= largest_jump(knots)
    # Freeze holds while looping, and the loop goes on after.
    choreographer.freeze(True)
    assert np.array_equal(choreographer.frame(7.6), looped[-1]) and choreographer.looping == 8
    choreographer.freeze(False)
    choreographer.release_loop()  # in the middle of the phrase, 4 steps after its seam
    assert choreographer.looping is None and "loop" not in choreographer.mode
    after, dreamt = play_with_knots(choreographer, 3.0, start=7.5 + 1 / LOCKED_FPS, fps=LOCKED_FPS)
    assert choreographer.rollout.steps > lstm_steps
    # No jump: no frame moves further than a step did before the loop, nor the first dreamt step.
    step = largest_jump(knots)
    assert largest_jump(np.concatenate([looped[-1:], after])) <= step
    assert np.linalg.norm(dreamt[0] - phrase[-1]) <= step
    # ...and it dances on: away from what the loop would have shown.
    would_loop = looped[(len(looped) + np.arange(len(after))) % period]
    assert np.linalg.norm(after[-period:] - would_loop[-period:], axis=-1).max() > 1.0


def test_loop_with_too_little_history_loops_what_there_is(engine):
    choreographer = Choreographer(engine, seed=5)
    choreographer.loop(LOOP_CAPACITY)  # nothing stepped yet: the 4 steps the dancer starts from
    assert choreographer.looping == 4
    _, knots = play_with_knots(choreographer, 2.0)
    assert len(knots) > 12 and np.array_equal(knots[4:], knots[:-4])
    choreographer.loop(2)  # re-cut: the last 2 steps shown
    assert choreographer.looping == 2
    _, knots = play_with_knots(choreographer, 1.0, start=2.0)
    assert np.array_equal(knots[2:], knots[:-2])


@pytest.mark.parametrize("steps", [0, LOOP_CAPACITY + 1, 2.5, True, "8"])
def test_loop_length_is_checked(engine, steps):
    choreographer = Choreographer(engine)
    with pytest.raises(
        LivedanceError, match=f"loop steps: {steps!r}; expected a whole number from 1 to {LOOP_CAPACITY}"
    ):
        choreographer.loop(steps)
    assert choreographer.looping is None


@pytest.mark.parametrize(
    "change, seed",
    [(lambda c: c.reseed(9), 9), (lambda c: c.reset(), 4), (lambda c: c.reseed(), None)],
    ids=["jump", "reset", "reseed"],
)
def test_a_new_dancer_releases_the_loop(engine, change, seed):
    choreographer = Choreographer(engine, seed=4)
    _, knots = play_with_knots(choreographer, 1.0)
    choreographer.loop(8)
    before = play(choreographer, 0.5, start=1.0)
    change(choreographer)
    assert choreographer.looping is None and "loop" not in choreographer.mode
    if seed is not None:
        assert choreographer.seed == seed
    choreographer.freeze(True)  # no steps: the window is the dancer that came in
    arriving = play(choreographer, 0.2, start=1.5)  # the LSTM dreams on from the loop until the new dancer comes in
    arrived = Choreographer(engine, seed=choreographer.seed).rollout.window_norm
    np.testing.assert_array_equal(choreographer.rollout.window_norm, arrived)
    choreographer.freeze(False)
    lstm_steps = choreographer.rollout.steps
    after = play(choreographer, 1.0, start=1.7)
    assert choreographer.rollout.steps > lstm_steps and np.all(np.isfinite(after))
    assert largest_jump(np.concatenate([before, arriving, after])) <= largest_jump(knots)  # crossfaded in
    choreographer.release_loop()  # nothing to release: harmless


# --- the music's beat and accents -------------------------------------------------------------
def test_beat_phase_counts_steps_within_the_beat(engine):
    c = Choreographer(engine, seed=1)
    assert c.beat_phase is None  # free: no beat
    c.set_tempo(120.0, 6)  # 12 steps/s, a beat every 0.5 s
    c.downbeat()
    c.frame(0.0)
    phases = []
    for k in range(1, 60):
        c.frame(k / FPS)
        phases.append(c.beat_phase)
    assert phases[28] == pytest.approx((29 / FPS) / 0.5, abs=1e-6)
    assert all(0.0 <= p < 1.0 for p in phases) and phases[31] < phases[28]  # a new beat at 0.5 s


def test_relabelling_the_beat_moves_the_beat_not_the_dancer(engine):
    plain, relabelled = Choreographer(engine, seed=1), Choreographer(engine, seed=1)
    for c in (plain, relabelled):
        c.set_tempo(120.0, 6)
        c.frame(0.0)
    relabelled.relabel_beat(2)
    for k in range(1, 30):
        assert np.array_equal(plain.frame(k / FPS), relabelled.frame(k / FPS))
    assert (relabelled.beat_phase - plain.beat_phase) % 1.0 == pytest.approx(2 / 6)


def test_an_accent_swells_the_pose_and_fades(engine):
    plain, hit = Choreographer(engine, seed=3), Choreographer(engine, seed=3)
    for c in (plain, hit):
        play(c, 0.5)
    hit.accent(1.0)
    assert hit.accenting == 1.0
    mean = np.asarray(engine.bundle.latent_mean)
    distances = []
    for k in range(30):
        now = 0.5 + k / FPS
        a, b = plain.frame(now), hit.frame(now)
        distances.append(np.linalg.norm(b - mean) / np.linalg.norm(a - mean))
    assert distances[0] == pytest.approx(1.5, rel=1e-3)  # the first frame shows it whole
    assert distances[-1] < distances[5] < distances[0]
    play(hit, 1.0, start=1.5)
    assert hit.accenting == 0.0  # faded out: nothing left to do per frame


def test_an_accent_jolts_the_dance_and_zero_does_nothing(engine):
    a, b = Choreographer(engine, seed=3), Choreographer(engine, seed=3)
    b.accent(0.0)
    assert b.accenting == 0.0 and np.array_equal(play(a, 0.5), play(b, 0.5))
    b.accent(0.8)
    assert not np.allclose(play(a, 0.5, start=0.5), play(b, 0.5, start=0.5))
    for bad in (-0.1, 1.5, float("nan"), "loud"):
        with pytest.raises(LivedanceError, match="accent"):
            b.accent(bad)


# --- carrying on from a session log's snapshot -------------------------------------------------
def through_a_file(state):
    """A snapshot as a replay reads it back: written as a control log line, then decoded."""
    import json

    from livedance.recording.sessionlog import arrays, line

    return arrays(json.loads(line({"state": state}))["state"])


@pytest.mark.parametrize("moment", ["looping", "crossfading", "accenting", "frozen", "on its way"])
def test_a_restored_choreographer_dances_on_exactly(engine, moment):
    live = Choreographer(engine, seed=4)
    live.set_tempo(100.0)
    live.temperature, live.nudge = 1.2, 0.3
    live.set_offset(5, 1.5)
    play(live, 2.0)
    live.perturb(0.5)  # its noise comes from the dancers' random streams, carried on below
    if moment == "looping":
        live.loop(7)
    elif moment == "crossfading":
        live.reseed(11)
    elif moment == "accenting":
        live.accent(0.8)
    play(live, 0.2, start=2.0)
    if moment == "on its way":
        live.reseed(11)  # warming up when the snapshot is taken, a jolt waiting for it
        live.perturb(0.7)
    live.freeze(moment == "frozen")
    other = Choreographer(engine, seed=99)  # another dance, overwritten whole
    other.restore(through_a_file(live.snapshot()))
    later = [(2.3, "perturb"), (2.6, "release"), (3.0, "freeze off"), (3.4, "loop"), (3.7, "reseed")]
    danced = {}
    for c in (live, other):
        frames = []
        for k in range(int(2.2 * FPS)):
            now = 2.2 + k / FPS
            for at, what in later:
                if abs(now - at) < 0.5 / FPS:
                    {
                        "perturb": lambda: c.perturb(1.0),
                        "release": c.release_loop,
                        "freeze off": lambda: c.freeze(False),
                        "loop": lambda: c.loop(12),
                        "reseed": lambda: c.reseed(5),
                    }[what]()
            frames.append(c.frame(now).copy())
        danced[c] = np.stack(frames)
    np.testing.assert_array_equal(danced[other], danced[live])
    assert other.seed == 5 and other.tempo == live.tempo and other.steps == live.steps
    assert np.abs(np.diff(danced[live], axis=0)).max() > 0  # it danced


def test_another_model_takes_the_settings_and_starts_from_the_seed(engine):
    live = Choreographer(engine, seed=4)
    live.set_tempo(90.0, 4)
    live.speed, live.temperature = 2.0, 0.8
    play(live, 1.0)
    state = through_a_file(live.snapshot())
    state["model"] = "models/salsa"  # as a replay with --model sees it
    other = Choreographer(engine, seed=0)
    other.restore(state)
    fresh = Choreographer(engine, seed=4)
    assert other.tempo == (90.0, 4) and other.speed == 2.0 and other.temperature == 0.8
    assert other.phase == live.phase and other.clock_time == live.clock_time
    np.testing.assert_array_equal(other.rollout.window_norm, fresh.rollout.window_norm)
