"""The sink base: frames handed over without waiting, the newest sent, the rest dropped and counted."""

import threading
import time

import numpy as np
import pytest
from waiting import wait_until

from livedance.outputs.sink import Sink

SIZE = (32, 24)


class Keeping(Sink):
    """Keeps what it is sent; `gate` (when given) holds each send until it is set."""

    kind = "test"

    def __init__(self, fps=None, gate=None):
        super().__init__("keeping", SIZE, fps=fps)
        self.gate, self.got = gate, []

    def _send(self, frame, t):
        if self.gate is not None:
            self.gate.wait()
        self.got.append((int(frame[0, 0, 0]), t))


class Broken(Sink):
    kind = "test"

    def _send(self, frame, t):
        raise OSError(5, "receiver gone")


def frame(n):
    return np.full((SIZE[1], SIZE[0], 3), n % 256, np.uint8)


def test_a_free_sink_gets_every_frame_in_order():
    with Keeping() as sink:
        for n in range(50):
            assert sink.offer(frame(n), n / 60)
            wait_until(lambda: sink.sent == n + 1)
    assert [value for value, _ in sink.got] == list(range(50)) and sink.dropped == 0


def test_a_sink_that_blocks_forever_costs_the_show_nothing():
    gate = threading.Event()  # never set while the show plays: the receiver is stuck
    sink = Keeping(gate=gate).start()
    try:
        began = time.perf_counter()
        for n in range(600):
            sink.offer(frame(n), n / 60)
        spent = time.perf_counter() - began
        assert spent < 1.0  # ten seconds of frames handed over in a fraction of one: no waiting
        assert sink.offered == 600 and sink.sent == 0
        assert sink.dropped >= 598  # one is being sent (stuck), one waits: the rest were replaced
        gate.set()  # the receiver comes back: what it gets next is the newest frame
        wait_until(lambda: sink.got and sink.got[-1][0] == 599 % 256)
        assert sink.sent <= 2
    finally:
        gate.set()
        sink.close()


def test_the_sink_s_own_rate_takes_only_frames_that_are_due():
    with Keeping(fps=20) as sink:
        taken = [sink.offer(frame(n), n / 60) for n in range(60)]
    assert sum(taken) == 20 and taken[:4] == [True, False, False, True]


def test_a_failing_receiver_is_named_and_the_offers_go_on():
    with Broken("broken", SIZE) as sink:
        for n in range(3):
            sink.offer(frame(n), n / 60)
            wait_until(lambda: sink.failed is not None)
        assert sink.alive and "receiver gone" in sink.status()


def test_a_closed_sink_takes_nothing():
    sink = Keeping().start()
    sink.close()
    assert not sink.offer(frame(1), 0.0) and sink.offered == 0


@pytest.mark.parametrize("channels", [3, 4])
def test_frames_must_match_the_sink_s_shape(channels):
    with Sink("any", SIZE, channels=channels) as sink:
        sink.offer(np.zeros((SIZE[1], SIZE[0], channels), np.uint8), 0.0)
        with pytest.raises(ValueError):
            sink.offer(np.zeros((SIZE[1], SIZE[0], 7 - channels), np.uint8), 1.0)


def test_a_bgr_frame_goes_to_a_bgra_only_protocol_opaque_without_a_new_buffer():
    sink = Sink("opaque", (8, 4), channels=3)
    frame = np.full((4, 8, 3), (10, 20, 30), np.uint8)
    first = sink._as_bgra(frame)
    assert first.shape == (4, 8, 4) and (first[..., :3] == (10, 20, 30)).all() and (first[..., 3] == 255).all()
    assert sink._as_bgra(frame) is first  # the same buffer, made once
    keyed = np.zeros((4, 8, 4), np.uint8)
    assert sink._as_bgra(keyed) is keyed  # a keyed frame goes as it is
