"""One control line of a patch: what it drives, whether that makes sense, and its value curve.

A line is checked on its own, before any file is involved, so the same rules apply to a
hand-written patch, a learned mapping and a `Patch` built in code; the file reader only adds
"<file>:<line>:" to the reason. A line's range and curve (the shapes are in `curves.py`, shared
with the parameters' own) turn a 0..1 control position into the parameter's value and back;
what a line may do to a parameter is its kind's to say (`kinds.py`).
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass, field

from livedance.control import curves
from livedance.control import params as _params
from livedance.control.curves import CURVES
from livedance.errors import LivedanceError

SOURCES = ("cc", "note", "pitchbend", "program", "osc", "audio")
OPTIONS = (
    "channel",
    "index",
    "curve",
    "range",
    "invert",
    "takeover",
    "button",
    "relative",
    "amount",
    "attack",
    "release",
    "sensitivity",
)
# What the audio input measures (livedance/audio): levels from 0 to 1, and triggers that fire.
AUDIO_LEVELS = ("loudness", "bass", "mid", "high")
AUDIO_TRIGGERS = ("onset", "beat", "downbeat")
AUDIO_FEATURES = AUDIO_LEVELS + AUDIO_TRIGGERS
AUDIO_OPTIONS = ("attack", "release", "sensitivity")
TAKEOVERS = ("pickup", "scale", "jump")
BUTTONS = ("trigger", "toggle", "momentary")


@dataclass(frozen=True)
class Mapping:
    """One control line of a patch. Options left unset are None (the defaults apply)."""

    source: str  # cc, note, pitchbend, program, osc, audio
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
    feature: str | None = None  # the audio feature (AUDIO_FEATURES)
    attack: float | None = None  # audio: seconds a level takes to rise (None: the feature's own)
    release: float | None = None  # audio: seconds a level takes to fall
    sensitivity: float | None = None  # audio: the feature x this before it is mapped (None: 1)
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
        if self.source == "audio":
            return f"audio {self.feature}"
        return "pitch bend" if self.source == "pitchbend" else "program change"

    @property
    def takeover_mode(self) -> str | None:
        """How an absolute control takes a number over; None where there is no position."""
        if self.takeover is not None:
            return self.takeover
        if (
            not _params.REGISTRY[self.param].kind.number
            or self.relative
            or self.button is not None
            or self.source == "program"
        ):
            return None
        return "pickup" if self.source in ("cc", "pitchbend") else "jump"

    @property
    def button_mode(self) -> str | None:
        """trigger, toggle or momentary; None where the value follows the control's position."""
        if self.button is not None:
            return self.button
        kind = _params.REGISTRY[self.param].kind
        if kind.fires and self.source in ("cc", "note", "osc", "audio"):
            return "trigger"
        if kind.switch and self.source in ("cc", "note"):
            return "toggle"  # controller buttons send 127 on press, 0 on release
        return None


# --- checking a line ------------------------------------------------------------------------
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
            f"unknown key {unknown[0]!r}; a control takes one source ({', '.join(SOURCES)}), "
            f"param, and options {', '.join(OPTIONS)}"
        )
    sources = [key for key in SOURCES if key in table]
    if not sources:
        raise LivedanceError(
            "a control needs a source: cc = N, note = N, pitchbend = true, program = true, "
            'osc = "/address" or audio = "FEATURE"'
        )
    if len(sources) > 1:
        raise LivedanceError(f"{' and '.join(sources)}: a control has exactly one source")
    source = sources[0]
    value = table[source]
    number = address = feature = None
    if source in ("cc", "note"):
        number = _whole(value, source, 0, 127)
    elif source == "osc":
        if not isinstance(value, str) or not value.startswith("/") or any(c in value for c in " #*,?[]{}"):
            raise LivedanceError(f'osc = {_show(value)}: expected an OSC address starting with /, e.g. "/1/fader1"')
        address = value
    elif source == "audio":
        if value not in AUDIO_FEATURES or not isinstance(value, str):
            raise LivedanceError(f"audio = {_show(value)}: expected one of {', '.join(AUDIO_FEATURES)}")
        feature = value
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
    for key in AUDIO_OPTIONS:
        if key in table:
            if not _is_number(table[key]) or table[key] < 0:
                raise LivedanceError(f"{key} = {_show(table[key])}: expected a number of 0 or more")
            options[key] = float(table[key])
    mapping = Mapping(source, param, number, address, feature=feature, line=line, **options)
    check_mapping(mapping)
    return mapping


