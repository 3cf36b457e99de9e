"""A token bucket: how many messages a sender may send, so a flood costs a bounded amount.

The OSC server keeps one per sending host (a bundle costs the messages it carries) and the
control page one per browser; what is over the limit is counted as refused, not handled.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimit:
    """`rate` a second, `burst` at once."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.last = burst, clock()

    def allow(self, cost: float = 1.0) -> bool:
        """Take `cost` tokens (a bundle costs its messages), or refuse and take none."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


class PerSender:
    """One `RateLimit` per sender, remembering at most `most` senders (spoofed ones can't grow it)."""

    def __init__(self, rate: float, burst: float, most: int = 256, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.most, self.clock = rate, burst, most, clock
        self._limits: dict[str, RateLimit] = {}

    def allow(self, sender: str, cost: float = 1.0) -> bool:
        limit = self._limits.get(sender)
        if limit is None:
            if len(self._limits) >= self.most:  # forget the sender met longest ago, not everyone
                del self._limits[next(iter(self._limits))]
            limit = self._limits[sender] = RateLimit(self.rate, self.burst, self.clock)
        return limit.allow(cost)
