"""OSC in and out over UDP: every parameter in `params.REGISTRY` under /livedance/.

A server thread reads datagrams and hands each message to the `ControlBus`; it never touches
the instrument and never sleeps. Packets are parsed here rather than with python-osc's stock
Dispatcher, which sleeps on the server thread until a bundle's timetag: a future bundle
instead becomes controls with a `due` time and the loop applies them on the frame they are
due. Anything a sender gets wrong is counted against "osc" and the server keeps serving.

With `feedback="HOST:PORT"` a second thread sends every value the loop applies back out (in
natural units and, where it means something, as /norm 0..1), so a tablet's faders follow the
keyboard, MIDI and presets.

Who may send is `allow`'s (`control.allow`): on loopback this machine only; opened to the
network, the `--allow` networks too. A datagram from anyone else is counted and dropped before
it is parsed, and is never answered.
"""

from __future__ import annotations

import logging
import math
import queue
import socket
import time
from collections.abc import Callable

from pythonosc import osc_bundle, osc_message
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.parsing import osc_types

from livedance.control import params as _params
from livedance.control.allow import Allow, Gate
from livedance.control.controls import ControlBus
from livedance.control.kinds import typed_arguments
from livedance.control.ratelimit import PerSender
from livedance.errors import LivedanceError, one_line
from livedance.worker import Worker

log = logging.getLogger(__name__)

PREFIX = "/livedance"
SOURCE = "osc"
SEND_SOURCE = "osc-out"  # feedback, pong and sync sends that failed are counted here
POLL_S = 0.1  # socket and queue timeouts: how long close() can wait for a thread to notice
MAX_DATAGRAM = 65535
# Messages a second one sending host may send, and at once: a tablet sends a few hundred; past
# this a packet is refused before it is parsed, so a flood or a feedback loop costs the show little.
RATE, BURST = 2000.0, 4000.0
MAX_BUNDLE_DEPTH = 16
WARN_EVERY_S = 1.0  # the most often a fault inside the handler reaches the log as a warning


def parse_host_port(text: str, option: str = "--osc-feedback") -> tuple[str, int]:
    """ "HOST:PORT" (or "[v6]:PORT") -> (host, port), or a one-line LivedanceError."""
    host, sep, port_text = str(text).strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    port = int(port_text) if port_text.isdigit() else -1
    if not sep or not host or not 1 <= port <= 65535:
        raise LivedanceError(f"{option} {text!r}: expected HOST:PORT with a port from 1 to 65535, e.g. 127.0.0.1:9001")
    return host, port


# --- out: values as OSC messages ----------------------------------------------------------------
def _message(address: str, args: list[tuple[str, object]]) -> osc_message.OscMessage:
    builder = OscMessageBuilder(address)
    for arg_type, value in args:
        builder.add_arg(value, arg_type)
    return builder.build()


def encode(name: str, value, index: int | None = None) -> list[osc_message.OscMessage]:
    """The messages that tell a tablet `name` is now `value`: natural units, then /norm."""
    param = _params.REGISTRY.get(name)
    if index is not None:
        return [_message(f"{PREFIX}/{name}/{index}", [("f", float(value))])]
    args = typed_arguments(value) if param is None else param.kind.to_osc(value)
    if args is None:
        return []
    messages = [_message(f"{PREFIX}/{name}", args)]
    norm = None
    if param is not None:
        try:
            norm = _params.to_norm(param, value)
        except (TypeError, ValueError):
            norm = None
    if norm is not None and math.isfinite(norm):
        messages.append(_message(f"{PREFIX}/{name}/norm", [("f", float(norm))]))
    return messages


# --- in: OSC messages as controls ---------------------------------------------------------------
def _timed_messages(bundle: osc_bundle.OscBundle, outer: float = 0.0):
    """(message, unix time due or 0) for every message in a bundle, nested ones too.

    A nested bundle can't act before the one around it (OSC 1.0), so the later timetag wins;
    "immediately" (0) inherits the enclosing one.
    """
    when = max(outer, bundle.timestamp)
    for content in bundle:
        if isinstance(content, osc_bundle.OscBundle):
            yield from _timed_messages(content, when)
        else:
            yield content, when