def check_mapping(m: Mapping) -> None:
    """Raise a one-line LivedanceError where an option makes no sense for the parameter or source."""
    p = _params.lookup(m.param)
    kind, name, what = p.kind, p.name, p.kind.what
    if kind.indexed and m.index is None:
        raise LivedanceError(f"{name}: needs index = N, the latent dimension (0 or more)")
    if not kind.indexed and m.index is not None:
        raise LivedanceError(f"index: only latent takes an index, not {name}")
    if m.source in ("osc", "audio") and m.channel is not None:
        what = "an OSC alias" if m.source == "osc" else "an audio feature"
        raise LivedanceError(f"channel: {what} has no MIDI channel")
    audio_options = [key for key in AUDIO_OPTIONS if getattr(m, key) is not None]
    if audio_options and m.source != "audio":
        raise LivedanceError(f"{audio_options[0]}: only an audio feature is smoothed; {m.control_text()} is not one")
    if m.source == "program" and not kind.by_program:
        raise LivedanceError(
            f"program: a program change sets a trigger, a choice or a whole number, not {name} ({what})"
        )
    if not kind.positional(p) and m.source != "program":
        raise LivedanceError(
            f"{name}: its choices come from the instrument; map it from a program change (program = true)"
        )
    if m.source == "pitchbend" and kind.fires:
        raise LivedanceError(f"pitchbend: a wheel has no press to fire {name}; map it from a cc, a note or program")
    if m.amount is not None:
        if not kind.fires:
            raise LivedanceError(f"amount: only a trigger takes a fixed amount; {name} is {what}")
        if not p.numeric:
            raise LivedanceError(f"amount: {name} takes no amount")
        whole = kind.whole(p)
        if not p.low <= m.amount <= p.high or (whole and m.amount != int(m.amount)):
            raise LivedanceError(
                f"amount = {m.amount:g}: expected a {'whole ' if whole else ''}number "
                f"from {p.low:g} to {p.high:g} for {name}"
            )
    switched = m.button is not None and kind.switchable  # a button between default and toggle_on
    shaped = (kind.number and not switched) or (kind.fires and p.numeric and m.amount is None)
    for option, given in (("curve", m.curve is not None), ("range", m.range is not None), ("invert", m.invert)):
        if not given:
            continue
        positional = shaped or (option == "invert" and kind.by_travel)
        if not positional or m.source == "program":
            reason = (
                "a program change sets its number directly"
                if m.source == "program"
                else f"{name} here is {what}, not a number set by a position"
            )
            raise LivedanceError(f"{option}: {reason}")
    low, high = (p.low, p.high) if m.range is None else m.range
    if m.range is not None and (low == high or not all(p.low <= v <= p.high for v in m.range)):
        raise LivedanceError(
            f"range = [{low:g}, {high:g}]: expected two different numbers within {name}'s {p.low:g} .. {p.high:g}"
        )
    if m.curve == "geometric" and not (low > 0 and high > 0):
        raise LivedanceError(f"curve geometric: needs a range above 0; {name} {low:g} .. {high:g} reaches 0 or below")
    if m.relative:
        if m.source != "cc":
            raise LivedanceError("relative: only a cc (an endless encoder) can be relative")
        if not kind.number or switched:
            raise LivedanceError(f"relative: an encoder steps a number; {name} is {what}")
    if m.takeover is not None:
        if not kind.number or switched:
            raise LivedanceError(f"takeover: only a number set by a fader or knob takes over; {name} here is {what}")
        if m.source not in ("cc", "pitchbend", "osc", "audio") or m.relative:
            control = "a relative encoder" if m.relative else m.control_text()
            raise LivedanceError(f"takeover: {control} has no position to take over from")
    if m.button is not None:
        if m.source not in ("cc", "note", "osc", "audio"):
            raise LivedanceError(f"button: {m.control_text()} is not a button")
        kind.check_button(p, m.button)


# --- value curves ---------------------------------------------------------------------------
def _span(m: Mapping, p: _params.Param) -> tuple[float, float, str]:
    low, high = m.range if m.range is not None else (p.low, p.high)
    return float(low), float(high), m.curve or p.curve


def _shape(m: Mapping, p: _params.Param, x: float):
    """A 0..1 control position (already inverted) -> the parameter's natural value."""
    low, high, curve = _span(m, p)
    if m.range is None and curve == p.curve:
        return _params.from_norm(p, x)[0]
    return p.kind.rounded(p, curves.spread(x, low, high, curve))


def _position(m: Mapping, p: _params.Param, value: float) -> float:
    """The inverse of `_shape`: where the control would sit for `value` (0..1, before invert)."""
    return curves.position(value, *_span(m, p))


# --- the README's description ---------------------------------------------------------------
def _how(m: Mapping) -> str:
    p = _params.REGISTRY[m.param]
    if m.source == "program":
        if p.kind.fires:
            if m.amount is not None:
                return f"any program fires it, amount {m.amount:g}"
            return "program n -> preset n+1" if p.name == "preset" else "any program fires it"
        return p.kind.program_text
    button = m.button_mode
    if button == "trigger" and m.source == "audio":
        return ", ".join([_audio_trigger_text(m, p), *_smoothing_text(m)])
    if button == "trigger":
        if m.amount is not None:
            return f"fires on press, amount {m.amount:g}"
        if p.numeric:
            return f"fires on press, {'velocity' if m.source == 'note' else 'value'} = amount"
        return "fires on press"
    if button is not None:
        return p.kind.button_text(p, button)
    travel = p.kind.position_text(p)
    if travel is not None:
        return travel + (", inverted" if m.invert else "")
    low, high, curve = _span(m, p)
    parts = [f"{low:g} .. {high:g}"]
    if curve != "linear":
        parts.append(curve)
    if m.invert:
        parts.append("inverted")
    if m.source == "note":
        parts.append("velocity")
    if m.source == "audio":
        parts.extend(_smoothing_text(m))
    if m.relative:
        parts.append("relative encoder")
    mode = m.takeover_mode
    if mode is not None and m.source not in ("note", "audio"):
        parts.append({"pickup": "pick-up", "scale": "value scaling", "jump": "jumps"}[mode])
    return ", ".join(parts)


def _audio_trigger_text(m: Mapping, p: _params.Param) -> str:
    when = f"each {m.feature}" if m.feature in AUDIO_TRIGGERS else f"{m.feature} rising past half"
    if m.amount is not None:
        return f"fires on {when}, amount {m.amount:g}"
    if p.numeric:
        low, high, _ = _span(m, p)
        return f"fires on {when}, strength -> {low:g} .. {high:g}"
    return f"fires on {when}"


def _smoothing_text(m: Mapping) -> list[str]:
    """An audio line's own attack, release and sensitivity, as the README says them."""
    return [
        f"{key} {getattr(m, key):g}" + ("" if key == "sensitivity" else " s")
        for key in AUDIO_OPTIONS
        if getattr(m, key) is not None
    ]
