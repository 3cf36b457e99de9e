"""Every live parameter and trigger, declared once.

Keyboard, OSC, MIDI, patches and the HUD all name parameters from this table, and the README's
control tables are generated from it. A parameter has a kind, a natural range, a default, a
`curve` (how a 0..1 control spreads over the range) and a `smoothing` time: a continuous
parameter glides to each new value with that time constant, so a stepped 7-bit fader or a
jumpy OSC slider never makes the picture jump.

Values arrive from threads (OSC, MIDI) as whatever the sender chose; `coerce` turns them into
the parameter's natural type and range (clamping and saying so) or raises a one-line
LivedanceError that names the parameter and what was expected. Nothing here touches the
instrument: `actions.py` says what each parameter does.
"""

from __future__ import annotations

import colorsys
import math
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from livedance.errors import LivedanceError
from livedance.video.look import PARAMS as LOOK_PARAMS
from livedance.video.look import Look, parse_colour

# The dance's hard limits, which the choreographer clamps to whatever asks (keys halve the
# speed below a knob's range); the parameters' ranges below sit inside them.
MIN_SPEED, MAX_SPEED = 0.1, 4.0
MIN_BPM, MAX_BPM = 20.0, 400.0
# Seeds a random reseed picks from (shown on the HUD, typed back to jump to one).
SEED_RANGE = 100_000

KINDS = ("float", "int", "bool", "trigger", "choice", "colour", "vector")
CURVES = ("linear", "geometric")


@dataclass(frozen=True)
class Param:
    """One parameter or trigger as every control sees it.

    kind: float | int | bool (continuous or switch), trigger (fires; an optional amount in
    [low, high], `default` when none is given), choice (one of `choices`; empty choices means
    the instrument supplies them, e.g. model names), colour (BGR inside; names, #hex, RGB
    triples or a 0..1 hue from outside), vector (one number per latent dimension, addressed
    by index).
    """

    name: str
    kind: str
    help: str
    group: str
    low: float | None = None
    high: float | None = None
    default: object = None
    smoothing: float = 0.0  # seconds (time constant); 0 = at once
    curve: str = "linear"  # how 0..1 maps onto [low, high]: linear, or geometric (centre = sqrt(low*high))
    choices: tuple[str, ...] = ()
    toggle_on: object = None  # what a toggle switches a number to (trails, blackout); off is `default`

    @property
    def numeric(self) -> bool:
        return self.low is not None and self.high is not None

    @property
    def continuous(self) -> bool:
        """Glides (smoothing) and takes MIDI pick-up: a number that isn't a trigger."""
        return self.kind in ("float", "vector")

    def range_text(self) -> str:
        if self.kind == "bool":
            return "0/1"
        if self.kind == "choice":
            if len(self.choices) > 6:
                return "a parameter name, or off"
            return " / ".join(self.choices) if self.choices else "name or index"
        if self.kind == "colour":
            return "name, #rrggbb, R G B"
        if self.numeric:
            return f"{self.low:g} .. {self.high:g}"
        return "-"


def _look(name: str, smoothing: float = 0.0, toggle_on=None, **extra) -> Param:
    spec = LOOK_PARAMS[name]
    kind = {"colour": "colour", "bool": "bool", "int": "int", "float": "float"}[spec.kind]
    default = Look.__dataclass_fields__[name].default  # declared once, on the Look dataclass
    return Param(name, kind, spec.help, "look", spec.low, spec.high, default, smoothing, toggle_on=toggle_on, **extra)


