"""Every live parameter and trigger, declared once.

Keyboard, OSC, MIDI, patches and the HUD all name parameters from this table, and the README's
control tables are generated from it. Every range and default is here, the look's too: the
`Look` dataclass keeps only its defaults (which the look's entries read) and checks types, and
what reaches it through a control is already in range. A parameter has a kind (`kinds.py`:
what its values are and how each control reads them), a natural range, a default, a
`curve` (how a 0..1 control spreads over the range) and a `smoothing` time: a continuous
parameter glides to each new value with that time constant, so a stepped 7-bit fader or a
jumpy OSC slider never makes the picture jump.

Values arrive from threads (OSC, MIDI) as whatever the sender chose; `coerce` turns them into
the parameter's natural type and range (clamping and saying so) or raises a one-line
LivedanceError that names the parameter and what was expected. Nothing here touches the
instrument: `actions.py` says what each parameter does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from livedance.control.curves import PARAM_CURVES
from livedance.control.kinds import BOOL, CHOICE, COLOUR, FLOAT, INT, LEARN, TRIGGER, VECTOR, Kind
from livedance.errors import LivedanceError
from livedance.sync.tempo import SOURCES
from livedance.video.look import Look

# The dance's hard limits, which the choreographer clamps to whatever asks (keys halve the
# speed below a knob's range); the parameters' ranges below sit inside them.
MIN_SPEED, MAX_SPEED = 0.1, 4.0
MIN_BPM, MAX_BPM = 20.0, 400.0
MAX_STEPS_PER_BEAT = 24  # the most a tempo lock steps per beat (a slow tempo on a fast model would want more)
# Seeds a random reseed picks from (shown on the HUD, typed back to jump to one).
SEED_RANGE = 100_000


@dataclass(frozen=True)
class Param:
    """One parameter or trigger as every control sees it; its `kind` (kinds.py) says what its
    values are, this says which: the range, default, choices and how a control moves it."""

    name: str
    kind: Kind
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
        """Glides (smoothing) and takes MIDI pick-up."""
        return self.kind.continuous


# The look's defaults are the Look dataclass's (what a Look() draws); its ranges are declared here only.
_LOOK = Look()


def _look(name: str, kind: Kind, help: str, low=None, high=None, smoothing: float = 0.0, toggle_on=None) -> Param:
    return Param(name, kind, help, "look", low, high, getattr(_LOOK, name), smoothing, toggle_on=toggle_on)


_DECLARED: tuple[Param, ...] = (
    # --- the dance ---------------------------------------------------------------------------
    Param("reseed", TRIGGER, "a new random dancer (crossfades in)", "dance"),
    Param("seed", INT, "jump to dancer N (dancer i of several dances N + i)", "dance", 0, SEED_RANGE - 1, 0),
    Param(
        "perturb",
        TRIGGER,
        "jolt the dance: noise of this size into what the model reads (velocity = amount)",
        "dance",
        0.0,
        4.0,
        1.0,
    ),
    Param(
        "accent",
        TRIGGER,
        "hit the beat: the pose swells out and the dance is jolted, fading in a moment (amount = strength)",
        "dance",
        0.0,
        1.0,
        0.6,
    ),
    Param("perturb_amount", FLOAT, "how hard the perturb key and amount-less triggers jolt", "dance", 0.0, 4.0, 1.0),
    Param(
        "noise",
        FLOAT,
        "restlessness: noise fed back with every step (the model's generation noise)",
        "dance",
        0.0,
        2.0,
        None,
        0.1,
    ),
    Param(
        "temperature",
        FLOAT,
        "pose intensity: below 1 tamer, above 1 bolder poses (scales the shown pose away from the average)",
        "dance",
        0.0,
        2.0,
        1.0,
        0.1,
    ),
    Param("freeze", BOOL, "hold the pose; release carries on from the same instant", "dance", default=False),
    Param("loop", BOOL, "phrase loop: repeat the last `loop_beats` beats until released", "dance", default=False),
    Param("loop_beats", FLOAT, "length of the phrase loop in beats", "dance", 0.25, 16.0, 4.0),
    Param("reset", TRIGGER, "panic: start the dance over from the current seed", "dance"),
    Param(
        "mode",
        CHOICE,
        "generate: dream; follow: show the camera's dancer; continue: dream on from them",
        "dance",
        default="generate",
        choices=("generate", "follow", "continue"),
    ),
    Param(
        "auto",
        BOOL,
        "installation mode: follow whoever is in front of the camera, continue their dance when they leave",
        "dance",
        default=False,
    ),
    Param(
        "camera_learn",
        TRIGGER,
        "learn the empty stage: step out of the camera's view, then trigger (OSC: /livedance/camera/learn too)",
        "dance",
    ),
    Param(
        "latent",
        VECTOR,
        "offset of latent dimension i (normalised units): steers the pose directly",
        "dance",
        -3.0,
        3.0,
        0.0,
        0.05,
    ),
    Param("preset", TRIGGER, "jump to preset N (the number keys)", "dance", 1, 9, 1),
    # --- time --------------------------------------------------------------------------------
    Param(
        "speed",
        FLOAT,
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
        FLOAT,
        "the tempo in use, whichever source leads; setting it locks the step clock (proposed to Link when Link leads)",
        "tempo",
        MIN_BPM,
        MAX_BPM,
        120.0,
    ),
    Param("steps_per_beat", INT, "model steps per beat when locked to a tempo", "tempo", 1, MAX_STEPS_PER_BEAT, 6),
    Param("tempo_lock", BOOL, "on: steps follow bpm; off: the model's own rate x speed", "tempo", default=False),
    Param("tap", TRIGGER, "tap tempo: tap on the beat (2 taps set it, more refine it); locks the tempo", "tempo"),
    Param("nudge", FLOAT, "bend the step rate by up to +-10% while off centre (pitch bend)", "tempo", -1.0, 1.0, 0.0),
    Param(
        "downbeat",
        TRIGGER,
        "align the step clock to the beat now: press on the one (MIDI clock start does it)",
        "tempo",
    ),
    Param("tempo_double", TRIGGER, "tempo x2 (or speed x2)", "tempo"),
    Param("tempo_half", TRIGGER, "tempo /2 (or speed /2)", "tempo"),
    Param("faster", TRIGGER, "a little faster: speed x1.19, or +4 BPM when locked", "tempo"),
    Param("slower", TRIGGER, "a little slower: speed /1.19, or -4 BPM when locked", "tempo"),
    Param(
        "tempo_source",
        CHOICE,
        "who leads the tempo: manual (tap, bpm, keys), midi clock, Ableton link or audio; "
        "until one is chosen the first of link, midi, audio, manual that offers a tempo",
        "tempo",
        choices=SOURCES,
    ),
    # --- the look ----------------------------------------------------------------------------
    _look("fg", COLOUR, "figure colour: a name, #rrggbb or a BGR triple"),
    _look("bg", COLOUR, "background colour: a name, #rrggbb or a BGR triple"),
    _look("invert", BOOL, "swap figure and background colours"),
    _look("mirror", BOOL, "flip each figure left-right (it stays where it is)"),
    _look(
        "trails",
        FLOAT,
        "echo of previous frames kept per frame: 0 none, 0.95 long",
        0.0,
        0.95,
        smoothing=0.05,
        toggle_on=0.85,
    ),
    _look("scale", FLOAT, "figure size relative to the size that fits its cell", 0.25, 2.0, smoothing=0.08),
    _look(
        "offset_x",
        FLOAT,
        "move right (+) or left (-); 1 puts the centre on the cell's edge",
        -1.0,
        1.0,
        smoothing=0.08,
    ),
    _look(
        "offset_y", FLOAT, "move down (+) or up (-); 1 puts the centre on the cell's edge", -1.0, 1.0, smoothing=0.08
    ),
    _look("blackout", FLOAT, "fade everything to black: 1 is a black screen", 0.0, 1.0, smoothing=0.05, toggle_on=1.0),
    _look("dancers", INT, "dancers side by side, each in an equal cell", 1, 8),
    # --- the show ----------------------------------------------------------------------------
    Param("model", CHOICE, "switch to another model bundle in models/ (crossfades)", "show"),
    Param("record", BOOL, "start / stop recording what is shown to a video", "show", default=False),
    Param("hud", BOOL, "heads-up display on / off", "show", default=True),
    Param("fullscreen", BOOL, "fullscreen / window", "show", default=False),
    Param("learn", LEARN, "MIDI learn: arm this parameter, then move a control to map it", "show"),
)

REGISTRY: dict[str, Param] = {p.name: p for p in _DECLARED}
# Learnable: every parameter but learn itself.
# "off" disarms; a latent dimension is learned as "latent/<i>" (see `kinds.LearnKind`).
REGISTRY["learn"] = Param(
    "learn",
    LEARN,
    REGISTRY["learn"].help + " (off disarms; latent/<i> for a latent dimension)",
    "show",
    default="off",
    choices=("off",) + tuple(n for n in REGISTRY if n != "learn"),
)
GROUPS = ("dance", "tempo", "look", "show")


def _check_table() -> None:
    for p in REGISTRY.values():
        if not isinstance(p.kind, Kind) or p.group not in GROUPS or p.curve not in PARAM_CURVES:
            raise ValueError(f"parameter {p.name}: bad kind, group or curve")
        if p.kind.number and not p.numeric:
            raise ValueError(f"parameter {p.name}: a {p.kind} needs low and high")
        if p.curve == "geometric" and not (p.low is not None and p.high is not None and p.low > 0 and p.high > 0):
            raise ValueError(f"parameter {p.name}: a geometric curve needs a positive range")


_check_table()


def lookup(name: str) -> Param:
    """The parameter called `name`, or a one-line error listing what there is."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise LivedanceError(f"parameter {name!r}: unknown; expected one of {', '.join(REGISTRY)}") from None


