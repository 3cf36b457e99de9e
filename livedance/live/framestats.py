"""How the loop is keeping up: dropped slots, and the frame rate and frame cost of the last half second.

The HUD reads the half-second figures; the summary, bench and tests read the totals.
"""

from __future__ import annotations

WINDOW_SECONDS = 0.5


class FrameStats:
    def __init__(self) -> None:
        self.dropped = 0  # display slots missed, counted when a late frame skips ahead
        self.first_frame_at: float | None = None
        self.elapsed = 0.0  # seconds the last `run` lasted
        self.last_drawn: float | None = None  # show time of the last frame drawn (trails fade by the time since)
        self.shown_fps = 0.0
        self.frame_ms = 0.0  # mean work per frame over the last window
        self.worst_ms = 0.0
        self._frames = 0
        self._work = 0.0
        self._worst = 0.0
        self._since = 0.0

    def restart(self, now: float) -> None:
        """Start a new averaging window at `now` (a run begins)."""
        self._since = now
        self._frames, self._work, self._worst = 0, 0.0, 0.0

    def account(self, began: float, ended: float) -> None:
        """One frame's work, from `began` to `ended` on the loop's clock."""
        work = ended - began
        self._frames += 1
        self._work += work
        self._worst = max(self._worst, work)
        if ended - self._since >= WINDOW_SECONDS:
            self.shown_fps = self._frames / (ended - self._since)
            self.frame_ms = 1000.0 * self._work / self._frames
            self.worst_ms = 1000.0 * self._worst
            self.restart(ended)