_DECLARED: tuple[Param, ...] = (
    # --- the dance ---------------------------------------------------------------------------
    Param("reseed", "trigger", "a new random dancer (crossfades in)", "dance"),
    Param("seed", "int", "jump to dancer N (dancer i of several dances N + i)", "dance", 0, SEED_RANGE - 1, 0),
    Param(
        "perturb",
        "trigger",
        "jolt the dance: noise of this size into what the model reads (velocity = amount)",
        "dance",
        0.0,
        4.0,
        1.0,
    ),
    Param("perturb_amount", "float", "how hard the perturb key and amount-less triggers jolt", "dance", 0.0, 4.0, 1.0),
    Param(
        "noise",
        "float",
        "restlessness: noise fed back with every step (the model's generation noise)",
        "dance",
        0.0,
        2.0,
        None,
        0.1,
    ),
    Param(
        "temperature",
        "float",
        "pose intensity: below 1 tamer, above 1 bolder poses (scales the shown pose away from the average)",
        "dance",
        0.0,
        2.0,
        1.0,
        0.1,
    ),
    Param("freeze", "bool", "hold the pose; release carries on from the same instant", "dance", default=False),
    Param("loop", "bool", "phrase loop: repeat the last `loop_beats` beats until released", "dance", default=False),
    Param("loop_beats", "float", "length of the phrase loop in beats", "dance", 0.25, 16.0, 4.0),
    Param("reset", "trigger", "panic: start the dance over from the current seed", "dance"),
    Param(
        "mode",
        "choice",
        "generate: dream; follow: show the camera's dancer; continue: dream on from them",
        "dance",
        default="generate",
        choices=("generate", "follow", "continue"),
    ),
    Param(
        "auto",
        "bool",
        "installation mode: follow whoever is in front of the camera, continue their dance when they leave",
        "dance",
        default=False,
    ),
    Param(
        "camera_learn",
        "trigger",
        "learn the empty stage: step out of the camera's view, then trigger (OSC: /livedance/camera/learn too)",
        "dance",
    ),
    Param(
        "latent",
        "vector",
        "offset of latent dimension i (normalised units): steers the pose directly",
        "dance",
        -3.0,
        3.0,
        0.0,
        0.05,
    ),
    Param("preset", "trigger", "jump to preset N (the number keys)", "dance", 1, 9, 1),
    # --- time --------------------------------------------------------------------------------
    Param(
        "speed",
        "float",
        "step rate x this, when not locked to a tempo (knob centre = 1)",
        "tempo",
        0.25,
        MAX_SPEED,
        1.0,
        0.15,
        curve="geometric",
    ),
    Param(
        "bpm",
        "float",
        "tempo; setting it locks the step clock to the beat",
        "tempo",
        MIN_BPM,
        MAX_BPM,
        120.0,
    ),
    Param("steps_per_beat", "int", "model steps per beat when locked to a tempo", "tempo", 1, 24, 6),
    Param("tempo_lock", "bool", "on: steps follow bpm; off: the model's own rate x speed", "tempo", default=False),
    Param("tap", "trigger", "tap tempo: tap on the beat (2 taps set it, more refine it); locks the tempo", "tempo"),
    Param("nudge", "float", "bend the step rate by up to +-10% while off centre (pitch bend)", "tempo", -1.0, 1.0, 0.0),
    Param(
        "downbeat",
        "trigger",
        "align the step clock to the beat now: press on the one (MIDI clock start does it)",
        "tempo",
    ),
    Param("tempo_double", "trigger", "tempo x2 (or speed x2)", "tempo"),
    Param("tempo_half", "trigger", "tempo /2 (or speed /2)", "tempo"),
    Param("faster", "trigger", "a little faster: speed x1.19, or +4 BPM when locked", "tempo"),
    Param("slower", "trigger", "a little slower: speed /1.19, or -4 BPM when locked", "tempo"),
    # --- the look ----------------------------------------------------------------------------
    _look("fg"),
    _look("bg"),
    _look("invert"),
    _look("mirror"),
    _look("trails", smoothing=0.05, toggle_on=0.85),
    _look("scale", smoothing=0.08),
    _look("offset_x", smoothing=0.08),
    _look("offset_y", smoothing=0.08),
    _look("blackout", smoothing=0.05, toggle_on=1.0),
    _look("dancers"),
    # --- the show ----------------------------------------------------------------------------
    Param("model", "choice", "switch to another model bundle in models/ (crossfades)", "show"),
    Param("record", "bool", "start / stop recording what is shown to a video", "show", default=False),
    Param("hud", "bool", "heads-up display on / off", "show", default=True),
    Param("fullscreen", "bool", "fullscreen / window", "show", default=False),
    Param("learn", "choice", "MIDI learn: arm this parameter, then move a control to map it", "show"),
)

