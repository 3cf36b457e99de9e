"""The feed: each sink gets the show's frame at its own size, keyed where it carries alpha."""

import numpy as np
import pytest
from waiting import wait_until

from livedance.errors import LivedanceError
from livedance.outputs.feed import Feed
from livedance.outputs.sink import Sink
from livedance.runtime.engine import Engine
from livedance.video.look import Compositor, Look

WINDOW = (160, 120)


class Keeping(Sink):
    kind = "test"

    def __init__(self, name, size, channels):
        super().__init__(name, size, channels)
        self.last = None

    def _send(self, frame, t):
        self.last = frame.copy()


class Refusing(Sink):
    kind = "test"

    def _open(self):
        raise LivedanceError("--test: not here")


@pytest.fixture(scope="module")
def ink():
    engine = Engine("models/default").prepare()
    return engine.decode(engine.denormalise(np.zeros((1, engine.latent_dim), np.float32))).copy()


def test_each_sink_gets_its_own_size_and_channels(ink):
    feed = Feed(WINDOW, (120, 200))
    same = feed.add(Keeping("same", WINDOW, 3))
    big = feed.add(Keeping("big", (640, 360), 3))
    keyed = feed.add(Keeping("keyed", (640, 360), 4))
    picture = Compositor(WINDOW, (120, 200))
    canvas = picture.compose(ink, Look())
    feed.offer(canvas, ink, Look(), 0.0)
    wait_until(lambda: all(s.sent == 1 for s in feed.sinks))
    assert np.array_equal(same.last, canvas)  # the window's own picture, not drawn again
    assert big.last.shape == (360, 640, 3) and keyed.last.shape == (360, 640, 4)
    figure_big, figure_keyed = big.last[..., 0] < 128, keyed.last[..., 3] > 127
    assert (figure_big & figure_keyed).sum() / (figure_big | figure_keyed).sum() >= 0.99
    assert len(feed.close()) == 3 and not any(s.alive for s in (same, big, keyed))


def test_a_sink_that_refuses_to_start_is_not_fed():
    feed = Feed(WINDOW, (120, 200))
    with pytest.raises(LivedanceError, match="not here"):
        feed.add(Refusing("no", WINDOW))
    assert feed.sinks == [] and feed.status() == []


def test_another_frame_size_rebuilds_the_drawing_groups(ink):
    feed = Feed(WINDOW, (120, 200))
    keyed = feed.add(Keeping("keyed", (320, 180), 4))
    feed.resize((60, 100))
    small_ink = ink[:, ::2, ::2].copy()
    feed.offer(np.zeros((WINDOW[1], WINDOW[0], 3), np.uint8), small_ink, Look(), 0.0)
    wait_until(lambda: keyed.sent == 1)
    assert keyed.last.shape == (180, 320, 4)
    feed.close()
