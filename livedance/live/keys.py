"""The keyboard: one table of bindings and one table of presets.

The same tables drive the live loop's handler, `livedance live --keys` and the README's
list, so what a performer reads is what the keys do. A key names a parameter of the registry
(`params.py`) and goes through the same mixer as OSC and MIDI.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Callable

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from livedance.control.controls import Control  # noqa: E402
from livedance.control.params import REGISTRY  # noqa: E402
from livedance.live.performance import Performance  # noqa: E402


@dataclass(frozen=True)
class Preset:
    """A seed plus the speed and look values a number key jumps to."""

    name: str
    seed: int
    speed: float = 1.0
    look: dict = dataclasses.field(default_factory=dict)


# Colours are BGR, as the compositor wants them.
BLACK, WHITE = (0, 0, 0), (255, 255, 255)
PRESETS: dict[int, Preset] = {
    1: Preset("classic", seed=7),
    2: Preset("slow ink", seed=11, speed=0.5, look={"trails": 0.9}),
    3: Preset("negative", seed=23, look={"invert": True}),
    4: Preset("neon", seed=42, speed=1.25, look={"fg": (102, 0, 255), "bg": BLACK, "trails": 0.6}),
    5: Preset("mirror", seed=5, look={"mirror": True}),
    6: Preset("double time", seed=88, speed=2.0),
    7: Preset("blue hour", seed=3, speed=0.75, look={"fg": (255, 200, 120), "bg": (60, 20, 0), "trails": 0.8}),
    8: Preset("close up", seed=64, look={"scale": 1.6, "offset_y": 0.25}),
    9: Preset("ember", seed=99, speed=1.5, look={"fg": (0, 140, 255), "bg": (10, 0, 20), "trails": 0.7}),
}
# What a preset resets before applying its own values, so presets don't pile up: the look's
# defaults, as the registry declares them.
PRESET_BASE = {name: p.default for name, p in REGISTRY.items() if p.group == "look" and name != "dancers"}


# --- actions outside the registry: what only the performer at the keyboard may do -------------
def quit_(show) -> str:
    show.running = False
    return "quit"


def learn_last(show) -> str:
    """Arm MIDI learn for the parameter touched last (press again to disarm)."""
    if show.bus.learning:
        show.bus.learning = None
        return "learn off"
    name = show.performance.last_param
    if not name:
        return "learn: touch a parameter first (a key, OSC) or send /livedance/learn <parameter>"
    show.bus.learning = name
    return f"learn: move a MIDI control for {name}"


def next_tempo_source(show) -> str:
    """Hand the tempo to the next source that is running (manual, MIDI clock, Link, audio), through
    the mixer like any control, so it is published and logged."""
    source = show.performance.tempo_rule.next_source()
    show.bus.submit(Control("tempo_source", source, "key"))
    show.performance.last_param = "tempo_source"
    return f"tempo_source {source}"


def apply_preset(performance: Performance, number: int) -> str:
    """Jump the look, speed and seed to preset `number`."""
    preset = PRESETS[number]
    valid = {f.name for f in dataclasses.fields(performance.look)}
    values = {k: v for k, v in {**PRESET_BASE, **preset.look}.items() if k in valid}
    performance.look = dataclasses.replace(performance.look, **values)
    performance.choreographer.speed = preset.speed
    performance.choreographer.reseed(preset.seed)
    return f"preset {number} {preset.name} (seed {preset.seed})"


# --- the table -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Binding:
    """Keys (pygame key codes, each with the modifier it needs, 0 for none) -> one control.

    Most keys drive a parameter of the registry (`param`, with `value` and `op` as a Control
    carries them), through the same path as OSC and MIDI; `action` is for what only the
    keyboard does (quit, MIDI learn of the last parameter)."""

    label: str
    keys: tuple[tuple[int, int], ...]
    help: str
    param: str | None = None
    value: object = None
    op: str = "set"
    action: Callable | None = None


def _k(*codes: int, mod: int = 0) -> tuple[tuple[int, int], ...]:
    return tuple((code, mod) for code in codes)


BINDINGS: tuple[Binding, ...] = (
    Binding("Space", _k(pygame.K_SPACE), "reseed: a new random dancer", "reseed"),
    Binding("f", _k(pygame.K_f), "freeze / unfreeze the dancer", "freeze", op="toggle"),
    Binding(
        "Up / +",
        _k(pygame.K_UP, pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS),
        "faster: speed x1.19, or +4 BPM when locked to a tempo",
        "faster",
    ),
    Binding(
        "Down / -",
        _k(pygame.K_DOWN, pygame.K_MINUS, pygame.K_KP_MINUS),
        "slower: speed /1.19, or -4 BPM when locked to a tempo",
        "slower",
    ),
    Binding("]", _k(pygame.K_RIGHTBRACKET), "tempo x2 (speed x2 when free)", "tempo_double"),
    Binding("[", _k(pygame.K_LEFTBRACKET), "tempo /2 (speed /2 when free)", "tempo_half"),
    Binding("Tab", _k(pygame.K_TAB), "tap tempo: tap on the beat; locks the step clock to it", "tap"),
    Binding("d", _k(pygame.K_d), "downbeat: a step lands now (press on the one)", "downbeat"),
    Binding(
        "s",
        _k(pygame.K_s),
        "tempo source: hand the lead to the next one running (manual, MIDI clock, Link, audio)",
        action=next_tempo_source,
    ),
    Binding("l", _k(pygame.K_l), "phrase loop on / off: repeat the last loop_beats beats", "loop", op="toggle"),
    Binding("g", _k(pygame.K_g), "generate: the model dreams", "mode", "generate"),
    Binding("w", _k(pygame.K_w), "follow: watch the camera's dancer (needs --camera)", "mode", "follow"),
    Binding("c", _k(pygame.K_c), "continue: the model dances on from the camera's dancer", "mode", "continue"),
    Binding(
        "x",
        _k(pygame.K_x),
        "auto (installation): follow whoever is there, continue when they leave",
        "auto",
        op="toggle",
    ),
    Binding("e", _k(pygame.K_e), "learn the empty stage: step out of view, then press", "camera_learn"),
    Binding("p", _k(pygame.K_p), "perturb: jolt the dance with noise", "perturb"),
    Binding("r", _k(pygame.K_r), "reset the dance (same seed)", "reset"),
    Binding("i", _k(pygame.K_i), "invert colours", "invert", op="toggle"),
    Binding("m", _k(pygame.K_m), "mirror left-right", "mirror", op="toggle"),
    Binding("t", _k(pygame.K_t), "trails on / off", "trails", op="toggle"),
    Binding("b", _k(pygame.K_b), "blackout on / off (a quick fade)", "blackout", op="toggle"),
    Binding("v", _k(pygame.K_v), "record video on / off (to recordings/)", "record", op="toggle"),
    Binding(
        "a",
        _k(pygame.K_a),
        "MIDI learn: arm the parameter touched last, then move a control (again: disarm)",
        action=learn_last,
    ),
    Binding(
        "F11 / Alt+Enter",
        _k(pygame.K_F11) + _k(pygame.K_RETURN, mod=pygame.KMOD_ALT),
        "fullscreen / window",
        "fullscreen",
        op="toggle",
    ),
    Binding("h", _k(pygame.K_h), "heads-up display on / off", "hud", op="toggle"),
    Binding("Esc / q", _k(pygame.K_ESCAPE, pygame.K_q), "quit", action=quit_),
) + tuple(
    Binding(
        str(n),
        _k(getattr(pygame, f"K_{n}"), getattr(pygame, f"K_KP{n}")),
        f"preset {n}: {p.name}, seed {p.seed}",
        "preset",
        n,
    )
    for n, p in PRESETS.items()
)

_BY_KEY: dict[int, list[tuple[int, Binding]]] = {}
for _binding in BINDINGS:
    for _code, _mod in _binding.keys:
        _BY_KEY.setdefault(_code, []).append((_mod, _binding))
# A binding that needs a modifier wins over a plain one on the same key.
for _entries in _BY_KEY.values():
    _entries.sort(key=lambda entry: entry[0] == 0)


def binding_for(key: int, mod: int = 0) -> Binding | None:
    """The binding a KEYDOWN with this key and modifier state triggers, if any."""
    for need, binding in _BY_KEY.get(key, ()):
        if need == 0 or mod & need:
            return binding
    return None


# pygame's names for the keys whose browser name (KeyboardEvent.key) differs; one-character names are the same.
BROWSER_KEYS = {"space": " ", "up": "ArrowUp", "down": "ArrowDown", "tab": "Tab", "return": "Enter", "f11": "F11"}


def browser_keys() -> dict[str, dict]:
    """The bindings that play a parameter, by the browser's name for the key: the control page's
    keys, as the messages the page sends. Keyboard-only actions (quit, learn) and keys that need
    a modifier stay at the window."""
    table: dict[str, dict] = {}
    for binding in BINDINGS:
        if binding.param is None:
            continue
        message: dict = {"name": binding.param}
        if binding.value is not None:
            message["value"] = binding.value
        if binding.op != "set":
            message["op"] = binding.op
        for code, mod in binding.keys:
            name = pygame.key.name(code)
            name = name[1:-1] if len(name) == 3 and name[0] == "[" else name  # the keypad's [1] is 1
            key = BROWSER_KEYS.get(name, name)
            if not mod and (len(key) == 1 or name in BROWSER_KEYS):
                table.setdefault(key, message)
    return table


def key_rows() -> list[tuple[str, str]]:
    return [(b.label.strip(), b.help) for b in BINDINGS]


def format_keys() -> str:
    """Plain text for `livedance live --keys`."""
    rows = key_rows()
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label.ljust(width)}  {text}" for label, text in rows)


def markdown_keys() -> str:
    """The README's table, generated from the same rows (a test keeps them in step)."""
    lines = ["| key | what it does |", "|---|---|"]
    lines += [f"| {label} | {text} |" for label, text in key_rows()]
    return "\n".join(lines)
