"""The control page's server: HTTP for the page, a WebSocket per browser, all on threads of its own.

websockets' threaded server (the `web` extra, imported when the server opens) accepts
connections on one thread and runs each browser's handler on another; nothing here touches
the instrument. What a browser sends goes through `messages.offer` to the `ControlBus`, like
OSC. The other way, a feedback thread takes every value the loop applies (`ControlBus.listen`,
as OSC feedback does) and, a few times a second, the HUD's status lines, and leaves them in
each browser's outbox; the preview sink leaves its newest JPEG there too. Each browser has a
sender thread that empties its outbox: values are kept per parameter and frames one at a time,
so a slow or stuck browser gets the latest state late, never a backlog, and never slows the
show or the other browsers. Limits: message size (websockets closes a connection past it),
messages per second per browser (past it, refused and counted), and browsers at once. Before
anything else, a browser from an address the listener does not let in (`control.allow`:
loopback, or the `--allow` networks) is refused; one it lets in still needs the token off loopback.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from livedance.control.allow import Allow, Gate
from livedance.control.controls import ControlBus
from livedance.control.ratelimit import RateLimit
from livedance.errors import LivedanceError, one_line
from livedance.web import messages
from livedance.web.access import MISSING_EXTRA, Access
from livedance.web.page import STATIC, static_file
from livedance.worker import Worker

if TYPE_CHECKING:
    from websockets.http11 import Request, Response
    from websockets.sync.server import Server, ServerConnection

log = logging.getLogger(__name__)

POLL_S = 0.1  # queue and event timeouts: how long close() can wait for a thread to notice
STATUS_S = 0.25  # the HUD's own refresh
MAX_FRAME = 4096  # bytes in one WebSocket message; websockets closes the connection past it
RATE = 120.0  # messages per second per browser, sustained (a fader sends at most 60)
BURST = 240.0  # messages a browser may send at once before the rate applies
MAX_CLIENTS = 16
# A browser refused more than FLOOD_RATE messages a second (after FLOOD_MESSAGES at once) is
# flooding, not playing: it is hung up on and its address turned away for a while, so a flood
# costs the show a bounded amount however fast it sends.
FLOOD_RATE, FLOOD_MESSAGES = 2 * RATE, 4 * int(BURST)
COOL_DOWN_S = 10.0
MAX_COOLING = 256  # addresses remembered as cooling down
REFUSED_CLOSES = (1002, 1003, 1007, 1009)  # protocol error, unsupported data, bad text, message too big
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Only the page's own script, styles and socket; the preview's frames are blob: URLs.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'",
}


def _address(connection: ServerConnection) -> str:
    """The browser's address, for the log and refusals ("?" once its socket is closed)."""
    try:
        return str(connection.remote_address[0])
    except OSError:
        return "?"


class Browser:
    """One connected page: its outbox (latest values by parameter, status, preview) and its limit."""

    def __init__(self, connection: ServerConnection, address: str = ""):
        self.connection = connection
        self.address = address  # for the log: a closed connection no longer knows it
        self.limit = RateLimit(RATE, BURST)
        self.previews_dropped = 0
        self._values: dict[tuple[str, int | None], dict] = {}
        self._status: list[str] | None = None
        self._preview: bytes | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()

    def put_values(self, changes: list[dict]) -> None:
        with self._lock:
            for change in changes:
                self._values[change["name"], change["index"]] = change
        self._ready.set()

    def put_status(self, lines: list[str]) -> None:
        with self._lock:
            self._status = lines
        self._ready.set()

    def put_preview(self, jpeg: bytes) -> None:
        with self._lock:
            if self._preview is not None:
                self.previews_dropped += 1
            self._preview = jpeg
        self._ready.set()

    def take(self, timeout: float) -> tuple[list[dict], list[str] | None, bytes | None]:
        """What waits to be sent (emptying the outbox); nothing after `timeout` s."""
        if not self._ready.wait(timeout):
            return [], None, None
        with self._lock:
            self._ready.clear()
            taken = (list(self._values.values()), self._status, self._preview)
            self._values, self._status, self._preview = {}, None, None
        return taken

    def wake(self) -> None:
        self._ready.set()


