"""The page's server over real sockets on 127.0.0.1: HTTP, WebSockets, limits, the token and feedback.

The "loop side" is a bare ControlBus: `drain` is what the mixer takes, `publish` what it applied.
"""

import json
import sys
import urllib.error
import urllib.request

import pytest
from waiting import wait_until
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, InvalidStatus
from websockets.sync.client import connect

from livedance.control.controls import ControlBus
from livedance.errors import LivedanceError
from livedance.web.access import COOKIE, MISSING_EXTRA
from livedance.web.page import PageOptions, render
from livedance.web.server import BURST, MAX_FRAME, Browser, WebServer

PAGE = render(PageOptions(latent_dims=4))


@pytest.fixture
def bus():
    return ControlBus()


@pytest.fixture
def server(bus):
    server = WebServer(bus, PAGE, port=0, status=lambda: ["60.0/60 fps", "recording"]).start()
    yield server
    server.close()


def get(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def ws(server, query=""):
    return connect(f"ws://127.0.0.1:{server.port}/ws{query}", open_timeout=5)


def receive(connection, want, timeout=5.0):
    """Messages until one of type `want` (JSON) or a preview (bytes, want="preview")."""
    while True:
        message = connection.recv(timeout=timeout)
        if isinstance(message, bytes):
            if want == "preview":
                return message
            continue
        data = json.loads(message)
        if data["type"] == want:
            return data


def values(connection, timeout=5.0):
    return {(c["name"], c["index"]): c for c in receive(connection, "values", timeout)["values"]}


def test_the_page_and_its_files_are_served_with_a_strict_policy(server):
    status, headers, body = get(server.url)
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b'data-name="speed"' in body
    assert "default-src 'self'" in headers["Content-Security-Policy"] and "Set-Cookie" not in headers
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        status, headers, body = get(server.url + "static/" + name)
        assert status == 200 and headers["Content-Type"].startswith(kind) and body
    assert get(server.url + "static/../server.py")[0] == 404
    assert get(server.url + "nothing")[0] == 404


def test_a_message_reaches_the_bus_and_a_bad_one_is_refused_and_counted(server, bus):
    with ws(server) as connection:
        connection.send(json.dumps({"name": "speed", "value": 2.0}))
        connection.send(json.dumps({"name": "nope", "value": 1}))
        connection.send(b"binary")
        wait_until(lambda: bus.count("web").received + bus.count("web").refused >= 3)
    controls = bus.drain([])
    assert [(c.name, c.value, c.source) for c in controls] == [("speed", 2.0, "web")]
    assert bus.count("web").refused == 2 and "binary message" in bus.last_refusal


def test_a_page_that_connects_gets_the_current_state_then_every_change(server, bus):
    bus.publish("speed", 2.0)
    bus.publish("latent", 1.5, 2)
    with ws(server) as first, ws(server) as second:
        for connection in (first, second):
            state = values(connection)
            assert state[("speed", None)]["value"] == 2.0 and state[("latent", 2)]["norm"] == pytest.approx(0.75)
        bus.publish("freeze", True)  # from anywhere: a key, MIDI, OSC or another browser
        for connection in (first, second):
            assert values(connection)[("freeze", None)]["value"] is True


def test_the_status_lines_come_a_few_times_a_second(server):
    with ws(server) as connection:
        assert receive(connection, "status")["lines"] == ["60.0/60 fps", "recording"]


def test_the_preview_goes_to_every_page_and_a_slow_one_keeps_only_the_newest(server, bus):
    with ws(server) as connection:
        wait_until(lambda: server.watching)
        server.show_preview(b"\xff\xd8jpeg")
        assert receive(connection, "preview") == b"\xff\xd8jpeg"
    wait_until(lambda: not server.watching)
    browser = Browser(connection=None)
    for frame in (b"1", b"2", b"3"):
        browser.put_preview(frame)
    assert browser.take(0.1)[2] == b"3" and browser.previews_dropped == 2
    browser.put_values([{"name": "speed", "index": None, "value": 1}, {"name": "speed", "index": None, "value": 2}])
    assert browser.take(0.1)[0] == [{"name": "speed", "index": None, "value": 2}]  # the latest per parameter


def test_a_flood_is_cut_to_the_rate_and_counted(server, bus):
    with ws(server) as connection:
        for _ in range(int(BURST) + 200):
            connection.send('{"name":"nudge","value":0.1}')
        wait_until(lambda: bus.count("web").received + bus.count("web").refused >= BURST + 200)
    assert BURST <= bus.count("web").received < BURST + 200 and bus.count("web").refused > 0
    assert "messages a second" in bus.last_refusal


def test_a_browser_that_keeps_flooding_is_hung_up_on_and_turned_away(bus):
    server = WebServer(bus, PAGE, port=0, flood=(1.0, 20)).start()  # hung up on after 20 refusals at once
    try:
        with ws(server) as connection:
            with pytest.raises(ConnectionClosed) as closed:
                for _ in range(int(BURST) + 200):
                    connection.send('{"name":"nudge","value":0.1}')
                connection.recv(timeout=5)
            assert closed.value.rcvd is None or closed.value.rcvd.code == 1008
        wait_until(lambda: "hung up" in bus.last_refusal)
        received = bus.count("web").received
        assert received < BURST + 200  # not all: what got past the rate before the hang-up
        with pytest.raises(InvalidStatus) as turned_away:
            ws(server)
        assert turned_away.value.response.status_code == 429
        assert bus.count("web").received == received
    finally:
        server.close()


def test_a_message_too_big_closes_the_connection_and_is_counted(server, bus):
    with ws(server) as connection:
        connection.send("x" * (MAX_FRAME + 1))
        with pytest.raises(ConnectionClosedError):
            connection.recv(timeout=5)
    wait_until(lambda: bus.count("web").refused == 1)
    assert "1009" in bus.last_refusal


def test_a_request_without_the_token_is_refused_when_open_to_the_network(bus):
    with WebServer(bus, PAGE, port=0, token=True) as server:  # the token as a network host gets it, on loopback
        token = server.access.token
        assert server.url.endswith(f"/?t={token}")
        bare = f"http://127.0.0.1:{server.port}/"
        assert get(bare)[0] == 403 and get(bare + "static/app.js")[0] == 403
        assert get(bare + "?t=" + token[:-1] + "x")[0] == 403
        with pytest.raises(InvalidStatus, match="403"):
            ws(server)
        assert bus.count("web").refused == 4
        status, headers, _ = get(server.url)
        assert status == 200 and headers["Set-Cookie"].startswith(f"{COOKIE}={token}")
        assert get(bare + "static/app.js", Cookie=f"{COOKIE}={token}")[0] == 200
        with ws(server, f"?t={token}") as connection:
            connection.send('{"name":"hud","value":false}')
            wait_until(lambda: bus.count("web").received == 1)


def test_loopback_refuses_other_hosts_and_origins(server, bus):
    assert get(server.url, Host="evil.example")[0] == 403
    with pytest.raises(InvalidStatus, match="403"):
        connect(f"ws://127.0.0.1:{server.port}/ws", origin="http://evil.example", open_timeout=5)
    assert bus.count("web").refused == 2


def test_close_ends_every_thread_and_frees_the_port(bus):
    server = WebServer(bus, PAGE, port=0).start()
    with ws(server) as connection:
        wait_until(lambda: server.watching)
        assert bus.status["web"] == f"web page on http://127.0.0.1:{server.port}/"
        server.close()
        assert not server.alive and "web" not in bus.status and bus._listeners == []
        with pytest.raises(ConnectionClosed, match="1001"):  # going away
            while True:
                connection.recv(timeout=5)
    again = WebServer(bus, PAGE, port=server.port).start()  # the port is free again
    again.close()


def test_a_port_in_use_is_one_line(server, bus):
    with pytest.raises(LivedanceError, match=rf"^--web 127.0.0.1:{server.port}: cannot listen there"):
        WebServer(bus, PAGE, port=server.port).start()


def test_without_the_web_extra_start_says_which_extra(bus, monkeypatch):
    monkeypatch.setitem(sys.modules, "websockets.sync.server", None)
    with pytest.raises(LivedanceError, match=r"^--web: needs the web extra: pip install 'livedance\[web\]'$"):
        WebServer(bus, PAGE, port=0).start()
    assert MISSING_EXTRA.startswith("--web")
