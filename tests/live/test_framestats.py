"""Frame statistics: the HUD's half-second figures."""

import pytest

from livedance.live.framestats import WINDOW_SECONDS, FrameStats


@pytest.mark.parametrize(("fps", "work"), [(60, 0.004), (30, 0.010), (144, 0.001)])
def test_the_window_reports_rate_mean_and_worst_work(fps, work):
    stats = FrameStats()
    stats.restart(10.0)
    t = 10.0
    for i in range(round(fps * WINDOW_SECONDS) + 1):
        began = t
        t += 1 / fps
        stats.account(began, began + (3 * work if i == 3 else work))  # one slow frame
    assert stats.shown_fps == pytest.approx(fps, rel=0.1)
    assert 1000 * work < stats.frame_ms < 1000 * work * 1.2  # the slow frame is in the mean...
    assert stats.worst_ms == pytest.approx(3000 * work)  # ...and is the worst


def test_nothing_is_reported_before_a_window_has_passed():
    stats = FrameStats()
    stats.restart(0.0)
    stats.account(0.0, 0.01)
    assert (stats.shown_fps, stats.frame_ms, stats.worst_ms) == (0.0, 0.0, 0.0)