def bundle_messages(dgram: bytes, start: int = 0, end: int | None = None, depth: int = 0) -> int:
    """How many messages a bundle holds, nested ones too; 0 when an element is neither a message
    nor a well-formed bundle (or nests past `MAX_BUNDLE_DEPTH`). Checked before python-osc reads
    it (which logs a warning to the root logger for each element it can't), and what a sender's
    rate is charged: a bundle costs what it carries."""
    end = len(dgram) if end is None else end
    if depth > MAX_BUNDLE_DEPTH or end - start < 16:
        return 0
    count, index = 0, start + 16  # "#bundle\0" and the timetag
    while index < end:
        size = int.from_bytes(dgram[index : index + 4], "big", signed=True)
        index += 4
        if size <= 0 or index + size > end:
            return 0
        if dgram.startswith(b"#bundle\x00", index):
            inner = bundle_messages(dgram, index, index + size, depth + 1)
            if not inner:
                return 0
            count += inner
        elif dgram.startswith(b"/", index):
            count += 1
        else:
            return 0
        index += size
    return count


def _dimension(text: str) -> bool:
    """Whether an address part names a dimension: ASCII digits only ("²" and "١" are digits too,
    to str.isdigit), and few enough for int() (a longer number is no dimension of any model)."""
    return text.isascii() and text.isdigit() and len(text) <= 9


