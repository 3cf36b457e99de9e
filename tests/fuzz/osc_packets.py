"""Hypothesis strategies for OSC datagrams: well formed, subtly wrong, and plain garbage.

Packets are encoded here by hand (not with python-osc's builder, which refuses the broken ones):
any address, any type tags (unknown ones too) with or without their argument bytes,
non-finite and extreme numbers, huge strings and blobs, long vectors, bundles nested deep
with past, present and far-future timetags, then truncated, flipped or padded.
"""

from __future__ import annotations

import struct
import time

import numpy as np
from hypothesis import strategies as st

from livedance.control import params as _params

PREFIX = "/livedance"
NTP_EPOCH = 2208988800  # seconds from 1900 (OSC timetags) to 1970
UDP_MOST = 65507  # the largest IPv4 UDP payload


def osc_string(raw: bytes) -> bytes:
    return raw + b"\0" * (4 - len(raw) % 4)


def osc_blob(raw: bytes) -> bytes:
    return struct.pack(">i", len(raw)) + raw + b"\0" * (-len(raw) % 4)


def timetag(unix: float) -> int:
    seconds = unix + NTP_EPOCH
    return min(max(int(seconds * 2**32), 0), 2**64 - 1)


_ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)
_EXTREME = st.sampled_from(
    [0.0, -0.0, 1.0, 0.5, -1.0, 1e-45, 3.4e38, -3.4e38, float("inf"), float("-inf"), float("nan")]
)
FLOATS = st.one_of(_EXTREME, st.floats(width=32), st.floats(-2.0, 2.0), _ANY_FLOAT)
INT32 = st.one_of(st.sampled_from([0, 1, -1, 127, 2**31 - 1, -(2**31)]), st.integers(-(2**31), 2**31 - 1))
INT64 = st.one_of(st.sampled_from([2**63 - 1, -(2**63)]), st.integers(-(2**63), 2**63 - 1))
TEXT = st.one_of(
    st.sampled_from(["", "on", "off", "true", "red", "#ff0000", "#zz", "generate", "follow", "latent/3", "speed"]),
    st.sampled_from(sorted(_params.REGISTRY)),
    st.text(max_size=40),
)
HUGE = st.integers(0, 60000).map(lambda n: b"x" * n)


def encoded(tag: str, value) -> bytes:
    if tag == "i":
        return struct.pack(">i", value)
    if tag == "f":
        with np.errstate(over="ignore"):
            return np.array([value], ">f4").tobytes()  # beyond float32: infinity, as a sender's cast gives
    if tag == "d":
        return struct.pack(">d", value)
    if tag == "h":
        return struct.pack(">q", value)
    if tag in "tr":
        return struct.pack(">Q" if tag == "t" else ">I", value)
    if tag == "s":
        return osc_string(value.encode("utf-8", "surrogatepass").replace(b"\0", b""))
    if tag == "b":
        return osc_blob(value)
    if tag == "m":
        return value
    if tag == "c":
        return struct.pack(">I", value)
    return b""  # T F N I [ ]: no argument bytes


ARGUMENTS = st.one_of(
    st.tuples(st.just("i"), INT32),
    st.tuples(st.just("f"), FLOATS),
    st.tuples(st.just("d"), FLOATS),
    st.tuples(st.just("h"), INT64),
    st.tuples(st.just("s"), TEXT),
    st.tuples(st.just("s"), HUGE.map(lambda b: b.decode())),
    st.tuples(st.just("b"), st.one_of(st.binary(max_size=64), HUGE)),
    st.tuples(st.sampled_from("TFNI[]"), st.none()),
    st.tuples(st.just("t"), st.integers(0, 2**64 - 1)),
    st.tuples(st.just("r"), st.integers(0, 2**32 - 1)),
    st.tuples(st.just("m"), st.binary(min_size=4, max_size=4)),
    st.tuples(st.just("c"), st.integers(0, 2**32 - 1)),
)


def _parameter_addresses() -> list[str]:
    addresses = [f"{PREFIX}/ping", f"{PREFIX}/sync", f"{PREFIX}/camera/learn", f"{PREFIX}/latent/0"]
    for name in _params.REGISTRY:
        addresses += [f"{PREFIX}/{name}", f"{PREFIX}/{name}/norm"]
    return addresses


