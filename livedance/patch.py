"""Patches: a controller's layout as data (patches/NAME.toml), mapped onto the parameter registry.

A patch says which control (a CC, a note, the pitch wheel, program change or an OSC alias)
drives which parameter of `params.REGISTRY`, and how: a value curve, a sub-range, soft
takeover for faders that don't sit where the value is, toggle or momentary buttons. The file
is TOML read by `tomllib`: data only, nothing in it is ever run. Each control is one inline
table on one line, so a mistake is reported as "<file>:<line>: <reason>".

MIDI and OSC threads call `translate` / `translate_osc`; both offer controls to the bus and
never raise. MIDI learn adds mappings at run time (`learn`) and writes the patch back (`save`).
"""

from __future__ import annotations

import collections
import json
import math
import numbers
import os
import re
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import params as _params
from .errors import LivedanceError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PATCH_DIR = PROJECT_ROOT / "patches"
DEFAULT_PATCH = PATCH_DIR / "default.toml"

SOURCES = ("cc", "note", "pitchbend", "program", "osc")
OPTIONS = ("channel", "index", "curve", "range", "invert", "takeover", "button", "relative", "amount")
TOP_KEYS = ("name", "channel", "controls")
CURVES = ("linear", "geometric", "squared", "cubed")
TAKEOVERS = ("pickup", "scale", "jump")
BUTTONS = ("trigger", "toggle", "momentary")
NUMBERS = ("float", "int", "vector")  # kinds a position or an encoder sets
# A control this close to the value (in 0..1 control units, about one 7-bit step) has reached it.
PICKUP_TOLERANCE = 1.5 / 127
EXAMPLE = '{ cc = 7, param = "speed" }'


# --- one control ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Mapping:
    """One control line of a patch. Options left unset are None (the defaults apply)."""

    source: str  # cc, note, pitchbend, program, osc
    param: str
    number: int | None = None  # the CC or note number
    address: str | None = None  # the OSC address
    channel: int | None = None  # 1-16, 0 = any; None = the patch's channel
    index: int | None = None  # the latent dimension
    curve: str | None = None  # None: the parameter's own curve (linear or geometric)
    range: tuple[float, float] | None = None
    invert: bool = False
    takeover: str | None = None
    button: str | None = None
    relative: bool = False
    amount: float | None = None
    line: int = field(default=0, compare=False)  # where it was read (0: learned)

    @property
    def key(self) -> str:
        """The parameter's slot in bus.values ("latent/5" for a latent dimension)."""
        return self.param if self.index is None else f"{self.param}/{self.index}"

    def control_text(self) -> str:
        if self.source == "cc":
            return f"CC {self.number}"
        if self.source == "note":
            return f"note {self.number}"
        if self.source == "osc":
            return f"OSC {self.address}"
        return "pitch bend" if self.source == "pitchbend" else "program change"

    @property
    def takeover_mode(self) -> str | None:
        """How an absolute control takes a number over; None where there is no position."""
        if self.takeover is not None:
            return self.takeover
        kind = _params.REGISTRY[self.param].kind
        if kind not in NUMBERS or self.relative or self.button is not None or self.source == "program":
            return None
        return "pickup" if self.source in ("cc", "pitchbend") else "jump"

    @property
    def button_mode(self) -> str | None:
        """trigger, toggle or momentary; None where the value follows the control's position."""
        if self.button is not None:
            return self.button
        kind = _params.REGISTRY[self.param].kind
        if kind == "trigger" and self.source in ("cc", "note", "osc"):
            return "trigger"
        if kind == "bool" and self.source in ("cc", "note"):
            return "toggle"  # controller buttons send 127 on press, 0 on release
        return None


def _show(value) -> str:
    return json.dumps(value) if isinstance(value, (str, bool)) else repr(value)