# --- values (each kind says how; these are what every control calls) ---------------------------
def coerce(param: Param, value=None) -> tuple[object, bool]:
    """`value` in the parameter's natural type and range -> (value, clamped).

    Raises LivedanceError (one line: parameter, value, what was expected) for a wrong type.
    A trigger's value is its amount (None: the default amount); a vector takes either one
    number (with an index, handled by the caller) or a whole sequence of numbers.
    """
    return param.kind.coerce(param, value)


def from_norm(param: Param, x) -> tuple[object, bool]:
    """A 0..1 control value (a fader, a VJ host's normalised output) -> (natural value, clamped)."""
    try:
        x = float(x) if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) else math.nan
    except OverflowError:  # an int past any float
        x = math.nan
    if not math.isfinite(x):
        raise LivedanceError(f"{param.name}: normalised value expected as a number from 0 to 1")
    return param.kind.from_norm(param, min(max(x, 0.0), 1.0)), not 0.0 <= x <= 1.0


def to_norm(param: Param, value) -> float | None:
    """The inverse of `from_norm` for feedback to faders; None where 0..1 means nothing."""
    return param.kind.to_norm(param, value)


def format_value(param: Param, value) -> str:
    """Short text for the HUD."""
    return param.name if value is None else f"{param.name} {param.kind.text(value)}"


# --- documentation (README tables, `livedance live --params`) ----------------------------------
def markdown_params() -> str:
    lines = ["| parameter | kind | range | default | what it does |", "|---|---|---|---|---|"]
    for group in GROUPS:
        for p in REGISTRY.values():
            if p.group != group:
                continue
            default = default_text(p)
            lines.append(f"| `{p.name}` | {p.kind.name} | {p.kind.range_text(p)} | {default} | {p.help} |")
    return "\n".join(lines)


def default_text(p: Param) -> str:
    """The default as a person reads it ("model's" where the model bundle sets it)."""
    if p.default is None:
        return p.kind.no_default
    return f"{p.default:g}" if isinstance(p.default, float) else p.kind.text(p.default)


def format_params() -> str:
    """Plain text for `livedance live --params`."""
    rows = [(p.name, p.kind.name, p.kind.range_text(p), p.help) for p in REGISTRY.values()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"  {n.ljust(widths[0])}  {k.ljust(widths[1])}  {r.ljust(widths[2])}  {h}" for n, k, r, h in rows)