def addresses(aliases=()) -> st.SearchStrategy[str]:
    """Every parameter's address (natural and /norm), latent dimensions, a patch's aliases, and noise."""
    known = st.sampled_from(_parameter_addresses() + sorted(aliases))
    dimension = st.one_of(st.integers(0, 200).map(str), st.sampled_from(["-1", "²", "١", "9" * 30, "", "x", "0x1"]))
    return st.one_of(
        known,
        known,
        st.builds(lambda d, norm: f"{PREFIX}/latent/{d}" + ("/norm" if norm else ""), dimension, st.booleans()),
        st.builds(lambda a, tail: a + tail, known, st.sampled_from(["/", "/norm/norm", "/0", "//", "/x", "\0"])),
        st.text(max_size=30).map(lambda s: "/" + s),
        st.text(max_size=30).map(lambda s: f"{PREFIX}/" + s),
    )


@st.composite
def messages(draw, aliases=()) -> bytes:
    """One OSC message: its address, type tags and argument bytes (mostly matching)."""
    address = draw(addresses(aliases)).encode("utf-8", "surrogatepass").replace(b"\0", b"")
    if draw(st.integers(0, 9)) == 0:  # a long vector: the latent, or too many numbers for anything else
        values = draw(st.lists(FLOATS, max_size=8)) * draw(st.integers(16, 80))  # cheap to draw, 128 to 640 long
        args = [("f", v) for v in values]
    else:
        args = draw(st.lists(ARGUMENTS, max_size=5))
    tags = "".join(tag for tag, _ in args)
    payload = b"".join(encoded(tag, value) for tag, value in args)
    shape = draw(st.integers(0, 9))
    if shape == 0:  # type tags that don't say what follows
        tags = draw(st.text(alphabet="ifdhsbTFNI[]tmrcSxZ ,\x00", max_size=8))
    elif shape == 1:  # no type tag string at all (OSC 1.0 allows it; python-osc does not)
        return osc_string(address) + payload
    return osc_string(address) + osc_string(("," + tags).encode("utf-8", "surrogatepass")) + payload


TIMETAGS = st.one_of(
    st.sampled_from([0, 1, 2**64 - 1, 2**63]),
    st.floats(-3600.0, 3600.0).map(lambda s: timetag(time.time() + s)),  # a past or future hour
    st.floats(0.0, 0.05).map(lambda s: timetag(time.time() + s)),  # due within a few frames
    st.integers(0, 2**64 - 1),
)


def bundle(timetag_value: int, contents: list[bytes]) -> bytes:
    body = b"".join(struct.pack(">i", len(c)) + c for c in contents)
    return b"#bundle\0" + struct.pack(">Q", timetag_value) + body


def packets(aliases=()) -> st.SearchStrategy[bytes]:
    """Messages, and bundles of them nested up to several levels."""
    return st.recursive(
        messages(aliases),
        lambda inner: st.builds(bundle, TIMETAGS, st.lists(inner, max_size=4)),
        max_leaves=12,
    )


def deep_bundle(depth: int, tag: int) -> bytes:
    packet = b"/livedance/freeze\0\0\0,i\0\0" + struct.pack(">i", 1)
    for _ in range(depth):
        packet = bundle(tag, [packet])
    return packet


@st.composite
def mutated(draw, aliases=()) -> bytes:
    """A packet, then truncated, a byte flipped, garbage spliced in, or a size field lied about."""
    packet = draw(packets(aliases))
    how = draw(st.integers(0, 4))
    if how == 0 and packet:
        packet = packet[: draw(st.integers(0, len(packet) - 1))]
    elif how == 1 and packet:
        at = draw(st.integers(0, len(packet) - 1))
        packet = packet[:at] + bytes([packet[at] ^ draw(st.integers(1, 255))]) + packet[at + 1 :]
    elif how == 2:
        at = draw(st.integers(0, len(packet)))
        packet = packet[:at] + draw(st.binary(max_size=16)) + packet[at:]
    elif how == 3 and packet.startswith(b"#bundle") and len(packet) >= 20:
        packet = packet[:16] + struct.pack(">i", draw(st.sampled_from([-1, 0, 3, 2**31 - 1]))) + packet[20:]
    return packet[:UDP_MOST]


def datagrams(aliases=()) -> st.SearchStrategy[bytes]:
    """Anything a UDP socket can deliver: garbage, packets, broken packets, deep bundles."""
    return st.one_of(
        st.binary(max_size=256),
        st.binary(max_size=64).map(lambda b: b"#bundle\0" + b),
        st.binary(max_size=64).map(lambda b: b"/" + b),
        packets(aliases).map(lambda p: p[:UDP_MOST]),
        mutated(aliases),
        st.builds(deep_bundle, st.integers(1, 40), TIMETAGS),  # thousands deep: test_fuzz_osc's own test
    )
