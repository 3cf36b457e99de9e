"""The key table: every binding names a real parameter or action, no key does two things, presets are whole."""

import dataclasses
import os

os.environ["SDL_VIDEODRIVER"] = "dummy"

import pygame  # noqa: E402
import pytest  # noqa: E402

from livedance.control.params import REGISTRY  # noqa: E402
from livedance.live import keys  # noqa: E402


def test_every_binding_drives_a_registry_parameter_or_a_keyboard_action():
    for binding in keys.BINDINGS:
        assert (binding.param in REGISTRY) != (binding.action is not None), binding.label


def test_no_key_and_modifier_does_two_things():
    seen = {}
    for binding in keys.BINDINGS:
        for key in binding.keys:
            assert key not in seen, f"{binding.label} and {seen.get(key)} share a key"
            seen[key] = binding.label


@pytest.mark.parametrize(
    ("key", "mod", "param"),
    [
        (pygame.K_SPACE, 0, "reseed"),
        (pygame.K_RETURN, pygame.KMOD_ALT, "fullscreen"),
        (pygame.K_F11, 0, "fullscreen"),
    ],
)
def test_a_key_with_its_modifier_finds_its_binding(key, mod, param):
    assert keys.binding_for(key, mod).param == param


def test_plain_enter_is_not_alt_enter():
    binding = keys.binding_for(pygame.K_RETURN, 0)
    assert binding is None or binding.param != "fullscreen"


def test_every_preset_names_only_look_fields_and_a_seed(show):
    fields = {f.name for f in dataclasses.fields(show.performance.look)}
    for number, preset in keys.PRESETS.items():
        assert set(preset.look) <= fields, number
        line = keys.apply_preset(show.performance, number)
        assert line.startswith(f"preset {number} {preset.name}")
        assert show.performance.choreographer.seed == preset.seed


def test_a_preset_starts_from_the_look_s_defaults(show):
    keys.apply_preset(show.performance, 3)  # negative: inverted
    keys.apply_preset(show.performance, 1)  # classic: nothing of its own
    assert show.performance.look.invert is False


def test_the_printed_table_and_the_markdown_list_every_key():
    printed, markdown = keys.format_keys(), keys.markdown_keys()
    for label, text in keys.key_rows():
        assert label in printed and text in printed and f"| {label} | {text} |" in markdown
