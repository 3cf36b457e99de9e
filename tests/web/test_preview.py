"""The preview sink: small JPEG frames for the pages, drawn and copied only while one is watching."""

import json

import cv2
import numpy as np
import pytest
from waiting import wait_until
from websockets.sync.client import connect

from livedance.control.controls import ControlBus
from livedance.outputs.feed import Feed
from livedance.video.look import Look
from livedance.web.page import PageOptions, render
from livedance.web.preview import PreviewSink, preview_size
from livedance.web.server import WebServer


@pytest.mark.parametrize(
    "window, size",
    [((1920, 1080), (320, 180)), ((1280, 720), (320, 180)), ((640, 480), (320, 240)), ((200, 100), (200, 100))],
)
def test_the_preview_is_320_wide_in_the_window_s_shape(window, size):
    assert preview_size(window) == size


@pytest.fixture
def server():
    server = WebServer(ControlBus(), render(PageOptions()), port=0).start()
    yield server
    server.close()


def test_frames_reach_a_page_as_jpeg_at_the_preview_s_rate_and_only_while_one_watches(server):
    feed = Feed((640, 480), (64, 64))
    sink = feed.add(PreviewSink(server, (640, 480)))
    ink = np.zeros((1, 64, 64), np.float32)
    ink[0, 16:48, 24:40] = 1.0
    canvas = np.zeros((480, 640, 3), np.uint8)
    for frame in range(60):  # a second at 60 fps, nobody watching: nothing drawn, nothing copied
        feed.offer(canvas, ink, Look(), frame / 60, 1 / 60)
    assert sink.offered == 0 and not sink.wants(1.0)
    with connect(f"ws://127.0.0.1:{server.port}/ws", open_timeout=5) as page:
        wait_until(lambda: server.watching)
        for frame in range(60, 120):
            feed.offer(canvas, ink, Look(), frame / 60, 1 / 60)
        assert 14 <= sink.offered <= 16  # 15 a second
        jpeg = None
        while jpeg is None:
            message = page.recv(timeout=5)
            jpeg = message if isinstance(message, bytes) else None
            assert isinstance(message, bytes) or json.loads(message)["type"] in ("values", "status")
    picture = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert picture.shape == (240, 320) and picture.max() > 128 > picture.min()  # the figure on the ground
    feed.close()
