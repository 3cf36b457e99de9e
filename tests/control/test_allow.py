"""Who may play a listener: the rule as a table, then OSC and the page opened to "the network"
for real, with peers inside and outside `--allow`.

A test cannot use a real network, so the open listeners run in this file re-run inside a new
network namespace that has only `lo` (tests/netns.py): there they bind 0.0.0.0 as a show opened
to the network would, and the peers are other loopback addresses (a socket may send from any of
127/8), since only 127.0.0.1 and ::1 count as this machine for an open listener. Without root,
`unshare` or `ip` that part skips, saying why.
"""

import http.client
import json
import logging
import socket
import sys

import netns
import pytest
from pythonosc.osc_message_builder import OscMessageBuilder
from waiting import wait_until

from livedance.control.allow import LOG_EVERY_S, MAX_REMEMBERED, Allow, Gate, is_loopback, parse_networks
from livedance.control.controls import ControlBus
from livedance.control.osc import OscServer
from livedance.errors import LivedanceError

LAN = ["192.168.1.0/24"]


# --- the rule -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "host, allow, peer, lets_in",
    [
        # bound to loopback: this machine, any loopback address, and nobody else whatever --allow says
        ("127.0.0.1", None, "127.0.0.1", True),
        ("127.0.0.1", None, "127.0.0.2", True),
        ("127.0.0.1", None, "::ffff:127.0.0.1", True),
        ("localhost", None, "::1", True),
        ("127.0.0.1", LAN, "192.168.1.5", False),
        ("::1", None, "192.168.1.5", False),
        # open to the network: --allow's networks, and this machine as 127.0.0.1 or ::1
        ("0.0.0.0", LAN, "192.168.1.5", True),
        ("0.0.0.0", LAN, "192.168.1.255", True),
        ("0.0.0.0", LAN, "192.168.2.5", False),
        ("0.0.0.0", LAN, "10.0.0.1", False),
        ("0.0.0.0", LAN, "127.0.0.1", True),
        ("0.0.0.0", LAN, "::1", True),
        ("0.0.0.0", LAN, "127.0.0.2", False),  # another loopback address is not "this machine" here
        ("::", LAN, "::ffff:192.168.1.7", True),  # a dual-stack socket's IPv4 peer
        ("::", LAN, "::ffff:192.168.2.7", False),
        ("::", LAN, "fe80::1%eth0", False),
        ("::", ["fd00::/8", "10.0.0.7"], "fd12:3456::1", True),
        ("::", ["fd00::/8", "10.0.0.7"], "10.0.0.7", True),  # an address alone is its own /32
        ("::", ["fd00::/8", "10.0.0.7"], "10.0.0.8", False),
        ("::", ["fe80::/10"], "fe80::1%eth0", True),  # a scoped link-local peer
        ("192.168.1.20", ["0.0.0.0/0"], "203.0.113.9", True),  # anyone's IPv4, said explicitly
        ("192.168.1.20", ["0.0.0.0/0"], "2001:db8::1", False),  # ...but not IPv6
        ("stage.local", LAN, "192.168.1.5", True),
        # what is no address at all
        ("0.0.0.0", LAN, "", False),
        ("0.0.0.0", LAN, "?", False),
        ("0.0.0.0", LAN, "192.168.1.5.6", False),
        ("127.0.0.1", None, "localhost", False),  # a peer is an address, never a name
    ],
)
def test_who_a_listener_lets_in(host, allow, peer, lets_in):
    assert Allow.for_listener(host, allow, "--osc-host").permits(peer) is lets_in


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "stage.local", ""])
def test_a_listener_opened_to_the_network_without_allow_does_not_open(host):
    with pytest.raises(LivedanceError) as caught:
        Allow.for_listener(host, None, "--osc-host")
    message = str(caught.value)
    assert message.startswith(f"--osc-host {host}: open to the network, so say who may play it: --allow CIDR")
    assert "e.g. --allow " in message and "\n" not in message


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost", "LOCALHOST"])
def test_loopback_needs_no_allow(host):
    assert is_loopback(host) and not Allow.for_listener(host, None, "--web").open


@pytest.mark.parametrize("text", ["lan", "192.168.1.0/33", "", "192.168.1.300", "fd00::/129", "10.0.0.0/8/8"])
def test_a_bad_network_is_one_line_naming_the_flag(text):
    with pytest.raises(LivedanceError, match=r"^--allow .*: expected an address or a network, e.g. 192.168.1.0/24"):
        parse_networks([text])


def test_a_bad_network_is_refused_even_where_every_listener_is_loopback():
    with pytest.raises(LivedanceError, match="--allow 'lan'"):
        Allow.for_listener("127.0.0.1", ["lan"], "--osc-host")


def test_networks_are_read_loosely_and_described_for_the_status_line():
    assert parse_networks([" 192.168.1.7/24 ", "10.0.0.7"]) == parse_networks(["192.168.1.0/24", "10.0.0.7/32"])
    allow = Allow.for_listener("0.0.0.0", ["192.168.1.0/24", "fd00::/8"], "--web")
    assert allow.describe() == "this machine and 192.168.1.0/24, fd00::/8"
    assert Allow.for_listener("127.0.0.1", None, "--web").describe() == "this machine only"