class WebServer(Worker):
    """The page on `host`:`port` (0 picks a free one) for `bus`; `status` gives the HUD's lines.

    start() binds (a one-line LivedanceError when it can't, or without the web extra) and starts
    the accepting thread and the feedback thread; close() closes every browser's connection."""

    def __init__(
        self,
        bus: ControlBus,
        page: str,
        host: str = "127.0.0.1",
        port: int = 8000,
        status: Callable[[], list[str]] | None = None,
        token: bool | None = None,
        allow: list[str] | None = None,
        flood: tuple[float, float] = (FLOOD_RATE, FLOOD_MESSAGES),
    ):
        super().__init__("livedance-web", join_timeout=2.0)
        self.bus = bus
        self.page = page.encode()
        self.host, self.port = host, port
        self.status = status
        self.gate = Gate(Allow.for_listener(host, allow, "--web"), bus, messages.SOURCE)  # who may connect at all
        self.access = Access.for_host(host, token)  # a token when open to the network (or asked for)
        self.browsers: list[Browser] = []
        self._browsers_lock = threading.Lock()
        self.flood = flood  # refusals a second, and at once, before a browser is hung up on
        self._cooling: dict[str, float] = {}  # address -> until when a flooding browser is turned away
        self._server: Server | None = None
        self._listener: queue.SimpleQueue | None = None
        self._static = {f"/static/{name}": static_file(name) for name in STATIC}

    @property
    def url(self) -> str:
        return self.access.url(self.host, self.port)

    @property
    def watching(self) -> bool:
        """Whether a browser is connected (the preview is encoded only then)."""
        return bool(self.browsers)

    # --- lifecycle -----------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            # websockets is the optional `web` extra: imported here so the live path runs without it.
            from websockets.sync.server import serve  # noqa: PLC0415
        except ImportError as exc:
            raise LivedanceError(MISSING_EXTRA) from exc
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise LivedanceError(f"--web {self.port}: expected a port from 0 to 65535 (0 picks a free one)")
        try:
            self._server = serve(
                self._serve_browser,
                self.host,
                self.port,
                process_request=self._http,
                compression=None,  # small messages; and no decompression bomb to bound
                max_size=MAX_FRAME,
                max_queue=4,
                open_timeout=5,
                close_timeout=1,
                logger=log,
            )
        except OSError as exc:
            raise LivedanceError(
                f"--web {self.host}:{self.port}: cannot listen there ({exc.strerror or exc})"
            ) from None
        self.port = self._server.socket.getsockname()[1]
        self._listener = self.bus.listen()
        self.bus.status["web"] = f"web page on {self.url}"

    def _targets(self) -> list[tuple[str, Callable[[], None]]]:
        return [("livedance-web", self._accept), ("livedance-web-feedback", self._feedback)]

    def _accept(self) -> None:
        if self._server is not None:
            self._server.serve_forever()

    def _wake(self) -> None:
        if self._listener is not None:
            self._listener.put(None)
        with self._browsers_lock:
            for browser in self.browsers:
                browser.wake()
        if self._server is not None:
            self._server.shutdown()  # closes every connection; their handlers return

    def _close(self) -> None:
        if self._listener is not None:
            self.bus.unlisten(self._listener)
        if self.bus.status.get("web", "").startswith("web page on"):
            del self.bus.status["web"]

    # --- HTTP: the page, its two files, and who may have them ------------------------------------
    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        if not self.gate.admits(_address(connection)):
            return self._response(connection, 403, b"refused\n", "text/plain; charset=utf-8")
        refusal = self.access.check(request.path, request.headers)
        if refusal is not None:
            self.bus.refuse(messages.SOURCE, f"{_address(connection)}: {refusal}")
            return self._response(connection, 403, f"refused: {refusal}\n".encode(), "text/plain; charset=utf-8")
        path = request.path.partition("?")[0]
        if path == "/ws":
            if self._cooling_down(_address(connection)):
                return self._response(connection, 429, b"flooding: wait\n", "text/plain; charset=utf-8")
            if len(self.browsers) >= MAX_CLIENTS:
                return self._response(connection, 503, b"too many browsers\n", "text/plain; charset=utf-8")
            return None  # on to the WebSocket handshake
        if path == "/":
            return self._response(connection, 200, self.page, "text/html; charset=utf-8", self.access.set_cookie())
        body = self._static.get(path)
        if body is not None:
            return self._response(connection, 200, body, TYPES["." + path.rpartition(".")[2]])
        return self._response(connection, 404, b"not found\n", "text/plain; charset=utf-8")

    def _response(
        self, connection: ServerConnection, status: int, body: bytes, kind: str, cookie: str | None = None
    ) -> Response:
        response = connection.respond(status, "")
        headers = response.headers
        for name in ("Content-Type", "Content-Length"):
            del headers[name]
        headers["Content-Type"] = kind
        headers["Content-Length"] = str(len(body))
        for name, value in HEADERS.items():
            headers[name] = value
        if cookie:
            headers["Set-Cookie"] = cookie
        return dataclasses.replace(response, body=body)

    # --- one browser (websockets' handler thread) ------------------------------------------------
    def _serve_browser(self, connection: ServerConnection) -> None:
        browser = Browser(connection, _address(connection))
        browser.put_values(messages.snapshot(self.bus))  # a page that (re)connects starts from now
        with self._browsers_lock:
            self.browsers.append(browser)
        sender = threading.Thread(target=self._send_to, args=(browser,), name="livedance-web-send", daemon=True)
        sender.start()
        refusals = RateLimit(*self.flood)  # how many refusals a browser may earn before it is hung up on
        try:
            for message in connection:
                if not browser.limit.allow():
                    self.bus.refuse(messages.SOURCE, f"more than {RATE:g} messages a second; dropped")
                    if not refusals.allow():
                        self._hang_up(browser)
                        break
                    continue
                messages.offer(self.bus, message)
        except Exception as exc:  # the connection's end; the ones the browser's fault are refusals
            sent = getattr(exc, "sent", None)
            if getattr(sent, "code", None) in REFUSED_CLOSES:
                self.bus.refuse(messages.SOURCE, f"connection closed: {one_line(exc, None)}")
            else:
                log.debug("browser %s: %s", browser.address, one_line(exc))
        finally:
            with self._browsers_lock:
                self.browsers.remove(browser)
            browser.wake()
            sender.join(1.0)

    def _hang_up(self, browser: Browser) -> None:
        """Close a flooding browser's connection and turn its address away for `COOL_DOWN_S`."""
        now = time.monotonic()
        with self._browsers_lock:
            cooling = {a: t for a, t in self._cooling.items() if t > now}
            if len(cooling) < MAX_COOLING:
                cooling[browser.address] = now + COOL_DOWN_S
            self._cooling = cooling
        self.bus.refuse(messages.SOURCE, f"{browser.address}: flooding; hung up for {COOL_DOWN_S:g} s")
        log.warning("web: %s sent too many messages; hung up for %g s", browser.address, COOL_DOWN_S)
        browser.connection.close(1008, "too many messages")

    def _cooling_down(self, address: str) -> bool:
        return self._cooling.get(address, 0.0) > time.monotonic()

    def _send_to(self, browser: Browser) -> None:
        """The browser's sender thread: values first, then the status, then the newest frame."""
        connection = browser.connection
        try:
            while not self._stopping.is_set() and browser in self.browsers:
                values, status, preview = browser.take(POLL_S)
                if values:
                    connection.send(messages.values_message(values))
                if status is not None:
                    connection.send(messages.status_message(status))
                if preview is not None:
                    connection.send(preview)
        except Exception as exc:  # closed under it: the handler thread says why
            log.debug("browser %s: %s", browser.address, one_line(exc))

    # --- what every browser gets -----------------------------------------------------------------
    def _everyone(self) -> list[Browser]:
        with self._browsers_lock:
            return list(self.browsers)

    def show_preview(self, jpeg: bytes) -> None:
        """The preview sink's newest frame, for every browser (replacing one not sent yet)."""
        for browser in self._everyone():
            browser.put_preview(jpeg)

    def _feedback(self) -> None:
        listener = self._listener
        next_status = 0.0
        while not self._stopping.is_set() and listener is not None:
            changes: list[dict] = []
            try:
                change = listener.get(timeout=POLL_S)
                while change is not None:
                    changes.append(self._encode(*change))
                    change = listener.get_nowait() if not listener.empty() else None
            except queue.Empty:
                pass
            browsers = self._everyone()
            if changes:
                for browser in browsers:
                    browser.put_values(changes)
            now = time.monotonic()
            if browsers and self.status is not None and now >= next_status:
                next_status = now + STATUS_S
                lines = self._status_lines()
                for browser in browsers:
                    browser.put_status(lines)

    def _encode(self, name: str, value, index: int | None) -> dict:
        try:
            return messages.feedback(name, value, index)
        except Exception as exc:  # a value the page has no form for: said as text, the thread goes on
            log.warning("web feedback %s: %s", name, one_line(exc), exc_info=True)
            return {"name": name, "index": index, "value": None, "norm": None, "text": str(value)[:80]}

    def _status_lines(self) -> list[str]:
        try:
            return list(self.status()) if self.status is not None else []
        except Exception as exc:  # read from another thread while the show changes: try again next time
            log.debug("status: %s", one_line(exc))
            return []
