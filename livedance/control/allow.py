"""Who may play a listener (OSC, the control page): this machine always, the network only by name.

A listener bound to a loopback address (the default) is for this machine: it lets loopback
peers in and no one else. A listener bound anywhere else (0.0.0.0, ::, a LAN address) was
opened to the network on purpose, so it must also say who from the network may play it:
`--allow CIDR`, repeatable; this machine still gets in as 127.0.0.1 or ::1. Opened without
one, it does not open at all (`Allow.for_listener` refuses in one line and suggests the
network this machine is on): a venue's Wi-Fi is also the audience's, and OSC has no password.

A refused peer is counted on the bus like any refusal and logged at most once per peer every
`LOG_EVERY_S`, so a flood from outside costs a dictionary look-up, not a log line per packet.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from livedance.control.controls import ControlBus
from livedance.errors import LivedanceError

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
THIS_MACHINE = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128"))
LOG_EVERY_S = 60.0  # one log line per refused peer per minute at most
MAX_REMEMBERED = 1024  # refused peers remembered for the log; forgotten all at once past it
EXAMPLE = "192.168.1.0/24"


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (a loopback address or name)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def reachable_address(host: str) -> str:
    """An address another device can type for `host`: for a wildcard (0.0.0.0, ::) the address
    this machine's default route goes out from (a UDP connect sends nothing)."""
    if host not in ("0.0.0.0", "::", ""):
        return host
    family = socket.AF_INET6 if host == "::" else socket.AF_INET
    probe = ("2001:db8::1", 9) if family == socket.AF_INET6 else ("192.0.2.1", 9)  # documentation addresses
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect(probe)
            return sock.getsockname()[0]
    except OSError:
        return socket.gethostname()


def peer_address(text: str) -> Address | None:
    """A peer's address as the socket gave it (IPv4-mapped IPv6 unmapped); None if it is none."""
    try:
        address = ipaddress.ip_address(str(text))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_networks(texts: Iterable[str] | None, option: str = "--allow") -> tuple[Network, ...]:
    """ "192.168.1.0/24", "10.0.0.7", "fd00::/8"... -> networks (an address alone is itself)."""
    networks = []
    for text in texts or ():
        try:
            networks.append(ipaddress.ip_network(str(text).strip(), strict=False))
        except ValueError:
            raise LivedanceError(
                f"{option} {text!r}: expected an address or a network, e.g. {EXAMPLE}, 10.0.0.7 or fd00::/8"
            ) from None
    return tuple(networks)


def suggested_network() -> str:
    """The network this machine's default route is on, as a /24 (IPv4) guess for the refusal."""
    try:
        return str(ipaddress.ip_network(f"{reachable_address('0.0.0.0')}/24", strict=False))
    except ValueError:
        return EXAMPLE


@dataclass(frozen=True)
class Allow:
    """Which peers one listener lets in. `networks` None: bound to loopback, loopback peers only."""

    networks: tuple[Network, ...] | None = None

    @classmethod
    def for_listener(cls, host: str, allow: Iterable[str] | None, option: str) -> Allow:
        """The rule for a listener on `host` (`option` names its flag in the refusal)."""
        networks = parse_networks(allow)
        if is_loopback(host):
            return cls(None)
        if not networks:
            raise LivedanceError(
                f"{option} {host}: open to the network, so say who may play it: --allow CIDR "
                f"(repeatable), e.g. --allow {suggested_network()} for this machine's network"
            )
        return cls(THIS_MACHINE + networks)

    @property
    def open(self) -> bool:
        return self.networks is not None

    def permits(self, peer: str) -> bool:
        address = peer_address(peer)
        if address is None:
            return False
        if self.networks is None:
            return address.is_loopback
        return any(address in network for network in self.networks)  # another IP version is never in

    def describe(self) -> str:
        """For the status line: who gets in."""
        if self.networks is None:
            return "this machine only"
        return "this machine and " + ", ".join(map(str, self.networks[len(THIS_MACHINE) :]))


class Gate:
    """An `Allow` at one listener's door: refusals counted against `source` on `bus`, logged
    once per peer every LOG_EVERY_S and once a second at most in all. Safe from any thread."""

    def __init__(self, allow: Allow, bus: ControlBus, source: str, clock: Callable[[], float] = time.monotonic):
        self.allow, self.bus, self.source, self.clock = allow, bus, source, clock
        self._logged: dict[str, float] = {}
        self._any_logged = -math.inf
        self._lock = threading.Lock()

    def admits(self, peer: str) -> bool:
        if self.allow.permits(peer):
            return True
        self.bus.refuse(self.source, f"{peer}: not allowed (--allow)")
        now = self.clock()
        with self._lock:
            last = self._logged.get(peer)
            if last is not None and now - last < LOG_EVERY_S:
                return False
            if now - self._any_logged < 1.0:  # a sender changing its address each packet: one a second in all
                return False
            self._any_logged = now
            if len(self._logged) >= MAX_REMEMBERED:
                self._logged.clear()  # spoofed sources cannot grow it without bound
            self._logged[peer] = now
        log.warning("%s: refused %s, not in --allow (%s); said once a minute", self.source, peer, self.allow.describe())
        return False
