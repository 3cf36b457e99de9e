"""`steadiness`: the soak's judgement of "no worse" must pass a steady show and fail a slowing one."""

import numpy as np
import pytest

from livedance.tools.steadiness import BLOCKS, blocks, steadiness

FPS, WINDOW_S, RUN_S = 30.0, 60.0, 360.0  # six windows of ten blocks, like the hour's 10-minute windows


def show(seed: int, last_window: float = 1.0, creep: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Frame end times and work: a steady body, bursts that repeat with the script (a take in
    the first 3 s of every 6-s block), each block busier or quieter at random, as a shared
    machine's are; then the last window scaled, or every frame slowed in proportion to its time."""
    rng = np.random.default_rng(seed)
    ended = np.arange(0.0, RUN_S, 1.0 / FPS)
    block = WINDOW_S / BLOCKS
    busy = rng.uniform(0.9, 1.1, int(RUN_S / block))[(ended // block).astype(int)]
    work = rng.gamma(20.0, 0.0006, len(ended)) + ((ended % block) < 3.0) * rng.exponential(0.004, len(ended))
    work *= busy * (1.0 + creep * ended / RUN_S)
    work[ended >= RUN_S - WINDOW_S] *= last_window
    return ended, work.astype(np.float32)


SEEDS = range(10)


@pytest.mark.parametrize(
    ("last_window", "creep", "worse", "crept"),  # how many of the ten shows are called each: (least, most)
    [
        (1.0, 0.0, (0, 1), (0, 1)),  # the same show all along: a false alarm at most once
        (0.8, 0.0, (0, 0), (0, 0)),  # faster at the end is never worse
        (1.25, 0.0, (10, 10), (10, 10)),  # the last window a quarter slower: always caught
        (1.0, 0.3, (10, 10), (10, 10)),  # every frame slowing with time: always caught, by both
    ],
)
def test_steadiness_tells_a_slowing_show_from_a_steady_one(last_window, creep, worse, crept):
    called = {"worse": 0, "crept": 0}
    for seed in range(10):
        ended, work = show(seed, last_window, creep)
        steady = steadiness(ended, work, 0.0, WINDOW_S, RUN_S, seed=seed, resamples=400)
        low, high = steady.interval
        assert low <= steady.ratio <= high
        called["worse"] += bool(steady.worse)
        called["crept"] += bool(steady.trend_interval[0] > 0.0)
    assert worse[0] <= called["worse"] <= worse[1], called
    assert crept[0] <= called["crept"] <= crept[1], called


def test_a_steady_show_has_an_interval_around_one_and_a_block_p99_each():
    ended, work = show(7)
    steady = steadiness(ended, work, 0.0, WINDOW_S, RUN_S)
    assert steady.interval[0] < 1.0 < steady.interval[1]
    assert steady.trend_interval[0] < 0.0 < steady.trend_interval[1]
    assert len(steady.block_p99_ms) == int(RUN_S / WINDOW_S) * BLOCKS
    assert "no worse" in steady.describe()


def test_a_run_too_short_to_tell_its_spread_says_so():
    ended, work = show(0)
    steady = steadiness(ended, work, 0.0, WINDOW_S * 8, WINDOW_S * 0.8)  # eight blocks: four a half
    assert steady.interval is None and steady.worse is None
    assert "too few blocks" in steady.describe()


def test_blocks_keep_only_the_frames_inside_the_run():
    ended = np.array([9.0, 10.0, 10.5, 11.2, 12.9, 13.0, 14.0])
    work = np.arange(1, 8, dtype=np.float32) / 1000.0
    parts = blocks(ended, work, start=10.0, block_s=1.0, count=3)
    assert [list(np.round(p, 3)) for p in parts] == [[2.0, 3.0], [4.0], [5.0]]
