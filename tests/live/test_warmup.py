"""A new dancer warmed up on its own thread, on a twin of the engine's buffers, comes back as
the same dancer a warm-up in the call gives, whatever the display thread runs meanwhile."""

import numpy as np
import pytest

from livedance.live.warmup import Warmup
from livedance.runtime.engine import Engine
from livedance.runtime.generate import Rollout


@pytest.fixture(scope="module")
def engine():
    return Engine("models/default", dancers=1).prepare()


def test_a_twin_shares_the_sessions_and_not_the_buffers(engine):
    twin = engine.twin()
    assert twin.bundle is engine.bundle and twin.ready
    assert twin.step_input is not engine.step_input and twin.encode_input is not engine.encode_input
    window = np.random.default_rng(0).standard_normal(engine.step_input.shape).astype(np.float32)
    np.testing.assert_array_equal(twin.step(window), engine.step(window))


def test_the_warmed_up_dancer_is_the_one_a_warm_up_in_the_call_gives(engine):
    warmup = Warmup(engine, Rollout(engine, dancers=1))
    busy = Rollout(engine, dancers=1)  # the display thread's own dancer, stepping all the while
    busy.seed_random(1, warmup=0)
    warmup.start(7, 0.4)
    for _ in range(20):
        busy.step()
    state = warmup.take()
    alone = Rollout(engine, dancers=1, noise=0.4)
    alone.seed_random(7)
    np.testing.assert_array_equal(state["window"], alone.window_norm)
    np.testing.assert_array_equal(state["shown"], alone.shown)
    assert state["generators"] == [g.bit_generator.state for g in alone.generators]


def test_one_warm_up_at_a_time_and_the_latest_is_taken(engine):
    warmup = Warmup(engine, Rollout(engine, dancers=1))
    warmup.start(3, 0.3)
    warmup.start(4, 0.3)  # waits for the first
    alone = Rollout(engine, dancers=1, noise=0.3)
    alone.seed_random(4)
    np.testing.assert_array_equal(warmup.take()["window"], alone.window_norm)
    with pytest.raises(RuntimeError, match="before start"):
        warmup.take()  # taken once


def test_a_fault_in_the_warm_up_is_raised_where_it_is_taken(engine):
    warmup = Warmup(engine, Rollout(engine, dancers=1))
    warmup.start(-1, 0.3)  # numpy refuses a negative seed, on the warm-up's thread
    with pytest.raises(ValueError, match="negative"):
        warmup.take()
    warmup.start(2, 0.3)  # and the next one warms up as ever
    assert np.all(np.isfinite(warmup.take()["window"]))
