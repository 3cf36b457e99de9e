"""What one control event does to its parameter: buttons, soft takeover, encoders.

A fader rarely sits where the value is (a preset, OSC or the keyboard moved it), so an absolute
control must not make the value jump when first touched: "pickup" waits until the fader
reaches the value, "scale" moves the value in proportion from where it is, "jump" just sets
it. Each mapping keeps a `State` between messages for that, for button edges and for relative
encoders. Everything here offers to the bus and returns how many controls it took; the patch
serialises the calls and catches whatever escapes.
"""

from __future__ import annotations

import collections

from livedance.control import params as _params
from livedance.control.mapping import Mapping, _is_number, _position, _shape

# A control this close to the value (in 0..1 control units, about one 7-bit step) has reached it.
PICKUP_TOLERANCE = 1.5 / 127


class State:
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


def on_midi(m: Mapping, st: State, raw: int, bus, received: float) -> int:
    """A MIDI control's raw number (value, velocity, pitch or program) -> the controls offered."""
    p = _params.REGISTRY[m.param]
    if m.source == "program":
        if p.kind.fires:
            value = m.amount if m.amount is not None else (raw + 1 if p.name == "preset" else None)
        else:
            value = raw  # a choice's index, or a whole number
        return _offer(bus, m, value, "midi", received)
    if m.source == "cc":
        if m.relative:
            return _relative(m, st, p, raw, bus, received)
        return on_control(m, st, raw / 127, raw >= 64, True, bus, received, "midi")
    if m.source == "note":
        return on_control(m, st, raw / 127, raw > 0, False, bus, received, "midi")
    return on_control(m, st, _pitch(raw), None, False, bus, received, "midi")


def on_control(
    m: Mapping, st: State, x: float | None, pressed: bool | None, edges: bool, bus, received: float, source: str
) -> int:
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
        return _offer(bus, m, p.kind.held(p, bool(pressed)), source, received)
    if m.source == "note" and not pressed:
        return 0  # a note's release carries no position
    if x is None:
        if p.kind.switch:
            return _offer(bus, m, None, source, received, op="toggle")
        bus.refuse(source, f"{m.control_text()}: {m.key} needs a number from 0 to 1")
        return 0
    e = 1.0 - x if m.invert else x
    if p.kind.number:
        return _position_to_value(m, st, p, e, bus, received, source)
    value = _params.from_norm(p, e)[0]  # on/off, a choice, a hue: the bus maps the 0..1 value itself
    if _same(value, st.sent) and _same(bus.values.get(m.key, value), value):
        return 0  # same choice as before: don't restart it
    st.sent = value
    return int(bus.offer(m.param, e, source, norm=True, index=m.index, received=received))


def _where(m: Mapping, st: State, p: _params.Param, bus) -> tuple[float | None, bool]:
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


def _position_to_value(m: Mapping, st: State, p: _params.Param, e: float, bus, received: float, source: str) -> int:
    at, foreign = _where(m, st, p, bus)
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
    return _send(m, st, p, min(max(target, 0.0), 1.0), bus, received, source)


def _relative(m: Mapping, st: State, p: _params.Param, raw: int, bus, received: float) -> int:
    steps = raw - 64
    if steps == 0:
        return 0
    at, _ = _where(m, st, p, bus)
    if at is None:
        at = _position(m, p, p.default) if _is_number(p.default) else 0.5
    return _send(m, st, p, min(max(at + (-steps if m.invert else steps) / 127, 0.0), 1.0), bus, received, "midi")


def _send(m: Mapping, st: State, p: _params.Param, at: float, bus, received: float, source: str) -> int:
    value = _shape(m, p, at)
    st.sent_at = at
    if p.kind.whole(p) and (value == st.sent or (st.sent is None and _same(bus.values.get(m.key), value))):
        return 0  # a 7-bit fader over a few whole numbers: send each number once
    st.sent = value
    st.history.append(float(value))
    return _offer(bus, m, value, source, received)


def _offer(bus, m: Mapping, value, source: str, received: float, op: str = "set") -> int:
    return int(bus.offer(m.param, value, source, index=m.index, op=op, received=received))


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # e.g. a NumPy colour against a tuple
        return False
