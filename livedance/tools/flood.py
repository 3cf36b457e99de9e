"""Hostile traffic for a soak: OSC, MIDI or web floods, sent from a process of their own.

    python -m livedance.tools.flood osc --port 9000 --rate 10000 --seconds 10
    python -m livedance.tools.flood midi --port 9100 --rate 3000 --seconds 10   # serves: live --midi-in tcp:...
    python -m livedance.tools.flood web --url http://127.0.0.1:8000/ --seconds 10

What a misbehaving network, a feedback loop between two OSC programs or a broken controller
sends: a fixed mix of valid, out-of-range, NaN, truncated, unknown and random messages. A
flood runs in its own process, as a real sender would, so it takes none of the show's
interpreter. It sends to loopback only, for a bounded time and count, and prints one JSON
line of what it sent when it stops.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import socket
import struct
import time
from urllib.parse import urlsplit

import mido
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from livedance.control.osc import PREFIX
from livedance.errors import LivedanceError

KINDS = ("osc", "midi", "web")
MAX_SECONDS = 600.0
PACE_S = 0.002  # how often a paced flood tops up to its rate


def require_loopback(host: str) -> None:
    """A flood is a test: it may only ever be aimed at this machine's loopback."""
    try:
        address = ipaddress.ip_address(socket.getaddrinfo(host, None)[0][4][0])
    except (OSError, ValueError):
        raise LivedanceError(f"flood target {host!r}: not an address this machine can resolve") from None
    if not address.is_loopback:
        raise LivedanceError(f"flood target {host!r}: floods go to loopback only (127.0.0.1 or ::1)")


def _osc(address: str, *args) -> bytes:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


def osc_packets(seed: int = 1) -> list[bytes]:
    """One round of the OSC mix: a third valid, the rest wrong in every way a sender can be."""
    rng = random.Random(seed)
    valid = [_osc(f"{PREFIX}/noise", 0.7), _osc(f"{PREFIX}/speed", 1.2), _osc(f"{PREFIX}/trails", 0.4)]
    bundle = OscBundleBuilder(IMMEDIATELY)
    for _ in range(8):
        bundle.add_content(OscMessageBuilder(f"{PREFIX}/scale").build())
    return (
        valid
        + [
            _osc(f"{PREFIX}/noise", 1e9),  # out of range
            _osc(f"{PREFIX}/noise", float("nan")),
            _osc(f"{PREFIX}/speed", float("inf")),
            _osc(f"{PREFIX}/nope", 1),  # unknown address
            _osc(f"{PREFIX}/perturb"),  # a trigger with no argument: valid
            _osc(f"{PREFIX}/noise", 0.7)[:-3],  # truncated
            _osc(f"{PREFIX}/fg", "not a colour"),
            _osc(f"{PREFIX}/latent", *([1e30] * 300)),  # a huge vector
            _osc(f"{PREFIX}/seed", b"\x00" * 4000),  # a blob where an int belongs
            bundle.build().dgram,  # a bundle of messages with no arguments
            bytes(rng.randrange(256) for _ in range(40)),  # noise
            b"#bundle\x00" + struct.pack(">Q", 2**64 - 1) + struct.pack(">i", 1 << 30),  # a lying bundle
        ]
    )


def midi_messages(seed: int = 1) -> list[mido.Message]:
    """One round of the MIDI mix: control changes, notes, pitch bend, clock, and sysex of every length."""
    rng = random.Random(seed)
    messages = [
        mido.Message("control_change", channel=c % 16, control=rng.randrange(128), value=rng.randrange(128))
        for c in range(16)
    ]
    messages += [mido.Message("note_on", note=rng.randrange(128), velocity=rng.randrange(128)) for _ in range(4)]
    messages += [mido.Message("pitchwheel", pitch=rng.randrange(-8192, 8192)) for _ in range(4)]
    messages += [mido.Message("clock") for _ in range(4)] + [mido.Message("start"), mido.Message("stop")]
    messages += [mido.Message("sysex", data=[rng.randrange(128) for _ in range(n)]) for n in (0, 1, 100, 1000)]
    messages += [mido.Message("program_change", program=rng.randrange(128)), mido.Message("songpos", pos=16383)]
    return messages


def web_messages(seed: int = 1) -> list[str | bytes]:
    """One round of what a broken or hostile browser might send the control page."""
    rng = random.Random(seed)
    return [
        json.dumps({"name": "noise", "value": 0.5}),
        json.dumps({"name": "scale", "norm": 0.3}),
        json.dumps({"name": "noise", "value": 1e308}),
        json.dumps({"name": "nope", "value": 1}),
        json.dumps({"name": "speed", "value": "NaN"}),
        '{"name": "noise", "value": NaN}',
        json.dumps({"name": "freeze", "op": "toggle", "index": -5}),
        "{not json",
        json.dumps([1, 2, 3]),
        json.dumps({"name": "latent", "value": [1.0] * 100}),
        "x" * 4000,  # over the size limit
        bytes(rng.randrange(256) for _ in range(64)),  # binary frame
        json.dumps({"a": {"b": {"c": {"d": [[[[[]]]]]}}}}),
    ]


