"""Who may play the show from a browser: anyone on this machine, or whoever holds the token.

On loopback (the default) the page is for this machine only, and a request must say so: its
Host is a loopback name, and a WebSocket's Origin is the page's own (a web page elsewhere or a
rebound DNS name cannot drive the show through a browser on this machine). Open to the network,
every HTTP request and every WebSocket must carry a random token, in the URL (`?t=`) or in the
cookie the page sets; it is compared in constant time. The URL with the token is printed, and
drawn as a QR code in the terminal and on the HUD, so a phone can scan its way in. Which
addresses may connect at all is decided before any of this (`control.allow`, `--allow`).
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlsplit

from livedance.control.allow import is_loopback, reachable_address
from livedance.errors import LivedanceError

COOKIE = "livedance_token"
MISSING_EXTRA = "--web: needs the web extra: pip install 'livedance[web]'"


def parse_listen(text: str) -> tuple[str, int]:
    """ "PORT", "HOST:PORT" or "[v6]:PORT" -> (host, port); loopback when no host is given."""
    text = str(text).strip()
    host, sep, port_text = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    port = int(port_text) if port_text.isdigit() else -1
    if (sep and not host) or not 0 <= port <= 65535:
        raise LivedanceError(f"--web {text!r}: expected [HOST:]PORT with a port from 0 to 65535, e.g. 8000")
    return (host or "127.0.0.1"), port


def _host_only(netloc: str) -> str:
    """A Host header or an origin's host, without its port and brackets."""
    match = re.fullmatch(r"\[([^\]]*)\](?::\d*)?|([^:]*)(?::\d*)?", netloc.strip())
    if match is None:
        return netloc
    return (match.group(1) or match.group(2) or "").lower()


@dataclass(frozen=True)
class Access:
    """The rule for one server: `token` None lets in requests made on this machine only."""

    token: str | None = None

    @classmethod
    def for_host(cls, host: str, token: bool | None = None) -> Access:
        """A token when `host` is open to the network (or when `token` says so)."""
        needed = (not is_loopback(host)) if token is None else token
        return cls(secrets.token_urlsafe(16) if needed else None)

    def url(self, host: str, port: int) -> str:
        """The page's address, with the token when one is needed."""
        where = reachable_address(host)
        where = f"[{where}]" if ":" in where else where
        return f"http://{where}:{port}/" + (f"?t={self.token}" if self.token else "")

    def check(self, path: str, headers) -> str | None:
        """Why a request (its path and headers) is refused; None when it may go on."""
        if self.token is None:
            host = _host_only(headers.get("Host", ""))
            if not is_loopback(host):
                return f"Host {host!r}: this page answers only to localhost"
        else:
            given = parse_qs(urlsplit(path).query).get("t", [""])[0] or self._cookie(headers)
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return "no valid access token: open the URL the show printed (or scan its QR code)"
        origin = headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() != headers.get("Host", "").lower():
            return f"Origin {origin!r}: expected the page's own"
        return None

    def _cookie(self, headers) -> str:
        cookies = SimpleCookie()
        try:
            for header in headers.get_all("Cookie"):
                cookies.load(header)
        except CookieError:
            return ""
        morsel = cookies.get(COOKIE)
        return morsel.value if morsel is not None else ""

    def set_cookie(self) -> str | None:
        """The Set-Cookie header that lets the page's own requests in without the token in their URLs."""
        if self.token is None:
            return None
        return f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"


def qr_matrix(text: str) -> list[list[bool]]:
    """`text` as a QR code: rows of modules, True dark, with the quiet zone."""
    try:
        import segno  # noqa: PLC0415  the web extra: imported only when a page is open to the network
    except ImportError as exc:
        raise LivedanceError(MISSING_EXTRA) from exc
    return [[bool(module) for module in row] for row in segno.make(text, error="m").matrix_iter(border=2)]


def qr_text(matrix: list[list[bool]]) -> str:
    """A QR matrix for a terminal: two rows per line in half blocks, light on dark as phones read it best."""
    rows = matrix + ([[False] * len(matrix[0])] if len(matrix) % 2 else [])
    blocks = {(False, False): "█", (True, False): "▄", (False, True): "▀", (True, True): " "}
    return "\n".join(
        "".join(blocks[top, bottom] for top, bottom in zip(rows[i], rows[i + 1])) for i in range(0, len(rows), 2)
    )
