"""OSC fuzzing: datagrams of every kind into the real server's packet handler, and a sample over
real UDP on 127.0.0.1 into a running OscServer.

Whatever arrives, the server refuses (and counts) or offers controls; nothing but a refusal
comes of a bad packet, every control that reaches the bus is within its parameter's range and
finite, and the server thread keeps serving. The shipped TouchOSC patch's aliases are fuzzed too.
"""

import math
import socket
import time

import pytest
from caught import caught
from fuzz_budget import fuzz
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from in_range import drained
from osc_packets import ARGUMENTS, PREFIX, datagrams, deep_bundle, encoded, osc_string, timetag
from waiting import wait_until

from livedance.control import params as _params
from livedance.control.controls import ControlBus
from livedance.control.osc import OscServer
from livedance.control.patch import PATCH_DIR, Patch

PATCH = Patch.load(PATCH_DIR / "touchosc.toml")
ALIASES = sorted(PATCH._osc)
# Where turning a parsed message into controls happens: an exception in here is a bug, not a refusal.
HANDLING = ("_message", "_parameter", "_pong", "_sync", "translate_osc", "offer", "from_osc")
BIG = [HealthCheck.too_slow, HealthCheck.data_too_large]  # 64 KiB datagrams are slow to draw, by design


@pytest.fixture(scope="module")
def sink():
    """Where the server's pongs and sync replies go: a socket nobody reads much."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.05)
    yield sock
    sock.close()


@pytest.fixture(scope="module")
def server():
    server = OscServer(ControlBus(), port=0, patch=PATCH).start()
    yield server
    server.close()


def handle(server, sink, dgram: bytes):
    """Feed one datagram to the server's handler as its thread would; returns what it offered."""
    bus = server.bus
    before = bus.count("osc").refused
    with caught() as log:
        server._datagram(dgram, sink.getsockname(), time.perf_counter())
    assert not log.raised_in(*HANDLING), log.raised_in(*HANDLING)
    controls = drained(bus)
    for control in controls:
        assert math.isfinite(control.due) and control.due >= 0.0, control
        if control.op == "set" and control.name != "latent" and control.value is not None:
            bus.publish(control.name, control.value)  # as the loop would: /sync and pick-up read these
    return controls, bus.count("osc").refused - before


@fuzz(400, suppress_health_check=BIG)
@given(dgram=datagrams(ALIASES))
def test_no_datagram_gets_past_the_refusal_path(server, sink, dgram):
    controls, refused = handle(server, sink, dgram)
    if not dgram.startswith((b"/", b"#bundle\0")):
        assert refused == 1 and not controls  # not OSC at all: one refusal, counted


@fuzz(300)
@given(
    address=st.sampled_from(
        ALIASES + [f"{PREFIX}/{name}{tail}" for name in _params.REGISTRY for tail in ("", "/norm")]
    ),
    args=st.lists(ARGUMENTS, max_size=4),
)
def test_every_address_with_random_arguments(server, sink, address, args):
    """Well-formed messages: each parameter's and alias's address, any arguments of any type."""
    tags = osc_string(("," + "".join(tag for tag, _ in args)).encode())
    handle(server, sink, osc_string(address.encode()) + tags + b"".join(encoded(tag, v) for tag, v in args))


def test_a_bundle_nested_thousands_deep_is_one_refusal(server, sink):
    controls, refused = handle(server, sink, deep_bundle(3000, timetag(time.time())))
    assert refused == 1 and not controls


def test_a_far_future_bundle_is_held_not_dropped(server, sink):
    controls, refused = handle(server, sink, deep_bundle(2, timetag(time.time() + 3600)))
    assert refused == 0 and [c.name for c in controls] == ["freeze"]
    assert controls[0].due > time.perf_counter() + 3000


@fuzz(8, suppress_health_check=BIG)
@given(batch=st.lists(datagrams(ALIASES), min_size=1, max_size=25))
def test_real_udp_packets_leave_the_server_serving(server, sink, batch):
    """A batch of fuzz datagrams over loopback, then a ping: the pong says all were handled."""
    bus = server.bus
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for dgram in batch:
            client.sendto(dgram, ("127.0.0.1", server.port))
        marker = int(time.perf_counter_ns() % 2**31)
        ping = b"/livedance/ping\0,i\0\0" + marker.to_bytes(4, "big")
        pong = b"/livedance/pong\0,i\0\0" + marker.to_bytes(4, "big")

        def ponged() -> bool:
            client.sendto(ping, ("127.0.0.1", server.port))  # again, should loopback drop one
            client.settimeout(0.05)
            try:
                while True:
                    if client.recv(65535) == pong:
                        return True
            except socket.timeout:
                return False

        assert wait_until(ponged, 10.0, message="a pong after the fuzz batch")
    finally:
        client.close()
    assert server.alive
    drained(bus)
