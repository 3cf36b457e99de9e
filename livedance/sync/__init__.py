"""Sync: whose tempo and beat the step clock follows.

The tempo rule (`tempo`: four sources, one leader, followed without a jump) and Ableton Link
(`link`, the optional `link` extra, on its own thread). Producers on other threads (MIDI
clock, Link, audio beat tracking) offer `(bpm, beat, at)`; the display loop follows the
leader once a frame. May import the top-level `errors` and `worker` only: `control` and
`live` import this package, never the other way round.
"""
