"""A clock for the live loop that makes frames repeatable in tests."""


class VirtualClock:
    """Advances a fixed tick on every reading: about 1/60 s per frame of the loop."""

    def __init__(self, tick=1 / 180):
        self.now, self.tick = 100.0, tick

    def __call__(self):
        self.now += self.tick
        return self.now