class OscServer(Worker):
    """OSC on a UDP port, feeding a ControlBus; optional feedback of applied values.

    start() binds (a one-line LivedanceError when it can't) and starts the server thread and the
    feedback thread; close() ends both within about POLL_S and gives the port back (`Worker`).
    """

    def __init__(
        self,
        bus: ControlBus,
        port: int = 9000,
        host: str = "127.0.0.1",
        feedback: str | None = None,
        patch=None,
        allow: list[str] | None = None,
        rate: tuple[float, float] = (RATE, BURST),
    ):
        super().__init__("livedance-osc", join_timeout=1.0)  # each thread notices within POLL_S
        self.bus = bus
        self.port = port
        self.host = host
        self.patch = patch
        self.feedback = parse_host_port(feedback) if feedback is not None else None
        # Who may send: opened to the network without `allow`, this refuses in one line.
        self.gate = Gate(Allow.for_listener(host, allow, "--osc-host"), bus, SOURCE)
        self._sock: socket.socket | None = None
        self._limits = PerSender(*rate)  # messages a second and at once, per sending host
        self._warned_at = -WARN_EVERY_S  # when a handler fault last reached the log as a warning
        self._out: socket.socket | None = None
        self._out_address = None
        self._listener: queue.SimpleQueue | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    def _open(self) -> None:
        """Bind; a port that can't be had is a one-line LivedanceError from start()."""
        where = f"--osc-port {self.port}"
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise LivedanceError(f"{where}: expected a port from 0 to 65535 (0 picks a free one)")
        try:
            family, _, _, _, address = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)[0]
            sock = socket.socket(family, socket.SOCK_DGRAM)
        except OSError as exc:
            raise LivedanceError(f"{where}: cannot listen on {self.host}:{self.port} ({exc.strerror or exc})") from None
        try:
            sock.bind(address)
        except OSError as exc:
            sock.close()
            raise LivedanceError(f"{where}: cannot listen on {self.host}:{self.port} ({exc.strerror or exc})") from None
        sock.settimeout(POLL_S)
        self._sock = sock
        self.port = sock.getsockname()[1]
        status = f"OSC on {self.host}:{self.port}"
        if self.gate.allow.open:
            status += f" ({self.gate.allow.describe()})"
        if self.feedback:
            try:
                self._open_feedback()
            except LivedanceError:
                sock.close()
                self._sock = None
                raise
            status += f", feedback to {self.feedback[0]}:{self.feedback[1]}"
        self.bus.status["osc"] = status

    def _targets(self) -> list[tuple[str, Callable[[], None]]]:
        feedback = [("livedance-osc-feedback", self._send_feedback)] if self.feedback else []
        return [("livedance-osc", self._serve), *feedback]

    def _open_feedback(self) -> None:
        host, port = self.feedback
        try:
            family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
            self._out = socket.socket(family, socket.SOCK_DGRAM)
        except OSError as exc:
            raise LivedanceError(f"--osc-feedback {host}:{port}: cannot send there ({exc.strerror or exc})") from None
        self._out_address = address
        self._listener = self.bus.listen()

    def _close(self) -> None:
        if self._listener is not None:
            self.bus.unlisten(self._listener)
        for sock in (self._sock, self._out):
            if sock is not None:
                sock.close()
        if self.bus.status.get("osc", "").startswith(f"OSC on {self.host}:{self.port}"):
            del self.bus.status["osc"]

    def _wake(self) -> None:
        """Get both threads past their waits now rather than at the next POLL_S."""
        if self._listener is not None:
            self._listener.put(None)
        if self._sock is not None:
            host, port = self._sock.getsockname()[:2]
            if host in ("0.0.0.0", "::"):
                host = "127.0.0.1" if host == "0.0.0.0" else "::1"
            try:
                self._sock.sendto(b"", (host, port))
            except OSError:
                pass  # the timeout still ends the wait

    # --- the server thread ---------------------------------------------------------------------
    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                dgram, sender = self._sock.recvfrom(MAX_DATAGRAM)
            except socket.timeout:
                continue
            except OSError:
                # e.g. Windows reports an earlier pong's ICMP "port unreachable" here
                if self._stopping.is_set():
                    return
                continue
            received = time.perf_counter()
            if self._stopping.is_set():
                return
            if not self.gate.admits(sender[0]):
                continue
            cost = bundle_messages(dgram) if dgram.startswith(b"#bundle\x00") else 1
            if not self._limits.allow(sender[0], max(cost, 1)):
                self.bus.refuse(SOURCE, f"{sender[0]}: more than {self._limits.rate:g} messages a second; dropped")
                continue
            try:
                self._datagram(dgram, sender, received)
            except Exception as exc:  # nothing a sender does may end the thread
                self._warn(exc)
                self.bus.refuse(SOURCE, f"packet from {sender[0]}:{sender[1]}: {one_line(exc, None)}")

    def _datagram(self, dgram: bytes, sender, received: float) -> None:
        try:
            if osc_bundle.OscBundle.dgram_is_bundle(dgram):
                if not bundle_messages(dgram):
                    raise ValueError(
                        f"a bundle whose elements are not messages or bundles (or nested past {MAX_BUNDLE_DEPTH})"
                    )
                timed = list(_timed_messages(osc_bundle.OscBundle(dgram)))
            elif osc_message.OscMessage.dgram_is_message(dgram):
                timed = [(osc_message.OscMessage(dgram), 0.0)]
            else:
                raise ValueError("neither an OSC message nor a bundle")
        except Exception as exc:  # the sender's fault: counted, and on the HUD; a flood must not flood the log
            log.debug("%s", one_line(exc), exc_info=True)
            self.bus.refuse(
                SOURCE, f"malformed packet from {sender[0]}:{sender[1]} ({len(dgram)} bytes): {one_line(exc, None)}"
            )
            return
        wall, now = time.time(), time.perf_counter()
        for message, when in timed:
            due = now + (when - wall) if when > wall else 0.0
            try:
                self._message(message, sender, received, due)
            except Exception as exc:  # a bug a message found: logged with its traceback, once a second at most
                self._warn(exc)
                self.bus.refuse(SOURCE, f"{message.address}: {one_line(exc, None)}")

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_S:
            self._warned_at = now
            log.warning("%s", one_line(exc), exc_info=exc)
        else:
            log.debug("%s", one_line(exc), exc_info=exc)

    def _message(self, message: osc_message.OscMessage, sender, received: float, due: float) -> None:
        address, args = message.address, message.params
        if address == f"{PREFIX}/ping":
            self._pong(message, sender)
            return
        if address == f"{PREFIX}/sync":
            self._sync(sender)
            return
        if address.startswith(PREFIX + "/"):
            self._parameter(address, address[len(PREFIX) + 1 :].split("/"), args, received, due)
            return
        if self.patch is not None and self.patch.translate_osc(address, args, self.bus, received):
            return
        self.bus.refuse(SOURCE, f"{address}: unknown address; expected {PREFIX}/<parameter>[/norm]")

    def _parameter(self, address: str, parts: list[str], args: list, received: float, due: float) -> None:
        name, rest = parts[0], parts[1:]
        if rest and f"{name}_{rest[0]}" in _params.REGISTRY:  # /livedance/camera/learn -> camera_learn
            name, rest = f"{name}_{rest[0]}", rest[1:]
        param = _params.REGISTRY.get(name)
        norm = bool(rest) and rest[-1] == "norm"
        if norm:
            rest = rest[:-1]
        index = None
        if param is not None and param.kind.indexed and len(rest) == 1 and _dimension(rest[0]):
            index, rest = int(rest[0]), []
        if param is None or rest:
            self.bus.refuse(SOURCE, f"{address}: unknown address; expected {PREFIX}/<parameter>[/norm]")
            return

        try:
            if norm and param.kind.indexed and index is None:
                raise LivedanceError(f"expected a dimension: {PREFIX}/{name}/<i>/norm f")
            values = param.kind.from_osc(param, args, norm, index)
        except LivedanceError as exc:
            self.bus.refuse(SOURCE, f"{' '.join([address, *map(repr, args)])}: {exc}")
            return
        for value in values:
            self.bus.offer(name, value, SOURCE, norm=norm, index=index, due=due, received=received)

    # --- replies (server thread) ---------------------------------------------------------------
    def _pong(self, message: osc_message.OscMessage, sender) -> None:
        """The ping's own argument bytes after a new address: echoes any type, even unbuildable ones."""
        _, args_at = osc_types.get_string(message.dgram, 0)
        self._send(
            self._sock, osc_types.write_string(f"{PREFIX}/pong") + (message.dgram[args_at:] or b",\0\0\0"), sender
        )

    def _sync(self, sender) -> None:
        for key, value in list(self.bus.values.items()):
            name, _, dimension = key.partition("/")
            index = int(dimension) if dimension.isdigit() else None
            self._send_value(self._sock, name, value, index, sender)

    def _send_value(self, sock: socket.socket, name: str, value, index: int | None, address) -> None:
        """One parameter's value as its OSC messages (natural and /norm); failures are counted."""
        try:
            messages = encode(name, value, index)
        except Exception as exc:
            log.warning("%s", one_line(exc), exc_info=True)
            self.bus.refuse(SEND_SOURCE, f"{PREFIX}/{name}: cannot encode {value!r} ({one_line(exc, None)})")
            return
        for message in messages:
            self._send(sock, message.dgram, address)

    def _send(self, sock: socket.socket, dgram: bytes, address) -> None:
        try:
            sock.sendto(dgram, address)
        except OSError as exc:
            self.bus.refuse(SEND_SOURCE, f"send to {address[0]}:{address[1]} failed ({exc.strerror or exc})")

    # --- the feedback thread -------------------------------------------------------------------
    def _send_feedback(self) -> None:
        while not self._stopping.is_set():
            try:
                change = self._listener.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if change is None:  # close()'s wake-up
                continue
            name, value, index = change
            self._send_value(self._out, name, value, index, self._out_address)


# --- documentation (the README's OSC table) -----------------------------------------------------
def address_rows() -> list[tuple[str, str, str]]:
    """(address, arguments, what it does): one row per parameter, then the special addresses."""
    rows = [(f"{PREFIX}/{p.name}", p.kind.osc_help(p), p.help) for p in _params.REGISTRY.values()]
    latent = _params.REGISTRY["latent"]
    rows += [
        (f"{PREFIX}/latent/<i>", f"f ({latent.low:g} .. {latent.high:g})", "latent dimension i alone"),
        (
            f"{PREFIX}/<parameter>/norm",
            "f (0 .. 1)",
            "any parameter as a 0..1 fader, as VJ hosts send it (a colour takes a hue; latent: /latent/<i>/norm)",
        ),
        (f"{PREFIX}/ping", "anything", f"answered at once with {PREFIX}/pong and the same arguments"),
        (f"{PREFIX}/sync", "none", "sends every current value back to the sender, natural and /norm"),
    ]
    return rows
