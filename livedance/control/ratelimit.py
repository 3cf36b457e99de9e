"""A token bucket: how many messages a sender may send, so a flood costs a bounded amount.

The OSC server keeps one per sending host and the control page one per browser; a message over
the limit is counted as refused before it is parsed.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimit:
    """`rate` a second, `burst` at once."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.last = burst, clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class PerSender:
    """One `RateLimit` per sender, remembering at most `most` senders (spoofed ones can't grow it)."""

    def __init__(self, rate: float, burst: float, most: int = 256, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.most, self.clock = rate, burst, most, clock
        self._limits: dict[str, RateLimit] = {}

    def allow(self, sender: str) -> bool:
        limit = self._limits.get(sender)
        if limit is None:
            if len(self._limits) >= self.most:
                self._limits.clear()
            limit = self._limits[sender] = RateLimit(self.rate, self.burst, self.clock)
        return limit.allow()
