import numpy as np
import pytest

from livedance.control.clock import PPQN, ClockFollower, TapTempo


def clock_times(bpm: float, beats: float, jitter: float = 0.0, seed: int = 0, start: float = 1000.0) -> np.ndarray:
    """Tick arrival times: an ideal clock plus uniform +-jitter seconds per tick."""
    n = int(round(beats * PPQN))
    ideal = start + np.arange(n) * 60.0 / (bpm * PPQN)
    return ideal + np.random.default_rng(seed).uniform(-jitter, jitter, n)


def feed(follower: ClockFollower, times) -> list[tuple[int, float]]:
    """(tick index, estimate) for every tick that returned one."""
    return [(i, bpm) for i, t in enumerate(times) if (bpm := follower.tick(float(t))) is not None]


@pytest.mark.parametrize("bpm", [60.0, 120.0, 174.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clock_within_one_percent_with_jitter(bpm, seed):
    follower = ClockFollower()
    follower.start(999.0)
    estimates = feed(follower, clock_times(bpm, beats=8, jitter=0.002, seed=seed))
    # Once per beat, from the second beat on: beats 2..8 -> 7 estimates, each on a beat's tick.
    assert [i for i, _ in estimates] == [PPQN * k for k in range(1, 8)]
    for _, estimate in estimates:
        assert estimate == pytest.approx(bpm, rel=0.01)
    assert follower.bpm == estimates[-1][1]
    assert follower.running


def test_least_squares_beats_a_single_interval():
    """A 2-ms-late last tick would put one interval ~10% off at 120 BPM; the fit barely moves."""
    times = clock_times(120.0, beats=2 + 1 / PPQN)
    times[-1] += 0.002
    follower = ClockFollower()
    estimates = feed(follower, times)
    assert estimates[-1][1] == pytest.approx(120.0, rel=0.002)


@pytest.mark.parametrize(
    "first, second",
    [(120.0, 140.0), (140.0, 90.0), (60.0, 174.0)],
)
def test_clock_follows_a_tempo_change_within_two_beats(first, second):
    a = clock_times(first, beats=4, jitter=0.001, seed=3)
    b = clock_times(second, beats=4, jitter=0.001, seed=4, start=a[-1] + 60.0 / (second * PPQN))
    follower = ClockFollower()
    feed(follower, a)
    assert follower.bpm == pytest.approx(first, rel=0.01)
    estimates = feed(follower, b)
    # After two full beats of the new tempo the window holds nothing of the old one.
    settled = [bpm for i, bpm in estimates if i >= 2 * PPQN]
    assert settled and all(bpm == pytest.approx(second, rel=0.01) for bpm in settled)


def test_a_long_gap_forgets_the_old_ticks():
    """A clock that pauses and comes back at another tempo: the pause is not averaged in."""
    follower = ClockFollower()
    feed(follower, clock_times(120.0, beats=3))
    estimates = feed(follower, clock_times(100.0, beats=2 + 1 / PPQN, start=2000.0))
    assert len(estimates) == 2  # a whole beat is needed again before the first new estimate
    assert all(bpm == pytest.approx(100.0, rel=0.001) for _, bpm in estimates)


def test_no_estimate_before_a_beat_of_ticks():
    follower = ClockFollower()
    assert feed(follower, clock_times(120.0, beats=1)) == []  # 24 ticks = 23 intervals
    assert follower.bpm is None


def test_time_going_backwards_restarts():
    follower = ClockFollower()
    times = clock_times(120.0, beats=1.5)
    feed(follower, times)
    assert feed(follower, clock_times(120.0, beats=1, start=times[0] - 10.0)) == []


@pytest.mark.parametrize("transport", ["stop", "stop+continue"])
def test_stop_keeps_the_tempo(transport):
    follower = ClockFollower()
    follower.start(0.0)
    feed(follower, clock_times(120.0, beats=3, start=0.0))
    follower.stop(10.0)
    assert not follower.running
    assert follower.bpm == pytest.approx(120.0)
    if transport == "stop+continue":
        follower.continue_(20.0)
        assert follower.running
        assert follower.bpm == pytest.approx(120.0)
        # Continue starts the window over: the next estimate needs a beat of fresh ticks.
        assert feed(follower, clock_times(90.0, beats=1, start=20.0)) == []
        assert follower.tick(20.0 + 24 * 60.0 / (90.0 * PPQN)) == pytest.approx(90.0)


def test_the_beat_counts_from_the_first_tick_after_start_while_the_transport_runs():
    follower = ClockFollower()
    feed(follower, clock_times(120.0, beats=1, start=0.0))
    assert follower.beat is None  # no start: a clock-only device gives the tempo, not the phase
    follower.start(5.0)
    feed(follower, clock_times(120.0, beats=2, start=5.0))  # ticks 0 .. 47
    assert follower.beat == 47 / PPQN
    follower.stop(7.0)
    feed(follower, clock_times(120.0, beats=1, start=8.0))  # a stopped transport's ticks don't move it
    assert follower.beat == 47 / PPQN
    follower.continue_(9.0)
    follower.tick(9.0)
    assert follower.beat == 2.0


@pytest.mark.parametrize(
    "taps, expected",
    [
        ([0.0], [None]),
        ([0.0, 0.5], [None, 120.0]),
        ([0.0, 0.5, 1.0, 1.5], [None, 120.0, 120.0, 120.0]),
        # mean of the last 4 intervals (0.5, 0.5, 0.5, 0.7); the first (1.0) has dropped out
        ([0.0, 1.0, 1.5, 2.0, 2.5, 3.2], [None, 60.0, 80.0, 90.0, 96.0, 60.0 / 0.55]),
        # a gap over 2 s starts over
        ([0.0, 0.5, 3.0, 3.4], [None, 120.0, None, 150.0]),
        # a bounce (a second tap within 0.1 s) is ignored
        ([0.0, 0.5, 0.52, 1.0], [None, 120.0, None, 120.0]),
    ],
)
def test_tap_tempo(taps, expected):
    tapper = TapTempo()
    got = [tapper.tap(t) for t in taps]
    assert got == [None if e is None else pytest.approx(e) for e in expected]
    last = [e for e in expected if e is not None]
    assert tapper.bpm == (pytest.approx(last[-1]) if last else None)