def _whole(value, what: str, low: int, high: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        upto = f"from {low} to {high}" if high is not None else f"of {low} or more"
        raise LivedanceError(f"{what} = {_show(value)}: expected a whole number {upto}")
    return value


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _choice(value, what: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed or not isinstance(value, str):
        raise LivedanceError(f"{what} = {_show(value)}: expected one of {', '.join(allowed)}")
    return value


def _flag(value, what: str) -> bool:
    if not isinstance(value, bool):
        raise LivedanceError(f"{what} = {_show(value)}: expected true or false")
    return value


def mapping_from_table(table: dict, line: int = 0) -> Mapping:
    """A control's inline table -> a checked Mapping, or a LivedanceError saying what is wrong."""
    unknown = [key for key in table if key not in SOURCES + ("param",) + OPTIONS]
    if unknown:
        raise LivedanceError(
            f"unknown key {unknown[0]!r}; a control takes one source ({', '.join(SOURCES)}), param, and options {', '.join(OPTIONS)}"
        )
    sources = [key for key in SOURCES if key in table]
    if not sources:
        raise LivedanceError('a control needs a source: cc = N, note = N, pitchbend = true, program = true or osc = "/address"')
    if len(sources) > 1:
        raise LivedanceError(f"{' and '.join(sources)}: a control has exactly one source")
    source = sources[0]
    value = table[source]
    number = address = None
    if source in ("cc", "note"):
        number = _whole(value, source, 0, 127)
    elif source == "osc":
        if not isinstance(value, str) or not value.startswith("/") or any(c in value for c in " #*,?[]{}"):
            raise LivedanceError(f'osc = {_show(value)}: expected an OSC address starting with /, e.g. "/1/fader1"')
        address = value
    elif value is not True:
        raise LivedanceError(f"{source} = {_show(value)}: expected {source} = true")
    if "param" not in table:
        raise LivedanceError('missing param; expected param = "NAME" (see livedance live --params)')
    param = table["param"]
    if not isinstance(param, str):
        raise LivedanceError(f"param = {_show(param)}: expected a parameter name in quotes")
    _params.lookup(param)
    options: dict = {}
    if "channel" in table:
        options["channel"] = _whole(table["channel"], "channel", 0, 16)
    if "index" in table:
        options["index"] = _whole(table["index"], "index", 0, None)
    if "curve" in table:
        options["curve"] = _choice(table["curve"], "curve", CURVES)
    if "range" in table:
        span = table["range"]
        if not (isinstance(span, list) and len(span) == 2 and all(_is_number(v) for v in span)):
            raise LivedanceError(f"range = {_show(span)}: expected [low, high], two numbers")
        options["range"] = (span[0], span[1])
    for key in ("invert", "relative"):
        if key in table:
            options[key] = _flag(table[key], key)
    if "takeover" in table:
        options["takeover"] = _choice(table["takeover"], "takeover", TAKEOVERS)
    if "button" in table:
        options["button"] = _choice(table["button"], "button", BUTTONS)
    if "amount" in table:
        if not _is_number(table["amount"]):
            raise LivedanceError(f"amount = {_show(table['amount'])}: expected a number")
        options["amount"] = table["amount"]
    mapping = Mapping(source, param, number, address, line=line, **options)
    check_mapping(mapping)
    return mapping


def check_mapping(m: Mapping) -> None:
    """Raise a one-line LivedanceError where an option makes no sense for the parameter or source."""
    p = _params.lookup(m.param)
    kind, name = p.kind, p.name
    what = {"float": "a number", "int": "a whole number", "vector": "a latent dimension", "bool": "on/off",
            "trigger": "a trigger", "choice": "a choice", "colour": "a colour"}[kind]
    if kind == "vector" and m.index is None:
        raise LivedanceError(f"{name}: needs index = N, the latent dimension (0 or more)")
    if kind != "vector" and m.index is not None:
        raise LivedanceError(f"index: only latent takes an index, not {name}")
    if m.source == "osc" and m.channel is not None:
        raise LivedanceError("channel: an OSC alias has no MIDI channel")
    if m.source == "program" and kind not in ("trigger", "choice", "int"):
        raise LivedanceError(f"program: a program change sets a trigger, a choice or a whole number, not {name} ({what})")
    if kind == "choice" and not p.choices and m.source != "program":
        raise LivedanceError(f"{name}: its choices come from the instrument; map it from a program change (program = true)")
    if m.source == "pitchbend" and kind == "trigger":
        raise LivedanceError(f"pitchbend: a wheel has no press to fire {name}; map it from a cc, a note or program")
    if m.amount is not None:
        if kind != "trigger":
            raise LivedanceError(f"amount: only a trigger takes a fixed amount; {name} is {what}")
        if not p.numeric:
            raise LivedanceError(f"amount: {name} takes no amount")
        whole = isinstance(p.low, int)
        if not p.low <= m.amount <= p.high or (whole and m.amount != int(m.amount)):
            raise LivedanceError(f"amount = {m.amount:g}: expected a {'whole ' if whole else ''}number from {p.low:g} to {p.high:g} for {name}")
    switched = m.button is not None and kind in ("float", "int")  # a button between default and toggle_on
    shaped = (kind in NUMBERS and not switched) or (kind == "trigger" and p.numeric and m.amount is None)
    for option, given in (("curve", m.curve is not None), ("range", m.range is not None), ("invert", m.invert)):
        if not given:
            continue
        positional = shaped or (option == "invert" and kind in ("choice", "colour"))
        if not positional or m.source == "program":
            reason = "a program change sets its number directly" if m.source == "program" else f"{name} here is {what}, not a number set by a position"
            raise LivedanceError(f"{option}: {reason}")
    low, high = (p.low, p.high) if m.range is None else m.range
    if m.range is not None and (low == high or not all(p.low <= v <= p.high for v in m.range)):
        raise LivedanceError(f"range = [{low:g}, {high:g}]: expected two different numbers within {name}'s {p.low:g} .. {p.high:g}")
    if m.curve == "geometric" and not (low > 0 and high > 0):
        raise LivedanceError(f"curve geometric: needs a range above 0; {name} {low:g} .. {high:g} reaches 0 or below")
    if m.relative:
        if m.source != "cc":
            raise LivedanceError("relative: only a cc (an endless encoder) can be relative")
        if kind not in NUMBERS or switched:
            raise LivedanceError(f"relative: an encoder steps a number; {name} is {what}")
    if m.takeover is not None:
        if kind not in NUMBERS or switched:
            raise LivedanceError(f"takeover: only a number set by a fader or knob takes over; {name} here is {what}")
        if m.source not in ("cc", "pitchbend", "osc") or m.relative:
            control = "a relative encoder" if m.relative else m.control_text()
            raise LivedanceError(f"takeover: {control} has no position to take over from")
    if m.button is not None:
        if m.source not in ("cc", "note", "osc"):
            raise LivedanceError(f"button: {m.control_text()} is not a button")
        if kind == "trigger" and m.button != "trigger":
            raise LivedanceError(f'button = "{m.button}": {name} is a trigger; it fires on press (button = "trigger")')
        if kind == "bool" and m.button == "trigger":
            raise LivedanceError(f'button = "trigger": {name} is on/off; expected "toggle" or "momentary"')
        if kind in ("float", "int"):
            if p.toggle_on is None:
                raise LivedanceError(f"button: {name} has no on value to switch to; a fader or knob sets it")
            if m.button == "trigger":
                raise LivedanceError(f'button = "trigger": {name} switches between {p.default:g} and {p.toggle_on:g}; expected "toggle" or "momentary"')
        if kind in ("vector", "choice", "colour"):
            raise LivedanceError(f"button: {name} is {what}, set by a position, not a button")


# --- where things are in the file (tomllib gives values, not lines) -------------------------
_NAME = r'(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+))'
_KEY = re.compile(r"[ \t]*" + _NAME + r"[ \t]*[=.]")
_HEADER = re.compile(r"[ \t]*\[(\[?)[ \t]*" + _NAME)


def _layout(text: str) -> tuple[dict[str, int], list[int]]:
    """Lines of the top-level keys and of each element of a top-level array (the controls).

    Only called on text tomllib accepted, so it can be lenient: it tracks strings, comments
    and brackets just well enough to find where statements and array elements start."""
    keys: dict[str, int] = {}
    elements: list[int] = []
    line, i, n = 1, 0, len(text)
    stack: list[str] = []  # open brackets and braces
    at_start, in_root, expecting = True, True, False
    while i < n:
        if at_start and not stack:
            at_start = False
            header = _HEADER.match(text, i)
            if header:
                name = next(g for g in header.groups()[1:] if g is not None)
                in_root = False
                keys.setdefault(name, line)
                if header.group(1) and name == "controls":
                    elements.append(line)
                i = text.find("\n", i)
                if i < 0:
                    break
                continue
            key = _KEY.match(text, i)
            if key and in_root:
                keys.setdefault(next(g for g in key.groups() if g is not None), line)
        c = text[i]
        if c == "\n":
            line, at_start = line + 1, True
        elif c == "#":
            i = text.find("\n", i)
            if i < 0:
                break
            continue
        elif c in " \t\r":
            pass
        elif c == "," and stack == ["["]:
            expecting = True
        elif c in "]}":
            stack.pop()
            expecting = False
        else:
            if expecting and stack == ["["]:
                elements.append(line)
                expecting = False
            if c in "\"'":
                end = _string_end(text, i)
                line += text.count("\n", i, end)
                i = end
                continue
            if c in "[{":
                stack.append(c)
                expecting = stack == ["["]
        i += 1
    return keys, elements


def _string_end(text: str, i: int) -> int:
    """The index just past the string that opens at text[i]."""
    quote = text[i]
    triple = text.startswith(quote * 3, i)
    j = i + (3 if triple else 1)
    while j < len(text):
        if quote == '"' and text[j] == "\\":
            j += 2
            continue
        if triple and text.startswith(quote * 3, j):
            j += 3
            for _ in range(2):  # up to two more quotes belong to the content
                if j < len(text) and text[j] == quote:
                    j += 1
            return j
        if not triple and text[j] == quote:
            return j + 1
        j += 1
    return j


def _toml_error(source: str, text: str, exc: tomllib.TOMLDecodeError) -> str:
    message = str(exc)
    found = re.search(r"^(.*) \(at line (\d+), column (\d+)\)$", message, re.S)
    if found:
        reason, line, column = found.group(1), found.group(2), found.group(3)
        where = f" at column {column}"
    else:
        reason = re.sub(r" \(at end of document\)$", "", message)
        line, where = str(max(len(text.splitlines()), 1)), " at the end"
    reason = reason[:1].lower() + reason[1:]
    return f"{source}:{line}: not valid TOML: {reason}{where}; a control looks like {EXAMPLE}"


# --- value curves ---------------------------------------------------------------------------
def _span(m: Mapping, p: _params.Param) -> tuple[float, float, str]:
    low, high = m.range if m.range is not None else (p.low, p.high)
    return float(low), float(high), m.curve or p.curve


def _shape(m: Mapping, p: _params.Param, x: float):
    """A 0..1 control position (already inverted) -> the parameter's natural value."""
    low, high, curve = _span(m, p)
    if m.range is None and curve == p.curve:
        return _params.from_norm(p, x)[0]
    if curve == "geometric":
        value = low * (high / low) ** x
    else:
        value = low + (x ** {"linear": 1, "squared": 2, "cubed": 3}[curve]) * (high - low)
    if p.kind == "int" or (p.kind == "trigger" and isinstance(p.low, int)):
        return int(round(value))
    return value


def _position(m: Mapping, p: _params.Param, value: float) -> float:
    """The inverse of `_shape`: where the control would sit for `value` (0..1, before invert)."""
    low, high, curve = _span(m, p)
    if curve == "geometric":
        t = math.log(value / low) / math.log(high / low) if value > 0 else 0.0
    else:
        t = (value - low) / (high - low)
    t = min(max(t, 0.0), 1.0)
    return t ** {"linear": 1.0, "geometric": 1.0, "squared": 0.5, "cubed": 1 / 3}[curve]


class _State:
    """What one mapping remembers between messages (soft takeover, button edges, encoders)."""

    __slots__ = ("picked", "last", "sent", "sent_at", "seen", "history", "pressed")

    def __init__(self):
        self.picked = False
        self.last: float | None = None  # the control's last position (0..1, inverted)
        self.sent = None  # the last value offered
        self.sent_at: float | None = None  # its position, unrounded (encoders and scaling add to it)
        self.seen: float | None = None  # bus.values at the last message
        self.history: collections.deque = collections.deque(maxlen=32)  # values this mapping sent
        self.pressed = False


def _pitch(pitch: int) -> float:
    """-8192..8191 -> 0..1 with the wheel's rest position exactly at 0.5."""
    return 0.5 + (pitch / 8191 if pitch >= 0 else pitch / 8192) / 2


# --- the patch ------------------------------------------------------------------------------
class Patch:
    """A controller layout: name, MIDI channel (0 = any) and mappings."""

    def __init__(self, name: str, channel: int = 0, mappings=(), path: Path | None = None):
        self.name = name
        self.channel = channel
        self.mappings: list[Mapping] = list(mappings)
        self.path = path
        for mapping in self.mappings:
            check_mapping(mapping)
        self._lock = threading.Lock()
        self._index()

    def __repr__(self) -> str:
        return f"Patch({self.name!r}, channel={self.channel}, {len(self.mappings)} mappings)"

    def _index(self) -> None:
        self._midi: dict[tuple, list] = {}
        self._osc: dict[str, list] = {}
        for mapping in self.mappings:
            entry = (mapping, _State())
            if mapping.source == "osc":
                self._osc.setdefault(mapping.address, []).append(entry)
            else:
                self._midi.setdefault((mapping.source, mapping.number), []).append(entry)

    # --- reading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path) -> "Patch":
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise LivedanceError(f"{path}: no such patch file") from None
        except IsADirectoryError:
            raise LivedanceError(f"{path}: is a folder; expected a patch file (.toml)") from None
        except UnicodeDecodeError as exc:
            raise LivedanceError(f"{path}: not UTF-8 text (byte {exc.start}); expected a TOML patch") from None
        except OSError as exc:
            raise LivedanceError(f"{path}: cannot read the patch ({exc.strerror})") from None
        patch = cls.from_text(text, source=str(path))
        patch.path = path
        return patch

    @classmethod
    def from_text(cls, text: str, source: str = "<text>") -> "Patch":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LivedanceError(_toml_error(source, text, exc)) from None
        keys, elements = _layout(text)

        def bad(line: int, reason: str) -> LivedanceError:
            return LivedanceError(f"{source}:{line}: {reason}")

        for key in data:
            if key not in TOP_KEYS:
                raise bad(keys.get(key, 1), f"unknown key {key!r}; a patch has {', '.join(TOP_KEYS)}")
        name = data.get("name", Path(source).stem)
        if not isinstance(name, str) or not name.strip():
            raise bad(keys.get("name", 1), f"name = {_show(name)}: expected the controller's name in quotes")
        channel = data.get("channel", 0)
        try:
            _whole(channel, "channel", 0, 16)
        except LivedanceError as exc:
            raise bad(keys.get("channel", 1), f"{exc} (0 = any, or the controller's MIDI channel 1-16)") from None
        controls = data.get("controls", [])
        controls_line = keys.get("controls", 1)
        if not isinstance(controls, list):
            raise bad(controls_line, f"controls: expected an array of inline tables, one per line, like [ {EXAMPLE}, ]")
        lines = elements if len(elements) == len(controls) else [controls_line] * len(controls)
        mappings = []
        for number, (table, line) in enumerate(zip(controls, lines), 1):
            if not isinstance(table, dict):
                raise bad(line, f"control {number} = {_show(table)}: expected an inline table like {EXAMPLE}")
            try:
                mappings.append(mapping_from_table(table, line))
            except LivedanceError as exc:
                raise bad(line, str(exc)) from None
        return cls(name, channel, mappings)

    # --- playing ---------------------------------------------------------------------------
    def translate(self, msg, bus, received: float) -> int:
        """Offer the controls a MIDI message moves; returns how many the bus took. Never raises.

        0 also when nothing is mapped there, the channel differs, or a pick-up is still waiting."""
        try:
            kind = msg.type
            if kind == "control_change":
                where, raw = ("cc", msg.control), msg.value
            elif kind in ("note_on", "note_off"):
                where, raw = ("note", msg.note), (msg.velocity if kind == "note_on" else 0)
            elif kind == "pitchwheel":
                where, raw = ("pitchbend", None), msg.pitch
            elif kind == "program_change":
                where, raw = ("program", None), msg.program
            else:
                return 0
            channel = msg.channel + 1
            offered = 0
            with self._lock:
                for mapping, state in self._midi.get(where, ()):
                    wanted = self.channel if mapping.channel is None else mapping.channel
                    if wanted and wanted != channel:
                        continue
                    offered += self._midi_one(mapping, state, raw, bus, received)
            return offered
        except Exception as exc:  # a malformed message or a bug must never reach the MIDI thread
            _refuse(bus, "midi", f"{msg}: {exc}")
            return 0

    def translate_osc(self, address: str, args: list, bus, received: float) -> bool:
        """Offer the controls an OSC alias drives; False when `address` is no alias here. Never raises."""
        try:
            with self._lock:
                entries = self._osc.get(address)
                if not entries:
                    return False
                x = None
                if args:
                    value = args[0]
                    if not (_is_number(value) or isinstance(value, bool)):
                        bus.refuse("osc", f"{address} {value!r}: expected a number from 0 to 1")
                        return True
                    x = min(max(float(value), 0.0), 1.0)
                for mapping, state in entries:
                    pressed = x is None or x >= 0.5
                    self._act(mapping, state, x, pressed, False, bus, received, "osc")
            return True
        except Exception as exc:
            _refuse(bus, "osc", f"{address}: {exc}")
            return True

    def _midi_one(self, m: Mapping, st: _State, raw: int, bus, received: float) -> int:
        p = _params.REGISTRY[m.param]
        if m.source == "program":
            if p.kind == "trigger":
                value = m.amount if m.amount is not None else (raw + 1 if p.name == "preset" else None)
            else:
                value = raw  # a choice's index, or a whole number
            return _offer(bus, m, value, "midi", received)
        if m.source == "cc":
            if m.relative:
                return self._relative(m, st, p, raw, bus, received)
            return self._act(m, st, raw / 127, raw >= 64, True, bus, received, "midi")
        if m.source == "note":
            return self._act(m, st, raw / 127, raw > 0, False, bus, received, "midi")
        return self._act(m, st, _pitch(raw), None, False, bus, received, "midi")

    def _act(self, m: Mapping, st: _State, x: float | None, pressed: bool | None, edges: bool, bus, received: float, source: str) -> int:
        """One control event: `x` its 0..1 value (None: an OSC message with no argument),
        `pressed` whether that counts as a press (None: a wheel), `edges`: a CC, whose
        repeated values must not fire again."""
        p = _params.REGISTRY[m.param]
        button = m.button_mode
        if button is not None:
            was, st.pressed = st.pressed, bool(pressed)
            if edges and was == st.pressed:
                return 0  # a CC button or fader repeating its side of the middle
            if button == "trigger":
                if not pressed:
                    return 0
                amount = m.amount
                if amount is None and p.numeric and x is not None:
                    amount = _shape(m, p, 1.0 - x if m.invert else x)
                return _offer(bus, m, amount, source, received)
            if button == "toggle":
                return _offer(bus, m, None, source, received, op="toggle") if pressed else 0
            if p.kind == "bool":
                return _offer(bus, m, bool(pressed), source, received)
            return _offer(bus, m, p.toggle_on if pressed else p.default, source, received)
        if m.source == "note" and not pressed:
            return 0  # a note's release carries no position
        if x is None:
            if p.kind == "bool":
                return _offer(bus, m, None, source, received, op="toggle")
            bus.refuse(source, f"{m.control_text()}: {m.key} needs a number from 0 to 1")
            return 0
        e = 1.0 - x if m.invert else x
        if p.kind in NUMBERS:
            return self._position_to_value(m, st, p, e, bus, received, source)
        if p.kind == "bool":
            value = e >= 0.5
        else:  # choice, colour: the bus maps the 0..1 value itself
            value = _params.from_norm(p, e)[0]
        if _same(value, st.sent) and _same(bus.values.get(m.key, value), value):
            return 0  # same choice as before: don't restart it
        st.sent = value
        if p.kind == "bool":
            return _offer(bus, m, value, source, received)
        return int(bus.offer(m.param, e, source, norm=True, index=m.index, received=received))

    def _where(self, m: Mapping, st: _State, p: _params.Param, bus) -> tuple[float | None, bool]:
        """The value's position for this control (None: unknown), and whether another control
        moved it since this mapping last sent (bus.values lags what we sent by a frame)."""
        current = bus.values.get(m.key)
        current = float(current) if _is_number(current) else None
        tolerance = 1e-5 * (p.high - p.low)
        foreign = (
            current is not None
            and (st.seen is None or abs(current - st.seen) > tolerance)
            and not any(abs(current - sent) <= tolerance for sent in st.history)
        )
        st.seen = current
        if foreign:
            st.sent = st.sent_at = None
            st.history.clear()
        if st.sent_at is not None:
            return st.sent_at, False
        return (None if current is None else _position(m, p, current)), foreign

    def _position_to_value(self, m: Mapping, st: _State, p: _params.Param, e: float, bus, received: float, source: str) -> int:
        at, foreign = self._where(m, st, p, bus)
        mode = m.takeover_mode
        previous, st.last = st.last, e
        target = e
        if mode == "pickup":
            if foreign:
                st.picked = False
            if not st.picked:
                crossed = previous is not None and at is not None and min(previous, e) <= at <= max(previous, e)
                if at is not None and abs(e - at) > PICKUP_TOLERANCE and not crossed:
                    return 0  # not there yet: moving it now would make the value jump
                st.picked = True
        elif mode == "scale" and at is not None:
            if previous is None:
                if abs(e - at) > PICKUP_TOLERANCE:
                    return 0  # first touch: learn where the knob is before scaling from it
            elif e > previous:
                target = at + (1.0 - at) * (e - previous) / (1.0 - previous)
            elif e < previous:
                target = at - at * (previous - e) / previous
            else:
                return 0
        return self._send(m, st, p, min(max(target, 0.0), 1.0), bus, received, source)

    def _relative(self, m: Mapping, st: _State, p: _params.Param, raw: int, bus, received: float) -> int:
        steps = raw - 64
        if steps == 0:
            return 0
        at, _ = self._where(m, st, p, bus)
        if at is None:
            at = _position(m, p, p.default) if _is_number(p.default) else 0.5
        return self._send(m, st, p, min(max(at + (-steps if m.invert else steps) / 127, 0.0), 1.0), bus, received, "midi")

    def _send(self, m: Mapping, st: _State, p: _params.Param, at: float, bus, received: float, source: str) -> int:
        value = _shape(m, p, at)
        st.sent_at = at
        if p.kind == "int" and (value == st.sent or (st.sent is None and _same(bus.values.get(m.key), value))):
            return 0  # a 7-bit fader over a few whole numbers: send each number once
        st.sent = value
        st.history.append(float(value))
        return _offer(bus, m, value, source, received)

    # --- MIDI learn ------------------------------------------------------------------------
    def learn(self, param: str, msg) -> str | None:
        """Map the control that sent `msg` to `param` ("latent/5": dimension 5), replacing any
        mapping on the same control and channel. None for a message that is no control, or a
        control that can't drive that parameter."""
        name, _, index_text = str(param).partition("/")
        spec = _params.REGISTRY.get(name)
        if spec is None or (index_text and not (spec.kind == "vector" and index_text.isdigit())):
            return None
        index = (int(index_text) if index_text else 0) if spec.kind == "vector" else None
        kind = getattr(msg, "type", None)
        if kind == "control_change":
            source, number = "cc", msg.control
        elif kind == "note_on" and msg.velocity > 0:
            source, number = "note", msg.note
        elif kind == "pitchwheel":
            source, number = "pitchbend", None
        elif kind == "program_change":
            source, number = "program", None
        else:
            return None
        channel = msg.channel + 1
        mapping = Mapping(source, name, number, channel=None if channel == self.channel else channel, index=index)
        try:
            check_mapping(mapping)
        except LivedanceError:
            return None
        with self._lock:
            self.mappings = [
                old
                for old in self.mappings
                if not (old.source == source and old.number == number and (self.channel if old.channel is None else old.channel) in (0, channel))
            ] + [mapping]
            self._index()
        return f"{mapping.control_text()} ch {channel} -> {mapping.key}"

    # --- writing ---------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the patch in its own format (comments of a hand-written file are not kept)."""
        path = Path(path)
        with self._lock:
            mappings = list(self.mappings)
        lines = [
            "# Written by livedance MIDI learn: one control per line; the options are described in patches/default.toml.",
            f"name = {_toml_string(self.name)}",
            f"channel = {self.channel}  # the controller's MIDI channel 1-16; 0 = any",
            "",
            "controls = [",
            *(f"  {_toml_table(m)}," for m in mappings),
            "]",
            "",
        ]
        partial = path.with_name(path.name + ".partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text("\n".join(lines), encoding="utf-8")
            os.replace(partial, path)
        except OSError as exc:
            raise LivedanceError(f"{path}: cannot write the patch ({exc.strerror or exc})") from None


def _offer(bus, m: Mapping, value, source: str, received: float, op: str = "set") -> int:
    return int(bus.offer(m.param, value, source, index=m.index, op=op, received=received))


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # e.g. a NumPy colour against a tuple
        return False


def _refuse(bus, source: str, reason: str) -> None:
    try:
        bus.refuse(source, reason)
    except Exception:
        pass


# --- the TOML writer (this format only) -----------------------------------------------------
def _toml_string(text: str) -> str:
    """JSON's string escapes are TOML basic-string escapes; TOML also wants DEL escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_number(value) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _toml_table(m: Mapping) -> str:
    if m.source in ("cc", "note"):
        parts = [f"{m.source} = {m.number}"]
    elif m.source == "osc":
        parts = [f"osc = {_toml_string(m.address)}"]
    else:
        parts = [f"{m.source} = true"]
    if m.channel is not None:
        parts.append(f"channel = {m.channel}")
    parts.append(f"param = {_toml_string(m.param)}")
    if m.index is not None:
        parts.append(f"index = {m.index}")
    if m.curve is not None:
        parts.append(f"curve = {_toml_string(m.curve)}")
    if m.range is not None:
        parts.append(f"range = [{_toml_number(m.range[0])}, {_toml_number(m.range[1])}]")
    for key in ("invert", "relative"):
        if getattr(m, key):
            parts.append(f"{key} = true")
    for key in ("takeover", "button"):
        if getattr(m, key) is not None:
            parts.append(f"{key} = {_toml_string(getattr(m, key))}")
    if m.amount is not None:
        parts.append(f"amount = {_toml_number(m.amount)}")
    return "{ " + ", ".join(parts) + " }"


# --- documentation and lookup ---------------------------------------------------------------
def _how(m: Mapping) -> str:
    p = _params.REGISTRY[m.param]
    if m.source == "program":
        if p.kind == "trigger":
            if m.amount is not None:
                return f"any program fires it, amount {m.amount:g}"
            return "program n -> preset n+1" if p.name == "preset" else "any program fires it"
        return f"program n -> {'index n' if p.kind == 'choice' else 'n'}"
    button = m.button_mode
    if button == "trigger":
        if m.amount is not None:
            return f"fires on press, amount {m.amount:g}"
        if p.numeric:
            return f"fires on press, {'velocity' if m.source == 'note' else 'value'} = amount"
        return "fires on press"
    if button == "toggle":
        return "toggles on press" if p.kind == "bool" else f"toggles {p.default:g} / {p.toggle_on:g}"
    if button == "momentary":
        return "on while held" if p.kind == "bool" else f"{p.toggle_on:g} while held"
    if p.kind == "bool":
        return "on above half way"
    if p.kind == "colour":
        return "hue" + (", inverted" if m.invert else "")
    if p.kind == "choice":
        return " / ".join(p.choices) + " across the travel" + (", inverted" if m.invert else "")
    low, high, curve = _span(m, p)
    parts = [f"{low:g} .. {high:g}"]
    if curve != "linear":
        parts.append(curve)
    if m.invert:
        parts.append("inverted")
    if m.source == "note":
        parts.append("velocity")
    if m.relative:
        parts.append("relative encoder")
    mode = m.takeover_mode
    if mode is not None and m.source != "note":
        parts.append({"pickup": "pick-up", "scale": "value scaling", "jump": "jumps"}[mode])
    return ", ".join(parts)


def markdown_layout(patch: Patch) -> str:
    """A README table of one patch: control | parameter | how."""
    lines = ["| control | parameter | how |", "|---|---|---|"]
    for m in patch.mappings:
        control = m.control_text()
        if m.channel is not None:
            control += f" ch {m.channel}" if m.channel else " any channel"
        cells = (control, f"`{m.key}`", _how(m))
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def resolve_patch_path(text: str) -> Path:
    """A patch file as given, else one shipped in patches/ ("nanokontrol2" or "patches/x.toml"),
    found from any working directory."""
    path = Path(text).expanduser()
    if path.is_file():
        return path
    candidates = []
    if not path.is_absolute():
        candidates.append(PROJECT_ROOT / path)
        if len(path.parts) == 1:
            candidates.append(PATCH_DIR / (path.name if path.suffix == ".toml" else f"{path.name}.toml"))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    shipped = ", ".join(sorted(p.stem for p in PATCH_DIR.glob("*.toml")))
    raise LivedanceError(f"{text}: no such patch file; expected a .toml path or a patch in patches/ ({shipped})")
