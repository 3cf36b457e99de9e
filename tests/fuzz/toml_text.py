"""Hypothesis strategies for patch files: TOML that is nearly a patch, TOML that is no patch,
text that is no TOML, and bytes that are no text.

Values are written to TOML by hand (every TOML type, NaN and infinities, quoting styles,
nesting), so a document can be anything TOML allows, then mutated into what it doesn't.
"""

from __future__ import annotations

import math

from hypothesis import strategies as st

from livedance.control import params as _params
from livedance.control.curves import CURVES
from livedance.control.mapping import AUDIO_FEATURES, BUTTONS, OPTIONS, SOURCES, TAKEOVERS


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def _string(text: str, style: int) -> str:
    if style == 1 and "'" not in text and "\n" not in text and "\r" not in text:
        return f"'{text}'"  # a literal string
    escaped = "".join(
        c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}"
        for c in text
        if ord(c) < 0xD800 or ord(c) > 0xDFFF
    )
    return f'"{escaped}"'


WORDS = st.sampled_from(
    sorted(_params.REGISTRY)
    + list(SOURCES)
    + list(OPTIONS)
    + list(CURVES)
    + list(TAKEOVERS)
    + list(BUTTONS)
    + list(AUDIO_FEATURES)
    + ["", "/1/fader1", "/x y", "latent/2", "nosuch"]
)
SCALARS = st.one_of(
    st.integers(-(2**63), 2**63 - 1).map(str),
    st.sampled_from([0, 1, 7, 16, 17, 64, 127, 128, -1]).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(_float),
    st.sampled_from([0.0, 0.5, 1.0, 2.0, 4.0, -3.0]).map(_float),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.builds(_string, WORDS, st.integers(0, 1)),
    st.builds(_string, st.text(max_size=20), st.integers(0, 1)),
    st.just("1979-05-27T07:32:00Z"),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.dictionaries(WORDS.filter(bool).map(lambda k: _string(k, 0)), inner, max_size=3).map(
            lambda d: "{ " + ", ".join(f"{k} = {v}" for k, v in d.items()) + " }"
        ),
    ),
    max_leaves=6,
)
_SMALL = st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, -1.0, -3.0]).map(_float)
PLAUSIBLE = {  # a value of the right type, often in range: lines that load, so saving them is fuzzed too
    "cc": st.integers(0, 127).map(str),
    "note": st.integers(0, 127).map(str),
    "pitchbend": st.just("true"),
    "program": st.just("true"),
    "osc": st.sampled_from(['"/1/fader1"', '"/a/b"', "'/x'"]),
    "audio": st.sampled_from(AUDIO_FEATURES).map(lambda f: f'"{f}"'),
    "param": st.sampled_from(sorted(_params.REGISTRY)).map(lambda n: f'"{n}"'),
    "channel": st.integers(0, 16).map(str),
    "index": st.integers(0, 200).map(str),
    "curve": st.sampled_from(CURVES).map(lambda c: f'"{c}"'),
    "range": st.tuples(_SMALL, _SMALL).map(lambda r: f"[{r[0]}, {r[1]}]"),
    "invert": st.just("true"),
    "relative": st.just("true"),
    "takeover": st.sampled_from(TAKEOVERS).map(lambda t: f'"{t}"'),
    "button": st.sampled_from(BUTTONS).map(lambda b: f'"{b}"'),
    "amount": st.one_of(_SMALL, st.integers(1, 9).map(str)),
    "attack": _SMALL,
    "release": _SMALL,
    "sensitivity": _SMALL,
}
KEYS = st.one_of(st.sampled_from(list(SOURCES) + ["param"] + list(OPTIONS)), WORDS.filter(bool))


@st.composite
def controls(draw) -> str:
    """One control's inline table: mostly a source, a param and options, each of any type."""
    plausible = draw(st.booleans())  # a source, a param and options of the right types: often a line that loads
    keys = [draw(st.sampled_from(SOURCES)), "param"] if plausible or draw(st.booleans()) else []
    keys += draw(st.lists(st.sampled_from(OPTIONS) if plausible else KEYS, max_size=2 if plausible else 4))
    pairs = {}
    for key in keys:
        pairs[key] = draw(PLAUSIBLE[key] if key in PLAUSIBLE and (plausible or draw(st.booleans())) else VALUES)
    return "{ " + ", ".join(f"{_string(k, 0) if not k.isidentifier() else k} = {v}" for k, v in pairs.items()) + " }"


@st.composite
def documents(draw) -> str:
    """A whole patch: name, channel and controls, one per line; sometimes other top-level keys."""
    lines = []
    if draw(st.booleans()):
        lines.append(f"name = {draw(VALUES)}")
    if draw(st.booleans()):
        lines.append(f"channel = {draw(VALUES)}")
    if draw(st.integers(0, 9)) == 0:
        lines.append(f"{draw(WORDS.filter(str.isidentifier))} = {draw(VALUES)}")
    lines.append("controls = [")
    lines += [f"  {table},  # a comment" for table in draw(st.lists(controls(), max_size=4))]
    lines.append("]")
    return "\n".join(lines) + "\n"


@st.composite
def broken(draw) -> str:
    """A document with a character deleted, inserted or the end cut off."""
    text = draw(documents())
    at = draw(st.integers(0, len(text)))
    how = draw(st.integers(0, 2))
    if how == 0:
        return text[:at]
    if how == 1:
        return text[:at] + text[at + 1 :]
    return text[:at] + draw(st.sampled_from(list("[]{}=,\"'#\n.\\\0"))) + text[at:]


def nested(depth: int, table: bool) -> str:
    return "a = " + ("{b = " * depth + "1" + "}" * depth if table else "[" * depth + "]" * depth) + "\n"


TEXTS = st.one_of(
    documents(),
    broken(),
    st.text(max_size=200),
    st.builds(nested, st.integers(1, 5000), st.booleans()),
    st.builds(lambda n: "controls = [\n" + '  { cc = 1, param = "speed" },\n' * n + "]\n", st.integers(500, 3000)),
    st.builds(lambda n: f'name = "{"x" * n}"\n', st.integers(0, 1_000_000)),
)
BYTES = st.one_of(
    st.binary(max_size=200),
    st.builds(
        lambda text, bad: text.encode() + bad,
        documents(),
        st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]),
    ),
)
