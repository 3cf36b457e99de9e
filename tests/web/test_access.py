"""Who the page answers: loopback by default, the token when open to the network."""

import pytest
from websockets.datastructures import Headers

from livedance.control.allow import is_loopback
from livedance.errors import LivedanceError
from livedance.web.access import COOKIE, Access, parse_listen, qr_matrix, qr_text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("8000", ("127.0.0.1", 8000)),
        ("0", ("127.0.0.1", 0)),
        ("0.0.0.0:8000", ("0.0.0.0", 8000)),
        ("[::1]:9", ("::1", 9)),
        ("stage.local:80", ("stage.local", 80)),
    ],
)
def test_listen_addresses(text, expected):
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["", "web", ":80", "8000:", "1.2.3.4:70000", "-1"])
def test_a_bad_listen_address_is_one_line_naming_the_flag(text):
    with pytest.raises(LivedanceError, match=r"^--web .*expected \[HOST:\]PORT") as caught:
        parse_listen(text)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("stage.local", False),
    ],
)
def test_a_host_open_to_the_network_needs_the_token(host, loopback):
    assert is_loopback(host) == loopback
    access = Access.for_host(host)
    assert (access.token is None) == loopback
    if access.token:
        assert len(access.token) >= 20 and access.token != Access.for_host(host).token


def headers(**values):
    return Headers([(name.replace("_", "-"), value) for name, value in values.items()])


def test_loopback_answers_to_loopback_hosts_and_the_page_s_own_origin():
    access = Access()
    assert access.check("/", headers(Host="127.0.0.1:8000")) is None
    assert access.check("/ws", headers(Host="localhost:8000", Origin="http://localhost:8000")) is None
    assert "localhost" in access.check("/", headers(Host="evil.example:8000"))  # a rebound DNS name
    assert "Origin" in access.check("/ws", headers(Host="127.0.0.1:8000", Origin="http://evil.example"))


def test_the_token_is_needed_in_the_url_or_the_cookie():
    access = Access.for_host("0.0.0.0")
    host = headers(Host="192.168.1.2:8000")
    assert "token" in access.check("/", host)
    assert "token" in access.check("/?t=wrong", host)
    assert access.check(f"/?t={access.token}", host) is None
    assert access.check("/ws", headers(Host="192.168.1.2:8000", Cookie=f"{COOKIE}={access.token}")) is None
    assert "token" in access.check("/ws", headers(Host="h:1", Cookie=f"{COOKIE}=nope"))
    assert access.set_cookie().startswith(f"{COOKIE}={access.token}; ") and "HttpOnly" in access.set_cookie()
    assert access.url("10.0.0.5", 8000) == f"http://10.0.0.5:8000/?t={access.token}"
    assert Access().url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"


def test_the_qr_code_reads_in_a_terminal():
    matrix = qr_matrix("http://10.0.0.5:8000/?t=abc")
    assert len(matrix) == len(matrix[0]) >= 25 and matrix[2][2]  # a finder pattern's dark corner inside the border
    lines = qr_text(matrix).splitlines()
    assert len(lines) == (len(matrix) + 1) // 2 and all(len(line) == len(matrix) for line in lines)
