"""MIDI in: controllers, MIDI clock and MIDI learn, each input on its own thread.

An input is a port name (exact, or a unique case-insensitive part of one), "all" (every input,
including ones plugged in later), or "tcp:HOST:PORT": a mido socket port server such as
`mido-serve`, which works on a machine with no MIDI system and lets a test or another computer
play the controller.

The thread polls its ports (1 ms), stamps each message with perf_counter on arrival and hands
it on: clock and transport to a `ClockFollower`, whose tempo (and beat, after a start) is
offered to the tempo rule as the "midi" source (`livedance.sync.tempo`), anything else to the
patch (or to MIDI learn while the bus has a parameter armed). A port that errors or is
unplugged is closed and reopened when it comes back; a TCP server that goes away is
reconnected to, with the camera's backoff (`worker.Retry`: 1, 2, 4 ... `retry_max` s between
tries). A clock lost with its port withdraws its tempo. Nothing a device does raises out of the
thread: it shows in the status line, and the first of a run of failures in the log.

`livedance midi --list` names the inputs; `livedance midi --monitor SPEC` prints what a
controller sends, to write a patch by.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import queue
import socket
import sys
import threading
import time

import mido

from livedance.control.clock import ClockFollower
from livedance.control.controls import ControlBus
from livedance.control.ratelimit import PerSender
from livedance.control.tcpmidi import TcpInput
from livedance.errors import LivedanceError, one_line
from livedance.quiet import quiet_stderr
from livedance.sync.tempo import TempoRule
from livedance.worker import Retry, Worker

log = logging.getLogger(__name__)

SOURCE = "midi"  # the bus's source name, and the tempo rule's
POLL_SLEEP = 0.001  # seconds between polls of open ports when nothing arrived
# Messages a second an input reads at most: a DIN cable carries about 1,000, a busy controller
# a few hundred. Past it the input reads no more until the next poll, so a stuck or hostile
# sender is slowed by its own connection (TCP holds what is not read) and its parsing cannot
# take the show's processor; messages are late, never lost (a note-off still arrives).
RATE, BURST = 3000.0, 300.0
CONNECT_TIMEOUT = 0.5  # seconds a tcp: connect may take, so close() stays prompt
# Messages with nothing for a patch: clock and transport are handled here, the rest ignored.
TRANSPORT = ("clock", "start", "stop", "continue")
IGNORED = ("songpos", "song_select", "quarter_frame", "tune_request", "active_sensing", "reset")

_LEARN_LOCK = threading.Lock()  # two inputs must not both take one armed parameter


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return one_line(exc, None, first=True).rstrip(".") or type(exc).__name__


def input_names() -> list[str]:
    """The MIDI inputs of this machine; LivedanceError (one line) where there is no MIDI system."""
    try:
        with quiet_stderr():
            return list(mido.get_input_names())
    except Exception as exc:  # the backend's own types: rtmidi.SystemError, ImportError, OSError
        raise LivedanceError(f"MIDI: no MIDI system here ({_reason(exc)})") from None


def pick_port(spec: str, names: list[str]) -> str:
    """The input `spec` names: an exact name, else the one name containing it (any case)."""
    if spec in names:
        return spec
    matches = [name for name in names if spec.lower() in name.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise LivedanceError(
            f"MIDI {spec}: matches {len(matches)} inputs ({', '.join(matches)}); expected a unique part of one name"
        )
    have = ", ".join(names) if names else "none"
    raise LivedanceError(f"MIDI {spec}: no such input (inputs: {have})")


def parse_tcp(spec: str) -> tuple[str, int] | None:
    """(host, port) for "tcp:HOST:PORT", None for any other spec; LivedanceError if malformed."""
    if not spec.lower().startswith("tcp:"):
        return None
    host, _, port = spec[4:].rpartition(":")
    if host and port.isdigit() and 0 < int(port) < 65536:
        return host, int(port)
    raise LivedanceError(f"MIDI input {spec!r}: expected tcp:HOST:PORT with a port from 1 to 65535")


def _describe(msg: mido.Message) -> str:
    """A message the way a patch names it (channels 1-16), with the patch line that maps it."""
    kind = msg.type
    channel = getattr(msg, "channel", 0) + 1
    if kind == "control_change":
        text, line = f"CC {msg.control} ch {channel} = {msg.value}", f"cc = {msg.control}"
    elif kind == "note_on" and msg.velocity:
        text, line = f"note {msg.note} ch {channel} velocity {msg.velocity}", f"note = {msg.note}"
    elif kind in ("note_on", "note_off"):
        return f"note {msg.note} ch {channel} off"
    elif kind == "pitchwheel":
        text, line = f"pitch bend ch {channel} = {msg.pitch}", "pitchbend = true"
    elif kind == "program_change":
        text, line = f"program change {msg.program} ch {channel}", "program = true"
    else:
        fields = " ".join(f"{k}={v}" for k, v in msg.dict().items() if k not in ("type", "time", "channel"))
        return f"{kind} ch {channel} {fields}" if hasattr(msg, "channel") else f"{kind} {fields}".strip()
    return f'{text:<32}  {{ {line}, channel = {channel}, param = "..." }}'


class MidiInput(Worker):
    """One input spec on its own thread, feeding the bus through a patch.

    `patch` needs translate(msg, bus, received) -> int, learn(param, msg) -> str | None and
    save(path). MIDI learn saves the patch to `learn_file` after every mapping learned. The
    clock's tempo and beat go to `tempo` (none: only the status line says them). start() and
    close() (which closes every port) are `Worker`'s.
    """

    def __init__(
        self,
        bus: ControlBus,
        spec: str,
        patch,
        learn_file: str | os.PathLike | None = None,
        rescan_seconds: float = 1.0,
        tempo: TempoRule | None = None,
        retry_max: float = 10.0,
    ):
        spec = str(spec).strip()
        if not spec:
            raise LivedanceError("MIDI input '': expected a port name, 'all' or tcp:HOST:PORT")
        super().__init__(f"livedance-midi {spec}", join_timeout=2.0)  # a poll or a connect timeout
        self.bus = bus
        self.spec = spec
        self.patch = patch
        self.learn_file = learn_file
        self.rescan_seconds = max(float(rescan_seconds), 0.01)
        self.retry = Retry(retry_max)  # waits between tries to reach a server or open a port
        self.lost = 0  # connections or ports lost after they worked
        self._limits = PerSender(RATE, BURST)  # per port: a flooding controller can't starve the others
        self.throttled = 0  # polls cut short by the rate
        self._next_scan = 0.0  # perf_counter of the next look for ports (sooner after a loss)
        self.clock = ClockFollower()
        self.tempo = tempo
        self._clock_port: str | None = None  # the input whose clock drives the tempo
        self._tcp = parse_tcp(spec)
        self._all = spec.lower() == "all"
        self._key = f"midi {spec}"
        self._ports: dict[str, mido.ports.BaseInput] = {}
        self._sock: socket.socket | None = None  # the tcp: connection, to shut down on close
        self._connected_once = False
        self._connection = "starting"
        self._clock_text = ""
        self._show()

    # --- lifecycle ------------------------------------------------------------------------------
    def _open(self) -> None:
        if self.tempo is not None:
            self.tempo.attach(SOURCE)

    def _close(self) -> None:
        self._close_all()
        self.bus.status.pop(self._key, None)
        if self.tempo is not None and self._started:
            self.tempo.detach(SOURCE)

    @property
    def ports(self) -> list[str]:
        """Names of the ports open now."""
        return list(self._ports)

    # --- status ---------------------------------------------------------------------------------
    def _show(self, connection: str | None = None) -> None:
        if connection is not None:
            self._connection = connection
        if self._connection.startswith("MIDI"):  # a whole line of its own: no MIDI system
            line = self._connection
        else:
            line = f"MIDI {self.spec}: {self._connection}"
        if self._clock_text:
            line += f", {self._clock_text}"
        self.bus.status[self._key] = line

    # --- the thread -----------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                now = time.perf_counter()
                if now >= self._next_scan:
                    self._next_scan = now + self.rescan_seconds  # a failure below sets its own wait
                    self._rescan()
                if self._ports:
                    if not self._poll():
                        self._stopping.wait(POLL_SLEEP)
                else:
                    self._stopping.wait(max(self._next_scan - time.perf_counter(), POLL_SLEEP))
            except Exception as exc:  # a bug or a backend surprise must not end the input
                log.warning("%s", one_line(exc), exc_info=True)
                self.bus.refuse(SOURCE, f"{self.spec}: {_reason(exc)}")
                self._stopping.wait(self.rescan_seconds)
        self._close_all()

    def _poll(self) -> bool:
        """Hand on every pending message, up to each port's rate; False when there was none (or a rate is spent)."""
        got, spent = False, False
        for name, port in list(self._ports.items()):
            try:
                for msg in port.iter_pending():
                    got = True
                    self._handle(msg, time.perf_counter(), name)
                    if not self._limits.allow(name):
                        self.throttled += 1
                        spent = True
                        break  # the rest waits in the port (and its socket); the next port is read
            except Exception as exc:
                log.debug("reading %s", name, exc_info=True)
                self._lose(name, _reason(exc))
                continue
            if port.closed:  # a socket port closes itself when the server goes away
                self._lose(name, "the server went away" if self._tcp is not None else "closed")
        return got and not spent

    def _lose(self, name: str, reason: str) -> None:
        """A port that worked is gone: close it, say so once, and look for it again at once."""
        self.lost += 1
        self._release(name)
        self.retry.failed(True, reason)
        self._next_scan = time.perf_counter()  # the first try is now; the backoff follows failures
        self._fail_line(f"lost ({reason}); reconnecting" if not self._all else self._all_text(), name, reason)

    def _failed(self, reason: str, name: str | None = None) -> None:
        """A try to connect or open failed: wait the backoff's next step, and say so."""
        what, delay = self.retry.failed(False, reason)
        self._next_scan = time.perf_counter() + delay
        if not self._connected_once and self._tcp is not None:
            what = f"waiting for the server ({reason}); retrying in {delay:g} s"
        elif name is not None and self._tcp is None:
            what = f"can't open {name} ({reason}); retrying in {delay:g} s"
        self._fail_line(what, name, reason)

    def _fail_line(self, line: str, name: str | None, reason: str) -> None:
        self._show(line)
        if self.retry.first:
            log.warning("%s", self.bus.status[self._key])

    def _drop(self, name: str, why: str) -> None:
        self._release(name)
        self._show(why if not self._all else self._all_text())

    def _close_all(self) -> None:
        for name in list(self._ports):
            self._release(name)

    def _release(self, name: str) -> None:
        port = self._ports.pop(name, None)
        if name == self._clock_port:  # its clock is gone: the next one to tick takes over
            self._clock_port = None
            self._clock_text = ""
            if self.tempo is not None:
                self.tempo.withdraw(SOURCE)
        if self._tcp is not None and self._sock is not None:
            # Shut down, not only closed: the server sees the controller go at once.
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock = None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()

    # --- opening ports --------------------------------------------------------------------------
    def _rescan(self) -> None:
        if self._tcp is not None:
            if not self._ports:
                self._connect_tcp(*self._tcp)
            return
        try:
            names = input_names()
        except LivedanceError as exc:
            self._close_all()
            self._show(str(exc))
            return
        for name in list(self._ports):
            if name not in names:
                self.lost += 1
                self._drop(name, "unplugged; waiting for it")
                log.warning("%s", self.bus.status[self._key])
        if self._all:
            for name in names:
                if name not in self._ports:
                    self._open_port(name)
            self._show(self._all_text())
            return
        try:
            name = pick_port(self.spec, names)
        except LivedanceError as exc:
            self._close_all()
            self._show(str(exc).split(": ", 1)[1] + "; waiting")
            return
        if name not in self._ports:
            self._close_all()  # the spec now picks another port
            if self._open_port(name):
                self._show("connected" if name == self.spec else f"connected ({name})")

    def _open_port(self, name: str) -> bool:
        try:
            with quiet_stderr():
                self._ports[name] = mido.open_input(name)
            return True
        except Exception as exc:
            log.debug("opening %s", name, exc_info=True)
            self._failed(_reason(exc), name)
            return False

    def _all_text(self) -> str:
        if not self._ports:
            return "no inputs yet"
        return f"connected ({', '.join(self._ports)})"

    def _connect_tcp(self, host: str, port: int) -> None:
        try:
            sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
            try:
                self._ports[self.spec] = TcpInput(sock)
            except Exception:
                sock.close()
                raise
            self._sock = sock
        except Exception as exc:
            log.debug("connecting to %s", self.spec, exc_info=True)
            self._failed(_reason(exc))
            return
        if self._connected_once:
            log.info("%s: connected again", self.spec)
        self._connected_once = True
        self._show("connected")

    # --- messages -------------------------------------------------------------------------------
    def _handle(self, msg: mido.Message, received: float, port: str | None = None) -> None:
        kind = msg.type
        if kind in TRANSPORT:
            # One clock drives the tempo: with "all", the same clock reaching two inputs (or two
            # clocks) would interleave their ticks. The first port to send one keeps it.
            if self._clock_port is None:
                self._clock_port = port
            if port == self._clock_port:
                self._transport(kind, received)
        elif kind in IGNORED:
            return
        elif not self._learn(msg):
            try:
                self.patch.translate(msg, self.bus, received)
            except Exception as exc:  # the patch promises not to raise; a bug must not end the input
                log.warning("%s", one_line(exc), exc_info=True)
                self.bus.refuse(SOURCE, f"{_describe(msg)}: {_reason(exc)}")

    def _transport(self, kind: str, received: float) -> None:
        clock = self.clock
        if kind == "clock":
            bpm = clock.tick(received)
            if bpm is not None:
                if self.tempo is not None:
                    self.tempo.offer(SOURCE, bpm, clock.beat if clock.running else None, received)
                self._clock_text = f"clock {bpm:.1f} BPM" if clock.running else f"clock stopped at {bpm:.1f} BPM"
                self._show()
            return
        if kind == "start":
            clock.start(received)
        elif kind == "continue":
            clock.continue_(received)
        else:
            clock.stop(received)
        bpm = f" at {clock.bpm:.1f} BPM" if clock.bpm is not None else ""
        self._clock_text = f"clock running{bpm}" if clock.running else f"clock stopped{bpm}"
        self._show()

    def _learn(self, msg: mido.Message) -> bool:
        """MIDI learn: True when `msg` was taken as the control for the armed parameter."""
        if not self.bus.learning:
            return False
        with _LEARN_LOCK:
            param = self.bus.learning
            if not param:
                return False
            try:
                description = self.patch.learn(param, msg)
            except Exception as exc:
                log.warning("%s", one_line(exc), exc_info=True)
                self.bus.refuse(SOURCE, f"learn {param}: {_reason(exc)}")
                return False
            if not description:
                return False  # a note off, a sysex...: stay armed for a real control
            line = f"learned: {description}"
            if self.learn_file is not None:
                try:
                    self.patch.save(self.learn_file)
                    line += f" (saved to {os.fspath(self.learn_file)})"
                except Exception as exc:
                    log.warning("%s", one_line(exc), exc_info=True)
                    line += f" (not saved: {_reason(exc)})"
            # Disarm last: whoever sees learning end also sees the saved patch and its status line.
            self.bus.status["learn"] = line
            self.bus.learning = None
        return True


