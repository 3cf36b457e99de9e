"""The keyboard: one table of bindings and one table of presets.

The same tables drive the live loop's handler, `livedance live --keys` and the README's
list, so what a performer reads is what the keys do. Each action is a small function of the
running instrument that does one thing and returns the words the HUD shows as the last
control received.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Callable

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

# Tempo keys scale the step clock by a musical-ish ratio: four presses double or halve it.
SPEED_STEP = 2.0 ** 0.25
BPM_STEP = 4.0
PERTURB_AMOUNT = 1.0  # normalised latent units: a visible jolt that the dance recovers from
TRAILS_ON = 0.85  # decay of the echo when trails are switched on


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
# What a preset resets before applying its own values, so presets don't pile up.
PRESET_BASE = {
    "fg": BLACK,
    "bg": WHITE,
    "invert": False,
    "mirror": False,
    "trails": 0.0,
    "scale": 1.0,
    "offset_x": 0.0,
    "offset_y": 0.0,
    "blackout": 0.0,
}


# --- actions: each takes the instrument and returns what the HUD says -------------------------
def reseed(inst) -> str:
    inst.choreographer.reseed()
    return f"reseed -> seed {inst.choreographer.seed}"


def freeze(inst) -> str:
    inst.choreographer.freeze(not inst.choreographer.frozen)
    return "freeze" if inst.choreographer.frozen else "unfreeze"


def _tempo(inst, faster: bool) -> str:
    """Locked to a tempo: a few BPM per press. Free: scale the speed (the choreographer clamps it)."""
    c = inst.choreographer
    if c.tempo is not None:
        bpm, steps_per_beat = c.tempo
        c.set_tempo(bpm + (BPM_STEP if faster else -BPM_STEP), steps_per_beat)
        return f"tempo {c.tempo[0]:g} BPM"
    c.speed = c.speed * (SPEED_STEP if faster else 1.0 / SPEED_STEP)
    return f"speed x{c.speed:.2f}"


def tempo_up(inst) -> str:
    return "faster: " + _tempo(inst, True)


def tempo_down(inst) -> str:
    return "slower: " + _tempo(inst, False)


def perturb(inst) -> str:
    inst.choreographer.perturb(PERTURB_AMOUNT)
    return f"perturb {PERTURB_AMOUNT:g}"


def _toggle_look(field: str, on=True, off=False) -> Callable:
    def toggle(inst) -> str:
        value = off if getattr(inst.look, field) else on
        inst.look = dataclasses.replace(inst.look, **{field: value})
        return f"{field} {'on' if value else 'off'}"

    toggle.__name__ = f"toggle_{field}"
    return toggle


def reset(inst) -> str:
    inst.choreographer.reset()
    return "reset"


def fullscreen(inst) -> str:
    inst.toggle_fullscreen()
    return "fullscreen" if inst.fullscreen else "windowed"


def hud(inst) -> str:
    inst.hud.visible = not inst.hud.visible
    return "hud " + ("on" if inst.hud.visible else "off")


def quit_(inst) -> str:
    inst.running = False
    return "quit"


def apply_preset(inst, number: int) -> str:
    preset = PRESETS[number]
    valid = {f.name for f in dataclasses.fields(inst.look)}
    values = {k: v for k, v in {**PRESET_BASE, **preset.look}.items() if k in valid}
    inst.look = dataclasses.replace(inst.look, **values)
    inst.choreographer.speed = preset.speed
    inst.choreographer.reseed(preset.seed)
    return f"preset {number} {preset.name} (seed {preset.seed})"


def _preset(number: int) -> Callable:
    def action(inst) -> str:
        return apply_preset(inst, number)

    action.__name__ = f"preset_{number}"
    return action


# --- the table -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Binding:
    """Keys (pygame key codes, each with the modifier it needs, 0 for none) -> one action."""

    label: str
    keys: tuple[tuple[int, int], ...]
    action: Callable
    help: str


def _k(*codes: int, mod: int = 0) -> tuple[tuple[int, int], ...]:
    return tuple((code, mod) for code in codes)


BINDINGS: tuple[Binding, ...] = (
    Binding("Space", _k(pygame.K_SPACE), reseed, "reseed: a new random dancer"),
    Binding("f", _k(pygame.K_f), freeze, "freeze / unfreeze the dancer"),
    Binding("Up / +", _k(pygame.K_UP, pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS), tempo_up, "faster: speed x1.19, or +4 BPM when locked to a tempo"),
    Binding("Down / -", _k(pygame.K_DOWN, pygame.K_MINUS, pygame.K_KP_MINUS), tempo_down, "slower: speed /1.19, or -4 BPM when locked to a tempo"),
    Binding("p", _k(pygame.K_p), perturb, "perturb: jolt the dance with noise"),
    Binding("r", _k(pygame.K_r), reset, "reset the dance (same seed)"),
    Binding("i", _k(pygame.K_i), _toggle_look("invert"), "invert colours"),
    Binding("m", _k(pygame.K_m), _toggle_look("mirror"), "mirror left-right"),
    Binding("t", _k(pygame.K_t), _toggle_look("trails", on=TRAILS_ON, off=0.0), "trails on / off"),
    Binding("b", _k(pygame.K_b), _toggle_look("blackout", on=1.0, off=0.0), "blackout on / off"),
    Binding("F11 / Alt+Enter", _k(pygame.K_F11) + _k(pygame.K_RETURN, mod=pygame.KMOD_ALT), fullscreen, "fullscreen / window"),
    Binding("h", _k(pygame.K_h), hud, "heads-up display on / off"),
    Binding("Esc / q", _k(pygame.K_ESCAPE, pygame.K_q), quit_, "quit"),
) + tuple(
    Binding(str(n), _k(getattr(pygame, f"K_{n}"), getattr(pygame, f"K_KP{n}")), _preset(n), f"preset {n}: {p.name}, seed {p.seed}")
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