def _bounded(seconds: float) -> float:
    if not 0 < seconds <= MAX_SECONDS:
        raise LivedanceError(f"--seconds {seconds:g}: expected a flood of 0 to {MAX_SECONDS:g} s")
    return seconds


def _paced(rate: float, seconds: float, send) -> int:
    """Call `send(n)` `rate` times a second for `seconds`; returns how many were sent."""
    began = time.perf_counter()
    sent = 0
    while (elapsed := time.perf_counter() - began) < seconds:
        due = int(elapsed * rate)
        while sent < due and time.perf_counter() - began < seconds:  # a slow receiver can't stretch it
            send(sent)
            sent += 1
        time.sleep(PACE_S)
    return sent


def flood_osc(host: str, port: int, rate: float, seconds: float, seed: int = 1) -> dict:
    require_loopback(host)
    packets = osc_packets(seed)
    target = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    with socket.socket(target[0], socket.SOCK_DGRAM) as sock:
        failed = 0

        def send(n: int) -> None:
            nonlocal failed
            try:
                sock.sendto(packets[n % len(packets)], target[4])
            except OSError:  # the kernel's buffer full, or nobody listening: a flood goes on
                failed += 1

        sent = _paced(rate, _bounded(seconds), send)
    return {"kind": "osc", "sent": sent, "failed": failed, "seconds": seconds}


def flood_midi(host: str, port: int, rate: float, seconds: float, seed: int = 1, delay: float = 0.0) -> dict:
    """Serve MIDI on `port` as mido's port server does (raw MIDI bytes over TCP) and, after
    `delay` s, pour the mix into every client that connects, a few milliseconds' worth at a time."""
    require_loopback(host)
    data = [message.bin() for message in midi_messages(seed)]
    clients: list[socket.socket] = []
    with socket.create_server((host, port)) as server:
        server.setblocking(False)
        if delay:
            time.sleep(delay)  # the show connects meanwhile; it is accepted below

        def send(n: int) -> None:
            if n % 64 == 0:
                try:
                    client, _ = server.accept()
                    client.settimeout(0.05)  # a reader that won't keep up only slows the flood
                    clients.append(client)
                except BlockingIOError:
                    pass
            for each in list(clients):
                try:
                    each.sendall(data[n % len(data)])
                except TimeoutError:
                    pass  # its buffers are full: TCP is holding the flood back
                except OSError:
                    clients.remove(each)
                    each.close()

        sent = _paced(rate, _bounded(seconds), send)
        for client in clients:
            client.close()
    return {"kind": "midi", "sent": sent, "seconds": seconds}


def flood_web(url: str, seconds: float, seed: int = 1, most: int = 2_000_000) -> dict:
    """Send the web mix as fast as the page takes it (reconnecting when it hangs up)."""
    from websockets.exceptions import WebSocketException  # noqa: PLC0415  the web extra
    from websockets.sync.client import connect  # noqa: PLC0415
    from websockets.typing import Origin  # noqa: PLC0415

    parts = urlsplit(url)
    require_loopback(parts.hostname or "")
    query = f"?{parts.query}" if parts.query else ""
    socket_url = f"ws://{parts.netloc}/ws{query}"
    messages = web_messages(seed)
    sent = connections = 0
    ended = time.perf_counter() + _bounded(seconds)
    while time.perf_counter() < ended and sent < most:
        try:
            with connect(socket_url, origin=Origin(f"http://{parts.netloc}"), open_timeout=2, close_timeout=1) as ws:
                connections += 1
                while time.perf_counter() < ended and sent < most:
                    ws.send(messages[sent % len(messages)])
                    sent += 1
        except (OSError, WebSocketException, TimeoutError):
            time.sleep(0.05)  # refused or cut off: knock again
    return {"kind": "web", "sent": sent, "connections": connections, "seconds": seconds}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="OSC: the show's port; MIDI: the port to serve")
    parser.add_argument("--url", help="web: the control page's address (with its ?t= token if it has one)")
    parser.add_argument("--rate", type=float, default=10_000.0, help="messages a second, OSC and MIDI")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--delay", type=float, default=0.0, help="MIDI: serve at once, pour only after this long")


def run(args: argparse.Namespace) -> dict:
    if args.kind == "osc":
        return flood_osc(args.host, args.port, args.rate, args.seconds, args.seed)
    if args.kind == "midi":
        return flood_midi(args.host, args.port, args.rate, args.seconds, args.seed, args.delay)
    if not args.url:
        raise LivedanceError("flood web: expected --url of the control page")
    return flood_web(args.url, args.seconds, args.seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m livedance.tools.flood", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        print(json.dumps(run(args)), flush=True)
    except LivedanceError as exc:
        parser.exit(2, f"flood: error: {exc}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