# --- `livedance midi` ---------------------------------------------------------------------------
class _Printer:
    """A patch that only queues what arrives, for the monitor's main thread to print."""

    def __init__(self):
        self.queue: queue.SimpleQueue = queue.SimpleQueue()

    def translate(self, msg, bus, received) -> int:
        self.queue.put((received, _describe(msg)))
        return 0

    def learn(self, param, msg) -> None:
        return None

    def save(self, path) -> None:
        pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--list", action="store_true", help="print the MIDI input names, one per line (the default)")
    parser.add_argument(
        "--monitor",
        metavar="SPEC",
        help="print what an input sends until Ctrl-C: a port name (or a unique part of one), all, or tcp:HOST:PORT",
    )
    parser.add_argument("--seconds", type=float, default=None, help="stop monitoring after this many seconds")


def run(args: argparse.Namespace) -> int:
    if args.monitor:
        return _monitor(args.monitor, args.seconds)
    try:
        names = input_names()
    except LivedanceError as exc:
        print(exc)
        return 0
    for name in names:
        print(name)
    if not names:
        print("no MIDI inputs (tcp:HOST:PORT still works)", file=sys.stderr)
    return 0


def _monitor(spec: str, seconds: float | None) -> int:
    if seconds is not None and not seconds > 0:
        raise LivedanceError(f"--seconds {seconds}: expected a number above 0")
    bus = ControlBus()
    printer = _Printer()
    midi = MidiInput(bus, spec, printer).start()
    start = time.perf_counter()
    shown: dict[str, str] = {}
    try:
        while seconds is None or time.perf_counter() - start < seconds:
            for key, line in list(bus.status.items()):
                if shown.get(key) != line:
                    shown[key] = line
                    print(f"# {line}", flush=True)
            while True:
                try:
                    received, text = printer.queue.get_nowait()
                except queue.Empty:
                    break
                print(f"{received - start:9.3f}  {text}", flush=True)
            time.sleep(0.02)
    except KeyboardInterrupt:
        pass
    finally:
        midi.close()
    return 0