REGISTRY: dict[str, Param] = {p.name: p for p in _DECLARED}
# Learnable: every parameter but learn itself.
# "off" disarms; a latent dimension is learned as "latent/<i>" (see `coerce`).
REGISTRY["learn"] = Param(
    "learn",
    "choice",
    REGISTRY["learn"].help + " (off disarms; latent/<i> for a latent dimension)",
    "show",
    default="off",
    choices=("off",) + tuple(n for n in REGISTRY if n != "learn"),
)
GROUPS = ("dance", "tempo", "look", "show")


def _check_table() -> None:
    for p in REGISTRY.values():
        if p.kind not in KINDS or p.group not in GROUPS or p.curve not in CURVES:
            raise ValueError(f"parameter {p.name}: bad kind, group or curve")
        if p.kind in ("float", "int", "vector") and not p.numeric:
            raise ValueError(f"parameter {p.name}: a {p.kind} needs low and high")
        if p.curve == "geometric" and not (p.low > 0 and p.high > 0):
            raise ValueError(f"parameter {p.name}: a geometric curve needs a positive range")


_check_table()


def lookup(name: str) -> Param:
    """The parameter called `name`, or a one-line error listing what there is."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise LivedanceError(f"parameter {name!r}: unknown; expected one of {', '.join(REGISTRY)}") from None


# --- values ------------------------------------------------------------------------------------
def _number(param: Param, value) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise LivedanceError(f"{param.name} {value!r}: expected a number from {param.low:g} to {param.high:g}")
    number = float(value)
    if not math.isfinite(number):
        raise LivedanceError(f"{param.name} {value!r}: expected a finite number from {param.low:g} to {param.high:g}")
    return number


def _clamp(param: Param, number: float) -> tuple[float, bool]:
    clamped = min(max(number, param.low), param.high)
    return clamped, clamped != number


def coerce(param: Param, value=None) -> tuple[object, bool]:
    """`value` in the parameter's natural type and range -> (value, clamped).

    Raises LivedanceError (one line: parameter, value, what was expected) for a wrong type.
    A trigger's value is its amount (None: the default amount); a vector takes either one
    number (with an index, handled by the caller) or a whole sequence of numbers.
    """
    kind = param.kind
    if kind == "trigger":
        if value is None or not param.numeric:
            return None, False  # no amount: the action uses its own default
        number, clamped = _clamp(param, _number(param, value))
        return (round(number) if isinstance(param.low, int) else number), clamped
    if kind == "float":
        return _clamp(param, _number(param, value))
    if kind == "int":
        number, clamped = _clamp(param, _number(param, value))
        return int(round(number)), clamped
    if kind == "bool":
        if isinstance(value, (bool, np.bool_)):
            return bool(value), False
        if isinstance(value, str) and value.strip().lower() in ("on", "true", "yes", "off", "false", "no"):
            return value.strip().lower() in ("on", "true", "yes"), False
        if isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(value):
            return float(value) >= 0.5, False
        raise LivedanceError(f"{param.name} {value!r}: expected on/off, true/false or a number (>= 0.5 is on)")
    if kind == "choice":
        if param.name == "learn" and isinstance(value, str) and re.fullmatch(r"latent/\d+", value):
            return value, False
        if isinstance(value, str) and value and (not param.choices or value in param.choices):
            return value, False
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and param.choices:
            index = int(value)
            clamped = min(max(index, 0), len(param.choices) - 1)
            return param.choices[clamped], clamped != index
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0:
            return int(value), False  # an index into choices the instrument supplies
        expected = ", ".join(param.choices) if param.choices else "a name or an index >= 0"
        raise LivedanceError(f"{param.name} {value!r}: expected one of {expected}")
    if kind == "colour":
        if (
            isinstance(value, (list, tuple))
            and len(value) == 3
            and all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in value)
        ):
            clamped = any(not 0 <= c <= 255 for c in value)
            red, green, blue = (min(max(int(c), 0), 255) for c in value)
            return (blue, green, red), clamped
        if isinstance(value, str):
            return parse_colour(value, param.name), False
        raise LivedanceError(f"{param.name} {value!r}: expected a colour name, #rrggbb or R G B (0-255 each)")
    if kind == "vector":
        if isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, str):
            numbers = np.array([_number(param, v) for v in value], np.float32)
            clipped = np.clip(numbers, param.low, param.high)
            return clipped, bool(np.any(clipped != numbers))
        return _clamp(param, _number(param, value))
    raise ValueError(f"parameter {param.name}: unknown kind {kind!r}")


def from_norm(param: Param, x) -> tuple[object, bool]:
    """A 0..1 control value (a fader, a VJ host's normalised output) -> (natural value, clamped)."""
    x = float(x) if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) else math.nan
    if not math.isfinite(x):
        raise LivedanceError(f"{param.name}: normalised value expected as a number from 0 to 1")
    clamped = not 0.0 <= x <= 1.0
    x = min(max(x, 0.0), 1.0)
    kind = param.kind
    if kind == "bool":
        return x >= 0.5, clamped
    if kind == "colour":
        red, green, blue = colorsys.hsv_to_rgb(x % 1.0, 1.0, 1.0)
        return (round(blue * 255), round(green * 255), round(red * 255)), clamped
    if kind == "choice":
        if not param.choices:
            raise LivedanceError(f"{param.name}: takes a name or an index, not a 0..1 value")
        return param.choices[min(int(x * len(param.choices)), len(param.choices) - 1)], clamped
    if kind == "trigger" and not param.numeric:
        return None, clamped
    if not param.numeric:
        raise LivedanceError(f"{param.name}: has no range for a 0..1 value")
    if param.curve == "geometric":
        number = param.low * (param.high / param.low) ** x
    else:
        number = param.low + x * (param.high - param.low)
    if kind == "int" or (kind == "trigger" and isinstance(param.low, int)):
        number = int(round(number))
    return number, clamped