# --- refusals: counted always, logged once per peer per while -------------------------------------
class Lines(logging.Handler):
    """What a logger said (on the logger itself: `livedance live` stops livedance's propagating)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_a_refused_peer_is_counted_every_time_and_logged_once_a_minute():
    bus, now, said = ControlBus(), [100.0], Lines()
    gate = Gate(Allow.for_listener("0.0.0.0", LAN, "--osc-host"), bus, "osc", clock=lambda: now[0])
    logger = logging.getLogger("livedance.control.allow")
    logger.addHandler(said)
    try:
        assert gate.admits("192.168.1.9") and gate.admits("127.0.0.1")
        for _ in range(500):
            assert not gate.admits("203.0.113.9")
        assert not gate.admits("203.0.113.10")  # another peer in the same second: counted, not logged
        now[0] += 1.0
        assert not gate.admits("203.0.113.11")  # a second later: logged
        now[0] += LOG_EVERY_S
        assert not gate.admits("203.0.113.9")
    finally:
        logger.removeHandler(said)
    assert len(said.lines) == 3 and all("not in --allow (this machine and 192.168.1.0/24)" in x for x in said.lines)
    assert bus.count("osc").refused == 503 and bus.count("osc").received == 0
    assert bus.last_refusal == "osc: 203.0.113.9: not allowed (--allow)"


def test_spoofed_sources_cannot_grow_the_log_s_memory():
    gate = Gate(Allow.for_listener("0.0.0.0", LAN, "--osc-host"), ControlBus(), "osc")
    for n in range(3 * MAX_REMEMBERED):
        gate.admits(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
    assert len(gate._logged) <= MAX_REMEMBERED


def test_osc_opened_to_the_network_without_allow_binds_nothing():
    with pytest.raises(LivedanceError, match=r"^--osc-host 0.0.0.0: open to the network"):
        OscServer(ControlBus(), port=0, host="0.0.0.0")


# --- for real: OSC and the page bound to 0.0.0.0, in a loopback-only namespace ----------------------
def _osc(address: str, value: float) -> bytes:
    builder = OscMessageBuilder(address)
    builder.add_arg(value)
    return builder.build().dgram


def _send_from(source: str, port: int, dgram: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.sendto(dgram, ("127.0.0.1", port))


def _asked_from(source: str, port: int) -> tuple[bytes, ...]:
    """/livedance/ping from `source`: what came back within half a second."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(0.5)
        sock.sendto(_osc("/livedance/ping", 1.0), ("127.0.0.1", port))
        try:
            return (sock.recvfrom(65535)[0],)
        except socket.timeout:
            return ()


def _get_from(source: str, port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def listeners() -> dict:
    """OSC and the page on 0.0.0.0, --allow 127.0.0.2: peers 127.0.0.1 (this machine), .2 and .3."""
    from livedance.web.page import PageOptions, render
    from livedance.web.server import WebServer

    bus, result = ControlBus(), {}
    allow = ["127.0.0.2/32"]
    with (
        OscServer(bus, port=0, host="0.0.0.0", allow=allow) as osc,
        WebServer(bus, render(PageOptions(latent_dims=4)), "0.0.0.0", 0, allow=allow) as web,
    ):
        result["osc_status"] = bus.status["osc"]
        for n, source in enumerate(("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.3", "127.0.0.2")):
            _send_from(source, osc.port, _osc("/livedance/speed", 1.0 + n / 10))
        wait_until(lambda: bus.count("osc").received + bus.count("osc").refused >= 5, 10)
        result["speeds"] = [round(control.value, 2) for control in bus.drain([])]
        result["osc"] = [bus.count("osc").received, bus.count("osc").refused]
        result["osc_refusal"] = bus.last_refusal
        result["pong"] = {source: len(_asked_from(source, osc.port)) for source in ("127.0.0.2", "127.0.0.3")}

        token = web.access.token
        result["token"] = token is not None
        result["web"] = {
            source: [_get_from(source, web.port, "/"), _get_from(source, web.port, f"/?t={token}")]
            for source in ("127.0.0.1", "127.0.0.2", "127.0.0.3")
        }
        result["web_counts"] = [bus.count("web").received, bus.count("web").refused]
        result["web_refusal"] = bus.last_refusal
    return result


@pytest.fixture(scope="module")
def opened():
    reason = netns.why_not("websockets", "web")
    if reason:
        pytest.skip(reason)
    return netns.run(__file__, "listeners", timeout=60)


def test_open_osc_takes_this_machine_and_the_allowed_and_drops_the_rest_unparsed(opened):
    assert opened["osc_status"].endswith("(this machine and 127.0.0.2/32)"), opened
    assert opened["speeds"] == [1.0, 1.1, 1.4], opened  # from .1, .2 and .2 again; never .3
    assert opened["osc"] == [3, 2] and opened["osc_refusal"] == "osc: 127.0.0.3: not allowed (--allow)", opened


def test_a_refused_peer_is_never_answered(opened):
    assert opened["pong"] == {"127.0.0.2": 1, "127.0.0.3": 0}, opened


def test_the_open_page_wants_an_allowed_address_and_the_token(opened):
    assert opened["token"], opened
    assert opened["web"] == {"127.0.0.1": [403, 200], "127.0.0.2": [403, 200], "127.0.0.3": [403, 403]}, opened
    assert opened["web_counts"] == [0, 4] and opened["web_refusal"] == "web: 127.0.0.3: not allowed (--allow)"


if __name__ == "__main__":  # listeners: inside the namespace only (they bind 0.0.0.0)
    print(json.dumps({"listeners": listeners}[sys.argv[1]](), default=str))
