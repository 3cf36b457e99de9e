"""Nobody else plays the show: listeners opened to the network need --allow before anything
starts, and a control from outside picks a model by name only, never by path (docs/security.md).

The show is real (the shipped bundle, SDL's dummy driver); OSC and the page are on loopback.
"""

import json
import os

os.environ["SDL_VIDEODRIVER"] = "dummy"

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from pythonosc.udp_client import SimpleUDPClient  # noqa: E402
from waiting import wait_until  # noqa: E402

from livedance.cli import main  # noqa: E402
from livedance.control.osc import OscServer  # noqa: E402
from livedance.live.command import build  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402
from livedance.web.server import WebServer  # noqa: E402

MODEL = str(Path(__file__).resolve().parents[2] / "models" / "default")
PATHS = ["../../etc", "/etc", "..", "models/salsa", MODEL]  # MODEL: even the one the show runs, as a path


# --- the flags -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "flags, first_words",
    [
        (["--osc-host", "0.0.0.0"], "--osc-host 0.0.0.0: open to the network, so say who may play it: --allow CIDR"),
        (["--osc-host", "::"], "--osc-host ::: open to the network"),
        (["--no-osc", "--web", "0.0.0.0:0"], "--web 0.0.0.0: open to the network"),
        (["--allow", "lan"], "--allow 'lan': expected an address or a network"),
        (["--osc-host", "0.0.0.0", "--allow", "10.0.0.0/33"], "--allow '10.0.0.0/33': expected an address"),
    ],
)
def test_a_listener_opened_to_the_network_without_allow_stops_the_start_in_one_line(capsys, flags, first_words):
    assert main(["live", "--model", MODEL, "--headless", "--seconds", "1", *flags]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"livedance live: error: {first_words}"), captured.err
    assert captured.err.count("\n") == 1 and "played" not in captured.out  # refused before the show began


# --- a model by name only -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def show(tmp_path_factory):
    folder = tmp_path_factory.mktemp("security")
    settings = LiveSettings(model=MODEL, fps=0.0, hud=False, osc_port=0, web="0", record_dir=str(folder))
    instrument = build(settings, headless=True, size=(160, 120))
    instrument.run(frames=2)
    yield instrument
    instrument.finish()
    instrument.close()


def refused_for_paths(show, source: str, sent: int) -> None:
    """Every path was refused in one line, nothing loads, and the show plays on with its model."""
    counts = show.bus.count(source)
    wait_until(lambda: counts.refused >= sent, 10)
    frames = show.performance.frames
    show.run(frames=5)
    assert show.performance.frames == frames + 5 and show.performance.model_name == "default"
    assert counts.refused == sent and counts.received == 0 and show.switcher.pending is None
    assert show.bus.last_refusal == f"{source}: model {MODEL!r}: expected a name or an index >= 0, not a path"


def test_a_model_path_sent_over_osc_is_refused(show):
    port = next(source for source in show.inputs if isinstance(source, OscServer)).port
    client = SimpleUDPClient("127.0.0.1", port)
    for path in PATHS:
        client.send_message("/livedance/model", path)
    refused_for_paths(show, "osc", len(PATHS))


def test_a_model_path_sent_from_the_page_is_refused(show):
    from websockets.sync.client import connect

    server = next(source for source in show.inputs if isinstance(source, WebServer))
    with connect(f"ws://127.0.0.1:{server.port}/ws", open_timeout=5) as connection:
        for path in PATHS:
            connection.send(json.dumps({"name": "model", "value": path}))
        refused_for_paths(show, "web", len(PATHS))


def test_a_model_name_that_is_no_bundle_is_refused_on_the_hud_and_the_show_plays_on(show):
    SimpleUDPClient("127.0.0.1", next(s for s in show.inputs if isinstance(s, OscServer)).port).send_message(
        "/livedance/model", "etc"
    )
    wait_until(lambda: (show.run(frames=1) or True) and "no model bundle there" in show.performance.last_control, 20)
    assert show.performance.last_control.startswith("model 'etc': no model bundle there; expected one of default")
    assert show.performance.model_name == "default"