def to_norm(param: Param, value) -> float | None:
    """The inverse of `from_norm` for feedback to faders; None where 0..1 means nothing."""
    kind = param.kind
    if kind == "bool":
        return 1.0 if value else 0.0
    if kind == "choice" and param.choices and value in param.choices:
        return param.choices.index(value) / max(len(param.choices) - 1, 1)
    if kind in ("float", "int") and isinstance(value, (int, float, np.integer, np.floating)):
        value = min(max(float(value), param.low), param.high)
        if param.curve == "geometric":
            return math.log(value / param.low) / math.log(param.high / param.low)
        return (value - param.low) / (param.high - param.low)
    return None


def format_value(param: Param, value) -> str:
    """Short text for the HUD."""
    if value is None:
        return param.name
    if isinstance(value, np.ndarray) and value.size > 4:
        return f"{param.name} ({value.size} values)"
    if param.kind == "bool":
        return f"{param.name} {'on' if value else 'off'}"
    if isinstance(value, float):
        return f"{param.name} {value:.3g}"
    if param.kind == "colour" and isinstance(value, tuple):
        blue, green, red = value
        return f"{param.name} #{red:02x}{green:02x}{blue:02x}"
    return f"{param.name} {value}"


# --- documentation (README tables, `livedance live --params`) ----------------------------------
def markdown_params() -> str:
    lines = ["| parameter | kind | range | default | what it does |", "|---|---|---|---|---|"]
    for group in GROUPS:
        for p in REGISTRY.values():
            if p.group != group:
                continue
            default = default_text(p)
            lines.append(f"| `{p.name}` | {p.kind} | {p.range_text()} | {default} | {p.help} |")
    return "\n".join(lines)


def default_text(p: Param) -> str:
    """The default as a person reads it ("model's" where the model bundle sets it)."""
    if p.default is None:
        return "model's" if p.kind == "float" else "-"
    if p.kind == "colour":
        return format_value(p, p.default).split(" ", 1)[1]
    if p.kind == "bool":
        return "on" if p.default else "off"
    return f"{p.default:g}" if isinstance(p.default, float) else str(p.default)


def format_params() -> str:
    """Plain text for `livedance live --params`."""
    rows = [(p.name, p.kind, p.range_text(), p.help) for p in REGISTRY.values()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"  {n.ljust(widths[0])}  {k.ljust(widths[1])}  {r.ljust(widths[2])}  {h}" for n, k, r, h in rows)
